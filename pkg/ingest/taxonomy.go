package ingest

import (
	"fmt"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// classify appends, right after alert a declared inc, the classification a's labels and inc's category's defaults
// give, if they give any: codes of both, and a label's single value over the default's.
func (s *State) classify(b *batch, inc *incident.Incident, a *incident.Alert) {
	fromLabels, ignored := s.mapping.LabelTaxonomy(a.Labels)
	defaults := s.mapping.DefaultTaxonomy(inc.Category)
	t := fromLabels.Merged(defaults)
	if t.Empty() {
		return
	}
	from := "its labels and the " + string(inc.Category) + " defaults"
	switch {
	case fromLabels.Empty():
		from = "the " + string(inc.Category) + " defaults"
	case defaults.Empty():
		from = "its labels"
	}
	b.add(inc, incident.KindTaxonomyUpdated, b.at, incident.RuleActor(a.Name),
		withIgnored(fmt.Sprintf("Classified by alert %s from %s: %s", a.Name, from, t.Summary()), ignored), t, nil)
}

// extendTaxonomy adds what the labels of a, an alert joining inc, classify to inc's classification: codes not there
// yet, and single values inc has none of. Never once a person has classified inc (the classification is theirs
// from then on), nor on a closed incident. inc's category's defaults were added when it was declared.
func (s *State) extendTaxonomy(b *batch, inc *incident.Incident, a *incident.Alert) {
	if inc.Status == incident.Closed || inc.ClassifiedByPerson() {
		return
	}
	fromLabels, ignored := s.mapping.LabelTaxonomy(a.Labels)
	if fromLabels.Empty() {
		return
	}
	var cur incident.Taxonomy
	if inc.Taxonomy != nil {
		cur = *inc.Taxonomy
	}
	t := cur.Merged(fromLabels)
	if t.Equal(cur) {
		return
	}
	b.add(inc, incident.KindTaxonomyUpdated, b.at, incident.RuleActor(a.Name),
		withIgnored(fmt.Sprintf("Classification extended by alert %s from its labels: %s", a.Name, t.Summary()), ignored), t, nil)
}

// defaultTaxonomy appends, right after a person declared inc, the classification of inc's category's defaults, by
// Firebreak (the person chose the category, not the classification), if the category has any.
func (s *State) defaultTaxonomy(inc *incident.Incident, now time.Time) (incident.Event, bool) {
	t := s.mapping.DefaultTaxonomy(inc.Category)
	if t.Empty() {
		return incident.Event{}, false
	}
	e, err := inc.Append(incident.KindTaxonomyUpdated, now, now, incident.SystemActor,
		fmt.Sprintf("Classified from the %s defaults: %s", inc.Category, t.Summary()), t)
	if err != nil {
		panic(fmt.Sprintf("ingest: %v", err)) // a taxonomy_updated event of a new incident is always valid
	}
	return e, true
}

// withIgnored adds to msg the label values that were left out, if any.
func withIgnored(msg, ignored string) string {
	if ignored == "" {
		return msg
	}
	return msg + "; ignored label values that are not valid codes: " + ignored
}
