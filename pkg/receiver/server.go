package receiver

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/firebreak-dev/firebreak/pkg/admission"
	"github.com/firebreak-dev/firebreak/pkg/httperr"
	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/ingest"
	"github.com/firebreak-dev/firebreak/pkg/spool"
	"github.com/firebreak-dev/firebreak/pkg/webhook"
)

// Server is the receiver's HTTP API.
type Server struct {
	spool         *spool.Spool
	auth          authenticator
	api           authenticator // the command API; disabled when no token is set
	waiters       *ingest.Waiters
	decoded       *ingest.Decoded
	deadlineIndex *ingest.DeadlineIndex
	sla           incident.SLATargets // the receiver's targets (--sla-file), served at GET /api/v1/sla
	maxBody       int64
	inFlight      *admission.Budget // webhook body bytes being read, decoded and spooled
	log           *slog.Logger
	spoolMax      int64
	lastFull      atomic.Int64 // unix nanos of the last notification refused because the spool was full
	now           func() time.Time
	m             serverMetrics
	mux           *http.ServeMux
}

type serverMetrics struct {
	notifications *prometheus.CounterVec
	alerts        *prometheus.CounterVec
	latency       prometheus.Histogram
}

// NewServer builds the HTTP API.
func NewServer(cfg *Config, sp *spool.Spool, waiters *ingest.Waiters, decoded *ingest.Decoded, deadlines *ingest.DeadlineIndex,
	reg *prometheus.Registry, log *slog.Logger) *Server {
	s := &Server{deadlineIndex: deadlines, sla: cfg.SLA,
		spool: sp, auth: newAuthenticator(cfg.token, cfg.basic), maxBody: cfg.MaxBodyBytes, log: log,
		api: newAuthenticator(cfg.apiToken, ""), waiters: waiters, decoded: decoded,
		inFlight: admission.New(max(cfg.MaxInFlight, cfg.MaxBodyBytes), admitWait),
		spoolMax: cfg.SpoolMaxBytes, now: time.Now, mux: http.NewServeMux(),
		m: serverMetrics{
			notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "firebreak_notifications_received_total",
				Help: "Webhook notifications received, by source and outcome (accepted, invalid, unauthorized, too_large, unavailable, overloaded, test: Grafana's contact-point test, escalation: Firebreak's own escalation alerts; the last two answered and not stored).",
			}, []string{"source", "outcome"}),
			alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "firebreak_alerts_received_total", Help: "Alerts in accepted notifications, by source and status.",
			}, []string{"source", "status"}),
			latency: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name:    "firebreak_webhook_accept_duration_seconds",
				Help:    "From request start to the notification being durable in the spool.",
				Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
			}),
		},
	}
	if cfg.web != nil {
		s.auth.users = newBasicUsers(cfg.web.users)
	}
	reg.MustRegister(s.m.notifications, s.m.alerts, s.m.latency,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "firebreak_spool_pending_records", Help: "Notifications accepted but not yet in ClickHouse.",
		}, func() float64 { return float64(sp.Stats().PendingRecords) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "firebreak_spool_pending_bytes", Help: "Bytes of the spool not yet in ClickHouse.",
		}, func() float64 { return float64(sp.Stats().PendingBytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "firebreak_spool_disk_free_bytes", Help: "Free space on the spool's file system; below --spool-min-free-bytes notifications are refused.",
		}, func() float64 { return float64(sp.DiskFree()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "firebreak_webhook_inflight_bytes", Help: "Webhook body bytes admitted and not yet answered (read, decoded, being spooled).",
		}, func() float64 { return float64(s.inFlight.Stats().InUse) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "firebreak_webhook_inflight_limit_bytes", Help: "--max-inflight-bytes: beyond it notifications wait, then get 503.",
		}, func() float64 { return float64(s.inFlight.Limit()) }),
	)
	// The webhook and the commands bound their bodies themselves (413 beyond); the other routes take none.
	s.mux.HandleFunc("POST /api/v1/webhook", s.webhook)
	s.mux.HandleFunc("POST /api/v1/commands", s.command)
	s.mux.HandleFunc("GET /api/v1/deadlines", bodiless(s.deadlines))
	s.mux.HandleFunc("GET /api/v1/sla", bodiless(s.slaTargets))
	s.mux.HandleFunc("GET /-/healthy", bodiless(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "Healthy\n") }))
	s.mux.HandleFunc("GET /-/ready", bodiless(s.readiness))
	// With basic auth users in the web config, /metrics and the profiler want credentials too, as in Prometheus (the
	// webhook's: a user of the web config or the bearer token); the probes stay open for load balancers and the
	// plugin's health check.
	guard := func(h http.HandlerFunc) http.HandlerFunc { return h }
	if s.auth.users != nil {
		guard = s.sendersOnly
	}
	s.mux.Handle("GET /metrics", bodiless(guard(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}).ServeHTTP)))
	if cfg.EnablePprof {
		s.mux.HandleFunc("GET /debug/pprof/", bodiless(guard(pprof.Index)))
		s.mux.HandleFunc("GET /debug/pprof/cmdline", bodiless(guard(pprof.Cmdline)))
		s.mux.HandleFunc("GET /debug/pprof/profile", bodiless(guard(pprof.Profile)))
		s.mux.HandleFunc("GET /debug/pprof/symbol", bodiless(guard(pprof.Symbol)))
		s.mux.HandleFunc("GET /debug/pprof/trace", bodiless(guard(pprof.Trace)))
	}
	s.mux.HandleFunc("/", httperr.Unmatched(s.mux)) // JSON 404 and 405
	return s
}

