package render

import (
	"encoding/base64"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cupaas/cupaas/pkg/credentials"
)

// manifestCases are the configs the manifest tests render.
var manifestCases = []struct {
	name    string
	config  string
	commit  string
	secrets map[string]string
}{
	{
		name:   "seed",
		config: "name: tasks\nruntime: python:3.8.6\nentrypoint: [python, app.py]\nservices:\n  - mongodb: 6.0.2\n",
		commit: "0123456789abcdef0123456789abcdef01234567",
	},
	{
		name:   "mongodb",
		config: "name: notes\nruntime: node:20\nhealthcheck: /health\nservices: [mongodb]\n",
	},
	{
		name:   "postgresql",
		config: "name: my-shop\nruntime: python:3.12\nentrypoint: [gunicorn, app:app]\nport: 8000\nservices:\n  - postgres: \"16.2\"\n",
		commit: "abc123-dirty",
	},
	{
		name:   "redis",
		config: "name: counter\nruntime: go:1.22\nreplicas: 2\nservices: [redis:7.2]\nenv:\n  LOG_LEVEL: debug\n  GREETING: \"hello: world\"\n",
	},
	{
		name:    "mysql",
		config:  "name: blog\nruntime: python:3.11\nentrypoint: [python, app.py]\nresources: {cpu: 250m, memory: 256Mi}\nservices: [{mysql: \"8.0\"}]\n",
		secrets: map[string]string{"API_KEY": "s3cr3t", "SESSION_SECRET": "x\"y\\z"},
	},
	{
		name: "all-autoscale",
		config: "name: big-app\nruntime: python:3.11\nentrypoint: [python, app.py]\nhealthcheck: /healthz\nautoscale: {min: 2, max: 6, cpu: 70}\n" +
			"resources: {memory: 512Mi}\nservices: [mongodb, postgresql, redis]\nenv: {FEATURE_X: \"on\", EMPTY: \"\"}\n",
		commit:  "fedcba9876543210fedcba9876543210fedcba98",
		secrets: map[string]string{"STRIPE_KEY": "sk_test_123"},
	},
	{
		name:   "own-dockerfile",
		config: "name: custom\ndockerfile: docker/Dockerfile\nport: 9090\nservices: [mysql]\n",
	},
}

func renderCase(t testing.TB, i int) []runtime.Object {
	t.Helper()
	tc := manifestCases[i]
	c := parse(t, tc.config)
	img, err := ImageName("cupaas", c.Name, "0123456789ab")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Manifests(Input{PullPolicy: corev1.PullNever, Config: c, Image: img, Commit: tc.commit, Credentials: fixedCredentials(), Secrets: tc.secrets})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestManifests(t *testing.T) {
	for i, tc := range manifestCases {
		t.Run(tc.name, func(t *testing.T) {
			objs := renderCase(t, i)
			out, err := Encode(objs, false)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, out)
			redacted, err := Encode(objs, true)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+"-redacted", redacted)
		})
	}
}

