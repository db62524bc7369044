package incident

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// OrgRole is a Grafana organization role.
type OrgRole string

const (
	Viewer OrgRole = "Viewer"
	Editor OrgRole = "Editor"
	Admin  OrgRole = "Admin"
)

// Valid reports whether r is one of the roles Firebreak knows (Grafana's role None is not: it grants nothing).
func (r OrgRole) Valid() bool { return r == Viewer || r == Editor || r == Admin }

func (r OrgRole) atLeast(min OrgRole) bool {
	rank := map[OrgRole]int{Viewer: 1, Editor: 2, Admin: 3}
	return rank[r] >= rank[min] && rank[r] > 0
}

// Actor is the person a command comes from.
type Actor struct {
	Login string  `json:"login"`
	Role  OrgRole `json:"role"`
}

// CommandKind names what a person asks to do to an incident.
type CommandKind string

const (
	CmdDeclare          CommandKind = "declare"
	CmdAcknowledge      CommandKind = "acknowledge"
	CmdSeverity         CommandKind = "severity"
	CmdAssignRole       CommandKind = "assign_role"
	CmdNote             CommandKind = "note"
	CmdStatus           CommandKind = "status"
	CmdReview           CommandKind = "review"
	CmdClose            CommandKind = "close"
	CmdRegulatoryFlag   CommandKind = "regulatory_flag"
	CmdRegulatoryReport CommandKind = "regulatory_report"
	CmdReportDraft      CommandKind = "report_draft"
	CmdTaxonomy         CommandKind = "taxonomy"

	CmdContainmentRequest CommandKind = "containment_request"
	CmdContainmentApprove CommandKind = "containment_approve"
	CmdContainmentReject  CommandKind = "containment_reject"
	CmdContainmentStart   CommandKind = "containment_start"
	CmdContainmentOutcome CommandKind = "containment_outcome"
)

// Command is a person's request to change an incident. Exactly the payload matching Kind is set.
type Command struct {
	ID         string      `json:"id"` // idempotency key, chosen by the caller
	Kind       CommandKind `json:"kind"`
	IncidentID string      `json:"incident_id,omitempty"`
	Actor      Actor       `json:"actor"`

	Declare          *DeclareRequest       `json:"declare,omitempty"`
	Severity         *SeverityRequest      `json:"severity,omitempty"`
	Role             *RoleBody             `json:"role,omitempty"`
	Note             *NoteBody             `json:"note,omitempty"`
	Status           *StatusRequest        `json:"status,omitempty"`
	Review           *Review               `json:"review,omitempty"`
	RegulatoryFlag   *RegulatoryFlagBody   `json:"regulatory_flag,omitempty"`
	RegulatoryReport *RegulatoryReportBody `json:"regulatory_report,omitempty"`
	ReportDraft      *ReportDraftBody      `json:"report_draft,omitempty"`
	Taxonomy         *Taxonomy             `json:"taxonomy,omitempty"`

	ContainmentRequest  *ContainmentRequestBody  `json:"containment_request,omitempty"`
	ContainmentDecision *ContainmentDecisionBody `json:"containment_decision,omitempty"`
	ContainmentStart    *ContainmentStartRequest `json:"containment_start,omitempty"`
	ContainmentOutcome  *ContainmentOutcomeBody  `json:"containment_outcome,omitempty"`
}

// DeclareRequest declares an incident by hand.
type DeclareRequest struct {
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Category    Category `json:"category"`
	AISystem    string   `json:"ai_system"`
	Description string   `json:"description"`
	ReportedVia string   `json:"reported_via"`
	Drill       bool     `json:"drill"`
}

// SeverityRequest changes the severity.
type SeverityRequest struct {
	Severity Severity `json:"severity"`
	Reason   string   `json:"reason"`
}

// StatusRequest moves the incident to contained, resolved or (from resolved) reopened.
type StatusRequest struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// ErrForbidden says why an actor may not do something (HTTP 403).
type ErrForbidden struct{ Reason string }

