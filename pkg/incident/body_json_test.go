package incident

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The alert body's own encoder writes what encoding/json writes: the body's bytes are hashed into the timeline.
func FuzzAlertBodyJSONMatchesEncodingJSON(f *testing.F) {
	f.Add("fp@1", "0123abcd", "HallucinationRate", "firing", "severity", "critical", "summary", "<b>&</b> \"x\"\n", "http://prom/graph?g0.expr=up%3D%3D0&x=1", "alertmanager", int64(1_700_000_000_123_000_000), int64(0), 0.5, true, "", "", "", "")
	f.Add("", "", "", "resolved", "ünïcödé", "\u2028\x00\xff", "", "", "", "grafana", int64(0), int64(1_700_000_100_000_000_000), math.Inf(1), false,
		"http://grafana/d/x?orgId=1&from=now-1h", "http://grafana/d/x?viewPanel=2", "http://grafana/alerting/silence/new?alertmanager=grafana&matcher=a%3Db", "https://img/<a>.png")
	f.Add("k", "f", "n", "s", "a", "b", "c", "d", "e", "g", int64(-9_000_000_000_000_000_000), int64(9_000_000_000_000_000_000), 1e-7, true, "d", "", "s", "\x00\u2029")
	f.Add("k", "f", "n", "s", "", "", "", "", "", "", int64(math.MaxInt64), int64(math.MinInt64), math.NaN(), true, "", "p", "", "i")
	f.Fuzz(func(t *testing.T, key, fp, name, status, lk, lv, ak, av, url, source string, startNs, endNs int64, value float64, withMaps bool,
		dashboard, panel, silence, image string) {
		a := Alert{Key: key, Fingerprint: fp, Name: name, Status: status, StartsAt: time.Unix(0, startNs).UTC(),
			GeneratorURL: url, DashboardURL: dashboard, PanelURL: panel, SilenceURL: silence, ImageURL: image, Source: source}
		if endNs != 0 {
			a.EndsAt = time.Unix(0, endNs).In(time.FixedZone("x", 3600))
		}
		if withMaps {
			a.Labels = map[string]string{lk: lv, "alertname": name, "z" + lk: lv + "z"}
			a.Annotations = map[string]string{ak: av}
			a.Values = map[string]float64{"A": value, lk: 1}
		}
		body := AlertBody{Alert: a}
		want, wantErr := json.Marshal(body)
		got, ok := body.appendJSON(nil)
		if wantErr != nil {
			require.False(t, ok, "encoding/json failed (%v) where appendJSON did not", wantErr)
			return
		}
		require.True(t, ok, "appendJSON failed where encoding/json wrote %s", want)
		assert.Equal(t, string(want), string(got))
	})
}

// appendJSON writes each of Alert's fields by hand: a field added to Alert must be added there too (and to the
// fuzz target), or alert bodies would silently lose it.
func TestAlertBodyJSONKnowsEveryField(t *testing.T) {
	assert.Equal(t, 15, reflect.TypeFor[Alert]().NumField(), "Alert changed: update AlertBody.appendJSON and this count")
}

func TestMustJSONWritesAlertBodiesAsEncodingJSON(t *testing.T) {
	body := AlertBody{Alert: Alert{Key: "fp@1", Fingerprint: "fp", Name: "X", Status: "firing",
		StartsAt: time.Date(2026, 11, 26, 4, 5, 6, 7, time.UTC), Labels: map[string]string{"b": "2", "a": "1"}, Source: "alertmanager"}}
	want, err := json.Marshal(body)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(mustJSON(body)))
	// A time encoding/json cannot write either is still the same panic, from encoding/json.
	body.Alert.StartsAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Panics(t, func() { mustJSON(body) })
}
