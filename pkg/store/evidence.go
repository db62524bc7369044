package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
)

// Evidence is one evidence snapshot: the exact bytes taken before a containment action, with their SHA-256 as
// computed when they were taken.
type Evidence struct {
	IncidentID string    `json:"incident_id"`
	SnapshotID string    `json:"snapshot_id"`
	RequestID  string    `json:"request_id"`
	Attempt    uint32    `json:"attempt"`
	TakenAt    time.Time `json:"taken_at"`
	TakenBy    string    `json:"taken_by"`
	SHA256     string    `json:"sha256"`
	Bytes      int       `json:"bytes"`
	Content    []byte    `json:"-"`
	DeclaredAt time.Time `json:"-"` // the incident's, for the partition
}

func (s *Store) writeEvidence(ctx context.Context, records []Record) error {
	var batch driver.Batch
	for i := range records {
		ev := records[i].Evidence
		if ev == nil {
			continue
		}
		if batch == nil {
			b, err := s.conn.PrepareBatch(ctx, s.sql("INSERT INTO {db}.evidence"))
			if err != nil {
				return fmt.Errorf("write evidence: prepare: %w", err)
			}
			batch = b
		}
		id, err := uuid.Parse(ev.IncidentID)
		if err == nil {
			err = batch.Append(id, ev.SnapshotID, ev.RequestID, ev.Attempt, ev.TakenAt, ev.TakenBy, ev.SHA256, string(ev.Content), ev.DeclaredAt)
		}
		if err != nil {
			_ = batch.Abort()
			return fmt.Errorf("write evidence %s of incident %s: %w", ev.SnapshotID, ev.IncidentID, err)
		}
	}
	if batch == nil {
		return nil
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write evidence: %w", err)
	}
	return nil
}

const evidenceColumns = "toString(incident_id), snapshot_id, request_id, attempt, taken_at, taken_by, sha256, length(content)"

// EvidenceList lists the evidence snapshots of an incident, oldest first, without their content.
func (s *Store) EvidenceList(ctx context.Context, incidentID string) ([]Evidence, error) {
	id, err := uuid.Parse(incidentID)
	if err != nil {
		return nil, fmt.Errorf("incident id %q: %w", incidentID, err)
	}
	rows, err := s.conn.Query(ctx, s.sql("SELECT "+evidenceColumns+" FROM {db}.evidence WHERE incident_id = ? "+
		"ORDER BY taken_at, snapshot_id LIMIT 1 BY snapshot_id"), id)
	if err != nil {
		return nil, fmt.Errorf("read evidence of %s: %w", incidentID, err)
	}
	defer rows.Close()
	out := []Evidence{}
	for rows.Next() {
		ev, err := scanEvidence(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("read evidence of %s: %w", incidentID, err)
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// EvidenceSnapshot returns one snapshot with its content, or nil if the incident has no snapshot with that id.
func (s *Store) EvidenceSnapshot(ctx context.Context, incidentID, snapshotID string) (*Evidence, error) {
	id, err := uuid.Parse(incidentID)
	if err != nil {
		return nil, fmt.Errorf("incident id %q: %w", incidentID, err)
	}
	rows, err := s.conn.Query(ctx, s.sql("SELECT "+evidenceColumns+", content FROM {db}.evidence "+
		"WHERE incident_id = ? AND snapshot_id = ? LIMIT 1"), id, snapshotID)
	if err != nil {
		return nil, fmt.Errorf("read evidence %s of %s: %w", snapshotID, incidentID, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var content string
	ev, err := scanEvidence(rows.Scan, &content)
	if err != nil {
		return nil, fmt.Errorf("read evidence %s of %s: %w", snapshotID, incidentID, err)
	}
	ev.Content = []byte(content)
	return &ev, nil
}

// scanEvidence reads the evidenceColumns of a row, then any more columns into more.
func scanEvidence(scan func(dest ...any) error, more ...any) (Evidence, error) {
	var ev Evidence
	var n uint64
	dest := append([]any{&ev.IncidentID, &ev.SnapshotID, &ev.RequestID, &ev.Attempt, &ev.TakenAt, &ev.TakenBy, &ev.SHA256, &n}, more...)
	if err := scan(dest...); err != nil {
		return ev, err
	}
	ev.Bytes, ev.TakenAt = int(n), ev.TakenAt.UTC()
	return ev, nil
}
