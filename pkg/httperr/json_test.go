package httperr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureLevel has a text form, like incident.Severity.
type fixtureLevel int

func (l *fixtureLevel) UnmarshalText(b []byte) error {
	if string(b) != "high" && string(b) != "low" {
		return fmt.Errorf("unknown level %q (want high or low)", b)
	}
	return nil
}

type fixtureBase struct {
	ID string `json:"id"`
}

type fixtureItem struct {
	Text   string             `json:"text"`
	Due    time.Time          `json:"due"`
	Labels map[string]string  `json:"labels"`
	Values map[string]float64 `json:"values,omitempty"`
	Done   bool               `json:"done"`
}

type fixtureBody struct {
	fixtureBase
	Items    []fixtureItem           `json:"items"`
	Level    fixtureLevel            `json:"level"`
	Small    int8                    `json:"small"`
	Count    uint16                  `json:"count"`
	Ptr      *fixtureItem            `json:"ptr"`
	ByName   map[string]*fixtureItem `json:"by_name"`
	Raw      json.RawMessage         `json:"raw"`
	Any      any                     `json:"any"`
	Blob     []byte                  `json:"blob"`
	Hidden   string                  `json:"-"`
	Untagged string
}

// goTypeNames are what no message may show.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

var goTypeNames = regexp.MustCompile(`Go struct field|Go value|json: |cannot unmarshal|httperr\.|fixture|map\[|\[\]|int8|uint16|float64|time\.Time`)

