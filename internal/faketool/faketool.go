// Package faketool is a programmable stand-in for docker, kubectl and
// minikube in end-to-end CLI tests (testscript). It is never part of the
// cupaas binary.
//
// Every call appends its command line to $FAKE_LOG. What a call does comes
// from the rules in $FAKE_RULES, one per line, first match wins:
//
//	<tool> <regexp on the args> => <action>[; <action>...]
//
// Actions: `exit N`, `stdout TEXT`, `stderr TEXT` (TEXT with \n escapes),
// `stdout-file PATH`, `sleep DURATION`, `hang` (until killed), `once` (the
// rule matches one call only), `times N`, `stdin` (append the input to
// $FAKE_STDIN). TEXT and PATH may name environment variables ($WORK).
//
// A call no rule matches behaves like a small model of the real tools:
// `docker build -t IMAGE` remembers IMAGE, `docker image inspect IMAGE`
// fails unless it was built, `minikube image load IMAGE` remembers it on the
// node and `minikube image ls` lists the node's images (state in $FAKE_STATE);
// `kubectl apply -f FILE` remembers the app Deployment's image and config
// hash (`kubectl patch` the new hash), which a `stdout-file` puts in place
// of @IMAGE@ and @HASH@ (pods of the current rollout); release records
// (Secrets of type cupaas.dev/release.v1 applied on stdin) are kept, listed
// by `kubectl get secrets -l ...cupaas.dev/release... -o json` and removed
// by `kubectl delete secret NAME...`; anything else exits 0 silently.
package faketool

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kballard/go-shellquote"
)

// Main runs the fake tool named name with os.Args and returns the exit code.
func Main(name string) int {
	args := os.Args[1:]
	line := shellquote.Join(args...)
	if log := os.Getenv("FAKE_LOG"); log != "" {
		appendFile(log, name+" "+line+"\n")
	}
	rules := os.Getenv("FAKE_RULES")
	if rules == "" {
		return 0
	}
	data, err := os.ReadFile(rules)
	if err != nil {
		return 0
	}
	for i, rule := range strings.Split(string(data), "\n") {
		rule = strings.TrimSpace(rule)
		if rule == "" || strings.HasPrefix(rule, "#") {
			continue
		}
		tool, rest, _ := strings.Cut(rule, " ")
		pattern, actions, ok := strings.Cut(rest, "=>")
		if !ok || tool != name {
			continue
		}
		re, err := regexp.Compile(strings.TrimSpace(pattern))
		if err != nil {
			fmt.Fprintf(os.Stderr, "faketool: bad rule %d: %v\n", i+1, err)
			return 99
		}
		if !re.MatchString(line) {
			continue
		}
		if !take(rules, i, actions) {
			continue
		}
		return perform(actions)
	}
	return model(name, args)
}

