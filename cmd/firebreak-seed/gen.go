package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// The generator. Each chunk of incidents has its own random source (seed, chunk number), so the data does not
// depend on how many workers build it. Every timeline is built with incident.Declare and Append: hashes chain and
// the state written with the last event is the fold of the timeline.

const (
	minute = time.Minute
	hour   = time.Hour
	day    = 24 * time.Hour
)

var (
	aiBases = []string{"supportbot", "codeassist", "search-ranker", "fraud-scorer", "doc-summarizer", "claims-triage",
		"credit-scorer", "resume-screener", "chat-concierge", "translation", "moderation", "recommender", "voice-agent",
		"kyc-verifier", "pricing-model", "churn-predictor", "radiology-assist", "legal-drafter", "hr-assistant",
		"ad-targeting", "sales-copilot", "email-classifier", "ocr-extractor", "forecasting", "route-optimizer",
		"sentiment", "faq-bot", "agent-orchestrator", "image-gen", "rag-knowledge"}
	aiVariants = []string{"", "-eu", "-us", "-apac", "-v2", "-beta", "-internal", "-mobile", "-partner", "-canary"}

	categoryWeights = []struct {
		c incident.Category
		w float64
	}{
		{incident.Hallucination, 0.22}, {incident.Drift, 0.19}, {incident.PromptInjection, 0.15}, {incident.Bias, 0.10},
		{incident.Other, 0.10}, {incident.DataExposure, 0.09}, {incident.OversightFailure, 0.08}, {incident.UnauthorizedUse, 0.07},
	}
	alertNames = map[incident.Category][]string{
		incident.Hallucination:    {"LLMHallucinationRateHigh", "GroundednessScoreLow", "CitationMismatchHigh"},
		incident.Bias:             {"FairnessDisparityHigh", "DemographicParityGap"},
		incident.PromptInjection:  {"PromptInjectionDetected", "JailbreakAttemptsHigh"},
		incident.Drift:            {"EmbeddingDriftDetected", "PredictionDriftHigh", "FeatureDriftDetected"},
		incident.UnauthorizedUse:  {"UnapprovedModelInUse", "UnauthorizedAPIKeyUsage"},
		incident.DataExposure:     {"PIILeakDetected", "SecretInOutputDetected"},
		incident.OversightFailure: {"HumanReviewBacklogHigh", "OversightBypassDetected"},
		incident.Other:            {"LLMErrorRateHigh", "LLMLatencyHigh", "TokenCostSpike"},
	}
	titles = map[incident.Category][]string{
		incident.Hallucination:    {"%s invents refund policies", "%s cites documents that do not exist", "Hallucination rate above threshold on %s"},
		incident.Bias:             {"%s approval rates differ by age group", "Fairness disparity on %s", "%s ranks candidates unevenly"},
		incident.PromptInjection:  {"Prompt injection through uploaded files on %s", "Jailbreak attempts succeed on %s", "%s follows instructions hidden in web pages"},
		incident.Drift:            {"Embedding drift on %s", "%s accuracy dropped after data change", "Input distribution shift on %s"},
		incident.UnauthorizedUse:  {"Unapproved model version serving %s", "%s used outside its approved purpose", "Unknown client calling %s"},
		incident.DataExposure:     {"%s reveals customer emails", "PII in %s responses", "%s leaks internal documents"},
		incident.OversightFailure: {"Human review skipped for %s decisions", "%s review queue overflowing", "%s auto-approves without sign-off"},
		incident.Other:            {"%s error rate high", "%s latency degraded", "%s token costs spiking"},
	}
	users = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
		"niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yasmin", "zoe", "li.wei",
		"jose.garcia", "anna.kowalska", "fatima", "kenji", "priya", "lucas", "sofia", "omar"}
	notes = []string{"Rolled back the prompt template to the previous version", "Paged the ML on-call",
		"Customer support informed; macro prepared", "Added a guardrail rule to block the pattern",
		"Sampled 200 conversations for manual review", "Vendor ticket opened", "Traffic shifted to the fallback model",
		"Legal asked for a timeline of affected users", "Retrieval index rebuilt", "Threshold tuned after false positives",
		"Monitoring dashboard linked in the channel", "Root cause suspected in last week's fine-tune",
		"Feature flag disabled for the affected tenant", "Security reviewed the logs: no exfiltration found",
		"Status page updated", "Waiting for the model provider's answer"}
	reportChannels = []string{"support", "security", "legal", "engineering", "other"}
	rootCauses     = []string{"model_defect", "bad_data", "attack", "process_failure", "design_gap", "other"}
)

