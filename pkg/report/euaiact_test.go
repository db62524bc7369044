package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

var supportbot = AISystemFacts{Name: "Acme Support Assistant", Provider: "Acme GmbH, Berlin", RegistrationID: "EU-AI-0000123",
	Authority: "Bundesnetzagentur", SubmitterRole: "provider", Contact: "Dana Legal, legal@acme.example, +49 30 1234"}

func fixtureEUAIAct(t *testing.T, typ string, sys AISystemFacts) *EUAIAct {
	t.Helper()
	inc, events, snapshot := fixture(t)
	evidence := EvidenceRefs(events)
	evidence[0] = CheckEvidence(evidence[0], &StoredEvidence{SHA256: incident.SnapshotSHA256(snapshot), Content: snapshot})
	r, err := BuildEUAIAct(EUAIActInput{Type: typ, Incident: inc, Events: events, System: sys, Evidence: evidence,
		GeneratedAt: t0.Add(50 * time.Hour), GeneratedBy: "alice"})
	require.NoError(t, err)
	return r
}

func TestEUAIActGolden(t *testing.T) {
	r := fixtureEUAIAct(t, "follow_up", supportbot)
	for _, f := range Formats {
		var b bytes.Buffer
		require.NoError(t, r.Write(&b, f))
		goldenReport(t, "eu-ai-act."+f.Extension(), b.Bytes())
	}
	var b bytes.Buffer
	require.NoError(t, fixtureEUAIAct(t, "initial", AISystemFacts{}).Write(&b, Markdown))
	golden(t, "eu-ai-act-initial-no-settings.md", b.Bytes())
}

// Every field of the template's five sections is in the JSON, for every type, either filled or marked to fill with a
// hint; to_fill lists exactly the marked ones.
func TestEUAIActEveryFieldFilledOrMarked(t *testing.T) {
	want := map[string][]string{
		"administrative":    {"authority", "authority_reference", "report_date", "report_type", "incident_classification", "submitter_role", "submitter_contact", "other_regimes"},
		"ai_system":         {"name", "provider", "registration_id", "version", "model"},
		"incident":          {"description", "effects", "causal_link", "started_at", "detected_at", "aware_at", "contained_at", "resolved_at", "users_affected", "member_states", "remedial_actions"},
		"provider_analysis": {"preliminary_results", "root_cause", "corrective_actions", "risk_assessment"},
	}
	for _, typ := range incident.ReportTypes {
		for _, sys := range []AISystemFacts{supportbot, {}} {
			r := fixtureEUAIAct(t, typ, sys)
			var b bytes.Buffer
			require.NoError(t, r.Write(&b, JSON))
			var got map[string]any
			require.NoError(t, json.Unmarshal(b.Bytes(), &got))
			var marked []string
			check := func(path string, v any) {
				f, ok := v.(map[string]any)
				require.True(t, ok, "%s %s: missing", typ, path)
				if f["to_fill"] == true {
					assert.NotEmpty(t, f["hint"], "%s %s: marked without a hint", typ, path)
					marked = append(marked, path)
				} else {
					assert.NotEmpty(t, f["value"], "%s %s: neither filled nor marked", typ, path)
				}
			}
			for _, section := range []string{"administrative", "ai_system", "incident", "provider_analysis"} {
				m := got[section].(map[string]any)
				assert.Len(t, m, len(want[section]), "%s: fields", section)
				for _, k := range want[section] {
					check(section+"."+k, m[k])
				}
			}
			check("general_comments", got["general_comments"])
			assert.ElementsMatch(t, marked, got["to_fill"], typ)
			assert.Equal(t, true, got["draft"])
			assert.Equal(t, typ, got["report_type"])
		}
	}
	with, without := fixtureEUAIAct(t, "initial", supportbot), fixtureEUAIAct(t, "initial", AISystemFacts{})
	assert.Equal(t, "EU-AI-0000123", with.AISystem.RegistrationID.Value)
	assert.True(t, without.AISystem.RegistrationID.ToFill)
	assert.Less(t, len(with.ToFill), len(without.ToFill), "the settings fill the per-system facts")
	assert.Equal(t, "v2", with.AISystem.Version.Value, "from the alerts' model_version label")
	assert.Equal(t, "Bundesnetzagentur", without.Administrative.Authority.Value, "from the report log")
	assert.Contains(t, with.Incident.RemedialActions.Value, "Roll back to v1 (rollback_model), requested by alice")
	assert.Equal(t, "4f96a0b8b912662135970b08e7e3a9d640f17a3f141df3eb90bdf10576182868", with.Evidence[0].SHA256)
}

func TestEUAIActRefuses(t *testing.T) {
	inc, events, _ := fixture(t)
	_, err := BuildEUAIAct(EUAIActInput{Type: "preliminary", Incident: inc, Events: events})
	assert.EqualError(t, err, `type: "preliminary" is not one of initial, follow_up, combined, final`)
	unflagged := inc.Clone()
	unflagged.Regulatory = nil
	_, err = BuildEUAIAct(EUAIActInput{Type: "initial", Incident: unflagged, Events: events})
	assert.ErrorIs(t, err, ErrNotFlagged)
}

