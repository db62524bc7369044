package plugin

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A SEV1/SEV2 review is complete only with its five parts: what happened, why, actions with owners and dates,
// playbook changes and regulatory follow-up; each may say "none" explicitly. The detail, the list (ClickHouse's
// state rows) and closing agree. SEV3 keeps its rules.
func TestReviewNeedsItsFiveParts(t *testing.T) {
	e := newEnv(t)
	start := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	happenedAndWhy := map[string]any{"started_at": start, "detected_at": start, "impact": "wrong refund policy quoted",
		"affected": "40 customers", "root_cause_class": "bad_data", "root_cause": "stale policy documents in the index"}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range happenedAndWhy {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	items := []map[string]string{{"text": "Re-index nightly", "owner": "bob", "due": "2030-01-31", "status": "open"}}
	// state waits for the incident's row in ClickHouse after the review (the row of that event, not an older one).
	state := func(id string, seq float64, want string) {
		t.Helper()
		e.waitRows(t, fmt.Sprintf("SELECT toString(severity), review_complete FROM {db}.incidents WHERE incident_id = '%s' AND last_seq = %v", id, seq), want)
	}
	resolved := func(sev string) string {
		id := e.declare(t, aliceUser, sev)
		status, raw := callResource(t, e.a, adminUser, "POST", "incidents/"+id+"/status", map[string]string{"status": "resolved"})
		require.Equal(t, 200, status, raw)
		return id
	}
	review := func(id string, body map[string]any) float64 {
		t.Helper()
		status, raw := callResource(t, e.a, aliceUser, "PUT", "incidents/"+id+"/review", body)
		require.Equal(t, 200, status, raw)
		return decode(t, raw)["incident"].(map[string]any)["last_seq"].(float64)
	}
	missing := func(id string) []any {
		t.Helper()
		status, raw := callResource(t, e.a, viewerUser, "GET", "incidents/"+id, nil)
		require.Equal(t, 200, status, raw)
		m, _ := decode(t, raw)["review_missing"].([]any)
		return m
	}

	// SEV1: what happened, why and the actions, but no playbook changes and no regulatory follow-up: not complete.
	sev1 := resolved("SEV1")
	seq := review(sev1, with(map[string]any{"action_items": items}))
	assert.Equal(t, []any{"playbook_changes", "regulatory_follow_up"}, missing(sev1))
	state(sev1, seq, "SEV1\t0\n")
	status, raw := callResource(t, e.a, adminUser, "POST", "incidents/"+sev1+"/close", nil)
	assert.Equal(t, 409, status, raw)
	assert.Contains(t, decode(t, raw)["error"], "missing: playbook_changes, regulatory_follow_up")
	// Blank is not "none".
	review(sev1, with(map[string]any{"action_items": items, "playbook_changes": " ", "regulatory_follow_up": "none"}))
	assert.Equal(t, []any{"playbook_changes"}, missing(sev1))
	seq = review(sev1, with(map[string]any{"action_items": items, "playbook_changes": "Check retrieval freshness in the hallucination runbook",
		"regulatory_follow_up": "none"}))
	assert.Empty(t, missing(sev1))
	state(sev1, seq, "SEV1\t1\n")
	status, raw = callResource(t, e.a, adminUser, "POST", "incidents/"+sev1+"/close", nil)
	require.Equal(t, 200, status, raw)

	// SEV2: no actions is said explicitly, as is no playbook change and no regulatory follow-up.
	sev2 := resolved("SEV2")
	review(sev2, with(map[string]any{"action_items": []any{}, "playbook_changes": "none", "regulatory_follow_up": "none"}))
	assert.Equal(t, []any{"action_items"}, missing(sev2), "no action items is not the same as saying there are none")
	seq = review(sev2, with(map[string]any{"action_items_none": true, "playbook_changes": "none", "regulatory_follow_up": "none"}))
	assert.Empty(t, missing(sev2))
	state(sev2, seq, "SEV2\t1\n")
	status, raw = callResource(t, e.a, aliceUser, "PUT", "incidents/"+sev2+"/review", with(map[string]any{"action_items_none": true, "action_items": items}))
	assert.Equal(t, 400, status, raw)
	assert.Contains(t, decode(t, raw)["error"], "review.action_items_none")
	status, raw = callResource(t, e.a, adminUser, "POST", "incidents/"+sev2+"/close", nil)
	require.Equal(t, 200, status, raw)

	// SEV3 keeps its rules: complete without playbook changes and regulatory follow-up.
	sev3 := resolved("SEV3")
	seq = review(sev3, with(map[string]any{"action_items": items}))
	assert.Empty(t, missing(sev3))
	state(sev3, seq, "SEV3\t1\n")
}
