package grafanahost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/firebreak-dev/firebreak/pkg/grafanahost"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// logRecorder keeps the host's logs; they are printed when the test fails.
type logRecorder struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	msgs []string
}

func (r *logRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}

func (r *logRecorder) count(msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// recordingHandler records each message and writes the text form to rec.
type recordingHandler struct {
	slog.Handler
	rec *logRecorder
}

func (h recordingHandler) Handle(ctx context.Context, r slog.Record) error {
	h.rec.mu.Lock()
	h.rec.msgs = append(h.rec.msgs, r.Message)
	h.rec.mu.Unlock()
	return h.Handler.Handle(ctx, r)
}

func (h recordingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return recordingHandler{h.Handler.WithAttrs(as), h.rec}
}

func (h recordingHandler) WithGroup(name string) slog.Handler {
	return recordingHandler{h.Handler.WithGroup(name), h.rec}
}

// startHost builds the plugin (./pkg, its main package) once per test binary
// and starts it; it is closed when the test ends.
func startHost(t *testing.T, opts grafanahost.Options) (*grafanahost.Host, *logRecorder) {
	t.Helper()
	rec := &logRecorder{}
	opts.Binary = testenv.GoBuild(t, "pkg")
	opts.Logger = slog.New(recordingHandler{slog.NewTextHandler(rec, &slog.HandlerOptions{Level: slog.LevelDebug}), rec})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("host log:\n%s", rec.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h, err := grafanahost.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(h.Close)
	t.Logf("plugin pid %d started in %s", h.Pid(), h.Startup().Round(time.Millisecond))
	return h, rec
}

func ping(t *testing.T, h *grafanahost.Host, user *backend.User) {
	t.Helper()
	status, hdr, body, err := h.CallResource(context.Background(), user, http.MethodGet, "ping", nil, nil)
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	if status != http.StatusOK || strings.TrimSpace(string(body)) != `{"message":"ok"}` {
		t.Fatalf("ping: %d %q", status, body)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("ping: Content-Type %q", ct)
	}
}

// TestCheckHealth checks the round trip and that the Handler reports what
// the plugin answered, the way Grafana does (200 for OK, 503 otherwise). The
// plugin is not configured here, so today it answers ERROR ("Invalid
// settings"); TestConfiguredPlugin sees it healthy.
func TestCheckHealth(t *testing.T) {
	h, _ := startHost(t, grafanahost.Options{})
	res, err := h.CheckHealth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk && res.Status != backend.HealthStatusError || res.Message == "" {
		t.Fatalf("health: %v %q", res.Status, res.Message)
	}
	t.Logf("unconfigured plugin: %s %q", res.Status, res.Message)
	checkHealthHandler(t, h, res)
}

// checkHealthHandler checks that GET /api/plugins/<id>/health answers res.
func checkHealthHandler(t *testing.T, h *grafanahost.Host, res *backend.CheckHealthResult) {
	t.Helper()
	rr := httptest.NewRecorder()
	h.Handler().ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/api/plugins/"+h.PluginID()+"/health", nil))
	wantCode := http.StatusServiceUnavailable
	if res.Status == backend.HealthStatusOk {
		wantCode = http.StatusOK
	}
	var got map[string]any
	if err := json.Unmarshal(rr.Body.Bytes(), &got); err != nil {
		t.Fatalf("health body %q: %v", rr.Body, err)
	}
	if rr.Code != wantCode || got["status"] != res.Status.String() || got["message"] != res.Message || rr.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("health handler: %d %s, want %d for %s %q", rr.Code, rr.Body, wantCode, res.Status, res.Message)
	}
}

func TestCallResource(t *testing.T) {
	h, _ := startHost(t, grafanahost.Options{JSONData: json.RawMessage(`{}`)})
	ctx := context.Background()

	ping(t, h, grafanahost.Admin())
	ping(t, h, grafanahost.NewUser("viewer", grafanahost.RoleViewer))
	ping(t, h, nil) // Grafana's own request

	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/ping", http.StatusOK},
		{http.MethodGet, "ping?verbose=1", http.StatusOK},
		{http.MethodGet, "no-such-route", http.StatusNotFound},
		{http.MethodPost, "ping", http.StatusMethodNotAllowed},
	} {
		status, _, body, err := h.CallResource(ctx, grafanahost.Admin(), tc.method, tc.path, http.Header{"Accept": {"application/json"}}, nil)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		if status != tc.want {
			t.Errorf("%s %s: %d %q, want %d", tc.method, tc.path, status, body, tc.want)
		}
	}
}