// model is the default behaviour of docker and minikube image commands.
func model(name string, args []string) int {
	dir := os.Getenv("FAKE_STATE")
	if dir == "" {
		return 0
	}
	built, node := filepath.Join(dir, "docker-images"), filepath.Join(dir, "node-images")
	has := func(file, image string) bool {
		data, _ := os.ReadFile(file)
		for _, l := range strings.Split(string(data), "\n") {
			if l == image {
				return true
			}
		}
		return false
	}
	switch {
	case name == "kubectl" && slices.Contains(args, "apply"):
		if i := slices.Index(args, "-f"); i >= 0 && i+1 < len(args) && args[i+1] != "-" {
			rememberApplied(filepath.Join(dir, "applied"), args[i+1])
		} else if i >= 0 {
			data, _ := io.ReadAll(os.Stdin)
			keepReleases(data)
		}
	case name == "kubectl" && slices.Contains(args, "get") && slices.Contains(args, "-f"):
		// The objects of the file are all in the cluster: their names.
		if i := slices.Index(args, "-f"); i+1 < len(args) {
			data, _ := os.ReadFile(args[i+1])
			for _, doc := range strings.Split(string(data), "\n---\n") {
				kind, name := "", ""
				for _, l := range strings.Split(doc, "\n") {
					if k, ok := strings.CutPrefix(l, "kind: "); ok && kind == "" {
						kind = strings.ToLower(k)
					}
					if n, ok := strings.CutPrefix(l, "  name: "); ok && name == "" {
						name = n
					}
				}
				if kind != "" {
					fmt.Println(kind + "/" + name)
				}
			}
		}
	case name == "kubectl" && slices.Contains(args, "get") && slices.Contains(args, "secrets") && strings.Contains(strings.Join(args, " "), ",cupaas.dev/release"):
		listReleases()
	case name == "kubectl" && slices.Contains(args, "delete") && slices.Contains(args, "secret"):
		for _, a := range args {
			if strings.HasPrefix(a, "cupaas.release.") {
				os.Remove(filepath.Join(dir, "releases", a+".json"))
			}
		}
	case name == "kubectl" && slices.Contains(args, "patch"):
		// env set: the new config hash of the pod template.
		if i := slices.Index(args, "-p"); i >= 0 && i+1 < len(args) {
			if _, h, ok := strings.Cut(args[i+1], `"cupaas.dev/config-hash":"`); ok {
				image, _ := applied()
				hash, _, _ := strings.Cut(h, `"`)
				os.WriteFile(filepath.Join(dir, "applied"), []byte(image+"\n"+hash+"\n"), 0o644)
			}
		}
	case name == "docker" && len(args) > 2 && args[0] == "build" && args[1] == "-t":
		// Like docker, read the whole build context before building: a
		// reader that stops early is what deploy calls a broken build.
		if args[len(args)-1] == "-" {
			io.Copy(io.Discard, os.Stdin)
		}
		appendFile(built, args[2]+"\n")
	case name == "docker" && len(args) > 1 && args[0] == "image" && args[1] == "inspect":
		image := args[len(args)-1]
		if !has(built, image) {
			fmt.Fprintf(os.Stderr, "Error response from daemon: No such image: %s\n", image)
			return 1
		}
		if slices.Contains(args, "{{json .RepoDigests}}") {
			fmt.Println(repoDigests(dir, image))
			return 0
		}
		fmt.Println("sha256:0123456789abcdef")
	case name == "docker" && len(args) == 3 && args[0] == "tag":
		// The target names the source's image: as many builds of it as
		// of the source, so that a push of a rebuilt image is a new
		// digest and a re-tag of the same one is not.
		data, _ := os.ReadFile(built)
		src, dst := strings.Count(string(data), args[1]+"\n"), strings.Count(string(data), args[2]+"\n")
		if src == 0 {
			fmt.Fprintf(os.Stderr, "Error response from daemon: No such image: %s\n", args[1])
			return 1
		}
		for ; dst < src; dst++ {
			appendFile(built, args[2]+"\n")
		}
	case name == "docker" && len(args) == 2 && args[0] == "push":
		return push(dir, args[1])
	case name == "minikube" && len(args) > 2 && args[0] == "image" && args[1] == "load":
		appendFile(node, "docker.io/"+args[2]+"\n")
	case name == "minikube" && len(args) > 1 && args[0] == "image" && args[1] == "ls":
		data, _ := os.ReadFile(node)
		fmt.Print("registry.k8s.io/pause:3.10\n" + string(data))
	}
	return 0
}

// push models `docker push IMAGE` to a registry: the digest is a hash of
// the image's name and how many times it was built (a rebuild is a new
// image). The image's RepoDigests and the registry's tags (the file
// registry-tags, "REPO:TAG DIGEST" lines, which RegistryHandler serves)
// remember it.
func push(dir, image string) int {
	if !strings.Contains(image, ":") {
		fmt.Fprintln(os.Stderr, "faketool: docker push needs IMAGE:TAG")
		return 1
	}
	data, _ := os.ReadFile(filepath.Join(dir, "docker-images"))
	builds := strings.Count(string(data), image+"\n")
	if builds == 0 {
		fmt.Fprintf(os.Stderr, "An image does not exist locally with the tag: %s\n", image)
		return 1
	}
	digest := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(fmt.Sprintf("%s#%d", image, builds))))
	i := strings.LastIndex(image, ":")
	repo, tag := image[:i], image[i+1:]
	fmt.Printf("The push refers to repository [%s]\n5f70bf18a086: Pushed\n%s: digest: %s size: 528\n", repo, tag, digest)
	appendFile(filepath.Join(dir, "repo-digests"), image+" "+repo+"@"+digest+"\n")
	appendFile(filepath.Join(dir, "registry-tags"), image+" "+digest+"\n")
	return 0
}

