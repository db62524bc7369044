package webhook

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fast decoder and encoding/json agree on every payload the fast decoder accepts.
func FuzzDecodeFastMatchesEncodingJSON(f *testing.F) {
	for _, name := range []string{"alertmanager-v4.json", "alertmanager-v3-old.json", "grafana.json", "mixed-truncated.json", "grafana-test-predefined.json", "grafana-test-empty-labels.json"} {
		f.Add(load(f, name))
	}
	for _, tc := range fastCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast Notification
		if !decodeFast(body, &fast) {
			return
		}
		var std Notification
		if err := json.Unmarshal(body, &std); err != nil {
			t.Fatalf("fast decoder accepted what encoding/json rejects (%v): %q", err, body)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("fast decoder and encoding/json differ on %q:\nfast %#v\nstd  %#v", body, fast, std)
		}
	})
}

const fastAlert = `{"status":"firing","labels":{"alertname":"X"},"startsAt":"2026-01-01T00:00:00Z"}`

var fastCases = []struct {
	name, body string
	fast       bool // the fast decoder takes it (else encoding/json does)
}{
	{"minimal", `{"status":"firing","version":"4","alerts":[` + fastAlert + `]}`, true},
	{"escapes", `{"groupKey":"{}:{alertname=\"X\"}","receiver":"a\u0026b\n\/\\\t\b\f\r","alerts":[]}`, true},
	{"unicode", `{"receiver":"zürich ✓","commonLabels":{"ключ":"значение"}}`, true},
	{"unknown fields skipped", `{"extra":{"a":[1,2.5e3,-0.1,true,false,null,{"b":"c"}]},"alerts":[{"extra2":[],"status":"firing"}]}`, true},
	{"nulls", `{"receiver":null,"groupLabels":null,"alerts":null,"commonLabels":{"a":null}}`, true},
	{"empty maps and alerts", `{"groupLabels":{},"alerts":[]}`, true},
	{"numbers", `{"truncatedAlerts":3,"orgId":-7,"alerts":[{"values":{"A":1.5,"B":-2e-3,"C":0}}]}`, true},
	{"whitespace", " \t\r\n{ \"status\" : \"firing\" , \"alerts\" : [ ] } \n", true},
	{"endsAt zero", `{"alerts":[{"endsAt":"0001-01-01T00:00:00Z","startsAt":"2026-01-01T00:00:00.123+02:00"}]}`, true},

	{"field in another case", `{"Status":"firing"}`, false},
	{"scalar field twice", `{"status":"firing","status":"resolved","receiver":"a","receiver":null}`, true},
	{"map field twice", `{"commonLabels":{"a":"b"},"commonLabels":{"c":"d"}}`, false},
	{"alerts twice", `{"alerts":[{"status":"firing"}],"alerts":[{"fingerprint":"x"}]}`, false},
	{"escaped field name", `{"st\u0061tus":"firing"}`, false},
	{"non-ASCII field name", `{"ſtatus":"firing"}`, false},
	{"surrogate pair", `{"receiver":"\ud83d\ude00"}`, false},
	{"invalid UTF-8", "{\"receiver\":\"\xff\"}", false},
	{"control character", "{\"receiver\":\"a\x01\"}", false},
	{"null alert", `{"alerts":[null]}`, false},
	{"truncatedAlerts float", `{"truncatedAlerts":1.5}`, false},
	{"truncatedAlerts null", `{"truncatedAlerts":null}`, false},
	{"label not a string", `{"commonLabels":{"a":1}}`, false},
	{"bad time", `{"alerts":[{"startsAt":"yesterday"}]}`, false},
	{"trailing data", `{}{}`, false},
	{"trailing comma", `{"status":"firing",}`, false},
	{"leading zero", `{"orgId":01}`, false},
	{"not an object", `[]`, false},
	{"top-level null", `null`, false},
	{"truncated", `{"status":"fir`, false},
	{"too deep", `{"x":` + string(make([]byte, 0)) + deep(200) + `}`, false},
}

func deep(n int) string {
	b := make([]byte, 0, 2*n)
	for range n {
		b = append(b, '[')
	}
	for range n {
		b = append(b, ']')
	}
	return string(b)
}

func TestDecodeFast(t *testing.T) {
	for _, tc := range fastCases {
		t.Run(tc.name, func(t *testing.T) {
			var fast Notification
			ok := decodeFast([]byte(tc.body), &fast)
			require.Equal(t, tc.fast, ok)
			if !ok {
				return
			}
			var std Notification
			require.NoError(t, json.Unmarshal([]byte(tc.body), &std))
			assert.Equal(t, std, fast)
		})
	}
}

// The test data decodes on the fast path: the path the receiver takes for real payloads.
func TestDecodeFastTakesRealPayloads(t *testing.T) {
	for _, name := range []string{"alertmanager-v4.json", "alertmanager-v3-old.json", "grafana.json", "mixed-truncated.json", "grafana-test-predefined.json", "grafana-test-empty-labels.json"} {
		var n Notification
		assert.True(t, decodeFast(load(t, name), &n), name)
	}
}

// BenchmarkDecode compares Decode (fast path) with encoding/json decoding the same payloads, in the same run.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"alertmanager-v4.json", "grafana.json"} {
		body := load(b, name)
		b.Run(name+"/Decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var n Notification
				if err := json.Unmarshal(body, &n); err != nil {
					b.Fatal(err)
				}
				if err := n.normalize(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
