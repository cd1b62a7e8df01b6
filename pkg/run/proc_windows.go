//go:build windows

package run

import (
	"os"
	"os/exec"
	"time"
)

// setProcessGroup does nothing on Windows: a cancel kills the child only.
func setProcessGroup(*exec.Cmd) {}

// terminate kills the child: Windows has no SIGTERM to send.
func terminate(p *os.Process) { _ = p.Kill() }

// stopGroup has nothing left to stop on Windows.
func stopGroup(*os.Process, time.Time) {}

// signalTerm kills the process: Windows has no SIGTERM to send.
func signalTerm(p *os.Process) error { return p.Kill() }
