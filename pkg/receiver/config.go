// Package receiver is Firebreak's webhook receiver: its settings, its HTTP API and the wiring of spool, processor
// and store. The main package only calls Run.
package receiver

import (
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/ingest"
)

// Config is every setting of the receiver. Each flag has an environment variable; a flag given on the command line
// wins over the variable.
type Config struct {
	Listen        string
	ClickHouseDSN string
	TokenFile     string
	BasicAuthFile string
	APITokenFile  string
	SpoolDir      string
	SpoolMaxBytes int64
	SpoolMinFree  int64         // disk space the spool leaves free on its file system
	SpoolSync     time.Duration // least time between the starts of two spool fsyncs
	MemoryLimit   int64
	RulesFile     string
	// SLAFile holds the SLA targets (the plugin's jsonData.sla object); SLA is what it sets over the defaults.
	SLAFile       string
	SLA           incident.SLATargets
	MaxBodyBytes  int64
	MaxInFlight   int64 // webhook body bytes being read, decoded and spooled at once (503 beyond)
	BatchLinger   time.Duration
	ReplayHorizon time.Duration
	// Flapping damps incidents whose alerts keep firing and clearing (--flap-reopens, --flap-window, --flap-quiet).
	Flapping     ingest.Flapping
	LogLevel     slog.Level
	LogFormat    string
	ShutdownWait time.Duration
	EnablePprof  bool
	token, basic string // secrets, from the files or FIREBREAK_TOKEN / FIREBREAK_BASIC_AUTH
	apiToken     string // from the file or FIREBREAK_API_TOKEN
	// SigningKeyFile holds the Ed25519 key the receiver signs chain heads with (or FIREBREAK_SIGNING_KEY the PEM).
	SigningKeyFile string
	signingKey     ed25519.PrivateKey
	// WebConfigFile is Prometheus's web config (TLS, basic auth users); ListenUnauthenticated lets the receiver
	// listen beyond loopback with no authentication at all.
	WebConfigFile         string
	ListenUnauthenticated bool
	web                   *webConfig // nil without --web.config.file
}

// Signer returns the signer of chain heads, or nil when no signing key is configured.
func (c *Config) Signer() *incident.Signer {
	if c.signingKey == nil {
		return nil
	}
	return incident.NewSigner(c.signingKey)
}

// ErrHelp is returned by ParseConfig when --help was asked for; the usage has been written.
var ErrHelp = flag.ErrHelp

