package ingest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

func people(n int64) *int64 { return &n }

// taxonomyOf decodes a taxonomy_updated record's body.
func taxonomyOf(t *testing.T, r store.Record) incident.Taxonomy {
	t.Helper()
	require.Equal(t, incident.KindTaxonomyUpdated, r.Event.Kind)
	var got incident.Taxonomy
	require.NoError(t, json.Unmarshal(r.Event.Body, &got))
	return got
}

// An alert declaring an incident classifies it from its labels and its category's defaults, right after declared,
// as the rule; bad values are left out and named, never the alert.
func TestTaxonomyAtDeclaration(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mapping   string // YAML over the defaults; "" for the defaults
		alertname string
		labels    map[string]string
		want      *incident.Taxonomy // nil: no taxonomy_updated
		message   string
	}{
		{name: "labels only", alertname: "ModelOutputOdd",
			labels: map[string]string{"owasp_llm": "llm10, LLM06:2025", "atlas_tactic": "aml.ta0011", "nist_ai_600_1": "Information Integrity",
				"harm": "Fundamental-Rights", "people_affected": " 1200 ", "deployment_breadth": "member_state"},
			want: &incident.Taxonomy{OWASPLLM: []string{"LLM06", "LLM10"}, ATLASTactics: []string{"AML.TA0011"},
				NISTRisks: []string{"information_integrity"}, Harm: "fundamental_rights", PeopleAffected: people(1200), DeploymentBreadth: "member_state"},
			message: "Classified by alert ModelOutputOdd from its labels: LLM06 Excessive Agency; LLM10 Unbounded Consumption; AML.TA0011 Impact; " +
				"Information Integrity; harm: fundamental_rights; 1200 people affected; breadth: member_state"},
		{name: "category defaults only", alertname: "AIPromptInjectionDetected",
			want:    &incident.Taxonomy{OWASPLLM: []string{"LLM01"}, ATLASTactics: []string{"AML.TA0005"}, NISTRisks: []string{"information_security"}},
			message: "Classified by alert AIPromptInjectionDetected from the prompt_injection defaults: LLM01 Prompt Injection; AML.TA0005 Execution; Information Security"},
		{name: "labels and defaults: codes of both, each once", alertname: "AIPromptInjectionDetected",
			labels: map[string]string{"owasp_llm": "LLM07,LLM01", "atlas_tactics": "AML.TA0010", "atlas_tactic": "AML.TA0005", "harm": "other"},
			want: &incident.Taxonomy{OWASPLLM: []string{"LLM01", "LLM07"}, ATLASTactics: []string{"AML.TA0005", "AML.TA0010"},
				NISTRisks: []string{"information_security"}, Harm: "other"},
			message: "from its labels and the prompt_injection defaults: LLM01 Prompt Injection; LLM07 System Prompt Leakage"},
		{name: "a label's single value wins over the default's",
			mapping:   "taxonomy:\n  defaults:\n    bias: {harm: other, deployment_breadth: single_deployment}\n",
			alertname: "AIFairnessGapHigh", labels: map[string]string{"harm": "health"},
			want: &incident.Taxonomy{Harm: "health", DeploymentBreadth: "single_deployment"}},
		{name: "invalid values are ignored and named", alertname: "AIDataExposure",
			labels: map[string]string{"owasp_llm": "LLM11, LLM02, ,", "nist_ai_600_1": "hallucination", "harm": "mild", "people_affected": "-3",
				"deployment_breadth": "global"},
			want: &incident.Taxonomy{OWASPLLM: []string{"LLM02"}, NISTRisks: []string{"data_privacy"}},
			message: `LLM02 Sensitive Information Disclosure; Data Privacy; ignored label values that are not valid codes: owasp_llm="LLM11", ` +
				`nist_ai_600_1="hallucination", harm="mild", people_affected="-3", deployment_breadth="global"`},
		{name: "more ignored values than listed are counted", alertname: "ModelOutputOdd",
			labels:  map[string]string{"owasp_llm": "a,b,c,d,e,f,LLM05,g", "people_affected": "many"},
			want:    &incident.Taxonomy{OWASPLLM: []string{"LLM05"}},
			message: `owasp_llm="e" and 3 more`},
		{name: "only invalid values and no defaults: nothing, and the alert's event names them", alertname: "ModelOutputOdd",
			labels:  map[string]string{"owasp_llm": "LLM11", "harm": "catastrophic"},
			message: `; ignored label values that are not valid codes: owasp_llm="LLM11", harm="catastrophic"`},
		{name: "a drift alert with an invalid code", alertname: "AIInputDriftHigh", labels: map[string]string{"owasp_llm": "LLM11"},
			message: `; ignored label values that are not valid codes: owasp_llm="LLM11"`},
		{name: "a category without defaults and no labels: nothing", alertname: "AIInputDriftHigh"},
		{name: "labels the mapping does not read: nothing", mapping: "taxonomy:\n  labels: {owasp_llm: [owasp]}\n",
			alertname: "ModelOutputOdd", labels: map[string]string{"owasp_llm": "LLM01", "harm": "death"}},
		{name: "defaults turned off", mapping: "taxonomy:\n  defaults: {}\n", alertname: "AIPromptInjectionDetected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := incident.DefaultMapping()
			if tc.mapping != "" {
				var err error
				m, err = incident.ParseMapping([]byte(tc.mapping))
				require.NoError(t, err)
			}
			n := note("g", alertSpec{fp: "f1", name: tc.alertname, severity: "warning", start: t0, extra: tc.labels})
			recs, out := NewState(m).Apply(env(t0.Add(time.Second), n))
			if tc.message != "" && tc.want == nil {
				assert.NotEmpty(t, out.Ignored, "the outcome has what was ignored")
			}
			if tc.want == nil {
				require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindAlertFired}, kinds(recs), "the alert is recorded")
				assert.Nil(t, recs[1].State.Taxonomy)
				assert.Equal(t, "Alert "+tc.alertname+" fired"+tc.message, recs[1].Event.Message, "the alert's event names what was ignored")
				return
			}
			assert.Equal(t, "Alert "+tc.alertname+" fired", recs[2].Event.Message)
			require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindTaxonomyUpdated, incident.KindAlertFired}, kinds(recs))
			e := recs[1].Event
			assert.Equal(t, *tc.want, taxonomyOf(t, recs[1]))
			assert.Equal(t, incident.RuleActor(tc.alertname), e.Actor)
			assert.Equal(t, t0.Add(time.Second), e.At, "at the declaration")
			assert.Contains(t, e.Message, tc.message)
			inc := recs[2].State
			require.NotNil(t, inc.Taxonomy)
			assert.Equal(t, *tc.want, *inc.Taxonomy)
			assert.Equal(t, incident.RuleActor(tc.alertname), inc.TaxonomyBy)
			assert.False(t, inc.ClassifiedByPerson())

			// Deterministic: another receiver (or this one after a crash) makes the same event from the same
			// notification, and a repeat makes none.
			again := apply(NewState(m), env(t0.Add(time.Second), n))
			assert.Equal(t, recs[1].Event, again[1].Event)
		})
	}
}

