// Package e2e runs Firebreak's binaries end to end with real Prometheus, Alertmanager and ClickHouse.
package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const token = "e2e-secret-token"

// stack is one receiver writing to its own database of the shared ClickHouse.
type stack struct {
	ch       *testenv.ClickHouse
	db       string
	receiver *testenv.Process
	url      string // receiver base URL
	token    string // path of the token file
}

func startReceiver(t *testing.T, extra ...string) *stack {
	t.Helper()
	ch := testenv.SharedClickHouse(t)
	s := &stack{ch: ch, db: ch.NewDatabase(t)}
	dir := t.TempDir()
	s.token = filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(s.token, []byte(token+"\n"), 0o600))
	port := testenv.FreePort(t)
	s.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	s.receiver = testenv.StartBinary(t, testenv.Binary{
		Name: "receiver", Path: testenv.GoBuild(t, "receiver"),
		Args: append([]string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--clickhouse-dsn", ch.DSN(s.db),
			"--spool-dir", filepath.Join(dir, "spool"), "--token-file", s.token}, extra...),
		ReadyURL: s.url + "/-/ready",
	})
	return s
}

// alertmanagerConfig routes everything to the receiver with the bearer token, quickly.
func (s *stack) alertmanagerConfig(webhookURL string) string {
	if webhookURL == "" {
		webhookURL = s.url + "/api/v1/webhook"
	}
	return fmt.Sprintf(`route:
  receiver: firebreak
  group_by: [alertname, ai_system]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: firebreak
    webhook_configs:
      - url: %s
        send_resolved: true
        http_config:
          authorization:
            credentials_file: %s
`, webhookURL, s.token)
}

func (s *stack) query(t *testing.T, sql string) string {
	t.Helper()
	return s.ch.Query(t, strings.ReplaceAll(sql, "{db}", s.db))
}

// waitRows waits until sql (with {db}) returns want.
func (s *stack) waitRows(t *testing.T, timeout time.Duration, sql, want string) {
	t.Helper()
	sql = strings.ReplaceAll(sql, "{db}", s.db)
	testenv.WaitFor(t, timeout, 200*time.Millisecond, func() (bool, string) {
		got, err := s.ch.TryQuery(sql)
		if err != nil {
			return false, err.Error()
		}
		return got == want, fmt.Sprintf("%s\ngot:\n%s\nwant:\n%s", sql, got, want)
	})
}

// metric reads one sample of the receiver's /metrics (0 if absent).
func (s *stack) metric(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(t, err)
	return v
}

func httpDo(t *testing.T, method, url, body string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, "%s %s", method, url)
}

func repoPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", rel))
	require.NoError(t, err)
	return p
}
