// Package ingest turns alert notifications into incident timeline events: deduplicated by the alert data itself,
// so retries, HA peers and repeat notifications change nothing, and deterministic, so replaying a notification
// after a crash produces exactly the rows that may already be stored.
package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
	"github.com/firebreak-dev/firebreak/pkg/webhook"
)

// Envelope is what the receiver spools for each accepted notification: the normalized notification and when it
// arrived. Processing depends only on the envelope and the state, never on the clock.
type Envelope struct {
	ReceivedAt   time.Time             `json:"received_at"`
	Notification *webhook.Notification `json:"notification,omitempty"`
	Command      *incident.Command     `json:"command,omitempty"`
}

// incidentNamespace seeds the deterministic (UUIDv5) incident ids.
var incidentNamespace = uuid.MustParse("5d6f3a0e-2b1c-4f0e-9a51-6a1f0f1e7b2d")

const maxTitle = 300

// State is what the ingest needs to know of recent incidents to turn notifications into events. It is owned by
// one goroutine: the single writer of incident timelines.
//
// It indexes every alert episode of the incidents it holds, which under a storm of alerts is most of the
// receiver's heap. The indexes hold digests and slot numbers, nothing the garbage collector has to scan.
type State struct {
	mapping     *incident.Mapping
	slots       []*incident.Incident // slot -> incident (nil: free)
	slotOf      map[string]int32     // incident id -> slot
	freeSlots   []int32
	openByGroup map[string]string         // group key -> open incident it declared
	episodes    map[incident.Digest]int32 // alert key digest -> slot of its incident
	// fingerprint digest -> slot of the incident of its latest episode
	byFingerprint map[incident.Digest]int32
	// past remembers the episodes of incidents swept from memory, so that a late notification of one (a retry, a
	// repeat, an HA peer back from a partition, a replayed spool) loads its incident instead of declaring it again.
	// An episode is kept for ReplayHorizon after its incident was forgotten; an unknown episode that started before
	// the horizon is looked up in ClickHouse (see Unknown).
	past          map[incident.Digest]pastEpisode
	lastSweep     time.Time
	lastPrune     time.Time
	ReplayHorizon time.Duration
	// Flap sets when an incident is flapping (DefaultFlapping unless set); flapping holds the ids of those that are.
	Flap     Flapping
	flapping map[string]bool
}

// pastEpisode is an alert episode of an incident the state no longer holds.
type pastEpisode struct {
	incident  uuid.UUID
	forgotten int64 // unix seconds, notification time
}

// DefaultReplayHorizon is how long the state remembers the alert episodes of incidents it swept: a week, beyond
// Alertmanager's default data retention (120h), after which a notification can no longer repeat them.
const DefaultReplayHorizon = 7 * 24 * time.Hour

// pastSlack is how much longer than the horizon a forgotten episode is kept, for clocks of alert sources that run
// ahead of the receiver's.
const pastSlack = 24 * time.Hour

// NewState returns an empty state.
func NewState(m *incident.Mapping) *State {
	return &State{
		mapping:       m,
		slotOf:        map[string]int32{},
		openByGroup:   map[string]string{},
		episodes:      map[incident.Digest]int32{},
		byFingerprint: map[incident.Digest]int32{},
		past:          map[incident.Digest]pastEpisode{},
		ReplayHorizon: DefaultReplayHorizon,
		Flap:          DefaultFlapping,
		flapping:      map[string]bool{},
	}
}

// LoadPast remembers alert episodes (alert key -> incident id) of incidents the state does not hold, read from the
// store at start (see store.EpisodesSince), as if they had been swept at now.
func (s *State) LoadPast(episodes map[string]string, now time.Time) error {
	for key, id := range episodes {
		d := incident.DigestOf(key)
		if _, held := s.episodes[d]; held {
			continue
		}
		u, err := uuid.Parse(id)
		if err != nil {
			return fmt.Errorf("episode %q: incident id %q: %w", key, id, err)
		}
		s.past[d] = pastEpisode{incident: u, forgotten: now.Unix()}
	}
	return nil
}

