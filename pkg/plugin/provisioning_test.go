package plugin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/grafanahost"
)

// The provisioning files we ship load as Grafana would load them (env expanded) and give valid settings.
func TestShippedProvisioningFilesAreValidSettings(t *testing.T) {
	env := map[string]string{"CLICKHOUSE_DB": "firebreak", "CLICKHOUSE_USER": "firebreak", "CLICKHOUSE_PASSWORD": "pw",
		"FIREBREAK_API_TOKEN": "api-token", "SUPPORTBOT_URL": "http://demo:9100",
		"SUPPORTBOT_CONTAINMENT_SECRET": "supportbot-secret-1", "DEMO_CONTAINMENT_SECRET": "demo-secret-0123456"}
	getenv := func(k string) string { return env[k] }

	// The stack's file is a template: fill it as scripts/stack does.
	tmpl, err := os.ReadFile(filepath.Join("..", "..", "deploy", "local", "firebreak-app.yaml"))
	require.NoError(t, err)
	filled := strings.NewReplacer("@@TCP_PORT@@", "9000", "@@RECEIVER_PORT@@", "9095", "@@PROMETHEUS_PORT@@", "9090",
		"@@DEMO_PORT@@", "9100", "@@SIGNING_PUBLIC_KEY@@", "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=").Replace(string(tmpl))
	assert.NotRegexp(t, `@@[A-Z_]+@@`, filled, "a placeholder scripts/stack fills is missing here")
	stackFile := filepath.Join(t.TempDir(), "firebreak-app.yaml")
	require.NoError(t, os.WriteFile(stackFile, []byte(filled), 0o600))

	// docker-compose.yml's Grafana has the stack's catalog (deploy/compose_test.go compares them in full).
	stackActions := []string{"disable", "rollback", "restrict-inputs", "require-review", "revoke-partner-key"}
	for _, tc := range []struct {
		path    string
		actions []string
	}{
		{filepath.Join("..", "..", "provisioning", "plugins", "app.yaml"), stackActions},
		{stackFile, stackActions},
	} {
		p, err := grafanahost.LoadProvisioning(tc.path, ID, getenv)
		require.NoError(t, err, tc.path)
		s, err := LoadSettings(backend.AppInstanceSettings{JSONData: p.JSONData, DecryptedSecureJSONData: p.SecureJSONData})
		require.NoError(t, err, tc.path)
		var ids []string
		for _, a := range s.Containment["supportbot"] {
			ids = append(ids, a.ID)
			assert.NotEmpty(t, a.Secret, "%s: %s has its secret", tc.path, a.ID)
			assert.NotEmpty(t, a.DryRunURL, "%s: %s can be checked by the readiness check", tc.path, a.ID)
		}
		assert.Equal(t, tc.actions, ids, tc.path)
		if tc.path == stackFile {
			assert.Len(t, s.SigningKey, 32, "the stack's plugin verifies signatures")
		}
	}
}

func TestLoadProvisioningErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	_, err := grafanahost.LoadProvisioning(write("other.yaml", "apiVersion: 1\napps:\n  - type: other-app\n"), ID, nil)
	assert.ErrorContains(t, err, "no enabled app of type firebreak-incident-app")
	_, err = grafanahost.LoadProvisioning(write("bad.yaml", "apps: [\n  secret: hunter2-very-secret\n"), ID, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
	_, err = grafanahost.LoadProvisioning(filepath.Join(dir, "missing.yaml"), ID, nil)
	assert.Error(t, err)
}
