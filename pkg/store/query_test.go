package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// tl builds one incident's timeline with the domain functions.
type tl struct {
	t    *testing.T
	inc  *incident.Incident
	recs []Record
}

type tlOpts struct {
	description, ai string
	drill           bool
}

func newTL(t *testing.T, title string, sev incident.Severity, cat incident.Category, at time.Time, o tlOpts) *tl {
	t.Helper()
	if o.ai == "" {
		o.ai = "supportbot"
	}
	inc, e, err := incident.Declare(uuid.NewString(), incident.DeclaredBody{
		Title: title, Description: o.description, AISystem: o.ai, Category: cat, Severity: sev,
		DeclaredBy: "user:alice", DeclaredVia: "manual", ReportedVia: "support", Drill: o.drill, StartedAt: at,
	}, at, at, "user:alice", "declared")
	require.NoError(t, err)
	return &tl{t: t, inc: inc, recs: []Record{{Event: e, State: *inc}}}
}

func (b *tl) add(k incident.Kind, at time.Time, body any, alert *incident.Alert) *tl {
	b.t.Helper()
	e, err := b.inc.Append(k, at, at, "user:alice", string(k), body)
	require.NoError(b.t, err)
	b.recs = append(b.recs, Record{Event: e, State: *b.inc, Alert: alert})
	return b
}

func (b *tl) status(k incident.Kind, at time.Time) *tl {
	to := map[incident.Kind]incident.Status{incident.KindAcknowledged: incident.Acknowledged,
		incident.KindContained: incident.Contained, incident.KindResolved: incident.Resolved,
		incident.KindClosed: incident.Closed, incident.KindReopened: b.inc.StatusAfterReopen()}[k]
	return b.add(k, at, incident.StatusBody{From: b.inc.Status, To: to}, nil)
}

func (b *tl) lead(at time.Time, user string) *tl {
	return b.add(incident.KindRoleAssigned, at, incident.RoleBody{Role: incident.RoleIncidentLead, User: user}, nil)
}

func (b *tl) flag(at time.Time, r incident.Regime, tier string, aware time.Time) *tl {
	return b.add(incident.KindRegulatoryFlagged, at, incident.RegulatoryFlagBody{Regime: r, Tier: tier, AwareAt: aware}, nil)
}

func (b *tl) review(at time.Time, items ...incident.ActionItem) *tl {
	return b.add(incident.KindReviewUpdated, at, incident.Review{StartedAt: at.Add(-time.Hour), DetectedAt: at.Add(-time.Hour),
		Impact: "some", Affected: "users", RootCauseClass: "model_defect", RootCause: "a bug", ActionItems: items,
		PlaybookChanges: "none", RegulatoryFollowUp: "none"}, nil)
}

func (b *tl) classify(at time.Time, t incident.Taxonomy) *tl {
	return b.add(incident.KindTaxonomyUpdated, at, t, nil)
}

func (b *tl) records() []Record {
	recs := append([]Record(nil), b.recs...)
	recs[len(recs)-1].WriteState = true
	return recs
}

func writeTimelines(t *testing.T, s *Store, tls ...*tl) {
	t.Helper()
	var recs []Record
	for _, b := range tls {
		recs = append(recs, b.records()...)
	}
	require.NoError(t, s.Write(context.Background(), recs))
}

// expectedRow is what ListIncidents should return for an incident with this state (times are whole seconds).
func expectedRow(inc *incident.Incident) Row {
	sec := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.UTC().Truncate(time.Second)
	}
	r := Row{Incident: incident.Incident{
		ID: inc.ID, Title: inc.Title, Description: inc.Description, AISystem: inc.AISystem, Category: inc.Category,
		Severity: inc.Severity, Status: inc.Status, DeclaredBy: inc.DeclaredBy, DeclaredVia: inc.DeclaredVia,
		GroupKey: inc.GroupKey, ReportedVia: inc.ReportedVia, Drill: inc.Drill, StartedAt: sec(inc.StartedAt),
		DeclaredAt: sec(inc.DeclaredAt), AcknowledgedAt: sec(inc.AcknowledgedAt), ContainedAt: sec(inc.ContainedAt),
		ResolvedAt: sec(inc.ResolvedAt), ClosedAt: sec(inc.ClosedAt), AlertCount: inc.AlertCount,
		FiringCount: inc.FiringCount, Roles: map[string]string{}, LastSeq: inc.LastSeq, LastHash: inc.LastHash,
		UpdatedAt: sec(inc.UpdatedAt),
	}}
	if lead := inc.Lead(); lead != "" {
		r.Roles[incident.RoleIncidentLead] = lead
	}
	r.ReviewComplete = inc.ReviewComplete()
	r.RegulatoryDueAt = sec(inc.NextRegulatoryDue())
	r.Taxonomy = inc.Taxonomy
	return r
}

func ids(p Page) []string {
	out := make([]string, len(p.Incidents))
	for i, r := range p.Incidents {
		out[i] = r.ID
	}
	return out
}

