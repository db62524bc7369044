package store

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newStore(t *testing.T) (*Store, *testenv.ClickHouse) {
	t.Helper()
	ch := testenv.SharedClickHouse(t)
	s, err := Open(ch.DSN(ch.NewDatabase(t)), nil)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Migrate(context.Background()))
	return s, ch
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)

// timeline builds a small incident: declared, two alerts, one resolved, acknowledged; returns the records to store.
func timeline(t *testing.T, title string) ([]Record, *incident.Incident) {
	t.Helper()
	inc, e, err := incident.Declare(uuid.NewString(), incident.DeclaredBody{
		Title: title, AISystem: "supportbot", Category: incident.Hallucination, Severity: incident.SEV2,
		DeclaredBy: "rule:X", DeclaredVia: "alertmanager", GroupKey: "{}:{a=\"b\"}", StartedAt: t0,
	}, t0, t0, "rule:X", "declared")
	require.NoError(t, err)
	records := []Record{{Event: e, State: *inc}}
	add := func(k incident.Kind, body any, alert *incident.Alert) {
		e, err := inc.Append(k, t0.Add(time.Duration(len(records))*time.Second), t0, "rule:X", string(k), body)
		require.NoError(t, err)
		records = append(records, Record{Event: e, State: *inc, Alert: alert})
	}
	a1 := incident.Alert{Key: incident.AlertKey("aaaa", t0), Fingerprint: "aaaa", Name: "X", Status: "firing",
		StartsAt: t0.Truncate(time.Second), Labels: map[string]string{"alertname": "X", "q": "it's \"quoted\"; DROP TABLE x"},
		Annotations: map[string]string{"summary": "s"}, GeneratorURL: "http://p/graph?g0.expr=up", Source: "alertmanager",
		Values: map[string]float64{"A": 0.5}}
	a2 := a1
	a2.Key, a2.Fingerprint = incident.AlertKey("bbbb", t0), "bbbb"
	add(incident.KindAlertFired, incident.AlertBody{Alert: a1}, &a1)
	add(incident.KindAlertFired, incident.AlertBody{Alert: a2}, &a2)
	a1r := a1
	a1r.Status, a1r.EndsAt = "resolved", t0.Add(time.Minute).Truncate(time.Second)
	add(incident.KindAlertResolved, incident.AlertBody{Alert: a1r}, &a1r)
	add(incident.KindAcknowledged, incident.StatusBody{From: incident.Declared, To: incident.Acknowledged}, nil)
	records[len(records)-1].WriteState = true
	return records, inc
}

