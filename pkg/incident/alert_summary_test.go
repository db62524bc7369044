package incident

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSummarizeAlerts(t *testing.T) {
	alert := func(status string, labels ...string) Alert {
		a := Alert{Status: status, Labels: map[string]string{}}
		for i := 0; i+1 < len(labels); i += 2 {
			a.Labels[labels[i]] = labels[i+1]
		}
		return a
	}
	many := make([]Alert, 0, 25)
	for i := range 25 {
		status := "firing"
		if i%5 == 0 {
			status = "resolved"
		}
		// pod-00 on the first four, then one pod each; zone a or b; team on about half of them.
		pod := "pod-00"
		if i >= 4 {
			pod = fmt.Sprintf("pod-%02d", i-3)
		}
		labels := []string{"alertname", "PodDown", "pod", pod, "zone", []string{"a", "b"}[i%2]}
		if i%2 == 0 {
			labels = append(labels, "team", "ml")
		}
		many = append(many, alert(status, labels...))
	}
	tests := []struct {
		name     string
		alerts   []Alert
		top, max int
		want     AlertSummary
	}{
		{name: "none", alerts: nil, top: 10, max: 50,
			want: AlertSummary{ByStatus: map[string]int{"firing": 0, "resolved": 0}, Labels: []LabelSummary{}}},
		{name: "one alert: nothing differs", alerts: []Alert{alert("firing", "alertname", "X", "pod", "a")}, top: 10, max: 50,
			want: AlertSummary{ByStatus: map[string]int{"firing": 1, "resolved": 0}, Labels: []LabelSummary{}}},
		{name: "same labels everywhere", alerts: []Alert{alert("firing", "alertname", "X"), alert("resolved", "alertname", "X")}, top: 10, max: 50,
			want: AlertSummary{ByStatus: map[string]int{"firing": 1, "resolved": 1}, Labels: []LabelSummary{}}},
		{name: "a label on some only differs", alerts: []Alert{alert("firing", "alertname", "X", "pod", "a"), alert("firing", "alertname", "X")}, top: 10, max: 50,
			want: AlertSummary{ByStatus: map[string]int{"firing": 2, "resolved": 0}, Labels: []LabelSummary{
				{Name: "pod", Distinct: 1, Values: []ValueCount{{"a", 1}}, Missing: 1}}}},
		{name: "values by count, then value; top n and other", alerts: []Alert{
			alert("firing", "pod", "c"), alert("firing", "pod", "b"), alert("firing", "pod", "a"), alert("firing", "pod", "b"),
			alert("firing", "pod", "d"), alert("firing", "pod", "c"), alert("firing", "pod", "b")}, top: 2, max: 50,
			want: AlertSummary{ByStatus: map[string]int{"firing": 7, "resolved": 0}, Labels: []LabelSummary{
				{Name: "pod", Distinct: 4, Values: []ValueCount{{"b", 3}, {"c", 2}}, Other: 2}}}},
		{name: "label names by name, at most max", alerts: []Alert{alert("firing", "z", "1", "a", "1", "m", "1"), alert("firing", "z", "2", "a", "2", "m", "2")}, top: 10, max: 2,
			want: AlertSummary{ByStatus: map[string]int{"firing": 2, "resolved": 0}, LabelsOmitted: 1, Labels: []LabelSummary{
				{Name: "a", Distinct: 2, Values: []ValueCount{{"1", 1}, {"2", 1}}},
				{Name: "m", Distinct: 2, Values: []ValueCount{{"1", 1}, {"2", 1}}}}}},
		{name: "an empty value is a value", alerts: []Alert{alert("firing", "pod", ""), alert("firing", "pod", "a"), alert("firing", "pod", "")}, top: 10, max: 50,
			want: AlertSummary{ByStatus: map[string]int{"firing": 3, "resolved": 0}, Labels: []LabelSummary{
				{Name: "pod", Distinct: 2, Values: []ValueCount{{"", 2}, {"a", 1}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, SummarizeAlerts(tt.alerts, tt.top, tt.max))
		})
	}

	t.Run("many", func(t *testing.T) {
		s := SummarizeAlerts(many, 3, 50)
		assert.Equal(t, map[string]int{"firing": 20, "resolved": 5}, s.ByStatus)
		names := []string{}
		for _, l := range s.Labels {
			names = append(names, l.Name)
			total := l.Other + l.Missing
			for _, v := range l.Values {
				total += v.Count
			}
			assert.Equal(t, 25, total, "every alert counted once for %s", l.Name)
			assert.LessOrEqual(t, len(l.Values), 3)
		}
		assert.Equal(t, []string{"pod", "team", "zone"}, names, "alertname is the same everywhere")
		assert.Equal(t, LabelSummary{Name: "team", Distinct: 1, Values: []ValueCount{{"ml", 13}}, Missing: 12}, s.Labels[1])
		assert.Equal(t, LabelSummary{Name: "zone", Distinct: 2, Values: []ValueCount{{"a", 13}, {"b", 12}}}, s.Labels[2])
		assert.Equal(t, 22, s.Labels[0].Distinct)
		assert.Equal(t, ValueCount{"pod-00", 4}, s.Labels[0].Values[0])
	})
}
