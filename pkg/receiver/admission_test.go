package receiver

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// largeNotification is an Alertmanager notification of group g with alerts alerts of about 9 KiB each.
func largeNotification(g, alerts int) []byte {
	var b strings.Builder
	start := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	fmt.Fprintf(&b, `{"version":"4","status":"firing","receiver":"firebreak","groupKey":"big-%d","alerts":[`, g)
	for a := range alerts {
		if a > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"status":"firing","fingerprint":"big-%d-%d","startsAt":"%s","labels":{"alertname":"AIHallucinationRateHigh","ai_system":"bot%d","instance":"i%d"},"annotations":{"description":"%s"}}`,
			g, a, start, g, a, strings.Repeat("x", 9<<10))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// slowSender is a connection that has sent a webhook request's headers and half its body.
type slowSender struct {
	conn net.Conn
	rd   *bufio.Reader
	body []byte
}

func sendHalf(t *testing.T, url string, body []byte) *slowSender {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = fmt.Fprintf(conn, "POST /api/v1/webhook HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	require.NoError(t, err)
	_, err = conn.Write(body[:len(body)/2])
	require.NoError(t, err)
	return &slowSender{conn: conn, rd: bufio.NewReader(conn), body: body}
}

func (s *slowSender) finish() error {
	_, err := s.conn.Write(s.body[len(s.body)/2:])
	return err
}

type answer struct {
	code       int
	retryAfter string
	json       map[string]any
	err        error
}

func (s *slowSender) answer() answer {
	_ = s.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(s.rd, nil)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	a := answer{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &a.json); err != nil {
		a.err = fmt.Errorf("answer %d is not JSON: %q", resp.StatusCode, b)
	}
	return a
}

// Many large notifications at once, each sent slowly, beyond --max-inflight-bytes: as many as fit are admitted and
// held (their bytes counted, never more than the bound), the others get 503 with Retry-After and a JSON message
// without being read; the admitted ones are stored, and the refused ones, sent again as Alertmanager does, are too:
// every alert once.
func TestWebhookBoundsBytesInFlight(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	r := startReceiver(t, nil, "--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", ch.DSN(db),
		"--max-body-bytes", "1MiB", "--max-inflight-bytes", "2MiB")
	const senders, alerts = 8, 90 // ~830 KiB each: two fit in 2 MiB
	bodies := make([][]byte, senders)
	for g := range bodies {
		bodies[g] = largeNotification(g, alerts)
	}
	size := int64(len(bodies[0]))
	require.Greater(t, size, int64(2<<20)/3, "two notifications must fit the budget, three must not")

	slow := make([]*slowSender, senders)
	answers := make(chan int, senders)
	got := make([]answer, senders)
	for i := range slow {
		slow[i] = sendHalf(t, r.url, bodies[i])
		go func() { got[i] = slow[i].answer(); answers <- i }()
	}
	// The admitted ones wait for the rest of their bodies; all others are refused (after waiting 1 s for room).
	refused := map[int]bool{}
	for range senders - 2 {
		select {
		case i := <-answers:
			refused[i] = true
			a := got[i]
			require.NoError(t, a.err)
			assert.Equal(t, http.StatusServiceUnavailable, a.code, a.json)
			assert.Equal(t, "1", a.retryAfter)
			assert.Contains(t, a.json["error"], "--max-inflight-bytes")
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of %d senders beyond the budget were answered", len(refused), senders-2)
		}
	}
	// What is admitted is counted by bytes: the two held bodies, within the bound.
	assert.Equal(t, float64(2*size), metricValue(t, r.url, "firebreak_webhook_inflight_bytes"))
	// A body of unknown length (chunked) is admitted as it arrives: beyond the room left, it is refused midway.
	chunked, err := http.Post(r.url+"/api/v1/webhook", "application/json", struct{ io.Reader }{strings.NewReader(string(largeNotification(senders, 60)))})
	require.NoError(t, err)
	b, _ := io.ReadAll(chunked.Body)
	chunked.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, chunked.StatusCode, string(b))
	assert.Equal(t, "1", chunked.Header.Get("Retry-After"))
	assert.Contains(t, string(b), "--max-inflight-bytes")
	assert.Equal(t, float64(2*size), metricValue(t, r.url, "firebreak_webhook_inflight_bytes"), "the refused body's bytes are given back")
	assert.Equal(t, float64(2<<20), metricValue(t, r.url, "firebreak_webhook_inflight_limit_bytes"))
	for i := range slow {
		if !refused[i] {
			require.NoError(t, slow[i].finish())
		}
	}
	for range 2 {
		i := <-answers
		require.False(t, refused[i])
		require.NoError(t, got[i].err)
		assert.Equal(t, http.StatusOK, got[i].code, got[i].json)
	}
	assert.Equal(t, 0.0, metricValue(t, r.url, "firebreak_webhook_inflight_bytes"))
	assert.Equal(t, float64(senders-1), metricValue(t, r.url, `firebreak_notifications_received_total{outcome="overloaded",source="unknown"}`))

	// The senders retry what was refused; nothing of it was kept, so every alert is stored once.
	for i := range refused {
		code, out := post(t, r.url, bodies[i])
		require.Equal(t, http.StatusOK, code, out)
	}
	testenv.WaitFor(t, 30*time.Second, 100*time.Millisecond, func() (bool, string) {
		out, err := ch.TryQuery("SELECT count(), uniqExact(fingerprint) FROM `" + db + "`.incident_alerts")
		return err == nil && strings.Fields(out)[0] == strconv.Itoa(senders*alerts), fmt.Sprintf("stored (count, distinct): %q %v", out, err)
	})
	out := ch.Query(t, "SELECT count(), uniqExact(fingerprint) FROM `"+db+"`.incident_alerts")
	assert.Equal(t, []string{strconv.Itoa(senders * alerts), strconv.Itoa(senders * alerts)}, strings.Fields(out))
}

// metricValue reads one series of the receiver's /metrics.
func metricValue(t *testing.T, url, series string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err, line)
			return f
		}
	}
	t.Fatalf("no %s in /metrics", series)
	return 0
}
