//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// moduleRoot is the directory of this module's go.mod.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		tb.Fatalf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		tb.Fatalf("not inside the Go module")
	}
	return filepath.Dir(mod)
}

// goBuild builds the main package pkg ("./receiver") of this module into dir.
func goBuild(tb testing.TB, dir, pkg, name string) string {
	tb.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = moduleRoot(tb)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// server is a subprocess serving HTTP on a loopback port.
type server struct {
	name    string
	url     string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	once    sync.Once
	stopErr error
}

// startServer runs bin with args(listenAddr) on a free loopback port and waits until GET /-/ready answers 200.
// It is stopped when the benchmark ends at the latest. FIREBREAK_* variables of the environment are not passed on,
// so that a token set for other purposes does not change what is measured.
func startServer(tb testing.TB, name, bin, dir string, args func(addr string) []string) *server {
	tb.Helper()
	env := []string{"TZ=UTC"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FIREBREAK_") {
			env = append(env, kv)
		}
	}
	var lastErr error
	for attempt := range 3 {
		addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(tb))
		s := &server{name: name, url: "http://" + addr, logPath: filepath.Join(dir, fmt.Sprintf("%s.%d.log", name, attempt)),
			done: make(chan struct{})}
		f, err := os.Create(s.logPath)
		if err != nil {
			tb.Fatal(err)
		}
		s.cmd = exec.Command(bin, args(addr)...)
		s.cmd.Dir, s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = dir, env, f, f
		// Own process group; SIGKILL when the benchmark dies.
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := s.cmd.Start(); err != nil {
			f.Close()
			tb.Fatalf("start %s: %v", name, err)
		}
		go func() {
			s.waitErr = s.cmd.Wait()
			f.Close()
			close(s.done)
		}()
		tb.Cleanup(func() { _ = s.stop() })
		if lastErr = s.waitReady(30 * time.Second); lastErr == nil {
			return s
		}
		_ = s.stop()
		if !strings.Contains(s.log(), "address already in use") {
			break
		}
	}
	tb.Fatalf("%s did not become ready: %v", name, lastErr)
	return nil
}

func (s *server) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	deadline := time.Now().Add(timeout)
	reason := "not probed"
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("%s exited (%v):\n%s", s.name, s.waitErr, tail(s.log(), 20))
		default:
		}
		resp, err := client.Get(s.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			reason = resp.Status
		} else {
			reason = err.Error()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %s\n%s", s.name, timeout, reason, tail(s.log(), 20))
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM and waits for the exit (SIGKILL to the process group after 20 s). It returns the exit error:
// nil for a clean exit.
func (s *server) stop() error {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
			s.stopErr = s.waitErr
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-s.pid(), syscall.SIGKILL)
			<-s.done
			s.stopErr = fmt.Errorf("%s did not exit within 20 s of SIGTERM; killed", s.name)
		}
		_ = syscall.Kill(-s.pid(), syscall.SIGKILL) // anything left in its group
	})
	return s.stopErr
}

func (s *server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// logLines returns the lines of a slog text log at the given level ("WARN", "ERROR").
func logLines(log, level string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, " level="+level+" ") {
			out = append(out, l)
		}
	}
	return out
}

// procStatusKB reads a "Name:   123 kB" field of /proc/<pid>/status, in bytes.
func procStatusKB(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// clockTicks is USER_HZ, the unit of /proc CPU times: 100 on every Linux architecture Go supports.
const clockTicks = 100

// procTimes is what /proc/<pid>/stat says about a process's CPU time (user+system).
type procTimes struct {
	comm  string
	start int64 // start time, in ticks since boot: tells a reused pid
	self  time.Duration
}

func readProcTimes(pid int) (procTimes, error) { return readStat(fmt.Sprintf("/proc/%d/stat", pid)) }

// readStat reads a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat file (the same format).
func readStat(path string) (procTimes, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return procTimes{}, err
	}
	// The command name, field 2, is in parentheses and may contain spaces.
	i, j := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if i < 0 || j < i {
		return procTimes{}, errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(string(b[j+1:])) // f[0] is field 3 (state); utime is field 14, starttime 22
	if len(f) < 20 {
		return procTimes{}, errors.New("unexpected /proc stat format")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	start, err3 := strconv.ParseInt(f[19], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return procTimes{}, err
	}
	return procTimes{comm: string(b[i+1 : j]), start: start, self: time.Duration(ut+st) * time.Second / clockTicks}, nil
}

// machineCPU is the CPU time of the whole machine so far: busy (everything but idle and iowait), of that the time
// in interrupts (loopback networking is softirq work), and iowait.
func machineCPU() (busy, irq, iowait time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, 0, errors.New("unexpected /proc/stat format")
	}
	var v [8]int64 // user nice system idle iowait irq softirq steal (guest time is in user)
	for k := range v {
		v[k], _ = strconv.ParseInt(f[k+1], 10, 64)
	}
	ticks := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
	return ticks(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]), ticks(v[5] + v[6]), ticks(v[4]), nil
}

