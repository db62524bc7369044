package incident

import (
	"fmt"
	"strings"
	"time"
)

// An incident whose alerts keep firing and clearing is flapping: the ingest marks it (flapping_started) once it has
// been reopened by its alerts too often in a while, keeps it open instead of resolving and reopening it with every
// flap, and unmarks it (flapping_ended) once its alerts have stayed quiet long enough. Both events are on the
// timeline; the state only records that it is flapping and since when.
const (
	KindFlappingStarted Kind = "flapping_started"
	KindFlappingEnded   Kind = "flapping_ended"
)

// FlappingBody is the body of flapping_started and flapping_ended. Since (when the flapping started) names the
// flapping spell: both events of one spell carry it.
type FlappingBody struct {
	Since   time.Time `json:"since"`
	Reopens int       `json:"reopens,omitempty"` // started: reopens by alerts counted within Window
	Window  string    `json:"window,omitempty"`  // started: the window they were counted in
	Quiet   string    `json:"quiet"`             // how long its alerts must stay quiet for the spell to end
	// QuietSince is, on flapping_ended, the last time one of its alerts fired or cleared.
	QuietSince time.Time `json:"quiet_since,omitzero"`
}

// maxReopenTimes bounds the reopen times an incident keeps for counting (the ingest's threshold is below it).
const maxReopenTimes = 100

// ReopensSince counts the reopens by alerts (not by people) at or after t.
func (inc *Incident) ReopensSince(t time.Time) int {
	n := 0
	for _, at := range inc.reopenTimes {
		if !at.Before(t) {
			n++
		}
	}
	return n
}

// LastAlertChange is the latest time one of the incident's alerts fired or cleared (zero if none has).
func (inc *Incident) LastAlertChange() time.Time { return inc.lastAlertChange }

func (inc *Incident) applyFlapping(e Event) error {
	var b FlappingBody
	if err := decodeBody(e, &b); err != nil {
		return err
	}
	switch {
	case e.Kind == KindFlappingStarted && inc.Flapping:
		return fmt.Errorf("already flapping since %s", inc.FlappingSince.Format(time.RFC3339))
	case e.Kind == KindFlappingEnded && !inc.Flapping:
		return fmt.Errorf("not flapping")
	case e.Kind == KindFlappingStarted:
		inc.Flapping, inc.FlappingSince = true, b.Since.UTC()
	default:
		inc.Flapping, inc.FlappingSince = false, time.Time{}
	}
	return nil
}

// noteReopen keeps the time of a reopen made by an alert (the actor is its rule).
func (inc *Incident) noteReopen(e Event) {
	if !strings.HasPrefix(e.Actor, ruleActorPrefix) {
		return
	}
	inc.reopenTimes = append(inc.reopenTimes, e.At)
	if len(inc.reopenTimes) > maxReopenTimes {
		inc.reopenTimes = append(inc.reopenTimes[:0:0], inc.reopenTimes[len(inc.reopenTimes)-maxReopenTimes:]...)
	}
}
