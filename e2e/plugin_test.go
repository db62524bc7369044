package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/grafanahost"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// grafana is the built plugin binary, run by the Grafana host, serving Grafana's plugin routes over HTTP.
type grafana struct {
	url     string
	logFile string // what the plugin logged
}

// logs returns what the plugin logged so far.
func (g *grafana) logs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(g.logFile)
	require.NoError(t, err)
	return string(b)
}

func startGrafanaHost(t *testing.T, s *stack, apiTokenFile string) *grafana {
	return startGrafanaHostWith(t, s, apiTokenFile, nil, nil)
}

// startGrafanaHostWith starts the plugin with more jsonData keys and secureJsonData entries.
func startGrafanaHostWith(t *testing.T, s *stack, apiTokenFile string, jsonData map[string]any, secure map[string]string) *grafana {
	t.Helper()
	jd := map[string]any{
		"clickhouse": map[string]string{"address": s.ch.TCPAddr(), "database": s.db},
		"receiver":   map[string]string{"url": s.url},
		"escalation": map[string]any{"SEV1": []map[string]string{{"name": "Dana", "role": "VP Engineering"}}},
	}
	for k, v := range jsonData {
		jd[k] = v
	}
	raw, err := json.Marshal(jd)
	require.NoError(t, err)
	token, err := os.ReadFile(apiTokenFile)
	require.NoError(t, err)
	sec := map[string]string{"receiverApiToken": strings.TrimSpace(string(token))}
	for k, v := range secure {
		sec[k] = v
	}
	logFile := filepath.Join(t.TempDir(), "plugin.log")
	logs, err := os.Create(logFile)
	require.NoError(t, err)
	t.Cleanup(func() { logs.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	host, err := grafanahost.Start(ctx, grafanahost.Options{Binary: testenv.GoBuild(t, "pkg"), JSONData: raw,
		SecureJSONData: sec, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	t.Cleanup(host.Close)
	srv := httptest.NewServer(host.Handler())
	t.Cleanup(srv.Close)
	return &grafana{url: srv.URL + "/api/plugins/firebreak-incident-app", logFile: logFile}
}

// do calls a resource as a Grafana user with an org role and decodes the JSON answer.
func (g *grafana) do(t *testing.T, login, role, method, path string, body any) (int, map[string]any) {
	t.Helper()
	return g.doWith(t, map[string]string{"X-Grafana-User": login, "X-Grafana-Role": role}, method, path, body)
}

// doWith is do with the request's headers given (the user's among them).
func (g *grafana) doWith(t *testing.T, headers map[string]string, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, g.url+"/resources/"+path, r)
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return resp.StatusCode, out
}

// The whole story through the built plugin binary, started the way Grafana starts it: an alert from a real
// Alertmanager declares the incident through the receiver; people acknowledge, assign a lead, record a GDPR duty,
// contain; the lead resolves; the review is written; the incident closes; stats reflect it; the chain verifies.
func TestIncidentLifecycleThroughGrafanaHost(t *testing.T) {
	apiToken := filepath.Join(t.TempDir(), "api-token")
	require.NoError(t, os.WriteFile(apiToken, []byte("plugin-api-token\n"), 0o600))
	s := startReceiver(t, "--api-token-file", apiToken)
	g := startGrafanaHost(t, s, apiToken)

	// The receiver is ready before it has migrated the schema (it spools meanwhile); the health check says so.
	var health []byte
	testenv.WaitFor(t, 30*time.Second, 100*time.Millisecond, func() (bool, string) {
		resp, err := http.Get(g.url + "/health")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		health, _ = io.ReadAll(resp.Body)
		return resp.StatusCode == 200, string(health)
	})
	assert.Contains(t, string(health), "schema version")

	am := testenv.StartAlertmanager(t, testenv.AlertmanagerConfig{Config: s.alertmanagerConfig("")})
	start := time.Now().Add(-10 * time.Minute)
	leak := alert("AIDataExposure", "a", start)
	leak["labels"] = map[string]string{"alertname": "AIDataExposure", "ai_system": "supportbot", "severity": "critical", "category": "data_exposure"}
	leak["generatorURL"] = "http://prometheus/graph?g0.expr=increase(demo_pii_leaks_detected_total%5B30s%5D)+%3E+0"
	am.PostAlerts(t, []map[string]any{leak})

	var id string
	testenv.WaitFor(t, 30*time.Second, 100*time.Millisecond, func() (bool, string) {
		code, out := g.do(t, "vic", "Viewer", "GET", "incidents?status=declared&severity=SEV1", nil)
		if code != 200 {
			return false, fmt.Sprint(out)
		}
		rows := out["incidents"].([]any)
		if len(rows) == 1 {
			id = rows[0].(map[string]any)["incident_id"].(string)
		}
		return len(rows) == 1, fmt.Sprint(out)
	})
	p := "incidents/" + id
	steps := []struct {
		login, role, method, path string
		body                      any
		status                    int
	}{
		{"vic", "Viewer", "POST", p + "/acknowledge", nil, 403},
		{"alice", "Editor", "POST", p + "/acknowledge", nil, 200},
		{"bob", "Editor", "POST", p + "/acknowledge", nil, 409},
		{"alice", "Editor", "POST", p + "/roles", map[string]string{"role": "incident_lead", "user": "bob"}, 200},
		{"alice", "Editor", "POST", p + "/notes", map[string]string{"text": "Disabled the PII-heavy prompt template"}, 200},
		{"alice", "Editor", "POST", p + "/regulatory", map[string]any{"regime": "gdpr", "aware_at": start}, 200},
		{"alice", "Editor", "POST", p + "/regulatory/reports", map[string]any{"regime": "gdpr", "authority": "CNIL", "report": "initial", "sent_at": time.Now(), "reference": "CNIL-42"}, 200},
		{"alice", "Editor", "POST", p + "/status", map[string]string{"status": "contained", "reason": "template disabled"}, 200},
		{"alice", "Editor", "POST", p + "/status", map[string]string{"status": "resolved"}, 403},
		{"bob", "Editor", "POST", p + "/status", map[string]string{"status": "resolved", "reason": "leak stopped"}, 200},
		{"bob", "Editor", "POST", p + "/close", nil, 409},
		{"alice", "Editor", "PUT", p + "/review", map[string]any{"started_at": start, "detected_at": start,
			"impact": "PII of 12 customers shown to others", "affected": "12 customers", "root_cause_class": "design_gap",
			"root_cause":       "retrieval included other customers' tickets",
			"action_items":     []map[string]string{{"text": "Scope retrieval per customer", "owner": "bob", "due": "2030-01-31", "status": "open"}},
			"playbook_changes": "PII check before answers", "regulatory_follow_up": "CNIL initial report sent"}, 200},
		{"bob", "Editor", "POST", p + "/close", nil, 200},
		{"bob", "Editor", "POST", p + "/status", map[string]string{"status": "resolved"}, 409},
	}
	for i, st := range steps {
		code, out := g.do(t, st.login, st.role, st.method, st.path, st.body)
		require.Equal(t, st.status, code, "step %d: %s %s as %s: %v", i, st.method, st.path, st.login, out)
	}

	// Read as the last writer: the plugin waits for a user's own changes (another user's read may come before ClickHouse
	// has the close).
	code, d := g.do(t, "bob", "Editor", "GET", p, nil)
	require.Equal(t, 200, code)
	inc := d["incident"].(map[string]any)
	assert.Equal(t, "closed", inc["status"])
	assert.Equal(t, "data_exposure", inc["category"])
	assert.Equal(t, map[string]any{"incident_lead": "bob"}, inc["roles"])
	assert.Empty(t, d["review_missing"])
	alerts := d["alerts"].([]any)
	require.Len(t, alerts, 1)
	assert.Contains(t, alerts[0].(map[string]any)["generator_url"], "demo_pii_leaks_detected_total")
	assert.Equal(t, []any{map[string]any{"name": "Dana", "role": "VP Engineering"}}, d["escalation"])
	var timeline []string
	for _, ev := range d["timeline"].([]any) {
		e := ev.(map[string]any)
		timeline = append(timeline, e["kind"].(string)+" by "+e["actor"].(string))
	}
	assert.Equal(t, []string{"declared by rule:AIDataExposure", "taxonomy_updated by rule:AIDataExposure", "alert_fired by rule:AIDataExposure",
		"acknowledged by user:alice", "role_assigned by user:alice", "note by user:alice", "regulatory_flagged by user:alice",
		"regulatory_reported by user:alice", "contained by user:alice", "resolved by user:bob", "review_updated by user:alice",
		"closed by user:bob"}, timeline)
	assert.Equal(t, false, d["regulatory"].([]any)[0].(map[string]any)["overdue"])

	code, v := g.do(t, "vic", "Viewer", "GET", p+"/verify", nil)
	require.Equal(t, 200, code)
	assert.Equal(t, true, v["intact"])

	code, stats := g.do(t, "vic", "Viewer", "GET", "stats", nil)
	require.Equal(t, 200, code, stats)
	assert.Equal(t, float64(1), stats["by_severity"].(map[string]any)["SEV1"])
	assert.Equal(t, float64(1), stats["by_status"].(map[string]any)["closed"])
	assert.Equal(t, float64(1), stats["by_category"].(map[string]any)["data_exposure"])
	// Declared and acted on within seconds: the means exist (they may round to 0 s) and are ordered.
	mean := func(k string) float64 {
		v, ok := stats[k].(map[string]any)["SEV1"].(float64)
		require.True(t, ok, "%s has SEV1: %v", k, stats[k])
		return v
	}
	assert.LessOrEqual(t, mean("mtta_seconds"), mean("mttc_seconds"))
	assert.LessOrEqual(t, mean("mttc_seconds"), mean("mttr_seconds"))

	// Tampering with a stored event is detected, and where.
	s.query(t, "ALTER TABLE {db}.events UPDATE message = 'nothing happened' WHERE incident_id = '"+id+"' AND seq = 6")
	testenv.WaitFor(t, 10*time.Second, 100*time.Millisecond, func() (bool, string) {
		_, v = g.do(t, "vic", "Viewer", "GET", p+"/verify", nil)
		return v["intact"] == false, fmt.Sprint(v)
	})
	assert.Equal(t, float64(6), v["break"].(map[string]any)["seq"])
}

// Integrity and access through the built plugin binary, as Grafana runs it: reads need a signed-in user with an
// org role; idempotency keys belong to their user; the lead role is handed on only by the lead or an Admin; logins
// compare case-insensitively; a SEV1 review closes only with its five parts.
func TestAccessAndIntegrityThroughGrafanaHost(t *testing.T) {
	apiToken := filepath.Join(t.TempDir(), "api-token")
	require.NoError(t, os.WriteFile(apiToken, []byte("plugin-api-token\n"), 0o600))
	s := startReceiver(t, "--api-token-file", apiToken)
	g := startGrafanaHost(t, s, apiToken)
	as := func(login, role string, extra ...string) map[string]string {
		h := map[string]string{"X-Grafana-User": login, "X-Grafana-Role": role}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i]] = extra[i+1]
		}
		return h
	}
	var code int
	var out map[string]any
	testenv.WaitFor(t, 30*time.Second, 100*time.Millisecond, func() (bool, string) {
		code, out = g.do(t, "alice", "Editor", "POST", "incidents", map[string]any{"title": "Bot invents a refund policy",
			"severity": "SEV1", "category": "hallucination", "ai_system": "supportbot", "reported_via": "support"})
		return code == 200, fmt.Sprint(code, out) // the receiver migrates its schema first
	})
	id := out["incident"].(map[string]any)["incident_id"].(string)
	p := "incidents/" + id

	// Reads: org role None and requests without a user get 403, as changes do.
	for _, path := range []string{"incidents", p, p + "/verify", "stats", p + "/evidence", p + "/containment"} {
		code, out = g.do(t, "nora", "None", "GET", path, nil)
		assert.Equal(t, 403, code, "%s as None: %v", path, out)
		assert.Contains(t, out["error"], `nora has the org role "None"`, path)
		code, out = g.doWith(t, map[string]string{"X-Grafana-Internal": "1"}, "GET", path, nil)
		assert.Equal(t, 403, code, "%s without a user: %v", path, out)
		code, _ = g.do(t, "vic", "Viewer", "GET", path, nil)
		assert.Equal(t, 200, code, path)
	}
	code, out = g.do(t, "nora", "None", "POST", p+"/notes", map[string]string{"text": "x"})
	assert.Equal(t, 403, code, out)

	// Idempotency keys are the user's: bob's note with alice's key is recorded; alice's key with another body is 422.
	code, out = g.doWith(t, as("alice", "Editor", "X-Idempotency-Key", "k-1"), "POST", p+"/notes", map[string]string{"text": "model v2 rolled out at 09:00"})
	require.Equal(t, 200, code, out)
	code, out = g.doWith(t, as("bob", "Editor", "X-Idempotency-Key", "k-1"), "POST", p+"/notes", map[string]string{"text": "support has 12 tickets"})
	require.Equal(t, 200, code, out)
	assert.Len(t, out["events"], 1)
	code, out = g.doWith(t, as("alice", "Editor", "X-Idempotency-Key", "k-1"), "POST", p+"/notes", map[string]string{"text": "model v2 rolled out at 10:00"})
	assert.Equal(t, 422, code, out)
	assert.Contains(t, out["error"], "X-Idempotency-Key: ")
	s.waitRows(t, 10*time.Second, "SELECT actor, message FROM {db}.incident_events WHERE incident_id = '"+id+"' AND kind = 'note' ORDER BY seq",
		"user:alice\tmodel v2 rolled out at 09:00\nuser:bob\tsupport has 12 tickets\n")

	// The lead role: open while vacant, then handed on by the lead (any case) or an Admin only.
	steps := []struct {
		login, role, method, path string
		body                      any
		status                    int
	}{
		{"alice", "Editor", "POST", p + "/roles", map[string]string{"role": "incident_lead", "user": "alice"}, 200},
		{"bob", "Editor", "POST", p + "/roles", map[string]string{"role": "incident_lead", "user": "bob"}, 403},
		{"bob", "Editor", "POST", p + "/status", map[string]string{"status": "resolved"}, 403},
		{"ALICE", "Editor", "POST", p + "/status", map[string]string{"status": "resolved", "reason": "rolled back"}, 200},
		{"alice", "Editor", "PUT", p + "/review", map[string]any{"started_at": time.Now().Add(-time.Hour), "detected_at": time.Now(),
			"impact": "wrong policy quoted", "affected": "40 customers", "root_cause_class": "bad_data", "root_cause": "stale documents",
			"action_items": []map[string]string{{"text": "Re-index nightly", "owner": "bob", "due": "2030-01-31", "status": "open"}}}, 200},
		{"alice", "Editor", "POST", p + "/close", nil, 409},
		{"alice", "Editor", "PUT", p + "/review", map[string]any{"started_at": time.Now().Add(-time.Hour), "detected_at": time.Now(),
			"impact": "wrong policy quoted", "affected": "40 customers", "root_cause_class": "bad_data", "root_cause": "stale documents",
			"action_items":     []map[string]string{{"text": "Re-index nightly", "owner": "bob", "due": "2030-01-31", "status": "open"}},
			"playbook_changes": "none", "regulatory_follow_up": "none"}, 200},
		{"root", "Admin", "POST", p + "/roles", map[string]string{"role": "incident_lead", "user": "bob"}, 200},
		{"alice", "Editor", "POST", p + "/close", nil, 403},
		{"Bob", "Editor", "POST", p + "/close", nil, 200},
	}
	for i, st := range steps {
		code, out := g.do(t, st.login, st.role, st.method, st.path, st.body)
		require.Equal(t, st.status, code, "step %d: %s %s as %s: %v", i, st.method, st.path, st.login, out)
		if st.path == p+"/close" && code == 409 {
			assert.Contains(t, out["error"], "missing: playbook_changes, regulatory_follow_up")
		}
	}
	s.waitRows(t, 10*time.Second, "SELECT status, incident_lead, review_complete FROM {db}.incidents WHERE incident_id = '"+id+"'", "closed\tbob\t1\n")
}
