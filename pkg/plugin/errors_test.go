package plugin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goNames are what no error answer may show: Go's type names and encoding/json's own wording.
const goNames = `incident\.|plugin\.|containment\.|Go struct field|Go value|json: cannot unmarshal|json: unknown field|time\.Time|map\[string\]`

// resourceAnswer is one resource call's status, headers and body, through the SDK's resource path.
func resourceAnswer(t *testing.T, a *App, user *backend.User, method, path string, body []byte) (int, map[string][]string, string) {
	t.Helper()
	sender := &recordingSender{}
	pathOnly, _, _ := strings.Cut(path, "?")
	err := a.CallResource(context.Background(), &backend.CallResourceRequest{
		PluginContext: backend.PluginContext{PluginID: ID, OrgID: 1, User: user, AppInstanceSettings: &backend.AppInstanceSettings{}},
		Path:          pathOnly, Method: method, URL: "/" + path, Body: body,
		Headers: map[string][]string{"Content-Type": {"application/json"}},
	}, sender)
	require.NoError(t, err)
	require.NotEmpty(t, sender.responses)
	var out strings.Builder
	for _, r := range sender.responses {
		out.Write(r.Body)
	}
	return sender.responses[0].Status, sender.responses[0].Headers, out.String()
}

// Every resource route of the plugin, crossed with every way a request can be wrong: each answer is JSON
// {"error": ...} with the fitting status, names the field where there is one, and shows no Go type names.
func TestEveryErrorIsJSON(t *testing.T) {
	e := newEnv(t)
	id := e.declare(t, aliceUser, "SEV2")
	inc := "incidents/" + id
	type wrong struct{ body, want string }
	malformed := &wrong{`{"text": "a",`, "invalid JSON body: invalid JSON"}
	routes := []struct {
		method, path string
		wrongMethod  string
		allow        string
		wrongType    *wrong // routes that take a JSON body
	}{
		{"GET", "ping", "POST", "GET, HEAD", nil},
		{"GET", "incidents", "DELETE", "GET, HEAD, POST", nil},
		{"POST", "incidents", "PUT", "GET, HEAD, POST", &wrong{`{"title":"t","severity":"SEV1","category":"bias","ai_system":"s","reported_via":"legal","drill":"yes"}`,
			`drill: expected true or false, got "yes"`}},
		{"GET", inc, "POST", "GET, HEAD", nil},
		{"GET", inc + "/verify", "POST", "GET, HEAD", nil},
		{"GET", inc + "/timeline", "POST", "GET, HEAD", nil},
		{"GET", inc + "/alerts", "DELETE", "GET, HEAD", nil},
		{"GET", "stats", "PUT", "GET, HEAD", nil},
		{"GET", inc + "/containment", "DELETE", "GET, HEAD, POST", nil},
		{"POST", inc + "/containment", "PATCH", "GET, HEAD, POST", &wrong{`{"action":["disable"]}`, "action: expected a string, got an array"}},
		{"POST", inc + "/containment/r1/approve", "GET", "POST", &wrong{`{"reason":false}`, "reason: expected a string, got false"}},
		{"POST", inc + "/containment/r1/reject", "GET", "POST", &wrong{`{"reason":{"why":"x"}}`, "reason: expected a string, got an object"}},
		{"POST", inc + "/containment/r1/retry", "GET", "POST", nil},
		{"GET", "containment/readiness", "POST", "GET, HEAD", nil},
		{"GET", inc + "/evidence", "POST", "GET, HEAD", nil},
		{"GET", inc + "/evidence/s1", "DELETE", "GET, HEAD", nil},
		{"POST", inc + "/acknowledge", "GET", "POST", nil},
		{"POST", inc + "/severity", "PUT", "POST", &wrong{`{"severity":1,"reason":"x"}`, "severity: expected a string, got 1"}},
		{"POST", inc + "/roles", "PUT", "POST", &wrong{`{"role":"incident_lead","user":["bob"]}`, "user: expected a string, got an array"}},
		{"POST", inc + "/notes", "GET", "POST", &wrong{`{"text":5}`, "text: expected a string, got 5"}},
		{"POST", inc + "/status", "GET", "POST", &wrong{`{"status":"contained","reason":{}}`, "reason: expected a string, got an object"}},
		{"PUT", inc + "/review", "POST", "PUT", &wrong{`{"impact":"x","action_items":[{"text":"a","owner":"b","due":"2026-01-01","status":"open"},{"text":7}]}`,
			"action_items[1].text: expected a string, got 7"}},
		{"POST", inc + "/close", "GET", "POST", nil},
		{"POST", inc + "/regulatory", "GET", "POST", &wrong{`{"regime":"gdpr","aware_at":"yesterday"}`,
			`aware_at: expected a time like "2026-01-02T15:04:05Z" (RFC 3339), got "yesterday"`}},
		{"POST", inc + "/regulatory/reports", "GET", "POST", &wrong{`{"regime":"gdpr","authority":"CNIL","report":"initial","sent_at":12}`,
			`sent_at: expected a time like "2026-01-02T15:04:05Z" (RFC 3339), got 12`}},
	}
	check := func(t *testing.T, status int, headers map[string][]string, body string, wantStatus int, want string) {
		t.Helper()
		assert.Equal(t, wantStatus, status, body)
		assert.Equal(t, []string{"application/json"}, headers["Content-Type"])
		var out map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &out), "errors are JSON: %s", body)
		msg, _ := out["error"].(string)
		assert.NotEmpty(t, msg, body)
		assert.Contains(t, msg, want)
		assert.NotRegexp(t, goNames, msg)
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+strings.ReplaceAll(rt.path, id, "{id}"), func(t *testing.T) {
			t.Run("unknown path", func(t *testing.T) {
				status, h, body := resourceAnswer(t, e.a, adminUser, rt.method, rt.path+"/x/y/z", nil)
				check(t, status, h, body, 404, "no such route: "+rt.method+" /"+rt.path+"/x/y/z")
			})
			t.Run("wrong method", func(t *testing.T) {
				status, h, body := resourceAnswer(t, e.a, adminUser, rt.wrongMethod, rt.path, nil)
				check(t, status, h, body, 405, "method "+rt.wrongMethod+" is not allowed on /"+rt.path)
				assert.Equal(t, []string{rt.allow}, h["Allow"])
			})
			t.Run("oversize body", func(t *testing.T) {
				big := []byte(`{"text":"` + strings.Repeat("x", maxRequestBytes) + `"}`)
				status, h, body := resourceAnswer(t, e.a, adminUser, rt.method, rt.path, big)
				check(t, status, h, body, 413, "body larger than the limit of 1 MiB")
			})
			if rt.wrongType == nil {
				return
			}
			t.Run("malformed JSON", func(t *testing.T) {
				status, h, body := resourceAnswer(t, e.a, adminUser, rt.method, rt.path, []byte(malformed.body))
				check(t, status, h, body, 400, malformed.want)
			})
			t.Run("wrong-typed field", func(t *testing.T) {
				status, h, body := resourceAnswer(t, e.a, adminUser, rt.method, rt.path, []byte(rt.wrongType.body))
				check(t, status, h, body, 400, rt.wrongType.want)
			})
		})
	}
	for _, p := range []string{"", "nope", "api/incidents", "incidents/" + id + "/nope"} {
		status, h, body := resourceAnswer(t, e.a, viewerUser, "GET", p, nil)
		check(t, status, h, body, 404, "no such route")
	}
}
