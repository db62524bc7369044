package ingest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
	"github.com/firebreak-dev/firebreak/pkg/webhook"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

type alertSpec struct {
	fp, name, severity string
	start, end         time.Time // end zero: firing
	extra              map[string]string
}

func note(group string, alerts ...alertSpec) *webhook.Notification {
	n := &webhook.Notification{Source: webhook.Alertmanager, Version: "4", Receiver: "firebreak", Status: "firing",
		GroupKey: group, CommonAnnotations: map[string]string{}}
	for _, a := range alerts {
		labels := map[string]string{"alertname": a.name, "ai_system": "supportbot", "severity": a.severity}
		for k, v := range a.extra {
			labels[k] = v
		}
		wa := webhook.Alert{Status: "firing", Labels: labels, StartsAt: a.start, Fingerprint: a.fp,
			Annotations: map[string]string{"summary": a.name + " summary"}}
		if !a.end.IsZero() {
			wa.Status, wa.EndsAt = "resolved", a.end
		}
		n.Alerts = append(n.Alerts, wa)
	}
	return n
}

func env(at time.Time, n *webhook.Notification) Envelope {
	return Envelope{ReceivedAt: at, Notification: n}
}

func kinds(records []store.Record) []incident.Kind {
	out := make([]incident.Kind, len(records))
	for i, r := range records {
		out[i] = r.Event.Kind
	}
	return out
}

func TestDeclareAndDeduplicate(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	n := note("g1", alertSpec{fp: "f1", name: "AIHallucinationRateHigh", severity: "warning", start: t0})
	recs := apply(s, env(t0.Add(time.Second), n))
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindTaxonomyUpdated, incident.KindAlertFired}, kinds(recs))
	recs = append(recs[:1], recs[2:]...) // the classification: see taxonomy_test.go
	inc := recs[1].State
	assert.Equal(t, "AIHallucinationRateHigh summary", inc.Title)
	assert.Equal(t, "supportbot", inc.AISystem)
	assert.Equal(t, incident.Hallucination, inc.Category)
	assert.Equal(t, incident.SEV2, inc.Severity)
	assert.Equal(t, "rule:AIHallucinationRateHigh", inc.DeclaredBy)
	assert.Equal(t, "alertmanager", inc.DeclaredVia)
	assert.Equal(t, t0, inc.StartedAt)
	assert.Equal(t, t0.Add(time.Second), inc.DeclaredAt)
	assert.Equal(t, t0, recs[1].Event.At, "alert_fired happens at startsAt")
	assert.False(t, recs[0].WriteState)
	assert.True(t, recs[1].WriteState, "state written once, with the last record of the incident")
	require.NotNil(t, recs[1].Alert)

	// Retry, HA peer (other receiver name and URL, same group key), repeat interval hours later: nothing new.
	peer := note("g1", alertSpec{fp: "f1", name: "AIHallucinationRateHigh", severity: "warning", start: t0})
	peer.Receiver, peer.ExternalURL = "peer-2", "http://am2"
	assert.Empty(t, apply(s, env(t0.Add(2*time.Second), n)))
	assert.Empty(t, apply(s, env(t0.Add(3*time.Second), peer)))
	assert.Empty(t, apply(s, env(t0.Add(4*time.Hour), n)))

	// Same incident id for the same alert data, whatever the arrival time.
	other := NewState(incident.DefaultMapping())
	again := apply(other, env(t0.Add(time.Hour), note("g1", alertSpec{fp: "f1", name: "AIHallucinationRateHigh", severity: "warning", start: t0})))
	assert.Equal(t, inc.ID, again[0].Event.IncidentID)
}

