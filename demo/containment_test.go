package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "test-containment-secret"

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1_790_000_000, 500_000_000)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"share": 1}`)
	good := signature([]byte(testSecret), ts, body)
	at := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	tests := []struct {
		name      string
		secret    string
		timestamp string
		sig       string
		body      []byte
		wantErr   string // substring; "" for a valid signature
	}{
		{name: "good signature", timestamp: ts, sig: good, body: body},
		{name: "good signature, upper-case hex", timestamp: ts, sig: "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), body: body},
		{name: "good signature, empty body", timestamp: ts, sig: signature([]byte(testSecret), ts, nil)},
		{name: "4m59s old", timestamp: at(-299 * time.Second), sig: signature([]byte(testSecret), at(-299*time.Second), body), body: body},
		{name: "exactly 5m old", timestamp: at(-300 * time.Second), sig: signature([]byte(testSecret), at(-300*time.Second), body), body: body},
		{name: "5m ahead", timestamp: at(300 * time.Second), sig: signature([]byte(testSecret), at(300*time.Second), body), body: body},
		{name: "wrong secret", secret: "another-secret", timestamp: ts, sig: good, body: body,
			wantErr: "X-Firebreak-Signature does not match the request (wrong secret, or altered method, URI or body)"},
		{name: "tampered body", timestamp: ts, sig: good, body: []byte(`{"share": 0}`), wantErr: "does not match"},
		{name: "body dropped", timestamp: ts, sig: good, wantErr: "does not match"},
		{name: "timestamp changed", timestamp: at(time.Second), sig: good, body: body, wantErr: "does not match"},
		{name: "missing timestamp", sig: good, body: body, wantErr: "missing X-Firebreak-Timestamp header"},
		{name: "missing signature", timestamp: ts, body: body, wantErr: "missing X-Firebreak-Signature header"},
		{name: "missing both", body: body, wantErr: "missing X-Firebreak-Timestamp header"},
		{name: "timestamp not a number", timestamp: "yesterday", sig: good, body: body,
			wantErr: "malformed X-Firebreak-Timestamp header: want Unix seconds"},
		{name: "timestamp in milliseconds with a dot", timestamp: ts + ".5", sig: good, body: body, wantErr: "malformed X-Firebreak-Timestamp"},
		{name: "timestamp with a sign", timestamp: "+" + ts, sig: good, body: body, wantErr: "malformed X-Firebreak-Timestamp"},
		{name: "timestamp overflows", timestamp: "99999999999999999999", sig: good, body: body, wantErr: "malformed X-Firebreak-Timestamp"},
		{name: "signature without prefix", timestamp: ts, sig: strings.TrimPrefix(good, "sha256="), body: body,
			wantErr: "malformed X-Firebreak-Signature header: want sha256=<64 hex digits>"},
		{name: "signature with another algorithm", timestamp: ts, sig: "sha1=" + strings.TrimPrefix(good, "sha256="), body: body,
			wantErr: "malformed X-Firebreak-Signature"},
		{name: "signature not hex", timestamp: ts, sig: "sha256=" + strings.Repeat("zz", 32), body: body, wantErr: "malformed X-Firebreak-Signature"},
		{name: "signature too short", timestamp: ts, sig: good[:len(good)-2], body: body, wantErr: "malformed X-Firebreak-Signature"},
		{name: "signature too long", timestamp: ts, sig: good + "00", body: body, wantErr: "malformed X-Firebreak-Signature"},
		{name: "stale timestamp", timestamp: at(-301 * time.Second), sig: signature([]byte(testSecret), at(-301*time.Second), body), body: body,
			wantErr: "stale X-Firebreak-Timestamp: 301s old, more than 5m0s"},
		{name: "day-old replay", timestamp: at(-24 * time.Hour), sig: signature([]byte(testSecret), at(-24*time.Hour), body), body: body,
			wantErr: "stale X-Firebreak-Timestamp"},
		{name: "future timestamp", timestamp: at(301 * time.Second), sig: signature([]byte(testSecret), at(301*time.Second), body), body: body,
			wantErr: "X-Firebreak-Timestamp is 301s in the future, more than 5m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := testSecret
			if tt.secret != "" {
				secret = tt.secret
			}
			err := verifySignature([]byte(secret), tt.timestamp, tt.sig, tt.body, now)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, err.Error(), strings.TrimPrefix(good, "sha256="), "never reveals the expected signature")
		})
	}
}

// The signature is what the README's openssl command computes.
func TestSignatureMatchesOpenSSL(t *testing.T) {
	// printf '%s.%s %s\n%s' 1790000000 POST /containment/disable '{"share": 1}' | openssl dgst -sha256 -hmac test-containment-secret
	want := "sha256=0d87dcf19e79de6934d990c7ece62d7bb82490000bdc08ba26e865a0ffc47f0a"
	assert.Equal(t, want, signature([]byte(testSecret), "1790000000", signedContent("POST", "/containment/disable", []byte(`{"share": 1}`))))
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Log("openssl not installed: the command of the README is not run")
		return
	}
	cmd := exec.Command("sh", "-c", `ts=1790000000; body='{"share": 1}'; secret=test-containment-secret
