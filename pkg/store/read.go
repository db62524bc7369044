package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

const (
	eventColumns     = "toString(incident_id), " + eventBodyColumns
	eventBodyColumns = "seq, at, at_ns, recorded_at, kind, actor, message, body, cause, prev_hash, hash" // after the id
)

func scanEvent(scan func(dest ...any) error) (incident.Event, error) {
	var (
		e     incident.Event
		at    time.Time
		atNS  uint32
		kind  string
		body  string
		recAt time.Time
	)
	if err := scan(&e.IncidentID, &e.Seq, &at, &atNS, &recAt, &kind, &e.Actor, &e.Message, &body, &e.Cause, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.At = time.Unix(at.Unix(), int64(atNS)).UTC()
	e.RecordedAt = recAt.UTC()
	e.Kind = incident.Kind(kind)
	e.Body = json.RawMessage(body)
	return e, nil
}

// Events returns the whole timeline of one incident in order (nil if the incident does not exist).
func (s *Store) Events(ctx context.Context, incidentID string) ([]incident.Event, error) {
	id, err := uuid.Parse(incidentID)
	if err != nil {
		return nil, fmt.Errorf("incident id %q: %w", incidentID, err)
	}
	// Not FINAL: on 18.16 FINAL merges every granule the id touches with all columns in one thread (about 1 s on
	// 10M events, against 60 ms without). Rows of the same (incident_id, seq) are the same event written twice, so
	// keeping one per seq is what FINAL would give. The incident's declaration time (the same on all its rows)
	// prunes the read to its month's partition: without it, one granule of every month is read with all columns.
	// ClickHouse also prunes with "declared_at IN (SELECT ... FROM incident_index)", but the subquery costs ~10 ms
	// per read; the store caches the time instead (declarationTimes).
	at, found, err := s.declaredAt(ctx, id)
	if err != nil || !found {
		return nil, err
	}
	// The rows come in no particular order (one run per part) and are ordered, one per seq, here: ClickHouse's
	// ORDER BY and LIMIT BY took a fifth of the query. The id is known: no UUID-to-string per row.
	return s.eventsWhere(ctx, id, at, "", 0, 0)
}

// EventsBetween returns the events of one incident with seq from first to last, in order (nil if the incident
// does not exist or has none there). The primary key (incident_id, seq) limits the read to those rows: a page of a
// long timeline costs a page, where Events reads it all.
func (s *Store) EventsBetween(ctx context.Context, incidentID string, first, last uint32) (events []incident.Event, found bool, err error) {
	id, err := uuid.Parse(incidentID)
	if err != nil {
		return nil, false, fmt.Errorf("incident id %q: %w", incidentID, err)
	}
	at, found, err := s.declaredAt(ctx, id)
	if err != nil || !found {
		return nil, found, err
	}
	events, err = s.eventsWhere(ctx, id, at, " AND seq >= ? AND seq <= ?", first, last)
	return events, true, err
}

// LastSeq returns the highest seq stored of an incident's events (0 if it has none); found is false if the incident
// does not exist.
func (s *Store) LastSeq(ctx context.Context, incidentID string) (last uint32, found bool, err error) {
	id, err := uuid.Parse(incidentID)
	if err != nil {
		return 0, false, fmt.Errorf("incident id %q: %w", incidentID, err)
	}
	at, found, err := s.declaredAt(ctx, id)
	if err != nil || !found {
		return 0, found, err
	}
	if err := s.conn.QueryRow(ctx, s.sql("SELECT max(seq) FROM {db}.events WHERE incident_id = ? AND declared_at = ?"), id, at).Scan(&last); err != nil {
		return 0, true, fmt.Errorf("last event of %s: %w", incidentID, err)
	}
	return last, true, nil
}

// eventsWhere reads the events of incident id, declared at at, that match the condition (" AND ..." with two
// bound seqs, or ""), one per seq, in order.
func (s *Store) eventsWhere(ctx context.Context, id uuid.UUID, at time.Time, cond string, first, last uint32) ([]incident.Event, error) {
	args := []any{id.String(), id, at}
	if cond != "" {
		args = append(args, first, last)
	}
	rows, err := s.conn.Query(ctx, s.sql("SELECT ? AS id, "+eventBodyColumns+" FROM {db}.events WHERE incident_id = ? AND declared_at = ?"+cond), args...)
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", id, err)
	}
	defer rows.Close()
	var events []incident.Event
	for rows.Next() {
		e, err := scanEvent(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("read events of %s: %w", id, err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events of %s: %w", id, err)
	}
	return onePerSeq(events), nil
}

// onePerSeq orders events by seq and keeps one of each seq (rows of the same seq are the same event written twice).
func onePerSeq(events []incident.Event) []incident.Event {
	slices.SortStableFunc(events, func(a, b incident.Event) int { return cmp.Compare(a.Seq, b.Seq) })
	return slices.CompactFunc(events, func(a, b incident.Event) bool { return a.Seq == b.Seq })
}

// LoadActive folds, from their timelines, every incident that incoming alerts may still change: those not resolved
// or closed, those resolved since resolvedSince (they may reopen), any with an alert still firing (a repeat
// notification of it must be recognized), and any flapping (its end is still to be recorded). Incidents come in no particular order.
func (s *Store) LoadActive(ctx context.Context, resolvedSince time.Time) ([]*incident.Incident, error) {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT `+eventColumns+` FROM {db}.events
		WHERE incident_id IN (
			SELECT incident_id FROM {db}.incident_state FINAL
			WHERE status IN ('declared', 'acknowledged', 'contained')
			   OR (status = 'resolved' AND resolved_at >= ?)
			   OR firing_alert_count > 0
			   OR flapping = 1)
		ORDER BY incident_id, seq
		LIMIT 1 BY incident_id, seq`), resolvedSince.UTC())
	if err != nil {
		return nil, fmt.Errorf("load active incidents: %w", err)
	}
	defer rows.Close()
	var (
		out     []*incident.Incident
		current []incident.Event
	)
	flush := func() error {
		if len(current) == 0 {
			return nil
		}
		inc, err := incident.Fold(current)
		if err != nil {
			return fmt.Errorf("load active incidents: %w", err)
		}
		out = append(out, inc)
		current = current[:0]
		return nil
	}
	for rows.Next() {
		e, err := scanEvent(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("load active incidents: %w", err)
		}
		if len(current) > 0 && current[0].IncidentID != e.IncidentID {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		current = append(current, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load active incidents: %w", err)
	}
	return out, flush()
}

// Summary is an incident's row in the incidents view.
type Summary struct {
	ID             string
	Title          string
	AISystem       string
	Category       string
	Severity       string
	Status         string
	DeclaredBy     string
	DeclaredVia    string
	DeclaredAt     time.Time
	AcknowledgedAt *time.Time
	ResolvedAt     *time.Time
	AlertCount     uint32
	FiringCount    uint32
	LastSeq        uint32
}

// Incidents lists incidents from the incidents view, newest first.
func (s *Store) Incidents(ctx context.Context, limit int) ([]Summary, error) {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT toString(incident_id), title, ai_system, category, toString(severity),
		toString(status), declared_by, declared_via, declared_at, acknowledged_at, resolved_at, alert_count,
		firing_alert_count, last_seq FROM {db}.incidents ORDER BY declared_at DESC, incident_id LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var r Summary
		if err := rows.Scan(&r.ID, &r.Title, &r.AISystem, &r.Category, &r.Severity, &r.Status, &r.DeclaredBy,
			&r.DeclaredVia, &r.DeclaredAt, &r.AcknowledgedAt, &r.ResolvedAt, &r.AlertCount, &r.FiringCount, &r.LastSeq); err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LoadIncident folds one incident from its timeline; nil if it has no events.
func (s *Store) LoadIncident(ctx context.Context, incidentID string) (*incident.Incident, error) {
	events, err := s.Events(ctx, incidentID)
	if err != nil || len(events) == 0 {
		return nil, err
	}
	return incident.Fold(events)
}

// IncidentKey names an incident with its declaration time, which finds its state rows through the primary key of
// incident_state_by_time.
type IncidentKey struct {
	ID         string
	DeclaredAt time.Time
}

// StateVersions returns the newest state version (the seq of its last event) ClickHouse has of each incident;
// incidents it has no state of are missing from the map.
func (s *Store) StateVersions(ctx context.Context, keys []IncidentKey) (map[string]uint32, error) {
	out := map[string]uint32{}
	if len(keys) == 0 {
		return out, nil
	}
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		id, err := uuid.Parse(k.ID)
		if err != nil {
			return nil, fmt.Errorf("incident id %q: %w", k.ID, err)
		}
		args = append(args, id)
	}
	for _, k := range keys {
		args = append(args, clampDateTime(k.DeclaredAt))
	}
	marks := strings.Repeat(", ?", len(keys)-1)
	rows, err := s.conn.Query(ctx, s.sql(`SELECT toString(incident_id), max(version) FROM {db}.incident_state_by_time
		WHERE incident_id IN (?`+marks+`) AND declared_at IN (?`+marks+`) GROUP BY incident_id`), args...)
	if err != nil {
		return nil, fmt.Errorf("read state versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var version uint32
		if err := rows.Scan(&id, &version); err != nil {
			return nil, fmt.Errorf("read state versions: %w", err)
		}
		out[id] = version
	}
	return out, rows.Err()
}

// LoadDeadlines reads the deadlines (incident.Deadlines) of every incident that has one pending (open, an
// unreported regulatory deadline, open action items), drills excluded, from the newest state of each, for the
// receiver's ingest.DeadlineIndex. It aggregates by version rather than filtering a FINAL read: on 18.16 a WHERE
// on a column that changes between versions may be moved to PREWHERE, ahead of FINAL, and keep an old version.
func (s *Store) LoadDeadlines(ctx context.Context) (map[string]incident.Deadlines, error) {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT toString(incident_id), argMax(toString(severity), version) AS sev,
			argMax(toString(status), version) IN ('declared', 'acknowledged', 'contained') AS open, any(declared_at),
			argMax(isNotNull(acknowledged_at), version),
			argMax(isNotNull(coalesce(contained_at, resolved_at, closed_at)), version),
			argMax(ifNull(toUInt32(regulatory_due_at), 0), version) AS regulatory_due,
			argMax(title, version), argMax(action_items_due, version) AS items,
			argMax(toString(status), version), argMax(category, version), argMax(ai_system, version)
		FROM {db}.incident_state_by_time
		WHERE drill = 0
		GROUP BY incident_id
		HAVING open OR regulatory_due > 0 OR notEmpty(items)`))
	if err != nil {
		return nil, fmt.Errorf("load deadlines: %w", err)
	}
	defer rows.Close()
	out := map[string]incident.Deadlines{}
	for rows.Next() {
		var (
			id, sev, title         string
			status, category, ai   string
			open, acked, contained uint8
			declaredAt             time.Time
			regulatoryDue          uint32
			items                  []time.Time
		)
		if err := rows.Scan(&id, &sev, &open, &declaredAt, &acked, &contained, &regulatoryDue, &title, &items, &status, &category, &ai); err != nil {
			return nil, fmt.Errorf("load deadlines: %w", err)
		}
		severity, err := incident.ParseSeverity(sev)
		if err != nil {
			return nil, fmt.Errorf("load deadlines: incident %s: %w", id, err)
		}
		d := incident.Deadlines{Severity: severity, Status: incident.Status(status), Category: incident.Category(category),
			AISystem: ai, Open: open == 1, DeclaredAt: declaredAt.UTC(), Acknowledged: acked == 1,
			Contained: contained == 1, ActionItemDues: items}
		if regulatoryDue > 0 {
			d.RegulatoryDue, d.Title = time.Unix(int64(regulatoryDue), 0).UTC(), title
		}
		out[id] = d
	}
	return out, rows.Err()
}

