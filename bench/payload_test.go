//go:build linux

package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/webhook"
)

// The generator's bodies are valid Alertmanager v4 notifications with exactly one alert, a fingerprint of their
// own and the group's key; this keeps the benchmark in step with the decoder without running it.
func TestPayloadsAreOneAlertAlertmanagerNotifications(t *testing.T) {
	p := newPayloads(1, 50)
	start := time.Date(2026, 5, 1, 12, 0, 0, 123e6, time.UTC)
	keys := map[string]bool{}
	fps := map[string]bool{}
	for i := int64(0); i < 200; i++ {
		body, fp := p.body(nil, i, start.Add(time.Duration(i)*time.Millisecond))
		n, err := webhook.Decode(body)
		require.NoError(t, err, string(body))
		assert.Equal(t, webhook.Alertmanager, n.Source)
		assert.Equal(t, "4", n.Version)
		require.Len(t, n.Alerts, 1)
		a := n.Alerts[0]
		assert.Equal(t, fp, a.Fingerprint)
		assert.True(t, a.Firing())
		assert.Equal(t, start.Add(time.Duration(i)*time.Millisecond), a.StartsAt)
		assert.Equal(t, p.groups[i%50].key, n.GroupKey)
		assert.Equal(t, n.GroupLabels["alertname"], a.Labels["alertname"])
		assert.NotEmpty(t, a.Labels["ai_system"])
		keys[n.GroupKey] = true
		fps[fp] = true
	}
	assert.Len(t, keys, 50)
	assert.Len(t, fps, 200)
	assert.NotEqual(t, newPayloads(2, 50).fingerprint(0), p.fingerprint(0), "runs do not share fingerprints")
}

func TestQuantile(t *testing.T) {
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	assert.Equal(t, time.Duration(5), quantile(d, 0.5))
	assert.Equal(t, time.Duration(10), quantile(d, 0.99))
	assert.Equal(t, time.Duration(1), quantile(d, 0))
	assert.Equal(t, time.Duration(10), quantile(d, 1))
	assert.Equal(t, time.Duration(0), quantile(nil, 0.5))
}

func TestBucketQuantile(t *testing.T) {
	m := map[string]float64{
		`x_bucket{le="0.001"}`: 10, `x_bucket{le="0.002"}`: 95, `x_bucket{le="0.004"}`: 99,
		`x_bucket{le="0.008"}`: 100, `x_bucket{le="+Inf"}`: 100, `x_count`: 100,
	}
	assert.Equal(t, fmtMs(2*time.Millisecond), bucketQuantile(m, "x", 0.9))
	assert.Equal(t, fmtMs(4*time.Millisecond), bucketQuantile(m, "x", 0.99))
	assert.Equal(t, "-", bucketQuantile(m, "y", 0.99))
}
