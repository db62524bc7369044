package incident

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// maxIgnoredListed bounds how many ignored label values a message names (the rest are counted).
const maxIgnoredListed = 5

// LabelTaxonomy reads the classifications an alert's labels give. Codes are matched leniently (any case; "LLM01:2025"
// for LLM01; '-' or ' ' for '_' in slugs); a value that is still not a valid code is left out, never an error, and
// named in ignored (`owasp_llm="LLM11", harm="mild"`; "" when none was). Lists come out sorted, each code once.
func (m *Mapping) LabelTaxonomy(labels map[string]string) (t Taxonomy, ignored string) {
	var skipped []string
	more := 0
	ignore := func(label, v string) {
		if len(skipped) < maxIgnoredListed {
			skipped = append(skipped, fmt.Sprintf("%s=%q", label, Truncate(v, 50)))
		} else {
			more++
		}
	}
	list := func(names []string, norm func(string) string, known func(string) bool) []string {
		var out []string
		for _, name := range names {
			for part := range strings.SplitSeq(labels[name], ",") {
				if part = strings.TrimSpace(part); part == "" {
					continue
				}
				switch v := norm(part); {
				case !known(v):
					ignore(name, part)
				case !slices.Contains(out, v):
					out = append(out, v)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	first := func(names []string) (name, value string) {
		for _, n := range names {
			if v := strings.TrimSpace(labels[n]); v != "" {
				return n, v
			}
		}
		return "", ""
	}
	l := &m.TaxonomyLabels
	t.OWASPLLM = list(l.OWASPLLM, owaspCode, knownOWASPLLM)
	t.ATLASTactics = list(l.ATLASTactics, strings.ToUpper, atlasTactic.MatchString)
	t.NISTRisks = list(l.NISTRisks, slug, knownNISTRisk)
	if name, v := first(l.Harm); v != "" {
		if h := slug(v); slices.Contains(Harms, h) {
			t.Harm = h
		} else {
			ignore(name, v)
		}
	}
	if name, v := first(l.PeopleAffected); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && validPeopleAffected(n) {
			t.PeopleAffected = &n
		} else {
			ignore(name, v)
		}
	}
	if name, v := first(l.DeploymentBreadth); v != "" {
		if b := slug(v); slices.Contains(DeploymentBreadths, b) {
			t.DeploymentBreadth = b
		} else {
			ignore(name, v)
		}
	}
	ignored = strings.Join(skipped, ", ")
	if more > 0 {
		ignored += fmt.Sprintf(" and %d more", more)
	}
	return t, ignored
}

// owaspCode reads "llm01" or "LLM01:2025" as LLM01.
func owaspCode(v string) string {
	return strings.TrimSuffix(strings.ToUpper(v), ":2025")
}

// slug reads "Data Privacy" or "data-privacy" as data_privacy.
func slug(v string) string {
	return strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(v))
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