func aiSystems() []string {
	out := make([]string, 0, len(aiBases)*len(aiVariants))
	for _, v := range aiVariants {
		for _, b := range aiBases {
			out = append(out, b+v)
		}
	}
	return out
}

type gen struct {
	rng  *rand.Rand
	now  time.Time
	span time.Duration
	ais  []string
	c    *chunk
	w    rowWriter
}

func generateChunk(cfg config, ais []string, counts []int32, big, j int) (*chunk, error) {
	g := &gen{
		rng:  rand.New(rand.NewPCG(cfg.Seed, uint64(j)+1)),
		now:  cfg.Now.UTC(),
		span: time.Duration(cfg.Days) * day,
		ais:  ais,
		c:    &chunk{},
	}
	g.w.buf, g.w.full = bufPool.Get().([]byte)[:0], cfg.FullRows
	for i := j * chunkIncidents; i < min(len(counts), (j+1)*chunkIncidents); i++ {
		if err := g.incident(int(counts[i]), i == big); err != nil {
			return nil, err
		}
	}
	g.c.buf = g.w.buf
	return g.c, nil
}

func (g *gen) uniform(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)))
}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// step is one planned event, at an offset from the declaration; build makes its body once times are final.
type step struct {
	off   time.Duration
	kind  incident.Kind
	actor string
	msg   string
	body  func(at func(time.Duration) time.Time) any
	alert int // index into the alert plan for alert events
	fired bool
}

type alertPlan struct {
	name, fingerprint string
	startOff          time.Duration // when it started (before it was attached, for the first one)
	source            string
	instance          string
}