// TestSeedExample checks the facts of the seed example explicitly, not only
// through its golden file.
func TestSeedExample(t *testing.T) {
	c := parse(t, "runtime: python:3.8.6\nentrypoint: [python, app.py]\nservices: [{mongodb: 6.0.2}]\n")
	c.Name = "tasks"
	df, err := Dockerfile(c, ProjectFiles{HasRequirements: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(df), "\nFROM python:3.8.6-slim\n") {
		t.Errorf("Dockerfile lacks FROM python:3.8.6-slim:\n%s", df)
	}
	if !strings.Contains(string(df), "\nEXPOSE 5000\n") || !strings.Contains(string(df), "\nENTRYPOINT [\"python\", \"app.py\"]\n") {
		t.Errorf("Dockerfile lacks EXPOSE 5000 or the entrypoint:\n%s", df)
	}
	objs, err := Manifests(Input{PullPolicy: corev1.PullNever, Config: c, Image: "cupaas/tasks:0123456789ab", Credentials: fixedCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var sts *appsv1.StatefulSet
	var dep *appsv1.Deployment
	var envSecret *corev1.Secret
	for _, o := range objs {
		kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind)
		switch o := o.(type) {
		case *appsv1.StatefulSet:
			sts = o
		case *appsv1.Deployment:
			dep = o
		case *corev1.Secret:
			if o.Name == "tasks-env" {
				envSecret = o
			}
		}
	}
	if got := strings.Join(kinds, ","); got != "Namespace,Secret,StatefulSet,Service,ConfigMap,Secret,Deployment,Service" {
		t.Errorf("object order = %s", got)
	}
	if sts == nil || sts.Spec.Template.Spec.Containers[0].Image != "mongo:6.0.2" {
		t.Fatalf("no StatefulSet running mongo:6.0.2")
	}
	if sts.Name != "tasks-mongodb" || sts.Namespace != "tasks" {
		t.Errorf("StatefulSet %s/%s, want tasks/tasks-mongodb", sts.Namespace, sts.Name)
	}
	ctr := dep.Spec.Template.Spec.Containers[0]
	if len(ctr.Ports) != 1 || ctr.Ports[0].ContainerPort != 5000 || ctr.Ports[0].Name != "http" {
		t.Errorf("container ports = %+v, want http 5000", ctr.Ports)
	}
	if len(ctr.Env) != 1 || ctr.Env[0].Name != "PORT" || ctr.Env[0].Value != "5000" {
		t.Errorf("env = %+v, want PORT=5000", ctr.Env)
	}
	want := "mongodb://app:MongoPass123@tasks-mongodb:27017/tasks?authSource=admin"
	if got := string(envSecret.Data["MONGODB_URI"]); got != want {
		t.Errorf("MONGODB_URI = %q, want %q", got, want)
	}
	if got := string(envSecret.Data["MONGO_URL"]); got != want {
		t.Errorf("MONGO_URL = %q, want %q", got, want)
	}
	if *dep.Spec.Replicas != 1 {
		t.Errorf("replicas = %d", *dep.Spec.Replicas)
	}
}

func TestConnectionSettings(t *testing.T) {
	tests := []struct {
		service string
		want    map[string]string
	}{
		{"mongodb", map[string]string{
			"MONGODB_URI": "mongodb://app:MongoPass123@my-app-mongodb:27017/my_app?authSource=admin",
			"MONGO_URL":   "mongodb://app:MongoPass123@my-app-mongodb:27017/my_app?authSource=admin",
		}},
		{"postgresql", map[string]string{
			"DATABASE_URL": "postgres://app:PgPass123@my-app-postgresql:5432/my_app?sslmode=disable",
			"PGHOST":       "my-app-postgresql", "PGPORT": "5432", "PGUSER": "app", "PGPASSWORD": "PgPass123", "PGDATABASE": "my_app",
		}},
		{"redis", map[string]string{"REDIS_URL": "redis://:RedisPass123@my-app-redis:6379/0"}},
		{"mysql", map[string]string{
			"DATABASE_URL": "mysql://app:MysqlPass123@my-app-mysql:3306/my_app",
			"MYSQL_HOST":   "my-app-mysql", "MYSQL_PORT": "3306", "MYSQL_USER": "app", "MYSQL_PASSWORD": "MysqlPass123", "MYSQL_DATABASE": "my_app",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			c := parse(t, "name: my-app\nruntime: go:1.22\nservices: ["+tt.service+"]\n")
			objs, err := Manifests(Input{PullPolicy: corev1.PullNever, Config: c, Image: "cupaas/my-app:abc", Credentials: fixedCredentials()})
			if err != nil {
				t.Fatal(err)
			}
			s := findSecret(objs, "my-app-env")
			if len(s.Data) != len(tt.want) {
				t.Errorf("env Secret has keys %v, want %d", slices.Sorted(maps.Keys(s.Data)), len(tt.want))
			}
			for k, v := range tt.want {
				if got := string(s.Data[k]); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			// The names are the contract of config's catalogue.
			for _, n := range c.Services[0].Spec().EnvNames {
				if _, ok := s.Data[n]; !ok {
					t.Errorf("catalogue promises %s, not set", n)
				}
			}
			for k, v := range s.Data {
				if strings.Contains(string(v), "host.minikube.internal") {
					t.Errorf("%s uses host.minikube.internal", k)
				}
			}
		})
	}
}

// TestConnectionEscaping checks that credentials with URL-special
// characters (such as ones read back from a cluster) are escaped.
func TestConnectionEscaping(t *testing.T) {
	c := parse(t, "name: a\nruntime: go:1.22\nservices: [postgresql]\n")
	creds := map[string]credentials.Service{"postgresql": {Username: "us@er", Password: "p:a/s?s#"}}
	objs, err := Manifests(Input{PullPolicy: corev1.PullNever, Config: c, Image: "cupaas/a:abc", Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	s := findSecret(objs, "a-env")
	u, err := url.Parse(string(s.Data["DATABASE_URL"]))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	if u.User.Username() != "us@er" || pw != "p:a/s?s#" || u.Host != "a-postgresql:5432" || u.Path != "/a" {
		t.Errorf("DATABASE_URL %s does not round-trip: user %q password %q host %q path %q", s.Data["DATABASE_URL"], u.User.Username(), pw, u.Host, u.Path)
	}
	if got := string(s.Data["PGPASSWORD"]); got != "p:a/s?s#" {
		t.Errorf("PGPASSWORD = %q", got)
	}
}

func TestManifestsDeployment(t *testing.T) {
	t.Run("autoscale omits replicas", func(t *testing.T) {
		objs := renderCase(t, caseIndex(t, "all-autoscale"))
		dep := findDeployment(objs)
		if dep.Spec.Replicas != nil {
			t.Errorf("replicas = %d with autoscale", *dep.Spec.Replicas)
		}
		res := dep.Spec.Template.Spec.Containers[0].Resources
		if res.Requests.Cpu().String() != "100m" {
			t.Errorf("cpu request = %s, want the 100m default", res.Requests.Cpu())
		}
		if res.Limits.Memory().String() != "512Mi" || res.Requests.Memory().String() != "512Mi" {
			t.Errorf("memory request/limit = %s/%s", res.Requests.Memory(), res.Limits.Memory())
		}
		if res.Limits.Cpu().String() != "0" {
			t.Errorf("a CPU limit is set: %s", res.Limits.Cpu())
		}
		if dep.Annotations[AnnotationCommit] != "fedcba9876543210fedcba9876543210fedcba98" {
			t.Errorf("commit annotation = %q", dep.Annotations[AnnotationCommit])
		}
		p := dep.Spec.Template.Spec.Containers[0].ReadinessProbe
		if p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.StrVal != "http" {
			t.Errorf("readiness probe = %+v, want GET /healthz on http", p.ProbeHandler)
		}
	})
	t.Run("security context", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			forced bool
		}{{"seed", true}, {"own-dockerfile", false}} {
			dep := findDeployment(renderCase(t, caseIndex(t, tc.name)))
			sc := dep.Spec.Template.Spec.Containers[0].SecurityContext
			if forced := sc.RunAsNonRoot != nil && *sc.RunAsNonRoot; forced != tc.forced {
				t.Errorf("%s: runAsNonRoot forced = %v, want %v", tc.name, forced, tc.forced)
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
				t.Errorf("%s: security context = %+v", tc.name, sc)
			}
			if dep.Spec.Template.Spec.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: no RuntimeDefault seccomp profile", tc.name)
			}
			if dep.Spec.Template.Spec.Containers[0].ImagePullPolicy != corev1.PullNever {
				t.Errorf("%s: imagePullPolicy = %s", tc.name, dep.Spec.Template.Spec.Containers[0].ImagePullPolicy)
			}
		}
	})
	t.Run("no commit, no annotation", func(t *testing.T) {
		dep := findDeployment(renderCase(t, caseIndex(t, "redis")))
		if _, ok := dep.Annotations[AnnotationCommit]; ok {
			t.Errorf("commit annotation without a commit")
		}
		p := dep.Spec.Template.Spec.Containers[0].LivenessProbe
		if p.TCPSocket == nil || p.TCPSocket.Port.StrVal != "http" || p.InitialDelaySeconds != 10 || p.FailureThreshold != 6 {
			t.Errorf("liveness probe = %+v", p)
		}
	})
}

// TestConfigHash checks that a change of env or of a secret changes the
// pod template's hash (so that the pods roll), and nothing else does.
func TestConfigHash(t *testing.T) {
	base := "name: a\nruntime: go:1.22\nservices: [redis]\nenv: {A: \"1\"}\n"
	hash := func(t *testing.T, cfg string, secrets map[string]string, creds map[string]credentials.Service) string {
		t.Helper()
		objs, err := Manifests(Input{PullPolicy: corev1.PullNever, Config: parse(t, cfg), Image: "cupaas/a:abc", Credentials: creds, Secrets: secrets})
		if err != nil {
			t.Fatal(err)
		}
		h := findDeployment(objs).Spec.Template.Annotations[AnnotationConfigHash]
		if len(h) != 16 {
			t.Fatalf("hash %q is not 16 hex digits", h)
		}
		return h
	}
	h0 := hash(t, base, map[string]string{"S": "x"}, fixedCredentials())
	if h := hash(t, base, map[string]string{"S": "x"}, fixedCredentials()); h != h0 {
		t.Errorf("hash not stable: %s, %s", h0, h)
	}
	if h := hash(t, base+"replicas: 3\n", map[string]string{"S": "x"}, fixedCredentials()); h != h0 {
		t.Errorf("replicas changed the hash")
	}
	changes := map[string]func(t *testing.T) string{
		"env value": func(t *testing.T) string {
			return hash(t, strings.Replace(base, `"1"`, `"2"`, 1), map[string]string{"S": "x"}, fixedCredentials())
		},
		"secret value": func(t *testing.T) string { return hash(t, base, map[string]string{"S": "y"}, fixedCredentials()) },
		"secret moved to env": func(t *testing.T) string {
			return hash(t, "name: a\nruntime: go:1.22\nservices: [redis]\nenv: {A: \"1\", S: x}\n", nil, fixedCredentials())
		},
		"credentials": func(t *testing.T) string {
			return hash(t, base, map[string]string{"S": "x"}, map[string]credentials.Service{"redis": {Username: "app", Password: "other"}})
		},
	}
	for name, f := range changes {
		t.Run(name, func(t *testing.T) {
			if f(t) == h0 {
				t.Errorf("hash did not change")
			}
		})
	}
}

func TestManifestsErrors(t *testing.T) {
	tests := []struct {
		name, config string
		secrets      map[string]string
		creds        map[string]credentials.Service
		want         string
	}{
		{"secret sets PORT", "name: a\nruntime: go:1.22\n", map[string]string{"PORT": "1"}, nil, "PORT cannot be set"},
		{"secret sets a connection setting", "name: a\nruntime: go:1.22\nservices: [redis]\n", map[string]string{"REDIS_URL": "x"}, fixedCredentials(), "for the redis service"},
		{"secret and env", "name: a\nruntime: go:1.22\nenv: {K: v}\n", map[string]string{"K": "x"}, nil, "both in env"},
		{"bad secret name", "name: a\nruntime: go:1.22\n", map[string]string{"1X": "x"}, nil, "not a valid variable name"},
		{"missing credentials", "name: a\nruntime: go:1.22\nservices: [mysql]\n", nil, map[string]credentials.Service{}, "no credentials for service mysql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Manifests(Input{PullPolicy: corev1.PullNever, Config: parse(t, tt.config), Image: "cupaas/a:abc", Credentials: tt.creds, Secrets: tt.secrets})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestEncodeRedaction(t *testing.T) {
	objs := renderCase(t, caseIndex(t, "mysql"))
	plain, err := Encode(objs, false)
	if err != nil {
		t.Fatal(err)
	}
	redacted, err := Encode(objs, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"MysqlPass123", "s3cr3t"} {
		b64 := base64.StdEncoding.EncodeToString([]byte(secret))
		if !strings.Contains(string(plain), b64) {
			t.Errorf("plain output lacks %s (base64 %s)", secret, b64)
		}
		if strings.Contains(string(redacted), b64) || strings.Contains(string(redacted), secret) {
			t.Errorf("redacted output shows %s", secret)
		}
	}
	for _, key := range []string{"API_KEY: <redacted>", "SESSION_SECRET: <redacted>", "MYSQL_ROOT_PASSWORD: <redacted>", "DATABASE_URL: <redacted>"} {
		if !strings.Contains(string(redacted), key) {
			t.Errorf("redacted output lacks %q", key)
		}
	}
	// The hash comes from the real values: redaction does not change it.
	hashLine := func(b []byte) string {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, AnnotationConfigHash) {
				return l
			}
		}
		return ""
	}
	if h := hashLine(plain); h == "" || h != hashLine(redacted) {
		t.Errorf("hash annotation differs: %q vs %q", hashLine(plain), hashLine(redacted))
	}
	// Encoding did not change the objects.
	if string(findSecret(objs, "blog-env").Data["API_KEY"]) != "s3cr3t" {
		t.Errorf("Encode modified the Secret")
	}
}

func TestEncodeNoNoise(t *testing.T) {
	for i, tc := range manifestCases {
		out, err := Encode(renderCase(t, i), false)
		if err != nil {
			t.Fatal(err)
		}
		for _, noise := range []string{"creationTimestamp", "status:", ": null", ": {}", "strategy: {}", "resources: {}"} {
			if strings.Contains(string(out), noise) {
				t.Errorf("%s: output contains %q", tc.name, noise)
			}
		}
	}
}

func caseIndex(t testing.TB, name string) int {
	for i, tc := range manifestCases {
		if tc.name == name {
			return i
		}
	}
	t.Fatalf("no case %s", name)
	return -1
}

func findDeployment(objs []runtime.Object) *appsv1.Deployment {
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok {
			return d
		}
	}
	return nil
}

func findSecret(objs []runtime.Object, name string) *corev1.Secret {
	for _, o := range objs {
		if s, ok := o.(*corev1.Secret); ok && s.Name == name {
			return s
		}
	}
	return nil
}

// redis reads its password from the redis.conf of its Secret, mounted
// read-only; its command line has no password, and no $(VAR) expands one.
func TestRedisPasswordInAConfigFile(t *testing.T) {
	c := parse(t, "name: counter\nruntime: go:1.22\nservices: [redis]\n")
	pw := `p"a\ss wörd`
	objs, err := Manifests(Input{Config: c, Image: "cupaas/counter:0123456789ab", Credentials: map[string]credentials.Service{"redis": {Username: "app", Password: pw}}})
	if err != nil {
		t.Fatal(err)
	}
	sts := findStatefulSet(objs)
	ctr := sts.Spec.Template.Spec.Containers[0]
	if got := strings.Join(ctr.Args, " "); got != "redis-server /etc/redis/redis.conf --appendonly yes" || len(ctr.Command) != 0 {
		t.Fatalf("command %q, args %q", ctr.Command, got)
	}
	secret := findSecret(objs, "counter-redis")
	if got, want := string(secret.Data["redis.conf"]), "# Written by cupaas.\nrequirepass \"p\\\"a\\\\ss w\\xc3\\xb6rd\"\n"; got != want {
		t.Fatalf("redis.conf = %q, want %q", got, want)
	}
	if string(secret.Data["REDIS_PASSWORD"]) != pw {
		t.Fatalf("REDIS_PASSWORD = %q: deploy reads the password back from it", secret.Data["REDIS_PASSWORD"])
	}
	vols := sts.Spec.Template.Spec.Volumes
	if len(vols) != 1 || vols[0].Secret == nil || vols[0].Secret.SecretName != "counter-redis" || *vols[0].Secret.DefaultMode != 0o440 ||
		len(vols[0].Secret.Items) != 1 || vols[0].Secret.Items[0].Key != "redis.conf" {
		t.Fatalf("volumes %+v", vols)
	}
	if m := ctr.VolumeMounts[1]; m.Name != vols[0].Name || m.MountPath != "/etc/redis" || !m.ReadOnly {
		t.Fatalf("mount %+v", m)
	}
	if sc := sts.Spec.Template.Spec.SecurityContext; sc == nil || sc.FSGroup == nil || *sc.FSGroup != 999 {
		t.Fatalf("securityContext %+v", sc)
	}
	for _, e := range ctr.Env {
		if e.Name == "redis.conf" {
			t.Fatal("the config file is also an environment variable")
		}
	}
	// The other services keep their settings in their environment only.
	for _, o := range objs {
		if s, ok := o.(*appsv1.StatefulSet); ok && s.Name != sts.Name && len(s.Spec.Template.Spec.Volumes) > 0 {
			t.Errorf("%s has volumes", s.Name)
		}
	}
}
