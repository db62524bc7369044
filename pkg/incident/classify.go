package incident

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// TaxonomyLabels names the alert labels read for each classification (the mapping file's taxonomy.labels). A list
// (owasp_llm, atlas_tactics, nist_ai_600_1) takes every label named, each value comma-separated; a single value
// (harm, people_affected, deployment_breadth) the first label present.
type TaxonomyLabels struct {
	OWASPLLM          []string `yaml:"owasp_llm"`
	ATLASTactics      []string `yaml:"atlas_tactics"`
	NISTRisks         []string `yaml:"nist_ai_600_1"`
	Harm              []string `yaml:"harm"`
	PeopleAffected    []string `yaml:"people_affected"`
	DeploymentBreadth []string `yaml:"deployment_breadth"`
}

// LabelValue is the value of an alert's label, by the label's name.
type LabelValue struct{ Label, Value string }

func (v LabelValue) String() string { return fmt.Sprintf("%s=%q", v.Label, Truncate(v.Value, 50)) }

// maxLabelValuesListed bounds how many label values a message names (the rest are counted).
const maxLabelValuesListed = 5

// ListLabelValues names label values in a message: `owasp_llm="LLM11", harm="mild"`, at most five, the rest
// counted (" and 3 more"); each value cut to 50 bytes.
func ListLabelValues(vs []LabelValue) string {
	var b strings.Builder
	for i, v := range vs[:min(len(vs), maxLabelValuesListed)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.String())
	}
	if more := len(vs) - maxLabelValuesListed; more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	return b.String()
}

// LabelReading is what an alert's labels classify (see LabelTaxonomy).
type LabelReading struct {
	Taxonomy Taxonomy
	// Invalid are the values that are not valid codes, left out, in the order the labels are read.
	Invalid []LabelValue
	// single is where each single value of Taxonomy came from, by the field's JSON name.
	single map[string]LabelValue
}

// Conflict is a single value an alert's label gives that an incident's classification holds another value of.
type Conflict struct {
	LabelValue
	Field string // harm, people_affected or deployment_breadth
	Kept  string // the incident's value, kept
}

func (c Conflict) String() string { return fmt.Sprintf("%v (kept %s)", c.LabelValue, c.Kept) }

// Conflicts returns the single values (harm, people affected, deployment breadth) of r that cur has another value
// of: cur.Merged(r.Taxonomy) keeps cur's. In the order of the fields.
func (r LabelReading) Conflicts(cur Taxonomy) []Conflict {
	var out []Conflict
	add := func(field, have string) {
		if v, ok := r.single[field]; ok && have != "" && have != v.Value {
			out = append(out, Conflict{LabelValue: v, Field: field, Kept: have})
		}
	}
	add("harm", cur.Harm)
	if cur.PeopleAffected != nil && r.Taxonomy.PeopleAffected != nil && *cur.PeopleAffected != *r.Taxonomy.PeopleAffected {
		out = append(out, Conflict{LabelValue: r.single["people_affected"], Field: "people_affected",
			Kept: strconv.FormatInt(*cur.PeopleAffected, 10)})
	}
	add("deployment_breadth", cur.DeploymentBreadth)
	return out
}

// LabelTaxonomy reads the classifications an alert's labels give. Codes are matched leniently (any case; "LLM01:2025"
// for LLM01; '-' or ' ' for '_' in slugs; NIST AI 600-1 risks also by their names, see nistRisks); a value that is
// still not a valid code is left out, never an error, and listed in Invalid. Lists come out sorted, each code once.
func (m *Mapping) LabelTaxonomy(labels map[string]string) LabelReading {
	var r LabelReading
	l, t := &m.TaxonomyLabels, &r.Taxonomy
	t.OWASPLLM = r.codes(labels, l.OWASPLLM, "owasp_llm")
	t.ATLASTactics = r.codes(labels, l.ATLASTactics, "atlas_tactics")
	t.NISTRisks = r.codes(labels, l.NISTRisks, "nist_ai_600_1")
	t.Harm = r.coded(labels, l.Harm, "harm")
	if v, ok := first(labels, l.PeopleAffected); ok {
		if n, err := strconv.ParseInt(v.Value, 10, 64); err == nil && validPeopleAffected(n) {
			t.PeopleAffected = &n
			r.from("people_affected", LabelValue{v.Label, strconv.FormatInt(n, 10)})
		} else {
			r.Invalid = append(r.Invalid, v)
		}
	}
	t.DeploymentBreadth = r.coded(labels, l.DeploymentBreadth, "deployment_breadth")
	return r
}

