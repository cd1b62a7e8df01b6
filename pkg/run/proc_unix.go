//go:build !windows

package run

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup starts the child in its own process group, so that a
// cancel reaches its children too (docker build, a tunnel helper, ...).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func terminate(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGTERM) }

func kill(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
