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
