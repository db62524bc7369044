package store

import (
	"context"
	"fmt"
	"time"
)

// ExportFilter selects the incidents of a period for ExportIncidents: declared in [From, To).
type ExportFilter struct {
	From, To      time.Time
	IncludeDrills bool
}

func (f ExportFilter) where() (string, []any) {
	cond, args := "declared_at >= ? AND declared_at < ?", []any{clampDateTime(f.From), clampDateTime(f.To)}
	if !f.IncludeDrills {
		cond += " AND drill = 0"
	}
	return cond, args
}

// CountIncidents counts the incidents ExportIncidents would give.
func (s *Store) CountIncidents(ctx context.Context, f ExportFilter) (uint64, error) {
	cond, args := f.where()
	var n uint64
	if err := s.conn.QueryRow(ctx, s.sql(`SELECT count() FROM {db}.incident_state_by_time FINAL WHERE `+cond), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count incidents: %w", err)
	}
	return n, nil
}

// ExportIncidents calls each with the newest state of every incident of the period, oldest first (declared_at, then
// id), at most limit of them, as ClickHouse streams them: the rows are never all in memory. An error of each stops
// the export and is returned.
func (s *Store) ExportIncidents(ctx context.Context, f ExportFilter, limit int, each func(*Row) error) error {
	cond, args := f.where()
	rows, err := s.conn.Query(ctx, s.sql(`SELECT `+rowColumns+` FROM {db}.incident_state_by_time FINAL
		WHERE `+cond+`
		ORDER BY declared_at, toString(incident_id)
		LIMIT ?`), append(args, limit)...)
	if err != nil {
		return fmt.Errorf("export incidents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRow(rows.Scan)
		if err != nil {
			return fmt.Errorf("export incidents: %w", err)
		}
		if err := each(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export incidents: %w", err)
	}
	return nil
}
