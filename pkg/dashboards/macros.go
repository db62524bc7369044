package dashboards

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The SQL of a panel reaches ClickHouse in two passes, as with the ClickHouse data source
// (grafana-clickhouse-datasource v4):
//
//  1. In the browser, the data source resolves $__conditionalAll(condition, $var) (the condition, or 1=1 when the
//     variable is All or empty) and then Grafana's template variables ($var, ${var}, [[var]]); a multi-value
//     variable becomes its values quoted and joined, 'a','b', a single value is put in as it is. Grafana's own
//     variables ($__interval, $__interval_ms, $__from, $__to) are template variables too.
//  2. In the plugin's backend, the macros: $__timeFilter(col) is col >= toDateTime(from) AND col <= toDateTime(to),
//     $__fromTime and $__toTime are toDateTime(from) and toDateTime(to) (Unix seconds), $__interval_s the query
//     interval in whole seconds (at least 1), $__timeInterval(col) toStartOfInterval(toDateTime(col), INTERVAL n
//     second). The _ms forms use fromUnixTimestamp64Milli.
//
// Expand does both, so that the tests send ClickHouse what Grafana would.

// Request is what Grafana fills a panel's SQL with: the dashboard's time range, the panel's interval and the values
// of the dashboard's variables.
type Request struct {
	From, To time.Time
	Interval time.Duration
	Vars     map[string]Var
}

// Var is the current value of a dashboard variable.
type Var struct {
	Values []string
	Multi  bool // a multi-value variable: its values are quoted and joined
	All    bool // "All" is selected
}

// allValue is Grafana's value of a variable whose "All" option is selected.
const allValue = "$__all"

// Expand resolves the template variables and the data source's macros in sql. A variable or macro it does not know
// is an error, not left in the SQL.
func Expand(sql string, q Request) (string, error) {
	out, err := conditionalAll(sql, q.Vars)
	if err != nil {
		return "", err
	}
	if out, err = templateVars(out, q); err != nil {
		return "", err
	}
	return macros(out, q)
}

// ExpandPromQL resolves the template variables of a Prometheus query as Grafana does, $__rate_interval included:
// max($__interval + the scrape interval, 4 x the scrape interval). Its variables must have one value each.
func ExpandPromQL(expr string, q Request, scrapeInterval time.Duration) (string, error) {
	for name, v := range q.Vars {
		if v.Multi || v.All || len(v.Values) != 1 {
			return "", fmt.Errorf("variable %s: a Prometheus query here takes one value, not %+v", name, v)
		}
	}
	rateInterval := max(q.Interval+scrapeInterval, 4*scrapeInterval)
	expr = strings.NewReplacer("$__rate_interval", formatInterval(rateInterval), "${__rate_interval}", formatInterval(rateInterval)).Replace(expr)
	out, err := templateVars(expr, q)
	if err != nil {
		return "", err
	}
	if m := macroName.FindString(out); m != "" {
		return "", fmt.Errorf("%s: not a variable Grafana fills in", m)
	}
	return out, nil
}

// conditionalAll resolves $__conditionalAll(condition, $var), innermost last as the data source does.
func conditionalAll(sql string, vars map[string]Var) (string, error) {
	const name = "$__conditionalAll("
	for {
		i := strings.LastIndex(sql, name)
		if i < 0 {
			return sql, nil
		}
		args, end, err := macroArgs(sql, i+len(name)-1)
		if err != nil {
			return "", fmt.Errorf("$__conditionalAll at %d: %w", i, err)
		}
		if len(args) != 2 {
			return "", fmt.Errorf("$__conditionalAll at %d: want 2 arguments (condition, $variable), got %d", i, len(args))
		}
		ref := strings.TrimSpace(args[1])
		m := variableRef.FindStringSubmatch(ref)
		if m == nil || m[0] != ref {
			return "", fmt.Errorf("$__conditionalAll at %d: %q is not a variable", i, ref)
		}
		v, ok := vars[refName(m)]
		if !ok {
			return "", fmt.Errorf("$__conditionalAll at %d: unknown variable %s", i, ref)
		}
		phrase := args[0]
		if v.All || len(v.Values) == 0 || strings.Join(v.Values, "") == "" {
			phrase = "1=1"
		}
		sql = sql[:i] + phrase + sql[end:]
	}
}

