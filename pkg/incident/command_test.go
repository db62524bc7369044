package incident

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = Actor{Login: "alice", Role: Editor}
	bob   = Actor{Login: "bob", Role: Editor}
	vic   = Actor{Login: "vic", Role: Viewer}
	root  = Actor{Login: "root", Role: Admin}
)

var cmdSeq int

func cmd(kind CommandKind, a Actor) *Command {
	cmdSeq++
	return &Command{ID: fmt.Sprintf("c%d-%s", cmdSeq, kind), Kind: kind, IncidentID: "x", Actor: a}
}

func handDeclared(t *testing.T, sev Severity) *Incident {
	t.Helper()
	c := cmd(CmdDeclare, alice)
	c.Declare = &DeclareRequest{Title: "Bot gives wrong refund policy", Severity: sev, Category: Hallucination,
		AISystem: "supportbot", ReportedVia: "support"}
	inc, e, err := DeclareByHand(c, "x", t0)
	require.NoError(t, err)
	assert.Equal(t, "user:alice", e.Actor)
	assert.Equal(t, "manual", inc.DeclaredVia)
	assert.Equal(t, "support", inc.ReportedVia)
	return inc
}

func run(t *testing.T, inc *Incident, c *Command) error {
	t.Helper()
	_, err := Execute(c, inc, t0.Add(time.Minute))
	return err
}

func TestCommandLifecycleAndRules(t *testing.T) {
	inc := handDeclared(t, SEV2)
	ack := cmd(CmdAcknowledge, alice)
	require.NoError(t, run(t, inc, ack))
	events, err := Execute(ack, inc, t0)
	require.NoError(t, err)
	assert.Empty(t, events, "the same command again changes nothing")
	ack2 := cmd(CmdAcknowledge, alice)
	ack2.ID = "c2"
	var te *ErrTransition
	require.ErrorAs(t, run(t, inc, ack2), &te, "ack twice")
	assert.Equal(t, Acknowledged, te.From)

	var fe *ErrForbidden
	require.ErrorAs(t, run(t, inc, cmd(CmdAcknowledge, vic)), &fe)
	assert.Contains(t, fe.Reason, "viewers can read")

	raise := cmd(CmdSeverity, alice)
	raise.Severity = &SeverityRequest{Severity: SEV1, Reason: "many users"}
	require.NoError(t, run(t, inc, raise))
	assert.Equal(t, SEV1, inc.Severity)
	lower := cmd(CmdSeverity, alice)
	lower.Severity = &SeverityRequest{Severity: SEV3, Reason: "few users"}
	require.ErrorAs(t, run(t, inc, lower), &fe)
	assert.Contains(t, fe.Reason, "no incident lead is assigned")

	lead := cmd(CmdAssignRole, bob)
	lead.Role = &RoleBody{Role: RoleIncidentLead, User: "alice"}
	require.NoError(t, run(t, inc, lead))
	assert.Equal(t, "alice", inc.Lead())
	require.NoError(t, run(t, inc, lower), "the lead may lower")

	resolve := cmd(CmdStatus, bob)
	resolve.Status = &StatusRequest{Status: "resolved"}
	require.ErrorAs(t, run(t, inc, resolve), &fe)
	assert.Contains(t, fe.Reason, "the incident lead is alice")
	resolve = again(resolve)
	contain := cmd(CmdStatus, bob)
	contain.Status = &StatusRequest{Status: "contained", Reason: "rolled back"}
	require.NoError(t, run(t, inc, contain))
	resolve.Actor = root
	require.NoError(t, run(t, inc, resolve))
	require.ErrorAs(t, run(t, inc, again(contain)), &te, "contain a resolved incident")

	reopen := cmd(CmdStatus, bob)
	reopen.Status = &StatusRequest{Status: "reopened", Reason: "again"}
	require.NoError(t, run(t, inc, reopen))
	assert.Equal(t, Acknowledged, inc.Status)
	resolve = again(resolve)
	resolve.Actor = alice
	require.NoError(t, run(t, inc, resolve))
	require.NoError(t, run(t, inc, cmd(CmdClose, alice)), "SEV3 closes without a review")
	require.ErrorAs(t, run(t, inc, again(resolve)), &te, "resolve a closed incident")
	assert.Equal(t, Closed, te.From)
}

