package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/firebreak-dev/firebreak/pkg/containment"
	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// ActionView is a catalog action as the API shows it: never its secret or its header values.
type ActionView struct {
	AISystem         string   `json:"ai_system"`
	ID               string   `json:"id"`
	Kind             string   `json:"kind"`
	Label            string   `json:"label"`
	Method           string   `json:"method"`
	Target           string   `json:"target"`
	RequiresApproval bool     `json:"requires_approval"`
	RequestRoles     []string `json:"request_roles"`
	HasDryRun        bool     `json:"has_dry_run"`
	HasStatus        bool     `json:"has_status"`
	Timeout          string   `json:"timeout"`
	Headers          []string `json:"headers"` // names only, of jsonData and secureJsonData headers
	MayRequest       bool     `json:"may_request"`
	MayApprove       bool     `json:"may_approve"` // requests of this action by someone else
	WhyNot           string   `json:"why_not,omitempty"`
}

// RequestView is a containment request with what the current user may do with it.
type RequestView struct {
	*incident.ContainmentRequest
	MayApprove bool   `json:"may_approve"`
	MayRetry   bool   `json:"may_retry"`
	WhyNot     string `json:"why_not,omitempty"`
}

// ContainmentAnswer is the body of the containment routes that change something.
type ContainmentAnswer struct {
	Request  *incident.ContainmentRequest `json:"request"`
	Incident *incident.Incident           `json:"incident"`
}

func viewAction(a *containment.Action) ActionView {
	v := ActionView{AISystem: a.System, ID: a.ID, Kind: a.Kind, Label: a.Label, Method: a.Method, Target: containment.Redact(a.URL),
		RequiresApproval: a.RequiresApproval, RequestRoles: a.RequestRoles, HasDryRun: a.DryRunURL != "",
		HasStatus: a.StatusURL != "", Timeout: a.Timeout.String(), Headers: a.HeaderNames()}
	return v
}

// actorOf is the signed-in Grafana user of a request; ok is false (and a 403 written) when there is none (a request
// Grafana makes itself) or the user's org role is not Viewer, Editor or Admin (Grafana's None grants nothing).
func actorOf(w http.ResponseWriter, r *http.Request) (incident.Actor, bool) {
	u := backend.PluginConfigFromContext(r.Context()).User
	if u == nil || u.Login == "" {
		writeError(w, http.StatusForbidden, "this needs a signed-in Grafana user")
		return incident.Actor{}, false
	}
	role := incident.OrgRole(u.Role)
	if !role.Valid() {
		writeError(w, http.StatusForbidden, fmt.Sprintf("%s has the org role %q in this Grafana organization: Firebreak needs Viewer, Editor or Admin", u.Login, u.Role))
		return incident.Actor{}, false
	}
	return incident.Actor{Login: u.Login, Role: role}, true
}

// loadIncident folds the incident of the request's path from its timeline; it writes the error answer and
// returns nil when it cannot.
func (a *App) loadIncident(w http.ResponseWriter, r *http.Request) *incident.Incident {
	inc, _ := a.loadTimeline(w, r)
	return inc
}

// loadTimeline is loadIncident with the events it was folded from.
func (a *App) loadTimeline(w http.ResponseWriter, r *http.Request) (*incident.Incident, []incident.Event) {
	events, ok := a.loadEvents(w, r)
	if !ok {
		return nil, nil
	}
	inc, err := incident.Fold(events)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the timeline of incident "+events[0].IncidentID+" does not fold: "+err.Error())
		return nil, nil
	}
	return inc, events
}

// loadEvents reads the timeline of the incident of the request's path (answering 400 for a bad id, 404 for an
// unknown incident); ok is false when it answered.
func (a *App) loadEvents(w http.ResponseWriter, r *http.Request) (events []incident.Event, ok bool) {
	id, ok := incidentID(w, r)
	if !ok {
		return nil, false
	}
	events, err := a.events(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return nil, false
	}
	if len(events) == 0 {
		writeError(w, http.StatusNotFound, "incident "+id+" not found")
		return nil, false
	}
	return events, true
}