func (e *ErrForbidden) Error() string { return e.Reason }

// ErrInvalid says what is wrong with a command (HTTP 400).
type ErrInvalid struct{ Reason string }

func (e *ErrInvalid) Error() string { return e.Reason }

func invalid(format string, args ...any) error {
	return &ErrInvalid{Reason: fmt.Sprintf(format, args...)}
}

const (
	maxTitleLen = 300
	maxTextLen  = 20000
)

// checkText checks a text field's presence and length.
func checkText(field, v string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return invalid("%s: missing", field)
	case len(v) > max:
		return invalid("%s: longer than %d bytes", field, max)
	}
	return nil
}

// Validate checks a command's shape, independent of any incident.
func (c *Command) Validate() error {
	if c.ID == "" {
		return invalid("id: missing (an idempotency key)")
	}
	if c.Actor.Login == "" {
		return invalid("actor.login: missing")
	}
	if !c.Actor.Role.Valid() {
		return invalid("actor.role: %q is not Viewer, Editor or Admin", c.Actor.Role)
	}
	if c.Kind != CmdDeclare && c.IncidentID == "" {
		return invalid("incident_id: missing")
	}
	need := func(ok bool, field string) error {
		if !ok {
			return invalid("%s: missing for a %s command", field, c.Kind)
		}
		return nil
	}
	text := checkText
	switch c.Kind {
	case CmdDeclare:
		if err := need(c.Declare != nil, "declare"); err != nil {
			return err
		}
		d := c.Declare
		if err := text("title", d.Title, maxTitleLen, true); err != nil {
			return err
		}
		if err := text("description", d.Description, maxTextLen, false); err != nil {
			return err
		}
		if !d.Severity.Valid() {
			return invalid("severity: missing or invalid (want SEV1, SEV2 or SEV3)")
		}
		if _, err := ParseCategory(string(d.Category)); err != nil {
			return invalid("category: %v", err)
		}
		if err := text("ai_system", d.AISystem, 200, true); err != nil {
			return err
		}
		if !contains(ReportChannels, d.ReportedVia) {
			return invalid("reported_via: %q is not one of %s", d.ReportedVia, strings.Join(ReportChannels, ", "))
		}
	case CmdAcknowledge, CmdClose:
	case CmdSeverity:
		if err := need(c.Severity != nil, "severity"); err != nil {
			return err
		}
		if !c.Severity.Severity.Valid() {
			return invalid("severity: missing or invalid (want SEV1, SEV2 or SEV3)")
		}
		return text("reason", c.Severity.Reason, maxTextLen, true)
	case CmdAssignRole:
		if err := need(c.Role != nil, "role"); err != nil {
			return err
		}
		if _, err := ParseResponseRole(c.Role.Role); err != nil {
			return invalid("role: %v", err)
		}
		if c.Role.Previous != "" {
			return invalid("previous: recorded by Firebreak (who held the role before), not sent")
		}
		return text("user", c.Role.User, 200, true)
	case CmdNote:
		if err := need(c.Note != nil, "note"); err != nil {
			return err
		}
		return text("text", c.Note.Text, maxTextLen, true)
	case CmdStatus:
		if err := need(c.Status != nil, "status"); err != nil {
			return err
		}
		switch c.Status.Status {
		case "contained", "resolved", "reopened":
		default:
			return invalid("status: %q is not contained, resolved or reopened", c.Status.Status)
		}
		return text("reason", c.Status.Reason, maxTextLen, false)
	case CmdReview:
		if err := need(c.Review != nil, "review"); err != nil {
			return err
		}
		if err := c.Review.Validate(); err != nil {
			return invalid("review.%v", err)
		}
		for _, f := range []struct{ name, v string }{{"impact", c.Review.Impact}, {"affected", c.Review.Affected},
			{"root_cause", c.Review.RootCause}, {"playbook_changes", c.Review.PlaybookChanges},
			{"regulatory_follow_up", c.Review.RegulatoryFollowUp}} {
			if err := text("review."+f.name, f.v, maxTextLen, false); err != nil {
				return err
			}
		}
	case CmdRegulatoryFlag:
		if err := need(c.RegulatoryFlag != nil, "regulatory_flag"); err != nil {
			return err
		}
		if _, err := ReportDeadline(c.RegulatoryFlag.Regime, c.RegulatoryFlag.Tier); err != nil {
			return invalid("regulatory_flag: %v", err)
		}
		if c.RegulatoryFlag.AwareAt.IsZero() {
			return invalid("regulatory_flag.aware_at: missing")
		}
	case CmdRegulatoryReport:
		if err := need(c.RegulatoryReport != nil, "regulatory_report"); err != nil {
			return err
		}
		r := c.RegulatoryReport
		if r.Regime != EUAIAct && r.Regime != GDPR {
			return invalid("regulatory_report.regime: %q is not eu_ai_act or gdpr", r.Regime)
		}
		if r.Report != "initial" && r.Report != "complete" {
			return invalid("regulatory_report.report: %q is not initial or complete", r.Report)
		}
		if r.SentAt.IsZero() {
			return invalid("regulatory_report.sent_at: missing")
		}
		return text("regulatory_report.authority", r.Authority, 500, true)
	case CmdTaxonomy:
		if err := need(c.Taxonomy != nil, "taxonomy"); err != nil {
			return err
		}
		if err := c.Taxonomy.Validate(); err != nil {
			return invalid("%v", err)
		}
	case CmdReportDraft:
		if err := need(c.ReportDraft != nil, "report_draft"); err != nil {
			return err
		}
		d := c.ReportDraft
		if d.Regime != EUAIAct {
			return invalid("report_draft.regime: %q is not eu_ai_act (the only regime with a drafted report)", d.Regime)
		}
		if !contains(ReportTypes, d.ReportType) {
			return invalid("report_draft.report_type: %q is not one of %s", d.ReportType, strings.Join(ReportTypes, ", "))
		}
		if len(d.SHA256) != 64 || !isLowerHex(d.SHA256) {
			return invalid("report_draft.sha256: not 64 lowercase hex digits")
		}
		return text("report_draft.schema", d.Schema, 200, true)
	case CmdContainmentRequest, CmdContainmentApprove, CmdContainmentReject, CmdContainmentStart, CmdContainmentOutcome:
		return c.validateContainment()
	default:
		return invalid("kind: unknown command %q", c.Kind)
	}
	return nil
}

