package ingest

import (
	"maps"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// IncidentMetrics expose incident facts for Prometheus to alert on: what is open, per open incident the deadlines
// it has yet to meet (Unix timestamps, so that rules compare them with time()), and how long responses took. The
// gauges are computed at each scrape from the DeadlineIndex, so a series exists only while its incident has that
// deadline pending and disappears with it (cardinality bounded by the incidents with something pending); nothing is
// reported until the index is loaded from ClickHouse, so a restarted receiver never shows zero open incidents
// before it knows. Drills are left out, as in the statistics.
type IncidentMetrics struct {
	index   *DeadlineIndex
	targets incident.SLATargets
	now     func() time.Time

	open, ackDue, containDue, regulatoryDue, actionDue    *prometheus.Desc
	breaches, regulatoryOverdue, actionOverdue, slaTarget *prometheus.Desc
	// Times from declaration, observed as the event is applied (see observeMilestones).
	TimeToAcknowledge, TimeToContain, TimeToResolve *prometheus.HistogramVec
}

// incidentLabels label each per-incident series.
var incidentLabels = []string{"incident_id", "severity", "category", "ai_system"}

// milestoneBuckets span a minute to a week: SLA targets go from minutes (SEV1 acknowledge) to days (SEV3).
var milestoneBuckets = []float64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600}

// NewIncidentMetrics registers the incident metrics with reg. targets are the SLA targets the deadlines come from
// (the receiver's --sla-file, the same object as the app's jsonData.sla); now is time.Now outside tests.
func NewIncidentMetrics(reg prometheus.Registerer, index *DeadlineIndex, targets incident.SLATargets, now func() time.Time) *IncidentMetrics {
	hist := func(name, help string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: milestoneBuckets}, []string{"severity"})
	}
	m := &IncidentMetrics{index: index, targets: targets, now: now,
		open: prometheus.NewDesc("firebreak_incidents_open", "Open incidents (declared, acknowledged or contained), drills left out.",
			[]string{"severity", "status", "category", "ai_system"}, nil),
		ackDue: prometheus.NewDesc("firebreak_incident_acknowledge_deadline_timestamp_seconds",
			"When an open incident not yet acknowledged must be acknowledged by (its severity's SLA target); gone once it is.", incidentLabels, nil),
		containDue: prometheus.NewDesc("firebreak_incident_contain_deadline_timestamp_seconds",
			"When an open incident not yet contained (or resolved) must be contained by (its severity's SLA target); gone once it is.", incidentLabels, nil),
		regulatoryDue: prometheus.NewDesc("firebreak_incident_regulatory_deadline_timestamp_seconds",
			"An incident's earliest regulatory report not yet logged: when it is due (open or closed incidents).", incidentLabels, nil),
		actionDue: prometheus.NewDesc("firebreak_incident_action_item_deadline_timestamp_seconds",
			"The earliest due date of an incident's open review action items.", incidentLabels, nil),
		breaches: prometheus.NewDesc("firebreak_incidents_sla_breached",
			"Open incidents past their acknowledge or contain target without reaching it.", nil, nil),
		regulatoryOverdue: prometheus.NewDesc("firebreak_regulatory_reports_overdue",
			"Incidents whose earliest regulatory report is past due and not logged.", nil, nil),
		actionOverdue: prometheus.NewDesc("firebreak_action_items_overdue",
			"Open review action items past their due date, over all incidents.", nil, nil),
		slaTarget: prometheus.NewDesc("firebreak_sla_target_seconds",
			"The SLA targets the deadlines are computed with (--sla-file); compare with the app's.", []string{"severity", "target"}, nil),
		TimeToAcknowledge: hist("firebreak_incident_time_to_acknowledge_seconds",
			"From declaration to the first acknowledgement, observed when it is recorded."),
		TimeToContain: hist("firebreak_incident_time_to_contain_seconds",
			"From declaration to the first containment, observed when it is recorded (incidents resolved without a containment step are not counted)."),
		TimeToResolve: hist("firebreak_incident_time_to_resolve_seconds",
			"From declaration to resolution, observed at each resolution (a reopened incident that resolves again counts again)."),
	}
	reg.MustRegister(m, m.TimeToAcknowledge, m.TimeToContain, m.TimeToResolve)
	return m
}

