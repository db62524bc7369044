package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	MaxBatch int           // spool records applied at once (default 5000)
	Linger   time.Duration // a write to ClickHouse gathers notifications this long (default 100ms)
	Waiters  *Waiters      // receive command results once their events are stored (may be nil)
	Decoded  *Decoded      // notifications already decoded by the HTTP handler (may be nil)
	// Deadlines, if set, is loaded at start and kept current with every change (see DeadlineIndex).
	Deadlines *DeadlineIndex
	// Incidents, if set, observes response times as events are applied (see IncidentMetrics).
	Incidents *IncidentMetrics
	// Signer, if set, signs each incident's chain head after every write (see incident.Signer).
	Signer *incident.Signer
	// ReplayHorizon is how long the state remembers the alert episodes of incidents it swept (default
	// DefaultReplayHorizon); older ones are looked up in ClickHouse when an alert of theirs comes again.
	ReplayHorizon time.Duration
	// Flapping sets the damping of flapping incidents (DefaultFlapping when zero).
	Flapping Flapping

	// ignoredLog bounds the log lines of ignored taxonomy label values (see noteIgnored).
	ignoredLog everyKey

	readyOnce  sync.Once
	ready      chan struct{}
	recordSize int // running mean of the spool records' sizes (next)
}

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
	// writeTimeout bounds one attempt to write to ClickHouse.
	writeTimeout = 30 * time.Second
	// applyLinger is the longest the processor gathers spooled notifications before applying them (and handing
	// them to the open write): short, so that the work is spread evenly.
	applyLinger = 100 * time.Millisecond
)

// Ready is closed once the state is loaded and the processor writes.
func (p *Processor) Ready() <-chan struct{} { return p.readyChan() }

func (p *Processor) readyChan() chan struct{} {
	p.readyOnce.Do(func() { p.ready = make(chan struct{}) })
	return p.ready
}

// Run processes until ctx ends. It returns only ctx's error or a spool failure.
//
// Applying a batch and writing it are a pipeline: while one batch is written to ClickHouse, the next is applied,
// so a command is answered without waiting for the write of the batch before it. Writes, and the spool commits
// after them, stay in order.
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
	w := newWriter(p)
	wctx, stopWriting := context.WithCancel(ctx)
	go w.run(wctx)
	defer w.stop()
	// Deferred last, so it runs first: when Run fails, a writer retrying an unreachable ClickHouse gives up (its
	// records stay in the spool, uncommitted, and are written after a restart) instead of holding stop forever.
	defer stopWriting()
	for {
		batch, err := p.next(ctx, state.NextTick())
		if err != nil {
			return err
		}
		if len(batch) == 0 { // nothing came before a flapping incident's quiet time was over
			if err := p.tick(state, w); err != nil {
				return err
			}
			continue
		}
		// A writer that stopped (the spool failed) is noticed before anything more is applied and answered.
		if err := w.failed(); err != nil {
			return err
		}
		if err := p.apply(ctx, state, batch, w); err != nil {
			return err
		}
	}
}

// done is the result of a command, for the person waiting for it.
type done struct {
	id         string
	res        CommandResult
	afterWrite bool
}

// writeJob is applied batches to write: their records, then the answers that wait for the write, then the spool
// commit up to last.
type writeJob struct {
	records []store.Record
	results []done
	last    spool.Position
	oldest  time.Time // receive time of the oldest notification
}

