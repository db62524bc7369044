//go:build linux

package bench

import (
	"bytes"
	"context"
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

// Settings, from the environment.
const (
	envDuration    = "FIREBREAK_LOAD_DURATION"     // paced run, default 60s
	envRate        = "FIREBREAK_LOAD_RATE"         // paced run's target notifications/s, default 5000 (the target)
	envConcurrency = "FIREBREAK_LOAD_CONCURRENCY"  // connections, default 64
	envMaxDuration = "FIREBREAK_LOAD_MAX_DURATION" // each closed-loop run (receiver, bare handler), default 15s
	envGroups      = "FIREBREAK_LOAD_GROUPS"       // Alertmanager groups (one open incident each), default 50
	envSampleEvery = "FIREBREAK_VIEW_SAMPLE_EVERY" // alert-to-view latency of every Nth alert, default 100
	envOut         = "FIREBREAK_BENCH_OUT"         // write the markdown summary here
	envFlags       = "FIREBREAK_RECEIVER_FLAGS"    // extra receiver flags, space-separated
	envCPUProfile  = "FIREBREAK_LOAD_CPUPROFILE"   // write the receiver's CPU profile of the closed-loop run here (and its heap profile at the end to <file>.heap)
	envTrace       = "FIREBREAK_LOAD_TRACE"        // write samples.csv and cpu.csv of the paced run to this directory (trace_test.go)
)

// Settings of the many-senders run.
const (
	envMany      = "FIREBREAK_LOAD_MANY"          // its connections, default 1000 (0: no such run)
	envManyDur   = "FIREBREAK_LOAD_MANY_DURATION" // its length, default 30s
	envManyStall = "FIREBREAK_LOAD_MANY_STALL"    // stop ClickHouse this long, 5 s into it (default: not)
)

// The targets.
const (
	targetRate = 5000.0
	targetP99  = 50 * time.Millisecond
	targetRSS  = 256 << 20
)

// How long the stored alerts may take to all show up after a run: a correctness bound, not a timing target.
const drainTimeout = 2 * time.Minute

type settings struct {
	duration, maxDuration time.Duration
	rate                  float64
	concurrency           int
	groups                int
	sampleEvery           int
	out                   string
	receiverFlags         []string
	cpuProfile            string
	traceDir              string
	many                  int // connections of the many-senders run (0: none)
	manyDuration          time.Duration
	manyStall             time.Duration // ClickHouse stopped (SIGSTOP) this long, 5 s into the many-senders run
}

func loadSettings(b *testing.B) settings {
	s := settings{duration: 60 * time.Second, maxDuration: 15 * time.Second, rate: 5000, concurrency: 64, groups: 50,
		sampleEvery: 100, out: os.Getenv(envOut), receiverFlags: strings.Fields(os.Getenv(envFlags)),
		cpuProfile: os.Getenv(envCPUProfile), traceDir: os.Getenv(envTrace), many: 1000, manyDuration: 30 * time.Second}
	dur := func(env string, p *time.Duration) {
		if v := os.Getenv(env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				b.Fatalf("%s=%q: want a positive duration like 60s", env, v)
			}
			*p = d
		}
	}
	num := func(env string, p *int) {
		if v := os.Getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				b.Fatalf("%s=%q: want a positive integer", env, v)
			}
			*p = n
		}
	}
	if s.traceDir != "" {
		if err := os.MkdirAll(s.traceDir, 0o755); err != nil {
			b.Fatalf("%s: %v", envTrace, err)
		}
	}
	dur(envDuration, &s.duration)
	dur(envMaxDuration, &s.maxDuration)
	num(envConcurrency, &s.concurrency)
	num(envGroups, &s.groups)
	num(envSampleEvery, &s.sampleEvery)
	dur(envManyDur, &s.manyDuration)
	dur(envManyStall, &s.manyStall)
	if v := os.Getenv(envMany); v == "0" {
		s.many = 0
	} else {
		num(envMany, &s.many)
	}
	if v := os.Getenv(envRate); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			b.Fatalf("%s=%q: want a positive number of notifications per second", envRate, v)
		}
		s.rate = r
	}
	return s
}

