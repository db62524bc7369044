//go:build linux

package grafanahost

import "syscall"

// sysProcAttr has the kernel SIGKILL the plugin when the process that started
// it dies, so that a killed test binary or host leaves no plugin behind.
// (Grafana does not do this; it does not change the protocol.) Pdeathsig fires
// when the OS thread that started the child exits; Go ends threads only for
// goroutines that exit while locked with runtime.LockOSThread, so do not call
// Start from such a goroutine.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