func TestMigrateIdempotentAndConcurrent(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	dsn := ch.DSN(ch.NewDatabase(t))
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(dsn, nil)
			if err == nil {
				defer s.Close()
				err = s.Migrate(context.Background())
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	s, err := Open(dsn, nil)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Migrate(context.Background()))
	v, err := s.SchemaVersion(context.Background())
	require.NoError(t, err)
	assert.Equal(t, LatestSchemaVersion(), v)
	for _, view := range []string{"incidents", "incident_events", "incident_alerts"} {
		assert.Equal(t, "1\n", ch.Query(t, "SELECT count() FROM system.tables WHERE database = '"+s.Database()+"' AND name = '"+view+"'"), view)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	s, ch := newStore(t)
	ctx := context.Background()
	records, inc := timeline(t, "Hallucinations on 'supportbot'; DROP TABLE events --")
	require.NoError(t, s.Write(ctx, records))
	// Writing the same records again (a retry or a replayed spool) changes nothing.
	require.NoError(t, s.Write(ctx, records))

	events, err := s.Events(ctx, inc.ID)
	require.NoError(t, err)
	require.Len(t, events, len(records))
	for i, e := range events {
		assert.Equal(t, records[i].Event, e, "event %d survives the round trip exactly", i+1)
	}
	assert.Nil(t, incident.VerifyChain(events))
	folded, err := incident.Fold(events)
	require.NoError(t, err)
	assert.Equal(t, inc.LastHash, folded.LastHash)

	list, err := s.Incidents(ctx, 10)
	require.NoError(t, err)
	require.Len(t, list, 1)
	got := list[0]
	assert.Equal(t, inc.ID, got.ID)
	assert.Equal(t, inc.Title, got.Title)
	assert.Equal(t, "SEV2", got.Severity)
	assert.Equal(t, "acknowledged", got.Status)
	assert.Equal(t, uint32(2), got.AlertCount)
	assert.Equal(t, uint32(1), got.FiringCount)
	assert.Equal(t, uint32(5), got.LastSeq)
	require.NotNil(t, got.AcknowledgedAt)
	assert.Nil(t, got.ResolvedAt)

	db := s.Database()
	assert.Equal(t, "5\n", ch.Query(t, "SELECT count() FROM "+db+".incident_events"))
	assert.Equal(t, "aaaa\tresolved\t['A']\t[0.5]\nbbbb\tfiring\t['A']\t[0.5]\n",
		ch.Query(t, "SELECT fingerprint, status, values_keys, values FROM "+db+".incident_alerts ORDER BY fingerprint"))
	assert.Equal(t, "it's \"quoted\"; DROP TABLE x\n",
		ch.Query(t, "SELECT labels_values[indexOf(labels_keys, 'q')] FROM "+db+".incident_alerts WHERE fingerprint = 'aaaa' FORMAT TabSeparatedRaw"))
}

// An insert kept open stores the blocks added to it together, at Commit; one aborted and written again is stored once.
func TestInsertStoresItsBlocksAtCommit(t *testing.T) {
	s, ch := newStore(t)
	ctx := context.Background()
	db := s.Database()
	count := func() string { return ch.Query(t, "SELECT count() FROM "+db+".incident_events") }

	records, inc := timeline(t, "streamed")
	in, err := s.BeginInsert(ctx)
	require.NoError(t, err)
	for _, r := range records {
		require.NoError(t, in.Add([]Record{r}))
	}
	assert.Equal(t, "0\n", count(), "nothing is visible before Commit")
	require.NoError(t, in.Commit())
	assert.Equal(t, "5\n", count())
	events, err := s.Events(ctx, inc.ID)
	require.NoError(t, err)
	assert.Nil(t, incident.VerifyChain(events))

	// An aborted insert may still be stored (ClickHouse 18.16 keeps the blocks it received when the connection
	// drops): writing the same records again, as the processor does, leaves each event once.
	aborted, abortedInc := timeline(t, "aborted")
	in, err = s.BeginInsert(ctx)
	require.NoError(t, err)
	require.NoError(t, in.Add(aborted))
	in.Abort()
	require.NoError(t, s.Write(ctx, aborted))
	assert.Equal(t, "10\n", count())
	events, err = s.Events(ctx, abortedInc.ID)
	require.NoError(t, err)
	assert.Len(t, events, len(aborted))
	list, err := s.Incidents(ctx, 10)
	require.NoError(t, err)
	assert.Len(t, list, 2)
}

func TestLoadActive(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	open, openInc := timeline(t, "open")
	require.NoError(t, s.Write(ctx, open))

	// Resolved a day ago with no alert firing: only loaded when the window reaches back that far.
	resolved, resolvedInc := timeline(t, "resolved")
	resolved[len(resolved)-1].WriteState = false
	resolvedAt := t0.Add(-24 * time.Hour)
	for _, k := range []incident.Kind{incident.KindAlertResolved, incident.KindResolved} {
		var alert *incident.Alert
		body := any(incident.StatusBody{})
		if k == incident.KindAlertResolved {
			a := *resolved[2].Alert
			a.Status, a.EndsAt = "resolved", t0
			alert, body = &a, incident.AlertBody{Alert: a}
		}
		at := t0
		if k == incident.KindResolved {
			at = resolvedAt
		}
		e, err := resolvedInc.Append(k, at, t0, "user:alice", "", body)
		require.NoError(t, err)
		resolved = append(resolved, Record{Event: e, State: *resolvedInc, Alert: alert})
	}
	resolved[len(resolved)-1].WriteState = true
	require.NoError(t, s.Write(ctx, resolved))
	require.Equal(t, 0, resolvedInc.FiringCount)

	loaded, err := s.LoadActive(ctx, resolvedAt.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, loaded, 1)
	assert.Equal(t, openInc.ID, loaded[0].ID)
	firing, known := loaded[0].EpisodeFiring(incident.DigestOf(incident.AlertKey("bbbb", t0)))
	assert.True(t, known)
	assert.True(t, firing)

	loaded, err = s.LoadActive(ctx, resolvedAt.Add(-time.Hour))
	require.NoError(t, err)
	assert.Len(t, loaded, 2)
}

func TestOpenErrors(t *testing.T) {
	_, err := Open("clickhouse://127.0.0.1:9000/bad-name", nil)
	assert.ErrorContains(t, err, `database name "bad-name"`)
	_, err = Open("clickhouse://user:secretpw@127.0.0.1/x?dial_timeout=soon", nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secretpw")
	_, err = Open("clickhouse://127.0.0.1:9000/firebreak?max_open_conns=1", nil)
	assert.ErrorContains(t, err, "max_open_conns=1: at least 2 are needed")

	s, err := Open("clickhouse://127.0.0.1:1/firebreak?dial_timeout=200ms", nil)
	require.NoError(t, err)
	defer s.Close()
	err = s.Ping(context.Background())
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "clickhouse ping"), err.Error())
	_, err = s.Events(context.Background(), "not-a-uuid")
	assert.ErrorContains(t, err, "not-a-uuid")
}

