package incident

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// AlertsOf returns the alert episodes of a timeline (ordered by seq, as Events and Fold take it), each as its last
// alert event carries it, ordered by start time and key. Every alert event holds the episode's whole state, so
// this is what the alerts table keeps too, without a second read; Labels is never nil.
func AlertsOf(events []Event) ([]Alert, error) {
	x, err := IndexAlerts(events)
	if err != nil {
		return nil, err
	}
	out := make([]Alert, x.Len())
	for i := range out {
		if out[i], err = x.Alert(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AlertEpisode is what ordering, counting and paging need of an alert episode.
type AlertEpisode struct {
	Key      string
	Status   string // firing | resolved
	StartsAt time.Time
}

// AlertIndex holds the alert episodes of a timeline, ordered by start time and key as AlertsOf orders them, without
// decoding every alert: an incident of an Alertmanager group can hold 10,000, and decoding their bodies (labels,
// annotations, values) took twice as long as ClickHouse took to read them. An episode's key, status, start and
// labels are read from the start of its last alert event's body where that is as AlertBody's encoder writes it
// (alertHeadOf); other bodies are decoded. Alert decodes one episode whole.
type AlertIndex struct {
	events   []Event
	episodes []indexedEpisode
}

type indexedEpisode struct {
	AlertEpisode
	event  int    // index of its last alert event in events
	labels []byte // the labels object as the body holds it, when read from the body's start
	alert  *Alert // the decoded alert, when the body was decoded
}

// IndexAlerts indexes the alert episodes of a timeline (ordered by seq).
func IndexAlerts(events []Event) (*AlertIndex, error) {
	last := map[string]int{} // episode key -> index of its last alert event
	for i := range events {
		if events[i].Kind != KindAlertFired && events[i].Kind != KindAlertResolved {
			continue
		}
		ref, err := alertRefOf(events[i])
		if err != nil {
			return nil, fmt.Errorf("event %d (%s): %w", events[i].Seq, events[i].Kind, err)
		}
		last[ref.Alert.Key] = i
	}
	x := &AlertIndex{events: events, episodes: make([]indexedEpisode, 0, len(last))}
	for _, i := range last {
		ep := indexedEpisode{event: i}
		if events[i].typed == nil { // else it is being appended, its value at hand
			if h, ok := alertHeadOf(events[i].Body); ok {
				ep.Key, ep.Status, ep.StartsAt, ep.labels = h.key, h.status, h.startsAt, h.labels
				x.episodes = append(x.episodes, ep)
				continue
			}
		}
		a, err := decodeAlert(events[i])
		if err != nil {
			return nil, err
		}
		ep.Key, ep.Status, ep.StartsAt, ep.alert = a.Key, a.Status, a.StartsAt, &a
		x.episodes = append(x.episodes, ep)
	}
	slices.SortFunc(x.episodes, func(a, b indexedEpisode) int {
		return cmp.Or(a.StartsAt.Compare(b.StartsAt), cmp.Compare(a.Key, b.Key))
	})
	return x, nil
}

// Len is the number of alert episodes.
func (x *AlertIndex) Len() int { return len(x.episodes) }

// Episode returns episode i (0 <= i < Len()).
func (x *AlertIndex) Episode(i int) AlertEpisode { return x.episodes[i].AlertEpisode }

// Alert decodes episode i whole, as its last alert event holds it.
func (x *AlertIndex) Alert(i int) (Alert, error) {
	if a := x.episodes[i].alert; a != nil {
		return *a, nil
	}
	return decodeAlert(x.events[x.episodes[i].event])
}

// Summary counts the episodes as SummarizeAlerts does.
func (x *AlertIndex) Summary(topValues, maxLabels int) AlertSummary {
	var c labelCounter
	for i := range x.episodes {
		ep := &x.episodes[i]
		c.episode(ep.Status)
		if ep.alert != nil {
			for k, v := range ep.alert.Labels {
				c.label(k, v)
			}
			continue
		}
		eachLabel(ep.labels, c.labelBytes)
	}
	return c.summary(topValues, maxLabels)
}

// decodeAlert decodes the alert of an alert event as AlertsOf returns it: times in UTC, Labels never nil.
func decodeAlert(e Event) (Alert, error) {
	var b AlertBody
	if err := decodeBody(e, &b); err != nil {
		return Alert{}, fmt.Errorf("event %d (%s): %w", e.Seq, e.Kind, err)
	}
	if b.Alert.Labels == nil {
		b.Alert.Labels = map[string]string{}
	}
	b.Alert.StartsAt, b.Alert.EndsAt = b.Alert.StartsAt.UTC(), b.Alert.EndsAt.UTC()
	return b.Alert, nil
}

// alertHead is the start of an alert event's body: up to and including its labels.
type alertHead struct {
	key, status string
	startsAt    time.Time
	labels      []byte // {"name":"value",...} or null, valid as eachLabel reads it
}

// alertHeadOf reads the start of an alert event's body as AlertBody's encoder writes it (appendJSON, or encoding/json:
// the same bytes): {"alert":{"key":..,"fingerprint":..,"alertname":..,"status":..,"starts_at":..[,"ends_at":..],
// "labels":{..}, with strings without escapes. It gives up (ok false) on anything else; then the body is decoded.
// Like alertRefPrefix, it does not look at the rest of the body: bodies are the encoder's own, which never repeats a
// field, and the alerts answered are decoded whole.
func alertHeadOf(body []byte) (h alertHead, ok bool) {
	rest, found := bytes.CutPrefix(body, []byte(`{"alert":{"key":`))
	if !found {
		return h, false
	}
	var key, status, start []byte
	for _, f := range []struct {
		prefix string
		out    *[]byte
	}{{"", &key}, {`,"fingerprint":`, nil}, {`,"alertname":`, nil}, {`,"status":`, &status}, {`,"starts_at":`, &start}} {
		if rest, found = bytes.CutPrefix(rest, []byte(f.prefix)); !found {
			return h, false
		}
		var s []byte
		if s, rest, ok = unescapedString(rest); !ok {
			return h, false
		}
		if f.out != nil {
			*f.out = s
		}
	}
	if err := h.startsAt.UnmarshalJSON(start); err != nil { // with its quotes, as encoding/json hands it over
		return h, false
	}
	if after, found := bytes.CutPrefix(rest, []byte(`,"ends_at":`)); found {
		if _, rest, ok = unescapedString(after); !ok {
			return h, false
		}
	}
	if rest, found = bytes.CutPrefix(rest, []byte(`,"labels":`)); !found {
		return h, false
	}
	n := labelsLen(rest)
	if n == 0 || n >= len(rest) || (rest[n] != ',' && rest[n] != '}') {
		return h, false
	}
	h.key, h.status, h.labels = string(key[1:len(key)-1]), string(status[1:len(status)-1]), rest[:n]
	h.startsAt = h.startsAt.UTC()
	return h, true
}

// unescapedString reads a JSON string at the start of b that has no escapes and no control characters and is valid
// UTF-8 (so that it decodes to its own bytes), and returns it with its quotes, and what follows it.
func unescapedString(b []byte) (s, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, nil, false
	}
	ascii := true
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			if !ascii && !utf8.Valid(b[1:i]) {
				return nil, nil, false
			}
			return b[:i+1], b[i+1:], true
		case c == '\\' || c < 0x20:
			return nil, nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, nil, false
}

// labelsLen returns the length of the labels object at the start of b ("null" or an object of unescaped strings
// without spaces), or 0 if there is none such.
func labelsLen(b []byte) int {
	if bytes.HasPrefix(b, []byte("null")) {
		return 4
	}
	if len(b) < 2 || b[0] != '{' {
		return 0
	}
	if b[1] == '}' {
		return 2
	}
	rest := b[1:]
	for {
		var ok bool
		if _, rest, ok = unescapedString(rest); !ok || len(rest) == 0 || rest[0] != ':' {
			return 0
		}
		if _, rest, ok = unescapedString(rest[1:]); !ok || len(rest) == 0 {
			return 0
		}
		switch rest[0] {
		case ',':
			rest = rest[1:]
		case '}':
			return len(b) - len(rest) + 1
		default:
			return 0
		}
	}
}

// eachLabel calls f with each name and value (without quotes) of a labels object labelsLen accepted.
func eachLabel(labels []byte, f func(name, value []byte)) {
	if len(labels) <= 2 || labels[0] != '{' { // {}, null
		return
	}
	rest := labels[1:]
	for len(rest) > 1 {
		name, after, _ := unescapedString(rest)
		value, after, _ := unescapedString(after[1:])
		f(name[1:len(name)-1], value[1:len(value)-1])
		rest = after[1:] // past the comma, or the closing brace
	}
}
