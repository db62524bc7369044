package plugin

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// The receiver answers a command once it is durable and applied, and writes its events to ClickHouse right after
// (typically within 50 ms). So that whoever made a change through this plugin sees it in the next read, the plugin
// remembers its recent changes and, before a read, waits until ClickHouse shows them: at most readYourWritesWait,
// after which the read returns what ClickHouse has. Changes older than recentWriteTTL are no longer waited for.
const (
	readYourWritesWait    = 5 * time.Second      // far above the usual 50 ms: a busy 2-core host took 1.8-2 s
	readYourWritesPoll    = 5 * time.Millisecond // the first wait, doubled each time up to readYourWritesMaxPoll
	readYourWritesMaxPoll = 100 * time.Millisecond
	recentWriteTTL        = 10 * time.Second
)

// recentWrites are the changes this plugin instance made that ClickHouse may not show yet.
type recentWrites struct {
	mu      sync.Mutex
	pending map[string]recentWrite // incident id -> its latest change
}

type recentWrite struct {
	key store.IncidentKey
	seq uint32 // the change's last event
	at  time.Time
}

// add records that inc changed, up to its event LastSeq.
func (r *recentWrites) add(inc *incident.Incident, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == nil {
		r.pending = map[string]recentWrite{}
	}
	if w, ok := r.pending[inc.ID]; !ok || inc.LastSeq > w.seq {
		r.pending[inc.ID] = recentWrite{key: store.IncidentKey{ID: inc.ID, DeclaredAt: inc.DeclaredAt}, seq: inc.LastSeq, at: now}
	}
}

// of returns the pending changes (all of them when id is empty), forgetting those older than recentWriteTTL.
func (r *recentWrites) of(id string, now time.Time) map[string]recentWrite {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]recentWrite{}
	for k, w := range r.pending {
		switch {
		case now.Sub(w.at) > recentWriteTTL:
			delete(r.pending, k)
		case id == "" || k == id:
			out[k] = w
		}
	}
	return out
}

// seen forgets the change of incident id once ClickHouse shows its event seq.
func (r *recentWrites) seen(id string, seq uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.pending[id]; ok && seq >= w.seq {
		delete(r.pending, id)
	}
}

// awaitRecentWrites waits until ClickHouse's state rows (what lists and statistics read) show every recent change,
// or readYourWritesWait passed.
func (a *App) awaitRecentWrites(ctx context.Context) {
	a.pollUntilFresh(ctx, func() bool {
		pending := a.written.of("", a.now())
		if len(pending) == 0 {
			return true
		}
		keys := make([]store.IncidentKey, 0, len(pending))
		for _, w := range pending {
			keys = append(keys, w.key)
		}
		versions, err := a.store.StateVersions(ctx, keys)
		if err != nil {
			return true // the read that follows reports the problem
		}
		for k, v := range versions {
			a.written.seen(k, v)
		}
		return len(a.written.of("", a.now())) == 0
	})
}

// events reads an incident's timeline, waiting (see above) until it shows this plugin's latest change of it. The
// change stays remembered: the state rows lists read are written after the events, in the same insert.
func (a *App) events(ctx context.Context, id string) (events []incident.Event, err error) {
	want := a.written.of(id, a.now())[id].seq
	a.pollUntilFresh(ctx, func() bool {
		events, err = a.store.Events(ctx, id)
		return err != nil || want == 0 || (len(events) > 0 && events[len(events)-1].Seq >= want)
	})
	return events, err
}

// timelineAfter reads up to limit events of an incident after seq after, in order, and the cursor of the next page
// ("" when there is none), waiting (see above) until ClickHouse shows this plugin's latest change of it. found is
// false when the incident does not exist.
func (a *App) timelineAfter(ctx context.Context, id string, after uint32, limit int) (page []incident.Event, next string, found bool, err error) {
	if want := a.written.of(id, a.now())[id].seq; want > after {
		a.pollUntilFresh(ctx, func() bool {
			last, _, err := a.store.LastSeq(ctx, id)
			return err != nil || last >= want
		})
	}
	if after == math.MaxUint32 { // nothing can come after it
		_, found, err := a.store.LastSeq(ctx, id)
		return []incident.Event{}, "", found, err
	}
	// Seqs run from 1 without gaps, so the next limit events are the next limit seqs; one more says whether there
	// are more. A gap (a deleted event, which verify reports) is covered by asking for the last seq.
	last := uint32(min(uint64(after)+uint64(limit)+1, math.MaxUint32))
	events, found, err := a.store.EventsBetween(ctx, id, after+1, last)
	switch {
	case err != nil || !found:
		return nil, "", found, err
	case len(events) > limit:
		page = events[:limit]
		return page, encodeCursor(timelineCursor{AfterSeq: page[limit-1].Seq}), true, nil
	case len(events) == 0 && after == 0:
		return nil, "", false, nil // no events: no incident
	}
	stored, _, err := a.store.LastSeq(ctx, id)
	if err != nil {
		return nil, "", true, err
	}
	if stored > last {
		next = encodeCursor(timelineCursor{AfterSeq: last})
	}
	if events == nil {
		events = []incident.Event{}
	}
	return events, next, true, nil
}

// integrity reads what verify checks. ClickHouse shows a write's events before its state row (one INSERT fills the
// tables one after the other) and the receiver signs a write's heads right after it, so a read just after a write may
// see events the state and the signatures do not have yet: it reads again (up to readYourWritesWait) while that is so
// for events recorded in the last minute, and until the user's own last change is there.
func (a *App) integrity(ctx context.Context, id string) (got store.Integrity, err error) {
	want := a.written.of(id, a.now())[id].seq
	a.pollUntilFresh(ctx, func() bool {
		got, err = a.store.ReadIntegrity(ctx, id)
		if err != nil || (len(got.Rows) == 0 && want == 0) {
			return true
		}
		var stored, signed uint32
		var recorded time.Time
		for _, e := range got.Rows {
			if e.Seq >= stored {
				stored, recorded = e.Seq, e.RecordedAt
			}
		}
		for _, h := range got.Heads {
			signed = max(signed, h.Seq)
		}
		if stored < want {
			return false
		}
		settled := got.State != nil && got.State.Seq == stored && (a.settings.SigningKey == nil || signed == stored)
		return settled || a.now().Sub(recorded) > time.Minute
	})
	return got, err
}

// pollUntilFresh calls fresh until it reports true, readYourWritesWait passed or ctx ended, waiting between calls
// from readYourWritesPoll, doubled each time, up to readYourWritesMaxPoll.
func (a *App) pollUntilFresh(ctx context.Context, fresh func() bool) {
	deadline, poll := a.now().Add(readYourWritesWait), readYourWritesPoll
	for !fresh() && !a.now().After(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
		poll = min(2*poll, readYourWritesMaxPoll)
	}
}