func (g *gen) incident(k int, big bool) error {
	rng := g.rng
	var idb [16]byte
	for i := range idb {
		idb[i] = byte(rng.UintN(256))
	}
	idb[6] = idb[6]&0x0f | 0x40
	idb[8] = idb[8]&0x3f | 0x80
	id := uuid.UUID(idb).String()

	sev := incident.SEV3
	switch r := rng.Float64(); {
	case big || r < 0.10:
		sev = incident.SEV1
	case r < 0.50:
		sev = incident.SEV2
	}
	var cat incident.Category
	r := rng.Float64()
	for _, cw := range categoryWeights {
		cat = cw.c
		if r -= cw.w; r < 0 {
			break
		}
	}
	ai := g.ais[int(float64(len(g.ais))*math.Pow(rng.Float64(), 2.2))]
	drill := !big && g.chance(0.006)
	via := "alertmanager"
	switch r := rng.Float64(); {
	case drill || r < 0.14:
		via = "manual"
	case r < 0.26:
		via = "grafana"
	}
	open := big || g.chance(0.02)
	status := incident.Closed
	var age time.Duration
	if open {
		switch r := rng.Float64(); {
		case big || r < 0.25:
			status = incident.Contained
		case r < 0.60:
			status = incident.Acknowledged
		default:
			status = incident.Declared
		}
		age = min(g.span-minute, time.Duration(rng.ExpFloat64()*float64(2*day)))
		if big {
			age = min(g.span-minute, 12*day)
		}
	} else {
		age = g.uniform(0, g.span)
		if (age < 7*day && g.chance(0.7)) || g.chance(0.08) {
			status = incident.Resolved
		}
	}
	declaredAt := g.now.Add(-age).Truncate(time.Millisecond)
	limit := g.now.Sub(declaredAt) // every event happens by now

	// What fits in k events: the status path first, then the extras in order of importance.
	mandatory := map[incident.Status]int{incident.Declared: 1, incident.Acknowledged: 2, incident.Contained: 2,
		incident.Resolved: 2, incident.Closed: 3}
	closedReview := status == incident.Closed && sev != incident.SEV3
	if closedReview {
		mandatory[incident.Closed]++
	}
	if k < mandatory[status] {
		status, closedReview = incident.Resolved, false
	}
	budget := k - mandatory[status]
	take := func(want bool) bool {
		if want && budget > 0 {
			budget--
			return true
		}
		return false
	}
	ended := status == incident.Resolved || status == incident.Closed
	alerting := take(via != "manual")
	if !alerting {
		via = "manual"
	}
	autoResolve := ended && alerting && sev == incident.SEV3 && take(g.chance(0.4))
	hasAck := status == incident.Acknowledged || (status != incident.Declared && !autoResolve && take(g.chance(0.95)))
	firstResolved := autoResolve || (alerting && take(ended || g.chance(0.3)))
	hasLead := hasAck && take(g.chance(0.85))
	hasContain := status == incident.Contained || (ended && !autoResolve && take(g.chance(0.6)))
	hasReview := closedReview || (status == incident.Closed && take(g.chance(0.3)))
	flagged := take((cat == incident.DataExposure && g.chance(0.3)) || (sev == incident.SEV1 && g.chance(0.12)))
	reported := flagged && take(g.chance(map[bool]float64{true: 0.93, false: 0.5}[ended]))
	sevChange := take(g.chance(0.05))
	// A third of those with room for it classified (about a fifth of all), chosen by the id's bytes (not the
	// generator: the rest of the data stays as it was).
	classified := take(idb[0] < 85)
	fillers := budget

	// Milestones, as offsets from the declaration, shaped by the default SLA targets (most met, some missed).
	target := incident.DefaultSLATargets()[sev]
	var ackOff, containOff, resolveOff, closeOff time.Duration
	if hasAck {
		ackOff = g.uniform(30*time.Second, target.Acknowledge*9/10)
		if g.chance(0.1) {
			ackOff = g.uniform(target.Acknowledge, target.Acknowledge*4)
		}
	}
	containOff = ackOff
	if hasContain {
		containOff = ackOff + g.uniform(hour, 72*hour)
		if target.Contain > 0 {
			containOff = ackOff + g.uniform(5*minute, max(10*minute, target.Contain-ackOff-minute))
			if g.chance(0.15) {
				containOff = max(ackOff, target.Contain) + g.uniform(10*minute, target.Contain)
			}
		}
	}
	if ended {
		resolveOff = containOff + g.uniform(30*minute, 48*hour)
		if autoResolve {
			resolveOff = g.uniform(10*minute, 24*hour)
		}
	}
	closeOff = resolveOff + g.uniform(day, 14*day)

	// Alerts, actors, texts.
	userFor := func() string { return incident.UserActor(g.pick(users)) }
	lead := userFor()
	var alerts []alertPlan
	names := alertNames[cat]
	source := "alertmanager"
	if via == "grafana" {
		source = "grafana"
	}
	newAlert := func(startOff time.Duration, sameAs int) int {
		a := alertPlan{name: g.pick(names), startOff: startOff, source: source,
			instance: "pod-" + strconv.Itoa(rng.IntN(40))}
		if sameAs >= 0 && g.chance(0.5) {
			a.name, a.fingerprint, a.instance = alerts[sameAs].name, alerts[sameAs].fingerprint, alerts[sameAs].instance
		} else {
			a.fingerprint = strconv.FormatUint(rng.Uint64()|1<<63, 16)
		}
		alerts = append(alerts, a)
		return len(alerts) - 1
	}
	declaredBy := userFor()
	reportedVia := g.pick(reportChannels)
	var groupKey string
	if alerting {
		newAlert(-g.uniform(0, 5*minute), -1)
		declaredBy = incident.RuleActor(alerts[0].name)
		reportedVia = ""
		groupKey = fmt.Sprintf(`{}:{ai_system="%s", alertname="%s"}`, ai, alerts[0].name)
	}
	if drill {
		reportedVia = "other"
	}
	title := fmt.Sprintf(g.pick(titles[cat]), ai)
	if drill {
		title = "Drill: " + title
	}
	// A severity change: raised by a more urgent alert or a responder, or SEV3 lowered from SEV2.
	declaredSev := sev
	if sevChange {
		declaredSev = map[incident.Severity]incident.Severity{incident.SEV1: incident.SEV2, incident.SEV2: incident.SEV3,
			incident.SEV3: incident.SEV2}[sev]
	}

	// The steps, in lifecycle order (ties keep this order).
	steps := make([]step, 0, k)
	add := func(off time.Duration, kind incident.Kind, actor, msg string, body func(func(time.Duration) time.Time) any) {
		steps = append(steps, step{off: off, kind: kind, actor: actor, msg: msg, body: body, alert: -1})
	}
	addAlert := func(off time.Duration, a int, fired bool) {
		kind, msg := incident.KindAlertFired, "Alert "+alerts[a].name+" firing on "+ai
		if !fired {
			kind, msg = incident.KindAlertResolved, "Alert "+alerts[a].name+" resolved"
		}
		steps = append(steps, step{off: off, kind: kind, actor: incident.RuleActor(alerts[a].name), msg: msg, alert: a, fired: fired})
	}
	if alerting {
		addAlert(0, 0, true)
	}
	if sevChange {
		off := g.uniform(minute, max(2*minute, ackOff))
		from := declaredSev
		add(off, incident.KindSeverityChanged, userFor(), fmt.Sprintf("Severity changed from %s to %s", from, sev),
			func(func(time.Duration) time.Time) any {
				return incident.SeverityBody{From: from, To: sev, Reason: "impact reassessed"}
			})
	}
	prev := incident.Declared
	status2 := func(off time.Duration, kind incident.Kind, to incident.Status, actor, msg string) {
		from := prev
		add(off, kind, actor, msg, func(func(time.Duration) time.Time) any { return incident.StatusBody{From: from, To: to} })
		prev = to
	}
	if hasAck {
		status2(ackOff, incident.KindAcknowledged, incident.Acknowledged, lead, "Acknowledged by "+lead[5:])
	}
	if hasLead {
		who := lead[5:]
		add(ackOff+g.uniform(0, 10*minute), incident.KindRoleAssigned, lead, who+" assigned "+who+" as incident lead",
			func(func(time.Duration) time.Time) any {
				return incident.RoleBody{Role: incident.RoleIncidentLead, User: who}
			})
	}
	if hasContain {
		status2(containOff, incident.KindContained, incident.Contained, lead, "Contained: traffic moved to the fallback")
	}
	if classified {
		tax := seedTaxonomy(cat, idb)
		add(ackOff+minute, incident.KindTaxonomyUpdated, lead, "Classification updated by "+lead[5:]+": "+tax.Summary(),
			func(func(time.Duration) time.Time) any { return tax })
	}
	var flagOff time.Duration
	var regime incident.Regime
	var tier string
	if flagged {
		regime, tier = incident.EUAIAct, incident.TierStandard
		switch r := rng.Float64(); {
		case cat == incident.DataExposure:
			regime, tier = incident.GDPR, ""
		case r < 0.2:
			tier = incident.TierWidespread
		case r < 0.3:
			tier = incident.TierDeath
		}
		flagOff = g.uniform(10*minute, 12*hour)
		rg, tr := regime, tier
		add(flagOff, incident.KindRegulatoryFlagged, userFor(), "Flagged under "+regime.Name(),
			func(at func(time.Duration) time.Time) any {
				return incident.RegulatoryFlagBody{Regime: rg, Tier: tr, AwareAt: at(flagOff).Truncate(time.Second)}
			})
		if reported {
			d, _ := incident.ReportDeadline(regime, tier)
			repOff := flagOff + time.Duration(float64(d)*(0.1+0.8*rng.Float64()))
			add(repOff, incident.KindRegulatoryReported, userFor(), "initial report under "+string(regime)+" sent",
				func(at func(time.Duration) time.Time) any {
					return incident.RegulatoryReportBody{Regime: rg, Authority: "National authority", Report: "initial",
						SentAt: at(repOff).Truncate(time.Second), Reference: "REF-" + strconv.Itoa(int(repOff/time.Second))}
				})
		}
	}
	endAlerts := limit // alert events of an open incident: up to now
	if ended {
		endAlerts = resolveOff - time.Second
	}
	if firstResolved {
		off := g.uniform(max(containOff, 10*minute), endAlerts)
		if autoResolve {
			off = resolveOff - g.uniform(0, minute)
		}
		addAlert(off, 0, false)
	}
	if ended {
		actor, msg := lead, "Resolved by "+lead[5:]
		if autoResolve {
			actor, msg = incident.SystemActor, "Resolved automatically: every alert cleared"
		}
		status2(resolveOff, incident.KindResolved, incident.Resolved, actor, msg)
	}
	if hasReview {
		reviewOff := resolveOff + time.Duration(float64(closeOff-resolveOff)*(0.2+0.6*rng.Float64()))
		nItems := 1 + rng.IntN(3)
		items := make([]incident.ActionItem, nItems)
		for i := range items {
			st := "done"
			if g.chance(0.35) {
				st = "open"
			}
			items[i] = incident.ActionItem{Text: g.pick(notes), Owner: g.pick(users), Status: st}
			items[i].Due = "+" + strconv.Itoa(int(g.uniform(3*day, 60*day)/day)) // days after the review
		}
		rc, cause := g.pick(rootCauses), g.pick(notes)
		add(reviewOff, incident.KindReviewUpdated, lead, "Review updated",
			func(at func(time.Duration) time.Time) any {
				t := at(reviewOff)
				r := incident.Review{StartedAt: declaredAt.Truncate(time.Second), DetectedAt: declaredAt.Truncate(time.Second),
					ContainedAt: at(containOff).Truncate(time.Second), Impact: "Users received wrong or unsafe answers",
					Affected: "customers of " + ai, RootCauseClass: rc, RootCause: cause, PlaybookChanges: "Updated the runbook", RegulatoryFollowUp: "none",
					ActionItems: make([]incident.ActionItem, len(items))}
				for i, it := range items {
					days, _ := strconv.Atoi(it.Due[1:])
					it.Due = t.Add(time.Duration(days) * day).Format(time.DateOnly)
					r.ActionItems[i] = it
				}
				return r
			})
	}
	if status == incident.Closed {
		status2(closeOff, incident.KindClosed, incident.Closed, lead, "Closed by "+lead[5:])
	}

	// Fillers: notes, and alert episodes that fire and clear (re-fires of an alert or other instances).
	endNotes := max(limit, maxOff(steps))
	if ended {
		endNotes = resolveOff
		if status == incident.Closed {
			endNotes = closeOff
		}
	}
	for fillers > 0 {
		switch {
		case alerting && fillers >= 2 && endAlerts > 2*minute && g.chance(0.4):
			f := g.uniform(minute, endAlerts-minute)
			a := newAlert(f, 0)
			addAlert(f, a, true)
			addAlert(min(endAlerts, f+g.uniform(minute, 3*hour)), a, false)
			fillers -= 2
		case alerting && !ended && g.chance(0.1):
			f := g.uniform(minute, max(2*minute, endAlerts))
			addAlert(f, newAlert(f, 0), true)
			fillers--
		default:
			text := g.pick(notes)
			add(g.uniform(minute, max(2*minute, endNotes)), incident.KindNote, userFor(), text,
				func(func(time.Duration) time.Time) any { return incident.NoteBody{Text: text} })
			fillers--
		}
	}

	// Times: squeeze everything into [declared, now] if needed.
	scale := 1.0
	if m := maxOff(steps); m > limit {
		scale = float64(limit) / float64(m)
	}
	at := func(off time.Duration) time.Time {
		return declaredAt.Add(time.Duration(float64(off) * scale)).Truncate(time.Millisecond)
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].off < steps[j].off })

	inc, e, err := incident.Declare(id, incident.DeclaredBody{
		Title: title, Description: "Detected on " + ai + ": " + string(cat) + " (" + via + ")", AISystem: ai,
		Category: cat, Severity: declaredSev, DeclaredBy: declaredBy, DeclaredVia: via, GroupKey: groupKey, Drill: drill,
		ReportedVia: reportedVia, StartedAt: declaredAt.Add(alertStart(alerts)).Truncate(time.Second),
	}, declaredAt, g.recorded(declaredAt), declaredBy, fmt.Sprintf("%s %s incident declared on %s", declaredSev, cat, ai))
	if err != nil {
		return err
	}
	if len(steps) == 0 {
		g.w.row(&e, inc, true, nil)
	} else {
		g.w.row(&e, inc, false, nil)
	}
	sevLabel := map[incident.Severity]string{incident.SEV1: "critical", incident.SEV2: "warning", incident.SEV3: "info"}
	startTimes := make([]time.Time, len(alerts))
	for i, s := range steps {
		t := at(s.off)
		var (
			body  any
			alert *incident.Alert
		)
		if s.alert >= 0 {
			p := alerts[s.alert]
			if s.fired {
				startTimes[s.alert] = t
				if s.alert == 0 {
					startTimes[0] = declaredAt.Add(p.startOff).Truncate(time.Millisecond)
				}
			}
			a := incident.Alert{
				Key: incident.AlertKey(p.fingerprint, startTimes[s.alert]), Fingerprint: p.fingerprint, Name: p.name,
				Status: "firing", StartsAt: startTimes[s.alert],
				Labels: map[string]string{"alertname": p.name, "ai_system": ai, "severity": sevLabel[declaredSev],
					"category": string(cat), "instance": p.instance, "team": "ml-platform"},
				Annotations:  map[string]string{"summary": title, "description": "Threshold exceeded on " + ai},
				GeneratorURL: "http://prometheus:9090/graph?g0.expr=ai_" + p.name,
				Values:       map[string]float64{"A": math.Round(rng.Float64()*1000) / 1000},
				Source:       p.source,
			}
			if !s.fired {
				a.Status, a.EndsAt = "resolved", t
			}
			alert, body = &a, incident.AlertBody{Alert: a}
			if s.fired {
				g.c.alerts++
			}
		} else {
			body = s.body(at)
		}
		e, err := inc.Append(s.kind, t, g.recorded(t), s.actor, s.msg, body)
		if err != nil {
			return fmt.Errorf("incident %s: %w", id, err)
		}
		g.w.row(&e, inc, i == len(steps)-1, alert)
	}
	if int(inc.LastSeq) != k {
		return fmt.Errorf("incident %s: planned %d events, made %d", id, k, inc.LastSeq)
	}
	g.c.incidents++
	g.c.rows += int64(k)
	if inc.Status.Open() {
		g.c.open++
	}
	if drill {
		g.c.drills++
	}
	if flagged {
		g.c.flagged++
	}
	if via == "manual" {
		g.c.manual++
	}
	if big {
		g.c.big = id
	}
	return nil
}