func get(t *testing.T, url string, header http.Header, cookies ...*http.Cookie) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(body))
}

func TestHandler(t *testing.T) {
	h, _ := startHost(t, grafanahost.Options{})
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	base := srv.URL + "/api/plugins/" + grafanahost.DefaultPluginID
	pingURL := base + "/resources/ping"
	const okBody = `{"message":"ok"}`

	for _, tc := range []struct {
		name     string
		url      string
		header   http.Header
		cookies  []*http.Cookie
		want     int
		wantBody string
	}{
		{"default admin", pingURL, nil, nil, 200, okBody},
		{"query kept", pingURL + "?a=1&b=2", nil, nil, 200, okBody},
		{"viewer header", pingURL, http.Header{"X-Grafana-User": {"vera"}, "X-Grafana-Role": {"Viewer"}}, nil, 200, okBody},
		{"editor lower case", pingURL, http.Header{"X-Grafana-Role": {"editor"}}, nil, 200, okBody},
		{"none role", pingURL, http.Header{"X-Grafana-Role": {"None"}}, nil, 200, okBody},
		{"bad role header", pingURL, http.Header{"X-Grafana-Role": {"Superuser"}}, nil, 400, ""},
		{"bad role cookie", pingURL, nil, []*http.Cookie{{Name: "grafana_role", Value: "root"}}, 400, ""},
		{"cookie role", pingURL, nil, []*http.Cookie{{Name: "grafana_user", Value: "eddie"}, {Name: "grafana_role", Value: "Editor"}}, 200, okBody},
		{"header wins over cookie", pingURL, http.Header{"X-Grafana-Role": {"Viewer"}}, []*http.Cookie{{Name: "grafana_role", Value: "root"}}, 200, okBody},
		{"internal ignores role", pingURL, http.Header{"X-Grafana-Internal": {"1"}, "X-Grafana-Role": {"bogus"}}, nil, 200, okBody},
		{"unknown route", base + "/resources/nope", nil, nil, 404, ""},
		{"other plugin", srv.URL + "/api/plugins/other-app/resources/pingURL", nil, nil, 404, `{"message":"Plugin not found"}`},
		{"health viewer", base + "/health", http.Header{"X-Grafana-Role": {"Viewer"}}, nil, 0, `"status":`},
		{"health other plugin", srv.URL + "/api/plugins/other-app/health", nil, nil, 404, `{"message":"Plugin not found"}`},
		{"health bad role", base + "/health", http.Header{"X-Grafana-Role": {"Owner"}}, nil, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, tc.url, tc.header, tc.cookies...)
			if tc.want == 0 && status != 200 && status != 503 || tc.want != 0 && status != tc.want {
				t.Fatalf("status %d (%s), want %d", status, body, tc.want)
			}
			if tc.wantBody != "" && !strings.Contains(body, tc.wantBody) {
				t.Fatalf("body %s, want %s", body, tc.wantBody)
			}
			if status == 400 && !strings.Contains(body, "unknown role") {
				t.Fatalf("400 body %s", body)
			}
		})
	}

	// A body and another method reach the plugin: its mux answers 405 for POST /pingURL.
	resp, err := http.Post(pingURL, "application/json", strings.NewReader(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST ping: %s", resp.Status)
	}
}

