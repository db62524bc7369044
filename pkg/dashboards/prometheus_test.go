package dashboards

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// The AI system dashboard's Prometheus queries, expanded as Grafana would, answer series from a real Prometheus
// scraping the demo AI service, with the labels their legends name.
func TestPrometheusPanelsOnTheDemo(t *testing.T) {
	port := testenv.FreePort(t)
	testenv.StartBinary(t, testenv.Binary{Name: "demo", Path: testenv.GoBuild(t, "demo"),
		Args:     []string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--rate", "50"},
		ReadyURL: fmt.Sprintf("http://127.0.0.1:%d/-/healthy", port)})
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Config: fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: supportbot
    static_configs: [{targets: ["127.0.0.1:%d"]}]
`, port)})

	raw := rendered(t)["ai-system-supportbot.json"]
	qs, err := Queries(raw)
	require.NoError(t, err)
	vars, err := DefaultVars(raw, "unused")
	require.NoError(t, err)
	delete(vars, "database")
	legendLabel := regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)
	var n int
	for _, q := range qs {
		if q.Datasource != PrometheusUID {
			continue
		}
		n++
		t.Run(q.Title, func(t *testing.T) {
			expr, err := ExpandPromQL(q.Text, Request{Interval: time.Second, Vars: vars}, time.Second)
			require.NoError(t, err)
			var samples []testenv.PromSample
			testenv.WaitFor(t, 30*time.Second, 500*time.Millisecond, func() (bool, string) {
				samples = prom.Query(t, expr)
				return len(samples) > 0, "no series yet for " + expr
			})
			for _, s := range samples {
				for _, m := range legendLabel.FindAllStringSubmatch(q.Legend, -1) {
					assert.Contains(t, s.Metric, m[1], "%s: the legend's label", expr)
				}
			}
		})
	}
	assert.GreaterOrEqual(t, n, 8, "the dashboard's Prometheus panels")
}