// repoDigests is `docker image inspect --format {{json .RepoDigests}}`:
// the digest of the image's last push, if any.
func repoDigests(dir, image string) string {
	data, _ := os.ReadFile(filepath.Join(dir, "repo-digests"))
	last := ""
	for _, l := range strings.Split(string(data), "\n") {
		if img, ref, ok := strings.Cut(l, " "); ok && img == image {
			last = ref
		}
	}
	if last == "" {
		return "[]"
	}
	return `["` + last + `"]`
}

// RegistryHandler serves HEAD /v2/<name>/manifests/<tag> of the Docker
// Registry HTTP API from the tags the fake `docker push` recorded in
// dir/registry-tags under the registry's address host: 200 with
// Docker-Content-Digest, or 404.
func RegistryHandler(dir, host string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/v2/")
		i := strings.LastIndex(rest, "/manifests/")
		if !ok || i < 0 || r.Method != http.MethodHead {
			http.NotFound(w, r)
			return
		}
		image := host + "/" + rest[:i] + ":" + rest[i+len("/manifests/"):]
		data, _ := os.ReadFile(filepath.Join(dir, "registry-tags"))
		digest := ""
		for _, l := range strings.Split(string(data), "\n") {
			if img, d, ok := strings.Cut(l, " "); ok && img == image {
				digest = d
			}
		}
		if digest == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Docker-Content-Digest", digest)
		w.WriteHeader(http.StatusOK)
	})
}

// rememberApplied records the image and config hash of the app's
// Deployment in the manifest file.
func rememberApplied(state, manifest string) {
	data, err := os.ReadFile(manifest)
	if err != nil {
		return
	}
	var image, hash string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, "image: cupaas/"); ok && image == "" {
			image = "cupaas/" + v
		}
		if v, ok := strings.CutPrefix(l, "cupaas.dev/config-hash: "); ok && hash == "" {
			hash = strings.Trim(v, `"`)
		}
	}
	os.WriteFile(state, []byte(image+"\n"+hash+"\n"), 0o644)
}