printf 'sha256=%s' "$(printf '%s.%s %s\n%s' "$ts" POST /containment/disable "$body" | openssl dgst -sha256 -hmac "$secret" | awk '{print $NF}')"`)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, want, string(out))
}

func TestParseConfigContainment(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(file, []byte("from-file\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantSecret string
		wantDelay  time.Duration
		wantErr    string
	}{
		{name: "none"},
		{name: "flag file, trailing newline dropped", args: []string{"--containment-secret-file", file}, wantSecret: "from-file"},
		{name: "env file", env: map[string]string{"DEMO_CONTAINMENT_SECRET_FILE": file}, wantSecret: "from-file"},
		{name: "env secret", env: map[string]string{"DEMO_CONTAINMENT_SECRET": "from-env"}, wantSecret: "from-env"},
		{name: "file wins over env secret", args: []string{"--containment-secret-file=" + file},
			env: map[string]string{"DEMO_CONTAINMENT_SECRET": "from-env"}, wantSecret: "from-file"},
		{name: "missing file", args: []string{"--containment-secret-file", filepath.Join(dir, "nope")},
			wantErr: "containment secret file: open"},
		{name: "empty file", args: []string{"--containment-secret-file", empty}, wantErr: "containment secret file " + empty + " is empty"},
		{name: "delay flag", args: []string{"--containment-delay=1m30s"}, wantDelay: 90 * time.Second},
		{name: "delay env", env: map[string]string{"DEMO_CONTAINMENT_DELAY": "250ms"}, wantDelay: 250 * time.Millisecond},
		{name: "bad delay", args: []string{"--containment-delay=soon"}, wantErr: `invalid containment delay "soon"`},
		{name: "negative delay", args: []string{"--containment-delay=-1s"}, wantErr: `invalid containment delay "-1s"`},
		{name: "delay too long", args: []string{"--containment-delay=11m"}, wantErr: "between 0s and 10m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantSecret, string(cfg.ContainmentSecret))
			assert.Equal(t, tt.wantDelay, cfg.ContainmentDelay)
			if tt.wantSecret != "" {
				for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
					assert.NotContains(t, fmt.Sprintf(verb, cfg), tt.wantSecret, "config printed with %s", verb)
				}
			}
		})
	}
}

// newContainmentApp returns an app with the containment secret set, logging into logs.
func newContainmentApp(t *testing.T, key string) (*app, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := config{Listen: "127.0.0.1:0", AISystem: "supportbot", Rate: 20, ModelVersion: "v2",
		PreviousModelVersion: "v1", Seed: 1, ContainmentSecret: secret(key)}
	a, err := newApp(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err)
	return a, logs
}

// signedRequest is a containment request; zero fields get sensible defaults.
type signedRequest struct {
	method   string // POST
	path     string
	body     string
	secret   string // testSecret
	age      time.Duration
	unsigned bool
	idemKey  string
}

func (sr signedRequest) build() *http.Request {
	method := sr.method
	if method == "" {
		method = http.MethodPost
	}
	secret := sr.secret
	if secret == "" {
		secret = testSecret
	}
	r := httptest.NewRequest(method, sr.path, strings.NewReader(sr.body))
	if !sr.unsigned {
		ts := strconv.FormatInt(time.Now().Add(-sr.age).Unix(), 10)
		r.Header.Set(headerTimestamp, ts)
		r.Header.Set(headerSignature, signature([]byte(secret), ts, signedContent(method, r.URL.RequestURI(), []byte(sr.body))))
	}
	if sr.idemKey != "" {
		r.Header.Set(headerIdempotencyKey, sr.idemKey)
	}
	return r
}

func (sr signedRequest) do(h http.Handler) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, sr.build())
	return rec
}

func post(t *testing.T, h http.Handler, path, body string) containmentResponse {
	t.Helper()
	rec := signedRequest{path: path, body: body}.do(h)
	require.Equal(t, http.StatusOK, rec.Code, "%s %s: %s", path, body, rec.Body.String())
	var resp containmentResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	return resp
}

func getStatus(t *testing.T, h http.Handler) containmentStatus {
	t.Helper()
	rec := do(t, h, "GET", "/containment/status", "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var st containmentStatus
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &st))
	return st
}

const knownActions = "disable, rollback, restrict-inputs, require-review, revoke-key, reset"

func TestContainmentRequests(t *testing.T) {
	tests := []struct {
		name       string
		noSecret   bool
		req        signedRequest
		wantStatus int
		wantError  string // substring of the JSON error
		wantAllow  string
	}{
		{name: "no secret: action", noSecret: true, req: signedRequest{path: "/containment/disable"},
			wantStatus: 503, wantError: "containment disabled: no secret configured"},
		{name: "no secret: status", noSecret: true, req: signedRequest{method: "GET", path: "/containment/status"},
			wantStatus: 503, wantError: "containment disabled: no secret configured"},
		{name: "no secret: dry run", noSecret: true, req: signedRequest{path: "/containment/dry-run/rollback"},
			wantStatus: 503, wantError: "containment disabled: no secret configured"},
		{name: "unsigned", req: signedRequest{path: "/containment/disable", unsigned: true},
			wantStatus: 401, wantError: "missing X-Firebreak-Timestamp header"},
		{name: "wrong secret", req: signedRequest{path: "/containment/rollback", secret: "guess"},
			wantStatus: 401, wantError: "X-Firebreak-Signature does not match"},
		{name: "stale", req: signedRequest{path: "/containment/rollback", age: 10 * time.Minute},
			wantStatus: 401, wantError: "stale X-Firebreak-Timestamp"},
		{name: "future", req: signedRequest{path: "/containment/rollback", age: -6 * time.Minute},
			wantStatus: 401, wantError: "in the future"},
		{name: "unsigned dry run", req: signedRequest{path: "/containment/dry-run/rollback", unsigned: true},
			wantStatus: 401, wantError: "missing X-Firebreak-Timestamp header"},
		{name: "unknown action", req: signedRequest{path: "/containment/explode"},
			wantStatus: 404, wantError: `unknown containment action "explode"; known: ` + knownActions},
		{name: "unknown dry-run action", req: signedRequest{path: "/containment/dry-run/explode"},
			wantStatus: 404, wantError: `unknown containment action "explode"`},
		{name: "dry-run without action", req: signedRequest{path: "/containment/dry-run"},
			wantStatus: 404, wantError: `unknown containment action "dry-run"`},
		{name: "nested unknown path", req: signedRequest{path: "/containment/disable/now"},
			wantStatus: 404, wantError: `unknown containment action "disable/now"`},
		{name: "GET an action", req: signedRequest{method: "GET", path: "/containment/disable"},
			wantStatus: 405, wantError: "method not allowed; use POST", wantAllow: "POST"},
		{name: "POST status", req: signedRequest{path: "/containment/status"},
			wantStatus: 405, wantError: "method not allowed; use GET", wantAllow: "GET"},
		{name: "broken JSON", req: signedRequest{path: "/containment/disable", body: `{"share":`},
			wantStatus: 400, wantError: `invalid JSON body (want {"share": 0..1}): unexpected EOF`},
		{name: "unknown field", req: signedRequest{path: "/containment/disable", body: `{"shrae": 0.5}`},
			wantStatus: 400, wantError: `json: unknown field "shrae"`},
		{name: "field of another action", req: signedRequest{path: "/containment/rollback", body: `{"share": 1}`},
			wantStatus: 400, wantError: `json: unknown field "share"`},
		{name: "two objects", req: signedRequest{path: "/containment/require-review", body: `{} {}`},
			wantStatus: 400, wantError: "unexpected data after the JSON object"},
		{name: "share above 1", req: signedRequest{path: "/containment/disable", body: `{"share": 1.5}`},
			wantStatus: 400, wantError: "share must be between 0 and 1, got 1.5"},
		{name: "share not a number", req: signedRequest{path: "/containment/disable", body: `{"share": "all"}`},
			wantStatus: 400, wantError: "invalid JSON body"},
		{name: "pattern missing", req: signedRequest{path: "/containment/restrict-inputs", body: `{}`},
			wantStatus: 400, wantError: "pattern is required"},
		{name: "pattern invalid", req: signedRequest{path: "/containment/restrict-inputs", body: `{"pattern": "(ignore"}`},
			wantStatus: 400, wantError: "invalid pattern: error parsing regexp: missing closing ): `(ignore`"},
		{name: "key_id missing", req: signedRequest{path: "/containment/revoke-key"},
			wantStatus: 400, wantError: "key_id is required"},
		{name: "key_id with a space", req: signedRequest{path: "/containment/revoke-key", body: `{"key_id": "a b"}`},
			wantStatus: 400, wantError: "key_id must not contain spaces or control characters"},
		{name: "reason too long", req: signedRequest{path: "/containment/require-review", body: `{"reason": "` + strings.Repeat("x", 2000) + `"}`},
			wantStatus: 400, wantError: "incident_id and reason must be at most 1024 bytes"},
		{name: "body too large", req: signedRequest{path: "/containment/disable", body: `{"share": 1` + strings.Repeat(" ", 64<<10) + `}`},
			wantStatus: 413, wantError: "request body larger than 65536 bytes"},
		{name: "bad idempotency key", req: signedRequest{path: "/containment/require-review", idemKey: "bad\u00e9key"},
			wantStatus: 400, wantError: "invalid Idempotency-Key header"},
		{name: "rollback with nothing to roll back to is checked later", req: signedRequest{path: "/containment/rollback", body: `{"incident_id": "INC-1"}`},
			wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := testSecret
			if tt.noSecret {
				secret = ""
			}
			a, _ := newContainmentApp(t, secret)
			rec := tt.req.do(a.routes())
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			if tt.wantStatus >= 400 {
				var e errorResponse
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), "error answers are JSON: %s", rec.Body.String())
				assert.Contains(t, e.Error, tt.wantError)
				assert.Equal(t, tt.wantAllow, rec.Header().Get("Allow"))
				if !tt.noSecret {
					assert.Equal(t, int64(0), a.ctl.Status().ConfigVersion, "a rejected request changes nothing")
					assert.Equal(t, "v2", a.sim.ModelVersion())
				}
			}
		})
	}
}

func TestContainmentRollbackStopsHallucinations(t *testing.T) {
	a, _ := newContainmentApp(t, testSecret)
	h := a.routes()
	_, err := a.sim.InjectFault(FaultHallucination, 1)
	require.NoError(t, err)
	a.sim.Step(warmupSteps)
	before := takeSnapshot(t, a.registry)
	a.sim.Step(thirtySecs)
	require.Greater(t, signals(before, takeSnapshot(t, a.registry), "supportbot", "v2")["hallucination"],
		2*ruleThresholds["hallucination"], "the fault raises the flagged rate")

	resp := post(t, h, "/containment/rollback", "")
	assert.Equal(t, containmentResponse{OK: true, Action: "rollback", Detail: "switch the model from v2 to v1",
		ConfigVersion: 1, ModelVersion: "v1"}, resp)
	assert.Equal(t, "v1", a.sim.ModelVersion())

	before = takeSnapshot(t, a.registry)
	a.sim.Step(thirtySecs)
	after := takeSnapshot(t, a.registry)
	sig := signals(before, after, "supportbot", "v1")
	assert.LessOrEqual(t, sig["hallucination"], ruleThresholds["hallucination"], "v1 does not carry the fault")
	assert.Equal(t, float64(thirtySecs), after[series("demo_answers_total", "supportbot", "v1")]+
		after[series("demo_errors_total", "supportbot", "v1")], "v1 serves the traffic")
	for _, name := range []string{"demo_answers_total", "demo_hallucinations_flagged_total"} {
		assert.Equal(t, before[series(name, "supportbot", "v2")], after[series(name, "supportbot", "v2")],
			"%s of v2 stops increasing: its rate goes to 0 and the ratio rule has no result, so the alert resolves", name)
	}
	assert.Equal(t, 1.0, after[series("demo_model_info", "supportbot", "v1")])
	assert.NotContains(t, after, series("demo_model_info", "supportbot", "v2"))

	st := getStatus(t, h)
	assert.Equal(t, "v1", st.ModelVersion)
	assert.Empty(t, st.PreviousModelVersion, "nothing older than v1 is known")
	var appStatus statusResponse
	require.NoError(t, json.Unmarshal(do(t, h, "GET", "/status", "").Body.Bytes(), &appStatus))
	assert.Equal(t, "v1", appStatus.ModelVersion)
	assert.Empty(t, appStatus.PreviousModelVersion, "/status agrees")

	rec := signedRequest{path: "/containment/rollback"}.do(h)
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.JSONEq(t, `{"error": "no previous model version to roll back to (active: v1)"}`, rec.Body.String())
	assert.Equal(t, "v1", a.sim.ModelVersion(), "a second rollback does not roll forward to the bad version")
	assert.Equal(t, int64(1), getStatus(t, h).ConfigVersion)
}

func TestContainmentDisable(t *testing.T) {
	a, _ := newContainmentApp(t, testSecret)
	h := a.routes()
	for _, k := range []FaultKind{FaultHallucination, FaultDataExposure, FaultBias} {
		_, err := a.sim.InjectFault(k, 1)
		require.NoError(t, err)
	}
	v2 := func(name string) string { return series(name, "supportbot", "v2") }
	rejected := func(reason string) string {
		return `demo_requests_rejected_total{ai_system="supportbot",model_version="v2",reason="` + reason + `"}`
	}
	gauge := `demo_feature_enabled_share{ai_system="supportbot"}`
	assert.Equal(t, 1.0, takeSnapshot(t, a.registry)[gauge])

	resp := post(t, h, "/containment/disable", `{"share": 1}`)
	assert.Equal(t, "stop answering 100% of the users: feature enabled for 0%", resp.Detail)
	before := takeSnapshot(t, a.registry)
	a.sim.Step(thirtySecs)
	after := takeSnapshot(t, a.registry)
	delta := func(k string) float64 { return after[k] - before[k] }
	assert.Equal(t, float64(thirtySecs), delta(v2("demo_requests_total")))
	assert.Equal(t, float64(thirtySecs), delta(rejected(rejectFeatureDisabled)))
	for _, name := range []string{"demo_answers_total", "demo_hallucinations_flagged_total", "demo_pii_leaks_detected_total",
		"demo_errors_total", "demo_prompt_injections_detected_total", "demo_human_reviews_required_total"} {
		assert.Zero(t, delta(v2(name)), "%s with the feature disabled for everyone", name)
	}
	for _, g := range groups {
		assert.Zero(t, delta(`demo_decisions_total{ai_system="supportbot",group="`+g+`",model_version="v2"}`))
	}
	assert.Zero(t, after[gauge])
	assert.Contains(t, do(t, h, "GET", "/metrics", "").Body.String(), "\n"+gauge+" 0\n")
	assert.Zero(t, getStatus(t, h).FeatureEnabledShare)

	post(t, h, "/containment/disable", `{"share": 0.5}`)
	before = takeSnapshot(t, a.registry)
	a.sim.Step(4000)
	after = takeSnapshot(t, a.registry)
	assert.InDelta(t, 0.5, delta(v2("demo_answers_total"))/4000, 0.03, "half of the users are answered")
	assert.InDelta(t, 0.5, delta(rejected(rejectFeatureDisabled))/4000, 0.03)
	assert.Equal(t, 0.5, after[gauge])

	post(t, h, "/containment/disable", ``) // no body: every user
	assert.Zero(t, takeSnapshot(t, a.registry)[gauge])
	post(t, h, "/containment/disable", `{"share": 0}`) // nobody: enabled again
	assert.Equal(t, 1.0, takeSnapshot(t, a.registry)[gauge])
	assert.Equal(t, int64(4), getStatus(t, h).ConfigVersion)
}

func TestContainmentRestrictInputsStopsInjections(t *testing.T) {
	a, _ := newContainmentApp(t, testSecret)
	h := a.routes()
	_, err := a.sim.InjectFault(FaultPromptInjection, 1)
	require.NoError(t, err)
	before := takeSnapshot(t, a.registry)
	a.sim.Step(thirtySecs)
	require.Greater(t, signals(before, takeSnapshot(t, a.registry), "supportbot", "v2")["prompt_injection"],
		2*ruleThresholds["prompt_injection"])

	pattern := `(?i)ignore (all )?previous instructions`
	resp := post(t, h, "/containment/restrict-inputs", `{"pattern": "(?i)ignore (all )?previous instructions", "incident_id": "INC-7"}`)
	assert.Contains(t, resp.Detail, "block the inputs matching")
	before = takeSnapshot(t, a.registry)
	a.sim.Step(thirtySecs)
	after := takeSnapshot(t, a.registry)
	assert.Zero(t, signals(before, after, "supportbot", "v2")["prompt_injection"])
	blocked := after[series("demo_inputs_blocked_total", "supportbot", "v2")] - before[series("demo_inputs_blocked_total", "supportbot", "v2")]
	assert.InDelta(t, 0.2*thirtySecs, blocked, 0.1*thirtySecs, "the injected traffic is blocked")
	answered := after[series("demo_answers_total", "supportbot", "v2")] - before[series("demo_answers_total", "supportbot", "v2")]
	assert.Equal(t, float64(thirtySecs), answered+blocked+after[series("demo_errors_total", "supportbot", "v2")]-
		before[series("demo_errors_total", "supportbot", "v2")], "a blocked request is not answered")

	resp = post(t, h, "/containment/restrict-inputs", `{"pattern": "(?i)ignore (all )?previous instructions"}`)
	assert.Contains(t, resp.Detail, "(already in effect)")
	post(t, h, "/containment/restrict-inputs", `{"pattern": "system prompt"}`)
	assert.Equal(t, []string{pattern, "system prompt"}, getStatus(t, h).InputRestrictions)
}

func TestContainmentRequireReviewStopsSkippedReviews(t *testing.T) {
	a, _ := newContainmentApp(t, testSecret)
	h := a.routes()
	for _, k := range []FaultKind{FaultOversightFailure, FaultHallucination} {
		_, err := a.sim.InjectFault(k, 1)
		require.NoError(t, err)
	}
	before := takeSnapshot(t, a.registry)
	a.sim.Step(thirtySecs)
	sig := signals(before, takeSnapshot(t, a.registry), "supportbot", "v2")
	require.Greater(t, sig["oversight_failure"], 2*ruleThresholds["oversight_failure"])
	require.Greater(t, sig["hallucination"], 2*ruleThresholds["hallucination"])

	post(t, h, "/containment/require-review", `{"reason": "reviews are skipped"}`)
	assert.True(t, getStatus(t, h).HumanReviewRequired)
	before = takeSnapshot(t, a.registry)
	a.sim.Step(thirtySecs)
	after := takeSnapshot(t, a.registry)
	sig = signals(before, after, "supportbot", "v2")
	assert.Zero(t, sig["oversight_failure"])
	assert.Zero(t, sig["hallucination"], "hallucinated answers are stopped in review")
	delta := func(name string) float64 {
		return after[series(name, "supportbot", "v2")] - before[series(name, "supportbot", "v2")]
	}
	assert.Greater(t, delta("demo_human_reviews_required_total"), 50.0)
	assert.Positive(t, delta("demo_answers_total"))
	assert.Equal(t, delta("demo_answers_total"), delta("demo_answers_held_for_review_total"), "every answer is held for review")
}

func TestContainmentRevokeKeyStopsUnauthorizedUse(t *testing.T) {
	a, _ := newContainmentApp(t, testSecret)
	h := a.routes()
	f, err := a.sim.InjectFault(FaultUnauthorizedUse, 1)
	require.NoError(t, err)
	assert.Equal(t, unauthorizedKeyID, f.KeyID, "the fault tells which key to revoke")
	var list faultsResponse
	require.NoError(t, json.Unmarshal(do(t, h, "GET", "/faults", "").Body.Bytes(), &list))
	assert.Equal(t, unauthorizedKeyID, list.Faults[0].KeyID)

	post(t, h, "/containment/revoke-key", `{"key_id": "key-someone-else"}`)
	before := takeSnapshot(t, a.registry)
	a.sim.Step(thirtySecs)
	assert.Greater(t, signals(before, takeSnapshot(t, a.registry), "supportbot", "v2")["unauthorized_use"],
		2*ruleThresholds["unauthorized_use"], "revoking another key changes nothing")

	resp := post(t, h, "/containment/revoke-key", `{"key_id": "`+unauthorizedKeyID+`"}`)
	assert.Equal(t, `revoke the API key "key-partner-unapproved": its requests are refused`, resp.Detail)
	before = takeSnapshot(t, a.registry)
	a.sim.Step(thirtySecs)
	after := takeSnapshot(t, a.registry)
	assert.Zero(t, signals(before, after, "supportbot", "v2")["unauthorized_use"])
	k := `demo_requests_rejected_total{ai_system="supportbot",model_version="v2",reason="key_revoked"}`
	assert.InDelta(t, 0.2*thirtySecs, after[k]-before[k], 0.1*thirtySecs)
	assert.Equal(t, []string{"key-someone-else", unauthorizedKeyID}, getStatus(t, h).RevokedKeys)
}

func TestContainmentDryRunChangesNothing(t *testing.T) {
	a, logs := newContainmentApp(t, testSecret)
	h := a.routes()
	initial := getStatus(t, h)
	initialMetrics := takeSnapshot(t, a.registry)
	tests := []struct {
		action, body, wantWould string
	}{
		{"disable", `{"share": 0.25}`, "stop answering 25% of the users: feature enabled for 75%"},
		{"rollback", ``, "switch the model from v2 to v1"},
		{"restrict-inputs", `{"pattern": "ignore previous"}`, `block the inputs matching "ignore previous"`},
		{"require-review", `{}`, "hold every answer for a human review before it is sent"},
		{"revoke-key", `{"key_id": "k1"}`, `revoke the API key "k1"`},
		{"reset", ``, "restore the defaults: model v2"},
	}
	for _, tt := range tests {
		rec := signedRequest{path: "/containment/dry-run/" + tt.action, body: tt.body, idemKey: "same-key"}.do(h)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var resp containmentResponse
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
		assert.True(t, resp.OK)
		assert.True(t, resp.DryRun)
		assert.Equal(t, tt.action, resp.Action)
		assert.Contains(t, resp.Would, tt.wantWould)
		assert.Empty(t, resp.Detail)
		assert.Equal(t, int64(0), resp.ConfigVersion)
		assert.Equal(t, "v2", resp.ModelVersion)
		assert.Contains(t, rec.Body.String(), `"dry_run": true`)
		assert.Contains(t, rec.Body.String(), `"would": `)
	}
	assert.Equal(t, initial, getStatus(t, h), "dry runs change nothing")
	assert.Equal(t, initialMetrics, takeSnapshot(t, a.registry))
	assert.Contains(t, logs.String(), `msg="containment dry run" action=rollback`)

	// Dry runs validate like the real action.
	rec := signedRequest{path: "/containment/dry-run/disable", body: `{"share": 2}`}.do(h)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	rec = signedRequest{path: "/containment/dry-run/revoke-key", body: `{"key_id": "k1"}`, secret: "wrong"}.do(h)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	// A dry run does not use up an Idempotency-Key.
	resp := containmentResponse{}
	rec = signedRequest{path: "/containment/rollback", idemKey: "same-key"}.do(h)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	assert.False(t, resp.DryRun)
	assert.Equal(t, "v1", resp.ModelVersion)

	rec = signedRequest{path: "/containment/dry-run/rollback"}.do(h)
	assert.Equal(t, http.StatusConflict, rec.Code, "nothing left to roll back to")
}

func TestContainmentIdempotency(t *testing.T) {
	a, logs := newContainmentApp(t, testSecret)
	h := a.routes()

	first := signedRequest{path: "/containment/rollback", body: `{"incident_id": "INC-1"}`, idemKey: "inc-1-rollback"}.do(h)
	require.Equal(t, http.StatusOK, first.Code, first.Body.String())
	assert.Empty(t, first.Header().Get(headerReplayed))
	// A retry, signed again later: the first answer, no second rollback (which would fail: nothing left).
	again := signedRequest{path: "/containment/rollback", body: `{"incident_id": "INC-1"}`, idemKey: "inc-1-rollback", age: -time.Second}.do(h)
	require.Equal(t, http.StatusOK, again.Code, again.Body.String())
	assert.Equal(t, first.Body.String(), again.Body.String())
	assert.Equal(t, "true", again.Header().Get(headerReplayed))
	assert.Equal(t, int64(1), getStatus(t, h).ConfigVersion)
	assert.Contains(t, logs.String(), `msg="containment action replayed" action=rollback idempotency_key=inc-1-rollback`)

	// The same key for another request is an error.
	rec := signedRequest{path: "/containment/rollback", body: `{"incident_id": "INC-2"}`, idemKey: "inc-1-rollback"}.do(h)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, rec.Body.String(), `Idempotency-Key \"inc-1-rollback\" was already used for a different request`)
	rec = signedRequest{path: "/containment/require-review", body: `{"incident_id": "INC-1"}`, idemKey: "inc-1-rollback"}.do(h)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	// An error answer is not remembered: the client may fix the request and retry with the key.
	rec = signedRequest{path: "/containment/disable", body: `{"share": 3}`, idemKey: "fix-me"}.do(h)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	rec = signedRequest{path: "/containment/disable", body: `{"share": 1}`, idemKey: "fix-me"}.do(h)
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, int64(2), getStatus(t, h).ConfigVersion)

	// Concurrent retries act once.
	var wg sync.WaitGroup
	bodies := make([]string, 20)
	for i := range bodies {
		wg.Go(func() {
			rec := signedRequest{path: "/containment/revoke-key", body: `{"key_id": "k-9"}`, idemKey: "revoke-k-9"}.do(h)
			bodies[i] = strconv.Itoa(rec.Code) + " " + rec.Body.String()
		})
	}
	wg.Wait()
	for _, b := range bodies {
		assert.Equal(t, bodies[0], b)
	}
	assert.Contains(t, bodies[0], `"config_version": 3`)
	assert.Equal(t, int64(3), getStatus(t, h).ConfigVersion)

	// Only the last 1000 keys are remembered.
	for i := range idempotencyCapacity {
		rec := signedRequest{path: "/containment/dry-run/require-review", idemKey: fmt.Sprint("dry-", i)}.do(h)
		require.Equal(t, http.StatusOK, rec.Code) // dry runs do not count
	}
	rec = signedRequest{path: "/containment/revoke-key", body: `{"key_id": "k-9"}`, idemKey: "revoke-k-9"}.do(h)
	assert.Equal(t, "true", rec.Header().Get(headerReplayed), "still remembered")
	for i := range idempotencyCapacity - 2 {
		rec := signedRequest{path: "/containment/require-review", idemKey: fmt.Sprint("k-", i)}.do(h)
		require.Equal(t, http.StatusOK, rec.Code)
	}
	rec = signedRequest{path: "/containment/revoke-key", body: `{"key_id": "k-9"}`, idemKey: "revoke-k-9"}.do(h)
	assert.Equal(t, "true", rec.Header().Get(headerReplayed), "1000th newest key: still remembered")
	rec = signedRequest{path: "/containment/rollback", body: `{"incident_id": "INC-1"}`, idemKey: "inc-1-rollback"}.do(h)
	assert.Equal(t, http.StatusConflict, rec.Code, "the oldest key is forgotten: the rollback is tried again")
	cv := getStatus(t, h).ConfigVersion
	rec = signedRequest{path: "/containment/revoke-key", body: `{"key_id": "k-9"}`, idemKey: "revoke-k-9"}.do(h)
	assert.Equal(t, "true", rec.Header().Get(headerReplayed))
	assert.Equal(t, cv, getStatus(t, h).ConfigVersion)
}