// Execute decides the events a command produces on inc and applies them. It checks the actor's rights (*ErrForbidden)
// and the transition (*ErrTransition); on any error inc is unchanged. For CmdDeclare use DeclareByHand.
func Execute(c *Command, inc *Incident, now time.Time) ([]Event, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if replayed, err := inc.Replayed(c); replayed || err != nil {
		return nil, err // the same command again (a retry, a replay): already done; or its id taken by another
	}
	if err := authorize(c, inc); err != nil {
		return nil, err
	}
	actor := UserActor(c.Actor.Login)
	work := inc.Clone()
	var events []Event
	add := func(k Kind, at time.Time, msg string, body any) error {
		e, err := work.appendCaused(c.cause(), k, at, now, actor, msg, body)
		if err != nil {
			var te *ErrTransition
			if errors.As(err, &te) {
				return te
			}
			return err
		}
		events = append(events, e)
		return nil
	}
	var err error
	switch c.Kind {
	case CmdAcknowledge:
		err = add(KindAcknowledged, now, fmt.Sprintf("Acknowledged by %s", c.Actor.Login), StatusBody{From: inc.Status, To: Acknowledged})
	case CmdSeverity:
		to := c.Severity.Severity
		if to == inc.Severity {
			return nil, &ErrTransition{Kind: KindSeverityChanged, From: inc.Status, Detail: "severity is already " + to.String()}
		}
		err = add(KindSeverityChanged, now, fmt.Sprintf("Severity changed from %s to %s by %s: %s", inc.Severity, to, c.Actor.Login, c.Severity.Reason),
			SeverityBody{From: inc.Severity, To: to, Reason: c.Severity.Reason})
	case CmdAssignRole:
		body := *c.Role
		role := strings.ReplaceAll(body.Role, "_", " ") // "incident lead": the message is read by people
		msg := fmt.Sprintf("%s assigned %s as %s", c.Actor.Login, body.User, role)
		if body.Previous = inc.Roles[body.Role]; body.Previous != "" {
			msg = fmt.Sprintf("%s handed the %s role from %s to %s", c.Actor.Login, role, body.Previous, body.User)
		}
		err = add(KindRoleAssigned, now, msg, body)
	case CmdNote:
		err = add(KindNote, now, c.Note.Text, *c.Note)
	case CmdStatus:
		kind := map[string]Kind{"contained": KindContained, "resolved": KindResolved, "reopened": KindReopened}[c.Status.Status]
		to := Status(c.Status.Status)
		if kind == KindReopened {
			to = inc.StatusAfterReopen()
		}
		msg := fmt.Sprintf("%s by %s", strings.ToUpper(c.Status.Status[:1])+c.Status.Status[1:], c.Actor.Login)
		if c.Status.Reason != "" {
			msg += ": " + c.Status.Reason
		}
		err = add(kind, now, msg, StatusBody{From: inc.Status, To: to, Reason: c.Status.Reason})
	case CmdReview:
		if inc.Status == Closed {
			return nil, &ErrTransition{Kind: KindReviewUpdated, From: Closed, Detail: "the review of a closed incident cannot change"}
		}
		err = add(KindReviewUpdated, now, fmt.Sprintf("Review updated by %s", c.Actor.Login), *c.Review)
	case CmdClose:
		if err := CheckTransition(inc.Status, KindClosed); err != nil {
			return nil, err
		}
		if inc.Severity != SEV3 && !inc.ReviewComplete() {
			return nil, &ErrTransition{Kind: KindClosed, From: inc.Status, Detail: fmt.Sprintf(
				"a %s incident closes only with a complete review; missing: %s", inc.Severity, strings.Join(inc.ReviewMissing(), ", "))}
		}
		err = add(KindClosed, now, fmt.Sprintf("Closed by %s", c.Actor.Login), StatusBody{From: inc.Status, To: Closed})
	case CmdRegulatoryFlag:
		f := *c.RegulatoryFlag
		d, _ := ReportDeadline(f.Regime, f.Tier)
		err = add(KindRegulatoryFlagged, now, fmt.Sprintf("Flagged under %s by %s; report due %s", f.Regime.Name(), c.Actor.Login,
			f.AwareAt.Add(d).UTC().Format(time.RFC3339)), f)
	case CmdRegulatoryReport:
		r := *c.RegulatoryReport
		if inc.Clock(r.Regime) == nil {
			return nil, invalid("regulatory_report.regime: the incident is not flagged under %s", r.Regime)
		}
		err = add(KindRegulatoryReported, now, fmt.Sprintf("%s report under %s sent to %s", r.Report, r.Regime.Name(), r.Authority), r)
	case CmdTaxonomy:
		if inc.Status == Closed {
			return nil, &ErrTransition{Kind: KindTaxonomyUpdated, From: Closed, Detail: "the classification of a closed incident cannot change"}
		}
		err = add(KindTaxonomyUpdated, now, fmt.Sprintf("Classification updated by %s: %s", c.Actor.Login, c.Taxonomy.Summary()), *c.Taxonomy)
	case CmdReportDraft:
		d := *c.ReportDraft
		if inc.Clock(d.Regime) == nil {
			return nil, invalid("report_draft.regime: the incident is not flagged under %s", d.Regime)
		}
		err = add(KindReportDrafted, now, fmt.Sprintf("%s %s report drafted by %s (sha256 %s)", d.Regime.Name(), strings.ReplaceAll(d.ReportType, "_", "-"),
			c.Actor.Login, d.SHA256), d)
	case CmdContainmentRequest, CmdContainmentApprove, CmdContainmentReject, CmdContainmentStart, CmdContainmentOutcome:
		err = executeContainment(c, inc, now, add)
	default:
		return nil, invalid("kind: %q cannot be executed on an existing incident", c.Kind)
	}
	if err != nil {
		return nil, err
	}
	*inc = *work
	return events, nil
}

