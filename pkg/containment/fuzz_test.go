package containment

import (
	"encoding/json"
	"strings"
	"testing"
)

// Any catalog JSON either parses into actions that pass their own checks or gives an error that names a field and
// never quotes a secret.
func FuzzParseCatalog(f *testing.F) {
	f.Add(`{"supportbot": [{"id": "rollback", "kind": "rollback_model", "label": "Roll back", "url": "http://bot/x", "timeout": "2s"}]}`)
	f.Add(`{"supportbot": [{"id": "rollback", "kind": "custom", "label": "x", "url": "http://u:p@bot/x"}]}`)
	f.Add(`{"a": [{"id": "rollback", "kind": "custom", "label": "x", "url": "http://b/", "body": "{\"r\": \"{{reason}}\"}"}]}`)
	f.Add(`{"": []}`)
	f.Add(`[]`)
	f.Add(`{"supportbot": [{"id": "rollback", "headers": {"Host": "evil"}}]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		secret := "fuzz-secret-value"
		cat, err := ParseCatalog(json.RawMessage(raw), map[string]string{SecretKey("supportbot", "rollback"): secret,
			SecretKey("a", "rollback"): secret})
		if err != nil {
			if !strings.Contains(err.Error(), "jsonData.containment") {
				t.Fatalf("error does not name the field: %v", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error quotes the secret: %v", err)
			}
			return
		}
		for _, a := range cat.All() {
			if a.Secret != secret || a.Timeout <= 0 || a.Timeout > MaxTimeout || checkURL(a.URL) != nil {
				t.Fatalf("accepted an action that fails its checks: %+v", a)
			}
		}
	})
}

// A template that is JSON stays JSON once filled in, whatever the values are.
func FuzzRender(f *testing.F) {
	f.Add(`{"reason": "{{reason}}", "id": "{{incident_id}}"}`, "he said \"stop\"\n", "\u2028</script>")
	f.Add(`["{{requester}}", "{{ action }}"]`, `\`, "\x00")
	f.Fuzz(func(t *testing.T, tmpl, reason, requester string) {
		if checkTemplate(tmpl) != nil || tmpl == "" {
			return
		}
		out := Render(tmpl, TemplateVars{Reason: reason, Requester: requester, IncidentID: requester, Action: reason})
		if !json.Valid(out) {
			t.Fatalf("template %q with %q / %q rendered invalid JSON: %s", tmpl, reason, requester, out)
		}
	})
}
