package plugin

import (
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Once an incident has a lead, only that lead or an Admin hands the role on; a vacant lead role is open to Editors.
// Every change is on the timeline.
func TestLeadHandOver(t *testing.T) {
	e := newEnv(t)
	id := e.declare(t, aliceUser, "SEV1")
	p := "incidents/" + id
	lead := func(u *backend.User, to string) (int, map[string]any) {
		t.Helper()
		status, raw := callResource(t, e.a, u, "POST", p+"/roles", map[string]string{"role": "incident_lead", "user": to})
		return status, decode(t, raw)
	}
	carol := &backend.User{Login: "carol", Role: "Editor"}

	status, out := lead(aliceUser, "alice")
	require.Equal(t, 200, status, "an Editor takes the vacant lead role: %v", out)
	status, out = lead(bobUser, "bob")
	assert.Equal(t, 403, status, out)
	assert.Contains(t, out["error"], "only the incident lead (alice) or an Admin may hand on the incident lead role")
	// So bob cannot go on to resolve, lower the severity or close.
	status, raw := callResource(t, e.a, bobUser, "POST", p+"/status", map[string]string{"status": "resolved"})
	assert.Equal(t, 403, status, raw)
	// Other roles stay open to Editors.
	status, raw = callResource(t, e.a, bobUser, "POST", p+"/roles", map[string]string{"role": "technical_lead", "user": "bob"})
	require.Equal(t, 200, status, raw)

	status, out = lead(&backend.User{Login: "Alice", Role: "Editor"}, "bob")
	require.Equal(t, 200, status, "the lead hands on (logins compare case-insensitively): %v", out)
	status, out = lead(aliceUser, "alice")
	assert.Equal(t, 403, status, "alice is no longer the lead: %v", out)
	status, out = lead(adminUser, "carol")
	require.Equal(t, 200, status, "an Admin hands on: %v", out)
	status, out = lead(carol, "alice")
	require.Equal(t, 200, status, out)

	status, raw = callResource(t, e.a, viewerUser, "GET", p, nil)
	require.Equal(t, 200, status, raw)
	d := decode(t, raw)
	var handovers []string
	for _, ev := range d["timeline"].([]any) {
		ev := ev.(map[string]any)
		if ev["kind"] == "role_assigned" {
			handovers = append(handovers, ev["actor"].(string)+": "+ev["message"].(string))
		}
	}
	assert.Equal(t, []string{
		"user:alice: alice assigned alice as incident lead",
		"user:bob: bob assigned bob as technical lead",
		"user:Alice: Alice handed the incident lead role from alice to bob",
		"user:root: root handed the incident lead role from bob to carol",
		"user:carol: carol handed the incident lead role from carol to alice",
	}, handovers)
	e.waitRows(t, "SELECT incident_lead FROM {db}.incidents WHERE incident_id = '"+id+"'", "alice\n")
	e.waitRows(t, "SELECT count() FROM {db}.incident_events WHERE incident_id = '"+id+"' AND kind = 'role_assigned'", "5\n")
}
