package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/plugin"
	"github.com/firebreak-dev/firebreak/pkg/store"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// The columns each ClickHouse query must answer, in order, by dashboard uid and query.
var wantColumns = map[string]map[string][]string{
	"firebreak-leadership": {
		`panel "Open incidents by severity"`:             {"SEV1", "SEV2", "SEV3"},
		`panel "Open SLA breaches"`:                      {"open_sla_breaches"},
		`panel "Regulatory reports"`:                     {"overdue", "due_in_72h"},
		`panel "Overdue review action items"`:            {"overdue_action_items"},
		`panel "Drills in range"`:                        {"drills"},
		`panel "Declared in range by status"`:            {"declared", "acknowledged", "contained", "resolved", "closed"},
		`panel "Containment actions"`:                    {"runs", "success_rate", "latency_p50_ms", "latency_p95_ms", "drill_runs"},
		`panel "Top AI systems by incidents"`:            {"ai_system", "incidents", "SEV1", "SEV2", "SEV3"},
		`panel "MTTA / MTTC / MTTR trend"`:               {"time", "MTTA", "MTTC", "MTTR"},
		`variable "ai_system"`:                           {"ai_system"},
		`panel "Incidents declared per day by severity"`: {"time", "series", "incidents"},
		`panel "Incidents declared per day by category"`: {"time", "series", "incidents"},
		`panel "MTTA / MTTC / MTTR per severity against the SLA targets"`: {"severity", "incidents", "mtta", "ack_target",
			"ack_missed", "mttc", "contain_target", "contain_missed", "mttr"},
		`panel "Regulatory deadlines: overdue and due within 72 h"`: {"due_at", "state", "severity", "title", "ai_system", "incident_id"},
		`panel "Incidents by OWASP LLM entry"`:                      {"entry", "incidents", "SEV1", "SEV2", "SEV3"},
		`panel "Incidents by EU harm class"`:                        {"harm_class", "incidents", "people_affected", "cross_border"},
	},
	"firebreak-responders": {
		`panel "Open incidents"`: {"severity", "title", "status", "drill", "ai_system", "category", "declared_at", "age",
			"firing", "alerts", "lead", "incident_id"},
		`panel "Unacknowledged SEV1 / SEV2: SLA countdown"`: {"severity", "title", "ai_system", "declared_at",
			"acknowledge_due", "seconds_left", "incident_id"},
		`panel "Alerts still firing per incident"`: {"title", "severity", "ai_system", "firing", "alerts", "incident_id"},
		`panel "Recent timeline events"`:           {"at", "kind", "actor", "message", "incident_id"},
		`variable "ai_system"`:                     {"ai_system"},
	},
	"firebreak-ai-system-supportbot": {
		`annotation "Firebreak incidents"`: {"time", "timeEnd", "title", "text", "tags"},
	},
}

// mayBeEmpty are the queries that may find nothing in the seeded data (deadlines and recent events depend on the
// moment the test runs).
var mayBeEmpty = map[string]bool{
	`panel "Regulatory deadlines: overdue and due within 72 h"`: true,
	`panel "Unacknowledged SEV1 / SEV2: SLA countdown"`:         true,
	`panel "Recent timeline events"`:                            true,
}

// seeded is a database of the shared ClickHouse filled by cmd/firebreak-seed (3,000 incidents over 180 days up to
// now) plus two incidents with containment outcomes (one a drill), made once for the package's tests.
var seeded struct {
	once sync.Once
	db   string
	err  error
}

func seededDB(t *testing.T) (*testenv.ClickHouse, string) {
	t.Helper()
	ch := testenv.SharedClickHouse(t)
	seeded.once.Do(func() {
		seeded.db = "dashboards_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
		out, err := exec.Command(testenv.GoBuild(t, "cmd/firebreak-seed"), "--clickhouse-http", ch.HTTPURL(),
			"--clickhouse-dsn", ch.DSN(seeded.db), "--database", seeded.db, "--incidents", "3000", "--events", "30000",
			"--seed", "5").CombinedOutput()
		if err != nil {
			seeded.err = fmt.Errorf("seed: %v\n%s", err, out)
			return
		}
		seeded.err = writeContainmentRuns(ch.DSN(seeded.db))
	})
	require.NoError(t, seeded.err)
	return ch, seeded.db
}