// codes reads the codes of a list field (by its JSON name) from every label named, each code once, sorted.
func (r *LabelReading) codes(labels map[string]string, names []string, field string) []string {
	var out []string
	for _, name := range names {
		value := labels[name]
		if value == "" {
			continue
		}
		var codes, invalid []string
		if field == "nist_ai_600_1" {
			codes, invalid = nistRisks(value)
		} else {
			for part := range strings.SplitSeq(value, ",") {
				if part = strings.TrimSpace(part); part == "" {
					continue
				}
				v := strings.ToUpper(part)
				if field == "owasp_llm" {
					v = strings.TrimSuffix(v, ":2025") // "LLM01:2025" is LLM01
				}
				if CheckTaxonomyCode(field, v) == nil {
					codes = append(codes, v)
				} else {
					invalid = append(invalid, part)
				}
			}
		}
		for _, v := range invalid {
			r.Invalid = append(r.Invalid, LabelValue{name, v})
		}
		for _, c := range codes {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

// coded reads a coded single value (harm, deployment_breadth) from the first label of names present, as a slug
// ("Critical Infrastructure" is critical_infrastructure); "" if none is, or its value is not a valid code.
func (r *LabelReading) coded(labels map[string]string, names []string, field string) string {
	v, ok := first(labels, names)
	if !ok {
		return ""
	}
	code := slugOf.Replace(strings.ToLower(v.Value))
	if CheckTaxonomyCode(field, code) != nil {
		r.Invalid = append(r.Invalid, v)
		return ""
	}
	r.from(field, LabelValue{v.Label, code})
	return code
}

// slugOf reads "critical infrastructure" or "cross-border" as a slug.
var slugOf = strings.NewReplacer("-", "_", " ", "_")

// from notes which label a single value came from.
func (r *LabelReading) from(field string, v LabelValue) {
	if r.single == nil {
		r.single = map[string]LabelValue{}
	}
	r.single[field] = v
}

// first returns the first label of names present, its value trimmed.
func first(labels map[string]string, names []string) (LabelValue, bool) {
	for _, n := range names {
		if v := strings.TrimSpace(labels[n]); v != "" {
			return LabelValue{n, v}, true
		}
	}
	return LabelValue{}, false
}

// nistByName finds a NIST AI 600-1 risk by its slug or its name, in any case and punctuation (see nameKey).
var nistByName = func() map[string]string {
	m := make(map[string]string, 2*len(NISTRisks))
	for code, name := range NISTRisks {
		m[nameKey(code)], m[nameKey(name)] = code, code
	}
	return m
}()

// nameKey is s lower-cased with only its letters and digits: "Human-AI Configuration" and human_ai_configuration
// are humanaiconfiguration.
func nameKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// nistRisks reads a label's NIST AI 600-1 risks: slugs or names, comma-separated. Official names hold commas
// ("Dangerous, Violent, or Hateful Content"), so from each part on the longest run of parts that names a risk is
// taken; a part that starts none is invalid.
func nistRisks(value string) (codes, invalid []string) {
	var parts []string
	for part := range strings.SplitSeq(value, ",") {
		if part = strings.TrimSpace(part); part != "" {
			parts = append(parts, part)
		}
	}
	for i := 0; i < len(parts); {
		j := len(parts)
		for ; j > i; j-- {
			if code, ok := nistByName[nameKey(strings.Join(parts[i:j], ","))]; ok {
				codes = append(codes, code)
				break
			}
		}
		if j == i {
			invalid = append(invalid, parts[i])
			j = i + 1
		}
		i = j
	}
	return codes, invalid
}

// DefaultTaxonomy is the classification incidents of category c start with (the mapping file's taxonomy.defaults),
// a copy; empty if the category has none.
func (m *Mapping) DefaultTaxonomy(c Category) Taxonomy {
	return m.TaxonomyDefaults[c].clone()
}

func (t Taxonomy) clone() Taxonomy {
	t.OWASPLLM, t.ATLASTactics, t.NISTRisks = slices.Clone(t.OWASPLLM), slices.Clone(t.ATLASTactics), slices.Clone(t.NISTRisks)
	if t.PeopleAffected != nil {
		n := *t.PeopleAffected
		t.PeopleAffected = &n
	}
	return t
}

// Merged is t with o added: every code of either, sorted, each once; and o's harm, people affected and deployment
// breadth where t has none (t's single values win).
func (t Taxonomy) Merged(o Taxonomy) Taxonomy {
	union := func(a, b []string) []string {
		out := slices.Clone(a)
		for _, v := range b {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		slices.Sort(out)
		return out
	}
	r := t.clone()
	r.OWASPLLM, r.ATLASTactics, r.NISTRisks = union(t.OWASPLLM, o.OWASPLLM), union(t.ATLASTactics, o.ATLASTactics), union(t.NISTRisks, o.NISTRisks)
	if r.Harm == "" {
		r.Harm = o.Harm
	}
	if r.PeopleAffected == nil && o.PeopleAffected != nil {
		n := *o.PeopleAffected
		r.PeopleAffected = &n
	}
	if r.DeploymentBreadth == "" {
		r.DeploymentBreadth = o.DeploymentBreadth
	}
	return r
}

// Empty reports whether t classifies nothing.
func (t Taxonomy) Empty() bool { return t.Equal(Taxonomy{}) }

// Equal reports whether t and o hold the same classifications (a nil list is an empty one).
func (t Taxonomy) Equal(o Taxonomy) bool {
	samePeople := (t.PeopleAffected == nil) == (o.PeopleAffected == nil) &&
		(t.PeopleAffected == nil || *t.PeopleAffected == *o.PeopleAffected)
	return slices.Equal(t.OWASPLLM, o.OWASPLLM) && slices.Equal(t.ATLASTactics, o.ATLASTactics) &&
		slices.Equal(t.NISTRisks, o.NISTRisks) && t.Harm == o.Harm && samePeople && t.DeploymentBreadth == o.DeploymentBreadth
}

// ClassifiedByPerson reports whether the incident's classification was last set by someone other than an alert rule
// or Firebreak itself: from then on only people change it.
func (inc *Incident) ClassifiedByPerson() bool {
	return inc.Taxonomy != nil && !IsRuleActor(inc.TaxonomyBy) && inc.TaxonomyBy != SystemActor
}
