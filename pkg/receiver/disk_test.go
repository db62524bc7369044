package receiver

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With less free disk than --spool-min-free-bytes (here: more than any disk has), nothing is accepted: 503 with
// Retry-After, and readiness says why. (The end-to-end test in e2e/fulldisk_test.go fills a real 1 MiB file system.)
func TestDiskBelowHeadroomGives503AndNotReady(t *testing.T) {
	r := startReceiver(t, nil, "--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", unreachableDSN,
		"--spool-min-free-bytes", "1000000GiB")
	code, body := post(t, r.url, notification("g", "firing", time.Now(), "f1"))
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "spool: disk almost full")
	assert.Contains(t, body, "1073741824000000 are kept free")

	resp, err := http.Get(r.url + "/-/ready")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	var answer map[string]string
	require.NoError(t, json.Unmarshal(b, &answer), string(b))
	assert.Contains(t, answer["error"], "cannot accept notifications: spool: disk almost full")

	// 0 turns the check off.
	r = startReceiver(t, nil, "--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", unreachableDSN,
		"--spool-min-free-bytes", "0")
	code, body = post(t, r.url, notification("g", "firing", time.Now(), "f1"))
	assert.Equal(t, http.StatusOK, code, body)
}
