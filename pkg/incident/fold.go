package incident

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// Declare starts a new incident with its first event.
func Declare(id string, body DeclaredBody, at, recordedAt time.Time, actor, message string) (*Incident, Event, error) {
	inc := &Incident{ID: id}
	e, err := inc.Append(KindDeclared, at, recordedAt, actor, message, body)
	if err != nil {
		return nil, Event{}, err
	}
	return inc, e, nil
}

// Fold derives an incident's state from its events, which must be its whole timeline in seq order.
func Fold(events []Event) (*Incident, error) {
	if len(events) == 0 {
		return nil, fmt.Errorf("fold: no events")
	}
	inc := &Incident{ID: events[0].IncidentID}
	for _, e := range events {
		if err := inc.Apply(e); err != nil {
			return nil, err
		}
	}
	return inc, nil
}

// transitions lists, for each status-changing event, the statuses it may start from.
var transitions = map[Kind][]Status{
	KindAcknowledged: {Declared},
	KindContained:    {Declared, Acknowledged},
	KindResolved:     {Declared, Acknowledged, Contained},
	KindReopened:     {Resolved},
	KindClosed:       {Resolved},
}

// ErrTransition is returned when a status change makes no sense from the current status.
type ErrTransition struct {
	Kind   Kind
	From   Status
	Detail string // why, when more than the status explains it
}

func (e *ErrTransition) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("cannot %s: %s", verb(e.Kind), e.Detail)
	}
	return fmt.Sprintf("cannot %s an incident that is %s", verb(e.Kind), e.From)
}

func verb(k Kind) string {
	switch k {
	case KindAcknowledged:
		return "acknowledge"
	case KindContained:
		return "contain"
	case KindResolved:
		return "resolve"
	case KindReopened:
		return "reopen"
	case KindClosed:
		return "close"
	case KindSeverityChanged:
		return "change the severity"
	case KindReviewUpdated:
		return "update the review"
	case KindTaxonomyUpdated:
		return "update the classification"
	case KindContainmentRequested:
		return "request containment on this incident"
	case KindContainmentApproved:
		return "approve"
	case KindContainmentRejected:
		return "reject"
	case KindContainmentStarted:
		return "start"
	case KindContainmentSucceeded, KindContainmentFailed:
		return "record the outcome"
	}
	return string(k)
}

// CheckTransition returns an *ErrTransition if an event of kind k cannot happen to an incident in status from.
func CheckTransition(from Status, k Kind) error {
	allowed, ok := transitions[k]
	if !ok {
		return nil
	}
	for _, s := range allowed {
		if s == from {
			return nil
		}
	}
	return &ErrTransition{Kind: k, From: from}
}

// Apply folds one event into the incident. The event must be the next in the chain (seq and prev hash) and valid
// for the current state; Apply changes nothing when it returns an error.
func (inc *Incident) Apply(e Event) error {
	if e.IncidentID != inc.ID {
		return fmt.Errorf("event of incident %s applied to incident %s", e.IncidentID, inc.ID)
	}
	if e.Seq != inc.LastSeq+1 {
		return fmt.Errorf("incident %s: event seq %d does not follow %d", inc.ID, e.Seq, inc.LastSeq)
	}
	if e.PrevHash != inc.LastHash {
		return fmt.Errorf("incident %s: event %d prev_hash does not match the chain", inc.ID, e.Seq)
	}
	if (e.Seq == 1) != (e.Kind == KindDeclared) {
		return fmt.Errorf("incident %s: event %d: the first event, and only it, must be %s", inc.ID, e.Seq, KindDeclared)
	}
	if err := CheckTransition(inc.Status, e.Kind); err != nil {
		return fmt.Errorf("incident %s: event %d: %w", inc.ID, e.Seq, err)
	}
	if err := inc.applyBody(e); err != nil {
		return fmt.Errorf("incident %s: event %d (%s): %w", inc.ID, e.Seq, e.Kind, err)
	}
	if e.Cause != "" {
		if inc.causes == nil {
			inc.causes = map[string]string{}
		}
		id, fingerprint := splitCause(e.Cause)
		inc.causes[id] = fingerprint
	}
	inc.LastSeq = e.Seq
	inc.LastHash = e.Hash
	inc.UpdatedAt = e.RecordedAt
	return nil
}

