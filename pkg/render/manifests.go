package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
)

// Label and annotation keys set by cupaas.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = "cupaas"
	// AnnotationCommit on the Deployment records the git revision of the image.
	AnnotationCommit = "cupaas.dev/commit"
	// AppContainer names the app's container in its pod template.
	AppContainer = "app"
	// AnnotationConfigHash on the pod template changes with the app's
	// settings, so that a change of env alone rolls the pods.
	AnnotationConfigHash = "cupaas.dev/config-hash"
	// ComponentApp is the component label of the app's own objects.
	ComponentApp = "app"
)

// Port names and sizes used in the manifests.
const (
	httpPortName    = "http"
	appServicePort  = 80
	dataVolumeName  = "data"
	dataVolumeSize  = "1Gi"
	revisionHistory = 3
)

// Input is everything the manifests are made from.
type Input struct {
	// Config is the validated `.cupaas.yml`.
	Config *config.Config
	// Image is the app's image reference, as the cluster names it (see
	// pkg/cluster), such as cupaas/<name>:<tag>.
	Image string
	// PullPolicy is the app container's pull policy, chosen by the cluster.
	PullPolicy corev1.PullPolicy
	// Commit is the git revision of the source, such as abc123…-dirty; ""
	// when unknown.
	Commit string
	// Credentials are the generated credentials, by canonical service name.
	// Every service of the config needs an entry.
	Credentials map[string]credentials.Service
	// Secrets are the app's secret settings, from `.cupaas.env`.
	Secrets map[string]string
	// SecretsFile names where Secrets came from, for messages; "" means
	// `.cupaas.env`.
	SecretsFile string
}

// Names of the app's objects.
func configMapName(app string) string { return app + "-config" }
func envSecretName(app string) string { return app + "-env" }

// Manifests returns the Kubernetes objects of the app, in apply order: the
// Namespace; for each service its Secret, StatefulSet and Service; then the
// app's ConfigMap, Secret, Deployment, Service and, with autoscale, its
// HorizontalPodAutoscaler.
func Manifests(in Input) ([]runtime.Object, error) {
	c := in.Config
	if c == nil {
		return nil, fmt.Errorf("internal error: no config to render")
	}
	if in.Image == "" {
		return nil, fmt.Errorf("internal error: no image to render")
	}
	app := c.Name
	objs := []runtime.Object{namespace(app)}

	connection := map[string]string{}
	from := map[string]string{} // connection setting -> service that set it
	known := backings()
	for _, s := range c.Services {
		b, ok := known[s.Name]
		if !ok {
			return nil, fmt.Errorf("cupaas cannot run service %s yet", s.Name)
		}
		cred, ok := in.Credentials[s.Name]
		if !ok || cred.Password == "" {
			return nil, fmt.Errorf("internal error: no credentials for service %s", s.Name)
		}
		spec := s.Spec()
		name := serviceObjectName(app, s)
		db := DatabaseName(app)
		env := b.secretEnv(cred, db)
		data := maps.Clone(env)
		var files []string
		if b.configFiles != nil {
			for k, v := range b.configFiles(cred) {
				data[k] = v
				files = append(files, k)
			}
		}
		secret := secretObject(app, name, s.Name, s.Name, data)
		objs = append(objs, secret, statefulSet(app, s, spec, b, secret, slices.Sorted(maps.Keys(env)), files), backingService(app, s, spec))
		for k, v := range b.connection(cred, name, spec.Port, db) {
			if prev, dup := from[k]; dup {
				return nil, fmt.Errorf("services %s and %s both set %s; an app can use only one of them", prev, s.Name, k)
			}
			from[k] = s.Name
			connection[k] = v
		}
	}

	plain := map[string]string{}
	for _, e := range c.Env {
		if err := config.CheckEnvSize(e.Key, e.Value); err != nil {
			return nil, fmt.Errorf("%s: env: %v", c.File, err)
		}
		plain[e.Key] = e.Value
	}
	secretsFile := in.SecretsFile
	if secretsFile == "" {
		secretsFile = ".cupaas.env"
	}
	secret := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(in.Secrets)) {
		v := in.Secrets[k]
		switch {
		case !config.ValidEnvKey(k):
			return nil, fmt.Errorf("%s: secret %q is not a valid variable name: use letters, digits and '_', not starting with a digit", secretsFile, k)
		case k == "PORT":
			return nil, fmt.Errorf("%s: PORT cannot be set: cupaas sets it from `port:` in %s", secretsFile, c.File)
		case from[k] != "":
			return nil, fmt.Errorf("%s: %s cannot be set: cupaas sets it for the %s service; remove it", secretsFile, k, from[k])
		}
		if err := config.CheckEnvSize(k, v); err != nil {
			return nil, fmt.Errorf("%s: %v", secretsFile, err)
		}
		if _, dup := plain[k]; dup {
			return nil, fmt.Errorf("%s is set both in env: of %s and in %s; keep one of them", k, c.File, secretsFile)
		}
		secret[k] = v
	}
	for k, v := range connection {
		secret[k] = v
	}

	cm := configMap(app, plain)
	envSecret := secretObject(app, envSecretName(app), app, ComponentApp, secret)
	objs = append(objs, cm, envSecret)
	dep, err := deployment(in, configHash(cm.Data, envSecret.Data))
	if err != nil {
		return nil, err
	}
	objs = append(objs, dep, appService(app))
	if c.Domain != "" {
		objs = append(objs, ingress(c))
	}
	if c.Autoscale != nil {
		objs = append(objs, hpa(app, c.Autoscale))
	}
	return objs, nil
}

