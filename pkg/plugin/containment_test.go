package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

const (
	demoSecret  = "demo-containment-secret-0123"
	wrongSecret = "not-the-demo-secret-4567"
)

type demo struct {
	url  string
	proc *testenv.Process
}

// startDemo runs the demo AI service (ours), whose containment endpoints check the HMAC signature.
func startDemo(t *testing.T, extra ...string) *demo {
	t.Helper()
	secretFile := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(demoSecret), 0o600))
	port := testenv.FreePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := testenv.StartBinary(t, testenv.Binary{Name: "demo", Path: testenv.GoBuild(t, "demo"),
		Args:     append([]string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--containment-secret-file", secretFile, "--rate", "5"}, extra...),
		ReadyURL: url + "/-/healthy"})
	return &demo{url: url, proc: p}
}

func (d *demo) status(t *testing.T) map[string]any {
	t.Helper()
	resp, err := http.Get(d.url + "/containment/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m
}

// catalog is the supportbot's catalog: four actions on the demo service (one signed with the wrong secret) and
// one on a slow copy of it.
func catalog(bot, slow *demo) (map[string]any, map[string]string) {
	action := func(id, kind, path string, extra map[string]any) map[string]any {
		a := map[string]any{"id": id, "kind": kind, "label": "Demo " + id, "url": bot.url + "/containment/" + path,
			"dryRunUrl": bot.url + "/containment/dry-run/" + path, "statusUrl": bot.url + "/containment/status", "timeout": "3s",
			"body": `{"incident_id": "{{incident_id}}", "reason": "{{reason}}"}`}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	jd := map[string]any{"containment": map[string]any{"supportbot": []any{
		action("disable", "disable_feature", "disable", map[string]any{"body": `{"share": 1, "incident_id": "{{incident_id}}", "reason": "{{reason}}"}`}),
		action("rollback", "rollback_model", "rollback", map[string]any{"requiresApproval": true}),
		action("revoke", "revoke_access", "revoke-key", map[string]any{"requestRoles": []string{"incident_lead"}, "dryRunUrl": "",
			"body": `{"key_id": "key-partner-unapproved"}`}),
		action("badsig", "custom", "require-review", nil),
		action("slow", "require_human_review", "require-review", map[string]any{"url": slow.url + "/containment/require-review", "timeout": "500ms"}),
	}}}
	sec := map[string]string{}
	for _, id := range []string{"disable", "rollback", "revoke", "slow"} {
		sec["containment.supportbot."+id+".secret"] = demoSecret
	}
	sec["containment.supportbot.badsig.secret"] = wrongSecret
	return jd, sec
}

type containmentEnv struct {
	*env
	bot, slow *demo
	answers   []string // every API answer, checked for secrets at the end
}

func newContainmentEnv(t *testing.T) *containmentEnv {
	t.Helper()
	bot, slow := startDemo(t), startDemo(t, "--containment-delay", "5s")
	jd, sec := catalog(bot, slow)
	ce := &containmentEnv{env: newEnvWith(t, jd, sec), bot: bot, slow: slow}
	t.Cleanup(func() { ce.checkNoSecrets(t) })
	return ce
}

func (ce *containmentEnv) call(t *testing.T, user *backend.User, method, path string, body any) (int, map[string]any) {
	t.Helper()
	status, raw := callResource(t, ce.a, user, method, path, body)
	ce.answers = append(ce.answers, raw)
	return status, decode(t, raw)
}

func (ce *containmentEnv) checkNoSecrets(t *testing.T) {
	ce.a.awaitRecentWrites(context.Background()) // the last answers' events reach ClickHouse right after them
	for _, a := range ce.answers {
		for _, s := range []string{demoSecret, wrongSecret} {
			assert.NotContains(t, a, s, "an API answer carries a secret")
		}
	}
	for _, table := range []string{"events", "evidence"} {
		n := ce.ch.Query(t, fmt.Sprintf("SELECT count() FROM %s.%s WHERE position(toString(tuple(*)), '%s') > 0 OR position(toString(tuple(*)), '%s') > 0",
			ce.db, table, demoSecret, wrongSecret))
		assert.Equal(t, "0", strings.TrimSpace(n), "a secret in %s", table)
		// The same search finds what is there: the actions' labels (in any table that has rows).
		found := ce.ch.Query(t, fmt.Sprintf("SELECT count() = 0 OR countIf(position(toString(tuple(*)), 'Demo ') > 0) > 0 FROM %s.%s", ce.db, table))
		assert.Equal(t, "1", strings.TrimSpace(found), "the search for secrets in %s searches nothing", table)
	}
}

func request(out map[string]any) map[string]any { r, _ := out["request"].(map[string]any); return r }

func lastOutcome(t *testing.T, req map[string]any) map[string]any {
	t.Helper()
	attempts := req["attempts"].([]any)
	require.NotEmpty(t, attempts)
	o, _ := attempts[len(attempts)-1].(map[string]any)["outcome"].(map[string]any)
	require.NotNil(t, o, "the last attempt has an outcome: %v", req)
	return o
}

func TestContainmentRequestApproveEvidence(t *testing.T) {
	ce := newContainmentEnv(t)
	id := ce.declare(t, aliceUser, "SEV1")
	p := "incidents/" + id + "/containment"

	code, list := ce.call(t, viewerUser, "GET", p, nil)
	require.Equal(t, 200, code, list)
	actions := list["actions"].([]any)
	require.Len(t, actions, 5)
	first := actions[0].(map[string]any)
	assert.Equal(t, "disable", first["id"])
	assert.Equal(t, false, first["may_request"])
	assert.Contains(t, first["why_not"], "viewers can see containment actions but not request them")
	assert.NotContains(t, fmt.Sprint(list), "incident_id\": \"{{", "templates are not shown")

	for _, tc := range []struct {
		user   *backend.User
		body   any
		status int
		want   string
	}{
		{viewerUser, map[string]string{"action": "disable"}, 403, "viewers"},
		{aliceUser, map[string]string{"action": "nuke"}, 404, `AI system "supportbot" has no containment action "nuke"`},
		{aliceUser, map[string]string{"reason": "x"}, 400, "action: missing"},
		{aliceUser, `{"action": "disable", "url": "http://evil/"}`, 400, `url: unknown field`},
		{aliceUser, `{"action": `, 400, "invalid JSON"},
		{aliceUser, map[string]string{"action": "revoke"}, 403, "may be requested by incident_lead only"},
	} {
		code, out := ce.call(t, tc.user, "POST", p, tc.body)
		assert.Equal(t, tc.status, code, "%v: %v", tc.body, out)
		assert.Contains(t, out["error"], tc.want)
	}

	// No approval rule: runs at once, evidence first.
	code, out := ce.call(t, aliceUser, "POST", p, map[string]string{"action": "disable", "reason": "stop the harm"})
	require.Equal(t, 200, code, out)
	disable := request(out)
	assert.Equal(t, "succeeded", disable["state"], out)
	assert.Equal(t, float64(200), lastOutcome(t, disable)["http_status"])
	assert.Equal(t, float64(0), ce.bot.status(t)["feature_enabled_share"])

	// With an approval rule: waits; nobody approves their own request; only the lead or an Admin approves.
	code, out = ce.call(t, aliceUser, "POST", p, map[string]string{"action": "rollback", "reason": "v2 hallucinates"})
	require.Equal(t, 200, code, out)
	rollback := request(out)
	assert.Equal(t, "pending_approval", rollback["state"])
	rid := rollback["request_id"].(string)
	assert.Equal(t, "v2", ce.bot.status(t)["model_version"], "nothing runs before approval")

	code, out = ce.call(t, aliceUser, "POST", p+"/"+rid+"/approve", nil)
	assert.Equal(t, 403, code)
	assert.Contains(t, out["error"], "nobody may approve their own containment request")
	code, out = ce.call(t, bobUser, "POST", p+"/"+rid+"/approve", nil)
	assert.Equal(t, 403, code)
	assert.Contains(t, out["error"], "only the incident lead or an Admin may approve")
	code, out = ce.call(t, bobUser, "POST", p+"/"+rid+"/retry", nil)
	assert.Equal(t, 409, code, out)
	assert.Contains(t, out["error"], "waits for approval")
	code, _ = ce.call(t, aliceUser, "POST", "incidents/"+id+"/roles", map[string]string{"role": "incident_lead", "user": "bob"})
	require.Equal(t, 200, code)

	code, list = ce.call(t, bobUser, "GET", p, nil)
	require.Equal(t, 200, code)
	assert.Equal(t, true, list["requests"].([]any)[1].(map[string]any)["may_approve"])
	assert.Equal(t, true, list["actions"].([]any)[1].(map[string]any)["may_approve"], "the lead approves rollbacks")
	assert.Equal(t, false, list["actions"].([]any)[0].(map[string]any)["may_approve"], "disable needs no approval")

	// The lead and an Admin approve at the same moment: one approval, one call.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	outs := make([]map[string]any, 2)
	for i, u := range []*backend.User{bobUser, adminUser} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, raw := callResource(t, ce.a, u, "POST", p+"/"+rid+"/approve", map[string]string{"reason": "go"})
			codes[i], outs[i] = status, decode(t, raw)
		}()
	}
	wg.Wait()
	assert.ElementsMatch(t, []int{200, 409}, codes, "%v", outs)
	winner := outs[0]
	if codes[1] == 200 {
		winner = outs[1]
	}
	assert.Equal(t, "succeeded", request(winner)["state"], winner)
	assert.Equal(t, "v1", ce.bot.status(t)["model_version"])
	assert.Equal(t, float64(2), ce.bot.status(t)["config_version"], "disable and rollback, each once")

	// A rejection needs a reason and ends the request.
	_, out = ce.call(t, aliceUser, "POST", p, map[string]string{"action": "rollback", "reason": "again"})
	rid2 := request(out)["request_id"].(string)
	code, out = ce.call(t, bobUser, "POST", p+"/"+rid2+"/reject", nil)
	assert.Equal(t, 400, code, out)
	assert.Contains(t, out["error"], "reason: missing")
	code, out = ce.call(t, bobUser, "POST", p+"/"+rid2+"/reject", map[string]string{"reason": "already rolled back"})
	require.Equal(t, 200, code, out)
	assert.Equal(t, "rejected", request(out)["state"])
	code, _ = ce.call(t, bobUser, "POST", p+"/"+rid2+"/retry", nil)
	assert.Equal(t, 409, code)
	code, _ = ce.call(t, bobUser, "POST", p+"/nope/approve", nil)
	assert.Equal(t, 404, code)

	// A bad signature is refused by the AI system, recorded as a failure with the reason.
	code, out = ce.call(t, aliceUser, "POST", p, map[string]string{"action": "badsig"})
	require.Equal(t, 200, code, out)
	assert.Equal(t, "failed", request(out)["state"])
	o := lastOutcome(t, request(out))
	assert.Equal(t, float64(401), o["http_status"])
	assert.Contains(t, o["error"], "X-Firebreak-Signature does not match")
	assert.Equal(t, false, ce.bot.status(t)["human_review_required"])

	// Evidence: one snapshot per call, taken before it (the rollback's says v2), each verifiable.
	code, ev := ce.call(t, viewerUser, "GET", "incidents/"+id+"/evidence", nil)
	require.Equal(t, 200, code, ev)
	snaps := ev["snapshots"].([]any)
	require.Len(t, snaps, 3)
	var rollbackSnap string
	for _, s := range snaps {
		s := s.(map[string]any)
		if s["request_id"] == rid {
			rollbackSnap = s["snapshot_id"].(string)
		}
	}
	require.NotEmpty(t, rollbackSnap)
	code, snap := ce.call(t, viewerUser, "GET", "incidents/"+id+"/evidence/"+rollbackSnap, nil)
	require.Equal(t, 200, code, snap)
	assert.Equal(t, true, snap["verified"], snap)
	assert.Equal(t, snap["sha256"], snap["timeline_sha256"])
	content := snap["content"].(map[string]any)
	assert.Equal(t, "v2", content["system_status"].(map[string]any)["json"].(map[string]any)["model_version"],
		"the snapshot shows the system before the rollback")
	assert.Equal(t, "rollback_model", content["action"].(map[string]any)["kind"])
	assert.Equal(t, id, content["incident"].(map[string]any)["incident_id"])
	assert.Contains(t, content["gaps"], "metrics: no Prometheus URL is configured (jsonData.prometheus.url)")
	status, raw := callResource(t, ce.a, viewerUser, "GET", "incidents/"+id+"/evidence/"+rollbackSnap+"?download=1", nil)
	require.Equal(t, 200, status)
	sum := sha256.Sum256([]byte(raw))
	assert.Equal(t, snap["sha256"], hex.EncodeToString(sum[:]), "the downloaded bytes hash to the recorded SHA-256")
	code, _ = ce.call(t, viewerUser, "GET", "incidents/"+id+"/evidence/nope", nil)
	assert.Equal(t, 404, code)

	// Every step is on the timeline, in order, and the chain verifies.
	code, d := ce.call(t, viewerUser, "GET", "incidents/"+id, nil)
	require.Equal(t, 200, code)
	var kinds []string
	for _, e := range d["timeline"].([]any) {
		e := e.(map[string]any)
		if strings.HasPrefix(e["kind"].(string), "containment_") || e["kind"] == "role_assigned" {
			kinds = append(kinds, e["kind"].(string)+" by "+e["actor"].(string))
		}
	}
	assert.Equal(t, []string{
		"containment_requested by user:alice", "containment_started by user:alice", "containment_succeeded by user:alice",
		"containment_requested by user:alice", "role_assigned by user:alice",
		"containment_approved by user:" + map[bool]string{true: "bob", false: "root"}[codes[0] == 200],
		"containment_started by user:" + map[bool]string{true: "bob", false: "root"}[codes[0] == 200],
		"containment_succeeded by user:" + map[bool]string{true: "bob", false: "root"}[codes[0] == 200],
		"containment_requested by user:alice", "containment_rejected by user:bob",
		"containment_requested by user:alice", "containment_started by user:alice", "containment_failed by user:alice",
	}, kinds)
	code, v := ce.call(t, viewerUser, "GET", "incidents/"+id+"/verify", nil)
	require.Equal(t, 200, code)
	assert.Equal(t, true, v["intact"], v)
}

