// Package plugin is the Grafana-facing side of the Firebreak backend: app
// instance lifecycle, resource routes (served under
// /api/plugins/firebreak-incident-app/resources/) and health checks.
package plugin

import (
	"context"
	"net/http"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"
)

// ID is the plugin id; it must match src/plugin.json.
const ID = "firebreak-incident-app"

// The SDK only routes the calls an instance declares it can handle, so make
// the compiler check that App implements them.
var (
	_ backend.CallResourceHandler   = (*App)(nil)
	_ backend.CheckHealthHandler    = (*App)(nil)
	_ instancemgmt.InstanceDisposer = (*App)(nil)
)

// App is one instance of the app plugin. Grafana creates a new instance
// (through NewApp) whenever the plugin settings change and disposes of the
// previous one.
type App struct {
	backend.CallResourceHandler
}

// NewApp builds an App from the plugin settings saved in Grafana.
func NewApp(_ context.Context, _ backend.AppInstanceSettings) (instancemgmt.Instance, error) {
	a := &App{}
	a.CallResourceHandler = httpadapter.New(a.routes())
	return a, nil
}

// routes returns the resource routes. Patterns use Go's method+path syntax;
// paths are relative to /api/plugins/firebreak-incident-app/resources.
func (a *App) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ping", a.handlePing)
	return mux
}

// Dispose releases what the instance holds. Nothing yet.
func (a *App) Dispose() {}

// CheckHealth answers Grafana's health check for the app.
func (a *App) CheckHealth(_ context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	return &backend.CheckHealthResult{
		Status:  backend.HealthStatusOk,
		Message: "ok",
	}, nil
}