func TestAlertsJoinRaiseSeverityAndResolve(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	first := alertSpec{fp: "f1", name: "AIDrift", severity: "warning", start: t0}
	id := apply(s, env(t0, note("g", first)))[0].Event.IncidentID

	lower := alertSpec{fp: "f2", name: "AIDrift", severity: "info", start: t0.Add(time.Minute)}
	recs := apply(s, env(t0.Add(time.Minute), note("g", first, lower)))
	assert.Equal(t, []incident.Kind{incident.KindAlertFired}, kinds(recs), "a less urgent alert joins without lowering")
	assert.Equal(t, incident.SEV2, recs[0].State.Severity)

	higher := alertSpec{fp: "f3", name: "AIDrift", severity: "CRITICAL", start: t0.Add(2 * time.Minute)}
	recs = apply(s, env(t0.Add(2*time.Minute), note("g", first, lower, higher)))
	require.Equal(t, []incident.Kind{incident.KindAlertFired, incident.KindSeverityChanged}, kinds(recs))
	assert.Equal(t, id, recs[0].Event.IncidentID)
	assert.Equal(t, incident.SEV1, recs[1].State.Severity)
	assert.Equal(t, 3, recs[1].State.AlertCount)

	// One alert resolves: event at its endsAt, not at arrival.
	end := t0.Add(3 * time.Minute)
	lowerDone := lower
	lowerDone.end = end
	recs = apply(s, env(t0.Add(8*time.Minute), note("g", first, lowerDone, higher)))
	require.Equal(t, []incident.Kind{incident.KindAlertResolved}, kinds(recs))
	assert.Equal(t, end, recs[0].Event.At)
	assert.Equal(t, 2, recs[0].State.FiringCount)
	assert.Empty(t, apply(s, env(t0.Add(9*time.Minute), note("g", lowerDone))), "resolved twice")

	// All clear on a SEV1 incident: not resolved automatically (default: SEV3 only).
	firstDone, higherDone := first, higher
	firstDone.end, higherDone.end = end, end
	recs = apply(s, env(t0.Add(10*time.Minute), note("g", firstDone, higherDone)))
	assert.Equal(t, []incident.Kind{incident.KindAlertResolved, incident.KindAlertResolved}, kinds(recs))
	assert.Equal(t, incident.Declared, recs[1].State.Status)
	assert.Equal(t, 0, recs[1].State.FiringCount)
}

func TestAutoResolveSEV3AndReopen(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	a := alertSpec{fp: "f1", name: "AIErrorRateHigh", severity: "info", start: t0}
	id := apply(s, env(t0, note("g", a)))[0].Event.IncidentID
	done := a
	done.end = t0.Add(5 * time.Minute)
	recs := apply(s, env(t0.Add(6*time.Minute), note("g", done)))
	require.Equal(t, []incident.Kind{incident.KindAlertResolved, incident.KindResolved}, kinds(recs))
	assert.Equal(t, done.end, recs[1].Event.At)
	assert.Equal(t, incident.Resolved, recs[1].State.Status)
	assert.Equal(t, "firebreak", recs[1].Event.Actor)

	// The same alert fires again (new episode) within the reopen window: the incident reopens.
	refire := alertSpec{fp: "f1", name: "AIErrorRateHigh", severity: "info", start: t0.Add(30 * time.Minute)}
	recs = apply(s, env(t0.Add(30*time.Minute), note("g", refire)))
	require.Equal(t, []incident.Kind{incident.KindReopened, incident.KindAlertFired}, kinds(recs))
	assert.Equal(t, id, recs[0].Event.IncidentID)
	assert.Equal(t, incident.Declared, recs[1].State.Status)

	// Another alert of the same group joins the reopened incident.
	other := alertSpec{fp: "f9", name: "AIErrorRateHigh", severity: "info", start: t0.Add(31 * time.Minute)}
	recs = apply(s, env(t0.Add(31*time.Minute), note("g", other)))
	assert.Equal(t, id, recs[0].Event.IncidentID)

	// Resolve again, then a re-fire after the window: a new incident.
	refireDone, otherDone := refire, other
	refireDone.end, otherDone.end = t0.Add(40*time.Minute), t0.Add(40*time.Minute)
	recs = apply(s, env(t0.Add(41*time.Minute), note("g", refireDone, otherDone)))
	assert.Equal(t, incident.KindResolved, recs[len(recs)-1].Event.Kind)
	late := alertSpec{fp: "f1", name: "AIErrorRateHigh", severity: "info", start: t0.Add(40*time.Minute + time.Hour + time.Second)}
	recs = apply(s, env(late.start, note("g", late)))
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindAlertFired}, kinds(recs))
	assert.NotEqual(t, id, recs[0].Event.IncidentID)
}

