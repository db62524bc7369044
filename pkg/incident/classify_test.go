package incident

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLabelTaxonomy(t *testing.T) {
	m := DefaultMapping()
	n := func(v int64) *int64 { return &v }
	for _, tt := range []struct {
		name    string
		labels  map[string]string
		want    Taxonomy
		ignored string
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
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ignored := m.LabelTaxonomy(tt.labels)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.ignored, ignored)
			assert.NoError(t, got.Validate(), "what labels give is always valid")
		})
	}
}

func FuzzLabelTaxonomy(f *testing.F) {
	for _, s := range []string{"LLM01", "llm01,LLM02:2025, ,", "AML.TA0005", "Data Privacy", "-1", "1200", "\xff,\x00", strings.Repeat(",", 100)} {
		f.Add(s, s)
	}
	m := DefaultMapping()
	f.Fuzz(func(t *testing.T, a, b string) {
		got, _ := m.LabelTaxonomy(map[string]string{"owasp_llm": a, "atlas_tactic": b, "atlas_tactics": a, "nist_ai_600_1": b,
			"harm": a, "people_affected": b, "deployment_breadth": a})
		if err := got.Validate(); err != nil {
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
