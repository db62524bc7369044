// Package containment runs an AI system's containment actions (kill switches, rollbacks, input restrictions, ...):
// the catalog an admin prepares in advance, who may request and approve which action, the evidence snapshot taken
// before anything changes, and the signed HTTP call to the system's own endpoint.
//
// It does no bookkeeping of its own: every step is a command on the incident's timeline (package incident).
package containment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/httperr"
	"github.com/firebreak-dev/firebreak/pkg/incident"
)

const (
	DefaultTimeout = 10 * time.Second
	MaxTimeout     = 60 * time.Second
	DefaultRetries = 2
	MaxRetries     = 5
	MinSecretLen   = 16
)

// Action is one containment action of an AI system, as an admin configured it.
type Action struct {
	System           string
	ID               string
	Kind             string
	Label            string
	Method           string
	URL              string
	Headers          map[string]string
	Body             string // template; see Render
	Timeout          time.Duration
	RequiresApproval bool
	RequestRoles     []string // Grafana org roles (Editor, Admin) and incident response roles (incident_lead, ...)
	DryRunURL        string
	StatusURL        string
	Retries          int  // extra tries on connection errors and 5xx, when the call is idempotent
	Idempotent       bool // the endpoint honours Idempotency-Key, so a POST may be retried too
	Secret           string
	// SecretHeaders are header values from secureJsonData (containment.<system>.<id>.headers.<name>), such as
	// credentials: sent with every call of the action, never shown, logged or recorded, and not part of Digest.
	SecretHeaders map[string]string
}

// Catalog holds the actions per AI system.
type Catalog map[string][]*Action

