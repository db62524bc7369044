package testenv

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PrometheusConfig configures StartPrometheus.
type PrometheusConfig struct {
	// Config is the prometheus.yml content. It is written to the same
	// directory as the rule files, so rule_files may name them relatively.
	// Empty means a generated config: scrape and evaluation interval 1s,
	// rule_files listing every rule file, and Alertmanagers as targets.
	Config string
	// Rules are rule files to write: file name -> content.
	Rules map[string]string
	// RuleFiles are paths of rule files to copy in, under their base names.
	RuleFiles []string
	// Alertmanagers receive the alerts when Config is empty: URLs
	// ("http://127.0.0.1:9093", as Alertmanager.URL returns) or host:port.
	Alertmanagers []string
	// ExtraArgs are appended to the command line.
	ExtraArgs []string
}

// Prometheus is a prometheus process (Debian package prometheus, 2.42 on
// Debian 12).
type Prometheus struct {
	t    testing.TB
	dir  string
	port int
	proc *process
}

// StartPrometheus starts a Prometheus and stops it when the test ends. It runs
// with --rules.alert.resend-delay=1s (else the first notification after start
// is lost and the next comes a minute later) and --web.enable-lifecycle.
func StartPrometheus(t testing.TB, cfg PrometheusConfig) *Prometheus {
	t.Helper()
	p, err := startPrometheus(t.TempDir(), cfg)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	p.t = t
	t.Cleanup(func() {
		if err := p.proc.stop(); err != nil {
			t.Errorf("testenv: stop prometheus: %v", err)
		}
	})
	t.Logf("testenv: prometheus on %s ready in %s, dir %s", p.URL(), p.proc.startup.Round(time.Millisecond), p.dir)
	return p
}

func startPrometheus(dir string, cfg PrometheusConfig) (*Prometheus, error) {
	bin, err := findBinary("prometheus", "prometheus", "/usr/bin/prometheus")
	if err != nil {
		return nil, err
	}
	var ruleNames []string
	for name, content := range cfg.Rules {
		if name != filepath.Base(name) || name == "." || name == ".." {
			return nil, fmt.Errorf("prometheus rule file name %q: want a plain file name", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return nil, err
		}
		ruleNames = append(ruleNames, name)
	}
	for _, path := range cfg.RuleFiles {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("prometheus rule file: %w", err)
		}
		name := filepath.Base(path)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, err
		}
		ruleNames = append(ruleNames, name)
	}
	sort.Strings(ruleNames)
	content := cfg.Config
	if content == "" {
		if content, err = defaultPrometheusConfig(ruleNames, cfg.Alertmanagers); err != nil {
			return nil, err
		}
	}
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(content), 0o644); err != nil {
		return nil, err
	}
	p := &Prometheus{dir: dir}
	proc, err := startWithRetry(func() (*process, error) {
		if p.port, err = freePort(); err != nil {
			return nil, err
		}
		args := append([]string{
			"--config.file=" + configPath,
			"--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)),
			"--rules.alert.resend-delay=1s",
			"--web.enable-lifecycle",
		}, cfg.ExtraArgs...)
		u := p.URL()
		return &process{
			name:    "prometheus",
			bin:     bin,
			args:    args,
			dir:     dir,
			logPath: filepath.Join(dir, "prometheus.log"),
			ready:   func() (bool, string) { return probe(u+"/-/ready", "") },
			ports:   []int{p.port},
		}, nil
	})
	if err != nil {
		return nil, err
	}
	p.proc = proc
	return p, nil
}

func defaultPrometheusConfig(ruleNames, alertmanagers []string) (string, error) {
	var b strings.Builder
	b.WriteString("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n")
	if len(ruleNames) > 0 {
		b.WriteString("rule_files:\n")
		for _, n := range ruleNames {
			fmt.Fprintf(&b, "  - %q\n", n)
		}
	}
	if len(alertmanagers) > 0 {
		b.WriteString("alerting:\n  alertmanagers:\n    - api_version: v2\n      static_configs:\n        - targets:\n")
		for _, am := range alertmanagers {
			target := am
			if strings.Contains(am, "://") {
				u, err := url.Parse(am)
				if err != nil {
					return "", fmt.Errorf("prometheus alertmanager %q: %w", am, err)
				}
				if u.Scheme != "http" || (u.Path != "" && u.Path != "/") {
					return "", fmt.Errorf("prometheus alertmanager %q: only http://host:port is supported; write Config for more", am)
				}
				target = u.Host
			}
			fmt.Fprintf(&b, "            - %q\n", target)
		}
	}
	return b.String(), nil
}

