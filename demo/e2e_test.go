package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer collects a subprocess's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startPrometheus runs the real Prometheus, scraping target every second and
// evaluating rulesFile every second, until the test ends; it returns its base URL.
func startPrometheus(t *testing.T, bin, target, rulesFile string) string {
	t.Helper()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "prometheus.yml")
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: supportbot
    static_configs:
      - targets: [%q]
`, rulesFile, target)
	require.NoError(t, os.WriteFile(cfgFile, []byte(cfg), 0o644))

	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	out := &syncBuffer{}
	cmd := exec.Command(bin,
		"--config.file="+cfgFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--rules.alert.resend-delay=1s",
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start(), "start %s", bin)
	exited := make(chan struct{})
	go func() {
		cmd.Wait() //nolint:errcheck // killed on purpose
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
			<-exited
		}
		if t.Failed() {
			t.Logf("prometheus output:\n%s", out.String())
		}
	})

	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("prometheus exited at start:\n%s", out.String())
		default:
		}
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after 20 s:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	Value       string            `json:"value"`
}

func getAlerts(t *testing.T, promURL string) []promAlert {
	t.Helper()
	resp, err := http.Get(promURL + "/api/v1/alerts")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Data   struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, "success", body.Status)
	return body.Data.Alerts
}

// queryValue returns the value of the first sample of an instant query, or false.
func queryValue(t *testing.T, promURL, query string) (float64, bool) {
	t.Helper()
	resp, err := http.Get(promURL + "/api/v1/query?query=" + url.QueryEscape(query))
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	if len(body.Data.Result) == 0 {
		return 0, false
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func request(t *testing.T, method, target string) {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, "%s %s", method, target)
}

// TestEndToEndAlertsFireAndResolve runs the demo service and the real Prometheus with
// the rule pack: with no fault no alert fires; with every fault injected each
// category's alert fires (with its labels) within ~10 s; once cleared they all resolve
// within ~35 s.
func TestEndToEndAlertsFireAndResolve(t *testing.T) {
	t.Parallel()
	prometheusBin := requireBinary(t, "prometheus")
	rules := loadRules(t)
	rulesFile, err := filepath.Abs(rulePackPath)
	require.NoError(t, err)

	demoURL, _ := startDemo(t, config{AISystem: "supportbot", Rate: 20, ModelVersion: "v2", PreviousModelVersion: "v1", Seed: 1})
	promURL := startPrometheus(t, prometheusBin, strings.TrimPrefix(demoURL, "http://"), rulesFile)

	// Baseline: a few seconds of healthy traffic, no alert.
	require.Eventually(t, func() bool {
		v, ok := queryValue(t, promURL, `count_over_time(demo_requests_total{ai_system="supportbot"}[1m])`)
		return ok && v >= 3
	}, 15*time.Second, 200*time.Millisecond, "prometheus does not scrape the demo service")
	assert.Empty(t, getAlerts(t, promURL), "alerts before any fault")

	start := time.Now()
	for _, spec := range faultSpecs {
		request(t, http.MethodPost, demoURL+"/faults/"+string(spec.Kind))
	}
	fired := map[string]time.Duration{}
	for len(fired) < len(rules) && time.Since(start) < 20*time.Second {
		for _, a := range getAlerts(t, promURL) {
			cat := a.Labels["category"]
			r, ok := rules[cat]
			require.True(t, ok, "alert with unknown category: %+v", a)
			if _, seen := fired[cat]; seen || a.State != "firing" {
				continue
			}
			fired[cat] = time.Since(start)
			assert.Equal(t, map[string]string{
				"alertname":     r.Alert,
				"ai_system":     "supportbot",
				"model_version": "v2",
				"severity":      wantSeverity[cat],
				"category":      cat,
			}, a.Labels)
			assert.Equal(t, runbookBase+cat, a.Annotations["runbook_url"])
			assert.Contains(t, a.Annotations["summary"], "supportbot")
			assert.Contains(t, a.Annotations["description"], "(model v2)")
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("time to fire after injecting: %v", fired)
	require.ElementsMatch(t, slices.Collect(maps.Keys(rules)), slices.Collect(maps.Keys(fired)), "alerts firing within 20 s")
	for cat, d := range fired {
		assert.Less(t, d, 12*time.Second, "%s took %v to fire", cat, d)
	}

	cleared := time.Now()
	request(t, http.MethodDelete, demoURL+"/faults")
	active := map[string]bool{}
	resolved := map[string]time.Duration{}
	for time.Since(cleared) < 45*time.Second {
		clear(active)
		for _, a := range getAlerts(t, promURL) {
			active[a.Labels["category"]] = true
		}
		for cat := range rules {
			if _, done := resolved[cat]; !done && !active[cat] {
				resolved[cat] = time.Since(cleared)
			}
		}
		if len(active) == 0 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("time to resolve after clearing: %v", resolved)
	require.Empty(t, active, "alerts still active 45 s after clearing the faults")
}
