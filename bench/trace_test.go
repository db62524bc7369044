//go:build linux

package bench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// A trace of the paced run (FIREBREAK_LOAD_TRACE=dir): what the p99 is made of, 100 ms at a time. Every request's
// due time and latency go to samples.csv; every 100 ms, the CPU of the receiver, of ClickHouse by kind of thread,
// of the benchmark and of the whole machine go to cpu.csv. Lining the two up by time shows which bursts the slow
// requests were due in (how the session 5 fixes in BENCHMARKS.md were found).

const traceEvery = 100 * time.Millisecond

// clickHouseThreadKind groups clickhouse-server 18.16's threads by name: merges, native-protocol queries and inserts
// (the receiver's), HTTP queries (the alert-to-view poller's), the rest.
func clickHouseThreadKind(comm string) string {
	switch {
	case strings.HasPrefix(comm, testenv.ClickHouseMergeThread):
		return "merges"
	case strings.HasPrefix(comm, "TCPHandler"):
		return "native"
	case strings.HasPrefix(comm, "HTTPHandler"):
		return "http"
	}
	return "other"
}

// threadCPU follows the CPU time of a process's threads and credits each thread's time since the last sample to
// the kind its name has now: a thread that ended, or one renamed (a pooled thread serving another kind of query),
// does not take its past with it.
type threadCPU struct {
	pid  int
	kind func(comm string) string
	last map[string]time.Duration // thread id -> CPU time at the last sample
}

// sample returns the CPU time used since the last sample, by kind.
func (t *threadCPU) sample() map[string]time.Duration {
	out := map[string]time.Duration{}
	seen := map[string]time.Duration{}
	dir := fmt.Sprintf("/proc/%d/task", t.pid)
	tasks, _ := os.ReadDir(dir)
	for _, task := range tasks {
		st, err := readStat(filepath.Join(dir, task.Name(), "stat"))
		if err != nil {
			continue // the thread ended
		}
		seen[task.Name()] = st.self
		if t.last != nil {
			out[t.kind(st.comm)] += st.self - t.last[task.Name()] // a new thread counts from 0
		}
	}
	t.last = seen
	return out
}

type cpuTracer struct {
	stop chan struct{}
	done chan error
}

// traceCPU samples CPU every traceEvery into dir/cpu.csv, from start, until stopped.
func traceCPU(dir string, receiverPid, chPid int, start time.Time) *cpuTracer {
	t := &cpuTracer{stop: make(chan struct{}), done: make(chan error, 1)}
	go func() { t.done <- t.run(dir, receiverPid, chPid, start) }()
	return t
}

func (t *cpuTracer) run(dir string, receiverPid, chPid int, start time.Time) error {
	f, err := os.Create(filepath.Join(dir, "cpu.csv"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "end_ms,receiver,ch_merges,ch_native,ch_http,ch_other,benchmark,machine_busy")
	type snap struct {
		at             time.Time
		receiver, self procTimes
		ch             map[string]time.Duration // since the snapshot before
		busy           time.Duration
	}
	ch := &threadCPU{pid: chPid, kind: clickHouseThreadKind}
	take := func() snap {
		s := snap{at: time.Now(), ch: ch.sample()}
		s.receiver, _ = readProcTimes(receiverPid)
		s.self, _ = readProcTimes(os.Getpid())
		s.busy, _, _, _ = machineCPU()
		return s
	}
	prev := take()
	tick := time.NewTicker(traceEvery)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			if err := w.Flush(); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		case <-tick.C:
		}
		cur := take()
		cores := func(d time.Duration) float64 { return d.Seconds() / cur.at.Sub(prev.at).Seconds() }
		fmt.Fprintf(w, "%d,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f\n", cur.at.Sub(start).Milliseconds(),
			cores(cur.receiver.self-prev.receiver.self), cores(cur.ch["merges"]), cores(cur.ch["native"]),
			cores(cur.ch["http"]), cores(cur.ch["other"]), cores(cur.self.self-prev.self.self), cores(cur.busy-prev.busy))
		prev = cur
	}
}

// close stops the sampling and returns why writing cpu.csv failed, if it did.
func (t *cpuTracer) close() error {
	close(t.stop)
	return <-t.done
}

// writeSamples writes every answered request of r to dir/samples.csv: due time (from start, as in cpu.csv) and
// latency in milliseconds, status.
func writeSamples(dir string, r loadResult, start time.Time) error {
	shift := r.started.Sub(start) // the run's clock starts once its connections are open
	f, err := os.Create(filepath.Join(dir, "samples.csv"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "due_ms,latency_ms,status")
	for _, s := range r.samples {
		fmt.Fprintf(w, "%.3f,%.3f,%d\n", ms(shift+s.off), ms(s.lat), s.code)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
