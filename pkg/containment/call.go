package containment

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Signature headers: the endpoint recomputes HMAC-SHA256(secret, timestamp + "." + body) and compares.
const (
	HeaderTimestamp   = "X-Firebreak-Timestamp"
	HeaderSignature   = "X-Firebreak-Signature"
	HeaderIdempotency = "Idempotency-Key"
)

// Sign returns the X-Firebreak-Signature value of a request sent at ts: "sha256=" and the hex of
// HMAC-SHA256(secret, timestamp + "." + method + " " + requestURI + "\n" + body). The method and URI are signed with
// the body, so a signed request (a dry run, a status read) cannot be replayed against another endpoint.
func Sign(secret string, ts time.Time, method, requestURI string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.%s %s\n", ts.Unix(), method, requestURI)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// TemplateVars are what a body template may use, as {{name}}.
type TemplateVars struct {
	IncidentID, Severity, AISystem, Requester, RequestID, Reason, Action string
}

var placeholder = regexp.MustCompile(`\{\{\s*([a-z_]+)\s*\}\}`)

func (v TemplateVars) lookup(name string) (string, bool) {
	m := map[string]string{"incident_id": v.IncidentID, "severity": v.Severity, "ai_system": v.AISystem,
		"requester": v.Requester, "request_id": v.RequestID, "reason": v.Reason, "action": v.Action}
	s, ok := m[name]
	return s, ok
}

// Render fills a body template. Values are JSON-escaped (as inside a JSON string), so a template like
// {"incident_id": "{{incident_id}}", "reason": "{{reason}}"} stays valid JSON whatever the reason says.
func Render(tmpl string, v TemplateVars) []byte {
	out := placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		s, _ := v.lookup(placeholder.FindStringSubmatch(m)[1])
		q, _ := json.Marshal(s)
		return string(q[1 : len(q)-1])
	})
	return []byte(out)
}

func checkTemplate(tmpl string) error {
	if len(tmpl) > 16<<10 {
		return errors.New("longer than 16 KiB")
	}
	for _, m := range placeholder.FindAllStringSubmatch(tmpl, -1) {
		if _, ok := (TemplateVars{}).lookup(m[1]); !ok {
			return fmt.Errorf("unknown placeholder {{%s}} (known: incident_id, severity, ai_system, requester, request_id, reason, action)", m[1])
		}
	}
	// Values are escaped for JSON only, so only JSON bodies are allowed: in a form body a reason like "x&share=1"
	// would add a field to a signed request.
	if strings.TrimSpace(tmpl) != "" && !json.Valid(Render(tmpl, TemplateVars{Reason: `a "quoted" \ reason`})) {
		return errors.New("not a JSON template: put placeholders inside JSON strings, e.g. {\"reason\": \"{{reason}}\"}")
	}
	return nil
}

// backoff is the wait before try n+1 (n from 1).
func backoff(n int) time.Duration { return time.Duration(250<<min(n-1, 4)) * time.Millisecond }

func backoffTotal(tries int) time.Duration {
	var d time.Duration
	for n := 1; n < tries; n++ {
		d += backoff(n)
	}
	return d
}

// Call is one run of an action's endpoint.
type Call struct {
	Action         *Action
	DryRun         bool // call DryRunURL instead of URL
	Body           []byte
	IdempotencyKey string
}

// Outcome is what a call did.
type Outcome struct {
	Succeeded  bool
	HTTPStatus int
	Latency    time.Duration
	Tries      int
	Answer     string // the first bytes of the last answer, secrets removed
	Error      string // why it failed, for people
}

const (
	maxAnswerRead  = 64 << 10 // read at most this much of an answer
	maxAnswerKept  = 1 << 10  // and keep this much of it
	userAgentValue = "Firebreak-Containment/1"
)

// Caller makes containment calls: signed, with the action's timeout, bounded retries, no redirects and capped
// answers. It only ever calls URLs of the catalog.
type Caller struct {
	HTTP    *http.Client
	Now     func() time.Time
	Secrets func() []string // scrubbed from answers and errors
}

