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
