package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cupaas/cupaas/pkg/cmdutil"
	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

// runIn runs cupaas with args in a new app directory holding files, and
// returns the exit code, stdout and stderr.
func runIn(t *testing.T, files map[string]string, stderrTTY bool, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	ios, _, out, errOut := iostreams.Test()
	ios.SetStderrTTY(stderrTTY)
	ios.SetColor(true, false)
	f := &cmdutil.Factory{IOStreams: ios, Runner: runtest.New(t), Getenv: func(string) string { return "" }}
	code := Execute(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

// TestValidateFindsWhatRenderRefuses: every problem that render and deploy
// refuse, in .cupaas.yml or in .cupaas.env, is found by validate first,
// with its file and line and exit code 2; render reports it the same way.
func TestValidateFindsWhatRenderRefuses(t *testing.T) {
	const yml = "name: app\nruntime: python:3.11\nentrypoint: [python, app.py]\n"
	big := strings.Repeat("x", 900<<10)
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // lines of stderr, for validate and for render
	}{
		{"env value over 128 KiB", map[string]string{".cupaas.yml": yml + "env:\n  BIG: " + big + "\n"}, []string{
			".cupaas.yml:5:8: env value of BIG is 921600 bytes long, and one environment variable can hold at most 128 KiB (131070 bytes with its name) on Linux: the app could not even start; put large content in a file of the app instead",
		}},
		{"env value with a NUL", map[string]string{".cupaas.yml": yml + "env:\n  Z: \"a\\0\"\n"}, []string{
			`.cupaas.yml:5:6: env value of Z contains a NUL byte (\0), which no environment variable can hold`,
		}},
		{"secret name with a dot", map[string]string{".cupaas.yml": yml, ".cupaas.env": "OK=1\nA.B=3\n"}, []string{
			`.cupaas.env:2: "A.B" is not a valid variable name: use letters, digits and '_', not starting with a digit; rename it or delete the line`,
		}},
		{"secret with NUL bytes", map[string]string{".cupaas.yml": yml, ".cupaas.env": "B=s3cr3t\x00\x00\n"}, []string{
			".cupaas.env:1: the value of B contains a NUL byte, which no environment variable can hold; fix or delete the line",
		}},
		{"secret over 128 KiB", map[string]string{".cupaas.yml": yml, ".cupaas.env": "A=1\nBIG=" + big + "\n"}, []string{
			".cupaas.env:2: BIG is 921600 bytes long, and one environment variable can hold at most 128 KiB (131070 bytes with its name) on Linux: the app could not even start; put large content in a file of the app instead",
		}},
		{"secrets cupaas sets", map[string]string{".cupaas.yml": yml + "services: [redis]\nenv: {LOG: info}\n", ".cupaas.env": "PORT=1\nREDIS_URL=x\nLOG=s3cr3t\n"}, []string{
			".cupaas.env:1: PORT cannot be set: cupaas sets it from `port:` in .cupaas.yml; delete the line",
			".cupaas.env:2: REDIS_URL cannot be set: cupaas sets it for the redis service; delete the line",
			".cupaas.env:3: LOG is set both here and under env: in .cupaas.yml; keep one of them",
		}},
		{"secrets over 1 MiB", map[string]string{".cupaas.yml": yml, ".cupaas.env": manyBig()}, []string{
			".cupaas.env: its variables take 1.1 MiB (1126488 bytes), over Kubernetes' limit of 1 MiB (1048576 bytes) for the app's Secret app-env; keep large files out of environment variables",
		}},
		{"both config files", map[string]string{".cupaas.yml": yml, ".cupaas.yaml": yml}, []string{
			".cupaas.yml: both .cupaas.yml and .cupaas.yaml exist in the current directory; keep one of them",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, args := range [][]string{{"validate"}, {"render"}} {
				code, stdout, stderr := runIn(t, tc.files, false, args...)
				file := strings.SplitN(tc.want[0], ":", 2)[0]
				footer := fmt.Sprintf("✗ %d problems in %s", len(tc.want), file)
				if len(tc.want) == 1 {
					footer = "✗ 1 problem in " + file
				}
				want := strings.Join(tc.want, "\n") + "\n" + footer + "\n"
				if code != 2 || stderr != want || stdout != "" {
					t.Errorf("%s: exit code %d, stdout %q, stderr:\n%s\nwant exit code 2 and\n%s", args[0], code, stdout, stderr, want)
				}
				if strings.Contains(stderr, "s3cr3t") {
					t.Errorf("%s shows a secret value", args[0])
				}
			}
			code, stdout, _ := runIn(t, tc.files, false, "validate", "--json")
			var res struct {
				Valid    bool
				Problems []struct {
					File    string
					Line    int
					Message string
				}
			}
			if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != 2 || res.Valid || len(res.Problems) != len(tc.want) {
				t.Errorf("validate --json: exit code %d, %+v, %v", code, res, err)
			}
		})
	}
}

// manyBig is a .cupaas.env whose values together exceed 1 MiB, each
// under 128 KiB.
func manyBig() string {
	var b strings.Builder
	for i := 0; i < 11; i++ {
		b.WriteString("V" + string(rune('A'+i)) + "=s3cr3t" + strings.Repeat("y", 100<<10) + "\n")
	}
	return b.String()
}

// TestValidateReportsBothFiles: problems of .cupaas.yml and of .cupaas.env
// are reported together; on a terminal the config's lines are shown, and
// never a line of .cupaas.env, which holds secrets.
func TestValidateReportsBothFiles(t *testing.T) {
	files := map[string]string{
		".cupaas.yml": "name: app\nruntime: python:3.11\nentrypoint: [python, app.py]\nport: 0\n",
		".cupaas.env": "A.B=s3cr3t\n",
	}
	code, _, stderr := runIn(t, files, true, "validate")
	if code != 2 || !strings.Contains(stderr, ".cupaas.yml:4:7: port must be from 1 to 65535") ||
		!strings.Contains(stderr, "   4 | port: 0") ||
		!strings.Contains(stderr, `.cupaas.env:1: "A.B" is not a valid variable name`) ||
		strings.Contains(stderr, "s3cr3t") || strings.Contains(stderr, "   1 | ") {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
}
