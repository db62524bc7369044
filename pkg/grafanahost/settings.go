package grafanahost

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
)

// PluginSettings is the part of Grafana's answer to GET
// /api/plugins/{pluginID}/settings that the saved settings make up. Grafana
// adds what plugin.json says (name, info, includes, module): a frontend host
// that serves the plugin's files adds those.
type PluginSettings struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Enabled  bool   `json:"enabled"`
	Pinned   bool   `json:"pinned"`
	JSONData any    `json:"jsonData"`
	// SecureJSONFields names the keys of secureJsonData that are set; the
	// values never leave the host, as in Grafana.
	SecureJSONFields map[string]bool `json:"secureJsonFields"`
}

// settingsUpdate is the body of POST /api/plugins/{pluginID}/settings.
type settingsUpdate struct {
	Enabled        bool              `json:"enabled"`
	Pinned         bool              `json:"pinned"`
	JSONData       json.RawMessage   `json:"jsonData"`
	SecureJSONData map[string]string `json:"secureJsonData"`
}

// PluginSettings returns the settings as GET /api/plugins/{pluginID}/settings
// answers them.
func (h *Host) PluginSettings() PluginSettings {
	s := h.Settings()
	h.mu.Lock()
	enabled, pinned := h.enabled, h.pinned
	h.mu.Unlock()
	var jd any = map[string]any{}
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &jd); err != nil {
			jd = map[string]any{}
		}
	}
	fields := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(s.DecryptedSecureJSONData)) {
		fields[k] = true
	}
	return PluginSettings{ID: h.pluginID, Type: "app", Enabled: enabled, Pinned: pinned, JSONData: jd, SecureJSONFields: fields}
}

// serveGetSettings answers any signed-in user, as Grafana does for an app its
// users can open.
func (h *Host) serveGetSettings(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.requestUser(w, r); !ok {
		return
	}
	writeJSON(w, http.StatusOK, h.PluginSettings())
}

// servePostSettings saves settings as Grafana does: only an Admin may; jsonData,
// enabled and pinned are replaced; the secureJsonData keys sent are set (an
// empty value too) and the others kept. The plugin's instance is re-created
// with them on its next call (SetSettings).
func (h *Host) servePostSettings(w http.ResponseWriter, r *http.Request) {
	user, ok := h.requestUser(w, r)
	if !ok {
		return
	}
	if user == nil || user.Role != RoleAdmin {
		writeError(w, http.StatusForbidden, "Permission denied: saving plugin settings takes an Admin")
		return
	}
	var u settingsUpdate
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&u); err != nil {
		writeError(w, http.StatusBadRequest, "bad request data")
		return
	}
	if len(u.JSONData) > 0 && !json.Valid(u.JSONData) {
		writeError(w, http.StatusBadRequest, "bad request data")
		return
	}
	h.mu.Lock()
	h.enabled, h.pinned = u.Enabled, u.Pinned
	h.mu.Unlock()
	secure := h.Settings().DecryptedSecureJSONData
	maps.Copy(secure, u.SecureJSONData)
	h.SetSettings(u.JSONData, secure)
	writeJSON(w, http.StatusOK, map[string]string{"message": "Plugin settings updated"})
}
