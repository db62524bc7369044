// Package webhook decodes and validates the notifications Prometheus Alertmanager (payload versions 2 to 4) and
// Grafana-managed alerting (version 1) send to a webhook receiver, into one normalized Notification.
//
// Unknown fields are ignored, since newer releases add fields. Everything Firebreak relies on is checked, and an
// error names the field and the problem, so a sender can be told what is wrong.
package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/firebreak-dev/firebreak/pkg/httperr"
)

// Source says which system sent a notification.
type Source string

const (
	Alertmanager Source = "alertmanager"
	Grafana      Source = "grafana"
)

// Notification is one webhook call: a group of alerts as Alertmanager or Grafana sent it, normalized: times in UTC,
// a fingerprint on every alert, a group key even where the sender had none.
type Notification struct {
	Source            Source            `json:"source"`
	Version           string            `json:"version"`
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	GroupKey          string            `json:"groupKey"`
	GroupLabels       map[string]string `json:"groupLabels,omitempty"`
	CommonLabels      map[string]string `json:"commonLabels,omitempty"`
	CommonAnnotations map[string]string `json:"commonAnnotations,omitempty"`
	ExternalURL       string            `json:"externalURL,omitempty"`
	TruncatedAlerts   uint64            `json:"truncatedAlerts,omitempty"`
	// Grafana only.
	OrgID   int64  `json:"orgId,omitempty"`
	Title   string `json:"title,omitempty"`
	Message string `json:"message,omitempty"`

	Alerts []Alert `json:"alerts"`

	// Test marks Grafana's contact-point test notification (see IsGrafanaTest): it is answered, never stored.
	Test bool `json:"-"`
}

// Alert is one alert of a notification.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	Fingerprint  string            `json:"fingerprint"`
	// Grafana only.
	Values       map[string]float64 `json:"values,omitempty"`
	ValueString  string             `json:"valueString,omitempty"`
	DashboardURL string             `json:"dashboardURL,omitempty"`
	PanelURL     string             `json:"panelURL,omitempty"`
	SilenceURL   string             `json:"silenceURL,omitempty"`
	ImageURL     string             `json:"imageURL,omitempty"`
}

// Firing reports whether the alert is firing (else it is resolved).
func (a *Alert) Firing() bool { return a.Status == StatusFiring }

const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Limits that keep a single notification from exhausting the receiver or the store.
const (
	MaxAlerts       = 10000
	MaxLabels       = 256
	maxFingerprint  = 128
	maxLabelNameLen = 1024
)

// Times a ClickHouse DateTime can hold; anything outside is a broken sender, not an alert.
var (
	minTime = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
)

// Error is a decoding or validation error that names what is wrong. Field is a JSON path ("alerts[2].startsAt"),
// empty when the body as a whole is the problem.
type Error struct {
	Field   string
	Problem string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return e.Field + ": " + e.Problem
}

