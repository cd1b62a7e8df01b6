package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// The start-up benchmarks time the real binary, process start and package
// initialisation included, as a user waits for it:
//
//	go test -run '^$' -bench . ./cmd/cupaas
//
// Targets: `cupaas version` and `cupaas render` of a small app (the
// Flask + Redis example) at most 20 ms each on the development machine.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cupaas once into a temporary directory.
func binary(b *testing.B) string {
	b.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cupaas-bench-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "cupaas")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, out}
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return binPath
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

// runEach runs the binary with args in dir b.N times; each run must
// succeed.
func runEach(b *testing.B, dir string, args ...string) {
	bin := binary(b)
	env := append(os.Environ(), "NO_COLOR=1", "XDG_CONFIG_HOME="+b.TempDir())
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("cupaas %v: %v\n%s", args, err, out)
		}
	}
}

func BenchmarkStartupVersion(b *testing.B) {
	runEach(b, b.TempDir(), "version")
}

func BenchmarkStartupRenderSmallApp(b *testing.B) {
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "..", "examples", "python-flask-redis")
	dir := filepath.Join(b.TempDir(), "app")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		b.Fatal(err)
	}
	// The first render writes the services' credentials; the benchmark
	// times the renders after it, as a user meets them.
	cmd := exec.Command(binary(b), "render")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("first render: %v\n%s", err, out)
	}
	runEach(b, dir, "render")
}