// storeMigratedTo opens a new database with the first n migrations applied, as an older receiver left it.
func storeMigratedTo(t *testing.T, n int) (*Store, *testenv.ClickHouse, string) {
	t.Helper()
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	s, err := Open(ch.DSN(db), nil)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	all := migrations
	migrations = all[:n]
	err = s.Migrate(context.Background())
	migrations = all
	require.NoError(t, err)
	// The writer sends the columns added to ingest since (flapping, 6; the taxonomy, 9); the ingest table of this
	// old schema takes them so that it can write here. The migrations then find them there and add them to the others.
	for _, m := range all[n:] {
		for _, stmt := range m.statements {
			if c := addColumn.FindStringSubmatch(stmt); c != nil && c[1] == "ingest" {
				require.NoError(t, s.migrate(context.Background(), stmt))
			}
		}
	}
	return s, ch, db
}

// Migration 3 copies the state written before it into incident_state_by_time; writes after it reach both tables.
func TestMigrationBackfillsStateByTime(t *testing.T) {
	s, ch, db := storeMigratedTo(t, 1)
	ctx := context.Background()
	before, _ := timeline(t, "before")
	require.NoError(t, s.Write(ctx, before))

	require.NoError(t, s.Migrate(ctx))
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, LatestSchemaVersion(), v)
	after, _ := timeline(t, "after")
	require.NoError(t, s.Write(ctx, after))
	p, err := s.ListIncidents(ctx, ListFilter{})
	require.NoError(t, err)
	require.Len(t, p.Incidents, 2)
	assert.ElementsMatch(t, []string{before[0].Event.IncidentID, after[0].Event.IncidentID}, ids(p))
	for _, r := range p.Incidents {
		assert.Equal(t, incident.Acknowledged, r.Status)
	}
	same := func(table string) string {
		return ch.Query(t, "SELECT toString(incident_id), version, last_hash FROM `"+db+"`."+table+" FINAL ORDER BY incident_id FORMAT TSV")
	}
	assert.Equal(t, same("incident_state"), same("incident_state_by_time"))
	// incident_index (migration 4) knows both, so one incident's reads find its partition.
	for _, recs := range [][]Record{before, after} {
		evs, err := s.Events(ctx, recs[0].Event.IncidentID)
		require.NoError(t, err)
		assert.Len(t, evs, len(recs))
		alerts, err := s.Alerts(ctx, recs[0].Event.IncidentID)
		require.NoError(t, err)
		assert.Len(t, alerts, 2)
	}
	assert.Equal(t, "2\n", ch.Query(t, "SELECT uniqExact(incident_id) FROM `"+db+"`.incident_index"))
	require.NoError(t, s.Migrate(ctx), "again")
}

// A write to a server that stops reading fails after the timeout instead of blocking the writer forever.
func TestWriteDeadlineConn(t *testing.T) {
	client, server := net.Pipe() // nobody reads server: a write blocks
	defer server.Close()
	c := &writeDeadlineConn{Conn: client, timeout: 50 * time.Millisecond}
	defer c.Close()
	done := make(chan error, 1)
	go func() { _, err := c.Write([]byte("block")); done <- err }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	case <-time.After(10 * time.Second):
		t.Fatal("the write did not fail at its deadline")
	}
	// A connection that is read from writes normally.
	go func() { _, _ = io.ReadAll(server) }()
	_, err := c.Write([]byte("ok"))
	assert.NoError(t, err)
}

