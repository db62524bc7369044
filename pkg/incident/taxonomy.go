package incident

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Taxonomy is an incident's standard classifications, set from its alerts' labels and its category's defaults (see
// Mapping.Classify) and by responders, each change a taxonomy_updated event whose body is the whole Taxonomy, as the
// review's. Every part is optional. Fields are only ever added.
type Taxonomy struct {
	// OWASPLLM are entries of the OWASP Top 10 for LLM Applications 2025: LLM01 ... LLM10.
	OWASPLLM []string `json:"owasp_llm,omitempty" yaml:"owasp_llm"`
	// ATLASTactics are MITRE ATLAS tactics: AML.TA0000 ... AML.TA0015.
	ATLASTactics []string `json:"atlas_tactics,omitempty" yaml:"atlas_tactics"`
	// NISTRisks are risks of NIST AI 600-1 (the Generative AI Profile), by the slugs of NISTRisks.
	NISTRisks []string `json:"nist_ai_600_1,omitempty" yaml:"nist_ai_600_1"`
	// Harm is the EU classification of the harm: one of Harms.
	Harm string `json:"harm,omitempty" yaml:"harm"`
	// PeopleAffected is how many people were affected (nil: not known).
	PeopleAffected *int64 `json:"people_affected,omitempty" yaml:"people_affected"`
	// DeploymentBreadth is how widely the AI system was deployed where it failed: one of DeploymentBreadths.
	DeploymentBreadth string `json:"deployment_breadth,omitempty" yaml:"deployment_breadth"`
}

// OWASPLLM2025 names the entries of the OWASP Top 10 for LLM Applications 2025.
var OWASPLLM2025 = map[string]string{
	"LLM01": "Prompt Injection", "LLM02": "Sensitive Information Disclosure", "LLM03": "Supply Chain",
	"LLM04": "Data and Model Poisoning", "LLM05": "Improper Output Handling", "LLM06": "Excessive Agency",
	"LLM07": "System Prompt Leakage", "LLM08": "Vector and Embedding Weaknesses", "LLM09": "Misinformation",
	"LLM10": "Unbounded Consumption",
}

// ATLASTactics names the MITRE ATLAS tactics AML.TA0000 to AML.TA0015 (src/api/types.ts has the same list).
var ATLASTactics = map[string]string{
	"AML.TA0000": "AI Model Access", "AML.TA0001": "AI Attack Staging", "AML.TA0002": "Reconnaissance",
	"AML.TA0003": "Resource Development", "AML.TA0004": "Initial Access", "AML.TA0005": "Execution",
	"AML.TA0006": "Persistence", "AML.TA0007": "Defense Evasion", "AML.TA0008": "Discovery", "AML.TA0009": "Collection",
	"AML.TA0010": "Exfiltration", "AML.TA0011": "Impact", "AML.TA0012": "Privilege Escalation",
	"AML.TA0013": "Credential Access", "AML.TA0014": "Command and Control", "AML.TA0015": "Lateral Movement",
}

// NISTRisks are the twelve risks of NIST AI 600-1, by slug.
var NISTRisks = map[string]string{
	"cbrn_information":                  "CBRN Information or Capabilities",
	"confabulation":                     "Confabulation",
	"dangerous_violent_hateful_content": "Dangerous, Violent, or Hateful Content",
	"data_privacy":                      "Data Privacy",
	"environmental_impacts":             "Environmental Impacts",
	"harmful_bias_homogenization":       "Harmful Bias or Homogenization",
	"human_ai_configuration":            "Human-AI Configuration",
	"information_integrity":             "Information Integrity",
	"information_security":              "Information Security",
	"intellectual_property":             "Intellectual Property",
	"obscene_degrading_abusive_content": "Obscene, Degrading, and/or Abusive Content",
	"value_chain_component_integration": "Value Chain and Component Integration",
}

// Harms are the EU classes of harm of a serious incident (AI Act Art. 3(49)), and other.
var Harms = []string{"death", "health", "critical_infrastructure", "fundamental_rights", "property_environment", "other"}

// DeploymentBreadths say how widely the AI system was deployed where it failed.
var DeploymentBreadths = []string{"single_deployment", "multiple_deployments", "member_state", "cross_border"}

