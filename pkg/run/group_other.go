//go:build !windows && !linux

package run

import "syscall"

// groupAlive reports whether the process group pgid has a member.
func groupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }
