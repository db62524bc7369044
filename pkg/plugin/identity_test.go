package plugin

import (
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Grafana logins are case-insensitive, and so is every comparison of people here: ALICE is alice.
func TestIdentitiesCompareCaseInsensitively(t *testing.T) {
	ce := newContainmentEnv(t)
	id := ce.declare(t, aliceUser, "SEV1")
	p := "incidents/" + id + "/containment"

	// ALICE (an Admin) may not approve alice's own containment request.
	code, out := ce.call(t, aliceUser, "POST", p, map[string]string{"action": "rollback", "reason": "v2 hallucinates"})
	require.Equal(t, 200, code, out)
	rid := request(out)["request_id"].(string)
	shouting := &backend.User{Login: "ALICE", Role: "Admin"}
	code, list := ce.call(t, shouting, "GET", p, nil)
	require.Equal(t, 200, code, list)
	assert.Equal(t, false, list["requests"].([]any)[0].(map[string]any)["may_approve"])
	code, out = ce.call(t, shouting, "POST", p+"/"+rid+"/approve", nil)
	assert.Equal(t, 403, code, out)
	assert.Contains(t, out["error"], "nobody may approve their own containment request")
	assert.Equal(t, "v2", ce.bot.status(t)["model_version"], "nothing ran")

	// The lead is "Bob"; bob is that lead: he approves, resolves and may request what only the lead may.
	code, _ = ce.call(t, aliceUser, "POST", "incidents/"+id+"/roles", map[string]string{"role": "incident_lead", "user": "Bob"})
	require.Equal(t, 200, code)
	code, list = ce.call(t, bobUser, "GET", p, nil)
	require.Equal(t, 200, code, list)
	var revoke map[string]any
	for _, a := range list["actions"].([]any) {
		if a := a.(map[string]any); a["id"] == "revoke" {
			revoke = a
		}
	}
	assert.Equal(t, true, revoke["may_request"], "%v", revoke)
	code, out = ce.call(t, bobUser, "POST", p+"/"+rid+"/approve", map[string]string{"reason": "go"})
	require.Equal(t, 200, code, out)
	assert.Equal(t, "succeeded", request(out)["state"])
	code, out = ce.call(t, bobUser, "POST", "incidents/"+id+"/status", map[string]string{"status": "resolved", "reason": "rolled back"})
	assert.Equal(t, 200, code, out)
	ce.waitRows(t, "SELECT kind, actor FROM {db}.incident_events WHERE incident_id = '"+id+"' AND kind IN ('containment_requested', "+
		"'containment_approved', 'resolved') ORDER BY seq", "containment_requested\tuser:alice\ncontainment_approved\tuser:bob\nresolved\tuser:bob\n")
}
