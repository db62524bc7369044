package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type running struct {
	url  string
	stop func()
}

// startReceiver runs the receiver in-process with the given flags and returns once it listens.
func startReceiver(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	args = append([]string{"--listen", "127.0.0.1:0", "--log-level", "warn"}, args...)
	cfg, err := ParseConfig(args, envMap(env), io.Discard)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, NewLogger(cfg, testWriter{t}), func(a string) { addr <- a })
	}()
	var r *running
	select {
	case a := <-addr:
		var once sync.Once
		r = &running{url: "http://" + a, stop: func() {
			once.Do(func() {
				cancel()
				require.NoError(t, <-done)
			})
		}}
	case err := <-done:
		t.Fatalf("receiver did not start: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("receiver did not start within 20s")
	}
	t.Cleanup(r.stop)
	return r
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func post(t *testing.T, url string, body []byte, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/api/v1/webhook", bytes.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// notification builds an Alertmanager v4 payload with one alert per fingerprint in fps.
func notification(group string, status string, start time.Time, fps ...string) []byte {
	var alerts []map[string]any
	for _, fp := range fps {
		a := map[string]any{
			"status": status, "fingerprint": fp, "startsAt": start.Format(time.RFC3339Nano),
			"endsAt":      "0001-01-01T00:00:00Z",
			"labels":      map[string]string{"alertname": "AIHallucinationRateHigh", "ai_system": "supportbot", "severity": "critical", "instance": fp},
			"annotations": map[string]string{"summary": "Hallucination rate high on supportbot"},
		}
		if status == "resolved" {
			a["endsAt"] = start.Add(time.Minute).Format(time.RFC3339Nano)
		}
		alerts = append(alerts, a)
	}
	b, _ := json.Marshal(map[string]any{
		"version": "4", "status": status, "receiver": "firebreak", "groupKey": group, "alerts": alerts,
		"groupLabels": map[string]string{"alertname": "AIHallucinationRateHigh"}, "externalURL": "http://am",
	})
	return b
}

var unreachableDSN = "clickhouse://127.0.0.1:1/firebreak?dial_timeout=100ms"

func TestWebhookHTTPContract(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600))
	r := startReceiver(t, map[string]string{"FIREBREAK_BASIC_AUTH": "am:pw"}, "--token-file", tokenFile,
		"--spool-dir", filepath.Join(dir, "spool"), "--clickhouse-dsn", unreachableDSN, "--max-body-bytes", "64KiB")
	valid := notification("g", "firing", time.Now(), "f1")
	bearer := []string{"Authorization", "Bearer t0ken"}
	tests := []struct {
		name   string
		body   []byte
		header []string
		code   int
		want   string
	}{
		{"no credentials", valid, nil, 401, "missing or wrong credentials"},
		{"wrong token", valid, []string{"Authorization", "Bearer t0ke"}, 401, "missing or wrong credentials"},
		{"token as basic", valid, []string{"Authorization", "Basic dDBrZW4="}, 401, "missing or wrong credentials"},
		{"wrong basic", valid, []string{"Authorization", "Basic YW06bm9wZQ=="}, 401, "missing or wrong credentials"},
		{"bearer", valid, bearer, 200, `"status":"accepted"`},
		{"basic", valid, []string{"Authorization", "Basic YW06cHc="}, 200, `"alerts":1`},
		{"too large", bytes.Repeat([]byte(" "), 65<<10), bearer, 413, "larger than the limit of 64 KiB"},
		{"bad json", []byte(`{"status":`), bearer, 400, "invalid notification: invalid JSON"},
		{"invalid", []byte(`{"status":"firing","version":"4","alerts":[{"status":"firing","labels":{"a":"b"}}]}`), bearer, 400, "alerts[0].startsAt: missing"},
		{"sql in values", notification("'; DROP DATABASE firebreak; --", "firing", time.Now(), "f'1"), bearer, 200, "accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, r.url, tt.body, tt.header...)
			assert.Equal(t, tt.code, code, body)
			assert.Contains(t, body, tt.want)
			if code >= 400 {
				var e map[string]string
				require.NoError(t, json.Unmarshal([]byte(body), &e), "errors are JSON")
				assert.NotEmpty(t, e["error"])
				assert.NotContains(t, body, "t0ken", "the secret never appears in an answer")
			}
		})
	}
	resp, err := http.Get(r.url + "/api/v1/webhook")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	for path, want := range map[string]string{"/-/healthy": "Healthy", "/-/ready": "Ready",
		"/metrics": `firebreak_notifications_received_total{outcome="unauthorized",source="unknown"} 4`} {
		resp, err := http.Get(r.url + path)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode, path)
		assert.Contains(t, string(b), want, path)
	}
}

// With ClickHouse unreachable the spool fills; then the receiver answers 503 (which Alertmanager retries), never
// 429 (which Alertmanager drops), and readiness says why.
func TestSpoolFullGives503(t *testing.T) {
	r := startReceiver(t, nil, "--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", unreachableDSN,
		"--spool-max-bytes", "4KiB")
	accepted := 0
	var code int
	var body string
	for i := 0; i < 50; i++ {
		code, body = post(t, r.url, notification("g", "firing", time.Now(), "f"+strconv.Itoa(i)))
		if code != 200 {
			break
		}
		accepted++
	}
	assert.Greater(t, accepted, 0)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "spool: full")
	resp, err := http.Get(r.url + "/-/ready")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

