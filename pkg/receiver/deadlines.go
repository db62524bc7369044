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
