package plugin

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// Paging of an incident's timeline and alerts. An Alertmanager group can hold thousands of alerts (10,000 in one
// notification): the incident detail answers the first page of each, and GET incidents/{id}/timeline and
// GET incidents/{id}/alerts the rest, a page at a time after an opaque cursor.
const (
	defaultTimelineLimit = 500
	maxTimelineLimit     = 5000
	defaultAlertsLimit   = 100
	maxAlertsLimit       = 1000

	summaryTopValues = 10  // values per label in alert_summary
	summaryMaxLabels = 100 // label names in alert_summary
)

// Timeline groups, for the timeline route's kind filter.
const (
	groupAlerts      = "alerts"      // alert_fired, alert_resolved, alerts_truncated
	groupContainment = "containment" // containment_requested ... containment_failed
	groupPeople      = "people"      // any other event a person (user:<login>) recorded
	groupSystem      = "system"      // any other event: declared by a rule, severity raised by an alert, auto-resolved, ...
)

var timelineGroups = []string{groupAlerts, groupPeople, groupContainment, groupSystem}

// timelineGroup says which group of the timeline an event belongs to.
func timelineGroup(e *incident.Event) string {
	switch {
	case e.Kind == incident.KindAlertFired || e.Kind == incident.KindAlertResolved || e.Kind == incident.KindAlertsTruncated:
		return groupAlerts
	case strings.HasPrefix(string(e.Kind), "containment_"):
		return groupContainment
	case strings.HasPrefix(e.Actor, "user:"):
		return groupPeople
	}
	return groupSystem
}

// timelineCursor is the position after the last event of a page.
type timelineCursor struct {
	AfterSeq uint32 `json:"after_seq"`
}

// alertsCursor is the position after the last alert of a page: alerts are ordered by start time, then key.
type alertsCursor struct {
	AfterStart int64  `json:"after_start"` // Unix nanoseconds
	AfterKey   string `json:"after_key"`
}

// encodeCursor makes an opaque cursor of c: base64url of its JSON.
func encodeCursor(c any) string {
	b, _ := json.Marshal(c) // the cursor types always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

// errBadCursor is what decodeCursor says of a cursor this API did not make.
var errBadCursor = errors.New("not a cursor of this API")

// decodeCursor reads a cursor encodeCursor made of the same type into c. Anything else, even the same position
// written another way, is errBadCursor.
func decodeCursor(s string, c any) error {
	if len(s) > 1024 {
		return errBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return errBadCursor
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil || encodeCursor(c) != s {
		return errBadCursor
	}
	switch c := c.(type) {
	case *timelineCursor:
		if c.AfterSeq == 0 {
			return errBadCursor
		}
	case *alertsCursor:
		if c.AfterKey == "" {
			return errBadCursor
		}
	}
	return nil
}

// pageTimeline returns up to limit events of groups (all when empty) after the cursor, from events ordered by
// seq, and the cursor of the next page ("" when there is none).
func pageTimeline(events []incident.Event, after uint32, groups map[string]bool, limit int) (page []incident.Event, next string) {
	start := sort.Search(len(events), func(i int) bool { return events[i].Seq > after })
	if len(groups) == 0 {
		page = events[start:min(len(events), start+limit)]
		if start+limit < len(events) {
			next = encodeCursor(timelineCursor{AfterSeq: page[len(page)-1].Seq})
		}
		return page, next
	}
	page = []incident.Event{}
	for i := start; i < len(events); i++ {
		if !groups[timelineGroup(&events[i])] {
			continue
		}
		if len(page) == limit {
			return page, encodeCursor(timelineCursor{AfterSeq: page[len(page)-1].Seq})
		}
		page = append(page, events[i])
	}
	return page, ""
}

// episodes are alert episodes ordered by start time and key (as incident.AlertIndex holds them).
type episodes interface {
	Len() int
	Episode(i int) incident.AlertEpisode
}

// pageAlerts returns the positions of up to limit episodes with the status (any when empty) after the cursor
// (from the start when nil), and the cursor of the next page ("" when there is none).
func pageAlerts(eps episodes, after *alertsCursor, status string, limit int) (page []int, next string) {
	start := 0
	if after != nil {
		start = sort.Search(eps.Len(), func(i int) bool {
			ep := eps.Episode(i)
			return cmp.Or(cmp.Compare(ep.StartsAt.UnixNano(), after.AfterStart), cmp.Compare(ep.Key, after.AfterKey)) > 0
		})
	}
	page = []int{}
	for i := start; i < eps.Len(); i++ {
		if status != "" && eps.Episode(i).Status != status {
			continue
		}
		if len(page) == limit {
			last := eps.Episode(page[len(page)-1])
			return page, encodeCursor(alertsCursor{AfterStart: last.StartsAt.UnixNano(), AfterKey: last.Key})
		}
		page = append(page, i)
	}
	return page, ""
}

// alertsAt decodes the alerts at positions of x.
func alertsAt(x *incident.AlertIndex, positions []int) ([]incident.Alert, error) {
	out := make([]incident.Alert, len(positions))
	for i, p := range positions {
		var err error
		if out[i], err = x.Alert(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// limitParam reads a page size: def when absent, else a number from 1 to max.
func limitParam(q url.Values, name string, def, max int) (int, error) {
	v, ok := q[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 1 || n > max || len(v) > 1 {
		return 0, fmt.Errorf("%s: %q is not a number from 1 to %d", name, strings.Join(v, ","), max)
	}
	return n, nil
}

// timelineKinds reads the timeline route's kind filter: groups, repeated or comma-separated.
func timelineKinds(q url.Values) (map[string]bool, error) {
	groups := map[string]bool{}
	for _, raw := range q["kind"] {
		for _, v := range strings.Split(raw, ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			if !slices.Contains(timelineGroups, v) {
				return nil, fmt.Errorf("kind: %q is not one of %s", incident.Truncate(v, 50), strings.Join(timelineGroups, ", "))
			}
			groups[v] = true
		}
	}
	return groups, nil
}

// alertStatus reads the alerts route's status filter.
func alertStatus(q url.Values) (string, error) {
	switch v := q.Get("status"); v {
	case "", "firing", "resolved":
		if len(q["status"]) > 1 {
			return "", errors.New("status: give it once")
		}
		return v, nil
	default:
		return "", fmt.Errorf("status: %q is not firing or resolved", incident.Truncate(v, 50))
	}
}