func alertStart(alerts []alertPlan) time.Duration {
	if len(alerts) == 0 {
		return 0
	}
	return alerts[0].startOff
}

func maxOff(steps []step) time.Duration {
	var m time.Duration
	for _, s := range steps {
		m = max(m, s.off)
	}
	return m
}

// recorded is when Firebreak recorded something that happened at t: a moment later, never after now.
func (g *gen) recorded(t time.Time) time.Time {
	r := t.Add(time.Duration(g.rng.IntN(1500)) * time.Millisecond)
	if r.After(g.now) {
		return g.now
	}
	return r
}

// rowWriter writes ingest rows as JSONEachRow: the event, the incident's state after it, and the alert for alert
// events (alert columns are left out otherwise and take their defaults, as the store writes them).
//
// Unless full is set, the state columns are written only on the row that stores the state (write_state = 1), plus
// declared_at, which the events table is partitioned by: the ingest table keeps nothing and the materialized views
// read the other state columns only from write_state rows, so the stored data is the same, and the JSON that
// ClickHouse has to parse is half as large.
type rowWriter struct {
	buf  []byte
	full bool
}

func (w *rowWriter) row(e *incident.Event, st *incident.Incident, writeState bool, a *incident.Alert) {
	b := w.buf
	b = append(b, `{"incident_id":"`...)
	b = append(b, e.IncidentID...)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, uint64(e.Seq), 10)
	b = appendTimeField(b, "at", e.At)
	b = append(b, `,"at_ns":`...)
	b = strconv.AppendInt(b, int64(e.At.Nanosecond()), 10)
	b = appendTimeField(b, "recorded_at", e.RecordedAt)
	b = appendStringField(b, "kind", string(e.Kind))
	b = appendStringField(b, "actor", e.Actor)
	b = appendStringField(b, "message", e.Message)
	b = appendStringField(b, "body", string(e.Body))
	b = appendStringField(b, "cause", e.Cause)
	b = appendStringField(b, "prev_hash", e.PrevHash)
	b = appendStringField(b, "hash", e.Hash)
	b = append(b, `,"write_state":`...)
	b = appendBool(b, writeState)
	if !writeState && !w.full {
		b = appendTimeField(b, "declared_at", st.DeclaredAt)
		w.buf = appendAlert(b, a)
		return
	}
	b = appendStringField(b, "title", st.Title)
	b = appendStringField(b, "description", st.Description)
	b = appendStringField(b, "ai_system", st.AISystem)
	b = appendStringField(b, "category", string(st.Category))
	b = appendStringField(b, "severity", st.Severity.String())
	b = appendStringField(b, "status", string(st.Status))
	b = appendStringField(b, "declared_by", st.DeclaredBy)
	b = appendStringField(b, "declared_via", st.DeclaredVia)
	b = appendStringField(b, "group_key", st.GroupKey)
	b = append(b, `,"drill":`...)
	b = appendBool(b, st.Drill)
	b = appendTimeField(b, "started_at", st.StartedAt)
	b = appendTimeField(b, "declared_at", st.DeclaredAt)
	b = appendNullableTimeField(b, "acknowledged_at", st.AcknowledgedAt)
	b = appendNullableTimeField(b, "contained_at", st.ContainedAt)
	b = appendNullableTimeField(b, "resolved_at", st.ResolvedAt)
	b = appendNullableTimeField(b, "closed_at", st.ClosedAt)
	b = append(b, `,"alert_count":`...)
	b = strconv.AppendInt(b, int64(st.AlertCount), 10)
	b = append(b, `,"firing_alert_count":`...)
	b = strconv.AppendInt(b, int64(st.FiringCount), 10)
	b = appendStringField(b, "incident_lead", st.Lead())
	b = appendStringField(b, "reported_via", st.ReportedVia)
	b = append(b, `,"review_complete":`...)
	b = appendBool(b, st.ReviewComplete())
	b = appendNullableTimeField(b, "regulatory_due_at", st.NextRegulatoryDue())
	b = append(b, `,"action_items_due":[`...)
	if st.Review != nil {
		for i, d := range st.Review.OpenActionItemDues() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendTime(b, d)
		}
	}
	b = append(b, ']')
	tax := st.Taxonomy
	if tax == nil {
		tax = &incident.Taxonomy{}
	}
	b = appendStringsField(b, "owasp_llm", tax.OWASPLLM)
	b = appendStringsField(b, "atlas_tactics", tax.ATLASTactics)
	b = appendStringsField(b, "nist_ai_600_1", tax.NISTRisks)
	b = appendStringField(b, "harm", tax.Harm)
	if tax.PeopleAffected != nil {
		b = append(b, `,"people_affected":`...)
		b = strconv.AppendInt(b, *tax.PeopleAffected, 10)
	}
	b = appendStringField(b, "deployment_breadth", tax.DeploymentBreadth)
	w.buf = appendAlert(b, a)
}

