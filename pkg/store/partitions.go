package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// declarationTimes caches each incident's declaration time, which never changes: the month partition of its
// events, alerts and state rows. Reading one incident first needs it (from incident_index); cached, the reads of
// an incident go straight to its partition, one query each instead of one with a subquery (~10 ms less on 18.16).
// Lists fill it with the incidents they show, the ones people open next.
type declarationTimes struct {
	mu sync.Mutex
	m  map[uuid.UUID]time.Time
}

const declarationTimesMax = 100_000 // ~6 MB

func (c *declarationTimes) get(id uuid.UUID) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[id]
	return t, ok
}

func (c *declarationTimes) put(id uuid.UUID, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[uuid.UUID]time.Time{}
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= declarationTimesMax {
		for k := range c.m { // full: forget one, any
			delete(c.m, k)
			break
		}
	}
	c.m[id] = t
}

// declaredAt returns when the incident was declared; found is false for an incident the store does not have.
func (s *Store) declaredAt(ctx context.Context, id uuid.UUID) (at time.Time, found bool, err error) {
	if at, ok := s.declared.get(id); ok {
		return at, true, nil
	}
	err = s.conn.QueryRow(ctx, s.sql("SELECT declared_at FROM {db}.incident_index WHERE incident_id = ? LIMIT 1"), id).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("declaration time of %s: %w", id, err)
	}
	s.declared.put(id, at)
	return at, true, nil
}
