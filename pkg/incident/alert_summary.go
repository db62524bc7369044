package incident

import (
	"cmp"
	"slices"
)

// AlertSummary describes an incident's alert episodes without listing them: an Alertmanager group can hold
// thousands, and what a responder needs first is how many fire and how they differ.
type AlertSummary struct {
	// ByStatus counts the episodes by status: "firing" and "resolved" are always there.
	ByStatus map[string]int `json:"by_status"`
	// Labels has, for each label name whose value is not the same on every episode (absent counts as a value), the
	// counts of its values; ordered by name. Labels every episode has with one value (alertname, most often) are left out.
	Labels []LabelSummary `json:"labels"`
	// LabelsOmitted is how many more such label names there were, beyond the first maxLabels by name.
	LabelsOmitted int `json:"labels_omitted,omitempty"`
}

// LabelSummary counts the values of one label over an incident's alert episodes.
type LabelSummary struct {
	Name     string       `json:"name"`
	Distinct int          `json:"distinct"`          // how many different values it has
	Values   []ValueCount `json:"values"`            // the most frequent values, by count then value
	Other    int          `json:"other"`             // episodes with a value not in Values
	Missing  int          `json:"missing,omitempty"` // episodes without the label
}

// ValueCount is how many episodes have a label with this value.
type ValueCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// SummarizeAlerts counts alerts (as AlertsOf returns them) by status and by the values of the labels that differ
// between them: at most topValues values per label, and at most maxLabels label names (by name).
func SummarizeAlerts(alerts []Alert, topValues, maxLabels int) AlertSummary {
	var c labelCounter
	for i := range alerts {
		c.episode(alerts[i].Status)
		for name, v := range alerts[i].Labels {
			c.label(name, v)
		}
	}
	return c.summary(topValues, maxLabels)
}

// labelCounter counts episodes by status and label values, one episode after the other.
type labelCounter struct {
	episodes int
	byStatus map[string]int
	values   map[string]map[string]*int // label name -> value -> episodes (a pointer: counting needs no key then)
}

// episode starts counting the next episode.
func (c *labelCounter) episode(status string) {
	if c.byStatus == nil {
		c.byStatus, c.values = map[string]int{"firing": 0, "resolved": 0}, map[string]map[string]*int{}
	}
	c.episodes++
	c.byStatus[status]++
}

// label counts a label of the current episode.
func (c *labelCounter) label(name, value string) {
	counts := c.values[name]
	if counts == nil {
		counts = map[string]*int{}
		c.values[name] = counts
	}
	if n := counts[value]; n != nil {
		*n++
		return
	}
	one := 1
	counts[value] = &one
}

// labelBytes is label without copying name and value, unless they are new.
func (c *labelCounter) labelBytes(name, value []byte) {
	counts := c.values[string(name)] // a lookup: no copy
	if counts == nil {
		counts = map[string]*int{}
		c.values[string(name)] = counts
	}
	if n := counts[string(value)]; n != nil {
		*n++
		return
	}
	one := 1
	counts[string(value)] = &one
}

func (c *labelCounter) summary(topValues, maxLabels int) AlertSummary {
	s := AlertSummary{ByStatus: c.byStatus, Labels: []LabelSummary{}}
	if s.ByStatus == nil {
		s.ByStatus = map[string]int{"firing": 0, "resolved": 0}
	}
	names := make([]string, 0, len(c.values))
	for name, counts := range c.values {
		if len(counts) == 1 && *counts[onlyKey(counts)] == c.episodes {
			continue // the same on every episode
		}
		names = append(names, name)
	}
	slices.Sort(names)
	if len(names) > maxLabels {
		s.LabelsOmitted = len(names) - maxLabels
		names = names[:maxLabels]
	}
	for _, name := range names {
		counts := c.values[name]
		l := LabelSummary{Name: name, Distinct: len(counts), Values: make([]ValueCount, 0, min(len(counts), topValues+1))}
		with := 0
		for v, n := range counts { // the top values kept in order as they come: a label can have 10,000 values
			with += *n
			vc := ValueCount{Value: v, Count: *n}
			at, _ := slices.BinarySearchFunc(l.Values, vc, byCountThenValue)
			if at < topValues {
				l.Values = slices.Insert(l.Values, at, vc)
				if len(l.Values) > topValues {
					l.Values = l.Values[:topValues]
				}
			}
		}
		l.Other = with
		for _, vc := range l.Values {
			l.Other -= vc.Count
		}
		l.Missing = c.episodes - with
		s.Labels = append(s.Labels, l)
	}
	return s
}

// byCountThenValue orders values by count, most first, then by value.
func byCountThenValue(a, b ValueCount) int {
	return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
}

func onlyKey(m map[string]*int) string {
	for k := range m {
		return k
	}
	return ""
}
