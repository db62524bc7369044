package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// aiSystemFacts are the plugin's settings of the demo's AI system, which the EU AI Act report cites.
var aiSystemFacts = map[string]any{"supportbot": map[string]string{"name": "Acme Support Assistant",
	"provider": "Acme GmbH, Berlin", "registrationId": "EU-AI-0000123", "authority": "Bundesnetzagentur",
	"submitterRole": "provider", "contact": "legal@acme.example"}}

// reportIncident takes the incident the containment story made to its end the way people would (a lead, a
// classification, the EU AI Act flag, the initial report sent, resolved, reviewed, closed) and downloads its
// reports: the auditors' export and the EU AI Act final report, each as JSON and Markdown. Each is compared with a
// golden file once the values of this run (ids, times, hashes, measured figures) are replaced by placeholders. It
// returns the reports' bodies, for the caller's search for secrets.
func reportIncident(t *testing.T, g *grafana, id string) []string {
	t.Helper()
	p := "incidents/" + id
	now := time.Now().UTC()
	for _, step := range []struct {
		login, role, method, path string
		body                      any
	}{
		{"alice", "Editor", "POST", p + "/acknowledge", nil},
		{"alice", "Editor", "POST", p + "/roles", map[string]string{"role": "incident_lead", "user": "Alice"}},
		{"alice", "Editor", "PUT", p + "/taxonomy", map[string]any{"owasp_llm": []string{"LLM09"},
			"nist_ai_600_1": []string{"confabulation", "information_integrity"}, "harm": "other", "people_affected": 40,
			"deployment_breadth": "single_deployment"}},
		{"alice", "Editor", "POST", p + "/regulatory", map[string]any{"regime": "eu_ai_act", "tier": "standard", "aware_at": now}},
		{"alice", "Editor", "POST", p + "/regulatory/reports", map[string]any{"regime": "eu_ai_act", "authority": "Bundesnetzagentur",
			"report": "initial", "sent_at": now, "reference": "BNetzA-2026-0042"}},
		{"alice", "Editor", "POST", p + "/status", map[string]string{"status": "resolved", "reason": "rolled back; the rate is normal again"}},
		{"alice", "Editor", "PUT", p + "/review", map[string]any{"started_at": now.Add(-10 * time.Minute), "detected_at": now.Add(-9 * time.Minute),
			"contained_at": now.Add(-5 * time.Minute), "impact": "Customers were quoted a refund policy that does not exist",
			"affected": "40 customers of the support chat", "root_cause_class": "model_defect",
			"root_cause": "Model v2 answers from memory when retrieval returns nothing",
			"action_items": []map[string]string{{"text": "Block release of models failing the grounding eval", "owner": "alice",
				"due": now.AddDate(0, 0, 14).Format(time.DateOnly), "status": "open"}},
			"playbook_changes": "Roll back first, investigate after", "regulatory_follow_up": "Final report to the Bundesnetzagentur"}},
		{"alice", "Editor", "POST", p + "/close", nil},
	} {
		code, out := g.do(t, step.login, step.role, step.method, step.path, step.body)
		require.Equal(t, 200, code, "%s %s: %v", step.method, step.path, out)
	}

	var bodies []string
	// A Viewer may export for auditors; drafting a report is a timeline event, which takes an Editor.
	for _, r := range []struct{ login, role, path, golden string }{
		{"vic", "Viewer", p + "/export?format=json", "audit.json"},
		{"vic", "Viewer", p + "/export?format=markdown", "audit.md"},
		{"alice", "Editor", p + "/reports/eu-ai-act?type=final&format=json", "eu-ai-act-final.json"},
		{"alice", "Editor", p + "/reports/eu-ai-act?type=final&format=markdown", "eu-ai-act-final.md"},
	} {
		code, header, body := g.download(t, r.login, r.role, r.path)
		require.Equal(t, 200, code, "%s: %.500s", r.path, body)
		assert.Contains(t, header.Get("Content-Disposition"), "attachment; filename=\"incident-"+id, r.path)
		bodies = append(bodies, string(body))
		assertGolden(t, r.golden, normalizeRun(t, body, id))
		if r.golden == "eu-ai-act-final.json" {
			var draft any
			require.NoError(t, json.Unmarshal(body, &draft))
			assert.Positive(t, checkTemplateFields(t, "", draft), "the draft has template fields")
		}
	}

	// The PDFs: the same documents, paginated; what pdftotext reads of them holds the incident's title and the
	// review's root cause, and the EU draft's fields to fill.
	_, detail := g.do(t, "vic", "Viewer", "GET", p, nil)
	title := detail["incident"].(map[string]any)["title"].(string)
	for _, r := range []struct{ login, role, path string }{
		{"vic", "Viewer", p + "/export?format=pdf"},
		{"alice", "Editor", p + "/reports/eu-ai-act?type=final&format=pdf"},
	} {
		code, header, body := g.download(t, r.login, r.role, r.path)
		require.Equal(t, 200, code, "%s: %.500s", r.path, body)
		assert.Equal(t, "application/pdf", header.Get("Content-Type"), r.path)
		text := strings.Join(strings.Fields(testenv.PDFText(t, body)), " ")
		assert.Contains(t, text, title, r.path)
		assert.Contains(t, text, "Model v2 answers from memory when retrieval returns nothing", r.path)
		assert.GreaterOrEqual(t, testenv.PDFPages(t, body), 2, r.path)
		bodies = append(bodies, string(body))
	}
	return bodies
}