// writeContainmentRuns stores two supportbot incidents declared a minute ago with containment outcomes: one that
// succeeded in 120 ms and, on a drill, a dry run that failed.
func writeContainmentRuns(dsn string) error {
	s, err := store.Open(dsn, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	now := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	for _, run := range []struct {
		drill, ok bool
		latency   int64
	}{{false, true, 120}, {true, false, 3000}} {
		inc, e, err := incident.Declare(uuid.NewString(), incident.DeclaredBody{Title: "Support bot invents refunds",
			AISystem: "supportbot", Category: incident.Hallucination, Severity: incident.SEV2, DeclaredBy: "user:alice",
			DeclaredVia: "grafana", StartedAt: now, Drill: run.drill}, now, now, "user:alice", "declared")
		if err != nil {
			return err
		}
		records := []store.Record{{Event: e, State: *inc}}
		req := uuid.NewString()
		kind := incident.KindContainmentFailed
		if run.ok {
			kind = incident.KindContainmentSucceeded
		}
		for _, ev := range []struct {
			kind incident.Kind
			body any
		}{
			{incident.KindContainmentRequested, incident.ContainmentRequestBody{RequestID: req, Action: "rollback", ActionKind: "rollback", Label: "Roll back"}},
			{incident.KindContainmentStarted, incident.ContainmentStartBody{RequestID: req, Attempt: 1, DryRun: run.drill, Deadline: now.Add(time.Minute)}},
			{kind, incident.ContainmentOutcomeBody{RequestID: req, Attempt: 1, Succeeded: run.ok, LatencyMS: run.latency, Tries: 1}},
		} {
			e, err := inc.Append(ev.kind, now, now, "user:alice", string(ev.kind), ev.body)
			if err != nil {
				return err
			}
			records = append(records, store.Record{Event: e, State: *inc})
		}
		records[len(records)-1].WriteState = true
		if err := s.Write(context.Background(), records); err != nil {
			return err
		}
	}
	return nil
}

// result is an answer of ClickHouse's HTTP interface in JSONCompact.
type result struct {
	Meta []struct{ Name, Type string }
	Data [][]any
}

func (r result) columns() []string {
	out := make([]string, len(r.Meta))
	for i, m := range r.Meta {
		out[i] = m.Name
	}
	return out
}

// value is the cell of a row by column name.
func (r result) value(row int, column string) any {
	for i, m := range r.Meta {
		if m.Name == column {
			return r.Data[row][i]
		}
	}
	panic("no column " + column)
}

func query(ch *testenv.ClickHouse, sql string) (result, error) {
	resp, err := http.Post(ch.HTTPURL()+"/?"+url.Values{"query": {sql + "\nFORMAT JSONCompact"}}.Encode(), "text/plain", nil)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return result{}, fmt.Errorf("ClickHouse answered %d: %s", resp.StatusCode, body)
	}
	var r result
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return result{}, fmt.Errorf("decode %.200s: %w", body, err)
	}
	return r, nil
}

// number reads a JSON cell: a number, or a 64-bit integer as a string; NaN (null) as NaN.
func number(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case nil:
		return math.NaN()
	case json.Number:
		f, err := x.Float64()
		require.NoError(t, err)
		return f
	case string:
		f, err := strconv.ParseFloat(x, 64)
		require.NoError(t, err, "cell %q", x)
		return f
	}
	t.Fatalf("cell %v (%T) is not a number", v, v)
	return 0
}

