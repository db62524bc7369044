package receiver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goNames are what no error answer may show: Go's type names and encoding/json's own wording.
const goNames = `webhook\.|incident\.|Go struct field|Go value|json: cannot unmarshal|json: unknown field|\[\]webhook|map\[string\]|float64|time\.Time`

// answerOf sends a request and returns the status, the answer's headers and its body.
func answerOf(t *testing.T, method, url string, body []byte, header http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// Every route of the receiver, crossed with every way a request can be wrong: each answer is JSON {"error": ...}
// with the fitting status, names the field where there is one, and shows no Go type names.
func TestEveryErrorIsJSON(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("t0ken"), 0o600))
	r := startReceiver(t, map[string]string{"FIREBREAK_API_TOKEN": apiToken}, "--token-file", tokenFile,
		"--spool-dir", filepath.Join(dir, "spool"), "--clickhouse-dsn", unreachableDSN, "--max-body-bytes", "64KiB")
	sender := http.Header{"Authorization": {"Bearer t0ken"}, "Content-Type": {"application/json"}}
	plugin := http.Header{"Authorization": {"Bearer " + apiToken}, "Content-Type": {"application/json"}}

	type wrong struct {
		body  string // "" for none
		query string
		want  string // in the error, e.g. the field
	}
	routes := []struct {
		method, path string
		header       http.Header
		limit        int // bytes
		wrongMethod  string
		allow        string
		malformed    *wrong // routes that take JSON
		wrongType    *wrong
	}{
		{"POST", "/api/v1/webhook", sender, 64 << 10, "GET", "POST",
			&wrong{body: `{"status":"firing","alerts":[`, want: "invalid notification: invalid JSON"},
			&wrong{body: `{"status":"firing","version":"4","alerts":[{"status":"firing","labels":{"a":"b"}},{"status":"firing","labels":{"severity":7}}]}`,
				want: "alerts[1].labels.severity: expected a string, got 7"}},
		{"POST", "/api/v1/commands", plugin, maxCommandBytes, "PUT", "POST",
			&wrong{body: `{"id":"1","kind":"declare",`, want: "invalid command: invalid JSON"},
			&wrong{body: `{"id":"1","kind":"declare","actor":{"login":"a","role":"Editor"},"declare":{"title":"t","severity":"SEV1","drill":"yes"}}`,
				want: `declare.drill: expected true or false, got "yes"`}},
		{"GET", "/api/v1/deadlines", plugin, maxBodilessBytes, "POST", "GET, HEAD", nil,
			&wrong{query: "?now=yesterday", want: `now: want a non-negative number of seconds, got "yesterday"`}},
		{"GET", "/api/v1/sla", plugin, maxBodilessBytes, "PUT", "GET, HEAD", nil, nil},
		{"GET", "/-/healthy", nil, maxBodilessBytes, "DELETE", "GET, HEAD", nil, nil},
		{"GET", "/-/ready", nil, maxBodilessBytes, "PATCH", "GET, HEAD", nil, nil},
		{"GET", "/metrics", nil, maxBodilessBytes, "POST", "GET, HEAD", nil, nil},
	}
	check := func(t *testing.T, status int, header http.Header, body string, wantStatus int, want string) {
		t.Helper()
		assert.Equal(t, wantStatus, status, body)
		assert.Equal(t, "application/json", header.Get("Content-Type"))
		var out map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &out), "errors are JSON: %s", body)
		msg, _ := out["error"].(string)
		assert.NotEmpty(t, msg, body)
		assert.Contains(t, msg, want)
		assert.NotRegexp(t, goNames, msg)
		assert.NotContains(t, body, "t0ken")
		assert.NotContains(t, body, apiToken)
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			t.Run("unknown path", func(t *testing.T) {
				status, ct, body := answerOf(t, rt.method, r.url+rt.path+"/nope", nil, rt.header)
				check(t, status, ct, body, 404, "no such route: "+rt.method+" "+rt.path+"/nope")
			})
			t.Run("wrong method", func(t *testing.T) {
				status, ct, body := answerOf(t, rt.wrongMethod, r.url+rt.path, nil, rt.header)
				check(t, status, ct, body, 405, "method "+rt.wrongMethod+" is not allowed on "+rt.path)
				assert.Equal(t, rt.allow, ct.Get("Allow"))
			})
			t.Run("oversize body", func(t *testing.T) {
				status, ct, body := answerOf(t, rt.method, r.url+rt.path, bytes.Repeat([]byte(" "), rt.limit+1), rt.header)
				check(t, status, ct, body, 413, "larger than")
			})
			if rt.malformed != nil {
				t.Run("malformed JSON", func(t *testing.T) {
					status, ct, body := answerOf(t, rt.method, r.url+rt.path, []byte(rt.malformed.body), rt.header)
					check(t, status, ct, body, 400, rt.malformed.want)
				})
			}
			if rt.wrongType != nil {
				t.Run("wrong-typed field", func(t *testing.T) {
					status, ct, body := answerOf(t, rt.method, r.url+rt.path+rt.wrongType.query, []byte(rt.wrongType.body), rt.header)
					check(t, status, ct, body, 400, rt.wrongType.want)
				})
			}
		})
	}
	// Unknown paths outside the API too, with or without credentials.
	for _, p := range []string{"/", "/api/v2/webhook", "/-/nope", "/metrics/x"} {
		status, ct, body := answerOf(t, "GET", r.url+p, nil, nil)
		check(t, status, ct, body, 404, "no such route")
	}
}
