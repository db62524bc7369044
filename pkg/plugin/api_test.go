package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	viewerUser = &backend.User{Login: "vic", Role: "Viewer"}
	aliceUser  = &backend.User{Login: "alice", Role: "Editor"}
	bobUser    = &backend.User{Login: "bob", Role: "Editor"}
	adminUser  = &backend.User{Login: "root", Role: "Admin"}
)

// callResource goes through the SDK's resource path (CallResource -> httpadapter -> ServeMux), as Grafana's
// /resources/* requests do.
func callResource(t *testing.T, a *App, user *backend.User, method, path string, body any) (int, string) {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		raw, err = json.Marshal(b)
		require.NoError(t, err)
	}
	sender := &recordingSender{}
	pathOnly, _, _ := strings.Cut(path, "?")
	err := a.CallResource(context.Background(), &backend.CallResourceRequest{
		PluginContext: backend.PluginContext{PluginID: ID, OrgID: 1, User: user, AppInstanceSettings: &backend.AppInstanceSettings{}},
		Path:          pathOnly, Method: method, URL: "/" + path, Body: raw,
		Headers: map[string][]string{"Content-Type": {"application/json"}},
	}, sender)
	require.NoError(t, err)
	require.NotEmpty(t, sender.responses)
	var out strings.Builder
	for _, r := range sender.responses {
		out.Write(r.Body)
	}
	return sender.responses[0].Status, out.String()
}

type env struct {
	a    *App
	ch   *testenv.ClickHouse
	db   string
	recv string
}

// newEnv starts a receiver (the real binary) on a fresh database of the shared ClickHouse and an App configured
// for both.
func newEnv(t *testing.T) *env {
	t.Helper()
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "api-token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("plugin-token"), 0o600))
	port := testenv.FreePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	testenv.StartBinary(t, testenv.Binary{Name: "receiver", Path: testenv.GoBuild(t, "receiver"),
		Args: []string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--clickhouse-dsn", ch.DSN(db),
			"--spool-dir", filepath.Join(dir, "spool"), "--api-token-file", tokenFile, "--batch-linger", "5ms"},
		ReadyURL: url + "/-/ready"})
	// The receiver migrates the schema before it writes; wait for it.
	testenv.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		out, err := ch.TryQuery("SELECT count() FROM " + db + ".schema_migrations")
		return err == nil && strings.TrimSpace(out) != "0", "waiting for the schema"
	})
	a := newTestApp(t, appSettings(fmt.Sprintf(`{"clickhouse":{"address":%q,"database":%q},"receiver":{"url":%q},
		"escalation":{"SEV1":[{"name":"Dana (VP Eng)","role":"leadership"}]}}`, ch.TCPAddr(), db, url),
		map[string]string{"receiverApiToken": "plugin-token"}))
	return &env{a: a, ch: ch, db: db, recv: url}
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

func (e *env) declare(t *testing.T, user *backend.User, sev string) string {
	t.Helper()
	status, body := callResource(t, e.a, user, "POST", "incidents", map[string]any{
		"title": "Support bot invents a refund policy", "severity": sev, "category": "hallucination",
		"ai_system": "supportbot", "description": "customers quote it back", "reported_via": "support"})
	require.Equal(t, 200, status, body)
	return decode(t, body)["incident"].(map[string]any)["incident_id"].(string)
}

func TestHealthReportsClickHouseAndSchema(t *testing.T) {
	e := newEnv(t)
	res, err := e.a.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	assert.Equal(t, backend.HealthStatusOk, res.Status, res.Message)
	assert.Contains(t, res.Message, "schema version 1")
}

