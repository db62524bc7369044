package receiver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// sev3 builds an Alertmanager notification of one SEV3 alert (which resolves by itself), firing or cleared.
func sev3(start, end time.Time) []byte {
	a := map[string]any{"status": "firing", "fingerprint": "f1ap", "startsAt": start.Format(time.RFC3339),
		"labels":      map[string]string{"alertname": "AIErrorRateHigh", "ai_system": "supportbot", "severity": "info"},
		"annotations": map[string]string{"summary": "error rate flaps on supportbot"}}
	status := "firing"
	if !end.IsZero() {
		status, a["status"], a["endsAt"] = "resolved", "resolved", end.Format(time.RFC3339)
	}
	b, _ := json.Marshal(map[string]any{"version": "4", "status": status, "receiver": "firebreak",
		"groupKey": `{}:{alertname="AIErrorRateHigh"}`, "alerts": []any{a}})
	return b
}

// An alert that keeps firing and clearing, through the real receiver and ClickHouse: after the reopens allowed, the
// incident is marked flapping (once, visible in the incidents view) and held open while the alert flaps on; after a
// restart with a shorter quiet time the receiver, with no notification coming, ends the flapping and resolves it.
func TestFlappingEndToEnd(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	spool := filepath.Join(t.TempDir(), "spool")
	args := []string{"--spool-dir", spool, "--clickhouse-dsn", ch.DSN(db), "--flap-reopens", "2", "--flap-window", "30m"}
	r := startReceiver(t, nil, append(args, "--flap-quiet", "2h")...)
	start := time.Now().Add(-20 * time.Minute).Truncate(time.Second)
	for i := 0; i < 6; i++ {
		fire := start.Add(time.Duration(2*i) * time.Minute)
		for _, body := range [][]byte{sev3(fire, time.Time{}), sev3(fire, fire.Add(time.Minute))} {
			code, answer := post(t, r.url, body)
			require.Equal(t, http.StatusOK, code, answer)
		}
	}
	kinds := "SELECT groupArray(kind) FROM (SELECT kind FROM " + db + ".incident_events ORDER BY seq)"
	waitQuery(t, ch, "SELECT count(), any(flapping), any(toString(status)), any(alert_count) FROM "+db+".incidents",
		"1\t1\tdeclared\t6\n")
	waitQuery(t, ch, kinds, fmt.Sprintf("[%s]\n", "'declared','alert_fired','alert_resolved','resolved',"+
		"'reopened','alert_fired','alert_resolved','resolved','reopened','alert_fired','alert_resolved','resolved',"+
		"'reopened','flapping_started','alert_fired','alert_resolved','alert_fired','alert_resolved','alert_fired','alert_resolved'"))
	body := ch.Query(t, "SELECT body FROM "+db+".incident_events WHERE kind = 'flapping_started'")
	assert.Contains(t, body, `"reopens":3`)
	assert.Contains(t, body, `"window":"30m0s"`)

	// Restarted with a quiet time the alert has already been quiet for: the receiver ends it by itself.
	r.stop()
	startReceiver(t, nil, append(args, "--flap-quiet", "1m")...)
	waitQuery(t, ch, "SELECT any(flapping), any(toString(status)) FROM "+db+".incidents", "0\tresolved\n")
	assert.Equal(t, "1\t1\n", ch.Query(t, "SELECT countIf(kind = 'flapping_started'), countIf(kind = 'flapping_ended') FROM "+db+".incident_events"))
	last := ch.Query(t, "SELECT groupArray(kind) FROM (SELECT kind FROM "+db+".incident_events WHERE seq > 20 ORDER BY seq)")
	assert.Equal(t, "['flapping_ended','resolved']\n", last)
}
