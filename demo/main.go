// Command demo is a stand-in for an LLM customer-support bot in production
// ("supportbot"). It generates steady synthetic traffic, exports AI-risk metrics for
// Prometheus and lets a demo or a test inject faults (hallucinations, bias, prompt
// injections, ...) that the rule pack in rules/ turns into alerts.
package main

import (
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
}

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
	return cfg, nil
}

// app is the demo service: the simulator, its metrics registry and the HTTP API.
type app struct {
	cfg      config
	sim      *simulator
	registry *prometheus.Registry
	logger   *slog.Logger
}

func newApp(cfg config, logger *slog.Logger) (*app, error) {
	reg := prometheus.NewRegistry()
	rnd := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	sim, err := newSimulator(cfg.AISystem, cfg.ModelVersion, rnd, reg)
	if err != nil {
		return nil, err
	}
	return &app{cfg: cfg, sim: sim, registry: reg, logger: logger}, nil
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
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.logger.Info("demo AI system serving", "addr", ln.Addr().String(), "ai_system", a.cfg.AISystem,
		"model_version", a.cfg.ModelVersion, "rate", a.cfg.Rate)
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