// apply turns a batch of spool records into the events to write and hands them to the writer (see hand).
func (p *Processor) apply(ctx context.Context, state *State, batch []spool.Record, w *writer) error {
	job := writeJob{records: make([]store.Record, 0, len(batch))} // an alert each, usually
	for _, rec := range batch {
		env, err := p.Decoded.Decode(rec.Data)
		if err != nil {
			p.Metrics.DroppedRecords.Inc()
			p.Log.Error("spool record cannot be decoded; skipping it", "position", rec.Pos.String(), "err", err)
			job.last = rec.Pos
			continue
		}
		if env.Command != nil {
			id := CommandIncidentID(env.Command)
			if p.mustLoad(state, id) {
				// What this batch applied so far may change the incident: written first, then read.
				if err := p.hand(&job, state, w); err != nil {
					return err
				}
				if err := p.load(ctx, state, id, w); err != nil {
					return err
				}
			}
			recs, res := state.ApplyCommand(env)
			job.records = append(job.records, recs...)
			job.results = append(job.results, done{env.Command.ID, res, env.Command.ContainmentStart != nil})
			job.last = rec.Pos
			continue
		}
		if job.oldest.IsZero() || env.ReceivedAt.Before(job.oldest) {
			job.oldest = env.ReceivedAt
		}
		if load, lookup := state.Unknown(env); len(load) > 0 || len(lookup) > 0 {
			// Alerts of incidents the state swept (or older than its memory): their incidents are read first and
			// the notification applied to them, so a late replay is recognized instead of declaring them again.
			if err := p.hand(&job, state, w); err != nil {
				return err
			}
			if err := p.loadForAlerts(ctx, state, load, lookup, w); err != nil {
				return err
			}
		}
		recs, out := state.Apply(env)
		job.records = append(job.records, recs...)
		job.last = rec.Pos
		p.Metrics.Duplicates.Add(float64(out.Duplicates))
		for _, inc := range out.Declared {
			p.Metrics.Declared.WithLabelValues(inc.Severity.String(), string(inc.Category)).Inc()
			p.Log.Info("incident declared", "incident_id", inc.ID, "severity", inc.Severity.String(),
				"category", inc.Category, "ai_system", inc.AISystem, "title", inc.Title)
		}
		p.noteFlapping(out)
		p.noteIgnored(out, time.Now())
		// MaxBatch counts notifications, a write counts events: a notification of a large group has many alerts,
		// so a batch is handed to the writer in parts of at most maxWriteRecords events (and one notification's).
		if len(job.records) >= maxWriteRecords {
			if err := p.hand(&job, state, w); err != nil {
				return err
			}
		}
	}
	return p.hand(&job, state, w)
}

// tick applies the passing of time when no notification came (see State.Tick) and hands its events to the writer.
func (p *Processor) tick(state *State, w *writer) error {
	recs, out := state.Tick(time.Now())
	p.noteFlapping(out)
	job := writeJob{records: recs}
	return p.hand(&job, state, w)
}

func (p *Processor) noteFlapping(out Outcome) {
	for _, inc := range out.FlappingStarted {
		p.Metrics.Flapping.WithLabelValues("started").Inc()
		p.Log.Info("incident is flapping: kept open until its alerts are quiet", "incident_id", inc.ID, "title", inc.Title)
	}
	for _, inc := range out.FlappingEnded {
		p.Metrics.Flapping.WithLabelValues("ended").Inc()
		p.Log.Info("incident stopped flapping", "incident_id", inc.ID, "status", inc.Status)
	}
}

// ignoredLogInterval is how often at most a taxonomy label (by name) is logged for values ignored for one reason.
const ignoredLogInterval = time.Minute

// noteIgnored counts the taxonomy label values the classification left out, by label and reason, and logs them:
// at most one line a minute for a label and reason (the label names are the mapping's, so these are few), naming the
// value and how many were not logged since the last line. At 5,000 notifications/s of a rule with a bad label,
// that is a line a minute, not 5,000 a second; the timeline names every one.
func (p *Processor) noteIgnored(out Outcome, now time.Time) {
	for _, v := range out.Ignored {
		p.Metrics.TaxonomyIgnored.WithLabelValues(v.Label, v.Reason).Inc()
		if ok, held := p.ignoredLog.allow(v.Label+"\x00"+v.Reason, now, ignoredLogInterval); ok {
			p.Log.Warn("taxonomy label value ignored", "label", v.Label, "value", incident.Truncate(v.Value, 50),
				"reason", v.Reason, "incident_id", v.IncidentID, "alert", v.Alert, "not_logged_since_last", held)
		}
	}
}

// everyKey lets one thing a key through per interval and counts those it holds back. Its zero value is ready.
type everyKey struct {
	last map[string]time.Time
	held map[string]int
}

// allow reports whether the key may pass at now, and, if it may, how many were held back since it last did.
func (e *everyKey) allow(key string, now time.Time, interval time.Duration) (ok bool, held int) {
	if e.last == nil {
		e.last, e.held = map[string]time.Time{}, map[string]int{}
	}
	if last, seen := e.last[key]; seen && now.Sub(last) < interval {
		e.held[key]++
		return false, 0
	}
	held = e.held[key]
	e.last[key], e.held[key] = now, 0
	return true, held
}

