package grafanahost

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Headers and cookies that choose the user of a request to Handler.
const (
	HeaderUser     = "X-Grafana-User"     // login; default "admin"
	HeaderRole     = "X-Grafana-Role"     // None | Viewer | Editor | Admin; default Admin
	HeaderInternal = "X-Grafana-Internal" // "1": a request Grafana makes itself (User nil)
	CookieUser     = "grafana_user"
	CookieRole     = "grafana_role"
)

// Handler returns an http.Handler standing in for Grafana's plugin routes:
//
//	ANY /api/plugins/{pluginID}/resources[/{path...}]  -> CallResource
//	GET /api/plugins/{pluginID}/health                 -> CheckHealth
//	GET, POST /api/plugins/{pluginID}/settings         -> the saved settings (settings.go)
//
// Resources: the path below resources/ (escaped, as Grafana's router takes it)
// and the query string are passed on; the answer of the plugin is written
// back unchanged (status, headers, body).
//
// Health: 200 with {"status":"OK","message":...} when the plugin is healthy,
// 503 with the same shape otherwise; "details" carries the plugin's
// JSONDetails when there are any. These are Grafana's codes and shape.
//
// The user: the login comes from the X-Grafana-User header, else the
// grafana_user cookie, else "admin"; the role from X-Grafana-Role, else the
// grafana_role cookie, else Admin (headers win over cookies; the cookies
// serve browser tests). Roles are None, Viewer, Editor, Admin (any case); any
// other role answers 400. X-Grafana-Internal: 1 sends no user at all, as for
// requests Grafana makes itself (alerting, provisioning).
//
// Headers forwarded to the plugin, as Grafana does: the request's headers
// without Cookie and Authorization, Origin and Referer (kept as
// X-Grafana-Referer), X-Forwarded-Host/Port/Proto, and the host's own
// X-Grafana-Role / X-Grafana-Internal; X-Forwarded-For gets the client
// address; X-Grafana-User is set to the login (removed when there is no
// user), as Grafana does with send_user_header enabled. With Grafana's
// default (send_user_header=false) a client's X-Grafana-User reaches the
// plugin unchanged, so a plugin must take the user from PluginContext only.
//
// Errors of the host itself are JSON {"message": ...}: 404 for another plugin
// id, 400 for a bad role, 503 when the plugin is unavailable, 501 when it does
// not implement the call, 500 otherwise.
func (h *Host) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/plugins/{pluginID}/resources", h.serveResource)
	mux.HandleFunc("/api/plugins/{pluginID}/resources/{path...}", h.serveResource)
	mux.HandleFunc("GET /api/plugins/{pluginID}/health", h.serveHealth)
	mux.HandleFunc("GET /api/plugins/{pluginID}/settings", h.serveGetSettings)
	mux.HandleFunc("POST /api/plugins/{pluginID}/settings", h.servePostSettings)
	mux.HandleFunc("GET /metrics/plugins/{pluginID}", h.serveMetrics)
	return mux
}

// serveMetrics answers the plugin's own metrics in Prometheus's text format, as Grafana's /metrics/plugins/<id>
// does (with [metrics] enabled).
func (h *Host) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("pluginID") != h.pluginID {
		writeError(w, http.StatusNotFound, "Plugin not found")
		return
	}
	text, err := h.CollectMetrics(r.Context())
	if err != nil {
		writeCallError(w, err, "Failed to collect plugin metrics")
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write(text)
}

func (h *Host) serveResource(w http.ResponseWriter, r *http.Request) {
	user, ok := h.requestUser(w, r)
	if !ok {
		return
	}
	// Grafana's router matches the escaped path and passes the wildcard on
	// as the resource path.
	prefix := "/api/plugins/" + h.pluginID + "/resources"
	path := strings.TrimPrefix(strings.TrimPrefix(r.URL.EscapedPath(), prefix), "/")
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Failed to read request body")
		return
	}
	status, header, respBody, err := h.CallResource(r.Context(), user, r.Method, path, forwardHeaders(r, user), body)
	if err != nil {
		writeCallError(w, err, "Failed to call resource")
		return
	}
	for k, vs := range header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(respBody)
}

