package incident

import (
	"cmp"
	"fmt"
	"slices"
)

// AlertsOf returns the alert episodes of a timeline (ordered by seq, as Events and Fold take it), each as its last
// alert event carries it, ordered by start time and key. Every alert event holds the episode's whole state, so
// this is what the alerts table keeps too, without a second read; Labels is never nil.
func AlertsOf(events []Event) ([]Alert, error) {
	last := map[string]int{} // episode key -> index of its last alert event
	for i := range events {
		if events[i].Kind != KindAlertFired && events[i].Kind != KindAlertResolved {
			continue
		}
		ref, err := alertRefOf(events[i])
		if err != nil {
			return nil, fmt.Errorf("event %d (%s): %w", events[i].Seq, events[i].Kind, err)
		}
		last[ref.Alert.Key] = i
	}
	out := make([]Alert, 0, len(last))
	for _, i := range last {
		var b AlertBody
		if err := decodeBody(events[i], &b); err != nil {
			return nil, fmt.Errorf("event %d (%s): %w", events[i].Seq, events[i].Kind, err)
		}
		if b.Alert.Labels == nil {
			b.Alert.Labels = map[string]string{}
		}
		b.Alert.StartsAt, b.Alert.EndsAt = b.Alert.StartsAt.UTC(), b.Alert.EndsAt.UTC()
		out = append(out, b.Alert)
	}
	slices.SortFunc(out, func(a, b Alert) int {
		return cmp.Or(a.StartsAt.Compare(b.StartsAt), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}
