package plugin

import (
	"fmt"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An X-Idempotency-Key belongs to the user who sent it and to the incident: the same user sending the same
// request again gets it answered again and nothing changes; another user's identical key is theirs; the same key
// with another body or for another command is refused with 422, never answered as if it had been done. It stays
// so across a restart of the receiver (the keys are remembered on the timeline).
func TestIdempotencyKeysAreScopedToUserAndIncident(t *testing.T) {
	e := newEnv(t)
	id := e.declare(t, aliceUser, "SEV2")
	p := "incidents/" + id
	key := map[string]string{"X-Idempotency-Key": "note-1"}
	note := func(u *backend.User, text string) (int, map[string]any) {
		t.Helper()
		status, raw := callResourceWith(t, e.a, u, "POST", p+"/notes", map[string]string{"text": text}, key)
		return status, decode(t, raw)
	}
	events := func(out map[string]any) int { ev, _ := out["events"].([]any); return len(ev) }

	status, out := note(aliceUser, "rolled back the prompt")
	require.Equal(t, 200, status, out)
	assert.Equal(t, 1, events(out))

	// The same request again: answered again, nothing recorded. Logins compare as Grafana compares them.
	for _, u := range []*backend.User{aliceUser, {Login: "ALICE", Role: "Editor"}} {
		status, out = note(u, "rolled back the prompt")
		require.Equal(t, 200, status, out)
		assert.Equal(t, 0, events(out), "%s: a replay records nothing", u.Login)
	}

	// bob's note with the key alice used is bob's own note.
	status, out = note(bobUser, "customers notified")
	require.Equal(t, 200, status, out)
	assert.Equal(t, 1, events(out), "bob's note is recorded: %v", out)

	// alice reuses her key for another body or another command: 422, naming the key.
	status, out = note(aliceUser, "something else")
	assert.Equal(t, 422, status, out)
	assert.True(t, strings.HasPrefix(fmt.Sprint(out["error"]), "X-Idempotency-Key: "), "%v", out)
	status, raw := callResourceWith(t, e.a, aliceUser, "POST", p+"/acknowledge", nil, key)
	assert.Equal(t, 422, status, raw)
	assert.Contains(t, decode(t, raw)["error"], "X-Idempotency-Key: ")

	e.waitRows(t, "SELECT actor, message FROM {db}.incident_events WHERE incident_id = '"+id+"' AND kind = 'note' ORDER BY seq", "user:alice\trolled back the prompt\nuser:bob\tcustomers notified\n")
	e.waitRows(t, "SELECT status FROM {db}.incidents WHERE incident_id = '"+id+"'", "declared\n") // the refused acknowledge changed nothing

	// Declaring: a key names the user's incident; another user's identical key declares another incident.
	declare := func(u *backend.User, title string) (int, map[string]any) {
		t.Helper()
		status, raw := callResourceWith(t, e.a, u, "POST", "incidents", map[string]any{"title": title, "severity": "SEV3",
			"category": "drift", "ai_system": "supportbot", "reported_via": "engineering"}, map[string]string{"X-Idempotency-Key": "declare-1"})
		return status, decode(t, raw)
	}
	incidentOf := func(out map[string]any) string { return out["incident"].(map[string]any)["incident_id"].(string) }
	status, out = declare(aliceUser, "Input drift on supportbot")
	require.Equal(t, 200, status, out)
	mine := incidentOf(out)
	status, out = declare(aliceUser, "Input drift on supportbot")
	require.Equal(t, 200, status, out)
	assert.Equal(t, mine, incidentOf(out))
	assert.Equal(t, 0, events(out))
	status, out = declare(bobUser, "Input drift on supportbot")
	require.Equal(t, 200, status, out)
	assert.NotEqual(t, mine, incidentOf(out), "bob's declare with alice's key is bob's own incident")
	assert.Equal(t, 1, events(out))
	status, out = declare(aliceUser, "Output drift on supportbot")
	assert.Equal(t, 422, status, out)
	assert.Contains(t, out["error"], "X-Idempotency-Key: ")
	e.waitRows(t, "SELECT declared_by FROM {db}.incidents WHERE category = 'drift' ORDER BY declared_by", "user:alice\nuser:bob\n")

	// After a restart of the receiver the keys are still known: they are on the timeline.
	e.recvProc.Stop()
	e.recvProc.Start()
	status, out = note(aliceUser, "rolled back the prompt")
	require.Equal(t, 200, status, out)
	assert.Equal(t, 0, events(out))
	status, out = note(aliceUser, "something else")
	assert.Equal(t, 422, status, out)
	status, out = note(bobUser, "customers notified")
	require.Equal(t, 200, status, out)
	assert.Equal(t, 0, events(out))
	e.waitRows(t, "SELECT count() FROM {db}.incident_events WHERE incident_id = '"+id+"' AND kind = 'note'", "2\n")
}
