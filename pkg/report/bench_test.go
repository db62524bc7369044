package report

import (
	"fmt"
	"io"
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
