package incident

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAlertsOf(t *testing.T) {
	inc := declared(t)
	first := mustFirst(t)
	events := []Event{first}
	add := func(k Kind, body any) {
		t.Helper()
		e, err := inc.Append(k, t0, t0, SystemActor, string(k), body)
		require.NoError(t, err)
		events = append(events, e)
	}
	late := Alert{Key: "late@2", Fingerprint: "late", Name: "Late", Status: "firing", StartsAt: t0.Add(time.Minute),
		Labels: map[string]string{"alertname": "Late"}, Source: "grafana"}
	early := Alert{Key: "early@1", Fingerprint: "early", Name: "Early", Status: "firing", StartsAt: t0,
		Labels: map[string]string{"alertname": "Early", "q": `it's "quoted"`}, Annotations: map[string]string{"summary": "s"},
		GeneratorURL: "http://prometheus/graph", Values: map[string]float64{"A": 0.25}, Source: "alertmanager"}
	earlyResolved := early
	earlyResolved.Status, earlyResolved.EndsAt = "resolved", t0.Add(2*time.Minute)
	sameStart := Alert{Key: "b-same@1", Fingerprint: "b-same", Name: "NoLabels", Status: "firing", StartsAt: t0, Source: "grafana"}
	add(KindAlertFired, AlertBody{Alert: late})
	add(KindAlertFired, AlertBody{Alert: early})
	add(KindNote, NoteBody{Text: "not an alert"})
	add(KindAlertFired, AlertBody{Alert: sameStart})
	add(KindAlertResolved, AlertBody{Alert: earlyResolved})

	sameStart.Labels = map[string]string{}          // never nil
	want := []Alert{sameStart, earlyResolved, late} // by start, then key
	got, err := AlertsOf(events)
	require.NoError(t, err)
	assert.Equal(t, want, got, "as appended (bodies not decoded)")

	stored := make([]Event, len(events))
	for i, e := range events {
		e.typed = nil
		stored[i] = e
	}
	got, err = AlertsOf(stored)
	require.NoError(t, err)
	assert.Equal(t, want, got, "as read back (bodies decoded)")

	got, err = AlertsOf(stored[:1])
	require.NoError(t, err)
	assert.Empty(t, got)

	for name, body := range map[string]string{
		"not JSON":             `{"alert":`,
		"wrong type":           `{"alert":{"key":"k","starts_at":7}}`,
		"labels not an object": `{"alert":{"key":"k\u0031","labels":[1]}}`,
	} {
		broken := append([]Event{}, stored...)
		broken[2].Body = []byte(body)
		_, err := AlertsOf(broken)
		assert.ErrorContains(t, err, "event 3 (alert_fired)", name)
	}
}

func TestAlertKeyStart(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 123_000_000, time.UTC)
	for _, tc := range []struct {
		key  string
		want time.Time
		err  string
	}{
		{AlertKey("fp", at), at, ""},
		{AlertKey("f@p", at), at, ""},
		{"fp", time.Time{}, "no @"},
		{"fp@soon", time.Time{}, `start time "soon"`},
	} {
		got, err := AlertKeyStart(tc.key)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.key)
			continue
		}
		require.NoError(t, err, tc.key)
		assert.Equal(t, tc.want, got, tc.key)
	}
}

// Grafana's links travel in the alert events' bodies; events stored before they were kept decode as before.
func TestAlertsOfKeepsGrafanaLinks(t *testing.T) {
	inc := declared(t)
	events := []Event{mustFirst(t)}
	grafana := Alert{Key: "g@1", Fingerprint: "g", Name: "Fairness gap", Status: "firing", StartsAt: t0,
		Labels: map[string]string{"alertname": "Fairness gap"}, GeneratorURL: "http://grafana/alerting/grafana/abc/view",
		DashboardURL: "http://grafana/d/x", PanelURL: "http://grafana/d/x?viewPanel=2",
		SilenceURL: "http://grafana/alerting/silence/new", ImageURL: "https://images/x.png", Source: "grafana"}
	e, err := inc.Append(KindAlertFired, t0, t0, RuleActor(grafana.Name), "fired", AlertBody{Alert: grafana})
	require.NoError(t, err)
	assert.Contains(t, string(e.Body), `"generator_url":"http://grafana/alerting/grafana/abc/view","dashboard_url":"http://grafana/d/x",`+
		`"panel_url":"http://grafana/d/x?viewPanel=2","silence_url":"http://grafana/alerting/silence/new","image_url":"https://images/x.png"`)
	e.typed = nil
	// As an older receiver wrote an alert event: no links.
	old := Event{Seq: 3, Kind: KindAlertFired, Body: []byte(`{"alert":{"key":"old@1","fingerprint":"old","alertname":"Old",` +
		`"status":"firing","starts_at":"2026-11-25T10:00:00Z","labels":{"alertname":"Old"},"generator_url":"http://p/graph","source":"alertmanager"}}`)}
	got, err := AlertsOf(append(events, e, old))
	require.NoError(t, err)
	require.Len(t, got, 2)
	byKey := map[string]Alert{got[0].Key: got[0], got[1].Key: got[1]}
	assert.Equal(t, grafana, byKey["g@1"])
	assert.Equal(t, Alert{Key: "old@1", Fingerprint: "old", Name: "Old", Status: "firing",
		StartsAt: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Labels: map[string]string{"alertname": "Old"},
		GeneratorURL: "http://p/graph", Source: "alertmanager"}, byKey["old@1"])
}
