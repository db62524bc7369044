package dashboards

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpand(t *testing.T) {
	q := Request{
		From:     time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		To:       time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Interval: time.Hour,
		Vars: map[string]Var{
			"ai_system": {Values: []string{"supportbot", "codeassist"}, Multi: true},
			"category":  {Multi: true, All: true},
			"drills":    {Values: []string{"0"}},
			"empty":     {Multi: true},
			"quoted":    {Values: []string{"bob's bot", "O'Neil"}, Multi: true},
		},
	}
	tests := []struct {
		name, sql, want string
	}{
		{"time filter", "WHERE $__timeFilter(declared_at)", "WHERE declared_at >= toDateTime(1793491200) AND declared_at <= toDateTime(1796083200)"},
		{"from and to", "x >= $__fromTime AND x < $__toTime", "x >= toDateTime(1793491200) AND x < toDateTime(1796083200)"},
		{"ms forms", "$__fromTime_ms, $__toTime_ms", "fromUnixTimestamp64Milli(1793491200000), fromUnixTimestamp64Milli(1796083200000)"},
		{"interval seconds", "intDiv(toUInt32(at), $__interval_s) * $__interval_s", "intDiv(toUInt32(at), 3600) * 3600"},
		{"time interval", "$__timeInterval(at)", "toStartOfInterval(toDateTime(at), INTERVAL 3600 second)"},
		{"grafana interval", "'$__interval' $__interval_ms", "'1h' 3600000"},
		{"multi value", "ai_system IN (${ai_system})", "ai_system IN ('supportbot','codeassist')"},
		{"singlequote format", "ai_system IN (${ai_system:singlequote}) [[quoted:singlequote]] ${drills:singlequote}",
			`ai_system IN ('supportbot','codeassist') 'bob\'s bot','O\'Neil' '0'`},
		{"multi value, plain and bracket syntax", "$ai_system [[ai_system]]", "'supportbot','codeassist' 'supportbot','codeassist'"},
		{"single value", "drill <= $drills", "drill <= 0"},
		{"conditional all, some", "$__conditionalAll(ai_system IN (${ai_system}), $ai_system)", "ai_system IN ('supportbot','codeassist')"},
		{"conditional all, all", "$__conditionalAll(category IN (${category}), ${category})", "1=1"},
		{"conditional all, none", "$__conditionalAll(category IN ($empty), $empty)", "1=1"},
		{"nested parentheses and strings", "$__timeFilter(coalesce(a, toDateTime('2026-01-01 00:00:00')))",
			"coalesce(a, toDateTime('2026-01-01 00:00:00')) >= toDateTime(1793491200) AND coalesce(a, toDateTime('2026-01-01 00:00:00')) <= toDateTime(1796083200)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.sql, q)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestExpandErrors(t *testing.T) {
	q := Request{Interval: time.Minute, Vars: map[string]Var{"ai_system": {Values: []string{"a"}}, "category": {Multi: true, All: true}}}
	tests := []struct{ name, sql, want string }{
		{"All outside $__conditionalAll", "category IN (${category})", "${category} is All"},
		{"unknown variable", "x = $nope", "unknown variable $nope"},
		{"unknown macro", "$__timeFilterish(x)", "$__timeFilterish: not a macro"},
		{"argument count", "$__timeFilter(a, b)", "$__timeFilter: want 1 argument(s), got 2"},
		{"unclosed", "$__timeFilter(a", "no closing parenthesis"},
		{"conditional all of no variable", "$__conditionalAll(x = 1, 7)", `"7" is not a variable`},
		{"conditional all of an unknown variable", "$__conditionalAll(x = 1, $other)", "unknown variable $other"},
		{"a format these dashboards do not use", "x IN (${ai_system:csv})", `format "csv" is not one these dashboards use`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Expand(tt.sql, q)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestFormatInterval(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30s", 5 * time.Minute: "5m", 90 * time.Minute: "90m", 24 * time.Hour: "1d",
		1500 * time.Millisecond: "1500ms",
	} {
		assert.Equal(t, want, formatInterval(d), d.String())
	}
}

func TestExpandPromQL(t *testing.T) {
	q := Request{Interval: 15 * time.Second, Vars: map[string]Var{"ai_system": {Values: []string{"supportbot"}}}}
	got, err := ExpandPromQL(`rate(x{ai_system="$ai_system"}[$__rate_interval]) / rate(y[${__rate_interval}])`, q, time.Second)
	require.NoError(t, err)
	assert.Equal(t, `rate(x{ai_system="supportbot"}[16s]) / rate(y[16s])`, got)
	got, err = ExpandPromQL(`rate(x[$__rate_interval])`, Request{Interval: time.Second}, 15*time.Second)
	require.NoError(t, err)
	assert.Equal(t, `rate(x[1m])`, got, "4 scrape intervals at the least")

	_, err = ExpandPromQL(`x[$__range]`, q, time.Second)
	assert.ErrorContains(t, err, "$__range: not a variable")
	_, err = ExpandPromQL(`x`, Request{Vars: map[string]Var{"a": {Values: []string{"1", "2"}, Multi: true}}}, time.Second)
	assert.ErrorContains(t, err, "variable a")
}
