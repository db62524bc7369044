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
