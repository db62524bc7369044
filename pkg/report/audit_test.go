package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

func fixtureAudit(t *testing.T) *Audit {
	inc, events, snapshot := fixture(t)
	evidence := EvidenceRefs(events)
	require.Len(t, evidence, 1)
	evidence[0] = CheckEvidence(evidence[0], &StoredEvidence{SHA256: incident.SnapshotSHA256(snapshot), Content: snapshot,
		TakenAt: t0.Add(5 * time.Minute), TakenBy: "alice"})
	now := t0.Add(50 * time.Hour)
	return &Audit{Schema: AuditSchema, GeneratedAt: now, GeneratedBy: "auditor", Incident: inc,
		SLA: incident.DefaultSLATargets().SLA(inc, now), ReviewMissing: inc.ReviewMissing(), Evidence: evidence,
		Verification:  incident.Verify(events, &incident.StateHead{Seq: inc.LastSeq, Hash: inc.LastHash}, nil, nil),
		TimelineTotal: len(events), Timeline: events}
}

func TestAuditGolden(t *testing.T) {
	a := fixtureAudit(t)
	for _, f := range Formats {
		var b bytes.Buffer
		require.NoError(t, a.Write(&b, f))
		goldenReport(t, "audit."+f.Extension(), b.Bytes())
	}
}

// The JSON is the documented schema: the incident, its whole timeline with hashes, the evidence checks and the
// verification.
func TestAuditJSON(t *testing.T) {
	a := fixtureAudit(t)
	var b bytes.Buffer
	require.NoError(t, a.Write(&b, JSON))
	var got map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &got), b.String())
	assert.Equal(t, AuditSchema, got["schema"])
	assert.Len(t, got["timeline"], len(a.Timeline))
	assert.Equal(t, true, got["verification"].(map[string]any)["intact"])
	ev := got["evidence"].([]any)[0].(map[string]any)
	assert.Equal(t, true, ev["verified"])
	assert.Equal(t, ev["timeline_sha256"], ev["recomputed_sha256"])
	inc := got["incident"].(map[string]any)
	assert.Equal(t, "Stale policy documents in the retrieval index", inc["review"].(map[string]any)["root_cause"])
	assert.NotEmpty(t, inc["containment"])
}

// What people and alerts wrote never becomes markup: HTML is escaped, Markdown's markup characters too.
func TestAuditEscapes(t *testing.T) {
	a := fixtureAudit(t)
	a.Incident.Title = `<script>alert(1)</script> **bold** | pipe`
	var h, m bytes.Buffer
	require.NoError(t, a.Write(&h, HTML))
	require.NoError(t, a.Write(&m, Markdown))
	assert.NotContains(t, h.String(), "<script>")
	assert.Contains(t, h.String(), "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.NotContains(t, h.String(), "<b>notify</b>")
	assert.Contains(t, m.String(), `&lt;script&gt;alert(1)&lt;/script&gt; \*\*bold\*\* \| pipe`)
	assert.Contains(t, m.String(), "Legal: &lt;b&gt;notify&lt;/b&gt;")
}

func TestCheckEvidence(t *testing.T) {
	content := []byte(`{"a":1}`)
	sum := incident.SnapshotSHA256(content)
	ref := EvidenceCheck{SnapshotID: "s", TimelineSHA256: sum}
	for _, tt := range []struct {
		name     string
		stored   *StoredEvidence
		verified bool
		problem  string
	}{
		{"intact", &StoredEvidence{SHA256: sum, Content: content}, true, ""},
		{"missing", nil, false, "not stored"},
		{"bytes altered", &StoredEvidence{SHA256: sum, Content: []byte(`{"a":2}`)}, false, "do not hash to the stored SHA-256"},
		{"replaced with its hash", &StoredEvidence{SHA256: incident.SnapshotSHA256([]byte("x")), Content: []byte("x")}, false, "not the one the timeline recorded"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckEvidence(ref, tt.stored)
			assert.Equal(t, tt.verified, got.Verified)
			if tt.problem == "" {
				assert.Empty(t, got.Problem)
			} else {
				assert.Contains(t, got.Problem, tt.problem)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Format
		err  string
	}{
		{"", JSON, ""}, {"json", JSON, ""}, {"Markdown", Markdown, ""}, {"md", Markdown, ""}, {" html ", HTML, ""}, {"PDF", PDF, ""},
		{"docx", "", `format: "docx" is not json, markdown, html or pdf`}, {"<x>", "", "format:"},
	} {
		got, err := ParseFormat(tt.in)
		if tt.err != "" {
			assert.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		assert.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestCSV(t *testing.T) {
	inc, _, _ := fixture(t)
	var b bytes.Buffer
	w, err := NewCSVWriter(&b)
	require.NoError(t, err)
	require.NoError(t, w.Write(inc, inc.ReviewComplete(), time.Time{}))
	evil := *inc
	evil.Title, evil.AISystem, evil.ContainedAt, evil.ResolvedAt = `=HYPERLINK("http://x","click")`, "-1+2", time.Time{}, time.Time{}
	forty := int64(40)
	evil.Taxonomy = &incident.Taxonomy{OWASPLLM: []string{"LLM01", "LLM06"}, ATLASTactics: []string{"AML.TA0005"},
		NISTRisks: []string{"information_security", "data_privacy"}, Harm: "fundamental_rights", PeopleAffected: &forty,
		DeploymentBreadth: "member_state"}
	require.NoError(t, w.Write(&evil, false, t0.Add(15*24*time.Hour)))
	require.NoError(t, w.Flush())
	golden(t, "incidents.csv", b.Bytes())
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	assert.Equal(t, "180", rows[1][col["seconds_to_acknowledge"]])
	assert.Equal(t, "361", rows[1][col["seconds_to_contain"]])
	assert.Equal(t, `'=HYPERLINK("http://x","click")`, rows[2][col["title"]], "a formula opens as text")
	assert.Equal(t, "'-1+2", rows[2][col["ai_system"]])
	assert.Equal(t, "", rows[2][col["seconds_to_contain"]], "closed is not set either")
	assert.Equal(t, "LLM01 LLM06", rows[2][col["owasp_llm"]])
	assert.Equal(t, "40", rows[2][col["people_affected"]])
	assert.Equal(t, "", rows[1][col["people_affected"]], "not classified")
}
