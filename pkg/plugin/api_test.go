package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/store"
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
	return callResourceWith(t, a, user, method, path, body, nil)
}

// callResourceWith is callResource with more request headers.
func callResourceWith(t *testing.T, a *App, user *backend.User, method, path string, body any, headers map[string]string) (int, string) {
	t.Helper()
	status, _, out := callResourceFull(t, a, user, method, path, body, headers)
	return status, out
}

// callResourceHeaders is callResource of a GET, with the answer's headers.
func callResourceHeaders(t *testing.T, a *App, user *backend.User, method, path string) (int, map[string][]string, string) {
	t.Helper()
	return callResourceFull(t, a, user, method, path, nil, nil)
}

// callResourceFull is callResourceWith with the answer's headers.
func callResourceFull(t *testing.T, a *App, user *backend.User, method, path string, body any, headers map[string]string) (int, map[string][]string, string) {
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
	hdr := map[string][]string{"Content-Type": {"application/json"}}
	for k, v := range headers {
		hdr[k] = []string{v}
	}
	pathOnly, _, _ := strings.Cut(path, "?")
	err := a.CallResource(context.Background(), &backend.CallResourceRequest{
		PluginContext: backend.PluginContext{PluginID: ID, OrgID: 1, User: user, AppInstanceSettings: &backend.AppInstanceSettings{}},
		Path:          pathOnly, Method: method, URL: "/" + path, Body: raw,
		Headers: hdr,
	}, sender)
	require.NoError(t, err)
	require.NotEmpty(t, sender.responses)
	var out strings.Builder
	for _, r := range sender.responses {
		out.Write(r.Body)
	}
	return sender.responses[0].Status, sender.responses[0].Headers, out.String()
}

type env struct {
	a        *App
	ch       *testenv.ClickHouse
	db       string
	recv     string
	recvProc *testenv.Process
}

// newEnv starts a receiver (the real binary) on a fresh database of the shared ClickHouse and an App configured
// for both.
func newEnv(t *testing.T) *env { return newEnvWith(t, nil, nil) }

// newEnvWith is newEnv with more jsonData keys and secureJsonData entries.
func newEnvWith(t *testing.T, jsonData map[string]any, secure map[string]string) *env {
	t.Helper()
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "api-token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("plugin-token"), 0o600))
	port := testenv.FreePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	proc := testenv.StartBinary(t, testenv.Binary{Name: "receiver", Path: testenv.GoBuild(t, "receiver"),
		Args: []string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--clickhouse-dsn", ch.DSN(db),
			"--spool-dir", filepath.Join(dir, "spool"), "--api-token-file", tokenFile},
		ReadyURL: url + "/-/ready"})
	// The receiver migrates the schema before it writes; wait for it.
	testenv.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		out, err := ch.TryQuery("SELECT max(version) FROM " + db + ".schema_migrations")
		return err == nil && strings.TrimSpace(out) == fmt.Sprint(store.LatestSchemaVersion()), "waiting for the schema"
	})
	jd := map[string]any{"clickhouse": map[string]string{"address": ch.TCPAddr(), "database": db},
		"receiver": map[string]string{"url": url}, "escalation": map[string]any{"SEV1": []map[string]string{{"name": "Dana (VP Eng)", "role": "leadership"}}}}
	for k, v := range jsonData {
		jd[k] = v
	}
	sec := map[string]string{"receiverApiToken": "plugin-token"}
	for k, v := range secure {
		sec[k] = v
	}
	raw, err := json.Marshal(jd)
	require.NoError(t, err)
	a := newTestApp(t, appSettings(string(raw), sec))
	require.NoError(t, a.settingsErr)
	return &env{a: a, ch: ch, db: db, recv: url, recvProc: proc}
}

// waitRows waits until a query of the test's database (named {db}) answers want. ClickHouse's tables fill one after
// the other from one insert, so a row may show a moment after the App saw its change land.
func (e *env) waitRows(t *testing.T, sql, want string) {
	t.Helper()
	sql = strings.ReplaceAll(sql, "{db}", e.db)
	testenv.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		got, err := e.ch.TryQuery(sql)
		return err == nil && got == want, fmt.Sprintf("%s\ngot: %q (%v)\nwant: %q", sql, got, err, want)
	})
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
	assert.Contains(t, res.Message, fmt.Sprintf("schema version %d", store.LatestSchemaVersion()))
}

// The receiver (no --sla-file: the defaults) and an app with another SLA target: escalations would follow other
// clocks than the app shows, and the health check says which.
func TestHealthReportsSLATargetsTheReceiverDoesNotShare(t *testing.T) {
	e := newEnvWith(t, map[string]any{"sla": map[string]any{"SEV1": map[string]string{"acknowledge": "5m"}}}, nil)
	res, err := e.a.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	assert.Equal(t, backend.HealthStatusError, res.Status, res.Message)
	assert.Contains(t, res.Message, "SLA targets, which the escalations follow, differ from jsonData.sla (SEV1.acknowledge: 5m0s here, 15m0s there)")
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
		{"unknown field", aliceUser, "POST", p + "/notes", `{"text":"x","admin":true}`, 400, `admin: unknown field`},
		{"two values", aliceUser, "POST", p + "/notes", `{"text":"x"}{"text":"y"}`, 400, "unexpected data after the JSON value"},
		{"huge body", aliceUser, "POST", p + "/notes", `{"text":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "larger than the limit of 1 MiB"},
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
