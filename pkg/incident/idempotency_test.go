package incident

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdempotencyIDScope(t *testing.T) {
	const inc, other = "6d3f2c1e-0000-4000-8000-000000000001", "6d3f2c1e-0000-4000-8000-000000000002"
	base := IdempotencyID("alice", inc, "k-1")
	assert.Regexp(t, `^key-[0-9a-f]{32}$`, base, "fits the plugin's request ids and keys")
	for _, tt := range []struct {
		name              string
		login, incID, key string
		same              bool
	}{
		{"the same", "alice", inc, "k-1", true},
		{"the login in another case", "ALICE", inc, "k-1", true},
		{"another user", "bob", inc, "k-1", false},
		{"another incident", "alice", other, "k-1", false},
		{"a declare (no incident)", "alice", "", "k-1", false},
		{"another key", "alice", inc, "k-2", false},
		{"the key in another case", "alice", inc, "K-1", false},
		{"parts shifted", "alice" + inc, "", "k-1", false},
	} {
		assert.Equal(t, tt.same, IdempotencyID(tt.login, tt.incID, tt.key) == base, tt.name)
	}
}

func TestFingerprint(t *testing.T) {
	note := func(a Actor, text string) *Command {
		return &Command{ID: "k", Kind: CmdNote, IncidentID: "x", Actor: a, Note: &NoteBody{Text: text}}
	}
	base := note(alice, "rolled back").Fingerprint()
	assert.Len(t, base, fingerprintLen)
	same := []*Command{
		note(Actor{Login: "ALICE", Role: Editor}, "rolled back"),
		note(Actor{Login: "alice", Role: Admin}, "rolled back"), // the org role is not what was asked
		{ID: "other-id", Kind: CmdNote, IncidentID: "y", Actor: alice, Note: &NoteBody{Text: "rolled back"}},
	}
	for _, c := range same {
		assert.Equal(t, base, c.Fingerprint(), "%+v", c)
	}
	different := []*Command{
		note(bob, "rolled back"),
		note(alice, "rolled back "),
		{ID: "k", Kind: CmdAcknowledge, IncidentID: "x", Actor: alice},
		{ID: "k", Kind: CmdStatus, IncidentID: "x", Actor: alice, Status: &StatusRequest{Status: "contained", Reason: "rolled back"}},
	}
	for _, c := range different {
		assert.NotEqual(t, base, c.Fingerprint(), "%+v", c)
	}
	// A containment request is what the person asked (action, reason), not what the catalog said of the action.
	r1, r2 := requestCmd(alice, true), requestCmd(alice, false)
	r2.ContainmentRequest.Label, r2.ContainmentRequest.ActionDigest = "renamed", "changed"
	assert.Equal(t, r1.Fingerprint(), r2.Fingerprint())
	r2.ContainmentRequest.Reason = "another reason"
	assert.NotEqual(t, r1.Fingerprint(), r2.Fingerprint())
}

func TestSplitCause(t *testing.T) {
	fp := "0123456789abcdef0123456789abcdef"
	for _, tt := range []struct{ cause, id, fingerprint string }{
		{"key-1#" + fp, "key-1", fp},
		{"a#b#" + fp, "a#b", fp},
		{"legacy-key", "legacy-key", ""},
		{"2bf04d1b-69d3-474d-8f27-003e0f9e305b/attempt-1/outcome", "2bf04d1b-69d3-474d-8f27-003e0f9e305b/attempt-1/outcome", ""},
		{"x#" + fp[:31], "x#" + fp[:31], ""},
		{"x#0123456789ABCDEF0123456789abcdef", "x#0123456789ABCDEF0123456789abcdef", ""},
	} {
		id, fingerprint := splitCause(tt.cause)
		assert.Equal(t, tt.id, id, tt.cause)
		assert.Equal(t, tt.fingerprint, fingerprint, tt.cause)
	}
}

// The same id: the same request is answered again with nothing new; another command, body or person under it is
// refused, never taken for done. The same holds for an incident folded again from its stored events (a restart).
func TestReplayAndKeyReuse(t *testing.T) {
	note := func(a Actor, text string) *Command {
		return &Command{ID: "key-1", Kind: CmdNote, IncidentID: "x", Actor: a, Note: &NoteBody{Text: text}}
	}
	inc, timeline := declaredTimeline(t)
	events, err := Execute(note(alice, "rolled back"), inc, t0.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, events, 1)

	refolded, err := Fold(stored(t, append(timeline, events...)))
	require.NoError(t, err)
	for name, inc := range map[string]*Incident{"in memory": inc, "folded again": refolded} {
		for _, tt := range []struct {
			name   string
			c      *Command
			replay bool
		}{
			{"the same request", note(alice, "rolled back"), true},
			{"the same request, login in capitals", note(Actor{Login: "ALICE", Role: Editor}, "rolled back"), true},
			{"another body", note(alice, "rolled back v2"), false},
			{"another command", &Command{ID: "key-1", Kind: CmdAcknowledge, IncidentID: "x", Actor: alice}, false},
			{"another person", note(bob, "rolled back"), false},
		} {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				seq := inc.LastSeq
				events, err := Execute(tt.c, inc, t0.Add(2*time.Minute))
				assert.Empty(t, events)
				assert.Equal(t, seq, inc.LastSeq)
				if tt.replay {
					assert.NoError(t, err)
					return
				}
				var ke *ErrKeyReused
				require.ErrorAs(t, err, &ke)
				assert.Contains(t, ke.Reason, "already used for another request")
			})
		}
	}
}

// Events recorded before fingerprints carry the command's id alone; they still decode, fold and verify as they
// did, and their ids still answer as done (there is nothing to compare).
func TestCausesRecordedBeforeFingerprints(t *testing.T) {
	inc, timeline := declaredTimeline(t)
	e, err := inc.appendCaused("old-key", KindNote, t0, t0, UserActor("alice"), "old note", NoteBody{Text: "old note"})
	require.NoError(t, err)
	old := stored(t, append(timeline, e))
	assert.Equal(t, "old-key", old[1].Cause)
	assert.Nil(t, VerifyChain(old))
	folded, err := Fold(old)
	require.NoError(t, err)
	assert.True(t, folded.HasCause("old-key"))
	for _, c := range []*Command{
		{ID: "old-key", Kind: CmdNote, IncidentID: "x", Actor: alice, Note: &NoteBody{Text: "old note"}},
		{ID: "old-key", Kind: CmdNote, IncidentID: "x", Actor: bob, Note: &NoteBody{Text: "anything"}},
	} {
		events, err := Execute(c, folded, t0.Add(time.Minute))
		assert.NoError(t, err)
		assert.Empty(t, events)
	}
}

// declaredTimeline is a hand-declared incident and its timeline so far.
func declaredTimeline(t *testing.T) (*Incident, []Event) {
	t.Helper()
	c := cmd(CmdDeclare, alice)
	c.Declare = &DeclareRequest{Title: "Bot gives wrong refund policy", Severity: SEV2, Category: Hallucination,
		AISystem: "supportbot", ReportedVia: "support"}
	inc, e, err := DeclareByHand(c, "x", t0)
	require.NoError(t, err)
	return inc, []Event{e}
}

// stored is a timeline as ClickHouse gives it back: each event through JSON, without the Go values appending keeps.
func stored(t *testing.T, events []Event) []Event {
	t.Helper()
	var out []Event
	for _, e := range events {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		var back Event
		require.NoError(t, json.Unmarshal(b, &back))
		out = append(out, back)
	}
	return out
}
