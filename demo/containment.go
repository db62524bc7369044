package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Containment endpoints: Firebreak (or an operator) calls them to stop the harm of an
// incident. Every POST is signed with HMAC-SHA256 (see verifySignature).
const (
	headerTimestamp      = "X-Firebreak-Timestamp"
	headerSignature      = "X-Firebreak-Signature"
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
	signaturePrefix      = "sha256="

	// maxSignatureAge is how far the signed timestamp may be from the clock, either way.
	maxSignatureAge = 5 * time.Minute
	// maxContainmentBody bounds the body of a containment request.
	maxContainmentBody = 64 << 10
	// idempotencyCapacity is how many Idempotency-Keys are remembered (the last ones).
	idempotencyCapacity  = 1000
	maxIdempotencyKeyLen = 255
	maxPatternLen        = 1024
	maxKeyIDLen          = 256
	maxMetaLen           = 1024
)

var errNoSecret = errors.New("containment disabled: no secret configured")

// signature returns the X-Firebreak-Signature of content signed at timestamp:
// "sha256=" followed by the hex of HMAC-SHA256(secret, timestamp + "." + content), where content is
// signedContent of the request: its method and URI are signed with the body, so a signed request (a dry run, say)
// cannot be replayed against another endpoint.
func signature(secret []byte, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(signatureMAC(secret, timestamp, body))
}

// signedContent is what a request's signature covers besides the timestamp: "METHOD request-URI\n" + body.
func signedContent(method, requestURI string, body []byte) []byte {
	return append([]byte(method+" "+requestURI+"\n"), body...)
}

func signatureMAC(secret []byte, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// verifySignature checks the X-Firebreak-Timestamp (Unix seconds, at most 5 minutes
// from now either way) and X-Firebreak-Signature header values of a request with body.
// The error names the problem; it never contains the secret or the expected signature.
func verifySignature(secret []byte, timestamp, sig string, body []byte, now time.Time) error {
	if timestamp == "" {
		return fmt.Errorf("missing %s header", headerTimestamp)
	}
	if sig == "" {
		return fmt.Errorf("missing %s header", headerSignature)
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || strings.TrimLeft(timestamp, "0123456789") != "" {
		return fmt.Errorf("malformed %s header: want Unix seconds", headerTimestamp)
	}
	hexMAC, ok := strings.CutPrefix(sig, signaturePrefix)
	got, err := hex.DecodeString(hexMAC)
	if !ok || err != nil || len(got) != sha256.Size {
		return fmt.Errorf("malformed %s header: want sha256=<64 hex digits>", headerSignature)
	}
	maxAge := int64(maxSignatureAge / time.Second)
	switch age := now.Unix() - ts; {
	case age > maxAge:
		return fmt.Errorf("stale %s: %ds old, more than %v (replayed or delayed request)", headerTimestamp, age, maxSignatureAge)
	case age < -maxAge:
		return fmt.Errorf("%s is %ds in the future, more than %v (clock skew?)", headerTimestamp, -age, maxSignatureAge)
	}
	if !hmac.Equal(got, signatureMAC(secret, timestamp, body)) {
		return fmt.Errorf("%s does not match the request (wrong secret, or altered method, URI or body)", headerSignature)
	}
	return nil
}

// containment carries out the containment actions on the simulator and serves the
// /containment/ endpoints.
type containment struct {
	secret         secret
	delay          time.Duration
	now            func() time.Time
	sim            *simulator
	logger         *slog.Logger
	aiSystem       string
	defaultVersion string
	initialHistory []string

	mu            sync.Mutex
	configVersion int64
	history       []string // model versions, oldest first; the last one is active
	idem          idempotencyCache
}

func newContainment(cfg config, sim *simulator, logger *slog.Logger) *containment {
	history := []string{cfg.ModelVersion}
	if p := cfg.PreviousModelVersion; p != "" && p != cfg.ModelVersion {
		history = []string{p, cfg.ModelVersion}
	}
	return &containment{
		secret:         cfg.ContainmentSecret,
		delay:          cfg.ContainmentDelay,
		now:            time.Now,
		sim:            sim,
		logger:         logger,
		aiSystem:       cfg.AISystem,
		defaultVersion: cfg.ModelVersion,
		initialHistory: history,
		history:        slices.Clone(history),
		idem:           idempotencyCache{capacity: idempotencyCapacity},
	}
}

// PreviousModelVersion is the version a rollback would switch to, "" if none.
func (c *containment) PreviousModelVersion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.previousLocked()
}

func (c *containment) previousLocked() string {
	if n := len(c.history); n >= 2 {
		return c.history[n-2]
	}
	return ""
}

// containmentStatus is the answer of GET /containment/status.
type containmentStatus struct {
	AISystem             string   `json:"ai_system"`
	ModelVersion         string   `json:"model_version"`
	PreviousModelVersion string   `json:"previous_model_version"`
	ConfigVersion        int64    `json:"config_version"`
	FeatureEnabledShare  float64  `json:"feature_enabled_share"`
	InputRestrictions    []string `json:"input_restrictions"`
	HumanReviewRequired  bool     `json:"human_review_required"`
	RevokedKeys          []string `json:"revoked_keys"`
}

func (c *containment) Status() containmentStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.sim.Containment()
	return containmentStatus{
		AISystem:             c.aiSystem,
		ModelVersion:         c.sim.ModelVersion(),
		PreviousModelVersion: c.previousLocked(),
		ConfigVersion:        c.configVersion,
		FeatureEnabledShare:  st.EnabledShare,
		InputRestrictions:    st.InputRestrictions,
		HumanReviewRequired:  st.ReviewRequired,
		RevokedKeys:          st.RevokedKeys,
	}
}

