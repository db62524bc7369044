// Command demo is a stand-in for an LLM customer-support bot in production
// ("supportbot"). It generates steady synthetic traffic, exports AI-risk metrics for
// Prometheus and lets a demo or a test inject faults (hallucinations, bias, prompt
// injections, ...) that the rule pack in rules/ turns into alerts.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// config is the service's configuration, from flags and environment variables.
type config struct {
	Listen               string
	AISystem             string
	Rate                 float64
	ModelVersion         string
	PreviousModelVersion string
	Seed                 uint64
	// ContainmentSecretFile is the file the containment secret was read from, if any.
	ContainmentSecretFile string
	// ContainmentSecret signs the containment requests; empty disables containment.
	ContainmentSecret secret
	// ContainmentDelay delays every containment answer (for timeout tests).
	ContainmentDelay time.Duration
}

// secret is a key that must never be printed or logged.
type secret []byte

func (secret) String() string               { return "[REDACTED]" }
func (secret) GoString() string             { return "[REDACTED]" }
func (secret) LogValue() slog.Value         { return slog.StringValue("[REDACTED]") }
func (secret) MarshalText() ([]byte, error) { return []byte("[REDACTED]"), nil }

// maxContainmentDelay bounds --containment-delay.
const maxContainmentDelay = 10 * time.Minute

// parseConfig reads args (without the program name); an environment variable sets a
// flag's default, so a flag given on the command line wins.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var cfg config
	fs.StringVar(&cfg.Listen, "listen", env("DEMO_LISTEN", "127.0.0.1:9100"), "address to listen on (env DEMO_LISTEN)")
	fs.StringVar(&cfg.AISystem, "ai-system", env("DEMO_AI_SYSTEM", "supportbot"), "name of the AI system, the ai_system label (env DEMO_AI_SYSTEM)")
	rate := fs.String("rate", env("DEMO_RATE", "20"), "synthetic requests per second (env DEMO_RATE)")
	fs.StringVar(&cfg.ModelVersion, "model-version", env("DEMO_MODEL_VERSION", "v2"), "model version serving the traffic (env DEMO_MODEL_VERSION)")
	fs.StringVar(&cfg.PreviousModelVersion, "previous-model-version", env("DEMO_PREVIOUS_MODEL_VERSION", "v1"), "model version to roll back to (env DEMO_PREVIOUS_MODEL_VERSION)")
	seed := fs.String("seed", env("DEMO_SEED", "1"), "seed of the pseudo-random traffic (env DEMO_SEED)")
	fs.StringVar(&cfg.ContainmentSecretFile, "containment-secret-file", env("DEMO_CONTAINMENT_SECRET_FILE", ""),
		"file holding the HMAC secret of the containment endpoints; without it the secret is env DEMO_CONTAINMENT_SECRET, "+
			"and without either containment is disabled (env DEMO_CONTAINMENT_SECRET_FILE)")
	delay := fs.String("containment-delay", env("DEMO_CONTAINMENT_DELAY", "0"),
		"delay every containment answer by this long, e.g. 30s, for timeout tests (env DEMO_CONTAINMENT_DELAY)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	if cfg.Rate, err = strconv.ParseFloat(*rate, 64); err != nil || cfg.Rate < 0 || cfg.Rate > 100000 {
		return config{}, fmt.Errorf("invalid rate %q: want a number of requests per second between 0 and 100000", *rate)
	}
	if cfg.Seed, err = strconv.ParseUint(*seed, 10, 64); err != nil {
		return config{}, fmt.Errorf("invalid seed %q: want an unsigned integer", *seed)
	}
	if cfg.AISystem == "" || cfg.ModelVersion == "" {
		return config{}, errors.New("ai-system and model-version must not be empty")
	}
	if cfg.ContainmentDelay, err = time.ParseDuration(*delay); err != nil || cfg.ContainmentDelay < 0 ||
		cfg.ContainmentDelay > maxContainmentDelay {
		return config{}, fmt.Errorf("invalid containment delay %q: want a duration between 0s and %v", *delay, maxContainmentDelay)
	}
	if cfg.ContainmentSecret, err = readContainmentSecret(cfg.ContainmentSecretFile, getenv); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// readContainmentSecret returns the secret in file (trailing line breaks removed) or,
// without a file, the one of the environment variable DEMO_CONTAINMENT_SECRET; nil if
// neither is set.
func readContainmentSecret(file string, getenv func(string) string) (secret, error) {
	if file == "" {
		if v := getenv("DEMO_CONTAINMENT_SECRET"); v != "" {
			return secret(v), nil
		}
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("containment secret file: %w", err)
	}
	data = bytes.TrimRight(data, "\r\n")
	if len(data) == 0 {
		return nil, fmt.Errorf("containment secret file %s is empty", file)
	}
	return secret(data), nil
}

// app is the demo service: the simulator, its metrics registry and the HTTP API.
type app struct {
	cfg      config
	sim      *simulator
	registry *prometheus.Registry
	logger   *slog.Logger
	ctl      *containment
}

func newApp(cfg config, logger *slog.Logger) (*app, error) {
	reg := prometheus.NewRegistry()
	rnd := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	sim, err := newSimulator(cfg.AISystem, cfg.ModelVersion, rnd, reg)
	if err != nil {
		return nil, err
	}
	ctl := newContainment(cfg, sim, logger)
	return &app{cfg: cfg, sim: sim, registry: reg, logger: logger, ctl: ctl}, nil
}

// tickInterval is how often the traffic generator runs.
const tickInterval = 100 * time.Millisecond

// runTraffic feeds the simulator cfg.Rate requests per second until ctx is done.
func (a *app) runTraffic(ctx context.Context) {
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	last := time.Now()
	var due float64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			// Catch up after a stall, but by at most 5 s of traffic.
			due = min(due+a.cfg.Rate*now.Sub(last).Seconds(), 5*a.cfg.Rate+1)
			last = now
			n := int(due)
			due -= float64(n)
			a.sim.Step(n)
		}
	}
}

// serve runs the traffic generator and the HTTP API on ln until ctx is done, then
// shuts down gracefully.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.runTraffic(ctx) })
	defer func() {
		cancel()
		wg.Wait()
	}()

	srv := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
		// Requests end with ctx, so that a delayed containment answer does not hold up
		// the shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.logger.Info("demo AI system serving", "addr", ln.Addr().String(), "ai_system", a.cfg.AISystem,
		"model_version", a.cfg.ModelVersion, "rate", a.cfg.Rate)
	if len(a.cfg.ContainmentSecret) == 0 {
		a.logger.Warn("containment endpoints disabled: no secret configured (--containment-secret-file, " +
			"DEMO_CONTAINMENT_SECRET_FILE or DEMO_CONTAINMENT_SECRET)")
	} else {
		a.logger.Info("containment endpoints enabled", "delay", a.cfg.ContainmentDelay)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.logger.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := newApp(cfg, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	return a.serve(ctx, ln)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