// maxBodilessBytes bounds the body of a route that takes none: it is never read, but an announced larger one is
// refused with 413 like everywhere else.
const maxBodilessBytes = 64 << 10

func bodiless(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodilessBytes {
			writeError(w, http.StatusRequestEntityTooLarge, r.URL.Path+" takes no body; this one is larger than 64 KiB")
			return
		}
		h(w, r)
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// sendersOnly lets through requests with the webhook's credentials.
func (s *Server) sendersOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.auth.ok(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="firebreak"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong credentials: send basic auth (or the bearer token)")
			return
		}
		h(w, r)
	}
}

// maxBodyHint caps the buffer a notification's Content-Length reserves before its bytes arrive (a slow client
// announcing the maximum would otherwise hold that much for the whole read timeout).
const maxBodyHint = 64 << 10

func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	if !s.auth.ok(r) {
		s.m.notifications.WithLabelValues("unknown", "unauthorized").Inc()
		w.Header().Set("WWW-Authenticate", `Bearer realm="firebreak", Basic realm="firebreak"`)
		writeError(w, http.StatusUnauthorized, "missing or wrong credentials: send Authorization: Bearer <token> or basic auth")
		return
	}
	if r.ContentLength > s.maxBody {
		s.tooLarge(w)
		return
	}
	// The body's bytes are admitted before they are read, and held until the answer: what the handlers hold at once
	// is bounded whatever the number of connections. A body of unknown length is admitted as it arrives.
	ticket, err := s.inFlight.Admit(r.Context(), r.ContentLength, admitStep)
	if err != nil {
		s.overloaded(w, err)
		return
	}
	defer ticket.Done()
	in := ticket.Reader(http.MaxBytesReader(w, r.Body, s.maxBody), admitStep)
	// The buffer grows as bytes arrive: a Content-Length alone reserves no more than maxBodyHint.
	record, body, err := ingest.ReadNotificationRecord(in, min(r.ContentLength, s.maxBody, maxBodyHint), start)
	if err != nil {
		if errors.Is(err, admission.ErrBusy) {
			s.overloaded(w, err)
			return
		}
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.tooLarge(w)
			return
		}
		s.m.notifications.WithLabelValues("unknown", "invalid").Inc()
		writeError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	n, err := webhook.Decode(body)
	if err != nil {
		s.m.notifications.WithLabelValues("unknown", "invalid").Inc()
		writeError(w, http.StatusBadRequest, "invalid notification: "+err.Error())
		return
	}
	source := string(n.Source)
	if n.Test {
		// Grafana's contact-point "Test": the sender wants to see that it reaches us, not an incident.
		s.m.notifications.WithLabelValues(source, "test").Inc()
		s.log.Info("Grafana contact-point test notification received; nothing declared", "receiver", n.Receiver, "group_key", n.GroupKey)
		writeJSON(w, http.StatusOK, map[string]any{"status": "test", "alerts": len(n.Alerts),
			"message": "Grafana test notification received: Firebreak is reachable; nothing was declared"})
		return
	}
	if all, err := n.Escalations(); err != nil || all {
		s.refuseEscalations(w, n, err)
		return
	}
	s.decoded.Put(record, n)
	if err = s.spool.Append(r.Context(), record); err != nil {
		s.decoded.Forget(record)
		if errors.Is(err, spool.ErrRecordTooLarge) {
			s.m.notifications.WithLabelValues(source, "too_large").Inc()
			writeError(w, http.StatusRequestEntityTooLarge, "notification too large for the spool")
			return
		}
		// 503, never 429: Alertmanager retries 5xx and drops a notification on any 4xx.
		if errors.Is(err, spool.ErrFull) {
			s.lastFull.Store(s.now().UnixNano())
		}
		s.m.notifications.WithLabelValues(source, "unavailable").Inc()
		s.log.Warn("notification not accepted: cannot store it durably", "err", err, "group_key", n.GroupKey)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "cannot store the notification durably right now ("+err.Error()+"); retry later")
		return
	}
	s.m.notifications.WithLabelValues(source, "accepted").Inc()
	for i := range n.Alerts {
		s.m.alerts.WithLabelValues(source, n.Alerts[i].Status).Inc()
	}
	s.m.latency.Observe(s.now().Sub(start).Seconds())
	writeJSON(w, http.StatusOK, map[string]any{"status": "accepted", "alerts": len(n.Alerts)})
}

