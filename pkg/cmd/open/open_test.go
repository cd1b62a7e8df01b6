package open

import (
	"reflect"
	"testing"
)

func TestOpeners(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		goos    string
		browser string
		wsl     bool
		want    [][]string
	}{
		{"linux", "", false, [][]string{{"xdg-open"}}},
		{"linux", "", true, [][]string{{"wslview"}, {"xdg-open"}}},
		{"darwin", "", false, [][]string{{"open"}}},
		{"windows", "", false, [][]string{{"rundll32", "url.dll,FileProtocolHandler"}}},
		{"freebsd", "", false, [][]string{{"xdg-open"}}},
		// $BROWSER first, split as a command line, its quotes kept as
		// one argument and nothing given to a shell.
		{"linux", `firefox --new-window`, false, [][]string{{"firefox", "--new-window"}, {"xdg-open"}}},
		{"darwin", `'/Applications/My Browser' -x`, false, [][]string{{"/Applications/My Browser", "-x"}, {"open"}}},
		// One that cannot be split is ignored.
		{"linux", `firefox "unclosed`, false, [][]string{{"xdg-open"}}},
	} {
		var got [][]string
		for _, o := range Openers(c.goos, env(map[string]string{"BROWSER": c.browser}), c.wsl) {
			got = append(got, o.Argv)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s BROWSER=%q wsl=%v: %q, want %q", c.goos, c.browser, c.wsl, got, c.want)
		}
	}
}

func TestJoinPath(t *testing.T) {
	for path, want := range map[string]string{
		"":              "http://192.0.2.2:30080",
		"/admin":        "http://192.0.2.2:30080/admin",
		"admin":         "http://192.0.2.2:30080/admin",
		"/items?page=2": "http://192.0.2.2:30080/items?page=2",
		"//double":      "http://192.0.2.2:30080/double",
	} {
		if got := JoinPath("http://192.0.2.2:30080/", path); path != "" && got != want {
			t.Errorf("%q: %s, want %s", path, got, want)
		}
	}
	if got := JoinPath("http://192.0.2.2:30080", ""); got != "http://192.0.2.2:30080" {
		t.Errorf("no path: %s", got)
	}
}