// Lookup returns an action of a system, or nil.
func (c Catalog) Lookup(system, id string) *Action {
	for _, a := range c[system] {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// All returns every action, by system then in configured order.
func (c Catalog) All() []*Action {
	systems := make([]string, 0, len(c))
	for s := range c {
		systems = append(systems, s)
	}
	sort.Strings(systems)
	var out []*Action
	for _, s := range systems {
		out = append(out, c[s]...)
	}
	return out
}

// Secrets lists every action secret and header value, so that answers and logs can be scrubbed of them.
func (c Catalog) Secrets() []string {
	var out []string
	for _, a := range c.All() {
		out = append(out, a.Secret)
		for _, v := range a.Headers {
			out = append(out, v)
		}
		for _, name := range sortedKeys(a.SecretHeaders) {
			out = append(out, a.SecretHeaders[name])
		}
	}
	return out
}

// HeaderNames are the names of the headers the action sends besides Firebreak's own, sorted: its jsonData headers
// and its secureJsonData ones.
func (a *Action) HeaderNames() []string {
	names := make([]string, 0, len(a.Headers)+len(a.SecretHeaders))
	for name := range a.Headers {
		names = append(names, name)
	}
	for name := range a.SecretHeaders {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// actionJSON is an action in the app's jsonData (also provisioned from YAML).
type actionJSON struct {
	ID               string            `json:"id"`
	Kind             string            `json:"kind"`
	Label            string            `json:"label"`
	Method           string            `json:"method"`
	URL              string            `json:"url"`
	Headers          map[string]string `json:"headers"`
	Body             string            `json:"body"`
	Timeout          string            `json:"timeout"`
	RequiresApproval bool              `json:"requiresApproval"`
	RequestRoles     []string          `json:"requestRoles"`
	DryRunURL        string            `json:"dryRunUrl"`
	StatusURL        string            `json:"statusUrl"`
	Retries          *int              `json:"retries"`
	Idempotent       bool              `json:"idempotent"`
}

// SecretKey is the secureJsonData key of an action's HMAC secret.
func SecretKey(system, id string) string { return "containment." + system + "." + id + ".secret" }

// SecretHeaderKey is the secureJsonData key of the value of an action's header: a credential the endpoint wants
// (Authorization, X-Api-Key, ...), kept encrypted by Grafana like the secret.
func SecretHeaderKey(system, id, name string) string { return secretHeaderPrefix(system, id) + name }

func secretHeaderPrefix(system, id string) string {
	return "containment." + system + "." + id + ".headers."
}

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	headerName      = regexp.MustCompile(`^[A-Za-z0-9-]{1,100}$`)
	reservedHeaders = []string{"host", "content-length", "idempotency-key", "x-firebreak-timestamp", "x-firebreak-signature", "transfer-encoding", "connection"}
	allowedRoles    = append([]string{string(incident.Editor), string(incident.Admin)}, incident.ResponseRoles...)
)

// ParseCatalog reads the "containment" object of the app's jsonData: AI system -> list of actions. secrets is the
// app's secureJsonData. Errors name the field ("jsonData.containment.supportbot[0].url: ...") and are joined.
func ParseCatalog(raw json.RawMessage, secrets map[string]string) (Catalog, error) {
	cat := Catalog{}
	if len(raw) == 0 || string(raw) == "null" {
		return cat, nil
	}
	var in map[string][]actionJSON
	if err := httperr.DecodeStrict(raw, &in); err != nil {
		field := "jsonData.containment"
		if fe, ok := err.(*httperr.FieldError); ok && fe.Field != "" {
			if !strings.HasPrefix(fe.Field, "[") {
				field += "."
			}
			field, err = field+fe.Field, errors.New(fe.Problem)
		}
		return nil, fmt.Errorf("%s: %w (want {\"<ai_system>\": [actions]})", field, err)
	}
	var errs []error
	// A header key in secureJsonData that no action has is an error: a mistyped one would silently send nothing.
	claimed := map[string]bool{}
	for system, actions := range in {
		for _, aj := range actions {
			for key := range secrets {
				if strings.HasPrefix(key, secretHeaderPrefix(system, aj.ID)) {
					claimed[key] = true
				}
			}
		}
	}
	for _, key := range sortedKeys(secrets) {
		if strings.HasPrefix(key, "containment.") && strings.Contains(key, ".headers.") && !claimed[key] {
			errs = append(errs, fmt.Errorf("secureJsonData[%q]: no containment action has this header key (want containment.<ai_system>.<id>.headers.<name>)", key))
		}
	}
	for system, actions := range in {
		if strings.TrimSpace(system) == "" || len(system) > 200 {
			errs = append(errs, fmt.Errorf("jsonData.containment: AI system name %q is empty or too long", system))
			continue
		}
		seen := map[string]bool{}
		for i, aj := range actions {
			field := fmt.Sprintf("jsonData.containment.%s[%d]", system, i)
			a, err := parseAction(system, aj, secrets)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.%w", field, err))
				continue
			}
			if seen[a.ID] {
				errs = append(errs, fmt.Errorf("%s.id: %q is used twice for %s", field, a.ID, system))
				continue
			}
			seen[a.ID] = true
			cat[system] = append(cat[system], a)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cat, nil
}

func parseAction(system string, j actionJSON, secrets map[string]string) (*Action, error) {
	a := &Action{System: system, ID: j.ID, Kind: j.Kind, Label: strings.TrimSpace(j.Label), Method: strings.ToUpper(j.Method),
		URL: j.URL, Headers: j.Headers, Body: j.Body, RequiresApproval: j.RequiresApproval, DryRunURL: j.DryRunURL,
		StatusURL: j.StatusURL, Idempotent: j.Idempotent, Retries: DefaultRetries, RequestRoles: j.RequestRoles,
		Timeout: DefaultTimeout}
	if !idPattern.MatchString(a.ID) {
		return nil, fmt.Errorf("id: %q: use 1-63 lower-case letters, digits, - and _", a.ID)
	}
	if !slices.Contains(incident.ActionKinds, a.Kind) {
		return nil, fmt.Errorf("kind: %q is not one of %s", a.Kind, strings.Join(incident.ActionKinds, ", "))
	}
	if a.Label == "" || len(a.Label) > 300 {
		return nil, errors.New("label: missing or longer than 300 characters")
	}
	if a.Method == "" {
		a.Method = http.MethodPost
	}
	switch a.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return nil, fmt.Errorf("method: %q is not GET, POST, PUT, PATCH or DELETE", j.Method)
	}
	for field, u := range map[string]string{"url": a.URL, "dryRunUrl": a.DryRunURL, "statusUrl": a.StatusURL} {
		if u == "" && field != "url" {
			continue
		}
		if err := checkURL(u); err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
	}
	for name := range a.Headers {
		if !headerName.MatchString(name) || slices.Contains(reservedHeaders, strings.ToLower(name)) {
			return nil, fmt.Errorf("headers: %q is not a header name Firebreak lets you set", name)
		}
	}
	if err := checkTemplate(a.Body); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	if j.Timeout != "" {
		d, err := time.ParseDuration(j.Timeout)
		if err != nil || d <= 0 || d > MaxTimeout {
			return nil, fmt.Errorf("timeout: %q is not a duration from 1ms to %s", j.Timeout, MaxTimeout)
		}
		a.Timeout = d
	}
	if j.Retries != nil {
		if *j.Retries < 0 || *j.Retries > MaxRetries {
			return nil, fmt.Errorf("retries: %d is not from 0 to %d", *j.Retries, MaxRetries)
		}
		a.Retries = *j.Retries
	}
	if len(a.RequestRoles) == 0 {
		a.RequestRoles = []string{string(incident.Editor), string(incident.Admin)}
	}
	for _, r := range a.RequestRoles {
		if !slices.Contains(allowedRoles, r) {
			return nil, fmt.Errorf("requestRoles: %q is not one of %s (Viewers never run containment)", r, strings.Join(allowedRoles, ", "))
		}
	}
	if err := a.parseSecretHeaders(secrets); err != nil {
		return nil, err
	}
	a.Secret = secrets[SecretKey(system, a.ID)]
	switch {
	case a.Secret == "":
		return nil, fmt.Errorf("secret: missing: set secureJsonData[%q] (the HMAC key the endpoint checks)", SecretKey(system, a.ID))
	case len(a.Secret) < MinSecretLen:
		return nil, fmt.Errorf("secret: secureJsonData[%q] is shorter than %d characters", SecretKey(system, a.ID), MinSecretLen)
	}
	return a, nil
}

// parseSecretHeaders takes the action's header values from secureJsonData. Errors name the key, never the value.
func (a *Action) parseSecretHeaders(secrets map[string]string) error {
	prefix := secretHeaderPrefix(a.System, a.ID)
	for _, key := range sortedKeys(secrets) {
		name, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		v := secrets[key]
		switch {
		case !headerName.MatchString(name) || slices.Contains(reservedHeaders, strings.ToLower(name)):
			return fmt.Errorf("headers: secureJsonData[%q]: %q is not a header name Firebreak lets you set", key, name)
		case v == "":
			return fmt.Errorf("headers: secureJsonData[%q] is empty", key)
		case strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }):
			return fmt.Errorf("headers: secureJsonData[%q] holds a control character (a line break?): not a header value", key)
		}
		canonical := http.CanonicalHeaderKey(name)
		for other := range a.Headers {
			if http.CanonicalHeaderKey(other) == canonical {
				return fmt.Errorf("headers.%s: set both in jsonData and in secureJsonData[%q]: keep one", other, key)
			}
		}
		if _, twice := a.SecretHeaders[canonical]; twice {
			return fmt.Errorf("headers: secureJsonData has %s twice, in different cases", canonical)
		}
		if a.SecretHeaders == nil {
			a.SecretHeaders = map[string]string{}
		}
		a.SecretHeaders[canonical] = v
	}
	return nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", Redact(raw))
	}
	if u.User != nil {
		return errors.New("credentials in the URL are not allowed: use headers or the signature")
	}
	return nil
}

