package plugin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Responders classify an incident (OWASP LLM, MITRE ATLAS, NIST AI 600-1, the EU harm); the detail shows the latest
// classification, the timeline each change; bad codes get a 400 naming the field.
func TestClassifyIncident(t *testing.T) {
	e := newEnv(t)
	id := e.declare(t, aliceUser, "SEV2")
	p := "incidents/" + id + "/taxonomy"
	for _, tt := range []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"unknown owasp", map[string]any{"owasp_llm": []string{"LLM11"}}, 400, `owasp_llm[0]: "LLM11" is not an OWASP Top 10 for LLM Applications 2025 entry`},
		{"unknown field", `{"owasp":["LLM01"]}`, 400, "owasp: unknown field"},
		{"people not a number", `{"people_affected":"many"}`, 400, "people_affected: expected"},
		{"harm", map[string]any{"harm": "mild"}, 400, `harm: "mild" is not one of`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := callResource(t, e.a, aliceUser, "PUT", p, tt.body)
			assert.Equal(t, tt.status, status, body)
			assert.Contains(t, decode(t, body)["error"], tt.want)
		})
	}
	status, body := callResource(t, e.a, viewerUser, "PUT", p, map[string]any{"harm": "other"})
	assert.Equal(t, 403, status, body)

	status, body = callResource(t, e.a, aliceUser, "PUT", p, map[string]any{"owasp_llm": []string{"LLM09"}, "atlas_tactics": []string{"AML.TA0004"},
		"nist_ai_600_1": []string{"confabulation"}, "harm": "fundamental_rights", "people_affected": 40, "deployment_breadth": "member_state"})
	require.Equal(t, 200, status, body)
	status, body = callResource(t, e.a, viewerUser, "GET", "incidents/"+id, nil)
	require.Equal(t, 200, status, body)
	d := decode(t, body)
	tax := d["incident"].(map[string]any)["taxonomy"].(map[string]any)
	assert.Equal(t, []any{"LLM09"}, tax["owasp_llm"])
	assert.Equal(t, float64(40), tax["people_affected"])
	last := d["timeline"].([]any)[len(d["timeline"].([]any))-1].(map[string]any)
	assert.Equal(t, "taxonomy_updated", last["kind"])
	assert.Contains(t, last["message"], "LLM09 Misinformation; AML.TA0004 Initial Access; Confabulation; harm: fundamental_rights; 40 people affected")

	// The list filters on it and shows it; an unknown code is refused naming the parameter.
	for _, tt := range []struct {
		query string
		found bool
	}{{"owasp_llm=LLM09", true}, {"owasp_llm=LLM01,LLM09&harm=fundamental_rights", true}, {"owasp_llm=LLM01", false},
		{"harm=health,other", false}, {"atlas_tactics=AML.TA0004&nist_ai_600_1=confabulation&deployment_breadth=member_state", true}} {
		status, body = callResource(t, e.a, viewerUser, "GET", "incidents?"+tt.query, nil)
		require.Equal(t, 200, status, body)
		rows := decode(t, body)["incidents"].([]any)
		if !tt.found {
			assert.Empty(t, rows, tt.query)
			continue
		}
		require.Len(t, rows, 1, tt.query)
		row := rows[0].(map[string]any)
		assert.Equal(t, id, row["incident_id"])
		assert.Equal(t, map[string]any{"owasp_llm": []any{"LLM09"}, "atlas_tactics": []any{"AML.TA0004"}, "nist_ai_600_1": []any{"confabulation"},
			"harm": "fundamental_rights", "people_affected": float64(40), "deployment_breadth": "member_state"}, row["taxonomy"])
	}
	status, body = callResource(t, e.a, viewerUser, "GET", "incidents?owasp_llm=LLM11", nil)
	assert.Equal(t, 400, status, body)
	assert.Contains(t, decode(t, body)["error"], `owasp_llm: "LLM11" is not an OWASP Top 10 for LLM Applications 2025 entry`)
}