// containmentResponse is the answer of a containment action or of its dry run.
type containmentResponse struct {
	OK     bool   `json:"ok"`
	DryRun bool   `json:"dry_run"`
	Action string `json:"action"`
	// Would is what a dry run would do; Detail what the action did.
	Would         string `json:"would,omitempty"`
	Detail        string `json:"detail,omitempty"`
	ConfigVersion int64  `json:"config_version"`
	ModelVersion  string `json:"model_version"`
}

// actionMeta are optional fields of every action's body, logged with the action.
type actionMeta struct {
	IncidentID string `json:"incident_id"`
	Reason     string `json:"reason"`
}

// actionPlan is a validated containment action: what it does and how to do it.
type actionPlan struct {
	summary string
	attrs   []any // log attributes of the action's parameters
	meta    actionMeta
	apply   func() error
}

// planFunc validates body against the current state (c.mu held) and returns the plan.
type planFunc func(c *containment, body []byte) (actionPlan, error)

var containmentActionNames = []string{"disable", "rollback", "restrict-inputs", "require-review", "revoke-key", "reset"}

var containmentActions = map[string]planFunc{
	"disable":         planDisable,
	"rollback":        planRollback,
	"restrict-inputs": planRestrictInputs,
	"require-review":  planRequireReview,
	"revoke-key":      planRevokeKey,
	"reset":           planReset,
}

// httpError is an error with the HTTP status to answer it with.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }

func errStatus(status int, format string, args ...any) error {
	return &httpError{status: status, err: fmt.Errorf(format, args...)}
}

// decodeBody decodes an optional JSON object into dst, rejecting unknown fields; want
// describes the expected body in the error.
func decodeBody(body []byte, dst any, want string) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return errStatus(http.StatusBadRequest, "invalid JSON body (want %s): %v", want, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errStatus(http.StatusBadRequest, "invalid JSON body (want %s): unexpected data after the JSON object", want)
	}
	return nil
}

func checkMeta(m actionMeta) error {
	if len(m.IncidentID) > maxMetaLen || len(m.Reason) > maxMetaLen {
		return errStatus(http.StatusBadRequest, "incident_id and reason must be at most %d bytes", maxMetaLen)
	}
	return nil
}

func percent(x float64) string {
	return strconv.FormatFloat(x*100, 'g', 4, 64) + "%"
}