// Redact returns a URL without its query and fragment, for messages and the timeline (a query may carry a token).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// Digest identifies what the action does: kind, method, URLs, headers, body, approval and request rules (not its
// label, timeout, secret or the values of its secureJsonData headers, which are credentials: rotating one is no
// change of the action; their names count). A request records it; a run of a changed action is refused.
func (a *Action) Digest() string {
	h := sha256.New()
	keys := make([]string, 0, len(a.Headers))
	for k := range a.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{a.Kind, a.Method, a.URL, a.DryRunURL, a.StatusURL, a.Body, strconv.FormatBool(a.RequiresApproval),
		strings.Join(a.RequestRoles, ",")}
	for _, k := range keys {
		parts = append(parts, k, a.Headers[k])
	}
	if len(a.SecretHeaders) > 0 { // only then, so that the digests of actions without any stay as they were
		parts = append(parts, "secret headers", strings.Join(sortedKeys(a.SecretHeaders), ","))
	}
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Target is the URL a run calls: the dry-run URL on a drill.
func (a *Action) Target(dryRun bool) string {
	if dryRun {
		return a.DryRunURL
	}
	return a.URL
}

// DrillRefusal says why the action cannot run on a drill incident ("" if it can): a drill only calls dry-run URLs.
func (a *Action) DrillRefusal(inc *incident.Incident) string {
	if !inc.Drill || a.DryRunURL != "" {
		return ""
	}
	return fmt.Sprintf("incident %s is a drill: it only runs dry-run URLs, and %q has none", inc.ID, a.Label)
}

// idempotentMethods may be retried safely whatever the endpoint does with the Idempotency-Key.
var idempotentMethods = []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions}

// Retryable reports whether a failed call of the action may be tried again automatically.
func (a *Action) Retryable() bool {
	return a.Idempotent || slices.Contains(idempotentMethods, a.Method)
}

// Deadline is the latest time a call started at now can still be running: every try with its timeout and backoff.
func (a *Action) Deadline(now time.Time) time.Time {
	tries := 1
	if a.Retryable() {
		tries += a.Retries
	}
	return now.Add(time.Duration(tries)*a.Timeout + backoffTotal(tries) + 5*time.Second)
}

// MayRequest reports whether who may request the action on inc, and if not why. Admins always may.
func (a *Action) MayRequest(who incident.Actor, inc *incident.Incident) (bool, string) {
	if who.Role != incident.Editor && who.Role != incident.Admin {
		return false, fmt.Sprintf("%s is a %s: viewers can see containment actions but not request them", who.Login, who.Role)
	}
	if who.Role == incident.Admin || slices.Contains(a.RequestRoles, string(who.Role)) {
		return true, ""
	}
	for _, r := range a.RequestRoles {
		if inc != nil && incident.SameLogin(inc.Roles[r], who.Login) {
			return true, ""
		}
	}
	return false, fmt.Sprintf("%q may be requested by %s only", a.Label, strings.Join(a.RequestRoles, ", "))
}
