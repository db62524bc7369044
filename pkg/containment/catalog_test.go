package containment

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

var secrets = map[string]string{SecretKey("supportbot", "rollback"): "s3cret-rollback-0123"}

func TestParseCatalog(t *testing.T) {
	cat, err := ParseCatalog(json.RawMessage(`{"supportbot": [{"id": "rollback", "kind": "rollback_model",
		"label": "Roll back the model", "url": "http://bot:9100/containment/rollback?token=abc",
		"dryRunUrl": "http://bot:9100/containment/dry-run/rollback", "statusUrl": "http://bot:9100/containment/status",
		"body": "{\"incident_id\": \"{{incident_id}}\", \"reason\": \"{{ reason }}\"}", "timeout": "3s",
		"requiresApproval": true, "headers": {"X-Team": "ml"}}]}`), secrets)
	require.NoError(t, err)
	a := cat.Lookup("supportbot", "rollback")
	require.NotNil(t, a)
	assert.Equal(t, "POST", a.Method)
	assert.Equal(t, 3*time.Second, a.Timeout)
	assert.Equal(t, DefaultRetries, a.Retries)
	assert.Equal(t, []string{"Editor", "Admin"}, a.RequestRoles)
	assert.Equal(t, "s3cret-rollback-0123", a.Secret)
	assert.False(t, a.Retryable(), "a POST is not retried unless the endpoint is idempotent")
	assert.Nil(t, cat.Lookup("supportbot", "nope"))
	assert.Nil(t, cat.Lookup("other", "rollback"))
	assert.Equal(t, []string{"s3cret-rollback-0123", "ml"}, cat.Secrets(), "secrets and header values")
	assert.Equal(t, "http://bot:9100/containment/rollback", Redact(a.URL), "the query may carry a token")

	empty, err := ParseCatalog(nil, nil)
	require.NoError(t, err)
	assert.Empty(t, empty.All())
}

func TestParseCatalogErrorsNameTheField(t *testing.T) {
	base := func(mod string) string {
		return `{"supportbot": [{"id": "rollback", "kind": "rollback_model", "label": "Roll back", "url": "http://bot/x"` + mod + `}]}`
	}
	for _, tc := range []struct {
		name, json, want string
		secrets          map[string]string
	}{
		{"not an object", `[1]`, "jsonData.containment: expected an object, got an array", secrets},
		{"unknown field", base(`, "urll": "x"`), `jsonData.containment.supportbot[0].urll: unknown field`, secrets},
		{"wrong type", base(`, "requiresApproval": "yes"`), `jsonData.containment.supportbot[0].requiresApproval: expected true or false, got "yes"`, secrets},
		{"wrong header type", base(`, "headers": {"X-Api-Key": 7}`), `jsonData.containment.supportbot[0].headers.X-Api-Key: expected a string, got 7`, secrets},
		{"id", strings.Replace(base(""), `"rollback"`, `"Roll Back!"`, 1), "supportbot[0].id", secrets},
		{"kind", strings.Replace(base(""), "rollback_model", "nuke", 1), "supportbot[0].kind", secrets},
		{"label", strings.Replace(base(""), `"Roll back"`, `" "`, 1), "supportbot[0].label: missing", secrets},
		{"method", base(`, "method": "TRACE"`), "supportbot[0].method", secrets},
		{"url scheme", strings.Replace(base(""), "http://bot/x", "file:///etc/passwd", 1), "supportbot[0].url", secrets},
		{"url credentials", strings.Replace(base(""), "http://bot/x", "http://u:p@bot/x", 1), "credentials in the URL", secrets},
		{"dry run url", base(`, "dryRunUrl": "bot/x"`), "supportbot[0].dryRunUrl", secrets},
		{"reserved header", base(`, "headers": {"X-Firebreak-Signature": "x"}`), "supportbot[0].headers", secrets},
		{"template placeholder", base(`, "body": "{{password}}"`), "unknown placeholder {{password}}", secrets},
		{"template json", base(`, "body": "{\"reason\": {{reason}}}"`), "not a JSON template", secrets},
		{"template form", base(`, "body": "share=1&reason={{reason}}"`), "not a JSON template", secrets},
		{"short secret", base(""), "shorter than 16 characters", map[string]string{SecretKey("supportbot", "rollback"): "abc123"}},
		{"timeout", base(`, "timeout": "2h"`), "supportbot[0].timeout", secrets},
		{"retries", base(`, "retries": 9`), "supportbot[0].retries", secrets},
		{"viewer role", base(`, "requestRoles": ["Viewer"]`), "Viewers never run containment", secrets},
		{"secret", base(""), `secureJsonData["containment.supportbot.rollback.secret"]`, nil},
		{"duplicate id", `{"supportbot": [{"id": "rollback", "kind": "custom", "label": "a", "url": "http://bot/a"},
			{"id": "rollback", "kind": "custom", "label": "b", "url": "http://bot/b"}]}`, "supportbot[1].id: \"rollback\" is used twice", secrets},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCatalog(json.RawMessage(tc.json), tc.secrets)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotRegexp(t, `Go struct field|Go value|json: |containment\.actionJSON|map\[string\]`, err.Error(), "no Go names")
			for _, s := range tc.secrets {
				assert.NotContains(t, err.Error(), s)
			}
		})
	}
}

