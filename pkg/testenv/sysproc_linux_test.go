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

// ClickHouse starts with jemalloc keeping freed memory and its merge threads at nice 19.
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
		nice, _ := strconv.Atoi(fields[16]) // field 19 of stat; fields starts at field 3
		switch {
		case strings.HasPrefix(comm, "BackgrProcPool"):
			merges++
			if nice != mergeNice {
				t.Errorf("merge thread %s (%s) has nice %d, want %d", task.Name(), comm, nice, mergeNice)
			}
		case strings.HasPrefix(comm, "TCPHandler") || strings.HasPrefix(comm, "HTTPHandler"):
			if nice != 0 {
				t.Errorf("query thread %s (%s) has nice %d, want 0", task.Name(), comm, nice)
			}
		}
	}
	if merges == 0 {
		t.Errorf("no BackgrProcPool threads in clickhouse-server %d: has the thread name changed?", pid)
	}
}
