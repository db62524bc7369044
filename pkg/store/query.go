package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// Queries for the Grafana plugin backend. They read the tables, never the convenience views, at the newest version
// of each row (FINAL for scans; LIMIT 1 BY the highest version for lookups by key, which is the same and on 18.16
// about ten times faster); every value is a bound parameter; all of it runs on ClickHouse 18.16 and on current releases.

// ErrBadCursor is wrapped by the error ListIncidents returns for a cursor it did not make (HTTP 400).
var ErrBadCursor = errors.New("invalid cursor")

// ListFilter selects incidents for ListIncidents. Values are validated by the caller.
type ListFilter struct {
	Statuses, Severities, Categories, AISystems []string // empty = any
	// The taxonomy (incident.Taxonomy): an incident matches when it has any of the codes given; empty = any.
	OWASPLLM, ATLASTactics, NISTRisks, Harms, DeploymentBreadths []string
	Q                                                            string // case-insensitive substring of title or description
	From, To                                                     time.Time
	IncludeDrills                                                bool   // drills are listed only when asked
	Limit                                                        int    // 1..500; 0 means 50
	Cursor                                                       string // opaque, from Page.NextCursor
}

// Row is an incident in a list: its current state as stored in incident_state. Roles holds only the incident lead
// (if one is assigned); Review and Regulatory are not filled (see ReviewComplete and RegulatoryDueAt). Times are
// whole seconds, as stored.
type Row struct {
	incident.Incident
	ReviewComplete  bool
	RegulatoryDueAt time.Time // earliest deadline of a regime not yet reported to; zero if none
}

// Page is one page of ListIncidents; NextCursor is "" on the last page.
type Page struct {
	Incidents  []Row
	NextCursor string
}

// listWindow is how far back from the cursor (or now) ListIncidents looks first.
const listWindow = 7 * 24 * time.Hour

const (
	defaultListLimit = 50
	maxListLimit     = 500
)

