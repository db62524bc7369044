package incident

import "time"

// SLATarget is how soon an incident of one severity must be acknowledged and contained (zero: no target).
type SLATarget struct {
	Acknowledge time.Duration `json:"acknowledge"`
	Contain     time.Duration `json:"contain"`
}

// SLATargets holds a target per severity.
type SLATargets map[Severity]SLATarget

// DefaultSLATargets: SEV1 acknowledge 15 min / contain 4 h; SEV2 4 h / 24 h; SEV3 acknowledge 3 days.
func DefaultSLATargets() SLATargets {
	return SLATargets{
		SEV1: {Acknowledge: 15 * time.Minute, Contain: 4 * time.Hour},
		SEV2: {Acknowledge: 4 * time.Hour, Contain: 24 * time.Hour},
		SEV3: {Acknowledge: 72 * time.Hour},
	}
}

// SLAState says, for one incident, when acknowledgement and containment are due and whether they were late.
type SLAState struct {
	AcknowledgeDueAt    time.Time `json:"acknowledge_due_at,omitzero"`
	AcknowledgeBreached bool      `json:"acknowledge_breached"`
	ContainDueAt        time.Time `json:"contain_due_at,omitzero"`
	ContainBreached     bool      `json:"contain_breached"`
}

// Breached reports whether any target was missed.
func (s SLAState) Breached() bool { return s.AcknowledgeBreached || s.ContainBreached }

// SLA computes the incident's SLA state at now, from its declaration and its current severity's targets.
// Resolving counts as containing.
func (t SLATargets) SLA(inc *Incident, now time.Time) SLAState {
	target := t[inc.Severity]
	var st SLAState
	if target.Acknowledge > 0 {
		st.AcknowledgeDueAt = inc.DeclaredAt.Add(target.Acknowledge)
		st.AcknowledgeBreached = late(st.AcknowledgeDueAt, inc.AcknowledgedAt, now)
	}
	if target.Contain > 0 {
		st.ContainDueAt = inc.DeclaredAt.Add(target.Contain)
		st.ContainBreached = late(st.ContainDueAt, inc.containedOrResolvedAt(), now)
	}
	return st
}

func (inc *Incident) containedOrResolvedAt() time.Time {
	for _, t := range []time.Time{inc.ContainedAt, inc.ResolvedAt, inc.ClosedAt} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func late(due, reached, now time.Time) bool {
	if reached.IsZero() {
		return now.After(due)
	}
	return reached.After(due)
}

// Deadlines are the clocks of an incident that can come due however long ago it was declared: its SLA targets
// while it is open, its earliest unreported regulatory deadline, the due dates of its review's open action items.
type Deadlines struct {
	Severity       Severity    `json:"severity"`
	Status         Status      `json:"status"`
	Category       Category    `json:"category"`
	AISystem       string      `json:"ai_system"`
	Open           bool        `json:"open"`
	DeclaredAt     time.Time   `json:"declared_at"`
	Acknowledged   bool        `json:"acknowledged"`
	Contained      bool        `json:"contained"` // or resolved, or closed
	RegulatoryDue  time.Time   `json:"regulatory_due,omitzero"`
	Title          string      `json:"title,omitempty"` // only with a regulatory deadline, to list it
	ActionItemDues []time.Time `json:"action_item_dues,omitempty"`
	Drill          bool        `json:"drill,omitempty"`
}

// Deadlines returns the incident's deadlines.
func (inc *Incident) Deadlines() Deadlines {
	d := Deadlines{Severity: inc.Severity, Status: inc.Status, Category: inc.Category, AISystem: inc.AISystem,
		Open: inc.Status.Open(), DeclaredAt: inc.DeclaredAt,
		Acknowledged: !inc.AcknowledgedAt.IsZero(), Contained: !inc.containedOrResolvedAt().IsZero(),
		RegulatoryDue: inc.NextRegulatoryDue(), Drill: inc.Drill}
	if !d.RegulatoryDue.IsZero() {
		d.Title = inc.Title
	}
	if inc.Review != nil {
		d.ActionItemDues = inc.Review.OpenActionItemDues()
	}
	return d
}

// Pending reports whether any of the deadlines can still come due (or be overdue): what is worth keeping an eye on.
func (d Deadlines) Pending() bool {
	return !d.Drill && (d.Open || !d.RegulatoryDue.IsZero() || len(d.ActionItemDues) > 0)
}

// SLABreachedAt reports whether, at now, an open incident has passed its acknowledge or contain target (for its
// current severity) without reaching it. Targets count in whole seconds, rounded up, as in the statistics' SQL.
func (t SLATargets) SLABreachedAt(d Deadlines, now time.Time) bool {
	if !d.Open {
		return false
	}
	target := t[d.Severity]
	passed := func(after time.Duration) bool {
		return after > 0 && d.DeclaredAt.Unix()+WholeSeconds(after) < now.Unix()
	}
	return (!d.Acknowledged && passed(target.Acknowledge)) || (!d.Contained && passed(target.Contain))
}

// WholeSeconds is d in whole seconds, rounded up: how SLA targets count where times are whole seconds (ClickHouse's
// DateTime, the receiver's deadline API).
func WholeSeconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }
