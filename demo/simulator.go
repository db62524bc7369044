package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// FaultKind names one way the demo AI system can misbehave. Each kind matches an
// incident category of the playbook (errors stands for "other").
type FaultKind string

// The fault kinds, in the order they are listed by the API.
const (
	FaultHallucination    FaultKind = "hallucination"
	FaultBias             FaultKind = "bias"
	FaultPromptInjection  FaultKind = "prompt_injection"
	FaultDrift            FaultKind = "drift"
	FaultUnauthorizedUse  FaultKind = "unauthorized_use"
	FaultDataExposure     FaultKind = "data_exposure"
	FaultOversightFailure FaultKind = "oversight_failure"
	FaultErrors           FaultKind = "errors"
)

// faultSpec describes a fault kind: which metric it pushes and whether it lives in a
// model version (so that switching to another version stops it) or in the environment
// (attackers, input data, clients, process), which a rollback does not fix.
type faultSpec struct {
	Kind       FaultKind
	Metric     string
	ModelBound bool
}

var faultSpecs = []faultSpec{
	{FaultHallucination, "demo_hallucinations_flagged_total", true},
	{FaultBias, "demo_fairness_gap", true},
	{FaultPromptInjection, "demo_prompt_injections_detected_total", false},
	{FaultDrift, "demo_input_drift_score", false},
	{FaultUnauthorizedUse, "demo_unauthorized_requests_total", false},
	{FaultDataExposure, "demo_pii_leaks_detected_total", true},
	{FaultOversightFailure, "demo_human_reviews_skipped_total", false},
	{FaultErrors, "demo_errors_total", true},
}

func lookupFault(kind FaultKind) (faultSpec, bool) {
	for _, s := range faultSpecs {
		if s.Kind == kind {
			return s, true
		}
	}
	return faultSpec{}, false
}

func knownFaultKinds() string {
	names := make([]string, len(faultSpecs))
	for i, s := range faultSpecs {
		names[i] = string(s.Kind)
	}
	return strings.Join(names, ", ")
}

var (
	errUnknownFault     = errors.New("unknown fault kind")
	errInvalidIntensity = errors.New("invalid intensity")
)

// Baseline behaviour of a healthy model, and what a fault of intensity 1 adds. The
// fault values sit far past the thresholds of rules/ai-incidents.rules.yml, so an alert
// fires within a couple of scrapes at the default rate of 20 requests per second.
const (
	baseHallucination   = 0.005  // share of answers the LLM judge flags
	baseInjection       = 0.0005 // share of requests with a detected prompt injection
	baseErrors          = 0.001  // share of requests that fail
	reviewRequiredShare = 0.20   // share of answers that need a human review
	decisionShare       = 0.30   // share of answers that are an approve/deny decision
	approvalGroupA      = 0.62
	approvalGroupB      = 0.60 // baseline fairness gap 0.02
	baseDrift           = 0.05 // PSI of the input distribution
	gapJitter           = 0.005
	driftJitter         = 0.01

	faultHallucination = 0.295 // -> ~30% flagged
	faultBias          = 0.28  // group_b approval rate drops -> gap ~0.30
	faultInjection     = 0.20  // 20% of requests carry an injection
	faultDrift         = 0.55  // -> PSI ~0.6
	faultUnauthorized  = 0.20  // 20% of requests from unapproved clients/purposes
	faultPIILeak       = 0.10  // 10% of answers leak PII
	faultReviewSkip    = 0.80  // 80% of the required reviews are skipped
	faultErrors        = 0.299 // -> ~30% errors
)

// unauthorizedKeyID is the API key the traffic of the unauthorized_use fault comes
// from: revoking it (containment) stops that traffic.
const unauthorizedKeyID = "key-partner-unapproved"

// Reasons for which a request is rejected before it reaches the model (the reason
// label of demo_requests_rejected_total).
const (
	rejectFeatureDisabled = "feature_disabled"
	rejectKeyRevoked      = "key_revoked"
)

var rejectReasons = []string{rejectFeatureDisabled, rejectKeyRevoked}

