// Package plugin is the Grafana-facing side of the Firebreak backend: app instance lifecycle, settings, resource
// routes (served under /api/plugins/firebreak-incident-app/resources/) and health checks.
//
// Reads go straight to ClickHouse. Changes go to the Firebreak receiver's command API, which appends them to the
// incident's timeline in order with the alerts (one writer per timeline keeps the hash chain and the state whole).
package plugin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"

	"github.com/firebreak-dev/firebreak/pkg/containment"
	"github.com/firebreak-dev/firebreak/pkg/httperr"
	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// ID is the plugin id; it must match src/plugin.json.
const ID = "firebreak-incident-app"

var (
	_ backend.CallResourceHandler   = (*App)(nil)
	_ backend.CheckHealthHandler    = (*App)(nil)
	_ instancemgmt.InstanceDisposer = (*App)(nil)
)

// App is one instance of the app plugin. Grafana creates a new instance (through NewApp) whenever the plugin
// settings change and disposes of the previous one.
type App struct {
	backend.CallResourceHandler
	settings    *Settings
	settingsErr error // the app still starts, so that the health check can say what is wrong
	store       *store.Store
	receiver    *receiverClient
	caller      *containment.Caller
	collector   *containment.Collector
	written     recentWrites // changes made here that ClickHouse may not show yet
	now         func() time.Time
}

// NewApp builds an App from the plugin settings saved in Grafana.
func NewApp(_ context.Context, s backend.AppInstanceSettings) (instancemgmt.Instance, error) {
	a := &App{now: time.Now}
	a.settings, a.settingsErr = LoadSettings(s)
	if a.settingsErr == nil {
		st, err := store.Open(a.settings.ClickHouse.DSN(), nil)
		if err != nil {
			a.settingsErr = fmt.Errorf("jsonData.clickhouse: %w", err)
		} else {
			a.store = st
			a.receiver = newReceiverClient(a.settings.Receiver)
			a.caller = &containment.Caller{HTTP: containment.NewHTTPClient(), Now: a.now, Secrets: a.settings.Containment.Secrets}
			a.collector = &containment.Collector{Caller: a.caller, PrometheusURL: a.settings.PrometheusURL}
		}
	}
	if a.settingsErr != nil {
		log.DefaultLogger.Warn("Firebreak settings are invalid", "error", a.settingsErr.Error())
	}
	a.CallResourceHandler = httpadapter.New(a.routes())
	return a, nil
}

// routes returns the resource routes, relative to /api/plugins/firebreak-incident-app/resources.
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ping", a.handlePing)
	mux.HandleFunc("GET /incidents", a.guarded(a.listIncidents))
	mux.HandleFunc("GET /incidents/{id}", a.guarded(a.getIncident))
	mux.HandleFunc("GET /incidents/{id}/timeline", a.guarded(a.getTimeline))
	mux.HandleFunc("GET /incidents/{id}/alerts", a.guarded(a.getAlerts))
	mux.HandleFunc("GET /incidents/{id}/verify", a.guarded(a.verify))
	mux.HandleFunc("GET /incidents/{id}/export", a.guarded(a.exportIncident))
	mux.HandleFunc("GET /incidents/export", a.guarded(a.exportIncidents))
	mux.HandleFunc("GET /incidents/{id}/reports/eu-ai-act", a.guarded(a.draftEUAIAct))
	mux.HandleFunc("GET /stats", a.guarded(a.stats))
	mux.HandleFunc("GET /incidents/{id}/containment", a.guarded(a.listContainment))
	mux.HandleFunc("POST /incidents/{id}/containment", a.guarded(a.requestContainment))
	mux.HandleFunc("POST /incidents/{id}/containment/{request}/approve", a.guarded(a.decideContainment(incident.CmdContainmentApprove)))
	mux.HandleFunc("POST /incidents/{id}/containment/{request}/reject", a.guarded(a.decideContainment(incident.CmdContainmentReject)))
	mux.HandleFunc("POST /incidents/{id}/containment/{request}/retry", a.guarded(a.retryContainment))
	mux.HandleFunc("GET /containment/readiness", a.guarded(a.readiness))
	mux.HandleFunc("GET /incidents/{id}/evidence", a.guarded(a.listEvidence))
	mux.HandleFunc("GET /incidents/{id}/evidence/{snapshot}", a.guarded(a.getEvidence))
	for _, route := range commandRoutes {
		mux.HandleFunc(route.pattern, a.guarded(func(w http.ResponseWriter, r *http.Request) {
			a.sendCommand(w, r, route.kind, route.payload)
		}))
	}
	mux.HandleFunc("/", httperr.Unmatched(mux)) // JSON 404 and 405
	return timed(limitBody(mux))
}

// limitBody answers 413 to a request whose body is larger than maxRequestBytes, on every route, before it is routed.
// (Grafana hands the plugin whole bodies, so their length is known; one of unknown length is read here, bounded.)
func limitBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxRequestBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "body larger than the limit of 1 MiB")
			return
		}
		if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
			if err != nil {
				writeError(w, http.StatusBadRequest, "reading the body: "+err.Error())
				return
			}
			if len(body) > maxRequestBytes {
				writeError(w, http.StatusRequestEntityTooLarge, "body larger than the limit of 1 MiB")
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
		h.ServeHTTP(w, r)
	})
}

// guarded serves a request of a signed-in Grafana user with an org role (Viewer, Editor or Admin; 403 otherwise,
// reads as much as changes: incidents are confidential) while the settings are valid (503 otherwise). Every route
// but the liveness ping goes through it.
func (a *App) guarded(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := actorOf(w, r); !ok {
			return
		}
		if a.settingsErr != nil {
			writeError(w, http.StatusServiceUnavailable, "Firebreak is not configured: "+a.settingsErr.Error())
			return
		}
		h(w, r)
	}
}

// Dispose closes the ClickHouse pool.
func (a *App) Dispose() {
	if a.store != nil {
		a.store.Close()
	}
}

// CheckHealth reports whether the settings are valid, ClickHouse answers (and with which schema version) and the
// receiver answers.
func (a *App) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if a.settingsErr != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: "Invalid settings: " + a.settingsErr.Error()}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError,
			Message: fmt.Sprintf("ClickHouse at %s does not answer: %v", a.settings.ClickHouse.Address, err)}, nil
	}
	version, err := a.store.SchemaVersion(ctx)
	if err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError,
			Message: fmt.Sprintf("ClickHouse database %s has no Firebreak schema (start the receiver once to create it): %v", a.settings.ClickHouse.Database, err)}, nil
	}
	if version < store.LatestSchemaVersion() {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError,
			Message: fmt.Sprintf("ClickHouse schema version %d is older than %d: upgrade the receiver, which migrates it", version, store.LatestSchemaVersion())}, nil
	}
	if err := a.receiver.healthy(ctx); err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: "Firebreak receiver: " + err.Error()}, nil
	}
	// The escalations fire on the receiver's deadlines: targets that differ from the ones shown here would page
	// people on other clocks than the app's.
	if theirs, ok, err := a.receiver.sla(ctx); err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: err.Error()}, nil
	} else if diff := incident.SLADifferences(a.settings.SLA, theirs); ok && len(diff) > 0 {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError,
			Message: "the Firebreak receiver's SLA targets, which the escalations follow, differ from jsonData.sla (" + strings.Join(diff, "; ") +
				"): give the receiver the same object in its --sla-file"}, nil
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk,
		Message: fmt.Sprintf("ClickHouse %s reachable, schema version %d; receiver %s reachable", a.settings.ClickHouse.Address, version, a.settings.Receiver.URL)}, nil
}
