package plugin

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The incident detail answers a summary of the alerts and the first page of alerts and timeline; the alerts and
// timeline routes page through the rest, filtered by status and kind.
func TestIncidentDetailPagesAlertsAndTimeline(t *testing.T) {
	e := newEnv(t)
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	e.postWebhook(t, groupNotification(t, start, 0, 250, time.Time{}))
	id := e.waitIncident(t)
	p := "incidents/" + id
	e.waitRows(t, "SELECT count() FROM {db}.events WHERE incident_id = '"+id+"'", "251\n")
	e.postWebhook(t, groupNotification(t, start, 0, 30, start.Add(30*time.Minute))) // 30 resolve
	for i := range 3 {
		status, body := callResource(t, e.a, aliceUser, "POST", p+"/notes", map[string]string{"text": fmt.Sprintf("note %d", i)})
		require.Equal(t, 200, status, body)
	}
	e.waitRows(t, "SELECT count() FROM {db}.events WHERE incident_id = '"+id+"'", "284\n")

	get := func(path string) map[string]any {
		t.Helper()
		status, body := callResource(t, e.a, viewerUser, "GET", path, nil)
		require.Equal(t, 200, status, body)
		return decode(t, body)
	}
	d := get(p)
	assert.EqualValues(t, 250, d["alerts_total"])
	assert.EqualValues(t, 284, d["timeline_total"])
	assert.Len(t, d["alerts"], 100, "the default first page of alerts")
	assert.Len(t, d["timeline"], 284, "the whole timeline: under the default 500")
	assert.NotEmpty(t, d["alerts_next_cursor"])
	assert.Equal(t, "", d["timeline_next_cursor"])
	summary := d["alert_summary"].(map[string]any)
	assert.Equal(t, map[string]any{"firing": 220.0, "resolved": 30.0}, summary["by_status"])
	labels := summary["labels"].([]any)
	require.Len(t, labels, 2, "pod and zone differ; alertname, ai_system and severity do not: %v", labels)
	pod, zone := labels[0].(map[string]any), labels[1].(map[string]any)
	assert.Equal(t, "pod", pod["name"])
	assert.EqualValues(t, 250, pod["distinct"])
	assert.Len(t, pod["values"], 10)
	assert.EqualValues(t, 240, pod["other"])
	assert.Equal(t, map[string]any{"name": "zone", "distinct": 3.0, "other": 0.0, "values": []any{
		map[string]any{"value": "a", "count": 84.0}, map[string]any{"value": "b", "count": 83.0}, map[string]any{"value": "c", "count": 83.0}}}, zone)

	small := get(p + "?timeline_limit=10&alerts_limit=7")
	assert.Len(t, small["alerts"], 7)
	assert.Len(t, small["timeline"], 10)
	assert.NotEmpty(t, small["timeline_next_cursor"])

	// Every alert once, in order, through the alerts route; a status filter pages through its own.
	pageAll := func(route, itemsKey, idKey, query string) []string {
		t.Helper()
		var ids []string
		cursor := ""
		for pages := 0; ; pages++ {
			require.Less(t, pages, 300)
			q := url.Values{}
			if query != "" {
				q, _ = url.ParseQuery(query)
			}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			out := get(p + "/" + route + "?" + q.Encode())
			for _, item := range out[itemsKey].([]any) {
				ids = append(ids, fmt.Sprint(item.(map[string]any)[idKey]))
			}
			cursor, _ = out["next_cursor"].(string)
			if cursor == "" {
				return ids
			}
		}
	}
	all := pageAll("alerts", "alerts", "key", "limit=33")
	assert.Len(t, all, 250)
	seen := map[string]bool{}
	for _, k := range all {
		assert.False(t, seen[k], "alert %s twice", k)
		seen[k] = true
	}
	assert.Len(t, pageAll("alerts", "alerts", "key", "limit=7&status=resolved"), 30)
	assert.Len(t, pageAll("alerts", "alerts", "key", "status=firing"), 220)
	assert.EqualValues(t, 30, get(p + "/alerts?status=resolved")["total"])

	seqs := pageAll("timeline", "timeline", "seq", "limit=50")
	require.Len(t, seqs, 284)
	for i, s := range seqs {
		assert.Equal(t, fmt.Sprint(i+1), s)
	}
	people := pageAll("timeline", "timeline", "kind", "kind=people&limit=2")
	assert.Equal(t, []string{"note", "note", "note"}, people)
	assert.Equal(t, []string{"declared"}, pageAll("timeline", "timeline", "kind", "kind=system"))
	assert.Len(t, pageAll("timeline", "timeline", "seq", "kind=alerts,people&limit=100"), 283)

	// The cursor of the detail's first page leads on to the second.
	next := get(p + "/alerts?cursor=" + url.QueryEscape(small["alerts_next_cursor"].(string)) + "&limit=3")
	assert.Equal(t, all[7:10], []string{next["alerts"].([]any)[0].(map[string]any)["key"].(string),
		next["alerts"].([]any)[1].(map[string]any)["key"].(string), next["alerts"].([]any)[2].(map[string]any)["key"].(string)})

	// Whoever adds an event sees it on the next page at once (the read waits for ClickHouse to show it).
	status, body := callResource(t, e.a, aliceUser, "POST", p+"/notes", map[string]string{"text": "seen at once"})
	require.Equal(t, 200, status, body)
	tail := get(p + "/timeline?cursor=" + url.QueryEscape(encodeCursor(timelineCursor{AfterSeq: 284})))
	require.Len(t, tail["timeline"], 1)
	assert.Equal(t, "note", tail["timeline"].([]any)[0].(map[string]any)["kind"])
	assert.Equal(t, "", tail["next_cursor"])

	// An event deleted behind Firebreak's back (verify reports it) does not end the paging early.
	e.ch.Query(t, "ALTER TABLE "+e.db+".events DELETE WHERE incident_id = '"+id+"' AND seq IN (100, 101)")
	e.waitRows(t, "SELECT count() FROM {db}.events WHERE incident_id = '"+id+"'", "283\n")
	seqs = pageAll("timeline", "timeline", "seq", "limit=50")
	require.Len(t, seqs, 283)
	assert.Equal(t, []string{"99", "102"}, seqs[98:100])

	// Bad input: 400 naming the parameter; an unknown incident: 404.
	timelineCursor := small["timeline_next_cursor"].(string)
	alertsCursor := small["alerts_next_cursor"].(string)
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{p + "?timeline_limit=5001", 400, `timeline_limit: "5001" is not a number from 1 to 5000`},
		{p + "?alerts_limit=0", 400, `alerts_limit: "0" is not a number from 1 to 1000`},
		{p + "?alerts_limit=x", 400, `alerts_limit: "x" is not a number`},
		{p + "/timeline?limit=-1", 400, `limit: "-1" is not a number from 1 to 5000`},
		{p + "/timeline?kind=notes", 400, `kind: "notes" is not one of alerts, people, containment, system`},
		{p + "/timeline?cursor=%27%3B%20DROP", 400, "cursor: not a timeline cursor of this API"},
		{p + "/timeline?cursor=" + url.QueryEscape(alertsCursor), 400, "cursor: not a timeline cursor"},
		{p + "/alerts?cursor=" + url.QueryEscape(timelineCursor), 400, "cursor: not an alerts cursor"},
		{p + "/alerts?limit=1001", 400, `limit: "1001" is not a number from 1 to 1000`},
		{p + "/alerts?status=pending", 400, `status: "pending" is not firing or resolved`},
		{"incidents/6d3f2c1e-0000-4000-8000-000000000000/timeline", 404, "not found"},
		{"incidents/6d3f2c1e-0000-4000-8000-000000000000/timeline?kind=people", 404, "not found"},
		{"incidents/6d3f2c1e-0000-4000-8000-000000000000/timeline?cursor=" + url.QueryEscape(timelineCursor), 404, "not found"},
		{"incidents/6d3f2c1e-0000-4000-8000-000000000000/alerts", 404, "not found"},
		{"incidents/1%27%20OR%201=1/alerts", 400, "is not a UUID"},
	} {
		status, body := callResource(t, e.a, viewerUser, "GET", tc.path, nil)
		assert.Equal(t, tc.status, status, "%s: %s", tc.path, body)
		assert.Contains(t, decode(t, body)["error"], tc.want, tc.path)
	}
}
