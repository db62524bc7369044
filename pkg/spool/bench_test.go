package spool

import (
	"context"
	"crypto/rand"
	"slices"
	"sync"
	"testing"
	"time"
)

func benchSpool(b *testing.B) *Spool {
	s, err := Open(Options{Dir: b.TempDir(), MaxBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func reportAppend(b *testing.B, s *Spool, lat []time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	b.ReportMetric(float64(s.syncs.Load())/float64(b.N), "fsyncs/append")
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkAppendSerial appends 1 KiB records one at a time: one fsync per
// append.
func BenchmarkAppendSerial(b *testing.B) {
	s := benchSpool(b)
	payload := make([]byte, 1024)
	_, _ = rand.Read(payload)
	ctx := context.Background()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for range b.N {
		if err := s.Append(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportAppend(b, s, nil)
}

// BenchmarkAppendParallel appends 1 KiB records from 64 goroutines per CPU
// (many concurrent HTTP handlers); group commit shares each fsync.
func BenchmarkAppendParallel(b *testing.B) {
	s := benchSpool(b)
	payload := make([]byte, 1024)
	_, _ = rand.Read(payload)
	ctx := context.Background()
	var mu sync.Mutex
	var lat []time.Duration
	b.SetBytes(int64(len(payload)))
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			start := time.Now()
			if err := s.Append(ctx, payload); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	b.StopTimer()
	reportAppend(b, s, lat)
}

// BenchmarkCommit is the consumer's cycle for a batch of 100 1 KiB records: Next, then Commit. With everything
// consumed each Commit also lets the writer start a new segment and delete the drained one, as in a receiver that
// keeps up.
func BenchmarkCommit(b *testing.B) {
	s := benchSpool(b)
	payload := make([]byte, 1024)
	_, _ = rand.Read(payload)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		var wg sync.WaitGroup // concurrent appends share an fsync
		for range 100 {
			wg.Go(func() {
				if err := s.Append(ctx, payload); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		b.StartTimer()
		recs, err := s.Next(ctx, 100)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(recs[len(recs)-1].Pos); err != nil {
			b.Fatal(err)
		}
	}
}