func TestUserFromRequest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		header  map[string]string
		cookies map[string]string
		want    *backend.User
		wantErr bool
	}{
		{"defaults", nil, nil, grafanahost.NewUser("admin", "Admin"), false},
		{"headers", map[string]string{"X-Grafana-User": "vera", "X-Grafana-Role": "viewer"}, nil, grafanahost.NewUser("vera", "Viewer"), false},
		{"cookies", nil, map[string]string{"grafana_user": "eddie", "grafana_role": "Editor"}, grafanahost.NewUser("eddie", "Editor"), false},
		{"headers win", map[string]string{"X-Grafana-User": "h", "X-Grafana-Role": "Viewer"}, map[string]string{"grafana_user": "c", "grafana_role": "Admin"}, grafanahost.NewUser("h", "Viewer"), false},
		{"internal", map[string]string{"X-Grafana-Internal": "1", "X-Grafana-User": "x"}, nil, nil, false},
		{"bad role", map[string]string{"X-Grafana-Role": "GrafanaAdmin"}, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			for k, v := range tc.cookies {
				r.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			got, err := grafanahost.UserFromRequest(r)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tc.wantErr)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("user %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSetSettingsRecreatesInstance(t *testing.T) {
	h, rec := startHost(t, grafanahost.Options{
		JSONData:       json.RawMessage(`{"retentionDays":7}`),
		SecureJSONData: map[string]string{"apiKey": "s3cret-first-7f2a"},
	})
	const created = "App instance created"
	ping(t, h, grafanahost.Admin())
	ping(t, h, grafanahost.Admin())
	// The plugin's debug log reaches the host through go-plugin's stderr
	// parsing; wait for it, it is asynchronous.
	waitCount := func(want int) {
		t.Helper()
		testenv.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
			n := rec.count(created)
			return n == want, fmt.Sprintf("%q logged %d times, want %d", created, n, want)
		})
	}
	waitCount(1)

	before := h.Settings().Updated
	h.SetSettings(json.RawMessage(`{"retentionDays":30}`), map[string]string{"apiKey": "s3cret-second-7f2a"})
	h.SetSettings(json.RawMessage(`{"retentionDays":31}`), map[string]string{"apiKey": "s3cret-third-7f2a"}) // same millisecond
	after := h.Settings()
	if !after.Updated.After(before) || string(after.JSONData) != `{"retentionDays":31}` || after.DecryptedSecureJSONData["apiKey"] != "s3cret-third-7f2a" {
		t.Fatalf("settings not updated: %+v (before %s)", after, before)
	}
	ping(t, h, grafanahost.Admin())
	waitCount(2)
	if _, err := h.CheckHealth(context.Background()); err != nil {
		t.Fatalf("health after settings change: %v", err)
	}
	ping(t, h, grafanahost.Admin())
	time.Sleep(100 * time.Millisecond)
	waitCount(2) // unchanged settings reuse the instance
	if strings.Contains(rec.String(), "s3cret-") {
		t.Fatalf("a secret reached the log:\n%s", rec.String())
	}
}

