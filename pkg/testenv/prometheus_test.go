package testenv

import (
	"fmt"
	"testing"
	"time"
)

const alwaysFiringRules = `groups:
  - name: testenv
    rules:
      - alert: AlwaysFiring
        expr: vector(1) > 0
        labels:
          severity: page
        annotations:
          summary: always firing
`

func TestPrometheusRuleFiresAndReachesAlertmanager(t *testing.T) {
	t.Parallel()
	am := StartAlertmanager(t, AlertmanagerConfig{})
	start := time.Now()
	prom := StartPrometheus(t, PrometheusConfig{
		Rules:         map[string]string{"always.yml": alwaysFiringRules},
		Alertmanagers: []string{am.URL()},
	})

	if got := prom.Query(t, "vector(42)"); len(got) != 1 || got[0].Value != 42 {
		t.Fatalf("vector(42) = %+v", got)
	}
	if got := prom.Query(t, "scalar(vector(7))"); len(got) != 1 || got[0].Value != 7 {
		t.Fatalf("scalar(vector(7)) = %+v", got)
	}

	WaitFor(t, 10*time.Second, 100*time.Millisecond, func() (bool, string) {
		alerts := prom.Alerts(t)
		for _, a := range alerts {
			if a.Labels["alertname"] == "AlwaysFiring" && a.State == "firing" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("prometheus alerts %+v", alerts)
	})
	t.Logf("rule firing %s after start", time.Since(start).Round(time.Millisecond))

	WaitFor(t, 10*time.Second, 100*time.Millisecond, func() (bool, string) {
		alerts := am.Alerts(t)
		for _, a := range alerts {
			if a.Labels["alertname"] == "AlwaysFiring" && a.Labels["severity"] == "page" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("alertmanager alerts %+v", alerts)
	})
	t.Logf("alert in alertmanager %s after start", time.Since(start).Round(time.Millisecond))
}

func TestPrometheusBadRuleFailsWithLog(t *testing.T) {
	t.Parallel()
	_, err := startPrometheus(t.TempDir(), PrometheusConfig{Rules: map[string]string{"bad.yml": "groups: [{name: x, rules: [{alert: A, expr: 'vector(1' }]}]\n"}})
	if err == nil {
		t.Fatalf("prometheus started with a broken rule file")
	}
	t.Logf("error as expected: %.300s", err)
}
