package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

const apiToken = "api-secret"

func sendCommand(t *testing.T, url string, c any, token string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(c)
	if s, ok := c.(string); ok {
		b = []byte(s)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/commands", bytes.NewReader(b))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	require.NoError(t, json.Unmarshal(body, &out), string(body))
	return resp.StatusCode, out
}

func declareCmd(id string) incident.Command {
	return incident.Command{ID: id, Kind: incident.CmdDeclare, Actor: incident.Actor{Login: "alice", Role: incident.Editor},
		Declare: &incident.DeclareRequest{Title: "Bot quotes a refund policy that does not exist", Severity: incident.SEV2,
			Category: incident.Hallucination, AISystem: "supportbot", ReportedVia: "support"}}
}

func ack(id, incidentID, login string, role incident.OrgRole) incident.Command {
	return incident.Command{ID: id, Kind: incident.CmdAcknowledge, IncidentID: incidentID, Actor: incident.Actor{Login: login, Role: role}}
}

func TestCommandAPIDisabledAndAuth(t *testing.T) {
	r := startReceiver(t, nil, "--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", unreachableDSN)
	code, body := sendCommand(t, r.url, declareCmd("x"), apiToken)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body["error"], "--api-token-file")

	r2 := startReceiver(t, map[string]string{"FIREBREAK_API_TOKEN": apiToken}, "--spool-dir", filepath.Join(t.TempDir(), "spool"),
		"--clickhouse-dsn", unreachableDSN)
	code, _ = sendCommand(t, r2.url, declareCmd("x"), "")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = sendCommand(t, r2.url, declareCmd("x"), "wrong")
	assert.Equal(t, http.StatusUnauthorized, code)
	for body, want := range map[string]string{
		`{"id":`: "invalid command",
		`{"id":"1","kind":"declare","actor":{"login":"a","role":"Editor"},"bogus":1}`:            "bogus: unknown field",
		`{"id":"1","kind":"declare","actor":{"login":"a","role":"Editor"}}`:                      "declare: missing",
		`{"id":"1","kind":"acknowledge","actor":{"login":"a","role":"Owner"},"incident_id":"x"}`: "actor.role",
		`{"id":"1","kind":"containment_start","actor":{"login":"a","role":"Editor"},"incident_id":"x","containment_start":` +
			`{"request_id":"r","attempt":1,"target":"POST http://x/","deadline":"2030-01-01T00:00:00Z",` +
			`"evidence":{"id":"e","sha256":"00","bytes":2},"snapshot":"e30="}}`: "sha256 and bytes do not match the snapshot",
	} {
		code, out := sendCommand(t, r2.url, body, apiToken)
		assert.Equal(t, http.StatusBadRequest, code, body)
		assert.Contains(t, out["error"], want, body)
	}
	code, out := sendCommand(t, r2.url, `{"id":"`+strings.Repeat("x", 5<<20)+`"}`, apiToken)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Contains(t, out["error"], "larger than 4 MiB")
}

