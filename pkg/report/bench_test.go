package report

import (
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// bigAudit is the audit report of an incident with n alert episodes (2n+1 events: each fired and resolved).
func bigAudit(b testing.TB, n int) *Audit {
	b.Helper()
	inc, first, err := incident.Declare("6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b", incident.DeclaredBody{Title: "Inference pods crash-looping",
		AISystem: "supportbot", Category: incident.Other, Severity: incident.SEV2, DeclaredBy: "rule:PodCrashLooping", DeclaredVia: "alertmanager",
		StartedAt: t0}, t0, t0, "rule:PodCrashLooping", "declared")
	if err != nil {
		b.Fatal(err)
	}
	events := []incident.Event{first}
	for i := range n {
		a := incident.Alert{Key: incident.AlertKey(fmt.Sprintf("%016x", i), t0), Fingerprint: fmt.Sprintf("%016x", i), Name: "PodCrashLooping",
			Status: "firing", StartsAt: t0, Source: "alertmanager", Labels: map[string]string{"alertname": "PodCrashLooping",
				"ai_system": "supportbot", "pod": fmt.Sprintf("supportbot-%05d", i), "zone": "a"},
			Annotations: map[string]string{"summary": "Inference pods crash-looping"}}
		for _, status := range []string{"firing", "resolved"} {
			a.Status = status
			kind := incident.KindAlertFired
			if status == "resolved" {
				kind, a.EndsAt = incident.KindAlertResolved, t0.Add(time.Minute)
			}
			e, err := inc.Append(kind, t0, t0, "rule:PodCrashLooping", "Alert PodCrashLooping "+status, incident.AlertBody{Alert: a})
			if err != nil {
				b.Fatal(err)
			}
			events = append(events, e)
		}
	}
	return &Audit{Schema: AuditSchema, GeneratedAt: t0, GeneratedBy: "auditor", Incident: inc, ReviewMissing: inc.ReviewMissing(),
		Evidence: []EvidenceCheck{}, Verification: incident.Verify(events, nil, nil, nil), TimelineTotal: len(events), Timeline: events}
}

// The audit report of an incident of 10,000 alert episodes (20,001 events) in each format. JSON is the baseline:
// the timeline is written by the same code as the incident page's.
func BenchmarkAudit10kAlerts(b *testing.B) {
	a := bigAudit(b, 10000)
	for _, f := range Formats {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := a.Write(io.Discard, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The readable forms of the audit report of an incident of 1,001 events (500 alert episodes and the declaration).
// Markdown is the baseline: the same Document, written as text. peak-heap-MB is the most the heap grew during one
// report above what it held before (sampled every 200 µs, so a lower bound of the true peak).
func BenchmarkReadable1kEvents(b *testing.B) {
	a := bigAudit(b, 500)
	for _, f := range []Format{Markdown, HTML, PDF} {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			peak := 0.0
			for b.Loop() {
				var out countingWriter
				grew := heapGrowth(func() {
					if err := a.Write(&out, f); err != nil {
						b.Fatal(err)
					}
				})
				peak, size = max(peak, grew), out.n
			}
			b.ReportMetric(float64(size), "bytes")
			b.ReportMetric(peak/(1<<20), "peak-heap-MB")
		})
	}
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// heapGrowth runs f and returns the most the heap's objects (live or not yet collected) grew above their size
// before it, in bytes.
func heapGrowth(f func()) float64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() float64 { metrics.Read(sample); return float64(sample[0].Value.Uint64()) }
	runtime.GC()
	base := read()
	peak := base
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				peak = max(peak, read())
			}
		}
	}()
	f()
	close(done)
	<-sampled
	return max(peak, read()) - base
}
