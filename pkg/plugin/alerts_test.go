package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// postWebhook sends a notification to the test's receiver, as Alertmanager or Grafana would.
func (e *env) postWebhook(t *testing.T, body []byte) {
	t.Helper()
	resp, err := http.Post(e.recv+"/api/v1/webhook", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	require.Equal(t, 200, resp.StatusCode, string(answer))
}

// waitIncident waits until the plugin lists exactly one incident and returns its id.
func (e *env) waitIncident(t *testing.T) string {
	t.Helper()
	var id string
	testenv.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		status, body := callResource(t, e.a, viewerUser, "GET", "incidents", nil)
		if status != 200 {
			return false, body
		}
		rows, _ := decode(t, body)["incidents"].([]any)
		if len(rows) == 1 {
			id = rows[0].(map[string]any)["incident_id"].(string)
		}
		return len(rows) == 1, body
	})
	return id
}

// A Grafana-alerting notification's links (dashboard, panel, silence, image) reach the incident's alerts.
func TestGrafanaAlertLinksReachTheIncident(t *testing.T) {
	e := newEnv(t)
	start := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	e.postWebhook(t, []byte(`{"receiver":"firebreak","status":"firing","orgId":1,"version":"1","groupKey":"{}:{alertname=\"Fairness gap\"}",
		"alerts":[{"status":"firing","labels":{"alertname":"Fairness gap","model":"credit-scorer","severity":"high"},
		"annotations":{"summary":"Approval gap 0.31"},"startsAt":"`+start+`","endsAt":"0001-01-01T00:00:00Z",
		"generatorURL":"http://grafana/alerting/grafana/abc123/view","fingerprint":"0f1e2d3c4b5a6978",
		"silenceURL":"http://grafana/alerting/silence/new?matcher=alertname%3DFairness+gap",
		"dashboardURL":"http://grafana/d/fair?orgId=1","panelURL":"http://grafana/d/fair?orgId=1&viewPanel=2",
		"imageURL":"http://grafana/public/img/attachments/x.png","values":{"A":0.31},"valueString":"[ var='A' value=0.31 ]"}],
		"title":"[FIRING:1] Fairness gap","message":"**Firing**"}`))
	id := e.waitIncident(t)
	status, body := callResource(t, e.a, viewerUser, "GET", "incidents/"+id, nil)
	require.Equal(t, 200, status, body)
	alerts := decode(t, body)["alerts"].([]any)
	require.Len(t, alerts, 1)
	a := alerts[0].(map[string]any)
	assert.Equal(t, "http://grafana/d/fair?orgId=1", a["dashboard_url"])
	assert.Equal(t, "http://grafana/d/fair?orgId=1&viewPanel=2", a["panel_url"])
	assert.Equal(t, "http://grafana/alerting/silence/new?matcher=alertname%3DFairness+gap", a["silence_url"])
	assert.Equal(t, "http://grafana/public/img/attachments/x.png", a["image_url"])
	assert.Equal(t, "http://grafana/alerting/grafana/abc123/view", a["generator_url"])
	assert.Equal(t, "grafana", a["source"])
}

// groupNotification is an Alertmanager notification of one group (alertname PodCrashLooping) with alerts from..to-1
// (pod-<i>, zone a/b/c), resolved at resolvedAt unless it is zero.
func groupNotification(t *testing.T, start time.Time, from, to int, resolvedAt time.Time) []byte {
	t.Helper()
	status := "firing"
	if !resolvedAt.IsZero() {
		status = "resolved"
	}
	alerts := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		a := map[string]any{"status": status, "startsAt": start.Add(time.Duration(i) * time.Millisecond),
			"labels": map[string]string{"alertname": "PodCrashLooping", "ai_system": "supportbot", "severity": "critical",
				"pod": fmt.Sprintf("supportbot-%05d", i), "zone": []string{"a", "b", "c"}[i%3]},
			"annotations": map[string]string{"summary": "Inference pods crash-looping"},
			"fingerprint": fmt.Sprintf("%016x", i+1)}
		if status == "resolved" {
			a["endsAt"] = resolvedAt
		}
		alerts = append(alerts, a)
	}
	body, err := json.Marshal(map[string]any{"version": "4", "status": status, "receiver": "firebreak",
		"groupKey": `{}:{alertname="PodCrashLooping"}`, "groupLabels": map[string]string{"alertname": "PodCrashLooping"},
		"alerts": alerts})
	require.NoError(t, err)
	return body
}
