package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
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

	derived *derivedState // set by Freeze
}

// derivedState is what a state row holds beyond State's plain fields, computed from its maps, pointers and clocks.
type derivedState struct {
	lead           string
	reviewComplete bool
	regulatoryDue  time.Time
	actionItemsDue []time.Time
}

// Freeze computes now, from State, the state row's values that come from the maps and pointers State shares with
// the live incident it was copied from (roles, review, regulatory clocks). A caller that goes on changing the
// incident while the record is written (the ingest writes one batch while it applies the next) freezes first.
// It returns the state's deadlines, which the frozen clock values are taken from.
func (r *Record) Freeze() incident.Deadlines {
	d, deadlines := deriveState(&r.State)
	r.derived = &d
	return deadlines
}

func (r *Record) derivedState() derivedState {
	if r.derived != nil {
		return *r.derived
	}
	d, _ := deriveState(&r.State)
	return d
}

func deriveState(st *incident.Incident) (derivedState, incident.Deadlines) {
	deadlines := st.Deadlines()
	dues := deadlines.ActionItemDues
	if dues == nil {
		dues = []time.Time{} // the column is an array: empty, never NULL
	}
	return derivedState{lead: st.Lead(), reviewComplete: st.ReviewComplete(),
		regulatoryDue: deadlines.RegulatoryDue, actionItemsDue: dues}, deadlines
}

// Write stores records in one INSERT (two when they carry evidence: the snapshots go first, so no event refers to a
// snapshot that is not stored). It is idempotent: writing the same records again leaves the same data.
func (s *Store) Write(ctx context.Context, records []Record) error {
	if len(records) == 0 {
		return nil
	}
	// The snapshots first, before the INSERT holds a connection.
	if err := s.writeEvidence(ctx, records); err != nil {
		return err
	}
	in, err := s.BeginInsert(ctx)
	if err != nil {
		return err
	}
	if err := in.addRows(records); err != nil {
		in.Abort()
		return err
	}
	return in.Commit()
}

// Insert is one INSERT that stays open while records are added to it a block at a time: the work of encoding and
// sending them is spread over the time they arrive, and ClickHouse stores them all (a part per table) at Commit.
// Nothing is visible before Commit. After a failure, Abort and write the records again: ClickHouse 18.16 stores
// the blocks it received when the connection drops, so some may be there already, which is safe because every
// write is idempotent.
type Insert struct {
	s     *Store
	ctx   context.Context
	batch driver.Batch
	rows  int
}

// BeginInsert opens an INSERT; ctx bounds it until Commit.
func (s *Store) BeginInsert(ctx context.Context) (*Insert, error) {
	batch, err := s.conn.PrepareBatch(ctx, s.sql("INSERT INTO {db}.ingest"))
	if err != nil {
		return nil, fmt.Errorf("write events: prepare: %w", err)
	}
	return &Insert{s: s, ctx: ctx, batch: batch}, nil
}

// Add sends records as one block of the INSERT. Evidence they carry is stored first, in an INSERT of its own.
func (in *Insert) Add(records []Record) error {
	if len(records) == 0 {
		return nil
	}
	if err := in.s.writeEvidence(in.ctx, records); err != nil {
		return err
	}
	return in.addRows(records)
}

// addRows sends records as one block of the INSERT.
func (in *Insert) addRows(records []Record) error {
	for i, col := range newIngestBlock(records).columns() {
		if err := in.batch.Column(i).Append(col); err != nil {
			return fmt.Errorf("write events: column %d: %w", i, err)
		}
	}
	// The driver's columns keep their buffers for the next block.
	if err := in.batch.Flush(); err != nil {
		return fmt.Errorf("write events: send a block of %d: %w", len(records), err)
	}
	in.rows += len(records)
	return nil
}

// Commit ends the INSERT: ClickHouse stores the blocks added.
func (in *Insert) Commit() error {
	if err := in.batch.Send(); err != nil {
		return fmt.Errorf("write %d events: %w", in.rows, err)
	}
	return nil
}

