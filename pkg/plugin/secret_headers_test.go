package plugin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/containment"
)

const (
	apiKeySecret = "sk-live-0123456789abcdef"
	bearerSecret = "tok-9876543210fedcba"
	wrongKey     = "sk-stale-aaaabbbbccccdddd"
	hmacSecret   = "hmac-secret-for-the-kill-switch"
)

// aiEndpoint is an AI system's containment endpoint that wants an API key and a bearer token, and, carelessly,
// echoes what it got in its answers: the plugin must keep those echoes out of the timeline and the evidence.
type aiEndpoint struct {
	*httptest.Server
	mu   sync.Mutex
	seen []http.Header // the headers of every call, in order
}

func startAIEndpoint(t *testing.T) *aiEndpoint {
	t.Helper()
	e := &aiEndpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.seen = append(e.seen, r.Header.Clone())
		e.mu.Unlock()
		key, auth := r.Header.Get("X-Api-Key"), r.Header.Get("Authorization")
		ts := r.Header.Get(containment.HeaderTimestamp)
		var unix int64
		fmt.Sscan(ts, &unix)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case key != apiKeySecret || auth != "Bearer "+bearerSecret:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error": "key %s with %s refused"}`, key, auth)
		case r.URL.Path == "/status":
			fmt.Fprintf(w, `{"model_version": "v2", "seen_key": %q, "seen_token": %q}`, key, strings.TrimPrefix(auth, "Bearer "))
		default:
			fmt.Fprintf(w, `{"done": true, "path": %q, "echo": {"X-Api-Key": %q, "Authorization": %q}, "body": %s}`, r.URL.Path, key, auth, body)
		}
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *aiEndpoint) calls() []http.Header {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]http.Header(nil), e.seen...)
}

// capturedLog is the plugin's log, as Grafana would collect it.
type capturedLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *capturedLog) add(level, msg string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintln(level, msg, args))
}
func (l *capturedLog) Debug(msg string, args ...any)          { l.add("debug", msg, args...) }
func (l *capturedLog) Info(msg string, args ...any)           { l.add("info", msg, args...) }
func (l *capturedLog) Warn(msg string, args ...any)           { l.add("warn", msg, args...) }
func (l *capturedLog) Error(msg string, args ...any)          { l.add("error", msg, args...) }
func (l *capturedLog) With(...any) log.Logger                 { return l }
func (l *capturedLog) Level() log.Level                       { return log.Debug }
func (l *capturedLog) FromContext(context.Context) log.Logger { return l }
func (l *capturedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "")
}

