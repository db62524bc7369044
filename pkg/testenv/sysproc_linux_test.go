//go:build linux

package testenv

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// ClickHouse starts with jemalloc keeping freed memory and its merge threads under SCHED_IDLE.
func TestClickHouseSharesTheMachine(t *testing.T) {
	t.Parallel()
	ch := SharedClickHouse(t)
	pid := ch.proc.cmd.Process.Pid
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(environ, []byte(ClickHouseMallocConf+"\x00")) {
		t.Errorf("clickhouse-server's environment lacks %s", ClickHouseMallocConf)
	}
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	merges := 0
	for _, task := range tasks {
		stat, err := os.ReadFile(dir + "/" + task.Name() + "/stat")
		if err != nil {
			continue // the thread ended
		}
		comm := string(stat[bytes.IndexByte(stat, '(')+1 : bytes.LastIndexByte(stat, ')')])
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
		policy, _ := strconv.Atoi(fields[38]) // field 41 of stat; fields starts at field 3
		switch {
		case strings.HasPrefix(comm, ClickHouseMergeThread):
			merges++
			if policy != schedIdle {
				t.Errorf("merge thread %s (%s) has scheduling policy %d, want SCHED_IDLE (%d)", task.Name(), comm, policy, schedIdle)
			}
		case strings.HasPrefix(comm, "TCPHandler") || strings.HasPrefix(comm, "HTTPHandler"):
			if policy != 0 {
				t.Errorf("query thread %s (%s) has scheduling policy %d, want SCHED_OTHER (0)", task.Name(), comm, policy)
			}
		}
	}
	if merges == 0 {
		t.Errorf("no %s threads in clickhouse-server %d: has the thread name changed?", ClickHouseMergeThread, pid)
	}
}