func alreadyIf(b bool) string {
	if b {
		return " (already in effect)"
	}
	return ""
}

func planDisable(c *containment, body []byte) (actionPlan, error) {
	var req struct {
		actionMeta
		Share *float64 `json:"share"`
	}
	if err := decodeBody(body, &req, `{"share": 0..1}`); err != nil {
		return actionPlan{}, err
	}
	share := 1.0
	if req.Share != nil {
		share = *req.Share
	}
	if share < 0 || share > 1 {
		return actionPlan{}, errStatus(http.StatusBadRequest, "share must be between 0 and 1, got %v", share)
	}
	enabled := math.Round((1-share)*1e9) / 1e9
	return actionPlan{
		summary: fmt.Sprintf("stop answering %s of the users: feature enabled for %s%s", percent(share), percent(enabled),
			alreadyIf(c.sim.Containment().EnabledShare == enabled)),
		attrs: []any{"share", share},
		meta:  req.actionMeta,
		apply: func() error { return c.sim.SetEnabledShare(enabled) },
	}, checkMeta(req.actionMeta)
}

func planRollback(c *containment, body []byte) (actionPlan, error) {
	var req struct{ actionMeta }
	if err := decodeBody(body, &req, `{} or no body`); err != nil {
		return actionPlan{}, err
	}
	n := len(c.history)
	if n < 2 {
		return actionPlan{}, errStatus(http.StatusConflict, "no previous model version to roll back to (active: %s)", c.sim.ModelVersion())
	}
	from, to := c.history[n-1], c.history[n-2]
	return actionPlan{
		summary: fmt.Sprintf("switch the model from %s to %s", from, to),
		attrs:   []any{"from", from, "to", to},
		meta:    req.actionMeta,
		apply: func() error {
			if err := c.sim.SetModelVersion(to); err != nil {
				return err
			}
			c.history = c.history[:n-1]
			return nil
		},
	}, checkMeta(req.actionMeta)
}

func planRestrictInputs(c *containment, body []byte) (actionPlan, error) {
	var req struct {
		actionMeta
		Pattern string `json:"pattern"`
	}
	if err := decodeBody(body, &req, `{"pattern": "<regexp>"}`); err != nil {
		return actionPlan{}, err
	}
	switch {
	case req.Pattern == "":
		return actionPlan{}, errStatus(http.StatusBadRequest, `pattern is required (want {"pattern": "<regexp>"})`)
	case len(req.Pattern) > maxPatternLen:
		return actionPlan{}, errStatus(http.StatusBadRequest, "pattern longer than %d bytes", maxPatternLen)
	}
	if _, err := regexp.Compile(req.Pattern); err != nil {
		return actionPlan{}, errStatus(http.StatusBadRequest, "invalid pattern: %v", err)
	}
	return actionPlan{
		summary: fmt.Sprintf("block the inputs matching %q: prompt-injection traffic is blocked before the model%s", req.Pattern,
			alreadyIf(slices.Contains(c.sim.Containment().InputRestrictions, req.Pattern))),
		attrs: []any{"pattern", req.Pattern},
		meta:  req.actionMeta,
		apply: func() error { c.sim.RestrictInputs(req.Pattern); return nil },
	}, checkMeta(req.actionMeta)
}

func planRequireReview(c *containment, body []byte) (actionPlan, error) {
	var req struct{ actionMeta }
	if err := decodeBody(body, &req, `{} or no body`); err != nil {
		return actionPlan{}, err
	}
	return actionPlan{
		summary: "hold every answer for a human review before it is sent" + alreadyIf(c.sim.Containment().ReviewRequired),
		meta:    req.actionMeta,
		apply:   func() error { c.sim.RequireReview(); return nil },
	}, checkMeta(req.actionMeta)
}