func TestListIncidentsFilters(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	tb := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	h := func(n int) time.Time { return tb.Add(time.Duration(n) * time.Hour) }

	i1 := newTL(t, "Model said 'no' to refunds", incident.SEV1, incident.Hallucination, h(1), tlOpts{})
	i1.flag(h(1).Add(time.Minute), incident.GDPR, "", h(1))
	i2 := newTL(t, "100% wrong answers", incident.SEV2, incident.Bias, h(2), tlOpts{ai: "ranker"})
	a := incident.Alert{Key: incident.AlertKey("ffff", h(2)), Fingerprint: "ffff", Name: "Bias", Status: "firing",
		StartsAt: h(2), Labels: map[string]string{"alertname": "Bias"}, Source: "alertmanager"}
	i2.add(incident.KindAlertFired, h(2), incident.AlertBody{Alert: a}, &a).status(incident.KindAcknowledged, h(2).Add(time.Minute)).
		lead(h(2).Add(2*time.Minute), "bob")
	i3 := newTL(t, `path C:\models\x leaked`, incident.SEV3, incident.DataExposure, h(3), tlOpts{ai: "codeassist", description: "secrets in output"})
	i3.status(incident.KindContained, h(3).Add(time.Hour))
	i4 := newTL(t, "under_score drift", incident.SEV2, incident.Drift, h(4), tlOpts{ai: "ranker", description: "Straße Ünïcode"})
	i4.status(incident.KindAcknowledged, h(4).Add(time.Minute)).status(incident.KindResolved, h(4).Add(time.Hour))
	i5 := newTL(t, "plain title", incident.SEV1, incident.PromptInjection, h(5), tlOpts{description: "Jailbreak via HTML comment"})
	i5.status(incident.KindResolved, h(5).Add(time.Hour)).
		review(h(5).Add(2*time.Hour), incident.ActionItem{Text: "fix", Owner: "bob", Due: "2026-12-01", Status: "open"}).
		status(incident.KindClosed, h(5).Add(3*time.Hour))
	i6 := newTL(t, "Tabletop: model said 'no'", incident.SEV1, incident.Hallucination, h(6), tlOpts{drill: true})
	forty := int64(40)
	i1.classify(h(1).Add(2*time.Minute), incident.Taxonomy{OWASPLLM: []string{"LLM09"}, Harm: "health", PeopleAffected: &forty})
	i2.classify(h(2).Add(3*time.Minute), incident.Taxonomy{OWASPLLM: []string{"LLM01", "LLM02"}, ATLASTactics: []string{"AML.TA0004"},
		NISTRisks: []string{"data_privacy"}, Harm: "fundamental_rights", DeploymentBreadth: "member_state"})
	i4.classify(h(4).Add(2*time.Minute), incident.Taxonomy{OWASPLLM: []string{"LLM10"}}).
		classify(h(4).Add(3*time.Minute), incident.Taxonomy{Harm: "other"}) // the newest classification counts
	i5.classify(h(5).Add(30*time.Minute), incident.Taxonomy{OWASPLLM: []string{"LLM01"}, NISTRisks: []string{"information_security"}})
	i6.classify(h(6).Add(time.Minute), incident.Taxonomy{OWASPLLM: []string{"LLM01"}, Harm: "health"})
	writeTimelines(t, s, i1, i2, i3, i4, i5, i6)

	id := func(b *tl) string { return b.inc.ID }
	cases := []struct {
		name string
		f    ListFilter
		want []*tl
	}{
		{"no filter hides drills", ListFilter{}, []*tl{i5, i4, i3, i2, i1}},
		{"drills when asked", ListFilter{IncludeDrills: true}, []*tl{i6, i5, i4, i3, i2, i1}},
		{"status", ListFilter{Statuses: []string{"declared"}}, []*tl{i1}},
		{"statuses", ListFilter{Statuses: []string{"declared", "contained"}}, []*tl{i3, i1}},
		{"severity", ListFilter{Severities: []string{"SEV1"}}, []*tl{i5, i1}},
		{"categories", ListFilter{Categories: []string{"bias", "drift"}}, []*tl{i4, i2}},
		{"ai system", ListFilter{AISystems: []string{"ranker"}}, []*tl{i4, i2}},
		{"q quote", ListFilter{Q: "'"}, []*tl{i1}},
		{"q percent", ListFilter{Q: "%"}, []*tl{i2}},
		{"q backslash", ListFilter{Q: `\`}, []*tl{i3}},
		{"q underscore", ListFilter{Q: "_"}, []*tl{i4}},
		{"q backslash sequence", ListFilter{Q: `C:\models\x`}, []*tl{i3}},
		{"q injection", ListFilter{Q: "x' OR '1'='1"}, nil},
		{"q comment", ListFilter{Q: "%' --"}, nil},
		{"q question mark", ListFilter{Q: "?"}, nil},
		{"q case-insensitive", ListFilter{Q: "MODEL SAID"}, []*tl{i1}},
		{"q case-insensitive with drills", ListFilter{Q: "MODEL SAID", IncludeDrills: true}, []*tl{i6, i1}},
		{"q description", ListFilter{Q: "jailbreak"}, []*tl{i5}},
		{"q utf-8 case", ListFilter{Q: "üNÏCODE"}, []*tl{i4}},
		{"from to", ListFilter{From: h(2), To: h(4)}, []*tl{i3, i2}},
		{"from only", ListFilter{From: h(4)}, []*tl{i5, i4}},
		{"to only", ListFilter{To: h(2)}, []*tl{i1}},
		{"combined", ListFilter{Severities: []string{"SEV1", "SEV2"}, AISystems: []string{"supportbot", "ranker"},
			Statuses: []string{"declared", "acknowledged", "resolved", "closed"}, Q: "an", From: h(2), To: h(5)}, []*tl{i2}},
		{"combined 2", ListFilter{Severities: []string{"SEV1"}, Statuses: []string{"closed"}, Categories: []string{"prompt_injection"}, Q: "JAIL"}, []*tl{i5}},
		{"combined none", ListFilter{Severities: []string{"SEV3"}, Categories: []string{"bias"}}, nil},
		{"owasp", ListFilter{OWASPLLM: []string{"LLM01"}}, []*tl{i5, i2}},
		{"owasp any of", ListFilter{OWASPLLM: []string{"LLM09", "LLM02"}}, []*tl{i2, i1}},
		{"owasp replaced by a newer classification", ListFilter{OWASPLLM: []string{"LLM10"}}, nil},
		{"owasp with drills", ListFilter{OWASPLLM: []string{"LLM01"}, IncludeDrills: true}, []*tl{i6, i5, i2}},
		{"atlas", ListFilter{ATLASTactics: []string{"AML.TA0004", "AML.TA0000"}}, []*tl{i2}},
		{"nist", ListFilter{NISTRisks: []string{"information_security"}}, []*tl{i5}},
		{"harm", ListFilter{Harms: []string{"health"}}, []*tl{i1}},
		{"harms", ListFilter{Harms: []string{"other", "fundamental_rights"}}, []*tl{i4, i2}},
		{"breadth", ListFilter{DeploymentBreadths: []string{"member_state"}}, []*tl{i2}},
		{"owasp and severity", ListFilter{OWASPLLM: []string{"LLM01"}, Severities: []string{"SEV1"}}, []*tl{i5}},
		{"owasp and harm", ListFilter{OWASPLLM: []string{"LLM01", "LLM09"}, Harms: []string{"health"}}, []*tl{i1}},
		{"owasp injection", ListFilter{OWASPLLM: []string{"LLM01') OR 1=1 --"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := s.ListIncidents(ctx, c.f)
			require.NoError(t, err)
			want := []string{}
			for _, b := range c.want {
				want = append(want, id(b))
			}
			assert.Equal(t, want, ids(p))
			assert.Empty(t, p.NextCursor)
		})
	}

	// Rows carry the stored state.
	p, err := s.ListIncidents(ctx, ListFilter{IncludeDrills: true})
	require.NoError(t, err)
	byID := map[string]Row{}
	for _, r := range p.Incidents {
		byID[r.ID] = r
	}
	for _, b := range []*tl{i1, i2, i3, i4, i5, i6} {
		assert.Equal(t, expectedRow(b.inc), byID[b.inc.ID], b.inc.Title)
	}
	assert.Equal(t, "bob", byID[i2.inc.ID].Roles[incident.RoleIncidentLead])
	assert.Equal(t, 1, byID[i2.inc.ID].FiringCount)
	assert.True(t, byID[i5.inc.ID].ReviewComplete)
	assert.Equal(t, h(1).Add(72*time.Hour), byID[i1.inc.ID].RegulatoryDueAt)
	assert.True(t, byID[i6.inc.ID].Drill)
	assert.Equal(t, &incident.Taxonomy{OWASPLLM: []string{"LLM09"}, Harm: "health", PeopleAffected: &forty}, byID[i1.inc.ID].Taxonomy)
	assert.Equal(t, &incident.Taxonomy{Harm: "other"}, byID[i4.inc.ID].Taxonomy)
	assert.Nil(t, byID[i3.inc.ID].Taxonomy)
}

func TestListIncidentsPagination(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	tb := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var (
		tls  []*tl
		want []Row
	)
	for i := range 23 {
		// Four incidents share each declared_at: the id decides their order.
		b := newTL(t, fmt.Sprintf("incident %d", i), incident.SEV2, incident.Drift, tb.Add(time.Duration(i/4)*time.Hour), tlOpts{})
		tls = append(tls, b)
		want = append(want, expectedRow(b.inc))
	}
	drill := newTL(t, "drill", incident.SEV2, incident.Drift, tb.Add(time.Hour), tlOpts{drill: true})
	writeTimelines(t, s, append(tls, drill)...)
	sort.Slice(want, func(i, j int) bool {
		if !want[i].DeclaredAt.Equal(want[j].DeclaredAt) {
			return want[i].DeclaredAt.After(want[j].DeclaredAt)
		}
		return want[i].ID > want[j].ID
	})

	for _, limit := range []int{10, 1, 23, 5} {
		var (
			got    []Row
			cursor string
			pages  int
		)
		for {
			p, err := s.ListIncidents(ctx, ListFilter{Limit: limit, Cursor: cursor})
			require.NoError(t, err)
			pages++
			require.LessOrEqual(t, len(p.Incidents), limit)
			got = append(got, p.Incidents...)
			if p.NextCursor == "" {
				break
			}
			require.Len(t, p.Incidents, limit, "only the last page is short")
			require.Less(t, pages, 100)
			cursor = p.NextCursor
		}
		assert.Equal(t, want, got, "limit %d: every incident once, in order", limit)
		assert.Equal(t, (len(want)+limit-1)/limit, pages, "limit %d", limit)
	}

	// A page of a filtered list continues that list.
	p, err := s.ListIncidents(ctx, ListFilter{Limit: 2, From: tb.Add(time.Hour), To: tb.Add(3 * time.Hour)})
	require.NoError(t, err)
	require.NotEmpty(t, p.NextCursor)
	var inRange []Row
	for _, r := range want {
		if !r.DeclaredAt.Before(tb.Add(time.Hour)) && r.DeclaredAt.Before(tb.Add(3*time.Hour)) {
			inRange = append(inRange, r)
		}
	}
	got := p.Incidents
	for p.NextCursor != "" {
		p, err = s.ListIncidents(ctx, ListFilter{Limit: 2, From: tb.Add(time.Hour), To: tb.Add(3 * time.Hour), Cursor: p.NextCursor})
		require.NoError(t, err)
		got = append(got, p.Incidents...)
	}
	assert.Equal(t, inRange, got)
}

func TestListIncidentsBadCursor(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	id := uuid.NewString()
	for _, c := range []string{
		"!!!",
		"a b",
		enc("not json"),
		enc(`{"t":1,"id":"nope"}`),
		enc(`{"t":-1,"id":"` + id + `"}`),
		enc(`{"t":1,"id":"` + id + `","x":1}`),
		enc(`{"t":"1","id":"` + id + `"}`),
		enc(`{"t":1,"id":"` + id + `"} trailing`)[:10],
		enc(`{"t":1,"id":"{` + id + `}"}`),
	} {
		_, err := s.ListIncidents(ctx, ListFilter{Cursor: c})
		require.Error(t, err, c)
		assert.True(t, errors.Is(err, ErrBadCursor), "%q: %v", c, err)
	}
	_, err := s.ListIncidents(ctx, ListFilter{Cursor: enc(`{"t":1,"id":"` + id + `"}`)})
	assert.NoError(t, err)
}

func TestAlerts(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	records, inc := timeline(t, "alerts")
	require.NoError(t, s.Write(ctx, records))
	require.NoError(t, s.Write(ctx, records))
	// records[1] fired aaaa, records[2] fired bbbb, records[3] resolved aaaa: the latest state of each episode.
	a1r, a2 := *records[3].Alert, *records[2].Alert
	require.Equal(t, "resolved", a1r.Status)

	// A third alert without annotations or values, starting earlier.
	a0 := incident.Alert{Key: incident.AlertKey("0000", t0.Add(-time.Hour)), Fingerprint: "0000", Name: "Y",
		Status: "firing", StartsAt: t0.Add(-time.Hour).Truncate(time.Second), Labels: map[string]string{"alertname": "Y", "x": "3:abc2:", "ü": ""},
		Source: "grafana"}
	e, err := inc.Append(incident.KindAlertFired, t0.Add(time.Hour), t0.Add(time.Hour), "rule:Y", "", incident.AlertBody{Alert: a0})
	require.NoError(t, err)
	require.NoError(t, s.Write(ctx, []Record{{Event: e, State: *inc, Alert: &a0, WriteState: true}}))

	got, err := s.Alerts(ctx, inc.ID)
	require.NoError(t, err)
	assert.Equal(t, []incident.Alert{a0, a1r, a2}, got)
	assert.Equal(t, "it's \"quoted\"; DROP TABLE x", got[1].Labels["q"])
	// The incident page takes the alerts from the timeline instead: the same episodes, in the same state.
	events, err := s.Events(ctx, inc.ID)
	require.NoError(t, err)
	fromTimeline, err := incident.AlertsOf(events)
	require.NoError(t, err)
	for i := range fromTimeline {
		fromTimeline[i].StartsAt = fromTimeline[i].StartsAt.Truncate(time.Second) // the table keeps seconds
	}
	assert.Equal(t, got, fromTimeline)

	other, _ := timeline(t, "other")
	require.NoError(t, s.Write(ctx, other[:1]))
	got, err = s.Alerts(ctx, other[0].Event.IncidentID)
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = s.Alerts(ctx, uuid.NewString())
	require.NoError(t, err)
	assert.Empty(t, got)
	_, err = s.Alerts(ctx, "x'; DROP TABLE alerts")
	assert.Error(t, err)
}

func TestStats(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	from, to := now.Add(-30*24*time.Hour), now
	day := 24 * time.Hour
	item := func(due, status string) incident.ActionItem {
		return incident.ActionItem{Text: "do it", Owner: "bob", Due: due, Status: status}
	}

	// A: SEV1, acknowledged after 10 min, contained after 2 h, resolved after 5 h, closed with a review.
	dA := now.Add(-10 * day)
	A := newTL(t, "A", incident.SEV1, incident.Hallucination, dA, tlOpts{})
	A.status(incident.KindAcknowledged, dA.Add(10*time.Minute)).status(incident.KindContained, dA.Add(2*time.Hour)).
		status(incident.KindResolved, dA.Add(5*time.Hour)).
		review(dA.Add(day), item("2026-11-01", "open"), item("2026-10-01", "done"), item("2026-12-31", "open")).
		status(incident.KindClosed, dA.Add(2*day))
	// B: SEV1, acknowledged after 20 min, resolved after 8 h without containment.
	dB := now.Add(-5 * day)
	B := newTL(t, "B", incident.SEV1, incident.Bias, dB, tlOpts{})
	B.status(incident.KindAcknowledged, dB.Add(20*time.Minute)).status(incident.KindResolved, dB.Add(8*time.Hour))
	// C: SEV2, acknowledged after 1 h, open for 3 days: misses the 24 h containment target.
	dC := now.Add(-3 * day)
	C := newTL(t, "C", incident.SEV2, incident.Drift, dC, tlOpts{})
	C.status(incident.KindAcknowledged, dC.Add(time.Hour))
	// D: SEV3 declared an hour ago; GDPR clock from now: due exactly now+72h.
	dD := now.Add(-time.Hour)
	D := newTL(t, "D", incident.SEV3, incident.Other, dD, tlOpts{})
	D.flag(dD.Add(time.Minute), incident.GDPR, "", now)
	// E: SEV2 declared 40 days ago (before the range), never acknowledged; GDPR report overdue; an overdue action item.
	dE := now.Add(-40 * day)
	E := newTL(t, "E", incident.SEV2, incident.DataExposure, dE, tlOpts{})
	E.flag(dE.Add(time.Hour), incident.GDPR, "", dE).review(dE.Add(2*time.Hour), item("2026-10-15", "open"))
	// F: SEV1 declared 2 days ago, not acknowledged; EU AI Act (widespread, 2 days) due in a day.
	dF := now.Add(-2 * day)
	F := newTL(t, "F", incident.SEV1, incident.PromptInjection, dF, tlOpts{})
	F.flag(dF.Add(time.Hour), incident.EUAIAct, incident.TierWidespread, now.Add(-day))
	// G: a drill, which counts nowhere.
	dG := now.Add(-day)
	G := newTL(t, "G", incident.SEV1, incident.Hallucination, dG, tlOpts{drill: true})
	G.flag(dG.Add(time.Minute), incident.GDPR, "", dG).flag(dG.Add(2*time.Minute), incident.EUAIAct, incident.TierStandard, now.Add(-20*day)).
		review(dG.Add(time.Hour), item("2026-11-01", "open"))
	// H: SEV2, acknowledged after 2 h, contained after 10 h, resolved after 30 h; EU AI Act (death, 10 days) due exactly now.
	dH := now.Add(-20 * day)
	H := newTL(t, "H", incident.SEV2, incident.Bias, dH, tlOpts{})
	H.status(incident.KindAcknowledged, dH.Add(2*time.Hour)).status(incident.KindContained, dH.Add(10*time.Hour)).
		status(incident.KindResolved, dH.Add(30*time.Hour)).flag(dH.Add(31*time.Hour), incident.EUAIAct, incident.TierDeath, now.Add(-10*day))
	// I: SEV3 acknowledged after 1 h; GDPR flagged and reported.
	dI := now.Add(-6 * day)
	I := newTL(t, "I", incident.SEV3, incident.Drift, dI, tlOpts{})
	I.status(incident.KindAcknowledged, dI.Add(time.Hour)).flag(dI.Add(2*time.Hour), incident.GDPR, "", now.Add(-2*day)).
		add(incident.KindRegulatoryReported, dI.Add(3*time.Hour), incident.RegulatoryReportBody{Regime: incident.GDPR,
			Authority: "DPA", Report: "initial", SentAt: now.Add(-day)}, nil)
	// J: SEV2 acknowledged after 30 min and contained after 2 h; EU AI Act standard (15 days) due in 14 days; an
	// action item due today (midnight, before now).
	dJ := now.Add(-day)
	J := newTL(t, "J", incident.SEV2, incident.UnauthorizedUse, dJ, tlOpts{})
	J.status(incident.KindAcknowledged, dJ.Add(30*time.Minute)).status(incident.KindContained, dJ.Add(2*time.Hour)).
		flag(dJ.Add(3*time.Hour), incident.EUAIAct, incident.TierStandard, now.Add(-day)).
		review(dJ.Add(4*time.Hour), item("2026-11-25", "open"))
	// K: declared exactly at `to`: outside the range.
	K := newTL(t, "K", incident.SEV3, incident.OversightFailure, to, tlOpts{})
	// L: SEV2 declared exactly at `from` (inside), resolved after a day, then reopened: no longer resolved.
	L := newTL(t, "L", incident.SEV2, incident.Hallucination, from, tlOpts{})
	L.status(incident.KindResolved, from.Add(day)).status(incident.KindReopened, from.Add(2*day))
	// M: declared SEV3 4 h ago, raised to SEV1, acknowledged after 10 min; its 4 h containment target is due exactly now.
	dM := now.Add(-4 * time.Hour)
	M := newTL(t, "M", incident.SEV3, incident.DataExposure, dM, tlOpts{})
	M.add(incident.KindSeverityChanged, dM.Add(5*time.Minute), incident.SeverityBody{From: incident.SEV3, To: incident.SEV1}, nil).
		status(incident.KindAcknowledged, dM.Add(10*time.Minute))
	writeTimelines(t, s, A, B, C, D, E, F, G, H, I, J, K, L, M)
	require.Equal(t, incident.Declared, L.inc.Status)
	require.True(t, L.inc.ResolvedAt.IsZero())

	st, err := s.Stats(ctx, from, to, incident.DefaultSLATargets(), now)
	require.NoError(t, err)
	// In range: A B C D F H I J L M.
	assert.Equal(t, from, st.From)
	assert.Equal(t, to, st.To)
	assert.Equal(t, map[string]uint64{"SEV1": 4, "SEV2": 4, "SEV3": 2}, st.BySeverity)
	assert.Equal(t, map[string]uint64{"declared": 3, "acknowledged": 3, "contained": 1, "resolved": 2, "closed": 1}, st.ByStatus)
	assert.Equal(t, map[string]uint64{"hallucination": 2, "bias": 2, "prompt_injection": 1, "drift": 2,
		"unauthorized_use": 1, "data_exposure": 1, "oversight_failure": 0, "other": 1}, st.ByCategory)
	// MTTA: SEV1 A 600, B 1200, M 600; SEV2 C 3600, H 7200, J 1800; SEV3 I 3600.
	assert.Equal(t, map[string]float64{"SEV1": 800, "SEV2": 4200, "SEV3": 3600}, st.MTTA)
	// MTTC (contained, else resolved): SEV1 A 7200, B 28800; SEV2 H 36000, J 7200; no SEV3.
	assert.Equal(t, map[string]float64{"SEV1": 18000, "SEV2": 21600}, st.MTTC)
	// MTTR: SEV1 A 18000, B 28800; SEV2 H 108000 (L's resolution was undone by reopening).
	assert.Equal(t, map[string]float64{"SEV1": 23400, "SEV2": 108000}, st.MTTR)
	// Open and late: C (containment), E, F, L (acknowledgement). Not D (72 h), J, K, M (due exactly now), I.
	assert.Equal(t, uint64(4), st.OpenSLABreaches)
	assert.Equal(t, uint64(1), st.RegulatoryOverdue, "E")
	assert.Equal(t, []DueItem{
		{IncidentID: H.inc.ID, Title: "H", Severity: "SEV2", DueAt: now},
		{IncidentID: F.inc.ID, Title: "F", Severity: "SEV1", DueAt: now.Add(day)},
		{IncidentID: D.inc.ID, Title: "D", Severity: "SEV3", DueAt: now.Add(72 * time.Hour)},
	}, st.RegulatoryDueSoon)
	assert.Equal(t, uint64(3), st.OverdueActionItems, "A 2026-11-01, E 2026-10-15, J 2026-11-25")

	// Custom targets: SEV1 acknowledge in 1 min, SEV2 none, SEV3 acknowledge in 30 min.
	custom := incident.SLATargets{
		incident.SEV1: {Acknowledge: time.Minute},
		incident.SEV3: {Acknowledge: 30 * time.Minute},
	}
	st, err = s.Stats(ctx, from, to, custom, now)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), st.OpenSLABreaches, "F (SEV1 unacknowledged), D (SEV3 unacknowledged for 1 h)")
	custom[incident.SEV2] = incident.SLATarget{Contain: 48 * time.Hour}
	st, err = s.Stats(ctx, from, to, custom, now)
	require.NoError(t, err)
	assert.Equal(t, uint64(5), st.OpenSLABreaches, "plus C (3 days), E (40 days), L (30 days); not J (contained)")
	st, err = s.Stats(ctx, from, to, nil, now)
	require.NoError(t, err)
	assert.Equal(t, uint64(0), st.OpenSLABreaches)

	// An empty range: every count key present and zero, no means.
	st, err = s.Stats(ctx, now.Add(time.Hour), now.Add(2*time.Hour), incident.DefaultSLATargets(), now)
	require.NoError(t, err)
	assert.Equal(t, map[string]uint64{"SEV1": 0, "SEV2": 0, "SEV3": 0}, st.BySeverity)
	assert.Len(t, st.ByStatus, 5)
	assert.Len(t, st.ByCategory, 8)
	assert.Empty(t, st.MTTA)
	assert.Empty(t, st.MTTC)
	assert.Empty(t, st.MTTR)
	assert.Equal(t, uint64(4), st.OpenSLABreaches, "not bound to the range")

	// The receiver's way to the same deadlines: each incident's Deadlines (kept as it changes, or loaded with
	// LoadDeadlines) summarized in Go. Both agree with the SQL at several moments and targets.
	loaded, err := s.LoadDeadlines(ctx)
	require.NoError(t, err)
	live := map[string]incident.Deadlines{}
	for _, b := range []*tl{A, B, C, D, E, F, G, H, I, J, K, L, M} {
		if d := b.inc.Deadlines(); d.Pending() {
			live[b.inc.ID] = d
		}
	}
	assert.Len(t, loaded, len(live), "LoadDeadlines reads the incidents with a pending deadline")
	for id, d := range live {
		// What the receiver's incident metrics label series with, after a restart as before it.
		got := loaded[id]
		assert.Equal(t, []any{d.Severity, d.Status, d.Category, d.AISystem, d.Open, d.Acknowledged, d.Contained},
			[]any{got.Severity, got.Status, got.Category, got.AISystem, got.Open, got.Acknowledged, got.Contained}, "incident %s", id)
	}
	for _, targets := range []incident.SLATargets{incident.DefaultSLATargets(), custom, nil} {
		for _, at := range []time.Time{now, now.Add(-3 * day), now.Add(5 * day), now.Add(time.Second / 2)} {
			want, err := s.Deadlines(ctx, targets, at)
			require.NoError(t, err)
			assert.Equal(t, want, SummarizeDeadlines(maps.All(loaded), at, targets), "loaded, at %s, %v", at, targets)
			assert.Equal(t, want, SummarizeDeadlines(maps.All(live), at, targets), "kept, at %s, %v", at, targets)
		}
	}
}

// Before the tables merge, incident_state holds several versions of an incident: only the newest counts.
func TestListIncidentsNewestState(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	b := newTL(t, "changing", incident.SEV3, incident.Drift, at, tlOpts{})
	require.NoError(t, s.Write(ctx, b.records()))
	n := len(b.recs)
	b.status(incident.KindAcknowledged, at.Add(time.Minute)).lead(at.Add(2*time.Minute), "carol").
		add(incident.KindSeverityChanged, at.Add(3*time.Minute), incident.SeverityBody{From: incident.SEV3, To: incident.SEV1}, nil)
	recs := b.records()[n:]
	require.NoError(t, s.Write(ctx, recs))
	require.NoError(t, s.Write(ctx, recs)) // and a duplicate of the newest version

	p, err := s.ListIncidents(ctx, ListFilter{})
	require.NoError(t, err)
	require.Len(t, p.Incidents, 1)
	assert.Equal(t, expectedRow(b.inc), p.Incidents[0])
	p, err = s.ListIncidents(ctx, ListFilter{Statuses: []string{"declared"}})
	require.NoError(t, err)
	assert.Empty(t, p.Incidents, "the old version does not match")
	p, err = s.ListIncidents(ctx, ListFilter{Severities: []string{"SEV1"}, Statuses: []string{"acknowledged"}})
	require.NoError(t, err)
	assert.Equal(t, []string{b.inc.ID}, ids(p))

	st, err := s.Stats(ctx, at, at.Add(time.Hour), incident.DefaultSLATargets(), at.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, map[string]uint64{"SEV1": 1, "SEV2": 0, "SEV3": 0}, st.BySeverity)
	assert.Equal(t, uint64(1), st.ByStatus["acknowledged"])
	assert.Equal(t, map[string]float64{"SEV1": 60}, st.MTTA)
}

// Events and Alerts read only the incident's own partition (the month it was declared in): incidents of other
// months, and the incident's own rows written again later, are read as before.
func TestEventsAndAlertsAcrossMonths(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var tls []*tl
	for _, at := range []time.Time{
		time.Date(2026, 9, 30, 23, 59, 59, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 15, 8, 0, 0, 0, time.UTC),
	} {
		a := incident.Alert{Key: incident.AlertKey("f"+at.Format("0102"), at), Fingerprint: "f" + at.Format("0102"),
			Name: "X", Status: "firing", StartsAt: at, Labels: map[string]string{"alertname": "X"}, Source: "alertmanager"}
		b := newTL(t, "month "+at.Format("01"), incident.SEV2, incident.Drift, at, tlOpts{}).
			add(incident.KindAlertFired, at.Add(time.Minute), incident.AlertBody{Alert: a}, &a).
			status(incident.KindAcknowledged, at.Add(2*time.Minute))
		tls = append(tls, b)
	}
	writeTimelines(t, s, tls...)
	// A later write of one incident (its month is still the declaration's) and a duplicate of it.
	b := tls[1]
	n := len(b.recs)
	b.status(incident.KindResolved, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	require.NoError(t, s.Write(ctx, b.records()[n:]))
	require.NoError(t, s.Write(ctx, b.records()[n:]))

	for _, b := range tls {
		got, err := s.Events(ctx, b.inc.ID)
		require.NoError(t, err)
		require.Len(t, got, len(b.recs), b.inc.Title)
		for i, e := range got {
			assert.Equal(t, b.recs[i].Event.Hash, e.Hash)
			assert.Equal(t, b.recs[i].Event.Seq, e.Seq)
		}
		alerts, err := s.Alerts(ctx, b.inc.ID)
		require.NoError(t, err)
		require.Len(t, alerts, 1)
		assert.Equal(t, *b.recs[1].Alert, alerts[0])
		inc, err := s.LoadIncident(ctx, b.inc.ID)
		require.NoError(t, err)
		assert.Equal(t, b.inc.Status, inc.Status)
	}
	got, err := s.Events(ctx, uuid.NewString())
	require.NoError(t, err)
	assert.Nil(t, got)
}

// ListIncidents reads a recent window first and the older incidents only when the page is not full: pages that
// straddle the window's edge, filters that match only old incidents, and changes of status read as one ordered list.
func TestListIncidentsAcrossTheRecentWindow(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	var tls []*tl
	for i, age := range []time.Duration{-time.Hour, time.Hour, 2 * 24 * time.Hour, listWindow - time.Minute, listWindow,
		listWindow + time.Minute, 40 * 24 * time.Hour, 100 * 24 * time.Hour, 100 * 24 * time.Hour} {
		sev := incident.SEV1
		if i%3 == 2 {
			sev = incident.SEV2
		}
		b := newTL(t, fmt.Sprintf("age %s", age), sev, incident.Drift, now.Add(-age), tlOpts{})
		if i%4 == 3 {
			b.status(incident.KindResolved, now.Add(-age).Add(time.Minute))
		}
		tls = append(tls, b)
	}
	writeTimelines(t, s, tls...)

	want := func(match func(*incident.Incident) bool) []string {
		var out []*incident.Incident
		for _, b := range tls {
			if match(b.inc) {
				out = append(out, b.inc)
			}
		}
		sort.Slice(out, func(i, j int) bool {
			a, b := out[i].DeclaredAt.Unix(), out[j].DeclaredAt.Unix()
			return a > b || (a == b && out[i].ID > out[j].ID)
		})
		ids := []string{}
		for _, inc := range out {
			ids = append(ids, inc.ID)
		}
		return ids
	}
	walk := func(f ListFilter) []string {
		got := []string{}
		for range 20 {
			p, err := s.ListIncidents(ctx, f)
			require.NoError(t, err)
			got = append(got, ids(p)...)
			if p.NextCursor == "" {
				return got
			}
			f.Cursor = p.NextCursor
		}
		t.Fatal("no last page")
		return nil
	}
	open := []string{"declared", "acknowledged", "contained"}
	check := func() {
		t.Helper()
		isOpen := func(inc *incident.Incident) bool { return inc.Status.Open() }
		for _, limit := range []int{1, 2, 3, 50} {
			assert.Equal(t, want(func(*incident.Incident) bool { return true }), walk(ListFilter{Limit: limit}), "all, limit %d", limit)
			assert.Equal(t, want(isOpen), walk(ListFilter{Limit: limit, Statuses: open}), "open, limit %d", limit)
			assert.Equal(t, want(func(inc *incident.Incident) bool { return isOpen(inc) && inc.Severity == incident.SEV2 }),
				walk(ListFilter{Limit: limit, Statuses: open, Severities: []string{"SEV2"}}), "open SEV2, limit %d", limit)
			old := now.Add(-30 * 24 * time.Hour)
			assert.Equal(t, want(func(inc *incident.Incident) bool { return inc.DeclaredAt.Before(old) }),
				walk(ListFilter{Limit: limit, To: old}), "before a month ago, limit %d", limit)
			assert.Equal(t, want(func(inc *incident.Incident) bool { return !inc.DeclaredAt.Before(old) }),
				walk(ListFilter{Limit: limit, From: old}), "since a month ago, limit %d", limit)
		}
	}
	check()

	// Changes: an old open incident is resolved, an old resolved one reopens, a recent one is closed.
	var recs []Record
	for _, i := range []int{3, 6, 1} {
		b := tls[i]
		n := len(b.recs)
		switch {
		case b.inc.Status == incident.Resolved:
			b.status(incident.KindReopened, now)
		case i == 1:
			b.status(incident.KindResolved, now).status(incident.KindClosed, now)
		default:
			b.status(incident.KindResolved, now)
		}
		recs = append(recs, b.records()[n:]...)
	}
	require.NoError(t, s.Write(ctx, recs))
	check()
}

func TestPartitionConditions(t *testing.T) {
	for _, tc := range []struct {
		parts []uint32
		want  []partitionCondition
	}{
		{nil, nil},
		{[]uint32{202611}, []partitionCondition{{}}},
		{[]uint32{202610, 202611}, []partitionCondition{
			{" AND toYYYYMM(declared_at) <= ?", []any{uint32(202610)}},
			{" AND toYYYYMM(declared_at) >= ?", []any{uint32(202611)}}}},
		{[]uint32{202605, 202607, 202611}, []partitionCondition{
			{" AND toYYYYMM(declared_at) <= ?", []any{uint32(202605)}},
			{" AND toYYYYMM(declared_at) = ?", []any{uint32(202607)}},
			{" AND toYYYYMM(declared_at) >= ?", []any{uint32(202611)}}}},
	} {
		assert.Equal(t, tc.want, partitionConditions(tc.parts), "%v", tc.parts)
	}
}

func TestSortDueItems(t *testing.T) {
	at := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	items := []DueItem{{IncidentID: "b", DueAt: at}, {IncidentID: "c", DueAt: at.Add(-time.Hour)}, {IncidentID: "a", DueAt: at}}
	sortDueItems(items)
	assert.Equal(t, []string{"c", "a", "b"}, []string{items[0].IncidentID, items[1].IncidentID, items[2].IncidentID})
}
