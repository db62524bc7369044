package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func seed(t *testing.T, ch *testenv.ClickHouse, incidents, events int, seed uint64, fullRows bool) (string, summary) {
	t.Helper()
	db := ch.NewDatabase(t)
	var log bytes.Buffer
	sum, err := run(context.Background(), config{
		HTTPURL: ch.HTTPURL(), DSN: ch.DSN(db), Database: db, Incidents: incidents, Events: events, Seed: seed,
		Days: 180, Now: testNow, BatchRows: 3000, Workers: 2, Inserters: 2, Optimize: true, FullRows: fullRows, Log: &log,
	})
	t.Log(log.String())
	require.NoError(t, err)
	return db, sum
}

func TestPlan(t *testing.T) {
	for _, c := range []struct{ n, e int }{{2000, 20000}, {1, 1000}, {10, 1018}, {1000, 1000 + 999*500}, {50000, 500000}} {
		counts, big := plan(config{Incidents: c.n, Events: c.e, Seed: 3})
		require.Len(t, counts, c.n)
		assert.Equal(t, int32(bigEvents), counts[big])
		var total int
		hist := map[bool]int{}
		for i, k := range counts {
			total += int(k)
			if i != big {
				require.GreaterOrEqual(t, k, int32(minEvents))
				require.LessOrEqual(t, k, int32(maxEvents))
				hist[k >= 5 && k <= 15]++
			}
		}
		assert.Equal(t, c.e, total, "%+v", c)
		if c.e/c.n == 10 {
			assert.Greater(t, hist[true], 3*hist[false], "most incidents have 5-15 events")
		}
	}
}

func TestSeed(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	ctx := context.Background()
	const nIncidents, nEvents = 2000, 20000
	db, sum := seed(t, ch, nIncidents, nEvents, 7, false)
	require.NotEmpty(t, sum.BigIncident)
	assert.Equal(t, int64(nIncidents), sum.Incidents)
	assert.Equal(t, int64(nEvents), sum.Events)

	q := func(sql string) string { return strings.TrimSpace(ch.Query(t, sql)) }
	assert.Equal(t, strconv.Itoa(nEvents), q("SELECT count() FROM "+db+".events"))
	assert.Equal(t, strconv.Itoa(nEvents), q("SELECT count() FROM "+db+".events FINAL"))
	assert.Equal(t, strconv.Itoa(nIncidents), q("SELECT count() FROM "+db+".incident_state"), "one state row per incident")
	assert.Equal(t, strconv.Itoa(nIncidents), q("SELECT uniqExact(incident_id) FROM "+db+".events"))
	assert.Equal(t, strconv.FormatInt(sum.Alerts, 10), q("SELECT count() FROM "+db+".alerts FINAL"))
	assert.Equal(t, "1000", q("SELECT count() FROM "+db+".events WHERE incident_id = '"+sum.BigIncident+"'"))
	assert.Equal(t, "1", q("SELECT countIf(c = 1000) FROM (SELECT incident_id, count() AS c FROM "+db+".events GROUP BY incident_id)"))
	// Merged: one part per partition (of the tables the seed merges; schema_migrations has a part per migration).
	assert.Equal(t, "0", q("SELECT count() FROM (SELECT table, partition, count() AS c FROM system.parts WHERE database = '"+db+
		"' AND active AND table IN ('events', 'incident_state', 'alerts') GROUP BY table, partition HAVING c > 1)"))
	// Every event is in the period; each state row is the version of the incident's last event.
	assert.Equal(t, "1", q("SELECT max(at) <= toDateTime('2026-11-25 12:00:00') AND min(declared_at) >= toDateTime('2026-05-29 12:00:00') FROM "+db+".events"))
	assert.Equal(t, strconv.Itoa(nEvents), q("SELECT sum(version) FROM "+db+".incident_state"))

	// Distribution.
	dist := func(sql string) map[string]int {
		out := map[string]int{}
		for _, line := range strings.Split(q(sql), "\n") {
			f := strings.Split(line, "\t")
			n, err := strconv.Atoi(f[1])
			require.NoError(t, err)
			out[f[0]] = n
		}
		return out
	}
	sev := dist("SELECT severity, count() FROM " + db + ".incident_state GROUP BY severity")
	assert.InDelta(t, 0.10*nIncidents, sev["SEV1"], 0.04*nIncidents, "%v", sev)
	assert.InDelta(t, 0.40*nIncidents, sev["SEV2"], 0.05*nIncidents, "%v", sev)
	assert.InDelta(t, 0.50*nIncidents, sev["SEV3"], 0.05*nIncidents, "%v", sev)
	st := dist("SELECT status, count() FROM " + db + ".incident_state GROUP BY status")
	open := st["declared"] + st["acknowledged"] + st["contained"]
	assert.InDelta(t, 0.02*nIncidents, open, 0.015*nIncidents, "%v", st)
	assert.Greater(t, st["closed"], st["resolved"], "%v", st)
	assert.Len(t, dist("SELECT category, count() FROM "+db+".incident_state GROUP BY category"), 8)
	ais, _ := strconv.Atoi(q("SELECT uniqExact(ai_system) FROM " + db + ".incident_state"))
	assert.Greater(t, ais, 150)
	assert.Equal(t, strconv.FormatInt(sum.Drills, 10), q("SELECT countIf(drill = 1) FROM "+db+".incident_state"))
	assert.Greater(t, sum.Drills, int64(0))
	assert.Greater(t, sum.Flagged, int64(10))
	assert.NotEqual(t, "0", q("SELECT countIf(isNotNull(regulatory_due_at)) FROM "+db+".incident_state"))
	assert.NotEqual(t, "0", q("SELECT countIf(review_complete = 1) FROM "+db+".incident_state"))
	assert.NotEqual(t, "0", q("SELECT count() FROM "+db+".events WHERE kind = 'severity_changed'"))
	// A third of the incidents with room for the event classified: about a fifth of all.
	classified, _ := strconv.Atoi(q("SELECT countIf(notEmpty(owasp_llm)) FROM " + db + ".incident_state"))
	assert.InDelta(t, 0.2*nIncidents, classified, 0.08*nIncidents)
	assert.NotEqual(t, "0", q("SELECT countIf(harm != 'other' AND harm != '' AND isNotNull(people_affected)) FROM "+db+".incident_state"))
	kinds := dist("SELECT kind, count() FROM " + db + ".events GROUP BY kind")
	for _, k := range []incident.Kind{incident.KindDeclared, incident.KindAlertFired, incident.KindAlertResolved,
		incident.KindAcknowledged, incident.KindContained, incident.KindResolved, incident.KindClosed, incident.KindNote,
		incident.KindRoleAssigned, incident.KindReviewUpdated, incident.KindRegulatoryFlagged, incident.KindRegulatoryReported} {
		assert.Greater(t, kinds[string(k)], 0, k)
	}
	assert.Equal(t, nIncidents, kinds["declared"])

	// A sample of incidents: the chain verifies and the fold is the stored state.
	s, err := store.Open(ch.DSN(db), nil)
	require.NoError(t, err)
	defer s.Close()
	rows := map[string]store.Row{}
	var cursor string
	for {
		p, err := s.ListIncidents(ctx, store.ListFilter{IncludeDrills: true, Limit: 500, Cursor: cursor})
		require.NoError(t, err)
		for _, r := range p.Incidents {
			rows[r.ID] = r
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	require.Len(t, rows, nIncidents)
	sample := []string{sum.BigIncident}
	rng := rand.New(rand.NewPCG(1, 2))
	all := make([]string, 0, len(rows))
	for id := range rows {
		all = append(all, id)
	}
	for range 40 { // Events and Alerts read with FINAL: about 0.3 s per incident on 18.16
		sample = append(sample, all[rng.IntN(len(all))])
	}
	for _, id := range sample {
		events, err := s.Events(ctx, id)
		require.NoError(t, err)
		require.Nil(t, incident.VerifyChain(events), id)
		inc, err := incident.Fold(events)
		require.NoError(t, err, id)
		assertFoldIsRow(t, inc, rows[id])
		alerts, err := s.Alerts(ctx, id)
		require.NoError(t, err)
		require.Len(t, alerts, inc.AlertCount, id)
		for _, a := range alerts {
			firing, known := inc.EpisodeFiring(incident.DigestOf(a.Key))
			require.True(t, known, id)
			assert.Equal(t, firing, a.Status == "firing", id)
		}
		if id == sum.BigIncident {
			assert.Len(t, events, bigEvents)
			assert.True(t, inc.Status.Open(), "the big incident is open")
		}
	}

	// Stats run on it.
	stats, err := s.Stats(ctx, testNow.Add(-30*24*time.Hour), testNow, incident.DefaultSLATargets(), testNow)
	require.NoError(t, err)
	var inRange uint64
	for _, n := range stats.BySeverity {
		inRange += n
	}
	assert.Greater(t, inRange, uint64(nIncidents/10))
	assert.NotEmpty(t, stats.MTTA)

	// A filled database is refused; --drop replaces it.
	cfg := config{HTTPURL: ch.HTTPURL(), DSN: ch.DSN(db), Database: db, Incidents: 10, Events: 1018, Seed: 1, Days: 180,
		Now: testNow, BatchRows: 100, Workers: 1, Inserters: 1}
	_, err = run(ctx, cfg)
	assert.ErrorContains(t, err, "already holds 20000 events")

	// The same seed gives the same data, also when every row carries the state columns (as the receiver writes).
	db2, sum2 := seed(t, ch, nIncidents, nEvents, 7, true)
	assert.Equal(t, sum.BigIncident, sum2.BigIncident)
	assert.Equal(t, q("SELECT sum(cityHash64(hash)) FROM "+db+".events"), q("SELECT sum(cityHash64(hash)) FROM "+db2+".events"))
	for table, key := range map[string]string{"events": "incident_id, seq", "incident_state": "incident_id", "alerts": "incident_id, alert_key"} {
		dump := "SELECT * FROM %s." + table + " ORDER BY " + key
		a, b := ch.Query(t, strings.ReplaceAll(dump, "%s", db)), ch.Query(t, strings.ReplaceAll(dump, "%s", db2))
		assert.Greater(t, len(a), 1000)
		assert.True(t, a == b, "%s differs between the runs", table)
	}

	cfg.Drop = true
	_, err = run(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, "1018", q("SELECT count() FROM "+db+".events"))
}

func assertFoldIsRow(t *testing.T, inc *incident.Incident, r store.Row) {
	t.Helper()
	sec := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.UTC().Truncate(time.Second)
	}
	assert.Equal(t, inc.ID, r.ID)
	assert.Equal(t, inc.Title, r.Title, inc.ID)
	assert.Equal(t, inc.Description, r.Description, inc.ID)
	assert.Equal(t, inc.AISystem, r.AISystem, inc.ID)
	assert.Equal(t, inc.Category, r.Category, inc.ID)
	assert.Equal(t, inc.Severity, r.Severity, inc.ID)
	assert.Equal(t, inc.Status, r.Status, inc.ID)
	assert.Equal(t, inc.DeclaredBy, r.DeclaredBy, inc.ID)
	assert.Equal(t, inc.DeclaredVia, r.DeclaredVia, inc.ID)
	assert.Equal(t, inc.GroupKey, r.GroupKey, inc.ID)
	assert.Equal(t, inc.ReportedVia, r.ReportedVia, inc.ID)
	assert.Equal(t, inc.Drill, r.Drill, inc.ID)
	assert.Equal(t, sec(inc.StartedAt), r.StartedAt, inc.ID)
	assert.Equal(t, sec(inc.DeclaredAt), r.DeclaredAt, inc.ID)
	assert.Equal(t, sec(inc.AcknowledgedAt), r.AcknowledgedAt, inc.ID)
	assert.Equal(t, sec(inc.ContainedAt), r.ContainedAt, inc.ID)
	assert.Equal(t, sec(inc.ResolvedAt), r.ResolvedAt, inc.ID)
	assert.Equal(t, sec(inc.ClosedAt), r.ClosedAt, inc.ID)
	assert.Equal(t, inc.AlertCount, r.AlertCount, inc.ID)
	assert.Equal(t, inc.FiringCount, r.FiringCount, inc.ID)
	assert.Equal(t, inc.Lead(), r.Roles[incident.RoleIncidentLead], inc.ID)
	assert.Equal(t, inc.LastSeq, r.LastSeq, inc.ID)
	assert.Equal(t, inc.LastHash, r.LastHash, inc.ID)
	assert.Equal(t, sec(inc.UpdatedAt), r.UpdatedAt, inc.ID)
	assert.Equal(t, inc.ReviewComplete(), r.ReviewComplete, inc.ID)
	assert.Equal(t, sec(inc.NextRegulatoryDue()), r.RegulatoryDueAt, inc.ID)
	assert.Equal(t, inc.Taxonomy, r.Taxonomy, inc.ID)
}

// The JSON writer quotes like encoding/json.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "new\nline\ttab\r", "\x00\x01\x1f", "é ü 漢字 🙂",
		"bad \xff utf8", `{"a":"b"}`, "</script>"} {
		got := appendJSONString(nil, s)
		var back string
		require.NoError(t, json.Unmarshal(got, &back), "%q -> %s", s, got)
		want, _ := json.Marshal(s)
		var wantBack string
		require.NoError(t, json.Unmarshal(want, &wantBack))
		assert.Equal(t, wantBack, back, "%q", s)
	}
}
