package ingest

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// benchIndex holds 10,000 incidents with something pending: 2,000 open (half acknowledged), 8,000 closed with an
// open action item, 500 of those with a regulatory report due.
func benchIndex() *DeadlineIndex {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	all := map[string]incident.Deadlines{}
	for i := range 10_000 {
		d := incident.Deadlines{Severity: incident.Severity(1 + i%3), Category: incident.Hallucination,
			AISystem: fmt.Sprintf("system-%d", i%20), DeclaredAt: now.Add(-time.Duration(i) * time.Minute)}
		if i < 2_000 {
			d.Open, d.Status, d.Acknowledged = true, incident.Declared, i%2 == 0
		} else {
			d.Status, d.Acknowledged, d.Contained = incident.Closed, true, true
			d.ActionItemDues = []time.Time{now.Add(time.Duration(i%100-50) * time.Hour)}
			if i%16 == 0 {
				d.RegulatoryDue, d.Title = now.Add(time.Duration(i%72)*time.Hour), "leak"
			}
		}
		all[fmt.Sprintf("%08d-0000-0000-0000-000000000000", i)] = d
	}
	x := &DeadlineIndex{}
	x.Load(all)
	return x
}

// BenchmarkIncidentMetricsScrape is one scrape of the incident metrics (Gather of their registry) over benchIndex;
// BenchmarkDeadlineSummary, its baseline, is what GET /api/v1/deadlines computes over the same index for every
// statistics page.
func BenchmarkIncidentMetricsScrape(b *testing.B) {
	x := benchIndex()
	reg := prometheus.NewRegistry()
	NewIncidentMetrics(reg, x, incident.DefaultSLATargets(), time.Now)
	b.ReportAllocs()
	series := 0
	for b.Loop() {
		mfs, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		series = 0
		for _, mf := range mfs {
			series += len(mf.GetMetric())
		}
	}
	b.ReportMetric(float64(series), "series")
}

func BenchmarkDeadlineSummary(b *testing.B) {
	x := benchIndex()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := x.Summary(time.Now(), incident.DefaultSLATargets()); !ok {
			b.Fatal("not loaded")
		}
	}
}
