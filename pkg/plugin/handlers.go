package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/firebreak-dev/firebreak/pkg/httperr"
	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

const (
	maxRequestBytes = 1 << 20
	defaultLimit    = 50
	maxLimit        = 500
)

// handlePing answers GET /ping with {"message":"ok"}.
func (a *App) handlePing(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"message": "ok"})
}

// IncidentRow is one incident of a list, with its SLA state.
type IncidentRow struct {
	incident.Incident
	ReviewComplete  bool              `json:"review_complete"`
	RegulatoryDueAt time.Time         `json:"regulatory_due_at,omitzero"`
	SLA             incident.SLAState `json:"sla"`
}

// StatsAnswer is the body of GET stats.
type StatsAnswer struct {
	From               time.Time          `json:"from"`
	To                 time.Time          `json:"to"`
	BySeverity         map[string]uint64  `json:"by_severity"`
	ByStatus           map[string]uint64  `json:"by_status"`
	ByCategory         map[string]uint64  `json:"by_category"`
	MTTA               map[string]float64 `json:"mtta_seconds"`
	MTTC               map[string]float64 `json:"mttc_seconds"`
	MTTR               map[string]float64 `json:"mttr_seconds"`
	OpenSLABreaches    uint64             `json:"open_sla_breaches"`
	RegulatoryDueSoon  []DueItem          `json:"regulatory_due_72h"`
	RegulatoryOverdue  uint64             `json:"regulatory_overdue"`
	OverdueActionItems uint64             `json:"overdue_action_items"`
}

// DueItem is an incident with a regulatory report due soon.
type DueItem = store.DueItem

func (a *App) listIncidents(w http.ResponseWriter, r *http.Request) {
	f, err := parseListFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.awaitRecentWrites(r.Context())
	page, err := a.store.ListIncidents(r.Context(), f)
	if errors.Is(err, store.ErrBadCursor) {
		writeError(w, http.StatusBadRequest, "cursor: not a cursor of this API (take next_cursor from the previous page)")
		return
	}
	if err != nil {
		a.storeError(w, err)
		return
	}
	now := a.now()
	rows := make([]IncidentRow, len(page.Incidents))
	for i := range page.Incidents {
		row := &page.Incidents[i]
		rows[i] = IncidentRow{Incident: row.Incident, ReviewComplete: row.ReviewComplete, RegulatoryDueAt: row.RegulatoryDueAt,
			SLA: a.settings.SLA.SLA(&row.Incident, now)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": rows, "next_cursor": page.NextCursor})
}

func parseListFilter(q url.Values) (store.ListFilter, error) {
	f := store.ListFilter{Limit: defaultLimit, Cursor: q.Get("cursor"), Q: strings.TrimSpace(q.Get("q"))}
	var err error
	if f.Statuses, err = listParam(q, "status", func(v string) (string, error) { s, err := incident.ParseStatus(v); return string(s), err }); err != nil {
		return f, err
	}
	if f.Severities, err = listParam(q, "severity", func(v string) (string, error) { s, err := incident.ParseSeverity(v); return s.String(), err }); err != nil {
		return f, err
	}
	if f.Categories, err = listParam(q, "category", func(v string) (string, error) { c, err := incident.ParseCategory(v); return string(c), err }); err != nil {
		return f, err
	}
	if f.AISystems, err = listParam(q, "ai_system", func(v string) (string, error) { return v, nil }); err != nil {
		return f, err
	}
	for _, t := range []struct {
		name string
		dest *[]string
	}{
		{"owasp_llm", &f.OWASPLLM}, {"atlas_tactics", &f.ATLASTactics}, {"nist_ai_600_1", &f.NISTRisks},
		{"harm", &f.Harms}, {"deployment_breadth", &f.DeploymentBreadths},
	} {
		if *t.dest, err = listParam(q, t.name, func(v string) (string, error) { return v, incident.CheckTaxonomyCode(t.name, v) }); err != nil {
			return f, err
		}
	}
	if len(f.Q) > 200 {
		return f, errors.New("q: longer than 200 characters")
	}
	if f.From, err = timeParam(q, "from"); err != nil {
		return f, err
	}
	if f.To, err = timeParam(q, "to"); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, errors.New("from: must be before to")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return f, fmt.Errorf("limit: %q is not a number from 1 to %d", v, maxLimit)
		}
		f.Limit = n
	}
	if v := q.Get("drills"); v != "" {
		if f.IncludeDrills, err = strconv.ParseBool(v); err != nil {
			return f, fmt.Errorf("drills: %q is not true or false", v)
		}
	}
	return f, nil
}