func TestClosedIncidentIsNeverReopenedByAlerts(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	a := alertSpec{fp: "f1", name: "X", severity: "info", start: t0}
	recs := apply(s, env(t0, note("g", a)))
	inc := s.incident(recs[0].Event.IncidentID)
	for _, k := range []incident.Kind{incident.KindResolved, incident.KindClosed} {
		_, err := inc.Append(k, t0.Add(time.Minute), t0, "user:alice", "", incident.StatusBody{})
		require.NoError(t, err)
	}
	// Still firing: a repeat notification of the same episode is recognized, not a new incident.
	assert.Empty(t, apply(s, env(t0.Add(2*time.Minute), note("g", a))))
	refire := alertSpec{fp: "f1", name: "X", severity: "info", start: t0.Add(3 * time.Minute)}
	recs = apply(s, env(t0.Add(3*time.Minute), note("g", refire)))
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindAlertFired}, kinds(recs))
	assert.NotEqual(t, inc.ID, recs[0].Event.IncidentID)
}

func TestResolvedAlertSeenFirstAndMixedNotification(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	n := note("g", alertSpec{fp: "f1", name: "AIPromptInjectionDetected", severity: "critical", start: t0},
		alertSpec{fp: "f2", name: "AIPromptInjectionDetected", severity: "critical", start: t0.Add(-time.Hour), end: t0.Add(-50 * time.Minute)})
	recs := apply(s, env(t0, n))
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindTaxonomyUpdated, incident.KindAlertFired, incident.KindAlertFired,
		incident.KindAlertResolved}, kinds(recs))
	assert.Equal(t, incident.SEV1, recs[0].State.Severity)
	assert.Equal(t, incident.PromptInjection, recs[0].State.Category)
	assert.Equal(t, 1, recs[4].State.FiringCount)
	assert.Equal(t, 2, recs[4].State.AlertCount)
	assert.Empty(t, apply(s, env(t0.Add(time.Second), n)))
}

func TestTruncationRecordedOnce(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	n := note("g", alertSpec{fp: "f1", name: "X", severity: "warning", start: t0})
	n.TruncatedAlerts = 7
	recs := apply(s, env(t0, n))
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindAlertFired, incident.KindAlertsTruncated}, kinds(recs))
	assert.Contains(t, recs[2].Event.Message, "7 alerts")
	assert.Empty(t, apply(s, env(t0.Add(time.Second), n)), "the same gap from a retry or HA peer")
	n.TruncatedAlerts = 9
	assert.Equal(t, []incident.Kind{incident.KindAlertsTruncated}, kinds(apply(s, env(t0.Add(2*time.Second), n))))
}

func TestUnknownSeverityAndMissingSystem(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	n := note("g", alertSpec{fp: "f1", name: "Weird", severity: "apocalyptic", start: t0})
	delete(n.Alerts[0].Labels, "ai_system")
	n.Alerts[0].Labels["job"] = "scorer"
	recs := apply(s, env(t0, n))
	assert.Equal(t, incident.SEV2, recs[0].State.Severity)
	assert.Equal(t, "scorer", recs[0].State.AISystem)
	assert.Equal(t, incident.Other, recs[0].State.Category)
}

