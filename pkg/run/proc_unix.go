//go:build !windows

package run

import (
	"os"
	"os/exec"
	"syscall"
	"time"
)

// setProcessGroup starts the child in a process group of its own, so that a
// cancel reaches its children too (docker build, a tunnel helper, ...).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// terminate asks the child's whole process group to stop.
func terminate(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGTERM) }

// stopGroup runs once the child has been reaped after a cancel: what is
// left of its process group gets until deadline to exit after the SIGTERM,
// then SIGKILL. While a member lives, the group id cannot be reused, so the
// signal cannot reach an unrelated process.
func stopGroup(p *os.Process, deadline time.Time) {
	for groupAlive(p.Pid) {
		if !time.Now().Before(deadline) {
			_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// signalTerm asks the process alone to stop.
func signalTerm(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
