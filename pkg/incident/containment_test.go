package incident

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func requestCmd(a Actor, approval bool) *Command {
	c := cmd(CmdContainmentRequest, a)
	c.ContainmentRequest = &ContainmentRequestBody{RequestID: c.ID, Action: "rollback", ActionKind: "rollback_model",
		Label: "Roll back the model", Reason: "wrong refunds", NeedsApproval: approval}
	return c
}

func decisionCmd(kind CommandKind, a Actor, id, reason string) *Command {
	c := cmd(kind, a)
	c.ContainmentDecision = &ContainmentDecisionBody{RequestID: id, Reason: reason}
	return c
}

func startCmd(a Actor, id string, attempt int, deadline time.Time) *Command {
	c := cmd(CmdContainmentStart, a)
	snap := []byte(`{"evidence":1}`)
	c.ContainmentStart = &ContainmentStartRequest{ContainmentStartBody: ContainmentStartBody{RequestID: id, Attempt: attempt,
		Target: "POST http://bot/containment/rollback", Deadline: deadline,
		Evidence: EvidenceRef{ID: "ev-" + c.ID, SHA256: SnapshotSHA256(snap), Bytes: len(snap)}}, Snapshot: snap}
	return c
}

func outcomeCmd(a Actor, id string, attempt int, ok bool) *Command {
	c := cmd(CmdContainmentOutcome, a)
	c.ContainmentOutcome = &ContainmentOutcomeBody{RequestID: id, Attempt: attempt, Succeeded: ok, HTTPStatus: 200, Tries: 1}
	if !ok {
		c.ContainmentOutcome.HTTPStatus, c.ContainmentOutcome.Error = 503, "HTTP 503: unavailable"
	}
	return c
}

func TestContainmentWithApproval(t *testing.T) {
	inc := handDeclared(t, SEV1)
	at := t0.Add(time.Minute)
	req := requestCmd(alice, true)
	require.NoError(t, run(t, inc, req))
	r := inc.ContainmentRequest(req.ID)
	require.NotNil(t, r)
	assert.Equal(t, ContainmentPending, r.State)
	assert.Equal(t, "alice", r.RequestedBy)
	assert.Equal(t, Declared, inc.Status, "requesting containment does not change the status")

	var fe *ErrForbidden
	var te *ErrTransition
	require.ErrorAs(t, run(t, inc, startCmd(alice, req.ID, 1, at.Add(time.Minute))), &te, "no call before approval")
	assert.Contains(t, te.Error(), "waits for approval")

	require.ErrorAs(t, run(t, inc, decisionCmd(CmdContainmentApprove, alice, req.ID, "")), &fe)
	assert.Contains(t, fe.Reason, "nobody may approve their own")
	require.ErrorAs(t, run(t, inc, decisionCmd(CmdContainmentApprove, bob, req.ID, "")), &fe, "an Editor who is not the lead")
	assert.Contains(t, fe.Reason, "no incident lead is assigned")
	require.ErrorAs(t, run(t, inc, decisionCmd(CmdContainmentApprove, vic, req.ID, "")), &fe, "a Viewer")

	// The requester being the lead does not let them approve their own request; another lead would.
	lead := cmd(CmdAssignRole, bob)
	lead.Role = &RoleBody{Role: RoleIncidentLead, User: "alice"}
	require.NoError(t, run(t, inc, lead))
	require.ErrorAs(t, run(t, inc, decisionCmd(CmdContainmentApprove, alice, req.ID, "")), &fe)

	var nf *ErrNotFound
	require.ErrorAs(t, run(t, inc, decisionCmd(CmdContainmentApprove, root, "nope", "")), &nf)

	require.NoError(t, run(t, inc, decisionCmd(CmdContainmentApprove, root, req.ID, "go")))
	r = inc.ContainmentRequest(req.ID)
	assert.Equal(t, ContainmentApproved, r.State)
	assert.Equal(t, "root", r.DecidedBy)
	require.ErrorAs(t, run(t, inc, decisionCmd(CmdContainmentReject, root, req.ID, "changed my mind")), &te, "decided already")

	require.NoError(t, run(t, inc, startCmd(bob, req.ID, 1, at.Add(time.Minute))))
	r = inc.ContainmentRequest(req.ID)
	assert.Equal(t, ContainmentRunning, r.State)
	require.ErrorAs(t, run(t, inc, startCmd(bob, req.ID, 2, at.Add(time.Minute))), &te, "running, within its deadline")
	require.ErrorAs(t, run(t, inc, outcomeCmd(bob, req.ID, 2, true)), &te, "no attempt 2")

	require.NoError(t, run(t, inc, outcomeCmd(bob, req.ID, 1, false)))
	r = inc.ContainmentRequest(req.ID)
	assert.Equal(t, ContainmentFailed, r.State)
	require.ErrorAs(t, run(t, inc, startCmd(bob, req.ID, 1, at.Add(time.Minute))), &te, "attempt numbers only go up")
	require.NoError(t, run(t, inc, startCmd(bob, req.ID, 2, at.Add(time.Minute))), "a failed attempt can be retried")
	require.NoError(t, run(t, inc, outcomeCmd(bob, req.ID, 2, true)))
	r = inc.ContainmentRequest(req.ID)
	assert.Equal(t, ContainmentSucceeded, r.State)
	require.Len(t, r.Attempts, 2)
	assert.Equal(t, 503, r.Attempts[0].Outcome.HTTPStatus)
	require.ErrorAs(t, run(t, inc, startCmd(bob, req.ID, 3, at.Add(time.Minute))), &te, "done")

	// The fold of the timeline gives the same state as the commands did.
	assert.Equal(t, ContainmentSucceeded, inc.ContainmentRequest(req.ID).State)
}

