//go:build linux

package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/firebreak-dev/firebreak/pkg/grafanahost"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// BenchmarkPluginAPI measures the plugin's incident API on a realistic volume: it seeds ClickHouse (1,000,000
// incidents, 10,000,000 events by default), runs the receiver and the built plugin binary under the Grafana host, and
// times the four operations through the plugin's gRPC resource path. The baseline of each is clickhouse-client
// running SQL that returns the same data (its own --time: query time, not process start), in the same run.
//
//	go test -run '^$' -bench BenchmarkPluginAPI -benchtime 1x -timeout 60m ./bench/
//
// FIREBREAK_SEED_INCIDENTS / FIREBREAK_SEED_EVENTS scale the volume; FIREBREAK_PLUGIN_BENCH_N sets the samples per
// operation (default 100); FIREBREAK_BENCH_OUT also writes the markdown summary to a file.
// FIREBREAK_PLUGIN_BENCH_REUSE="<native port> <http port> <database>" uses a database seeded before (by an earlier
// run's seed command) on a running server instead of seeding one: for iterating on the read path.
func BenchmarkPluginAPI(b *testing.B) {
	incidents, events, n := envInt(b, "FIREBREAK_SEED_INCIDENTS", 1_000_000), envInt(b, "FIREBREAK_SEED_EVENTS", 10_000_000),
		envInt(b, "FIREBREAK_PLUGIN_BENCH_N", 100)
	ch, db, seedTook := seededClickHouse(b, "FIREBREAK_PLUGIN_BENCH_REUSE", incidents, events)
	q := func(sql string) string { return strings.TrimSpace(ch.Query(b, strings.ReplaceAll(sql, "{db}", db))) }
	big := q("SELECT toString(incident_id) FROM {db}.events GROUP BY incident_id HAVING count() = 1000 LIMIT 1")
	if big == "" {
		b.Fatal("the seed has no incident with 1,000 events")
	}

	dir := b.TempDir()
	token := filepath.Join(dir, "api-token")
	if err := os.WriteFile(token, []byte("bench-token"), 0o600); err != nil {
		b.Fatal(err)
	}
	port := testenv.FreePort(b)
	receiverURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	testenv.StartBinary(b, testenv.Binary{Name: "receiver", Path: testenv.GoBuild(b, "receiver"),
		Args: []string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--clickhouse-dsn", ch.DSN(db),
			"--spool-dir", filepath.Join(dir, "spool"), "--api-token-file", token, "--log-level", "warn"},
		ReadyURL: receiverURL + "/-/ready"})
	ctx := context.Background()
	host, err := grafanahost.Start(ctx, grafanahost.Options{Binary: testenv.GoBuild(b, "pkg"),
		JSONData:       []byte(fmt.Sprintf(`{"clickhouse":{"address":%q,"database":%q},"receiver":{"url":%q}}`, ch.TCPAddr(), db, receiverURL)),
		SecureJSONData: map[string]string{"receiverApiToken": "bench-token"}})
	if err != nil {
		b.Fatal(err)
	}
	defer host.Close()
	viewer, editor := grafanahost.NewUser("vic", "Viewer"), grafanahost.NewUser("alice", "Editor")
	call := func(user *backend.User, method, path string) time.Duration {
		start := time.Now()
		status, _, body, err := host.CallResource(ctx, user, method, path, http.Header{}, nil)
		took := time.Since(start)
		if err != nil || status != 200 {
			b.Fatalf("%s %s: %d %v %.300s", method, path, status, err, body)
		}
		return took
	}
	// The receiver loads the open incidents (about 2% of them) before it answers commands: wait for that, sending
	// the same acknowledgement (same idempotency key) until it is answered.
	toAck := strings.Fields(q(fmt.Sprintf("SELECT toString(incident_id) FROM {db}.incident_state FINAL WHERE status = 'declared' AND drill = 0 LIMIT %d", n+1)))
	if len(toAck) < n+1 {
		b.Fatalf("only %d declared incidents to acknowledge", len(toAck))
	}
	loadStart := time.Now()
	for {
		status, _, body, err := host.CallResource(ctx, editor, "POST", "incidents/"+toAck[n]+"/acknowledge",
			http.Header{"X-Idempotency-Key": {"bench-warm-up"}}, nil)
		if err == nil && status == 200 {
			break
		}
		if time.Since(loadStart) > 15*time.Minute {
			b.Fatalf("the receiver did not answer commands within 15 min: %d %v %.300s", status, err, body)
		}
	}
	receiverLoad := time.Since(loadStart)

	from := time.Now().Add(-30 * 24 * time.Hour).UnixMilli()
	ops := []struct {
		name     string
		target   time.Duration
		plugin   func(i int) time.Duration
		baseline []string // SQL with {db}, {id}, {from}
	}{
		{"first page of open SEV1 incidents", 150 * time.Millisecond,
			func(int) time.Duration {
				return call(viewer, "GET", "incidents?status=declared,acknowledged,contained&severity=SEV1&limit=50")
			},
			[]string{`SELECT * FROM {db}.incident_state FINAL WHERE drill = 0 AND status IN ('declared', 'acknowledged', 'contained')
				AND severity = 'SEV1' ORDER BY declared_at DESC, incident_id DESC LIMIT 51`}},
		{"an incident with 1,000 events", 50 * time.Millisecond,
			func(int) time.Duration { return call(viewer, "GET", "incidents/"+big) },
			[]string{"SELECT * FROM {db}.events FINAL WHERE incident_id = '{id}' ORDER BY seq",
				"SELECT * FROM {db}.alerts FINAL WHERE incident_id = '{id}' ORDER BY starts_at, alert_key"}},
		{"acknowledge", 50 * time.Millisecond,
			func(i int) time.Duration { return call(editor, "POST", "incidents/"+toAck[i]+"/acknowledge") },
			[]string{"INSERT INTO {db}.ack_baseline SELECT * FROM {db}.events WHERE incident_id = '{id}' AND seq = 1"}},
		{"stats over 30 days", 300 * time.Millisecond,
			func(int) time.Duration { return call(viewer, "GET", fmt.Sprintf("stats?from=%d", from)) },
			[]string{`SELECT severity, status, category, count(), avgIf(toInt64(assumeNotNull(acknowledged_at)) - toInt64(declared_at), isNotNull(acknowledged_at)),
				avgIf(toInt64(assumeNotNull(resolved_at)) - toInt64(declared_at), isNotNull(resolved_at)),
				countIf(status IN ('declared', 'acknowledged', 'contained') AND isNull(acknowledged_at))
				FROM {db}.incident_state FINAL WHERE drill = 0 AND declared_at >= toDateTime({from}) GROUP BY severity, status, category`}},
	}
	q("CREATE TABLE IF NOT EXISTS {db}.ack_baseline AS {db}.events")

	var report strings.Builder
	fmt.Fprintf(&report, "#### Plugin API on %d incidents / %d events (seeded in %s; receiver ready for commands %s after start), %d samples each\n\n",
		incidents, events, seedTook.Round(time.Second), receiverLoad.Round(time.Second), n)
	report.WriteString("| operation | plugin p50 | plugin p95 | target p95 | | clickhouse-client p50 | p95 | plugin / client (p95) |\n|---|---|---|---|---|---|---|---|\n")
	for _, op := range ops {
		var plugin, raw []time.Duration
		for i := 0; i < n; i++ {
			plugin = append(plugin, op.plugin(i))
		}
		for i := 0; i < n && i < 30; i++ {
			var total time.Duration
			for _, sql := range op.baseline {
				sql = strings.NewReplacer("{db}", db, "{id}", big, "{from}", strconv.FormatInt(from/1000, 10)).Replace(sql)
				total += clientTime(b, ch.TCPAddr(), sql)
			}
			raw = append(raw, total)
		}
		slices.Sort(plugin)
		slices.Sort(raw)
		p95, bp95 := quantile(plugin, 0.95), quantile(raw, 0.95)
		verdict := "**met**"
		if p95 > op.target {
			verdict = "**missed**"
		}
		fmt.Fprintf(&report, "| %s | %.1f ms | %.1f ms | %d ms | %s | %.1f ms | %.1f ms | %.2f |\n", op.name,
			ms(quantile(plugin, 0.5)), ms(p95), op.target.Milliseconds(), verdict, ms(quantile(raw, 0.5)), ms(bp95),
			float64(p95)/float64(bp95))
		b.ReportMetric(ms(p95), strings.ReplaceAll(op.name, " ", "_")+"_p95_ms")
	}
	fmt.Println(report.String())
	if out := os.Getenv(envOut); out != "" {
		if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// clientTime runs sql with clickhouse-client (and more of its options) and returns the query time it reports
// (--time), without its start-up.
func clientTime(b *testing.B, addr, sql string, args ...string) time.Duration {
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command("clickhouse-client", append([]string{"--host", host, "--port", port, "--time", "--format", "Null",
		"--query", sql}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("clickhouse-client: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	secs, err := strconv.ParseFloat(fields[len(fields)-1], 64)
	if err != nil {
		b.Fatalf("clickhouse-client --time printed %q", out)
	}
	return time.Duration(secs * float64(time.Second))
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s: %q is not a positive number", name, v)
	}
	return n
}
