package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func alert(name, instance string, startsAt time.Time) map[string]any {
	return map[string]any{
		"labels": map[string]string{"alertname": name, "ai_system": "supportbot", "severity": "warning",
			"category": "drift", "instance": instance},
		"annotations": map[string]string{"summary": "Input drift on supportbot"},
		"startsAt":    startsAt.Format(time.RFC3339Nano),
	}
}

// The receiver stores a notification but the answer is lost (a proxy in between turns it into a 503), so
// Alertmanager retries: the retry must change nothing.
func TestAlertmanagerRetryAfter5xxChangesNothing(t *testing.T) {
	s := startReceiver(t)
	var calls atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequest(r.Method, s.url+r.URL.Path, bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if calls.Add(1) == 1 {
			http.Error(w, "upstream answer lost", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(b)
	}))
	defer proxy.Close()
	am := testenv.StartAlertmanager(t, testenv.AlertmanagerConfig{Config: s.alertmanagerConfig(proxy.URL + "/api/v1/webhook")})
	am.PostAlerts(t, []map[string]any{alert("AIInputDriftHigh", "a", time.Now().Add(-time.Minute))})

	testenv.WaitFor(t, 20*time.Second, 100*time.Millisecond, func() (bool, string) {
		return calls.Load() >= 2, "waiting for Alertmanager to retry"
	})
	s.waitRows(t, 10*time.Second, "SELECT count(), sum(alert_count) FROM {db}.incidents FORMAT TSV", "1\t1\n")
	s.waitRows(t, 10*time.Second, "SELECT kind FROM {db}.incident_events ORDER BY seq FORMAT TSV", "declared\nalert_fired\n")
	require.GreaterOrEqual(t, s.metric(t, `firebreak_notifications_received_total{outcome="accepted",source="alertmanager"}`), 2.0)
	testenv.WaitFor(t, 10*time.Second, 100*time.Millisecond, func() (bool, string) {
		return s.metric(t, `firebreak_alerts_duplicate_total`) >= 1, "the retried alert is processed as a duplicate"
	})
	require.Equal(t, "declared\nalert_fired\n", s.query(t, "SELECT kind FROM {db}.incident_events ORDER BY seq FORMAT TSV"))
}

// Two Alertmanagers of one HA cluster get the same alerts (as Prometheus sends to all) and may both deliver the
// group: there is one incident, with each alert once.
func TestHAAlertmanagersDeclareOneIncident(t *testing.T) {
	s := startReceiver(t)
	cluster := testenv.StartAlertmanagerCluster(t, s.alertmanagerConfig(""), 2)
	start := time.Now().Add(-time.Minute)
	alerts := []map[string]any{alert("AIInputDriftHigh", "a", start), alert("AIInputDriftHigh", "b", start)}
	for _, am := range cluster {
		am.PostAlerts(t, alerts)
	}
	s.waitRows(t, 30*time.Second, "SELECT count(), sum(alert_count), any(category), any(severity) FROM {db}.incidents FORMAT TSV", "1\t2\tdrift\tSEV2\n")
	s.waitRows(t, 10*time.Second, "SELECT kind FROM {db}.incident_events ORDER BY seq FORMAT TSV", "declared\nalert_fired\nalert_fired\n")

	// A partition: each peer alone sends (duplicates by design). Still one incident, alerts once each.
	alone := testenv.StartAlertmanager(t, testenv.AlertmanagerConfig{Config: s.alertmanagerConfig("")})
	alone.PostAlerts(t, alerts)
	testenv.WaitFor(t, 20*time.Second, 100*time.Millisecond, func() (bool, string) {
		return s.metric(t, `firebreak_alerts_duplicate_total`) >= 2, "waiting for the partitioned peer's duplicate delivery"
	})
	time.Sleep(500 * time.Millisecond) // a batch in flight would land within the linger
	require.Equal(t, "1\t2\n", s.query(t, "SELECT count(), sum(alert_count) FROM {db}.incidents FORMAT TSV"))
	require.Equal(t, "3\n", s.query(t, "SELECT count() FROM {db}.incident_events"))
}
