package receiver

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// GET /api/v1/sla answers the targets of --sla-file in the app's jsonData.sla format, to the plugin only.
func TestSLAAPI(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	dir := t.TempDir()
	slaFile := filepath.Join(dir, "sla.yaml")
	require.NoError(t, os.WriteFile(slaFile, []byte("SEV2: {contain: 48h}\n"), 0o600))
	r := startReceiver(t, map[string]string{"FIREBREAK_API_TOKEN": apiToken}, "--spool-dir", filepath.Join(dir, "spool"),
		"--clickhouse-dsn", ch.DSN(ch.NewDatabase(t)), "--sla-file", slaFile)
	get := func(token string) (int, map[string]incident.SLASpec) {
		req, _ := http.NewRequest(http.MethodGet, r.url+"/api/v1/sla", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]incident.SLASpec
		if resp.StatusCode == http.StatusOK {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		}
		return resp.StatusCode, out
	}
	code, _ := get("")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, specs := get(apiToken)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]incident.SLASpec{"SEV1": {Acknowledge: "15m0s", Contain: "4h0m0s"},
		"SEV2": {Acknowledge: "4h0m0s", Contain: "48h0m0s"}, "SEV3": {Acknowledge: "72h0m0s", Contain: "0s"}}, specs)
}