func (inc *Incident) applyBody(e Event) error {
	switch e.Kind {
	case KindDeclared:
		var b DeclaredBody
		if err := decodeBody(e, &b); err != nil {
			return err
		}
		if !b.Severity.Valid() {
			return fmt.Errorf("invalid severity")
		}
		inc.Title, inc.Description, inc.AISystem, inc.Category = b.Title, b.Description, b.AISystem, b.Category
		inc.Severity, inc.Status = b.Severity, Declared
		inc.DeclaredBy, inc.DeclaredVia, inc.GroupKey, inc.Drill = b.DeclaredBy, b.DeclaredVia, b.GroupKey, b.Drill
		inc.ReportedVia, inc.Roles = b.ReportedVia, map[string]string{}
		inc.StartedAt, inc.DeclaredAt = b.StartedAt.UTC(), e.At
		inc.episodes = map[Digest]episode{}
	case KindAlertFired, KindAlertResolved:
		b, err := alertRefOf(e)
		if err != nil {
			return err
		}
		if b.Alert.Key == "" {
			return fmt.Errorf("alert without key")
		}
		if inc.episodes == nil {
			inc.episodes = map[Digest]episode{}
		}
		firing := e.Kind == KindAlertFired
		inc.lastAlertChange = laterTime(inc.lastAlertChange, e.At)
		key := DigestOf(b.Alert.Key)
		ep, known := inc.episodes[key]
		was := ep.firing
		inc.episodes[key] = episode{fingerprint: DigestOf(b.Alert.Fingerprint), firing: firing}
		if !known {
			inc.AlertCount++
		}
		switch {
		case firing && !was:
			inc.FiringCount++
		case !firing && was:
			inc.FiringCount--
		}
	case KindAlertsTruncated:
		var b TruncatedBody
		if err := decodeBody(e, &b); err != nil {
			return err
		}
		if inc.truncations == nil {
			inc.truncations = map[string]bool{}
		}
		inc.truncations[b.Digest] = true
	case KindSeverityChanged:
		var b SeverityBody
		if err := decodeBody(e, &b); err != nil {
			return err
		}
		if !b.To.Valid() {
			return fmt.Errorf("invalid severity")
		}
		inc.Severity = b.To
	case KindAcknowledged:
		inc.Status, inc.AcknowledgedAt = Acknowledged, firstTime(inc.AcknowledgedAt, e.At)
	case KindContained:
		inc.Status, inc.ContainedAt = Contained, firstTime(inc.ContainedAt, e.At)
	case KindResolved:
		inc.Status, inc.ResolvedAt = Resolved, e.At
	case KindReopened:
		inc.Status, inc.ResolvedAt = inc.StatusAfterReopen(), time.Time{}
		inc.noteReopen(e)
	case KindFlappingStarted, KindFlappingEnded:
		return inc.applyFlapping(e)
	case KindClosed:
		inc.Status, inc.ClosedAt = Closed, e.At
	case KindRoleAssigned:
		var b RoleBody
		if err := decodeBody(e, &b); err != nil {
			return err
		}
		if _, err := ParseResponseRole(b.Role); err != nil {
			return err
		}
		if inc.Roles == nil {
			inc.Roles = map[string]string{}
		}
		if b.User == "" {
			delete(inc.Roles, b.Role)
		} else {
			inc.Roles[b.Role] = b.User
		}
	case KindReviewUpdated:
		var r Review
		if err := decodeBody(e, &r); err != nil {
			return err
		}
		inc.Review = &r
	case KindTaxonomyUpdated:
		var t Taxonomy
		if err := decodeBody(e, &t); err != nil {
			return err
		}
		inc.Taxonomy, inc.TaxonomyBy = &t, e.Actor
	case KindRegulatoryFlagged:
		var b RegulatoryFlagBody
		if err := decodeBody(e, &b); err != nil {
			return err
		}
		d, err := ReportDeadline(b.Regime, b.Tier)
		if err != nil {
			return err
		}
		if c := inc.Clock(b.Regime); c != nil {
			c.Tier, c.AwareAt, c.DueAt = b.Tier, b.AwareAt, b.AwareAt.Add(d)
		} else {
			inc.Regulatory = append(inc.Regulatory, &Clock{Regime: b.Regime, Tier: b.Tier, AwareAt: b.AwareAt, DueAt: b.AwareAt.Add(d)})
		}
	case KindContainmentRequested, KindContainmentApproved, KindContainmentRejected, KindContainmentStarted,
		KindContainmentSucceeded, KindContainmentFailed:
		return inc.applyContainment(e)
	case KindRegulatoryReported:
		var b RegulatoryReportBody
		if err := decodeBody(e, &b); err != nil {
			return err
		}
		c := inc.Clock(b.Regime)
		if c == nil {
			return fmt.Errorf("report under %s, which the incident is not flagged for", b.Regime)
		}
		switch b.Report {
		case "initial":
			c.InitialAt = firstTime(c.InitialAt, b.SentAt)
		case "complete":
			c.CompleteAt = firstTime(c.CompleteAt, b.SentAt)
		default:
			return fmt.Errorf("report %q is not initial or complete", b.Report)
		}
		c.Reports = append(c.Reports, b)
	}
	return nil
}

