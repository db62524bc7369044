// Package incident is Firebreak's domain vocabulary: AI incidents, their append-only timeline of events, the state
// folded from that timeline, and the mapping from alert labels to severity, category and AI system.
//
// It imports nothing else of Firebreak: the receiver, the store and the Grafana plugin all speak these types.
package incident

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"strconv"
	"strings"
	"time"
)

// Severity orders incidents by urgency: SEV1 is the most urgent. The zero value is "unknown".
type Severity uint8

const (
	SEV1 Severity = 1 // respond immediately
	SEV2 Severity = 2 // same day; the default when in doubt
	SEV3 Severity = 3 // within a few days
)

// DefaultSeverity is what an alert gets when its severity cannot be mapped ("when in doubt: SEV2").
const DefaultSeverity = SEV2

func (s Severity) Valid() bool { return s >= SEV1 && s <= SEV3 }

func (s Severity) String() string {
	if !s.Valid() {
		return fmt.Sprintf("Severity(%d)", uint8(s))
	}
	return fmt.Sprintf("SEV%d", uint8(s))
}

// MoreUrgent reports whether s is more urgent than other.
func (s Severity) MoreUrgent(other Severity) bool { return s.Valid() && (!other.Valid() || s < other) }

// ParseSeverity accepts "SEV1".."SEV3" (any case).
func ParseSeverity(v string) (Severity, error) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "SEV1":
		return SEV1, nil
	case "SEV2":
		return SEV2, nil
	case "SEV3":
		return SEV3, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want SEV1, SEV2 or SEV3)", v)
}

func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid severity %d", uint8(s))
	}
	return []byte(s.String()), nil
}

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Category is the class of AI incident, from the playbook.
type Category string

const (
	Hallucination    Category = "hallucination"
	Bias             Category = "bias"
	PromptInjection  Category = "prompt_injection"
	Drift            Category = "drift"
	UnauthorizedUse  Category = "unauthorized_use"
	DataExposure     Category = "data_exposure"
	OversightFailure Category = "oversight_failure"
	Other            Category = "other"
)

// Categories lists every known category in a stable order.
var Categories = []Category{Hallucination, Bias, PromptInjection, Drift, UnauthorizedUse, DataExposure, OversightFailure, Other}