// After a crash the state is rebuilt from what was stored; replaying the notifications whose events were already
// written must produce nothing, and the state must match the one that never crashed.
func TestReplayAfterReloadIsANoop(t *testing.T) {
	m := incident.DefaultMapping()
	live := NewState(m)
	notes := []Envelope{
		env(t0, note("g", alertSpec{fp: "f1", name: "X", severity: "info", start: t0})),
		env(t0.Add(time.Minute), note("g", alertSpec{fp: "f1", name: "X", severity: "info", start: t0}, alertSpec{fp: "f2", name: "X", severity: "critical", start: t0.Add(time.Minute)})),
		env(t0.Add(2*time.Minute), note("h", alertSpec{fp: "f3", name: "Y", severity: "info", start: t0, end: t0.Add(time.Minute)})),
	}
	notes[1].Notification.TruncatedAlerts = 2
	byIncident := map[string][]incident.Event{}
	for _, e := range notes {
		for _, r := range apply(live, e) {
			byIncident[r.Event.IncidentID] = append(byIncident[r.Event.IncidentID], r.Event)
		}
	}
	var folded []*incident.Incident
	for _, events := range byIncident {
		inc, err := incident.Fold(events)
		require.NoError(t, err)
		folded = append(folded, inc)
	}
	reloaded := NewState(m)
	reloaded.Load(folded)
	for _, e := range notes {
		assert.Empty(t, apply(reloaded, e))
	}
	next := env(t0.Add(3*time.Minute), note("g", alertSpec{fp: "f4", name: "X", severity: "info", start: t0.Add(3 * time.Minute)}))
	a, b := apply(live, next), apply(reloaded, next)
	require.Len(t, b, len(a))
	for i := range a {
		assert.Equal(t, a[i].Event, b[i].Event)
	}
}

func TestSweepForgetsFinishedIncidents(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	a := alertSpec{fp: "f1", name: "X", severity: "info", start: t0, end: t0.Add(time.Minute)}
	apply(s, env(t0, note("g", a)))
	incs, eps := s.Size()
	assert.Equal(t, 1, incs)
	assert.Equal(t, 1, eps)
	apply(s, env(t0.Add(3*time.Hour), note("other", alertSpec{fp: "f2", name: "Y", severity: "warning", start: t0.Add(3 * time.Hour)})))
	incs, eps = s.Size()
	assert.Equal(t, 1, incs, "the resolved SEV3 incident is forgotten after the reopen window")
	assert.Equal(t, 1, eps)

	// The forgotten incident's slot is reused; nothing of its alerts leads to the incident now in it.
	third := apply(s, env(t0.Add(3*time.Hour+time.Second), note("third", alertSpec{fp: "f3", name: "Z", severity: "warning", start: t0.Add(3 * time.Hour)})))
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindAlertFired}, kinds(third))
	assert.Len(t, s.slots, 2, "the freed slot is reused")
	refire := apply(s, env(t0.Add(3*time.Hour+2*time.Second), note("g", alertSpec{fp: "f1", name: "X", severity: "info", start: t0.Add(3 * time.Hour)})))
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindAlertFired}, kinds(refire))
	assert.NotEqual(t, third[0].Event.IncidentID, refire[0].Event.IncidentID)
}

func apply(s *State, e Envelope) []store.Record {
	recs, _ := s.Apply(e)
	return recs
}

func TestOutcome(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	n := note("g", alertSpec{fp: "f1", name: "X", severity: "info", start: t0}, alertSpec{fp: "f2", name: "X", severity: "info", start: t0})
	_, out := s.Apply(env(t0, n))
	assert.Len(t, out.Declared, 1)
	assert.Zero(t, out.Duplicates)
	_, out = s.Apply(env(t0, n))
	assert.Empty(t, out.Declared)
	assert.Equal(t, 2, out.Duplicates)
}