func TestIncidentAPIRulesAndErrors(t *testing.T) {
	e := newEnv(t)
	id := e.declare(t, aliceUser, "SEV2")
	p := "incidents/" + id

	tests := []struct {
		name   string
		user   *backend.User
		method string
		path   string
		body   any
		status int
		want   string
	}{
		{"viewer cannot declare", viewerUser, "POST", "incidents", map[string]any{"title": "t", "severity": "SEV1", "category": "bias", "ai_system": "s", "reported_via": "legal"}, 403, "viewers can read"},
		{"no user", nil, "POST", p + "/acknowledge", nil, 403, "signed-in Grafana user"},
		{"viewer cannot ack", viewerUser, "POST", p + "/acknowledge", nil, 403, "viewers"},
		{"bad json", aliceUser, "POST", p + "/notes", `{"text":`, 400, "invalid JSON body"},
		{"unknown field", aliceUser, "POST", p + "/notes", `{"text":"x","admin":true}`, 400, `unknown field`},
		{"two values", aliceUser, "POST", p + "/notes", `{"text":"x"}{"text":"y"}`, 400, "more than one value"},
		{"huge body", aliceUser, "POST", p + "/notes", `{"text":"` + strings.Repeat("x", 2<<20) + `"}`, 400, "larger than 1 MiB"},
		{"empty note", aliceUser, "POST", p + "/notes", map[string]string{"text": ""}, 400, "text: missing"},
		{"bad id", aliceUser, "POST", "incidents/1%27%20OR%201=1/acknowledge", nil, 400, "is not a UUID"},
		{"unknown incident", aliceUser, "POST", "incidents/6d3f2c1e-0000-4000-8000-000000000000/acknowledge", nil, 404, "not found"},
		{"unknown incident read", viewerUser, "GET", "incidents/6d3f2c1e-0000-4000-8000-000000000000", nil, 404, "not found"},
		{"bad severity", aliceUser, "POST", p + "/severity", map[string]string{"severity": "SEV0", "reason": "x"}, 400, "SEV0"},
		{"bad role", aliceUser, "POST", p + "/roles", map[string]string{"role": "king", "user": "x"}, 400, "unknown role"},
		{"bad status", aliceUser, "POST", p + "/status", map[string]string{"status": "closed"}, 400, "not contained, resolved or reopened"},
		{"resolve needs lead", bobUser, "POST", p + "/status", map[string]string{"status": "resolved"}, 403, "only the incident lead or an Admin"},
		{"lower needs lead", bobUser, "POST", p + "/severity", map[string]string{"severity": "SEV3", "reason": "small"}, 403, "lower the severity"},
		{"close open incident", adminUser, "POST", p + "/close", nil, 409, "cannot close an incident that is declared"},
		{"bad filter", viewerUser, "GET", "incidents?severity=SEV7", nil, 400, "severity"},
		{"bad limit", viewerUser, "GET", "incidents?limit=501", nil, 400, "limit"},
		{"bad time", viewerUser, "GET", "incidents?from=yesterday", nil, 400, "from"},
		{"bad cursor", viewerUser, "GET", "incidents?cursor=%27%3B%20DROP", nil, 400, "cursor"},
		{"sql in q", viewerUser, "GET", "incidents?q=%27%3B%20DROP%20TABLE%20events%3B%20--", nil, 200, `"incidents":[]`},
		{"bad stats range", viewerUser, "GET", "stats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", nil, 400, "from: must be before to"},
		{"regulatory tier", aliceUser, "POST", p + "/regulatory", map[string]any{"regime": "eu_ai_act", "tier": "mild", "aware_at": time.Now()}, 400, "tier"},
		{"report unflagged", aliceUser, "POST", p + "/regulatory/reports", map[string]any{"regime": "gdpr", "authority": "CNIL", "report": "initial", "sent_at": time.Now()}, 400, "not flagged under gdpr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := callResource(t, e.a, tt.user, tt.method, tt.path, tt.body)
			assert.Equal(t, tt.status, status, body)
			assert.Contains(t, body, tt.want)
			if status >= 400 {
				assert.NotEmpty(t, decode(t, body)["error"], "errors are {\"error\": ...}")
			}
		})
	}

	status, body := callResource(t, e.a, aliceUser, "POST", p+"/acknowledge", nil)
	require.Equal(t, 200, status, body)
	status, body = callResource(t, e.a, bobUser, "POST", p+"/acknowledge", nil)
	assert.Equal(t, 409, status)
	assert.Equal(t, "acknowledged", decode(t, body)["status"])
	status, _ = callResource(t, e.a, viewerUser, "GET", p, nil)
	assert.Equal(t, 200, status, "viewers read")
}

