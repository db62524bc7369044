package receiver

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// deadlines serves GET /api/v1/deadlines: what is due or overdue over all incidents (store.Deadlines) from the
// processor's in-memory index, for the plugin's statistics. Parameters: now (Unix seconds) and, per severity, the
// SLA targets in seconds: ack.SEV1, contain.SEV1, ... (missing or 0: no target). 503 until the index is loaded.
func (s *Server) deadlines(w http.ResponseWriter, r *http.Request) {
	if !s.apiAllowed(w, r) {
		return
	}
	now, targets, err := parseDeadlineQuery(r.URL.Query())
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

// parseDeadlineQuery reads the parameters of GET /api/v1/deadlines.
func parseDeadlineQuery(q url.Values) (time.Time, incident.SLATargets, error) {
	secs := func(name string) (int64, error) {
		v := q.Get(name)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s: want a non-negative number of seconds, got %q", name, v)
		}
		return n, nil
	}
	if q.Get("now") == "" {
		return time.Time{}, nil, fmt.Errorf("now: missing (Unix seconds)")
	}
	now, err := secs("now")
	if err != nil {
		return time.Time{}, nil, err
	}
	targets := incident.SLATargets{}
	for _, sev := range []incident.Severity{incident.SEV1, incident.SEV2, incident.SEV3} {
		ack, err := secs("ack." + sev.String())
		if err != nil {
			return time.Time{}, nil, err
		}
		contain, err := secs("contain." + sev.String())
		if err != nil {
			return time.Time{}, nil, err
		}
		targets[sev] = incident.SLATarget{Acknowledge: time.Duration(ack) * time.Second, Contain: time.Duration(contain) * time.Second}
	}
	return time.Unix(now, 0).UTC(), targets, nil
}
