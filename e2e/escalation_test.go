package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// webhookSink records the notifications Alertmanager posts to it: where an escalation would page someone.
type webhookSink struct {
	mu     sync.Mutex
	alerts []sinkAlert
	url    string
}

type sinkAlert struct {
	Status string            `json:"status"`
	Labels map[string]string `json:"labels"`
}

func startSink(t *testing.T) *webhookSink {
	s := &webhookSink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Alerts []sinkAlert `json:"alerts"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &msg); err != nil {
			t.Errorf("sink: %v: %s", err, body)
		}
		s.mu.Lock()
		s.alerts = append(s.alerts, msg.Alerts...)
		s.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// received returns the alerts received so far with this status.
func (s *webhookSink) received(status string) []sinkAlert {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sinkAlert
	for _, a := range s.alerts {
		if a.Status == status {
			out = append(out, a)
		}
	}
	return out
}

// exampleAlertmanagerConfig is the stack's deploy/local/alertmanager.yml for this receiver, with the SEV1
// escalation receiver paging sink, and timers shortened so that a test waits seconds, not minutes: the routing tree
// is the example's.
func exampleAlertmanagerConfig(t *testing.T, s *stack, sink string) string {
	t.Helper()
	tmpl, err := os.ReadFile(repoPath(t, "deploy/local/alertmanager.yml"))
	require.NoError(t, err)
	filled := strings.NewReplacer("http://127.0.0.1:@@RECEIVER_PORT@@", s.url, "@@TOKEN_FILE@@", s.token).Replace(string(tmpl))
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(filled), &cfg))
	route := cfg["route"].(map[string]any)
	route["group_wait"], route["group_interval"] = "1s", "1s"
	found := false
	for _, r := range cfg["receivers"].([]any) {
		if r := r.(map[string]any); r["name"] == "escalation-sev1" {
			r["webhook_configs"] = []any{map[string]any{"url": sink, "send_resolved": true}}
			found = true
		}
	}
	require.True(t, found, "deploy/local/alertmanager.yml has no escalation-sev1 receiver")
	out, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	return string(out)
}

// Issue 15, 1: a SEV1 left unacknowledged past its SLA (3 s here, from the receiver's --sla-file, the same object as
// the app's jsonData.sla) is escalated through a real Prometheus (the escalation rules on the receiver's metrics)
// and a real Alertmanager (the example's routing) to the SEV1 escalation receiver; the escalation declares no
// incident; acknowledging the incident in the app resolves it. The plugin's own metrics count the acknowledgement.
func TestUnacknowledgedSEV1EscalatesUntilAcknowledged(t *testing.T) {
	sla := `{"SEV1": {"acknowledge": "3s", "contain": "1h"}}`
	dir := t.TempDir()
	slaFile, apiToken := filepath.Join(dir, "sla.json"), filepath.Join(dir, "api-token")
	require.NoError(t, os.WriteFile(slaFile, []byte(sla), 0o600))
	require.NoError(t, os.WriteFile(apiToken, []byte("plugin-api-token\n"), 0o600))
	s := startReceiver(t, "--sla-file", slaFile, "--api-token-file", apiToken)
	var slaData map[string]any
	require.NoError(t, json.Unmarshal([]byte(sla), &slaData))
	g := startGrafanaHostWith(t, s, apiToken, map[string]any{"sla": slaData}, nil)

	sink := startSink(t)
	am := testenv.StartAlertmanager(t, testenv.AlertmanagerConfig{Config: exampleAlertmanagerConfig(t, s, sink.url)})
	testenv.StartPrometheus(t, testenv.PrometheusConfig{
		Config: fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [escalation.rules.yml]
scrape_configs:
  - job_name: firebreak-receiver
    static_configs: [{targets: [%q]}]
alerting:
  alertmanagers:
    - static_configs: [{targets: [%q]}]
`, strings.TrimPrefix(s.url, "http://"), strings.TrimPrefix(am.URL(), "http://")),
		RuleFiles: []string{repoPath(t, "rules/escalation.rules.yml")},
	})

	leak := alert("AIDataExposure", "a", time.Now())
	leak["labels"] = map[string]string{"alertname": "AIDataExposure", "ai_system": "supportbot", "severity": "critical", "category": "data_exposure"}
	am.PostAlerts(t, []map[string]any{leak})
	var id string
	testenv.WaitFor(t, 30*time.Second, 100*time.Millisecond, func() (bool, string) {
		out, err := s.ch.TryQuery("SELECT toString(incident_id) FROM " + s.db + ".incidents WHERE severity = 'SEV1'")
		id = strings.TrimSpace(out)
		return err == nil && id != "", fmt.Sprint(out, err)
	})

	// Past the 3 s: the SEV1 escalation receiver is paged about this incident.
	testenv.WaitFor(t, 45*time.Second, 200*time.Millisecond, func() (bool, string) {
		return len(sink.received("firing")) > 0, "no escalation received yet"
	})
	got := sink.received("firing")[0].Labels
	assert.Equal(t, map[string]string{"alertname": "FirebreakIncidentNotAcknowledged", "firebreak": "escalation",
		"incident_id": id, "severity": "SEV1", "category": "data_exposure", "ai_system": "supportbot",
		"instance": strings.TrimPrefix(s.url, "http://"), "job": "firebreak-receiver"}, got)
	var routed []string
	for _, a := range am.Alerts(t) {
		if a.Labels["firebreak"] == "escalation" {
			for _, r := range a.Receivers {
				routed = append(routed, r.Name)
			}
		}
	}
	assert.Equal(t, []string{"escalation-sev1"}, routed, "Alertmanager shows the escalation under the SEV1 receiver only")

	// Acknowledged in the app: the deadline's series goes, the alert resolves, the sink hears it.
	code, out := g.do(t, "alice", "Editor", "POST", "incidents/"+id+"/acknowledge", nil)
	require.Equal(t, 200, code, out)
	testenv.WaitFor(t, 45*time.Second, 200*time.Millisecond, func() (bool, string) {
		return len(sink.received("resolved")) > 0, "no resolved escalation yet"
	})
	assert.Equal(t, id, sink.received("resolved")[0].Labels["incident_id"])

	// The escalation went to people only: Firebreak holds the one incident it declared.
	assert.Equal(t, "1\n", s.query(t, "SELECT count() FROM {db}.incidents"), "an escalation declared an incident")
	assert.Equal(t, 1.0, s.metric(t, `firebreak_alerts_received_total{source="alertmanager",status="firing"}`),
		"the receiver got the data exposure alert and nothing else")

	// The plugin's own metrics, as Grafana serves them.
	resp, err := http.Get(strings.Replace(g.url, "/api/plugins/", "/metrics/plugins/", 1))
	require.NoError(t, err)
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode, string(text))
	assert.Contains(t, string(text), `firebreak_plugin_api_request_duration_seconds_count{code="200",route="POST /incidents/{id}/acknowledge"} 1`)
}
