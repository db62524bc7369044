package webhook

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	amwebhook "github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

func TestDecodeAlertmanagerV4(t *testing.T) {
	n, err := Decode(load(t, "alertmanager-v4.json"))
	require.NoError(t, err)
	assert.Equal(t, Alertmanager, n.Source)
	assert.Equal(t, "firing", n.Status)
	assert.Equal(t, `{}:{ai_system="supportbot", alertname="LLMHallucinationRateHigh"}`, n.GroupKey)
	require.Len(t, n.Alerts, 1)
	a := n.Alerts[0]
	assert.Equal(t, "a1b2c3d4e5f60718", a.Fingerprint)
	assert.Equal(t, time.Date(2026, 11, 25, 10, 0, 0, 123e6, time.UTC), a.StartsAt)
	assert.True(t, a.EndsAt.IsZero())
	assert.True(t, a.Firing())
	assert.Equal(t, "supportbot", a.Labels["ai_system"])
}

func TestDecodeOldAlertmanagerWithoutFingerprintOrGroupKey(t *testing.T) {
	n, err := Decode(load(t, "alertmanager-v3-old.json"))
	require.NoError(t, err)
	assert.Equal(t, Alertmanager, n.Source)
	assert.Equal(t, `firebreak:{alertname="InputDriftHigh"}`, n.GroupKey)
	a := n.Alerts[0]
	// The fingerprint Alertmanager itself would have computed for this label set.
	assert.Equal(t, "ea6fe2277973198f", a.Fingerprint)
	assert.Equal(t, time.Date(2026, 11, 25, 9, 30, 0, 5e8, time.UTC), a.EndsAt)
	assert.Zero(t, n.TruncatedAlerts)
}

func TestDecodeGrafana(t *testing.T) {
	n, err := Decode(load(t, "grafana.json"))
	require.NoError(t, err)
	assert.Equal(t, Grafana, n.Source)
	assert.Equal(t, int64(1), n.OrgID)
	assert.Equal(t, "[FIRING:1] Fairness gap", n.Title)
	a := n.Alerts[0]
	assert.Equal(t, map[string]float64{"A": 0.31, "B": 1}, a.Values)
	assert.Equal(t, "http://grafana/d/x?viewPanel=2", a.PanelURL)
	assert.Equal(t, "http://grafana/d/x", a.DashboardURL)
	assert.Equal(t, "http://grafana/alerting/silence/new", a.SilenceURL)
	assert.Empty(t, a.ImageURL, "no image")
	assert.Equal(t, time.Date(2026, 11, 25, 9, 1, 0, 0, time.UTC), a.StartsAt, "normalized to UTC")
}

func TestDecodeMixedAndTruncated(t *testing.T) {
	n, err := Decode(load(t, "mixed-truncated.json"))
	require.NoError(t, err)
	assert.Equal(t, uint64(3), n.TruncatedAlerts)
	require.Len(t, n.Alerts, 2)
	assert.True(t, n.Alerts[0].Firing())
	assert.False(t, n.Alerts[1].Firing())
}

// A payload built from Alertmanager's own types decodes to the same alerts.
func TestDecodeAlertmanagerOwnTypes(t *testing.T) {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	msg := amwebhook.Message{
		Data: &template.Data{
			Receiver: "firebreak", Status: "resolved",
			Alerts: template.Alerts{{
				Status: "resolved", Labels: template.KV{"alertname": "X", "severity": "info"},
				Annotations: template.KV{"summary": "s"}, StartsAt: start, EndsAt: start.Add(time.Minute),
				GeneratorURL: "http://p/graph", Fingerprint: "00000000000000ff",
			}},
			GroupLabels: template.KV{"alertname": "X"}, CommonLabels: template.KV{"alertname": "X"},
			CommonAnnotations: template.KV{}, ExternalURL: "http://am",
		},
		Version: "4", GroupKey: `{}:{alertname="X"}`, TruncatedAlerts: 2,
	}
	body, err := json.Marshal(msg)
	require.NoError(t, err)
	n, err := Decode(body)
	require.NoError(t, err)
	assert.Equal(t, msg.GroupKey, n.GroupKey)
	assert.Equal(t, uint64(2), n.TruncatedAlerts)
	assert.Equal(t, "00000000000000ff", n.Alerts[0].Fingerprint)
	assert.Equal(t, start.Add(time.Minute), n.Alerts[0].EndsAt)
	assert.Equal(t, map[string]string{"alertname": "X", "severity": "info"}, n.Alerts[0].Labels)
}