func (h *Host) serveHealth(w http.ResponseWriter, r *http.Request) {
	user, ok := h.requestUser(w, r)
	if !ok {
		return
	}
	res, err := h.checkHealth(r.Context(), user)
	if err != nil {
		writeCallError(w, err, "Plugin health check failed")
		return
	}
	payload := map[string]any{"status": res.Status.String(), "message": res.Message}
	if len(res.JSONDetails) > 0 {
		var details map[string]any
		if err := json.Unmarshal(res.JSONDetails, &details); err != nil {
			writeError(w, http.StatusInternalServerError, "Failed to unmarshal detailed response from backend plugin")
			return
		}
		payload["details"] = details
	}
	code := http.StatusOK
	if res.Status != backend.HealthStatusOk {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, payload)
}

// UserFromRequest returns the user Handler sends for r (see Handler): nil for
// X-Grafana-Internal: 1, an error for an unknown role.
func UserFromRequest(r *http.Request) (*backend.User, error) {
	if r.Header.Get(HeaderInternal) == "1" {
		return nil, nil
	}
	login := headerOrCookie(r, HeaderUser, CookieUser, "admin")
	role, ok := CanonicalRole(headerOrCookie(r, HeaderRole, CookieRole, RoleAdmin))
	if !ok {
		return nil, fmt.Errorf("unknown role %q: want %s, %s, %s or %s", role, RoleNone, RoleViewer, RoleEditor, RoleAdmin)
	}
	return NewUser(login, role), nil
}

// CanonicalRole returns Grafana's spelling of a basic org role given in any
// case, and whether it is one.
func CanonicalRole(role string) (string, bool) {
	for _, r := range []string{RoleNone, RoleViewer, RoleEditor, RoleAdmin} {
		if strings.EqualFold(role, r) {
			return r, true
		}
	}
	return role, false
}

func headerOrCookie(r *http.Request, header, cookie, def string) string {
	if v := r.Header.Get(header); v != "" {
		return v
	}
	if c, err := r.Cookie(cookie); err == nil && c.Value != "" {
		return c.Value
	}
	return def
}

func forwardHeaders(r *http.Request, user *backend.User) http.Header {
	h := r.Header.Clone()
	h.Set("X-Grafana-Referer", h.Get("Referer"))
	for _, k := range []string{"Cookie", "Authorization", "Origin", "Referer",
		"X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto",
		HeaderRole, HeaderInternal, HeaderUser} {
		h.Del(k)
	}
	if addr, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if prior := h.Get("X-Forwarded-For"); prior != "" {
			addr = prior + ", " + addr
		}
		h.Set("X-Forwarded-For", addr)
	}
	if user != nil {
		h.Set(HeaderUser, user.Login)
	}
	return h
}

func writeCallError(w http.ResponseWriter, err error, fallback string) {
	switch {
	case errors.Is(err, ErrNoResponse):
		writeError(w, http.StatusInternalServerError, err.Error())
	case errors.Is(err, ErrPluginUnavailable), status.Code(err) == codes.Unavailable:
		writeError(w, http.StatusServiceUnavailable, "Plugin unavailable")
	case status.Code(err) == codes.Unimplemented:
		writeError(w, http.StatusNotImplemented, "Method not implemented")
	default:
		writeError(w, http.StatusInternalServerError, fallback)
	}
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// requestUser checks that a request is for this host's plugin and returns its user (nil: none), answering 404 or 400
// itself when not ok.
func (h *Host) requestUser(w http.ResponseWriter, r *http.Request) (*backend.User, bool) {
	if r.PathValue("pluginID") != h.pluginID {
		writeError(w, http.StatusNotFound, "Plugin not found")
		return nil, false
	}
	user, err := UserFromRequest(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return user, true
}
