package store

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// DeadlinesQuery is the query of the receiver's GET /api/v1/deadlines: now in Unix seconds and, per severity, the
// SLA targets in whole seconds (ack.SEV1, contain.SEV1, ...).
func DeadlinesQuery(now time.Time, targets incident.SLATargets) url.Values {
	q := url.Values{"now": {strconv.FormatInt(now.Unix(), 10)}}
	for sev, t := range targets {
		q.Set("ack."+sev.String(), strconv.FormatInt(incident.WholeSeconds(t.Acknowledge), 10))
		q.Set("contain."+sev.String(), strconv.FormatInt(incident.WholeSeconds(t.Contain), 10))
	}
	return q
}

// ParseDeadlinesQuery reads what DeadlinesQuery makes; a missing target is none.
func ParseDeadlinesQuery(q url.Values) (time.Time, incident.SLATargets, error) {
	secs := func(name string) (int64, error) {
		v := q.Get(name)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s: want a non-negative number of seconds, got %q", name, v)
		}
		return n, nil
	}
	if q.Get("now") == "" {
		return time.Time{}, nil, fmt.Errorf("now: missing (Unix seconds)")
	}
	now, err := secs("now")
	if err != nil {
		return time.Time{}, nil, err
	}
	targets := incident.SLATargets{}
	for _, sev := range []incident.Severity{incident.SEV1, incident.SEV2, incident.SEV3} {
		ack, err := secs("ack." + sev.String())
		if err != nil {
			return time.Time{}, nil, err
		}
		contain, err := secs("contain." + sev.String())
		if err != nil {
			return time.Time{}, nil, err
		}
		targets[sev] = incident.SLATarget{Acknowledge: time.Duration(ack) * time.Second, Contain: time.Duration(contain) * time.Second}
	}
	return time.Unix(now, 0).UTC(), targets, nil
}