func TestDecodeErrors(t *testing.T) {
	valid := string(load(t, "alertmanager-v4.json"))
	alert := func(fields string) string {
		return `{"status":"firing","version":"4","alerts":[{` + fields + `}]}`
	}
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, "empty body"},
		{"JSON whitespace only", " \t\r\n", "empty body"},
		{"form feed is not JSON whitespace", "\f", "invalid JSON at byte 1"},
		{"not json", `hello`, "invalid JSON at byte 1"},
		{"truncated", valid[:len(valid)/2], "body ends in the middle"},
		{"array", `[]`, "expected an object, got an array"},
		{"trailing", valid + `{}`, "unexpected data after the JSON value"},
		{"version", `{"status":"firing","version":"5","alerts":[]}`, `version: unsupported payload version "5"`},
		{"status", `{"status":"pending","version":"4"}`, `status: must be "firing" or "resolved", got "pending"`},
		{"no alerts", `{"status":"firing","version":"4","alerts":[]}`, "alerts: no alerts"},
		{"alerts type", `{"status":"firing","version":"4","alerts":{}}`, "alerts: expected an array, got an object"},
		{"alert status", alert(`"status":"ok","labels":{"a":"b"},"startsAt":"2026-01-01T00:00:00Z"`), `alerts[0].status: must be`},
		{"no labels", alert(`"status":"firing","startsAt":"2026-01-01T00:00:00Z"`), "alerts[0].labels: an alert needs at least one label"},
		{"label type", alert(`"status":"firing","labels":{"a":1}`), "alerts[0].labels.a: expected a string, got 1"},
		{"second alert's label type", `{"status":"firing","version":"4","alerts":[{"status":"firing","labels":{"a":"b"}},{"status":"firing","labels":{"a":"b","severity":["x"]}}]}`, "alerts[1].labels.severity: expected a string, got an array"},
		{"empty label name", alert(`"status":"firing","labels":{"":"b"},"startsAt":"2026-01-01T00:00:00Z"`), "alerts[0].labels: empty name"},
		{"no startsAt", alert(`"status":"firing","labels":{"a":"b"}`), "alerts[0].startsAt: missing"},
		{"bad time", alert(`"status":"firing","labels":{"a":"b"},"startsAt":"yesterday"`), `alerts[0].startsAt: expected a time like "2026-01-02T15:04:05Z" (RFC 3339), got "yesterday"`},
		{"startsAt range", alert(`"status":"firing","labels":{"a":"b"},"startsAt":"2200-01-01T00:00:00Z"`), "alerts[0].startsAt: 2200-01-01T00:00:00Z is out of range"},
		{"resolved no endsAt", alert(`"status":"resolved","labels":{"a":"b"},"startsAt":"2026-01-01T00:00:00Z"`), "alerts[0].endsAt: a resolved alert needs endsAt"},
		{"endsAt before", alert(`"status":"resolved","labels":{"a":"b"},"startsAt":"2026-01-01T00:00:00Z","endsAt":"2025-01-01T00:00:00Z"}],"x":[{`), "alerts[0].endsAt: 2025-01-01T00:00:00Z is before startsAt"},
		{"fingerprint", alert(`"status":"firing","labels":{"a":"b"},"startsAt":"2026-01-01T00:00:00Z","fingerprint":"` + strings.Repeat("f", 200) + `"`), "alerts[0].fingerprint: longer than"},
		{"values type", alert(`"status":"firing","labels":{"a":"b"},"startsAt":"2026-01-01T00:00:00Z","values":{"A":"x"}`), `alerts[0].values.A: expected a number, got "x"`},
		{"sql", `{"status":"firing'; DROP TABLE x; --","version":"4"}`, `status: must be "firing" or "resolved", got "firing'; DROP TABLE x; --"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Decode([]byte(tt.body))
			require.Error(t, err)
			assert.Nil(t, n)
			var we *Error
			require.ErrorAs(t, err, &we)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotRegexp(t, `webhook\.|Go struct field|Go value|json: |cannot unmarshal|float64|time\.Time`, err.Error(), "no Go names")
		})
	}
}

func TestDecodeLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"status":"firing","version":"4","alerts":[`)
	for i := 0; i <= MaxAlerts; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"status":"firing","labels":{"a":"b"},"startsAt":"2026-01-01T00:00:00Z"}`)
	}
	b.WriteString(`]}`)
	_, err := Decode([]byte(b.String()))
	assert.ErrorContains(t, err, "alerts: 10001 alerts in one notification")
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"alertmanager-v4.json", "alertmanager-v3-old.json", "grafana.json", "mixed-truncated.json", "grafana-test-predefined.json", "grafana-test-empty-labels.json"} {
		f.Add(load(f, name))
	}
	f.Add([]byte(`{"status":"firing","version":"4","alerts":[{"status":"firing","labels":{"a":"b"},"startsAt":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"status":"resolved","alerts":[{"status":"resolved","labels":{"\u0000":"b"},"startsAt":"1970-01-01T00:00:00Z","endsAt":"9999-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := Decode(body)
		if err != nil {
			var we *Error
			if !assertAs(err, &we) {
				t.Fatalf("error of type %T, want *webhook.Error: %v", err, err)
			}
			return
		}
		// Whatever is accepted is complete and round-trips through the spool encoding unchanged.
		if n.GroupKey == "" || len(n.Alerts) == 0 || (n.Source != Alertmanager && n.Source != Grafana) {
			t.Fatalf("accepted an incomplete notification: %+v", n)
		}
		for i, a := range n.Alerts {
			if a.Fingerprint == "" || a.StartsAt.IsZero() || a.StartsAt.Location() != time.UTC {
				t.Fatalf("alert %d not normalized: %+v", i, a)
			}
			if !a.Firing() && a.EndsAt.Before(a.StartsAt) {
				t.Fatalf("alert %d ends before it starts", i)
			}
		}
		again, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		n2, err := Decode(again)
		if err != nil {
			t.Fatalf("normalized notification does not decode again: %v\n%s", err, again)
		}
		if n2.GroupKey != n.GroupKey || len(n2.Alerts) != len(n.Alerts) || n2.Alerts[0].Fingerprint != n.Alerts[0].Fingerprint {
			t.Fatalf("round trip changed the notification")
		}
	})
}

func assertAs(err error, target **Error) bool {
	e, ok := err.(*Error)
	*target = e
	return ok
}