func TestContainmentWithoutApprovalAndInterruptedAttempt(t *testing.T) {
	inc := handDeclared(t, SEV2)
	req := requestCmd(alice, false)
	require.NoError(t, run(t, inc, req))
	assert.Equal(t, ContainmentReady, inc.ContainmentRequest(req.ID).State)
	// run executes at t0+1m; a deadline before that makes the attempt interrupted at once.
	require.NoError(t, run(t, inc, startCmd(alice, req.ID, 1, t0)))
	require.NoError(t, run(t, inc, startCmd(alice, req.ID, 2, t0.Add(time.Hour))), "an attempt past its deadline can be replaced")
	r := inc.ContainmentRequest(req.ID)
	assert.False(t, r.Attempts[0].FinishedAt.IsZero(), "the interrupted attempt is finished")
	assert.Nil(t, r.Attempts[0].Outcome)

	reject := requestCmd(bob, true)
	require.NoError(t, run(t, inc, reject))
	var in *ErrInvalid
	require.ErrorAs(t, run(t, inc, decisionCmd(CmdContainmentReject, root, reject.ID, "")), &in, "a rejection needs a reason")
	require.NoError(t, run(t, inc, decisionCmd(CmdContainmentReject, root, reject.ID, "too broad")))
	assert.Equal(t, ContainmentRejected, inc.ContainmentRequest(reject.ID).State)
	var te *ErrTransition
	require.ErrorAs(t, run(t, inc, startCmd(alice, reject.ID, 1, t0.Add(time.Hour))), &te)
}

func TestContainmentFoldMatchesExecute(t *testing.T) {
	d := cmd(CmdDeclare, alice)
	d.Declare = &DeclareRequest{Title: "t", Severity: SEV1, Category: Bias, AISystem: "s", ReportedVia: "other"}
	inc, first, err := DeclareByHand(d, "x", t0)
	require.NoError(t, err)
	all := []Event{first}
	exec := func(c *Command) {
		t.Helper()
		events, err := Execute(c, inc, t0.Add(time.Minute))
		require.NoError(t, err)
		all = append(all, events...)
	}
	req := requestCmd(alice, true)
	exec(req)
	exec(decisionCmd(CmdContainmentApprove, root, req.ID, ""))
	exec(startCmd(alice, req.ID, 1, t0.Add(time.Hour)))
	exec(outcomeCmd(alice, req.ID, 1, true))
	require.Len(t, all, 5)

	folded, err := Fold(all) // the events as read back: bodies decoded from JSON
	require.NoError(t, err)
	assert.Equal(t, inc.Containment, folded.Containment)
	assert.Nil(t, VerifyChain(all))

	clone := inc.Clone()
	clone.ContainmentRequest(req.ID).Attempts[0].Outcome.HTTPStatus = 500
	assert.Equal(t, 200, inc.ContainmentRequest(req.ID).Attempts[0].Outcome.HTTPStatus, "Clone copies requests deeply")
}

