package plugin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/report"
)

func appSettings(jsonData string, secure map[string]string) backend.AppInstanceSettings {
	return backend.AppInstanceSettings{JSONData: []byte(jsonData), DecryptedSecureJSONData: secure, Updated: time.Now()}
}

var goodSecure = map[string]string{"clickhousePassword": "chpw", "receiverApiToken": "tok"}

func TestLoadSettings(t *testing.T) {
	s, err := LoadSettings(appSettings(`{"clickhouse":{"address":"ch:9000","tls":true},"receiver":{"url":"http://r:9095/"},
		"sla":{"SEV1":{"acknowledge":"5m"}},"escalation":{"SEV1":[{"name":"CTO","role":"leadership"}]}}`, goodSecure))
	require.NoError(t, err)
	assert.Equal(t, "firebreak", s.ClickHouse.Database)
	assert.Equal(t, "default", s.ClickHouse.User)
	assert.Equal(t, "http://r:9095", s.Receiver.URL)
	assert.Equal(t, 5*time.Minute, s.SLA[incident.SEV1].Acknowledge)
	assert.Equal(t, 4*time.Hour, s.SLA[incident.SEV1].Contain, "defaults kept where not set")
	assert.Equal(t, 72*time.Hour, s.SLA[incident.SEV3].Acknowledge)
	assert.Equal(t, []Contact{{Name: "CTO", Role: "leadership"}}, s.Escalation[incident.SEV1])
	assert.Equal(t, "clickhouse://default:chpw@ch:9000/firebreak?dial_timeout=5s&secure=true", s.ClickHouse.DSN())
	assert.Empty(t, s.AISystems)

	s, err = LoadSettings(appSettings(`{"clickhouse":{"address":"ch:9000"},"receiver":{"url":"http://r:9095/"},
		"aiSystems":{"supportbot":{"name":"Acme Support","provider":"Acme GmbH","registrationId":"EU-1","authority":"BNetzA",
		"submitterRole":"provider","contact":"legal@acme.example"}}}`, goodSecure))
	require.NoError(t, err)
	assert.Equal(t, report.AISystemFacts{Name: "Acme Support", Provider: "Acme GmbH", RegistrationID: "EU-1", Authority: "BNetzA",
		SubmitterRole: "provider", Contact: "legal@acme.example"}, s.AISystems["supportbot"])
}

func TestLoadSettingsErrorsNameTheField(t *testing.T) {
	ok := `"clickhouse":{"address":"ch:9000"},"receiver":{"url":"http://r:9095"}`
	tests := []struct {
		json   string
		secure map[string]string
		want   string
	}{
		{`{`, goodSecure, "jsonData: invalid JSON"},
		{`{"clickhouse":{"address":"ch:9000","tls":"yes"},"receiver":{"url":"http://r"}}`, goodSecure, `jsonData.clickhouse.tls: expected true or false, got "yes"`},
		{`{"clickhouse":{"address":"ch:9000"},"receiver":{"url":"http://r"},"escalation":{"SEV1":[{"name":7}]}}`, goodSecure, `jsonData.escalation.SEV1[0].name: expected a string, got 7`},
		{`{"receiver":{"url":"http://r"}}`, goodSecure, "jsonData.clickhouse.address: missing"},
		{`{"clickhouse":{"address":"ch"},"receiver":{"url":"http://r"}}`, goodSecure, `jsonData.clickhouse.address: "ch" is not host:port`},
		{`{"clickhouse":{"address":"ch:9000","database":"x; DROP"},"receiver":{"url":"http://r"}}`, goodSecure, "jsonData.clickhouse.database"},
		{`{"clickhouse":{"address":"ch:9000"},"receiver":{"url":"ftp://r"}}`, goodSecure, "jsonData.receiver.url"},
		{`{` + ok + `}`, map[string]string{}, "secureJsonData.receiverApiToken: missing"},
		{`{` + ok + `,"sla":{"SEV9":{}}}`, goodSecure, "jsonData.sla.SEV9"},
		{`{` + ok + `,"sla":{"SEV2":{"contain":"soon"}}}`, goodSecure, "jsonData.sla.SEV2.contain"},
		{`{` + ok + `,"escalation":{"SEV1":[{"role":"x"}]}}`, goodSecure, "jsonData.escalation.SEV1[0].name: missing"},
		{`{` + ok + `,"prometheus":{"url":"prom:9090"}}`, goodSecure, "jsonData.prometheus.url"},
		{`{` + ok + `,"prometheus":{"url":"http://u:pw@prom:9090"}}`, goodSecure, "without credentials"},
		{`{` + ok + `,"containment":{"bot":[{"id":"x","kind":"custom","label":"l","url":"http://b/x"}]}}`, goodSecure,
			`jsonData.containment.bot[0].secret: missing: set secureJsonData["containment.bot.x.secret"]`},
		{`{` + ok + `,"containment":["x"]}`, goodSecure, "jsonData.containment: expected an object, got an array"},
		{`{` + ok + `,"aiSystems":{"bot":{"registration":"x"}}}`, goodSecure, "jsonData.aiSystems.bot.registration: unknown field"},
		{`{` + ok + `,"aiSystems":{"bot":{"submitterRole":"vendor"}}}`, goodSecure, `jsonData.aiSystems.bot.submitterRole: "vendor" is not one of provider, deployer, authorised_representative`},
		{`{` + ok + `,"aiSystems":{"bot":{"provider":7}}}`, goodSecure, "jsonData.aiSystems.bot.provider: expected a string, got 7"},
		{`{` + ok + `,"aiSystems":[]}`, goodSecure, "jsonData.aiSystems: expected an object"},
	}
	for _, tt := range tests {
		_, err := LoadSettings(appSettings(tt.json, tt.secure))
		require.Error(t, err, tt.json)
		assert.Contains(t, err.Error(), tt.want, tt.json)
		assert.NotRegexp(t, `Go struct field|Go value|json: |plugin\.|jsonData\.clickhouse\.tls of type`, err.Error(), "no Go names")
	}
}

func TestInvalidSettingsShowInHealthAndResources(t *testing.T) {
	a := newTestApp(t, appSettings(`{"clickhouse":{"address":"nohost"}}`, map[string]string{"clickhousePassword": "hunter2"}))
	res, err := a.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	assert.Equal(t, backend.HealthStatusError, res.Status)
	assert.Contains(t, res.Message, "jsonData.clickhouse.address")
	assert.NotContains(t, res.Message, "hunter2")
	status, body := callResource(t, a, viewerUser, "GET", "incidents", nil)
	assert.Equal(t, 503, status)
	assert.Contains(t, body, "not configured")
	status, body = callResource(t, a, viewerUser, "GET", "ping", nil)
	assert.Equal(t, 200, status)
	assert.True(t, strings.Contains(body, "ok"))
}
