//go:build linux

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/dashboards"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// BenchmarkLeadershipPanels times each query of the leadership dashboard (panels and variables) over the last 30
// days on a seeded database (1,000,000 incidents, 10,000,000 events by default), its macros and variables expanded
// as Grafana and the ClickHouse data source would (all AI systems, categories and severities), against a bare
// SELECT count() of the incidents view over the same range in the same run, sampled round-robin with them. Times are
// clickhouse-client's own (--time: query time, not process start), as the plugin benchmark's baselines.
//
//	go test -run '^$' -bench BenchmarkLeadershipPanels -benchtime 1x -timeout 60m ./bench/
//
// The seed has no containment outcomes; the benchmark gives one to every 20th incident.
// FIREBREAK_SEED_INCIDENTS / FIREBREAK_SEED_EVENTS scale the volume; FIREBREAK_DASHBOARD_BENCH_N sets the samples
// per query (default 50); FIREBREAK_BENCH_OUT also writes the markdown summary to a file.
// FIREBREAK_DASHBOARD_BENCH_REUSE="<native port> <http port> <database>" uses a database seeded before on a running
// server (migrated to the current schema by this run).
func BenchmarkLeadershipPanels(b *testing.B) {
	incidents, events, n := envInt(b, "FIREBREAK_SEED_INCIDENTS", 1_000_000), envInt(b, "FIREBREAK_SEED_EVENTS", 10_000_000),
		envInt(b, "FIREBREAK_DASHBOARD_BENCH_N", 50)
	ch, db, seedTook := seededClickHouse(b, "FIREBREAK_DASHBOARD_BENCH_REUSE", incidents, events)

	// The seed makes no containment outcomes: give one to every 20th incident (50,000 of a million), so that the
	// containment panel reads a realistic number of them.
	if strings.TrimSpace(ch.Query(b, "SELECT count() FROM "+db+".containment_outcomes")) == "0" {
		ch.Query(b, `INSERT INTO `+db+`.containment_outcomes
			SELECT incident_id, 1000, declared_at + h % 7200, toUInt8(h % 10 != 0), toString(incident_id), 1,
				toInt64(h % 5000), 1, 'user:bench', ai_system, drill, declared_at
			FROM (SELECT incident_id, declared_at, ai_system, drill, cityHash64(toString(incident_id)) AS h
				FROM `+db+`.incident_state FINAL)
			WHERE h % 20 = 0`)
	}
	containmentRuns := strings.TrimSpace(ch.Query(b, "SELECT count() FROM "+db+".containment_runs"))

	now := time.Now().UTC().Truncate(time.Second)
	files, err := dashboards.All()
	if err != nil {
		b.Fatal(err)
	}
	var (
		queries []dashboards.PanelQuery
		vars    map[string]dashboards.Var
	)
	for _, f := range files {
		if f.Dashboard.Uid == nil || *f.Dashboard.Uid != "firebreak-leadership" {
			continue
		}
		raw, err := dashboards.Render(f.Dashboard)
		if err != nil {
			b.Fatal(err)
		}
		if queries, err = dashboards.Queries(raw); err != nil {
			b.Fatal(err)
		}
		if vars, err = dashboards.DefaultVars(raw, db); err != nil {
			b.Fatal(err)
		}
	}
	req := dashboards.Request{From: now.Add(-30 * 24 * time.Hour), To: now, Interval: time.Hour, Vars: vars}
	type op struct {
		name string
		sql  string
	}
	ops := []op{{"baseline: SELECT count() of the incidents view, same range", fmt.Sprintf(
		"SELECT count() FROM %s.incidents WHERE declared_at >= toDateTime(%d) AND declared_at < toDateTime(%d)",
		db, req.From.Unix(), req.To.Unix())}}
	for _, q := range queries {
		sql, err := dashboards.Expand(q.Text, req)
		if err != nil {
			b.Fatalf("%s: %v", q.Where, err)
		}
		ops = append(ops, op{q.Where, sql})
	}
	// Each query is marked, so that its CPU time can be found in system.query_log afterwards.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := range ops {
		ops[i].sql = fmt.Sprintf("/* dashboard-bench %s op=%d */ %s", run, i, ops[i].sql)
	}

	type result struct {
		name                 string
		p50, p95             time.Duration
		cpu50, cpu95, wait95 time.Duration
	}
	var results []result
	b.ResetTimer()
	for range b.N {
		// Round-robin: each round times every query once, so that what else runs on the machine weighs on the
		// baseline and the panels alike. The first round warms up.
		samples := make([][]time.Duration, len(ops))
		for round := 0; round <= n; round++ {
			for i, o := range ops {
				if took := clientTime(b, ch.TCPAddr(), o.sql, "--log_queries=1"); round > 0 {
					samples[i] = append(samples[i], took)
				}
			}
		}
		cpu := queryCPU(b, ch, run, len(ops))
		results = results[:0]
		for i, o := range ops {
			slices.Sort(samples[i])
			results = append(results, result{o.name, samples[i][len(samples[i])/2], samples[i][(len(samples[i])*95+99)/100-1],
				cpu[i][0], cpu[i][1], cpu[i][2]})
		}
	}
	b.StopTimer()

	base := results[0].p95
	var md strings.Builder
	fmt.Fprintf(&md, "##### Leadership dashboard on %d incidents / %d events", incidents, events)
	if seedTook > 0 {
		fmt.Fprintf(&md, " (seeded in %s)", seedTook.Round(time.Second))
	}
	fmt.Fprintf(&md, ", %s containment outcomes, 30 days, %d samples each\n\n", containmentRuns, n)
	md.WriteString("| query | p50 | p95 | target p95 | | p95 / bare count() p95 | CPU p50 | CPU p95 | waiting for a CPU p95 |\n" +
		"|---|---|---|---|---|---|---|---|---|\n")
	for i, r := range results {
		verdict, target := "", ""
		if i > 0 {
			target, verdict = "300 ms", "**met**"
			if r.p95 > 300*time.Millisecond {
				verdict = "**missed**"
			}
		}
		fmt.Fprintf(&md, "| %s | %.1f ms | %.1f ms | %s | %s | %.2f | %.1f ms | %.1f ms | %.1f ms |\n", r.name, ms(r.p50),
			ms(r.p95), target, verdict, float64(r.p95)/float64(max(base, time.Millisecond)), ms(r.cpu50), ms(r.cpu95), ms(r.wait95))
	}
	b.Log("\n" + md.String())
	if path := os.Getenv("FIREBREAK_BENCH_OUT"); path != "" {
		if err := os.WriteFile(filepath.Clean(path), []byte(md.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// queryCPU reads, from ClickHouse 18.16's query log, the CPU time of the marked queries of a run (the server's threads'
// own, OSCPUVirtualTimeMicroseconds: what a query costs on an idle machine) and the time they waited for a CPU
// (OSCPUWaitMicroseconds: what the rest of the machine added): per op, CPU p50, CPU p95 and wait p95.
func queryCPU(b *testing.B, ch *testenv.ClickHouse, run string, ops int) [][3]time.Duration {
	b.Helper()
	ch.Query(b, "SYSTEM FLUSH LOGS")
	event := func(name string) string {
		return "ProfileEvents.Values[indexOf(ProfileEvents.Names, '" + name + "')]"
	}
	out := ch.Query(b, `SELECT toUInt32(extract(query, 'op=([0-9]+)')) AS op,
			quantileExact(0.5)(`+event("OSCPUVirtualTimeMicroseconds")+`),
			quantileExact(0.95)(`+event("OSCPUVirtualTimeMicroseconds")+`),
			quantileExact(0.95)(`+event("OSCPUWaitMicroseconds")+`)
		FROM system.query_log
		WHERE type = 2 AND query LIKE '/* dashboard-bench `+run+` op=%'
		GROUP BY op ORDER BY op FORMAT TSV`)
	res := make([][3]time.Duration, ops)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var (
			op               int
			c50, c95, wait95 int64
		)
		if _, err := fmt.Sscan(line, &op, &c50, &c95, &wait95); err != nil || op >= ops {
			b.Fatalf("query_log: line %q: %v", line, err)
		}
		res[op] = [3]time.Duration{time.Duration(c50) * time.Microsecond, time.Duration(c95) * time.Microsecond,
			time.Duration(wait95) * time.Microsecond}
	}
	return res
}
