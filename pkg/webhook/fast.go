package webhook

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"
)

// decodeFast decodes a notification the way encoding/json does, for the payloads Alertmanager and Grafana write,
// at a fraction of the cost (decoding was a fifth of the receiver's CPU under load). It gives up, returning false,
// on anything it does not handle exactly as encoding/json would: then Decode uses encoding/json, which also
// produces every error message. A fuzz test checks that whatever it decodes equals what encoding/json decodes.
//
// It gives up on: invalid JSON or a value of the wrong type; a field name in another case than the tag, escaped,
// or not ASCII (encoding/json matches names case-insensitively); a map or array field given twice; null where an object is
// expected inside alerts; invalid UTF-8 and UTF-16 surrogate escapes (encoding/json replaces them); nesting
// deeper than maxFastDepth in unknown fields.
func decodeFast(data []byte, n *Notification) bool {
	d := fastDecoder{data: data}
	if !d.notification(n) {
		return false
	}
	d.ws()
	return d.pos == len(d.data)
}

const maxFastDepth = 100

type fastDecoder struct {
	data []byte
	pos  int
}

var notificationFields = []string{"source", "version", "receiver", "status", "groupKey", "groupLabels", "commonLabels",
	"commonAnnotations", "externalURL", "truncatedAlerts", "orgId", "title", "message", "alerts"}

var alertFields = []string{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint",
	"values", "valueString", "dashboardURL", "panelURL", "silenceURL", "imageURL"}

func (d *fastDecoder) notification(n *Notification) bool {
	for first := true; ; first = false {
		key, done, ok := d.nextKey(first)
		if !ok {
			return false
		}
		if done {
			return true
		}
		switch string(key) {
		case "source":
			var s string
			ok = d.stringField(&s)
			n.Source = Source(s)
		case "version":
			ok = d.stringField(&n.Version)
		case "receiver":
			ok = d.stringField(&n.Receiver)
		case "status":
			ok = d.stringField(&n.Status)
		case "groupKey":
			ok = d.stringField(&n.GroupKey)
		case "groupLabels":
			ok = d.stringMap(&n.GroupLabels)
		case "commonLabels":
			ok = d.stringMap(&n.CommonLabels)
		case "commonAnnotations":
			ok = d.stringMap(&n.CommonAnnotations)
		case "externalURL":
			ok = d.stringField(&n.ExternalURL)
		case "truncatedAlerts":
			ok = d.number(func(lit string) (err error) { n.TruncatedAlerts, err = strconv.ParseUint(lit, 10, 64); return })
		case "orgId":
			ok = d.number(func(lit string) (err error) { n.OrgID, err = strconv.ParseInt(lit, 10, 64); return })
		case "title":
			ok = d.stringField(&n.Title)
		case "message":
			ok = d.stringField(&n.Message)
		case "alerts":
			ok = d.alerts(&n.Alerts)
		default:
			ok = d.unknownField(key, notificationFields)
		}
		if !ok {
			return false
		}
	}
}

func (d *fastDecoder) alerts(out *[]Alert) bool {
	if d.null() {
		*out = nil
		return true
	}
	if *out != nil {
		return false // a repeated member: encoding/json merges it into the first
	}
	if !d.consume('[') {
		return false
	}
	alerts := []Alert{}
	if d.consume(']') {
		*out = alerts
		return true
	}
	for {
		alerts = append(alerts, Alert{})
		if !d.alert(&alerts[len(alerts)-1]) {
			return false
		}
		if d.consume(',') {
			continue
		}
		if !d.consume(']') {
			return false
		}
		*out = alerts
		return true
	}
}

func (d *fastDecoder) alert(a *Alert) bool {
	for first := true; ; first = false {
		key, done, ok := d.nextKey(first)
		if !ok {
			return false
		}
		if done {
			return true
		}
		switch string(key) {
		case "status":
			ok = d.stringField(&a.Status)
		case "labels":
			ok = d.stringMap(&a.Labels)
		case "annotations":
			ok = d.stringMap(&a.Annotations)
		case "startsAt":
			ok = d.time(&a.StartsAt)
		case "endsAt":
			ok = d.time(&a.EndsAt)
		case "generatorURL":
			ok = d.stringField(&a.GeneratorURL)
		case "fingerprint":
			ok = d.stringField(&a.Fingerprint)
		case "values":
			ok = d.floatMap(&a.Values)
		case "valueString":
			ok = d.stringField(&a.ValueString)
		case "dashboardURL":
			ok = d.stringField(&a.DashboardURL)
		case "panelURL":
			ok = d.stringField(&a.PanelURL)
		case "silenceURL":
			ok = d.stringField(&a.SilenceURL)
		case "imageURL":
			ok = d.stringField(&a.ImageURL)
		default:
			ok = d.unknownField(key, alertFields)
		}
		if !ok {
			return false
		}
	}
}

// nextKey reads the next member name of an object, and the colon after it: first is true for the first member,
// where the object's '{' comes instead of a comma. done reports the end of the object.
func (d *fastDecoder) nextKey(first bool) (key []byte, done, ok bool) {
	if done, ok = d.nextMember(first); done || !ok {
		return nil, done, ok
	}
	d.ws()
	key, ok = d.plainString()
	return key, false, ok && d.consume(':')
}

// nextMember moves to the next member of an object (past its '{' when first, else past the comma), or past its
// '}' when there is none (done).
func (d *fastDecoder) nextMember(first bool) (done, ok bool) {
	if !first {
		if d.consume(',') {
			return false, true
		}
		return true, d.consume('}')
	}
	if !d.consume('{') {
		return false, false
	}
	if d.consume('}') {
		return true, true
	}
	return false, true
}

