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