// BenchmarkReceiverLoad is the receiver's load benchmark (see BENCHMARKS.md). It builds the receiver, runs it as a
// subprocess against a throwaway ClickHouse and measures, in one run:
//
//  1. a paced, open-loop run at FIREBREAK_LOAD_RATE for FIREBREAK_LOAD_DURATION: acceptance latency from each
//     request's due time, alert-to-view latency of a sample, peak RSS, CPU split; then it checks that every
//     accepted alert is in <db>.incident_alerts;
//  2. a closed-loop run as fast as a fresh receiver answers, for FIREBREAK_LOAD_MAX_DURATION, with the same check;
//  3. the same closed-loop run against a bare net/http handler that only reads the body (./baseline).
//
// Only correctness fails it (an accepted alert missing, a duplicate); the targets are reported, not asserted.
// Run it with:
//
//	go test -run '^$' -bench BenchmarkReceiverLoad -benchtime 1x -timeout 20m ./bench/
func BenchmarkReceiverLoad(b *testing.B) {
	cfg := loadSettings(b)
	progress := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	bin := b.TempDir()
	progress("building ./receiver and ./bench/baseline")
	receiverBin := goBuild(b, bin, "./receiver", "firebreak-receiver")
	baselineBin := goBuild(b, bin, "./bench/baseline", "firebreak-baseline")
	ch := testenv.StartClickHouse(b)
	chPid := findPid("--config-file=" + filepath.Join(ch.Dir(), "config.xml"))
	rep := &report{settings: cfg, chVersion: strings.TrimSpace(ch.Query(b, "SELECT version()")), revision: revision(moduleRoot(b))}
	rep.machine()

	// 1. Paced run.
	recv, db := startReceiver(b, ch, receiverBin, cfg.receiverFlags)
	progress("paced run: %.0f notifications/s for %s, %d connections, %d groups, receiver pid %d, database %s",
		cfg.rate, cfg.duration, cfg.concurrency, cfg.groups, recv.pid(), db)
	sampler := newViewSampler(ch, db)
	samplerCtx, stopSampler := context.WithCancel(context.Background())
	samplerDone := make(chan struct{})
	go func() { sampler.run(samplerCtx, 100*time.Millisecond); close(samplerDone) }()
	pids := map[string]int{"receiver": recv.pid(), "clickhouse-server": chPid, "load generator (benchmark)": os.Getpid()}
	stopRSS := make(chan struct{})
	start := time.Now()
	rssCh := watchRSS(recv.pid(), start, 500*time.Millisecond, stopRSS)
	var tracer *cpuTracer
	if cfg.traceDir != "" {
		tracer = traceCPU(cfg.traceDir, recv.pid(), chPid, start)
	}
	cpu0 := snapCPU(pids)
	paced := loadRun{url: recv.url, rate: cfg.rate, duration: cfg.duration, concurrency: cfg.concurrency,
		payloads: newPayloads(1, cfg.groups), progress: progress,
		onAccepted: func(i int64, fp string, at time.Time) {
			if i%int64(cfg.sampleEvery) == 0 {
				sampler.add(fp, at)
			}
		},
	}.run(context.Background())
	cpu1 := snapCPU(pids)
	if tracer != nil {
		if err := errors.Join(tracer.close(), writeSamples(cfg.traceDir, paced, start)); err != nil {
			b.Errorf("trace of the paced run: %v", err)
		}
	}
	rep.paced, rep.pacedCPU = paced, splitCPU(cpu0, cpu1)
	progress("paced run done: %d sent, %d accepted in %s (%.0f/s), p99 %s; waiting for ClickHouse",
		paced.sent, paced.ok, paced.elapsed.Round(time.Millisecond), paced.achieved(), quantile(paced.lat, 0.99))
	rep.pacedStore = waitStored(b, ch, db, paced, cfg.groups, time.Now())
	sampler.waitDone(drainTimeout)
	stopSampler()
	<-samplerDone
	rep.drainCPU = splitCPU(cpu1, snapCPU(pids))
	close(stopRSS)
	rep.rss = <-rssCh
	rep.peakRSS, _ = procStatusKB(recv.pid(), "VmHWM")
	rep.view = sampler.result()
	rep.pacedMetrics, _ = metrics(recv.url)
	rep.pacedParts = strings.TrimSpace(ch.Query(b, "SELECT count(), sum(rows) FROM system.parts WHERE active AND database = '"+db+"'"))
	rep.pacedExit = recv.stop()
	rep.pacedLog = recv.log()
	progress("all %d accepted alerts stored %s after the last answer; peak RSS %d MiB", rep.pacedStore.count,
		rep.pacedStore.after.Round(time.Millisecond), rep.peakRSS>>20)

	// 2. Closed loop against a fresh receiver.
	flags2 := cfg.receiverFlags
	if cfg.cpuProfile != "" {
		flags2 = append(slices.Clone(flags2), "--enable-pprof")
	}
	recv2, db2 := startReceiver(b, ch, receiverBin, flags2)
	progress("closed-loop run against the receiver for %s", cfg.maxDuration)
	pids2 := map[string]int{"receiver": recv2.pid(), "clickhouse-server": chPid, "load generator (benchmark)": os.Getpid()}
	profiled := make(chan error, 1)
	if cfg.cpuProfile != "" {
		go func() { profiled <- cpuProfile(recv2.url, cfg.maxDuration-time.Second, cfg.cpuProfile) }()
	} else {
		profiled <- nil
	}
	c0 := snapCPU(pids2)
	rep.max = loadRun{url: recv2.url, duration: cfg.maxDuration, concurrency: cfg.concurrency,
		payloads: newPayloads(2, cfg.groups), progress: progress}.run(context.Background())
	rep.maxCPU = splitCPU(c0, snapCPU(pids2))
	if err := <-profiled; err != nil {
		b.Errorf("receiver CPU profile: %v", err)
	}
	if cfg.cpuProfile != "" {
		if err := saveProfile(recv2.url+"/debug/pprof/heap", cfg.cpuProfile+".heap"); err != nil {
			b.Errorf("receiver heap profile: %v", err)
		}
	}
	progress("receiver closed loop: %.0f/s, p99 %s; waiting for ClickHouse", rep.max.achieved(), quantile(rep.max.lat, 0.99))
	rep.maxStore = waitStored(b, ch, db2, rep.max, cfg.groups, time.Now())
	rep.maxPeakRSS, _ = procStatusKB(recv2.pid(), "VmHWM")
	rep.maxExit = recv2.stop()
	rep.maxLog = recv2.log()

	// 3. Closed loop against the bare handler.
	base := startServer(b, "baseline", baselineBin, b.TempDir(), func(addr string) []string { return []string{"--listen", addr} })
	progress("closed-loop run against the bare net/http handler for %s", cfg.maxDuration)
	pids3 := map[string]int{"bare handler": base.pid(), "clickhouse-server": chPid, "load generator (benchmark)": os.Getpid()}
	c0 = snapCPU(pids3)
	rep.base = loadRun{url: base.url, duration: cfg.maxDuration, concurrency: cfg.concurrency,
		payloads: newPayloads(3, cfg.groups), progress: progress}.run(context.Background())
	rep.baseCPU = splitCPU(c0, snapCPU(pids3))
	rep.basePeakRSS, _ = procStatusKB(base.pid(), "VmHWM")
	_ = base.stop()

	// 4. Many senders: the paced load over many more connections, against a fresh receiver and the bare handler.
	if cfg.many > 0 {
		rep.manyRun = manySenders(b, ch, chPid, receiverBin, baselineBin, cfg, progress)
	}

	summary := rep.markdown()
	fmt.Println()
	fmt.Print(summary)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(summary), 0o644); err != nil {
			b.Errorf("write %s: %v", cfg.out, err)
		}
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(paced.achieved(), "notifications/s")
	b.ReportMetric(ms(quantile(paced.lat, 0.50)), "p50_ms")
	b.ReportMetric(ms(quantile(paced.lat, 0.99)), "p99_ms")
	b.ReportMetric(ms(quantile(rep.view.lat, 0.50)), "view_p50_ms")
	b.ReportMetric(ms(quantile(rep.view.lat, 0.99)), "view_p99_ms")
	b.ReportMetric(float64(rep.peakRSS)/(1<<20), "peak_rss_MB")
	b.ReportMetric(rep.max.achieved(), "max_notifications/s")
	b.ReportMetric(rep.base.achieved(), "baseline_requests/s")
	b.ReportMetric(rep.ratio(), "baseline_ratio")

	if m := rep.manyRun; m != nil {
		b.ReportMetric(sustainedRate(&m.recv), "many_notifications/s")
		b.ReportMetric(ms(quantile(m.recv.lat, 0.99)), "many_p99_ms")
		b.ReportMetric(float64(m.recvRSS)/(1<<20), "many_peak_rss_MB")
		b.ReportMetric(float64(m.recv.codes[http.StatusServiceUnavailable]), "many_503s")
		// 503 is the receiver saying it cannot keep up (the sender retries); any other answer is a failure.
		if n := m.recv.non200() - m.recv.codes[http.StatusServiceUnavailable]; n > 0 || m.recv.noAnswer > 0 {
			b.Errorf("many-senders run: %d answers other than 200 and 503 %v and %d without an answer (first: %s)",
				n, m.recv.codes, m.recv.noAnswer, m.recv.firstErr)
		}
		if m.exit != nil {
			b.Errorf("receiver of the many-senders run did not exit cleanly on SIGTERM: %v", m.exit)
		}
	}

	// Correctness, beyond the stored alerts checked above: every answer was a 200 and the receivers exited cleanly.
	for _, r := range []*loadResult{&rep.paced, &rep.max} {
		if r.non200() > 0 || r.noAnswer > 0 {
			b.Errorf("%s run: %d answers other than 200 %v and %d requests without an answer (first: %s)",
				r.mode, r.non200(), r.codes, r.noAnswer, r.firstErr)
		}
	}
	if rep.pacedExit != nil || rep.maxExit != nil {
		b.Errorf("receiver did not exit cleanly on SIGTERM: paced run %v, closed-loop run %v", rep.pacedExit, rep.maxExit)
	}
}

