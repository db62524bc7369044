package plugin

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/report"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata")

// normalizer replaces what differs between runs (ids, hashes, times, ports, latencies) with numbered placeholders,
// the same value always with the same one, so a golden file still shows which values are the same.
type normalizer struct{ seen map[string]string }

var volatile = []struct {
	name string
	re   *regexp.Regexp
}{
	{"hash", regexp.MustCompile(`v2:[0-9a-f]{64}`)},
	{"sha256", regexp.MustCompile(`\b[0-9a-f]{64}\b`)},
	{"id", regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)},
	{"time", regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)},
	{"date", regexp.MustCompile(`\b\d{4}-\d\d-\d\d\b`)},
	{"port", regexp.MustCompile(`127\.0\.0\.1:\d+`)},
	{"ms", regexp.MustCompile(`\b\d+ ms\b`)},
}

func (n *normalizer) normalize(s string) string {
	if n.seen == nil {
		n.seen = map[string]string{}
	}
	for _, v := range volatile {
		s = v.re.ReplaceAllStringFunc(s, func(m string) string {
			if v.name == "time" || v.name == "date" || v.name == "ms" || v.name == "port" {
				return "<" + v.name + ">" // many, and their order is the timeline's
			}
			if p, ok := n.seen[m]; ok {
				return p
			}
			p := fmt.Sprintf("<%s-%d>", v.name, len(n.seen)+1)
			n.seen[m] = p
			return p
		})
	}
	return s
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "go test ./pkg/plugin -run %s -update writes it", t.Name())
	assert.Equal(t, string(want), got, "%s differs (go test ./pkg/plugin -run %s -update rewrites it after checking the change)", name, t.Name())
}

// respond is callResource with the answer's headers.
func respond(t *testing.T, e *env, path string) (int, map[string][]string, string) {
	t.Helper()
	return callResourceHeaders(t, e.a, viewerUser, "GET", path)
}