// listContainment serves GET incidents/{id}/containment: the actions of the incident's AI system and its requests,
// each with what the current user may do.
func (a *App) listContainment(w http.ResponseWriter, r *http.Request) {
	actor, ok := actorOf(w, r)
	if !ok {
		return
	}
	inc := a.loadIncident(w, r)
	if inc == nil {
		return
	}
	actions := []ActionView{}
	for _, act := range a.settings.Containment[inc.AISystem] {
		v := viewAction(act)
		v.MayRequest, v.WhyNot = act.MayRequest(actor, inc)
		v.MayApprove = act.RequiresApproval && inc.MayDecide(actor)
		if why := act.DrillRefusal(inc); v.MayRequest && why != "" {
			v.MayRequest, v.WhyNot = false, why
		}
		actions = append(actions, v)
	}
	now := a.now()
	requests := []RequestView{}
	for _, req := range inc.Containment {
		v := RequestView{ContainmentRequest: req}
		if req.State == incident.ContainmentPending {
			err := inc.CheckDecision(actor, req, incident.KindContainmentApproved)
			v.MayApprove = err == nil
			if err != nil {
				v.WhyNot = err.Error()
			}
		} else if ok, why := req.CanStart(now); ok && len(req.Attempts) > 0 {
			v.MayRetry, v.WhyNot = a.mayRun(actor, inc, req)
		} else if !ok {
			v.WhyNot = why
		}
		requests = append(requests, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident_id": inc.ID, "ai_system": inc.AISystem, "drill": inc.Drill,
		"actions": actions, "requests": requests})
}

// actionOf is the catalog's action of a request, or nil and why not.
func (a *App) actionOf(inc *incident.Incident, req *incident.ContainmentRequest) (*containment.Action, string) {
	if act := a.settings.Containment.Lookup(inc.AISystem, req.Action); act != nil {
		return act, ""
	}
	return nil, fmt.Sprintf("the action %q is no longer in the catalog of %s", req.Action, inc.AISystem)
}

// mayRun: whoever may request an action may (re)start an attempt of it.
func (a *App) mayRun(actor incident.Actor, inc *incident.Incident, req *incident.ContainmentRequest) (bool, string) {
	act, why := a.actionOf(inc, req)
	if act == nil {
		return false, why
	}
	return act.MayRequest(actor, inc)
}

// writeConflict answers 409 with the reason and the incident's status, as the receiver's conflicts do.
func writeConflict(w http.ResponseWriter, why string, inc *incident.Incident) {
	writeJSON(w, http.StatusConflict, map[string]string{"error": why, "status": string(inc.Status)})
}

type containmentBody struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
}

// requestContainment serves POST incidents/{id}/containment {action, reason}. An action without an approval rule
// runs at once and the answer carries its outcome; otherwise the request waits for approval.
func (a *App) requestContainment(w http.ResponseWriter, r *http.Request) {
	actor, ok := actorOf(w, r)
	if !ok {
		return
	}
	var body containmentBody
	if err := decodeStrict(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if body.Action == "" {
		writeError(w, http.StatusBadRequest, "action: missing (the id of a containment action of the incident's AI system)")
		return
	}
	inc := a.loadIncident(w, r)
	if inc == nil {
		return
	}
	act := a.settings.Containment.Lookup(inc.AISystem, body.Action)
	if act == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("AI system %q has no containment action %q", inc.AISystem, body.Action))
		return
	}
	if ok, why := act.MayRequest(actor, inc); !ok {
		writeError(w, http.StatusForbidden, why)
		return
	}
	if why := act.DrillRefusal(inc); why != "" {
		writeConflict(w, why, inc)
		return
	}
	key, ok := commandID(w, r, actor, inc.ID)
	if !ok {
		return
	}
	c := &incident.Command{ID: key, Kind: incident.CmdContainmentRequest, IncidentID: inc.ID, Actor: actor,
		ContainmentRequest: &incident.ContainmentRequestBody{RequestID: key, Action: act.ID, ActionKind: act.Kind,
			Label: act.Label, Reason: body.Reason, NeedsApproval: act.RequiresApproval, ActionDigest: act.Digest()}}
	ans, ok := a.command(w, r, c)
	if !ok {
		return
	}
	req := ans.Incident.ContainmentRequest(key)
	if req == nil || req.State != incident.ContainmentReady {
		writeJSON(w, http.StatusOK, ContainmentAnswer{Request: req, Incident: ans.Incident}) // waits for approval, or a replay
		return
	}
	a.runContainment(w, r, actor, ans.Incident, req)
}