// manyResult is the many-senders run: the paced load over cfg.many connections against a fresh receiver, then the
// same load against the bare handler.
type manyResult struct {
	recv, base       loadResult
	recvCPU, baseCPU cpuSplit
	recvRSS, baseRSS int64
	rss              []rssSample
	stored           stored
	metrics          map[string]float64
	exit             error
	log              string
}

func manySenders(b *testing.B, ch *testenv.ClickHouse, chPid int, receiverBin, baselineBin string, cfg settings,
	progress func(string, ...any)) *manyResult {
	m := &manyResult{}
	recv, db := startReceiver(b, ch, receiverBin, cfg.receiverFlags)
	progress("many senders: %.0f notifications/s for %s over %d connections, receiver pid %d", cfg.rate, cfg.manyDuration, cfg.many, recv.pid())
	pids := map[string]int{"receiver": recv.pid(), "clickhouse-server": chPid, "load generator (benchmark)": os.Getpid()}
	stop := make(chan struct{})
	rss := watchRSS(recv.pid(), time.Now(), 500*time.Millisecond, stop)
	c0 := snapCPU(pids)
	stalled := make(chan error, 1)
	go func() { stalled <- stallClickHouse(chPid, 5*time.Second, cfg.manyStall, progress) }()
	m.recv = loadRun{url: recv.url, rate: cfg.rate, duration: cfg.manyDuration, concurrency: cfg.many,
		payloads: newPayloads(4, cfg.groups), progress: progress}.run(context.Background())
	m.recvCPU = splitCPU(c0, snapCPU(pids))
	if err := <-stalled; err != nil {
		b.Fatalf("stalling ClickHouse: %v", err)
	}
	progress("many senders done: %d accepted (%.0f/s), %d refused with 503, p99 %s; waiting for ClickHouse",
		m.recv.ok, m.recv.achieved(), m.recv.codes[http.StatusServiceUnavailable], quantile(m.recv.lat, 0.99))
	// A refused notification was not kept: only the accepted ones may be stored (waitStored fails on more).
	m.stored = waitStored(b, ch, db, m.recv, cfg.groups, time.Now())
	close(stop)
	m.rss = <-rss
	m.recvRSS, _ = procStatusKB(recv.pid(), "VmHWM")
	m.metrics, _ = metrics(recv.url)
	m.exit = recv.stop()
	m.log = recv.log()

	base := startServer(b, "baseline", baselineBin, b.TempDir(), func(addr string) []string { return []string{"--listen", addr} })
	progress("many senders against the bare net/http handler")
	pids = map[string]int{"bare handler": base.pid(), "clickhouse-server": chPid, "load generator (benchmark)": os.Getpid()}
	c0 = snapCPU(pids)
	m.base = loadRun{url: base.url, rate: cfg.rate, duration: cfg.manyDuration, concurrency: cfg.many,
		payloads: newPayloads(5, cfg.groups), progress: progress}.run(context.Background())
	m.baseCPU = splitCPU(c0, snapCPU(pids))
	m.baseRSS, _ = procStatusKB(base.pid(), "VmHWM")
	_ = base.stop()
	return m
}

