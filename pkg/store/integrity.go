package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// Head is a signed chain head to store, with its incident's declaration time (the partition).
type Head struct {
	incident.SignedHead
	DeclaredAt time.Time
}

// WriteHeads stores the receiver's signatures over chain heads (after the events they sign are stored).
func (s *Store) WriteHeads(ctx context.Context, heads []Head) error {
	if len(heads) == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, s.sql("INSERT INTO {db}.chain_heads"))
	if err != nil {
		return fmt.Errorf("write chain heads: prepare: %w", err)
	}
	for _, h := range heads {
		id, err := uuid.Parse(h.IncidentID)
		if err == nil {
			err = batch.Append(id, h.Seq, h.Hash, h.KeyID, h.Signature, clampDateTime(h.SignedAt), clampDateTime(h.DeclaredAt))
		}
		if err != nil {
			_ = batch.Abort()
			return fmt.Errorf("write chain head %d of incident %s: %w", h.Seq, h.IncidentID, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write chain heads: %w", err)
	}
	return nil
}

// Integrity is everything stored that the integrity check of one incident reads: every stored row of its events
// (every partition, duplicates included: whatever the incident_events view may show), the head its newest state
// row records, and every signed head.
type Integrity struct {
	Rows  []incident.Event
	State *incident.StateHead
	Heads []incident.SignedHead
}

// ReadIntegrity reads what Verify checks of one incident. Rows is empty if the incident has no events.
func (s *Store) ReadIntegrity(ctx context.Context, incidentID string) (Integrity, error) {
	var out Integrity
	id, err := uuid.Parse(incidentID)
	if err != nil {
		return out, fmt.Errorf("incident id %q: %w", incidentID, err)
	}
	// The signed heads first, then the state, then the events: the receiver signs a head once its events are stored,
	// so the events a head names are there when they are read. The state comes from the same INSERT as its events,
	// which ClickHouse fills table by table, so it may be ahead of them for a moment (see the plugin's integrity).
	hrows, err := s.conn.Query(ctx, s.sql(`SELECT seq, hash, key_id, signature, signed_at FROM {db}.chain_heads
		WHERE incident_id = ? ORDER BY seq, key_id`), id)
	if err != nil {
		return out, fmt.Errorf("read the signed heads of %s: %w", incidentID, err)
	}
	for hrows.Next() {
		h := incident.SignedHead{IncidentID: id.String()}
		if err := hrows.Scan(&h.Seq, &h.Hash, &h.KeyID, &h.Signature, &h.SignedAt); err != nil {
			hrows.Close()
			return out, fmt.Errorf("read the signed heads of %s: %w", incidentID, err)
		}
		h.SignedAt = h.SignedAt.UTC()
		out.Heads = append(out.Heads, h)
	}
	hrows.Close()
	if err := hrows.Err(); err != nil {
		return out, fmt.Errorf("read the signed heads of %s: %w", incidentID, err)
	}
	var (
		version uint32
		hash    string
		count   uint64
	)
	if err := s.conn.QueryRow(ctx, s.sql(`SELECT max(version), argMax(last_hash, version), count()
		FROM {db}.incident_state WHERE incident_id = ?`), id).Scan(&version, &hash, &count); err != nil {
		return out, fmt.Errorf("read the state head of %s: %w", incidentID, err)
	}
	if count > 0 {
		out.State = &incident.StateHead{Seq: version, Hash: hash}
	}

	// No partition pruning and no FINAL: a row someone wrote into another month's partition, or beside an event,
	// is read too.
	rows, err := s.conn.Query(ctx, s.sql("SELECT ? AS id, "+eventBodyColumns+" FROM {db}.events WHERE incident_id = ?"), id.String(), id)
	if err != nil {
		return out, fmt.Errorf("read stored events of %s: %w", incidentID, err)
	}
	for rows.Next() {
		e, err := scanEvent(rows.Scan)
		if err != nil {
			rows.Close()
			return out, fmt.Errorf("read stored events of %s: %w", incidentID, err)
		}
		out.Rows = append(out.Rows, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read stored events of %s: %w", incidentID, err)
	}
	return out, nil
}
