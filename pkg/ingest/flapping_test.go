package ingest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// flapStep is one thing that happens to a single alert (SEV3, which resolves by itself) at a minute after t0: it
// fires (a new episode), clears, is notified again while firing (repeat), or time passes with no notification (tick).
type flapStep struct {
	min  int
	do   string
	want []incident.Kind
}

const (
	declared  = incident.KindDeclared
	fired     = incident.KindAlertFired
	cleared   = incident.KindAlertResolved
	resolved  = incident.KindResolved
	reopened  = incident.KindReopened
	flapStart = incident.KindFlappingStarted
	flapEnd   = incident.KindFlappingEnded
)

// flapper plays flapSteps on a state.
type flapper struct {
	s     *State
	start time.Time // of the current episode
}

func (f *flapper) step(t *testing.T, st flapStep) ([]store.Record, Outcome) {
	t.Helper()
	at := t0.Add(time.Duration(st.min) * time.Minute)
	spec := alertSpec{fp: "f1", name: "AIErrorRateHigh", severity: "info"}
	switch st.do {
	case "fire":
		f.start, spec.start = at, at
	case "clear":
		spec.start, spec.end = f.start, at
	case "repeat":
		spec.start = f.start
	case "tick":
		return f.s.Tick(at)
	default:
		t.Fatalf("unknown step %q", st.do)
	}
	return f.s.Apply(env(at.Add(10*time.Second), note("g", spec)))
}

func TestFlappingSequences(t *testing.T) {
	fast := Flapping{Reopens: 2, Window: 30 * time.Minute, Quiet: 10 * time.Minute}
	// Fire and clear every minute: three reopens within the window make it flapping.
	flaps := []flapStep{
		{0, "fire", kinds2(declared, fired)}, {1, "clear", kinds2(cleared, resolved)},
		{2, "fire", kinds2(reopened, fired)}, {3, "clear", kinds2(cleared, resolved)},
		{4, "fire", kinds2(reopened, fired)}, {5, "clear", kinds2(cleared, resolved)},
		{6, "fire", kinds2(reopened, flapStart, fired)},
	}
	tests := []struct {
		name         string
		flap         Flapping
		steps        []flapStep
		wantFlapping bool
		wantStatus   incident.Status
	}{
		{"flapping holds the incident open: no resolve, no reopen", fast, append(flaps[:7:7],
			flapStep{7, "clear", kinds2(cleared)}, flapStep{8, "fire", kinds2(fired)}, flapStep{9, "clear", kinds2(cleared)},
			flapStep{10, "fire", kinds2(fired)}, flapStep{11, "clear", kinds2(cleared)}),
			true, incident.Declared},
		{"quiet for the quiet time: it stops flapping and resolves", fast, append(flaps[:7:7],
			flapStep{7, "clear", kinds2(cleared)}, flapStep{16, "tick", nil}, flapStep{17, "tick", kinds2(flapEnd, resolved)},
			flapStep{18, "tick", nil}),
			false, incident.Resolved},
		{"a fire during the quiet time starts it again", fast, append(flaps[:7:7],
			flapStep{7, "clear", kinds2(cleared)}, flapStep{15, "fire", kinds2(fired)}, flapStep{20, "tick", nil},
			flapStep{22, "clear", kinds2(cleared)}, flapStep{31, "tick", nil}, flapStep{32, "tick", kinds2(flapEnd, resolved)}),
			false, incident.Resolved},
		{"the next notification ends it too, before its own alerts", fast, append(flaps[:7:7],
			flapStep{7, "clear", kinds2(cleared)}, flapStep{25, "fire", kinds2(flapEnd, resolved, reopened, flapStart, fired)}),
			true, incident.Declared},
		{"quiet while firing: it stops flapping, stays open, then resolves as usual", fast, append(flaps[:7:7],
			flapStep{17, "repeat", kinds2(flapEnd)}, flapStep{18, "clear", kinds2(cleared, resolved)}),
			false, incident.Resolved},
		{"reopens spread wider than the window: never flapping", fast, []flapStep{
			{0, "fire", kinds2(declared, fired)}, {1, "clear", kinds2(cleared, resolved)},
			{20, "fire", kinds2(reopened, fired)}, {21, "clear", kinds2(cleared, resolved)},
			{40, "fire", kinds2(reopened, fired)}, {41, "clear", kinds2(cleared, resolved)},
			{60, "fire", kinds2(reopened, fired)}, {61, "clear", kinds2(cleared, resolved)},
			{80, "fire", kinds2(reopened, fired)}, {81, "clear", kinds2(cleared, resolved)}},
			false, incident.Resolved},
		{"exactly the number of reopens allowed: not flapping", fast, append(flaps[:6:6],
			flapStep{33, "fire", kinds2(reopened, fired)}),
			false, incident.Declared},
		{"damping off: it reopens with every flap", Flapping{}, append(flaps[:6:6],
			flapStep{6, "fire", kinds2(reopened, fired)}, flapStep{7, "clear", kinds2(cleared, resolved)},
			flapStep{8, "fire", kinds2(reopened, fired)}),
			false, incident.Declared},
		{"defaults: a fourth reopen within an hour, then half an hour of quiet", DefaultFlapping, append(flaps[:6:6],
			flapStep{6, "fire", kinds2(reopened, fired)}, flapStep{7, "clear", kinds2(cleared, resolved)},
			flapStep{8, "fire", kinds2(reopened, flapStart, fired)}, flapStep{9, "clear", kinds2(cleared)},
			flapStep{38, "tick", nil}, flapStep{39, "tick", kinds2(flapEnd, resolved)}),
			false, incident.Resolved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewState(incident.DefaultMapping())
			s.Flap = tt.flap
			f := &flapper{s: s}
			var last incident.Incident
			for _, st := range tt.steps {
				recs, _ := f.step(t, st)
				if len(st.want) == 0 {
					require.Empty(t, recs, "minute %d: %s", st.min, st.do)
				} else {
					require.Equal(t, st.want, kinds(recs), "minute %d: %s", st.min, st.do)
				}
				if len(recs) > 0 {
					last = recs[len(recs)-1].State
					assert.True(t, recs[len(recs)-1].WriteState)
				}
			}
			assert.Equal(t, tt.wantFlapping, last.Flapping)
			assert.Equal(t, tt.wantStatus, last.Status)
		})
	}
}

