package incident

import (
	"encoding/json"
	"slices"
)

// appendJSON appends the body as encoding/json writes it, without reflection: an alert event is built for every
// alert the receiver takes in, and encoding/json (its map sorting and reflection) was a twentieth of the receiver's
// CPU. FuzzAlertBodyJSONMatchesEncodingJSON holds the two to the same bytes. ok is false for a time encoding/json
// cannot write either (a year outside 0-9999).
func (b AlertBody) appendJSON(dst []byte) (_ []byte, ok bool) {
	a := &b.Alert
	dst = append(dst, `{"alert":{"key":`...)
	dst = appendJSONString(dst, a.Key)
	dst = appendJSONString(append(dst, `,"fingerprint":`...), a.Fingerprint)
	dst = appendJSONString(append(dst, `,"alertname":`...), a.Name)
	dst = appendJSONString(append(dst, `,"status":`...), a.Status)
	var err error
	if dst, err = appendJSONTime(append(dst, `,"starts_at":`...), a.StartsAt); err != nil {
		return nil, false
	}
	if !a.EndsAt.IsZero() {
		if dst, err = appendJSONTime(append(dst, `,"ends_at":`...), a.EndsAt); err != nil {
			return nil, false
		}
	}
	dst = appendJSONStringMap(append(dst, `,"labels":`...), a.Labels)
	if len(a.Annotations) > 0 {
		dst = appendJSONStringMap(append(dst, `,"annotations":`...), a.Annotations)
	}
	if a.GeneratorURL != "" {
		dst = appendJSONString(append(dst, `,"generator_url":`...), a.GeneratorURL)
	}
	for _, link := range [...]struct{ name, url string }{{`,"dashboard_url":`, a.DashboardURL}, {`,"panel_url":`, a.PanelURL},
		{`,"silence_url":`, a.SilenceURL}, {`,"image_url":`, a.ImageURL}} {
		if link.url != "" {
			dst = appendJSONString(append(dst, link.name...), link.url)
		}
	}
	if len(a.Values) > 0 {
		v, err := json.Marshal(a.Values) // rare (Grafana's values), and encoding/json's float format is subtle
		if err != nil {
			return nil, false
		}
		dst = append(append(dst, `,"values":`...), v...)
	}
	dst = appendJSONString(append(dst, `,"source":`...), a.Source)
	return append(dst, "}}"...), true
}

// appendJSONStringMap appends m as a JSON object with its keys sorted, as encoding/json does (null for a nil map).
func appendJSONStringMap(dst []byte, m map[string]string) []byte {
	if m == nil {
		return append(dst, "null"...)
	}
	var keysBuf [16]string
	keys := keysBuf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendJSONString(dst, k), ':')
		dst = appendJSONString(dst, m[k])
	}
	return append(dst, '}')
}