// A range of a timeline is read by seq, one row per seq (the records are written twice), in order; the last seq too.
func TestEventsBetweenAndLastSeq(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	records, inc := timeline(t, "ranges")
	require.NoError(t, s.Write(ctx, records))
	require.NoError(t, s.Write(ctx, records))
	for _, tc := range []struct {
		first, last uint32
		want        []uint32
	}{
		{1, 5, []uint32{1, 2, 3, 4, 5}},
		{2, 3, []uint32{2, 3}},
		{4, 100, []uint32{4, 5}},
		{6, 10, nil},
		{3, 2, nil},
	} {
		events, found, err := s.EventsBetween(ctx, inc.ID, tc.first, tc.last)
		require.NoError(t, err)
		assert.True(t, found)
		var seqs []uint32
		for i, e := range events {
			seqs = append(seqs, e.Seq)
			assert.Equal(t, records[e.Seq-1].Event, events[i])
		}
		assert.Equal(t, tc.want, seqs, "%d..%d", tc.first, tc.last)
	}
	last, found, err := s.LastSeq(ctx, inc.ID)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, uint32(5), last)

	unknown := uuid.NewString()
	_, found, err = s.EventsBetween(ctx, unknown, 1, 5)
	require.NoError(t, err)
	assert.False(t, found)
	_, found, err = s.LastSeq(ctx, unknown)
	require.NoError(t, err)
	assert.False(t, found)
	_, _, err = s.EventsBetween(ctx, "1' OR 1=1", 1, 5)
	assert.ErrorContains(t, err, "incident id")
}

// Migration 6: the flapping flag reaches incident_state, incident_state_by_time and the incidents view; a resolved
// incident still flapping is loaded as active; the migration runs again cleanly if it was interrupted.
func TestFlappingStored(t *testing.T) {
	s, ch := newStore(t)
	ctx := context.Background()
	records, inc := timeline(t, "flapping")
	add := func(k incident.Kind, body any) {
		e, err := inc.Append(k, t0.Add(time.Duration(len(records))*time.Second), t0, "firebreak", string(k), body)
		require.NoError(t, err)
		records = append(records, Record{Event: e, State: *inc})
	}
	add(incident.KindFlappingStarted, incident.FlappingBody{Since: t0, Quiet: "30m0s"})
	add(incident.KindResolved, incident.StatusBody{From: incident.Acknowledged, To: incident.Resolved})
	records[len(records)-1].WriteState = true
	require.NoError(t, s.Write(ctx, records))

	assert.Equal(t, "1\tresolved\n", ch.Query(t, "SELECT flapping, status FROM "+s.Database()+".incidents"))
	page, err := s.ListIncidents(ctx, ListFilter{})
	require.NoError(t, err)
	require.Len(t, page.Incidents, 1)
	assert.True(t, page.Incidents[0].Flapping)
	loaded, err := s.LoadActive(ctx, time.Now())
	require.NoError(t, err, "resolved long before the reopen window, but flapping")
	require.Len(t, loaded, 1)
	assert.True(t, loaded[0].Flapping)
	assert.Equal(t, t0, loaded[0].FlappingSince)

	// Interrupted after its ALTERs: it runs again from the start, and nothing is lost.
	ch.Query(t, "ALTER TABLE "+s.Database()+".schema_migrations DELETE WHERE version = 6")
	testenv.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		n := ch.Query(t, "SELECT count() FROM "+s.Database()+".schema_migrations WHERE version = 6")
		return n == "0\n", n
	})
	require.NoError(t, s.Migrate(ctx))
	assert.Equal(t, "1\tresolved\n", ch.Query(t, "SELECT flapping, status FROM "+s.Database()+".incidents"))
}

// containmentRun appends a requested containment, its start and outcome to an incident's records.
func containmentRun(t *testing.T, inc *incident.Incident, records []Record, reqID string, ok bool, latencyMS int64) []Record {
	t.Helper()
	at := t0.Add(time.Duration(len(records)) * time.Second)
	kind := incident.KindContainmentFailed
	if ok {
		kind = incident.KindContainmentSucceeded
	}
	for _, ev := range []struct {
		kind incident.Kind
		body any
	}{
		{incident.KindContainmentRequested, incident.ContainmentRequestBody{RequestID: reqID, Action: "rollback", ActionKind: "rollback", Label: "Roll back"}},
		{incident.KindContainmentStarted, incident.ContainmentStartBody{RequestID: reqID, Attempt: 1, Deadline: at.Add(time.Minute)}},
		{kind, incident.ContainmentOutcomeBody{RequestID: reqID, Attempt: 1, Succeeded: ok, LatencyMS: latencyMS, Tries: 2}},
	} {
		e, err := inc.Append(ev.kind, at, at, "user:alice", string(ev.kind), ev.body)
		require.NoError(t, err)
		records = append(records, Record{Event: e, State: *inc})
	}
	records[len(records)-1].WriteState = true
	return records
}

