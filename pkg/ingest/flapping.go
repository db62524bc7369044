package ingest

import (
	"fmt"
	"slices"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// Flapping sets the damping of incidents whose alerts keep firing and clearing. An incident its alerts reopen more
// than Reopens times within Window is flapping: it is marked (one flapping_started event) and kept open, so that
// it no longer resolves and reopens with every flap; it is unmarked (flapping_ended) once none of its alerts has
// fired or cleared for Quiet, and then resolves if everything has cleared and its severity resolves by itself.
// Reopens 0 turns the damping off.
type Flapping struct {
	Reopens int
	Window  time.Duration
	Quiet   time.Duration
}

// DefaultFlapping: a fourth reopen within an hour marks an incident flapping; half an hour of quiet ends it.
var DefaultFlapping = Flapping{Reopens: 3, Window: time.Hour, Quiet: 30 * time.Minute}

// maybeStartFlapping marks inc flapping if the reopen just applied (at at) is one too many within the window.
func (s *State) maybeStartFlapping(b *batch, inc *incident.Incident, at time.Time) {
	if s.Flap.Reopens <= 0 || inc.Flapping {
		return
	}
	n := inc.ReopensSince(at.Add(-s.Flap.Window))
	if n <= s.Flap.Reopens {
		return
	}
	b.add(inc, incident.KindFlappingStarted, at, incident.SystemActor,
		fmt.Sprintf("Flapping: reopened by its alerts %d times within %s; it stays open, without resolving and reopening with every flap, until its alerts are quiet for %s",
			n, s.Flap.Window, s.Flap.Quiet),
		incident.FlappingBody{Since: at, Reopens: n, Window: s.Flap.Window.String(), Quiet: s.Flap.Quiet.String()}, nil)
	s.flapping[inc.ID] = true
	b.outcome.FlappingStarted = append(b.outcome.FlappingStarted, inc)
}

// quietUntil is when a flapping incident stops flapping if none of its alerts fires or clears meanwhile.
func (s *State) quietUntil(inc *incident.Incident) (quietSince, until time.Time) {
	quietSince = laterOf(inc.LastAlertChange(), inc.FlappingSince)
	return quietSince, quietSince.Add(s.Flap.Quiet)
}

// endQuietFlaps ends the flapping of the incidents whose alerts have been quiet long enough at b.at (in order of
// id, so that replaying the same input gives the same events), and resolves those that may resolve.
func (s *State) endQuietFlaps(b *batch) {
	if len(s.flapping) == 0 {
		return
	}
	// Only the incidents due now are sorted: on almost every notification none is.
	var due []string
	for id := range s.flapping {
		inc := s.incident(id)
		if inc == nil || !inc.Flapping {
			delete(s.flapping, id)
			continue
		}
		if _, until := s.quietUntil(inc); !b.at.Before(until) {
			due = append(due, id)
		}
	}
	slices.Sort(due)
	for _, id := range due {
		inc := s.incident(id)
		quietSince, until := s.quietUntil(inc)
		b.add(inc, incident.KindFlappingEnded, until, incident.SystemActor,
			fmt.Sprintf("Stopped flapping: its alerts have been quiet for %s", s.Flap.Quiet),
			incident.FlappingBody{Since: inc.FlappingSince, Quiet: s.Flap.Quiet.String(), QuietSince: quietSince}, nil)
		delete(s.flapping, id)
		b.outcome.FlappingEnded = append(b.outcome.FlappingEnded, inc)
		s.autoResolve(b, inc, until, "every alert cleared and the flapping stopped")
	}
}

// Tick applies the passing of time up to now when no notification comes: flapping incidents whose alerts have
// been quiet long enough stop flapping (see Flapping). Like Apply, it depends only on its input and the state.
func (s *State) Tick(now time.Time) ([]store.Record, Outcome) {
	b := newBatch(now)
	s.endQuietFlaps(b)
	b.markStates()
	return b.records, b.outcome
}

// NextTick is when Tick next has something to do (zero if nothing is flapping).
func (s *State) NextTick() time.Time {
	var next time.Time
	for id := range s.flapping {
		if inc := s.incident(id); inc != nil && inc.Flapping {
			if _, until := s.quietUntil(inc); next.IsZero() || until.Before(next) {
				next = until
			}
		}
	}
	return next
}
