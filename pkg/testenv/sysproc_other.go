//go:build !linux

package testenv

import "syscall"

// sysProcAttr puts the service in its own process group. Outside Linux there is
// no parent-death signal: a killed test binary may leave services running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// deprioritizeMerges does nothing outside Linux.
func deprioritizeMerges(int) error { return nil }