// DeclareByHand starts an incident from a declare command.
func DeclareByHand(c *Command, id string, now time.Time) (*Incident, Event, error) {
	if err := c.Validate(); err != nil {
		return nil, Event{}, err
	}
	if c.Kind != CmdDeclare {
		return nil, Event{}, invalid("kind: want declare")
	}
	if err := authorize(c, nil); err != nil {
		return nil, Event{}, err
	}
	d := c.Declare
	actor := UserActor(c.Actor.Login)
	what := "incident"
	if d.Drill {
		what = "drill"
	}
	inc := &Incident{ID: id}
	e, err := inc.appendCaused(c.cause(), KindDeclared, now, now, actor,
		fmt.Sprintf("%s declared a %s %s %s on %s (reported via %s)", c.Actor.Login, d.Severity, d.Category, what, d.AISystem, d.ReportedVia),
		DeclaredBody{
			Title: strings.TrimSpace(d.Title), Description: d.Description, AISystem: d.AISystem, Category: d.Category,
			Severity: d.Severity, DeclaredBy: actor, DeclaredVia: "manual", ReportedVia: d.ReportedVia, Drill: d.Drill,
			StartedAt: now,
		})
	if err != nil {
		return nil, Event{}, err
	}
	return inc, e, nil
}

// MayAssign says whether actor (an Editor or Admin) may assign role on inc: anyone may take or give a vacant role,
// but once an incident has a lead, only that lead or an Admin may hand the lead role on (*ErrForbidden otherwise).
// Without this, any Editor could make themselves lead and then resolve, close, lower the severity and approve
// other people's containment requests.
func MayAssign(actor Actor, inc *Incident, role string) error {
	lead := inc.Lead()
	if role != RoleIncidentLead || lead == "" || actor.Role == Admin || SameLogin(lead, actor.Login) {
		return nil
	}
	return &ErrForbidden{Reason: fmt.Sprintf("only the incident lead (%s) or an Admin may hand on the incident lead role", lead)}
}

