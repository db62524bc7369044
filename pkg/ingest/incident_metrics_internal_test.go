package ingest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

func TestDeadlineSamples(t *testing.T) {
	declared := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ts := func(d time.Duration) float64 { return float64(declared.Add(d).Unix()) }
	targets := incident.SLATargets{incident.SEV1: {Acknowledge: 15 * time.Minute, Contain: 4 * time.Hour},
		incident.SEV3: {Acknowledge: 500 * time.Millisecond}}
	base := incident.Deadlines{Severity: incident.SEV1, Status: incident.Declared, Category: incident.Hallucination,
		AISystem: "supportbot", Open: true, DeclaredAt: declared}
	labels := [4]string{"i", "SEV1", "hallucination", "supportbot"}
	with := func(f func(*incident.Deadlines)) incident.Deadlines { d := base; f(&d); return d }
	cases := []struct {
		name string
		in   incident.Deadlines
		want []deadlineSample
	}{
		{"open, nothing reached: both SLA deadlines", base, []deadlineSample{
			{sampleOpen, labels, "declared", 0}, {sampleAcknowledge, labels, "", ts(15 * time.Minute)}, {sampleContain, labels, "", ts(4 * time.Hour)}}},
		{"acknowledged: the acknowledge deadline is gone", with(func(d *incident.Deadlines) { d.Status, d.Acknowledged = incident.Acknowledged, true }),
			[]deadlineSample{{sampleOpen, labels, "acknowledged", 0}, {sampleContain, labels, "", ts(4 * time.Hour)}}},
		{"contained without acknowledgement", with(func(d *incident.Deadlines) { d.Status, d.Contained = incident.Contained, true }),
			[]deadlineSample{{sampleOpen, labels, "contained", 0}, {sampleAcknowledge, labels, "", ts(15 * time.Minute)}}},
		{"a severity without targets: open only", with(func(d *incident.Deadlines) { d.Severity = incident.SEV2 }),
			[]deadlineSample{{sampleOpen, [4]string{"i", "SEV2", "hallucination", "supportbot"}, "declared", 0}}},
		{"a sub-second target counts as a whole second", with(func(d *incident.Deadlines) { d.Severity = incident.SEV3 }),
			[]deadlineSample{{sampleOpen, [4]string{"i", "SEV3", "hallucination", "supportbot"}, "declared", 0},
				{sampleAcknowledge, [4]string{"i", "SEV3", "hallucination", "supportbot"}, "", ts(time.Second)}}},
		{"closed with a regulatory deadline and action items: those only, the earliest item", with(func(d *incident.Deadlines) {
			d.Open, d.Status, d.Acknowledged, d.Contained = false, incident.Closed, true, true
			d.RegulatoryDue = declared.Add(72 * time.Hour)
			d.ActionItemDues = []time.Time{declared.Add(96 * time.Hour), declared.Add(48 * time.Hour)}
		}), []deadlineSample{{sampleRegulatory, labels, "", ts(72 * time.Hour)}, {sampleActionItem, labels, "", ts(48 * time.Hour)}}},
		{"closed, nothing pending: no series", with(func(d *incident.Deadlines) { d.Open, d.Status = false, incident.Closed }), nil},
		{"a drill: no series", with(func(d *incident.Deadlines) { d.Drill = true }), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, deadlineSamples(map[string]incident.Deadlines{"i": tc.in}, targets))
		})
	}
}

func TestObserveMilestones(t *testing.T) {
	declared := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return declared.Add(d) }
	rec := func(kind incident.Kind, when time.Duration, f func(*incident.Incident)) store.Record {
		st := incident.Incident{Severity: incident.SEV1, DeclaredAt: declared}
		if f != nil {
			f(&st)
		}
		return store.Record{Event: incident.Event{Kind: kind, At: at(when)}, State: st}
	}
	cases := []struct {
		name string
		in   []store.Record
		want []milestone
	}{
		{"first acknowledgement", []store.Record{rec(incident.KindAcknowledged, 10*time.Minute, func(s *incident.Incident) { s.AcknowledgedAt = at(10 * time.Minute) })},
			[]milestone{{incident.KindAcknowledged, incident.SEV1, 600}}},
		{"an acknowledgement after a reopen keeps the first time: not counted", []store.Record{rec(incident.KindAcknowledged, 2*time.Hour, func(s *incident.Incident) { s.AcknowledgedAt = at(10 * time.Minute) })}, nil},
		{"first containment, at the severity of the moment", []store.Record{rec(incident.KindContained, time.Hour, func(s *incident.Incident) {
			s.ContainedAt, s.Severity = at(time.Hour), incident.SEV2
		})}, []milestone{{incident.KindContained, incident.SEV2, 3600}}},
		{"a containment not the first: not counted", []store.Record{rec(incident.KindContained, 3*time.Hour, func(s *incident.Incident) { s.ContainedAt = at(time.Hour) })}, nil},
		{"each resolution", []store.Record{rec(incident.KindResolved, 2*time.Hour, nil), rec(incident.KindReopened, 3*time.Hour, nil), rec(incident.KindResolved, 4*time.Hour, nil)},
			[]milestone{{incident.KindResolved, incident.SEV1, 7200}, {incident.KindResolved, incident.SEV1, 14400}}},
		{"an event dated before the declaration counts as 0", []store.Record{rec(incident.KindResolved, -time.Minute, nil)}, []milestone{{incident.KindResolved, incident.SEV1, 0}}},
		{"drills are left out", []store.Record{rec(incident.KindResolved, time.Hour, func(s *incident.Incident) { s.Drill = true })}, nil},
		{"other events: nothing", []store.Record{rec(incident.KindNote, time.Hour, nil), rec(incident.KindClosed, time.Hour, nil)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, observeMilestones(tc.in))
		})
	}
}