// Alerts joining an incident add what their labels say to a classification rules made, and nothing once a person
// classified it; a repeated notification adds nothing.
func TestTaxonomyOfJoiningAlerts(t *testing.T) {
	first := alertSpec{fp: "f1", name: "AIPromptInjectionDetected", severity: "warning", start: t0}
	second := alertSpec{fp: "f2", name: "AIPromptInjectionDetected", severity: "warning", start: t0.Add(time.Minute),
		extra: map[string]string{"atlas_tactics": "AML.TA0010", "harm": "fundamental_rights", "owasp_llm": "LLM99"}}
	third := alertSpec{fp: "f3", name: "AIDataExposure", severity: "warning", start: t0.Add(2 * time.Minute),
		extra: map[string]string{"atlas_tactics": "AML.TA0005", "harm": "death", "owasp_llm": "bogus"}}
	fourth := alertSpec{fp: "f4", name: "AIDataExposure", severity: "warning", start: t0.Add(3 * time.Minute),
		extra: map[string]string{"owasp_llm": "LLM02"}}
	alice := incident.Actor{Login: "alice", Role: incident.Editor}

	t.Run("rules extend", func(t *testing.T) {
		s := NewState(incident.DefaultMapping())
		apply(s, env(t0, note("g", first)))
		recs, out := s.Apply(env(t0.Add(time.Minute), note("g", first, second)))
		require.Equal(t, []incident.Kind{incident.KindAlertFired, incident.KindTaxonomyUpdated}, kinds(recs))
		assert.Equal(t, "Alert AIPromptInjectionDetected fired", recs[0].Event.Message, "the taxonomy_updated event names what was ignored")
		assert.Equal(t, []IgnoredLabelValue{{IncidentID: recs[0].Event.IncidentID, Alert: "AIPromptInjectionDetected",
			LabelValue: incident.LabelValue{Label: "owasp_llm", Value: "LLM99"}, Reason: IgnoredInvalid}}, out.Ignored)
		assert.Equal(t, incident.Taxonomy{OWASPLLM: []string{"LLM01"}, ATLASTactics: []string{"AML.TA0005", "AML.TA0010"},
			NISTRisks: []string{"information_security"}, Harm: "fundamental_rights"}, taxonomyOf(t, recs[1]))
		assert.Equal(t, "rule:AIPromptInjectionDetected", recs[1].Event.Actor)
		assert.Contains(t, recs[1].Event.Message, `Classification extended by alert AIPromptInjectionDetected from its labels: `)
		assert.Contains(t, recs[1].Event.Message, `ignored label values that are not valid codes: owasp_llm="LLM99"`)

		// Nothing new (a tactic already there; the harm is set and is not replaced; its category's defaults are
		// not the incident's): only the alert, whose event names the invalid and the conflicting values.
		recs, out = s.Apply(env(t0.Add(2*time.Minute), note("g", first, second, third)))
		assert.Equal(t, []incident.Kind{incident.KindAlertFired}, kinds(recs))
		assert.Equal(t, "fundamental_rights", recs[0].State.Taxonomy.Harm)
		assert.Equal(t, `Alert AIDataExposure fired; ignored label values that are not valid codes: owasp_llm="bogus"; `+
			`ignored label values that conflict with the incident's classification: harm="death" (kept fundamental_rights)`, recs[0].Event.Message)
		id := recs[0].Event.IncidentID
		assert.Equal(t, []IgnoredLabelValue{
			{IncidentID: id, Alert: "AIDataExposure", LabelValue: incident.LabelValue{Label: "owasp_llm", Value: "bogus"}, Reason: IgnoredInvalid},
			{IncidentID: id, Alert: "AIDataExposure", LabelValue: incident.LabelValue{Label: "harm", Value: "death"}, Reason: IgnoredConflict},
		}, out.Ignored)

		recs, out = s.Apply(env(t0.Add(3*time.Minute), note("g", first, second, third)))
		assert.Empty(t, recs, "a repeat")
		assert.Empty(t, out.Ignored, "a repeat ignores nothing again")
	})

	t.Run("a conflict is named in the classification's event when there is one", func(t *testing.T) {
		s := NewState(incident.DefaultMapping())
		apply(s, env(t0, note("g", first, second)))
		both := third
		both.extra = map[string]string{"harm": "death", "people_affected": "7", "atlas_tactics": "AML.TA0000"}
		recs, out := s.Apply(env(t0.Add(time.Minute), note("g", first, second, both)))
		require.Equal(t, []incident.Kind{incident.KindAlertFired, incident.KindTaxonomyUpdated}, kinds(recs))
		assert.Equal(t, "Alert AIDataExposure fired", recs[0].Event.Message)
		assert.Equal(t, "Classification extended by alert AIDataExposure from its labels: LLM01 Prompt Injection; AML.TA0000 AI Model Access; AML.TA0005 Execution; "+
			"AML.TA0010 Exfiltration; Information Security; harm: fundamental_rights; 7 people affected; "+
			`ignored label values that conflict with the incident's classification: harm="death" (kept fundamental_rights)`, recs[1].Event.Message)
		require.Len(t, out.Ignored, 1)
		assert.Equal(t, IgnoredConflict, out.Ignored[0].Reason)
	})

	t.Run("a person's classification is theirs", func(t *testing.T) {
		s := NewState(incident.DefaultMapping())
		id := apply(s, env(t0, note("g", first)))[0].Event.IncidentID
		mine := incident.Taxonomy{OWASPLLM: []string{"LLM06"}, Harm: "other"}
		recs, res := s.ApplyCommand(Envelope{ReceivedAt: t0.Add(30 * time.Second), Command: &incident.Command{ID: "c1",
			Kind: incident.CmdTaxonomy, IncidentID: id, Actor: alice, Taxonomy: &mine}})
		require.NoError(t, res.Err)
		require.Len(t, recs, 1)
		assert.Equal(t, "user:alice", res.Incident.TaxonomyBy)
		assert.True(t, res.Incident.ClassifiedByPerson())

		for i, n := range []Envelope{env(t0.Add(time.Minute), note("g", first, second)), env(t0.Add(2*time.Minute), note("g", first, second, third))} {
			recs = apply(s, n)
			assert.Equal(t, []incident.Kind{incident.KindAlertFired}, kinds(recs), "notification %d", i)
			assert.Equal(t, mine, *recs[0].State.Taxonomy)
		}

		// A person who clears the classification keeps it cleared.
		recs, res = s.ApplyCommand(Envelope{ReceivedAt: t0.Add(3 * time.Minute), Command: &incident.Command{ID: "c2",
			Kind: incident.CmdTaxonomy, IncidentID: id, Actor: alice, Taxonomy: &incident.Taxonomy{}}})
		require.NoError(t, res.Err)
		recs = apply(s, env(t0.Add(4*time.Minute), note("g", first, second, third, fourth)))
		assert.Equal(t, []incident.Kind{incident.KindAlertFired}, kinds(recs))
		assert.True(t, recs[0].State.Taxonomy.Empty())
	})
}