var atlasTactic = regexp.MustCompile(`^AML\.TA00(0[0-9]|1[0-5])$`)

func knownOWASPLLM(v string) bool { _, ok := OWASPLLM2025[v]; return ok }
func knownNISTRisk(v string) bool { _, ok := NISTRisks[v]; return ok }

// maxPeopleAffected bounds the count of people affected (more than everyone alive is a typo).
const maxPeopleAffected = 10_000_000_000

// taxonomyCodes say, for each coded field of Taxonomy by its JSON name, which values it takes.
var taxonomyCodes = map[string]struct {
	known func(string) bool
	want  string
}{
	"owasp_llm": {knownOWASPLLM,
		"an OWASP Top 10 for LLM Applications 2025 entry (LLM01 to LLM10)"},
	"atlas_tactics": {atlasTactic.MatchString, "a MITRE ATLAS tactic (AML.TA0000 to AML.TA0015)"},
	"nist_ai_600_1": {knownNISTRisk,
		"a NIST AI 600-1 risk (" + strings.Join(slices.Sorted(maps.Keys(NISTRisks)), ", ") + ")"},
	"harm":               {func(v string) bool { return slices.Contains(Harms, v) }, "one of " + strings.Join(Harms, ", ")},
	"deployment_breadth": {func(v string) bool { return slices.Contains(DeploymentBreadths, v) }, "one of " + strings.Join(DeploymentBreadths, ", ")},
}

// CheckTaxonomyCode checks one value of a coded field of Taxonomy, named by its JSON name (owasp_llm,
// atlas_tactics, nist_ai_600_1, harm, deployment_breadth); the error says what the field takes.
func CheckTaxonomyCode(field, v string) error {
	c, ok := taxonomyCodes[field]
	if !ok {
		return fmt.Errorf("%s: not a coded field of the taxonomy", field)
	}
	if !c.known(v) {
		return fmt.Errorf("%q is not %s", Truncate(v, 50), c.want)
	}
	return nil
}

// Validate checks every code and value, naming the field of the first that is wrong.
func (t *Taxonomy) Validate() error {
	for _, f := range []struct {
		name   string
		values []string
	}{{"owasp_llm", t.OWASPLLM}, {"atlas_tactics", t.ATLASTactics}, {"nist_ai_600_1", t.NISTRisks}} {
		for i, v := range f.values {
			if err := CheckTaxonomyCode(f.name, v); err != nil {
				return fmt.Errorf("%s[%d]: %w", f.name, i, err)
			}
			if slices.Index(f.values, v) != i {
				return fmt.Errorf("%s[%d]: %q is listed twice", f.name, i, v)
			}
		}
	}
	for _, f := range []struct{ name, value string }{{"harm", t.Harm}, {"deployment_breadth", t.DeploymentBreadth}} {
		if f.value != "" {
			if err := CheckTaxonomyCode(f.name, f.value); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
		}
	}
	if t.PeopleAffected != nil && !validPeopleAffected(*t.PeopleAffected) {
		return fmt.Errorf("people_affected: %d is not a count of people", *t.PeopleAffected)
	}
	return nil
}

func validPeopleAffected(n int64) bool { return n >= 0 && n <= maxPeopleAffected }

// Truncate cuts s to at most n bytes.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Summary is the classification in a line: "LLM01 Prompt Injection; AML.TA0004; harm: fundamental_rights; ...".
func (t *Taxonomy) Summary() string {
	var parts []string
	for _, c := range t.OWASPLLM {
		parts = append(parts, c+" "+OWASPLLM2025[c])
	}
	for _, a := range t.ATLASTactics {
		parts = append(parts, a+" "+ATLASTactics[a])
	}
	for _, r := range t.NISTRisks {
		parts = append(parts, NISTRisks[r])
	}
	if t.Harm != "" {
		parts = append(parts, "harm: "+t.Harm)
	}
	if t.PeopleAffected != nil {
		parts = append(parts, fmt.Sprintf("%d people affected", *t.PeopleAffected))
	}
	if t.DeploymentBreadth != "" {
		parts = append(parts, "breadth: "+t.DeploymentBreadth)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}