// Migration 7 adds action_items_due to the incidents view and fills containment_outcomes with the outcomes stored
// before it; outcomes written after it reach it through its materialized view.
func TestMigrationContainmentRuns(t *testing.T) {
	s, ch, db := storeMigratedTo(t, 6)
	ctx := context.Background()
	before, inc := timeline(t, "before")
	before = containmentRun(t, inc, before, "req-1", true, 120)
	require.NoError(t, s.Write(ctx, before))

	require.NoError(t, s.Migrate(ctx))
	after, inc := timeline(t, "after")
	after = containmentRun(t, inc, after, "req-2", false, 3000)
	require.NoError(t, s.Write(ctx, after))
	require.NoError(t, s.Migrate(ctx), "again")

	assert.Equal(t, "req-1\t1\t120\t2\tsupportbot\t0\nreq-2\t0\t3000\t2\tsupportbot\t0\n", ch.Query(t,
		"SELECT request_id, succeeded, latency_ms, tries, ai_system, drill FROM `"+db+"`.containment_runs ORDER BY request_id FORMAT TSV"))
	assert.Equal(t, "2\t[]\n", ch.Query(t, "SELECT count(), any(action_items_due) FROM `"+db+"`.incidents FORMAT TSV"))
}

// Migration 8 fills regulatory_state from the state before it; later writes reach it. The regulatory_deadlines view
// has an incident's strings only while a deadline is pending.
func TestMigrationRegulatoryDeadlines(t *testing.T) {
	s, ch, db := storeMigratedTo(t, 7)
	ctx := context.Background()
	flag := func(recs []Record, inc *incident.Incident, kind incident.Kind, body any) []Record {
		e, err := inc.Append(kind, t0.Add(time.Hour), t0.Add(time.Hour), "user:alice", string(kind), body)
		require.NoError(t, err)
		recs[len(recs)-1].WriteState = false
		return append(recs, Record{Event: e, State: *inc, WriteState: true})
	}
	before, inc := timeline(t, "before")
	before = flag(before, inc, incident.KindRegulatoryFlagged, incident.RegulatoryFlagBody{Regime: incident.GDPR, AwareAt: t0})
	require.NoError(t, s.Write(ctx, before))
	require.NoError(t, s.Migrate(ctx))

	after, inc := timeline(t, "after")
	after = flag(after, inc, incident.KindRegulatoryFlagged, incident.RegulatoryFlagBody{Regime: incident.GDPR, AwareAt: t0})
	require.NoError(t, s.Write(ctx, after))
	reported := flag([]Record{after[len(after)-1]}, inc, incident.KindRegulatoryReported,
		incident.RegulatoryReportBody{Regime: incident.GDPR, Authority: "CNIL", Report: "initial", SentAt: t0.Add(time.Hour)})
	require.NoError(t, s.Write(ctx, reported[1:]))
	plain, _ := timeline(t, "plain")
	require.NoError(t, s.Write(ctx, plain))

	due := t0.Add(72 * time.Hour).Truncate(time.Second).Format(time.DateTime)
	assert.Equal(t, "after\t\\N\t\t\t\nbefore\t"+due+"\tbefore\tsupportbot\thallucination\nplain\t\\N\t\t\t\n", ch.Query(t,
		"SELECT i.title, r.regulatory_due_at, r.title, r.ai_system, r.category FROM `"+db+"`.regulatory_deadlines AS r "+
			"ALL INNER JOIN `"+db+"`.incidents AS i USING incident_id ORDER BY i.title FORMAT TSV"))
}