// Unknown returns what must be read from the store before env is applied: incidents the state swept that env's
// alerts belong to (load), and the keys of alerts that started before the replay horizon and that the state has
// never seen (lookup: they may belong to an incident older than the state's memory). Applying env without them
// would declare, again, an incident that exists: the same id from seq 1, replacing or doubling its history.
func (s *State) Unknown(env Envelope) (load, lookup []string) {
	n := env.Notification
	if n == nil {
		return nil, nil
	}
	horizon := env.ReceivedAt.Add(-s.ReplayHorizon)
	for i := range n.Alerts {
		a := &n.Alerts[i]
		key := incident.AlertKey(a.Fingerprint, a.StartsAt)
		d := incident.DigestOf(key)
		if _, held := s.episodes[d]; held {
			continue
		}
		if p, ok := s.past[d]; ok {
			if id := p.incident.String(); !s.Has(id) && !slices.Contains(load, id) {
				load = append(load, id)
			}
			continue
		}
		if a.StartsAt.Before(horizon) {
			lookup = append(lookup, key)
		}
	}
	return load, lookup
}

// Load adds incidents folded from the store (see store.LoadActive).
func (s *State) Load(incidents []*incident.Incident) {
	for _, inc := range incidents {
		slot := s.track(inc)
		for key, fp := range inc.Episodes() {
			s.attach(slot, key, fp)
		}
	}
}

// Size returns how many incidents the state holds, and how many alert episodes.
func (s *State) Size() (incidents, episodes int) { return len(s.slotOf), len(s.episodes) }

// Has reports whether the state holds the incident.
func (s *State) Has(id string) bool {
	_, ok := s.slotOf[id]
	return ok
}

// incident returns the incident with this id, or nil.
func (s *State) incident(id string) *incident.Incident {
	if slot, ok := s.slotOf[id]; ok {
		return s.slots[slot]
	}
	return nil
}

// track adds inc (or replaces the incident with its id) and returns its slot.
func (s *State) track(inc *incident.Incident) int32 {
	slot, ok := s.slotOf[inc.ID]
	switch {
	case ok:
	case len(s.freeSlots) > 0:
		slot = s.freeSlots[len(s.freeSlots)-1]
		s.freeSlots = s.freeSlots[:len(s.freeSlots)-1]
	default:
		slot = int32(len(s.slots))
		s.slots = append(s.slots, nil)
	}
	s.slots[slot], s.slotOf[inc.ID] = inc, slot
	s.syncGroup(inc)
	if inc.Flapping {
		s.flapping[inc.ID] = true
	}
	return slot
}

// syncGroup keeps openByGroup pointing at the open incident of inc's group: inc claims its group while it is open
// and the group is free, and releases it once it is no longer open.
func (s *State) syncGroup(inc *incident.Incident) {
	switch {
	case inc.GroupKey == "":
	case inc.Status.Open():
		if _, taken := s.openByGroup[inc.GroupKey]; !taken {
			s.openByGroup[inc.GroupKey] = inc.ID
		}
	case s.openByGroup[inc.GroupKey] == inc.ID:
		delete(s.openByGroup, inc.GroupKey)
	}
}

func (s *State) attach(slot int32, key, fingerprint incident.Digest) {
	s.episodes[key] = slot
	s.byFingerprint[fingerprint] = slot
}

// batch collects the records one Apply produces.
type batch struct {
	at       time.Time
	records  []store.Record
	last     map[string]int // incident id -> index of its last record
	touched  []string
	resolved map[string]time.Time // incident id -> latest endsAt seen in this notification
	outcome  Outcome
}

func (b *batch) add(inc *incident.Incident, kind incident.Kind, at time.Time, actor, message string, body any, alert *incident.Alert) {
	e, err := inc.Append(kind, at, b.at, actor, message, body)
	if err != nil {
		// The state machine below only emits valid events; an error here is a bug, not bad input.
		panic(fmt.Sprintf("ingest: %v", err))
	}
	if _, seen := b.last[inc.ID]; !seen {
		b.touched = append(b.touched, inc.ID)
	}
	b.last[inc.ID] = len(b.records)
	b.records = append(b.records, store.Record{Event: e, State: *inc, Alert: alert})
}

