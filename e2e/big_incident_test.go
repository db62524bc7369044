package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// bigGroup is an Alertmanager notification of one alert group with alerts from..to-1 of a crash-looping
// deployment, resolved at resolvedAt unless it is zero.
func bigGroup(t *testing.T, start time.Time, from, to int, resolvedAt time.Time) string {
	t.Helper()
	status := "firing"
	if !resolvedAt.IsZero() {
		status = "resolved"
	}
	alerts := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		a := map[string]any{"status": status, "startsAt": start.Add(time.Duration(i) * time.Millisecond),
			"labels": map[string]string{"alertname": "AIInferencePodCrashLooping", "ai_system": "supportbot", "severity": "critical",
				"namespace": fmt.Sprintf("inference-%d", i%7), "pod": fmt.Sprintf("supportbot-%d-%05d", i%40, i),
				"zone": []string{"a", "b", "c"}[i%3]},
			"annotations":  map[string]string{"summary": "Inference pods crash-looping", "description": fmt.Sprintf("pod %d restarted 5 times", i)},
			"generatorURL": "http://prometheus:9090/graph?g0.expr=kube_pod_container_status_restarts_total",
			"fingerprint":  fmt.Sprintf("%016x", uint64(i+1)*0x9e3779b97f4a7c15)}
		if status == "resolved" {
			a["endsAt"] = resolvedAt
		}
		alerts = append(alerts, a)
	}
	body, err := json.Marshal(map[string]any{"version": "4", "status": status, "receiver": "firebreak",
		"groupKey": `{}:{alertname="AIInferencePodCrashLooping"}`, "truncatedAlerts": 0,
		"groupLabels": map[string]string{"alertname": "AIInferencePodCrashLooping"}, "alerts": alerts})
	require.NoError(t, err)
	return string(body)
}

// get reads a resource as a Viewer: the raw answer and its JSON.
func (g *grafana) get(t *testing.T, path string) ([]byte, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", g.url+"/resources/"+path, nil)
	require.NoError(t, err)
	req.Header.Set("X-Grafana-User", "vic")
	req.Header.Set("X-Grafana-Role", "Viewer")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, "%s: %.500s", path, raw)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out))
	return raw, out
}

// An Alertmanager group of 10,000 alerts in one notification: the incident detail stays small (a summary and the
// first pages), and the alerts and timeline routes page through every alert and event exactly once.
func TestTenThousandAlertIncidentThroughGrafanaHost(t *testing.T) {
	apiToken := filepath.Join(t.TempDir(), "api-token")
	require.NoError(t, os.WriteFile(apiToken, []byte("plugin-api-token\n"), 0o600))
	s := startReceiver(t, "--api-token-file", apiToken)
	g := startGrafanaHost(t, s, apiToken)
	post := func(body string) {
		t.Helper()
		req, err := http.NewRequest("POST", s.url+"/api/v1/webhook", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, "%s", answer)
	}
	const n, resolved = 10000, 1000
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	post(bigGroup(t, start, 0, n, time.Time{}))
	post(bigGroup(t, start, 0, resolved, start.Add(30*time.Minute)))

	var id string
	testenv.WaitFor(t, 60*time.Second, 200*time.Millisecond, func() (bool, string) {
		_, out := g.get(t, "incidents")
		rows := out["incidents"].([]any)
		if len(rows) != 1 {
			return false, fmt.Sprint(len(rows), " incidents")
		}
		row := rows[0].(map[string]any)
		id = row["incident_id"].(string)
		return row["alert_count"] == float64(n) && row["firing_alert_count"] == float64(n-resolved), fmt.Sprint(row["alert_count"], row["firing_alert_count"])
	})
	p := "incidents/" + id

	took := time.Now()
	raw, d := g.get(t, p)
	t.Logf("GET %s: %d bytes in %s", p, len(raw), time.Since(took))
	count := func(v any) int { list, _ := v.([]any); return len(list) }
	assert.Less(t, len(raw), 1<<20, "the detail of a 10,000-alert incident is under 1 MB")
	assert.EqualValues(t, n, d["alerts_total"])
	assert.EqualValues(t, 1+n+resolved, d["timeline_total"], "declared, 10,000 fired, 1,000 resolved")
	assert.Equal(t, 100, count(d["alerts"]), "the first page of alerts")
	assert.Equal(t, 500, count(d["timeline"]), "the first page of the timeline")
	summary := d["alert_summary"].(map[string]any)
	assert.Equal(t, map[string]any{"firing": float64(n - resolved), "resolved": float64(resolved)}, summary["by_status"])
	var names []string
	for _, l := range summary["labels"].([]any) {
		label := l.(map[string]any)
		names = append(names, label["name"].(string))
		count := label["other"].(float64)
		for _, v := range label["values"].([]any) {
			count += v.(map[string]any)["count"].(float64)
		}
		assert.EqualValues(t, n, count, "%s: every alert counted once", label["name"])
	}
	assert.Equal(t, []string{"namespace", "pod", "zone"}, names)

	// Every alert exactly once through the alerts route, 1,000 a page, from the detail's cursor on.
	keys := map[string]int{}
	for _, a := range d["alerts"].([]any) {
		keys[a.(map[string]any)["key"].(string)]++
	}
	pages := 0
	for cursor := d["alerts_next_cursor"].(string); cursor != ""; pages++ {
		require.Less(t, pages, 20)
		_, page := g.get(t, p+"/alerts?limit=1000&cursor="+url.QueryEscape(cursor))
		for _, a := range page["alerts"].([]any) {
			keys[a.(map[string]any)["key"].(string)]++
		}
		cursor = page["next_cursor"].(string)
	}
	assert.Len(t, keys, n)
	for k, c := range keys {
		if c != 1 {
			t.Errorf("alert %s came %d times", k, c)
		}
	}
	_, res := g.get(t, p+"/alerts?status=resolved&limit=1000")
	assert.Equal(t, resolved, count(res["alerts"]))
	assert.Equal(t, "", res["next_cursor"])

	// Every event exactly once, in order, through the timeline route.
	var seqs []int
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		_, page := g.get(t, p+"/timeline?limit=5000&cursor="+url.QueryEscape(cursor))
		for _, e := range page["timeline"].([]any) {
			seqs = append(seqs, int(e.(map[string]any)["seq"].(float64)))
		}
		if cursor = page["next_cursor"].(string); cursor == "" {
			break
		}
	}
	require.Len(t, seqs, 1+n+resolved)
	for i, seq := range seqs {
		if seq != i+1 {
			t.Fatalf("event %d of the paged timeline has seq %d", i+1, seq)
		}
	}
}
