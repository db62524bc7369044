// Package grafanahost runs the BUILT backend binary of the app plugin the way
// Grafana runs it, for tests and local development without a Grafana server.
//
// Start launches the binary with hashicorp/go-plugin's client and the
// handshake, plugin set and protocol Grafana uses (gRPC, protocol version 2,
// magic cookie grafana_plugin_type=datasource, also for apps), dispenses
// "resource" and "diagnostics", and sends requests built with the SDK's
// backend.ToProto() conversions. Every request carries a PluginContext like
// Grafana's: OrgID 1, Namespace "default", the plugin id, the user (nil for
// requests Grafana makes itself), AppInstanceSettings (never nil) and a
// GrafanaConfig with GF_APP_URL.
//
// Handler serves the Grafana HTTP routes the frontend uses
// (/api/plugins/<id>/resources/... and /api/plugins/<id>/health); see Handler
// for how the user and role are chosen.
//
// Environment: the plugin inherits the host's environment (Grafana's default,
// plugins.skip_host_env_var=false) plus Options.Env. go-plugin adds the magic
// cookie and PLUGIN_* variables. No GF_* variable is required: the SDK reads
// only optional ones (GF_PLUGIN_VERSION, GF_PLUGIN_PROFILING_*,
// GF_INSTANCE_OTLP_*, GF_SECURE_SOCKS_DATASOURCE_PROXY_*,
// GF_DATAPROXY_RESPONSE_LIMIT, and GF_APP_URL / GF_PLUGIN_APP_CLIENT_SECRET as
// fallbacks for the GrafanaConfig that Grafana sends with each request), so
// none is set.
//
// Not modelled: restarting a crashed plugin (Grafana restarts it; here calls
// fail with 503 "Plugin unavailable" and Exited reports true), RBAC beyond the
// basic org role, data source plugins, QueryData and streams.
package grafanahost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/backend/useragent"
	"github.com/grafana/grafana-plugin-sdk-go/config"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-plugin"
)

const (
	// DefaultPluginID is the id of the Firebreak app plugin.
	DefaultPluginID = "firebreak-incident-app"
	// DefaultAppURL is sent as GF_APP_URL when Options.AppURL is empty.
	DefaultAppURL = "http://localhost:3000/"
	// GrafanaVersion is the Grafana version the host claims to be (user
	// agent); the frontend is built against @grafana/* 13.1.1.
	GrafanaVersion = "13.1.1"
	// OrgID is the organization of every request; Namespace is the one
	// Grafana maps org 1 to.
	OrgID     = 1
	Namespace = "default"
	// defaultStartTimeout bounds the plugin start when ctx has no deadline.
	defaultStartTimeout = 30 * time.Second
)

// Basic org roles as Grafana sends them in PluginContext.User.Role.
const (
	RoleNone   = "None"
	RoleViewer = "Viewer"
	RoleEditor = "Editor"
	RoleAdmin  = "Admin"
)

// Options configures Start.
type Options struct {
	// Binary is the path of the built plugin executable
	// (dist/gpx_incident_linux_amd64, or go build -o X ./pkg).
	Binary string
	// PluginID defaults to DefaultPluginID.
	PluginID string
	// JSONData and SecureJSONData are the saved plugin settings. A nil
	// JSONData is sent as empty bytes, as Grafana does for an app whose
	// settings were never saved.
	JSONData       json.RawMessage
	SecureJSONData map[string]string
	// AppURL is sent as GF_APP_URL in the GrafanaConfig of each request
	// (backend.GrafanaConfigFromContext(ctx).AppURL()); default DefaultAppURL.
	AppURL string
	// Env is added to the inherited environment of the plugin (KEY=value).
	Env []string
	// Logger receives go-plugin's and the plugin's logs (the plugin's stderr
	// is JSON that go-plugin parses and re-logs with the plugin's level).
	// Nil discards them.
	Logger *slog.Logger
}

// Host is a running plugin process.
type Host struct {
	pluginID    string
	client      *plugin.Client
	resource    pluginv2.ResourceClient
	diagnostics pluginv2.DiagnosticsClient
	pid         int
	startup     time.Duration
	grafanaCfg  *config.GrafanaCfg
	userAgent   *useragent.UserAgent

	mu       sync.Mutex
	settings backend.AppInstanceSettings
	enabled  bool // Grafana's enabled and pinned flags of the app (settings.go)
	pinned   bool
}

