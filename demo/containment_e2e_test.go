package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEndToEndRollbackResolvesAlert runs the demo service and the real Prometheus with
// the rule pack: a hallucination fault in v2 fires its alert; a signed rollback to v1
// over HTTP makes the alert resolve by itself, without clearing the fault.
func TestEndToEndRollbackResolvesAlert(t *testing.T) {
	t.Parallel()
	prometheusBin := requireBinary(t, "prometheus")
	rulesFile, err := filepath.Abs(rulePackPath)
	require.NoError(t, err)
	demoURL, a := startDemo(t, config{AISystem: "supportbot", Rate: 20, ModelVersion: "v2", PreviousModelVersion: "v1", Seed: 3,
		ContainmentSecret: secret(testSecret)})
	promURL := startPrometheus(t, prometheusBin, strings.TrimPrefix(demoURL, "http://"), rulesFile)

	hallucinationAlert := func() (promAlert, bool) {
		for _, al := range getAlerts(t, promURL) {
			if al.Labels["category"] == "hallucination" {
				return al, true
			}
		}
		return promAlert{}, false
	}
	request(t, http.MethodPost, demoURL+"/faults/hallucination")
	require.Eventually(t, func() bool {
		al, ok := hallucinationAlert()
		return ok && al.State == "firing" && al.Labels["model_version"] == "v2"
	}, 20*time.Second, 250*time.Millisecond, "the hallucination alert fires")

	body := `{"incident_id": "INC-e2e", "reason": "hallucinations in v2"}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, demoURL+"/containment/rollback", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set(headerTimestamp, ts)
	req.Header.Set(headerSignature, signature([]byte(testSecret), ts, signedContent(http.MethodPost, "/containment/rollback", []byte(body))))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", answer)
	assert.Contains(t, string(answer), `"model_version": "v1"`)
	rolledBack := time.Now()

	require.Eventually(t, func() bool {
		_, active := hallucinationAlert()
		return !active
	}, 45*time.Second, 250*time.Millisecond, "the hallucination alert resolves after the rollback")
	t.Logf("resolved %v after the rollback", time.Since(rolledBack))
	assert.Len(t, a.sim.Faults(), 1, "the fault is still there, in v2")
	for _, al := range getAlerts(t, promURL) {
		assert.NotEqual(t, "v1", al.Labels["model_version"], "v1 is healthy: %+v", al)
	}
}
