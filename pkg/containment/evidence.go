package containment

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// Snapshot is the evidence taken before a containment action changes anything (the playbook's "preserve evidence
// first"; the EU AI Act's "no alteration before evaluating the causes"): what the incident and its alerts said,
// what is about to run, the system's own account of its model and configuration, and the metrics behind the alerts.
type Snapshot struct {
	SnapshotID   string                       `json:"snapshot_id"`
	IncidentID   string                       `json:"incident_id"`
	RequestID    string                       `json:"request_id"`
	Attempt      int                          `json:"attempt"`
	TakenAt      time.Time                    `json:"taken_at"`
	TakenBy      string                       `json:"taken_by"`
	Action       ActionRecord                 `json:"action"`
	Incident     *incident.Incident           `json:"incident"`
	Alerts       []incident.Alert             `json:"alerts"`
	SystemStatus *StatusRecord                `json:"system_status,omitempty"`
	Prometheus   []QueryRecord                `json:"prometheus,omitempty"`
	Gaps         []string                     `json:"gaps,omitempty"` // what could not be captured, and why
	Request      *incident.ContainmentRequest `json:"request"`
}

// ActionRecord is the action about to run, without its secret.
type ActionRecord struct {
	System           string `json:"ai_system"`
	ID               string `json:"id"`
	Kind             string `json:"kind"`
	Label            string `json:"label"`
	Method           string `json:"method"`
	Target           string `json:"target"` // URL without its query
	DryRun           bool   `json:"dry_run"`
	Body             string `json:"body"`
	RequiresApproval bool   `json:"requires_approval"`
}

// StatusRecord is the AI system's status-URL answer (its model and config version).
type StatusRecord struct {
	URL        string          `json:"url"`
	HTTPStatus int             `json:"http_status,omitempty"`
	JSON       json.RawMessage `json:"json,omitempty"`
	Text       string          `json:"text,omitempty"` // when the answer is not JSON
	Error      string          `json:"error,omitempty"`
}

// QueryRecord is an alert's expression evaluated over the incident's time range.
type QueryRecord struct {
	Alerts []string        `json:"alerts"` // alertnames using this expression
	Expr   string          `json:"expr"`
	Start  time.Time       `json:"start"`
	End    time.Time       `json:"end"`
	Step   string          `json:"step"`
	Data   json.RawMessage `json:"data,omitempty"` // Prometheus's "data" object, as it answered
	Error  string          `json:"error,omitempty"`
}

const (
	maxStatusBytes     = 64 << 10
	maxQueryBytes      = 512 << 10
	maxQueries         = 10
	maxSnapshotBytes   = 2 << 20
	maxEvidenceAlerts  = 200
	maxEvidenceRange   = 7 * 24 * time.Hour
	evidenceLookBehind = 15 * time.Minute
	queryTimeout       = 10 * time.Second
	evidencePoints     = 250
)

// Collector takes evidence snapshots. PrometheusURL is the admin-configured Prometheus (may be empty); only its
// query API is called, with expressions taken from the alerts' generatorURLs (never their hosts).
type Collector struct {
	Caller        *Caller
	PrometheusURL string
}

// EvidenceInput is what a snapshot is about.
type EvidenceInput struct {
	SnapshotID string
	Incident   *incident.Incident
	Request    *incident.ContainmentRequest
	Attempt    int
	Alerts     []incident.Alert
	Action     *Action
	DryRun     bool
	Body       []byte
	TakenBy    string
}