// randSource yields uniform numbers in [0, 1); *math/rand/v2.Rand satisfies it.
type randSource interface {
	Float64() float64
}

// Fault is an injected fault as reported by the API.
type Fault struct {
	Kind      FaultKind `json:"kind"`
	Intensity float64   `json:"intensity"`
	Metric    string    `json:"metric"`
	// ModelVersion is the model version the fault lives in; empty for faults of the
	// environment, which affect every version.
	ModelVersion string `json:"model_version,omitempty"`
	// KeyID is the API key the fault's traffic comes from (unauthorized_use only).
	KeyID string `json:"key_id,omitempty"`
	// Effective tells whether the fault affects the traffic now (a fault in another
	// model version than the active one does not).
	Effective bool      `json:"effective"`
	Since     time.Time `json:"since"`
}

// Containment is what has been switched on to stop harm (see SetEnabledShare,
// RestrictInputs, RequireReview, RevokeKey).
type Containment struct {
	// EnabledShare is the share of users the feature answers, in [0, 1].
	EnabledShare float64
	// InputRestrictions are the patterns of blocked inputs, in the order they were added.
	InputRestrictions []string
	// ReviewRequired tells whether every answer is held for a human review.
	ReviewRequired bool
	// RevokedKeys are the revoked API keys, in the order they were revoked.
	RevokedKeys []string
}

// simulator generates the synthetic traffic of the demo AI system and records it in
// Prometheus metrics. It knows nothing about HTTP; all methods are safe for
// concurrent use.
type simulator struct {
	mu       sync.Mutex
	aiSystem string
	version  string
	rnd      randSource
	now      func() time.Time
	faults   map[FaultKind]Fault
	m        *simMetrics

	// Containment state.
	enabledShare   float64
	restrictions   []string
	reviewRequired bool
	revokedKeys    []string
}

type simMetrics struct {
	requests, answers, hallucinations, injections, piiLeaks *prometheus.CounterVec
	reviewsSkipped, reviewsRequired, unauthorized, errors   *prometheus.CounterVec
	approvals, decisions                                    *prometheus.CounterVec
	inputsBlocked, heldForReview, rejected                  *prometheus.CounterVec
	fairnessGap, driftScore, modelInfo                      *prometheus.GaugeVec
	enabledShare                                            *prometheus.GaugeVec
	allCounters                                             []*prometheus.CounterVec
	groupCounters                                           []*prometheus.CounterVec
	allGauges                                               []*prometheus.GaugeVec
}

var (
	baseLabels   = []string{"ai_system", "model_version"}
	groupLabels  = []string{"ai_system", "model_version", "group"}
	groups       = []string{"group_a", "group_b"}
	reasonLabels = []string{"ai_system", "model_version", "reason"}
)