// keepReleases stores the release records among the objects of an apply
// (a JSON List, as pkg/release sends them) in $FAKE_STATE/releases.
func keepReleases(data []byte) {
	dir := os.Getenv("FAKE_STATE")
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if dir == "" || json.Unmarshal(data, &list) != nil {
		return
	}
	for _, item := range list.Items {
		var obj struct {
			Type     string `json:"type"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if json.Unmarshal(item, &obj) == nil && obj.Type == "cupaas.dev/release.v1" {
			os.MkdirAll(filepath.Join(dir, "releases"), 0o755)
			os.WriteFile(filepath.Join(dir, "releases", obj.Metadata.Name+".json"), item, 0o644)
		}
	}
}

// listReleases prints the kept release records as kubectl's JSON list.
func listReleases() {
	files, _ := filepath.Glob(filepath.Join(os.Getenv("FAKE_STATE"), "releases", "*.json"))
	var items []string
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			items = append(items, string(data))
		}
	}
	fmt.Printf("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[%s]}\n", strings.Join(items, ","))
}

// applied returns what rememberApplied recorded.
func applied() (image, hash string) {
	data, _ := os.ReadFile(filepath.Join(os.Getenv("FAKE_STATE"), "applied"))
	// The image line may be empty (a patch before any apply -f FILE).
	image, hash, _ = strings.Cut(strings.TrimRight(string(data), "\n"), "\n")
	return image, hash
}

// take counts uses of a rule limited by `once` or `times N`.
func take(rules string, index int, actions string) bool {
	limit := 0
	for _, a := range split(actions) {
		switch {
		case a == "once":
			limit = 1
		case strings.HasPrefix(a, "times "):
			limit, _ = strconv.Atoi(strings.TrimPrefix(a, "times "))
		}
	}
	if limit == 0 {
		return true
	}
	counter := filepath.Join(filepath.Dir(rules), fmt.Sprintf(".fake-rule-%d", index))
	n := 0
	if data, err := os.ReadFile(counter); err == nil {
		n, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	if n >= limit {
		return false
	}
	os.WriteFile(counter, []byte(strconv.Itoa(n+1)), 0o644)
	return true
}

func split(actions string) []string {
	var out []string
	for _, a := range strings.Split(actions, ";") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func perform(actions string) int {
	code := 0
	for _, a := range split(actions) {
		verb, arg, _ := strings.Cut(a, " ")
		switch verb {
		case "exit":
			code, _ = strconv.Atoi(arg)
		case "stdout":
			fmt.Fprint(os.Stdout, unescape(os.ExpandEnv(arg)))
		case "stderr":
			fmt.Fprint(os.Stderr, unescape(os.ExpandEnv(arg)))
		case "stdout-file":
			if data, err := os.ReadFile(os.ExpandEnv(arg)); err == nil {
				image, hash := applied()
				os.Stdout.WriteString(strings.NewReplacer("@IMAGE@", image, "@HASH@", hash, "@APPPORT@", appPort()).Replace(string(data)))
			} else {
				fmt.Fprintf(os.Stderr, "faketool: %v\n", err)
				return 98
			}
		case "sleep":
			d, _ := time.ParseDuration(arg)
			time.Sleep(d)
		case "hang":
			time.Sleep(time.Hour)
		case "stdin":
			data, _ := io.ReadAll(bufio.NewReader(os.Stdin))
			if p := os.Getenv("FAKE_STDIN"); p != "" {
				appendFile(p, string(data))
			}
			keepReleases(data)
		}
	}
	return code
}

// appPort is the port of the fake app's URL in $FAKE_STATE/url.txt
// (written by App), for @APPPORT@: a Service's NodePort.
func appPort() string {
	data, _ := os.ReadFile(filepath.Join(os.Getenv("FAKE_STATE"), "url.txt"))
	u := strings.TrimSpace(string(data))
	return u[strings.LastIndex(u, ":")+1:]
}

func unescape(s string) string {
	return strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace(s)
}

func appendFile(path, text string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	f.WriteString(text)
}

// App is a stand-in for a deployed app: it serves HTTP on a free loopback
// port, writes its URL to the file named by its first argument, answers
// 200 on every path but /fail (500), and exits after 2 minutes.
func App() int {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fakeapp URLFILE")
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})}
	tmp := os.Args[1] + ".tmp"
	os.WriteFile(tmp, []byte("http://"+ln.Addr().String()+"\n"), 0o644)
	os.Rename(tmp, os.Args[1])
	// Ctrl-C (testscript's kill) ends it normally.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sig:
		case <-time.After(2 * time.Minute):
		}
		srv.Close()
	}()
	srv.Serve(ln)
	return 0
}

// ExitCode runs `exitcode FILE COMMAND ARGS...`: it runs the command with
// this process's standard streams, passes SIGINT and SIGTERM on to it, and
// writes its exit code to FILE (128+N when signal N killed it) before it
// exits with that code. testscript cannot assert exact exit codes by
// itself; a script reads FILE. With EXITCODE_FORWARD=TERM it passes a
// SIGINT on as SIGTERM. With EXITCODE_GROUP=1 the command runs in its own
// process group and a signal goes to the whole group, as a terminal's
// Ctrl-C does (to `git push` and the hook it runs).
func ExitCode() int {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: exitcode FILE COMMAND [ARGS...]")
		return 2
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	group := os.Getenv("EXITCODE_GROUP") == "1"
	if group {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 127
	}
	// testscript's kill sends only SIGINT and SIGKILL: with
	// EXITCODE_FORWARD=TERM a SIGINT is passed on as SIGTERM.
	forward := func(s os.Signal) os.Signal { return s }
	if os.Getenv("EXITCODE_FORWARD") == "TERM" {
		forward = func(os.Signal) os.Signal { return syscall.SIGTERM }
	}
	go func() {
		for s := range sig {
			if group {
				syscall.Kill(-cmd.Process.Pid, forward(s).(syscall.Signal))
				continue
			}
			cmd.Process.Signal(forward(s))
		}
	}()
	cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	os.WriteFile(os.Args[1], []byte(strconv.Itoa(code)+"\n"), 0o644)
	return code
}