func TestContainmentStatusAndReset(t *testing.T) {
	a, _ := newContainmentApp(t, testSecret)
	h := a.routes()
	defaults := containmentStatus{AISystem: "supportbot", ModelVersion: "v2", PreviousModelVersion: "v1",
		FeatureEnabledShare: 1, InputRestrictions: []string{}, RevokedKeys: []string{}}
	assert.Equal(t, defaults, getStatus(t, h))
	assert.JSONEq(t, `{"ai_system": "supportbot", "model_version": "v2", "previous_model_version": "v1", "config_version": 0,
		"feature_enabled_share": 1, "input_restrictions": [], "human_review_required": false, "revoked_keys": []}`,
		do(t, h, "GET", "/containment/status", "").Body.String())
	_, err := a.sim.InjectFault(FaultDrift, 1)
	require.NoError(t, err)

	post(t, h, "/containment/disable", `{"share": 0.75}`)
	post(t, h, "/containment/rollback", `{}`)
	post(t, h, "/containment/restrict-inputs", `{"pattern": "^ignore"}`)
	post(t, h, "/containment/require-review", ``)
	post(t, h, "/containment/revoke-key", `{"key_id": "key-1"}`)
	rec := signedRequest{path: "/containment/require-review", idemKey: "before-reset"}.do(h)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, containmentStatus{AISystem: "supportbot", ModelVersion: "v1", ConfigVersion: 6,
		FeatureEnabledShare: 0.25, InputRestrictions: []string{"^ignore"}, HumanReviewRequired: true,
		RevokedKeys: []string{"key-1"}}, getStatus(t, h))

	resp := post(t, h, "/containment/reset", ``)
	assert.True(t, resp.OK)
	assert.Equal(t, "reset", resp.Action)
	assert.Equal(t, int64(7), resp.ConfigVersion, "reset is a change too: the counter goes on")
	assert.Equal(t, "v2", resp.ModelVersion)
	want := defaults
	want.ConfigVersion = 7
	assert.Equal(t, want, getStatus(t, h))
	assert.Equal(t, 1.0, takeSnapshot(t, a.registry)[`demo_feature_enabled_share{ai_system="supportbot"}`])
	assert.Len(t, a.sim.Faults(), 1, "faults are not containment: reset leaves them")

	rec = signedRequest{path: "/containment/require-review", idemKey: "before-reset"}.do(h)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Header().Get(headerReplayed), "reset forgets the idempotency keys")
	assert.True(t, getStatus(t, h).HumanReviewRequired)
}