// URL returns the base URL, "http://127.0.0.1:port".
func (p *Prometheus) URL() string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
}

// Dir returns the directory holding prometheus.yml and the rule files; write
// files there and call Reload to change them.
func (p *Prometheus) Dir() string { return p.dir }

// Reload makes Prometheus read its configuration and rule files again
// (POST /-/reload).
func (p *Prometheus) Reload(t testing.TB) {
	t.Helper()
	if err := doJSON(http.MethodPost, p.URL()+"/-/reload", nil, nil); err != nil {
		t.Fatalf("testenv: prometheus: %v", err)
	}
}

// PromSample is one element of an instant query's result.
type PromSample struct {
	Metric    map[string]string
	Value     float64
	Timestamp time.Time
}

// Query runs an instant query (GET /api/v1/query) and returns its vector; a
// scalar result comes back as one sample without labels.
func (p *Prometheus) Query(t testing.TB, expr string) []PromSample {
	t.Helper()
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.api("/api/v1/query?query="+url.QueryEscape(expr), &data); err != nil {
		t.Fatalf("testenv: prometheus query %q: %v", expr, err)
	}
	var samples []PromSample
	switch data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &vec); err != nil {
			t.Fatalf("testenv: prometheus query %q: decode vector: %v", expr, err)
		}
		for _, v := range vec {
			s, err := promSample(v.Metric, v.Value)
			if err != nil {
				t.Fatalf("testenv: prometheus query %q: %v", expr, err)
			}
			samples = append(samples, s)
		}
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(data.Result, &v); err != nil {
			t.Fatalf("testenv: prometheus query %q: decode scalar: %v", expr, err)
		}
		s, err := promSample(map[string]string{}, v)
		if err != nil {
			t.Fatalf("testenv: prometheus query %q: %v", expr, err)
		}
		samples = append(samples, s)
	default:
		t.Fatalf("testenv: prometheus query %q: result type %q, want vector or scalar", expr, data.ResultType)
	}
	return samples
}

func promSample(metric map[string]string, v [2]any) (PromSample, error) {
	ts, ok := v[0].(float64)
	if !ok {
		return PromSample{}, fmt.Errorf("sample timestamp %v", v[0])
	}
	str, ok := v[1].(string)
	if !ok {
		return PromSample{}, fmt.Errorf("sample value %v", v[1])
	}
	val, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return PromSample{}, fmt.Errorf("sample value %q: %w", str, err)
	}
	return PromSample{Metric: metric, Value: val, Timestamp: time.UnixMilli(int64(ts * 1000)).UTC()}, nil
}

// PromAlert is one alert of GET /api/v1/alerts.
type PromAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"` // pending or firing
	ActiveAt    time.Time         `json:"activeAt"`
	Value       string            `json:"value"`
}

// Alerts returns the pending and firing alerts of all rules.
func (p *Prometheus) Alerts(t testing.TB) []PromAlert {
	t.Helper()
	var data struct {
		Alerts []PromAlert `json:"alerts"`
	}
	if err := p.api("/api/v1/alerts", &data); err != nil {
		t.Fatalf("testenv: prometheus alerts: %v", err)
	}
	return data.Alerts
}

// api GETs a Prometheus API path and decodes the "data" of a success answer.
func (p *Prometheus) api(path string, data any) error {
	var resp struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := doJSON(http.MethodGet, p.URL()+path, nil, &resp); err != nil {
		return err
	}
	if resp.Status != "success" {
		return fmt.Errorf("%s: %s", resp.ErrorType, resp.Error)
	}
	return json.Unmarshal(resp.Data, data)
}

// Stop stops Prometheus (SIGTERM, SIGKILL after 5 s); Start starts it again
// with the same ports, configuration and storage. Call them only from the
// test that started it.
func (p *Prometheus) Stop() {
	p.t.Helper()
	if err := p.proc.stop(); err != nil {
		p.t.Fatalf("testenv: stop prometheus: %v", err)
	}
}

// Start starts a stopped Prometheus again and waits until it is ready.
func (p *Prometheus) Start() {
	p.t.Helper()
	if err := p.proc.start(); err != nil {
		p.t.Fatalf("testenv: restart prometheus: %v", err)
	}
}
