package ingest_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/ingest"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// labeledNotification is one firing prompt-injection alert with extra labels.
func labeledNotification(group, fp string, start time.Time, labels string) string {
	return fmt.Sprintf(`{"version":"4","status":"firing","receiver":"firebreak","groupKey":%q,"alerts":[{"status":"firing",
		"fingerprint":%q,"startsAt":%q,"labels":{"alertname":"PromptInjectionDetected","ai_system":"supportbot",
		"severity":"warning"%s},"annotations":{"summary":"injection attempts on supportbot"}}]}`,
		group, fp, start.Format(time.RFC3339), labels)
}

// The classification alerts give an incident, through the processor and ClickHouse: written once, right after the
// declaration and when an alert adds to it, whatever is replayed (while running and after a restart) and however
// often a person's declare is retried; and once a person has classified the incident, a new alert joining it adds
// no classification.
func TestTaxonomyWrittenOnceAcrossReplayAndRestart(t *testing.T) {
	ch, db, st := newDatabase(t)
	spoolDir := t.TempDir()
	const group = `{}:{alertname="PromptInjectionDetected"}`
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	notes := []struct {
		at   time.Time
		body string
	}{
		{start.Add(time.Second), labeledNotification(group, "fp1", start, `,"owasp_llm":"LLM07,LLM99","harm":"other"`)},
		{start.Add(time.Minute), labeledNotification(group, "fp2", start.Add(time.Minute), `,"atlas_tactic":"AML.TA0010"`)},
	}
	r := runProcessor(t, st, spoolDir, 0)
	for _, n := range notes {
		r.notify(n.at, n.body)
	}
	taxonomyEvents := func() string {
		return ch.Query(t, "SELECT actor, message, body FROM "+db+".incident_events WHERE kind = 'taxonomy_updated' ORDER BY incident_id, seq FORMAT TSV")
	}
	testenv.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		out := taxonomyEvents()
		return strings.Count(out, "\n") == 2, out
	})
	kinds := ch.Query(t, "SELECT groupArray(kind) FROM (SELECT kind FROM "+db+".incident_events ORDER BY seq)")
	assert.Equal(t, "['declared','taxonomy_updated','alert_fired','alert_fired','taxonomy_updated']\n", kinds)
	assert.Equal(t, "rule:PromptInjectionDetected\tClassified by alert PromptInjectionDetected from its labels and the prompt_injection defaults: "+
		"LLM01 Prompt Injection; LLM07 System Prompt Leakage; AML.TA0005 Execution; Information Security; harm: other; "+
		`ignored label values that are not valid codes: owasp_llm="LLM99"`+"\t"+
		`{"owasp_llm":["LLM01","LLM07"],"atlas_tactics":["AML.TA0005"],"nist_ai_600_1":["information_security"],"harm":"other"}`+"\n"+
		"rule:PromptInjectionDetected\tClassification extended by alert PromptInjectionDetected from its labels: "+
		"LLM01 Prompt Injection; LLM07 System Prompt Leakage; AML.TA0005 Execution; AML.TA0010 Exfiltration; Information Security; harm: other\t"+
		`{"owasp_llm":["LLM01","LLM07"],"atlas_tactics":["AML.TA0005","AML.TA0010"],"nist_ai_600_1":["information_security"],"harm":"other"}`+"\n",
		taxonomyEvents())

	bob := incident.Actor{Login: "bob", Role: incident.Editor}
	declare := incident.Command{ID: "declare-1", Kind: incident.CmdDeclare, Actor: bob, Declare: &incident.DeclareRequest{
		Title: "Customer data in replies", Severity: incident.SEV2, Category: incident.DataExposure, AISystem: "supportbot", ReportedVia: "support"}}
	res := r.command(start.Add(2*time.Minute), declare)
	require.Len(t, res.Events, 2)
	handID := res.Incident.ID
	testenv.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		out, n := taxonomyEvents(), ch.Query(t, "SELECT count() FROM "+db+".incidents")
		return strings.Count(out, "\n") == 3 && n == "2\n", out + n
	})
	before := storedRows(t, ch, db)

	for _, n := range notes { // replayed while running
		r.notify(n.at, n.body)
	}
	r.waitDuplicates(float64(len(notes)))
	again := r.command(start.Add(3*time.Minute), declare) // a retried declare
	assert.Empty(t, again.Events)
	assert.Equal(t, handID, again.Incident.ID)
	r.stop()
	assert.Equal(t, before, storedRows(t, ch, db), "a replay while running changed stored rows")

	r = runProcessor(t, st, spoolDir, 0)
	for _, n := range notes { // and after a restart
		r.notify(n.at, n.body)
	}
	r.waitDuplicates(float64(len(notes)))
	again = r.command(start.Add(4*time.Minute), declare)
	assert.Empty(t, again.Events)
	assert.Equal(t, before, storedRows(t, ch, db), "a replay after a restart changed stored rows")

	// A person classifies the alerts' incident; an alert joining it later, after a restart (the incident read back
	// from ClickHouse), adds no classification.
	id := strings.TrimSpace(ch.Query(t, "SELECT toString(incident_id) FROM "+db+".incidents WHERE declared_via = 'alertmanager'"))
	mine := incident.Taxonomy{OWASPLLM: []string{"LLM06"}, Harm: "fundamental_rights"}
	r.command(start.Add(5*time.Minute), incident.Command{ID: "classify-1", Kind: incident.CmdTaxonomy, IncidentID: id, Actor: bob, Taxonomy: &mine})
	r.stop()
	r = runProcessor(t, st, spoolDir, 0)
	defer r.stop()
	r.notify(start.Add(6*time.Minute), labeledNotification(group, "fp3", start.Add(6*time.Minute), `,"owasp_llm":"LLM02","atlas_tactics":"AML.TA0011"`))
	testenv.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		out := ch.Query(t, "SELECT count() FROM "+db+".incident_events WHERE incident_id = '"+id+"' AND kind = 'alert_fired'")
		return out == "3\n", "alerts fired: " + out
	})
	kinds = ch.Query(t, "SELECT groupArray(kind) FROM (SELECT kind FROM "+db+".incident_events WHERE incident_id = '"+id+"' ORDER BY seq)")
	assert.Equal(t, "['declared','taxonomy_updated','alert_fired','alert_fired','taxonomy_updated','taxonomy_updated','alert_fired']\n", kinds)
	inc, err := st.LoadIncident(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, mine, *inc.Taxonomy)
	assert.Equal(t, "user:bob", inc.TaxonomyBy)
}