// Every panel's, variable's and annotation's SQL, expanded as Grafana and the data source would, runs on
// ClickHouse 18.16 over the seeded incidents and answers the columns its panel shows, with every variable at its
// default and with a selection of each.
func TestQueriesRunAndAnswerTheirColumns(t *testing.T) {
	ch, db := seededDB(t)
	now := time.Now().UTC()
	// A selection of each list variable a dashboard has.
	selection := map[string]Var{
		"ai_system": {Values: []string{"supportbot", "codeassist-eu"}, Multi: true},
		"category":  {Values: []string{"hallucination", "drift"}, Multi: true},
		"severity":  {Values: []string{"SEV1"}, Multi: true},
		"drills":    {Values: []string{"1"}},
		"owasp_llm": {Values: []string{"LLM09", "LLM02"}, Multi: true},
		"harm":      {Values: []string{"other", "fundamental_rights"}, Multi: true},
	}
	covered := map[string]bool{}
	for name, raw := range rendered(t) {
		defaults, err := DefaultVars(raw, db)
		require.NoError(t, err, name)
		selected := maps.Clone(defaults)
		for k, v := range selection {
			if d, ok := defaults[k]; ok && d.Multi == v.Multi {
				selected[k] = v
			}
		}
		// Names with quotes in them (an AI system's name is whatever its alerts' labels say): the SQL still runs.
		quoted := maps.Clone(selected)
		for k, v := range map[string]Var{"ai_system": {Values: []string{"bob's bot", "supportbot"}, Multi: true},
			"owasp_llm": {Values: []string{"LLM01') OR 1=1 --"}, Multi: true}} {
			if d, ok := defaults[k]; ok && d.Multi == v.Multi {
				quoted[k] = v
			}
		}
		requests := map[string]Request{
			"defaults, 180 days":     {From: now.Add(-180 * 24 * time.Hour), To: now, Interval: 6 * time.Hour, Vars: defaults},
			"selection, 30 days":     {From: now.Add(-30 * 24 * time.Hour), To: now, Interval: time.Minute, Vars: selected},
			"quotes in values, 30 d": {From: now.Add(-30 * 24 * time.Hour), To: now, Interval: time.Minute, Vars: quoted},
		}
		qs, err := Queries(raw)
		require.NoError(t, err, name)
		for _, q := range qs {
			if q.Datasource != ClickHouseUID {
				continue
			}
			want, ok := wantColumns[q.Dashboard][q.Where]
			require.True(t, ok, "%s %s: add the columns it answers to wantColumns", q.Dashboard, q.Where)
			covered[q.Dashboard+" "+q.Where] = true
			for rname, req := range requests {
				t.Run(q.Dashboard+"/"+q.Where+"/"+rname, func(t *testing.T) {
					sql, err := Expand(q.Text, req)
					require.NoError(t, err)
					res, err := query(ch, sql)
					require.NoError(t, err, sql)
					assert.Equal(t, want, res.columns())
					if q.Format == int(timeSeriesFormat) {
						assert.True(t, strings.HasPrefix(res.Meta[0].Type, "DateTime"), "a time series' first column is its time, not %s", res.Meta[0].Type)
					}
					if rname == "defaults, 180 days" && !mayBeEmpty[q.Where] {
						assert.NotEmpty(t, res.Data, "no rows from %s", sql)
					}
				})
			}
		}
	}
	for uid, byQuery := range wantColumns {
		for where := range byQuery {
			assert.True(t, covered[uid+" "+where], "wantColumns has %s %s, which no dashboard has", uid, where)
		}
	}
}

// A table whose column links to the incident answers the incident_id the link takes.
func TestLinkedTablesAnswerIncidentIDs(t *testing.T) {
	for name, raw := range rendered(t) {
		var d dashboardJSON
		require.NoError(t, json.Unmarshal(raw, &d), name)
		for _, p := range d.Panels {
			for _, o := range p.FieldConfig.Overrides {
				for _, prop := range o.Properties {
					if prop.ID == "links" && strings.Contains(string(prop.Value), "${__data.fields.incident_id}") {
						assert.Contains(t, wantColumns[d.UID][fmt.Sprintf("panel %q", p.Title)], "incident_id", "%s: panel %q", name, p.Title)
					}
				}
			}
		}
	}
}

// leadershipQuery runs the leadership dashboard's query of a panel over [from, to) with the default variables.
func leadershipQuery(t *testing.T, ch *testenv.ClickHouse, db, panel string, from, to time.Time) result {
	t.Helper()
	raw := rendered(t)["leadership.json"]
	qs, err := Queries(raw)
	require.NoError(t, err)
	vars, err := DefaultVars(raw, db)
	require.NoError(t, err)
	for _, q := range qs {
		if q.Where == fmt.Sprintf("panel %q", panel) {
			sql, err := Expand(q.Text, Request{From: from, To: to, Interval: time.Hour, Vars: vars})
			require.NoError(t, err)
			res, err := query(ch, sql)
			require.NoError(t, err, sql)
			return res
		}
	}
	t.Fatalf("the leadership dashboard has no panel %q", panel)
	return result{}
}

// pluginStats asks the app plugin's GET stats, through its resource path as Grafana does. The plugin has no
// receiver to ask for the deadlines, so it computes them in ClickHouse.
func pluginStats(t *testing.T, ch *testenv.ClickHouse, db string, from, to time.Time) plugin.StatsAnswer {
	t.Helper()
	path := "stats?" + url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}.Encode()
	var st plugin.StatsAnswer
	require.NoError(t, json.Unmarshal(callApp(t, pluginApp(t, ch, db), "stats", path), &st))
	return st
}

