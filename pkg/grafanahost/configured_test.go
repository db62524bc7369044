package grafanahost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/firebreak-dev/firebreak/pkg/grafanahost"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// TestConfiguredPlugin runs the plugin against a real ClickHouse and receiver
// (as pkg/plugin's own tests do) to observe what the host passes on: the
// settings (a settings change turns the health from ERROR into OK, which needs
// jsonData and the secret receiverApiToken to arrive) and the user and role of
// each request (the plugin lets Editors declare incidents, refuses Viewers and
// requests without a user). It follows the plugin's rules of today; update it
// with them.
func TestConfiguredPlugin(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	dir := t.TempDir()
	const token = "s3cret-receiver-token-3b9e"
	tokenFile := filepath.Join(dir, "api-token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	recvURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	testenv.StartBinary(t, testenv.Binary{Name: "receiver", Path: testenv.GoBuild(t, "receiver"),
		Args: []string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--clickhouse-dsn", ch.DSN(db),
			"--spool-dir", filepath.Join(dir, "spool"), "--api-token-file", tokenFile, "--batch-linger", "5ms"},
		ReadyURL: recvURL + "/-/ready"})
	testenv.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		out, err := ch.TryQuery("SELECT count() FROM " + db + ".schema_migrations")
		return err == nil && strings.TrimSpace(out) != "0", "waiting for the receiver to create the schema"
	})

	h, rec := startHost(t, grafanahost.Options{}) // not configured yet
	ctx := context.Background()
	res, err := h.CheckHealth(ctx)
	if err != nil || res.Status != backend.HealthStatusError {
		t.Fatalf("unconfigured health: %+v %v", res, err)
	}
	checkHealthHandler(t, h, res)

	h.SetSettings(json.RawMessage(fmt.Sprintf(`{"clickhouse":{"address":%q,"database":%q},"receiver":{"url":%q}}`,
		ch.TCPAddr(), db, recvURL)), map[string]string{"receiverApiToken": token})
	res, err = h.CheckHealth(ctx)
	if err != nil || res.Status != backend.HealthStatusOk {
		t.Fatalf("configured health: %+v %v", res, err)
	}
	t.Logf("configured plugin: %s %q", res.Status, res.Message)
	checkHealthHandler(t, h, res)

	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	incidents := srv.URL + "/api/plugins/" + grafanahost.DefaultPluginID + "/resources/incidents"
	declare := func(header http.Header, cookies ...*http.Cookie) (int, string) {
		t.Helper()
		body := `{"title":"Support bot invents a refund policy","severity":"SEV2","category":"hallucination",` +
			`"ai_system":"supportbot","description":"customers quote it back","reported_via":"support"}`
		req, err := http.NewRequest(http.MethodPost, incidents, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		req.Header.Set("Content-Type", "application/json")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}

	if code, body := declare(http.Header{"X-Grafana-User": {"vic"}, "X-Grafana-Role": {"Viewer"}}); code != http.StatusForbidden {
		t.Errorf("viewer declares: %d %s", code, body)
	}
	if code, body := declare(http.Header{"X-Grafana-Internal": {"1"}}); code != http.StatusForbidden || !strings.Contains(body, "signed-in") {
		t.Errorf("no user declares: %d %s", code, body)
	}
	// Cookies, as in the browser tests; a header would win.
	code, body := declare(http.Header{}, &http.Cookie{Name: "grafana_user", Value: "alice"}, &http.Cookie{Name: "grafana_role", Value: "Editor"})
	if code != http.StatusOK || !strings.Contains(body, "alice") {
		t.Fatalf("editor declares: %d %s", code, body)
	}
	var declared struct {
		Incident struct {
			ID string `json:"incident_id"`
		} `json:"incident"`
	}
	if err := json.Unmarshal([]byte(body), &declared); err != nil || declared.Incident.ID == "" {
		t.Fatalf("declare answer %s: %v", body, err)
	}
	status, _, got, err := h.CallResource(ctx, grafanahost.NewUser("vic", grafanahost.RoleViewer), http.MethodGet, "incidents/"+declared.Incident.ID, nil, nil)
	if err != nil || status != http.StatusOK || !strings.Contains(string(got), declared.Incident.ID) {
		t.Fatalf("viewer reads the incident: %d %s %v", status, got, err)
	}
	if strings.Contains(rec.String(), token) {
		t.Fatalf("the secret reached the host log")
	}
}
