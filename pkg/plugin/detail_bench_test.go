package plugin

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// bigTimeline is a stored timeline (bodies as JSON, as read from ClickHouse) of an incident declared by an alert
// group of n alerts, as one Alertmanager notification brings them, of which resolved have resolved since, plus
// notes people wrote.
func bigTimeline(tb testing.TB, n, resolved, notes int) []incident.Event {
	tb.Helper()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	inc := &incident.Incident{ID: "6d3f2c1e-0000-4000-8000-000000000001"}
	var events []incident.Event
	add := func(kind incident.Kind, at time.Time, actor, msg string, body any) {
		e, err := inc.Append(kind, at, at, actor, msg, body)
		require.NoError(tb, err)
		events = append(events, e)
	}
	add(incident.KindDeclared, t0, "rule:PodCrashLooping", "Declared", incident.DeclaredBody{Title: "Inference pods crash-looping",
		AISystem: "supportbot", Category: incident.Other, Severity: incident.SEV1, DeclaredBy: "rule:PodCrashLooping",
		DeclaredVia: "alertmanager", GroupKey: `{}:{alertname="PodCrashLooping"}`, StartedAt: t0})
	alert := func(i int) incident.Alert {
		start := t0.Add(time.Duration(i) * time.Millisecond)
		fp := fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
		return incident.Alert{Key: incident.AlertKey(fp, start), Fingerprint: fp, Name: "PodCrashLooping", Status: "firing",
			StartsAt: start, Source: "alertmanager",
			Labels: map[string]string{"alertname": "PodCrashLooping", "ai_system": "supportbot", "severity": "critical",
				"category": "other", "namespace": fmt.Sprintf("inference-%d", i%7), "pod": fmt.Sprintf("supportbot-%d-%05d", i%40, i),
				"instance": fmt.Sprintf("10.0.%d.%d:9090", i/250, i%250), "job": "kubernetes-pods", "zone": []string{"a", "b", "c"}[i%3]},
			Annotations: map[string]string{"summary": "Inference pod is crash-looping",
				"description": fmt.Sprintf("Pod supportbot-%d-%05d restarted 5 times in 10 minutes", i%40, i),
				"runbook_url": "https://runbooks.example.com/ai/pod-crash-looping"},
			GeneratorURL: "http://prometheus:9090/graph?g0.expr=increase%28kube_pod_container_status_restarts_total%5B10m%5D%29+%3E+3"}
	}
	for i := range n {
		a := alert(i)
		add(incident.KindAlertFired, a.StartsAt, "rule:"+a.Name, "Alert "+a.Name+" fired", incident.AlertBody{Alert: a})
	}
	for i := range resolved {
		a := alert(i * (n / max(resolved, 1)))
		a.Status, a.EndsAt = "resolved", t0.Add(time.Hour+time.Duration(i)*time.Second)
		add(incident.KindAlertResolved, a.EndsAt, "rule:"+a.Name, "Alert "+a.Name+" resolved", incident.AlertBody{Alert: a})
	}
	for i := range notes {
		at := t0.Add(2*time.Hour + time.Duration(i)*time.Minute)
		add(incident.KindNote, at, "user:alice", "Note", incident.NoteBody{Text: fmt.Sprintf("Checked node pool %d: still restarting", i)})
	}
	return events
}

// legacyDetail is the incident detail as it was answered before alert_summary and paging: every alert and the
// whole timeline. The benchmarks' baseline.
type legacyDetail struct {
	Incident      *incident.Incident `json:"incident"`
	SLA           incident.SLAState  `json:"sla"`
	Regulatory    []ClockState       `json:"regulatory"`
	ReviewMissing []string           `json:"review_missing"`
	Escalation    []Contact          `json:"escalation"`
	Alerts        []incident.Alert   `json:"alerts"`
}

func (a *App) legacyAnswer(w *httptest.ResponseRecorder, inc *incident.Incident, events []incident.Event) error {
	alerts, err := incident.AlertsOf(events)
	if err != nil {
		return err
	}
	now := a.now()
	d := legacyDetail{Incident: inc, SLA: a.settings.SLA.SLA(inc, now), Escalation: []Contact{}, Alerts: alerts,
		ReviewMissing: inc.ReviewMissing(), Regulatory: []ClockState{}}
	head, err := json.Marshal(d)
	if err != nil {
		return err
	}
	writeWithTimeline(w, head, events)
	return nil
}

func benchApp() *App {
	return &App{settings: &Settings{SLA: incident.DefaultSLATargets()}, now: time.Now}
}

// BenchmarkIncidentDetail measures the plugin's side of GET incidents/{id} (fold, alerts, summary, pages, JSON)
// on timelines already read, against the answer before paging (every alert and event) as the baseline:
//
//	go test -run '^$' -bench BenchmarkIncidentDetail -benchtime 20x ./pkg/plugin/
func BenchmarkIncidentDetail(b *testing.B) {
	for _, tc := range []struct {
		name                   string
		alerts, resolved, note int
	}{
		{"10000_alerts", 10000, 1000, 20},
		{"1000_events", 400, 100, 499}, // the size of the seeded database's big incident
	} {
		events := bigTimeline(b, tc.alerts, tc.resolved, tc.note)
		a := benchApp()
		b.Run(tc.name+"/legacy_full", func(b *testing.B) {
			var size int
			for b.Loop() {
				inc, err := incident.Fold(events)
				require.NoError(b, err)
				w := httptest.NewRecorder()
				require.NoError(b, a.legacyAnswer(w, inc, events))
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "answer_bytes")
		})
		b.Run(tc.name+"/paged", func(b *testing.B) {
			var size int
			for b.Loop() {
				inc, err := incident.Fold(events)
				require.NoError(b, err)
				d, err := a.detail(inc, events, defaultTimelineLimit, defaultAlertsLimit)
				require.NoError(b, err)
				w := httptest.NewRecorder()
				writeIncidentDetail(w, d)
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "answer_bytes")
		})
		b.Run(tc.name+"/alerts_page", func(b *testing.B) { // GET incidents/{id}/alerts?cursor=<middle>&limit=1000
			var size int
			for b.Loop() {
				x, err := incident.IndexAlerts(events)
				require.NoError(b, err)
				mid := x.Episode(x.Len() / 2)
				page, next := pageAlerts(x, &alertsCursor{AfterStart: mid.StartsAt.UnixNano(), AfterKey: mid.Key}, "", maxAlertsLimit)
				alerts, err := alertsAt(x, page)
				require.NoError(b, err)
				w := httptest.NewRecorder()
				writeJSON(w, 200, AlertsPage{Alerts: alerts, NextCursor: next, Total: x.Len()})
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "answer_bytes")
		})
	}
}