// seedTaxonomy classifies an incident of category cat, from the bytes of its id: the OWASP LLM entry its category
// is most often (with a second one sometimes), a harm (mostly other, rarely a death), people affected for some.
func seedTaxonomy(cat incident.Category, id [16]byte) incident.Taxonomy {
	owasp := map[incident.Category]string{incident.PromptInjection: "LLM01", incident.DataExposure: "LLM02",
		incident.Hallucination: "LLM09", incident.UnauthorizedUse: "LLM06", incident.OversightFailure: "LLM06"}[cat]
	if owasp == "" {
		owasp = fmt.Sprintf("LLM%02d", 1+int(id[1])%10)
	}
	t := incident.Taxonomy{OWASPLLM: []string{owasp}, Harm: "other"}
	if second := fmt.Sprintf("LLM%02d", 1+int(id[2])%10); id[3] < 60 && second != owasp {
		t.OWASPLLM = append(t.OWASPLLM, second)
	}
	// Mostly other; a death is rare (about one classified incident in 250), as in a real team's history.
	switch b := id[4]; {
	case b >= 255:
		t.Harm = "death"
	case b >= 252:
		t.Harm = "critical_infrastructure"
	case b >= 242:
		t.Harm = "property_environment"
	case b >= 225:
		t.Harm = "health"
	case b >= 195:
		t.Harm = "fundamental_rights"
	}
	if id[7] < 128 {
		n := int64(id[9]) * 37
		t.PeopleAffected = &n
		t.DeploymentBreadth = incident.DeploymentBreadths[int(id[10])%len(incident.DeploymentBreadths)]
	}
	return t
}