// listParam reads a filter given as repeated parameters or comma-separated values.
func listParam(q url.Values, name string, parse func(string) (string, error)) ([]string, error) {
	var out []string
	for _, raw := range q[name] {
		for _, v := range strings.Split(raw, ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			p, err := parse(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if len(p) > 200 {
				return nil, fmt.Errorf("%s: value longer than 200 characters", name)
			}
			out = append(out, p)
		}
	}
	if len(out) > 50 {
		return nil, fmt.Errorf("%s: more than 50 values", name)
	}
	return out, nil
}

// timeParam accepts RFC 3339 or Unix milliseconds (as Grafana's time range sends them).
func timeParam(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		t := time.UnixMilli(ms).UTC()
		if t.Year() < 1970 || t.Year() > 2105 {
			return time.Time{}, fmt.Errorf("%s: %q is out of range", name, v)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil || t.Year() > 2105 || t.Year() < 1970 {
		return time.Time{}, fmt.Errorf("%s: %q is not an RFC 3339 time or Unix milliseconds", name, v)
	}
	return t.UTC(), nil
}

// IncidentDetail is everything about one incident, with the first page of its alerts and of its timeline (the
// rest through the alerts and timeline routes, from the next cursors).
type IncidentDetail struct {
	Incident           *incident.Incident    `json:"incident"`
	SLA                incident.SLAState     `json:"sla"`
	Regulatory         []ClockState          `json:"regulatory"`
	ReviewMissing      []string              `json:"review_missing"`
	Escalation         []Contact             `json:"escalation"`
	AlertSummary       incident.AlertSummary `json:"alert_summary"`
	AlertsTotal        int                   `json:"alerts_total"`
	Alerts             []incident.Alert      `json:"alerts"`             // the first alerts_limit, by start time
	AlertsNextCursor   string                `json:"alerts_next_cursor"` // "" when Alerts has them all
	TimelineTotal      int                   `json:"timeline_total"`
	TimelineNextCursor string                `json:"timeline_next_cursor"` // "" when Timeline has it all
	Timeline           []incident.Event      `json:"-"`                    // written after the rest as "timeline" (writeIncidentDetail)
}

// writeIncidentDetail answers with d, its timeline written by incident.AppendTimelineJSON (encoding/json took
// longer over a thousand events than ClickHouse took to read them).
func writeIncidentDetail(w http.ResponseWriter, d IncidentDetail) {
	head, err := json.Marshal(d)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encoding the incident: "+err.Error())
		return
	}
	writeWithTimeline(w, head, d.Timeline)
}

// writeWithTimeline answers with the JSON object head and a "timeline" member of events added at its end.
func writeWithTimeline(w http.ResponseWriter, head []byte, events []incident.Event) {
	size := len(head) + 16
	for i := range events {
		size += len(events[i].Body) + len(events[i].Message) + 400 // the other fields, hashes included
	}
	out := make([]byte, 0, size)
	out = append(append(out, head[:len(head)-1]...), `,"timeline":`...)
	out, err := incident.AppendTimelineJSON(out, events)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encoding the timeline: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(append(out, '}'))
}

// ClockState is a regulatory clock with whether it is overdue now.
type ClockState struct {
	*incident.Clock
	Overdue bool `json:"overdue"`
}

func (a *App) getIncident(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	timelineLimit, err := limitParam(q, "timeline_limit", defaultTimelineLimit, maxTimelineLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	alertsLimit, err := limitParam(q, "alerts_limit", defaultAlertsLimit, maxAlertsLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	inc, events := a.loadTimeline(w, r)
	if inc == nil {
		return
	}
	d, err := a.detail(inc, events, timelineLimit, alertsLimit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeIncidentDetail(w, d)
}

// detail is the incident detail of inc, folded from events, with the first timelineLimit events and alertsLimit
// alerts.
func (a *App) detail(inc *incident.Incident, events []incident.Event, timelineLimit, alertsLimit int) (IncidentDetail, error) {
	// The alerts come from the timeline: every alert event holds its episode's whole state, and a second query
	// (of the alerts table) cost as much ClickHouse time as the timeline itself. Only the page's are decoded.
	x, err := incident.IndexAlerts(events)
	if err != nil {
		return IncidentDetail{}, fmt.Errorf("the alerts of incident %s do not decode: %w", inc.ID, err)
	}
	now := a.now()
	d := IncidentDetail{Incident: inc, SLA: a.settings.SLA.SLA(inc, now), Escalation: a.settings.Escalation[inc.Severity],
		ReviewMissing: inc.ReviewMissing(), Regulatory: []ClockState{},
		AlertSummary: x.Summary(summaryTopValues, summaryMaxLabels), AlertsTotal: x.Len(), TimelineTotal: len(events)}
	var page []int
	page, d.AlertsNextCursor = pageAlerts(x, nil, "", alertsLimit)
	if d.Alerts, err = alertsAt(x, page); err != nil {
		return IncidentDetail{}, fmt.Errorf("the alerts of incident %s do not decode: %w", inc.ID, err)
	}
	d.Timeline, d.TimelineNextCursor = pageTimeline(events, 0, nil, timelineLimit)
	for _, c := range inc.Regulatory {
		d.Regulatory = append(d.Regulatory, ClockState{Clock: c, Overdue: c.Overdue(now)})
	}
	if d.Escalation == nil {
		d.Escalation = []Contact{}
	}
	return d, nil
}

// TimelinePage is the answer of GET incidents/{id}/timeline, but for its events (written after, as "timeline").
type TimelinePage struct {
	NextCursor string `json:"next_cursor"` // "" on the last page
}

// getTimeline serves GET incidents/{id}/timeline?cursor=&limit=&kind=: the events after the cursor, in order, of
// the kinds asked for (alerts, people, containment, system; all when none).
func (a *App) getTimeline(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(q, "limit", defaultTimelineLimit, maxTimelineLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	groups, err := timelineKinds(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var after timelineCursor
	if c := q.Get("cursor"); c != "" {
		if decodeCursor(c, &after) != nil {
			writeError(w, http.StatusBadRequest, "cursor: not a timeline cursor of this API (take timeline_next_cursor or next_cursor from the previous page)")
			return
		}
	}
	var (
		p    TimelinePage
		page []incident.Event
	)
	if len(groups) == 0 {
		// The next events in order: ClickHouse reads just those (by its primary key) where the whole timeline
		// cost ten times as much on an incident of 10,000 alerts.
		id, ok := incidentID(w, r)
		if !ok {
			return
		}
		var found bool
		page, p.NextCursor, found, err = a.timelineAfter(r.Context(), id, after.AfterSeq, limit)
		switch {
		case err != nil:
			a.storeError(w, err)
			return
		case !found:
			writeError(w, http.StatusNotFound, "incident "+id+" not found")
			return
		}
	} else {
		events, ok := a.loadEvents(w, r)
		if !ok {
			return
		}
		page, p.NextCursor = pageTimeline(events, after.AfterSeq, groups, limit)
	}
	head, _ := json.Marshal(p) // a struct of a string
	writeWithTimeline(w, head, page)
}

// AlertsPage is the answer of GET incidents/{id}/alerts.
type AlertsPage struct {
	Alerts     []incident.Alert `json:"alerts"`
	NextCursor string           `json:"next_cursor"` // "" on the last page
	Total      int              `json:"total"`       // alerts with the status asked for (all when none)
}

// getAlerts serves GET incidents/{id}/alerts?cursor=&limit=&status=: the incident's alert episodes after the
// cursor, ordered by start time and key, with the status asked for (firing, resolved; any when none).
func (a *App) getAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(q, "limit", defaultAlertsLimit, maxAlertsLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	status, err := alertStatus(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var after *alertsCursor
	if c := q.Get("cursor"); c != "" {
		after = &alertsCursor{}
		if decodeCursor(c, after) != nil {
			writeError(w, http.StatusBadRequest, "cursor: not an alerts cursor of this API (take alerts_next_cursor or next_cursor from the previous page)")
			return
		}
	}
	events, ok := a.loadEvents(w, r)
	if !ok {
		return
	}
	x, err := incident.IndexAlerts(events)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the alerts of incident "+events[0].IncidentID+" do not decode: "+err.Error())
		return
	}
	p := AlertsPage{Total: x.Len()}
	if status != "" {
		p.Total = 0
		for i := range x.Len() {
			if x.Episode(i).Status == status {
				p.Total++
			}
		}
	}
	page, next := pageAlerts(x, after, status, limit)
	if p.Alerts, err = alertsAt(x, page); err != nil {
		writeError(w, http.StatusInternalServerError, "the alerts of incident "+events[0].IncidentID+" do not decode: "+err.Error())
		return
	}
	p.NextCursor = next
	writeJSON(w, http.StatusOK, p)
}

// verify checks the incident's stored timeline: every stored row of its events, its state's head and the signed
// chain heads (with the receiver's public key, when configured), and names every problem found.
func (a *App) verify(w http.ResponseWriter, r *http.Request) {
	id, ok := incidentID(w, r)
	if !ok {
		return
	}
	got, err := a.integrity(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return
	}
	if len(got.Rows) == 0 {
		writeError(w, http.StatusNotFound, "incident "+id+" not found")
		return
	}
	writeJSON(w, http.StatusOK, incident.Verify(got.Rows, got.State, got.Heads, a.settings.SigningKey))
}

// receiverDeadlinesWait is how long stats waits for the receiver's deadline index (it answers from memory, in
// milliseconds) before asking ClickHouse instead.
const receiverDeadlinesWait = 2 * time.Second

func (a *App) stats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := a.now().UTC()
	from, err := timeParam(q, "from")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	to, err := timeParam(q, "to")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-30 * 24 * time.Hour)
	}
	if !from.Before(to) {
		writeError(w, http.StatusBadRequest, "from: must be before to")
		return
	}
	a.awaitRecentWrites(r.Context())
	// The period's numbers come from ClickHouse; the deadlines over all incidents from the receiver's index, or
	// from ClickHouse (slower: the newest state of every incident) when the receiver cannot answer.
	st, err := a.store.StatsWith(r.Context(), from, to, func(ctx context.Context) (store.Deadlines, error) {
		rctx, cancel := context.WithTimeout(ctx, receiverDeadlinesWait)
		d, err := a.receiver.deadlines(rctx, now, a.settings.SLA)
		cancel()
		if err != nil {
			log.DefaultLogger.Warn("deadlines from ClickHouse: the receiver did not give them", "error", err.Error())
			return a.store.Deadlines(ctx, a.settings.SLA, now)
		}
		return d, nil
	})
	if err != nil {
		a.storeError(w, err)
		return
	}
	due := st.RegulatoryDueSoon
	if due == nil {
		due = []DueItem{}
	}
	writeJSON(w, http.StatusOK, StatsAnswer{From: st.From, To: st.To, BySeverity: st.BySeverity, ByStatus: st.ByStatus,
		ByCategory: st.ByCategory, MTTA: st.MTTA, MTTC: st.MTTC, MTTR: st.MTTR, OpenSLABreaches: st.OpenSLABreaches,
		RegulatoryDueSoon: due, RegulatoryOverdue: st.RegulatoryOverdue, OverdueActionItems: st.OverdueActionItems})
}

// commandRoutes map the change routes to domain commands. payload, when set, puts an empty request of the
// command's kind on it and returns it for the body to be decoded into; routes without one take no body.
var commandRoutes = []struct {
	pattern string
	kind    incident.CommandKind
	payload func(*incident.Command) any
}{
	{"POST /incidents", incident.CmdDeclare, func(c *incident.Command) any { c.Declare = &incident.DeclareRequest{}; return c.Declare }},
	{"POST /incidents/{id}/acknowledge", incident.CmdAcknowledge, nil},
	{"POST /incidents/{id}/severity", incident.CmdSeverity, func(c *incident.Command) any { c.Severity = &incident.SeverityRequest{}; return c.Severity }},
	{"POST /incidents/{id}/roles", incident.CmdAssignRole, func(c *incident.Command) any { c.Role = &incident.RoleBody{}; return c.Role }},
	{"POST /incidents/{id}/notes", incident.CmdNote, func(c *incident.Command) any { c.Note = &incident.NoteBody{}; return c.Note }},
	{"POST /incidents/{id}/status", incident.CmdStatus, func(c *incident.Command) any { c.Status = &incident.StatusRequest{}; return c.Status }},
	{"PUT /incidents/{id}/review", incident.CmdReview, func(c *incident.Command) any { c.Review = &incident.Review{}; return c.Review }},
	{"PUT /incidents/{id}/taxonomy", incident.CmdTaxonomy, func(c *incident.Command) any { c.Taxonomy = &incident.Taxonomy{}; return c.Taxonomy }},
	{"POST /incidents/{id}/close", incident.CmdClose, nil},
	{"POST /incidents/{id}/regulatory", incident.CmdRegulatoryFlag, func(c *incident.Command) any {
		c.RegulatoryFlag = &incident.RegulatoryFlagBody{}
		return c.RegulatoryFlag
	}},
	{"POST /incidents/{id}/regulatory/reports", incident.CmdRegulatoryReport, func(c *incident.Command) any {
		c.RegulatoryReport = &incident.RegulatoryReportBody{}
		return c.RegulatoryReport
	}},
}

// sendCommand builds the command of a change route for the Grafana user, with the request body as its payload, and
// sends it to the receiver. Its id is the X-Idempotency-Key header, scoped to the user and the incident, when the
// caller sends one (see commandID).
func (a *App) sendCommand(w http.ResponseWriter, r *http.Request, kind incident.CommandKind, payload func(*incident.Command) any) {
	id := r.PathValue("id")
	actor, ok := actorOf(w, r)
	if !ok {
		return
	}
	if kind != incident.CmdDeclare {
		if _, ok := incidentID(w, r); !ok {
			return
		}
	}
	cmdID, ok := commandID(w, r, actor, id)
	if !ok {
		return
	}
	c := &incident.Command{ID: cmdID, Kind: kind, IncidentID: id, Actor: actor}
	if payload != nil {
		if err := decodeStrict(r, payload(c)); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if ans, ok := a.command(w, r, c); ok {
		writeJSON(w, http.StatusOK, ans)
	}
}

func decodeStrict(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if len(body) > maxRequestBytes {
		return errors.New("body larger than 1 MiB")
	}
	if err := httperr.DecodeStrict(body, v); err != nil {
		if fe, ok := err.(*httperr.FieldError); ok && fe.Field != "" {
			return err // "text: expected a string, got 1"
		}
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	return nil
}

func incidentID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if _, err := uuid.Parse(id); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("incident id %q is not a UUID", id))
		return "", false
	}
	return id, true
}

func (a *App) storeError(w http.ResponseWriter, err error) {
	writeError(w, http.StatusBadGateway, "ClickHouse: "+err.Error())
}

func writeError(w http.ResponseWriter, status int, msg string) { httperr.Write(w, status, msg) }
