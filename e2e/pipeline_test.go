package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// startDemoPipeline starts the demo AI service (with more flags) and a Prometheus that scrapes it every second,
// evaluates the rule pack and sends its alerts to am.
func startDemoPipeline(t *testing.T, am *testenv.Alertmanager, demoArgs ...string) (string, *testenv.Process, *testenv.Prometheus) {
	t.Helper()
	demoPort := testenv.FreePort(t)
	demoURL := fmt.Sprintf("http://127.0.0.1:%d", demoPort)
	demo := testenv.StartBinary(t, testenv.Binary{
		Name: "demo", Path: testenv.GoBuild(t, "demo"),
		Args:     append([]string{"--listen", fmt.Sprintf("127.0.0.1:%d", demoPort), "--rate", "50"}, demoArgs...),
		ReadyURL: demoURL + "/-/healthy",
	})
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{
		Config: fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [ai-incidents.rules.yml]
scrape_configs:
  - job_name: supportbot
    static_configs: [{targets: ["127.0.0.1:%d"]}]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["%s"]}]
`, demoPort, strings.TrimPrefix(am.URL(), "http://")),
		RuleFiles: []string{repoPath(t, "rules/ai-incidents.rules.yml")},
	})
	return demoURL, demo, prom
}

// A fault in the demo AI service makes a real Prometheus rule fire; a real Alertmanager delivers it to the
// receiver, which declares incidents; when the fault is cleared the alerts resolve. SEV1 stays open for a human;
// the SEV3 incident resolves by itself.
func TestRuleFiresIncidentDeclaredAndResolved(t *testing.T) {
	s := startReceiver(t)
	am := testenv.StartAlertmanager(t, testenv.AlertmanagerConfig{Config: s.alertmanagerConfig("")})
	demoURL, _, _ := startDemoPipeline(t, am)

	httpDo(t, "POST", demoURL+"/faults/hallucination", "")
	httpDo(t, "POST", demoURL+"/faults/errors", "")
	s.waitRows(t, 60*time.Second,
		"SELECT category, severity, ai_system, status, alert_count, declared_by FROM {db}.incidents ORDER BY category FORMAT TSV",
		"hallucination\tSEV1\tsupportbot\tdeclared\t1\trule:AIHallucinationRateHigh\n"+
			"other\tSEV3\tsupportbot\tdeclared\t1\trule:AIErrorRateHigh\n")
	s.waitRows(t, 10*time.Second,
		"SELECT i.category, e.seq, e.kind, e.actor FROM {db}.incident_events AS e ALL INNER JOIN {db}.incidents AS i USING incident_id ORDER BY i.category, e.seq FORMAT TSV",
		"hallucination\t1\tdeclared\trule:AIHallucinationRateHigh\nhallucination\t2\ttaxonomy_updated\trule:AIHallucinationRateHigh\n"+
			"hallucination\t3\talert_fired\trule:AIHallucinationRateHigh\n"+
			"other\t1\tdeclared\trule:AIErrorRateHigh\nother\t2\talert_fired\trule:AIErrorRateHigh\n")
	title := s.query(t, "SELECT title FROM {db}.incidents WHERE category = 'hallucination'")
	if !strings.Contains(strings.ToLower(title), "hallucination") {
		t.Errorf("title %q does not come from the rule's summary", title)
	}

	httpDo(t, "DELETE", demoURL+"/faults", "")
	s.waitRows(t, 90*time.Second,
		"SELECT category, status, firing_alert_count, resolved_at IS NULL FROM {db}.incidents ORDER BY category FORMAT TSV",
		"hallucination\tdeclared\t0\t1\nother\tresolved\t0\t0\n")
	s.waitRows(t, 10*time.Second,
		"SELECT i.category, e.kind, e.actor FROM {db}.incident_events AS e ALL INNER JOIN {db}.incidents AS i USING incident_id WHERE e.kind NOT IN ('declared', 'taxonomy_updated', 'alert_fired') ORDER BY i.category, e.seq FORMAT TSV",
		"hallucination\talert_resolved\trule:AIHallucinationRateHigh\nother\talert_resolved\trule:AIErrorRateHigh\nother\tresolved\tfirebreak\n")
}
