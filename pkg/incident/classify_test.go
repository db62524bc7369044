package incident

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLabelTaxonomy(t *testing.T) {
	m := DefaultMapping()
	n := func(v int64) *int64 { return &v }
	for _, tt := range []struct {
		name    string
		labels  map[string]string
		want    Taxonomy
		invalid string
	}{
		{"none", map[string]string{"alertname": "X", "severity": "critical"}, Taxonomy{}, ""},
		{"lenient codes", map[string]string{"owasp_llm": " llm09 ,LLM01:2025", "atlas_tactics": "aml.ta0000", "atlas_tactic": "AML.TA0015, AML.TA0000",
			"nist_ai_600_1": "Data-Privacy,confabulation"},
			Taxonomy{OWASPLLM: []string{"LLM01", "LLM09"}, ATLASTactics: []string{"AML.TA0000", "AML.TA0015"}, NISTRisks: []string{"confabulation", "data_privacy"}}, ""},
		{"single values", map[string]string{"harm": "Critical Infrastructure", "people_affected": "0", "deployment_breadth": "cross-border"},
			Taxonomy{Harm: "critical_infrastructure", PeopleAffected: n(0), DeploymentBreadth: "cross_border"}, ""},
		{"empty values and parts", map[string]string{"owasp_llm": " , ,", "harm": "  ", "people_affected": ""}, Taxonomy{}, ""},
		{"invalid values", map[string]string{"owasp_llm": "LLM00,LLM1,LLM02", "atlas_tactics": "AML.TA0016,AML.T0051", "people_affected": "1e3",
			"harm": "deadly", "deployment_breadth": "everywhere"},
			Taxonomy{OWASPLLM: []string{"LLM02"}},
			`owasp_llm="LLM00", owasp_llm="LLM1", atlas_tactics="AML.TA0016", atlas_tactics="AML.T0051", harm="deadly" and 2 more`},
		{"too many people", map[string]string{"people_affected": "99999999999999"}, Taxonomy{}, `people_affected="99999999999999"`},
		{"a long value is cut in the note", map[string]string{"harm": strings.Repeat("x", 500)}, Taxonomy{}, `harm="` + strings.Repeat("x", 50) + `"`},
		{"NIST names with commas among others", map[string]string{"nist_ai_600_1": "Data Privacy, Dangerous, Violent, or Hateful Content,confabulation"},
			Taxonomy{NISTRisks: []string{"confabulation", "dangerous_violent_hateful_content", "data_privacy"}}, ""},
		{"NIST: a part naming no risk is named alone", map[string]string{"nist_ai_600_1": "Violent, Obscene, Degrading, and/or Abusive Content, bias"},
			Taxonomy{NISTRisks: []string{"obscene_degrading_abusive_content"}}, `nist_ai_600_1="Violent", nist_ai_600_1="bias"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := m.LabelTaxonomy(tt.labels)
			assert.Equal(t, tt.want, got.Taxonomy)
			assert.Equal(t, tt.invalid, ListLabelValues(got.Invalid))
			assert.NoError(t, got.Taxonomy.Validate(), "what labels give is always valid")
		})
	}
}

// Every official name of a NIST AI 600-1 risk reads as its risk, in any case and punctuation, commas and all.
func TestLabelTaxonomyNISTNames(t *testing.T) {
	m := DefaultMapping()
	for _, tt := range []struct{ value, want string }{
		{"CBRN Information or Capabilities", "cbrn_information"},
		{"Confabulation", "confabulation"},
		{"Dangerous, Violent, or Hateful Content", "dangerous_violent_hateful_content"},
		{"Data Privacy", "data_privacy"},
		{"Environmental Impacts", "environmental_impacts"},
		{"Harmful Bias or Homogenization", "harmful_bias_homogenization"},
		{"Human-AI Configuration", "human_ai_configuration"},
		{"Information Integrity", "information_integrity"},
		{"Information Security", "information_security"},
		{"Intellectual Property", "intellectual_property"},
		{"Obscene, Degrading, and/or Abusive Content", "obscene_degrading_abusive_content"},
		{"Value Chain and Component Integration", "value_chain_component_integration"},
	} {
		require.Equal(t, tt.value, NISTRisks[tt.want], "the official name")
		for _, v := range []string{tt.value, strings.ToUpper(tt.value), strings.ToLower(tt.value), strings.ReplaceAll(tt.value, " ", "-"),
			strings.ReplaceAll(tt.value, ", ", ","), " " + tt.value + " ,", tt.want, strings.ToUpper(tt.want)} {
			got := m.LabelTaxonomy(map[string]string{"nist_ai_600_1": v})
			assert.Equal(t, []string{tt.want}, got.Taxonomy.NISTRisks, "%q", v)
			assert.Empty(t, got.Invalid, "%q", v)
		}
	}
	got := m.LabelTaxonomy(map[string]string{"nist_ai_600_1": strings.Join(slices.Collect(maps.Values(NISTRisks)), ", ")})
	assert.Equal(t, slices.Sorted(maps.Keys(NISTRisks)), got.Taxonomy.NISTRisks, "all twelve in one label")
	assert.Empty(t, got.Invalid)
}

// A joining alert's single value conflicts with the incident's when both are set and differ.
func TestLabelReadingConflicts(t *testing.T) {
	m := DefaultMapping()
	n := func(v int64) *int64 { return &v }
	m.TaxonomyLabels.Harm = []string{"eu_harm", "harm"}
	r := m.LabelTaxonomy(map[string]string{"harm": "Death", "people_affected": "12", "deployment_breadth": "cross-border", "owasp_llm": "LLM02"})
	for _, tt := range []struct {
		name string
		cur  Taxonomy
		want string
	}{
		{"nothing set", Taxonomy{OWASPLLM: []string{"LLM01"}}, ""},
		{"the same values", Taxonomy{Harm: "death", PeopleAffected: n(12), DeploymentBreadth: "cross_border"}, ""},
		{"all differ", Taxonomy{Harm: "other", PeopleAffected: n(0), DeploymentBreadth: "single_deployment"},
			`harm="death" (kept other), people_affected="12" (kept 0), deployment_breadth="cross_border" (kept single_deployment)`},
		{"one differs", Taxonomy{Harm: "health"}, `harm="death" (kept health)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range r.Conflicts(tt.cur) {
				got = append(got, c.String())
			}
			assert.Equal(t, tt.want, strings.Join(got, ", "))
		})
	}
	c := m.LabelTaxonomy(map[string]string{"eu_harm": "health"}).Conflicts(Taxonomy{Harm: "death"})
	require.Len(t, c, 1)
	assert.Equal(t, Conflict{LabelValue: LabelValue{"eu_harm", "health"}, Field: "harm", Kept: "death"}, c[0], "named by the label read")
	assert.Empty(t, m.LabelTaxonomy(map[string]string{"harm": "lethal"}).Conflicts(Taxonomy{Harm: "death"}), "an invalid value is invalid, not a conflict")
}

