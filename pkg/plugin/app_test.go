package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// recordingSender keeps the response the resource handler sends.
type recordingSender struct {
	responses []*backend.CallResourceResponse
}

func (s *recordingSender) Send(r *backend.CallResourceResponse) error {
	s.responses = append(s.responses, r)
	return nil
}

func newTestApp(t *testing.T) *App {
	t.Helper()
	inst, err := NewApp(context.Background(), backend.AppInstanceSettings{})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	a, ok := inst.(*App)
	if !ok {
		t.Fatalf("NewApp returned %T, want *App", inst)
	}
	t.Cleanup(a.Dispose)
	return a
}

// TestCallResource goes through the SDK's resource path (CallResource ->
// httpadapter -> ServeMux), as Grafana's /resources/* requests do.
func TestCallResource(t *testing.T) {
	a := newTestApp(t)
	pluginCtx := backend.PluginContext{
		PluginID:            ID,
		OrgID:               1,
		User:                &backend.User{Login: "viewer", Role: "Viewer"},
		AppInstanceSettings: &backend.AppInstanceSettings{},
	}

	for _, tc := range []struct {
		name       string
		method     string
		path       string
		query      string
		wantStatus int
		wantBody   map[string]string
	}{
		{name: "ping", method: http.MethodGet, path: "ping", wantStatus: http.StatusOK, wantBody: map[string]string{"message": "ok"}},
		{name: "ping with query", method: http.MethodGet, path: "ping", query: "?from=now-1h", wantStatus: http.StatusOK, wantBody: map[string]string{"message": "ok"}},
		{name: "ping wrong method", method: http.MethodPost, path: "ping", wantStatus: http.StatusMethodNotAllowed},
		{name: "unknown route", method: http.MethodGet, path: "nope", wantStatus: http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s recordingSender
			err := a.CallResource(context.Background(), &backend.CallResourceRequest{
				PluginContext: pluginCtx,
				Method:        tc.method,
				Path:          tc.path,
				URL:           "/api/plugins/" + ID + "/resources/" + tc.path + tc.query,
			}, &s)
			if err != nil {
				t.Fatalf("CallResource: %v", err)
			}
			if len(s.responses) == 0 {
				t.Fatal("no response sent")
			}
			resp := s.responses[0]
			if resp.Status != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", resp.Status, tc.wantStatus, resp.Body)
			}
			if tc.wantBody == nil {
				return
			}
			if ct := resp.Headers["Content-Type"]; len(ct) == 0 || ct[0] != "application/json" {
				t.Errorf("Content-Type = %v, want application/json", ct)
			}
			var got map[string]string
			if err := json.Unmarshal(resp.Body, &got); err != nil {
				t.Fatalf("body %q is not JSON: %v", resp.Body, err)
			}
			if len(got) != len(tc.wantBody) || got["message"] != tc.wantBody["message"] {
				t.Errorf("body = %v, want %v", got, tc.wantBody)
			}
		})
	}
}

// TestRoutesHTTP exercises the mux directly with net/http/httptest.
func TestRoutesHTTP(t *testing.T) {
	srv := httptest.NewServer(newTestApp(t).routes())
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/ping")
	if err != nil {
		t.Fatalf("GET /ping: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	var got struct {
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.Message != "ok" {
		t.Errorf("message = %q, want ok", got.Message)
	}
}

func TestCheckHealth(t *testing.T) {
	res, err := newTestApp(t).CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
	if res.Status != backend.HealthStatusOk {
		t.Errorf("status = %v, want OK (message %q)", res.Status, res.Message)
	}
}

// TestPluginJSON keeps the backend in step with src/plugin.json: Grafana
// routes by id, and the SDK's mage build names the binary after executable.
func TestPluginJSON(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "src", "plugin.json"))
	if err != nil {
		t.Fatalf("read plugin.json: %v", err)
	}
	var pj struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Backend    bool   `json:"backend"`
		Executable string `json:"executable"`
	}
	if err := json.Unmarshal(raw, &pj); err != nil {
		t.Fatalf("parse plugin.json: %v", err)
	}
	if pj.ID != ID || pj.Type != "app" || !pj.Backend || pj.Executable != "gpx_incident" {
		t.Errorf("plugin.json = %+v, want id %q, type app, backend true, executable gpx_incident", pj, ID)
	}
}