func count(t *testing.T, ch *testenv.ClickHouse, sql string) int {
	t.Helper()
	out, err := ch.TryQuery(sql)
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(out))
	require.NoError(t, err, out)
	return n
}

func TestDeclaresIncidentsInClickHouse(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	r := startReceiver(t, nil, "--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", ch.DSN(db))
	start := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	code, body := post(t, r.url, notification(`{}:{alertname="AIHallucinationRateHigh"}`, "firing", start, "aaaa"))
	require.Equal(t, 200, code, body)
	testenv.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		n := count(t, ch, "SELECT count() FROM "+db+".incident_events")
		return n == 3, fmt.Sprintf("%d events", n)
	})
	waitQuery(t, ch, "SELECT severity, category, ai_system, status, alert_count, declared_by, declared_via FROM "+db+".incidents",
		"SEV1\thallucination\tsupportbot\tdeclared\t1\trule:AIHallucinationRateHigh\talertmanager\n")

	// The same notification again, twice: nothing changes. Then a second alert joins, then both resolve.
	for i := 0; i < 2; i++ {
		code, _ = post(t, r.url, notification(`{}:{alertname="AIHallucinationRateHigh"}`, "firing", start, "aaaa"))
		require.Equal(t, 200, code)
	}
	post(t, r.url, notification(`{}:{alertname="AIHallucinationRateHigh"}`, "firing", start, "aaaa", "bbbb"))
	post(t, r.url, notification(`{}:{alertname="AIHallucinationRateHigh"}`, "resolved", start, "aaaa", "bbbb"))
	testenv.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		n := count(t, ch, "SELECT count() FROM "+db+".incident_events")
		return n == 6, fmt.Sprintf("%d events", n)
	})
	assert.Equal(t, "1\tdeclared\n2\ttaxonomy_updated\n3\talert_fired\n4\talert_fired\n5\talert_resolved\n6\talert_resolved\n",
		ch.Query(t, "SELECT seq, kind FROM "+db+".incident_events ORDER BY seq"))
	assert.Equal(t, start.Add(time.Minute).UTC().Format("2006-01-02 15:04:05")+"\n",
		ch.Query(t, "SELECT at FROM "+db+".incident_events WHERE seq = 6"), "resolved at endsAt, not on arrival")
	// SEV1 is not resolved automatically.
	waitQuery(t, ch, "SELECT count(), any(alert_count), any(firing_alert_count), any(status) FROM "+db+".incidents", "1\t2\t0\tdeclared\n")
}

// ClickHouse goes down in the middle of a stream of notifications and comes back; the receiver restarts too. Every
// accepted alert is in ClickHouse exactly once afterwards.
func TestClickHouseOutageAndRestartLoseNothing(t *testing.T) {
	ch := testenv.StartClickHouse(t)
	db := ch.NewDatabase(t)
	spoolDir := filepath.Join(t.TempDir(), "spool")
	args := []string{"--spool-dir", spoolDir, "--clickhouse-dsn", ch.DSN(db) + "?dial_timeout=200ms&read_timeout=2s"}
	r := startReceiver(t, nil, args...)
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	sent := 0
	send := func(n int) {
		for i := 0; i < n; i++ {
			group := fmt.Sprintf("group-%d", sent%7)
			code, body := post(t, r.url, notification(group, "firing", start, fmt.Sprintf("fp%05d", sent)))
			require.Equal(t, 200, code, body)
			sent++
		}
	}
	send(100)
	ch.Stop()
	send(150) // accepted into the spool while ClickHouse is down
	r.stop()  // and the receiver restarts with a non-empty spool
	r = startReceiver(t, nil, args...)
	send(50)
	ch.Start()
	send(100)
	testenv.WaitFor(t, 60*time.Second, 200*time.Millisecond, func() (bool, string) {
		n := count(t, ch, "SELECT count() FROM "+db+".incident_alerts")
		return n == sent, fmt.Sprintf("%d of %d alerts", n, sent)
	})
	assert.Equal(t, fmt.Sprintf("%d\t%d\n", sent, sent), ch.Query(t, "SELECT count(), uniqExact(fingerprint) FROM "+db+".incident_alerts"))
	waitQuery(t, ch, "SELECT count(), sum(alert_count) FROM "+db+".incidents", "7\t400\n")
	assert.Equal(t, "414\n", ch.Query(t, "SELECT count() FROM "+db+".incident_events"),
		"7 declared + 7 taxonomy_updated (the hallucination defaults) + 400 alert_fired, no duplicates")
	// Raw tables agree once merged: nothing was written twice under a different identity.
	ch.Query(t, "OPTIMIZE TABLE "+db+".events FINAL")
	assert.Equal(t, "414\n", ch.Query(t, "SELECT count() FROM "+db+".events"))
}

// waitQuery waits until sql returns want. One INSERT feeds events, state and alerts through materialized views one
// after the other, so a reader may see the events a moment before the state.
func waitQuery(t *testing.T, ch *testenv.ClickHouse, sql, want string) {
	t.Helper()
	testenv.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		got, err := ch.TryQuery(sql)
		if err != nil {
			return false, err.Error()
		}
		return got == want, fmt.Sprintf("%s: got %q, want %q", sql, got, want)
	})
}
