package incident

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTaxonomyValidate(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	for _, tt := range []struct {
		name string
		t    Taxonomy
		want string // "" for valid
	}{
		{"empty", Taxonomy{}, ""},
		{"all", Taxonomy{OWASPLLM: []string{"LLM01", "LLM09"}, ATLASTactics: []string{"AML.TA0000", "AML.TA0015"},
			NISTRisks: []string{"confabulation", "data_privacy"}, Harm: "fundamental_rights", PeopleAffected: n(40),
			DeploymentBreadth: "member_state"}, ""},
		{"owasp unknown", Taxonomy{OWASPLLM: []string{"LLM11"}}, `owasp_llm[0]: "LLM11" is not an OWASP Top 10 for LLM Applications 2025 entry`},
		{"owasp case", Taxonomy{OWASPLLM: []string{"llm01"}}, `owasp_llm[0]: "llm01"`},
		{"owasp twice", Taxonomy{OWASPLLM: []string{"LLM01", "LLM01"}}, `owasp_llm[1]: "LLM01" is listed twice`},
		{"atlas out of range", Taxonomy{ATLASTactics: []string{"AML.TA0016"}}, `atlas_tactics[0]: "AML.TA0016" is not a MITRE ATLAS tactic`},
		{"atlas technique", Taxonomy{ATLASTactics: []string{"AML.T0051"}}, "atlas_tactics[0]"},
		{"nist unknown", Taxonomy{NISTRisks: []string{"hallucination"}}, `nist_ai_600_1[0]: "hallucination" is not a NIST AI 600-1 risk (cbrn_information, confabulation,`},
		{"harm", Taxonomy{Harm: "mild"}, `harm: "mild" is not one of death, health, critical_infrastructure, fundamental_rights, property_environment, other`},
		{"people negative", Taxonomy{PeopleAffected: n(-1)}, "people_affected: -1 is not a count of people"},
		{"breadth", Taxonomy{DeploymentBreadth: "global"}, `deployment_breadth: "global" is not one of`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.t.Validate()
			if tt.want == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.want)
			}
		})
	}
	assert.Len(t, OWASPLLM2025, 10)
	assert.Len(t, NISTRisks, 12)
}

// Classifying is an Editor's change, a taxonomy_updated event whose body is the whole classification; the fold keeps
// the latest; a closed incident's classification no longer changes.
func TestTaxonomyCommand(t *testing.T) {
	inc := handDeclared(t, SEV3) // closes without a review
	people := int64(40)
	classify := func(a Actor, tax Taxonomy) *Command {
		c := cmd(CmdTaxonomy, a)
		c.Taxonomy = &tax
		return c
	}
	var forbidden *ErrForbidden
	assert.ErrorAs(t, run(t, inc, classify(vic, Taxonomy{Harm: "other"})), &forbidden)
	var inv *ErrInvalid
	assert.ErrorAs(t, run(t, inc, classify(alice, Taxonomy{OWASPLLM: []string{"LLM99"}})), &inv)
	assert.ErrorContains(t, run(t, inc, cmd(CmdTaxonomy, alice)), "taxonomy: missing")

	events, err := Execute(classify(alice, Taxonomy{OWASPLLM: []string{"LLM09"}, NISTRisks: []string{"confabulation"}, Harm: "fundamental_rights",
		PeopleAffected: &people}), inc, t0)
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, KindTaxonomyUpdated, events[0].Kind)
	assert.Equal(t, "Classification updated by alice: LLM09 Misinformation; Confabulation; harm: fundamental_rights; 40 people affected", events[0].Message)
	require.NotNil(t, inc.Taxonomy)
	assert.Equal(t, []string{"LLM09"}, inc.Taxonomy.OWASPLLM)
	clone := inc.Clone()
	clone.Taxonomy.OWASPLLM[0] = "LLM01"
	assert.Equal(t, "LLM09", inc.Taxonomy.OWASPLLM[0], "a clone does not share the lists")

	require.NoError(t, run(t, inc, classify(bob, Taxonomy{Harm: "health"})))
	assert.Equal(t, &Taxonomy{Harm: "health"}, inc.Taxonomy, "the latest classification, whole")

	res := cmd(CmdStatus, root)
	res.Status = &StatusRequest{Status: "resolved"}
	require.NoError(t, run(t, inc, res))
	require.NoError(t, run(t, inc, cmd(CmdClose, root)))
	assert.ErrorContains(t, run(t, inc, classify(alice, Taxonomy{Harm: "death"})), "cannot update the classification: the classification of a closed incident cannot change")
}

// Every ATLAS tactic the validation takes has a name, and no other.
func TestATLASTacticsNamed(t *testing.T) {
	for i := range 20 {
		id := fmt.Sprintf("AML.TA%04d", i)
		_, named := ATLASTactics[id]
		assert.Equal(t, atlasTactic.MatchString(id), named, id)
	}
	assert.Len(t, ATLASTactics, 16)
}