// Start starts the plugin binary and connects to it. The plugin is stopped by
// Close; ctx bounds only the start (default 30 s without a deadline).
func Start(ctx context.Context, opts Options) (*Host, error) {
	if opts.Binary == "" {
		return nil, errors.New("grafanahost: Options.Binary is empty")
	}
	if opts.PluginID == "" {
		opts.PluginID = DefaultPluginID
	}
	if opts.AppURL == "" {
		opts.AppURL = DefaultAppURL
	}
	timeout := defaultStartTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	cmd := exec.Command(opts.Binary)
	cmd.Env = append(cmd.Env, opts.Env...) // go-plugin appends os.Environ() and its own variables
	cmd.SysProcAttr = sysProcAttr()
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		Plugins: plugin.PluginSet{
			"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
			"resource":    &grpcplugin.ResourceGRPCPlugin{},
			"data":        &grpcplugin.DataGRPCPlugin{},
		},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           newHCLogger(opts.Logger),
		StartTimeout:     timeout,
	})

	begin := time.Now()
	h, err := connect(client, opts)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("grafanahost: start %s: %w", opts.Binary, err)
	}
	if err := ctx.Err(); err != nil {
		client.Kill()
		return nil, err
	}
	h.startup = time.Since(begin)
	if cmd.Process != nil {
		h.pid = cmd.Process.Pid
	}
	return h, nil
}

func connect(client *plugin.Client, opts Options) (*Host, error) {
	rpc, err := client.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense("resource")
	if err != nil {
		return nil, fmt.Errorf("dispense resource: %w", err)
	}
	resource, ok := raw.(pluginv2.ResourceClient)
	if !ok {
		return nil, fmt.Errorf("dispense resource: got %T", raw)
	}
	raw, err = rpc.Dispense("diagnostics")
	if err != nil {
		return nil, fmt.Errorf("dispense diagnostics: %w", err)
	}
	diagnostics, ok := raw.(pluginv2.DiagnosticsClient)
	if !ok {
		return nil, fmt.Errorf("dispense diagnostics: got %T", raw)
	}
	ua, err := useragent.New(GrafanaVersion, runtime.GOOS, runtime.GOARCH)
	if err != nil {
		return nil, err
	}
	h := &Host{
		pluginID:    opts.PluginID,
		client:      client,
		resource:    resource,
		diagnostics: diagnostics,
		grafanaCfg:  config.NewGrafanaCfg(map[string]string{config.AppURL: opts.AppURL}),
		userAgent:   ua,
		enabled:     true,
		pinned:      true,
	}
	h.SetSettings(opts.JSONData, opts.SecureJSONData)
	return h, nil
}

// PluginID returns the plugin id the host serves.
func (h *Host) PluginID() string { return h.pluginID }

// Pid returns the process id of the plugin.
func (h *Host) Pid() int { return h.pid }

// Startup returns how long Start took from launching the binary until both
// clients were dispensed.
func (h *Host) Startup() time.Duration { return h.startup }

// Exited reports whether the plugin process has exited.
func (h *Host) Exited() bool { return h.client.Exited() }

// Close stops the plugin (go-plugin's Kill: a graceful gRPC shutdown, SIGKILL
// after 2 s) and waits until it has exited. Safe to call more than once.
func (h *Host) Close() { h.client.Kill() }

// SetSettings replaces the plugin settings used by the next calls and bumps
// Updated, so that the SDK's instance manager disposes of the current app
// instance and creates a new one (through the plugin's NewApp) on the next
// call. Updated travels in milliseconds, so it is always moved at least 1 ms
// past the previous value.
func (h *Host) SetSettings(jsonData json.RawMessage, secure map[string]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	updated := time.Now().Truncate(time.Millisecond)
	if !updated.After(h.settings.Updated) {
		updated = h.settings.Updated.Add(time.Millisecond)
	}
	h.settings = backend.AppInstanceSettings{
		JSONData:                append(json.RawMessage(nil), jsonData...),
		DecryptedSecureJSONData: maps.Clone(secure),
		Updated:                 updated,
	}
	if h.settings.DecryptedSecureJSONData == nil {
		h.settings.DecryptedSecureJSONData = map[string]string{}
	}
}

// Settings returns a copy of the current settings.
func (h *Host) Settings() backend.AppInstanceSettings {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.settings
	s.JSONData = append(json.RawMessage(nil), s.JSONData...)
	s.DecryptedSecureJSONData = maps.Clone(s.DecryptedSecureJSONData)
	return s
}

