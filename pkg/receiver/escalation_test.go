package receiver

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// Firebreak's own escalation alerts routed back to its webhook (a misconfigured Alertmanager) declare nothing: alone
// they are answered 200 and counted, mixed with AI alerts the notification is refused naming the field; an AI alert
// after them is declared as usual.
func TestEscalationAlertsNeverDeclareIncidents(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	r := startReceiver(t, nil, "--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", ch.DSN(db))
	escalate := func(body []byte, fps ...string) []byte {
		s := string(body)
		for _, fp := range fps {
			s = strings.Replace(s, `"instance":"`+fp+`"`, `"firebreak":"escalation","instance":"`+fp+`"`, 1)
		}
		return []byte(s)
	}
	start := time.Now().Add(-time.Minute)

	code, answer := post(t, r.url, escalate(notification(`{}:{alertname="FirebreakIncidentNotAcknowledged"}`, "firing", start, "e1", "e2"), "e1", "e2"))
	assert.Equal(t, http.StatusOK, code, answer)
	assert.Contains(t, answer, `"status":"escalation"`)

	code, answer = post(t, r.url, escalate(notification(`{}:{alertname="Mixed"}`, "firing", start, "a1", "e3"), "e3"))
	assert.Equal(t, http.StatusBadRequest, code, answer)
	var e map[string]string
	require.NoError(t, json.Unmarshal([]byte(answer), &e))
	assert.Contains(t, e["error"], "alerts[1].labels.firebreak: Firebreak's escalation alerts grouped with AI alerts (1 of 2)")

	code, answer = post(t, r.url, notification(`{}:{alertname="AIHallucinationRateHigh"}`, "firing", start, "cafe"))
	require.Equal(t, http.StatusOK, code, answer)
	waitQuery(t, ch, "SELECT count() FROM "+db+".incidents", "1\n")
	assert.Equal(t, "1\n", ch.Query(t, "SELECT count() FROM "+db+".alerts"), "only the AI alert is stored")

	metrics := scrapeMetrics(t, r.url)
	assert.Contains(t, metrics, `firebreak_notifications_received_total{outcome="escalation",source="alertmanager"} 2`)
}
