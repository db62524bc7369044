package plugin

import (
	"net/url"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// The list's taxonomy filters take the codes of incident.Taxonomy, repeated or comma-separated; an unknown code is
// refused naming the parameter and what it takes.
func TestParseListFilterTaxonomy(t *testing.T) {
	for _, tc := range []struct {
		query   string
		want    store.ListFilter
		wantErr string
	}{
		{"owasp_llm=LLM01", store.ListFilter{OWASPLLM: []string{"LLM01"}}, ""},
		{"owasp_llm=LLM01,LLM10&owasp_llm=LLM05", store.ListFilter{OWASPLLM: []string{"LLM01", "LLM10", "LLM05"}}, ""},
		{"atlas_tactics=AML.TA0000,AML.TA0015", store.ListFilter{ATLASTactics: []string{"AML.TA0000", "AML.TA0015"}}, ""},
		{"nist_ai_600_1=confabulation&harm=health,other&deployment_breadth=cross_border",
			store.ListFilter{NISTRisks: []string{"confabulation"}, Harms: []string{"health", "other"}, DeploymentBreadths: []string{"cross_border"}}, ""},
		{"owasp_llm=&harm=", store.ListFilter{}, ""},
		{"owasp_llm=LLM11", store.ListFilter{}, `owasp_llm: "LLM11" is not an OWASP Top 10 for LLM Applications 2025 entry (LLM01 to LLM10)`},
		{"owasp_llm=llm01", store.ListFilter{}, `owasp_llm: "llm01" is not an OWASP`},
		{"atlas_tactics=AML.TA0016", store.ListFilter{}, `atlas_tactics: "AML.TA0016" is not a MITRE ATLAS tactic`},
		{"nist_ai_600_1=Confabulation", store.ListFilter{}, `nist_ai_600_1: "Confabulation" is not a NIST AI 600-1 risk (cbrn_information, confabulation,`},
		{"harm=mild", store.ListFilter{}, `harm: "mild" is not one of death, health, critical_infrastructure`},
		{"deployment_breadth=global", store.ListFilter{}, `deployment_breadth: "global" is not one of single_deployment`},
		{"harm=%27%20OR%201%3D1%20--", store.ListFilter{}, `harm: "' OR 1=1 --" is not one of`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			got, err := parseListFilter(q)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.want.Limit = defaultLimit
			assert.Equal(t, tc.want, got)
		})
	}
}

// Whatever the query, parsing answers (no panic), and a filter it accepts holds only known codes.
func FuzzParseListFilter(f *testing.F) {
	for _, s := range []string{"owasp_llm=LLM01,LLM02", "harm=health&owasp_llm=LLM09", "atlas_tactics=AML.TA0004",
		"nist_ai_600_1=data_privacy", "deployment_breadth=member_state", "owasp_llm=LLM11", "harm=%00", "owasp_llm=,,,",
		"status=declared&owasp_llm=LLM01&limit=5", "q=x&harm=other,other"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		lf, err := parseListFilter(q)
		if err != nil {
			return
		}
		for field, values := range map[string][]string{"owasp_llm": lf.OWASPLLM, "atlas_tactics": lf.ATLASTactics,
			"nist_ai_600_1": lf.NISTRisks, "harm": lf.Harms, "deployment_breadth": lf.DeploymentBreadths} {
			if slices.ContainsFunc(values, func(v string) bool { return incident.CheckTaxonomyCode(field, v) != nil }) {
				t.Fatalf("%q: accepted %s %q", raw, field, values)
			}
		}
	})
}