// Abort drops the INSERT's connection (see Insert for what ClickHouse keeps).
func (in *Insert) Abort() { _ = in.batch.Abort() }

// ingestBlock holds records column by column, in the order of ingest's columns (ingestColumns, then those later
// migrations added): the driver takes a column as one slice, where a row of boxed values would cost an allocation
// per value.
type ingestBlock struct {
	incidentID                                               []uuid.UUID
	seq                                                      []uint32
	at, recordedAt                                           []time.Time
	atNs                                                     []uint32
	kind, actor, message, body, cause, prevHash, hash        []string
	writeState                                               []uint8
	title, description, aiSystem, category                   []string
	severity, status                                         []string
	declaredBy, declaredVia, groupKey                        []string
	drill                                                    []uint8
	startedAt, declaredAt                                    []time.Time
	acknowledgedAt, containedAt, resolvedAt, closedAt        []*time.Time
	alertCount, firingCount                                  []uint32
	lead, reportedVia                                        []string
	reviewComplete                                           []uint8
	regulatoryDue                                            []*time.Time
	actionItemsDue                                           [][]time.Time
	alertKey, fingerprint, alertName, alertStatus            []string
	alertStartsAt                                            []time.Time
	alertEndsAt                                              []*time.Time
	labelKeys, labelValues, annotationKeys, annotationValues [][]string
	generatorURL                                             []string
	valueKeys                                                [][]string
	values                                                   [][]float64
	source                                                   []string
	flapping                                                 []uint8 // added by migration 6, at the end
	owaspLLM, atlasTactics, nistRisks                        [][]string
	harm                                                     []string
	peopleAffected                                           []*int64
	deploymentBreadth                                        []string // the taxonomy: added by migration 9, at the end
}

// The state columns only count on rows with write_state = 1 (incident_state_mv and incident_state_by_time_mv
// select those); the others carry zero values, which keeps the block small. declared_at is on every row: events,
// alerts and incident_index are partitioned or keyed by it.
var (
	noState    incident.Incident
	noAlert    incident.Alert
	noTaxonomy incident.Taxonomy
)