// hand passes what was applied to the writer and starts a new job. The state rows are frozen first: the records
// share maps and clocks with the live incidents, which the next batch changes while the writer reads them. The
// deadline index takes the new states.
//
// A command is answered here, once it is applied: it is durable in the spool, and the state it was applied to is
// what every later command sees, so the answer cannot change. Its events reach ClickHouse with the next write
// (a replay after a crash writes them, the reloaded state making it a no-op otherwise). The exception is a
// containment start: the action it starts is called on the answer, and only once its evidence snapshot is
// stored, so it is answered after the write.
func (p *Processor) hand(job *writeJob, state *State, w *writer) error {
	if job.last == (spool.Position{}) && len(job.records) == 0 {
		return nil // nothing read or ticked since the last hand-off
	}
	keepLastStates(job.records)
	for i := range job.records {
		if r := &job.records[i]; r.WriteState {
			deadlines := r.Freeze()
			if p.Deadlines != nil {
				p.Deadlines.Update(r.Event.IncidentID, deadlines)
			}
		}
	}
	p.Incidents.observe(job.records)
	p.deliver(job.results, false)
	incs, eps := state.Size()
	p.Metrics.StateIncidents.Set(float64(incs))
	p.Metrics.StateEpisodes.Set(float64(eps))
	p.Metrics.PastEpisodes.Set(float64(state.PastEpisodes()))
	err := w.send(*job)
	*job = writeJob{}
	return err
}

// keepLastStates leaves WriteState only on the last of each incident's records that have it: the state rows before
// it in the same write would be replaced at once (the newest version wins), yet cost a frozen copy here and rows to
// insert and merge in two tables. Apply marks the last record of each notification; a batch holds hundreds.
func keepLastStates(records []store.Record) {
	last := make(map[string]int)
	for i := range records {
		if records[i].WriteState {
			last[records[i].Event.IncidentID] = i
		}
	}
	for i := range records {
		if r := &records[i]; r.WriteState && last[r.Event.IncidentID] != i {
			r.WriteState = false
		}
	}
}

func (p *Processor) deliver(results []done, afterWrite bool) {
	if p.Waiters == nil {
		return
	}
	for _, d := range results {
		if d.afterWrite == afterWrite {
			p.Waiters.deliver(d.id, d.res)
		}
	}
}

// writer is the pipeline's second stage: it writes applied batches in order and commits the spool after each
// write. A write stays open for Linger (or until it holds maxWriteRecords) and takes each applied batch as it comes,
// as one block of its INSERT: encoding and sending are spread over the second instead of done in one burst that
// holds up the HTTP handlers, while ClickHouse still gets one insert (a part per table) a second. A batch with
// commands ends the write at once, as does a load (drain) or shutdown. Batches applied while a write is being
// committed wait for the next one; at most maxPendingRecords wait (beyond, the processor waits: ClickHouse is slow
// or down).
type writer struct {
	p    *Processor
	mu   sync.Mutex
	cond *sync.Cond
	// pending is what was applied and not yet taken by the writer (pendingRecords records); busy says a write is
	// open or being committed.
	pending        []writeJob
	pendingRecords int
	busy, closed   bool
	draining       int   // callers of drain waiting: end the open write now
	err            error // why the writer stopped
	done           chan struct{}
}

const (
	// maxPendingRecords is two writes' worth: an applied record holds its event body and, for the last of an
	// incident, a frozen state. With ClickHouse stopped for 10 s under 1,000 senders at 5,000/s, 50,000 of them took
	// the receiver to 344-442 MiB RSS, 10,000 kept it near 225 MiB (BENCHMARKS.md). The spool, on disk, holds the rest.
	maxPendingRecords = 10_000
	// maxWriteRecords ends a write before Linger when events come fast: inserts of about 5,000 rows measured best
	// at 5,000 notifications/s (BENCHMARKS.md), and it bounds the records held for a write (~700 bytes each).
	maxWriteRecords = 5_000
)

