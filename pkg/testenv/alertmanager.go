package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// DefaultAlertmanagerConfig routes every alert to a receiver without
// integrations.
const DefaultAlertmanagerConfig = `route:
  receiver: blackhole
receivers:
  - name: blackhole
`

// AlertmanagerConfig configures StartAlertmanager.
type AlertmanagerConfig struct {
	// Config is the alertmanager.yml content; empty means
	// DefaultAlertmanagerConfig.
	Config string
	// ClusterListen is the gossip address, "127.0.0.1:port"; port 0 picks a
	// free one. Empty disables gossip (HA mode off).
	ClusterListen string
	// Peers are the gossip addresses of the other cluster members.
	Peers []string
	// PeerTimeout is --cluster.peer-timeout: peer n of a cluster waits
	// n x PeerTimeout before it notifies. Zero means 1 s (the default of
	// Alertmanager is 15 s).
	PeerTimeout time.Duration
	// ExtraArgs are appended to the command line.
	ExtraArgs []string
}

// Alertmanager is a prometheus-alertmanager process (Debian package
// prometheus-alertmanager, 0.25 on Debian 12).
type Alertmanager struct {
	t           testing.TB
	dir         string
	port        int
	clusterAddr string
	proc        *process
}

// Test-speed gossip settings. Alertmanager holds notifications until gossip
// "settles": 4 polls, 10 gossip intervals apart, that see the same number of
// peers, so with the default 200 ms interval the first notification of a
// clustered instance waits at least 8 s; with 50 ms it is 2 s.
const (
	amGossipInterval    = "50ms"
	amPushPullInterval  = "1s"
	amSettleTimeout     = "5s"
	amReconnectInterval = "1s"
)

// StartAlertmanager starts an Alertmanager and stops it when the test ends.
func StartAlertmanager(t testing.TB, cfg AlertmanagerConfig) *Alertmanager {
	t.Helper()
	a, err := startAlertmanager(t.TempDir(), cfg)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	a.t = t
	t.Cleanup(func() {
		if err := a.proc.stop(); err != nil {
			t.Errorf("testenv: stop alertmanager: %v", err)
		}
	})
	t.Logf("testenv: alertmanager on %s (cluster %q) ready in %s, dir %s", a.URL(), a.clusterAddr, a.proc.startup.Round(time.Millisecond), a.dir)
	return a
}

