//go:build linux

package bench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/store"
)

// BenchmarkListTaxonomyFilters measures the incident list (store.ListIncidents, the query behind GET incidents)
// with the taxonomy filters against the same list without them, in the same run, on a database seeded by
// cmd/firebreak-seed (about a third of the incidents classified):
//
//	go test -run '^$' -bench BenchmarkListTaxonomyFilters -benchtime 1x -timeout 30m ./bench/
//
// FIREBREAK_SEED_INCIDENTS / FIREBREAK_SEED_EVENTS scale the volume (default 100,000 / 500,000);
// FIREBREAK_LIST_BENCH_N sets the samples per list (default 60); FIREBREAK_LIST_BENCH_REUSE="<native port> <http
// port> <database>" uses a database seeded before; FIREBREAK_BENCH_OUT also writes the summary to a file.
func BenchmarkListTaxonomyFilters(b *testing.B) {
	incidents, events, n := envInt(b, "FIREBREAK_SEED_INCIDENTS", 100_000), envInt(b, "FIREBREAK_SEED_EVENTS", 500_000),
		envInt(b, "FIREBREAK_LIST_BENCH_N", 60)
	ch, db, seedTook := seededClickHouse(b, "FIREBREAK_LIST_BENCH_REUSE", incidents, events)
	s, err := store.Open(ch.DSN(db), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	open := []string{"declared", "acknowledged", "contained"}
	queue := store.ListFilter{Statuses: open, From: now.Add(-90 * 24 * time.Hour), To: now, Limit: 50} // the queue's default
	all := store.ListFilter{From: now.Add(-90 * 24 * time.Hour), To: now, Limit: 50}
	with := func(f store.ListFilter, change func(*store.ListFilter)) store.ListFilter { change(&f); return f }
	lists := []struct {
		name     string
		f        store.ListFilter
		baseline string // the list of the same statuses without taxonomy filters
	}{
		{"open, 90 days (the queue's default)", queue, ""},
		{"open + owasp_llm=LLM09", with(queue, func(f *store.ListFilter) { f.OWASPLLM = []string{"LLM09"} }), "open, 90 days (the queue's default)"},
		{"open + harm=health", with(queue, func(f *store.ListFilter) { f.Harms = []string{"health"} }), "open, 90 days (the queue's default)"},
		{"any status, 90 days", all, ""},
		{"any status + owasp_llm=LLM09", with(all, func(f *store.ListFilter) { f.OWASPLLM = []string{"LLM09"} }), "any status, 90 days"},
		{"any status + owasp_llm=LLM01,LLM02 + harm=fundamental_rights", with(all, func(f *store.ListFilter) {
			f.OWASPLLM, f.Harms = []string{"LLM01", "LLM02"}, []string{"fundamental_rights"}
		}), "any status, 90 days"},
	}
	took := make([][]time.Duration, len(lists))
	found := make([]int, len(lists))
	for i := 0; i < n; i++ { // interleaved: a slow moment of the machine falls on every list alike
		for j, l := range lists {
			start := time.Now()
			p, err := s.ListIncidents(ctx, l.f)
			took[j] = append(took[j], time.Since(start))
			if err != nil {
				b.Fatalf("%s: %v", l.name, err)
			}
			found[j] = len(p.Incidents)
		}
	}
	var report strings.Builder
	fmt.Fprintf(&report, "#### Incident list with taxonomy filters on %d incidents / %d events (seeded in %s), %d samples each, interleaved\n\n",
		incidents, events, seedTook.Round(time.Second), n)
	report.WriteString("| list (first page of 50) | rows | p50 | p95 | p95 / same list unfiltered |\n|---|---|---|---|---|\n")
	p95 := map[string]time.Duration{}
	for j, l := range lists {
		slices.Sort(took[j])
		p95[l.name] = quantile(took[j], 0.95)
		ratio := "baseline"
		if l.baseline != "" {
			ratio = fmt.Sprintf("%.2f", float64(p95[l.name])/float64(p95[l.baseline]))
		}
		fmt.Fprintf(&report, "| %s | %d | %.1f ms | %.1f ms | %s |\n", l.name, found[j], ms(quantile(took[j], 0.5)), ms(p95[l.name]), ratio)
	}
	fmt.Println(report.String())
	if out := os.Getenv(envOut); out != "" {
		if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