// pluginApp is the app plugin reading db, with no receiver.
func pluginApp(t *testing.T, ch *testenv.ClickHouse, db string) *plugin.App {
	t.Helper()
	inst, err := plugin.NewApp(context.Background(), backend.AppInstanceSettings{
		JSONData: []byte(fmt.Sprintf(`{"clickhouse":{"address":%q,"database":%q},"receiver":{"url":"http://127.0.0.1:1"}}`,
			ch.TCPAddr(), db)),
		DecryptedSecureJSONData: map[string]string{"receiverApiToken": "unused"},
	})
	require.NoError(t, err)
	app := inst.(*plugin.App)
	t.Cleanup(app.Dispose)
	return app
}

// callApp GETs a resource of the app (pathAndQuery) as a viewer, through its resource path as Grafana does, and
// returns the body of its 200 answer.
func callApp(t *testing.T, app *plugin.App, route, pathAndQuery string) []byte {
	t.Helper()
	var sender recordingSender
	require.NoError(t, app.CallResource(context.Background(), &backend.CallResourceRequest{
		PluginContext: backend.PluginContext{PluginID: plugin.ID, OrgID: 1, User: &backend.User{Login: "vic", Role: "Viewer"},
			AppInstanceSettings: &backend.AppInstanceSettings{}},
		Path: route, Method: "GET", URL: "/" + pathAndQuery,
	}, &sender))
	require.NotEmpty(t, sender.responses)
	require.Equal(t, http.StatusOK, sender.responses[0].Status, "%s", sender.responses[0].Body)
	return sender.responses[0].Body
}

type recordingSender struct {
	responses []*backend.CallResourceResponse
}

func (s *recordingSender) Send(r *backend.CallResourceResponse) error {
	s.responses = append(s.responses, r)
	return nil
}

// The leadership dashboard's counts, MTTA, MTTC and MTTR over a range are the plugin's GET stats over the same
// range, and its deadlines (open SLA breaches, regulatory, action items) the plugin's at the same moment.
func TestLeadershipAgreesWithPluginStats(t *testing.T) {
	ch, db := seededDB(t)
	to := time.Now().UTC().Truncate(time.Second)
	for _, days := range []int{30, 180} {
		from := to.Add(-time.Duration(days) * 24 * time.Hour)
		t.Run(fmt.Sprintf("%d days", days), func(t *testing.T) {
			st := pluginStats(t, ch, db, from, to)
			counts := func(panel string) map[string]uint64 {
				res := leadershipQuery(t, ch, db, panel, from, to)
				out := map[string]uint64{}
				for i := range res.Data {
					if s := res.value(i, "series").(string); s != "drill" {
						out[s] += uint64(number(t, res.value(i, "incidents")))
					}
				}
				return out
			}
			assert.Equal(t, nonZero(st.BySeverity), counts("Incidents declared per day by severity"))
			assert.Equal(t, nonZero(st.ByCategory), counts("Incidents declared per day by category"))
			byStatus := leadershipQuery(t, ch, db, "Declared in range by status", from, to)
			got := map[string]uint64{}
			for _, c := range byStatus.columns() {
				got[c] = uint64(number(t, byStatus.value(0, c)))
			}
			assert.Equal(t, st.ByStatus, got)

			mttx := leadershipQuery(t, ch, db, "MTTA / MTTC / MTTR per severity against the SLA targets", from, to)
			require.NotEmpty(t, mttx.Data)
			for name, want := range map[string]map[string]float64{"mtta": st.MTTA, "mttc": st.MTTC, "mttr": st.MTTR} {
				for i := range mttx.Data {
					sev := mttx.value(i, "severity").(string)
					v := number(t, mttx.value(i, name))
					if w, ok := want[sev]; ok {
						assert.InDelta(t, w, v, 1e-6, "%s of %s", name, sev)
					} else {
						assert.True(t, math.IsNaN(v), "%s of %s: the plugin has none, the panel %v", name, sev, v)
					}
				}
			}
			assert.NotEmpty(t, st.MTTA)
		})
	}

	t.Run("deadlines now", func(t *testing.T) {
		// Both read the clock: take the panels' figures between two answers of the plugin that agree (a deadline
		// passing in between makes them differ; then try again).
		for attempt := 0; ; attempt++ {
			before := pluginStats(t, ch, db, to.Add(-time.Hour), to)
			got := map[string]uint64{
				"open_sla_breaches": uint64(number(t, leadershipQuery(t, ch, db, "Open SLA breaches", to.Add(-time.Hour), to).value(0, "open_sla_breaches"))),
				"overdue_action_items": uint64(number(t, leadershipQuery(t, ch, db, "Overdue review action items", to.Add(-time.Hour), to).
					value(0, "overdue_action_items"))),
			}
			reg := leadershipQuery(t, ch, db, "Regulatory reports", to.Add(-time.Hour), to)
			got["regulatory_overdue"] = uint64(number(t, reg.value(0, "overdue")))
			got["regulatory_due_72h"] = uint64(number(t, reg.value(0, "due_in_72h")))
			table := leadershipQuery(t, ch, db, "Regulatory deadlines: overdue and due within 72 h", to.Add(-time.Hour), to)
			got["deadline_rows"] = uint64(len(table.Data))
			after := pluginStats(t, ch, db, to.Add(-time.Hour), to)
			want := map[string]uint64{
				"open_sla_breaches": after.OpenSLABreaches, "overdue_action_items": after.OverdueActionItems,
				"regulatory_overdue": after.RegulatoryOverdue, "regulatory_due_72h": uint64(len(after.RegulatoryDueSoon)),
				"deadline_rows": after.RegulatoryOverdue + uint64(len(after.RegulatoryDueSoon)),
			}
			stable := before.OpenSLABreaches == after.OpenSLABreaches && before.RegulatoryOverdue == after.RegulatoryOverdue &&
				len(before.RegulatoryDueSoon) == len(after.RegulatoryDueSoon) && before.OverdueActionItems == after.OverdueActionItems
			if stable || attempt == 2 {
				assert.Equal(t, want, got)
				assert.NotZero(t, want["open_sla_breaches"]+want["overdue_action_items"]+want["regulatory_overdue"], "the seed has deadlines")
				return
			}
		}
	})
}