// Outcome counts what one notification did.
type Outcome struct {
	Duplicates int                  // alerts already recorded in the state they arrived in
	Declared   []*incident.Incident // incidents it declared
	// FlappingStarted and FlappingEnded are the incidents that started or stopped flapping.
	FlappingStarted, FlappingEnded []*incident.Incident
	// Ignored are the taxonomy label values of new alerts their incidents' classifications left out.
	Ignored []IgnoredLabelValue
}

func newBatch(at time.Time) *batch {
	return &batch{at: at.UTC(), last: map[string]int{}, resolved: map[string]time.Time{}}
}

// markStates sets WriteState on each incident's last record.
func (b *batch) markStates() {
	for _, i := range b.last {
		b.records[i].WriteState = true
	}
}

// Apply turns one notification into the events it causes (none for a duplicate) and updates the state.
func (s *State) Apply(env Envelope) ([]store.Record, Outcome) {
	n := env.Notification
	b := newBatch(env.ReceivedAt)
	s.endQuietFlaps(b)
	for i := range n.Alerts {
		s.applyAlert(b, n, &n.Alerts[i])
	}
	if n.TruncatedAlerts > 0 {
		s.applyTruncation(b, n)
	}
	for _, id := range b.touched {
		s.maybeAutoResolve(b, s.incident(id))
	}
	b.markStates()
	s.sweep(b.at)
	return b.records, b.outcome
}

func (s *State) applyAlert(b *batch, n *webhook.Notification, a *webhook.Alert) {
	key := incident.AlertKey(a.Fingerprint, a.StartsAt)
	keyDigest := incident.DigestOf(key)
	if slot, known := s.episodes[keyDigest]; known {
		inc := s.slots[slot]
		firing, _ := inc.EpisodeFiring(keyDigest)
		if a.Firing() || !firing {
			b.outcome.Duplicates++ // a retry, an HA peer or a repeat notification: already recorded
			return
		}
		alert := toAlert(key, n, a)
		b.add(inc, incident.KindAlertResolved, a.EndsAt, incident.RuleActor(alert.Name),
			fmt.Sprintf("Alert %s resolved", alert.Name), incident.AlertBody{Alert: alert}, &alert)
		b.resolved[inc.ID] = laterOf(b.resolved[inc.ID], a.EndsAt)
		return
	}
	alert := toAlert(key, n, a)
	inc, slot, declared := s.target(b, n, &alert)
	s.attach(slot, keyDigest, incident.DigestOf(a.Fingerprint))
	var (
		tax               *incident.Taxonomy
		taxMessage, noted string
	)
	if declared {
		noted = s.classify(b, inc, &alert)
	} else {
		tax, taxMessage, noted = s.joinTaxonomy(b, inc, &alert)
	}
	fired := alert
	fired.Status, fired.EndsAt = webhook.StatusFiring, time.Time{}
	b.add(inc, incident.KindAlertFired, alert.StartsAt, incident.RuleActor(alert.Name),
		fmt.Sprintf("Alert %s fired", alert.Name)+noted, incident.AlertBody{Alert: fired}, &fired)
	if tax != nil {
		b.add(inc, incident.KindTaxonomyUpdated, b.at, incident.RuleActor(alert.Name), taxMessage, *tax, nil)
	}
	if sev := s.mapping.Severity(alert.Labels); sev.MoreUrgent(inc.Severity) {
		b.add(inc, incident.KindSeverityChanged, b.at, incident.RuleActor(alert.Name),
			fmt.Sprintf("Severity raised from %s to %s by alert %s", inc.Severity, sev, alert.Name),
			incident.SeverityBody{From: inc.Severity, To: sev, Reason: "alert " + alert.Name + " joined with severity " + sev.String()}, nil)
	}
	if !a.Firing() {
		b.add(inc, incident.KindAlertResolved, alert.EndsAt, incident.RuleActor(alert.Name),
			fmt.Sprintf("Alert %s resolved", alert.Name), incident.AlertBody{Alert: alert}, &alert)
		b.resolved[inc.ID] = laterOf(b.resolved[inc.ID], alert.EndsAt)
	}
}