func newSimMetrics(reg prometheus.Registerer) (*simMetrics, error) {
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, baseLabels)
	}
	m := &simMetrics{
		requests:        counter("demo_requests_total", "Requests received by the AI system.", baseLabels),
		answers:         counter("demo_answers_total", "Answers served.", baseLabels),
		hallucinations:  counter("demo_hallucinations_flagged_total", "Answers an LLM judge flagged as hallucinated.", baseLabels),
		injections:      counter("demo_prompt_injections_detected_total", "Requests in which a prompt injection was detected.", baseLabels),
		piiLeaks:        counter("demo_pii_leaks_detected_total", "Answers in which personal data of someone else was detected.", baseLabels),
		reviewsSkipped:  counter("demo_human_reviews_skipped_total", "Answers that needed a human review and were sent without one.", baseLabels),
		reviewsRequired: counter("demo_human_reviews_required_total", "Answers that needed a human review.", baseLabels),
		unauthorized:    counter("demo_unauthorized_requests_total", "Requests from clients or for purposes not approved for this AI system.", baseLabels),
		errors:          counter("demo_errors_total", "Requests that failed.", baseLabels),
		approvals:       counter("demo_approvals_total", "Decisions that approved the customer's request, by customer group.", groupLabels),
		decisions:       counter("demo_decisions_total", "Approve/deny decisions, by customer group.", groupLabels),
		fairnessGap:     gauge("demo_fairness_gap", "Absolute difference in approval rate between group_a and group_b."),
		driftScore:      gauge("demo_input_drift_score", "Population stability index of the inputs against the training data."),
		modelInfo:       gauge("demo_model_info", "1 for the model version that serves the traffic."),
		inputsBlocked:   counter("demo_inputs_blocked_total", "Requests blocked by an input restriction (containment) before reaching the model.", baseLabels),
		heldForReview:   counter("demo_answers_held_for_review_total", "Answers held for a human review before being sent (containment).", baseLabels),
		rejected:        counter("demo_requests_rejected_total", "Requests refused by containment: feature disabled for the user, or API key revoked.", reasonLabels),
		enabledShare: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "demo_feature_enabled_share",
			Help: "Share of users the AI feature answers (1 = all; containment lowers it)."}, []string{"ai_system"}),
	}
	m.allCounters = []*prometheus.CounterVec{m.requests, m.answers, m.hallucinations, m.injections, m.piiLeaks,
		m.reviewsSkipped, m.reviewsRequired, m.unauthorized, m.errors, m.inputsBlocked, m.heldForReview}
	m.groupCounters = []*prometheus.CounterVec{m.approvals, m.decisions}
	m.allGauges = []*prometheus.GaugeVec{m.fairnessGap, m.driftScore, m.modelInfo}
	for _, c := range append(append(m.allCounters, m.groupCounters...), m.rejected) {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, g := range append(m.allGauges, m.enabledShare) {
		if err := reg.Register(g); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// newSimulator returns a simulator of aiSystem serving modelVersion, registering its
// metrics with reg.
func newSimulator(aiSystem, modelVersion string, rnd randSource, reg prometheus.Registerer) (*simulator, error) {
	if aiSystem == "" || modelVersion == "" {
		return nil, errors.New("ai system and model version must not be empty")
	}
	m, err := newSimMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	s := &simulator{aiSystem: aiSystem, version: modelVersion, rnd: rnd, now: time.Now,
		faults: map[FaultKind]Fault{}, m: m}
	s.resetContainmentLocked()
	s.activateVersionLocked()
	return s, nil
}

// activateVersionLocked exports every series of the active version, counters at 0, so
// that the first event after start is seen by rate() in Prometheus.
func (s *simulator) activateVersionLocked() {
	for _, c := range s.m.allCounters {
		c.WithLabelValues(s.aiSystem, s.version)
	}
	for _, c := range s.m.groupCounters {
		for _, g := range groups {
			c.WithLabelValues(s.aiSystem, s.version, g)
		}
	}
	for _, r := range rejectReasons {
		s.m.rejected.WithLabelValues(s.aiSystem, s.version, r)
	}
	s.m.modelInfo.WithLabelValues(s.aiSystem, s.version).Set(1)
	s.updateGaugesLocked(0, 0)
}

// ModelVersion returns the model version serving the traffic.
func (s *simulator) ModelVersion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// SetModelVersion switches the traffic to another model version (a rollback or a
// deploy). Faults that live in the old version stop affecting the traffic; the
// gauges of the old version are removed, its counters stay (and stop increasing).
func (s *simulator) SetModelVersion(version string) error {
	if version == "" {
		return errors.New("model version must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if version == s.version {
		return nil
	}
	for _, g := range s.m.allGauges {
		g.DeleteLabelValues(s.aiSystem, s.version)
	}
	s.version = version
	s.activateVersionLocked()
	return nil
}

// InjectFault makes kind go bad with the given intensity in [0, 1] (1 is the full
// effect). A model-bound fault is put into the active model version. Injecting a fault
// that is already there replaces it.
func (s *simulator) InjectFault(kind FaultKind, intensity float64) (Fault, error) {
	spec, ok := lookupFault(kind)
	if !ok {
		return Fault{}, fmt.Errorf("%w %q; known: %s", errUnknownFault, kind, knownFaultKinds())
	}
	if math.IsNaN(intensity) || intensity < 0 || intensity > 1 {
		return Fault{}, fmt.Errorf("%w: intensity must be between 0 and 1, got %v", errInvalidIntensity, intensity)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := Fault{Kind: kind, Intensity: intensity, Metric: spec.Metric, Since: s.now().UTC()}
	if spec.ModelBound {
		f.ModelVersion = s.version
	}
	if kind == FaultUnauthorizedUse {
		f.KeyID = unauthorizedKeyID
	}
	s.faults[kind] = f
	s.updateGaugesLocked(0, 0)
	return s.withEffectLocked(f), nil
}

// ClearFault removes the fault of the given kind; it reports whether there was one.
func (s *simulator) ClearFault(kind FaultKind) (bool, error) {
	if _, ok := lookupFault(kind); !ok {
		return false, fmt.Errorf("%w %q; known: %s", errUnknownFault, kind, knownFaultKinds())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, had := s.faults[kind]
	delete(s.faults, kind)
	s.updateGaugesLocked(0, 0)
	return had, nil
}

// ClearAllFaults removes every fault and returns how many there were.
func (s *simulator) ClearAllFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.faults)
	clear(s.faults)
	s.updateGaugesLocked(0, 0)
	return n
}

// Faults lists the injected faults in the order of faultSpecs.
func (s *simulator) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Fault{}
	for _, spec := range faultSpecs {
		if f, ok := s.faults[spec.Kind]; ok {
			out = append(out, s.withEffectLocked(f))
		}
	}
	return out
}

func (s *simulator) withEffectLocked(f Fault) Fault {
	f.Effective = f.ModelVersion == "" || f.ModelVersion == s.version
	return f
}

// effectLocked is the intensity of kind's fault on the traffic now, 0 if none.
func (s *simulator) effectLocked(kind FaultKind) float64 {
	f, ok := s.faults[kind]
	if !ok || !s.withEffectLocked(f).Effective {
		return 0
	}
	return f.Intensity
}

// SetEnabledShare makes the feature answer only share (in [0, 1]) of the users; the
// requests of the others are refused before they reach the model: no answer, so none of
// their answers can hallucinate, leak or decide.
func (s *simulator) SetEnabledShare(share float64) error {
	if math.IsNaN(share) || share < 0 || share > 1 {
		return fmt.Errorf("enabled share must be between 0 and 1, got %v", share)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enabledShare = share
	s.m.enabledShare.WithLabelValues(s.aiSystem).Set(share)
	return nil
}

// RestrictInputs blocks the inputs matching pattern (a valid regular expression). The
// traffic is synthetic, so the model is simple: while any restriction is active, every
// request carrying a prompt injection is blocked before it reaches the model. It
// reports whether the pattern was new.
func (s *simulator) RestrictInputs(pattern string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.restrictions, pattern) {
		return false
	}
	s.restrictions = append(s.restrictions, pattern)
	return true
}

// RequireReview holds every answer for a human review before it is sent: no required
// review is skipped any more, and the reviewer stops hallucinated answers. It reports
// whether the requirement was new.
func (s *simulator) RequireReview() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	had := s.reviewRequired
	s.reviewRequired = true
	return !had
}

// RevokeKey revokes an API key: its requests are refused. It reports whether the key
// was not revoked yet.
func (s *simulator) RevokeKey(keyID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.revokedKeys, keyID) {
		return false
	}
	s.revokedKeys = append(s.revokedKeys, keyID)
	return true
}

