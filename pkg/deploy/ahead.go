package deploy

import (
	"context"
	"sync"
)

// ahead is a read of the cluster done ahead of its use: start begins it
// in the background (once) while other steps run, get waits for its
// result, and starts it when nothing did. A deploy reads this way what
// the apply needs (the release records, the objects to prune) while the
// image builds, rather than when the cluster is about to change.
type ahead[T any] struct {
	read func(context.Context) (T, error)
	once sync.Once
	done chan struct{}
	v    T
	err  error
}

func newAhead[T any](read func(context.Context) (T, error)) *ahead[T] {
	return &ahead[T]{read: read, done: make(chan struct{})}
}

// start runs the read in the background, once. ctx must outlive the step
// that starts it: the read may end after that step.
func (f *ahead[T]) start(ctx context.Context) {
	f.once.Do(func() {
		go func() {
			defer close(f.done)
			f.v, f.err = f.read(ctx)
		}()
	})
}

// get waits for the read and returns its result; ctx only starts it.
func (f *ahead[T]) get(ctx context.Context) (T, error) {
	f.start(ctx)
	<-f.done
	return f.v, f.err
}