// checkTemplateFields walks a report draft and checks each template field (an object with to_fill) is either
// filled, with the value and where it came from, or marked for a person with a hint. It returns how many it saw.
func checkTemplateFields(t *testing.T, path string, v any) int {
	t.Helper()
	n := 0
	switch v := v.(type) {
	case map[string]any:
		if toFill, ok := v["to_fill"].(bool); ok {
			if toFill {
				assert.NotEmpty(t, v["hint"], "%s is marked to fill without a hint", path)
			} else {
				assert.NotEmpty(t, v["value"], "%s is neither filled nor marked to fill", path)
				assert.NotEmpty(t, v["source"], "%s is filled without its source", path)
			}
			return 1
		}
		for k, e := range v {
			n += checkTemplateFields(t, path+"."+k, e)
		}
	case []any:
		for i, e := range v {
			n += checkTemplateFields(t, fmt.Sprintf("%s[%d]", path, i), e)
		}
	}
	return n
}

// download reads a resource as a Grafana user: its status, headers and raw body.
func (g *grafana) download(t *testing.T, login, role, path string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", g.url+"/resources/"+path, nil)
	require.NoError(t, err)
	req.Header.Set("X-Grafana-User", login)
	req.Header.Set("X-Grafana-Role", role)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, body
}

// Values that differ from run to run, in the order they are replaced.
var (
	uuidPattern     = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	chainHash       = regexp.MustCompile(`v2:[0-9a-f]{64}`)
	sha256Pattern   = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
	timePattern     = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	datePattern     = regexp.MustCompile(`\b\d{4}-\d\d-\d\d\b`)
	percentPattern  = regexp.MustCompile(`\b\d+(\.\d+)?%`)
	localURLPattern = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	alertKeyPattern = regexp.MustCompile(`\b[0-9a-f]{16}@\d+\b`)
	digestPattern   = regexp.MustCompile(`#[0-9a-f]{32}\b`)
	millisPattern   = regexp.MustCompile(`\b\d+ ms\b`)
)

// volatileKeys are JSON members whose values are measured in the run (latencies, sizes, counts of retries and of
// alerts Alertmanager happened to resend) rather than decided by the story.
var volatileKeys = map[string]bool{"latency_ms": true, "bytes": true, "tries": true, "duration_ms": true,
	"generator_url": true, "fingerprint": true, "at_ns": true, "signature": true,
	"action_digest": true} // the action's digest covers its URL, whose port differs

// normalizeRun replaces the values of this run in a report by placeholders: the incident's id by <incident>, other
// ids by <id-N> in the order they first appear (so that the same id stays the same placeholder), times, dates,
// hashes, percentages and local addresses. A JSON report is first rewritten with sorted members and its measured
// members replaced.
func normalizeRun(t *testing.T, body []byte, incidentID string) []byte {
	t.Helper()
	text := string(body)
	if json.Valid(body) {
		var v any
		require.NoError(t, json.Unmarshal(body, &v))
		var out strings.Builder
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		require.NoError(t, enc.Encode(maskVolatile(v)))
		text = out.String()
	}
	text = strings.ReplaceAll(text, incidentID, "<incident>")
	ids := map[string]string{}
	text = uuidPattern.ReplaceAllStringFunc(text, func(s string) string {
		if _, ok := ids[s]; !ok {
			ids[s] = fmt.Sprintf("<id-%d>", len(ids)+1)
		}
		return ids[s]
	})
	for _, r := range []struct {
		pattern *regexp.Regexp
		with    string
	}{{chainHash, "<chain-hash>"}, {sha256Pattern, "<sha256>"}, {timePattern, "<time>"}, {datePattern, "<date>"},
		{percentPattern, "<percent>"}, {localURLPattern, "http://<local>"}, {alertKeyPattern, "<alert-key>"},
		{digestPattern, "#<digest>"}, {millisPattern, "<n> ms"}} {
		text = r.pattern.ReplaceAllString(text, r.with)
	}
	return []byte(text)
}

func maskVolatile(v any) any {
	switch v := v.(type) {
	case map[string]any: // encoding/json writes the members sorted
		for k, e := range v {
			if volatileKeys[k] {
				v[k] = "<measured>"
				continue
			}
			v[k] = maskVolatile(e)
		}
		return v
	case []any:
		for i := range v {
			v[i] = maskVolatile(v[i])
		}
		return v
	default:
		return v
	}
}

// assertGolden compares got with e2e/testdata/name, or writes it there with -update.
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./e2e -run TestContainmentStory -update to write it")
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (go test ./e2e -run TestContainmentStory -update rewrites it after checking the change):\n%s", name, got)
	}
}