// decideContainment serves POST incidents/{id}/containment/{request}/approve and .../reject. An approval runs the
// action at once.
func (a *App) decideContainment(kind incident.CommandKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor, ok := actorOf(w, r)
		if !ok {
			return
		}
		id, ok := incidentID(w, r)
		if !ok {
			return
		}
		var body struct {
			Reason string `json:"reason"`
		}
		if r.ContentLength != 0 {
			if err := decodeStrict(r, &body); err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
		}
		reqID := r.PathValue("request")
		key, ok := commandID(w, r, actor, id)
		if !ok {
			return
		}
		c := &incident.Command{ID: key, Kind: kind, IncidentID: id, Actor: actor,
			ContainmentDecision: &incident.ContainmentDecisionBody{RequestID: reqID, Reason: body.Reason}}
		ans, ok := a.command(w, r, c)
		if !ok {
			return
		}
		req := ans.Incident.ContainmentRequest(reqID)
		if kind == incident.CmdContainmentReject || req == nil || req.State != incident.ContainmentApproved {
			writeJSON(w, http.StatusOK, ContainmentAnswer{Request: req, Incident: ans.Incident})
			return
		}
		a.runContainment(w, r, actor, ans.Incident, req)
	}
}

// retryContainment serves POST incidents/{id}/containment/{request}/retry: a new attempt after a failed or
// interrupted one, with the same idempotency key, so an endpoint that did act the first time does not act twice.
func (a *App) retryContainment(w http.ResponseWriter, r *http.Request) {
	actor, ok := actorOf(w, r)
	if !ok {
		return
	}
	inc := a.loadIncident(w, r)
	if inc == nil {
		return
	}
	req := inc.ContainmentRequest(r.PathValue("request"))
	if req == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("incident %s has no containment request %q", inc.ID, r.PathValue("request")))
		return
	}
	if ok, why := a.mayRun(actor, inc, req); !ok {
		writeError(w, http.StatusForbidden, why)
		return
	}
	if ok, why := req.CanStart(a.now()); !ok {
		writeConflict(w, why, inc)
		return
	}
	a.runContainment(w, r, actor, inc, req)
}

