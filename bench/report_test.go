//go:build linux

package bench

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report collects everything the benchmark measured and renders it as markdown.
type report struct {
	settings
	chVersion, cpuModel, kernel string
	revision                    string // of the receiver binary
	nproc                       int

	paced                   loadResult
	pacedCPU, drainCPU      cpuSplit
	pacedStore              stored
	view                    viewResult
	rss                     []rssSample
	peakRSS                 int64
	pacedMetrics            map[string]float64
	pacedParts              string
	pacedExit               error
	pacedLog                string
	max                     loadResult
	maxCPU                  cpuSplit
	maxStore                stored
	maxPeakRSS, basePeakRSS int64
	maxExit                 error
	maxLog                  string
	base                    loadResult
	baseCPU                 cpuSplit
	manyRun                 *manyResult // nil without the many-senders run
}

func (r *report) machine() {
	r.nproc = runtime.NumCPU()
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				r.cpuModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		r.kernel = strings.TrimSpace(string(b))
	}
}

func (r *report) ratio() float64 {
	if r.base.achieved() == 0 {
		return 0
	}
	return r.max.achieved() / r.base.achieved()
}

func yesNo(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

func fmtMs(d time.Duration) string { return fmt.Sprintf("%.1f ms", ms(d)) }

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

func (r *report) markdown() string {
	var b strings.Builder
	p := &r.paced
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("## Receiver load benchmark, %s", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	w("")
	w("Receiver built from commit %s. Machine: %d CPUs (%s), Linux %s, %s; ClickHouse %s. Receiver, ClickHouse and "+
		"the load generator share the machine.", r.revision, r.nproc, r.cpuModel, r.kernel, runtime.Version(), r.chVersion)
	w("Load: Alertmanager v4 notifications with one firing alert each (new fingerprint and startsAt every time), "+
		"round robin over %d groups; %d keep-alive connections.", r.groups, r.concurrency)
	w("")
	w("### Paced run: %.0f notifications/s for %s (open loop)", r.rate, r.duration)
	w("")
	w("| metric | result | target | |")
	w("| --- | --- | --- | --- |")
	// The offered rate is sustained when every request of the schedule was sent and accepted: the rate over the
	// schedule is then the offered one (the last answer arrives a latency after the schedule ends).
	sustained := sustainedRate(p)
	rateOK := sustained >= targetRate && p.intended > 0 && p.ok == p.intended
	w("| accepted notifications/s | %.0f (%d of %d scheduled sent, %d accepted; last answer %s after the start) | >= %.0f | %s |",
		sustained, p.sent, p.intended, p.ok, p.elapsed.Round(time.Millisecond), targetRate, yesNo(rateOK))
	w("| answers other than 200 / no answer | %d%s / %d | 0 | %s |", p.non200(), codes(p.codes), p.noAnswer,
		yesNo(p.non200() == 0 && p.noAnswer == 0))
	w("| acceptance latency p50 / p90 / p99 | %s / %s / %s | p99 <= %s | %s |", fmtMs(quantile(p.lat, 0.5)),
		fmtMs(quantile(p.lat, 0.9)), fmtMs(quantile(p.lat, 0.99)), fmtMs(targetP99), yesNo(quantile(p.lat, 0.99) <= targetP99))
	w("| acceptance latency p99.9 / max | %s / %s | | |", fmtMs(quantile(p.lat, 0.999)), fmtMs(quantile(p.lat, 1)))
	w("| alert-to-view latency p50 / p99 / max (%d samples, 1 in %d) | %s / %s / %s | | |", len(r.view.lat),
		r.sampleEvery, fmtMs(quantile(r.view.lat, 0.5)), fmtMs(quantile(r.view.lat, 0.99)), fmtMs(quantile(r.view.lat, 1)))
	w("| accepted alerts in incident_alerts | %d of %d (%d distinct), all there %s after the run | all | %s |",
		r.pacedStore.count, p.ok, r.pacedStore.unique, r.pacedStore.after.Round(100*time.Millisecond),
		yesNo(r.pacedStore.count == p.ok && r.pacedStore.unique == p.ok))
	w("| incidents / events | %d incidents holding %d alerts; %d timeline events | | |",
		r.pacedStore.incidents, r.pacedStore.alertCounts, r.pacedStore.events)
	var rssMax int64
	for _, s := range r.rss {
		rssMax = max(rssMax, s.rss)
	}
	w("| receiver peak RSS (VmHWM) | %s (largest VmRSS sample %s) | < %s | %s |", mib(r.peakRSS), mib(rssMax),
		mib(targetRSS), yesNo(r.peakRSS > 0 && r.peakRSS < targetRSS))
	w("")
	w("Latency is from each request's scheduled send time to its answer, so waiting for a free connection counts. "+
		"Alert-to-view latency is from the 200 answer to the first 100 ms poll that finds the alert in ClickHouse "+
		"(an upper bound, within one poll plus the poll's own time, %s on average).", fmtMs(r.view.meanPoll))
	if r.view.missing > 0 || r.view.queryErrs > 0 {
		w("Samples never seen: %d; failed polls: %d of %d.", r.view.missing, r.view.queryErrs, r.view.polls)
	}
	w("")
	w("Timeline (answers by arrival, latency by scheduled time; - where no request due then was sent before the run stopped):")
	w("")
	timeline(&b, p, r.rss)
	w("")
	w("CPU during the paced run (cores; %d available):", r.nproc)
	w("")
	r.cpuTable(&b, r.pacedCPU, p.ok)
	w("")
	w("While ClickHouse caught up after the run (%s): %s", r.drainCPU.wall.Round(100*time.Millisecond), r.cpuLine(r.drainCPU))
	w("")
	r.receiverMetrics(&b)
	w("")
	w("### Maximum rate: closed loop, %d connections, %s each", r.concurrency, r.maxDuration)
	w("")
	w("| server | requests/s | p50 | p99 | max | peak RSS | CPU (cores) |")
	w("| --- | --- | --- | --- | --- | --- | --- |")
	for _, row := range []struct {
		name string
		res  *loadResult
		rss  int64
		cpu  cpuSplit
	}{{"receiver (spool + ClickHouse)", &r.max, r.maxPeakRSS, r.maxCPU}, {"bare net/http handler (reads the body)", &r.base, r.basePeakRSS, r.baseCPU}} {
		w("| %s | %.0f | %s | %s | %s | %s | %s |", row.name, row.res.achieved(), fmtMs(quantile(row.res.lat, 0.5)),
			fmtMs(quantile(row.res.lat, 0.99)), fmtMs(quantile(row.res.lat, 1)), mib(row.rss), r.cpuLine(row.cpu))
	}
	w("")
	w("Receiver / bare handler: **%.2f**. The receiver's closed-loop run: %d accepted, %d other answers, %d without an "+
		"answer; all %d in incident_alerts %s after the run.", r.ratio(), r.max.ok, r.max.non200(), r.max.noAnswer,
		r.maxStore.count, r.maxStore.after.Round(100*time.Millisecond))
	w("")
	r.manySection(&b)
	r.logSummary(&b, "paced run", r.pacedLog, r.pacedExit)
	r.logSummary(&b, "closed-loop run", r.maxLog, r.maxExit)
	if r.manyRun != nil {
		r.logSummary(&b, "many-senders run", r.manyRun.log, r.manyRun.exit)
	}
	return b.String()
}

// manySection reports the many-senders run against the bare handler under the same load and against the paced run
// over the usual connections, both measured in the same benchmark run.
func (r *report) manySection(b *strings.Builder) {
	m := r.manyRun
	if m == nil {
		return
	}
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	w("### Many senders: %.0f notifications/s for %s over %d connections (open loop)", r.rate, r.manyDuration, r.many)
	w("")
	if r.manyStall > 0 {
		w("ClickHouse was stopped (SIGSTOP) from 5 s into the receiver's run for %s.", r.manyStall)
		w("")
	}
	w("| server | accepted/s | 503 (retry later) | other / no answer | p50 | p99 | max | peak RSS | CPU (cores) |")
	w("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	row := func(name string, res *loadResult, rss int64, cpu cpuSplit) {
		busy := res.codes[503]
		w("| %s | %.0f (%d of %d scheduled sent) | %d | %d / %d | %s | %s | %s | %s | %s |", name, sustainedRate(res), res.sent,
			res.intended, busy, res.non200()-busy, res.noAnswer, fmtMs(quantile(res.lat, 0.5)), fmtMs(quantile(res.lat, 0.99)),
			fmtMs(quantile(res.lat, 1)), mib(rss), r.cpuLine(cpu))
	}
	row(fmt.Sprintf("receiver, %d connections", r.many), &m.recv, m.recvRSS, m.recvCPU)
	row(fmt.Sprintf("bare net/http handler, %d connections", r.many), &m.base, m.baseRSS, m.baseCPU)
	row(fmt.Sprintf("receiver, %d connections (the paced run above)", r.concurrency), &r.paced, r.peakRSS, r.pacedCPU)
	w("")
	ratio := func(a, b float64) string {
		if b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	w("Receiver over %d connections against the bare handler under the same load: rate **%s**, p99 **%s**; against the "+
		"receiver over %d connections: rate %s, p99 %s, peak RSS %s. All %d accepted alerts in incident_alerts %s after the run "+
		"(%d distinct; refused ones are not kept).", r.many, ratio(sustainedRate(&m.recv), sustainedRate(&m.base)),
		ratio(ms(quantile(m.recv.lat, 0.99)), ms(quantile(m.base.lat, 0.99))), r.concurrency,
		ratio(sustainedRate(&m.recv), sustainedRate(&r.paced)), ratio(ms(quantile(m.recv.lat, 0.99)), ms(quantile(r.paced.lat, 0.99))),
		ratio(float64(m.recvRSS), float64(r.peakRSS)), m.stored.count, m.stored.after.Round(100*time.Millisecond), m.stored.unique)
	g := func(name string) float64 { return m.metrics[name] }
	w("Receiver metrics after it: largest write bucket %s events, %.0f writes of %.0f events on average; bytes in flight now %.0f "+
		"of a limit of %.0f.", largestBucket(m.metrics, "firebreak_store_write_events"), g("firebreak_store_write_events_count"),
		g("firebreak_store_write_events_sum")/max(1, g("firebreak_store_write_events_count")),
		g("firebreak_webhook_inflight_bytes"), g("firebreak_webhook_inflight_limit_bytes"))
	w("")
	w("Timeline of the receiver over %d connections:", r.many)
	w("")
	timeline(b, &m.recv, m.rss)
	w("")
}

// timeline renders a paced run by 10 s windows.
func timeline(b *strings.Builder, p *loadResult, rss []rssSample) {
	fmt.Fprintf(b, "| seconds | answers/s | p50 | p99 | max | receiver RSS |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, win := range p.windows(10*time.Second, rss) {
		lat := "- | - | -"
		if win.scheduled > 0 {
			lat = fmtMs(win.p50) + " | " + fmtMs(win.p99) + " | " + fmtMs(win.maxL)
		}
		fmt.Fprintf(b, "| %.0f-%.0f | %.0f | %s | %s |\n", win.from.Seconds(), win.to.Seconds(),
			float64(win.answered)/(win.to-win.from).Seconds(), lat, mib(win.rssMax))
	}
}

// sustainedRate is the accepted rate of a paced run: the offered one when every scheduled request was accepted.
func sustainedRate(p *loadResult) float64 {
	if p.intended > 0 && p.ok == p.intended {
		return float64(p.ok) / p.duration.Seconds()
	}
	return p.achieved()
}

// largestBucket is the upper bound of the lowest histogram bucket holding every observation, "-" without any.
func largestBucket(m map[string]float64, name string) string {
	count := m[name+"_count"]
	best := math.Inf(1)
	for k, v := range m {
		if le, ok := strings.CutPrefix(k, name+`_bucket{le="`); ok && v >= count && count > 0 {
			if f, err := strconv.ParseFloat(strings.TrimSuffix(le, `"}`), 64); err == nil {
				best = min(best, f)
			}
		}
	}
	if math.IsInf(best, 1) {
		return "-"
	}
	return "<= " + strconv.FormatFloat(best, 'f', -1, 64)
}

// otherDetail names what else used the CPU: " (interrupts 0.10; go 0.30, ...)".
func (c cpuSplit) otherDetail() string {
	parts := []string{fmt.Sprintf("interrupts %.2f", c.irq)}
	for _, t := range c.top {
		parts = append(parts, fmt.Sprintf("%s %.2f", t.name, t.cores))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// codes renders non-200 answers by status, " (503: 12)".
func codes(m map[int]int64) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]int, 0, len(m))
	for c := range m {
		keys = append(keys, c)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for k, c := range keys {
		parts[k] = fmt.Sprintf("%d: %d", c, m[c])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func (r *report) cpuLine(c cpuSplit) string {
	names := make([]string, 0, len(c.cores))
	for n := range c.cores {
		names = append(names, n)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %.2f", n, c.cores[n]))
	}
	parts = append(parts, fmt.Sprintf("rest of the machine %.2f%s", c.others, c.otherDetail()), fmt.Sprintf("iowait %.2f", c.iowait))
	return strings.Join(parts, ", ")
}

func (r *report) cpuTable(b *strings.Builder, c cpuSplit, accepted int64) {
	names := make([]string, 0, len(c.cores))
	for n := range c.cores {
		names = append(names, n)
	}
	slices.SortFunc(names, func(x, y string) int {
		if c.cores[x] > c.cores[y] {
			return -1
		}
		if c.cores[x] < c.cores[y] {
			return 1
		}
		return strings.Compare(x, y)
	})
	perAlert := func(cores float64) string {
		if accepted == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f µs", cores*c.wall.Seconds()/float64(accepted)*1e6)
	}
	fmt.Fprintln(b, "| process | cores | CPU per accepted notification |")
	fmt.Fprintln(b, "| --- | --- | --- |")
	for _, n := range names {
		fmt.Fprintf(b, "| %s | %.2f | %s |\n", n, c.cores[n], perAlert(c.cores[n]))
	}
	fmt.Fprintf(b, "| rest of the machine%s | %.2f | |\n", c.otherDetail(), c.others)
	fmt.Fprintf(b, "| idle | %.2f (of which iowait %.2f) | |\n", max(0, float64(r.nproc)-c.busy), c.iowait)
}

func (r *report) receiverMetrics(b *strings.Builder) {
	m := r.pacedMetrics
	if m == nil {
		return
	}
	writes := sum(m, "firebreak_store_write_duration_seconds_count")
	events := sum(m, "firebreak_events_written_total")
	avg := func(name string) string {
		if n := sum(m, name+"_count"); n > 0 {
			return fmtMs(time.Duration(sum(m, name+"_sum") / n * float64(time.Second)))
		}
		return "-"
	}
	perWrite := 0.0
	if writes > 0 {
		perWrite = events / writes
	}
	fmt.Fprintf(b, "Receiver metrics after the paced run: %.0f ClickHouse writes of %.0f events on average (largest %s), mean write %s, "+
		"mean ingest lag (accepted to written) %s, %.0f write errors, %.0f undecodable spool records, %.0f alerts "+
		"held in memory, spool pending %.0f; server-side accept latency mean %s. ClickHouse active parts / rows: %s.\n",
		writes, perWrite, largestBucket(m, "firebreak_store_write_events"), avg("firebreak_store_write_duration_seconds"), avg("firebreak_ingest_lag_seconds"),
		sum(m, "firebreak_store_write_errors_total"), sum(m, "firebreak_spool_records_undecodable_total"),
		sum(m, "firebreak_ingest_state_alert_episodes"), sum(m, "firebreak_spool_pending_records"),
		avg("firebreak_webhook_accept_duration_seconds"), strings.ReplaceAll(r.pacedParts, "\t", " / "))
	fmt.Fprintf(b, "Spool: %.0f write+fsync rounds, %.1f notifications each on average, mean %s, 99%% / 99.9%% within %s / %s; "+
		"server-side accept latency 99%% / 99.9%% within %s / %s (histogram bucket bounds).\n",
		sum(m, "firebreak_spool_sync_duration_seconds_count"),
		sum(m, "firebreak_webhook_accept_duration_seconds_count")/max(1, sum(m, "firebreak_spool_sync_duration_seconds_count")),
		avg("firebreak_spool_sync_duration_seconds"), bucketQuantile(m, "firebreak_spool_sync_duration_seconds", 0.99),
		bucketQuantile(m, "firebreak_spool_sync_duration_seconds", 0.999),
		bucketQuantile(m, "firebreak_webhook_accept_duration_seconds", 0.99),
		bucketQuantile(m, "firebreak_webhook_accept_duration_seconds", 0.999))
}

// bucketQuantile is the upper bound of the histogram bucket holding quantile q of the metric's observations.
func bucketQuantile(m map[string]float64, name string, q float64) string {
	type bucket struct{ le, count float64 }
	var buckets []bucket
	for series, v := range m {
		le, ok := strings.CutPrefix(series, name+`_bucket{le="`)
		if !ok {
			continue
		}
		bound, err := strconv.ParseFloat(strings.TrimSuffix(le, `"}`), 64)
		if err == nil {
			buckets = append(buckets, bucket{bound, v})
		}
	}
	slices.SortFunc(buckets, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	if len(buckets) == 0 || buckets[len(buckets)-1].count == 0 {
		return "-"
	}
	want := q * buckets[len(buckets)-1].count
	for _, bk := range buckets {
		if bk.count >= want {
			if math.IsInf(bk.le, 1) {
				return "more than the largest bucket"
			}
			return fmtMs(time.Duration(bk.le * float64(time.Second)))
		}
	}
	return "-"
}

func (r *report) logSummary(b *strings.Builder, run, log string, exit error) {
	warns, errs := logLines(log, "WARN"), logLines(log, "ERROR")
	// The receiver always warns once that no authentication is configured, as the benchmark runs it.
	warns = slices.DeleteFunc(warns, func(l string) bool { return strings.Contains(l, "no bearer token or basic auth configured") })
	exitText := "exited cleanly on SIGTERM"
	if exit != nil {
		exitText = "exit on SIGTERM: " + exit.Error()
	}
	fmt.Fprintf(b, "Receiver log (%s): %d warnings besides the no-auth one, %d errors; %s.\n", run, len(warns), len(errs), exitText)
	for _, l := range append(errs, warns...)[:min(5, len(errs)+len(warns))] {
		fmt.Fprintf(b, "    %s\n", l)
	}
	fmt.Fprintln(b)
}
