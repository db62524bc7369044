package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

const containmentSecret = "e2e-containment-secret-89ab"

// containmentToken is a credential the endpoint would want, from secureJsonData as a header value.
const containmentToken = "e2e-endpoint-token-cdef0123"

// The whole containment story with every real component: a fault in the demo AI service makes a Prometheus rule
// fire; Alertmanager delivers it; the receiver declares the incident; through the built plugin binary, alice
// requests a rollback, the Admin approves it; evidence is taken (the system's status and the rule's expression
// over the incident) and stored; the signed call rolls the demo service back; the metric recovers and the alert
// resolves by itself; the timeline shows every step in order; people take the incident to its end and its reports
// match the golden files (reportIncident). The secret is in no answer, report, log line or event.
func TestContainmentStory(t *testing.T) {
	apiToken := filepath.Join(t.TempDir(), "api-token")
	require.NoError(t, os.WriteFile(apiToken, []byte("plugin-api-token\n"), 0o600))
	s := startReceiver(t, "--api-token-file", apiToken)
	am := testenv.StartAlertmanager(t, testenv.AlertmanagerConfig{Config: s.alertmanagerConfig("")})

	secretFile := filepath.Join(t.TempDir(), "containment-secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(containmentSecret+"\n"), 0o600))
	demoURL, demo, prom := startDemoPipeline(t, am, "--containment-secret-file", secretFile)
	g := startGrafanaHostWith(t, s, apiToken, map[string]any{
		"prometheus": map[string]string{"url": prom.URL()},
		"containment": map[string]any{"supportbot": []map[string]any{{
			"id": "rollback", "kind": "rollback_model", "label": "Roll back to the previous model",
			"url": demoURL + "/containment/rollback", "dryRunUrl": demoURL + "/containment/dry-run/rollback",
			"statusUrl": demoURL + "/containment/status", "requiresApproval": true, "timeout": "5s",
			"body": `{"incident_id": "{{incident_id}}", "reason": "{{reason}}"}`,
		}}},
		"aiSystems": aiSystemFacts,
	}, map[string]string{"containment.supportbot.rollback.secret": containmentSecret,
		"containment.supportbot.rollback.headers.Authorization": "Bearer " + containmentToken})

	var answers []string
	do := func(login, role, method, path string, body any) (int, map[string]any) {
		t.Helper()
		code, out := g.do(t, login, role, method, path, body)
		raw, _ := json.Marshal(out)
		answers = append(answers, string(raw))
		return code, out
	}

	code, ready := do("alice", "Editor", "GET", "containment/readiness", nil)
	require.Equal(t, 200, code, ready)
	assert.Equal(t, float64(1), ready["ready"], "the kill switch answers its dry run before any incident")

	httpDo(t, "POST", demoURL+"/faults/hallucination", "")
	var id string
	testenv.WaitFor(t, 90*time.Second, 200*time.Millisecond, func() (bool, string) {
		code, out := do("vic", "Viewer", "GET", "incidents?category=hallucination", nil)
		if code != 200 {
			return false, fmt.Sprint(out)
		}
		if rows := out["incidents"].([]any); len(rows) == 1 {
			id = rows[0].(map[string]any)["incident_id"].(string)
		}
		return id != "", fmt.Sprint(out)
	})
	p := "incidents/" + id + "/containment"

	code, out := do("alice", "Editor", "POST", p, map[string]string{"action": "rollback", "reason": "v2 invents refund policies"})
	require.Equal(t, 200, code, out)
	req := out["request"].(map[string]any)
	require.Equal(t, "pending_approval", req["state"])
	rid := req["request_id"].(string)
	code, out = do("alice", "Editor", "POST", p+"/"+rid+"/approve", nil)
	require.Equal(t, 403, code, "no self-approval: %v", out)
	code, out = do("root", "Admin", "POST", p+"/"+rid+"/approve", map[string]string{"reason": "rollback is safe"})
	require.Equal(t, 200, code, out)
	req = out["request"].(map[string]any)
	require.Equal(t, "succeeded", req["state"], out)

	status := getJSON(t, demoURL+"/containment/status")
	assert.Equal(t, "v1", status["model_version"], "the demo service was rolled back")

	// Evidence: the system as it was (v2) and the rule's expression evaluated over the incident, with data.
	attempt := req["attempts"].([]any)[0].(map[string]any)
	snapID := attempt["evidence"].(map[string]any)["id"].(string)
	code, snap := do("vic", "Viewer", "GET", "incidents/"+id+"/evidence/"+snapID, nil)
	require.Equal(t, 200, code, snap)
	assert.Equal(t, true, snap["verified"], snap)
	content := snap["content"].(map[string]any)
	assert.Equal(t, "v2", content["system_status"].(map[string]any)["json"].(map[string]any)["model_version"])
	metrics := content["prometheus"].([]any)
	require.Len(t, metrics, 1, content)
	m := metrics[0].(map[string]any)
	assert.Contains(t, m["expr"], "demo_hallucinations_flagged_total")
	assert.Empty(t, m["error"])
	result := m["data"].(map[string]any)["result"].([]any)
	require.NotEmpty(t, result, "the expression had data over the incident")
	assert.NotEmpty(t, result[0].(map[string]any)["values"])

	// The metric recovers; the alert resolves by itself; every step is on the timeline in order.
	var timeline []string
	testenv.WaitFor(t, 120*time.Second, 500*time.Millisecond, func() (bool, string) {
		_, d := do("vic", "Viewer", "GET", "incidents/"+id, nil)
		timeline = timeline[:0]
		for _, e := range d["timeline"].([]any) {
			e := e.(map[string]any)
			timeline = append(timeline, e["kind"].(string)+" by "+e["actor"].(string))
		}
		return len(timeline) > 0 && strings.HasPrefix(timeline[len(timeline)-1], "alert_resolved"), strings.Join(timeline, "\n")
	})
	assert.Equal(t, []string{
		"declared by rule:AIHallucinationRateHigh", "taxonomy_updated by rule:AIHallucinationRateHigh",
		"alert_fired by rule:AIHallucinationRateHigh", "containment_requested by user:alice", "containment_approved by user:root", "containment_started by user:root",
		"containment_succeeded by user:root", "alert_resolved by rule:AIHallucinationRateHigh",
	}, timeline)
	code, v := do("vic", "Viewer", "GET", "incidents/"+id+"/verify", nil)
	require.Equal(t, 200, code)
	assert.Equal(t, true, v["intact"])

	answers = append(answers, reportIncident(t, g, id)...)

	// The secrets are nowhere but where they belong.
	logs := g.logs(t)
	assert.Contains(t, logs, "Containment action called", "the call is logged (without the secret)")
	for _, secret := range []string{containmentSecret, containmentToken} {
		for _, a := range answers {
			require.NotContains(t, a, secret)
		}
		assert.NotContains(t, logs, secret)
		assert.NotContains(t, s.receiver.Log(), secret)
		assert.NotContains(t, demo.Log(), secret)
		assert.Equal(t, "0", strings.TrimSpace(s.query(t, "SELECT count() FROM {db}.events WHERE position(toString(tuple(*)), '"+secret+"') > 0")))
		assert.Equal(t, "0", strings.TrimSpace(s.query(t, "SELECT count() FROM {db}.evidence WHERE position(content, '"+secret+"') > 0")))
	}
}

func getJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m
}