// cursor is the position after the last row of a page: rows sort by declared_at DESC, then incident_id DESC.
type cursor struct {
	DeclaredAt int64  `json:"t"`
	ID         string `json:"id"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, fmt.Errorf("%w: not base64url", ErrBadCursor)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	if dec.More() {
		return c, fmt.Errorf("%w: trailing data", ErrBadCursor)
	}
	if _, err := uuid.Parse(c.ID); err != nil || len(c.ID) != 36 {
		return c, fmt.Errorf("%w: bad incident id", ErrBadCursor)
	}
	if c.DeclaredAt < 0 || c.DeclaredAt > math.MaxUint32 {
		return c, fmt.Errorf("%w: time out of range", ErrBadCursor)
	}
	c.ID = strings.ToLower(c.ID)
	return c, nil
}

const rowColumns = `toString(incident_id), title, description, ai_system, category, toString(severity),
	toString(status), declared_by, declared_via, group_key, reported_via, drill, started_at, declared_at,
	acknowledged_at, contained_at, resolved_at, closed_at, alert_count, firing_alert_count, incident_lead,
	review_complete, regulatory_due_at, version, last_hash, updated_at, flapping, ` + taxonomyColumnNames

// stateNewestFirst orders the state rows of an incident newest first, for LIMIT 1 BY incident_id. Rows of equal
// version are the same state, except the copy migration 9 made of an incident classified before it
// (taxonomyBackfill), which has the classification: it comes first, as FINAL would keep it.
const stateNewestFirst = `incident_id, version DESC,
	(notEmpty(owasp_llm) OR notEmpty(atlas_tactics) OR notEmpty(nist_ai_600_1) OR harm != '' OR isNotNull(people_affected)
		OR deployment_breadth != '') DESC`

// ListIncidents lists incidents newest first (declared_at DESC, incident_id DESC), one page at a time.
func (s *Store) ListIncidents(ctx context.Context, f ListFilter) (Page, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = defaultListLimit
	case limit > maxListLimit:
		limit = maxListLimit
	}
	var (
		where []string
		args  []any
	)
	if !f.IncludeDrills {
		where = append(where, "drill = 0")
	}
	for _, in := range []struct {
		cond   string // true when the row has one of the values (bound to ?)
		values []string
	}{
		{"has(?, toString(status))", f.Statuses}, {"has(?, toString(severity))", f.Severities},
		{"has(?, category)", f.Categories}, {"has(?, ai_system)", f.AISystems},
		{"hasAny(owasp_llm, ?)", f.OWASPLLM}, {"hasAny(atlas_tactics, ?)", f.ATLASTactics},
		{"hasAny(nist_ai_600_1, ?)", f.NISTRisks}, {"has(?, harm)", f.Harms},
		{"has(?, deployment_breadth)", f.DeploymentBreadths},
	} {
		if len(in.values) > 0 {
			where = append(where, in.cond)
			args = append(args, in.values)
		}
	}
	if f.Q != "" {
		where = append(where, "(positionCaseInsensitiveUTF8(title, ?) > 0 OR positionCaseInsensitiveUTF8(description, ?) > 0)")
		args = append(args, f.Q, f.Q)
	}
	if !f.From.IsZero() {
		where = append(where, "declared_at >= ?")
		args = append(args, clampDateTime(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "declared_at < ?")
		args = append(args, clampDateTime(f.To))
	}
	var cursorAt int64
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return Page{}, err
		}
		where = append(where, "(toUInt32(declared_at) < ? OR (toUInt32(declared_at) = ? AND toString(incident_id) < ?))")
		args = append(args, c.DeclaredAt, c.DeclaredAt, c.ID)
		cursorAt = c.DeclaredAt
	}
	cond := "1"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	// Two steps: the page's ids, sorting only the few columns the filter needs, then the rows of those ids through
	// the primary key. Reading every column of every incident to keep 50 is many times slower. Both read
	// incident_state_by_time, ordered by (declared_at, incident_id): the newest incidents are a short range of it.
	//
	// The ids come newest first from a recent window (a week before the cursor, or before now) and only if that
	// does not fill the page, from the rest: the first page of a list whose incidents are mostly recent (open
	// ones, the default view) reads a week of incidents with FINAL, not all of them.
	idQuery := func(cond string, args []any, limit int) ([]cursor, error) {
		rows, err := s.conn.Query(ctx, s.sql(`SELECT toString(incident_id), toUInt32(declared_at)
			FROM {db}.incident_state_by_time FINAL
			WHERE `+cond+`
			ORDER BY declared_at DESC, toString(incident_id) DESC
			LIMIT ?`), append(args, limit)...)
		if err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		defer rows.Close()
		var keys []cursor
		for rows.Next() {
			var (
				c  cursor
				at uint32
			)
			if err := rows.Scan(&c.ID, &at); err != nil {
				return nil, fmt.Errorf("list incidents: %w", err)
			}
			c.DeclaredAt = int64(at)
			keys = append(keys, c)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		return keys, nil
	}
	var keys []cursor
	windowEnd := time.Now()
	if !f.To.IsZero() && f.To.Before(windowEnd) {
		windowEnd = f.To
	}
	if f.Cursor != "" && time.Unix(cursorAt, 0).Before(windowEnd) {
		windowEnd = time.Unix(cursorAt, 0)
	}
	if split := clampDateTime(windowEnd.Add(-listWindow)); f.From.IsZero() || clampDateTime(f.From).Before(split) {
		recent, err := idQuery(cond+" AND declared_at >= ?", append(slices.Clone(args), split), limit+1)
		if err != nil {
			return Page{}, err
		}
		keys = recent
		if len(keys) < limit+1 {
			older, err := idQuery(cond+" AND declared_at < ?", append(slices.Clone(args), split), limit+1-len(keys))
			if err != nil {
				return Page{}, err
			}
			keys = append(keys, older...)
		}
	} else {
		var err error
		if keys, err = idQuery(cond, args, limit+1); err != nil {
			return Page{}, err
		}
	}
	page := Page{Incidents: []Row{}}
	if len(keys) > limit {
		keys = keys[:limit]
		page.NextCursor = keys[limit-1].encode()
	}
	if len(keys) == 0 {
		return page, nil
	}
	ids := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	for _, k := range keys {
		at := time.Unix(k.DeclaredAt, 0).UTC()
		ids = append(ids, at)
		if id, err := uuid.Parse(k.ID); err == nil {
			s.declared.put(id, at) // the incidents shown are the ones opened next
		}
	}
	// The rows are read again at their newest version (an incident that changed in between shows its new state).
	// LIMIT 1 BY the highest version is what FINAL keeps (rows of equal version are the same state), and much
	// cheaper here: FINAL merges every granule the ids touch, with all their columns, in one thread. The
	// declaration times (which never change) select the few granules of the page through the primary key.
	marks := strings.Repeat(", ?", len(keys)-1)
	rows, err := s.conn.Query(ctx, s.sql(`SELECT `+rowColumns+` FROM {db}.incident_state_by_time
		WHERE incident_id IN (?`+marks+`) AND declared_at IN (?`+marks+`)
		ORDER BY `+stateNewestFirst+`
		LIMIT 1 BY incident_id`), ids...)
	if err != nil {
		return Page{}, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	byID := make(map[string]Row, len(keys))
	for rows.Next() {
		r, err := scanRow(rows.Scan)
		if err != nil {
			return Page{}, fmt.Errorf("list incidents: %w", err)
		}
		byID[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list incidents: %w", err)
	}
	page.Incidents = make([]Row, 0, len(keys))
	for _, k := range keys {
		if r, ok := byID[k.ID]; ok {
			page.Incidents = append(page.Incidents, r)
		}
	}
	return page, nil
}

func scanRow(scan func(dest ...any) error) (Row, error) {
	var (
		r                         Row
		category, sev, status     string
		drill, reviewComplete     uint8
		flapping                  uint8
		tax                       incident.Taxonomy
		ack, contained, res, clos *time.Time
		regDue                    *time.Time
		alerts, firing            uint32
		lead                      string
	)
	inc := &r.Incident
	if err := scan(&inc.ID, &inc.Title, &inc.Description, &inc.AISystem, &category, &sev, &status, &inc.DeclaredBy,
		&inc.DeclaredVia, &inc.GroupKey, &inc.ReportedVia, &drill, &inc.StartedAt, &inc.DeclaredAt, &ack, &contained,
		&res, &clos, &alerts, &firing, &lead, &reviewComplete, &regDue, &inc.LastSeq, &inc.LastHash,
		&inc.UpdatedAt, &flapping, &tax.OWASPLLM, &tax.ATLASTactics, &tax.NISTRisks, &tax.Harm, &tax.PeopleAffected,
		&tax.DeploymentBreadth); err != nil {
		return r, err
	}
	severity, err := incident.ParseSeverity(sev)
	if err != nil {
		return r, err
	}
	inc.Category, inc.Severity, inc.Status = incident.Category(category), severity, incident.Status(status)
	inc.Drill, inc.Flapping = drill == 1, flapping == 1
	inc.StartedAt, inc.DeclaredAt, inc.UpdatedAt = inc.StartedAt.UTC(), inc.DeclaredAt.UTC(), inc.UpdatedAt.UTC()
	inc.AcknowledgedAt, inc.ContainedAt, inc.ResolvedAt, inc.ClosedAt = timeOrZero(ack), timeOrZero(contained),
		timeOrZero(res), timeOrZero(clos)
	inc.AlertCount, inc.FiringCount = int(alerts), int(firing)
	inc.Roles = map[string]string{}
	if lead != "" {
		inc.Roles[incident.RoleIncidentLead] = lead
	}
	r.ReviewComplete = reviewComplete == 1
	r.RegulatoryDueAt = timeOrZero(regDue)
	inc.Taxonomy = storedTaxonomy(tax)
	return r, nil
}

// storedTaxonomy is the classification read from a state row: nil when it has none (never classified, or
// classified empty: the columns do not tell them apart), its empty lists nil as incident.Fold leaves them.
func storedTaxonomy(t incident.Taxonomy) *incident.Taxonomy {
	for _, l := range []*[]string{&t.OWASPLLM, &t.ATLASTactics, &t.NISTRisks} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if t.Empty() {
		return nil
	}
	return &t
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// clampDateTime keeps a bound time within what DateTime holds (1970 .. 2106), in UTC, to the second.
func clampDateTime(t time.Time) time.Time {
	switch {
	case t.Unix() < 0:
		return time.Unix(0, 0).UTC()
	case t.Unix() > math.MaxUint32:
		return time.Unix(math.MaxUint32, 0).UTC()
	}
	return t.UTC().Truncate(time.Second)
}

// Alerts returns the alert episodes attached to an incident, latest state of each, ordered by start and key. Labels
// is never nil; Annotations and Values are nil when empty.
func (s *Store) Alerts(ctx context.Context, incidentID string) ([]incident.Alert, error) {
	id, err := uuid.Parse(incidentID)
	if err != nil {
		return nil, fmt.Errorf("incident id %q: %w", incidentID, err)
	}
	at, found, err := s.declaredAt(ctx, id)
	if err != nil || !found {
		return nil, err
	}
	// The newest version of each episode, as FINAL would keep it (rows of equal version are the same state); FINAL
	// itself merges every granule the incident touches in one thread, about ten times slower on 18.16.
	rows, err := s.conn.Query(ctx, s.sql(`SELECT alert_key, fingerprint, alertname, status, starts_at, ends_at,
		labels_keys, labels_values, annotations_keys, annotations_values, generator_url, values_keys, values, source
		FROM (
			SELECT alert_key, fingerprint, alertname, status, starts_at, ends_at, labels_keys, labels_values,
				annotations_keys, annotations_values, generator_url, values_keys, values, source
			FROM {db}.alerts
			WHERE incident_id = ? AND declared_at = ?
			ORDER BY alert_key, version DESC
			LIMIT 1 BY alert_key)
		ORDER BY starts_at, alert_key`), id, at)
	if err != nil {
		return nil, fmt.Errorf("read alerts of %s: %w", incidentID, err)
	}
	defer rows.Close()
	var out []incident.Alert
	for rows.Next() {
		var (
			a              incident.Alert
			ends           *time.Time
			lk, lv, ak, av []string
			vk             []string
			vv             []float64
			startsAtDB     time.Time
		)
		if err := rows.Scan(&a.Key, &a.Fingerprint, &a.Name, &a.Status, &startsAtDB, &ends, &lk, &lv, &ak, &av,
			&a.GeneratorURL, &vk, &vv, &a.Source); err != nil {
			return nil, fmt.Errorf("read alerts of %s: %w", incidentID, err)
		}
		a.StartsAt, a.EndsAt = startsAtDB.UTC(), timeOrZero(ends)
		a.Labels = pairsToMap(lk, lv)
		if a.Labels == nil {
			a.Labels = map[string]string{}
		}
		a.Annotations = pairsToMap(ak, av)
		if len(vk) > 0 {
			a.Values = make(map[string]float64, len(vk))
			for i, k := range vk {
				if i < len(vv) {
					a.Values[k] = vv[i]
				}
			}
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read alerts of %s: %w", incidentID, err)
	}
	return out, nil
}

func pairsToMap(keys, values []string) map[string]string {
	if len(keys) == 0 {
		return nil
	}
	m := make(map[string]string, len(keys))
	for i, k := range keys {
		if i < len(values) {
			m[k] = values[i]
		}
	}
	return m
}

// Stats are the numbers of the leadership dashboard. Drills are never counted.
type Stats struct {
	From, To time.Time
	// Incidents declared in [From, To): every key is present (0 if none).
	BySeverity map[string]uint64 // SEV1..SEV3
	ByStatus   map[string]uint64 // the 5 statuses
	ByCategory map[string]uint64 // the 8 categories
	// Mean seconds from declaration to acknowledged / contained (or resolved) / resolved, per current severity, over
	// the incidents declared in [From, To) that got there; a severity is absent when none did.
	MTTA, MTTC, MTTR map[string]float64
	Deadlines
}

// Deadlines are what is due or overdue at a moment over all incidents, however old (drills excluded).
type Deadlines struct {
	// Open incidents whose acknowledge or contain target, for their current severity, has passed without being
	// reached.
	OpenSLABreaches   uint64    `json:"open_sla_breaches"`
	RegulatoryDueSoon []DueItem `json:"regulatory_due_soon"` // unreported regulatory deadline in [now, now+72h], earliest first, at most 100
	RegulatoryOverdue uint64    `json:"regulatory_overdue"`  // unreported regulatory deadline before now
	// Open action items of reviews due before now.
	OverdueActionItems uint64 `json:"overdue_action_items"`
}

// DueItem is an incident with a regulatory report due soon.
type DueItem struct {
	IncidentID string    `json:"incident_id"`
	Title      string    `json:"title"`
	Severity   string    `json:"severity"`
	DueAt      time.Time `json:"due_at"`
}

const (
	// RegulatoryDueSoonWindow is how far ahead Deadlines lists regulatory deadlines.
	RegulatoryDueSoonWindow = 72 * time.Hour
	regulatoryDueSoonMax    = 100
)

// Stats computes the dashboard numbers in ClickHouse: the period's (PeriodStats) and the deadlines over all
// incidents (Deadlines), at once.
func (s *Store) Stats(ctx context.Context, from, to time.Time, targets incident.SLATargets, now time.Time) (Stats, error) {
	return s.StatsWith(ctx, from, to, func(ctx context.Context) (Deadlines, error) { return s.Deadlines(ctx, targets, now) })
}

// StatsWith computes the period's numbers (PeriodStats) while deadlines gives those over all incidents.
func (s *Store) StatsWith(ctx context.Context, from, to time.Time, deadlines func(context.Context) (Deadlines, error)) (Stats, error) {
	var (
		dl    Deadlines
		dlErr error
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		dl, dlErr = deadlines(ctx)
	}()
	st, err := s.PeriodStats(ctx, from, to)
	<-done
	if err := errors.Join(err, dlErr); err != nil {
		return Stats{}, err
	}
	st.Deadlines = dl
	return st, nil
}

// PeriodStats computes the numbers of the incidents declared in [from, to): counts, MTTA, MTTC, MTTR. The
// Deadlines of the result are empty.
func (s *Store) PeriodStats(ctx context.Context, from, to time.Time) (Stats, error) {
	from, to = clampDateTime(from), clampDateTime(to)
	st := Stats{
		From: from, To: to,
		BySeverity: map[string]uint64{}, ByStatus: map[string]uint64{}, ByCategory: map[string]uint64{},
		MTTA: map[string]float64{}, MTTC: map[string]float64{}, MTTR: map[string]float64{},
	}
	severities := []incident.Severity{incident.SEV1, incident.SEV2, incident.SEV3}

	// Every aggregate is a column; dest says where its value goes.
	var (
		cols []string
		args []any
		dest []any
	)
	add := func(expr string, d any, a ...any) {
		cols = append(cols, expr)
		dest = append(dest, d)
		args = append(args, a...)
	}
	counts := func(column string, values []string) []uint64 {
		out := make([]uint64, len(values))
		for i, v := range values {
			add("countIf(in_range AND "+column+" = ?)", &out[i], v)
		}
		return out
	}
	sevNames := make([]string, len(severities))
	for i, sev := range severities {
		sevNames[i] = sev.String()
	}
	statusNames := make([]string, len(incident.Statuses))
	for i, v := range incident.Statuses {
		statusNames[i] = string(v)
	}
	categoryNames := make([]string, len(incident.Categories))
	for i, v := range incident.Categories {
		categoryNames[i] = string(v)
	}
	bySev := counts("toString(severity)", sevNames)
	byStatus := counts("toString(status)", statusNames)
	byCategory := counts("category", categoryNames)

	type mean struct {
		avg float64
		n   uint64
	}
	means := map[string][]mean{}
	for _, m := range []struct{ name, reached, seconds string }{
		{"mtta", "isNotNull(acknowledged_at)", "toInt64(assumeNotNull(acknowledged_at))"},
		{"mttc", "isNotNull(coalesce(contained_at, resolved_at, closed_at))", "toInt64(assumeNotNull(coalesce(contained_at, resolved_at, closed_at)))"},
		{"mttr", "isNotNull(resolved_at)", "toInt64(assumeNotNull(resolved_at))"},
	} {
		ms := make([]mean, len(severities))
		for i, sev := range sevNames {
			cond := "in_range AND toString(severity) = ? AND " + m.reached
			add("avgIf("+m.seconds+" - toInt64(declared_at), "+cond+")", &ms[i].avg, sev)
			add("countIf("+cond+")", &ms[i].n, sev)
		}
		means[m.name] = ms
	}

	// The period's range of incident_state_by_time (ordered by declared_at), with FINAL.
	inRange := s.sql(`SELECT ` + strings.Join(cols, ",\n\t") + `
		FROM (
			SELECT severity, status, category, declared_at, acknowledged_at, contained_at, resolved_at, closed_at,
				1 AS in_range
			FROM {db}.incident_state_by_time FINAL
			WHERE drill = 0 AND declared_at >= ? AND declared_at < ?
		)`)
	if err := s.conn.QueryRow(ctx, inRange, append(args, from, to)...).Scan(dest...); err != nil {
		return Stats{}, fmt.Errorf("incident statistics: %w", err)
	}
	for i, v := range sevNames {
		st.BySeverity[v] = bySev[i]
	}
	for i, v := range statusNames {
		st.ByStatus[v] = byStatus[i]
	}
	for i, v := range categoryNames {
		st.ByCategory[v] = byCategory[i]
	}
	for name, m := range map[string]map[string]float64{"mtta": st.MTTA, "mttc": st.MTTC, "mttr": st.MTTR} {
		for i, v := range sevNames {
			if means[name][i].n > 0 {
				m[v] = means[name][i].avg
			}
		}
	}
	return st, nil
}

// Deadlines computes, in ClickHouse, what is due or overdue at now (to the second) over all incidents, from the
// newest state of each: all of incident_state_by_time with FINAL, one query per monthly partition in one UNION ALL
// so that the server merges them (FINAL is single-threaded per query on 18.16) in parallel. The receiver keeps the
// same numbers in memory (ingest.DeadlineIndex); this is the way without it.
func (s *Store) Deadlines(ctx context.Context, targets incident.SLATargets, now time.Time) (Deadlines, error) {
	now = clampDateTime(now)
	nowUnix := now.Unix()
	severities := []incident.Severity{incident.SEV1, incident.SEV2, incident.SEV3}
	targetSeconds := func(get func(incident.SLATarget) time.Duration) []any {
		out := make([]any, 0, 5)
		for i, sev := range severities {
			secs := int64(0)
			if d := get(targets[sev]); d > 0 {
				secs = incident.WholeSeconds(d)
			}
			if i < len(severities)-1 {
				out = append(out, sev.String())
			}
			out = append(out, secs)
		}
		return out
	}
	partitions, err := s.statePartitions(ctx)
	if err != nil {
		return Deadlines{}, fmt.Errorf("incident deadlines: %w", err)
	}
	var (
		branches   []string
		allArgs    []any
		soonWindow = now.Add(RegulatoryDueSoonWindow).Unix()
	)
	targetArgs := append(targetSeconds(func(t incident.SLATarget) time.Duration { return t.Acknowledge }),
		targetSeconds(func(t incident.SLATarget) time.Duration { return t.Contain })...)
	for _, w := range partitionConditions(partitions) {
		branches = append(branches, `SELECT
				countIf(status IN ('declared', 'acknowledged', 'contained') AND (
					(ack_target > 0 AND isNull(acknowledged_at) AND toInt64(declared_at) + ack_target < ?)
					OR (contain_target > 0 AND isNull(coalesce(contained_at, resolved_at, closed_at))
						AND toInt64(declared_at) + contain_target < ?))),
				countIf(isNotNull(regulatory_due_at) AND toInt64(assumeNotNull(regulatory_due_at)) < ?),
				sum(arrayCount(d -> toInt64(d) < ?, action_items_due)),
				groupArrayIf(toString(incident_id), due_soon),
				groupArrayIf(title, due_soon),
				groupArrayIf(toString(severity), due_soon),
				groupArrayIf(toUInt32(assumeNotNull(regulatory_due_at)), due_soon)
			FROM (
				SELECT incident_id, title, severity, status, declared_at, acknowledged_at, contained_at, resolved_at,
					closed_at, regulatory_due_at, action_items_due,
					toInt64(multiIf(toString(severity) = ?, ?, toString(severity) = ?, ?, ?)) AS ack_target,
					toInt64(multiIf(toString(severity) = ?, ?, toString(severity) = ?, ?, ?)) AS contain_target,
					isNotNull(regulatory_due_at) AND toInt64(assumeNotNull(regulatory_due_at)) >= ?
						AND toInt64(assumeNotNull(regulatory_due_at)) <= ? AS due_soon
				FROM {db}.incident_state_by_time FINAL
				WHERE drill = 0`+w.cond+`
			)`)
		allArgs = append(allArgs, nowUnix, nowUnix, nowUnix, nowUnix)
		allArgs = append(allArgs, targetArgs...)
		allArgs = append(allArgs, nowUnix, soonWindow)
		allArgs = append(allArgs, w.args...)
	}
	var dl Deadlines
	if len(branches) == 0 {
		return dl, nil
	}
	rows, err := s.conn.Query(ctx, s.sql(strings.Join(branches, "\n\t\tUNION ALL\n\t\t")), allArgs...)
	if err != nil {
		return Deadlines{}, fmt.Errorf("incident deadlines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			breaches, overdue, items uint64
			dueIDs, titles, sevs     []string
			dues                     []uint32
		)
		if err := rows.Scan(&breaches, &overdue, &items, &dueIDs, &titles, &sevs, &dues); err != nil {
			return Deadlines{}, fmt.Errorf("incident deadlines: %w", err)
		}
		dl.OpenSLABreaches += breaches
		dl.RegulatoryOverdue += overdue
		dl.OverdueActionItems += items
		for i := range dueIDs {
			if i < len(titles) && i < len(sevs) && i < len(dues) {
				dl.RegulatoryDueSoon = append(dl.RegulatoryDueSoon, DueItem{IncidentID: dueIDs[i], Title: titles[i],
					Severity: sevs[i], DueAt: time.Unix(int64(dues[i]), 0).UTC()})
			}
		}
	}
	if err := rows.Err(); err != nil {
		return Deadlines{}, fmt.Errorf("incident deadlines: %w", err)
	}
	dl.RegulatoryDueSoon = EarliestDueItems(dl.RegulatoryDueSoon)
	return dl, nil
}

// SummarizeDeadlines computes Deadlines from the deadlines of incidents (by id) as Store.Deadlines does in SQL:
// at now, to the second, over the incidents whose deadlines are Pending (the others count for nothing).
func SummarizeDeadlines(all iter.Seq2[string, incident.Deadlines], now time.Time, targets incident.SLATargets) Deadlines {
	var sum Deadlines
	now = clampDateTime(now)
	soon := now.Add(RegulatoryDueSoonWindow)
	for id, d := range all {
		if !d.Pending() {
			continue
		}
		if targets.SLABreachedAt(d, now) {
			sum.OpenSLABreaches++
		}
		if due := d.RegulatoryDue.Truncate(time.Second); !due.IsZero() { // ClickHouse keeps whole seconds
			switch {
			case due.Before(now):
				sum.RegulatoryOverdue++
			case !due.After(soon):
				sum.RegulatoryDueSoon = append(sum.RegulatoryDueSoon, DueItem{IncidentID: id, Title: d.Title,
					Severity: d.Severity.String(), DueAt: due.UTC()})
			}
		}
		for _, due := range d.ActionItemDues {
			if due.Before(now) {
				sum.OverdueActionItems++
			}
		}
	}
	sum.RegulatoryDueSoon = EarliestDueItems(sum.RegulatoryDueSoon)
	return sum
}

// EarliestDueItems orders deadlines earliest first, then by incident id (as the list of them is shown), and keeps
// the first 100.
func EarliestDueItems(items []DueItem) []DueItem {
	sortDueItems(items)
	if len(items) > regulatoryDueSoonMax {
		items = items[:regulatoryDueSoonMax]
	}
	return items
}

// sortDueItems orders deadlines earliest first, then by incident id (as the list of them is shown).
func sortDueItems(items []DueItem) {
	slices.SortFunc(items, func(a, b DueItem) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return strings.Compare(a.IncidentID, b.IncidentID)
	})
}

// statePartitions lists the partitions (YYYYMM) of incident_state_by_time, in order.
func (s *Store) statePartitions(ctx context.Context) ([]uint32, error) {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT partition FROM system.parts
		WHERE database = ? AND table = 'incident_state_by_time' AND active`, s.name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("partition %q of incident_state_by_time: not a month", p)
		}
		out = append(out, uint32(n))
	}
	slices.Sort(out)
	return out, rows.Err()
}

type partitionCondition struct {
	cond string // "" or " AND ..." on toYYYYMM(declared_at)
	args []any
}

// partitionConditions splits a scan over the monthly partitions into one condition per partition that together
// cover every row: the first also takes the months before it and the last the months after it, for a partition
// created after the list was read.
func partitionConditions(partitions []uint32) []partitionCondition {
	switch len(partitions) {
	case 0:
		return nil
	case 1:
		return []partitionCondition{{}}
	}
	out := make([]partitionCondition, len(partitions))
	for i, p := range partitions {
		op := " = ?"
		switch i {
		case 0:
			op = " <= ?"
		case len(partitions) - 1:
			op = " >= ?"
		}
		out[i] = partitionCondition{" AND toYYYYMM(declared_at)" + op, []any{p}}
	}
	return out
}
