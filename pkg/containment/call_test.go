package containment

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

const demoSecret = "demo-containment-secret"

func TestMain(m *testing.M) { testenv.Main(m) }

// startDemo runs the demo AI service (ours) with its containment endpoints and returns its URL.
func startDemo(t *testing.T, extra ...string) string {
	t.Helper()
	secretFile := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(demoSecret+"\n"), 0o600))
	port := testenv.FreePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	testenv.StartBinary(t, testenv.Binary{Name: "demo", Path: testenv.GoBuild(t, "demo"),
		Args:     append([]string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--containment-secret-file", secretFile}, extra...),
		ReadyURL: url + "/-/healthy"})
	return url
}

func newCaller() *Caller {
	return &Caller{HTTP: NewHTTPClient(), Now: time.Now, Secrets: func() []string { return []string{demoSecret} }}
}

func demoStatus(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url + "/containment/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m
}

func TestCallTheDemoService(t *testing.T) {
	demo := startDemo(t)
	c := newCaller()
	rollback := &Action{System: "supportbot", ID: "rollback", Kind: "rollback_model", Label: "Roll back", Method: "POST",
		URL: demo + "/containment/rollback", DryRunURL: demo + "/containment/dry-run/rollback", Timeout: 5 * time.Second,
		Secret: demoSecret, Body: `{"incident_id": "{{incident_id}}", "reason": "{{reason}}"}`}
	body := Render(rollback.Body, TemplateVars{IncidentID: "inc-1", Reason: `"bad" answers`})

	dry := c.Do(context.Background(), Call{Action: rollback, DryRun: true, Body: body})
	require.True(t, dry.Succeeded, dry.Error)
	assert.Contains(t, dry.Answer, `"dry_run": true`)
	assert.Equal(t, "v2", demoStatus(t, demo)["model_version"], "a dry run changes nothing")

	out := c.Do(context.Background(), Call{Action: rollback, Body: body, IdempotencyKey: "req-1"})
	require.True(t, out.Succeeded, out.Error)
	assert.Equal(t, 200, out.HTTPStatus)
	assert.Equal(t, 1, out.Tries)
	assert.Equal(t, "v1", demoStatus(t, demo)["model_version"])

	// The same idempotency key again (a retry after a lost answer) is answered, not carried out twice.
	again := c.Do(context.Background(), Call{Action: rollback, Body: body, IdempotencyKey: "req-1"})
	require.True(t, again.Succeeded, again.Error)
	assert.Equal(t, float64(1), demoStatus(t, demo)["config_version"])

	wrong := *rollback
	wrong.Secret = "not-the-secret"
	bad := c.Do(context.Background(), Call{Action: &wrong, DryRun: true, Body: body})
	assert.False(t, bad.Succeeded)
	assert.Equal(t, 401, bad.HTTPStatus)
	assert.Contains(t, bad.Error, "401")
	assert.Contains(t, strings.ToLower(bad.Error), "signature")
	assert.Equal(t, 1, bad.Tries, "a 4xx is not retried")
}

func TestTimeoutIsHonoured(t *testing.T) {
	demo := startDemo(t, "--containment-delay", "5s")
	a := &Action{Method: "POST", URL: demo + "/containment/require-review", Timeout: 300 * time.Millisecond, Secret: demoSecret,
		Idempotent: true, Retries: 3}
	out := newCaller().Do(context.Background(), Call{Action: a, IdempotencyKey: "k"})
	assert.False(t, out.Succeeded)
	assert.Contains(t, out.Error, "no answer within 300ms (timeout)")
	assert.Equal(t, 1, out.Tries, "a timeout is not retried: the action may be running there")
	assert.Less(t, out.Latency, 4*time.Second, "the call gave up long before the endpoint answered")
}

