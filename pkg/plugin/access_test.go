package plugin

import (
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every route but the liveness ping needs a signed-in Grafana user with an org role, reads as much as changes: no
// user and org role None get 403 with the reason.
func TestEveryRouteNeedsASignedInUserWithARole(t *testing.T) {
	ce := newContainmentEnv(t)
	id := ce.declare(t, aliceUser, "SEV2")
	code, out := ce.call(t, aliceUser, "POST", "incidents/"+id+"/containment", map[string]string{"action": "disable"})
	require.Equal(t, 200, code, out)
	code, ev := ce.call(t, viewerUser, "GET", "incidents/"+id+"/evidence", nil)
	require.Equal(t, 200, code, ev)
	snap := ev["snapshots"].([]any)[0].(map[string]any)["snapshot_id"].(string)
	p := "incidents/" + id

	routes := []struct{ method, path string }{
		{"GET", "incidents"},
		{"GET", p},
		{"GET", p + "/verify"},
		{"GET", "stats"},
		{"GET", p + "/containment"},
		{"GET", p + "/evidence"},
		{"GET", p + "/evidence/" + snap},
		{"GET", p + "/evidence/" + snap + "?download=1"},
		{"GET", p + "/timeline"},
		{"GET", p + "/alerts?status=firing"},
		{"GET", "containment/readiness"},
		{"POST", "incidents"},
		{"POST", p + "/acknowledge"},
		{"POST", p + "/notes"},
		{"POST", p + "/roles"},
		{"PUT", p + "/review"},
		{"POST", p + "/containment"},
	}
	for _, u := range []struct {
		name string
		user *backend.User
		want string
	}{
		{"no user", nil, "signed-in Grafana user"},
		{"no login", &backend.User{Role: "Admin"}, "signed-in Grafana user"},
		{"role None", &backend.User{Login: "nora", Role: "None"}, `nora has the org role "None"`},
		{"unknown role", &backend.User{Login: "nora", Role: "Owner"}, `nora has the org role "Owner"`},
	} {
		for _, r := range routes {
			t.Run(u.name+" "+r.method+" "+r.path, func(t *testing.T) {
				status, raw := callResource(t, ce.a, u.user, r.method, r.path, map[string]string{"text": "x"})
				assert.Equal(t, 403, status, raw)
				assert.Contains(t, decode(t, raw)["error"], u.want)
			})
		}
	}
	status, raw := callResource(t, ce.a, nil, "GET", "ping", nil)
	assert.Equal(t, 200, status, "the liveness ping stays open: %s", raw)
	for _, r := range routes[:10] {
		status, raw := callResource(t, ce.a, viewerUser, r.method, r.path, nil)
		assert.Equal(t, 200, status, "%s %s: viewers read: %s", r.method, r.path, raw)
	}
}
