package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Containment actions stop the harm of an incident through the AI system's own endpoints. Every step is an event:
//
//	containment_requested -> [containment_approved | containment_rejected] -> containment_started (evidence first)
//	  -> containment_succeeded | containment_failed -> (a failed or interrupted attempt may start again)
//
// The catalog of actions (URLs, secrets, who may request what) belongs to the Grafana plugin; the timeline only
// records what was asked, decided and done, so replaying it never needs the catalog.
const (
	KindContainmentRequested Kind = "containment_requested"
	KindContainmentApproved  Kind = "containment_approved"
	KindContainmentRejected  Kind = "containment_rejected"
	KindContainmentStarted   Kind = "containment_started"
	KindContainmentSucceeded Kind = "containment_succeeded"
	KindContainmentFailed    Kind = "containment_failed"
)

// ActionKinds are the kinds of containment action, from the playbook.
var ActionKinds = []string{"disable_feature", "rollback_model", "restrict_inputs", "require_human_review", "revoke_access", "custom"}

// ContainmentState is where a containment request is.
type ContainmentState string

const (
	ContainmentPending   ContainmentState = "pending_approval"
	ContainmentReady     ContainmentState = "ready" // needs no approval; about to run
	ContainmentApproved  ContainmentState = "approved"
	ContainmentRejected  ContainmentState = "rejected"
	ContainmentRunning   ContainmentState = "running"
	ContainmentSucceeded ContainmentState = "succeeded"
	ContainmentFailed    ContainmentState = "failed"
)

// ContainmentRequestBody is the body of containment_requested (and the payload of its command).
type ContainmentRequestBody struct {
	RequestID     string `json:"request_id"`
	Action        string `json:"action"` // the catalog's id of the action
	ActionKind    string `json:"action_kind"`
	Label         string `json:"label"`
	Reason        string `json:"reason,omitempty"`
	NeedsApproval bool   `json:"needs_approval"`
	// ActionDigest identifies the action's configuration when it was requested, so that what runs is what was
	// requested and approved.
	ActionDigest string `json:"action_digest,omitempty"`
}

// ContainmentDecisionBody is the body of containment_approved and containment_rejected.
type ContainmentDecisionBody struct {
	RequestID string `json:"request_id"`
	Reason    string `json:"reason,omitempty"`
}

// EvidenceRef names an evidence snapshot and its SHA-256. The snapshot itself is stored beside the timeline; its
// hash on the timeline puts it under the incident's hash chain.
type EvidenceRef struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
	Bytes  int    `json:"bytes"`
}

// ContainmentStartBody is the body of containment_started: one attempt at calling the action's endpoint.
type ContainmentStartBody struct {
	RequestID string      `json:"request_id"`
	Attempt   int         `json:"attempt"`
	DryRun    bool        `json:"dry_run"`
	Target    string      `json:"target"`   // method and URL without its query, e.g. "POST http://bot:9100/containment/rollback"
	Deadline  time.Time   `json:"deadline"` // after it, an attempt without an outcome counts as interrupted
	Evidence  EvidenceRef `json:"evidence"`
}

// ContainmentStartRequest is the payload of a containment_start command: the attempt and its evidence snapshot.
type ContainmentStartRequest struct {
	ContainmentStartBody
	Snapshot []byte `json:"snapshot"` // the evidence, stored as these exact bytes
}

// ContainmentOutcomeBody is the body of containment_succeeded and containment_failed.
type ContainmentOutcomeBody struct {
	RequestID  string `json:"request_id"`
	Attempt    int    `json:"attempt"`
	Succeeded  bool   `json:"succeeded"`
	HTTPStatus int    `json:"http_status,omitempty"`
	LatencyMS  int64  `json:"latency_ms"`
	Tries      int    `json:"tries"` // HTTP calls made, retries included
	Answer     string `json:"answer,omitempty"`
	Error      string `json:"error,omitempty"`
}

// ContainmentRequest is the state of one containment request, folded from its events.
type ContainmentRequest struct {
	ContainmentRequestBody
	RequestedBy    string               `json:"requested_by"` // login
	RequestedAt    time.Time            `json:"requested_at"`
	State          ContainmentState     `json:"state"`
	DecidedBy      string               `json:"decided_by,omitempty"`
	DecidedAt      time.Time            `json:"decided_at,omitzero"`
	DecisionReason string               `json:"decision_reason,omitempty"`
	Attempts       []ContainmentAttempt `json:"attempts"`
}

