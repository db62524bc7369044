package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestApp(t *testing.T) *app {
	t.Helper()
	cfg := config{Listen: "127.0.0.1:0", AISystem: "supportbot", Rate: 20, ModelVersion: "v2",
		PreviousModelVersion: "v1", Seed: 1}
	a, err := newApp(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return a
}

func do(t *testing.T, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, r))
	return rec
}

const knownKinds = "hallucination, bias, prompt_injection, drift, unauthorized_use, data_exposure, oversight_failure, errors"

func TestHandlers(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantError  string // exact "error" of a JSON error answer
		wantIn     string // substring of the body
	}{
		{name: "healthy", method: "GET", path: "/-/healthy", wantStatus: 200, wantIn: "OK"},
		{name: "status", method: "GET", path: "/status", wantStatus: 200, wantIn: `"ai_system": "supportbot"`},
		{name: "no faults", method: "GET", path: "/faults", wantStatus: 200, wantIn: `"faults": []`},
		{name: "metrics", method: "GET", path: "/metrics", wantStatus: 200, wantIn: `demo_model_info{ai_system="supportbot",model_version="v2"} 1`},
		{name: "inject, no body", method: "POST", path: "/faults/hallucination", wantStatus: 200, wantIn: `"intensity": 1,`},
		{name: "inject, empty object", method: "POST", path: "/faults/bias", body: `{}`, wantStatus: 200, wantIn: `"intensity": 1,`},
		{name: "inject, intensity", method: "POST", path: "/faults/drift", body: `{"intensity": 0.25}`, wantStatus: 200, wantIn: `"intensity": 0.25`},
		{name: "inject, intensity 0", method: "POST", path: "/faults/errors", body: `{"intensity": 0}`, wantStatus: 200, wantIn: `"intensity": 0,`},
		{name: "inject, unknown kind", method: "POST", path: "/faults/x", wantStatus: 404,
			wantError: `unknown fault kind "x"; known: ` + knownKinds},
		{name: "inject, unknown kind with body", method: "POST", path: "/faults/rootkit", body: `{"intensity": 7}`, wantStatus: 404,
			wantError: `unknown fault kind "rootkit"; known: ` + knownKinds},
		{name: "inject, intensity above 1", method: "POST", path: "/faults/bias", body: `{"intensity": 1.5}`, wantStatus: 400,
			wantError: "intensity must be between 0 and 1, got 1.5"},
		{name: "inject, negative intensity", method: "POST", path: "/faults/bias", body: `{"intensity": -0.1}`, wantStatus: 400,
			wantError: "intensity must be between 0 and 1, got -0.1"},
		{name: "inject, broken JSON", method: "POST", path: "/faults/bias", body: `{"intensity":`, wantStatus: 400,
			wantError: `invalid JSON body (want {"intensity": 0..1}): unexpected EOF`},
		{name: "inject, intensity not a number", method: "POST", path: "/faults/bias", body: `{"intensity": "high"}`, wantStatus: 400,
			wantIn: `invalid JSON body`},
		{name: "inject, unknown field", method: "POST", path: "/faults/bias", body: `{"intensty": 0.5}`, wantStatus: 400,
			wantError: `invalid JSON body (want {"intensity": 0..1}): json: unknown field "intensty"`},
		{name: "inject, two objects", method: "POST", path: "/faults/bias", body: `{} {}`, wantStatus: 400,
			wantError: `invalid JSON body (want {"intensity": 0..1}): unexpected data after the JSON object`},
		{name: "inject, not an object", method: "POST", path: "/faults/bias", body: `[0.5]`, wantStatus: 400, wantIn: `invalid JSON body`},
		{name: "inject, body too large", method: "POST", path: "/faults/bias", body: `{"intensity": 0.5` + strings.Repeat(" ", 5000) + `}`,
			wantStatus: 413, wantError: "request body larger than 4096 bytes"},
		{name: "clear one", method: "DELETE", path: "/faults/bias", wantStatus: 204},
		{name: "clear one, unknown kind", method: "DELETE", path: "/faults/x", wantStatus: 404,
			wantError: `unknown fault kind "x"; known: ` + knownKinds},
		{name: "clear all", method: "DELETE", path: "/faults", wantStatus: 204},
		{name: "POST /faults not allowed", method: "POST", path: "/faults", wantStatus: 405},
		{name: "PUT fault not allowed", method: "PUT", path: "/faults/bias", wantStatus: 405},
		{name: "unknown path", method: "GET", path: "/nope", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t)
			rec := do(t, a.routes(), tt.method, tt.path, tt.body)
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			if tt.wantStatus >= 400 && tt.wantStatus != 405 && tt.path != "/nope" {
				assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				var e errorResponse
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), "error answers are JSON: %s", rec.Body.String())
				assert.NotEmpty(t, e.Error)
				if tt.wantError != "" {
					assert.Equal(t, tt.wantError, e.Error)
				}
			}
			assert.Contains(t, rec.Body.String(), tt.wantIn)
		})
	}
}