func kinds2(k ...incident.Kind) []incident.Kind { return k }

// The events' content: when, by whom, and what they say.
func TestFlappingEvents(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	s.Flap = Flapping{Reopens: 2, Window: 30 * time.Minute, Quiet: 10 * time.Minute}
	f := &flapper{s: s}
	var started, ended store.Record
	for i, do := range []string{"fire", "clear", "fire", "clear", "fire", "clear", "fire", "clear"} {
		recs, out := f.step(t, flapStep{min: i, do: do})
		for _, r := range recs {
			if r.Event.Kind == flapStart {
				started = r
				require.Len(t, out.FlappingStarted, 1)
			}
		}
	}
	require.Equal(t, flapStart, started.Event.Kind)
	assert.Equal(t, incident.SystemActor, started.Event.Actor)
	assert.Equal(t, started.Event.At, started.State.FlappingSince, "flapping since the re-fire that made it flap")
	assert.Contains(t, started.Event.Message, "reopened by its alerts 3 times within 30m0s")
	var body incident.FlappingBody
	require.NoError(t, json.Unmarshal(started.Event.Body, &body))
	assert.Equal(t, incident.FlappingBody{Since: started.Event.At, Reopens: 3, Window: "30m0s", Quiet: "10m0s"}, body)

	lastChange := started.State.LastAlertChange()
	next := s.NextTick()
	require.False(t, next.IsZero())
	recs, out := s.Tick(next.Add(time.Hour))
	require.Equal(t, kinds2(flapEnd, resolved), kinds(recs))
	require.Len(t, out.FlappingEnded, 1)
	ended = recs[0]
	assert.Equal(t, next, ended.Event.At, "it ends when the quiet time is over, not when noticed")
	assert.Equal(t, next, recs[1].Event.At)
	require.NoError(t, json.Unmarshal(ended.Event.Body, &body))
	assert.Equal(t, started.State.FlappingSince, body.Since, "both events name the same spell")
	assert.False(t, body.QuietSince.Before(lastChange))
	assert.True(t, s.NextTick().IsZero(), "nothing flapping: nothing to wake up for")
}

// Replays change nothing: the same notifications again, in the same state or in a state reloaded from the events
// (a restart), add no second flapping_started or flapping_ended; and the reloaded state goes on exactly as the live one.
func TestFlappingReplayAndReload(t *testing.T) {
	flap := Flapping{Reopens: 2, Window: 30 * time.Minute, Quiet: 10 * time.Minute}
	live := NewState(incident.DefaultMapping())
	live.Flap = flap
	f := &flapper{s: live}
	var envs []Envelope
	var events []incident.Event
	for i, do := range []string{"fire", "clear", "fire", "clear", "fire", "clear", "fire", "clear", "fire"} {
		at := t0.Add(time.Duration(i) * time.Minute)
		spec := alertSpec{fp: "f1", name: "AIErrorRateHigh", severity: "info"}
		if do == "fire" {
			f.start = at
		}
		spec.start = f.start
		if do == "clear" {
			spec.end = at
		}
		e := env(at.Add(10*time.Second), note("g", spec))
		envs = append(envs, e)
		for _, r := range apply(live, e) {
			events = append(events, r.Event)
		}
	}
	require.Equal(t, 1, countKind(events, flapStart))
	for _, e := range envs {
		assert.Empty(t, apply(live, e), "replayed while running")
	}

	folded, err := incident.Fold(events)
	require.NoError(t, err)
	require.True(t, folded.Flapping)
	dup := folded.Clone() // the state takes folded and changes it
	reloaded := NewState(incident.DefaultMapping())
	reloaded.Flap = flap
	reloaded.Load([]*incident.Incident{folded})
	for _, e := range envs {
		assert.Empty(t, apply(reloaded, e), "replayed after a restart")
	}
	assert.Equal(t, live.NextTick(), reloaded.NextTick())

	// Both go on the same way: the quiet time passes, then the flapping ends once, in both.
	end := live.NextTick().Add(time.Minute)
	a, _ := live.Tick(end)
	b, _ := reloaded.Tick(end)
	require.Equal(t, kinds2(flapEnd), kinds(a), "the alert is still firing: it stays open")
	require.Len(t, b, len(a))
	for i := range a {
		assert.Equal(t, a[i].Event, b[i].Event)
	}
	again, _ := reloaded.Tick(end.Add(time.Hour))
	assert.Empty(t, again, "ended once")
	for _, e := range envs {
		assert.Empty(t, apply(reloaded, e), "replayed after it ended")
	}
	// A folded timeline with the flapping started twice is refused: the domain keeps one spell at a time.
	_, err = dup.Append(flapStart, end, end, incident.SystemActor, "again", incident.FlappingBody{Since: end})
	assert.ErrorContains(t, err, "already flapping")
}

func countKind(events []incident.Event, k incident.Kind) int {
	n := 0
	for _, e := range events {
		if e.Kind == k {
			n++
		}
	}
	return n
}