// An incident made end to end (declared, a containment that ran with its evidence, the EU AI Act flag, a note, the
// review) exports for auditors as JSON, Markdown and HTML, with the verification and the evidence checks of what
// ClickHouse holds; tampered evidence shows as not verified.
func TestExportIncidentForAuditors(t *testing.T) {
	ce := newContainmentEnv(t)
	id := ce.declare(t, aliceUser, "SEV1")
	p := "incidents/" + id
	for _, step := range []struct {
		method string
		path   string
		body   any
	}{
		{"POST", p + "/acknowledge", nil},
		{"POST", p + "/roles", map[string]string{"role": "incident_lead", "user": "alice"}},
		{"POST", p + "/containment", map[string]string{"action": "disable", "reason": "stop the harm"}},
		{"POST", p + "/status", map[string]string{"status": "contained", "reason": "feature off"}},
		{"POST", p + "/regulatory", map[string]any{"regime": "eu_ai_act", "tier": "standard", "aware_at": time.Now().UTC()}},
		{"POST", p + "/notes", map[string]string{"text": "Legal: <b>notify</b> the authority | today"}},
		{"POST", p + "/status", map[string]string{"status": "resolved"}},
		{"PUT", p + "/review", map[string]any{"started_at": time.Now().UTC().Add(-time.Hour), "detected_at": time.Now().UTC(),
			"impact": "Wrong refund policy quoted", "affected": "40 customers", "root_cause_class": "bad_data",
			"root_cause": "Stale policy documents", "action_items_none": true, "playbook_changes": "none", "regulatory_follow_up": "EU AI Act report"}},
	} {
		status, body := callResource(t, ce.a, aliceUser, step.method, step.path, step.body)
		require.Equal(t, 200, status, "%s %s: %s", step.method, step.path, body)
	}

	status, hdr, body := respond(t, ce.env, p+"/export?format=json")
	require.Equal(t, 200, status, body)
	assert.Equal(t, "application/json", hdr["Content-Type"][0])
	assert.Equal(t, fmt.Sprintf(`attachment; filename="incident-%s-audit.json"`, id), hdr["Content-Disposition"][0])
	got := decode(t, body)
	assert.Equal(t, "firebreak.incident-audit/v1", got["schema"])
	assert.Equal(t, "vic", got["generated_by"])
	timeline := got["timeline"].([]any)
	assert.Len(t, timeline, int(got["timeline_total"].(float64)))
	assert.Equal(t, got["incident"].(map[string]any)["last_seq"], timeline[len(timeline)-1].(map[string]any)["seq"], "the whole timeline")
	assert.Equal(t, true, got["verification"].(map[string]any)["intact"], got["verification"])
	evidence := got["evidence"].([]any)
	require.Len(t, evidence, 1)
	ev := evidence[0].(map[string]any)
	assert.Equal(t, true, ev["verified"], ev)
	assert.Equal(t, ev["timeline_sha256"], ev["recomputed_sha256"])
	assert.Equal(t, "Stale policy documents", got["incident"].(map[string]any)["review"].(map[string]any)["root_cause"])

	var n normalizer
	status, hdr, md := respond(t, ce.env, p+"/export?format=markdown")
	require.Equal(t, 200, status, md)
	assert.Equal(t, "text/markdown; charset=utf-8", hdr["Content-Type"][0])
	goldenFile(t, "audit-e2e.md", n.normalize(md))

	status, hdr, html := respond(t, ce.env, p+"/export?format=HTML")
	require.Equal(t, 200, status, html)
	assert.Equal(t, "text/html; charset=utf-8", hdr["Content-Type"][0])
	assert.Contains(t, hdr["Content-Security-Policy"][0], "default-src 'none'")
	assert.Contains(t, html, "<title>Incident report: Support bot invents a refund policy</title>")
	assert.Contains(t, html, "Legal: &lt;b&gt;notify&lt;/b&gt;")
	assert.Contains(t, html, "@media print")

	pdfChunk = 4096 // several messages, as a PDF larger than gRPC's 4 MiB would be
	t.Cleanup(func() { pdfChunk = 1 << 20 })
	status, hdr, pdf := respond(t, ce.env, p+"/export?format=pdf")
	require.Equal(t, 200, status, pdf)
	require.Greater(t, len(pdf), 3*pdfChunk)
	assert.Equal(t, "application/pdf", hdr["Content-Type"][0])
	assert.Equal(t, fmt.Sprintf(`attachment; filename="incident-%s-audit.pdf"`, id), hdr["Content-Disposition"][0])
	assert.Equal(t, fmt.Sprint(len(pdf)), hdr["Content-Length"][0])
	text := strings.Join(strings.Fields(testenv.PDFText(t, []byte(pdf))), " ")
	assert.Contains(t, text, "Incident report: Support bot invents a refund policy")
	for _, want := range []string{"Timeline integrity", "Evidence snapshots", "Post-incident review", "Stale policy documents", "Legal: <b>notify</b> the authority | today"} {
		assert.Contains(t, text, want)
	}

	// A report longer than a PDF holds: refused, naming the format and the ones that hold it; the others still answer.
	pages := testenv.PDFPages(t, []byte(pdf))
	report.MaxPDFPages = pages - 1
	t.Cleanup(func() { report.MaxPDFPages = 1000 })
	status, _, body = respond(t, ce.env, p+"/export?format=pdf")
	assert.Equal(t, 400, status, body)
	assert.Equal(t, fmt.Sprintf("format: the PDF would have more than %d pages; choose html (it prints well), markdown or json, which hold any length",
		pages-1), decode(t, body)["error"])
	status, _, _ = respond(t, ce.env, p+"/export?format=markdown")
	assert.Equal(t, 200, status)
	report.MaxPDFPages = 1000

	// The stored evidence changed after it was taken: the export says so.
	ce.ch.Query(t, fmt.Sprintf("ALTER TABLE %s.evidence UPDATE content = concat(content, ' ') WHERE incident_id = '%s'", ce.db, id))
	testenv.WaitFor(t, 20*time.Second, 100*time.Millisecond, func() (bool, string) {
		_, _, body := respond(t, ce.env, p+"/export")
		ev := decode(t, body)["evidence"].([]any)[0].(map[string]any)
		return ev["verified"] == false && strings.Contains(fmt.Sprint(ev["problem"]), "altered"), fmt.Sprint(ev)
	})
}