// A closed incident's classification is never touched by alerts: its alerts coming again are duplicates, and its
// alert firing again, even within the reopen window (which would reopen and extend it were it only resolved),
// declares a new incident, classified on its own.
func TestTaxonomyOfClosedIncident(t *testing.T) {
	a := alertSpec{fp: "f1", name: "AIPromptInjectionDetected", severity: "info", start: t0, extra: map[string]string{"owasp_llm": "LLM07"}}
	done := a
	done.end = t0.Add(time.Minute)
	again := a
	again.start = t0.Add(5 * time.Minute) // within the reopen window (1h) of the resolution
	again.extra = map[string]string{"owasp_llm": "LLM02"}
	resolved := func() (*State, string) {
		s := NewState(incident.DefaultMapping())
		id := apply(s, env(t0, note("g", a)))[0].Event.IncidentID
		require.Contains(t, kinds(apply(s, env(t0.Add(2*time.Minute), note("g", done)))), incident.KindResolved, "a SEV3 resolves by itself")
		return s, id
	}

	// Only resolved: the alert firing again reopens the incident and its labels extend the classification.
	s, id := resolved()
	recs := apply(s, env(t0.Add(5*time.Minute), note("g", again)))
	require.Equal(t, []incident.Kind{incident.KindReopened, incident.KindAlertFired, incident.KindTaxonomyUpdated}, kinds(recs))
	assert.Equal(t, id, recs[2].Event.IncidentID)
	assert.Equal(t, []string{"LLM01", "LLM02", "LLM07"}, taxonomyOf(t, recs[2]).OWASPLLM)

	// Closed: never.
	s, id = resolved()
	admin := incident.Actor{Login: "root", Role: incident.Admin}
	_, res := s.ApplyCommand(Envelope{ReceivedAt: t0.Add(3 * time.Minute), Command: &incident.Command{ID: "close", Kind: incident.CmdClose,
		IncidentID: id, Actor: admin}})
	require.NoError(t, res.Err)
	closed := res.Incident

	assert.Empty(t, apply(s, env(t0.Add(4*time.Minute), note("g", done))), "its alert again")
	recs = apply(s, env(t0.Add(5*time.Minute), note("g", again)))
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindTaxonomyUpdated, incident.KindAlertFired}, kinds(recs))
	assert.Equal(t, []string{"LLM01", "LLM02"}, taxonomyOf(t, recs[1]).OWASPLLM)
	for _, r := range recs {
		assert.NotEqual(t, id, r.Event.IncidentID, "the closed incident has no new event")
	}
	assert.Equal(t, []string{"LLM01", "LLM07"}, closed.Taxonomy.OWASPLLM)
}