// runContainment takes the evidence, records the start (with the evidence) on the timeline, calls the endpoint and
// records the outcome. Two people starting the same request at once cannot both call: the timeline accepts one
// start per attempt number.
func (a *App) runContainment(w http.ResponseWriter, r *http.Request, actor incident.Actor, inc *incident.Incident, req *incident.ContainmentRequest) {
	act, why := a.actionOf(inc, req)
	if act == nil {
		writeConflict(w, why, inc)
		return
	}
	if req.ActionDigest != "" && req.ActionDigest != act.Digest() {
		writeConflict(w, fmt.Sprintf("the action %q of %s was changed in the catalog since it was requested: request it again", req.Action, inc.AISystem), inc)
		return
	}
	if why := act.DrillRefusal(inc); why != "" {
		writeConflict(w, why, inc)
		return
	}
	dryRun := inc.Drill
	// The run goes on even if the person closes the page: a kill switch half-recorded is worse. Each stage has its
	// own budget: the evidence, the call (bounded by the deadline recorded on the timeline, so that a retry never
	// overlaps it), and the outcome's record.
	base := context.WithoutCancel(r.Context())
	ectx, cancelEvidence := context.WithTimeout(base, evidenceBudget)
	defer cancelEvidence()
	alerts, err := a.store.Alerts(ectx, inc.ID)
	if err != nil {
		a.storeError(w, err)
		return
	}
	attempt := len(req.Attempts) + 1
	body := containment.Render(act.Body, containment.TemplateVars{IncidentID: inc.ID, Severity: inc.Severity.String(),
		AISystem: inc.AISystem, Requester: req.RequestedBy, RequestID: req.RequestID, Reason: req.Reason, Action: act.ID})
	snapshotID := uuid.NewString()
	snapshot, err := a.collector.Take(ectx, containment.EvidenceInput{SnapshotID: snapshotID, Incident: inc, Request: req,
		Attempt: attempt, Alerts: alerts, Action: act, DryRun: dryRun, Body: body, TakenBy: actor.Login})
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	deadline := act.Deadline(a.now()).Add(commandBudget) // the start's own round trip included
	// Unique per run: two people starting the same attempt send two commands, and the timeline takes one.
	start := &incident.Command{ID: fmt.Sprintf("%s/attempt-%d/start/%s", req.RequestID, attempt, snapshotID), Kind: incident.CmdContainmentStart,
		IncidentID: inc.ID, Actor: actor, ContainmentStart: &incident.ContainmentStartRequest{
			ContainmentStartBody: incident.ContainmentStartBody{RequestID: req.RequestID, Attempt: attempt, DryRun: dryRun,
				Target: act.Method + " " + containment.Redact(act.Target(dryRun)), Deadline: deadline,
				Evidence: incident.EvidenceRef{ID: snapshotID, SHA256: incident.SnapshotSHA256(snapshot), Bytes: len(snapshot)}},
			Snapshot: snapshot}}
	sctx, cancelStart := context.WithTimeout(base, commandBudget)
	started, ok := a.commandCtx(sctx, w, start)
	cancelStart()
	if !ok {
		return
	}
	if !startedBy(started, snapshotID) {
		writeConflict(w, fmt.Sprintf("attempt %d of containment request %s was started by someone else", attempt, req.RequestID), started.Incident)
		return
	}
	cctx, cancelCall := context.WithDeadline(base, deadline)
	out := a.caller.Do(cctx, containment.Call{Action: act, DryRun: dryRun, Body: body, IdempotencyKey: req.RequestID})
	cancelCall()
	countContainment(inc.AISystem, act.ID, dryRun, out.Succeeded, out.Latency)
	log.DefaultLogger.Info("Containment action called", "incident", inc.ID, "aiSystem", inc.AISystem, "action", act.ID,
		"request", req.RequestID, "attempt", attempt, "user", actor.Login, "dryRun", dryRun, "succeeded", out.Succeeded,
		"httpStatus", out.HTTPStatus, "tries", out.Tries, "latencyMs", out.Latency.Milliseconds(), "error", out.Error)
	outcome := &incident.Command{ID: fmt.Sprintf("%s/attempt-%d/outcome", req.RequestID, attempt), Kind: incident.CmdContainmentOutcome,
		IncidentID: inc.ID, Actor: actor, ContainmentOutcome: &incident.ContainmentOutcomeBody{RequestID: req.RequestID,
			Attempt: attempt, Succeeded: out.Succeeded, HTTPStatus: out.HTTPStatus, LatencyMS: out.Latency.Milliseconds(),
			Tries: out.Tries, Answer: incident.Truncate(out.Answer, 4096), Error: incident.Truncate(out.Error, 4096)}}
	octx, cancelOutcome := context.WithTimeout(base, commandBudget)
	defer cancelOutcome()
	ans, ok := a.commandCtx(octx, w, outcome)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, ContainmentAnswer{Request: ans.Incident.ContainmentRequest(req.RequestID), Incident: ans.Incident})
}

const (
	evidenceBudget = 45 * time.Second // the alerts, the status URL and the Prometheus queries
	commandBudget  = 25 * time.Second // one command through the receiver (it answers within 15 s)
)

