package incident

import "testing"

// BenchmarkLabelTaxonomy reads a classification from an alert with every taxonomy label, NIST risks by their names
// (commas in one of them): the cost of an alert that declares or joins an incident with classification labels.
func BenchmarkLabelTaxonomy(b *testing.B) {
	m := DefaultMapping()
	labels := map[string]string{"alertname": "AIPromptInjectionDetected", "severity": "warning", "ai_system": "supportbot",
		"owasp_llm": "LLM01, LLM07:2025", "atlas_tactic": "AML.TA0005", "nist_ai_600_1": "Information Security, Dangerous, Violent, or Hateful Content",
		"harm": "fundamental_rights", "people_affected": "1200", "deployment_breadth": "member-state"}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.LabelTaxonomy(labels)
	}
}