// Bad requests get a 4xx naming the parameter; reads need a signed-in user with a role, as every route.
func TestExportBadInput(t *testing.T) {
	e := newEnv(t)
	id := e.declare(t, aliceUser, "SEV2")
	p := "incidents/" + id
	for _, tt := range []struct {
		name   string
		user   *backend.User
		method string
		path   string
		status int
		want   string
	}{
		{"unknown format", viewerUser, "GET", p + "/export?format=docx", 400, `format: "docx" is not json, markdown, html or pdf`},
		{"format twice", viewerUser, "GET", p + "/export?format=json&format=html", 400, "format: give it once"},
		{"unknown incident", viewerUser, "GET", "incidents/6d3f2c1e-0000-4000-8000-000000000000/export", 404, "not found"},
		{"bad id", viewerUser, "GET", "incidents/1%27%20OR%201=1/export", 400, "is not a UUID"},
		{"no user", nil, "GET", p + "/export", 403, "signed-in Grafana user"},
		{"post", aliceUser, "POST", p + "/export", 405, "not allowed"},
		{"csv bad from", viewerUser, "GET", "incidents/export?from=yesterday", 400, `from: "yesterday" is not an RFC 3339 time`},
		{"csv bad to", viewerUser, "GET", "incidents/export?to=2026-13-01T00:00:00Z", 400, "to: "},
		{"csv from after to", viewerUser, "GET", "incidents/export?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", 400, "from: must be before to"},
		{"csv too long", viewerUser, "GET", "incidents/export?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", 400, "longer than the 366 days"},
		{"csv drills", viewerUser, "GET", "incidents/export?drills=maybe", 400, `drills: "maybe" is not true or false`},
		{"csv no user", nil, "GET", "incidents/export", 403, "signed-in Grafana user"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := callResource(t, e.a, tt.user, tt.method, tt.path, nil)
			assert.Equal(t, tt.status, status, body)
			assert.Contains(t, decode(t, body)["error"], tt.want)
		})
	}
}

