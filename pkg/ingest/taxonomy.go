package ingest

import (
	"fmt"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// Why a taxonomy label value of an alert was left out of its incident's classification (see IgnoredLabelValue).
const (
	IgnoredInvalid  = "invalid"  // not a valid code
	IgnoredConflict = "conflict" // a single value (harm, people affected, deployment breadth) the incident has another of
)

// IgnoredLabelValue is a taxonomy label value of an alert that its incident's classification left out. The timeline
// names it too, in the message of the alert's taxonomy_updated event or else of its alert_fired event.
type IgnoredLabelValue struct {
	IncidentID, Alert string
	incident.LabelValue
	Reason string // IgnoredInvalid or IgnoredConflict
}

// classify appends, right after alert a declared inc, the classification a's labels and inc's category's defaults
// give, if they give any: codes of both, and a label's single value over the default's. It returns what a's
// alert_fired event must name: the invalid label values, when there is no taxonomy_updated event to name them.
func (s *State) classify(b *batch, inc *incident.Incident, a *incident.Alert) (firedNote string) {
	r := s.mapping.LabelTaxonomy(a.Labels)
	b.ignore(inc, a, r.Invalid, nil)
	defaults := s.mapping.DefaultTaxonomy(inc.Category)
	t := r.Taxonomy.Merged(defaults)
	if t.Empty() {
		return withIgnored("", r.Invalid, nil)
	}
	from := "its labels and the " + string(inc.Category) + " defaults"
	switch {
	case r.Taxonomy.Empty():
		from = "the " + string(inc.Category) + " defaults"
	case defaults.Empty():
		from = "its labels"
	}
	b.add(inc, incident.KindTaxonomyUpdated, b.at, incident.RuleActor(a.Name),
		withIgnored(fmt.Sprintf("Classified by alert %s from %s: %s", a.Name, from, t.Summary()), r.Invalid, nil), t, nil)
	return ""
}

// joinTaxonomy reads what the labels of a, an alert joining inc, add to inc's classification: codes not there yet,
// and single values inc has none of (a single value inc has another of conflicts, and inc's is kept). Nothing once
// a person has classified inc: the classification is theirs from then on. inc's category's defaults were added when
// it was declared. It returns the classification to append after a's alert_fired event, if it changes (nil if not),
// with its message, and what the alert_fired event must name: the invalid and conflicting label values, when there
// is no taxonomy_updated event to name them.
func (s *State) joinTaxonomy(b *batch, inc *incident.Incident, a *incident.Alert) (t *incident.Taxonomy, message, firedNote string) {
	// target never returns a closed incident (an alert of one declares another), so only a person's
	// classification stops the labels here.
	if inc.ClassifiedByPerson() {
		return nil, "", ""
	}
	r := s.mapping.LabelTaxonomy(a.Labels)
	if r.Taxonomy.Empty() { // most alerts: nothing to add, nor to conflict
		b.ignore(inc, a, r.Invalid, nil)
		return nil, "", withIgnored("", r.Invalid, nil)
	}
	var cur incident.Taxonomy
	if inc.Taxonomy != nil {
		cur = *inc.Taxonomy
	}
	conflicts := r.Conflicts(cur)
	b.ignore(inc, a, r.Invalid, conflicts)
	next := cur.Merged(r.Taxonomy)
	if next.Equal(cur) {
		return nil, "", withIgnored("", r.Invalid, conflicts)
	}
	return &next, withIgnored(fmt.Sprintf("Classification extended by alert %s from its labels: %s", a.Name, next.Summary()),
		r.Invalid, conflicts), ""
}

// ignore notes in the outcome the label values a's classification left out.
func (b *batch) ignore(inc *incident.Incident, a *incident.Alert, invalid []incident.LabelValue, conflicts []incident.Conflict) {
	for _, v := range invalid {
		b.outcome.Ignored = append(b.outcome.Ignored, IgnoredLabelValue{inc.ID, a.Name, v, IgnoredInvalid})
	}
	for _, c := range conflicts {
		b.outcome.Ignored = append(b.outcome.Ignored, IgnoredLabelValue{inc.ID, a.Name, c.LabelValue, IgnoredConflict})
	}
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
func withIgnored(msg string, invalid []incident.LabelValue, conflicts []incident.Conflict) string {
	if len(invalid) > 0 {
		msg += "; ignored label values that are not valid codes: " + incident.ListLabelValues(invalid)
	}
	if len(conflicts) > 0 {
		msg += "; ignored label values that conflict with the incident's classification: "
		for i, c := range conflicts {
			if i > 0 {
				msg += ", "
			}
			msg += c.String()
		}
	}
	return msg
}
