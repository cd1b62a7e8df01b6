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
// $FAKE_STDIN). A call no rule matches exits 0 silently.
package faketool

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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
	return 0
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
			fmt.Fprint(os.Stdout, unescape(arg))
		case "stderr":
			fmt.Fprint(os.Stderr, unescape(arg))
		case "stdout-file":
			if data, err := os.ReadFile(arg); err == nil {
				os.Stdout.Write(data)
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
		}
	}
	return code
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