// The CSV of a period lists its incidents (drills only when asked), oldest first, with their key times; a period
// of more incidents than an export takes is refused before anything is written.
func TestExportIncidentsCSV(t *testing.T) {
	e := newEnv(t)
	first := e.declare(t, aliceUser, "SEV2")
	second := e.declare(t, aliceUser, "SEV1")
	status, body := callResource(t, e.a, aliceUser, "POST", "incidents/"+second+"/acknowledge", nil)
	require.Equal(t, 200, status, body)
	status, body = callResource(t, e.a, aliceUser, "POST", "incidents", map[string]any{"title": "=HYPERLINK(\"http://x\")", "severity": "SEV3",
		"category": "bias", "ai_system": "supportbot", "reported_via": "other", "drill": true})
	require.Equal(t, 200, status, body)
	drill := decode(t, body)["incident"].(map[string]any)["incident_id"].(string)
	status, body = callResource(t, e.a, aliceUser, "PUT", "incidents/"+first+"/taxonomy", map[string]any{"owasp_llm": []string{"LLM09", "LLM02"},
		"harm": "health", "people_affected": 3})
	require.Equal(t, 200, status, body)

	from := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	to := time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	read := func(query string) [][]string {
		t.Helper()
		status, hdr, body := respond(t, e, "incidents/export?"+query)
		require.Equal(t, 200, status, body)
		assert.Equal(t, "text/csv; charset=utf-8", hdr["Content-Type"][0])
		assert.Contains(t, hdr["Content-Disposition"][0], `attachment; filename="incidents-`)
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		require.NoError(t, err, body)
		return rows
	}
	ids := func(rows [][]string) []string {
		var out []string
		for _, r := range rows[1:] {
			out = append(out, r[0])
		}
		return out
	}
	rows := read("from=" + from + "&to=" + to)
	require.Equal(t, "incident_id", rows[0][0])
	assert.ElementsMatch(t, []string{first, second}, ids(rows), "drills are left out")
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	for _, r := range rows[1:] {
		if r[0] == second {
			assert.NotEmpty(t, r[12], "acknowledged_at")
			assert.NotEmpty(t, r[16], "seconds_to_acknowledge")
			assert.Equal(t, "LLM09", r[col["owasp_llm"]], "the hallucination category's default classification")
			assert.Empty(t, r[col["harm"]])
		}
		if r[0] == first {
			assert.Equal(t, []string{"LLM09 LLM02", "health", "3"}, []string{r[col["owasp_llm"]], r[col["harm"]], r[col["people_affected"]]})
		}
	}
	rows = read(fmt.Sprintf("from=%d&to=%d&drills=true", time.Now().Add(-time.Hour).UnixMilli(), time.Now().Add(time.Hour).UnixMilli()))
	assert.ElementsMatch(t, []string{first, second, drill}, ids(rows))
	for _, r := range rows[1:] {
		if r[0] == drill {
			assert.Equal(t, `'=HYPERLINK("http://x")`, r[1], "a formula opens as text")
		}
	}
	assert.Len(t, read("from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z"), 1, "the header alone")

	maxExportRows = 2
	t.Cleanup(func() { maxExportRows = 10000 })
	status, body = callResource(t, e.a, viewerUser, "GET", "incidents/export?drills=true&from="+from+"&to="+to, nil)
	assert.Equal(t, 400, status, body)
	assert.Contains(t, decode(t, body)["error"], "from: the period holds 3 incidents, more than the 2 an export takes")
}

// PDFs are made one at a time: while one is being made, another waits, and gives up (answering 500, nothing of the
// report written) when its request ends first; the slot is free again after each, made or failed.
func TestPDFsAreMadeOneAtATime(t *testing.T) {
	write := func(w io.Writer, _ report.Format) error { _, err := io.WriteString(w, "%PDF-1.4 made"); return err }
	rec := httptest.NewRecorder()
	body, ok := renderReport(context.Background(), rec, report.PDF, write)
	require.True(t, ok)
	assert.Equal(t, "%PDF-1.4 made", string(body))
	assert.Empty(t, pdfRenders, "the slot is free after a PDF")

	pdfRenders <- struct{}{} // another PDF is being made
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, ok = renderReport(ctx, rec, report.PDF, write)
	<-pdfRenders
	require.False(t, ok)
	assert.Equal(t, 500, rec.Code)
	assert.Contains(t, rec.Body.String(), "waiting for another PDF")
	assert.NotContains(t, rec.Body.String(), "%PDF")

	rec = httptest.NewRecorder()
	_, ok = renderReport(context.Background(), rec, report.PDF, func(io.Writer, report.Format) error { return errors.New("broken font") })
	require.False(t, ok)
	assert.Equal(t, 500, rec.Code)
	assert.Empty(t, pdfRenders, "the slot is free after a failed PDF")
}

