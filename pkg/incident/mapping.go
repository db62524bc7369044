package incident

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Mapping turns alert labels into incident fields and sets how alerts drive the lifecycle. The defaults (see
// DefaultMappingYAML) follow the playbook; a YAML file can replace any top-level key.
type Mapping struct {
	SeverityLabels []string            // labels read for severity, first present wins
	SeverityValues map[string]Severity // lower-cased label value -> severity
	CategoryLabel  string              // label naming the category directly
	CategoryRules  []CategoryRule      // tried in order on alertname when the label is absent or unknown
	AISystemLabels []string            // labels read for the AI system, first present wins
	ReopenWindow   time.Duration       // a re-fire this soon after its incident resolved reopens it
	AutoResolve    map[Severity]bool   // resolve when every alert has cleared, per severity
	// TaxonomyLabels are the labels an alert's classification is read from (see LabelTaxonomy), TaxonomyDefaults the
	// classification each category's incidents start with.
	TaxonomyLabels   TaxonomyLabels
	TaxonomyDefaults map[Category]Taxonomy
}

// CategoryRule maps alert names matching Pattern to Category.
type CategoryRule struct {
	Pattern  *regexp.Regexp
	Category Category
}

// DefaultMappingYAML is the default mapping, in the file format FIREBREAK_RULES accepts.
const DefaultMappingYAML = `# Firebreak alert mapping. Every top-level key is optional; a key given replaces its default.
severity:
  # Labels read for the severity, first present wins. Values are matched case-insensitively.
  labels: [severity, priority]
  values:
    SEV1: [critical, page, sev1, p1]
    SEV2: [warning, high, major, error, sev2, p2]
    SEV3: [info, low, minor, sev3, p3]
  # Missing or unknown values become SEV2 ("when in doubt").
category:
  # A label naming the category directly; if absent or unknown, the rules are tried on alertname, else "other".
  label: category
  rules:
    - {alertname: '(?i)hallucinat|confabulat|grounded', category: hallucination}
    - {alertname: '(?i)bias|fairness|disparit', category: bias}
    - {alertname: '(?i)injection|jailbreak', category: prompt_injection}
    - {alertname: '(?i)drift', category: drift}
    - {alertname: '(?i)unauthori[sz]ed|unapproved', category: unauthorized_use}
    - {alertname: '(?i)pii|leak|exposure|exfiltrat', category: data_exposure}
    - {alertname: '(?i)oversight|human.?review', category: oversight_failure}
# Labels read for the AI system, first present wins.
ai_system_labels: [ai_system, model, service, job]
# A re-fire of the same alert this soon after its incident was resolved reopens that incident.
reopen_window: 1h
# Severities whose incidents resolve by themselves once every alert has cleared. Others wait for a person.
auto_resolve: [SEV3]
# Standard classifications an alert gives the incident it declares or joins, until a person classifies it.
taxonomy:
  # Labels read for each: a list takes every label named, values comma-separated; a single value the first present.
  # A value that is not a valid code is ignored (the event's message names it), never the alert.
  labels:
    owasp_llm: [owasp_llm]
    atlas_tactics: [atlas_tactics, atlas_tactic]
    nist_ai_600_1: [nist_ai_600_1]
    harm: [harm]
    people_affected: [people_affected]
    deployment_breadth: [deployment_breadth]
  # What a declared incident of each category starts with, added to its alert's labels (categories left out: none).
  defaults:
    hallucination: {owasp_llm: [LLM09], nist_ai_600_1: [confabulation]}
    bias: {nist_ai_600_1: [harmful_bias_homogenization]}
    prompt_injection: {owasp_llm: [LLM01], atlas_tactics: [AML.TA0005], nist_ai_600_1: [information_security]}
    data_exposure: {owasp_llm: [LLM02], nist_ai_600_1: [data_privacy]}
    oversight_failure: {nist_ai_600_1: [human_ai_configuration]}
`

type mappingFile struct {
	Severity *struct {
		Labels []string              `yaml:"labels"`
		Values map[Severity][]string `yaml:"values"`
	} `yaml:"severity"`
	Category *struct {
		Label string `yaml:"label"`
		Rules []struct {
			Alertname string   `yaml:"alertname"`
			Category  Category `yaml:"category"`
		} `yaml:"rules"`
	} `yaml:"category"`
	AISystemLabels []string   `yaml:"ai_system_labels"`
	ReopenWindow   *string    `yaml:"reopen_window"`
	AutoResolve    []Severity `yaml:"auto_resolve"`
	Taxonomy       *struct {
		Labels   *TaxonomyLabels      `yaml:"labels"`
		Defaults map[string]yaml.Node `yaml:"defaults"` // see decodeTaxonomy
	} `yaml:"taxonomy"`
}

// DefaultMapping returns the built-in mapping.
func DefaultMapping() *Mapping {
	m, err := parseOver(&Mapping{}, []byte(DefaultMappingYAML))
	if err != nil {
		panic("incident: default mapping: " + err.Error())
	}
	return m
}

// LoadMapping reads a mapping file; keys it leaves out keep their defaults. An empty path gives the defaults.
func LoadMapping(path string) (*Mapping, error) {
	if path == "" {
		return DefaultMapping(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping file: %w", err)
	}
	m, err := ParseMapping(data)
	if err != nil {
		return nil, fmt.Errorf("mapping file %s: %w", path, err)
	}
	return m, nil
}

// ParseMapping parses mapping YAML over the defaults.
func ParseMapping(data []byte) (*Mapping, error) {
	return parseOver(DefaultMapping(), data)
}

func parseOver(base *Mapping, data []byte) (*Mapping, error) {
	var f mappingFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && err.Error() != "EOF" {
		return nil, err
	}
	m := *base
	if f.Severity != nil {
		if len(f.Severity.Labels) == 0 {
			return nil, fmt.Errorf("severity.labels: at least one label is needed")
		}
		m.SeverityLabels = f.Severity.Labels
		m.SeverityValues = map[string]Severity{}
		for sev, values := range f.Severity.Values {
			for _, v := range values {
				key := strings.ToLower(strings.TrimSpace(v))
				if prev, dup := m.SeverityValues[key]; dup && prev != sev {
					return nil, fmt.Errorf("severity.values: %q is listed under both %s and %s", v, prev, sev)
				}
				m.SeverityValues[key] = sev
			}
		}
	}
	if f.Category != nil {
		m.CategoryLabel = f.Category.Label
		m.CategoryRules = nil
		for i, r := range f.Category.Rules {
			re, err := regexp.Compile(r.Alertname)
			if err != nil {
				return nil, fmt.Errorf("category.rules[%d].alertname: %w", i, err)
			}
			c, err := ParseCategory(string(r.Category))
			if err != nil {
				return nil, fmt.Errorf("category.rules[%d].category: %w", i, err)
			}
			m.CategoryRules = append(m.CategoryRules, CategoryRule{Pattern: re, Category: c})
		}
	}
	if f.AISystemLabels != nil {
		if len(f.AISystemLabels) == 0 {
			return nil, fmt.Errorf("ai_system_labels: at least one label is needed")
		}
		m.AISystemLabels = f.AISystemLabels
	}
	if f.ReopenWindow != nil {
		d, err := time.ParseDuration(*f.ReopenWindow)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("reopen_window: %q is not a non-negative duration like 1h or 30m", *f.ReopenWindow)
		}
		m.ReopenWindow = d
	}
	if f.AutoResolve != nil {
		m.AutoResolve = map[Severity]bool{}
		for _, s := range f.AutoResolve {
			m.AutoResolve[s] = true
		}
	}
	if t := f.Taxonomy; t != nil {
		if t.Labels != nil {
			if err := checkTaxonomyLabels(t.Labels); err != nil {
				return nil, err
			}
			m.TaxonomyLabels = *t.Labels
		}
		if t.Defaults != nil {
			defaults, err := taxonomyDefaults(t.Defaults)
			if err != nil {
				return nil, err
			}
			m.TaxonomyDefaults = defaults
		}
	}
	return &m, nil
}

func checkTaxonomyLabels(l *TaxonomyLabels) error {
	for _, f := range []struct {
		field string
		names []string
	}{{"owasp_llm", l.OWASPLLM}, {"atlas_tactics", l.ATLASTactics}, {"nist_ai_600_1", l.NISTRisks}, {"harm", l.Harm},
		{"people_affected", l.PeopleAffected}, {"deployment_breadth", l.DeploymentBreadth}} {
		for i, name := range f.names {
			if strings.TrimSpace(name) == "" || strings.TrimSpace(name) != name {
				return fmt.Errorf("taxonomy.labels.%s[%d]: %q is not a label name", f.field, i, name)
			}
		}
	}
	return nil
}

// taxonomyDefaults checks the file's taxonomy.defaults, in the order of their names so the first error is always
// the same one.
func taxonomyDefaults(in map[string]yaml.Node) (map[Category]Taxonomy, error) {
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make(map[Category]Taxonomy, len(in))
	for _, name := range names {
		c, err := ParseCategory(name)
		if err != nil {
			return nil, fmt.Errorf("taxonomy.defaults.%s: %w", name, err)
		}
		if _, dup := out[c]; dup {
			return nil, fmt.Errorf("taxonomy.defaults.%s: category %s is given twice", name, c)
		}
		n := in[name]
		t, err := decodeTaxonomy(&n)
		if err != nil {
			return nil, fmt.Errorf("taxonomy.defaults.%s%w", name, err)
		}
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("taxonomy.defaults.%s.%w", name, err)
		}
		out[c] = Taxonomy{}.Merged(t) // sorted, as classifications made from labels are
	}
	return out, nil
}

