package incident

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMappingSeverity(t *testing.T) {
	m := DefaultMapping()
	tests := []struct {
		labels map[string]string
		want   Severity
	}{
		{map[string]string{"severity": "critical"}, SEV1},
		{map[string]string{"severity": "PAGE"}, SEV1},
		{map[string]string{"severity": "Sev1"}, SEV1},
		{map[string]string{"severity": "p1"}, SEV1},
		{map[string]string{"severity": "warning"}, SEV2},
		{map[string]string{"severity": "High"}, SEV2},
		{map[string]string{"severity": "major"}, SEV2},
		{map[string]string{"severity": "error"}, SEV2},
		{map[string]string{"severity": "sev2"}, SEV2},
		{map[string]string{"severity": "P2"}, SEV2},
		{map[string]string{"severity": "info"}, SEV3},
		{map[string]string{"severity": "LOW"}, SEV3},
		{map[string]string{"severity": "minor"}, SEV3},
		{map[string]string{"severity": "sev3"}, SEV3},
		{map[string]string{"severity": "p3"}, SEV3},
		{map[string]string{"severity": " critical "}, SEV1},
		{map[string]string{"severity": "catastrophic"}, SEV2},
		{map[string]string{"severity": ""}, SEV2},
		{map[string]string{}, SEV2},
		{map[string]string{"priority": "p1"}, SEV1},
		{map[string]string{"severity": "info", "priority": "p1"}, SEV3},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, m.Severity(tt.labels), "%v", tt.labels)
	}
}

func TestMappingCategoryAndAISystem(t *testing.T) {
	m := DefaultMapping()
	cats := []struct {
		labels map[string]string
		want   Category
	}{
		{map[string]string{"category": "bias", "alertname": "HallucinationRate"}, Bias},
		{map[string]string{"category": "Prompt-Injection"}, PromptInjection},
		{map[string]string{"category": "nonsense", "alertname": "ModelDriftHigh"}, Drift},
		{map[string]string{"alertname": "LLMHallucinationRateHigh"}, Hallucination},
		{map[string]string{"alertname": "FairnessGapWide"}, Bias},
		{map[string]string{"alertname": "JailbreakAttempts"}, PromptInjection},
		{map[string]string{"alertname": "UnauthorizedModelUse"}, UnauthorizedUse},
		{map[string]string{"alertname": "PIILeakDetected"}, DataExposure},
		{map[string]string{"alertname": "HumanReviewSkipped"}, OversightFailure},
		{map[string]string{"alertname": "HighLatency"}, Other},
		{map[string]string{}, Other},
	}
	for _, tt := range cats {
		assert.Equal(t, tt.want, m.Category(tt.labels), "%v", tt.labels)
	}
	systems := []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"ai_system": "supportbot", "model": "m", "service": "s", "job": "j"}, "supportbot"},
		{map[string]string{"model": "m", "service": "s", "job": "j"}, "m"},
		{map[string]string{"service": "s", "job": "j"}, "s"},
		{map[string]string{"job": "j"}, "j"},
		{map[string]string{"ai_system": "", "job": "j"}, "j"},
		{map[string]string{}, ""},
	}
	for _, tt := range systems {
		assert.Equal(t, tt.want, m.AISystem(tt.labels), "%v", tt.labels)
	}
}

func TestMappingDefaults(t *testing.T) {
	m := DefaultMapping()
	assert.Equal(t, time.Hour, m.ReopenWindow)
	assert.True(t, m.AutoResolves(SEV3))
	assert.False(t, m.AutoResolves(SEV2))
	assert.False(t, m.AutoResolves(SEV1))
}

func TestParseMappingOverrides(t *testing.T) {
	m, err := ParseMapping([]byte(`
severity:
  labels: [urgency]
  values:
    SEV1: [red]
    SEV3: [green]
category:
  label: kind
  rules:
    - {alertname: '^Toxic', category: bias}
ai_system_labels: [app]
reopen_window: 15m
auto_resolve: [SEV2, SEV3]
`))
	require.NoError(t, err)
	assert.Equal(t, SEV1, m.Severity(map[string]string{"urgency": "RED"}))
	assert.Equal(t, SEV2, m.Severity(map[string]string{"severity": "critical"}), "old label no longer read")
	assert.Equal(t, Bias, m.Category(map[string]string{"alertname": "ToxicOutput"}))
	assert.Equal(t, Other, m.Category(map[string]string{"alertname": "HallucinationRate"}), "rules replaced")
	assert.Equal(t, DataExposure, m.Category(map[string]string{"kind": "data_exposure"}))
	assert.Equal(t, "x", m.AISystem(map[string]string{"app": "x", "ai_system": "y"}))
	assert.Equal(t, 15*time.Minute, m.ReopenWindow)
	assert.True(t, m.AutoResolves(SEV2))

	// A partial file keeps the other defaults.
	m, err = ParseMapping([]byte("reopen_window: 0s\n"))
	require.NoError(t, err)
	assert.Equal(t, time.Duration(0), m.ReopenWindow)
	assert.Equal(t, SEV1, m.Severity(map[string]string{"severity": "critical"}))
	m, err = ParseMapping(nil)
	require.NoError(t, err)
	assert.Equal(t, time.Hour, m.ReopenWindow)
}

