package httperr

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FieldError is a problem with a JSON body, at Field: a path like "alerts[0].labels.severity", "" when the body as
// a whole is the problem.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return e.Field + ": " + e.Problem
}

// DecodeStrict decodes body, one JSON value, into v (a pointer), refusing unknown fields and anything after the
// value. Its error is a *FieldError naming the field.
func DecodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describe(err, body, v, true)
	}
	if rest := bytes.Trim(body[dec.InputOffset():], jsonSpace); len(rest) > 0 {
		return &FieldError{Problem: fmt.Sprintf("unexpected data after the JSON value at byte %d: send one value", len(body)-len(rest)+1)}
	}
	return nil
}

// DescribeJSON turns an error that encoding/json returned decoding body into v (json.Unmarshal(body, v), unknown
// fields allowed) into a FieldError that names the field, with no Go type names. It works on the error path only:
// it walks the body along v's type to find the first value that does not fit.
func DescribeJSON(err error, body []byte, v any) *FieldError { return describe(err, body, v, false) }

const jsonSpace = " \t\r\n"

func describe(err error, body []byte, v any, strict bool) *FieldError {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	var syntax *json.SyntaxError
	switch {
	case len(bytes.Trim(body, jsonSpace)) == 0:
		if expected(reflect.TypeOf(v)) == "expected an object" {
			return &FieldError{Problem: "empty body: expected a JSON object"}
		}
		return &FieldError{Problem: "empty body: expected JSON"}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &syntax) && syntax.Error() == "unexpected end of JSON input":
		return &FieldError{Problem: "invalid JSON: the body ends in the middle of a value"}
	case errors.As(err, &syntax) && strings.HasSuffix(syntax.Error(), "after top-level value"):
		return &FieldError{Problem: fmt.Sprintf("unexpected data after the JSON value at byte %d: send one value", syntax.Offset)}
	case errors.As(err, &syntax):
		return &FieldError{Problem: fmt.Sprintf("invalid JSON at byte %d: %s", syntax.Offset, syntax.Error())}
	}
	if t := reflect.TypeOf(v); t != nil {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		var first json.RawMessage // a Decoder stops after the first value
		if json.NewDecoder(bytes.NewReader(body)).Decode(&first) == nil {
			body = first
		}
		w := walker{strict: strict}
		if field, problem, ok := w.locate(body, t, "", 0); ok {
			return &FieldError{Field: field, Problem: problem}
		}
	}
	// The walk found nothing (it should not happen): say what encoding/json said, without its Go names.
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return &FieldError{Field: typ.Field, Problem: expected(typ.Type) + ", got " + gotWords(typ.Value)}
	}
	return &FieldError{Problem: clean(strings.TrimPrefix(err.Error(), "json: "))}
}

// gotWords describes an UnmarshalTypeError's Value ("number", "number 1.5", "string", "object", ...).
func gotWords(v string) string {
	switch {
	case v == "object", v == "array":
		return "an " + v
	case v == "bool":
		return "true or false"
	case strings.HasPrefix(v, "number "):
		return strings.TrimPrefix(v, "number ")
	}
	return "a " + v
}

var goNames = regexp.MustCompile(`Go (struct field|value)|\bjson: |[a-z][a-z0-9_]*\.[A-Z][A-Za-z0-9_]*`)

