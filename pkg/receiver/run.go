package receiver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/ingest"
	"github.com/firebreak-dev/firebreak/pkg/spool"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// Run starts the receiver and blocks until ctx ends, then shuts down gracefully: it stops accepting, lets requests
// in flight finish, and leaves whatever is not yet in ClickHouse in the spool for the next start. If listening is
// non-nil it is called with the bound address once the server accepts connections.
func Run(ctx context.Context, cfg *Config, log *slog.Logger, listening func(addr string)) error {
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	mapping, err := incident.LoadMapping(cfg.RulesFile)
	if err != nil {
		return err
	}
	switch {
	case !cfg.AuthEnabled() && !cfg.web.verifiesClients():
		log.Warn("no bearer token or basic auth configured: anyone who can reach the receiver can declare incidents; set --token-file",
			"listen", cfg.Listen, "listen_unauthenticated", cfg.ListenUnauthenticated)
	default:
		var users []string
		if cfg.web != nil {
			users = cfg.web.userNames()
		}
		log.Info("webhook authentication enabled", "bearer", cfg.token != "", "basic", cfg.basic != "",
			"web_config_users", users, "client_certificates", cfg.web.verifiesClients())
	}
	if cfg.web != nil && len(cfg.web.users) > 0 && cfg.web.tls == nil {
		log.Warn("basic auth without TLS: passwords cross the network in the clear; set tls_server_config in --web.config.file")
	}
	signer := cfg.Signer()
	if signer != nil {
		log.Info("incident hash chains are signed", "key_id", signer.KeyID())
	} else {
		log.Warn("no signing key configured: incident timelines are hash-chained but not signed, so whoever can write to ClickHouse can rewrite a whole chain unseen; set --signing-key-file")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	syncDuration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "firebreak_spool_sync_duration_seconds",
		Help:    "Write and fsync of one batch of spooled notifications: what accepting a notification waits for (besides up to --spool-sync-interval before it starts).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
	})
	reg.MustRegister(syncDuration)
	sp, err := spool.Open(spool.Options{Dir: cfg.SpoolDir, MaxBytes: cfg.SpoolMaxBytes, MinFreeBytes: cfg.SpoolMinFree, Logger: log,
		SyncInterval: cfg.SpoolSync, ObserveSync: func(d time.Duration) { syncDuration.Observe(d.Seconds()) }})
	if err != nil {
		return fmt.Errorf("spool %s: %w", cfg.SpoolDir, err)
	}
	defer sp.Close()
	if st := sp.Stats(); st.PendingRecords > 0 {
		log.Info("resuming spool", "pending_notifications", st.PendingRecords, "pending_bytes", st.PendingBytes)
	}
	st, err := store.Open(cfg.ClickHouseDSN, log)
	if err != nil {
		return err
	}
	defer st.Close()

	waiters, decoded, deadlines := &ingest.Waiters{}, &ingest.Decoded{}, &ingest.DeadlineIndex{}
	proc := &ingest.Processor{Spool: sp, Store: st, Mapping: mapping, Metrics: ingest.NewMetrics(reg), Log: log,
		Linger: cfg.BatchLinger, ReplayHorizon: cfg.ReplayHorizon, Flapping: cfg.Flapping, Signer: signer, Waiters: waiters,
		Decoded: decoded, Deadlines: deadlines, Incidents: ingest.NewIncidentMetrics(reg, deadlines, cfg.SLA, time.Now)}
	var handler http.Handler = NewServer(cfg, sp, waiters, decoded, deadlines, reg, log)
	if cfg.web != nil && len(cfg.web.headers) > 0 {
		handler = withHeaders(handler, cfg.web.headers)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn), // TLS handshake failures among them
	}
	tlsOn := cfg.web != nil && cfg.web.tls != nil
	if tlsOn {
		if srv.TLSConfig, err = cfg.web.tlsConfig(); err != nil {
			return fmt.Errorf("--web.config.file %s: %w", cfg.WebConfigFile, err)
		}
		if !cfg.web.http2 {
			srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){} // as the toolkit does
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	log.Info("receiver listening", "addr", ln.Addr().String(), "tls", tlsOn, "clickhouse_database", st.Database(), "spool", cfg.SpoolDir)
	if listening != nil {
		listening(ln.Addr().String())
	}

	procCtx, stopProc := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var procErr error
	procDone := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(procDone)
		procErr = proc.Run(procCtx)
	}()
	serveErr := make(chan error, 1)
	go func() {
		if tlsOn {
			serveErr <- srv.ServeTLS(ln, "", "")
		} else {
			serveErr <- srv.Serve(ln)
		}
	}()

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case <-procDone: // the spool failed: stop, so that a supervisor restarts the receiver on its spool
		log.Error("the processor stopped; shutting down", "err", procErr)
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownWait)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	stopProc()
	wg.Wait()
	if procErr != nil && !errors.Is(procErr, context.Canceled) {
		return fmt.Errorf("processor: %w", procErr)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// withHeaders sets the web config's http_server_config.headers on every answer.
func withHeaders(h http.Handler, headers map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		h.ServeHTTP(w, r)
	})
}

// NewLogger builds the receiver's logger from its settings.
func NewLogger(cfg *Config, out interface{ Write([]byte) (int, error) }) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	return slog.New(slog.NewTextHandler(out, opts))
}