// ParseCategory accepts a known category name (any case, '-' or ' ' for '_').
func ParseCategory(v string) (Category, error) {
	norm := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(strings.TrimSpace(v)))
	for _, c := range Categories {
		if string(c) == norm {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown category %q (want one of %s)", v, joinCategories())
}

func joinCategories() string {
	names := make([]string, len(Categories))
	for i, c := range Categories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// Status is where an incident is in its lifecycle.
type Status string

const (
	Declared     Status = "declared"
	Acknowledged Status = "acknowledged"
	Contained    Status = "contained"
	Resolved     Status = "resolved"
	Closed       Status = "closed"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Declared, Acknowledged, Contained, Resolved, Closed}

// Open reports whether the incident still needs a response (not resolved or closed).
func (s Status) Open() bool { return s == Declared || s == Acknowledged || s == Contained }

// ParseStatus accepts a known status name.
func ParseStatus(v string) (Status, error) {
	for _, s := range Statuses {
		if string(s) == strings.ToLower(strings.TrimSpace(v)) {
			return s, nil
		}
	}
	return "", fmt.Errorf("unknown status %q (want declared, acknowledged, contained, resolved or closed)", v)
}

// Incident is the current state of one AI incident. It is never edited directly: it is the fold of its events
// (see Apply), so the timeline is the record and this is a view of it.
type Incident struct {
	ID          string    `json:"incident_id"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	AISystem    string    `json:"ai_system"`
	Category    Category  `json:"category"`
	Severity    Severity  `json:"severity"`
	Status      Status    `json:"status"`
	DeclaredBy  string    `json:"declared_by"`  // who: an alert rule, a user
	DeclaredVia string    `json:"declared_via"` // through what: alertmanager, grafana, support, security, ...
	GroupKey    string    `json:"group_key,omitempty"`
	ReportedVia string    `json:"reported_via,omitempty"`
	Drill       bool      `json:"drill,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	DeclaredAt  time.Time `json:"declared_at"`
	// The first time each state was reached; zero if never. ResolvedAt is cleared when the incident reopens.
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	ContainedAt    time.Time `json:"contained_at,omitzero"`
	ResolvedAt     time.Time `json:"resolved_at,omitzero"`
	ClosedAt       time.Time `json:"closed_at,omitzero"`
	AlertCount     int       `json:"alert_count"`
	FiringCount    int       `json:"firing_alert_count"`
	// Flapping is set while the incident's alerts keep firing and clearing (see KindFlappingStarted).
	Flapping      bool                  `json:"flapping"`
	FlappingSince time.Time             `json:"flapping_since,omitzero"`
	Roles         map[string]string     `json:"roles"`                 // response role -> user
	Review        *Review               `json:"review"`                // nil until first edited
	Taxonomy      *Taxonomy             `json:"taxonomy,omitempty"`    // nil until first classified
	TaxonomyBy    string                `json:"taxonomy_by,omitempty"` // who classified last: "rule:<alertname>", "firebreak" or "user:<login>"
	Regulatory    []*Clock              `json:"regulatory"`            // one per flagged regime
	Containment   []*ContainmentRequest `json:"containment,omitempty"`
	LastSeq       uint32                `json:"last_seq"`
	LastHash      string                `json:"last_hash"`
	UpdatedAt     time.Time             `json:"updated_at"`

	episodes    map[Digest]episode // alert episodes attached, by digest of their key; drive AlertCount and FiringCount
	truncations map[string]bool    // digests of recorded alerts_truncated events
	causes      map[string]string  // id -> fingerprint ("" for events recorded before fingerprints) of the commands on the timeline
	// reopenTimes are the times of the latest reopens by alerts (at most maxReopenTimes), to tell flapping.
	reopenTimes     []time.Time
	lastAlertChange time.Time // latest At of an alert_fired or alert_resolved event
}

// HasCause reports whether a command with this id already produced events on the timeline.
func (inc *Incident) HasCause(commandID string) bool {
	_, ok := inc.causes[commandID]
	return ok
}

// episode is what an incident keeps of an alert episode attached to it.
type episode struct {
	fingerprint Digest // of the alert's fingerprint
	firing      bool
}

// Episodes yields the digests of the key and of the fingerprint of every alert episode attached, in no
// particular order.
func (inc *Incident) Episodes() iter.Seq2[Digest, Digest] {
	return func(yield func(key, fingerprint Digest) bool) {
		for k, ep := range inc.episodes {
			if !yield(k, ep.fingerprint) {
				return
			}
		}
	}
}

// HasTruncation reports whether an alerts_truncated event with this digest is on the timeline.
func (inc *Incident) HasTruncation(digest string) bool { return inc.truncations[digest] }

// EpisodeFiring reports whether the alert episode with this key digest (DigestOf of its key) is attached and firing;
// known reports whether it is attached.
func (inc *Incident) EpisodeFiring(key Digest) (firing, known bool) {
	ep, known := inc.episodes[key]
	return ep.firing, known
}

// Clone returns a deep copy, so a caller can try events on it without touching the original.
func (inc *Incident) Clone() *Incident {
	c := *inc
	c.episodes = maps.Clone(inc.episodes)
	c.reopenTimes = append([]time.Time(nil), inc.reopenTimes...)
	c.Roles = make(map[string]string, len(inc.Roles))
	for k, v := range inc.Roles {
		c.Roles[k] = v
	}
	if inc.Review != nil {
		r := *inc.Review
		r.ActionItems = append([]ActionItem(nil), r.ActionItems...)
		c.Review = &r
	}
	if inc.Taxonomy != nil {
		t := inc.Taxonomy.clone()
		c.Taxonomy = &t
	}
	c.Regulatory = make([]*Clock, len(inc.Regulatory))
	for i, cl := range inc.Regulatory {
		cc := *cl
		cc.Reports = append([]RegulatoryReportBody(nil), cl.Reports...)
		c.Regulatory[i] = &cc
	}
	c.Containment = cloneContainment(inc.Containment)
	c.causes = make(map[string]string, len(inc.causes))
	for k, v := range inc.causes {
		c.causes[k] = v
	}
	c.truncations = make(map[string]bool, len(inc.truncations))
	for k, v := range inc.truncations {
		c.truncations[k] = v
	}
	return &c
}

// Alert is one firing episode of one alert attached to an incident. Key names the episode: the same alert
// (fingerprint) firing again later is a new episode with a new key.
type Alert struct {
	Key          string            `json:"key"`
	Fingerprint  string            `json:"fingerprint"`
	Name         string            `json:"alertname"`
	Status       string            `json:"status"` // firing | resolved
	StartsAt     time.Time         `json:"starts_at"`
	EndsAt       time.Time         `json:"ends_at,omitzero"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	GeneratorURL string            `json:"generator_url,omitempty"`
	// Grafana alerting's links (its webhook's dashboardURL, panelURL, silenceURL, imageURL); empty for Alertmanager's
	// alerts and in events stored before they were kept.
	DashboardURL string             `json:"dashboard_url,omitempty"`
	PanelURL     string             `json:"panel_url,omitempty"`
	SilenceURL   string             `json:"silence_url,omitempty"`
	ImageURL     string             `json:"image_url,omitempty"`
	Values       map[string]float64 `json:"values,omitempty"`
	Source       string             `json:"source"` // alertmanager | grafana
}

// AlertKey names one firing episode of one alert: its fingerprint and when it started. Every Alertmanager of an HA
// cluster sends the same fingerprint and startsAt for it, so this is the identity used to deduplicate.
func AlertKey(fingerprint string, startsAt time.Time) string {
	return fingerprint + "@" + fmt.Sprint(startsAt.UTC().UnixMilli())
}

// AlertKeyStart returns the start time an alert key (see AlertKey) holds.
func AlertKeyStart(key string) (time.Time, error) {
	at := strings.LastIndexByte(key, '@')
	if at < 0 {
		return time.Time{}, fmt.Errorf("alert key %q: no @ before the start time", key)
	}
	ms, err := strconv.ParseInt(key[at+1:], 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("alert key %q: start time %q is not milliseconds since 1970", key, key[at+1:])
	}
	return time.UnixMilli(ms).UTC(), nil
}

// Digest stands for an alert key or fingerprint in memory: the first 128 bits of its SHA-256. Incidents and the
// ingest hold a few per alert of every open incident; fixed-size values without pointers keep that small and out
// of the garbage collector's way, where strings and maps of strings were twice the size and all scanned. Two
// strings sharing a digest is as likely as a 128-bit hash collision.
type Digest [16]byte

// DigestOf returns the digest of s.
func DigestOf(s string) Digest {
	sum := sha256.Sum256([]byte(s))
	return Digest(sum[:16])
}

// jsonString is a helper for building small machine-readable bodies.
func mustJSON(v any) json.RawMessage {
	if body, ok := v.(AlertBody); ok {
		if b, ok := body.appendJSON(make([]byte, 0, 768)); ok {
			return b
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("incident: marshal %T: %v", v, err))
	}
	return b
}

// Lead is the incident lead ("" if none).
func (inc *Incident) Lead() string { return inc.Roles[RoleIncidentLead] }

// Clock returns the clock of a regime, or nil if the incident is not flagged for it.
func (inc *Incident) Clock(r Regime) *Clock {
	for _, c := range inc.Regulatory {
		if c.Regime == r {
			return c
		}
	}
	return nil
}

// NextRegulatoryDue is the earliest deadline of a regime not yet reported to (zero if none).
func (inc *Incident) NextRegulatoryDue() time.Time {
	var due time.Time
	for _, c := range inc.Regulatory {
		if !c.Reported() && (due.IsZero() || c.DueAt.Before(due)) {
			due = c.DueAt
		}
	}
	return due
}