func TestContainmentEndpointDownSlowAndDrill(t *testing.T) {
	ce := newContainmentEnv(t)
	id := ce.declare(t, aliceUser, "SEV2")
	p := "incidents/" + id + "/containment"
	runs := func(action, outcome, dryRun string) float64 {
		return testutil.ToFloat64(containmentRuns.WithLabelValues("supportbot", action, outcome, dryRun))
	}
	requests := func(route, code string) uint64 {
		return histogramCount(t, apiDuration.WithLabelValues(route, code))
	}
	runsBefore := map[string]float64{"failed": runs("disable", "failed", "false"), "succeeded": runs("disable", "succeeded", "false"),
		"slow": runs("slow", "failed", "false"), "drill": runs("rollback", "succeeded", "true")}
	requestsBefore := requests("POST /incidents/{id}/containment", "200")

	// The endpoint is down: the failure is recorded with the reason; once it is back, a retry works.
	ce.bot.proc.Stop()
	code, out := ce.call(t, aliceUser, "POST", p, map[string]string{"action": "disable"})
	require.Equal(t, 200, code, out)
	req := request(out)
	assert.Equal(t, "failed", req["state"])
	assert.Contains(t, lastOutcome(t, req)["error"], "connection refused")
	rid := req["request_id"].(string)
	ce.bot.proc.Start()
	testenv.WaitFor(t, 10*time.Second, 100*time.Millisecond, func() (bool, string) {
		resp, err := http.Get(ce.bot.url + "/-/healthy")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil, "demo restarting"
	})
	code, out = ce.call(t, viewerUser, "POST", p+"/"+rid+"/retry", nil)
	assert.Equal(t, 403, code, out)
	code, out = ce.call(t, bobUser, "POST", p+"/"+rid+"/retry", nil)
	require.Equal(t, 200, code, out)
	req = request(out)
	assert.Equal(t, "succeeded", req["state"])
	assert.Len(t, req["attempts"], 2)
	assert.Equal(t, float64(0), ce.bot.status(t)["feature_enabled_share"])
	code, _ = ce.call(t, bobUser, "POST", p+"/"+rid+"/retry", nil)
	assert.Equal(t, 409, code, "a succeeded request does not run again")

	// The endpoint is slow: the configured timeout is honoured and recorded.
	code, out = ce.call(t, aliceUser, "POST", p, map[string]string{"action": "slow"})
	require.Equal(t, 200, code, out)
	o := lastOutcome(t, request(out))
	assert.Contains(t, o["error"], "no answer within 500ms (timeout)")
	assert.Less(t, o["latency_ms"], float64(4000))

	// A drill touches nothing real: the dry-run URL is called, and an action without one cannot run.
	status, raw := callResource(t, ce.a, aliceUser, "POST", "incidents", map[string]any{"title": "Tabletop: bot leaks PII",
		"severity": "SEV1", "category": "data_exposure", "ai_system": "supportbot", "reported_via": "other", "drill": true})
	require.Equal(t, 200, status, raw)
	drill := decode(t, raw)["incident"].(map[string]any)["incident_id"].(string)
	dp := "incidents/" + drill + "/containment"
	code, _ = ce.call(t, aliceUser, "POST", "incidents/"+drill+"/roles", map[string]string{"role": "incident_lead", "user": "alice"})
	require.Equal(t, 200, code)
	code, out = ce.call(t, aliceUser, "POST", dp, map[string]string{"action": "revoke"})
	assert.Equal(t, 409, code, out)
	assert.Contains(t, out["error"], "is a drill")
	before := ce.bot.status(t)["config_version"]
	code, out = ce.call(t, aliceUser, "POST", dp, map[string]string{"action": "rollback", "reason": "drill"})
	require.Equal(t, 200, code, out)
	code, out = ce.call(t, adminUser, "POST", dp+"/"+request(out)["request_id"].(string)+"/approve", nil)
	require.Equal(t, 200, code, out)
	req = request(out)
	assert.Equal(t, "succeeded", req["state"], out)
	attempt := req["attempts"].([]any)[0].(map[string]any)
	assert.Equal(t, true, attempt["dry_run"])
	assert.Contains(t, attempt["target"], "/containment/dry-run/rollback")
	assert.Contains(t, lastOutcome(t, req)["answer"], `"dry_run": true`)
	assert.Equal(t, "v2", ce.bot.status(t)["model_version"])
	assert.Equal(t, before, ce.bot.status(t)["config_version"])

	// The plugin's metrics counted each call by its outcome, and the API's requests by route.
	assert.Equal(t, runsBefore["failed"]+1, runs("disable", "failed", "false"), "the call to the endpoint that was down")
	assert.Equal(t, runsBefore["succeeded"]+1, runs("disable", "succeeded", "false"), "its retry")
	assert.Equal(t, runsBefore["slow"]+1, runs("slow", "failed", "false"), "the timeout")
	assert.Equal(t, runsBefore["drill"]+1, runs("rollback", "succeeded", "true"), "the drill's dry run")
	assert.Equal(t, requestsBefore+3, requests("POST /incidents/{id}/containment", "200"), "three requests answered 200")
	assert.Positive(t, requests("POST /incidents/{id}/containment", "409"), "the drill's refused action")
}