// appendAlert ends the row with the alert columns (if any).
func appendAlert(b []byte, a *incident.Alert) []byte {
	if a != nil {
		b = appendStringField(b, "alert_key", a.Key)
		b = appendStringField(b, "alert_fingerprint", a.Fingerprint)
		b = appendStringField(b, "alert_name", a.Name)
		b = appendStringField(b, "alert_status", a.Status)
		b = appendTimeField(b, "alert_starts_at", a.StartsAt)
		b = appendNullableTimeField(b, "alert_ends_at", a.EndsAt)
		lk, lv := store.SortedPairs(a.Labels)
		ak, av := store.SortedPairs(a.Annotations)
		b = appendStringsField(b, "alert_labels_keys", lk)
		b = appendStringsField(b, "alert_labels_values", lv)
		b = appendStringsField(b, "alert_annotations_keys", ak)
		b = appendStringsField(b, "alert_annotations_values", av)
		b = appendStringField(b, "alert_generator_url", a.GeneratorURL)
		vk := make([]string, 0, len(a.Values))
		for k := range a.Values {
			vk = append(vk, k)
		}
		sort.Strings(vk)
		b = appendStringsField(b, "alert_values_keys", vk)
		b = append(b, `,"alert_values":[`...)
		for i, k := range vk {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, a.Values[k], 'g', -1, 64)
		}
		b = append(b, ']')
		b = appendStringField(b, "alert_source", a.Source)
	}
	return append(b, "}\n"...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, '1')
	}
	return append(b, '0')
}

// appendTime writes a DateTime as "YYYY-MM-DD hh:mm:ss" (UTC, the server's time zone), which every release parses.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, "2006-01-02 15:04:05")
	return append(b, '"')
}

func appendTimeField(b []byte, name string, t time.Time) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendTime(b, t)
}

func appendNullableTimeField(b []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		b = append(b, ',', '"')
		b = append(b, name...)
		return append(b, `":null`...)
	}
	return appendTimeField(b, name, t)
}

func appendStringField(b []byte, name, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

func appendStringsField(b []byte, name string, vs []string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s for JSON: quotes, backslashes and control characters escaped, invalid UTF-8 replaced.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