func planRevokeKey(c *containment, body []byte) (actionPlan, error) {
	var req struct {
		actionMeta
		KeyID string `json:"key_id"`
	}
	if err := decodeBody(body, &req, `{"key_id": "..."}`); err != nil {
		return actionPlan{}, err
	}
	switch {
	case req.KeyID == "":
		return actionPlan{}, errStatus(http.StatusBadRequest, `key_id is required (want {"key_id": "..."})`)
	case len(req.KeyID) > maxKeyIDLen:
		return actionPlan{}, errStatus(http.StatusBadRequest, "key_id longer than %d bytes", maxKeyIDLen)
	case strings.ContainsFunc(req.KeyID, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }):
		return actionPlan{}, errStatus(http.StatusBadRequest, "key_id must not contain spaces or control characters")
	}
	return actionPlan{
		summary: fmt.Sprintf("revoke the API key %q: its requests are refused%s", req.KeyID,
			alreadyIf(slices.Contains(c.sim.Containment().RevokedKeys, req.KeyID))),
		attrs: []any{"key_id", req.KeyID},
		meta:  req.actionMeta,
		apply: func() error { c.sim.RevokeKey(req.KeyID); return nil },
	}, checkMeta(req.actionMeta)
}

func planReset(c *containment, body []byte) (actionPlan, error) {
	var req struct{ actionMeta }
	if err := decodeBody(body, &req, `{} or no body`); err != nil {
		return actionPlan{}, err
	}
	return actionPlan{
		summary: fmt.Sprintf("restore the defaults: model %s, feature enabled for every user, no input restriction, "+
			"no review requirement, no revoked key, idempotency keys forgotten (faults stay)", c.defaultVersion),
		meta: req.actionMeta,
		apply: func() error {
			if err := c.sim.SetModelVersion(c.defaultVersion); err != nil {
				return err
			}
			c.sim.ResetContainment()
			c.history = slices.Clone(c.initialHistory)
			c.idem.reset()
			return nil
		},
	}, checkMeta(req.actionMeta)
}

// reply is a JSON answer, prepared before the containment delay.
type reply struct {
	status int
	body   []byte
	header map[string]string
}

func jsonReply(status int, v any) reply {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return reply{status: http.StatusInternalServerError, body: []byte(`{"error": "encode answer"}` + "\n")}
	}
	return reply{status: status, body: b.Bytes()}
}

func errorReply(err error) reply {
	status := http.StatusInternalServerError
	if he, ok := errors.AsType[*httpError](err); ok {
		status = he.status
	}
	return jsonReply(status, errorResponse{Error: err.Error()})
}

// ServeHTTP serves /containment/:
//
//	GET  /containment/status             containment state
//	POST /containment/{action}           carry out an action (signed)
//	POST /containment/dry-run/{action}   tell what the action would do (signed)
//
// Every answer waits for the configured delay first (the action itself is done at once).
func (c *containment) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := c.handle(w, r)
	c.wait(r.Context())
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	w.Write(rep.body) //nolint:errcheck // the client has gone away; nothing to do
}