func newIngestBlock(records []Record) *ingestBlock {
	b := &ingestBlock{}
	for i := range records {
		r := &records[i]
		e, st := &r.Event, &r.State
		b.incidentID = append(b.incidentID, uuid.MustParse(e.IncidentID))
		b.seq = append(b.seq, e.Seq)
		b.at = append(b.at, e.At)
		b.atNs = append(b.atNs, uint32(e.At.Nanosecond()))
		b.recordedAt = append(b.recordedAt, e.RecordedAt)
		b.kind = append(b.kind, string(e.Kind))
		b.actor = append(b.actor, e.Actor)
		b.message = append(b.message, e.Message)
		b.body = append(b.body, string(e.Body))
		b.cause = append(b.cause, e.Cause)
		b.prevHash = append(b.prevHash, e.PrevHash)
		b.hash = append(b.hash, e.Hash)
		b.writeState = append(b.writeState, boolToUInt8(r.WriteState))
		b.severity = append(b.severity, st.Severity.String())
		b.status = append(b.status, string(st.Status))
		b.declaredAt = append(b.declaredAt, st.DeclaredAt)
		var d derivedState
		if r.WriteState {
			d = r.derivedState()
		} else {
			st, d.actionItemsDue = &noState, []time.Time{}
		}
		b.title = append(b.title, st.Title)
		b.description = append(b.description, st.Description)
		b.aiSystem = append(b.aiSystem, st.AISystem)
		b.category = append(b.category, string(st.Category))
		b.declaredBy = append(b.declaredBy, st.DeclaredBy)
		b.declaredVia = append(b.declaredVia, st.DeclaredVia)
		b.groupKey = append(b.groupKey, st.GroupKey)
		b.drill = append(b.drill, boolToUInt8(st.Drill))
		b.startedAt = append(b.startedAt, clampDateTime(st.StartedAt))
		b.acknowledgedAt = append(b.acknowledgedAt, nullableTime(st.AcknowledgedAt))
		b.containedAt = append(b.containedAt, nullableTime(st.ContainedAt))
		b.resolvedAt = append(b.resolvedAt, nullableTime(st.ResolvedAt))
		b.closedAt = append(b.closedAt, nullableTime(st.ClosedAt))
		b.alertCount = append(b.alertCount, uint32(st.AlertCount))
		b.firingCount = append(b.firingCount, uint32(st.FiringCount))
		b.lead = append(b.lead, d.lead)
		b.reportedVia = append(b.reportedVia, st.ReportedVia)
		b.reviewComplete = append(b.reviewComplete, boolToUInt8(d.reviewComplete))
		b.regulatoryDue = append(b.regulatoryDue, nullableTime(d.regulatoryDue))
		b.actionItemsDue = append(b.actionItemsDue, d.actionItemsDue)
		b.flapping = append(b.flapping, boolToUInt8(st.Flapping))
		tax := st.Taxonomy
		if tax == nil {
			tax = &noTaxonomy
		}
		b.owaspLLM = append(b.owaspLLM, nonNil(tax.OWASPLLM))
		b.atlasTactics = append(b.atlasTactics, nonNil(tax.ATLASTactics))
		b.nistRisks = append(b.nistRisks, nonNil(tax.NISTRisks))
		b.harm = append(b.harm, tax.Harm)
		b.peopleAffected = append(b.peopleAffected, tax.PeopleAffected)
		b.deploymentBreadth = append(b.deploymentBreadth, tax.DeploymentBreadth)

		a := r.Alert
		if a == nil {
			a = &noAlert
		}
		lk, lv := SortedPairs(a.Labels)
		ak, av := SortedPairs(a.Annotations)
		vk, vv := SortedPairs(a.Values)
		b.alertKey = append(b.alertKey, a.Key)
		b.fingerprint = append(b.fingerprint, a.Fingerprint)
		b.alertName = append(b.alertName, a.Name)
		b.alertStatus = append(b.alertStatus, a.Status)
		b.alertStartsAt = append(b.alertStartsAt, clampDateTime(a.StartsAt))
		b.alertEndsAt = append(b.alertEndsAt, nullableTime(a.EndsAt))
		b.labelKeys, b.labelValues = append(b.labelKeys, lk), append(b.labelValues, lv)
		b.annotationKeys, b.annotationValues = append(b.annotationKeys, ak), append(b.annotationValues, av)
		b.generatorURL = append(b.generatorURL, a.GeneratorURL)
		b.valueKeys, b.values = append(b.valueKeys, vk), append(b.values, vv)
		b.source = append(b.source, a.Source)
	}
	return b
}

// columns returns the block's columns in the order of ingestColumns.
func (b *ingestBlock) columns() []any {
	return []any{
		b.incidentID, b.seq, b.at, b.atNs, b.recordedAt, b.kind, b.actor, b.message, b.body, b.cause, b.prevHash,
		b.hash, b.writeState, b.title, b.description, b.aiSystem, b.category, b.severity, b.status, b.declaredBy,
		b.declaredVia, b.groupKey, b.drill, b.startedAt, b.declaredAt, b.acknowledgedAt, b.containedAt,
		b.resolvedAt, b.closedAt, b.alertCount, b.firingCount, b.lead, b.reportedVia, b.reviewComplete,
		b.regulatoryDue, b.actionItemsDue, b.alertKey, b.fingerprint, b.alertName, b.alertStatus, b.alertStartsAt,
		b.alertEndsAt, b.labelKeys, b.labelValues, b.annotationKeys, b.annotationValues, b.generatorURL,
		b.valueKeys, b.values, b.source, b.flapping, b.owaspLLM, b.atlasTactics, b.nistRisks, b.harm,
		b.peopleAffected, b.deploymentBreadth,
	}
}

// nonNil is s, or an empty slice for nil: an array column is empty, never NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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