// Labels returns the labels of an object of the app instance.
func Labels(instance, name, component string) map[string]string {
	return map[string]string{
		LabelName:      name,
		LabelInstance:  instance,
		LabelComponent: component,
		LabelManagedBy: ManagedBy,
	}
}

// Selector returns the labels that select the pods of a component.
func Selector(instance, component string) map[string]string {
	return map[string]string{LabelInstance: instance, LabelComponent: component}
}

func meta(app, name, labelName, component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: app, Labels: Labels(app, labelName, component)}
}

func namespace(app string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: app, Labels: Labels(app, app, ComponentApp)},
	}
}

func secretObject(app, name, labelName, component string, values map[string]string) *corev1.Secret {
	// data, not stringData: `kubectl apply` cannot remove a key that was
	// given in stringData.
	data := make(map[string][]byte, len(values))
	for k, v := range values {
		data[k] = []byte(v)
	}
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: meta(app, name, labelName, component),
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
}

func configMap(app string, values map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta(app, configMapName(app), app, ComponentApp),
		Data:       values,
	}
}

// configVolumeName names the volume of a service's config files.
const configVolumeName = "config"

// statefulSet runs a service: envKeys of its Secret become environment
// variables, files of it are mounted read-only in b.configDir.
func statefulSet(app string, s config.Service, spec config.ServiceSpec, b backing, secret *corev1.Secret, envKeys, files []string) *appsv1.StatefulSet {
	name := secret.Name
	var env []corev1.EnvVar
	for _, k := range envKeys {
		env = append(env, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: k},
		}})
	}
	env = append(env, b.env...)
	portName := s.Name // at most 15 characters, as Kubernetes requires
	mounts := []corev1.VolumeMount{{Name: dataVolumeName, MountPath: b.mountPath}}
	var volumes []corev1.Volume
	var security *corev1.PodSecurityContext
	if len(files) > 0 {
		var items []corev1.KeyToPath
		for _, f := range slices.Sorted(slices.Values(files)) {
			items = append(items, corev1.KeyToPath{Key: f, Path: f})
		}
		// Readable by root and the group only: the files hold the
		// password.
		volumes = []corev1.Volume{{Name: configVolumeName, VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{SecretName: name, Items: items, DefaultMode: ptr(int32(0o440))},
		}}}
		mounts = append(mounts, corev1.VolumeMount{Name: configVolumeName, MountPath: b.configDir, ReadOnly: true})
		if b.fsGroup != 0 {
			security = &corev1.PodSecurityContext{FSGroup: ptr(b.fsGroup)}
		}
	}
	return &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: meta(app, name, s.Name, s.Name),
		Spec: appsv1.StatefulSetSpec{
			ServiceName: name,
			Replicas:    ptr(int32(1)),
			Selector:    &metav1.LabelSelector{MatchLabels: Selector(app, s.Name)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: Labels(app, s.Name, s.Name)},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: ptr(false),
					SecurityContext:              security,
					Volumes:                      volumes,
					Containers: []corev1.Container{{
						Name:  s.Name,
						Image: spec.Image + ":" + s.Version,
						Args:  b.args,
						Ports: []corev1.ContainerPort{{Name: portName, ContainerPort: int32(spec.Port)}},
						Env:   env,
						// A TCP check, deliberately: it works with every
						// image (a stand-in without mongosh too), and
						// postgres and mysql listen on TCP only once their
						// initialisation is done.
						// Probed every second, so that a service is
						// known ready within a second of listening; ten
						// failures in a row (10 s) make it unready.
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:     corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString(portName)}},
							PeriodSeconds:    1,
							FailureThreshold: 10,
						},
						VolumeMounts: mounts,
					}},
				},
			},
			// The data lives on a PersistentVolumeClaim that outlives the
			// pod and redeploys; no storageClassName takes the cluster's
			// default.
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
				ObjectMeta: metav1.ObjectMeta{Name: dataVolumeName, Labels: Labels(app, s.Name, s.Name)},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(dataVolumeSize)},
					},
				},
			}},
		},
	}
}

func backingService(app string, s config.Service, spec config.ServiceSpec) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(app, serviceObjectName(app, s), s.Name, s.Name),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: Selector(app, s.Name),
			Ports: []corev1.ServicePort{{
				Name:       s.Name,
				Port:       int32(spec.Port),
				TargetPort: intstr.FromString(s.Name),
			}},
		},
	}
}

