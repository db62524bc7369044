package receiver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/httperr"
	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/ingest"
	"github.com/firebreak-dev/firebreak/pkg/spool"
)

const (
	maxCommandBytes = 4 << 20 // a containment_start command carries its evidence snapshot (at most 2 MiB, base64)
	commandTimeout  = 15 * time.Second
)

// command serves POST /api/v1/commands: a person's change to an incident, sent by the Grafana plugin on their
// behalf. It goes through the spool like every notification, so the processor is the one writer of timelines; the
// answer comes once the command is durable and applied (its events reach ClickHouse right after; a containment
// start's, with its evidence, before the answer).
func (s *Server) command(w http.ResponseWriter, r *http.Request) {
	if !s.apiAllowed(w, r) {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCommandBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, "command larger than 4 MiB")
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the command: "+err.Error())
		return
	}
	var c incident.Command
	if err := httperr.DecodeStrict(body, &c); err != nil {
		writeError(w, http.StatusBadRequest, "invalid command: "+err.Error())
		return
	}
	if err := c.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid command: "+err.Error())
		return
	}
	result := s.waiters.Register(c.ID)
	payload, err := json.Marshal(ingest.Envelope{ReceivedAt: s.now().UTC(), Command: &c})
	if err == nil {
		err = s.spool.Append(r.Context(), payload)
	}
	if err != nil {
		s.waiters.Cancel(c.ID)
		if errors.Is(err, spool.ErrFull) {
			s.lastFull.Store(s.now().UnixNano())
		}
		writeError(w, http.StatusServiceUnavailable, "cannot store the command durably right now ("+err.Error()+"); retry later")
		return
	}
	select {
	case res := <-result:
		writeCommandResult(w, res)
	case <-time.After(commandTimeout):
		s.waiters.Cancel(c.ID)
		writeError(w, http.StatusServiceUnavailable, "the command is stored but not applied yet (the receiver is waiting "+
			"for ClickHouse); it will be applied when ClickHouse is back (sending the same id again is safe)")
	case <-r.Context().Done():
		s.waiters.Cancel(c.ID)
	}
}

// apiAllowed checks the API token of the plugin's API (commands, deadlines), answering when it is wrong.
func (s *Server) apiAllowed(w http.ResponseWriter, r *http.Request) bool {
	if !s.api.hasToken {
		writeError(w, http.StatusForbidden, "the plugin API is disabled: start the receiver with --api-token-file")
		return false
	}
	if !s.api.ok(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="firebreak"`)
		writeError(w, http.StatusUnauthorized, "missing or wrong API token")
		return false
	}
	return true
}

// CommandAnswer is the body of a successful command.
type CommandAnswer struct {
	Incident *incident.Incident `json:"incident"`
	Events   []incident.Event   `json:"events"`
}

func writeCommandResult(w http.ResponseWriter, res ingest.CommandResult) {
	var (
		invalid   *incident.ErrInvalid
		forbidden *incident.ErrForbidden
		conflict  *incident.ErrTransition
		notFound  *incident.ErrNotFound
		reused    *incident.ErrKeyReused
	)
	switch err := res.Err; {
	case err == nil:
		events := res.Events
		if events == nil {
			events = []incident.Event{}
		}
		writeJSON(w, http.StatusOK, CommandAnswer{Incident: res.Incident, Events: events})
	case errors.As(err, &invalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, &forbidden):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.As(err, &reused):
		writeError(w, http.StatusUnprocessableEntity, "id: "+err.Error())
	case errors.As(err, &conflict):
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error(), "status": string(conflict.From)})
	case errors.Is(err, ingest.ErrNotFound), errors.As(err, &notFound):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}
