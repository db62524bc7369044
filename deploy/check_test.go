package deploy

import (
	"reflect"
	"testing"

	"github.com/compose-spec/compose-go/v2/template"
)

func TestImagePinned(t *testing.T) {
	for _, tc := range []struct {
		image string
		ok    bool
	}{
		{"clickhouse/clickhouse-server:26.8", true},
		{"prom/prometheus:v3.16.0", true},
		{"grafana/grafana-enterprise:13.1.2", true},
		{"golang:1.26-bookworm", true},
		{"localhost:5000/firebreak-receiver:0.1.0", true},
		{"prom/alertmanager@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
		{"prom/prometheus", false},
		{"prom/prometheus:latest", false},
		{"clickhouse/clickhouse-server:latest-alpine", false},
		{"grafana/grafana:main", false},
		{"firebreak-receiver:dev", false},
		{"localhost:5000/firebreak-receiver", false}, // the registry's port is not a tag
		{"", false},
	} {
		if err := imagePinned(tc.image); (err == nil) != tc.ok {
			t.Errorf("imagePinned(%q) = %v, want pinned: %v", tc.image, err, tc.ok)
		}
	}
}

func TestPortClashes(t *testing.T) {
	p := func(service, ip string, port int, proto string) published {
		return published{Service: service, HostIP: ip, Port: port, Protocol: proto}
	}
	for _, tc := range []struct {
		name  string
		ports []published
		want  []string
	}{
		{"different ports", []published{p("a", "", 3000, "tcp"), p("b", "", 3001, "tcp")}, nil},
		{"same port, every interface", []published{p("b", "", 9000, "tcp"), p("a", "0.0.0.0", 9000, "tcp")},
			[]string{"a and b both publish tcp port 9000"}},
		{"same port, same address", []published{p("a", "127.0.0.1", 9000, "tcp"), p("b", "127.0.0.1", 9000, "tcp")},
			[]string{"a and b both publish tcp port 9000"}},
		{"same port, every interface and one", []published{p("a", "127.0.0.1", 9000, "tcp"), p("b", "::", 9000, "tcp")},
			[]string{"a and b both publish tcp port 9000"}},
		{"same port, two addresses", []published{p("a", "127.0.0.1", 9000, "tcp"), p("b", "10.0.0.1", 9000, "tcp")}, nil},
		{"same port, tcp and udp", []published{p("a", "", 53, "tcp"), p("b", "", 53, "udp")}, nil},
		{"three on one port", []published{p("a", "", 80, "tcp"), p("b", "", 80, "tcp"), p("c", "", 80, "tcp")},
			[]string{"a and b both publish tcp port 80", "a and c both publish tcp port 80", "b and c both publish tcp port 80"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := portClashes(tc.ports); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("portClashes = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPortRange(t *testing.T) {
	for _, tc := range []struct {
		in     string
		lo, hi int
		ok     bool
	}{
		{"9000", 9000, 9000, true},
		{"9000-9002", 9000, 9002, true},
		{"0", 0, 0, false},
		{"70000", 0, 0, false},
		{"9002-9000", 0, 0, false},
		{"http", 0, 0, false},
		{"9000-", 0, 0, false},
	} {
		lo, hi, err := portRange(tc.in)
		if (err == nil) != tc.ok || tc.ok && (lo != tc.lo || hi != tc.hi) {
			t.Errorf("portRange(%q) = %d, %d, %v; want %d, %d, ok %v", tc.in, lo, hi, err, tc.lo, tc.hi, tc.ok)
		}
	}
}

func TestDefaultProblems(t *testing.T) {
	model := func(strings ...string) map[string]any {
		env := map[string]any{}
		for i, s := range strings {
			env[string(rune('A'+i))] = s
		}
		return map[string]any{"services": map[string]any{"x": map[string]any{"environment": env}}}
	}
	for _, tc := range []struct {
		name  string
		model map[string]any
		want  []string
	}{
		{"defaults everywhere", model("${TOKEN:-dev}", "Bearer ${TOKEN:-dev}", "${PORT:-80}:80"), nil},
		{"no default", model("${TOKEN}"), []string{"${TOKEN} is used without a default (write ${TOKEN:-...})"}},
		{"bare $NAME", model("$TOKEN"), []string{"${TOKEN} is used without a default (write ${TOKEN:-...})"}},
		{"required", model("${TOKEN:?set it}"), []string{"${TOKEN} is used without a default (write ${TOKEN:-...})"}},
		{"two defaults", model("${TOKEN:-a}", "${TOKEN:-b}"), []string{`${TOKEN} has two defaults: "a" and "b"`}},
		{"$$ is no variable", model("$${TOKEN}"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := defaultProblems(variableUses(tc.model)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("defaultProblems = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVariableUsesKeepsEachUse(t *testing.T) {
	got := variableUses(map[string]any{"a": "${X:-1}", "b": []any{"${X:-2} ${Y:-3}"}})
	want := map[string][]template.Variable{
		"X": {{Name: "X", DefaultValue: "1"}, {Name: "X", DefaultValue: "2"}},
		"Y": {{Name: "Y", DefaultValue: "3"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("variableUses = %+v, want %+v", got, want)
	}
}

func TestHostPath(t *testing.T) {
	mounts := []mount{
		{Host: "/repo/provisioning", Container: "/etc/grafana/provisioning"},
		{Host: "/repo/rules", Container: "/etc/prometheus/rules"},
		{Host: "/repo/deploy/docker/prometheus.yml", Container: "/etc/prometheus/prometheus.yml"},
		{Host: "/repo/dashboards", Container: "/etc/grafana/provisioning/dashboards/json/"},
	}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"/etc/prometheus/rules/ai-incidents.rules.yml", "/repo/rules/ai-incidents.rules.yml", true},
		{"/etc/prometheus/prometheus.yml", "/repo/deploy/docker/prometheus.yml", true},
		{"/etc/grafana/provisioning/plugins/app.yaml", "/repo/provisioning/plugins/app.yaml", true},
		{"/etc/grafana/provisioning/dashboards/json/a.json", "/repo/dashboards/a.json", true}, // the longest mount
		{"/etc/prometheus/rules", "/repo/rules", true},
		{"/etc/prometheus/rulesets/x.yml", "", false}, // a sibling with the same prefix is not inside
		{"/etc/alertmanager/alertmanager.yml", "", false},
	} {
		got, ok := hostPath(mounts, tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("hostPath(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