// The whole story through the plugin: an alert declares (via the receiver), a user acknowledges, assigns a lead,
// contains, the lead resolves, the review is written, the incident closes, stats reflect it, the chain verifies.
func TestIncidentLifecycleThroughThePlugin(t *testing.T) {
	e := newEnv(t)
	start := time.Now().Add(-10 * time.Minute).UTC()
	alert := fmt.Sprintf(`{"version":"4","status":"firing","receiver":"firebreak","groupKey":"{}:{alertname=\"AIDataExposure\"}",
		"alerts":[{"status":"firing","fingerprint":"00000000000000aa","startsAt":%q,"endsAt":"0001-01-01T00:00:00Z",
		"labels":{"alertname":"AIDataExposure","ai_system":"supportbot","severity":"critical","category":"data_exposure"},
		"annotations":{"summary":"PII in supportbot answers"},"generatorURL":"http://prometheus/graph?g0.expr=increase%%28demo_pii_leaks_detected_total%%5B30s%%5D%%29+%%3E+0"}]}`,
		start.Format(time.RFC3339Nano))
	resp, err := http.Post(e.recv+"/api/v1/webhook", "application/json", strings.NewReader(alert))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	var id string
	testenv.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		status, body := callResource(t, e.a, viewerUser, "GET", "incidents?status=declared&severity=SEV1", nil)
		if status != 200 {
			return false, body
		}
		rows := decode(t, body)["incidents"].([]any)
		if len(rows) == 1 {
			id = rows[0].(map[string]any)["incident_id"].(string)
		}
		return len(rows) == 1, body
	})
	p := "incidents/" + id
	steps := []struct {
		user   *backend.User
		method string
		path   string
		body   any
	}{
		{aliceUser, "POST", p + "/acknowledge", nil},
		{aliceUser, "POST", p + "/roles", map[string]string{"role": "incident_lead", "user": "bob"}},
		{aliceUser, "POST", p + "/notes", map[string]string{"text": "Disabled the PII-heavy prompt template"}},
		{aliceUser, "POST", p + "/regulatory", map[string]any{"regime": "gdpr", "aware_at": start}},
		{aliceUser, "POST", p + "/regulatory/reports", map[string]any{"regime": "gdpr", "authority": "CNIL", "report": "initial", "sent_at": time.Now().UTC(), "reference": "CNIL-2026-42"}},
		{aliceUser, "POST", p + "/status", map[string]string{"status": "contained", "reason": "template disabled"}},
		{bobUser, "POST", p + "/status", map[string]string{"status": "resolved", "reason": "leak stopped"}},
		{aliceUser, "PUT", p + "/review", map[string]any{"started_at": start, "detected_at": start, "impact": "PII of 12 customers shown to others",
			"affected": "12 customers", "root_cause_class": "design_gap", "root_cause": "retrieval included other tickets",
			"action_items":     []map[string]string{{"text": "Scope retrieval per customer", "owner": "bob", "due": "2030-01-31", "status": "open"}},
			"playbook_changes": "add PII check", "regulatory_follow_up": "CNIL initial report sent"}},
		{bobUser, "POST", p + "/close", nil},
	}
	for i, s := range steps {
		status, body := callResource(t, e.a, s.user, s.method, s.path, s.body)
		require.Equal(t, 200, status, "step %d %s %s: %s", i, s.method, s.path, body)
	}

	status, body := callResource(t, e.a, viewerUser, "GET", p, nil)
	require.Equal(t, 200, status, body)
	d := decode(t, body)
	inc := d["incident"].(map[string]any)
	assert.Equal(t, "closed", inc["status"])
	assert.Equal(t, "data_exposure", inc["category"])
	assert.Equal(t, map[string]any{"incident_lead": "bob"}, inc["roles"])
	assert.Empty(t, d["review_missing"])
	assert.Len(t, d["alerts"], 1)
	assert.Equal(t, "AIDataExposure", d["alerts"].([]any)[0].(map[string]any)["alertname"])
	assert.Contains(t, d["alerts"].([]any)[0].(map[string]any)["generator_url"], "demo_pii_leaks_detected_total")
	assert.Equal(t, []any{map[string]any{"name": "Dana (VP Eng)", "role": "leadership"}}, d["escalation"])
	var kinds []string
	for _, ev := range d["timeline"].([]any) {
		kinds = append(kinds, ev.(map[string]any)["kind"].(string))
	}
	assert.Equal(t, []string{"declared", "alert_fired", "acknowledged", "role_assigned", "note", "regulatory_flagged",
		"regulatory_reported", "contained", "resolved", "review_updated", "closed"}, kinds)
	clock := d["regulatory"].([]any)[0].(map[string]any)
	assert.Equal(t, "gdpr", clock["regime"])
	assert.Equal(t, false, clock["overdue"])

	status, body = callResource(t, e.a, viewerUser, "GET", p+"/verify", nil)
	require.Equal(t, 200, status)
	assert.Equal(t, true, decode(t, body)["intact"])
	// Tampering with a stored event is detected.
	e.ch.Query(t, "ALTER TABLE "+e.db+".events UPDATE message = 'nothing happened' WHERE incident_id = '"+id+"' AND seq = 5")
	testenv.WaitFor(t, 10*time.Second, 100*time.Millisecond, func() (bool, string) {
		_, body = callResource(t, e.a, viewerUser, "GET", p+"/verify", nil)
		v := decode(t, body)
		return v["intact"] == false, body
	})
	assert.Equal(t, float64(5), decode(t, body)["break"].(map[string]any)["seq"])

	status, body = callResource(t, e.a, viewerUser, "GET", "stats", nil)
	require.Equal(t, 200, status, body)
	st := decode(t, body)
	assert.Equal(t, float64(1), st["by_severity"].(map[string]any)["SEV1"], body)
	assert.Equal(t, float64(1), st["by_status"].(map[string]any)["closed"], body)
	assert.NotNil(t, st["mtta_seconds"].(map[string]any)["SEV1"], body)
}
