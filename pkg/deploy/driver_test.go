package deploy

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cupaas/cupaas/pkg/iostreams"
	"github.com/cupaas/cupaas/pkg/run/runtest"
)

func testDriver(t *testing.T) (*driver, func() string) {
	ios, _, _, errOut := iostreams.Test()
	d := newDriver(Options{IO: ios, Runner: runtest.New(t), Now: time.Now})
	return d, errOut.String
}

func ok(detail string) func(context.Context, stepIO) (result, error) {
	return func(context.Context, stepIO) (result, error) { return result{detail: detail}, nil }
}

func lines(out string) []string {
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(l); len(f) > 1 {
			names = append(names, f[0]+" "+f[1])
		}
	}
	return names
}

// Lanes run side by side, and their lines come in the phase's order
// whichever step ends first, each with its own time.
func TestLanesPrintInOrder(t *testing.T) {
	d, out := testDriver(t)
	release := make(chan struct{})
	var mu sync.Mutex
	var ran []string
	mark := func(name string) {
		mu.Lock()
		ran = append(ran, name)
		mu.Unlock()
	}
	_, err := d.run(context.Background(), []phase{par("p", []step{
		{name: "Slow", run: func(ctx context.Context, s stepIO) (result, error) {
			<-release // ends after the other lane's steps
			mark("Slow")
			return result{}, nil
		}},
	}, []step{
		{name: "Fast", run: func(context.Context, stepIO) (result, error) { mark("Fast"); return result{}, nil }},
		{name: "Faster", run: func(context.Context, stepIO) (result, error) {
			mark("Faster")
			close(release)
			return result{}, nil
		}},
	})})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ran, ",") != "Fast,Faster,Slow" {
		t.Fatalf("ran %v", ran)
	}
	if got := strings.Join(lines(out()), ","); got != "✓ Slow,✓ Fast,✓ Faster" {
		t.Fatalf("lines %s\n%s", got, out())
	}
	var names []string
	for _, s := range d.report.Steps {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "Slow,Fast,Faster" {
		t.Fatalf("report %v", names)
	}
}

// A failure in another lane stops the lanes beside it (shown as stopped)
// but the first: its failure, a diagnosis, is the one shown.
func TestLaneFailureStopsTheOthersButTheFirst(t *testing.T) {
	d, out := testDriver(t)
	firstDone := make(chan struct{})
	_, err := d.run(context.Background(), []phase{par("p", []step{
		{name: "Main", run: func(ctx context.Context, s stepIO) (result, error) {
			<-firstDone
			if ctx.Err() != nil {
				t.Error("the first lane was stopped")
			}
			return result{}, errors.New("main broke")
		}},
	}, []step{
		{name: "Helper", run: func(context.Context, stepIO) (result, error) {
			return result{}, errors.New("helper broke")
		}},
		{name: "Never", run: func(context.Context, stepIO) (result, error) {
			t.Error("a step after a failure ran")
			return result{}, nil
		}},
	}, []step{
		{name: "Waiting", run: func(ctx context.Context, s stepIO) (result, error) {
			<-ctx.Done()
			close(firstDone)
			return result{}, ctx.Err()
		}},
	})})
	var se *StepError
	if !errors.As(err, &se) || se.Step != "Main" || se.Err.Error() != "main broke" {
		t.Fatalf("err = %v", err)
	}
	want := []string{"✗ Main", "✗ Helper", "✗ Waiting (stopped: Helper failed)"}
	got := strings.Split(strings.TrimSpace(out()), "\n")
	for i, w := range want {
		if i >= len(got) || !strings.HasPrefix(got[i], w) {
			t.Fatalf("lines:\n%s\nwant %q", out(), want)
		}
	}
}

// A step that finishes the pipeline stops the other lanes; what it
// stopped is not shown, and no later phase runs.
func TestFinishedEndsThePipeline(t *testing.T) {
	d, out := testDriver(t)
	finished, err := d.run(context.Background(), []phase{
		par("p", []step{
			{name: "Preflight", run: func(ctx context.Context, s stepIO) (result, error) {
				<-ctx.Done()
				return result{}, ctx.Err()
			}},
		}, []step{
			{name: "Source", run: ok("tag x")},
			{name: "Check", run: func(context.Context, stepIO) (result, error) {
				return result{detail: "up to date", finished: true}, nil
			}},
			{name: "Build", run: func(context.Context, stepIO) (result, error) {
				t.Error("Build ran")
				return result{}, nil
			}},
		}),
		seq("later", step{name: "Later", run: func(context.Context, stepIO) (result, error) {
			t.Error("a later phase ran")
			return result{}, nil
		}}),
	})
	if err != nil || !finished {
		t.Fatalf("finished %v, err %v", finished, err)
	}
	if got := strings.Join(lines(out()), ","); got != "✓ Source,✓ Check" {
		t.Fatalf("lines %s\n%s", got, out())
	}
}

// A step runs after the steps of other lanes it names, and not at all
// when one of them failed; a hidden step prints nothing.
func TestAfterAndHidden(t *testing.T) {
	d, out := testDriver(t)
	var order []string
	var mu sync.Mutex
	note := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	_, err := d.run(context.Background(), []phase{par("p", []step{
		{name: "A", run: func(context.Context, stepIO) (result, error) {
			time.Sleep(20 * time.Millisecond)
			note("A")
			return result{}, nil
		}},
	}, []step{
		{name: "B", after: []string{"A"}, run: func(context.Context, stepIO) (result, error) { note("B"); return result{}, nil }},
		{name: "C", run: func(context.Context, stepIO) (result, error) { return result{hidden: true}, nil }},
	})})
	if err != nil || strings.Join(order, ",") != "A,B" {
		t.Fatalf("order %v, err %v", order, err)
	}
	if got := strings.Join(lines(out()), ","); got != "✓ A,✓ B" {
		t.Fatalf("lines %s", got)
	}

	d, _ = testDriver(t)
	_, err = d.run(context.Background(), []phase{par("p", []step{
		{name: "A", run: func(context.Context, stepIO) (result, error) { return result{}, errors.New("no") }},
	}, []step{
		{name: "B", after: []string{"A"}, run: func(context.Context, stepIO) (result, error) {
			t.Error("B ran after A failed")
			return result{}, nil
		}},
	})})
	if err == nil {
		t.Fatal("no error")
	}
}

// Ctrl-C during side-by-side steps is an interruption (exit 130), named
// after the furthest step it stopped.
func TestLanesInterrupted(t *testing.T) {
	d, _ := testDriver(t)
	ctx, cancel := context.WithCancel(context.Background())
	wait := func(ctx context.Context, s stepIO) (result, error) { <-ctx.Done(); return result{}, ctx.Err() }
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := d.run(ctx, []phase{par("p", []step{{name: "A", run: wait}}, []step{{name: "B", run: wait}})})
	var se *StepError
	if !errors.As(err, &se) || se.Step != "B" || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