func newWriter(p *Processor) *writer {
	w := &writer{p: p, done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// openWrite is the write the writer is adding batches to. It keeps their records as they came (a record is
// ~700 bytes: one slice of a second's worth, grown as batches come, was 6% of the receiver's CPU in copying).
type openWrite struct {
	batches [][]store.Record
	records int
	results []done
	last    spool.Position
	oldest  time.Time
	insert  *store.Insert // nil once adding to it failed: the records are then written again, whole
	cancel  context.CancelFunc
	timer   *time.Timer
	due     bool // its linger is over (guarded by the writer's mu)
}

func (w *writer) run(ctx context.Context) {
	defer close(w.done)
	var open *openWrite
	for {
		w.mu.Lock()
		for len(w.pending) == 0 && !w.closed && !(open != nil && (open.due || w.draining > 0)) {
			w.cond.Wait()
		}
		jobs := w.pending
		if len(jobs) == 0 && open == nil { // closed and drained
			w.mu.Unlock()
			return
		}
		w.pending, w.pendingRecords, w.busy = nil, 0, true
		end := w.closed || w.draining > 0 || (open != nil && open.due)
		w.cond.Broadcast()
		w.mu.Unlock()

		var err error
		for i := 0; i < len(jobs) && err == nil; i++ {
			job := &jobs[i]
			if open != nil && open.records > 0 && open.records+len(job.records) > maxWriteRecords {
				err, open = w.finish(ctx, open), nil
				if err != nil {
					break
				}
			}
			if open == nil {
				open = w.begin(ctx)
			}
			w.add(open, job)
			// A command's answer may wait for its write (a containment start), and a person reads their change
			// right after it: neither waits for the linger.
			if len(job.results) > 0 || open.records >= maxWriteRecords {
				err, open = w.finish(ctx, open), nil
			}
		}
		if err == nil && end && open != nil {
			err, open = w.finish(ctx, open), nil
		}
		w.mu.Lock()
		w.busy = open != nil
		if err != nil {
			w.err = err
		}
		w.cond.Broadcast()
		w.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// begin opens a write; its linger starts now. If the INSERT cannot be opened, the records are written at the end.
func (w *writer) begin(ctx context.Context) *openWrite {
	// A write is not cut short by shutdown: it either lands or is replayed from the spool next time.
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.p.Linger+writeTimeout)
	open := &openWrite{cancel: cancel}
	open.timer = time.AfterFunc(w.p.Linger, func() {
		w.mu.Lock()
		open.due = true
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	insert, err := w.p.Store.BeginInsert(ictx)
	if err != nil {
		w.p.streamFailed("open an insert", err)
	}
	open.insert = insert
	return open
}

// streamFailed records that the open write failed; its records are written again, whole, when it ends.
func (p *Processor) streamFailed(what string, err error) {
	p.Metrics.WriteErrors.Inc()
	p.Log.Warn("ClickHouse write failed; its events are written again", "operation", what, "err", err)
}

// add takes an applied batch into the write and sends its records as a block.
func (w *writer) add(o *openWrite, job *writeJob) {
	o.batches = append(o.batches, job.records)
	o.records += len(job.records)
	o.results = append(o.results, job.results...)
	if job.last != (spool.Position{}) { // a tick's job has no spool position
		o.last = job.last
	}
	if o.oldest.IsZero() || (!job.oldest.IsZero() && job.oldest.Before(o.oldest)) {
		o.oldest = job.oldest
	}
	if o.insert != nil {
		if err := o.insert.Add(job.records); err != nil {
			w.p.streamFailed("send a block", err)
			o.insert.Abort()
			o.insert = nil
		}
	}
}

// finish commits the write (or, if sending it failed, writes its records again until that succeeds), answers the
// commands that waited for it and commits the spool.
func (w *writer) finish(ctx context.Context, open *openWrite) error {
	defer open.cancel()
	open.timer.Stop()
	start := time.Now()
	committed := false
	if open.insert != nil {
		if err := open.insert.Commit(); err == nil {
			committed = true
			w.p.observeWrite(start, open.records)
		} else {
			w.p.streamFailed("end the insert", err)
		}
	}
	if !committed {
		if err := w.p.write(ctx, slices.Concat(open.batches...)); err != nil {
			return err
		}
	}
	if err := w.p.signHeads(ctx, open.batches); err != nil {
		return err
	}
	w.p.deliver(open.results, true)
	if err := w.p.commit(ctx, open.last); err != nil {
		return err
	}
	if !open.oldest.IsZero() {
		w.p.Metrics.Lag.Observe(time.Since(open.oldest).Seconds())
	}
	return nil
}

// signHeads signs the last event of each incident a write stored and stores the signatures, once the events are
// stored (before the spool commits: a crash in between replays the write, which signs the same heads again).
func (p *Processor) signHeads(ctx context.Context, batches [][]store.Record) error {
	if p.Signer == nil {
		return nil
	}
	// Each batch's last record of an incident carries its state (keepLastStates); batches are in order, so the last
	// such record of the write is the incident's head.
	last := map[string]*store.Record{}
	var order []string
	for _, records := range batches {
		for i := range records {
			r := &records[i]
			if !r.WriteState {
				continue
			}
			if _, ok := last[r.Event.IncidentID]; !ok {
				order = append(order, r.Event.IncidentID)
			}
			last[r.Event.IncidentID] = r
		}
	}
	heads := make([]store.Head, len(order))
	for i, id := range order {
		r := last[id]
		heads[i] = store.Head{SignedHead: p.Signer.Sign(r.Event), DeclaredAt: r.State.DeclaredAt}
	}
	return p.retry(ctx, "write signed chain heads to ClickHouse", func() error {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		defer cancel()
		return p.Store.WriteHeads(wctx, heads)
	})
}

// send queues an applied batch for the writer, or returns why the writer stopped.
func (w *writer) send(job writeJob) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.err == nil && len(w.pending) > 0 && w.pendingRecords+len(job.records) > maxPendingRecords {
		w.cond.Wait()
	}
	if w.err != nil {
		return w.err
	}
	w.pending = append(w.pending, job)
	w.pendingRecords += len(job.records)
	w.cond.Broadcast()
	return nil
}

// failed returns why the writer stopped, or nil while it runs.
func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// drain ends the open write and waits until everything sent so far is written and committed.
func (w *writer) drain() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.draining++
	defer func() { w.draining-- }()
	w.cond.Broadcast()
	for w.err == nil && (len(w.pending) > 0 || w.busy) {
		w.cond.Wait()
	}
	return w.err
}

// stop lets the writer finish what it was given (a write interrupted by shutdown is replayed from the spool next
// time) and waits for it.
func (w *writer) stop() {
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	<-w.done
}

// next waits for spooled records, then lingers briefly (applyLinger) for more to apply together. A batch holds at
// most MaxBatch records and about maxBatchBytes of them: how many records one read asks for follows the size of the
// records read so far, so a backlog of large notifications is not read (and decoded) 5,000 at a time. With wake set,
// it returns no records once wake has passed without any.
func (p *Processor) next(ctx context.Context, wake time.Time) ([]spool.Record, error) {
	wctx := ctx
	if !wake.IsZero() {
		var cancel context.CancelFunc
		// At least a short wait: a tick that cannot end anything yet (clocks) does not spin.
		wctx, cancel = context.WithTimeout(ctx, max(time.Until(wake), 100*time.Millisecond))
		defer cancel()
	}
	batch, err := p.Spool.Next(wctx, p.batchRecords(0, 0))
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, nil
		}
		return nil, err
	}
	size := p.observeSizes(batch)
	deadline := time.Now().Add(min(applyLinger, p.Linger))
	// A person waiting for a command's answer is not kept waiting for the batch to fill.
	for want := p.batchRecords(len(batch), size); len(batch) < want && !p.Waiters.waiting(); want = p.batchRecords(len(batch), size) {
		wait := time.Until(deadline)
		if wait <= 0 {
			break
		}
		lctx, cancel := context.WithTimeout(ctx, wait)
		more, err := p.Spool.Next(lctx, want-len(batch))
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
		size += p.observeSizes(more)
	}
	return batch, nil
}

// maxBatchBytes bounds the spool records of one batch (read, decoded and applied together); initialRecordSize is
// what a record is assumed to take before any was read.
const (
	maxBatchBytes     = 8 << 20
	initialRecordSize = 64 << 10
)

// batchRecords is how many records a batch that holds have records of bytes bytes may hold in all.
func (p *Processor) batchRecords(have, bytes int) int {
	avg := p.recordSize
	if avg == 0 {
		avg = initialRecordSize
	}
	return batchLimit(p.MaxBatch, have, bytes, avg)
}

// batchLimit is the records a batch may hold in all: at most maxRecords, and as many more as fit in maxBatchBytes at
// avg bytes each (at least one: a record larger than the bound is read alone).
func batchLimit(maxRecords, have, bytes, avg int) int {
	more := max(maxBatchBytes-bytes, 0) / max(avg, 1)
	if have == 0 {
		more = max(more, 1)
	}
	return min(maxRecords, have+more)
}

// observeSizes adds records to the running mean record size and returns their bytes.
func (p *Processor) observeSizes(recs []spool.Record) int {
	n := 0
	for _, r := range recs {
		n += len(r.Data)
	}
	if len(recs) > 0 {
		// An exponentially weighted mean per read: it follows a change of senders within a few batches.
		avg := n / len(recs)
		if p.recordSize == 0 {
			p.recordSize = avg
		} else {
			p.recordSize = (3*p.recordSize + avg) / 4
		}
	}
	return n
}

// loadState migrates the schema and loads active incidents and the deadline index, retrying while ClickHouse is
// unavailable.
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
		if p.ReplayHorizon > 0 {
			state.ReplayHorizon = p.ReplayHorizon
		}
		if p.Flapping != (Flapping{}) {
			state.Flap = p.Flapping
		}
		state.Load(incs)
		now := time.Now()
		past, err := p.Store.EpisodesSince(ctx, now.Add(-state.ReplayHorizon-pastSlack))
		if err != nil {
			return err
		}
		if err := state.LoadPast(past, now); err != nil {
			return fmt.Errorf("load alert episodes: %w", err)
		}
		p.Log.Info("ingest state loaded", "incidents", len(incs), "past_episodes", state.PastEpisodes())
		return nil
	})
	if err != nil || p.Deadlines == nil {
		return state, err
	}
	// Retried on its own: a failure here does not migrate and load the state again.
	err = p.retry(ctx, "load the deadline index from ClickHouse", func() error {
		all, err := p.Store.LoadDeadlines(ctx)
		if err != nil {
			return err
		}
		p.Deadlines.Load(all)
		p.Log.Info("deadline index loaded", "incidents_with_deadlines", len(all))
		return nil
	})
	return state, err
}

