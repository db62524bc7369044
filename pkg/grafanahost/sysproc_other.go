//go:build !linux

package grafanahost

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