func TestCommandsAgainstClickHouse(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	spoolDir := filepath.Join(t.TempDir(), "spool")
	env := map[string]string{"FIREBREAK_API_TOKEN": apiToken}
	args := []string{"--spool-dir", spoolDir, "--clickhouse-dsn", ch.DSN(db)}
	r := startReceiver(t, env, args...)

	code, out := sendCommand(t, r.url, declareCmd("declare-1"), apiToken)
	require.Equal(t, 200, code, out)
	inc := out["incident"].(map[string]any)
	id := inc["incident_id"].(string)
	assert.Equal(t, "manual", inc["declared_via"])
	assert.Equal(t, "support", inc["reported_via"])
	// The same declare again (a retried request) finds the same incident and adds nothing.
	code, out = sendCommand(t, r.url, declareCmd("declare-1"), apiToken)
	require.Equal(t, 200, code)
	assert.Equal(t, id, out["incident"].(map[string]any)["incident_id"])
	assert.Empty(t, out["events"])

	code, out = sendCommand(t, r.url, ack("ack-v", id, "vic", incident.Viewer), apiToken)
	assert.Equal(t, 403, code)
	assert.Contains(t, out["error"], "viewers can read")
	code, _ = sendCommand(t, r.url, ack("ack-x", "6d3f2c1e-0000-4000-8000-000000000000", "bob", incident.Editor), apiToken)
	assert.Equal(t, 404, code)

	// Ten people acknowledge at once: one wins, the others get 409 with the current state.
	var wg sync.WaitGroup
	codes := make([]int, 10)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = sendCommand(t, r.url, ack(fmt.Sprintf("ack-%d", i), id, fmt.Sprintf("user%d", i), incident.Editor), apiToken)
		}()
	}
	wg.Wait()
	wins, conflicts := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			wins++
		case 409:
			conflicts++
		}
	}
	assert.Equal(t, 1, wins)
	assert.Equal(t, 9, conflicts)
	code, out = sendCommand(t, r.url, ack("ack-late", id, "zed", incident.Editor), apiToken)
	assert.Equal(t, 409, code)
	assert.Equal(t, "acknowledged", out["status"])

	// The answer comes once the command is applied; its events reach ClickHouse right after.
	st, err := store.Open(ch.DSN(db), nil)
	require.NoError(t, err)
	defer st.Close()
	events := waitEvents(t, st, id, 3)
	assert.Nil(t, incident.VerifyChain(events))
	assert.Equal(t, incident.KindTaxonomyUpdated, events[1].Kind, "the hallucination defaults")
	assert.Equal(t, incident.KindAcknowledged, events[2].Kind)

	// After a restart the receiver still recognizes a command it applied (the incident is reloaded from its events).
	r.stop()
	r = startReceiver(t, env, args...)
	lead := incident.Command{ID: "lead-1", Kind: incident.CmdAssignRole, IncidentID: id, Actor: incident.Actor{Login: "alice", Role: incident.Editor},
		Role: &incident.RoleBody{Role: incident.RoleIncidentLead, User: "alice"}}
	for i := 0; i < 2; i++ {
		code, out = sendCommand(t, r.url, lead, apiToken)
		require.Equal(t, 200, code, out)
	}
	// Its id with another command, body or person is refused (422), never answered as done; so is a declare's.
	otherBody, otherPerson, otherKind := lead, lead, ack(lead.ID, id, "alice", incident.Editor)
	otherBody.Role = &incident.RoleBody{Role: incident.RoleIncidentLead, User: "bob"}
	otherPerson.Actor.Login = "bob"
	otherDeclare := declareCmd("declare-1")
	otherDeclare.Declare.Title = "Another incident"
	for _, c := range []incident.Command{otherBody, otherPerson, otherKind, otherDeclare} {
		code, out = sendCommand(t, r.url, c, apiToken)
		assert.Equal(t, 422, code, "%+v: %v", c, out)
		assert.Contains(t, out["error"], "id: already used for another request")
	}
	waitEvents(t, st, id, 4)
	waitQuery(t, ch, "SELECT incident_lead, status FROM "+db+".incidents", "alice\tacknowledged\n")
}

// waitEvents waits until ClickHouse holds n events of the incident, and fails if it ever holds more.
func waitEvents(t *testing.T, st *store.Store, id string, n int) []incident.Event {
	t.Helper()
	var events []incident.Event
	testenv.WaitFor(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
		var err error
		events, err = st.Events(context.Background(), id)
		require.NoError(t, err)
		require.LessOrEqual(t, len(events), n)
		return len(events) == n, fmt.Sprintf("%d of %d events", len(events), n)
	})
	return events
}