// refuseEscalations answers a notification of Firebreak's own escalation alerts without declaring anything (200,
// so that Alertmanager does not retry it) or, mixed with AI alerts, refuses it (400 naming the field).
func (s *Server) refuseEscalations(w http.ResponseWriter, n *webhook.Notification, mixed *webhook.Error) {
	source := string(n.Source)
	s.m.notifications.WithLabelValues(source, "escalation").Inc()
	s.log.Warn("Firebreak's escalation alerts were sent to its webhook; nothing declared: route firebreak=\"escalation\" to people (README, Escalation)",
		"receiver", n.Receiver, "group_key", n.GroupKey, "alerts", len(n.Alerts), "mixed", mixed != nil)
	if mixed != nil {
		writeError(w, http.StatusBadRequest, "invalid notification: "+mixed.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "escalation", "alerts": len(n.Alerts),
		"message": "Firebreak's own escalation alerts: nothing declared; route them to people, not to Firebreak"})
}

const (
	// admitWait is how long a notification waits for bytes in flight to be answered before it is refused: a burst
	// of large bodies queues briefly instead of being refused at once.
	admitWait = time.Second
	// admitStep is what a body of unknown length (chunked) is admitted in as it arrives.
	admitStep = 64 << 10
)

func (s *Server) tooLarge(w http.ResponseWriter) {
	s.m.notifications.WithLabelValues("unknown", "too_large").Inc()
	writeError(w, http.StatusRequestEntityTooLarge, "body larger than the limit of "+formatBytes(s.maxBody)+" (--max-body-bytes)")
}

// overloaded answers a notification that could not be admitted: 503 (Alertmanager and Grafana retry it), nothing
// of it kept. err is admission.ErrBusy, or the request's context error when the sender went away while it waited.
func (s *Server) overloaded(w http.ResponseWriter, err error) {
	s.m.notifications.WithLabelValues("unknown", "overloaded").Inc()
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, "too many notifications in flight: "+formatBytes(s.inFlight.Limit())+
		" of bodies are being read and stored (--max-inflight-bytes; "+err.Error()+"); nothing of this one was kept, retry later")
}

// readiness is 503 while the spool is (nearly) full or its disk is, so a load balancer can send notifications
// elsewhere.
func (s *Server) readiness(w http.ResponseWriter, _ *http.Request) {
	if err := s.spool.Health(); err != nil {
		writeError(w, http.StatusServiceUnavailable, "cannot accept notifications: "+err.Error())
		return
	}
	st := s.spool.Stats()
	refusedRecently := s.now().Sub(time.Unix(0, s.lastFull.Load())) < 10*time.Second
	if st.PendingBytes >= s.spoolMax/10*9 || refusedRecently {
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf(
			"spool full (%d notifications, %d bytes pending): ClickHouse is down or not keeping up", st.PendingRecords, st.PendingBytes))
		return
	}
	io.WriteString(w, "Ready\n")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) { httperr.Write(w, code, msg) }

func formatBytes(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// authenticator checks bearer tokens and basic auth in constant time. With neither configured, everything passes.
type authenticator struct {
	token, basic [sha256.Size]byte
	hasToken     bool
	hasBasic     bool
	users        *basicUsers // the web config's basic_auth_users (bcrypt), or nil
}

func newAuthenticator(token, basic string) authenticator {
	a := authenticator{hasToken: token != "", hasBasic: basic != ""}
	a.token, a.basic = sha256.Sum256([]byte(token)), sha256.Sum256([]byte(basic))
	return a
}

func (a authenticator) ok(r *http.Request) bool {
	if !a.hasToken && !a.hasBasic && a.users == nil {
		return true
	}
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case a.hasToken && strings.EqualFold(scheme, "Bearer"):
		// Comparing digests keeps the comparison constant-time whatever the lengths.
		got := sha256.Sum256([]byte(strings.TrimSpace(cred)))
		return subtle.ConstantTimeCompare(got[:], a.token[:]) == 1
	case (a.hasBasic || a.users != nil) && strings.EqualFold(scheme, "Basic"):
		user, pass, ok := r.BasicAuth()
		if !ok {
			return false
		}
		if a.hasBasic {
			got := sha256.Sum256([]byte(user + ":" + pass))
			if subtle.ConstantTimeCompare(got[:], a.basic[:]) == 1 {
				return true
			}
		}
		return a.users != nil && a.users.ok(user, pass)
	}
	return false
}