// mustLoad reports whether a command's incident must be read from ClickHouse first: one alerts no longer touch
// (closed, long resolved) is not in the state.
func (p *Processor) mustLoad(state *State, id string) bool {
	if state.Has(id) {
		return false
	}
	_, err := uuid.Parse(id)
	return err == nil // not an incident id: the command fails with not found
}

// load reads an incident into the state, once the writer has written everything applied before (which may include
// its last changes).
func (p *Processor) load(ctx context.Context, state *State, id string, w *writer) error {
	if err := w.drain(); err != nil {
		return err
	}
	return p.retry(ctx, "load incident "+id, func() error {
		inc, err := p.Store.LoadIncident(ctx, id)
		if err == nil && inc != nil {
			state.Load([]*incident.Incident{inc})
		}
		return err
	})
}

// loadForAlerts reads into the state the incidents a notification's alerts belong to: those it names (swept from
// the state) and those ClickHouse finds for the alert keys of lookup.
func (p *Processor) loadForAlerts(ctx context.Context, state *State, load, lookup []string, w *writer) error {
	if len(lookup) > 0 {
		err := p.retry(ctx, "look up the incidents of old alerts", func() error {
			ids, err := p.Store.IncidentsOfAlerts(ctx, lookup)
			for _, id := range ids {
				if !slices.Contains(load, id) {
					load = append(load, id)
				}
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	for _, id := range load {
		if state.Has(id) {
			continue
		}
		p.Metrics.ReplaysLoaded.Inc()
		if err := p.load(ctx, state, id, w); err != nil {
			return err
		}
	}
	return nil
}

func (p *Processor) write(ctx context.Context, records []store.Record) error {
	if len(records) == 0 {
		return nil
	}
	return p.retry(ctx, "write events to ClickHouse", func() error {
		start := time.Now()
		// A write is not cut short by shutdown: it either lands or is replayed from the spool next time.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		defer cancel()
		if err := p.Store.Write(wctx, records); err != nil {
			return err
		}
		p.observeWrite(start, len(records))
		return nil
	})
}

func (p *Processor) observeWrite(start time.Time, records int) {
	p.Metrics.WriteDuration.Observe(time.Since(start).Seconds())
	p.Metrics.WriteEvents.Observe(float64(records))
	p.Metrics.EventsWritten.Add(float64(records))
	p.Metrics.LastWriteTime.SetToCurrentTime()
}

// commit records in the spool that everything up to pos is stored, retrying while that fails (a disk error): the
// events are in ClickHouse, so failing here would only stop the processor with nothing lost; the spool keeps the
// records until a commit succeeds (a restart meanwhile replays them, which changes nothing). Each failure is logged
// and counted.
func (p *Processor) commit(ctx context.Context, pos spool.Position) error {
	backoff := minBackoff
	for attempt := 1; ; attempt++ {
		err := p.Spool.Commit(pos)
		if err == nil {
			if attempt > 1 {
				p.Log.Info("spool commit succeeded again", "position", pos.String(), "attempts", attempt)
			}
			return nil
		}
		if errors.Is(err, spool.ErrClosed) || errors.Is(err, spool.ErrUnknownPosition) {
			return err
		}
		p.Metrics.CommitErrors.Inc()
		p.Log.Error("cannot commit the spool; its records stay on disk until a commit succeeds", "position", pos.String(),
			"attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
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