func TestDescribeNamesTheField(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "empty body: expected a JSON object"},
		{" \n", "empty body: expected a JSON object"},
		{`[]`, "expected an object, got an array"},
		{`"x"`, `expected an object, got "x"`},
		{`{"items":`, "invalid JSON: the body ends in the middle of a value"},
		{`{"items":[}`, "invalid JSON at byte 11: invalid character '}' looking for beginning of value"},
		{`{} {}`, "unexpected data after the JSON value at byte 4"},
		{`{"id":1}`, "id: expected a string, got 1"},
		{`{"items":{}}`, "items: expected an array, got an object"},
		{`{"items":[{}, {"text":true}]}`, "items[1].text: expected a string, got true"},
		{`{"items":[{"labels":{"team":"a","severity":1}}]}`, "items[0].labels.severity: expected a string, got 1"},
		{`{"items":[{"labels":{"a.b c":[]}}]}`, `items[0].labels["a.b c"]: expected a string, got an array`},
		{`{"items":[{"values":{"A":"x"}}]}`, `items[0].values.A: expected a number, got "x"`},
		{`{"items":[{"due":"yesterday"}]}`, `items[0].due: expected a time like "2026-01-02T15:04:05Z" (RFC 3339), got "yesterday"`},
		{`{"items":[{"due":5}]}`, `items[0].due: expected a time like "2026-01-02T15:04:05Z" (RFC 3339), got 5`},
		{`{"items":[{"done":"yes"}]}`, `items[0].done: expected true or false, got "yes"`},
		{`{"level":"medium"}`, `level: unknown level "medium" (want high or low)`},
		{`{"level":3}`, `level: expected a string, got 3`},
		{`{"small":300}`, "small: expected a whole number from -128 to 127, got 300"},
		{`{"small":1.5}`, "small: expected a whole number from -128 to 127, got 1.5"},
		{`{"count":-1}`, "count: expected a whole number from 0 to 65535, got -1"},
		{`{"ptr":{"text":{}}}`, "ptr.text: expected a string, got an object"},
		{`{"by_name":{"x":{"done":1}}}`, "by_name.x.done: expected true or false, got 1"},
		{`{"blob":"not base64!"}`, "blob: "},
		{`{"blob":7}`, "blob: expected a base64 string, got 7"},
		{`{"Untagged":7}`, "Untagged: expected a string, got 7"},
		{`{"untagged":7}`, "untagged: expected a string, got 7"},
		{`{"text":"` + strings.Repeat("x", 100) + `","items":[{"text":"` + strings.Repeat("y", 100) + `"}], "id": false}`, "id: expected a string, got false"},
	} {
		var v fixtureBody
		err := json.Unmarshal([]byte(tc.in), &v)
		require.Error(t, err, tc.in)
		msg := DescribeJSON(err, []byte(tc.in), &v).Error()
		assert.True(t, strings.HasPrefix(msg, tc.want), "%s: got %q, want %q", tc.in, msg, tc.want)
		assert.NotRegexp(t, goTypeNames, msg, tc.in)
		// encoding/json's own message is what this replaces.
		if strings.Contains(err.Error(), "Go struct field") {
			assert.NotEqual(t, err.Error(), msg)
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"id":"a","bogus":1}`, "bogus: unknown field"},
		{`{"items":[{"text":"a"},{"txt":"b"}]}`, "items[1].txt: unknown field"},
		{`{"ptr":{"labels":{"x":"y"},"extra":true}}`, "ptr.extra: unknown field"},
		{`{"items":[{"labels":{"anything":"goes"}}], "Hidden":"x"}`, "Hidden: unknown field"},
		{`{"id":"a"}{"id":"b"}`, "unexpected data after the JSON value at byte 11: send one value"},
		{`{"id":"a"}}`, "unexpected data after the JSON value at byte 11"},
		{`{"id":"a"`, "invalid JSON: the body ends in the middle of a value"},
		{``, "empty body: expected a JSON object"},
		{`{"id":["a"]}`, `id: expected a string, got an array`},
	} {
		var v fixtureBody
		err := DecodeStrict([]byte(tc.in), &v)
		require.Error(t, err, tc.in)
		var fe *FieldError
		require.True(t, errors.As(err, &fe))
		assert.True(t, strings.HasPrefix(err.Error(), tc.want), "%s: got %q, want %q", tc.in, err.Error(), tc.want)
		assert.NotRegexp(t, goTypeNames, err.Error(), tc.in)
	}
	var v fixtureBody
	require.NoError(t, DecodeStrict([]byte(` {"id":"a","items":[{"labels":{"x":"y"}}],"raw":{"any":[1]},"any":{"x":1},"ID":"b"} `+"\n"), &v))
	assert.Equal(t, "b", v.ID)
}

func TestUnmatchedAnswersJSON404And405(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/webhook", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("GET /incidents/{id}", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("PUT /incidents/{id}/review", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("/", Unmatched(mux))
	for _, tc := range []struct {
		method, path string
		status       int
		allow, want  string
	}{
		{"GET", "/nope", 404, "", "no such route: GET /nope"},
		{"GET", "/", 404, "", "no such route: GET /"},
		{"POST", "/incidents/x/nope", 404, "", "no such route"},
		{"GET", "/api/v1/webhook", 405, "POST", "method GET is not allowed on /api/v1/webhook (allowed: POST)"},
		{"DELETE", "/incidents/x", 405, "GET, HEAD", "allowed: GET, HEAD"},
		{"POST", "/incidents/x/review", 405, "PUT", "allowed: PUT"},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		assert.Equal(t, tc.status, rec.Code, tc.path)
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		assert.Equal(t, tc.allow, rec.Header().Get("Allow"))
		var out map[string]string
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
		assert.Contains(t, out["error"], tc.want)
	}
}

// FuzzDescribeJSON: whatever the body, a decoding error becomes a message without Go names, and DescribeJSON never
// panics.
func FuzzDescribeJSON(f *testing.F) {
	for _, s := range []string{``, `{}`, `[]`, `{"items":[{"labels":{"a":1}}]}`, `{"level":"x"}`, `{"small":1e9}`,
		`{"ptr":{"due":"2026-01-01T00:00:00Z","values":{"a":"b"}}}`, `{"by_name":{"x":null,"y":{"done":"t"}}}`,
		`{"blob":"AAAA","raw":[1,2,{"a":}]}`, `{"items":[[[[[[]]]]]]}`, `{"Items":{"x":1}}`, `{"id":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, strict := range []bool{false, true} {
			var v fixtureBody
			var err error
			if strict {
				err = DecodeStrict(in, &v)
			} else if err = json.Unmarshal(in, &v); err != nil {
				err = DescribeJSON(err, in, &v)
			}
			if err == nil {
				continue
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Problem == "" {
				t.Fatalf("strict=%v %q: %v is no FieldError with a problem", strict, in, err)
			}
			// The problem may quote the body's values ("got \"x\""); apart from those, no Go names.
			if problem := quoted.ReplaceAllString(fe.Problem, `""`); goTypeNames.MatchString(problem) {
				t.Fatalf("strict=%v %q: problem %q", strict, in, fe.Problem)
			}
			// The field is the body's own names and indices.
			if !bytes.Contains(in, []byte("fixture")) && !bytes.Contains(in, []byte(`\`)) && strings.Contains(fe.Field, "fixture") {
				t.Fatalf("strict=%v %q: field %q", strict, in, fe.Field)
			}
		}
	})
}