// Alerts and people write to the same incident; the receiver serializes them into one unbroken chain.
func TestAlertsAndCommandsShareOneTimeline(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	r := startReceiver(t, map[string]string{"FIREBREAK_API_TOKEN": apiToken}, "--spool-dir", filepath.Join(t.TempDir(), "spool"),
		"--clickhouse-dsn", ch.DSN(db))
	start := time.Now().Add(-time.Minute)
	code, _ := post(t, r.url, notification("g", "firing", start, "f1"))
	require.Equal(t, 200, code)
	var id string
	testenv.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		out, _ := ch.TryQuery("SELECT toString(incident_id) FROM " + db + ".incidents")
		id = strings.TrimSpace(out)
		return id != "", "waiting for the incident"
	})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			post(t, r.url, notification("g", "firing", start, fmt.Sprintf("f%d", i+2)))
		}()
		go func() {
			defer wg.Done()
			note := incident.Command{ID: fmt.Sprintf("note-%d", i), Kind: incident.CmdNote, IncidentID: id,
				Actor: incident.Actor{Login: "alice", Role: incident.Editor}, Note: &incident.NoteBody{Text: fmt.Sprintf("note %d", i)}}
			code, out := sendCommand(t, r.url, note, apiToken)
			assert.Equal(t, 200, code, out)
		}()
	}
	wg.Wait()
	st, err := store.Open(ch.DSN(db), nil)
	require.NoError(t, err)
	defer st.Close()
	testenv.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		events, err := st.Events(context.Background(), id)
		return err == nil && len(events) == 43, fmt.Sprintf("%d events", len(events))
	})
	events, err := st.Events(context.Background(), id)
	require.NoError(t, err)
	assert.Nil(t, incident.VerifyChain(events), "one unbroken hash chain")
	folded, err := incident.Fold(events)
	require.NoError(t, err)
	assert.Equal(t, 21, folded.AlertCount)
}

// GET /api/v1/deadlines answers from the processor's index, which changes with every command at once.
func TestDeadlinesAPI(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	r := startReceiver(t, map[string]string{"FIREBREAK_API_TOKEN": apiToken}, "--spool-dir", filepath.Join(t.TempDir(), "spool"),
		"--clickhouse-dsn", ch.DSN(db))
	get := func(query, token string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, r.url+"/api/v1/deadlines?"+query, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	code, _ := get("now=1", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	for query, want := range map[string]string{"": "now: missing", "now=soon": "now: want", "now=1&ack.SEV1=-5": "ack.SEV1: want"} {
		code, out := get(query, apiToken)
		assert.Equal(t, http.StatusBadRequest, code, query)
		assert.Contains(t, out["error"], want, query)
	}

	code, out := sendCommand(t, r.url, declareCmd("declare-d"), apiToken)
	require.Equal(t, 200, code, out)
	id := out["incident"].(map[string]any)["incident_id"].(string)
	later := strconv.FormatInt(time.Now().Add(5*time.Hour).Unix(), 10)
	testenv.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		code, out := get("now="+later+"&ack.SEV2=14400", apiToken)
		return code == 200 && out["open_sla_breaches"] == float64(1), fmt.Sprintf("%d %v", code, out)
	})
	code, _ = sendCommand(t, r.url, ack("ack-d", id, "bob", incident.Editor), apiToken)
	require.Equal(t, 200, code)
	code, out = get("now="+later+"&ack.SEV2=14400", apiToken)
	assert.Equal(t, 200, code)
	assert.Equal(t, float64(0), out["open_sla_breaches"], "acknowledged: the index changed with the answer")
	code, out = get("now="+later+"&ack.SEV2=14400&contain.SEV2=3600", apiToken)
	assert.Equal(t, float64(1), out["open_sla_breaches"], "not contained within the hour")
}

// GET /api/v1/sla answers the targets of --sla-file in the app's jsonData.sla format, to the plugin only.
func TestSLAAPI(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	dir := t.TempDir()
	slaFile := filepath.Join(dir, "sla.yaml")
	require.NoError(t, os.WriteFile(slaFile, []byte("SEV2: {contain: 48h}\n"), 0o600))
	r := startReceiver(t, map[string]string{"FIREBREAK_API_TOKEN": apiToken}, "--spool-dir", filepath.Join(dir, "spool"),
		"--clickhouse-dsn", ch.DSN(ch.NewDatabase(t)), "--sla-file", slaFile)
	get := func(token string) (int, map[string]incident.SLASpec) {
		req, _ := http.NewRequest(http.MethodGet, r.url+"/api/v1/sla", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]incident.SLASpec
		if resp.StatusCode == http.StatusOK {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		}
		return resp.StatusCode, out
	}
	code, _ := get("")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, specs := get(apiToken)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]incident.SLASpec{"SEV1": {Acknowledge: "15m0s", Contain: "4h0m0s"},
		"SEV2": {Acknowledge: "4h0m0s", Contain: "48h0m0s"}, "SEV3": {Acknowledge: "72h0m0s", Contain: "0s"}}, specs)
}