func laterTime(cur, t time.Time) time.Time {
	if t.After(cur) {
		return t
	}
	return cur
}

func firstTime(cur, t time.Time) time.Time {
	if cur.IsZero() {
		return t
	}
	return cur
}

// alertRef is the part of an AlertBody folding needs: an incident page folds hundreds of alert events, and decoding
// their labels and annotations into maps was most of the work.
type alertRef struct {
	Alert struct {
		Key         string `json:"key"`
		Fingerprint string `json:"fingerprint"`
	} `json:"alert"`
}

func alertRefOf(e Event) (alertRef, error) {
	var r alertRef
	if b, ok := e.typed.(AlertBody); ok { // appended here: no decoding
		r.Alert.Key, r.Alert.Fingerprint = b.Alert.Key, b.Alert.Fingerprint
		return r, nil
	}
	if key, fp, ok := alertRefPrefix(e.Body); ok {
		r.Alert.Key, r.Alert.Fingerprint = key, fp
		return r, nil
	}
	return r, decodeBody(e, &r)
}

// alertRefPrefix reads the key and fingerprint from the start of an alert event's body as encoding/json writes
// an AlertBody: {"alert":{"key":"...","fingerprint":"...",... (the fields in their declared order). It gives up
// (ok false) on anything else, escapes included; then the body is decoded. The rest of the body is not looked at:
// folding does not use it.
func alertRefPrefix(body []byte) (key, fingerprint string, ok bool) {
	rest, found := bytes.CutPrefix(body, []byte(`{"alert":{"key":"`))
	if !found {
		return "", "", false
	}
	key, rest, ok = plainJSONString(rest)
	if !ok {
		return "", "", false
	}
	if rest, found = bytes.CutPrefix(rest, []byte(`,"fingerprint":"`)); !found {
		return "", "", false
	}
	fingerprint, rest, ok = plainJSONString(rest)
	if !ok || len(rest) == 0 || (rest[0] != ',' && rest[0] != '}') {
		return "", "", false
	}
	return key, fingerprint, true
}

// plainJSONString reads the rest of a JSON string whose opening quote is consumed, if it has no escapes and only
// printable ASCII, and returns it and what follows its closing quote.
func plainJSONString(b []byte) (s string, rest []byte, ok bool) {
	for i, c := range b {
		switch {
		case c == '"':
			return string(b[:i]), b[i+1:], true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return "", nil, false
		}
	}
	return "", nil, false
}

// decodeBody fills v from the event's body. An event being appended still carries the value its body was made from,
// which is used as it is (the receiver appends thousands of events a second; decoding what was just encoded is
// its largest cost). The value survives the JSON round trip unchanged, so state is the same either way.
func decodeBody(e Event, v any) error {
	if e.typed != nil {
		if target := reflect.ValueOf(v).Elem(); reflect.TypeOf(e.typed) == target.Type() {
			target.Set(reflect.ValueOf(e.typed))
			return nil
		}
	}
	if err := json.Unmarshal(e.Body, v); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

// StatusAfterReopen is where a reopened incident goes: acknowledged if someone had acknowledged it, else declared.
func (inc *Incident) StatusAfterReopen() Status {
	if inc.AcknowledgedAt.IsZero() {
		return Declared
	}
	return Acknowledged
}