// ResetContainment lifts every containment measure (the model version and the faults
// are left alone).
func (s *simulator) ResetContainment() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetContainmentLocked()
}

func (s *simulator) resetContainmentLocked() {
	s.enabledShare = 1
	s.restrictions = nil
	s.reviewRequired = false
	s.revokedKeys = nil
	s.m.enabledShare.WithLabelValues(s.aiSystem).Set(1)
}

// Containment returns the containment state.
func (s *simulator) Containment() Containment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Containment{
		EnabledShare:      s.enabledShare,
		InputRestrictions: append([]string{}, s.restrictions...),
		ReviewRequired:    s.reviewRequired,
		RevokedKeys:       append([]string{}, s.revokedKeys...),
	}
}

// drawsPerRequest random numbers are used per request whatever happens, so that with the
// same random source a fault in one metric leaves the others' values unchanged.
const drawsPerRequest = 11

// Step simulates n requests and refreshes the gauges.
func (s *simulator) Step(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		pUnauthorized = faultUnauthorized * s.effectLocked(FaultUnauthorizedUse)
		pInjection    = baseInjection + faultInjection*s.effectLocked(FaultPromptInjection)
		pError        = baseErrors + faultErrors*s.effectLocked(FaultErrors)
		pHallucinate  = baseHallucination + faultHallucination*s.effectLocked(FaultHallucination)
		pLeak         = faultPIILeak * s.effectLocked(FaultDataExposure)
		pSkip         = faultReviewSkip * s.effectLocked(FaultOversightFailure)
		pApprove      = s.approvalRatesLocked()
		enabledShare  = s.enabledShare
		restricted    = len(s.restrictions) > 0
		review        = s.reviewRequired
		rogueRevoked  = slices.Contains(s.revokedKeys, unauthorizedKeyID)
	)
	sys, ver := s.aiSystem, s.version
	inc := func(c *prometheus.CounterVec, lvs ...string) { c.WithLabelValues(lvs...).Inc() }
	var u [drawsPerRequest]float64
	for range n {
		for i := range u {
			u[i] = s.rnd.Float64()
		}
		inc(s.m.requests, sys, ver)
		if u[10] >= enabledShare { // the feature is disabled for this user
			inc(s.m.rejected, sys, ver, rejectFeatureDisabled)
			continue
		}
		if u[0] < pUnauthorized { // from the unapproved client's key
			if rogueRevoked {
				inc(s.m.rejected, sys, ver, rejectKeyRevoked)
				continue
			}
			inc(s.m.unauthorized, sys, ver)
		}
		if u[1] < pInjection {
			if restricted {
				inc(s.m.inputsBlocked, sys, ver)
				continue
			}
			inc(s.m.injections, sys, ver)
		}
		if u[2] < pError {
			inc(s.m.errors, sys, ver)
			continue
		}
		inc(s.m.answers, sys, ver)
		if review {
			inc(s.m.heldForReview, sys, ver)
		}
		// Under review, the reviewer corrects a hallucinated answer before it is sent,
		// so the judge (which grades the answers sent) flags none.
		if u[3] < pHallucinate && !review {
			inc(s.m.hallucinations, sys, ver)
		}
		if u[4] < pLeak {
			inc(s.m.piiLeaks, sys, ver)
		}
		if u[5] < reviewRequiredShare {
			inc(s.m.reviewsRequired, sys, ver)
			if u[6] < pSkip && !review {
				inc(s.m.reviewsSkipped, sys, ver)
			}
		}
		if u[7] < decisionShare {
			g := 0
			if u[8] >= 0.5 {
				g = 1
			}
			inc(s.m.decisions, sys, ver, groups[g])
			if u[9] < pApprove[g] {
				inc(s.m.approvals, sys, ver, groups[g])
			}
		}
	}
	s.updateGaugesLocked(2*s.rnd.Float64()-1, 2*s.rnd.Float64()-1)
}

// approvalRatesLocked returns the approval probability of group_a and group_b.
func (s *simulator) approvalRatesLocked() [2]float64 {
	return [2]float64{approvalGroupA, approvalGroupB - faultBias*s.effectLocked(FaultBias)}
}

// updateGaugesLocked sets the fairness gap (as an offline fairness evaluation of the
// active model would measure it) and the input drift score. Step adds a little noise
// (noise in [-1, 1) scales it); fault changes update the gauges without noise, so that
// they draw no random numbers.
func (s *simulator) updateGaugesLocked(gapNoise, driftNoise float64) {
	p := s.approvalRatesLocked()
	gap := max(0, math.Abs(p[0]-p[1])+gapNoise*gapJitter)
	drift := max(0, baseDrift+faultDrift*s.effectLocked(FaultDrift)+driftNoise*driftJitter)
	s.m.fairnessGap.WithLabelValues(s.aiSystem, s.version).Set(gap)
	s.m.driftScore.WithLabelValues(s.aiSystem, s.version).Set(drift)
}