// unknownField skips the value of a member encoding/json ignores. A name encoding/json might match to a field
// without case (or by Unicode folding) is left to it.
func (d *fastDecoder) unknownField(key []byte, fields []string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, f := range fields {
		if bytes.EqualFold(key, []byte(f)) {
			return false
		}
	}
	return d.skipValue(0)
}

func (d *fastDecoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *fastDecoder) consume(c byte) bool {
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *fastDecoder) null() bool {
	d.ws()
	if bytes.HasPrefix(d.data[d.pos:], []byte("null")) {
		d.pos += 4
		return true
	}
	return false
}

// stringField decodes a string, or null (which leaves the field as it is, as encoding/json does).
func (d *fastDecoder) stringField(out *string) bool {
	if d.null() {
		return true
	}
	s, ok := d.string()
	*out = s
	return ok
}

func (d *fastDecoder) stringMap(out *map[string]string) bool {
	if d.null() {
		*out = nil
		return true
	}
	if *out != nil {
		return false // a repeated member: encoding/json merges it into the first
	}
	m := map[string]string{}
	for first := true; ; first = false {
		key, done, ok := d.nextMapKey(first)
		if !ok {
			return false
		}
		if done {
			*out = m
			return true
		}
		if d.null() { // encoding/json stores the zero value
			m[key] = ""
			continue
		}
		v, ok := d.string()
		if !ok {
			return false
		}
		m[key] = v
	}
}

func (d *fastDecoder) floatMap(out *map[string]float64) bool {
	if d.null() {
		*out = nil
		return true
	}
	if *out != nil {
		return false // a repeated member: encoding/json merges it into the first
	}
	m := map[string]float64{}
	for first := true; ; first = false {
		key, done, ok := d.nextMapKey(first)
		if !ok {
			return false
		}
		if done {
			*out = m
			return true
		}
		if d.null() {
			m[key] = 0
			continue
		}
		if !d.number(func(lit string) (err error) { m[key], err = strconv.ParseFloat(lit, 64); return }) {
			return false
		}
	}
}

// nextMapKey is nextKey for a map: the key is any string, escapes decoded.
func (d *fastDecoder) nextMapKey(first bool) (key string, done, ok bool) {
	if done, ok = d.nextMember(first); done || !ok {
		return "", done, ok
	}
	key, ok = d.string()
	return key, false, ok && d.consume(':')
}

// time decodes an RFC 3339 time as time.Time's UnmarshalJSON does (null leaves it as it is).
func (d *fastDecoder) time(out *time.Time) bool {
	if d.null() {
		return true
	}
	d.ws()
	start := d.pos
	if _, ok := d.plainString(); !ok {
		return false
	}
	return out.UnmarshalJSON(d.data[start:d.pos]) == nil
}

// number reads a JSON number literal and hands it to parse (which fails for the wrong kind of number).
func (d *fastDecoder) number(parse func(lit string) error) bool {
	d.ws()
	start, i := d.pos, d.pos
	digits := func() bool {
		j := i
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(d.data) && d.data[i] == '-' {
		i++
	}
	if i < len(d.data) && d.data[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(d.data) && d.data[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	d.pos = i
	return parse(string(d.data[start:i])) == nil
}

// plainString reads a string without escapes and returns its bytes (no copy); it gives up on escapes.
func (d *fastDecoder) plainString() ([]byte, bool) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return nil, false
	}
	start := d.pos + 1
	ascii := true
	for i := start; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			if !ascii && !utf8.Valid(d.data[start:i]) {
				return nil, false
			}
			d.pos = i + 1
			return d.data[start:i], true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// string reads a string, decoding escapes.
func (d *fastDecoder) string() (string, bool) {
	d.ws()
	if s, ok := d.plainString(); ok {
		return string(s), true
	}
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return "", false
	}
	var buf []byte
	for i := d.pos + 1; i < len(d.data); {
		c := d.data[i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", false
			}
			d.pos = i + 1
			return string(buf), true
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(d.data) {
			return "", false
		}
		switch e := d.data[i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			if i+6 > len(d.data) {
				return "", false
			}
			r, err := strconv.ParseUint(string(d.data[i+2:i+6]), 16, 32)
			if err != nil || (r >= 0xD800 && r < 0xE000) {
				return "", false // surrogates: encoding/json pairs or replaces them
			}
			buf = utf8.AppendRune(buf, rune(r))
			i += 6
			continue
		default:
			return "", false
		}
		i += 2
	}
	return "", false
}

// skipValue skips any JSON value, checking its syntax.
func (d *fastDecoder) skipValue(depth int) bool {
	if depth > maxFastDepth {
		return false
	}
	d.ws()
	if d.pos >= len(d.data) {
		return false
	}
	switch c := d.data[d.pos]; {
	case c == '"':
		_, ok := d.string()
		return ok
	case c == '{':
		for first := true; ; first = false {
			_, done, ok := d.nextMapKey(first)
			if !ok {
				return false
			}
			if done {
				return true
			}
			if !d.skipValue(depth + 1) {
				return false
			}
		}
	case c == '[':
		d.pos++
		if d.consume(']') {
			return true
		}
		for {
			if !d.skipValue(depth + 1) {
				return false
			}
			if d.consume(',') {
				continue
			}
			return d.consume(']')
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number(func(string) error { return nil })
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(d.data[d.pos:], []byte(lit)) {
			d.pos += len(lit)
			return true
		}
	}
	return false
}