// An incident a person declares starts with its category's defaults too, as Firebreak's event; a retried declare
// adds nothing.
func TestTaxonomyOfHandDeclaredIncident(t *testing.T) {
	declare := func(id string, c incident.Category) *incident.Command {
		return &incident.Command{ID: id, Kind: incident.CmdDeclare, Actor: incident.Actor{Login: "bob", Role: incident.Editor},
			Declare: &incident.DeclareRequest{Title: "Leaked prompts", Severity: incident.SEV2, Category: c, AISystem: "supportbot",
				ReportedVia: incident.ReportChannels[0]}}
	}
	s := NewState(incident.DefaultMapping())
	cmd := declare("d1", incident.DataExposure)
	recs, res := s.ApplyCommand(Envelope{ReceivedAt: t0, Command: cmd})
	require.NoError(t, res.Err)
	require.Equal(t, []incident.Kind{incident.KindDeclared, incident.KindTaxonomyUpdated}, kinds(recs))
	assert.Equal(t, []bool{false, true}, []bool{recs[0].WriteState, recs[1].WriteState}, "the state once, with the last record")
	assert.Len(t, res.Events, 2)
	assert.Equal(t, incident.Taxonomy{OWASPLLM: []string{"LLM02"}, NISTRisks: []string{"data_privacy"}}, taxonomyOf(t, recs[1]))
	assert.Equal(t, incident.SystemActor, recs[1].Event.Actor)
	assert.Equal(t, "Classified from the data_exposure defaults: LLM02 Sensitive Information Disclosure; Data Privacy", recs[1].Event.Message)
	assert.Equal(t, t0, recs[1].Event.At)
	assert.False(t, res.Incident.ClassifiedByPerson())

	again, res := s.ApplyCommand(Envelope{ReceivedAt: t0.Add(time.Second), Command: cmd})
	require.NoError(t, res.Err)
	assert.Empty(t, again, "a retried declare")

	recs, res = s.ApplyCommand(Envelope{ReceivedAt: t0, Command: declare("d2", incident.Drift)})
	require.NoError(t, res.Err)
	assert.Equal(t, []incident.Kind{incident.KindDeclared}, kinds(recs), "drift has no defaults")
	assert.True(t, recs[0].WriteState)
}

// everyKey lets a key through once per interval, each key on its own, and counts what it held back.
func TestEveryKey(t *testing.T) {
	var e everyKey
	type step struct {
		key  string
		at   time.Duration
		ok   bool
		held int
	}
	for i, st := range []step{
		{"a", 0, true, 0}, {"a", time.Second, false, 0}, {"b", time.Second, true, 0}, {"a", 59 * time.Second, false, 0},
		{"a", time.Minute, true, 2}, {"a", time.Minute, false, 0}, {"a", 3 * time.Minute, true, 1}, {"b", 3 * time.Minute, true, 0},
	} {
		ok, held := e.allow(st.key, t0.Add(st.at), time.Minute)
		assert.Equal(t, [2]any{st.ok, st.held}, [2]any{ok, held}, "step %d: %s at %s", i, st.key, st.at)
	}
}