// Take captures a snapshot and returns its bytes: JSON, at most 2 MiB (metrics are dropped first when it would be
// larger, and the gap is noted). The bytes are what is stored and hashed.
func (c *Collector) Take(ctx context.Context, in EvidenceInput) ([]byte, error) {
	now := c.Caller.Now().UTC()
	a := in.Action
	target := a.Target(in.DryRun)
	s := Snapshot{SnapshotID: in.SnapshotID, IncidentID: in.Incident.ID, RequestID: in.Request.RequestID, Attempt: in.Attempt,
		TakenAt: now, TakenBy: in.TakenBy, Incident: in.Incident, Alerts: in.Alerts, Request: in.Request,
		Action: ActionRecord{System: a.System, ID: a.ID, Kind: a.Kind, Label: a.Label, Method: a.Method, Target: Redact(target),
			DryRun: in.DryRun, Body: string(in.Body), RequiresApproval: a.RequiresApproval}}
	if s.Alerts == nil {
		s.Alerts = []incident.Alert{}
	}
	if a.StatusURL != "" {
		s.SystemStatus = c.status(ctx, a)
	} else {
		s.Gaps = append(s.Gaps, "system status: the action has no statusUrl")
	}
	if c.PrometheusURL == "" {
		s.Gaps = append(s.Gaps, "metrics: no Prometheus URL is configured (jsonData.prometheus.url)")
	} else {
		queries, gaps := Expressions(in.Alerts)
		s.Gaps = append(s.Gaps, gaps...)
		start, end, step := EvidenceRange(in.Incident, in.Alerts, now)
		for _, q := range queries {
			s.Prometheus = append(s.Prometheus, c.queryRange(ctx, q, start, end, step))
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("evidence snapshot: %w", err)
	}
	if len(b) > maxSnapshotBytes && len(s.Prometheus) > 0 {
		for i := range s.Prometheus {
			s.Prometheus[i].Data = nil
		}
		s.Gaps = append(s.Gaps, fmt.Sprintf("metrics: the query results made the snapshot %d bytes, over the 2 MiB limit; only the expressions are kept", len(b)))
		if b, err = json.Marshal(s); err != nil {
			return nil, fmt.Errorf("evidence snapshot: %w", err)
		}
	}
	if len(b) > maxSnapshotBytes && len(s.Alerts) > maxEvidenceAlerts {
		// An incident with thousands of alerts must not keep its kill switch from running.
		s.Gaps = append(s.Gaps, fmt.Sprintf("alerts: %d alerts made the snapshot too large; the first %d are kept", len(s.Alerts), maxEvidenceAlerts))
		s.Alerts = s.Alerts[:maxEvidenceAlerts]
		if b, err = json.Marshal(s); err != nil {
			return nil, fmt.Errorf("evidence snapshot: %w", err)
		}
	}
	if len(b) > maxSnapshotBytes {
		return nil, fmt.Errorf("evidence snapshot: %d bytes even without metrics, over the 2 MiB limit", len(b))
	}
	return b, nil
}

func (c *Collector) status(ctx context.Context, a *Action) *StatusRecord {
	rec := &StatusRecord{URL: Redact(a.StatusURL)}
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	req, err := c.Caller.newRequest(ctx, a, http.MethodGet, a.StatusURL, nil, "")
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	resp, err := c.Caller.HTTP.Do(req)
	if err != nil {
		rec.Error = c.Caller.scrub(describe(err, a.Timeout))
		return rec
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusBytes+1))
	rec.HTTPStatus = resp.StatusCode
	switch {
	case err != nil:
		rec.Error = c.Caller.scrub("reading the answer: " + describe(err, a.Timeout))
	case len(body) > maxStatusBytes:
		rec.Error = "answer larger than 64 KiB: not kept"
	case json.Valid(body):
		rec.JSON = json.RawMessage(c.Caller.scrub(string(body)))
		if !json.Valid(rec.JSON) {
			rec.JSON, rec.Text = nil, c.Caller.scrub(string(body))
		}
	default:
		rec.Text = c.Caller.scrub(string(body))
	}
	return rec
}

// Query is one expression to evaluate and the alerts that use it.
type Query struct {
	Expr   string
	Alerts []string
}

