package incident

import (
	"fmt"
	"strings"
	"time"
)

// Roles of the people responding to one incident.
const (
	RoleIncidentLead    = "incident_lead"
	RoleTechnicalLead   = "technical_lead"
	RoleLegalCompliance = "legal_compliance"
	RoleCommunications  = "communications"
)

// ResponseRoles lists the roles that can be assigned on an incident.
var ResponseRoles = []string{RoleIncidentLead, RoleTechnicalLead, RoleLegalCompliance, RoleCommunications}

// ParseResponseRole checks a role name.
func ParseResponseRole(v string) (string, error) {
	for _, r := range ResponseRoles {
		if r == v {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want %s)", v, strings.Join(ResponseRoles, ", "))
}

// ReportChannels are how a hand-declared incident was reported.
var ReportChannels = []string{"support", "security", "legal", "engineering", "other"}

// RoleBody is the body of role_assigned (and, without Previous, the payload of its command).
type RoleBody struct {
	Role     string `json:"role"`
	User     string `json:"user"`
	Previous string `json:"previous,omitempty"` // who held the role before, recorded by Firebreak
}

// Regime is a legal reporting regime with a clock.
type Regime string

const (
	EUAIAct Regime = "eu_ai_act" // Art. 73 serious incident
	GDPR    Regime = "gdpr"      // Art. 33 personal-data breach
)

// Name is the regime as people write it: "EU AI Act", "GDPR" (the id for one Firebreak does not know).
func (r Regime) Name() string {
	switch r {
	case EUAIAct:
		return "EU AI Act"
	case GDPR:
		return "GDPR"
	}
	return string(r)
}

// EU AI Act Art. 73 tiers.
const (
	TierStandard   = "standard"   // 15 days
	TierWidespread = "widespread" // widespread infringement or critical infrastructure: 2 days
	TierDeath      = "death"      // 10 days
)

// ReportDeadline is how long after becoming aware a regime's report is due.
func ReportDeadline(r Regime, tier string) (time.Duration, error) {
	const day = 24 * time.Hour
	switch {
	case r == GDPR && (tier == "" || tier == TierStandard):
		return 72 * time.Hour, nil
	case r == EUAIAct && (tier == "" || tier == TierStandard):
		return 15 * day, nil
	case r == EUAIAct && tier == TierWidespread:
		return 2 * day, nil
	case r == EUAIAct && tier == TierDeath:
		return 10 * day, nil
	case r == GDPR:
		return 0, fmt.Errorf("gdpr has no tier %q (leave tier empty)", tier)
	case r == EUAIAct:
		return 0, fmt.Errorf("unknown eu_ai_act tier %q (want standard, widespread or death)", tier)
	}
	return 0, fmt.Errorf("unknown regime %q (want eu_ai_act or gdpr)", r)
}

// RegulatoryFlagBody is the body of regulatory_flagged: the incident falls under a regime since AwareAt.
type RegulatoryFlagBody struct {
	Regime  Regime    `json:"regime"`
	Tier    string    `json:"tier,omitempty"`
	AwareAt time.Time `json:"aware_at"`
}

// RegulatoryReportBody is the body of regulatory_reported: a report sent to an authority.
type RegulatoryReportBody struct {
	Regime    Regime    `json:"regime"`
	Authority string    `json:"authority"`
	Report    string    `json:"report"` // initial | complete
	SentAt    time.Time `json:"sent_at"`
	Reference string    `json:"reference,omitempty"`
}

// ReportTypes are the kinds of EU AI Act serious-incident report (the Commission's template): an initial report, a
// follow-up, an initial report that is also the final one, and the final report.
var ReportTypes = []string{"initial", "follow_up", "combined", "final"}

// ReportDraftBody is the body of report_drafted: someone generated the draft of a regulatory report. The draft is
// not stored; its SHA-256 (over its JSON form without when and by whom it was generated) identifies its content, and
// BasedOnSeq is the last event (other than drafts) it was made from.
type ReportDraftBody struct {
	Regime     Regime `json:"regime"`
	ReportType string `json:"report_type"`
	Schema     string `json:"schema"`
	SHA256     string `json:"sha256"`
	BasedOnSeq uint32 `json:"based_on_seq"`
}

// Clock is the state of one regime's reporting duty for an incident.
type Clock struct {
	Regime     Regime                 `json:"regime"`
	Tier       string                 `json:"tier,omitempty"`
	AwareAt    time.Time              `json:"aware_at"`
	DueAt      time.Time              `json:"due_at"`
	InitialAt  time.Time              `json:"initial_report_at,omitzero"`
	CompleteAt time.Time              `json:"complete_report_at,omitzero"`
	Reports    []RegulatoryReportBody `json:"reports,omitempty"`
}

// Reported reports whether a report (initial or complete) went out; the deadline is met by the first one.
func (c *Clock) Reported() bool { return !c.InitialAt.IsZero() || !c.CompleteAt.IsZero() }

// Overdue reports whether no report went out and the deadline has passed.
func (c *Clock) Overdue(now time.Time) bool { return !c.Reported() && now.After(c.DueAt) }

// Review is the post-incident review. The playbook's review has five parts: what happened (StartedAt, DetectedAt,
// Impact, Affected), why (RootCauseClass, RootCause), the actions with owners and dates (ActionItems, or
// ActionItemsNone when there are none), the playbook changes and the regulatory follow-up (each may be "none").
// A review_updated event's body is a Review: fields are only ever added, so old reviews decode as they did.
type Review struct {
	StartedAt          time.Time    `json:"started_at,omitzero"`
	DetectedAt         time.Time    `json:"detected_at,omitzero"`
	ContainedAt        time.Time    `json:"contained_at,omitzero"`
	Impact             string       `json:"impact"`
	Affected           string       `json:"affected"` // who and what was affected
	RootCauseClass     string       `json:"root_cause_class"`
	RootCause          string       `json:"root_cause"`
	ActionItems        []ActionItem `json:"action_items"`
	ActionItemsNone    bool         `json:"action_items_none,omitempty"` // says explicitly that no action follows
	PlaybookChanges    string       `json:"playbook_changes"`
	RegulatoryFollowUp string       `json:"regulatory_follow_up"`
}

// ActionItem is one follow-up of a review.
type ActionItem struct {
	Text   string `json:"text"`
	Owner  string `json:"owner"`
	Due    string `json:"due"`    // YYYY-MM-DD
	Status string `json:"status"` // open | done
}

// RootCauseClasses are the review's classes of root cause.
var RootCauseClasses = []string{"model_defect", "bad_data", "attack", "process_failure", "design_gap", "other"}

// Validate checks the review's values (not its completeness).
func (r *Review) Validate() error {
	if r.RootCauseClass != "" && !contains(RootCauseClasses, r.RootCauseClass) {
		return fmt.Errorf("root_cause_class: %q is not one of %s", r.RootCauseClass, strings.Join(RootCauseClasses, ", "))
	}
	if r.ActionItemsNone && len(r.ActionItems) > 0 {
		return fmt.Errorf("action_items_none: true says no action follows, but action_items lists %d", len(r.ActionItems))
	}
	for i, a := range r.ActionItems {
		if strings.TrimSpace(a.Text) == "" {
			return fmt.Errorf("action_items[%d].text: empty", i)
		}
		if a.Due != "" {
			if _, err := time.Parse(time.DateOnly, a.Due); err != nil {
				return fmt.Errorf("action_items[%d].due: %q is not a date like 2026-12-31", i, a.Due)
			}
		}
		if a.Status != "open" && a.Status != "done" {
			return fmt.Errorf("action_items[%d].status: %q is not open or done", i, a.Status)
		}
	}
	return nil
}

// MissingFor lists what the review of an incident of severity sev still lacks, by field (empty, never nil, when it
// is complete). A SEV1 or SEV2 review is complete with all five parts (see Review): what happened, why, at least
// one action item with an owner and a due date or action_items_none, the playbook changes and the regulatory
// follow-up; a text part may say "none", but not nothing. A SEV3 review keeps the rules it had: what happened, why
// and at least one action item with owner and due date. SEV1 and SEV2 incidents close only with a complete review.
func (r *Review) MissingFor(sev Severity) []string {
	missing := []string{}
	check := func(ok bool, field string) {
		if !ok {
			missing = append(missing, field)
		}
	}
	said := func(v string) bool { return strings.TrimSpace(v) != "" }
	full := sev != SEV3
	// What happened.
	check(!r.StartedAt.IsZero(), "started_at")
	check(!r.DetectedAt.IsZero(), "detected_at")
	check(said(r.Impact), "impact")
	check(said(r.Affected), "affected")
	// Why.
	check(r.RootCauseClass != "", "root_cause_class")
	check(said(r.RootCause), "root_cause")
	// The actions, with owners and dates.
	check(len(r.ActionItems) > 0 || (full && r.ActionItemsNone), "action_items")
	for i, a := range r.ActionItems {
		check(a.Owner != "" && a.Due != "", fmt.Sprintf("action_items[%d] owner and due date", i))
	}
	if full {
		check(said(r.PlaybookChanges), "playbook_changes")
		check(said(r.RegulatoryFollowUp), "regulatory_follow_up")
	}
	return missing
}

// ReviewMissing lists what the incident's review lacks to be complete at its severity (see Review.MissingFor):
// "the whole review" when there is none yet.
func (inc *Incident) ReviewMissing() []string {
	if inc.Review == nil {
		return []string{"the whole review"}
	}
	return inc.Review.MissingFor(inc.Severity)
}

// ReviewComplete reports whether the incident's review is complete at its severity.
func (inc *Incident) ReviewComplete() bool { return len(inc.ReviewMissing()) == 0 }

// OpenActionItemDues lists the due dates of open action items.
func (r *Review) OpenActionItemDues() []time.Time {
	var dues []time.Time
	for _, a := range r.ActionItems {
		if d, err := time.Parse(time.DateOnly, a.Due); err == nil && a.Status == "open" {
			dues = append(dues, d)
		}
	}
	return dues
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