// ContainmentAttempt is one call of the action's endpoint.
type ContainmentAttempt struct {
	ContainmentStartBody
	StartedBy  string                  `json:"started_by"`
	StartedAt  time.Time               `json:"started_at"`
	Outcome    *ContainmentOutcomeBody `json:"outcome,omitempty"`
	FinishedAt time.Time               `json:"finished_at,omitzero"`
}

// LastAttempt is the latest attempt, or nil.
func (r *ContainmentRequest) LastAttempt() *ContainmentAttempt {
	if len(r.Attempts) == 0 {
		return nil
	}
	return &r.Attempts[len(r.Attempts)-1]
}

// CanStart reports whether an attempt may start now: the request is approved (or needs no approval), its last
// attempt failed, or its last attempt was interrupted (no outcome by its deadline). If not, the reason says why.
func (r *ContainmentRequest) CanStart(now time.Time) (bool, string) {
	switch r.State {
	case ContainmentReady, ContainmentApproved, ContainmentFailed:
		return true, ""
	case ContainmentRunning:
		if last := r.LastAttempt(); last != nil && now.After(last.Deadline) {
			return true, ""
		}
		return false, fmt.Sprintf("containment request %s is running (attempt %d)", r.RequestID, len(r.Attempts))
	case ContainmentPending:
		return false, fmt.Sprintf("containment request %s waits for approval", r.RequestID)
	}
	return false, fmt.Sprintf("containment request %s is %s", r.RequestID, r.State)
}

// ContainmentRequest returns the request with this id, or nil.
func (inc *Incident) ContainmentRequest(id string) *ContainmentRequest {
	for _, r := range inc.Containment {
		if r.RequestID == id {
			return r
		}
	}
	return nil
}

// SnapshotSHA256 is the hex SHA-256 of an evidence snapshot's bytes.
func SnapshotSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ErrNotFound says that something a command names does not exist (HTTP 404).
type ErrNotFound struct{ What string }

func (e *ErrNotFound) Error() string { return e.What + " not found" }

const maxSnapshotBytes = 2 << 20

func (c *Command) validateContainment() error {
	text := checkText
	switch c.Kind {
	case CmdContainmentRequest:
		r := c.ContainmentRequest
		if r == nil {
			return invalid("containment_request: missing for a %s command", c.Kind)
		}
		if r.RequestID != c.ID {
			return invalid("containment_request.request_id: must be the command's id %q", c.ID)
		}
		if !contains(ActionKinds, r.ActionKind) {
			return invalid("containment_request.action_kind: %q is not one of %s", r.ActionKind, strings.Join(ActionKinds, ", "))
		}
		if err := text("containment_request.action", r.Action, 200, true); err != nil {
			return err
		}
		if err := text("containment_request.label", r.Label, maxTitleLen, true); err != nil {
			return err
		}
		return text("reason", r.Reason, maxTextLen, false)
	case CmdContainmentApprove, CmdContainmentReject:
		d := c.ContainmentDecision
		if d == nil {
			return invalid("containment_decision: missing for a %s command", c.Kind)
		}
		if err := text("containment_decision.request_id", d.RequestID, 200, true); err != nil {
			return err
		}
		return text("reason", d.Reason, maxTextLen, c.Kind == CmdContainmentReject)
	case CmdContainmentStart:
		s := c.ContainmentStart
		if s == nil {
			return invalid("containment_start: missing for a %s command", c.Kind)
		}
		if err := text("containment_start.request_id", s.RequestID, 200, true); err != nil {
			return err
		}
		if s.Attempt < 1 {
			return invalid("containment_start.attempt: must be 1 or more")
		}
		if s.Deadline.IsZero() {
			return invalid("containment_start.deadline: missing")
		}
		if err := text("containment_start.target", s.Target, 2000, true); err != nil {
			return err
		}
		if err := text("containment_start.evidence.id", s.Evidence.ID, 200, true); err != nil {
			return err
		}
		if len(s.Snapshot) == 0 || len(s.Snapshot) > maxSnapshotBytes {
			return invalid("containment_start.snapshot: must be 1 byte to %d MiB", maxSnapshotBytes>>20)
		}
		if s.Evidence.Bytes != len(s.Snapshot) || s.Evidence.SHA256 != SnapshotSHA256(s.Snapshot) {
			return invalid("containment_start.evidence: sha256 and bytes do not match the snapshot")
		}
	case CmdContainmentOutcome:
		o := c.ContainmentOutcome
		if o == nil {
			return invalid("containment_outcome: missing for a %s command", c.Kind)
		}
		if err := text("containment_outcome.request_id", o.RequestID, 200, true); err != nil {
			return err
		}
		if o.Attempt < 1 {
			return invalid("containment_outcome.attempt: must be 1 or more")
		}
		if err := text("containment_outcome.answer", o.Answer, 4096, false); err != nil {
			return err
		}
		return text("containment_outcome.error", o.Error, 4096, !o.Succeeded)
	}
	return nil
}