func TestHandlersFaultLifecycle(t *testing.T) {
	a := newTestApp(t)
	h := a.routes()

	rec := do(t, h, "POST", "/faults/hallucination", `{"intensity": 1}`)
	require.Equal(t, 200, rec.Code, rec.Body.String())
	var f Fault
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &f))
	assert.Equal(t, FaultHallucination, f.Kind)
	assert.Equal(t, "v2", f.ModelVersion)
	assert.True(t, f.Effective)
	assert.Equal(t, "demo_hallucinations_flagged_total", f.Metric)

	require.Equal(t, 200, do(t, h, "POST", "/faults/prompt_injection", "").Code)

	var list faultsResponse
	require.NoError(t, json.Unmarshal(do(t, h, "GET", "/faults", "").Body.Bytes(), &list))
	require.Len(t, list.Faults, 2)
	assert.Equal(t, FaultHallucination, list.Faults[0].Kind)
	assert.Equal(t, FaultPromptInjection, list.Faults[1].Kind)

	var st statusResponse
	require.NoError(t, json.Unmarshal(do(t, h, "GET", "/status", "").Body.Bytes(), &st))
	assert.Equal(t, "supportbot", st.AISystem)
	assert.Equal(t, "v2", st.ModelVersion)
	assert.Equal(t, "v1", st.PreviousModelVersion)
	assert.Equal(t, 20.0, st.Rate)
	assert.Equal(t, list.Faults, st.ActiveFaults)

	// The fault shows in the metrics.
	before := takeSnapshot(t, a.registry)
	a.sim.Step(twoSeconds)
	sig := signals(before, takeSnapshot(t, a.registry), "supportbot", "v2")
	assert.Greater(t, sig["hallucination"], ruleThresholds["hallucination"])
	assert.Greater(t, sig["prompt_injection"], ruleThresholds["prompt_injection"])
	body := do(t, h, "GET", "/metrics", "").Body.String()
	assert.Contains(t, body, `demo_hallucinations_flagged_total{ai_system="supportbot",model_version="v2"}`)

	require.Equal(t, 204, do(t, h, "DELETE", "/faults/hallucination", "").Code)
	require.Equal(t, 204, do(t, h, "DELETE", "/faults/hallucination", "").Code, "clearing is idempotent")
	require.NoError(t, json.Unmarshal(do(t, h, "GET", "/faults", "").Body.Bytes(), &list))
	require.Len(t, list.Faults, 1)

	require.Equal(t, 204, do(t, h, "DELETE", "/faults", "").Code)
	require.NoError(t, json.Unmarshal(do(t, h, "GET", "/faults", "").Body.Bytes(), &list))
	assert.Empty(t, list.Faults)

	before = takeSnapshot(t, a.registry)
	a.sim.Step(thirtySecs)
	for cat, v := range signals(before, takeSnapshot(t, a.registry), "supportbot", "v2") {
		assert.LessOrEqual(t, v, ruleThresholds[cat], cat)
	}
}

func TestMetricsExposeEveryName(t *testing.T) {
	a := newTestApp(t)
	a.sim.Step(100)
	body := do(t, a.routes(), "GET", "/metrics", "").Body.String()
	for _, name := range []string{
		"demo_requests_total", "demo_answers_total", "demo_hallucinations_flagged_total", "demo_fairness_gap",
		"demo_approvals_total", "demo_decisions_total", "demo_prompt_injections_detected_total",
		"demo_input_drift_score", "demo_pii_leaks_detected_total", "demo_human_reviews_skipped_total",
		"demo_human_reviews_required_total", "demo_unauthorized_requests_total", "demo_errors_total", "demo_model_info",
	} {
		assert.Contains(t, body, "\n"+name+"{", name)
		assert.Contains(t, body, "# TYPE "+name+" ", name)
	}
	assert.Contains(t, body, `demo_decisions_total{ai_system="supportbot",group="group_a",model_version="v2"}`)
	assert.NotContains(t, body, "go_goroutines", "own registry, not the global one")
}