// The delay slows the answer, not the action; it does not hold up the shutdown.
func TestContainmentDelay(t *testing.T) {
	url, a := startDemo(t, config{AISystem: "supportbot", Rate: 20, ModelVersion: "v2", PreviousModelVersion: "v1", Seed: 1,
		ContainmentSecret: secret(testSecret), ContainmentDelay: time.Hour})
	req := signedRequest{path: "/containment/disable", body: `{"share": 1}`}.build()
	req.RequestURI = ""
	u, err := req.URL.Parse(url + "/containment/disable")
	require.NoError(t, err)
	req.URL, req.Host = u, u.Host
	client := &http.Client{Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err = client.Do(req)
	require.Error(t, err, "no answer within the client's timeout")
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	assert.Zero(t, a.ctl.Status().FeatureEnabledShare, "the action is done at once")
	go func() { // a request still waiting when the service shuts down
		client := &http.Client{Timeout: time.Minute}
		if resp, err := client.Get(url + "/containment/status"); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(100 * time.Millisecond)

	short, _ := newContainmentApp(t, testSecret)
	short.ctl.delay = 200 * time.Millisecond
	start = time.Now()
	rec := signedRequest{path: "/containment/require-review"}.do(short.routes())
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
}

func TestContainmentLogsActionsNotSecrets(t *testing.T) {
	a, logs := newContainmentApp(t, testSecret)
	h := a.routes()
	req := signedRequest{path: "/containment/rollback", body: `{"incident_id": "INC-42", "reason": "hallucinations in v2"}`}
	r := req.build()
	sig := r.Header.Get(headerSignature)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	require.Equal(t, http.StatusOK, rec.Code)
	signedRequest{path: "/containment/disable", secret: "wrong"}.do(h)

	out := logs.String()
	assert.Contains(t, out, `msg="containment action" action=rollback detail="switch the model from v2 to v1" config_version=1 `+
		`model_version=v1 from=v2 to=v1 incident_id=INC-42 reason="hallucinations in v2"`)
	assert.Contains(t, out, `level=WARN msg="containment request rejected" path=/containment/disable`)
	assert.NotContains(t, out, testSecret)
	assert.NotContains(t, out, strings.TrimPrefix(sig, "sha256="))
}
