package ingest

import (
	"maps"
	"sync"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// DeadlineIndex holds the deadlines of every incident that has one pending (incident.Deadlines.Pending), however
// old the incident: counting what is overdue over all incidents (the statistics' open SLA breaches, regulatory
// deadlines, overdue action items) is then a walk over those in memory, where ClickHouse needs the newest state of
// every incident (FINAL over all of them: ~0.5 s at a million incidents on 18.16). The processor, the one writer
// of timelines, keeps it current as it applies events; it is loaded from ClickHouse at start.
type DeadlineIndex struct {
	mu      sync.RWMutex
	loaded  bool
	entries map[string]incident.Deadlines // incident id -> deadlines
}

// Load replaces the index with the pending deadlines read from the store.
func (x *DeadlineIndex) Load(all map[string]incident.Deadlines) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.entries = make(map[string]incident.Deadlines, len(all))
	for id, d := range all {
		if d.Pending() {
			x.entries[id] = d
		}
	}
	x.loaded = true
}

// Update records an incident's deadlines after a change.
func (x *DeadlineIndex) Update(id string, d incident.Deadlines) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.entries == nil {
		x.entries = map[string]incident.Deadlines{}
	}
	if d.Pending() {
		x.entries[id] = d
	} else {
		delete(x.entries, id)
	}
}

// Len returns how many incidents have pending deadlines.
func (x *DeadlineIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.entries)
}

// Summary counts what is overdue at now and lists the regulatory deadlines due soon (store.SummarizeDeadlines).
// ok is false until Load.
func (x *DeadlineIndex) Summary(now time.Time, targets incident.SLATargets) (sum store.Deadlines, ok bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.loaded {
		return store.Deadlines{}, false
	}
	return store.SummarizeDeadlines(maps.All(x.entries), now, targets), true
}

// read calls f with the entries under the read lock (f must not keep or change them); false until Load.
func (x *DeadlineIndex) read(f func(entries map[string]incident.Deadlines)) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.loaded {
		return false
	}
	f(x.entries)
	return true
}
