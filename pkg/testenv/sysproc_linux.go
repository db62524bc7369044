//go:build linux

package testenv

import "syscall"

// sysProcAttr puts the service in its own process group and has the kernel
// SIGKILL it when the test binary dies. Pdeathsig fires when the OS thread
// that started the child exits; Go only ends threads of goroutines that exit
// while locked with runtime.LockOSThread, so do not start services from such
// goroutines.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
