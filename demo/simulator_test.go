package main

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// category is the incident category (and rule) a fault kind belongs to.
func category(kind FaultKind) string {
	if kind == FaultErrors {
		return "other"
	}
	return string(kind)
}

// ruleThresholds mirrors the thresholds of rules/ai-incidents.rules.yml, by category;
// TestRulePackStructure checks that the rule file uses the same ones.
var ruleThresholds = map[string]float64{
	"hallucination":     0.05,
	"bias":              0.1,
	"prompt_injection":  0.01,
	"drift":             0.25,
	"unauthorized_use":  0.01,
	"data_exposure":     0,
	"oversight_failure": 0.01,
	"other":             0.05,
}

// snapshot is every series of a registry, keyed as name{label="value",...}.
type snapshot map[string]float64

func takeSnapshot(t *testing.T, g prometheus.Gatherer) snapshot {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	out := snapshot{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var lbls []string
			for _, lp := range m.GetLabel() {
				lbls = append(lbls, lp.GetName()+"="+`"`+lp.GetValue()+`"`)
			}
			sort.Strings(lbls)
			key := mf.GetName() + "{" + strings.Join(lbls, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

func series(name, aiSystem, version string) string {
	return name + `{ai_system="` + aiSystem + `",model_version="` + version + `"}`
}

// signals computes, from two snapshots, what each rule of the rule pack evaluates for
// one ai_system and model_version.
func signals(before, after snapshot, aiSystem, version string) map[string]float64 {
	delta := func(name string) float64 {
		k := series(name, aiSystem, version)
		return after[k] - before[k]
	}
	ratio := func(num, den string) float64 {
		d := delta(den)
		if d <= 0 {
			return 0
		}
		return delta(num) / d
	}
	return map[string]float64{
		"hallucination":     ratio("demo_hallucinations_flagged_total", "demo_answers_total"),
		"bias":              after[series("demo_fairness_gap", aiSystem, version)],
		"prompt_injection":  ratio("demo_prompt_injections_detected_total", "demo_requests_total"),
		"drift":             after[series("demo_input_drift_score", aiSystem, version)],
		"unauthorized_use":  ratio("demo_unauthorized_requests_total", "demo_requests_total"),
		"data_exposure":     delta("demo_pii_leaks_detected_total"),
		"oversight_failure": ratio("demo_human_reviews_skipped_total", "demo_human_reviews_required_total"),
		"other":             ratio("demo_errors_total", "demo_requests_total"),
	}
}

func newTestSimulator(t *testing.T, seed uint64) (*simulator, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	sim, err := newSimulator("supportbot", "v2", rand.New(rand.NewPCG(seed, 42)), reg)
	require.NoError(t, err)
	return sim, reg
}

// The default rate is 20 requests per second.
const (
	twoSeconds  = 40
	thirtySecs  = 600
	warmupSteps = 200
)

func TestSimulatorBaselineIsHealthy(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		sim, reg := newTestSimulator(t, seed)
		before := takeSnapshot(t, reg)
		for range 30 { // 30 s of traffic, one step per second
			sim.Step(20)
		}
		after := takeSnapshot(t, reg)
		sig := signals(before, after, "supportbot", "v2")
		for cat, v := range sig {
			assert.LessOrEqualf(t, v, ruleThresholds[cat], "seed %d: baseline %s = %v", seed, cat, v)
		}
		assert.InDelta(t, 0.02, sig["bias"], 0.0051, "fairness gap")
		assert.InDelta(t, 0.05, sig["drift"], 0.0101, "drift score")
		assert.Zero(t, sig["data_exposure"])
		assert.Zero(t, sig["unauthorized_use"])
		assert.Zero(t, sig["oversight_failure"])
		assert.Less(t, sig["hallucination"], 0.02)
		assert.Less(t, sig["other"], 0.01)
		assert.Equal(t, float64(600), after[series("demo_requests_total", "supportbot", "v2")])
		assert.Equal(t, 1.0, after[series("demo_model_info", "supportbot", "v2")])
	}
}

func TestSimulatorExportsEverySeriesAtStart(t *testing.T) {
	_, reg := newTestSimulator(t, 1)
	snap := takeSnapshot(t, reg)
	for _, name := range []string{"demo_requests_total", "demo_answers_total", "demo_hallucinations_flagged_total",
		"demo_prompt_injections_detected_total", "demo_pii_leaks_detected_total", "demo_human_reviews_skipped_total",
		"demo_human_reviews_required_total", "demo_unauthorized_requests_total", "demo_errors_total"} {
		v, ok := snap[series(name, "supportbot", "v2")]
		assert.True(t, ok, "%s is not exported before the first request", name)
		assert.Zero(t, v, name)
	}
	for _, name := range []string{"demo_approvals_total", "demo_decisions_total"} {
		for _, g := range groups {
			_, ok := snap[name+`{ai_system="supportbot",group="`+g+`",model_version="v2"}`]
			assert.True(t, ok, "%s{group=%q} is not exported", name, g)
		}
	}
	assert.Equal(t, 1.0, snap[series("demo_model_info", "supportbot", "v2")])
	assert.Contains(t, snap, series("demo_fairness_gap", "supportbot", "v2"))
	assert.Contains(t, snap, series("demo_input_drift_score", "supportbot", "v2"))
}

// A fault pushes its category's signal far past the rule threshold within 2 s of
// traffic, leaves the others below theirs over the rules' 30 s window, and clearing it
// restores the baseline.
func TestSimulatorFaultRaisesOnlyItsSignal(t *testing.T) {
	for _, spec := range faultSpecs {
		t.Run(string(spec.Kind), func(t *testing.T) {
			for _, seed := range []uint64{1, 2, 3} {
				sim, reg := newTestSimulator(t, seed)
				sim.Step(warmupSteps)

				windowStart := takeSnapshot(t, reg)
				sim.Step(thirtySecs - twoSeconds)
				faultStart := takeSnapshot(t, reg)
				_, err := sim.InjectFault(spec.Kind, 1)
				require.NoError(t, err)
				for range 10 { // 2 s in ticks of 100 ms
					sim.Step(twoSeconds / 10)
				}
				now := takeSnapshot(t, reg)
				want := category(spec.Kind)
				v := signals(faultStart, now, "supportbot", "v2")[want]
				assert.Greaterf(t, v, 2*ruleThresholds[want], "seed %d: %s in the first 2 s of the fault", seed, want)
				for cat, v := range signals(windowStart, now, "supportbot", "v2") {
					if cat != want {
						assert.LessOrEqualf(t, v, ruleThresholds[cat], "seed %d: fault %s moved %s to %v", seed, spec.Kind, cat, v)
					}
				}

				had, err := sim.ClearFault(spec.Kind)
				require.NoError(t, err)
				assert.True(t, had)
				assert.Empty(t, sim.Faults())
				before := takeSnapshot(t, reg)
				sim.Step(thirtySecs)
				for cat, v := range signals(before, takeSnapshot(t, reg), "supportbot", "v2") {
					assert.LessOrEqualf(t, v, ruleThresholds[cat], "seed %d: %s after clearing %s", seed, cat, spec.Kind)
				}
			}
		})
	}
}

// With the same random numbers, a fault changes only the series of its own metric
// (errors excepted: a failed request is not answered, so every per-answer count moves).
func TestSimulatorFaultTouchesOnlyItsSeries(t *testing.T) {
	changes := map[FaultKind][]string{
		FaultHallucination:    {series("demo_hallucinations_flagged_total", "supportbot", "v2")},
		FaultBias:             {series("demo_fairness_gap", "supportbot", "v2"), `demo_approvals_total{ai_system="supportbot",group="group_b",model_version="v2"}`},
		FaultPromptInjection:  {series("demo_prompt_injections_detected_total", "supportbot", "v2")},
		FaultDrift:            {series("demo_input_drift_score", "supportbot", "v2")},
		FaultUnauthorizedUse:  {series("demo_unauthorized_requests_total", "supportbot", "v2")},
		FaultDataExposure:     {series("demo_pii_leaks_detected_total", "supportbot", "v2")},
		FaultOversightFailure: {series("demo_human_reviews_skipped_total", "supportbot", "v2")},
	}
	for kind, want := range changes {
		t.Run(string(kind), func(t *testing.T) {
			healthy, hreg := newTestSimulator(t, 7)
			faulty, freg := newTestSimulator(t, 7)
			_, err := faulty.InjectFault(kind, 1)
			require.NoError(t, err)
			healthy.Step(thirtySecs)
			faulty.Step(thirtySecs)
			h, f := takeSnapshot(t, hreg), takeSnapshot(t, freg)
			require.Equal(t, slices.Sorted(maps.Keys(h)), slices.Sorted(maps.Keys(f)))
			var changed []string
			for k := range h {
				if h[k] != f[k] {
					changed = append(changed, k)
				}
			}
			assert.ElementsMatch(t, want, changed)
		})
	}
}

func TestSimulatorIntensity(t *testing.T) {
	run := func(intensity float64) float64 {
		sim, reg := newTestSimulator(t, 11)
		if intensity >= 0 {
			_, err := sim.InjectFault(FaultHallucination, intensity)
			require.NoError(t, err)
		}
		before := takeSnapshot(t, reg)
		sim.Step(4000)
		return signals(before, takeSnapshot(t, reg), "supportbot", "v2")["hallucination"]
	}
	none, zero, half, full := run(-1), run(0), run(0.5), run(1)
	assert.Equal(t, none, zero, "intensity 0 has no effect")
	assert.InDelta(t, 0.15, half, 0.03)
	assert.InDelta(t, 0.30, full, 0.03)
}

func TestSimulatorInjectFaultErrors(t *testing.T) {
	sim, _ := newTestSimulator(t, 1)
	tests := []struct {
		kind      FaultKind
		intensity float64
		wantErr   error
		wantMsg   string
	}{
		{"nope", 1, errUnknownFault, `unknown fault kind "nope"; known: hallucination, bias, prompt_injection, drift, unauthorized_use, data_exposure, oversight_failure, errors`},
		{"", 1, errUnknownFault, `unknown fault kind ""`},
		{FaultBias, -0.1, errInvalidIntensity, "intensity must be between 0 and 1, got -0.1"},
		{FaultBias, 1.01, errInvalidIntensity, "got 1.01"},
		{FaultBias, math.NaN(), errInvalidIntensity, "got NaN"},
		{FaultBias, math.Inf(1), errInvalidIntensity, "got +Inf"},
	}
	for _, tt := range tests {
		_, err := sim.InjectFault(tt.kind, tt.intensity)
		require.ErrorIs(t, err, tt.wantErr, "%q %v", tt.kind, tt.intensity)
		assert.Contains(t, err.Error(), tt.wantMsg)
	}
	_, err := sim.ClearFault("nope")
	require.ErrorIs(t, err, errUnknownFault)
	assert.Empty(t, sim.Faults())
}

func TestSimulatorFaultList(t *testing.T) {
	sim, _ := newTestSimulator(t, 1)
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	sim.now = func() time.Time { return at }
	for _, k := range []FaultKind{FaultErrors, FaultDrift, FaultHallucination} {
		_, err := sim.InjectFault(k, 0.5)
		require.NoError(t, err)
	}
	f, err := sim.InjectFault(FaultDrift, 0.9) // replaces the first one
	require.NoError(t, err)
	assert.Equal(t, Fault{Kind: FaultDrift, Intensity: 0.9, Metric: "demo_input_drift_score", Effective: true, Since: at}, f)

	got := sim.Faults()
	require.Len(t, got, 3)
	assert.Equal(t, []FaultKind{FaultHallucination, FaultDrift, FaultErrors},
		[]FaultKind{got[0].Kind, got[1].Kind, got[2].Kind}, "listed in the order of the known kinds")
	assert.Equal(t, "v2", got[0].ModelVersion, "hallucination lives in the model")
	assert.Empty(t, got[1].ModelVersion, "drift lives in the input data")

	had, err := sim.ClearFault(FaultBias)
	require.NoError(t, err)
	assert.False(t, had)
	assert.Equal(t, 3, sim.ClearAllFaults())
	assert.Empty(t, sim.Faults())
}

// Switching the model version (what a rollback will do) stops the faults that live in
// the old version, not those of the environment.
func TestSimulatorModelVersionSwitch(t *testing.T) {
	sim, reg := newTestSimulator(t, 3)
	sim.Step(warmupSteps)
	for _, k := range []FaultKind{FaultHallucination, FaultBias, FaultDrift} {
		_, err := sim.InjectFault(k, 1)
		require.NoError(t, err)
	}
	require.NoError(t, sim.SetModelVersion("v1"))
	assert.Equal(t, "v1", sim.ModelVersion())

	effective := map[FaultKind]bool{}
	for _, f := range sim.Faults() {
		effective[f.Kind] = f.Effective
	}
	assert.Equal(t, map[FaultKind]bool{FaultHallucination: false, FaultBias: false, FaultDrift: true}, effective)

	snap := takeSnapshot(t, reg)
	assert.Equal(t, 1.0, snap[series("demo_model_info", "supportbot", "v1")])
	assert.NotContains(t, snap, series("demo_model_info", "supportbot", "v2"))
	assert.NotContains(t, snap, series("demo_fairness_gap", "supportbot", "v2"))
	assert.NotContains(t, snap, series("demo_input_drift_score", "supportbot", "v2"))
	assert.Contains(t, snap, series("demo_hallucinations_flagged_total", "supportbot", "v2"), "old counters stay")
	assert.Zero(t, snap[series("demo_requests_total", "supportbot", "v1")])

	sim.Step(thirtySecs)
	after := takeSnapshot(t, reg)
	sig := signals(snap, after, "supportbot", "v1")
	assert.LessOrEqual(t, sig["hallucination"], ruleThresholds["hallucination"])
	assert.LessOrEqual(t, sig["bias"], ruleThresholds["bias"])
	assert.Greater(t, sig["drift"], ruleThresholds["drift"], "a rollback does not fix input drift")
	assert.Equal(t, snap[series("demo_requests_total", "supportbot", "v2")], after[series("demo_requests_total", "supportbot", "v2")],
		"v2 serves no traffic after the switch")

	// Back to v2: its faults are back.
	require.NoError(t, sim.SetModelVersion("v2"))
	before := takeSnapshot(t, reg)
	sim.Step(twoSeconds)
	sig = signals(before, takeSnapshot(t, reg), "supportbot", "v2")
	assert.Greater(t, sig["hallucination"], ruleThresholds["hallucination"])
	assert.Greater(t, sig["bias"], ruleThresholds["bias"])

	require.Error(t, sim.SetModelVersion(""))
}