// taxonomyFields are the fields of Taxonomy by their YAML names.
var taxonomyFields = func() map[string][]int {
	out := map[string][]int{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Taxonomy]()) {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" {
			out[name] = f.Index
		}
	}
	return out
}()

// decodeTaxonomy decodes a classification of the mapping file field by field, and each item of a list on its own,
// so that a value of the wrong type is named by its key path, as the checks after decoding name theirs (the
// decoder names only a line, and a classification is usually on one: {owasp_llm: [LLM01, x]}). The error starts
// with the path below n: ".owasp_llm[1]: line 3: cannot unmarshal !!map into string".
func decodeTaxonomy(n *yaml.Node) (Taxonomy, error) {
	var t Taxonomy
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return t, nil
	case n.Kind != yaml.MappingNode:
		return t, fmt.Errorf(": line %d: a map of classifications is needed, like {owasp_llm: [LLM01], harm: other}", n.Line)
	}
	v := reflect.ValueOf(&t).Elem()
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		index, ok := taxonomyFields[key.Value]
		if !ok {
			return t, fmt.Errorf(".%s: line %d: not a classification (%s)", key.Value, key.Line,
				strings.Join(slices.Sorted(maps.Keys(taxonomyFields)), ", "))
		}
		if seen[key.Value] {
			return t, fmt.Errorf(".%s: line %d: given twice", key.Value, key.Line)
		}
		seen[key.Value] = true
		field := v.FieldByIndex(index)
		if val.Kind == yaml.SequenceNode && field.Kind() == reflect.Slice {
			items := reflect.MakeSlice(field.Type(), len(val.Content), len(val.Content))
			for j, item := range val.Content {
				if err := item.Decode(items.Index(j).Addr().Interface()); err != nil {
					return t, fmt.Errorf(".%s[%d]: %w", key.Value, j, yamlTypeError(err))
				}
			}
			field.Set(items)
			continue
		}
		if err := val.Decode(field.Addr().Interface()); err != nil {
			return t, fmt.Errorf(".%s: %w", key.Value, yamlTypeError(err))
		}
	}
	return t, nil
}