// TestSettingsRoutes: GET /settings shows jsonData and which secrets are set,
// never their values; POST, by an Admin only, replaces jsonData and the flags
// and adds secrets to those kept, as Grafana saves plugin settings.
func TestSettingsRoutes(t *testing.T) {
	h, _ := startHost(t, grafanahost.Options{
		JSONData:       json.RawMessage(`{"retentionDays":7}`),
		SecureJSONData: map[string]string{"apiKey": "s3cret-kept-51c0"},
	})
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	url := srv.URL + "/api/plugins/" + grafanahost.DefaultPluginID + "/settings"
	post := func(role, body string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Grafana-Role", role)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	code, body := get(t, url, http.Header{"X-Grafana-Role": {"Viewer"}})
	want := `{"id":"firebreak-incident-app","type":"app","enabled":true,"pinned":true,"jsonData":{"retentionDays":7},"secureJsonFields":{"apiKey":true}}`
	if code != http.StatusOK || body != want {
		t.Fatalf("GET: %d %s, want %s", code, body, want)
	}
	update := `{"enabled":false,"pinned":true,"jsonData":{"retentionDays":30},"secureJsonData":{"token":"s3cret-new-51c0"}}`
	if code := post("Editor", update); code != http.StatusForbidden {
		t.Fatalf("an Editor saves settings: %d", code)
	}
	if code := post("Admin", `{"jsonData":`); code != http.StatusBadRequest {
		t.Fatalf("bad body: %d", code)
	}
	if code := post("Admin", update); code != http.StatusOK {
		t.Fatalf("an Admin saves settings: %d", code)
	}
	s := h.Settings()
	if string(s.JSONData) != `{"retentionDays":30}` || s.DecryptedSecureJSONData["apiKey"] != "s3cret-kept-51c0" ||
		s.DecryptedSecureJSONData["token"] != "s3cret-new-51c0" {
		t.Fatalf("saved settings: %+v", s)
	}
	code, body = get(t, url, nil)
	want = `{"id":"firebreak-incident-app","type":"app","enabled":false,"pinned":true,"jsonData":{"retentionDays":30},"secureJsonFields":{"apiKey":true,"token":true}}`
	if code != http.StatusOK || body != want {
		t.Fatalf("GET after POST: %d %s, want %s", code, body, want)
	}
	ping(t, h, grafanahost.Admin()) // the plugin takes the new settings
}

func TestManyCalls(t *testing.T) {
	h, _ := startHost(t, grafanahost.Options{})
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	url := srv.URL + "/api/plugins/" + grafanahost.DefaultPluginID + "/resources/ping"

	start := time.Now()
	for range 50 {
		ping(t, h, grafanahost.Admin())
	}
	t.Logf("50 sequential calls in %s", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			if i%2 == 0 {
				status, _, body, err := h.CallResource(context.Background(), grafanahost.NewUser(fmt.Sprint("u", i), grafanahost.RoleEditor), http.MethodGet, "ping", nil, nil)
				if err != nil || status != 200 || string(body) != `{"message":"ok"}` {
					errs <- fmt.Errorf("call %d: %d %q %v", i, status, body, err)
				}
				return
			}
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("X-Grafana-Role", "Viewer")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != `{"message":"ok"}` {
				errs <- fmt.Errorf("http %d: %d %q", i, resp.StatusCode, body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("20 concurrent calls in %s", time.Since(start).Round(time.Millisecond))
	if h.Exited() {
		t.Fatal("plugin exited")
	}
	ping(t, h, grafanahost.Admin())
}

func TestCloseKillsPlugin(t *testing.T) {
	h, _ := startHost(t, grafanahost.Options{})
	pid := h.Pid()
	if pid <= 0 {
		t.Fatalf("pid %d", pid)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("plugin %d not running: %v", pid, err)
	}
	start := time.Now()
	h.Close()
	t.Logf("Close took %s", time.Since(start).Round(time.Millisecond))
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("plugin %d still there after Close: %v", pid, err)
	}
	if !h.Exited() {
		t.Fatal("Exited() is false after Close")
	}
	if _, _, _, err := h.CallResource(context.Background(), grafanahost.Admin(), http.MethodGet, "ping", nil, nil); !errors.Is(err, grafanahost.ErrPluginUnavailable) {
		t.Fatalf("call after Close: %v", err)
	}
	// Through the handler a dead plugin is 503 like Grafana's "Plugin unavailable".
	rr := httptest.NewRecorder()
	h.Handler().ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/api/plugins/"+grafanahost.DefaultPluginID+"/resources/ping", nil))
	if rr.Code != http.StatusServiceUnavailable {
		t.Fatalf("after Close: %d %s", rr.Code, rr.Body)
	}
	h.Close() // idempotent
}

func TestPluginCrash(t *testing.T) {
	h, _ := startHost(t, grafanahost.Options{})
	if err := syscall.Kill(h.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		return h.Exited(), "plugin not reported as exited"
	})
	base := "/api/plugins/" + grafanahost.DefaultPluginID
	for _, path := range []string{base + "/resources/ping", base + "/health"} {
		rr := httptest.NewRecorder()
		h.Handler().ServeHTTP(rr, httptest.NewRequest(http.MethodGet, path, nil))
		if rr.Code != http.StatusServiceUnavailable || !strings.Contains(rr.Body.String(), "Plugin unavailable") {
			t.Errorf("%s after crash: %d %s", path, rr.Code, rr.Body)
		}
	}
	if _, err := h.CheckHealth(context.Background()); !errors.Is(err, grafanahost.ErrPluginUnavailable) {
		t.Errorf("CheckHealth after crash: %v", err)
	}
}

func TestStartFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := grafanahost.Start(ctx, grafanahost.Options{}); err == nil {
		t.Error("no binary: no error")
	}
	if _, err := grafanahost.Start(ctx, grafanahost.Options{Binary: t.TempDir() + "/missing"}); err == nil {
		t.Error("missing binary: no error")
	}
	// A program that is not a plugin exits without the handshake.
	start := time.Now()
	if _, err := grafanahost.Start(ctx, grafanahost.Options{Binary: "/bin/true"}); err == nil {
		t.Error("/bin/true: no error")
	} else {
		t.Logf("/bin/true: %v (after %s)", err, time.Since(start).Round(time.Millisecond))
	}
}