func TestContainmentValidate(t *testing.T) {
	snap := []byte("{}")
	good := ContainmentStartBody{RequestID: "r", Attempt: 1, Target: "POST http://x/", Deadline: t0,
		Evidence: EvidenceRef{ID: "e", SHA256: SnapshotSHA256(snap), Bytes: 2}}
	bad := good
	bad.Evidence.SHA256 = SnapshotSHA256([]byte("[]"))
	for _, tc := range []struct {
		name string
		c    Command
		want string
	}{
		{"request id", Command{ID: "1", Kind: CmdContainmentRequest, IncidentID: "x", Actor: alice,
			ContainmentRequest: &ContainmentRequestBody{RequestID: "2", Action: "a", ActionKind: "custom", Label: "l"}}, "request_id: must be the command's id"},
		{"action kind", Command{ID: "1", Kind: CmdContainmentRequest, IncidentID: "x", Actor: alice,
			ContainmentRequest: &ContainmentRequestBody{RequestID: "1", Action: "a", ActionKind: "nuke", Label: "l"}}, "action_kind"},
		{"no payload", Command{ID: "1", Kind: CmdContainmentApprove, IncidentID: "x", Actor: alice}, "containment_decision: missing"},
		{"reject reason", Command{ID: "1", Kind: CmdContainmentReject, IncidentID: "x", Actor: alice,
			ContainmentDecision: &ContainmentDecisionBody{RequestID: "r"}}, "reason: missing"},
		{"snapshot hash", Command{ID: "1", Kind: CmdContainmentStart, IncidentID: "x", Actor: alice,
			ContainmentStart: &ContainmentStartRequest{ContainmentStartBody: bad, Snapshot: snap}}, "do not match"},
		{"snapshot empty", Command{ID: "1", Kind: CmdContainmentStart, IncidentID: "x", Actor: alice,
			ContainmentStart: &ContainmentStartRequest{ContainmentStartBody: good}}, "snapshot"},
		{"outcome error", Command{ID: "1", Kind: CmdContainmentOutcome, IncidentID: "x", Actor: alice,
			ContainmentOutcome: &ContainmentOutcomeBody{RequestID: "r", Attempt: 1}}, "error: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in *ErrInvalid
			require.ErrorAs(t, tc.c.Validate(), &in)
			assert.Contains(t, in.Reason, tc.want)
		})
	}
	ok := Command{ID: "1", Kind: CmdContainmentStart, IncidentID: "x", Actor: alice,
		ContainmentStart: &ContainmentStartRequest{ContainmentStartBody: good, Snapshot: snap}}
	assert.NoError(t, ok.Validate())
}

// People are compared as Grafana compares logins (case-insensitively) in every rule: the requester may not approve
// as ALICE, and the lead is the lead however either spelling is written.
func TestIdentityRulesIgnoreCase(t *testing.T) {
	for _, tt := range []struct {
		name     string
		lead     string
		actor    Actor
		approves bool
		why      string
	}{
		{"requester as an Admin in capitals", "", Actor{Login: "ALICE", Role: Admin}, false, "nobody may approve their own"},
		{"requester in mixed case", "bob", Actor{Login: "Alice", Role: Admin}, false, "nobody may approve their own"},
		{"lead written in capitals", "BOB", Actor{Login: "bob", Role: Editor}, true, ""},
		{"lead acting in capitals", "bob", Actor{Login: "BOB", Role: Editor}, true, ""},
		{"an Editor who is not the lead", "bob", Actor{Login: "carol", Role: Editor}, false, "only the incident lead or an Admin"},
		{"no lead", "", Actor{Login: "bob", Role: Editor}, false, "no incident lead is assigned"},
		{"a viewer who is the lead", "vic", Actor{Login: "VIC", Role: Viewer}, false, "viewers"},
		{"another Admin", "", Actor{Login: "root", Role: Admin}, true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inc := handDeclared(t, SEV1)
			if tt.lead != "" {
				lead := cmd(CmdAssignRole, root)
				lead.Role = &RoleBody{Role: RoleIncidentLead, User: tt.lead}
				require.NoError(t, run(t, inc, lead))
			}
			req := requestCmd(alice, true)
			require.NoError(t, run(t, inc, req))
			err := run(t, inc, decisionCmd(CmdContainmentApprove, tt.actor, req.ID, ""))
			if tt.approves {
				require.NoError(t, err)
				assert.True(t, inc.MayDecide(tt.actor))
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.why)
			assert.Equal(t, ContainmentPending, inc.ContainmentRequest(req.ID).State)
		})
	}

	// The lead's rights (resolve, lower the severity, close) follow the same comparison.
	inc := handDeclared(t, SEV2)
	lead := cmd(CmdAssignRole, alice)
	lead.Role = &RoleBody{Role: RoleIncidentLead, User: "Bob"}
	require.NoError(t, run(t, inc, lead))
	lower := cmd(CmdSeverity, Actor{Login: "bob", Role: Editor})
	lower.Severity = &SeverityRequest{Severity: SEV3, Reason: "few users"}
	require.NoError(t, run(t, inc, lower))
	resolve := cmd(CmdStatus, Actor{Login: "BOB", Role: Editor})
	resolve.Status = &StatusRequest{Status: "resolved"}
	require.NoError(t, run(t, inc, resolve))
	require.NoError(t, run(t, inc, cmd(CmdClose, Actor{Login: "bOb", Role: Editor})))
}