// findPid returns the process whose command line contains s, or 0.
func findPid(s string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			return pid
		}
	}
	return 0
}

// cpuSnap is the CPU time of every process, and of the machine, at one moment.
type cpuSnap struct {
	at                time.Time
	ours              map[string]int // name -> pid of the processes of the benchmark
	all               map[int]procTimes
	busy, irq, iowait time.Duration
}

func snapCPU(ours map[string]int) cpuSnap {
	s := cpuSnap{at: time.Now(), ours: ours, all: map[int]procTimes{}}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			if t, err := readProcTimes(pid); err == nil {
				s.all[pid] = t
			}
		}
	}
	s.busy, s.irq, s.iowait, _ = machineCPU()
	return s
}

// cpuSplit is the CPU used between two snapshots, in cores (CPU seconds per second).
type cpuSplit struct {
	wall   time.Duration
	cores  map[string]float64 // the benchmark's processes
	others float64            // busy time not spent in them: other processes, kernel threads, interrupts
	irq    float64            // of others: interrupts (softirq: loopback networking, block I/O completion)
	top    []nameCores        // the other processes (and kernel threads) alive at the end that used the most, by name
	busy   float64
	iowait float64
}

type nameCores struct {
	name  string
	cores float64
}

func splitCPU(a, b cpuSnap) cpuSplit {
	wall := b.at.Sub(a.at)
	c := cpuSplit{wall: wall, cores: map[string]float64{}}
	per := func(d time.Duration) float64 { return d.Seconds() / wall.Seconds() }
	ourPid := map[int]bool{}
	var ours float64
	for name, pid := range b.ours {
		ourPid[pid] = true
		if pid > 0 {
			c.cores[name] = per(b.all[pid].self - a.all[pid].self)
			ours += c.cores[name]
		}
	}
	// Other processes still there at the end, by name (kernel worker threads by their base name). Processes that
	// came and went between the snapshots (compilers, say) are only in the total.
	byName := map[string]float64{}
	for pid, t := range b.all {
		if ourPid[pid] {
			continue
		}
		prev := a.all[pid]
		if prev.start != t.start {
			prev = procTimes{} // started since (or the pid was reused)
		}
		name, _, _ := strings.Cut(t.comm, "-")
		if !strings.HasPrefix(name, "kworker") {
			name = t.comm
		}
		byName[name] += per(t.self - prev.self)
	}
	for name, cores := range byName {
		if cores >= 0.01 {
			c.top = append(c.top, nameCores{name, cores})
		}
	}
	slices.SortFunc(c.top, func(x, y nameCores) int { return cmp.Compare(y.cores, x.cores) })
	c.top = c.top[:min(len(c.top), 4)]
	c.busy, c.irq, c.iowait = per(b.busy-a.busy), per(b.irq-a.irq), per(b.iowait-a.iowait)
	c.others = max(0, c.busy-ours)
	return c
}

// rssSample is the resident set of a process at one moment of a run.
type rssSample struct {
	off time.Duration
	rss int64
}

// watchRSS samples the VmRSS of pid every interval until stop is closed.
func watchRSS(pid int, start time.Time, interval time.Duration, stop <-chan struct{}) <-chan []rssSample {
	out := make(chan []rssSample, 1)
	go func() {
		var samples []rssSample
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if rss, err := procStatusKB(pid, "VmRSS"); err == nil {
				samples = append(samples, rssSample{off: time.Since(start), rss: rss})
			}
			select {
			case <-stop:
				out <- samples
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// metrics scrapes a Prometheus text endpoint into series -> value ("name" or "name{labels}").
func metrics(url string) (map[string]float64, error) {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, nil
}

// sum adds every series of the metric name.
func sum(m map[string]float64, name string) float64 {
	var s float64
	for series, v := range m {
		if series == name || strings.HasPrefix(series, name+"{") {
			s += v
		}
	}
	return s
}