// Describe implements prometheus.Collector.
func (m *IncidentMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.open, m.ackDue, m.containDue, m.regulatoryDue, m.actionDue, m.breaches,
		m.regulatoryOverdue, m.actionOverdue, m.slaTarget} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *IncidentMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, sev := range []incident.Severity{incident.SEV1, incident.SEV2, incident.SEV3} {
		t := m.targets[sev]
		ch <- prometheus.MustNewConstMetric(m.slaTarget, prometheus.GaugeValue, float64(incident.WholeSeconds(t.Acknowledge)), sev.String(), "acknowledge")
		ch <- prometheus.MustNewConstMetric(m.slaTarget, prometheus.GaugeValue, float64(incident.WholeSeconds(t.Contain)), sev.String(), "contain")
	}
	now := m.now()
	var samples []deadlineSample
	var sum store.Deadlines
	ok := m.index.read(func(entries map[string]incident.Deadlines) {
		samples = deadlineSamples(entries, m.targets)
		sum = store.SummarizeDeadlines(maps.All(entries), now, m.targets)
	})
	if !ok {
		return
	}
	open := map[[4]string]int{}
	for _, s := range samples {
		switch s.kind {
		case sampleOpen:
			open[[4]string{s.labels[1], s.status, s.labels[2], s.labels[3]}]++
		case sampleAcknowledge:
			ch <- prometheus.MustNewConstMetric(m.ackDue, prometheus.GaugeValue, s.value, s.labels[:]...)
		case sampleContain:
			ch <- prometheus.MustNewConstMetric(m.containDue, prometheus.GaugeValue, s.value, s.labels[:]...)
		case sampleRegulatory:
			ch <- prometheus.MustNewConstMetric(m.regulatoryDue, prometheus.GaugeValue, s.value, s.labels[:]...)
		case sampleActionItem:
			ch <- prometheus.MustNewConstMetric(m.actionDue, prometheus.GaugeValue, s.value, s.labels[:]...)
		}
	}
	for k, n := range open {
		ch <- prometheus.MustNewConstMetric(m.open, prometheus.GaugeValue, float64(n), k[:]...)
	}
	ch <- prometheus.MustNewConstMetric(m.breaches, prometheus.GaugeValue, float64(sum.OpenSLABreaches))
	ch <- prometheus.MustNewConstMetric(m.regulatoryOverdue, prometheus.GaugeValue, float64(sum.RegulatoryOverdue))
	ch <- prometheus.MustNewConstMetric(m.actionOverdue, prometheus.GaugeValue, float64(sum.OverdueActionItems))
}

type sampleKind int

const (
	sampleOpen sampleKind = iota
	sampleAcknowledge
	sampleContain
	sampleRegulatory
	sampleActionItem
)

// deadlineSample is one series of one incident: labels are incidentLabels' values; value a Unix timestamp.
type deadlineSample struct {
	kind   sampleKind
	labels [4]string
	status string // sampleOpen only
	value  float64
}

// deadlineSamples lists, per incident with something pending, the series it has: whether it is open, the SLA
// deadlines it has yet to meet (declaration + target, in whole seconds as the statistics count them), its earliest
// unreported regulatory deadline and its earliest open action item's due date.
func deadlineSamples(entries map[string]incident.Deadlines, targets incident.SLATargets) []deadlineSample {
	var out []deadlineSample
	for id, d := range entries {
		if !d.Pending() {
			continue
		}
		labels := [4]string{id, d.Severity.String(), string(d.Category), d.AISystem}
		if d.Open {
			out = append(out, deadlineSample{kind: sampleOpen, labels: labels, status: string(d.Status)})
			t := targets[d.Severity]
			if !d.Acknowledged && t.Acknowledge > 0 {
				out = append(out, deadlineSample{sampleAcknowledge, labels, "", float64(d.DeclaredAt.Unix() + incident.WholeSeconds(t.Acknowledge))})
			}
			if !d.Contained && t.Contain > 0 {
				out = append(out, deadlineSample{sampleContain, labels, "", float64(d.DeclaredAt.Unix() + incident.WholeSeconds(t.Contain))})
			}
		}
		if !d.RegulatoryDue.IsZero() {
			out = append(out, deadlineSample{sampleRegulatory, labels, "", float64(d.RegulatoryDue.Unix())})
		}
		if len(d.ActionItemDues) > 0 {
			out = append(out, deadlineSample{sampleActionItem, labels, "", float64(slices.MinFunc(d.ActionItemDues, time.Time.Compare).Unix())})
		}
	}
	return out
}

// milestone is one observation of a response time.
type milestone struct {
	kind     incident.Kind // KindAcknowledged, KindContained or KindResolved
	severity incident.Severity
	seconds  float64
}

// observeMilestones returns the response times the records reach: the first acknowledgement, the first
// containment, each resolution, measured from declaration, for the incident's severity at that moment. Only events
// applied now are records (a replayed notification or command, recognized by the state, yields none), so nothing
// is counted twice across restarts; an incident's state after the event tells a first time (its AcknowledgedAt and
// ContainedAt keep the first) from a later one.
func observeMilestones(records []store.Record) []milestone {
	var out []milestone
	for i := range records {
		e, st := &records[i].Event, &records[i].State
		if st.Drill {
			continue
		}
		var first bool
		switch e.Kind {
		case incident.KindAcknowledged:
			first = st.AcknowledgedAt.Equal(e.At)
		case incident.KindContained:
			first = st.ContainedAt.Equal(e.At)
		case incident.KindResolved:
			first = true
		}
		if first {
			out = append(out, milestone{e.Kind, st.Severity, max(0, e.At.Sub(st.DeclaredAt).Seconds())})
		}
	}
	return out
}

// observe records the response times of applied records.
func (m *IncidentMetrics) observe(records []store.Record) {
	if m == nil {
		return
	}
	for _, ms := range observeMilestones(records) {
		h := m.TimeToResolve
		switch ms.kind {
		case incident.KindAcknowledged:
			h = m.TimeToAcknowledge
		case incident.KindContained:
			h = m.TimeToContain
		}
		h.WithLabelValues(ms.severity.String()).Observe(ms.seconds)
	}
}
