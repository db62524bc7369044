package webhook

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Grafana's contact-point "Test" button (Grafana's TestReceivers) sends one made-up alert, labelled
// alertname=TestAlert and instance=Grafana (plus any custom labels the user added), with no rule behind it: no
// generatorURL. Its group key is not a real group's: Grafana builds it from the test alert and the moment of the
// test, in one of two forms:
//
//   - current releases: "<receiver>-<fingerprint>-<unix seconds>", the receiver being the name of the tested
//     integration (also the payload's receiver) and the time the alert's startsAt;
//   - older releases: the test labels in Prometheus notation followed by Go's time.String() of the moment of the
//     test, e.g. {alertname="TestAlert", instance="Grafana"}2022-08-31 05:54:04.52289368 +0000 UTC m=+42208.25.
//
// Some releases send the test alert with its labels emptied (the group key still names them). A real alert of a
// Grafana rule has a generatorURL, a group key of its route ("{}/{...}:{...}") and labels; an alert with empty
// labels outside of this shape is refused as before.

var (
	currentTestGroupKey = regexp.MustCompile(`^(.*)-([0-9a-f]{16})-([0-9]{1,19})$`)
	// Go's time.String(): wall clock, zone offset and name, then the monotonic reading if any.
	olderTestGroupKey = regexp.MustCompile(`^(\{.*\})([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)? [+-][0-9]{4} [^ ]+)(?: m=[+-][0-9.]+)?$`)
)

const (
	testAlertName     = "TestAlert"
	testAlertInstance = "Grafana"
)

// IsGrafanaTest reports whether a notification, as decoded and before it is validated, is Grafana's contact-point
// test: Grafana's payload version, one alert without a rule (no generatorURL), labelled as the test alert or with
// no labels, and a group key of a test made at that alert's startsAt (see above).
func (n *Notification) IsGrafanaTest() bool {
	if n.Version != "1" || len(n.Alerts) != 1 {
		return false
	}
	a := &n.Alerts[0]
	if a.GeneratorURL != "" || a.StartsAt.IsZero() {
		return false
	}
	if len(a.Labels) > 0 && (a.Labels["alertname"] != testAlertName || a.Labels["instance"] != testAlertInstance) {
		return false
	}
	if m := currentTestGroupKey.FindStringSubmatch(n.GroupKey); m != nil {
		secs, err := strconv.ParseInt(m[3], 10, 64)
		fingerprint := a.Fingerprint
		if fingerprint == "" {
			fingerprint = toLabelSet(a.Labels).Fingerprint().String()
		}
		return err == nil && m[1] == n.Receiver && m[2] == fingerprint && secs == a.StartsAt.Unix()
	}
	if m := olderTestGroupKey.FindStringSubmatch(n.GroupKey); m != nil {
		at, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", m[2])
		if err != nil || !at.Equal(a.StartsAt) {
			return false
		}
		if len(a.Labels) > 0 {
			return m[1] == toLabelSet(a.Labels).String()
		}
		return strings.HasPrefix(m[1], `{alertname="TestAlert", `) && strings.Contains(m[1], ` instance="Grafana"`)
	}
	return false
}
