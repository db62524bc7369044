package plugin

import (
	"context"
	"encoding/json"
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

func newTestApp(t *testing.T, settings backend.AppInstanceSettings) *App {
	t.Helper()
	inst, err := NewApp(context.Background(), settings)
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
