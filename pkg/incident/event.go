package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind names what an event records.
type Kind string

const (
	KindDeclared           Kind = "declared"
	KindAlertFired         Kind = "alert_fired"
	KindAlertResolved      Kind = "alert_resolved"
	KindAlertsTruncated    Kind = "alerts_truncated"
	KindSeverityChanged    Kind = "severity_changed"
	KindAcknowledged       Kind = "acknowledged"
	KindContained          Kind = "contained"
	KindResolved           Kind = "resolved"
	KindReopened           Kind = "reopened"
	KindClosed             Kind = "closed"
	KindNote               Kind = "note"
	KindRoleAssigned       Kind = "role_assigned"
	KindReviewUpdated      Kind = "review_updated"
	KindRegulatoryFlagged  Kind = "regulatory_flagged"
	KindRegulatoryReported Kind = "regulatory_reported"
	KindReportDrafted      Kind = "report_drafted" // a regulatory report's draft was generated (not sent: see regulatory_reported)
	KindTaxonomyUpdated    Kind = "taxonomy_updated"
)

// Event is one entry of an incident's append-only timeline. Seq orders events within their incident (1, 2, ...);
// At is when the thing happened (an alert's startsAt, say), RecordedAt when Firebreak recorded it. Body is the
// machine-readable detail, one of the *Body types below as JSON. Hash chains each event to the one before it.
type Event struct {
	IncidentID string          `json:"incident_id"`
	Seq        uint32          `json:"seq"`
	At         time.Time       `json:"at"`
	RecordedAt time.Time       `json:"recorded_at"`
	Kind       Kind            `json:"kind"`
	Actor      string          `json:"actor"`
	Message    string          `json:"message"`
	Body       json.RawMessage `json:"body"`
	Cause      string          `json:"cause,omitempty"` // the command that made it ("<id>#<fingerprint>", see Command.Fingerprint), so a replayed command is recognized
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`

	typed any // the Go value Body was marshalled from, while the event is being appended: Apply skips decoding it
}

// Actors are written "<kind>:<name>": "rule:HallucinationRateHigh", "user:alice". The system itself is "firebreak".
const SystemActor = "firebreak"

// ruleActorPrefix starts the actor of what an alert rule did (RuleActor).
const ruleActorPrefix = "rule:"

func RuleActor(alertname string) string { return ruleActorPrefix + alertname }

// IsRuleActor reports whether actor is an alert rule's (RuleActor).
func IsRuleActor(actor string) bool { return strings.HasPrefix(actor, ruleActorPrefix) }
func UserActor(login string) string { return "user:" + login }

// DeclaredBody is the body of a declared event: everything the incident starts with.
type DeclaredBody struct {
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	AISystem    string    `json:"ai_system"`
	Category    Category  `json:"category"`
	Severity    Severity  `json:"severity"`
	DeclaredBy  string    `json:"declared_by"`
	DeclaredVia string    `json:"declared_via"`
	GroupKey    string    `json:"group_key,omitempty"`
	Drill       bool      `json:"drill,omitempty"`
	ReportedVia string    `json:"reported_via,omitempty"` // how a hand-declared incident was reported
	StartedAt   time.Time `json:"started_at"`
}

// AlertBody is the body of alert_fired and alert_resolved events.
type AlertBody struct {
	Alert Alert `json:"alert"`
}

// TruncatedBody records that Alertmanager cut alerts from a notification (max_alerts), so a gap is visible.
type TruncatedBody struct {
	Truncated int    `json:"truncated_alerts"`
	GroupKey  string `json:"group_key"`
	Receiver  string `json:"receiver,omitempty"`
	Digest    string `json:"digest"` // identifies the notification, so the same gap reported again is recorded once
}

// SeverityBody is the body of severity_changed.
type SeverityBody struct {
	From   Severity `json:"from"`
	To     Severity `json:"to"`
	Reason string   `json:"reason,omitempty"`
}

// StatusBody is the body of acknowledged, contained, resolved, reopened and closed.
type StatusBody struct {
	From   Status `json:"from"`
	To     Status `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// NoteBody is the body of a note.
type NoteBody struct {
	Text string `json:"text"`
}

// hashV2Prefix marks the hashes of events written since recorded_at is hashed too (version 2). Events hashed
// before (version 1: bare hex) stay verifiable as they were written.
const hashV2Prefix = "v2:"

// ComputeHash returns the chain hash of e: SHA-256 over the previous hash and every stored field of the event,
// recorded_at included, so changing, removing or reordering any event breaks the chain from that point on.
func (e Event) ComputeHash() string {
	return hashV2Prefix + e.hashHex(true)
}

// hashVersion1 is how events were hashed before recorded_at was part of the hash.
func (e Event) hashVersion1() string { return e.hashHex(false) }

func (e Event) hashHex(withRecordedAt bool) string {
	h := sha256.New()
	parts := []string{
		e.PrevHash, e.IncidentID, strconv.FormatUint(uint64(e.Seq), 10), e.At.UTC().Format(time.RFC3339Nano),
		string(e.Kind), e.Actor, e.Message, string(e.Body), e.Cause,
	}
	if withRecordedAt {
		parts = append(parts, strconv.FormatInt(e.RecordedAt.Unix(), 10))
	}
	for _, part := range parts {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashMatches reports whether e's stored hash is the hash of its content, by the version the hash was written with.
func (e Event) hashMatches() bool {
	if strings.HasPrefix(e.Hash, hashV2Prefix) {
		return e.ComputeHash() == e.Hash
	}
	return e.hashVersion1() == e.Hash
}

// ChainBreak says where an incident's hash chain is broken.
type ChainBreak struct {
	Seq    uint32 `json:"seq"`
	Reason string `json:"reason"`
}

// VerifyChain recomputes the hash chain of one incident's events (in seq order) and returns the first break, or nil.
func VerifyChain(events []Event) *ChainBreak {
	prev, v2 := "", false
	for i, e := range events {
		switch {
		case e.Seq != uint32(i+1):
			return &ChainBreak{Seq: uint32(i + 1), Reason: fmt.Sprintf("event %d is missing: found event %d in its place (events deleted or reordered)", i+1, e.Seq)}
		case e.PrevHash != prev:
			return &ChainBreak{Seq: e.Seq, Reason: fmt.Sprintf("event %d does not follow event %d: its prev_hash is not that event's hash (events reordered, replaced or inserted)", e.Seq, e.Seq-1)}
		case v2 && !strings.HasPrefix(e.Hash, hashV2Prefix):
			return &ChainBreak{Seq: e.Seq, Reason: fmt.Sprintf("event %d is hashed the old way (without recorded_at) after events hashed the new way: rewritten", e.Seq)}
		case !e.hashMatches():
			return &ChainBreak{Seq: e.Seq, Reason: fmt.Sprintf("event %d was altered: its hash does not match its content", e.Seq)}
		}
		prev, v2 = e.Hash, v2 || strings.HasPrefix(e.Hash, hashV2Prefix)
	}
	return nil
}

// NewEvent builds the next event of inc (seq, prev hash and hash filled in) without applying it.
func (inc *Incident) NewEvent(kind Kind, at, recordedAt time.Time, actor, message string, body any) Event {
	e := Event{
		IncidentID: inc.ID,
		Seq:        inc.LastSeq + 1,
		At:         at.UTC(),
		RecordedAt: recordedAt.UTC().Truncate(time.Second),
		Kind:       kind,
		Actor:      actor,
		Message:    message,
		Body:       mustJSON(body),
		PrevHash:   inc.LastHash,
		typed:      body,
	}
	e.Hash = e.ComputeHash()
	return e
}

// Append builds the next event of inc and applies it, returning the event.
func (inc *Incident) Append(kind Kind, at, recordedAt time.Time, actor, message string, body any) (Event, error) {
	return inc.appendCaused("", kind, at, recordedAt, actor, message, body)
}

func (inc *Incident) appendCaused(cause string, kind Kind, at, recordedAt time.Time, actor, message string, body any) (Event, error) {
	e := inc.NewEvent(kind, at, recordedAt, actor, message, body)
	if cause != "" {
		e.Cause = cause
		e.Hash = e.ComputeHash()
	}
	if err := inc.Apply(e); err != nil {
		return Event{}, err
	}
	e.typed = nil
	return e, nil
}

// AppendTimelineJSON appends events as a JSON array, byte for byte what encoding/json makes of them, without
// reflection and without re-scanning each body: an incident page carries up to thousands of events, and
// encoding/json spent more time on them than ClickHouse took to read them. A body that is not valid JSON is an
// error, as with encoding/json.
func AppendTimelineJSON(dst []byte, events []Event) ([]byte, error) {
	dst = append(dst, '[')
	for i := range events {
		e := &events[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"incident_id":`...)
		dst = appendJSONString(dst, e.IncidentID)
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendUint(dst, uint64(e.Seq), 10)
		var err error
		if dst, err = appendJSONTime(append(dst, `,"at":`...), e.At); err != nil {
			return nil, err
		}
		if dst, err = appendJSONTime(append(dst, `,"recorded_at":`...), e.RecordedAt); err != nil {
			return nil, err
		}
		dst = appendJSONString(append(dst, `,"kind":`...), string(e.Kind))
		dst = appendJSONString(append(dst, `,"actor":`...), e.Actor)
		dst = appendJSONString(append(dst, `,"message":`...), e.Message)
		dst = append(dst, `,"body":`...)
		switch {
		case e.Body == nil:
			dst = append(dst, "null"...)
		case json.Valid(e.Body) && isCompact(e.Body):
			dst = append(dst, e.Body...)
		default: // encoding/json's own way: compacted, or its error
			b, err := json.Marshal(e.Body)
			if err != nil {
				return nil, fmt.Errorf("event %d of incident %s: %w", e.Seq, e.IncidentID, err)
			}
			dst = append(dst, b...)
		}
		if e.Cause != "" {
			dst = appendJSONString(append(dst, `,"cause":`...), e.Cause)
		}
		dst = appendJSONString(append(dst, `,"prev_hash":`...), e.PrevHash)
		dst = appendJSONString(append(dst, `,"hash":`...), e.Hash)
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

// appendJSONString appends s quoted as encoding/json quotes it; plain printable ASCII (the usual case) directly.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendJSONTime writes t as its MarshalJSON does (the same RFC 3339 writer, with the same limits on year and zone).
func appendJSONTime(dst []byte, t time.Time) ([]byte, error) {
	dst, err := t.AppendText(append(dst, '"'))
	return append(dst, '"'), err
}

// isCompact reports whether a valid JSON text has no whitespace outside its strings (so that encoding/json would
// write it unchanged) and no characters encoding/json escapes for HTML.
func isCompact(b []byte) bool {
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf:
			return false
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return true
}