// Label values left out of a classification, invalid or conflicting, are counted by label and reason and logged at
// most once a minute for a label and reason, and named in the timeline; a replay counts nothing again.
func TestTaxonomyIgnoredCountedAndLogged(t *testing.T) {
	ch, db, st := newDatabase(t)
	var logs bytes.Buffer // read once the processor stopped
	r := startProcessor(t, st, t.TempDir(), func(p *ingest.Processor) { p.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	const group = `{}:{alertname="PromptInjectionDetected"}`
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	notes := []string{labeledNotification(group, "fp0", start, `,"owasp_llm":"LLM11","harm":"other"`)}
	for i := 1; i <= 3; i++ {
		notes = append(notes, labeledNotification(group, fmt.Sprintf("fp%d", i), start.Add(time.Duration(i)*time.Minute),
			fmt.Sprintf(`,"owasp_llm":"LLM1%d","harm":"death"`, i)))
	}
	for i, n := range notes {
		r.notify(start.Add(time.Duration(i)*time.Minute+time.Second), n)
	}
	counted := func(label, reason string) float64 {
		return testutil.ToFloat64(r.metrics.TaxonomyIgnored.WithLabelValues(label, reason))
	}
	testenv.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		n := ch.Query(t, "SELECT count() FROM "+db+".incident_events WHERE kind = 'alert_fired'")
		return n == "4\n" && counted("harm", "conflict") == 3, n
	})
	assert.Equal(t, 4.0, counted("owasp_llm", "invalid"))
	assert.Equal(t, 3.0, counted("harm", "conflict"))

	assert.Equal(t, "Alert PromptInjectionDetected fired\n"+
		`Alert PromptInjectionDetected fired; ignored label values that are not valid codes: owasp_llm="LLM11"; `+
		`ignored label values that conflict with the incident's classification: harm="death" (kept other)`+"\n",
		ch.Query(t, "SELECT message FROM "+db+".incident_events WHERE kind = 'alert_fired' ORDER BY seq LIMIT 2 FORMAT TSVRaw"))

	for i, n := range notes { // replayed
		r.notify(start.Add(time.Duration(i)*time.Minute+time.Second), n)
	}
	r.waitDuplicates(float64(len(notes)))
	assert.Equal(t, 4.0, counted("owasp_llm", "invalid"))
	assert.Equal(t, 3.0, counted("harm", "conflict"))
	r.stop()
	assert.Equal(t, 1, strings.Count(logs.String(), `msg="taxonomy label value ignored" label=owasp_llm value=LLM11 reason=invalid`), logs.String())
	assert.Equal(t, 1, strings.Count(logs.String(), `msg="taxonomy label value ignored" label=harm value=death reason=conflict`), logs.String())
	assert.Equal(t, 2, strings.Count(logs.String(), "taxonomy label value ignored"), "one line a minute for each label and reason")
}
