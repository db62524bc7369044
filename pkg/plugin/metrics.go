package plugin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The plugin's own metrics. They are registered with Prometheus's default registry, which the plugin SDK gathers
// when Grafana asks (Grafana serves them at /api/plugins/firebreak-incident-app/metrics). Every App instance shares
// them: Grafana makes a new instance whenever the settings change, and the counts go on.
var (
	containmentRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "firebreak_plugin_containment_runs_total",
		Help: "Containment actions called, by AI system, action (the catalog's id), outcome (succeeded or failed) and whether it was a dry run.",
	}, []string{"ai_system", "action", "outcome", "dry_run"})
	containmentCallDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "firebreak_plugin_containment_call_duration_seconds",
		Help:    "Time a containment action's endpoint took to answer, retries included, by outcome.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
	}, []string{"outcome"})
	apiDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "firebreak_plugin_api_request_duration_seconds",
		Help:    "Time the plugin's resource API took to answer, by route (its pattern, \"/\" for unknown paths) and status code.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
	}, []string{"route", "code"})
)

func init() {
	prometheus.MustRegister(containmentRuns, containmentCallDuration, apiDuration)
}

// countContainment records one call of a containment action.
func countContainment(aiSystem, action string, dryRun, succeeded bool, took time.Duration) {
	outcome := "failed"
	if succeeded {
		outcome = "succeeded"
	}
	containmentRuns.WithLabelValues(aiSystem, action, outcome, strconv.FormatBool(dryRun)).Inc()
	containmentCallDuration.WithLabelValues(outcome).Observe(took.Seconds())
}

// timed observes each request's duration under the route that served it. The mux sets r.Pattern on the request it
// is given, so the route is known once h returns; a path no route matches counts under "/" (the catch-all), which
// keeps the label's values to the routes.
func timed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "/" // answered before routing (a body over the limit)
		}
		apiDuration.WithLabelValues(route, strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	code    int
	written bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.written {
		w.code, w.written = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.written = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the adapter's Flush (the CSV export streams).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