func TestCloseNeedsCompleteReviewForSEV1AndSEV2(t *testing.T) {
	inc := handDeclared(t, SEV1)
	resolve := cmd(CmdStatus, root)
	resolve.Status = &StatusRequest{Status: "resolved"}
	require.NoError(t, run(t, inc, resolve))
	var te *ErrTransition
	require.ErrorAs(t, run(t, inc, cmd(CmdClose, root)), &te)
	assert.Contains(t, te.Error(), "missing: the whole review")

	review := cmd(CmdReview, alice)
	review.Review = &Review{Impact: "300 customers got a wrong policy", RootCauseClass: "model_defect"}
	require.NoError(t, run(t, inc, review))
	require.ErrorAs(t, run(t, inc, cmd(CmdClose, root)), &te)
	assert.Contains(t, te.Error(), "started_at, detected_at, affected, root_cause, action_items")

	review.ID += "-v2"
	review.Review = &Review{StartedAt: t0, DetectedAt: t0, Impact: "i", Affected: "customers", RootCauseClass: "bad_data",
		RootCause: "stale policy documents", ActionItems: []ActionItem{{Text: "refresh index", Owner: "bob", Due: "2026-12-01", Status: "open"}}}
	require.NoError(t, run(t, inc, review))
	assert.Equal(t, []string{"playbook_changes", "regulatory_follow_up"}, inc.ReviewMissing(), "five parts for a SEV1")
	require.ErrorAs(t, run(t, inc, cmd(CmdClose, root)), &te)
	assert.Contains(t, te.Error(), "missing: playbook_changes, regulatory_follow_up")

	review.ID += "-v3"
	review.Review.PlaybookChanges, review.Review.RegulatoryFollowUp = "Refresh check in the hallucination runbook", "none"
	require.NoError(t, run(t, inc, review))
	assert.Empty(t, inc.ReviewMissing())
	assert.True(t, inc.ReviewComplete())
	assert.Equal(t, []time.Time{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, inc.Review.OpenActionItemDues())
	require.NoError(t, run(t, inc, cmd(CmdClose, root)))
	review.ID += "-v4"
	require.ErrorAs(t, run(t, inc, review), &te, "review of a closed incident is frozen")
}

func TestRegulatoryClocks(t *testing.T) {
	inc := handDeclared(t, SEV1)
	aware := t0.Add(-time.Hour)
	report := cmd(CmdRegulatoryReport, alice)
	report.RegulatoryReport = &RegulatoryReportBody{Regime: GDPR, Authority: "CNIL", Report: "initial", SentAt: t0}
	var ie *ErrInvalid
	require.ErrorAs(t, run(t, inc, report), &ie, "report before flag")

	for _, f := range []RegulatoryFlagBody{{Regime: GDPR, AwareAt: aware}, {Regime: EUAIAct, Tier: TierWidespread, AwareAt: aware}} {
		flag := cmd(CmdRegulatoryFlag, alice)
		flag.RegulatoryFlag = &f
		require.NoError(t, run(t, inc, flag))
	}
	assert.Equal(t, aware.Add(72*time.Hour), inc.Clock(GDPR).DueAt)
	assert.Equal(t, aware.Add(48*time.Hour), inc.Clock(EUAIAct).DueAt)
	assert.Equal(t, aware.Add(48*time.Hour), inc.NextRegulatoryDue())
	assert.True(t, inc.Clock(EUAIAct).Overdue(aware.Add(49*time.Hour)))
	report.RegulatoryReport.Regime = EUAIAct
	require.NoError(t, run(t, inc, report))
	assert.False(t, inc.Clock(EUAIAct).Overdue(aware.Add(49*time.Hour)))
	assert.Equal(t, aware.Add(72*time.Hour), inc.NextRegulatoryDue())

	for tier, want := range map[string]time.Duration{TierStandard: 15 * 24 * time.Hour, TierDeath: 10 * 24 * time.Hour} {
		d, err := ReportDeadline(EUAIAct, tier)
		require.NoError(t, err)
		assert.Equal(t, want, d)
	}
	_, err := ReportDeadline(GDPR, TierDeath)
	assert.Error(t, err)
}

func TestCommandValidation(t *testing.T) {
	tests := []struct {
		name string
		c    Command
		want string
	}{
		{"no id", Command{Kind: CmdAcknowledge, IncidentID: "x", Actor: alice}, "id: missing"},
		{"no actor", Command{ID: "1", Kind: CmdAcknowledge, IncidentID: "x"}, "actor.login"},
		{"bad role", Command{ID: "1", Kind: CmdAcknowledge, IncidentID: "x", Actor: Actor{Login: "a", Role: "God"}}, "actor.role"},
		{"no incident", Command{ID: "1", Kind: CmdAcknowledge, Actor: alice}, "incident_id: missing"},
		{"unknown kind", Command{ID: "1", Kind: "explode", IncidentID: "x", Actor: alice}, "unknown command"},
		{"declare empty", Command{ID: "1", Kind: CmdDeclare, Actor: alice, Declare: &DeclareRequest{}}, "title: missing"},
		{"declare sev", Command{ID: "1", Kind: CmdDeclare, Actor: alice, Declare: &DeclareRequest{Title: "t"}}, "severity"},
		{"declare category", Command{ID: "1", Kind: CmdDeclare, Actor: alice, Declare: &DeclareRequest{Title: "t", Severity: SEV1, Category: "x"}}, "category"},
		{"declare channel", Command{ID: "1", Kind: CmdDeclare, Actor: alice, Declare: &DeclareRequest{Title: "t", Severity: SEV1, Category: Bias, AISystem: "s", ReportedVia: "tv"}}, "reported_via"},
		{"severity reason", Command{ID: "1", Kind: CmdSeverity, IncidentID: "x", Actor: alice, Severity: &SeverityRequest{Severity: SEV1}}, "reason: missing"},
		{"role name", Command{ID: "1", Kind: CmdAssignRole, IncidentID: "x", Actor: alice, Role: &RoleBody{Role: "boss", User: "u"}}, "unknown role"},
		{"note empty", Command{ID: "1", Kind: CmdNote, IncidentID: "x", Actor: alice, Note: &NoteBody{Text: " "}}, "text: missing"},
		{"status", Command{ID: "1", Kind: CmdStatus, IncidentID: "x", Actor: alice, Status: &StatusRequest{Status: "closed"}}, "not contained, resolved or reopened"},
		{"review class", Command{ID: "1", Kind: CmdReview, IncidentID: "x", Actor: alice, Review: &Review{RootCauseClass: "aliens"}}, "root_cause_class"},
		{"review due", Command{ID: "1", Kind: CmdReview, IncidentID: "x", Actor: alice, Review: &Review{ActionItems: []ActionItem{{Text: "t", Due: "soon", Status: "open"}}}}, "action_items[0].due"},
		{"flag tier", Command{ID: "1", Kind: CmdRegulatoryFlag, IncidentID: "x", Actor: alice, RegulatoryFlag: &RegulatoryFlagBody{Regime: EUAIAct, Tier: "x", AwareAt: t0}}, "tier"},
		{"flag aware", Command{ID: "1", Kind: CmdRegulatoryFlag, IncidentID: "x", Actor: alice, RegulatoryFlag: &RegulatoryFlagBody{Regime: GDPR}}, "aware_at"},
		{"payload missing", Command{ID: "1", Kind: CmdNote, IncidentID: "x", Actor: alice}, "note: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			var ie *ErrInvalid
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSLA(t *testing.T) {
	targets := DefaultSLATargets()
	inc := handDeclared(t, SEV1)
	st := targets.SLA(inc, t0.Add(10*time.Minute))
	assert.Equal(t, t0.Add(15*time.Minute), st.AcknowledgeDueAt)
	assert.False(t, st.Breached())
	st = targets.SLA(inc, t0.Add(16*time.Minute))
	assert.True(t, st.AcknowledgeBreached)
	assert.False(t, st.ContainBreached)
	inc.AcknowledgedAt = t0.Add(5 * time.Minute)
	assert.False(t, targets.SLA(inc, t0.Add(time.Hour)).AcknowledgeBreached, "acknowledged in time stays met")
	inc.ResolvedAt = t0.Add(5 * time.Hour)
	assert.True(t, targets.SLA(inc, t0.Add(6*time.Hour)).ContainBreached, "resolved late counts as contained late")
	sev3 := handDeclared(t, SEV3)
	st = targets.SLA(sev3, t0.Add(100*time.Hour))
	assert.True(t, st.AcknowledgeBreached)
	assert.True(t, st.ContainDueAt.IsZero())
}

// again is the same request sent anew (a new idempotency key).
func again(c *Command) *Command {
	n := *c
	cmdSeq++
	n.ID = fmt.Sprintf("%s-again%d", c.ID, cmdSeq)
	return &n
}

// The lead role: open to Editors while vacant; once held, handed on only by its holder (in any spelling of the
// login) or an Admin. Other roles stay open to Editors. Every assignment is an event naming who held the role.
func TestLeadHandOverRules(t *testing.T) {
	for _, tt := range []struct {
		name  string
		lead  string
		role  string
		actor Actor
		to    string
		want  string // "" allowed, else the refusal
	}{
		{"an Editor takes the vacant lead", "", RoleIncidentLead, bob, "bob", ""},
		{"an Editor gives the vacant lead", "", RoleIncidentLead, bob, "alice", ""},
		{"another Editor takes the lead", "alice", RoleIncidentLead, bob, "bob", "only the incident lead (alice) or an Admin may hand on the incident lead role"},
		{"another Editor gives the lead away", "alice", RoleIncidentLead, bob, "carol", "only the incident lead (alice)"},
		{"the lead hands on", "alice", RoleIncidentLead, alice, "bob", ""},
		{"the lead hands on in capitals", "alice", RoleIncidentLead, Actor{Login: "ALICE", Role: Editor}, "bob", ""},
		{"the lead written in capitals hands on", "ALICE", RoleIncidentLead, alice, "bob", ""},
		{"an Admin hands on", "alice", RoleIncidentLead, root, "bob", ""},
		{"a viewer", "", RoleIncidentLead, vic, "vic", "viewers can read"},
		{"a viewer who is the lead", "vic", RoleIncidentLead, vic, "bob", "viewers can read"},
		{"other roles stay open", "alice", RoleTechnicalLead, bob, "bob", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inc := handDeclared(t, SEV1)
			if tt.lead != "" {
				lead := cmd(CmdAssignRole, root)
				lead.Role = &RoleBody{Role: RoleIncidentLead, User: tt.lead}
				require.NoError(t, run(t, inc, lead))
			}
			before := inc.Roles[tt.role]
			assign := cmd(CmdAssignRole, tt.actor)
			assign.Role = &RoleBody{Role: tt.role, User: tt.to}
			events, err := Execute(assign, inc, t0.Add(time.Minute))
			if tt.want != "" {
				var fe *ErrForbidden
				require.ErrorAs(t, err, &fe)
				assert.Contains(t, fe.Reason, tt.want)
				assert.Equal(t, before, inc.Roles[tt.role], "nothing changed")
				return
			}
			require.NoError(t, err)
			require.Len(t, events, 1)
			assert.Equal(t, tt.to, inc.Roles[tt.role])
			var body RoleBody
			require.NoError(t, json.Unmarshal(events[0].Body, &body))
			assert.Equal(t, RoleBody{Role: tt.role, User: tt.to, Previous: before}, body)
			if before != "" {
				assert.Equal(t, fmt.Sprintf("%s handed the %s role from %s to %s", tt.actor.Login, strings.ReplaceAll(tt.role, "_", " "), before, tt.to), events[0].Message)
			}
		})
	}

	// previous is Firebreak's to record.
	c := cmd(CmdAssignRole, alice)
	c.Role = &RoleBody{Role: RoleIncidentLead, User: "alice", Previous: "nobody"}
	var ie *ErrInvalid
	require.ErrorAs(t, c.Validate(), &ie)
	assert.Contains(t, ie.Reason, "previous")
}

// The review's completeness: five parts for SEV1 and SEV2, each text part may say "none" but not nothing, and no
// action items only when said explicitly; SEV3 keeps its rules.
func TestReviewCompleteness(t *testing.T) {
	item := ActionItem{Text: "re-index nightly", Owner: "bob", Due: "2030-01-31", Status: "open"}
	whole := func() Review {
		return Review{StartedAt: t0, DetectedAt: t0, Impact: "wrong policy quoted", Affected: "40 customers",
			RootCauseClass: "bad_data", RootCause: "stale documents", ActionItems: []ActionItem{item},
			PlaybookChanges: "check freshness first", RegulatoryFollowUp: "none"}
	}
	for _, tt := range []struct {
		name   string
		edit   func(*Review)
		sev123 [3][]string // missing at SEV1, SEV2, SEV3
	}{
		{"all five parts", func(*Review) {}, [3][]string{{}, {}, {}}},
		{"every part says none", func(r *Review) {
			r.ActionItems, r.ActionItemsNone, r.PlaybookChanges, r.RegulatoryFollowUp = nil, true, "none", "None"
		}, [3][]string{{}, {}, {"action_items"}}},
		{"no playbook changes", func(r *Review) { r.PlaybookChanges = "" },
			[3][]string{{"playbook_changes"}, {"playbook_changes"}, {}}},
		{"blank regulatory follow-up", func(r *Review) { r.RegulatoryFollowUp = " \n" },
			[3][]string{{"regulatory_follow_up"}, {"regulatory_follow_up"}, {}}},
		{"no action items, not said", func(r *Review) { r.ActionItems = []ActionItem{} },
			[3][]string{{"action_items"}, {"action_items"}, {"action_items"}}},
		{"an action without owner and date", func(r *Review) { r.ActionItems = []ActionItem{{Text: "fix", Status: "open"}} },
			[3][]string{{"action_items[0] owner and due date"}, {"action_items[0] owner and due date"}, {"action_items[0] owner and due date"}}},
		{"what happened missing", func(r *Review) { r.StartedAt, r.Impact = time.Time{}, "" },
			[3][]string{{"started_at", "impact"}, {"started_at", "impact"}, {"started_at", "impact"}}},
		{"why missing", func(r *Review) { r.RootCauseClass, r.RootCause = "", "" },
			[3][]string{{"root_cause_class", "root_cause"}, {"root_cause_class", "root_cause"}, {"root_cause_class", "root_cause"}}},
		{"only the old parts", func(r *Review) { r.PlaybookChanges, r.RegulatoryFollowUp = "", "" },
			[3][]string{{"playbook_changes", "regulatory_follow_up"}, {"playbook_changes", "regulatory_follow_up"}, {}}},
	} {
		for i, sev := range []Severity{SEV1, SEV2, SEV3} {
			r := whole()
			tt.edit(&r)
			assert.Equal(t, tt.sev123[i], r.MissingFor(sev), "%s at %s", tt.name, sev)
			inc := &Incident{Severity: sev, Review: &r}
			assert.Equal(t, len(tt.sev123[i]) == 0, inc.ReviewComplete(), "%s at %s", tt.name, sev)
		}
	}
	assert.Equal(t, []string{"the whole review"}, (&Incident{Severity: SEV1}).ReviewMissing())
	assert.False(t, (&Incident{Severity: SEV3}).ReviewComplete())

	r := whole()
	r.ActionItemsNone = true
	c := Command{ID: "1", Kind: CmdReview, IncidentID: "x", Actor: alice, Review: &r}
	var ie *ErrInvalid
	require.ErrorAs(t, c.Validate(), &ie, "no action, yet an action")
	assert.Contains(t, ie.Reason, "review.action_items_none")
}

// A review stored before action_items_none existed decodes and folds as it did (events are evidence: their bodies
// never change meaning), and is judged by today's rules.
func TestOldStoredReviewStillReads(t *testing.T) {
	inc, timeline := declaredTimeline(t)
	old := `{"started_at":"2026-01-01T10:00:00Z","detected_at":"2026-01-01T10:05:00Z","impact":"i","affected":"a",` +
		`"root_cause_class":"bad_data","root_cause":"r","action_items":[{"text":"t","owner":"bob","due":"2026-02-01","status":"open"}],` +
		`"playbook_changes":"","regulatory_follow_up":""}`
	e := inc.NewEvent(KindReviewUpdated, t0, t0, UserActor("alice"), "Review updated by alice", json.RawMessage(old))
	e.Body = json.RawMessage(old)
	e.Hash = e.ComputeHash()
	folded, err := Fold(stored(t, append(timeline, e)))
	require.NoError(t, err)
	require.NotNil(t, folded.Review)
	assert.Equal(t, Review{StartedAt: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), DetectedAt: time.Date(2026, 1, 1, 10, 5, 0, 0, time.UTC),
		Impact: "i", Affected: "a", RootCauseClass: "bad_data", RootCause: "r",
		ActionItems: []ActionItem{{Text: "t", Owner: "bob", Due: "2026-02-01", Status: "open"}}}, *folded.Review)
	assert.Equal(t, []string{"playbook_changes", "regulatory_follow_up"}, folded.ReviewMissing(), "a SEV2 review needs its five parts")
	b, err := json.Marshal(folded.Review)
	require.NoError(t, err)
	assert.JSONEq(t, old, string(b), "a review without action_items_none writes as it did")
	assert.NotContains(t, string(b), "action_items_none")
}