// An incident reopened by an alert of another group is that group's open incident too; once it is forgotten, a new
// alert of that group declares a new incident instead of joining whatever took its place.
func TestForgottenIncidentLeavesEveryGroup(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	first := apply(s, env(t0, note("g1", alertSpec{fp: "f1", name: "X", severity: "info", start: t0})))
	x := first[0].Event.IncidentID
	apply(s, env(t0.Add(10*time.Minute), note("g1", alertSpec{fp: "f1", name: "X", severity: "info", start: t0, end: t0.Add(5 * time.Minute)})))
	again := alertSpec{fp: "f1", name: "X", severity: "info", start: t0.Add(20 * time.Minute)}
	reopened := apply(s, env(again.start, note("g2", again)))
	require.Equal(t, incident.KindReopened, reopened[0].Event.Kind)
	require.Equal(t, x, reopened[0].Event.IncidentID)
	again.end = t0.Add(25 * time.Minute)
	apply(s, env(t0.Add(30*time.Minute), note("g2", again)))

	later := t0.Add(3 * time.Hour)
	y := apply(s, env(later, note("h", alertSpec{fp: "f9", name: "Y", severity: "warning", start: later})))[0].Event.IncidentID
	require.False(t, s.Has(x), "forgotten")
	z := apply(s, env(later.Add(time.Second), note("k", alertSpec{fp: "f10", name: "Z", severity: "warning", start: later})))[0].Event.IncidentID
	recs := apply(s, env(later.Add(2*time.Second), note("g2", alertSpec{fp: "f11", name: "W", severity: "warning", start: later})))
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindAlertFired}, kinds(recs))
	assert.NotContains(t, []string{x, y, z}, recs[0].Event.IncidentID)
}

// A late notification of a swept incident names it (load); an unknown alert older than the replay horizon is looked
// up; everything else applies as it is.
func TestUnknownAfterSweep(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	s.ReplayHorizon = 48 * time.Hour
	done := alertSpec{fp: "f1", name: "X", severity: "info", start: t0, end: t0.Add(time.Minute)}
	swept := apply(s, env(t0, note("g", done)))[0].Event.IncidentID
	live := alertSpec{fp: "f2", name: "Y", severity: "warning", start: t0.Add(3 * time.Hour)}
	apply(s, env(t0.Add(3*time.Hour), note("other", live)))
	require.False(t, s.Has(swept), "swept after the reopen window")
	assert.Equal(t, 1, s.PastEpisodes())

	later := t0.Add(5 * time.Hour)
	for _, tc := range []struct {
		name         string
		at           time.Time
		n            *webhook.Notification
		load, lookup []string
	}{
		{"the swept incident's alert again", later, note("g", done), []string{swept}, nil},
		{"a held incident's alert", later, note("other", live), nil, nil},
		{"a new alert", later, note("g", alertSpec{fp: "f3", name: "Z", severity: "info", start: later}), nil, nil},
		{"an unknown alert older than the horizon", later,
			note("g", alertSpec{fp: "f4", name: "Z", severity: "info", start: later.Add(-49 * time.Hour)}),
			nil, []string{incident.AlertKey("f4", later.Add(-49*time.Hour))}},
		{"swept and held alerts together", later, note("g", done, live), []string{swept}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			load, lookup := s.Unknown(env(tc.at, tc.n))
			assert.Equal(t, tc.load, load)
			assert.Equal(t, tc.lookup, lookup)
		})
	}

	// Loaded back, the incident takes the replay as the duplicate it is.
	inc, err := incident.Fold(eventsOf(swept, apply(NewState(incident.DefaultMapping()), env(t0, note("g", done)))))
	require.NoError(t, err)
	s.Load([]*incident.Incident{inc})
	load, lookup := s.Unknown(env(later, note("g", done)))
	assert.Empty(t, load)
	assert.Empty(t, lookup)
	recs, out := s.Apply(env(later, note("g", done)))
	assert.Empty(t, recs)
	assert.Equal(t, 1, out.Duplicates)

	// Remembered for the horizon (and a day of slack) after the sweep, then forgotten.
	s2 := NewState(incident.DefaultMapping())
	s2.ReplayHorizon = 48 * time.Hour
	apply(s2, env(t0, note("g", done)))
	apply(s2, env(t0.Add(3*time.Hour), note("other", live)))
	require.Equal(t, 1, s2.PastEpisodes())
	apply(s2, env(t0.Add(3*time.Hour+72*time.Hour-time.Minute), note("x", alertSpec{fp: "f5", name: "Q", severity: "warning", start: t0.Add(74 * time.Hour)})))
	assert.Equal(t, 1, s2.PastEpisodes(), "kept within horizon + slack")
	apply(s2, env(t0.Add(3*time.Hour+73*time.Hour), note("y", alertSpec{fp: "f6", name: "Q", severity: "warning", start: t0.Add(76 * time.Hour)})))
	assert.Zero(t, s2.PastEpisodes(), "pruned after horizon + slack")
}