// target finds the incident a new alert episode belongs to, reopening or declaring (declared) one if needed.
func (s *State) target(b *batch, n *webhook.Notification, a *incident.Alert) (inc *incident.Incident, slot int32, declared bool) {
	if slot, ok := s.byFingerprint[incident.DigestOf(a.Fingerprint)]; ok {
		inc := s.slots[slot]
		switch {
		case inc.Status.Open():
			return inc, slot, false
		case inc.Status == incident.Resolved && !a.StartsAt.After(inc.ResolvedAt.Add(s.mapping.ReopenWindow)):
			b.add(inc, incident.KindReopened, a.StartsAt, incident.RuleActor(a.Name),
				fmt.Sprintf("Reopened: alert %s fired again within %s of the resolution", a.Name, s.mapping.ReopenWindow),
				incident.StatusBody{From: incident.Resolved, To: inc.StatusAfterReopen(), Reason: "alert " + a.Name + " fired again"}, nil)
			s.maybeStartFlapping(b, inc, a.StartsAt)
			if _, taken := s.openByGroup[n.GroupKey]; !taken {
				s.openByGroup[n.GroupKey] = inc.ID
			}
			return inc, slot, false
		}
	}
	if id, ok := s.openByGroup[n.GroupKey]; ok {
		if slot, held := s.slotOf[id]; held && s.slots[slot].Status.Open() {
			return s.slots[slot], slot, false
		}
	}
	inc, slot = s.declare(b, n, a)
	return inc, slot, true
}

func (s *State) declare(b *batch, n *webhook.Notification, a *incident.Alert) (*incident.Incident, int32) {
	id := uuid.NewSHA1(incidentNamespace, []byte(n.GroupKey+"\n"+a.Key)).String()
	system := s.mapping.AISystem(a.Labels)
	if system == "" {
		system = "unknown"
	}
	body := incident.DeclaredBody{
		Title:       title(n, a, system),
		Description: a.Annotations["description"],
		AISystem:    system,
		Category:    s.mapping.Category(a.Labels),
		Severity:    s.mapping.Severity(a.Labels),
		DeclaredBy:  incident.RuleActor(a.Name),
		DeclaredVia: string(n.Source),
		GroupKey:    n.GroupKey,
		StartedAt:   a.StartsAt,
	}
	inc := &incident.Incident{ID: id}
	b.add(inc, incident.KindDeclared, b.at, body.DeclaredBy,
		fmt.Sprintf("Declared %s %s incident on %s by alert rule %s via %s (receiver %q)", body.Severity, body.Category,
			system, a.Name, n.Source, n.Receiver), body, nil)
	slot := s.track(inc)
	s.openByGroup[n.GroupKey] = id
	b.outcome.Declared = append(b.outcome.Declared, inc)
	return inc, slot
}

func title(n *webhook.Notification, a *incident.Alert, system string) string {
	t := a.Annotations["summary"]
	if t == "" {
		t = n.CommonAnnotations["summary"]
	}
	if t == "" {
		t = n.Title
	}
	if t == "" {
		t = a.Name + " on " + system
	}
	if len(t) > maxTitle {
		t = strings.ToValidUTF8(t[:maxTitle], "") + "…"
	}
	return t
}

func (s *State) applyTruncation(b *batch, n *webhook.Notification) {
	id, ok := s.openByGroup[n.GroupKey]
	if !ok {
		if len(b.touched) == 0 {
			return // every alert was known and nothing is open for the group: a repeat of an old gap
		}
		id = b.touched[0]
	}
	// The same gap reported again (retry, HA peer) is recorded once: same group, same count, same alerts.
	keys := make([]string, len(n.Alerts))
	for i, a := range n.Alerts {
		keys[i] = incident.AlertKey(a.Fingerprint, a.StartsAt) + a.Status
	}
	sort.Strings(keys)
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\n%d\n%s", n.GroupKey, n.TruncatedAlerts, strings.Join(keys, ","))))
	digest := hex.EncodeToString(sum[:16])
	if s.incident(id).HasTruncation(digest) {
		return
	}
	b.add(s.incident(id), incident.KindAlertsTruncated, b.at, incident.SystemActor,
		fmt.Sprintf("Alertmanager left %d alerts out of a notification (max_alerts): they are not recorded here", n.TruncatedAlerts),
		incident.TruncatedBody{Truncated: int(n.TruncatedAlerts), GroupKey: n.GroupKey, Receiver: n.Receiver, Digest: digest}, nil)
}

