// Package admission bounds the work a server holds in flight by the bytes it has admitted: a request reserves its
// body's bytes before they are read (all of an announced Content-Length at once, a body of unknown length as it
// arrives) and gives them back when its answer is written. While the budget is spent, a request waits a little for
// others to finish and is then refused, so memory stays bounded whatever the number of connections.
package admission

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// ErrBusy is returned when bytes could not be admitted within the wait: the caller should refuse the request
// with a "retry later" answer.
var ErrBusy = errors.New("too much work in flight")

// Budget is a count of bytes in flight with an upper bound. The zero value is not usable; use New.
type Budget struct {
	limit int64
	wait  time.Duration

	mu      sync.Mutex
	cond    chan struct{} // closed and replaced whenever bytes are released
	inUse   int64
	peak    int64
	refused int64
}

// New returns a budget of limit bytes; a reservation waits up to wait for bytes to be released before ErrBusy.
func New(limit int64, wait time.Duration) *Budget {
	if limit <= 0 {
		panic(fmt.Sprintf("admission: limit %d is not positive", limit))
	}
	return &Budget{limit: limit, wait: wait, cond: make(chan struct{})}
}

// Limit is the most bytes admitted at once.
func (b *Budget) Limit() int64 { return b.limit }

// Stats are the budget's counters.
type Stats struct {
	InUse   int64 // bytes admitted now
	Peak    int64 // most bytes ever admitted at once
	Refused int64 // reservations that gave up
}

// Stats returns the counters.
func (b *Budget) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Stats{InUse: b.inUse, Peak: b.peak, Refused: b.refused}
}

// Acquire admits n bytes, waiting up to the budget's wait (or until ctx ends) for others to release theirs. A
// reservation larger than the whole budget can never be admitted and fails at once.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	if n <= 0 {
		return nil
	}
	var timer <-chan time.Time
	for {
		b.mu.Lock()
		if n <= b.limit && b.inUse+n <= b.limit {
			b.inUse += n
			b.peak = max(b.peak, b.inUse)
			b.mu.Unlock()
			return nil
		}
		released := b.cond
		if n > b.limit || b.wait <= 0 {
			b.refused++
			b.mu.Unlock()
			return ErrBusy
		}
		b.mu.Unlock()
		if timer == nil {
			t := time.NewTimer(b.wait)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-released:
		case <-timer:
			b.mu.Lock()
			b.refused++
			b.mu.Unlock()
			return ErrBusy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Release gives back n bytes admitted by Acquire.
func (b *Budget) Release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.inUse -= n
	if b.inUse < 0 {
		b.mu.Unlock()
		panic("admission: released more bytes than were admitted")
	}
	close(b.cond)
	b.cond = make(chan struct{})
	b.mu.Unlock()
}

// Ticket is what one request holds: its admitted bytes, grown as a body of unknown length arrives.
type Ticket struct {
	b     *Budget
	ctx   context.Context
	held  int64
	fixed bool // the body's length was announced and all of it is held
}

// Admit reserves a request's first bytes: all of its announced length (contentLength >= 0), or first bytes of a body
// of unknown length (contentLength < 0), which Reader admits more of as it arrives in steps of step bytes.
func (b *Budget) Admit(ctx context.Context, contentLength, step int64) (*Ticket, error) {
	n := contentLength
	if n < 0 {
		n = step
	}
	if err := b.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return &Ticket{b: b, ctx: ctx, held: n, fixed: contentLength >= 0}, nil
}

// Held is the bytes the ticket holds.
func (t *Ticket) Held() int64 { return t.held }

// Done releases everything the ticket holds. It is safe to call more than once.
func (t *Ticket) Done() {
	t.b.Release(t.held)
	t.held = 0
}

// Reader wraps a body of unknown length so that reading beyond the bytes held first admits more, step bytes at a
// time; when that is refused, Read returns ErrBusy. A body of announced length is returned as it is: all of it is
// held, and net/http never reads past its Content-Length.
func (t *Ticket) Reader(r io.Reader, step int64) io.Reader {
	if t.fixed {
		return r
	}
	return &reader{t: t, r: r, step: step}
}

type reader struct {
	t    *Ticket
	r    io.Reader
	step int64
	read int64
}

func (r *reader) Read(p []byte) (int, error) {
	if r.read >= r.t.held {
		if err := r.t.b.Acquire(r.t.ctx, r.step); err != nil {
			return 0, err
		}
		r.t.held += r.step
	}
	// Never read more than is held: the caller's buffer may be larger than the bytes admitted.
	p = p[:min(int64(len(p)), r.t.held-r.read)]
	n, err := r.r.Read(p)
	r.read += int64(n)
	return n, err
}