// stallClickHouse stops ClickHouse (SIGSTOP) after `after` for `stall`, then lets it go on: a slow or stuck database,
// during which the receiver's processor cannot write and must not hold what waits for it in memory. No stall: nothing.
func stallClickHouse(pid int, after, stall time.Duration, progress func(string, ...any)) error {
	if stall <= 0 {
		return nil
	}
	time.Sleep(after)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	progress("  ClickHouse stopped for %s", stall)
	time.Sleep(stall)
	progress("  ClickHouse going on")
	return syscall.Kill(pid, syscall.SIGCONT)
}

// revision names the code the receiver was built from: the commit, and whether the receiver's sources differed from
// it (read-only git commands; "unknown" without git).
func revision(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	status, err := exec.Command("git", "--no-optional-locks", "-C", root, "status", "--porcelain", "--",
		"receiver", "pkg", "go.mod", "go.sum").Output()
	if err == nil && len(bytes.TrimSpace(status)) > 0 {
		rev += " (with uncommitted changes to receiver/, pkg/ or go.mod)"
	}
	return rev
}

// cpuProfile saves the receiver's CPU profile over the next d (it must run with --enable-pprof).
func cpuProfile(url string, d time.Duration, path string) error {
	return saveProfile(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", url, max(1, int(d.Seconds()))), path)
}

func saveProfile(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /debug/pprof/profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// startReceiver runs the receiver binary with a database and spool of its own and waits until the schema exists.
func startReceiver(b *testing.B, ch *testenv.ClickHouse, bin string, extra []string) (*server, string) {
	db := ch.NewDatabase(b)
	dir := b.TempDir()
	s := startServer(b, "receiver", bin, dir, func(addr string) []string {
		return append([]string{"--listen", addr, "--clickhouse-dsn", ch.DSN(db), "--spool-dir", filepath.Join(dir, "spool"),
			"--log-level", "info"}, extra...)
	})
	// The processor migrates the schema as it starts; the load starts on a receiver that is done with that.
	testenv.WaitFor(b, 60*time.Second, 50*time.Millisecond, func() (bool, string) {
		out, err := ch.TryQuery("EXISTS TABLE `" + db + "`.incident_alerts")
		return err == nil && strings.TrimSpace(out) == "1", fmt.Sprintf("schema not created yet (%v)", err)
	})
	return s, db
}

// stored is what ClickHouse holds after a run.
type stored struct {
	count, unique          int64
	after                  time.Duration // from the end of the run until every accepted alert was visible
	incidents, alertCounts int64
	events                 int64
}

// waitStored waits until <db>.incident_alerts holds every alert the run had accepted, and fails the benchmark if
// that does not happen within drainTimeout, or if an alert is there twice or was never sent.
func waitStored(b *testing.B, ch *testenv.ClickHouse, db string, r loadResult, groups int, since time.Time) stored {
	b.Helper()
	var s stored
	deadline := time.Now().Add(drainTimeout)
	for {
		out, err := ch.TryQuery("SELECT count(), uniqExact(fingerprint) FROM `" + db + "`.incident_alerts")
		if err == nil {
			if _, err = fmt.Sscan(out, &s.count, &s.unique); err == nil && s.count >= r.ok {
				s.after = time.Since(since)
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s run: only %d of the %d accepted alerts are in %s.incident_alerts %s after the run (last error: %v)",
				r.mode, s.count, r.ok, db, drainTimeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Requests without an answer may have been stored: they are the only alerts allowed beyond the accepted ones.
	if s.count > r.ok+r.noAnswer || s.unique != s.count {
		b.Fatalf("%s run: %s.incident_alerts has %d rows, %d distinct fingerprints; %d alerts were accepted (%d without answer)",
			r.mode, db, s.count, s.unique, r.ok, r.noAnswer)
	}
	// One INSERT fills the tables behind the views one after the other (alerts before incident_state), so the
	// incidents' counts may show the last write a moment after the alerts do.
	want := int64(min(groups, int(s.count)))
	for stateDeadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out := ch.Query(b, "SELECT count(), sum(alert_count) FROM `"+db+"`.incidents")
		if _, err := fmt.Sscan(out, &s.incidents, &s.alertCounts); err != nil {
			b.Fatalf("incidents: %q: %v", out, err)
		}
		if (s.incidents == want && s.alertCounts == s.count) || time.Now().After(stateDeadline) {
			break
		}
	}
	if s.incidents != want || s.alertCounts != s.count {
		b.Errorf("%s run: %d incidents with %d alerts in all; want %d incidents (one per group) with %d alerts",
			r.mode, s.incidents, s.alertCounts, want, s.count)
	}
	out := ch.Query(b, "SELECT count() FROM `"+db+"`.incident_events")
	s.events, _ = strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	return s
}

// viewSampler measures alert-to-view latency: from the 200 answer for an alert until a poll finds it in ClickHouse.
// It polls the table behind <db>.incident_alerts (alerts; the view is "SELECT ... FROM alerts FINAL") for just the
// fingerprint column: ClickHouse 18.16 does not push a WHERE into a view, so polling the view ten times a second
// would read every column of every stored alert, through FINAL, on the cores the receiver needs. A row in alerts is
// a row of the view.
type viewSampler struct {
	ch *testenv.ClickHouse
	db string

	mu        sync.Mutex
	pending   map[string]time.Time // fingerprint -> when it was accepted
	lat       []time.Duration
	polls     int
	pollTime  time.Duration
	queryErrs int
	firstErr  error
}

type viewResult struct {
	lat              []time.Duration // sorted
	missing          int             // samples never seen
	polls, queryErrs int
	meanPoll         time.Duration
}

func newViewSampler(ch *testenv.ClickHouse, db string) *viewSampler {
	return &viewSampler{ch: ch, db: db, pending: map[string]time.Time{}}
}

func (v *viewSampler) add(fp string, at time.Time) {
	v.mu.Lock()
	v.pending[fp] = at
	v.mu.Unlock()
}

func (v *viewSampler) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v.mu.Lock()
		fps := make([]string, 0, len(v.pending))
		for fp := range v.pending {
			fps = append(fps, "'"+fp+"'")
		}
		v.mu.Unlock()
		if len(fps) == 0 {
			continue
		}
		start := time.Now()
		out, err := v.ch.TryQuery("SELECT fingerprint FROM `" + v.db + "`.alerts WHERE fingerprint IN (" + strings.Join(fps, ",") + ")")
		seen := time.Now() // visible at the latest when the answer arrived: an upper bound, within one poll
		v.mu.Lock()
		v.polls++
		v.pollTime += seen.Sub(start)
		if err != nil {
			v.queryErrs++
			if v.firstErr == nil {
				v.firstErr = err
			}
		}
		for _, fp := range strings.Fields(out) {
			if at, ok := v.pending[fp]; ok {
				v.lat = append(v.lat, seen.Sub(at))
				delete(v.pending, fp)
			}
		}
		v.mu.Unlock()
	}
}

// waitDone waits until every sample was seen, or timeout.
func (v *viewSampler) waitDone(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		v.mu.Lock()
		n := len(v.pending)
		v.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (v *viewSampler) result() viewResult {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := viewResult{lat: slices.Clone(v.lat), missing: len(v.pending), polls: v.polls, queryErrs: v.queryErrs}
	slices.Sort(r.lat)
	if v.polls > 0 {
		r.meanPoll = v.pollTime / time.Duration(v.polls)
	}
	return r
}