func (s *State) maybeAutoResolve(b *batch, inc *incident.Incident) {
	at := b.resolved[inc.ID]
	if at.IsZero() {
		at = b.at
	}
	s.autoResolve(b, inc, at, "every alert cleared")
}

// autoResolve resolves inc at at if every alert cleared, its severity resolves by itself and it is not flapping
// (a flapping incident stays open until its alerts are quiet).
func (s *State) autoResolve(b *batch, inc *incident.Incident, at time.Time, why string) {
	if !inc.Status.Open() || inc.Flapping || inc.FiringCount > 0 || inc.AlertCount == 0 || !s.mapping.AutoResolves(inc.Severity) {
		return
	}
	b.add(inc, incident.KindResolved, at, incident.SystemActor,
		fmt.Sprintf("Resolved automatically: %s (auto-resolve is on for %s)", why, inc.Severity),
		incident.StatusBody{From: inc.Status, To: incident.Resolved, Reason: "all alerts cleared"}, nil)
	s.syncGroup(inc)
}

// sweep forgets incidents that alerts can no longer change: closed, or resolved longer ago than the reopen window,
// with no alert still firing. It runs at most once a minute of notification time.
func (s *State) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < time.Minute {
		return
	}
	s.lastSweep = now
	var forget []int32
	for slot, inc := range s.slots {
		if inc == nil || inc.Status.Open() {
			continue
		}
		s.syncGroup(inc)
		// A flapping incident is kept until it stops (see endQuietFlaps).
		if inc.FiringCount > 0 || inc.Flapping || (inc.Status == incident.Resolved && now.Sub(inc.ResolvedAt) <= s.mapping.ReopenWindow) {
			continue
		}
		forget = append(forget, int32(slot))
	}
	forgotten := make(map[string]bool, len(forget))
	for _, slot := range forget {
		inc := s.slots[slot]
		forgotten[inc.ID] = true
		for key, fp := range inc.Episodes() {
			if s.episodes[key] == slot {
				delete(s.episodes, key)
			}
			if s.byFingerprint[fp] == slot {
				delete(s.byFingerprint, fp)
			}
		}
		s.remember(inc, now)
		delete(s.slotOf, inc.ID)
		s.slots[slot] = nil
		s.freeSlots = append(s.freeSlots, slot)
	}
	s.prunePast(now)
	// A reopening may have made a forgotten incident the open incident of a group besides its own.
	for group, id := range s.openByGroup {
		if len(forgotten) == 0 {
			break
		}
		if forgotten[id] {
			delete(s.openByGroup, group)
		}
	}
}

// remember keeps the episodes of an incident being swept in past.
func (s *State) remember(inc *incident.Incident, now time.Time) {
	id, err := uuid.Parse(inc.ID)
	if err != nil {
		return // not an incident of the store (ids are UUIDs): nothing can replay it
	}
	for key := range inc.Episodes() {
		s.past[key] = pastEpisode{incident: id, forgotten: now.Unix()}
	}
}

// prunePast forgets, once an hour of notification time, the episodes forgotten longer than the horizon ago.
func (s *State) prunePast(now time.Time) {
	if now.Sub(s.lastPrune) < time.Hour {
		return
	}
	s.lastPrune = now
	oldest := now.Add(-s.ReplayHorizon - pastSlack).Unix()
	for d, p := range s.past {
		if p.forgotten < oldest {
			delete(s.past, d)
		}
	}
}

// PastEpisodes returns how many episodes of swept incidents the state remembers.
func (s *State) PastEpisodes() int { return len(s.past) }

func toAlert(key string, n *webhook.Notification, a *webhook.Alert) incident.Alert {
	name := a.Labels["alertname"]
	if name == "" {
		name = "unnamed"
	}
	return incident.Alert{
		Key: key, Fingerprint: a.Fingerprint, Name: name, Status: a.Status, StartsAt: a.StartsAt, EndsAt: a.EndsAt,
		Labels: a.Labels, Annotations: a.Annotations, GeneratorURL: a.GeneratorURL, Values: a.Values,
		DashboardURL: a.DashboardURL, PanelURL: a.PanelURL, SilenceURL: a.SilenceURL, ImageURL: a.ImageURL,
		Source: string(n.Source),
	}
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
