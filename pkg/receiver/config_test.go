package receiver

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/ingest"
)

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseConfigDefaultsAndPrecedence(t *testing.T) {
	_, err := ParseConfig(nil, envMap(nil), io.Discard)
	require.ErrorContains(t, err, "refusing to listen on :9095 with no authentication", "the defaults alone: every interface, no authentication")
	c, err := ParseConfig([]string{"--web.listen-unauthenticated"}, envMap(nil), io.Discard)
	require.NoError(t, err)
	assert.True(t, c.ListenUnauthenticated)
	assert.Empty(t, c.WebConfigFile)
	assert.Equal(t, ":9095", c.Listen)
	assert.Equal(t, "clickhouse://127.0.0.1:9000/firebreak", c.ClickHouseDSN)
	assert.Equal(t, int64(1<<30), c.SpoolMaxBytes)
	assert.Equal(t, int64(128<<20), c.SpoolMinFree)
	assert.Equal(t, int64(8<<20), c.MaxBodyBytes)
	assert.Equal(t, int64(16<<20), c.MaxInFlight)
	assert.Equal(t, int64(200<<20), c.MemoryLimit)
	assert.Equal(t, time.Second, c.BatchLinger)
	assert.Equal(t, 2*time.Millisecond, c.SpoolSync)
	assert.False(t, c.AuthEnabled())
	assert.Equal(t, ingest.Flapping{Reopens: 3, Window: time.Hour, Quiet: 30 * time.Minute}, c.Flapping)

	env := envMap(map[string]string{"FIREBREAK_LISTEN": ":1111", "FIREBREAK_SPOOL_DIR": "/env/spool", "FIREBREAK_TOKEN": " s3cret\n"})
	c, err = ParseConfig([]string{"--listen", ":2222"}, env, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, ":2222", c.Listen, "a flag wins over its variable")
	assert.Equal(t, "/env/spool", c.SpoolDir)
	assert.True(t, c.AuthEnabled())
	assert.Equal(t, "s3cret", c.token)

	c, err = ParseConfig([]string{"--web.listen-unauthenticated", "--flap-reopens", "0", "--flap-quiet", "2h"},
		envMap(map[string]string{"FIREBREAK_FLAP_WINDOW": "15m"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, ingest.Flapping{Reopens: 0, Window: 15 * time.Minute, Quiet: 2 * time.Hour}, c.Flapping)
}

func TestParseConfigSLAFile(t *testing.T) {
	c, err := ParseConfig([]string{"--listen", "127.0.0.1:0"}, envMap(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, incident.DefaultSLATargets(), c.SLA, "no file: the app's defaults")
	file := filepath.Join(t.TempDir(), "sla.yaml")
	require.NoError(t, os.WriteFile(file, []byte("SEV1: {acknowledge: 3s}\n"), 0o600))
	c, err = ParseConfig([]string{"--listen", "127.0.0.1:0"}, envMap(map[string]string{"FIREBREAK_SLA_FILE": file}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, c.SLA[incident.SEV1].Acknowledge)
	assert.Equal(t, incident.DefaultSLATargets()[incident.SEV1].Contain, c.SLA[incident.SEV1].Contain)
}

func TestParseConfigSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	basic := filepath.Join(dir, "basic")
	require.NoError(t, os.WriteFile(tok, []byte("abc\n"), 0o600))
	require.NoError(t, os.WriteFile(basic, []byte("am:pw\n"), 0o600))
	c, err := ParseConfig([]string{"--token-file", tok}, envMap(map[string]string{"FIREBREAK_BASIC_AUTH_FILE": basic}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "abc", c.token)
	assert.Equal(t, "am:pw", c.basic)
}

func TestParseConfigErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	nocolon := filepath.Join(dir, "nocolon")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	require.NoError(t, os.WriteFile(nocolon, []byte("justuser"), 0o600))
	badSLA := filepath.Join(dir, "sla.json")
	require.NoError(t, os.WriteFile(badSLA, []byte(`{"SEV1": {"acknowledge": "soon"}}`), 0o600))
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--spool-max-bytes", "lots"}, nil, "--spool-max-bytes"},
		{[]string{"--spool-min-free-bytes", "-1MiB"}, nil, "--spool-min-free-bytes"},
		{nil, map[string]string{"FIREBREAK_SPOOL_MIN_FREE_BYTES": "plenty"}, "--spool-min-free-bytes"},
		{nil, map[string]string{"FIREBREAK_MAX_BODY_BYTES": "-5"}, "--max-body-bytes"},
		{[]string{"--batch-linger", "0s"}, nil, "--batch-linger"},
		{nil, map[string]string{"FIREBREAK_MAX_INFLIGHT_BYTES": "many"}, "--max-inflight-bytes"},
		{[]string{"--max-inflight-bytes", "4MiB"}, nil, "less than --max-body-bytes (8MiB)"},
		{[]string{"--replay-horizon", "10m"}, nil, "--replay-horizon"},
		{nil, map[string]string{"FIREBREAK_REPLAY_HORIZON": "a week"}, "--replay-horizon"},
		{[]string{"--spool-sync-interval", "-1ms"}, nil, "--spool-sync-interval"},
		{[]string{"--spool-sync-interval", "2s"}, nil, "from 0 to 100ms"},
		{nil, map[string]string{"FIREBREAK_SPOOL_SYNC_INTERVAL": "soon"}, "--spool-sync-interval"},
		{[]string{"--memory-limit", "lots"}, nil, "--memory-limit"},
		{[]string{"--log-level", "loud"}, nil, "--log-level"},
		{[]string{"--flap-reopens", "-1"}, nil, "--flap-reopens"},
		{nil, map[string]string{"FIREBREAK_FLAP_REOPENS": "many"}, "--flap-reopens"},
		{[]string{"--flap-window", "10s"}, nil, "--flap-window"},
		{[]string{"--flap-quiet", "soon"}, nil, "--flap-quiet"},
		{[]string{"--log-format", "xml"}, nil, "--log-format"},
		{[]string{"--token-file", filepath.Join(dir, "missing")}, nil, "--token-file"},
		{[]string{"--token-file", empty}, nil, "is empty"},
		{[]string{"--basic-auth-file", nocolon}, nil, "user:password"},
		{[]string{"--spool-dir", ""}, nil, "--spool-dir"},
		{[]string{"--sla-file", filepath.Join(dir, "missing")}, nil, "--sla-file"},
		{[]string{"--sla-file", badSLA}, nil, "sla.SEV1.acknowledge"},
		{[]string{"--nope"}, nil, "flag provided but not defined"},
		{[]string{"extra"}, nil, "unexpected arguments"},
	}
	for _, tt := range tests {
		_, err := ParseConfig(tt.args, envMap(tt.env), io.Discard)
		require.Error(t, err, "%v %v", tt.args, tt.env)
		assert.Contains(t, err.Error(), tt.want)
	}
}

func TestHelpNamesEveryVariableAndHidesEnvSecrets(t *testing.T) {
	var out strings.Builder
	_, err := ParseConfig([]string{"--help"}, envMap(map[string]string{"FIREBREAK_CLICKHOUSE_DSN": "clickhouse://u:topsecret@h:9000/db"}), &out)
	assert.ErrorIs(t, err, ErrHelp)
	for _, v := range []string{"FIREBREAK_LISTEN", "FIREBREAK_CLICKHOUSE_DSN", "FIREBREAK_TOKEN_FILE", "FIREBREAK_SPOOL_DIR", "FIREBREAK_RULES", "FIREBREAK_FLAP_REOPENS", "FIREBREAK_FLAP_WINDOW", "FIREBREAK_FLAP_QUIET"} {
		assert.Contains(t, out.String(), v)
	}
	assert.NotContains(t, out.String(), "topsecret")
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "512KiB": 512 << 10, "8MiB": 8 << 20, "1GiB": 1 << 30, "2 MB": 2e6, "10B": 10} {
		got, err := ParseBytes(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "0", "-1", "1TiB", "x", "99999999999GiB"} {
		_, err := ParseBytes(in)
		assert.Error(t, err, in)
	}
}
