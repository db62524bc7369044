package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// Record is one timeline event to store, with the incident's state right after it and, for alert events, the alert.
type Record struct {
	Event incident.Event
	State incident.Incident // state after Event; stored when WriteState is set
	// WriteState stores State as the incident's current state. Set it on the last record of each incident in a
	// write; the state rows in between would be replaced at once.
	WriteState bool
	Alert      *incident.Alert
	Evidence   *Evidence // the snapshot a containment_started event refers to
}

// Write stores records in one INSERT (two when they carry evidence: the snapshots go first, so no event refers to a
// snapshot that is not stored). It is idempotent: writing the same records again leaves the same data.
func (s *Store) Write(ctx context.Context, records []Record) error {
	if len(records) == 0 {
		return nil
	}
	if err := s.writeEvidence(ctx, records); err != nil {
		return err
	}
	batch, err := s.conn.PrepareBatch(ctx, s.sql("INSERT INTO {db}.ingest"))
	if err != nil {
		return fmt.Errorf("write events: prepare: %w", err)
	}
	for i := range records {
		if err := batch.Append(ingestRow(&records[i])...); err != nil {
			_ = batch.Abort()
			return fmt.Errorf("write events: incident %s event %d: %w", records[i].Event.IncidentID, records[i].Event.Seq, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write %d events: %w", len(records), err)
	}
	return nil
}

func ingestRow(r *Record) []any {
	e, st := &r.Event, &r.State
	row := []any{
		uuid.MustParse(e.IncidentID), e.Seq, e.At, uint32(e.At.Nanosecond()), e.RecordedAt, string(e.Kind), e.Actor,
		e.Message, string(e.Body), e.Cause, e.PrevHash, e.Hash, boolToUInt8(r.WriteState),
		st.Title, st.Description, st.AISystem, string(st.Category), st.Severity.String(), string(st.Status),
		st.DeclaredBy, st.DeclaredVia, st.GroupKey, boolToUInt8(st.Drill), st.StartedAt, st.DeclaredAt,
		nullableTime(st.AcknowledgedAt), nullableTime(st.ContainedAt), nullableTime(st.ResolvedAt),
		nullableTime(st.ClosedAt), uint32(st.AlertCount), uint32(st.FiringCount),
		st.Lead(), st.ReportedVia, boolToUInt8(st.Review != nil && len(st.Review.Missing()) == 0),
		nullableTime(st.NextRegulatoryDue()), actionItemDues(st.Review),
	}
	a := r.Alert
	if a == nil {
		return append(row, "", "", "", "", time.Unix(0, 0), nil, []string{}, []string{}, []string{}, []string{}, "",
			[]string{}, []float64{}, "")
	}
	lk, lv := SortedPairs(a.Labels)
	ak, av := SortedPairs(a.Annotations)
	vk, vv := SortedPairs(a.Values)
	return append(row, a.Key, a.Fingerprint, a.Name, a.Status, a.StartsAt, nullableTime(a.EndsAt), lk, lv, ak, av,
		a.GeneratorURL, vk, vv, a.Source)
}

func boolToUInt8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func nullableTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// SortedPairs splits a map into parallel key and value slices, keys sorted: how labels are stored.
func SortedPairs[V any](m map[string]V) (keys []string, values []V) {
	keys = make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	values = make([]V, len(keys))
	for i, k := range keys {
		values[i] = m[k]
	}
	return keys, values
}

func actionItemDues(r *incident.Review) []time.Time {
	if r == nil {
		return []time.Time{}
	}
	dues := r.OpenActionItemDues()
	if dues == nil {
		return []time.Time{}
	}
	return dues
}
