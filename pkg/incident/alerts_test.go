package incident

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
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

// headOfDecoded is what alertHeadOf must read of a body: what decoding it gives.
func headOfDecoded(t *testing.T, body []byte) (alertHead, map[string]string) {
	t.Helper()
	a, err := decodeAlert(Event{Body: body})
	require.NoError(t, err)
	return alertHead{key: a.Key, status: a.Status, startsAt: a.StartsAt}, a.Labels
}

func labelsOf(h alertHead) map[string]string {
	m := map[string]string{}
	eachLabel(h.labels, func(k, v []byte) { m[string(k)] = string(v) })
	return m
}

func TestAlertHeadOf(t *testing.T) {
	start := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	for _, tc := range []struct {
		name  string
		alert Alert
		read  bool // alertHeadOf reads it (else the body is decoded)
	}{
		{"firing", Alert{Key: "fp@1", Fingerprint: "fp", Name: "X", Status: "firing", StartsAt: start,
			Labels: map[string]string{"alertname": "X", "pod": "p-1"}, Annotations: map[string]string{"summary": `"quoted" <b>`}}, true},
		{"resolved, ends_at", Alert{Key: "fp@1", Fingerprint: "fp", Name: "X", Status: "resolved", StartsAt: start,
			EndsAt: start.Add(time.Hour), Labels: map[string]string{"a": "1"}}, true},
		{"no labels (null)", Alert{Key: "k", Status: "firing", StartsAt: start}, true},
		{"empty labels", Alert{Key: "k", Status: "firing", StartsAt: start, Labels: map[string]string{}}, true},
		{"UTF-8 label", Alert{Key: "k", Status: "firing", StartsAt: start, Labels: map[string]string{"zone": "zürich ✓"}}, true},
		{"in another zone", Alert{Key: "k", Status: "firing", StartsAt: start.In(time.FixedZone("x", 3600)), Labels: map[string]string{"a": "b"}}, true},
		{"escaped label value", Alert{Key: "k", Status: "firing", StartsAt: start, Labels: map[string]string{"q": `it's "quoted"`}}, false},
		{"label value HTML-escaped", Alert{Key: "k", Status: "firing", StartsAt: start, Labels: map[string]string{"q": "a&b"}}, false},
		{"escaped key", Alert{Key: "k\"", Status: "firing", StartsAt: start}, false},
		{"control character in the name", Alert{Key: "k", Name: "a\nb", Status: "firing", StartsAt: start}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := mustJSON(AlertBody{Alert: tc.alert})
			h, ok := alertHeadOf(body)
			require.Equal(t, tc.read, ok, "%s", body)
			if !ok {
				return
			}
			want, wantLabels := headOfDecoded(t, body)
			assert.Equal(t, want.key, h.key)
			assert.Equal(t, want.status, h.status)
			assert.Equal(t, want.startsAt, h.startsAt)
			assert.Equal(t, wantLabels, labelsOf(h))
		})
	}
	for _, b := range []string{
		``, `{}`, `{"alert":{"key":"k"}}`,
		`{"alert":{"fingerprint":"f","key":"k","alertname":"n","status":"firing","starts_at":"2026-01-01T00:00:00Z","labels":{}}}`,
		`{"alert":{"key":"k","fingerprint":"f","alertname":"n","status":"firing","starts_at":"yesterday","labels":{}}}`,
		`{"alert":{"key":"k","fingerprint":"f","alertname":"n","status":"firing","starts_at":"2026-01-01T00:00:00Z","labels":{"a":1}}}`,
		`{"alert":{"key":"k","fingerprint":"f","alertname":"n","status":"firing","starts_at":"2026-01-01T00:00:00Z","labels":{"a":"b"}`,
		`{"alert":{"key":"k","fingerprint":"f","alertname":"n","status":"firing","starts_at":"2026-01-01T00:00:00Z","labels":{"a":"b" }}}`,
		`{"alert":{"key":"k","fingerprint":"f","alertname":"n","status":"firing","starts_at":"2026-01-01T00:00:00Z","labels":{"a":"b",}}}`,
		`{"alert":{"key":"k","fingerprint":"f","alertname":"n","status":"firing","starts_at":"2026-01-01T00:00:00Z","labels":nul}}`,
		"{\"alert\":{\"key\":\"\xff\",\"fingerprint\":\"f\",\"alertname\":\"n\",\"status\":\"firing\",\"starts_at\":\"2026-01-01T00:00:00Z\",\"labels\":{}}}",
	} {
		_, ok := alertHeadOf([]byte(b))
		assert.False(t, ok, b)
	}
}