// NewUser returns the user Grafana would send for login with role: Name is
// the login and Email login@localhost (like Grafana's default admin).
func NewUser(login, role string) *backend.User {
	return &backend.User{Login: login, Name: login, Email: login + "@localhost", Role: role}
}

// Admin is the default user, Grafana's "admin".
func Admin() *backend.User { return NewUser("admin", RoleAdmin) }

func (h *Host) pluginContext(user *backend.User) backend.PluginContext {
	settings := h.Settings()
	return backend.PluginContext{
		OrgID:               OrgID,
		PluginID:            h.pluginID,
		User:                user,
		AppInstanceSettings: &settings,
		GrafanaConfig:       h.grafanaCfg,
		UserAgent:           h.userAgent,
		Namespace:           Namespace,
	}
}

// ErrPluginUnavailable is returned by calls when the plugin process has
// exited (Grafana's plugins.ErrPluginUnavailable; Handler answers 503).
var ErrPluginUnavailable = errors.New("grafanahost: plugin unavailable")

// ErrNoResponse is returned by CallResource when the plugin ended the stream
// without sending a response. (Grafana would answer 200 with an empty body.)
var ErrNoResponse = errors.New("grafanahost: the plugin sent no resource response")

// CallResource sends a resource call as Grafana does for
// /api/plugins/<id>/resources/<path>. path is relative to the resources root,
// in escaped URL form, optionally with "?query"; a leading "/" is ignored.
// user nil means a request made by Grafana itself. header is forwarded as is.
// The responses of the stream are collected: status and headers come from the
// first, the bodies are concatenated. err reports transport or gRPC failures
// (a status of the plugin, even 5xx, is not an error).
func (h *Host) CallResource(ctx context.Context, user *backend.User, method, path string, header http.Header, body []byte) (int, http.Header, []byte, error) {
	if h.client.Exited() {
		return 0, nil, nil, ErrPluginUnavailable
	}
	p, rawQuery, _ := strings.Cut(strings.TrimPrefix(path, "/"), "?")
	req := backend.ToProto().CallResourceRequest(&backend.CallResourceRequest{
		PluginContext: h.pluginContext(user),
		Path:          p,
		Method:        method,
		URL:           (&url.URL{Path: p, RawQuery: rawQuery}).String(),
		Headers:       header,
		Body:          body,
	})
	stream, err := h.resource.CallResource(ctx, req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("grafanahost: call resource: %w", err)
	}
	var (
		status   int
		respHdr  http.Header
		respBody []byte
	)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, nil, nil, fmt.Errorf("grafanahost: call resource: %w", err)
		}
		resp := backend.FromProto().CallResourceResponse(msg)
		if respHdr == nil {
			status = resp.Status
			respHdr = http.Header(resp.Headers)
			if respHdr == nil {
				respHdr = http.Header{}
			}
		}
		respBody = append(respBody, resp.Body...)
	}
	if respHdr == nil {
		return 0, nil, nil, ErrNoResponse
	}
	return status, respHdr, respBody, nil
}

// CheckHealth asks the plugin for its health as Grafana's
// /api/plugins/<id>/health does when the admin user calls it.
func (h *Host) CheckHealth(ctx context.Context) (*backend.CheckHealthResult, error) {
	return h.checkHealth(ctx, Admin())
}

// CollectMetrics asks the plugin for its metrics (Prometheus's text format), as Grafana does for its
// /metrics/plugins/<id>.
func (h *Host) CollectMetrics(ctx context.Context) ([]byte, error) {
	if h.client.Exited() {
		return nil, ErrPluginUnavailable
	}
	resp, err := h.diagnostics.CollectMetrics(ctx, &pluginv2.CollectMetricsRequest{
		PluginContext: backend.ToProto().PluginContext(h.pluginContext(nil)),
	})
	if err != nil {
		return nil, fmt.Errorf("grafanahost: collect metrics: %w", err)
	}
	return resp.GetMetrics().GetPrometheus(), nil
}

func (h *Host) checkHealth(ctx context.Context, user *backend.User) (*backend.CheckHealthResult, error) {
	if h.client.Exited() {
		return nil, ErrPluginUnavailable
	}
	resp, err := h.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{
		PluginContext: backend.ToProto().PluginContext(h.pluginContext(user)),
		Headers:       map[string]string{},
	})
	if err != nil {
		return nil, fmt.Errorf("grafanahost: check health: %w", err)
	}
	return backend.FromProto().CheckHealthResponse(resp), nil
}