func TestParseMappingErrors(t *testing.T) {
	tests := []struct{ yaml, wantErr string }{
		{"reopen_window: soon\n", "reopen_window"},
		{"reopen_window: -1h\n", "reopen_window"},
		{"severity:\n  labels: [severity]\n  values:\n    SEV9: [x]\n", "SEV9"},
		{"severity:\n  labels: []\n", "severity.labels"},
		{"severity:\n  labels: [s]\n  values:\n    SEV1: [x]\n    SEV2: [X]\n", "both"},
		{"category:\n  rules:\n    - {alertname: '(', category: bias}\n", "category.rules[0].alertname"},
		{"category:\n  rules:\n    - {alertname: 'x', category: weird}\n", "category.rules[0].category"},
		{"ai_system_labels: []\n", "ai_system_labels"},
		{"auto_resolve: [SEV4]\n", "SEV4"},
		{"unknown_key: 1\n", "unknown_key"},
		{"severity: [1, 2\n", "yaml"},
	}
	for _, tt := range tests {
		_, err := ParseMapping([]byte(tt.yaml))
		require.Error(t, err, tt.yaml)
		assert.Contains(t, err.Error(), tt.wantErr, tt.yaml)
	}
}

func TestLoadMapping(t *testing.T) {
	m, err := LoadMapping("")
	require.NoError(t, err)
	assert.Equal(t, time.Hour, m.ReopenWindow)

	path := filepath.Join(t.TempDir(), "rules.yml")
	require.NoError(t, os.WriteFile(path, []byte("reopen_window: 2h\n"), 0o600))
	m, err = LoadMapping(path)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Hour, m.ReopenWindow)

	_, err = LoadMapping(filepath.Join(t.TempDir(), "missing.yml"))
	assert.ErrorContains(t, err, "missing.yml")
	require.NoError(t, os.WriteFile(path, []byte("reopen_window: x\n"), 0o600))
	_, err = LoadMapping(path)
	assert.ErrorContains(t, err, path)
}

// The built-in classifications per category are valid codes a security or ML reviewer would pick; a file can rename
// the labels and replace the defaults; a wrong code stops the load, naming its key path.
func TestMappingTaxonomy(t *testing.T) {
	m := DefaultMapping()
	assert.Equal(t, []string{"atlas_tactics", "atlas_tactic"}, m.TaxonomyLabels.ATLASTactics)
	for _, c := range Categories {
		d := m.DefaultTaxonomy(c)
		assert.NoError(t, d.Validate(), c)
	}
	assert.Equal(t, Taxonomy{OWASPLLM: []string{"LLM01"}, ATLASTactics: []string{"AML.TA0005"}, NISTRisks: []string{"information_security"}},
		m.DefaultTaxonomy(PromptInjection))
	assert.Equal(t, Taxonomy{OWASPLLM: []string{"LLM09"}, NISTRisks: []string{"confabulation"}}, m.DefaultTaxonomy(Hallucination))
	assert.Equal(t, Taxonomy{OWASPLLM: []string{"LLM02"}, NISTRisks: []string{"data_privacy"}}, m.DefaultTaxonomy(DataExposure))
	assert.Equal(t, Taxonomy{NISTRisks: []string{"harmful_bias_homogenization"}}, m.DefaultTaxonomy(Bias))
	assert.Equal(t, Taxonomy{NISTRisks: []string{"human_ai_configuration"}}, m.DefaultTaxonomy(OversightFailure))
	for _, c := range []Category{Drift, UnauthorizedUse, Other} {
		assert.True(t, m.DefaultTaxonomy(c).Empty(), "%s: no standard class fits every incident of it", c)
	}
	d := m.DefaultTaxonomy(PromptInjection)
	d.OWASPLLM[0] = "changed"
	assert.Equal(t, "LLM01", m.DefaultTaxonomy(PromptInjection).OWASPLLM[0], "a copy")

	m, err := ParseMapping([]byte(`
taxonomy:
  labels:
    owasp_llm: [owasp, owasp_2025]
  defaults:
    Prompt-Injection: {owasp_llm: [LLM07, LLM01], harm: fundamental_rights, people_affected: 0}
`))
	require.NoError(t, err)
	assert.Equal(t, TaxonomyLabels{OWASPLLM: []string{"owasp", "owasp_2025"}}, m.TaxonomyLabels, "labels left out are not read")
	zero := int64(0)
	assert.Equal(t, Taxonomy{OWASPLLM: []string{"LLM01", "LLM07"}, Harm: "fundamental_rights", PeopleAffected: &zero},
		m.DefaultTaxonomy(PromptInjection), "sorted")
	assert.True(t, m.DefaultTaxonomy(Hallucination).Empty(), "defaults left out: none")
	assert.Equal(t, SEV1, m.Severity(map[string]string{"severity": "critical"}), "other keys keep their defaults")

	m, err = ParseMapping([]byte("taxonomy:\n  defaults: {}\n"))
	require.NoError(t, err)
	assert.True(t, m.DefaultTaxonomy(PromptInjection).Empty())
	assert.Equal(t, DefaultMapping().TaxonomyLabels, m.TaxonomyLabels, "labels not given keep their defaults")
}

