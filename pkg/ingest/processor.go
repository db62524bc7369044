package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/spool"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// Processor drains the spool into ClickHouse: the single writer of incident timelines. It loads the incidents
// alerts may still change, then for each batch of spooled notifications applies them to the state, writes the
// events in one insert (retrying until it succeeds) and only then commits the spool. A crash between the write and
// the commit replays notifications whose events are stored; the state, reloaded from the store, makes that a no-op.
type Processor struct {
	Spool    *spool.Spool
	Store    *store.Store
	Mapping  *incident.Mapping
	Metrics  *Metrics
	Log      *slog.Logger
	MaxBatch int           // spool records per write (default 5000)
	Linger   time.Duration // wait this long for a batch to fill (default 100ms)
	Waiters  *Waiters      // receive command results once their events are stored (may be nil)
	Decoded  *Decoded      // notifications already decoded by the HTTP handler (may be nil)

	readyOnce sync.Once
	ready     chan struct{}
}

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Ready is closed once the state is loaded and the processor writes.
func (p *Processor) Ready() <-chan struct{} { return p.readyChan() }

func (p *Processor) readyChan() chan struct{} {
	p.readyOnce.Do(func() { p.ready = make(chan struct{}) })
	return p.ready
}

// Run processes until ctx ends. It returns only ctx's error or a spool failure.
func (p *Processor) Run(ctx context.Context) error {
	ready := p.readyChan()
	if p.MaxBatch <= 0 {
		p.MaxBatch = 5000
	}
	if p.Linger <= 0 {
		p.Linger = 100 * time.Millisecond
	}
	state, err := p.loadState(ctx)
	if err != nil {
		return err
	}
	close(ready)
	for {
		batch, err := p.next(ctx)
		if err != nil {
			return err
		}
		var records []store.Record
		var oldest time.Time
		type done struct {
			id         string
			res        CommandResult
			afterWrite bool
		}
		var results []done
		for _, rec := range batch {
			env, err := p.Decoded.Decode(rec.Data)
			if err != nil {
				p.Metrics.DroppedRecords.Inc()
				p.Log.Error("spool record cannot be decoded; skipping it", "position", rec.Pos.String(), "err", err)
				continue
			}
			if env.Command != nil {
				if err := p.ensureLoaded(ctx, state, CommandIncidentID(env.Command)); err != nil {
					return err
				}
				recs, res := state.ApplyCommand(env)
				records = append(records, recs...)
				results = append(results, done{env.Command.ID, res, env.Command.ContainmentStart != nil})
				continue
			}
			if oldest.IsZero() || env.ReceivedAt.Before(oldest) {
				oldest = env.ReceivedAt
			}
			recs, out := state.Apply(env)
			records = append(records, recs...)
			p.Metrics.Duplicates.Add(float64(out.Duplicates))
			for _, inc := range out.Declared {
				p.Metrics.Declared.WithLabelValues(inc.Severity.String(), string(inc.Category)).Inc()
				p.Log.Info("incident declared", "incident_id", inc.ID, "severity", inc.Severity.String(),
					"category", inc.Category, "ai_system", inc.AISystem, "title", inc.Title)
			}
		}
		// A command is answered once it is applied: it is durable in the spool, and the state it was applied to is
		// what every later command sees, so the answer cannot change. Its events reach ClickHouse with this batch's
		// write, right after (a replay after a crash writes them, the reloaded state making it a no-op otherwise).
		// The exception is a containment start: the action it starts is called on the answer, and only once its
		// evidence snapshot is stored, so it is answered after the write.
		deliver := func(afterWrite bool) {
			for _, d := range results {
				if d.afterWrite == afterWrite && p.Waiters != nil {
					p.Waiters.deliver(d.id, d.res)
				}
			}
		}
		deliver(false)
		if err := p.write(ctx, records); err != nil {
			return err
		}
		deliver(true)
		if err := p.Spool.Commit(batch[len(batch)-1].Pos); err != nil {
			return err
		}
		if !oldest.IsZero() {
			p.Metrics.Lag.Observe(time.Since(oldest).Seconds())
		}
		incs, eps := state.Size()
		p.Metrics.StateIncidents.Set(float64(incs))
		p.Metrics.StateEpisodes.Set(float64(eps))
	}
}

// next waits for spooled records, then lingers briefly so that a busy receiver writes few large batches.
func (p *Processor) next(ctx context.Context) ([]spool.Record, error) {
	batch, err := p.Spool.Next(ctx, p.MaxBatch)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(p.Linger)
	// A person waiting for a command's answer is not kept waiting for the batch to fill.
	for len(batch) < p.MaxBatch && !p.Waiters.waiting() {
		wait := time.Until(deadline)
		if wait <= 0 {
			break
		}
		lctx, cancel := context.WithTimeout(ctx, wait)
		more, err := p.Spool.Next(lctx, p.MaxBatch-len(batch))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				break
			}
			return nil, err
		}
		batch = append(batch, more...)
	}
	return batch, nil
}

// loadState migrates the schema and loads active incidents, retrying while ClickHouse is unavailable.
func (p *Processor) loadState(ctx context.Context) (*State, error) {
	var state *State
	err := p.retry(ctx, "load state from ClickHouse", func() error {
		if err := p.Store.Migrate(ctx); err != nil {
			return err
		}
		// Resolved incidents can reopen for ReopenWindow; take a day more for clocks and late notifications.
		incs, err := p.Store.LoadActive(ctx, time.Now().Add(-p.Mapping.ReopenWindow-24*time.Hour))
		if err != nil {
			return err
		}
		state = NewState(p.Mapping)
		state.Load(incs)
		p.Log.Info("ingest state loaded", "incidents", len(incs))
		return nil
	})
	return state, err
}

// ensureLoaded brings an incident that alerts no longer touch (closed, long resolved) back into the state.
func (p *Processor) ensureLoaded(ctx context.Context, state *State, id string) error {
	if state.Has(id) {
		return nil
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil // not an incident id: the command fails with not found
	}
	return p.retry(ctx, "load incident "+id, func() error {
		inc, err := p.Store.LoadIncident(ctx, id)
		if err == nil && inc != nil {
			state.Load([]*incident.Incident{inc})
		}
		return err
	})
}

func (p *Processor) write(ctx context.Context, records []store.Record) error {
	if len(records) == 0 {
		return nil
	}
	return p.retry(ctx, "write events to ClickHouse", func() error {
		start := time.Now()
		// A write is not cut short by shutdown: it either lands or is replayed from the spool next time.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := p.Store.Write(wctx, records); err != nil {
			return err
		}
		p.Metrics.WriteDuration.Observe(time.Since(start).Seconds())
		p.Metrics.EventsWritten.Add(float64(len(records)))
		p.Metrics.LastWriteTime.SetToCurrentTime()
		return nil
	})
}

// retry runs op until it succeeds or ctx ends, backing off exponentially and logging once per outage.
func (p *Processor) retry(ctx context.Context, what string, op func() error) error {
	backoff := minBackoff
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil {
			if attempt > 1 {
				p.Log.Info("ClickHouse is back", "operation", what, "attempts", attempt)
			}
			p.Metrics.StoreConnected.Set(1)
			return nil
		}
		p.Metrics.StoreConnected.Set(0)
		p.Metrics.WriteErrors.Inc()
		if attempt == 1 || attempt%20 == 0 {
			p.Log.Warn("ClickHouse unavailable; notifications stay in the spool and are retried", "operation", what,
				"attempt", attempt, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}
