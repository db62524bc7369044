package ingest

import (
	"fmt"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// BenchmarkApply measures the ingest state machine on the receiver benchmark's shape: one new alert per
// notification, joining one of 50 open incidents.
func BenchmarkApply(b *testing.B) {
	s := NewState(incident.DefaultMapping())
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := note(fmt.Sprintf("g%d", i%50), alertSpec{fp: fmt.Sprintf("%016x", i), name: "AIHallucinationRateHigh",
			severity: "warning", start: t0.Add(time.Duration(i) * time.Millisecond)})
		s.Apply(env(t0.Add(time.Duration(i)*time.Millisecond), n))
	}
}