// executeContainment decides the event of a containment command on inc (already authorized as an Editor).
func executeContainment(c *Command, inc *Incident, now time.Time, add func(Kind, time.Time, string, any) error) error {
	login := c.Actor.Login
	// A call that was under way when the incident closed still gets its outcome recorded; nothing new starts.
	if inc.Status == Closed && c.Kind != CmdContainmentOutcome {
		return &ErrTransition{Kind: KindContainmentRequested, From: Closed, Detail: "the incident is closed"}
	}
	if c.Kind == CmdContainmentRequest {
		r := *c.ContainmentRequest
		msg := fmt.Sprintf("%s requested %q (%s)", login, r.Label, r.ActionKind)
		if r.Reason != "" {
			msg += ": " + r.Reason
		}
		if r.NeedsApproval {
			msg += "; waits for approval by the incident lead or an Admin"
		}
		return add(KindContainmentRequested, now, msg, r)
	}
	id := c.requestIDOf()
	req := inc.ContainmentRequest(id)
	if req == nil {
		return &ErrNotFound{What: "containment request " + id + " of incident " + inc.ID}
	}
	switch c.Kind {
	case CmdContainmentApprove, CmdContainmentReject:
		d := *c.ContainmentDecision
		kind := KindContainmentApproved
		if c.Kind == CmdContainmentReject {
			kind = KindContainmentRejected
		}
		if err := inc.CheckDecision(c.Actor, req, kind); err != nil {
			return err
		}
		msg := fmt.Sprintf("%s %sd %q requested by %s", login, verb(kind), req.Label, req.RequestedBy)
		if d.Reason != "" {
			msg += ": " + d.Reason
		}
		return add(kind, now, msg, d)
	case CmdContainmentStart:
		s := c.ContainmentStart.ContainmentStartBody
		if ok, why := req.CanStart(now); !ok {
			return &ErrTransition{Kind: KindContainmentStarted, From: inc.Status, Detail: why}
		}
		if s.Attempt != len(req.Attempts)+1 {
			return &ErrTransition{Kind: KindContainmentStarted, From: inc.Status,
				Detail: fmt.Sprintf("attempt %d of containment request %s: the next attempt is %d", s.Attempt, id, len(req.Attempts)+1)}
		}
		what := "calling"
		if s.DryRun {
			what = "dry run (drill): calling"
		}
		return add(KindContainmentStarted, now, fmt.Sprintf("%s started %q, attempt %d; evidence %s (sha256 %s) taken first; %s %s",
			login, req.Label, s.Attempt, s.Evidence.ID, s.Evidence.SHA256, what, s.Target), s)
	case CmdContainmentOutcome:
		o := *c.ContainmentOutcome
		last := req.LastAttempt()
		if last == nil || last.Attempt != o.Attempt || last.Outcome != nil {
			return &ErrTransition{Kind: KindContainmentSucceeded, From: inc.Status,
				Detail: fmt.Sprintf("attempt %d of containment request %s is not running", o.Attempt, id)}
		}
		if o.Succeeded {
			return add(KindContainmentSucceeded, now, fmt.Sprintf("%q succeeded (HTTP %d in %d ms)", req.Label, o.HTTPStatus, o.LatencyMS), o)
		}
		return add(KindContainmentFailed, now, fmt.Sprintf("%q failed: %s", req.Label, o.Error), o)
	}
	return invalid("kind: %q is not a containment command", c.Kind)
}

// CheckDecision says whether actor may approve (kind containment_approved) or reject req now: it must wait for
// approval (*ErrTransition), and the actor must be the incident lead or an Admin, never the requester (*ErrForbidden).
func (inc *Incident) CheckDecision(actor Actor, req *ContainmentRequest, kind Kind) error {
	what := verb(kind)
	if req.State != ContainmentPending {
		return &ErrTransition{Kind: kind, From: inc.Status, Detail: fmt.Sprintf("containment request %s is %s, not waiting for approval", req.RequestID, req.State)}
	}
	if SameLogin(actor.Login, req.RequestedBy) {
		return &ErrForbidden{Reason: fmt.Sprintf("%s requested %q: nobody may %s their own containment request", actor.Login, req.Label, what)}
	}
	if !inc.MayDecide(actor) {
		return &ErrForbidden{Reason: fmt.Sprintf("only the incident lead or an Admin may %s a containment request; %s", what, leadIs(inc))}
	}
	return nil
}