// Expressions returns the distinct PromQL expressions of the alerts' generatorURLs (Prometheus writes the rule's
// expression as the g0.expr parameter), at most 10, and a note for each alert whose URL has none.
func Expressions(alerts []incident.Alert) ([]Query, []string) {
	byExpr := map[string]*Query{}
	var order []string
	var gaps []string
	for _, a := range alerts {
		expr := ""
		if u, err := url.Parse(a.GeneratorURL); err == nil && a.GeneratorURL != "" {
			expr = u.Query().Get("g0.expr")
		}
		if expr == "" {
			gaps = append(gaps, fmt.Sprintf("metrics: alert %s has no Prometheus expression in its generatorURL", a.Name))
			continue
		}
		q, ok := byExpr[expr]
		if !ok {
			if len(order) == maxQueries {
				gaps = append(gaps, fmt.Sprintf("metrics: more than %d distinct expressions; alert %s's is not evaluated", maxQueries, a.Name))
				continue
			}
			q = &Query{Expr: expr}
			byExpr[expr] = q
			order = append(order, expr)
		}
		if !slices.Contains(q.Alerts, a.Name) {
			q.Alerts = append(q.Alerts, a.Name)
		}
	}
	out := make([]Query, len(order))
	for i, e := range order {
		out[i] = *byExpr[e]
		sort.Strings(out[i].Alerts)
	}
	return out, gaps
}

// EvidenceRange is the time range the metrics are evaluated over: from 15 minutes before the incident (or its
// earliest alert) started, to now, at most 7 days, in about 250 whole-second steps ending at now.
func EvidenceRange(inc *incident.Incident, alerts []incident.Alert, now time.Time) (start, end time.Time, step time.Duration) {
	start = inc.StartedAt
	if start.IsZero() || (inc.DeclaredAt.Before(start) && !inc.DeclaredAt.IsZero()) {
		start = inc.DeclaredAt
	}
	for _, a := range alerts {
		if !a.StartsAt.IsZero() && a.StartsAt.Before(start) {
			start = a.StartsAt
		}
	}
	end = now
	start = start.Add(-evidenceLookBehind)
	if end.Sub(start) > maxEvidenceRange {
		start = end.Add(-maxEvidenceRange)
	}
	if !start.Before(end) {
		start = end.Add(-evidenceLookBehind)
	}
	end = end.Truncate(time.Second)
	span := end.Sub(start)
	step = (span / evidencePoints).Truncate(time.Second)
	if step < time.Second {
		step = time.Second
	}
	// Whole steps back from end, so that the last point is now: the state the action is about to change.
	steps := (span + step - 1) / step
	return end.Add(-steps * step), end, step
}

func (c *Collector) queryRange(ctx context.Context, q Query, start, end time.Time, step time.Duration) QueryRecord {
	rec := QueryRecord{Alerts: q.Alerts, Expr: q.Expr, Start: start, End: end, Step: step.String()}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	v := url.Values{}
	v.Set("query", q.Expr)
	v.Set("start", strconv.FormatInt(start.Unix(), 10))
	v.Set("end", strconv.FormatInt(end.Unix(), 10))
	v.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.PrometheusURL+"/api/v1/query_range?"+v.Encode(), nil)
	if err != nil {
		rec.Error = "cannot build the query: " + err.Error()
		return rec
	}
	resp, err := c.Caller.HTTP.Do(req)
	if err != nil {
		rec.Error = fmt.Sprintf("Prometheus at %s: %s", Redact(c.PrometheusURL), describe(err, queryTimeout))
		return rec
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxQueryBytes+1))
	if err != nil {
		rec.Error = "Prometheus: reading the answer: " + describe(err, queryTimeout)
		return rec
	}
	if len(body) > maxQueryBytes {
		rec.Error = "Prometheus: result larger than 512 KiB: not kept"
		return rec
	}
	var answer struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		rec.Error = fmt.Sprintf("Prometheus answered %s with no JSON", resp.Status)
		return rec
	}
	if answer.Status != "success" {
		rec.Error = fmt.Sprintf("Prometheus answered %s: %s", resp.Status, answer.Error)
		return rec
	}
	rec.Data = answer.Data
	return rec
}