// flaky is a stand-in for an endpoint outside the product that fails a few times.
func flaky(t *testing.T, failures int32, status int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= failures {
			w.WriteHeader(status)
			fmt.Fprint(w, `{"error":"busy"}`)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetriesOnlyWhatIsSafe(t *testing.T) {
	c := newCaller()
	for _, tc := range []struct {
		name       string
		method     string
		idempotent bool
		status     int
		wantOK     bool
		wantTries  int
	}{
		{"PUT retried on 503", "PUT", false, 503, true, 3},
		{"POST not retried", "POST", false, 503, false, 1},
		{"idempotent POST retried", "POST", true, 502, true, 3},
		{"400 never retried", "PUT", false, 400, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, hits := flaky(t, 2, tc.status)
			a := &Action{Method: tc.method, URL: srv.URL, Timeout: time.Second, Retries: 2, Idempotent: tc.idempotent, Secret: "x"}
			out := c.Do(context.Background(), Call{Action: a, IdempotencyKey: "k"})
			assert.Equal(t, tc.wantOK, out.Succeeded, out.Error)
			assert.Equal(t, tc.wantTries, out.Tries)
			assert.Equal(t, int32(tc.wantTries), hits.Load())
		})
	}

	// Connection refused: retried (bounded) for an idempotent call, and the reason says what happened.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String() + "/kill?token=hidden"
	ln.Close()
	out := c.Do(context.Background(), Call{Action: &Action{Method: "DELETE", URL: closed, Timeout: time.Second, Retries: 1, Secret: "x"}})
	assert.False(t, out.Succeeded)
	assert.Equal(t, 2, out.Tries)
	assert.Contains(t, out.Error, "connection refused")
	assert.NotContains(t, out.Error, "hidden", "the query is not repeated in messages")
}

func TestRedirectsAreNotFollowedAndAnswersAreCapped(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(other.Close)
	redirect := httptest.NewServer(http.RedirectHandler(other.URL+"/steal", http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	c := newCaller()
	out := c.Do(context.Background(), Call{Action: &Action{Method: "POST", URL: redirect.URL, Timeout: time.Second, Secret: "x"}})
	assert.False(t, out.Succeeded)
	assert.Contains(t, out.Error, "does not follow")
	assert.Equal(t, int32(0), elsewhere.Load(), "the signed request never reached another host")

	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "echo "+demoSecret+" ")
		chunk := strings.Repeat("x", 1<<20)
		for range 50 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(huge.Close)
	out = c.Do(context.Background(), Call{Action: &Action{Method: "POST", URL: huge.URL, Timeout: 5 * time.Second, Secret: "x"}})
	assert.True(t, out.Succeeded, out.Error)
	assert.LessOrEqual(t, len(out.Answer), maxAnswerKept+20)
	assert.NotContains(t, out.Answer, demoSecret)
	assert.Contains(t, out.Answer, "[redacted]")

	// A secret across the cut of the kept answer is removed before the cut: no prefix of it is kept.
	straddle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("y", maxAnswerKept-5)+demoSecret)
	}))
	t.Cleanup(straddle.Close)
	out = c.Do(context.Background(), Call{Action: &Action{Method: "POST", URL: straddle.URL, Timeout: 5 * time.Second, Secret: "x"}})
	assert.NotContains(t, out.Answer, demoSecret[:5])
}

func TestSignatureHeaders(t *testing.T) {
	var got http.Header
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotBody = r.Header.Clone(), must(io.ReadAll(r.Body))
	}))
	t.Cleanup(srv.Close)
	now := time.Unix(1_800_000_000, 0)
	c := &Caller{HTTP: NewHTTPClient(), Now: func() time.Time { return now }}
	a := &Action{Method: "POST", URL: srv.URL, Timeout: time.Second, Secret: "k", Headers: map[string]string{"X-Team": "ml"}}
	out := c.Do(context.Background(), Call{Action: a, Body: []byte(`{"a":1}`), IdempotencyKey: "req-9"})
	require.True(t, out.Succeeded, out.Error)
	assert.Equal(t, "1800000000", got.Get(HeaderTimestamp))
	assert.Equal(t, Sign("k", now, "POST", "/", gotBody), got.Get(HeaderSignature))
	assert.Equal(t, "req-9", got.Get(HeaderIdempotency))
	assert.Equal(t, "ml", got.Get("X-Team"))
	assert.Equal(t, "application/json", got.Get("Content-Type"))
	// Every part is signed: body, time, method and URI.
	base := Sign("k", now, "POST", "/containment/rollback", gotBody)
	assert.NotEqual(t, base, Sign("k", now, "POST", "/containment/rollback", []byte(`{"a":2}`)))
	assert.NotEqual(t, base, Sign("k", now.Add(time.Second), "POST", "/containment/rollback", gotBody))
	assert.NotEqual(t, base, Sign("k", now, "PUT", "/containment/rollback", gotBody))
	assert.NotEqual(t, base, Sign("k", now, "POST", "/containment/dry-run/rollback", gotBody))
}