func TestRenderEscapesValues(t *testing.T) {
	tmpl := `{"incident_id": "{{incident_id}}", "reason": "{{reason}}", "by": "{{requester}}", "sev": "{{severity}}"}`
	out := Render(tmpl, TemplateVars{IncidentID: "i-1", Reason: "he said \"stop\"\n\\ now </script>", Requester: "alice", Severity: "SEV1"})
	var m map[string]string
	require.NoError(t, json.Unmarshal(out, &m), string(out))
	assert.Equal(t, map[string]string{"incident_id": "i-1", "reason": "he said \"stop\"\n\\ now </script>", "by": "alice", "sev": "SEV1"}, m)
	assert.Equal(t, "", string(Render("", TemplateVars{IncidentID: "x"})))
}

func TestMayRequest(t *testing.T) {
	a := &Action{Label: "Revoke the key", RequestRoles: []string{"Admin", incident.RoleTechnicalLead}}
	inc := &incident.Incident{Roles: map[string]string{incident.RoleTechnicalLead: "tess"}}
	for _, tc := range []struct {
		who  incident.Actor
		ok   bool
		want string
	}{
		{incident.Actor{Login: "vic", Role: incident.Viewer}, false, "viewers can see containment actions but not request them"},
		{incident.Actor{Login: "tess", Role: incident.Viewer}, false, "viewers"},
		{incident.Actor{Login: "alice", Role: incident.Editor}, false, "may be requested by Admin, technical_lead only"},
		{incident.Actor{Login: "ada", Role: incident.Admin}, true, ""},
		{incident.Actor{Login: "tess", Role: incident.Editor}, true, ""},
		{incident.Actor{Login: "TESS", Role: incident.Editor}, true, ""}, // logins are case-insensitive, as in Grafana
		{incident.Actor{Login: "", Role: incident.Editor}, false, "may be requested by"},
		{incident.Actor{Login: "root", Role: incident.Admin}, true, ""},
	} {
		ok, why := a.MayRequest(tc.who, inc)
		assert.Equal(t, tc.ok, ok, tc.who)
		assert.Contains(t, why, tc.want)
	}
}

func TestDeadlineCoversEveryTry(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	post := &Action{Method: "POST", Timeout: 2 * time.Second, Retries: 2}
	assert.Equal(t, now.Add(2*time.Second+5*time.Second), post.Deadline(now), "one try")
	put := &Action{Method: "PUT", Timeout: 2 * time.Second, Retries: 2}
	assert.Equal(t, now.Add(3*2*time.Second+250*time.Millisecond+500*time.Millisecond+5*time.Second), put.Deadline(now))
}