func startAlertmanager(dir string, cfg AlertmanagerConfig) (*Alertmanager, error) {
	bin, err := findBinary("prometheus-alertmanager", "prometheus-alertmanager", "/usr/bin/prometheus-alertmanager", "alertmanager")
	if err != nil {
		return nil, err
	}
	content := cfg.Config
	if content == "" {
		content = DefaultAlertmanagerConfig
	}
	configPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(configPath, []byte(content), 0o644); err != nil {
		return nil, err
	}
	storage := filepath.Join(dir, "data")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		return nil, err
	}
	peerTimeout := cfg.PeerTimeout
	if peerTimeout == 0 {
		peerTimeout = time.Second
	}
	a := &Alertmanager{dir: dir}
	pickClusterPort := false
	if cfg.ClusterListen != "" {
		host, port, err := net.SplitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("alertmanager ClusterListen %q: %w", cfg.ClusterListen, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			return nil, fmt.Errorf("alertmanager ClusterListen %q: give a loopback host such as 127.0.0.1", cfg.ClusterListen)
		}
		pickClusterPort = port == "0"
		a.clusterAddr = cfg.ClusterListen
	}
	p, err := startWithRetry(func() (*process, error) {
		if a.port, err = freePort(); err != nil {
			return nil, err
		}
		ports := []int{a.port}
		if pickClusterPort {
			host, _, _ := net.SplitHostPort(cfg.ClusterListen)
			cp, err := freeTCPUDPPort()
			if err != nil {
				return nil, err
			}
			a.clusterAddr = net.JoinHostPort(host, strconv.Itoa(cp))
		}
		if a.clusterAddr != "" {
			if _, cp, err := net.SplitHostPort(a.clusterAddr); err == nil {
				if n, err := strconv.Atoi(cp); err == nil {
					ports = append(ports, n)
				}
			}
		}
		args := []string{
			"--config.file=" + configPath,
			"--storage.path=" + storage,
			"--web.listen-address=" + net.JoinHostPort("127.0.0.1", strconv.Itoa(a.port)),
			"--cluster.listen-address=" + a.clusterAddr,
		}
		if a.clusterAddr != "" {
			args = append(args,
				"--cluster.advertise-address="+a.clusterAddr,
				"--cluster.peer-timeout="+peerTimeout.String(),
				"--cluster.gossip-interval="+amGossipInterval,
				"--cluster.pushpull-interval="+amPushPullInterval,
				"--cluster.settle-timeout="+amSettleTimeout,
				"--cluster.reconnect-interval="+amReconnectInterval,
			)
			for _, peer := range cfg.Peers {
				args = append(args, "--cluster.peer="+peer)
			}
		}
		args = append(args, cfg.ExtraArgs...)
		url := a.URL()
		return &process{
			name:    "alertmanager",
			bin:     bin,
			args:    args,
			dir:     dir,
			logPath: filepath.Join(dir, "alertmanager.log"),
			ready:   func() (bool, string) { return probe(url+"/-/ready", "") },
			ports:   ports,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	a.proc = p
	return a, nil
}

// StartAlertmanagerCluster starts n Alertmanagers with the same configuration
// that gossip with each other, and waits until each one lists all n members.
func StartAlertmanagerCluster(t testing.TB, cfgYAML string, n int) []*Alertmanager {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		port, err := freeTCPUDPPort()
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		addrs[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	start := time.Now()
	ams := make([]*Alertmanager, n)
	for i := range ams {
		var peers []string
		for j, addr := range addrs {
			if j != i {
				peers = append(peers, addr)
			}
		}
		ams[i] = StartAlertmanager(t, AlertmanagerConfig{Config: cfgYAML, ClusterListen: addrs[i], Peers: peers})
	}
	for _, a := range ams {
		WaitFor(t, readyTimeout, 50*time.Millisecond, func() (bool, string) {
			peers, err := a.peers()
			if err != nil {
				return false, err.Error()
			}
			if len(peers) != n {
				return false, fmt.Sprintf("alertmanager %s sees peers %v, want %d\n%s", a.URL(), peers, n, a.proc.logTail())
			}
			return true, ""
		})
	}
	t.Logf("testenv: alertmanager cluster of %d formed in %s", n, time.Since(start).Round(time.Millisecond))
	return ams
}

// URL returns the base URL, "http://127.0.0.1:port".
func (a *Alertmanager) URL() string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(a.port))
}

// ClusterAddr returns the gossip address, or "" when gossip is off.
func (a *Alertmanager) ClusterAddr() string { return a.clusterAddr }

// Dir returns the instance's directory (alertmanager.yml, data, log).
func (a *Alertmanager) Dir() string { return a.dir }

// PostAlerts posts alerts to /api/v2/alerts. Each alert needs "labels"
// (map[string]string); "annotations", "startsAt", "endsAt" and "generatorURL"
// are optional.
func (a *Alertmanager) PostAlerts(t testing.TB, alerts []map[string]any) {
	t.Helper()
	body, err := json.Marshal(alerts)
	if err != nil {
		t.Fatalf("testenv: encode alerts: %v", err)
	}
	if err := doJSON(http.MethodPost, a.URL()+"/api/v2/alerts", body, nil); err != nil {
		t.Fatalf("testenv: alertmanager: %v", err)
	}
}

// AlertmanagerAlert is one alert as GET /api/v2/alerts returns it.
type AlertmanagerAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	UpdatedAt    time.Time         `json:"updatedAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
	Status       struct {
		State       string   `json:"state"` // active, suppressed, unprocessed
		SilencedBy  []string `json:"silencedBy"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
	Receivers []struct {
		Name string `json:"name"`
	} `json:"receivers"`
}

// Alerts returns the alerts the Alertmanager holds (GET /api/v2/alerts).
func (a *Alertmanager) Alerts(t testing.TB) []AlertmanagerAlert {
	t.Helper()
	var alerts []AlertmanagerAlert
	if err := doJSON(http.MethodGet, a.URL()+"/api/v2/alerts", nil, &alerts); err != nil {
		t.Fatalf("testenv: alertmanager: %v", err)
	}
	return alerts
}

// Peers returns the gossip cluster's members as this instance sees them
// (itself included), from GET /api/v2/status.
func (a *Alertmanager) Peers(t testing.TB) []string {
	t.Helper()
	peers, err := a.peers()
	if err != nil {
		t.Fatalf("testenv: alertmanager: %v", err)
	}
	return peers
}

func (a *Alertmanager) peers() ([]string, error) {
	var status struct {
		Cluster struct {
			Status string `json:"status"`
			Peers  []struct {
				Name    string `json:"name"`
				Address string `json:"address"`
			} `json:"peers"`
		} `json:"cluster"`
	}
	if err := doJSON(http.MethodGet, a.URL()+"/api/v2/status", nil, &status); err != nil {
		return nil, err
	}
	var peers []string
	for _, p := range status.Cluster.Peers {
		peers = append(peers, p.Address)
	}
	return peers, nil
}

// Stop stops the Alertmanager (SIGTERM, SIGKILL after 5 s); Start starts it
// again with the same ports, configuration and storage. Call them only from
// the test that started it.
func (a *Alertmanager) Stop() {
	a.t.Helper()
	if err := a.proc.stop(); err != nil {
		a.t.Fatalf("testenv: stop alertmanager: %v", err)
	}
}

// Start starts a stopped Alertmanager again and waits until it is ready.
func (a *Alertmanager) Start() {
	a.t.Helper()
	if err := a.proc.start(); err != nil {
		a.t.Fatalf("testenv: restart alertmanager: %v", err)
	}
}

// doJSON sends body (JSON, may be nil) and decodes a 2xx response into out
// (when not nil).
func doJSON(method, url string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, url, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode %q: %w", method, url, tail(data, 5, 500), err)
		}
	}
	return nil
}
