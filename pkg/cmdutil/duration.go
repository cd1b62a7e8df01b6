package cmdutil

import (
	"errors"
	"time"

	"github.com/spf13/pflag"
)

// ErrNegativeDuration is why a negative duration flag is refused.
var ErrNegativeDuration = errors.New("a duration cannot be negative; use a value such as 30s or 5m")

// DurationVar defines a duration flag like pflag's DurationVar, except
// that a negative value is refused when the flag is parsed (a flag error,
// exit code 2, that names the flag).
func DurationVar(fl *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fl.Var((*nonNegativeDuration)(p), name, usage)
}

type nonNegativeDuration time.Duration

func (d *nonNegativeDuration) String() string { return time.Duration(*d).String() }
func (d *nonNegativeDuration) Type() string   { return "duration" }

func (d *nonNegativeDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("use a duration such as 30s or 5m")
	}
	if v < 0 {
		return ErrNegativeDuration
	}
	*d = nonNegativeDuration(v)
	return nil
}