// Whatever alertHeadOf reads of a body the encoder wrote is what decoding the body gives; and on any input, when
// it reads a body that is exactly what the encoder writes of its decoded alert, the same holds.
func FuzzAlertHeadOf(f *testing.F) {
	f.Add("fp@1", "firing", "alertname", "X", "pod", "p-1", int64(1_700_000_000_123_000_000), int64(0), []byte(nil))
	f.Add("k", "resolved", "zone", "zürich", "q", `"x"`, int64(0), int64(1_700_000_100_000_000_000), []byte(`{"alert":{"key":"k","fingerprint":"","alertname":"","status":"firing","starts_at":"2026-01-01T00:00:00Z","labels":{"a":"b","a":"c"}}}`))
	f.Add("", "", "", "", "\x00", "\u2028", int64(-1), int64(1), []byte(`{"alert":{"key":"k","fingerprint":"f","alertname":"n","status":"firing","starts_at":"2026-01-01T00:00:00+01:00","labels":null,"source":"x"}}`))
	f.Fuzz(func(t *testing.T, key, status, k1, v1, k2, v2 string, startNs, endNs int64, raw []byte) {
		a := Alert{Key: key, Status: status, StartsAt: time.Unix(0, startNs).UTC(), Labels: map[string]string{k1: v1, k2: v2}}
		if endNs != 0 {
			a.EndsAt = time.Unix(0, endNs).UTC()
		}
		bodies := [][]byte{raw}
		if body, ok := (AlertBody{Alert: a}).appendJSON(nil); ok {
			bodies = append(bodies, body)
		}
		for i, body := range bodies {
			h, ok := alertHeadOf(body)
			if !ok {
				continue
			}
			var b AlertBody
			if err := json.Unmarshal(body, &b); err != nil {
				require.Equal(t, 0, i, "the encoder's body does not decode")
				continue
			}
			if again, ok := b.appendJSON(nil); i == 0 && (!ok || !bytes.Equal(again, body)) {
				continue // not as the encoder writes it (a field twice, say): decoding wins
			}
			want, wantLabels := headOfDecoded(t, body)
			require.Equal(t, want.key, h.key)
			require.Equal(t, want.status, h.status)
			require.True(t, want.startsAt.Equal(h.startsAt) && h.startsAt.Location() == time.UTC, "%v vs %v", want.startsAt, h.startsAt)
			require.Equal(t, wantLabels, labelsOf(h))
		}
	})
}

// The index orders, counts and decodes episodes as AlertsOf did with every body decoded, whichever way each body
// is read.
func TestIndexAlertsAgreesWithDecoding(t *testing.T) {
	inc := declared(t)
	events := []Event{mustFirst(t)}
	for i := range 40 {
		labels := map[string]string{"alertname": "X", "pod": fmt.Sprintf("p-%d", i%7)}
		if i%5 == 0 {
			labels["note"] = `needs "escaping" & decoding` // this body is decoded
		}
		a := Alert{Key: fmt.Sprintf("fp%02d@1", i), Fingerprint: fmt.Sprintf("fp%02d", i), Name: "X", Status: "firing",
			StartsAt: t0.Add(time.Duration(i%4) * time.Second), Labels: labels, Source: "alertmanager"}
		e, err := inc.Append(KindAlertFired, a.StartsAt, t0, RuleActor("X"), "fired", AlertBody{Alert: a})
		require.NoError(t, err)
		events = append(events, e)
		if i%3 == 0 {
			a.Status, a.EndsAt = "resolved", t0.Add(time.Hour)
			e, err := inc.Append(KindAlertResolved, a.EndsAt, t0, RuleActor("X"), "resolved", AlertBody{Alert: a})
			require.NoError(t, err)
			events = append(events, e)
		}
	}
	var decoded []Alert
	last := map[string]Alert{}
	for _, e := range events[1:] {
		var b AlertBody
		require.NoError(t, json.Unmarshal(e.Body, &b))
		b.Alert.StartsAt, b.Alert.EndsAt = b.Alert.StartsAt.UTC(), b.Alert.EndsAt.UTC()
		last[b.Alert.Key] = b.Alert
	}
	for _, a := range last {
		decoded = append(decoded, a)
	}
	slices.SortFunc(decoded, func(a, b Alert) int { return cmp.Or(a.StartsAt.Compare(b.StartsAt), cmp.Compare(a.Key, b.Key)) })

	x, err := IndexAlerts(events)
	require.NoError(t, err)
	require.Equal(t, len(decoded), x.Len())
	for i, want := range decoded {
		assert.Equal(t, AlertEpisode{Key: want.Key, Status: want.Status, StartsAt: want.StartsAt}, x.Episode(i))
		got, err := x.Alert(i)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	assert.Equal(t, SummarizeAlerts(decoded, 3, 10), x.Summary(3, 10))
	all, err := AlertsOf(events)
	require.NoError(t, err)
	assert.Equal(t, decoded, all)
}