func (c *containment) wait(ctx context.Context) {
	if c.delay <= 0 {
		return
	}
	t := time.NewTimer(c.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func methodNotAllowed(allow string) reply {
	rep := jsonReply(http.StatusMethodNotAllowed, errorResponse{Error: "method not allowed; use " + allow})
	rep.header = map[string]string{"Allow": allow}
	return rep
}

func (c *containment) handle(w http.ResponseWriter, r *http.Request) reply {
	if len(c.secret) == 0 {
		return jsonReply(http.StatusServiceUnavailable, errorResponse{Error: errNoSecret.Error()})
	}
	name := strings.TrimPrefix(r.URL.Path, "/containment/")
	if name == "status" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return methodNotAllowed("GET")
		}
		return jsonReply(http.StatusOK, c.Status())
	}
	name, dryRun := strings.CutPrefix(name, "dry-run/")
	plan, ok := containmentActions[name]
	if !ok {
		return jsonReply(http.StatusNotFound, errorResponse{Error: fmt.Sprintf("unknown containment action %q; known: %s",
			name, strings.Join(containmentActionNames, ", "))})
	}
	if r.Method != http.MethodPost {
		return methodNotAllowed("POST")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxContainmentBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errorReply(errStatus(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", maxContainmentBody))
		}
		return errorReply(errStatus(http.StatusBadRequest, "read request body: %v", err))
	}
	content := signedContent(r.Method, r.URL.RequestURI(), body)
	if err := verifySignature(c.secret, r.Header.Get(headerTimestamp), r.Header.Get(headerSignature), content, c.now()); err != nil {
		c.logger.Warn("containment request rejected", "path", r.URL.Path, "remote_addr", r.RemoteAddr, "error", err.Error())
		return errorReply(errStatus(http.StatusUnauthorized, "%v", err))
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if dryRun {
		p, err := plan(c, body)
		if err != nil {
			return errorReply(err)
		}
		c.logger.Info("containment dry run", "action", name, "would", p.summary, "incident_id", p.meta.IncidentID)
		return jsonReply(http.StatusOK, containmentResponse{OK: true, DryRun: true, Action: name, Would: p.summary,
			ConfigVersion: c.configVersion, ModelVersion: c.sim.ModelVersion()})
	}

	key := r.Header.Get(headerIdempotencyKey)
	if err := checkIdempotencyKey(key); err != nil {
		return errorReply(err)
	}
	fp := sha256.Sum256(append([]byte(name+"\x00"), body...))
	if key != "" {
		if e, ok := c.idem.get(key); ok {
			if e.fingerprint != fp {
				return errorReply(errStatus(http.StatusUnprocessableEntity,
					"%s %q was already used for a different request", headerIdempotencyKey, key))
			}
			c.logger.Info("containment action replayed", "action", name, "idempotency_key", key)
			rep := e.reply
			rep.header = map[string]string{headerReplayed: "true"}
			return rep
		}
	}
	p, err := plan(c, body)
	if err != nil {
		return errorReply(err)
	}
	if err := p.apply(); err != nil {
		return errorReply(fmt.Errorf("%s: %w", name, err))
	}
	c.configVersion++
	resp := containmentResponse{OK: true, Action: name, Detail: p.summary, ConfigVersion: c.configVersion,
		ModelVersion: c.sim.ModelVersion()}
	attrs := append([]any{"action", name, "detail", p.summary, "config_version", resp.ConfigVersion,
		"model_version", resp.ModelVersion}, p.attrs...)
	attrs = append(attrs, "incident_id", p.meta.IncidentID, "reason", p.meta.Reason, "idempotency_key", key,
		"remote_addr", r.RemoteAddr)
	c.logger.Info("containment action", attrs...)
	rep := jsonReply(http.StatusOK, resp)
	if key != "" {
		c.idem.put(key, idemEntry{fingerprint: fp, reply: rep})
	}
	return rep
}

func checkIdempotencyKey(key string) error {
	if len(key) > maxIdempotencyKeyLen || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return errStatus(http.StatusBadRequest, "invalid %s header: want 1 to %d printable ASCII characters",
			headerIdempotencyKey, maxIdempotencyKeyLen)
	}
	return nil
}

// idempotencyCache remembers the answers of the last capacity Idempotency-Keys.
type idempotencyCache struct {
	capacity int
	entries  map[string]idemEntry
	ring     []string // keys in insertion order, oldest at next once full
	next     int
}

type idemEntry struct {
	fingerprint [sha256.Size]byte // of the action and body
	reply       reply
}

func (c *idempotencyCache) get(key string) (idemEntry, bool) {
	e, ok := c.entries[key]
	return e, ok
}

// put remembers a key not remembered yet, forgetting the oldest one when full.
func (c *idempotencyCache) put(key string, e idemEntry) {
	if c.entries == nil {
		c.entries = map[string]idemEntry{}
	}
	if len(c.ring) < c.capacity {
		c.ring = append(c.ring, key)
	} else {
		delete(c.entries, c.ring[c.next])
		c.ring[c.next] = key
		c.next = (c.next + 1) % c.capacity
	}
	c.entries[key] = e
}

func (c *idempotencyCache) reset() {
	c.entries, c.ring, c.next = nil, nil, 0
}