func FuzzLabelTaxonomy(f *testing.F) {
	for _, s := range []string{"LLM01", "llm01,LLM02:2025, ,", "AML.TA0005", "Data Privacy", "-1", "1200", "\xff,\x00", strings.Repeat(",", 100),
		"Dangerous, Violent, or Hateful Content", "Obscene, Degrading, and/or Abusive Content, x"} {
		f.Add(s, s)
	}
	m := DefaultMapping()
	f.Fuzz(func(t *testing.T, a, b string) {
		got := m.LabelTaxonomy(map[string]string{"owasp_llm": a, "atlas_tactic": b, "atlas_tactics": a, "nist_ai_600_1": b,
			"harm": a, "people_affected": b, "deployment_breadth": a})
		if err := got.Taxonomy.Validate(); err != nil {
			t.Fatalf("labels %q, %q gave an invalid classification: %v", a, b, err)
		}
	})
}

func TestTaxonomyMerged(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	labels := Taxonomy{OWASPLLM: []string{"LLM07", "LLM01"}, Harm: "health", PeopleAffected: n(3)}
	defaults := Taxonomy{OWASPLLM: []string{"LLM01"}, ATLASTactics: []string{"AML.TA0005"}, Harm: "other", DeploymentBreadth: "single_deployment"}
	got := labels.Merged(defaults)
	assert.Equal(t, Taxonomy{OWASPLLM: []string{"LLM01", "LLM07"}, ATLASTactics: []string{"AML.TA0005"}, Harm: "health", PeopleAffected: n(3),
		DeploymentBreadth: "single_deployment"}, got)
	assert.Equal(t, []string{"LLM07", "LLM01"}, labels.OWASPLLM, "the inputs are left as they were")
	*got.PeopleAffected = 9
	assert.Equal(t, int64(3), *labels.PeopleAffected)

	assert.True(t, Taxonomy{}.Merged(Taxonomy{}).Empty())
	assert.True(t, Taxonomy{OWASPLLM: []string{}}.Empty(), "an empty list is no list")
	assert.False(t, Taxonomy{PeopleAffected: n(0)}.Empty(), "no one affected is a classification")
	assert.True(t, Taxonomy{PeopleAffected: n(2)}.Equal(Taxonomy{PeopleAffected: n(2)}))
	assert.False(t, Taxonomy{PeopleAffected: n(2)}.Equal(Taxonomy{PeopleAffected: n(3)}))
}

// The fold keeps who classified last: rules and Firebreak leave the classification to alerts, a person takes it.
func TestClassifiedByPerson(t *testing.T) {
	inc := handDeclared(t, SEV2)
	assert.False(t, inc.ClassifiedByPerson(), "not classified")
	for _, tt := range []struct {
		actor  string
		person bool
	}{{SystemActor, false}, {RuleActor("PromptInjection"), false}, {UserActor("alice"), true}, {RuleActor("X"), false}} {
		_, err := inc.Append(KindTaxonomyUpdated, t0, t0, tt.actor, "classified", Taxonomy{Harm: "other"})
		assert.NoError(t, err)
		assert.Equal(t, tt.actor, inc.TaxonomyBy)
		assert.Equal(t, tt.person, inc.ClassifiedByPerson(), tt.actor)
	}
}