// Credentials a containment endpoint wants come from secureJsonData: they reach the endpoint on every call (the
// real one, its dry run, its status), and appear in no answer, no event, no evidence snapshot and no log line, even
// when the endpoint echoes them back.
func TestContainmentHeaderSecretsReachTheEndpointOnly(t *testing.T) {
	logs := &capturedLog{}
	saved := log.DefaultLogger
	log.DefaultLogger = logs
	t.Cleanup(func() { log.DefaultLogger = saved })

	ai := startAIEndpoint(t)
	action := func(id, path string) map[string]any {
		return map[string]any{"id": id, "kind": "disable_feature", "label": "Kill switch " + id, "url": ai.URL + path,
			"dryRunUrl": ai.URL + "/dry-run" + path, "statusUrl": ai.URL + "/status", "timeout": "3s",
			"headers": map[string]string{"X-Team": "ml-platform"}, "body": `{"incident_id": "{{incident_id}}", "reason": "{{reason}}"}`}
	}
	jd := map[string]any{"containment": map[string]any{"supportbot": []any{action("kill", "/kill"), action("stale", "/kill")}}}
	sec := map[string]string{
		containment.SecretKey("supportbot", "kill"):                         hmacSecret,
		containment.SecretHeaderKey("supportbot", "kill", "X-Api-Key"):      apiKeySecret,
		containment.SecretHeaderKey("supportbot", "kill", "Authorization"):  "Bearer " + bearerSecret,
		containment.SecretKey("supportbot", "stale"):                        hmacSecret,
		containment.SecretHeaderKey("supportbot", "stale", "X-Api-Key"):     wrongKey,
		containment.SecretHeaderKey("supportbot", "stale", "Authorization"): "Bearer " + bearerSecret,
	}
	e := newEnvWith(t, jd, sec)
	secrets := []string{apiKeySecret, bearerSecret, wrongKey}
	var answers []string
	call := func(user *backend.User, method, path string, body any) (int, map[string]any) {
		t.Helper()
		status, raw := callResource(t, e.a, user, method, path, body)
		answers = append(answers, raw)
		return status, decode(t, raw)
	}

	id := e.declare(t, aliceUser, "SEV1")
	p := "incidents/" + id + "/containment"
	code, list := call(aliceUser, "GET", p, nil)
	require.Equal(t, 200, code, list)
	kill := list["actions"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{"Authorization", "X-Api-Key", "X-Team"}, kill["headers"], "the names are shown, never the values")

	// The call carries the credentials; the endpoint acts.
	code, out := call(aliceUser, "POST", p, map[string]string{"action": "kill", "reason": "stop it"})
	require.Equal(t, 200, code, out)
	req := request(out)
	assert.Equal(t, "succeeded", req["state"], out)
	calls := ai.calls()
	require.Len(t, calls, 2, "the status read for the evidence, then the call")
	for _, h := range calls {
		assert.Equal(t, apiKeySecret, h.Get("X-Api-Key"))
		assert.Equal(t, "Bearer "+bearerSecret, h.Get("Authorization"))
		assert.Equal(t, "ml-platform", h.Get("X-Team"))
		assert.NotEmpty(t, h.Get(containment.HeaderSignature), "and is signed as before")
	}
	answer := lastOutcome(t, req)["answer"].(string)
	assert.Contains(t, answer, `"done": true`)
	assert.Contains(t, answer, "[redacted]", "the echo of the credentials is removed from the recorded answer")

	// A stale key: the endpoint refuses and echoes it; the failure is recorded without it.
	code, out = call(aliceUser, "POST", p, map[string]string{"action": "stale"})
	require.Equal(t, 200, code, out)
	o := lastOutcome(t, request(out))
	assert.Equal(t, float64(401), o["http_status"])
	assert.Contains(t, o["error"], "key [redacted] with [redacted] refused")

	// The readiness check sends them to the dry-run URL too (it calls the actions' dry runs in no fixed order).
	before := len(ai.calls())
	code, ready := call(aliceUser, "GET", "containment/readiness", nil)
	require.Equal(t, 200, code, ready)
	assert.Equal(t, float64(1), ready["ready"], ready)
	var keys []string
	for _, h := range ai.calls()[before:] {
		keys = append(keys, h.Get("X-Api-Key"))
	}
	assert.Contains(t, keys, apiKeySecret, "the dry run of kill (stale's is refused)")

	// Nowhere else: the answers (the catalog, the requests, the timeline, the evidence as shown and as stored) ...
	code, d := call(viewerUser, "GET", "incidents/"+id, nil)
	require.Equal(t, 200, code)
	code, ev := call(viewerUser, "GET", "incidents/"+id+"/evidence", nil)
	require.Equal(t, 200, code, ev)
	snaps := ev["snapshots"].([]any)
	require.Len(t, snaps, 2)
	for _, s := range snaps {
		snapID := s.(map[string]any)["snapshot_id"].(string)
		code, snap := call(viewerUser, "GET", "incidents/"+id+"/evidence/"+snapID, nil)
		require.Equal(t, 200, code, snap)
		assert.Equal(t, true, snap["verified"])
		status := snap["content"].(map[string]any)["system_status"].(map[string]any)
		if status["http_status"] == float64(200) { // kill's
			assert.Equal(t, "v2", status["json"].(map[string]any)["model_version"], "the status answer is kept ...")
			assert.Equal(t, "[redacted]", status["json"].(map[string]any)["seen_token"], "... without the credentials it echoed")
		} else { // stale's: refused
			assert.Equal(t, "key [redacted] with [redacted] refused", status["json"].(map[string]any)["error"])
		}
		_, raw := callResource(t, e.a, viewerUser, "GET", "incidents/"+id+"/evidence/"+snapID+"?download=1", nil)
		answers = append(answers, raw)
	}
	assert.NotEmpty(t, d["timeline"])
	res, err := e.a.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	answers = append(answers, res.Message)
	for _, a := range answers {
		for _, s := range secrets {
			assert.NotContains(t, a, s, "an answer carries a credential")
		}
	}
	// ... ClickHouse's events and evidence (the search finds what is there: the endpoint's URL) ...
	e.a.awaitRecentWrites(context.Background())
	for _, table := range []string{"events", "evidence"} {
		for _, s := range secrets {
			n := e.ch.Query(t, fmt.Sprintf("SELECT count() FROM %s.%s WHERE position(toString(tuple(*)), '%s') > 0", e.db, table, s))
			assert.Equal(t, "0", strings.TrimSpace(n), "a credential in %s", table)
		}
		found := e.ch.Query(t, fmt.Sprintf("SELECT countIf(position(toString(tuple(*)), '%s') > 0) > 0 FROM %s.%s", ai.URL, e.db, table))
		assert.Equal(t, "1", strings.TrimSpace(found), "the search for credentials in %s searches nothing", table)
	}
	// ... and the log.
	assert.Contains(t, logs.String(), "Containment action called", "the log is captured")
	for _, s := range secrets {
		assert.NotContains(t, logs.String(), s)
	}
}

// A header credential that cannot be used makes the settings invalid, and the health check says which key, never
// the value.
func TestContainmentHeaderSecretErrorsNameTheKey(t *testing.T) {
	jd := `{"clickhouse":{"address":"ch:9000"},"receiver":{"url":"http://r:9095"},"containment":{"supportbot":[` +
		`{"id":"kill","kind":"custom","label":"Kill","url":"http://bot/kill"}]}}`
	sec := map[string]string{"receiverApiToken": "tok", containment.SecretKey("supportbot", "kill"): hmacSecret,
		containment.SecretHeaderKey("supportbot", "kill", "X-Api-Key"): apiKeySecret + "\nX-Injected: 1"}
	a := newTestApp(t, appSettings(jd, sec))
	res, err := a.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	assert.Equal(t, backend.HealthStatusError, res.Status)
	assert.Contains(t, res.Message, `secureJsonData["containment.supportbot.kill.headers.X-Api-Key"] holds a control character`)
	assert.NotContains(t, res.Message, apiKeySecret)
	status, body := callResource(t, a, aliceUser, "GET", "incidents", nil)
	assert.Equal(t, 503, status)
	assert.NotContains(t, body, apiKeySecret)
}
