package run

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStreamIsNotKept(t *testing.T) {
	var streamed bytes.Buffer
	c := child("echo")
	c.Stream, c.Stdout = true, &streamed
	out, err := NewOS().Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 0 {
		t.Errorf("a stream's stdout was kept: %q", out)
	}
	if streamed.String() != "out line\n" {
		t.Errorf("streamed %q, want the child's stdout", streamed.String())
	}
}

func TestInteractiveExitCodeAndStreams(t *testing.T) {
	var stdout, stderr bytes.Buffer
	c := child("fail")
	c.Interactive, c.Stdout, c.Stderr = true, &stdout, &stderr
	out, err := NewOS().Run(context.Background(), c)
	var re *Error
	if !errors.As(err, &re) || re.ExitCode != 3 {
		t.Fatalf("err = %v, want exit code 3", err)
	}
	if len(out) != 0 || len(re.Output) != 0 {
		t.Errorf("an interactive command's output was kept: %q %q", out, re.Output)
	}
	if stdout.String() != "step 1\nstep 2\n" || stderr.String() != "boom\n" {
		t.Errorf("streams got %q and %q", stdout.String(), stderr.String())
	}

	c = child("cat")
	c.Interactive, c.Stdin, c.Stdout = true, strings.NewReader("in"), &stdout
	stdout.Reset()
	if _, err := NewOS().Run(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), `got "in"`) {
		t.Errorf("stdin did not reach the child: %q", stdout.String())
	}
}

func TestInteractiveCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c := child("sleep")
	c.Interactive = true
	start := time.Now()
	_, err := osRunner{grace: time.Second}.Run(ctx, c)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the cancel took %s", d)
	}
}