// The EU AI Act report is drafted from an incident made end to end (an alert with its model_version, the flag, a
// review), with the AI system's facts from the settings; drafting is one timeline event per draft, however often
// it is downloaded; marking it sent is the report log, whose reference the follow-up cites.
func TestDraftEUAIActReport(t *testing.T) {
	e := newEnvWith(t, map[string]any{"aiSystems": map[string]any{"supportbot": map[string]string{"name": "Acme Support Assistant",
		"provider": "Acme GmbH, Berlin", "registrationId": "EU-AI-0000123", "authority": "Bundesnetzagentur", "submitterRole": "provider",
		"contact": "legal@acme.example"}}}, nil)
	start := time.Now().UTC().Add(-10 * time.Minute).Format(time.RFC3339)
	e.postWebhook(t, []byte(`{"version":"4","status":"firing","receiver":"firebreak","groupKey":"{}:{alertname=\"HallucinationRateHigh\"}",
		"groupLabels":{"alertname":"HallucinationRateHigh"},"alerts":[{"status":"firing","startsAt":"`+start+`","fingerprint":"a1b2c3d4e5f60718",
		"labels":{"alertname":"HallucinationRateHigh","ai_system":"supportbot","model_version":"v2","severity":"critical","category":"hallucination"},
		"annotations":{"summary":"Ungrounded answers at 31%"}}]}`))
	id := e.waitIncident(t)
	p := "incidents/" + id
	draft := func(user *backend.User, query string, headers map[string]string) (int, string) {
		t.Helper()
		status, _, body := callResourceFull(t, e.a, user, "GET", p+"/reports/eu-ai-act?"+query, nil, headers)
		return status, body
	}
	drafts := func() int {
		t.Helper()
		status, body := callResource(t, e.a, viewerUser, "GET", p+"/timeline?kind=people", nil)
		require.Equal(t, 200, status, body)
		n := 0
		for _, ev := range decode(t, body)["timeline"].([]any) {
			if ev.(map[string]any)["kind"] == "report_drafted" {
				n++
			}
		}
		return n
	}

	status, body := draft(aliceUser, "type=initial", nil)
	assert.Equal(t, 409, status, body)
	assert.Contains(t, decode(t, body)["error"], "is not flagged under the EU AI Act")

	status, body = callResource(t, e.a, aliceUser, "POST", p+"/regulatory", map[string]any{"regime": "eu_ai_act", "tier": "standard", "aware_at": time.Now().UTC()})
	require.Equal(t, 200, status, body)
	for _, tt := range []struct {
		name   string
		user   *backend.User
		path   string
		status int
		want   string
	}{
		{"unknown type", aliceUser, p + "/reports/eu-ai-act?type=preliminary", 400, `type: "preliminary" is not one of initial, follow_up, combined, final`},
		{"no type", aliceUser, p + "/reports/eu-ai-act", 400, "type: missing"},
		{"type twice", aliceUser, p + "/reports/eu-ai-act?type=initial&type=final", 400, "type: give it once"},
		{"unknown format", aliceUser, p + "/reports/eu-ai-act?type=initial&format=docx", 400, `format: "docx" is not json, markdown, html or pdf`},
		{"bad request id", aliceUser, p + "/reports/eu-ai-act?type=initial&request_id=a%20b", 400, "request_id:"},
		{"viewer", viewerUser, p + "/reports/eu-ai-act?type=initial", 403, "viewers can read incidents but not change them"},
		{"unknown incident", aliceUser, "incidents/6d3f2c1e-0000-4000-8000-000000000000/reports/eu-ai-act?type=initial", 404, "not found"},
		{"no user", nil, p + "/reports/eu-ai-act?type=initial", 403, "signed-in Grafana user"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := callResource(t, e.a, tt.user, "GET", tt.path, nil)
			assert.Equal(t, tt.status, status, body)
			assert.Contains(t, decode(t, body)["error"], tt.want)
		})
	}
	assert.Equal(t, 0, drafts(), "nothing refused is recorded")

	status, body = draft(aliceUser, "type=initial&format=json", nil)
	require.Equal(t, 200, status, body)
	got := decode(t, body)
	assert.Equal(t, "firebreak.eu-ai-act-serious-incident/v1", got["schema"])
	sys := got["ai_system"].(map[string]any)
	assert.Equal(t, "EU-AI-0000123", sys["registration_id"].(map[string]any)["value"], "from the settings")
	assert.Equal(t, "v2", sys["version"].(map[string]any)["value"], "from the alert's model_version label")
	assert.Equal(t, "Bundesnetzagentur", got["administrative"].(map[string]any)["authority"].(map[string]any)["value"])
	assert.Contains(t, got["to_fill"], "incident.member_states")
	assert.Equal(t, 1, drafts())

	// The same draft downloaded again, in another format: the same content, no new event.
	var n normalizer
	status, md := draft(aliceUser, "type=initial&format=markdown", nil)
	require.Equal(t, 200, status, md)
	goldenFile(t, "eu-ai-act-e2e.md", n.normalize(md))
	assert.Equal(t, 1, drafts(), "a retry records nothing new")

	// Marked sent through the report log; the follow-up cites the authority's reference.
	status, body = callResource(t, e.a, aliceUser, "POST", p+"/regulatory/reports", map[string]any{"regime": "eu_ai_act",
		"authority": "Bundesnetzagentur", "report": "initial", "sent_at": time.Now().UTC(), "reference": "BNetzA-2026-0042"})
	require.Equal(t, 200, status, body)
	status, body = draft(aliceUser, "type=follow_up", map[string]string{"X-Idempotency-Key": "follow-up-1"})
	require.Equal(t, 200, status, body)
	assert.Equal(t, "BNetzA-2026-0042", decode(t, body)["administrative"].(map[string]any)["authority_reference"].(map[string]any)["value"])
	assert.Equal(t, 2, drafts())
	status, body = draft(aliceUser, "type=follow_up&format=html", map[string]string{"X-Idempotency-Key": "follow-up-1"})
	require.Equal(t, 200, status, body)
	assert.Contains(t, body, "[TO FILL]")
	status, hdr, pdf := callResourceFull(t, e.a, aliceUser, "GET", p+"/reports/eu-ai-act?type=follow_up&format=pdf", nil,
		map[string]string{"X-Idempotency-Key": "follow-up-1"})
	require.Equal(t, 200, status, pdf)
	assert.Equal(t, "application/pdf", hdr["Content-Type"][0])
	assert.Equal(t, fmt.Sprintf(`attachment; filename="incident-%s-eu-ai-act-follow-up.pdf"`, id), hdr["Content-Disposition"][0])
	text := strings.Join(strings.Fields(testenv.PDFText(t, []byte(pdf))), " ")
	for _, want := range []string{"EU AI Act serious incident report (follow-up report): DRAFT", "1. Administrative information",
		"EU database registration id", "EU-AI-0000123", "BNetzA-2026-0042", "Member States concerned", "[TO FILL]"} {
		assert.Contains(t, text, want)
	}
	status, body = callResource(t, e.a, viewerUser, "GET", p, nil)
	require.Equal(t, 200, status, body)
	assert.Contains(t, text, "Incident "+id+": "+decode(t, body)["incident"].(map[string]any)["title"].(string), "the incident's title at the top of each page")
	assert.Equal(t, 2, drafts(), "the same key, the same draft: nothing new")

	// A draft that could not be made is not recorded as made.
	report.MaxPDFPages = 0
	t.Cleanup(func() { report.MaxPDFPages = 1000 })
	status, body = draft(aliceUser, "type=final&format=pdf", nil)
	assert.Equal(t, 400, status, body)
	assert.Contains(t, decode(t, body)["error"], "format: the PDF would have more than 0 pages")
	assert.Equal(t, 2, drafts(), "no report_drafted for a draft nobody got")
	report.MaxPDFPages = 1000

	status, body = draft(aliceUser, "type=final", map[string]string{"X-Idempotency-Key": "follow-up-1"})
	assert.Equal(t, 422, status, body)
	assert.Contains(t, decode(t, body)["error"], "X-Idempotency-Key")
	status, body = callResource(t, e.a, viewerUser, "GET", p, nil)
	require.Equal(t, 200, status, body)
	clock := decode(t, body)["regulatory"].([]any)[0].(map[string]any)
	assert.NotEmpty(t, clock["initial_report_at"], "the report log stops the clock")
}