// Migration 9 adds the taxonomy to the state tables and the incidents view (after every column the view had, in
// order) and gives the incidents classified before it their newest classification. Run again after an interruption,
// or with the timelines written again (a replayed spool), it changes nothing.
func TestMigrationTaxonomy(t *testing.T) {
	s, ch, db := storeMigratedTo(t, 8)
	ctx := context.Background()
	tb := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	forty := int64(40)
	full := newTL(t, "full", incident.SEV1, incident.PromptInjection, tb, tlOpts{}).
		classify(tb.Add(time.Minute), incident.Taxonomy{OWASPLLM: []string{"LLM02"}}).
		classify(tb.Add(2*time.Minute), incident.Taxonomy{OWASPLLM: []string{"LLM01", "LLM06"}, ATLASTactics: []string{"AML.TA0005", "AML.TA0011"},
			NISTRisks: []string{"information_security"}, Harm: "fundamental_rights", PeopleAffected: &forty, DeploymentBreadth: "cross_border"}).
		status(incident.KindAcknowledged, tb.Add(3*time.Minute))
	harmOnly := newTL(t, "harm only", incident.SEV2, incident.Hallucination, tb.Add(time.Hour), tlOpts{}).
		classify(tb.Add(time.Hour+time.Minute), incident.Taxonomy{Harm: "other"})
	cleared := newTL(t, "cleared", incident.SEV2, incident.Hallucination, tb.Add(2*time.Hour), tlOpts{}).
		classify(tb.Add(2*time.Hour+time.Minute), incident.Taxonomy{OWASPLLM: []string{"LLM09"}}).
		classify(tb.Add(2*time.Hour+2*time.Minute), incident.Taxonomy{})
	plain := newTL(t, "plain", incident.SEV3, incident.Drift, tb.Add(3*time.Hour), tlOpts{})
	before := []*tl{full, harmOnly, cleared, plain}
	writeTimelines(t, s, before...)
	// Before migration 9 the state has no taxonomy (the ingest of this test takes it, the state views drop it).
	assert.Equal(t, "0\n", ch.Query(t, "SELECT count() FROM system.columns WHERE database = '"+db+"' AND table = 'incident_state' AND name = 'harm'"))

	viewColumns := func() string { // in order (18.16's system.columns has no position)
		var names strings.Builder
		for _, line := range strings.Split(strings.TrimSpace(ch.Query(t, "DESCRIBE TABLE `"+db+"`.incidents FORMAT TSV")), "\n") {
			name, _, _ := strings.Cut(line, "\t")
			names.WriteString(name + "\n")
		}
		return names.String()
	}
	columnsBefore := viewColumns()
	require.NoError(t, s.Migrate(ctx))
	assert.Equal(t, columnsBefore+"owasp_llm\natlas_tactics\nnist_ai_600_1\nharm\npeople_affected\ndeployment_breadth\n", viewColumns())

	const want = "cleared\t[]\t[]\t[]\t\t\\N\t\t3\n" +
		"full\t['LLM01','LLM06']\t['AML.TA0005','AML.TA0011']\t['information_security']\tfundamental_rights\t40\tcross_border\t4\n" +
		"harm only\t[]\t[]\t[]\tother\t\\N\t\t2\n" +
		"plain\t[]\t[]\t[]\t\t\\N\t\t1\n"
	view := func() string {
		return ch.Query(t, "SELECT title, owasp_llm, atlas_tactics, nist_ai_600_1, harm, people_affected, deployment_breadth, last_seq FROM `"+
			db+"`.incidents ORDER BY title FORMAT TSV")
	}
	list := func() map[string]*incident.Taxonomy {
		p, err := s.ListIncidents(ctx, ListFilter{From: tb, To: tb.Add(24 * time.Hour)})
		require.NoError(t, err)
		out := map[string]*incident.Taxonomy{}
		for _, r := range p.Incidents {
			out[r.Title] = r.Taxonomy
		}
		return out
	}
	filtered := func(f ListFilter) []string {
		p, err := s.ListIncidents(ctx, f)
		require.NoError(t, err)
		var titles []string
		for _, r := range p.Incidents {
			titles = append(titles, r.Title)
		}
		return titles
	}
	wantList := map[string]*incident.Taxonomy{"full": full.inc.Taxonomy, "harm only": harmOnly.inc.Taxonomy, "cleared": nil, "plain": nil}
	check := func(when string) {
		t.Helper()
		assert.Equal(t, want, view(), when)
		assert.Equal(t, wantList, list(), when)
		assert.Equal(t, []string{"full"}, filtered(ListFilter{OWASPLLM: []string{"LLM06"}}), when)
		assert.Equal(t, []string{"harm only"}, filtered(ListFilter{Harms: []string{"other"}}), when)
		assert.Empty(t, filtered(ListFilter{OWASPLLM: []string{"LLM02", "LLM09"}}), when)
		for _, table := range []string{"incident_state", "incident_state_by_time"} {
			assert.Equal(t, "1\t40\n", ch.Query(t, "SELECT count(), any(people_affected) FROM `"+db+"`."+table+" FINAL WHERE has(owasp_llm, 'LLM01') FORMAT TSV"), when+": "+table)
		}
	}
	check("after the migration")

	// Written again after the migration (a replayed spool): the rows carry the same classification.
	writeTimelines(t, s, before...)
	check("after a replay")

	// Interrupted before it was recorded: it runs again from the start, and nothing changes.
	ch.Query(t, "ALTER TABLE `"+db+"`.schema_migrations DELETE WHERE version = 9")
	testenv.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		n := ch.Query(t, "SELECT count() FROM `"+db+"`.schema_migrations WHERE version = 9")
		return n == "0\n", n
	})
	require.NoError(t, s.Migrate(ctx))
	check("after the migration ran again")

	// Classified after the migration: the state views write the columns.
	after := newTL(t, "after", incident.SEV1, incident.DataExposure, tb.Add(4*time.Hour), tlOpts{}).
		classify(tb.Add(4*time.Hour+time.Minute), incident.Taxonomy{OWASPLLM: []string{"LLM06"}, Harm: "health"})
	writeTimelines(t, s, after)
	assert.Equal(t, []string{"after", "full"}, filtered(ListFilter{OWASPLLM: []string{"LLM06"}}))
	assert.Equal(t, "after\t['LLM06']\thealth\n", ch.Query(t, "SELECT title, owasp_llm, harm FROM `"+db+"`.incidents WHERE title = 'after' FORMAT TSV"))
}