// yamlTypeError is err without the decoder's "yaml: unmarshal errors:" heading: "line 3: cannot unmarshal ...".
func yamlTypeError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return errors.New(strings.Join(te.Errors, "; "))
	}
	return err
}

// UnmarshalYAML lets severities be map keys and list items in YAML.
func (s *Severity) UnmarshalYAML(n *yaml.Node) error {
	if err := s.UnmarshalText([]byte(n.Value)); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// Severity maps an alert's labels to a severity; missing or unknown values give DefaultSeverity.
func (m *Mapping) Severity(labels map[string]string) Severity {
	for _, name := range m.SeverityLabels {
		if v, ok := labels[name]; ok && v != "" {
			if s, ok := m.SeverityValues[strings.ToLower(strings.TrimSpace(v))]; ok {
				return s
			}
			return DefaultSeverity
		}
	}
	return DefaultSeverity
}

// Category maps an alert's labels to a category: the category label if it names a known one, else the first rule
// matching alertname, else Other.
func (m *Mapping) Category(labels map[string]string) Category {
	if v := labels[m.CategoryLabel]; m.CategoryLabel != "" && v != "" {
		if c, err := ParseCategory(v); err == nil {
			return c
		}
	}
	name := labels["alertname"]
	for _, r := range m.CategoryRules {
		if r.Pattern.MatchString(name) {
			return r.Category
		}
	}
	return Other
}

// AISystem names the AI system an alert is about, from the first configured label present ("" if none).
func (m *Mapping) AISystem(labels map[string]string) string {
	for _, name := range m.AISystemLabels {
		if v := labels[name]; v != "" {
			return v
		}
	}
	return ""
}

// AutoResolves reports whether incidents of severity s resolve by themselves when every alert has cleared.
func (m *Mapping) AutoResolves(s Severity) bool { return m.AutoResolve[s] }