// The same known answer as the demo service's test and its README's openssl command:
// printf '%s.%s %s\n%s' 1790000000 POST /containment/disable '{"share": 1}' | openssl dgst -sha256 -hmac test-containment-secret
func TestSignKnownAnswer(t *testing.T) {
	assert.Equal(t, "sha256=0d87dcf19e79de6934d990c7ece62d7bb82490000bdc08ba26e865a0ffc47f0a",
		Sign("test-containment-secret", time.Unix(1790000000, 0), "POST", "/containment/disable", []byte(`{"share": 1}`)))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestExpressionsAndRange(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	alerts := []incident.Alert{
		{Name: "A", GeneratorURL: "http://prom:9090/graph?g0.expr=rate%28x%5B1m%5D%29+%3E+0.1&g0.tab=1", StartsAt: t0.Add(-time.Hour)},
		{Name: "B", GeneratorURL: "http://prom:9090/graph?g0.expr=rate%28x%5B1m%5D%29+%3E+0.1", StartsAt: t0},
		{Name: "C", GeneratorURL: "http://grafana/alerting/grafana/abc/view"},
		{Name: "D"},
	}
	qs, gaps := Expressions(alerts)
	assert.Equal(t, []Query{{Expr: "rate(x[1m]) > 0.1", Alerts: []string{"A", "B"}}}, qs)
	assert.Len(t, gaps, 2)
	assert.Contains(t, gaps[0], "alert C has no Prometheus expression")

	inc := &incident.Incident{StartedAt: t0, DeclaredAt: t0.Add(time.Minute)}
	now := t0.Add(2*time.Hour + 500*time.Millisecond)
	start, end, step := EvidenceRange(inc, alerts, now)
	assert.Equal(t, t0.Add(2*time.Hour), end, "whole seconds")
	assert.Equal(t, 46*time.Second, step, "about 250 points: 3h15m / 250, whole seconds")
	assert.Equal(t, time.Duration(0), end.Sub(start)%step, "the last point is now")
	assert.False(t, start.After(t0.Add(-time.Hour-15*time.Minute)), "from the earliest alert, with a look behind")
	assert.Less(t, t0.Add(-time.Hour-15*time.Minute).Sub(start), step)

	start, end, step = EvidenceRange(inc, nil, t0.Add(time.Minute))
	assert.Equal(t, 3*time.Second, step, "a young incident gets fine steps")
	assert.Equal(t, time.Duration(0), end.Sub(start)%step)
	start, _, step = EvidenceRange(&incident.Incident{StartedAt: t0.Add(-30 * 24 * time.Hour)}, nil, t0)
	assert.LessOrEqual(t, t0.Add(-7*24*time.Hour).Sub(start), step, "at most 7 days (and a step)")
}

func TestScrubRemovesEveryFormOfASecret(t *testing.T) {
	c := &Caller{Secrets: func() []string {
		return []string{"Bearer tok-abc-123", "Basic " + base64.StdEncoding.EncodeToString([]byte("am:pa$$-word<1>")), `k"ey\x`, "ml"}
	}}
	for _, in := range []string{
		`{"auth": "Bearer tok-abc-123"}`, `token tok-abc-123 refused`, `basic YW06cGEkJC13b3JkPDE+ or am:pa$$-word<1>`,
		`password pa$$-word<1>`, `json "pa$$-word\u003c1\u003e"`, `raw k"ey\x and escaped k\"ey\\x`,
	} {
		out := c.scrub(in)
		for _, s := range []string{"tok-abc-123", "YW06cGEkJC13b3JkPDE+", "pa$$-word", `k"ey\x`, `k\"ey\\x`} {
			assert.NotContains(t, out, s, in)
		}
		assert.Contains(t, out, "[redacted]", in)
	}
	assert.Equal(t, "team ml", c.scrub("team ml"), "values shorter than 4 characters stay: they would blank out words")
}