func TestSecretHeadersFromSecureJSONData(t *testing.T) {
	const raw = `{"supportbot": [{"id": "rollback", "kind": "rollback_model", "label": "Roll back", "url": "http://bot/x",
		"headers": {"X-Team": "ml"}}], "other.bot": [{"id": "off", "kind": "custom", "label": "Off", "url": "http://other/off"}]}`
	sec := map[string]string{
		SecretKey("supportbot", "rollback"):                        "s3cret-rollback-0123",
		SecretHeaderKey("supportbot", "rollback", "authorization"): "Bearer tok-abc-123",
		SecretHeaderKey("supportbot", "rollback", "X-Api-Key"):     "key-def-456",
		SecretKey("other.bot", "off"):                              "s3cret-off-0123456",
		SecretHeaderKey("other.bot", "off", "X-Api-Key"):           "key-other-789",
	}
	cat, err := ParseCatalog(json.RawMessage(raw), sec)
	require.NoError(t, err)
	a := cat.Lookup("supportbot", "rollback")
	assert.Equal(t, map[string]string{"Authorization": "Bearer tok-abc-123", "X-Api-Key": "key-def-456"}, a.SecretHeaders)
	assert.Equal(t, map[string]string{"X-Team": "ml"}, a.Headers)
	assert.Equal(t, []string{"Authorization", "X-Api-Key", "X-Team"}, a.HeaderNames())
	assert.Equal(t, map[string]string{"X-Api-Key": "key-other-789"}, cat.Lookup("other.bot", "off").SecretHeaders, "a system name with a dot")
	assert.Subset(t, cat.Secrets(), []string{"Bearer tok-abc-123", "key-def-456", "key-other-789"}, "scrubbed from answers like the secret")

	// Rotating a credential is no change of the action (a pending request still runs); adding a header is.
	digest := a.Digest()
	sec[SecretHeaderKey("supportbot", "rollback", "X-Api-Key")] = "key-rotated-000"
	rotated, err := ParseCatalog(json.RawMessage(raw), sec)
	require.NoError(t, err)
	assert.Equal(t, digest, rotated.Lookup("supportbot", "rollback").Digest())
	sec[SecretHeaderKey("supportbot", "rollback", "X-Tenant")] = "t-1"
	more, err := ParseCatalog(json.RawMessage(raw), sec)
	require.NoError(t, err)
	assert.NotEqual(t, digest, more.Lookup("supportbot", "rollback").Digest())
	assert.Equal(t, (&Action{Kind: "custom", Method: "POST", URL: "http://x"}).Digest(), (&Action{Kind: "custom", Method: "POST", URL: "http://x"}).Digest())

	base := map[string]string{SecretKey("supportbot", "rollback"): "s3cret-rollback-0123"}
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"unknown action", SecretHeaderKey("supportbot", "rolback", "X-Api-Key"), "v-secret-1", `secureJsonData["containment.supportbot.rolback.headers.X-Api-Key"]: no containment action has this header key`},
		{"unknown system", SecretHeaderKey("support-bot", "rollback", "X-Api-Key"), "v-secret-2", "no containment action has this header key"},
		{"reserved", SecretHeaderKey("supportbot", "rollback", "X-Firebreak-Signature"), "v-secret-3", `"X-Firebreak-Signature" is not a header name Firebreak lets you set`},
		{"bad name", SecretHeaderKey("supportbot", "rollback", "X Api"), "v-secret-4", `"X Api" is not a header name`},
		{"empty", SecretHeaderKey("supportbot", "rollback", "X-Api-Key"), "", `secureJsonData["containment.supportbot.rollback.headers.X-Api-Key"] is empty`},
		{"line break", SecretHeaderKey("supportbot", "rollback", "X-Api-Key"), "v-secret-5\r\nX-Evil: 1", "holds a control character"},
		{"both places", SecretHeaderKey("supportbot", "rollback", "x-team"), "v-secret-6", `headers.X-Team: set both in jsonData and in secureJsonData["containment.supportbot.rollback.headers.x-team"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sec := map[string]string{tc.key: tc.value}
			for k, v := range base {
				sec[k] = v
			}
			_, err := ParseCatalog(json.RawMessage(raw[:strings.Index(raw, `, "other.bot"`)]+"}"), sec)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			if tc.value != "" {
				assert.NotContains(t, err.Error(), tc.value, "the value is never in a message")
				assert.NotContains(t, err.Error(), "v-secret")
			}
		})
	}
}