func errorf(field, format string, args ...any) *Error {
	return &Error{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Decode parses and validates a webhook body.
func Decode(body []byte) (*Notification, error) {
	var n Notification
	if !decodeFast(body, &n) {
		if len(bytes.Trim(body, " \t\r\n")) == 0 { // JSON's whitespace only
			return nil, &Error{Problem: "empty body: expected a JSON object"}
		}
		n = Notification{}
		if err := json.Unmarshal(body, &n); err != nil {
			return nil, jsonError(err, body)
		}
	}
	if err := n.normalize(); err != nil {
		return nil, err
	}
	return &n, nil
}

// jsonError names the field of an encoding/json error, in the words of JSON (httperr.DescribeJSON), not Go's.
func jsonError(err error, body []byte) *Error {
	fe := httperr.DescribeJSON(err, body, &Notification{})
	return &Error{Field: fe.Field, Problem: fe.Problem}
}

func (n *Notification) normalize() error {
	switch n.Version {
	case "1":
		n.Source = Grafana
	case "", "2", "3", "4":
		n.Source = Alertmanager
		if n.OrgID != 0 {
			n.Source = Grafana
		}
	default:
		return errorf("version", "unsupported payload version %q (want Alertmanager 4 or older, or Grafana 1)", n.Version)
	}
	if n.Status != StatusFiring && n.Status != StatusResolved {
		return errorf("status", "must be %q or %q, got %q", StatusFiring, StatusResolved, n.Status)
	}
	if len(n.Alerts) == 0 {
		return errorf("alerts", "no alerts in the notification")
	}
	if len(n.Alerts) > MaxAlerts {
		return errorf("alerts", "%d alerts in one notification; at most %d are accepted", len(n.Alerts), MaxAlerts)
	}
	for _, m := range []struct {
		name string
		kv   map[string]string
	}{{"groupLabels", n.GroupLabels}, {"commonLabels", n.CommonLabels}, {"commonAnnotations", n.CommonAnnotations}} {
		if err := checkLabels(m.name, m.kv, false); err != nil {
			return err
		}
	}
	n.Test = n.IsGrafanaTest()
	for i := range n.Alerts {
		if err := n.Alerts[i].normalize(fmt.Sprintf("alerts[%d]", i), n.Test); err != nil {
			return err
		}
	}
	if n.GroupKey == "" {
		n.GroupKey = derivedGroupKey(n.Receiver, n.GroupLabels)
	}
	return nil
}

// normalize checks and normalizes an alert; emptyLabels allows an alert without labels (Grafana's test).
func (a *Alert) normalize(path string, emptyLabels bool) error {
	if a.Status != StatusFiring && a.Status != StatusResolved {
		return errorf(path+".status", "must be %q or %q, got %q", StatusFiring, StatusResolved, a.Status)
	}
	if len(a.Labels) == 0 && !emptyLabels {
		return errorf(path+".labels", "an alert needs at least one label")
	}
	if err := checkLabels(path+".labels", a.Labels, true); err != nil {
		return err
	}
	if err := checkLabels(path+".annotations", a.Annotations, false); err != nil {
		return err
	}
	if a.StartsAt.IsZero() {
		return errorf(path+".startsAt", "missing")
	}
	if a.StartsAt.Before(minTime) || a.StartsAt.After(maxTime) {
		return errorf(path+".startsAt", "%s is out of range (1970-01-02 to 2105-12-31)", a.StartsAt.Format(time.RFC3339))
	}
	a.StartsAt = a.StartsAt.UTC()
	if a.Firing() {
		a.EndsAt = time.Time{} // a firing alert's endsAt is only a resend hint
	} else {
		switch {
		case a.EndsAt.IsZero():
			return errorf(path+".endsAt", "a resolved alert needs endsAt")
		case a.EndsAt.Before(a.StartsAt):
			return errorf(path+".endsAt", "%s is before startsAt %s", a.EndsAt.Format(time.RFC3339), a.StartsAt.Format(time.RFC3339))
		case a.EndsAt.After(maxTime):
			return errorf(path+".endsAt", "%s is out of range", a.EndsAt.Format(time.RFC3339))
		}
		a.EndsAt = a.EndsAt.UTC()
	}
	switch {
	case a.Fingerprint == "":
		a.Fingerprint = model.LabelSet(toLabelSet(a.Labels)).Fingerprint().String()
	case len(a.Fingerprint) > maxFingerprint:
		return errorf(path+".fingerprint", "longer than %d characters", maxFingerprint)
	}
	return nil
}

func checkLabels(path string, kv map[string]string, isLabels bool) error {
	if len(kv) > MaxLabels {
		return errorf(path, "%d entries; at most %d are accepted", len(kv), MaxLabels)
	}
	for k := range kv {
		if k == "" {
			return errorf(path, "empty name")
		}
		if len(k) > maxLabelNameLen {
			return errorf(path, "name longer than %d bytes", maxLabelNameLen)
		}
		if isLabels && strings.ContainsRune(k, 0) {
			return errorf(path, "name contains a NUL byte")
		}
	}
	return nil
}

func toLabelSet(kv map[string]string) model.LabelSet {
	ls := make(model.LabelSet, len(kv))
	for k, v := range kv {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls
}

// derivedGroupKey stands in for groupKey in old payloads: the receiver and the group labels, in Alertmanager's format.
func derivedGroupKey(receiver string, groupLabels map[string]string) string {
	names := make([]string, 0, len(groupLabels))
	for k := range groupLabels {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(receiver)
	b.WriteString(":{")
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, groupLabels[k])
	}
	b.WriteByte('}')
	return b.String()
}