// ParseConfig reads flags and environment variables (getenv, e.g. os.Getenv) and the secret files they name.
func ParseConfig(args []string, getenv func(string) string, usageOut io.Writer) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("firebreak-receiver", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	var errs []error
	envOf := map[string]string{} // flag name -> environment variable
	str := func(p *string, name, env, def, help string) {
		envOf[name] = env
		fs.StringVar(p, name, def, fmt.Sprintf("%s (env %s)", help, env))
	}
	var spoolMinFree string
	var spoolMax, spoolSync, maxBody, maxInFlight, linger, level, memLimit, replayHorizon, flapReopens, flapWindow, flapQuiet string
	str(&c.Listen, "listen", "FIREBREAK_LISTEN", ":9095", "address to listen on")
	str(&c.ClickHouseDSN, "clickhouse-dsn", "FIREBREAK_CLICKHOUSE_DSN", "clickhouse://127.0.0.1:9000/firebreak",
		"ClickHouse to store incidents in: clickhouse://user:password@host:port/database")
	str(&c.TokenFile, "token-file", "FIREBREAK_TOKEN_FILE", "",
		"file holding the bearer token senders must present (or set FIREBREAK_TOKEN); none set means no auth")
	str(&c.BasicAuthFile, "basic-auth-file", "FIREBREAK_BASIC_AUTH_FILE", "",
		"file holding user:password for HTTP basic auth (or set FIREBREAK_BASIC_AUTH)")
	str(&c.APITokenFile, "api-token-file", "FIREBREAK_API_TOKEN_FILE", "",
		"file holding the token of the command API the Grafana plugin uses (or set FIREBREAK_API_TOKEN); none set disables that API")
	str(&c.SigningKeyFile, "signing-key-file", "FIREBREAK_SIGNING_KEY_FILE", "",
		"file holding the Ed25519 private key (PEM, openssl genpkey -algorithm ed25519) that signs each incident's hash chain (or set FIREBREAK_SIGNING_KEY); none: timelines are chained but not signed")
	str(&c.SpoolDir, "spool-dir", "FIREBREAK_SPOOL_DIR", "data/spool",
		"directory of the local spool that keeps accepted notifications until ClickHouse has them")
	str(&spoolMax, "spool-max-bytes", "FIREBREAK_SPOOL_MAX_BYTES", "1GiB",
		"spool bound; beyond it notifications are refused with 503 so the sender retries")
	str(&spoolMinFree, "spool-min-free-bytes", "FIREBREAK_SPOOL_MIN_FREE_BYTES", "128MiB",
		"free space kept on the spool's file system: below it notifications are refused with 503 (and /-/ready says so) before the disk is full, until space is back (0: not checked)")
	str(&spoolSync, "spool-sync-interval", "FIREBREAK_SPOOL_SYNC_INTERVAL", "2ms",
		"least time between two fsyncs of the spool: notifications arriving meanwhile share the next one (0: none)")
	str(&memLimit, "memory-limit", "FIREBREAK_MEMORY_LIMIT", "200MiB",
		"soft limit of the Go heap; the garbage collector works harder near it (0 for none)")
	str(&c.RulesFile, "rules", "FIREBREAK_RULES", "", "YAML file mapping alert labels to severity, category and AI system (default: built-in)")
	str(&c.SLAFile, "sla-file", "FIREBREAK_SLA_FILE", "",
		"JSON or YAML file of SLA targets per severity, the object the Grafana app's jsonData.sla holds, e.g. {\"SEV1\": {\"acknowledge\": \"15m\", \"contain\": \"4h\"}} (default: the built-in targets, as in the app)")
	str(&maxBody, "max-body-bytes", "FIREBREAK_MAX_BODY_BYTES", "8MiB", "largest webhook body accepted (413 beyond)")
	str(&maxInFlight, "max-inflight-bytes", "FIREBREAK_MAX_INFLIGHT_BYTES", "16MiB",
		"webhook body bytes being read, decoded and spooled at once, whatever the number of connections; beyond it a notification waits up to 1s, then gets 503 with Retry-After (at least --max-body-bytes)")
	str(&linger, "batch-linger", "FIREBREAK_BATCH_LINGER", "1s", "how long to gather notifications into one ClickHouse write")
	str(&replayHorizon, "replay-horizon", "FIREBREAK_REPLAY_HORIZON", "168h",
		"how long the alert episodes of finished incidents stay in memory, so a late notification of one is recognized at once (older ones are looked up in ClickHouse)")
	str(&flapReopens, "flap-reopens", "FIREBREAK_FLAP_REOPENS", strconv.Itoa(ingest.DefaultFlapping.Reopens),
		"an incident its alerts reopen more than this many times within --flap-window is flapping: kept open, no longer resolved and reopened with every flap (0: off)")
	str(&flapWindow, "flap-window", "FIREBREAK_FLAP_WINDOW", shortDuration(ingest.DefaultFlapping.Window),
		"the window the reopens of --flap-reopens are counted in")
	str(&flapQuiet, "flap-quiet", "FIREBREAK_FLAP_QUIET", shortDuration(ingest.DefaultFlapping.Quiet),
		"a flapping incident stops flapping once none of its alerts has fired or cleared for this long (then it resolves if it may)")
	str(&level, "log-level", "FIREBREAK_LOG_LEVEL", "info", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "FIREBREAK_LOG_FORMAT", "text", "text or json")
	envOf["enable-pprof"] = "FIREBREAK_ENABLE_PPROF"
	fs.BoolVar(&c.EnablePprof, "enable-pprof", false,
		"serve Go's profiler at /debug/pprof/ (unauthenticated, like Prometheus's: only on a trusted network) (env FIREBREAK_ENABLE_PPROF)")
	str(&c.WebConfigFile, "web.config.file", "FIREBREAK_WEB_CONFIG_FILE", "",
		"Prometheus web config file: TLS (tls_server_config) and basic auth users with bcrypt-hashed passwords (basic_auth_users), as for Prometheus and Alertmanager")
	envOf["web.listen-unauthenticated"] = "FIREBREAK_WEB_LISTEN_UNAUTHENTICATED"
	fs.BoolVar(&c.ListenUnauthenticated, "web.listen-unauthenticated", false,
		"listen on a non-loopback address with no authentication configured, so that anyone who can reach the receiver can declare incidents (env FIREBREAK_WEB_LISTEN_UNAUTHENTICATED)")
	fs.Usage = func() {
		fmt.Fprintf(usageOut, "Usage: firebreak-receiver [flags]\n\nReceives Alertmanager and Grafana alerting webhooks and turns them into AI incidents in ClickHouse.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	// An environment variable applies where its flag was not given (the usage shows built-in defaults only, so a
	// DSN with a password in the environment is never printed).
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, env := range envOf {
		if v := getenv(env); v != "" && !given[name] {
			if err := fs.Set(name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
		}
	}
	var err error
	if c.SpoolMaxBytes, err = ParseBytes(spoolMax); err != nil {
		errs = append(errs, fmt.Errorf("--spool-max-bytes: %w", err))
	}
	if spoolMinFree != "0" {
		if c.SpoolMinFree, err = ParseBytes(spoolMinFree); err != nil {
			errs = append(errs, fmt.Errorf("--spool-min-free-bytes: %w", err))
		}
	}
	// Every notification may wait this long on top of its fsync: beyond 100 ms it is a typo, not a tuning.
	if c.SpoolSync, err = time.ParseDuration(spoolSync); err != nil || c.SpoolSync < 0 || c.SpoolSync > 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("--spool-sync-interval: %q is not a duration from 0 to 100ms", spoolSync))
	}
	if memLimit != "0" {
		if c.MemoryLimit, err = ParseBytes(memLimit); err != nil {
			errs = append(errs, fmt.Errorf("--memory-limit: %w", err))
		}
	}
	if c.MaxBodyBytes, err = ParseBytes(maxBody); err != nil {
		errs = append(errs, fmt.Errorf("--max-body-bytes: %w", err))
	}
	if c.MaxInFlight, err = ParseBytes(maxInFlight); err != nil {
		errs = append(errs, fmt.Errorf("--max-inflight-bytes: %w", err))
	} else if c.MaxInFlight < c.MaxBodyBytes {
		errs = append(errs, fmt.Errorf("--max-inflight-bytes: %s is less than --max-body-bytes (%s): the largest notification could never be admitted", maxInFlight, maxBody))
	}
	if c.BatchLinger, err = time.ParseDuration(linger); err != nil || c.BatchLinger <= 0 {
		errs = append(errs, fmt.Errorf("--batch-linger: %q is not a positive duration", linger))
	}
	if c.ReplayHorizon, err = time.ParseDuration(replayHorizon); err != nil || c.ReplayHorizon < time.Hour {
		errs = append(errs, fmt.Errorf("--replay-horizon: %q is not a duration of at least 1h", replayHorizon))
	}
	if n, err := strconv.Atoi(flapReopens); err != nil || n < 0 || n > 50 {
		errs = append(errs, fmt.Errorf("--flap-reopens: %q is not a number from 0 (off) to 50", flapReopens))
	} else {
		c.Flapping.Reopens = n
	}
	if c.Flapping.Window, err = time.ParseDuration(flapWindow); err != nil || c.Flapping.Window < time.Minute {
		errs = append(errs, fmt.Errorf("--flap-window: %q is not a duration of at least 1m", flapWindow))
	}
	if c.Flapping.Quiet, err = time.ParseDuration(flapQuiet); err != nil || c.Flapping.Quiet < time.Minute {
		errs = append(errs, fmt.Errorf("--flap-quiet: %q is not a duration of at least 1m", flapQuiet))
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format: %q is not text or json", c.LogFormat))
	}
	if c.SpoolDir == "" {
		errs = append(errs, errors.New("--spool-dir: must not be empty"))
	}
	c.ShutdownWait = 10 * time.Second
	if c.token, err = secret(c.TokenFile, getenv("FIREBREAK_TOKEN")); err != nil {
		errs = append(errs, fmt.Errorf("--token-file: %w", err))
	}
	if c.apiToken, err = secret(c.APITokenFile, getenv("FIREBREAK_API_TOKEN")); err != nil {
		errs = append(errs, fmt.Errorf("--api-token-file: %w", err))
	}
	if key, err := secret(c.SigningKeyFile, getenv("FIREBREAK_SIGNING_KEY")); err != nil {
		errs = append(errs, fmt.Errorf("--signing-key-file: %w", err))
	} else if key != "" {
		if c.signingKey, err = incident.ParsePrivateKey([]byte(key)); err != nil {
			errs = append(errs, fmt.Errorf("--signing-key-file: %w", err))
		}
	}
	if c.basic, err = secret(c.BasicAuthFile, getenv("FIREBREAK_BASIC_AUTH")); err != nil {
		errs = append(errs, fmt.Errorf("--basic-auth-file: %w", err))
	} else if c.basic != "" && !strings.Contains(c.basic, ":") {
		errs = append(errs, errors.New("--basic-auth-file: expected user:password"))
	}
	c.SLA = incident.DefaultSLATargets()
	if c.SLAFile != "" {
		if data, err := os.ReadFile(c.SLAFile); err != nil {
			errs = append(errs, fmt.Errorf("--sla-file: %w", err))
		} else if c.SLA, err = incident.ParseSLAFile(data); err != nil {
			errs = append(errs, fmt.Errorf("--sla-file %s: %w", c.SLAFile, err))
		}
	}
	if c.WebConfigFile != "" {
		if c.web, err = loadWebConfig(c.WebConfigFile); err != nil {
			errs = append(errs, fmt.Errorf("--web.config.file %s: %w", c.WebConfigFile, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if !c.AuthEnabled() && !c.web.authenticates() && !c.ListenUnauthenticated && !isLoopback(c.Listen) {
		return nil, fmt.Errorf("refusing to listen on %s with no authentication: anyone who can reach it could declare incidents. "+
			"Set a bearer token (--token-file or FIREBREAK_TOKEN; Alertmanager sends it with http_config.authorization), "+
			"basic_auth_users or client certificates (client_auth_type: RequireAndVerifyClientCert) in --web.config.file, "+
			"or --basic-auth-file; or listen on loopback only (--listen 127.0.0.1:%s); "+
			"or pass --web.listen-unauthenticated to accept anyone", c.Listen, portOf(c.Listen))
	}
	return c, nil
}

func portOf(listen string) string {
	if _, port, err := net.SplitHostPort(listen); err == nil && port != "" {
		return port
	}
	return "9095"
}

// secret reads a secret from a file (trimmed), or takes it from an environment variable's value.
func secret(path, envValue string) (string, error) {
	if path == "" {
		return strings.TrimSpace(envValue), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// AuthEnabled reports whether senders must authenticate to the webhook with a bearer token or basic auth (from
// --basic-auth-file or the web config's basic_auth_users).
func (c *Config) AuthEnabled() bool {
	return c.token != "" || c.basic != "" || (c.web != nil && len(c.web.users) > 0)
}

// shortDuration writes whole hours and minutes as 1h and 30m, not 1h0m0s.
func shortDuration(d time.Duration) string {
	if d%time.Minute != 0 {
		return d.String()
	}
	return strings.Replace(strings.TrimSuffix(d.String(), "0s"), "h0m", "h", 1)
}

// ParseBytes parses sizes like 1048576, 512KiB, 8MiB, 1GiB (also KB/MB/GB as powers of 1000).
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size like 8MiB or 1GiB", s)
	}
	return n * mult, nil
}