// clean keeps a message that would show Go names out of an answer.
func clean(msg string) string {
	if goNames.MatchString(msg) {
		return "invalid value"
	}
	return msg
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

// walker follows a JSON value along a Go type the way encoding/json decodes it, to find the first member that does
// not fit, with its path.
type walker struct {
	strict bool // unknown object members are an error (Decoder.DisallowUnknownFields)
}

const maxDepth = 100

// locate returns the path of the first value in raw that does not decode into t, and why.
func (w walker) locate(raw []byte, t reflect.Type, path string, depth int) (string, string, bool) {
	raw = bytes.Trim(raw, jsonSpace)
	if len(raw) == 0 || depth > maxDepth {
		return "", "", false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pt := reflect.PointerTo(t)
	isNull := string(raw) == "null"
	switch {
	case pt.Implements(jsonUnmarshaler):
		return leaf(raw, t, path)
	case isNull:
		return "", "", false // null leaves a value as it is
	case pt.Implements(textUnmarshaler) && (raw[0] == '"' || (t.Kind() != reflect.Struct && t.Kind() != reflect.Map && t.Kind() != reflect.Slice)):
		return leaf(raw, t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if raw[0] != '{' {
			return path, expected(t) + ", got " + got(raw), true
		}
		fields := structFields(t, 0)
		return w.members(raw, path, depth, func(key string) (reflect.Type, bool) {
			var match *field
			for i := range fields { // an exact name first, then as encoding/json does, any case; the shallowest wins
				f := &fields[i]
				if f.name == key && (match == nil || match.name != key || f.depth < match.depth) {
					match = f
				} else if match == nil && strings.EqualFold(f.name, key) {
					match = f
				}
			}
			if match == nil {
				return nil, false
			}
			return match.typ, true
		})
	case reflect.Map:
		if raw[0] != '{' {
			return path, expected(t) + ", got " + got(raw), true
		}
		return w.members(raw, path, depth, func(string) (reflect.Type, bool) { return t.Elem(), true })
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && raw[0] == '"' {
			return leaf(raw, t, path)
		}
		if raw[0] != '[' {
			return path, expected(t) + ", got " + got(raw), true
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		if _, err := dec.Token(); err != nil {
			return "", "", false
		}
		for i := 0; dec.More(); i++ {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return "", "", false
			}
			if t.Kind() == reflect.Array && i >= t.Len() {
				break // encoding/json drops the rest
			}
			if p, problem, ok := w.locate(v, t.Elem(), path+"["+strconv.Itoa(i)+"]", depth+1); ok {
				return p, problem, true
			}
		}
		return "", "", false
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return "", "", false // anything fits
		}
	}
	return leaf(raw, t, path)
}

// members walks the members of a JSON object; typeOf says what a member decodes into, or that it is unknown.
func (w walker) members(raw []byte, path string, depth int, typeOf func(string) (reflect.Type, bool)) (string, string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return "", "", false
	}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return "", "", false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "", "", false
		}
		t, known := typeOf(key)
		if !known {
			if w.strict {
				return join(path, key), "unknown field", true
			}
			continue
		}
		if p, problem, ok := w.locate(v, t, join(path, key), depth+1); ok {
			return p, problem, true
		}
	}
	return "", "", false
}

// leaf decodes one value on its own and describes its error.
func leaf(raw []byte, t reflect.Type, path string) (string, string, bool) {
	err := json.Unmarshal(raw, reflect.New(t).Interface())
	if err == nil {
		return "", "", false
	}
	var typ *json.UnmarshalTypeError
	switch {
	case t == timeType:
		return path, expected(t) + ", got " + got(raw), true
	case errors.As(err, &typ):
		return path, expected(t) + ", got " + got(raw), true
	}
	return path, clean(strings.TrimPrefix(err.Error(), "json: ")), true
}

var simpleKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func join(path, key string) string {
	switch {
	case !simpleKey.MatchString(key):
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

// expected says in JSON's words what a Go type takes.
func expected(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return `expected a time like "2026-01-02T15:04:05Z" (RFC 3339)`
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) && !reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return "expected a string"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "expected true or false"
	case reflect.String:
		return "expected a string"
	case reflect.Int8, reflect.Int16, reflect.Int32:
		bits := t.Bits()
		return fmt.Sprintf("expected a whole number from %d to %d", -(int64(1) << (bits - 1)), int64(1)<<(bits-1)-1)
	case reflect.Int, reflect.Int64:
		return "expected a whole number"
	case reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return fmt.Sprintf("expected a whole number from 0 to %d", uint64(1)<<t.Bits()-1)
	case reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return fmt.Sprintf("expected a whole number from 0 to %d", uint64(math.MaxUint64))
	case reflect.Float32, reflect.Float64:
		return "expected a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "expected a base64 string"
		}
		return "expected an array"
	case reflect.Map, reflect.Struct:
		return "expected an object"
	}
	return "expected another value"
}

// got describes a JSON value in a message: numbers, booleans and short strings as they are, others by kind.
func got(raw []byte) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		if len(raw) <= 42 {
			return string(raw)
		}
		return "a string"
	case 't', 'f', 'n':
		return string(raw)
	}
	if len(raw) <= 40 {
		return string(raw)
	}
	return "a number"
}

type field struct {
	name  string
	typ   reflect.Type
	depth int
}

// structFields lists the JSON members of a struct as encoding/json sees them: tag names, untagged embedded structs'
// fields promoted (one level deeper), "-" and unexported fields left out.
func structFields(t reflect.Type, depth int) []field {
	var out, embedded []field
	if depth > maxDepth {
		return nil
	}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if name == "" && et.Kind() == reflect.Struct {
				embedded = append(embedded, structFields(et, depth+1)...)
				continue
			}
			if !sf.IsExported() {
				continue
			}
		} else if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if strings.Contains(","+opts+",", ",string,") {
			ft = reflect.TypeFor[any]() // the value is quoted: not checked here
		}
		out = append(out, field{name: name, typ: ft, depth: depth})
	}
	return append(out, embedded...)
}
