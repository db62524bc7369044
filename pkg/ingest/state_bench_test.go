package ingest

import (
	"fmt"
	"runtime"
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

// BenchmarkStateHeap reports the heap the state holds per alert when 100,000 alerts are attached to 50 open
// incidents: what grows with an alert storm.
func BenchmarkStateHeap(b *testing.B) {
	const alerts = 100_000
	for b.Loop() {
		before := heapInUse()
		s := NewState(incident.DefaultMapping())
		for i := range alerts {
			n := note(fmt.Sprintf("g%d", i%50), alertSpec{fp: fmt.Sprintf("%016x", i), name: "AIHallucinationRateHigh",
				severity: "warning", start: t0.Add(time.Duration(i) * time.Millisecond)})
			s.Apply(env(t0.Add(time.Duration(i)*time.Millisecond), n))
		}
		b.ReportMetric(float64(heapInUse()-before)/alerts, "heap_B/alert")
		runtime.KeepAlive(s)
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