// The content hash identifies what the draft says: the same draft made later or by someone else has the same hash
// (a retry records one event); a draft of a changed timeline, or of another type, has another.
func TestEUAIActContentSHA256(t *testing.T) {
	a := fixtureEUAIAct(t, "initial", supportbot)
	b := fixtureEUAIAct(t, "initial", supportbot)
	b.GeneratedAt, b.GeneratedBy = b.GeneratedAt.Add(time.Hour*30), "bob"
	b.Administrative.ReportDate.Value = "2030-01-01"
	assert.Equal(t, a.ContentSHA256(), b.ContentSHA256())
	assert.NotEqual(t, a.ContentSHA256(), fixtureEUAIAct(t, "final", supportbot).ContentSHA256())

	inc, events, _ := fixture(t)
	drafted, err := incident.Execute(&incident.Command{ID: "d1", Kind: incident.CmdReportDraft, IncidentID: inc.ID,
		Actor: incident.Actor{Login: "alice", Role: incident.Editor}, ReportDraft: &incident.ReportDraftBody{Regime: incident.EUAIAct,
			ReportType: "initial", Schema: EUAIActSchema, SHA256: a.ContentSHA256(), BasedOnSeq: a.BasedOn.Seq}}, inc, t0.Add(49*time.Hour))
	require.NoError(t, err)
	again, err := BuildEUAIAct(EUAIActInput{Type: "initial", Incident: inc, Events: append(events, drafted...), System: supportbot,
		Evidence: a.evidenceChecks(), GeneratedAt: t0})
	require.NoError(t, err)
	assert.Equal(t, a.BasedOn, again.BasedOn, "a draft is not what the next draft is made from")
	assert.Equal(t, a.ContentSHA256(), again.ContentSHA256())

	noted, err := incident.Execute(&incident.Command{ID: "n1", Kind: incident.CmdNote, IncidentID: inc.ID,
		Actor: incident.Actor{Login: "alice", Role: incident.Editor}, Note: &incident.NoteBody{Text: "more"}}, inc, t0.Add(49*time.Hour))
	require.NoError(t, err)
	changed, err := BuildEUAIAct(EUAIActInput{Type: "initial", Incident: inc, Events: append(append(events, drafted...), noted...),
		System: supportbot, Evidence: a.evidenceChecks(), GeneratedAt: t0})
	require.NoError(t, err)
	assert.NotEqual(t, a.ContentSHA256(), changed.ContentSHA256())
}

// evidenceChecks turns the citations back into checks, for building the same report again.
func (r *EUAIAct) evidenceChecks() []EvidenceCheck {
	var out []EvidenceCheck
	for _, e := range r.Evidence {
		out = append(out, EvidenceCheck{SnapshotID: e.SnapshotID, TimelineSeq: e.TimelineSeq, TimelineSHA256: e.SHA256, Verified: e.Verified})
	}
	return out
}

// The incident's classification fills the report's classification and the people affected, and shows in the audit
// report; a harm whose report is due sooner than the flag's tier says is marked to check.
func TestReportsUseTheClassification(t *testing.T) {
	inc, events, _ := fixture(t)
	people := int64(40)
	inc.Taxonomy = &incident.Taxonomy{OWASPLLM: []string{"LLM09"}, ATLASTactics: []string{"AML.TA0004"}, NISTRisks: []string{"confabulation"},
		Harm: "fundamental_rights", PeopleAffected: &people, DeploymentBreadth: "member_state"}
	build := func() *EUAIAct {
		r, err := BuildEUAIAct(EUAIActInput{Type: "initial", Incident: inc, Events: events, GeneratedAt: t0})
		require.NoError(t, err)
		return r
	}
	r := build()
	assert.Equal(t, Value{Value: "infringement of obligations under Union law intended to protect fundamental rights (Art. 3(49)(c))",
		Source: "the incident's harm classification"}, r.Administrative.IncidentClassification)
	assert.Equal(t, "40 people. about 40 customers", r.Incident.UsersAffected.Value)
	assert.False(t, r.Incident.UsersAffected.ToFill)
	assert.NotContains(t, r.ToFill, "administrative.incident_classification")

	// Classified by an alert's labels or the category's defaults: the values stay, for a person to confirm.
	for by, want := range map[string]string{"rule:AIHallucinationRateHigh": "classified by alert rule AIHallucinationRateHigh, not by a person: confirm it",
		incident.SystemActor: "classified by Firebreak from the category's defaults, not by a person: confirm it"} {
		inc.TaxonomyBy = by
		r := build()
		for _, v := range []Value{r.Administrative.IncidentClassification, r.Incident.UsersAffected} {
			assert.True(t, v.ToFill, by)
			assert.Equal(t, want, v.Hint, by)
			assert.NotEmpty(t, v.Value, by)
		}
		assert.Contains(t, r.ToFill, "administrative.incident_classification", by)
	}
	inc.TaxonomyBy = "user:alice"
	assert.False(t, build().Administrative.IncidentClassification.ToFill, "a person's classification")

	inc.Taxonomy.Harm = "death" // the flag's tier is standard (15 days); a death is due in 10
	c := build().Administrative.IncidentClassification
	assert.True(t, c.ToFill)
	assert.Contains(t, c.Hint, "does not match this harm")
	inc.TaxonomyBy = "rule:AIHallucinationRateHigh"
	c = build().Administrative.IncidentClassification
	assert.Equal(t, "classified by alert rule AIHallucinationRateHigh, not by a person: confirm it; the EU AI Act flag's tier (standard) "+
		"does not match this harm, whose report is due sooner: check the tier", c.Hint)
	inc.TaxonomyBy = "user:alice"

	var b bytes.Buffer
	a := fixtureAudit(t)
	a.Incident.Taxonomy, a.Incident.TaxonomyBy = inc.Taxonomy, "user:alice"
	require.NoError(t, a.Write(&b, Markdown))
	assert.Contains(t, b.String(), "## Classification")
	assert.Contains(t, b.String(), "- **Classified by:** alice")
	assert.Contains(t, b.String(), "- **OWASP Top 10 for LLM Applications 2025:** LLM09 Misinformation")
	assert.Contains(t, b.String(), "- **MITRE ATLAS tactics:** AML.TA0004 Initial Access")
}
