//go:build linux

package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// sysProcAttr puts the service in its own process group and has the kernel
// SIGKILL it when the test binary dies. Pdeathsig fires when the OS thread
// that started the child exits; Go only ends threads of goroutines that exit
// while locked with runtime.LockOSThread, so do not start services from such
// goroutines.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// deprioritizeMerges puts ClickHouse 18.16's background pool threads (merges, started with the server) of process
// pid under SCHED_IDLE. A policy belongs to a thread on Linux, not to a process.
func deprioritizeMerges(pid int) error {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("put ClickHouse's merges under SCHED_IDLE: %w", err)
	}
	merges := 0
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		if comm, _ := os.ReadFile(filepath.Join(dir, task.Name(), "comm")); strings.HasPrefix(string(comm), ClickHouseMergeThread) {
			var param struct{ priority int32 } // struct sched_param; 0 for SCHED_IDLE
			if _, _, errno := syscall.Syscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), schedIdle, uintptr(unsafe.Pointer(&param))); errno != 0 {
				return fmt.Errorf("put ClickHouse's merge thread %d under SCHED_IDLE: %w", tid, errno)
			}
			merges++
		}
	}
	if merges == 0 {
		return fmt.Errorf("put ClickHouse's merges under SCHED_IDLE: no %s threads in process %d", ClickHouseMergeThread, pid)
	}
	return nil
}

// schedIdle is SCHED_IDLE from <sched.h>.
const schedIdle = 5