// Of two state rows of an incident at the same version, the unclassified one and the copy with the classification
// migration 9 made (taxonomyBackfill), stateNewestFirst puts the classified one first, whichever classification it
// has and in whichever order the rows come; a newer version comes first whatever it holds. The rows come from a
// UNION ALL read by one thread, so they reach the sort in the order written, and without the tie-break, LIMIT 1 BY
// keeps the first: the unclassified one in one of the two orders, every time.
func TestStateNewestFirstPrefersTheClassifiedCopy(t *testing.T) {
	s, _ := newStore(t)
	ctx := clickhouse.Context(context.Background(), clickhouse.WithSettings(clickhouse.Settings{"max_threads": 1}))
	fields := []struct{ name, empty, value string }{
		{"owasp_llm", "emptyArrayString()", "['LLM01']"}, {"atlas_tactics", "emptyArrayString()", "['AML.TA0005']"},
		{"nist_ai_600_1", "emptyArrayString()", "['data_privacy']"}, {"harm", "''", "'death'"},
		{"people_affected", "CAST(NULL AS Nullable(Int64))", "toNullable(toInt64(0))"}, {"deployment_breadth", "''", "'cross_border'"},
	}
	// columns are the taxonomy columns, the one named classified with a value (none: all empty).
	columns := func(classified string) string {
		var out []string
		for _, f := range fields {
			v := f.empty
			if f.name == classified {
				v = f.value
			}
			out = append(out, v+" AS "+f.name)
		}
		return strings.Join(out, ", ")
	}
	unclassified := columns("")
	row := func(name string, version int, columns string) string {
		return fmt.Sprintf(`SELECT toUUID(?) AS incident_id, toUInt64(%d) AS version, '%s' AS name, %s`, version, name, columns)
	}
	id := uuid.NewString()
	for _, field := range fields {
		classified := columns(field.name)
		for _, order := range []struct{ first, a, b string }{
			{"unclassified", row("unclassified", 5, unclassified), row("classified", 5, classified)},
			{"classified", row("classified", 5, classified), row("unclassified", 5, unclassified)},
		} {
			var got string
			require.NoError(t, s.conn.QueryRow(ctx, `SELECT name FROM (`+order.a+` UNION ALL `+order.b+`)
				ORDER BY `+stateNewestFirst+` LIMIT 1 BY incident_id`, id, id).Scan(&got))
			assert.Equal(t, "classified", got, "%s, the %s row first", field.name, order.first)
		}
		var got string
		require.NoError(t, s.conn.QueryRow(ctx, `SELECT name FROM (`+row("classified", 5, classified)+` UNION ALL `+
			row("newer", 6, unclassified)+`) ORDER BY `+stateNewestFirst+` LIMIT 1 BY incident_id`, id, id).Scan(&got))
		assert.Equal(t, "newer", got, field.name)
	}
}