// MayDecide reports whether actor may approve or reject containment requests on inc (other people's): the incident
// lead or an Admin.
func (inc *Incident) MayDecide(actor Actor) bool {
	return actor.Role == Admin || (actor.Role.atLeast(Editor) && SameLogin(inc.Lead(), actor.Login))
}

func (c *Command) requestIDOf() string {
	switch {
	case c.ContainmentDecision != nil:
		return c.ContainmentDecision.RequestID
	case c.ContainmentStart != nil:
		return c.ContainmentStart.RequestID
	case c.ContainmentOutcome != nil:
		return c.ContainmentOutcome.RequestID
	}
	return ""
}

func leadIs(inc *Incident) string {
	if lead := inc.Lead(); lead != "" {
		return "the incident lead is " + lead
	}
	return "no incident lead is assigned"
}

// applyContainment folds a containment event into the incident.
func (inc *Incident) applyContainment(e Event) error {
	login := strings.TrimPrefix(e.Actor, "user:")
	if e.Kind == KindContainmentRequested {
		var b ContainmentRequestBody
		if err := decodeBody(e, &b); err != nil {
			return err
		}
		if inc.ContainmentRequest(b.RequestID) != nil {
			return fmt.Errorf("containment request %s is already on the timeline", b.RequestID)
		}
		state := ContainmentReady
		if b.NeedsApproval {
			state = ContainmentPending
		}
		inc.Containment = append(inc.Containment, &ContainmentRequest{ContainmentRequestBody: b, RequestedBy: login,
			RequestedAt: e.At, State: state, Attempts: []ContainmentAttempt{}})
		return nil
	}
	var id string
	var apply func(r *ContainmentRequest) error
	switch e.Kind {
	case KindContainmentApproved, KindContainmentRejected:
		var b ContainmentDecisionBody
		if err := decodeBody(e, &b); err != nil {
			return err
		}
		id = b.RequestID
		apply = func(r *ContainmentRequest) error {
			r.State, r.DecidedBy, r.DecidedAt, r.DecisionReason = ContainmentApproved, login, e.At, b.Reason
			if e.Kind == KindContainmentRejected {
				r.State = ContainmentRejected
			}
			return nil
		}
	case KindContainmentStarted:
		var b ContainmentStartBody
		if err := decodeBody(e, &b); err != nil {
			return err
		}
		id = b.RequestID
		apply = func(r *ContainmentRequest) error {
			if b.Attempt != len(r.Attempts)+1 {
				return fmt.Errorf("attempt %d does not follow attempt %d", b.Attempt, len(r.Attempts))
			}
			if last := r.LastAttempt(); last != nil && last.Outcome == nil {
				last.FinishedAt = e.At // interrupted: no outcome before the next attempt
			}
			r.State = ContainmentRunning
			r.Attempts = append(r.Attempts, ContainmentAttempt{ContainmentStartBody: b, StartedBy: login, StartedAt: e.At})
			return nil
		}
	case KindContainmentSucceeded, KindContainmentFailed:
		var b ContainmentOutcomeBody
		if err := decodeBody(e, &b); err != nil {
			return err
		}
		id = b.RequestID
		apply = func(r *ContainmentRequest) error {
			last := r.LastAttempt()
			if last == nil || last.Attempt != b.Attempt {
				return fmt.Errorf("outcome of attempt %d, which is not the latest", b.Attempt)
			}
			last.Outcome, last.FinishedAt = &b, e.At
			r.State = ContainmentFailed
			if e.Kind == KindContainmentSucceeded {
				r.State = ContainmentSucceeded
			}
			return nil
		}
	default:
		return fmt.Errorf("not a containment event")
	}
	r := inc.ContainmentRequest(id)
	if r == nil {
		return fmt.Errorf("containment request %s is not on the timeline", id)
	}
	return apply(r)
}

func cloneContainment(in []*ContainmentRequest) []*ContainmentRequest {
	if in == nil {
		return nil
	}
	out := make([]*ContainmentRequest, len(in))
	for i, r := range in {
		c := *r
		c.Attempts = append([]ContainmentAttempt{}, r.Attempts...)
		for j := range c.Attempts {
			if o := c.Attempts[j].Outcome; o != nil {
				oc := *o
				c.Attempts[j].Outcome = &oc
			}
		}
		out[i] = &c
	}
	return out
}
