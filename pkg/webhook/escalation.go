package webhook

import "fmt"

// Firebreak's own escalation alerts (rules/escalation.rules.yml) carry this label. They are about incidents that
// exist already: declaring an incident from one would open an incident about the incident, which would escalate in
// turn. Alertmanager's example routes send them to people, never to Firebreak; this guards against a route that
// does anyway.
const (
	EscalationLabel = "firebreak"
	EscalationValue = "escalation"
)

// Escalations tells whether a notification carries Firebreak's escalation alerts: none, all of them (answered and
// never declared) or some (refused with the field of the first: a route that mixes them with AI alerts must be
// fixed, and a refusal is what shows up in Alertmanager's log).
func (n *Notification) Escalations() (all bool, err *Error) {
	first, count := -1, 0
	for i := range n.Alerts {
		if n.Alerts[i].Labels[EscalationLabel] == EscalationValue {
			count++
			if first < 0 {
				first = i
			}
		}
	}
	switch {
	case count == 0:
		return false, nil
	case count == len(n.Alerts):
		return true, nil
	default:
		return false, errorf(fmt.Sprintf("alerts[%d].labels.%s", first, EscalationLabel),
			"Firebreak's escalation alerts grouped with AI alerts (%d of %d): route %s=%q to people, not to Firebreak",
			count, len(n.Alerts), EscalationLabel, EscalationValue)
	}
}