func TestParseMappingTaxonomyErrors(t *testing.T) {
	for _, tt := range []struct{ yaml, wantErr string }{
		{"taxonomy:\n  defaults:\n    prompt_injection: {owasp_llm: [LLM01, LLM11]}\n",
			`taxonomy.defaults.prompt_injection.owasp_llm[1]: "LLM11" is not an OWASP Top 10 for LLM Applications 2025 entry`},
		{"taxonomy:\n  defaults:\n    bias: {atlas_tactics: [AML.T0051]}\n", `taxonomy.defaults.bias.atlas_tactics[0]: "AML.T0051" is not a MITRE ATLAS tactic`},
		{"taxonomy:\n  defaults:\n    bias: {nist_ai_600_1: [bias]}\n", `taxonomy.defaults.bias.nist_ai_600_1[0]: "bias" is not a NIST AI 600-1 risk`},
		{"taxonomy:\n  defaults:\n    bias: {owasp_llm: [LLM01, LLM01]}\n", `taxonomy.defaults.bias.owasp_llm[1]: "LLM01" is listed twice`},
		{"taxonomy:\n  defaults:\n    drift: {harm: bad}\n", `taxonomy.defaults.drift.harm: "bad" is not one of`},
		{"taxonomy:\n  defaults:\n    drift: {deployment_breadth: world}\n", `taxonomy.defaults.drift.deployment_breadth: "world"`},
		{"taxonomy:\n  defaults:\n    drift: {people_affected: -1}\n", `taxonomy.defaults.drift.people_affected: -1 is not a count`},
		{"taxonomy:\n  defaults:\n    drift: {people_affected: many}\n",
			"taxonomy.defaults.drift.people_affected: line 3: cannot unmarshal !!str `many` into int64"},
		{"taxonomy:\n  defaults:\n    prompt_injection: {owasp_llm: [LLM01, {a: b}]}\n",
			"taxonomy.defaults.prompt_injection.owasp_llm[1]: line 3: cannot unmarshal !!map into string"},
		{"taxonomy:\n  defaults:\n    bias:\n      atlas_tactics:\n        - AML.TA0005\n        - [AML.TA0010]\n",
			"taxonomy.defaults.bias.atlas_tactics[1]: line 6: cannot unmarshal !!seq into string"},
		{"taxonomy:\n  defaults:\n    bias: {nist_ai_600_1: data_privacy}\n",
			"taxonomy.defaults.bias.nist_ai_600_1: line 3: cannot unmarshal !!str `data_pr...` into []string"},
		{"taxonomy:\n  defaults:\n    bias: {harm: [death]}\n", "taxonomy.defaults.bias.harm: line 3: cannot unmarshal !!seq into string"},
		{"taxonomy:\n  defaults:\n    bias: {people_affected: {n: 3}}\n", "taxonomy.defaults.bias.people_affected: line 3: cannot unmarshal !!map into int64"},
		{"taxonomy:\n  defaults:\n    bias: [LLM01]\n", "taxonomy.defaults.bias: line 3: a map of classifications is needed"},
		{"taxonomy:\n  defaults:\n    bias: {harm: other, harm: death}\n", "taxonomy.defaults.bias.harm: line 3: given twice"},
		{"taxonomy:\n  defaults:\n    weather: {harm: other}\n", "taxonomy.defaults.weather: unknown category"},
		{"taxonomy:\n  defaults:\n    bias: {}\n    Bias: {}\n", "taxonomy.defaults.bias: category bias is given twice"},
		{"taxonomy:\n  defaults:\n    bias: {owasp: [LLM01]}\n", "taxonomy.defaults.bias.owasp: line 3: not a classification (atlas_tactics, deployment_breadth, harm, nist_ai_600_1, owasp_llm, people_affected)"},
		{"taxonomy:\n  labels:\n    owasp_llm: [owasp, '']\n", `taxonomy.labels.owasp_llm[1]: "" is not a label name`},
		{"taxonomy:\n  labels:\n    harm: [' harm']\n", `taxonomy.labels.harm[0]: " harm" is not a label name`},
		{"taxonomy:\n  labels:\n    mitre: [x]\n", "field mitre not found"},
		{"taxonomy:\n  rules: []\n", "field rules not found"},
	} {
		_, err := ParseMapping([]byte(tt.yaml))
		require.Error(t, err, tt.yaml)
		assert.Contains(t, err.Error(), tt.wantErr, tt.yaml)
	}
}