// nonZero drops the zero counts (the panels have no row for them).
func nonZero(m map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range m {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

// The containment panel counts the outcomes of the range, the drills' dry runs apart.
func TestContainmentPanel(t *testing.T) {
	ch, db := seededDB(t)
	now := time.Now().UTC()
	res := leadershipQuery(t, ch, db, "Containment actions", now.Add(-time.Hour), now.Add(time.Minute))
	require.Len(t, res.Data, 1)
	for column, want := range map[string]float64{"runs": 1, "success_rate": 1, "latency_p50_ms": 120, "drill_runs": 1} {
		assert.Equal(t, want, number(t, res.value(0, column)), column)
	}
}

// The annotation draws the AI system's incidents from declaration to resolution (to now while open), titled with
// severity and title, its text linking to the incident; drills left out.
func TestIncidentAnnotation(t *testing.T) {
	ch, db := seededDB(t)
	now := time.Now().UTC()
	vars, err := DefaultVars(rendered(t)["ai-system-supportbot.json"], db)
	require.NoError(t, err)
	sql, err := Expand(IncidentAnnotationSQL, Request{From: now.Add(-180 * 24 * time.Hour), To: now, Interval: time.Minute, Vars: vars})
	require.NoError(t, err)
	res, err := query(ch, sql)
	require.NoError(t, err, sql)
	want, err := query(ch, fmt.Sprintf(`SELECT toString(incident_id), concat(toString(severity), ': ', title), toUInt32(declared_at),
		toUInt32(ifNull(coalesce(resolved_at, closed_at), now()))
		FROM %s.incidents WHERE ai_system = 'supportbot' AND drill = 0 ORDER BY declared_at`, db))
	require.NoError(t, err)
	require.NotEmpty(t, want.Data)
	require.Len(t, res.Data, len(want.Data))
	for i, w := range want.Data {
		assert.Equal(t, w[1], res.value(i, "title"))
		assert.Contains(t, res.value(i, "text"), `<a href="`+IncidentURL+w[0].(string)+`">`)
		assert.Regexp(t, `^SEV[123],[a-z_]+$`, res.value(i, "tags"))
		start, end := number(t, w[2]), number(t, w[3])
		assert.LessOrEqual(t, start, end)
		for col, at := range map[string]float64{"time": start, "timeEnd": end} {
			ts, err := time.Parse(time.DateTime, res.value(i, col).(string))
			require.NoError(t, err)
			assert.InDelta(t, at, float64(ts.Unix()), 2, "%s of %s", col, w[0])
		}
	}
}

// The taxonomy panels count what the plugin's list filtered the same way finds, and the taxonomy variables narrow
// every panel: the incidents declared in range by status, with an OWASP LLM entry and a harm chosen, are those the
// list finds with both filters.
func TestTaxonomyPanelsAgreeWithTheList(t *testing.T) {
	ch, db := seededDB(t)
	to := time.Now().UTC().Truncate(time.Second)
	from := to.Add(-180 * 24 * time.Hour)
	app := pluginApp(t, ch, db)
	listed := func(query string) int {
		n, cursor := 0, ""
		for {
			var page struct {
				Incidents  []json.RawMessage `json:"incidents"`
				NextCursor string            `json:"next_cursor"`
			}
			path := "incidents?limit=500&from=" + from.Format(time.RFC3339) + "&to=" + to.Format(time.RFC3339) + "&" + query
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			require.NoError(t, json.Unmarshal(callApp(t, app, "incidents", path), &page))
			n += len(page.Incidents)
			if cursor = page.NextCursor; cursor == "" {
				return n
			}
		}
	}
	byEntry := leadershipQuery(t, ch, db, "Incidents by OWASP LLM entry", from, to)
	require.NotEmpty(t, byEntry.Data)
	for i := range byEntry.Data {
		code := strings.Fields(byEntry.value(i, "entry").(string))[0]
		assert.Equal(t, listed("owasp_llm="+code), int(number(t, byEntry.value(i, "incidents"))), code)
	}
	byHarm := leadershipQuery(t, ch, db, "Incidents by EU harm class", from, to)
	classes := map[string]bool{}
	for i := range byHarm.Data {
		class := byHarm.value(i, "harm_class").(string)
		classes[class] = true
		if class != "not classified" {
			assert.Equal(t, listed("harm="+class), int(number(t, byHarm.value(i, "incidents"))), class)
		}
	}
	assert.True(t, classes["not classified"] && classes["other"] && len(classes) > 3, "%v", classes)

	raw := rendered(t)["leadership.json"]
	qs, err := Queries(raw)
	require.NoError(t, err)
	vars, err := DefaultVars(raw, db)
	require.NoError(t, err)
	vars["owasp_llm"] = Var{Values: []string{"LLM02", "LLM09"}, Multi: true}
	vars["harm"] = Var{Values: []string{"other"}, Multi: true}
	for _, q := range qs {
		if q.Where != `panel "Declared in range by status"` {
			continue
		}
		sql, err := Expand(q.Text, Request{From: from, To: to, Interval: time.Hour, Vars: vars})
		require.NoError(t, err)
		res, err := query(ch, sql)
		require.NoError(t, err, sql)
		total := 0
		for _, c := range res.columns() {
			total += int(number(t, res.value(0, c)))
		}
		assert.NotZero(t, total)
		assert.Equal(t, listed("owasp_llm=LLM02,LLM09&harm=other"), total)
	}
}

// Every column a table shows has a header for people (columnHeaders), but incident_id, which the links read, and
// the severities, already names.
func TestTablesHeadTheirColumns(t *testing.T) {
	tables := 0
	for name, raw := range rendered(t) {
		var d struct {
			UID    string `json:"uid"`
			Panels []struct {
				Type        string `json:"type"`
				Title       string `json:"title"`
				FieldConfig struct {
					Overrides []struct {
						Matcher    struct{ ID, Options string } `json:"matcher"`
						Properties []struct {
							ID    string `json:"id"`
							Value any    `json:"value"`
						} `json:"properties"`
					} `json:"overrides"`
				} `json:"fieldConfig"`
			} `json:"panels"`
		}
		require.NoError(t, json.Unmarshal(raw, &d), name)
		for _, p := range d.Panels {
			if p.Type != "table" {
				continue
			}
			tables++
			headers := map[string]any{}
			for _, o := range p.FieldConfig.Overrides {
				for _, prop := range o.Properties {
					if o.Matcher.ID == "byName" && prop.ID == "displayName" {
						headers[o.Matcher.Options] = prop.Value
					}
				}
			}
			columns := wantColumns[d.UID][`panel "`+p.Title+`"`]
			require.NotEmpty(t, columns, "%s %q", name, p.Title)
			for _, c := range columns {
				switch c {
				case "incident_id", "SEV1", "SEV2", "SEV3":
					assert.NotContains(t, headers, c, "%s %q", name, p.Title)
				default:
					assert.NotEmpty(t, headers[c], "%s %q: column %s has no header", name, p.Title, c)
				}
			}
		}
	}
	assert.Equal(t, 10, tables)
}
