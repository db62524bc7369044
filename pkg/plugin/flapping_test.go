package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An alert flapping through the real receiver (default damping: a fourth reopen within an hour) shows in the
// plugin's API: flapping on the queue row and on the incident, with when it started.
func TestFlappingInTheAPI(t *testing.T) {
	e := newEnv(t)
	start := time.Now().Add(-15 * time.Minute).Truncate(time.Second)
	post := func(alert map[string]any) {
		b, err := json.Marshal(map[string]any{"version": "4", "status": alert["status"], "receiver": "firebreak",
			"groupKey": `{}:{alertname="AIErrorRateHigh"}`, "alerts": []any{alert}})
		require.NoError(t, err)
		resp, err := http.Post(e.recv+"/api/v1/webhook", "application/json", bytes.NewReader(b))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	for i := 0; i < 5; i++ {
		fire := start.Add(time.Duration(2*i) * time.Minute)
		alert := map[string]any{"status": "firing", "fingerprint": "f1ap", "startsAt": fire.Format(time.RFC3339),
			"labels": map[string]string{"alertname": "AIErrorRateHigh", "ai_system": "supportbot", "severity": "info"}}
		post(alert)
		alert["status"], alert["endsAt"] = "resolved", fire.Add(time.Minute).Format(time.RFC3339)
		post(alert)
	}
	e.waitRows(t, "SELECT flapping, toString(status) FROM {db}.incidents", "1\tdeclared\n")

	status, body := callResource(t, e.a, viewerUser, "GET", "incidents", nil)
	require.Equal(t, 200, status, body)
	rows := decode(t, body)["incidents"].([]any)
	require.Len(t, rows, 1)
	row := rows[0].(map[string]any)
	assert.Equal(t, true, row["flapping"])

	status, body = callResource(t, e.a, viewerUser, "GET", fmt.Sprintf("incidents/%s", row["incident_id"]), nil)
	require.Equal(t, 200, status, body)
	inc := decode(t, body)["incident"].(map[string]any)
	assert.Equal(t, true, inc["flapping"])
	assert.Equal(t, start.Add(8*time.Minute).UTC().Format(time.RFC3339), inc["flapping_since"], "the fourth reopen made it flap")
}
