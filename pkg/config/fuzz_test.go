package config

import (
	"errors"
	"testing"
	"time"
)

// FuzzParse checks that any input gives either a valid config or a
// *config.Error with at least one problem, quickly, and never a panic.
// Seeds: the f.Add calls below and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"name: tasks\nruntime: python:3.8.6\nentrypoint: [python, app.py]\nport: 5000\nservices:\n  - mongodb: 6.0.2\n  - redis\n",
		"runtime: node:20\nautoscale: {min: 1, max: 5, cpu: 80}\nresources: {cpu: 250m, memory: 256Mi}\nenv:\n  A: b\n",
		"dockerfile: Dockerfile\nport: 80\n",
		"services: {mongodb: 7.10, postgres: ~}\n",
		"a: &a [x]\nb: *a\n",
		"\t- x\n",
		"",
		"---\n---\n",
		"runtime: [",
		"env: {PORT: 1, 1x: y}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		c, err := Parse(".cupaas.yml", data)
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("Parse took %v on %d bytes", took, len(data))
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("error is not a *config.Error with problems: %T %v", err, err)
			}
			if c != nil {
				t.Fatal("both a config and an error")
			}
			return
		}
		if c.Runtime == nil && c.Dockerfile == "" {
			t.Fatal("valid config without runtime or dockerfile")
		}
		if c.Port < 1 || c.Port > 65535 {
			t.Fatalf("valid config with port %d", c.Port)
		}
	})
}