func deployment(in Input, hash string) (*appsv1.Deployment, error) {
	c := in.Config
	app := c.Name
	m := meta(app, app, app, ComponentApp)
	if in.Commit != "" {
		m.Annotations = map[string]string{AnnotationCommit: in.Commit}
	}
	probe := corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString(httpPortName)}}
	if c.Healthcheck != "" {
		probe = corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: c.Healthcheck, Port: intstr.FromString(httpPortName)}}
	}
	res, err := resources(c.Resources)
	if err != nil {
		return nil, err
	}
	sc := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	if c.Dockerfile == "" {
		// The generated Dockerfiles set a numeric USER. An own Dockerfile
		// may run as root, or as a named user that Kubernetes cannot check.
		sc.RunAsNonRoot = ptr(true)
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: m,
		Spec: appsv1.DeploymentSpec{
			RevisionHistoryLimit: ptr(int32(revisionHistory)),
			Selector:             &metav1.LabelSelector{MatchLabels: Selector(app, ComponentApp)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      Labels(app, app, ComponentApp),
					Annotations: map[string]string{AnnotationConfigHash: hash},
				},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: ptr(false),
					// cupaas injects every address the app needs; the
					// Docker-link variables would only add noise.
					EnableServiceLinks: ptr(false),
					SecurityContext: &corev1.PodSecurityContext{
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:  AppContainer,
						Image: in.Image,
						// The cluster decides: Never for an image loaded
						// into the node, IfNotPresent for one pulled by digest.
						ImagePullPolicy: in.PullPolicy,
						Ports:           []corev1.ContainerPort{{Name: httpPortName, ContainerPort: int32(c.Port)}},
						Env:             []corev1.EnvVar{{Name: "PORT", Value: strconv.Itoa(c.Port)}},
						EnvFrom: []corev1.EnvFromSource{
							{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: configMapName(app)}}},
							{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: envSecretName(app)}}},
						},
						// Probed every second: a new pod takes traffic
						// (and a rollout goes on) within a second of
						// answering, where a 5 s period made every deploy
						// wait 2.5 s on average. Ten failures in a row
						// (10 s) take it out of the Service.
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:     probe,
							PeriodSeconds:    1,
							FailureThreshold: 10,
						},
						LivenessProbe: &corev1.Probe{
							ProbeHandler:        probe,
							InitialDelaySeconds: 10,
							PeriodSeconds:       10,
							FailureThreshold:    6,
						},
						Resources:       res,
						SecurityContext: sc,
					}},
				},
			},
		},
	}
	if c.Autoscale == nil {
		// With autoscale the HorizontalPodAutoscaler owns the count; a
		// replicas field would reset it on every apply.
		d.Spec.Replicas = ptr(int32(c.Replicas))
	}
	return d, nil
}

// resources turns the config's requests into the container's resources; the
// memory request is also the limit, since memory cannot be reclaimed
// without killing the process.
func resources(r config.Resources) (corev1.ResourceRequirements, error) {
	var out corev1.ResourceRequirements
	if r.CPU == "" && r.Memory == "" {
		return out, nil
	}
	out.Requests = corev1.ResourceList{}
	if r.CPU != "" {
		q, err := resource.ParseQuantity(r.CPU)
		if err != nil {
			return out, fmt.Errorf("resources.cpu %q: %v", r.CPU, err)
		}
		out.Requests[corev1.ResourceCPU] = q
	}
	if r.Memory != "" {
		q, err := resource.ParseQuantity(r.Memory)
		if err != nil {
			return out, fmt.Errorf("resources.memory %q: %v", r.Memory, err)
		}
		out.Requests[corev1.ResourceMemory] = q
		out.Limits = corev1.ResourceList{corev1.ResourceMemory: q}
	}
	return out, nil
}

func appService(app string) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(app, app, app, ComponentApp),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeNodePort,
			Selector: Selector(app, ComponentApp),
			Ports: []corev1.ServicePort{{
				Name:       httpPortName,
				Port:       appServicePort,
				TargetPort: intstr.FromString(httpPortName),
			}},
		},
	}
}

func hpa(app string, a *config.Autoscale) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: meta(app, app, app, ComponentApp),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: app},
			MinReplicas:    ptr(int32(a.Min)),
			MaxReplicas:    int32(a.Max),
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name: corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{
						Type:               autoscalingv2.UtilizationMetricType,
						AverageUtilization: ptr(int32(a.CPU)),
					},
				},
			}},
		},
	}
}

// configHash is the first 16 hex digits of a SHA-256 over the app's
// settings and secrets, in sorted key order, with every string
// length-prefixed so that no two inputs hash alike.
func configHash(plain map[string]string, secret map[string][]byte) string {
	h := sha256.New()
	writeField(h, "configmap")
	for _, k := range slices.Sorted(maps.Keys(plain)) {
		writeField(h, k)
		writeField(h, plain[k])
	}
	writeField(h, "secret")
	for _, k := range slices.Sorted(maps.Keys(secret)) {
		writeField(h, k)
		writeField(h, string(secret[k]))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func writeField(h hash.Hash, s string) {
	fmt.Fprintf(h, "%d:%s;", len(s), s)
}

func ptr[T any](v T) *T { return &v }