// variableRef is Grafana's syntax of a variable reference: $name, [[name]] or ${name}, ${name:format}. Its groups:
// the name (one of 1-3, by the syntax) and the format (4 or 5).
var variableRef = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}`)

// refName and refFormat read a variableRef match.
func refName(m []string) string   { return firstNonEmpty(m[1], m[2], m[4]) }
func refFormat(m []string) string { return firstNonEmpty(m[3], m[5]) }

// builtins are Grafana's own template variables that a query may use.
func builtins(q Request) map[string]string {
	return map[string]string{
		"__interval":    formatInterval(q.Interval),
		"__interval_ms": strconv.FormatInt(q.Interval.Milliseconds(), 10),
		"__from":        strconv.FormatInt(q.From.UnixMilli(), 10),
		"__to":          strconv.FormatInt(q.To.UnixMilli(), 10),
	}
}

// templateVars replaces the references to dashboard and built-in variables; others ($__timeFilter, ...) stay for
// the macro pass.
func templateVars(sql string, q Request) (string, error) {
	b := builtins(q)
	var err error
	out := variableRef.ReplaceAllStringFunc(sql, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name := refName(m)
		if v, ok := b[name]; ok {
			return v
		}
		v, ok := q.Vars[name]
		switch {
		case !ok:
			if !strings.HasPrefix(name, "__") && err == nil {
				err = fmt.Errorf("unknown variable %s", ref)
			}
			return ref
		case v.All && err == nil:
			err = fmt.Errorf("%s is All: Grafana puts in the value of every option, which a Var does not hold; use it inside $__conditionalAll", ref)
		}
		switch format := refFormat(m); format {
		case "":
			return formatVar(v)
		case "singlequote":
			return singleQuoted(v.Values)
		default:
			if err == nil {
				err = fmt.Errorf("%s: format %q is not one these dashboards use (singlequote)", ref, format)
			}
			return ref
		}
	})
	return out, err
}

// singleQuoted is Grafana's singlequote format: each value in single quotes, a quote in it escaped with a
// backslash, joined with commas. The dashboards put string variables in SQL with it: the data source's own format
// quotes values without escaping them, so a quote in an AI system's name would end the string.
func singleQuoted(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + strings.ReplaceAll(v, "'", `\'`) + "'"
	}
	return strings.Join(quoted, ",")
}

// formatVar is the data source's format of a variable's value: multi-value quoted and joined, single as it is.
func formatVar(v Var) string {
	if v.Multi {
		return "'" + strings.Join(v.Values, "','") + "'"
	}
	return strings.Join(v.Values, ",")
}

// formatInterval is Grafana's text of an interval: 30s, 5m, 1h, 1d (the largest unit it divides into).
func formatInterval(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		unit string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d >= u.d && d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.unit
		}
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

var macroName = regexp.MustCompile(`\$__(\w+)`)

// macros resolves the data source's backend macros.
func macros(sql string, q Request) (string, error) {
	var b strings.Builder
	for {
		loc := macroName.FindStringSubmatchIndex(sql)
		if loc == nil {
			b.WriteString(sql)
			return b.String(), nil
		}
		name := sql[loc[2]:loc[3]]
		end := loc[1]
		var args []string
		if end < len(sql) && sql[end] == '(' {
			var err error
			if args, end, err = macroArgs(sql, end); err != nil {
				return "", fmt.Errorf("$__%s: %w", name, err)
			}
		}
		text, err := macro(name, args, q)
		if err != nil {
			return "", err
		}
		b.WriteString(sql[:loc[0]])
		b.WriteString(text)
		sql = sql[end:]
	}
}

func macro(name string, args []string, q Request) (string, error) {
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("$__%s: want %d argument(s), got %d", name, n, len(args))
		}
		return nil
	}
	seconds := func(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }
	millis := func(t time.Time) string { return fmt.Sprintf("fromUnixTimestamp64Milli(%d)", t.UnixMilli()) }
	intervalS := int64(math.Max(q.Interval.Seconds(), 1))
	switch name {
	case "fromTime":
		return seconds(q.From), want(0)
	case "toTime":
		return seconds(q.To), want(0)
	case "fromTime_ms":
		return millis(q.From), want(0)
	case "toTime_ms":
		return millis(q.To), want(0)
	case "interval_s":
		return strconv.FormatInt(intervalS, 10), want(0)
	case "timeFilter", "timeFilter_ms":
		if err := want(1); err != nil {
			return "", err
		}
		f := seconds
		if name == "timeFilter_ms" {
			f = millis
		}
		return fmt.Sprintf("%s >= %s AND %s <= %s", args[0], f(q.From), args[0], f(q.To)), nil
	case "timeInterval":
		if err := want(1); err != nil {
			return "", err
		}
		return fmt.Sprintf("toStartOfInterval(toDateTime(%s), INTERVAL %d second)", args[0], intervalS), nil
	}
	return "", fmt.Errorf("$__%s: not a macro of the ClickHouse data source", name)
}

// macroArgs reads the arguments of a macro whose "(" is at open: split at top-level commas, trimmed. end is just
// after the closing ")".
func macroArgs(sql string, open int) (args []string, end int, err error) {
	depth, start := 0, open+1
	inString := false
	for i := open; i < len(sql); i++ {
		c := sql[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '\'' {
				inString = false
			}
		case c == '\'':
			inString = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				args = append(args, strings.TrimSpace(sql[start:i]))
				if len(args) == 1 && args[0] == "" {
					args = nil
				}
				return args, i + 1, nil
			}
		case c == ',' && depth == 1:
			args = append(args, strings.TrimSpace(sql[start:i]))
			start = i + 1
		}
	}
	return nil, 0, fmt.Errorf("no closing parenthesis")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
