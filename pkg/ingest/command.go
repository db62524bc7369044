package ingest

import (
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// ErrNotFound is the result of a command on an incident that does not exist.
var ErrNotFound = errors.New("incident not found")

// CommandResult is what a command did: the incident after it and the events it added, or why it was refused.
type CommandResult struct {
	Incident *incident.Incident
	Events   []incident.Event
	Err      error
}

// DeclaredIncidentID is the id of the incident a declare command creates: derived from the command's id, so a
// retried declare finds the incident it already made.
func DeclaredIncidentID(commandID string) string {
	return uuid.NewSHA1(incidentNamespace, []byte("command\n"+commandID)).String()
}

// CommandIncidentID is the incident a command is about.
func CommandIncidentID(c *incident.Command) string {
	if c.Kind == incident.CmdDeclare {
		return DeclaredIncidentID(c.ID)
	}
	return c.IncidentID
}

// ApplyCommand executes a person's command. The caller must first Load the incident if the store has it.
func (s *State) ApplyCommand(env Envelope) ([]store.Record, CommandResult) {
	c := env.Command
	now := env.ReceivedAt.UTC()
	if c.Kind == incident.CmdDeclare {
		id := DeclaredIncidentID(c.ID)
		if inc := s.incident(id); inc != nil {
			if _, err := inc.Replayed(c); err != nil {
				return nil, CommandResult{Err: err} // the key was used for another declaration
			}
			return nil, CommandResult{Incident: inc.Clone()}
		}
		inc, e, err := incident.DeclareByHand(c, id, now)
		if err != nil {
			return nil, CommandResult{Err: err}
		}
		records := []store.Record{{Event: e, State: *inc, WriteState: true}}
		events := []incident.Event{e}
		if t, ok := s.defaultTaxonomy(inc, now); ok {
			records[0].WriteState = false
			records = append(records, store.Record{Event: t, State: *inc, WriteState: true})
			events = append(events, t)
		}
		s.track(inc)
		return records, CommandResult{Incident: inc.Clone(), Events: events}
	}
	inc := s.incident(c.IncidentID)
	if inc == nil {
		return nil, CommandResult{Err: fmt.Errorf("%w: %s", ErrNotFound, c.IncidentID)}
	}
	events, err := incident.Execute(c, inc, now)
	if err != nil {
		return nil, CommandResult{Err: err}
	}
	s.syncGroup(inc)
	records := make([]store.Record, len(events))
	for i, e := range events {
		records[i] = store.Record{Event: e, State: *inc, WriteState: i == len(events)-1}
	}
	if s := c.ContainmentStart; s != nil && len(records) == 1 {
		records[0].Evidence = &store.Evidence{IncidentID: inc.ID, SnapshotID: s.Evidence.ID, RequestID: s.RequestID,
			Attempt: uint32(s.Attempt), TakenAt: now, TakenBy: c.Actor.Login, SHA256: s.Evidence.SHA256,
			Bytes: len(s.Snapshot), Content: s.Snapshot, DeclaredAt: inc.DeclaredAt}
	}
	return records, CommandResult{Incident: inc.Clone(), Events: events}
}

// Waiters hands command results from the processor to the requests waiting for them.
type Waiters struct {
	mu sync.Mutex
	m  map[string]chan CommandResult
}

// Register returns the channel the result of command id will arrive on (buffered: delivery never blocks).
func (w *Waiters) Register(id string) <-chan CommandResult {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]chan CommandResult{}
	}
	ch := make(chan CommandResult, 1)
	w.m[id] = ch
	return ch
}

// Cancel forgets a waiter that gave up.
func (w *Waiters) Cancel(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, id)
}

// waiting reports whether a request waits for a command result (false for a nil Waiters).
func (w *Waiters) waiting() bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.m) > 0
}

func (w *Waiters) deliver(id string, r CommandResult) {
	w.mu.Lock()
	ch, ok := w.m[id]
	delete(w.m, id)
	w.mu.Unlock()
	if ok {
		ch <- r
	}
}