// histogramCount is how many observations a histogram has.
func histogramCount(t *testing.T, o prometheus.Observer) uint64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, o.(prometheus.Metric).Write(&m))
	return m.GetHistogram().GetSampleCount()
}

func TestContainmentReadiness(t *testing.T) {
	ce := newContainmentEnv(t)
	code, out := ce.call(t, viewerUser, "GET", "containment/readiness", nil)
	assert.Equal(t, 403, code)
	assert.Contains(t, out["error"], "Viewer")
	code, out = ce.call(t, aliceUser, "GET", "containment/readiness", nil)
	require.Equal(t, 200, code, out)
	assert.Equal(t, float64(5), out["actions"])
	got := map[string]string{}
	for _, r := range out["results"].([]any) {
		r := r.(map[string]any)
		errText, _ := r["error"].(string)
		got[r["action"].(string)] = fmt.Sprint(r["ready"], " ", errText)
	}
	assert.Equal(t, "true ", got["disable"])
	assert.Equal(t, "true ", got["rollback"])
	assert.Contains(t, got["revoke"], "false no dryRunUrl configured")
	assert.Contains(t, got["badsig"], "false POST")
	assert.Contains(t, got["badsig"], "401")
	assert.Contains(t, got["slow"], "true", "the slow demo's dry run answers at once")
	assert.Equal(t, float64(3), out["ready"])
	assert.Equal(t, float64(0), ce.bot.status(t)["config_version"], "readiness changes nothing")

	// After a rollback (the README's walk-through) there is nothing left to roll back to: the check says so, as the
	// README tells, and the rest still answer.
	id := ce.declare(t, aliceUser, "SEV1")
	code, out = ce.call(t, aliceUser, "POST", "incidents/"+id+"/containment", map[string]string{"action": "rollback", "reason": "v2 hallucinates"})
	require.Equal(t, 200, code, out)
	code, out = ce.call(t, adminUser, "POST", "incidents/"+id+"/containment/"+request(out)["request_id"].(string)+"/approve", nil)
	require.Equal(t, 200, code, out)
	require.Equal(t, "v1", ce.bot.status(t)["model_version"])
	code, out = ce.call(t, aliceUser, "GET", "containment/readiness", nil)
	require.Equal(t, 200, code, out)
	for _, r := range out["results"].([]any) {
		if r := r.(map[string]any); r["action"] == "rollback" {
			assert.Equal(t, false, r["ready"])
			assert.Equal(t, float64(409), r["http_status"])
			assert.Contains(t, r["error"], "no previous model version to roll back to (active: v1)")
		}
	}
	assert.Equal(t, float64(2), out["ready"])
}