// EpisodesSince returns the alert episodes (alert key -> incident id) that started at or after since, for the
// ingest state to recognize a late notification of an incident it no longer holds.
func (s *Store) EpisodesSince(ctx context.Context, since time.Time) (map[string]string, error) {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT alert_key, any(toString(incident_id)) FROM {db}.alerts
		WHERE starts_at >= ? GROUP BY alert_key`), clampDateTime(since))
	if err != nil {
		return nil, fmt.Errorf("read alert episodes since %s: %w", since.UTC().Format(time.RFC3339), err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var key, id string
		if err := rows.Scan(&key, &id); err != nil {
			return nil, fmt.Errorf("read alert episodes: %w", err)
		}
		out[key] = id
	}
	return out, rows.Err()
}

// IncidentsOfAlerts returns the incidents that hold any of these alert episodes (keys as incident.AlertKey makes
// them). The episodes' start times narrow the scan to a cheap read of one column.
func (s *Store) IncidentsOfAlerts(ctx context.Context, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		at, err := incident.AlertKeyStart(k)
		if err != nil {
			return nil, fmt.Errorf("look up alert %q: %w", k, err)
		}
		args = append(args, clampDateTime(at.Truncate(time.Second)))
	}
	for _, k := range keys {
		args = append(args, k)
	}
	marks := strings.Repeat(", ?", len(keys)-1)
	rows, err := s.conn.Query(ctx, s.sql(`SELECT DISTINCT toString(incident_id) FROM {db}.alerts
		WHERE starts_at IN (?`+marks+`) AND alert_key IN (?`+marks+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("look up the incidents of %d alerts: %w", len(keys), err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("look up the incidents of alerts: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