// startedBy reports whether a start command's answer recorded the attempt with this snapshot: a replayed command
// answers without events.
func startedBy(ans *commandAnswer, snapshotID string) bool {
	for _, e := range ans.Events {
		var b incident.ContainmentStartBody
		if e.Kind == incident.KindContainmentStarted && json.Unmarshal(e.Body, &b) == nil && b.Evidence.ID == snapshotID {
			return true
		}
	}
	return false
}

// command sends a command to the receiver; on anything but success it passes the receiver's answer on and
// returns false.
func (a *App) command(w http.ResponseWriter, r *http.Request, c *incident.Command) (*commandAnswer, bool) {
	return a.commandCtx(r.Context(), w, c)
}

type commandAnswer struct {
	Incident *incident.Incident `json:"incident"`
	Events   []incident.Event   `json:"events"`
}

func (a *App) commandCtx(ctx context.Context, w http.ResponseWriter, c *incident.Command) (*commandAnswer, bool) {
	if err := c.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	status, body, err := a.receiver.send(ctx, c)
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error())
		return nil, false
	}
	if status == http.StatusUnprocessableEntity {
		// The command's id was used for another request: the id is the caller's X-Idempotency-Key.
		var refused struct {
			Error string `json:"error"`
		}
		json.Unmarshal(body, &refused)
		writeError(w, status, "X-Idempotency-Key: "+strings.TrimPrefix(refused.Error, "id: "))
		return nil, false
	}
	if status != http.StatusOK {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
		return nil, false
	}
	var ans commandAnswer
	if err := json.Unmarshal(body, &ans); err != nil || ans.Incident == nil {
		writeError(w, http.StatusBadGateway, "the Firebreak receiver's answer is not a command result")
		return nil, false
	}
	if len(ans.Events) > 0 {
		a.written.add(ans.Incident, a.now())
	}
	return &ans, true
}

// commandID is the id of the command a person's request becomes: their X-Idempotency-Key scoped to them (login
// case-folded) and to the incident ("" for a declare), so that the same request sent again is recognized and the
// same key sent by someone else, or on another incident, is another command; or a new id when they sent no key. On
// the timeline the id goes with the command's fingerprint, so the same key with another command or body gets 422.
func commandID(w http.ResponseWriter, r *http.Request, actor incident.Actor, incidentID string) (string, bool) {
	key := r.Header.Get("X-Idempotency-Key")
	switch {
	case key == "":
		return uuid.NewString(), true
	case len(key) > 200:
		writeError(w, http.StatusBadRequest, "X-Idempotency-Key: longer than 200 characters")
		return "", false
	case !idempotencyKeyPattern.MatchString(key):
		writeError(w, http.StatusBadRequest, "X-Idempotency-Key: use letters, digits and . _ : - only")
		return "", false
	}
	return incident.IdempotencyID(actor.Login, incidentID, key), true
}

var idempotencyKeyPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]+$`)

// ReadinessResult is whether one kill switch answers its dry run.
type ReadinessResult struct {
	AISystem   string `json:"ai_system"`
	Action     string `json:"action"`
	Label      string `json:"label"`
	Kind       string `json:"kind"`
	DryRunURL  string `json:"dry_run_url,omitempty"`
	Ready      bool   `json:"ready"`
	HTTPStatus int    `json:"http_status,omitempty"`
	LatencyMS  int64  `json:"latency_ms"`
	Error      string `json:"error,omitempty"`
}

// readiness serves GET containment/readiness: it calls every dry-run URL (signed, once, no retries) and reports
// which kill switches answer, so a team knows before an incident that they work.
func (a *App) readiness(w http.ResponseWriter, r *http.Request) {
	actor, ok := actorOf(w, r)
	if !ok {
		return
	}
	if actor.Role != incident.Editor && actor.Role != incident.Admin {
		writeError(w, http.StatusForbidden, fmt.Sprintf("%s is a %s: the readiness check calls the AI systems' dry-run endpoints, which takes an Editor or Admin", actor.Login, actor.Role))
		return
	}
	actions := a.settings.Containment.All()
	results := make([]ReadinessResult, len(actions))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, act := range actions {
		results[i] = ReadinessResult{AISystem: act.System, Action: act.ID, Label: act.Label, Kind: act.Kind}
		if act.DryRunURL == "" {
			results[i].Error = "no dryRunUrl configured: this action cannot be checked without running it"
			continue
		}
		results[i].DryRunURL = containment.Redact(act.DryRunURL)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			once := *act
			once.Retries = 0
			body := containment.Render(act.Body, containment.TemplateVars{IncidentID: "readiness-check", Severity: "SEV3",
				AISystem: act.System, Requester: actor.Login, RequestID: "readiness-" + uuid.NewString(), Reason: "readiness check", Action: act.ID})
			out := a.caller.Do(r.Context(), containment.Call{Action: &once, DryRun: true, Body: body})
			results[i].Ready, results[i].HTTPStatus, results[i].LatencyMS, results[i].Error = out.Succeeded, out.HTTPStatus, out.Latency.Milliseconds(), out.Error
		}()
	}
	wg.Wait()
	ready := 0
	for _, res := range results {
		if res.Ready {
			ready++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"checked_at": a.now().UTC(), "actions": len(results), "ready": ready, "results": results})
}

// listEvidence serves GET incidents/{id}/evidence.
func (a *App) listEvidence(w http.ResponseWriter, r *http.Request) {
	id, ok := incidentID(w, r)
	if !ok {
		return
	}
	list, err := a.store.EvidenceList(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident_id": id, "snapshots": list})
}

// EvidenceAnswer is one snapshot with the three hashes that must agree: stored with it, recomputed from its bytes
// now, and recorded on the (hash-chained) timeline when it was taken.
type EvidenceAnswer struct {
	Snapshot         any             `json:"snapshot"`
	Content          json.RawMessage `json:"content"`
	SHA256           string          `json:"sha256"`
	RecomputedSHA256 string          `json:"recomputed_sha256"`
	TimelineSHA256   string          `json:"timeline_sha256"`
	TimelineSeq      uint32          `json:"timeline_seq,omitempty"`
	TimelineIntact   bool            `json:"timeline_intact"`
	Verified         bool            `json:"verified"`
}

// getEvidence serves GET incidents/{id}/evidence/{snapshot}; with ?download=1 it answers the stored bytes as they
// are, so anyone can check them with sha256sum.
func (a *App) getEvidence(w http.ResponseWriter, r *http.Request) {
	id, ok := incidentID(w, r)
	if !ok {
		return
	}
	snapID := r.PathValue("snapshot")
	ev, err := a.store.EvidenceSnapshot(r.Context(), id, snapID)
	if err != nil {
		a.storeError(w, err)
		return
	}
	if ev == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("incident %s has no evidence snapshot %q", id, snapID))
		return
	}
	if r.URL.Query().Get("download") == "1" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="evidence-%s.json"`, ev.SnapshotID))
		w.Header().Set("X-Content-SHA256", ev.SHA256)
		w.WriteHeader(http.StatusOK)
		w.Write(ev.Content)
		return
	}
	events, err := a.events(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return
	}
	ans := EvidenceAnswer{Snapshot: ev, Content: ev.Content, SHA256: ev.SHA256, RecomputedSHA256: incident.SnapshotSHA256(ev.Content),
		TimelineIntact: incident.VerifyChain(events) == nil}
	for _, e := range events {
		if e.Kind != incident.KindContainmentStarted {
			continue
		}
		var b incident.ContainmentStartBody
		if json.Unmarshal(e.Body, &b) == nil && b.Evidence.ID == snapID {
			ans.TimelineSHA256, ans.TimelineSeq = b.Evidence.SHA256, e.Seq
		}
	}
	if !json.Valid(ev.Content) {
		ans.Content = nil
	}
	ans.Verified = ans.TimelineIntact && ans.SHA256 == ans.RecomputedSHA256 && ans.SHA256 == ans.TimelineSHA256
	writeJSON(w, http.StatusOK, ans)
}