func TestContainmentKeysAndCatalogChanges(t *testing.T) {
	ce := newContainmentEnv(t)
	id := ce.declare(t, aliceUser, "SEV1")
	p := "incidents/" + id + "/containment"

	status, raw := callResourceWith(t, ce.a, aliceUser, "POST", p, map[string]string{"action": "disable"},
		map[string]string{"X-Idempotency-Key": "../approve"})
	assert.Equal(t, 400, status, raw)
	assert.Contains(t, raw, "X-Idempotency-Key")

	// A request's id used as the key of an approval is not taken for a replay of the request.
	code, out := ce.call(t, aliceUser, "POST", p, map[string]string{"action": "rollback"})
	require.Equal(t, 200, code, out)
	rid := request(out)["request_id"].(string)
	status, raw = callResourceWith(t, ce.a, bobUser, "POST", p+"/"+rid+"/approve", nil, map[string]string{"X-Idempotency-Key": rid})
	assert.Equal(t, 403, status, raw)

	// The action is changed in the catalog after it was requested: approving it does not run the new one.
	jd, sec := catalog(ce.bot, ce.slow)
	actions := jd["containment"].(map[string]any)["supportbot"].([]any)
	actions[1].(map[string]any)["url"] = ce.bot.url + "/containment/disable"
	jd["clickhouse"] = map[string]string{"address": ce.ch.TCPAddr(), "database": ce.db}
	jd["receiver"] = map[string]string{"url": ce.recv}
	rawJD, err := json.Marshal(jd)
	require.NoError(t, err)
	sec["receiverApiToken"] = "plugin-token"
	changed := newTestApp(t, appSettings(string(rawJD), sec))
	require.NoError(t, changed.settingsErr)
	status, raw = callResource(t, changed, adminUser, "POST", p+"/"+rid+"/approve", nil)
	assert.Equal(t, 409, status, raw)
	assert.Contains(t, raw, "was changed in the catalog since it was requested")
	assert.Equal(t, float64(0), ce.bot.status(t)["config_version"], "nothing ran")
}
