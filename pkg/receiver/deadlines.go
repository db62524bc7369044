package receiver

import (
	"net/http"

	"github.com/firebreak-dev/firebreak/pkg/store"
)

// deadlines serves GET /api/v1/deadlines: what is due or overdue over all incidents (store.Deadlines) from the
// processor's in-memory index, for the plugin's statistics. Parameters: now (Unix seconds) and, per severity, the
// SLA targets in seconds: ack.SEV1, contain.SEV1, ... (missing or 0: no target). 503 until the index is loaded.
func (s *Server) deadlines(w http.ResponseWriter, r *http.Request) {
	if !s.apiAllowed(w, r) {
		return
	}
	now, targets, err := store.ParseDeadlinesQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	sum, ok := s.deadlineIndex.Summary(now, targets)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "the deadline index is not loaded yet (the receiver is starting)")
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

// slaTargets serves GET /api/v1/sla: the SLA targets the receiver computes deadlines (and so the incident metrics
// the escalations fire on) with, in the app's jsonData.sla format, so that the plugin's health check can say when
// the two differ.
func (s *Server) slaTargets(w http.ResponseWriter, r *http.Request) {
	if !s.apiAllowed(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, s.sla.Specs())
}