// NewHTTPClient returns the client containment calls use: redirects are never followed (a redirect could send a
// signed request somewhere the admin did not configure); each try has its own timeout through its context.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 4
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Do runs the call and always returns an outcome; it never returns early unless ctx ends.
func (c *Caller) Do(ctx context.Context, call Call) Outcome {
	a := call.Action
	target := a.Target(call.DryRun)
	tries := 1
	if a.Retryable() {
		tries += a.Retries
	}
	start := time.Now()
	var out Outcome
	for n := 1; n <= tries; n++ {
		out = c.try(ctx, a, a.Method, target, call)
		out.Tries = n
		if out.Succeeded || !retryable(out) || n == tries || ctx.Err() != nil {
			break
		}
		select {
		case <-time.After(backoff(n)):
		case <-ctx.Done():
		}
	}
	out.Latency = time.Since(start)
	return out
}

// retryable: connection errors and 5xx answers; not 4xx (the endpoint understood and refused) and not timeouts
// (the action may still be running there).
func retryable(o Outcome) bool {
	return (o.HTTPStatus == 0 && !strings.Contains(o.Error, "timeout")) || o.HTTPStatus >= 500
}

func (c *Caller) try(ctx context.Context, a *Action, method, target string, call Call) Outcome {
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	req, err := c.newRequest(ctx, a, method, target, call.Body, call.IdempotencyKey)
	if err != nil {
		return Outcome{Error: err.Error()}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Outcome{Error: c.scrub(fmt.Sprintf("%s %s: %s", method, Redact(target), describe(err, a.Timeout)))}
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswerRead))
	out := Outcome{HTTPStatus: resp.StatusCode, Answer: excerpt(c.scrub(string(body)))}
	switch {
	case readErr != nil:
		out.Error = c.scrub(fmt.Sprintf("%s %s: reading the answer: %s", method, Redact(target), describe(readErr, a.Timeout)))
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		out.Error = c.scrub(fmt.Sprintf("%s %s answered %s and a redirect to %q, which Firebreak does not follow: configure the final URL",
			method, Redact(target), resp.Status, Redact(resp.Header.Get("Location"))))
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		out.Error = fmt.Sprintf("%s %s answered %s: %s", method, Redact(target), resp.Status, out.Answer)
	default:
		out.Succeeded = true
	}
	return out
}

// newRequest builds a signed request to one of the action's URLs.
func (c *Caller) newRequest(ctx context.Context, a *Action, method, target string, body []byte, idempotencyKey string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s %s: cannot build the request: %v", method, Redact(target), err)
	}
	now := c.Now()
	req.Header.Set("User-Agent", userAgentValue)
	for k, v := range a.Headers {
		req.Header.Set(k, v)
	}
	for k, v := range a.SecretHeaders {
		req.Header.Set(k, v)
	}
	if len(body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(a.Secret, now, method, req.URL.RequestURI(), body))
	if idempotencyKey != "" {
		req.Header.Set(HeaderIdempotency, idempotencyKey)
	}
	return req, nil
}

func describe(err error, timeout time.Duration) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Sprintf("no answer within %s (timeout)", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // drop the *url.Error prefix: it repeats the URL, query included
	}
	return err.Error()
}

func (c *Caller) scrub(s string) string {
	if c.Secrets == nil {
		return s
	}
	for _, secret := range c.Secrets() {
		for _, v := range secretForms(secret) {
			if len(v) >= 4 {
				s = strings.ReplaceAll(s, v, "[redacted]")
			}
		}
	}
	return s
}

// secretForms are the ways an endpoint may echo a secret: as it is, JSON-escaped, and for a header value like
// "Bearer <token>" or "Basic <base64>" its credential alone (and for Basic the decoded user:password and password).
// The longest come first, so that a shorter form never leaves part of a longer one behind.
func secretForms(secret string) []string {
	forms := []string{secret}
	if scheme, cred, ok := strings.Cut(secret, " "); ok && scheme != "" {
		cred = strings.TrimSpace(cred)
		forms = append(forms, cred)
		if strings.EqualFold(scheme, "Basic") {
			if userPass, err := base64.StdEncoding.DecodeString(cred); err == nil {
				forms = append(forms, string(userPass))
				if _, pass, ok := strings.Cut(string(userPass), ":"); ok {
					forms = append(forms, pass)
				}
			}
		}
	}
	for _, f := range forms {
		if q, err := json.Marshal(f); err == nil && string(q[1:len(q)-1]) != f {
			forms = append(forms, string(q[1:len(q)-1]))
		}
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return forms
}

// excerpt is the first bytes of an answer as valid UTF-8.
func excerpt(s string) string {
	if len(s) > maxAnswerKept {
		s = s[:maxAnswerKept]
	}
	return strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
}