// authorize applies the rules: Viewers read only; Editors declare, acknowledge, take notes, assign roles (the
// incident lead's only while it is vacant), raise severity, contain, reopen, edit the review and record regulatory
// duties; lowering severity, resolving, closing and handing on the lead role are for the incident's lead or an Admin.
func authorize(c *Command, inc *Incident) error {
	if !c.Actor.Role.atLeast(Editor) {
		return &ErrForbidden{Reason: fmt.Sprintf("%s is a %s: viewers can read incidents but not change them", c.Actor.Login, c.Actor.Role)}
	}
	if c.Kind == CmdAssignRole && inc != nil {
		if err := MayAssign(c.Actor, inc, c.Role.Role); err != nil {
			return err
		}
	}
	leadOnly := ""
	switch {
	case c.Kind == CmdStatus && c.Status.Status == "resolved":
		leadOnly = "resolve"
	case c.Kind == CmdClose:
		leadOnly = "close"
	case c.Kind == CmdSeverity && inc != nil && c.Severity.Severity > inc.Severity:
		leadOnly = "lower the severity of"
	}
	if leadOnly == "" || c.Actor.Role == Admin {
		return nil
	}
	if lead := inc.Lead(); !SameLogin(lead, c.Actor.Login) {
		who := "no incident lead is assigned"
		if lead != "" {
			who = "the incident lead is " + lead
		}
		return &ErrForbidden{Reason: fmt.Sprintf("only the incident lead or an Admin may %s this incident; %s", leadOnly, who)}
	}
	return nil
}