func eventsOf(id string, records []store.Record) []incident.Event {
	var out []incident.Event
	for _, r := range records {
		if r.Event.IncidentID == id {
			out = append(out, r.Event)
		}
	}
	return out
}

func TestLoadPast(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	held := apply(s, env(t0, note("g", alertSpec{fp: "f1", name: "X", severity: "warning", start: t0})))[0].Event.IncidentID
	other := "0b9f0a52-5c1c-4df1-9d77-3d3c1a8f1f00"
	require.NoError(t, s.LoadPast(map[string]string{
		incident.AlertKey("f1", t0): held, // held in memory: not past
		incident.AlertKey("f9", t0): other,
	}, t0))
	assert.Equal(t, 1, s.PastEpisodes())
	load, _ := s.Unknown(env(t0, note("g", alertSpec{fp: "f9", name: "X", severity: "warning", start: t0})))
	assert.Equal(t, []string{other}, load)
	assert.ErrorContains(t, s.LoadPast(map[string]string{"k@1": "not-a-uuid"}, t0), `incident id "not-a-uuid"`)
}

// Grafana alerting's links reach the alert events, firing and resolved.
func TestGrafanaLinksReachTheAlertEvents(t *testing.T) {
	s := NewState(incident.DefaultMapping())
	n := note("g1", alertSpec{fp: "f1", name: "FairnessGap", severity: "warning", start: t0})
	n.Source, n.Version, n.OrgID = webhook.Grafana, "1", 1
	links := func(a *webhook.Alert) {
		a.DashboardURL, a.PanelURL = "http://grafana/d/x", "http://grafana/d/x?viewPanel=2"
		a.SilenceURL, a.ImageURL = "http://grafana/alerting/silence/new", "https://images/x.png"
	}
	links(&n.Alerts[0])
	resolved := note("g1", alertSpec{fp: "f1", name: "FairnessGap", severity: "warning", start: t0, end: t0.Add(time.Minute)})
	resolved.Source, resolved.Version, resolved.OrgID = webhook.Grafana, "1", 1
	links(&resolved.Alerts[0])
	recs := append(apply(s, env(t0.Add(time.Second), n)), apply(s, env(t0.Add(2*time.Minute), resolved))...)
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindTaxonomyUpdated, incident.KindAlertFired, incident.KindAlertResolved}, kinds(recs))
	for _, r := range recs[2:] {
		var b incident.AlertBody
		require.NoError(t, json.Unmarshal(r.Event.Body, &b))
		assert.Equal(t, "http://grafana/d/x", b.Alert.DashboardURL, r.Event.Kind)
		assert.Equal(t, "http://grafana/d/x?viewPanel=2", b.Alert.PanelURL, r.Event.Kind)
		assert.Equal(t, "http://grafana/alerting/silence/new", b.Alert.SilenceURL, r.Event.Kind)
		assert.Equal(t, "https://images/x.png", b.Alert.ImageURL, r.Event.Kind)
		assert.Equal(t, "grafana", b.Alert.Source)
	}
}
