package render

import (
	"strings"
	"testing"
)

func TestImageName(t *testing.T) {
	tests := []struct {
		app, tag, want, err string
	}{
		{app: "tasks", tag: "0123456789ab", want: "cupaas/tasks:0123456789ab"},
		{app: "My-App", tag: "V1.2_rc-3", want: "cupaas/my-app:v1.2_rc-3"},
		{app: "tasks", tag: "latest", err: "not allowed"},
		{app: "tasks", tag: "LATEST", err: "not allowed"},
		{app: "tasks", tag: "", err: "empty"},
		{app: "tasks", tag: "-x", err: "invalid image tag"},
		{app: "tasks", tag: "a/b", err: "invalid image tag"},
		{app: "tasks", tag: strings.Repeat("a", 129), err: "invalid image tag"},
		{app: "bad name", tag: "abc", err: "not a valid docker reference"},
	}
	for _, tt := range tests {
		t.Run(tt.app+":"+tt.tag, func(t *testing.T) {
			got, err := ImageName("cupaas", tt.app, tt.tag)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("ImageName = %q, %v; want an error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ImageName = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestImageNameFamiliar(t *testing.T) {
	for repo, want := range map[string]string{
		"docker.io/me":       "me/app:abc",
		"index.docker.io/me": "me/app:abc",
		"docker.io/library":  "app:abc",
		"docker.io/a/b":      "a/b/app:abc",
		"localhost:5000/x":   "localhost:5000/x/app:abc",
	} {
		if got, err := ImageName(repo, "app", "abc"); err != nil || got != want {
			t.Errorf("ImageName(%q) = %q, %v; want %q", repo, got, err, want)
		}
	}
}
