// Package deploy checks what Docker users run: docker-compose.yml and Grafana's provisioning (provisioning/). No
// Docker engine or Grafana runs in the tests, so its tests load the compose file as Docker Compose does (compose-go),
// check what a broken deployment would show only at `docker compose up`, and hold the provisioned settings to the
// plugin's own loader and the configs to promtool and amtool.
package deploy

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
)

// imagePinned says why an image reference does not name a fixed version: it must have a tag other than latest
// (or stable, main, ...) that carries a version number, or a digest.
func imagePinned(image string) error {
	if image == "" {
		return fmt.Errorf("no image")
	}
	if strings.Contains(image, "@sha256:") {
		return nil
	}
	name, tag := image, ""
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		name, tag = image[:i], image[i+1:]
	}
	switch {
	case tag == "":
		return fmt.Errorf("image %s has no tag (it means latest)", name)
	case !versionTag.MatchString(tag):
		return fmt.Errorf("image %s: tag %q is not a version", name, tag)
	}
	return nil
}

var versionTag = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)*([-.+_][0-9A-Za-z.-]+)?$`)

// published is a host port a service publishes.
type published struct {
	Service  string
	HostIP   string // "" is every interface
	Port     int
	Protocol string
}

// publishedPorts lists the host ports of the services' port mappings (a range counts every port in it).
func publishedPorts(services types.Services) ([]published, error) {
	var out []published
	for name, s := range services {
		for _, p := range s.Ports {
			if p.Published == "" {
				continue // an ephemeral port chosen by the engine
			}
			lo, hi, err := portRange(p.Published)
			if err != nil {
				return nil, fmt.Errorf("service %s: published port %q: %w", name, p.Published, err)
			}
			proto := p.Protocol
			if proto == "" {
				proto = "tcp"
			}
			for port := lo; port <= hi; port++ {
				out = append(out, published{Service: name, HostIP: p.HostIP, Port: port, Protocol: proto})
			}
		}
	}
	return out, nil
}

func portRange(s string) (int, int, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.Atoi(lo)
	if err != nil {
		return 0, 0, err
	}
	b := a
	if isRange {
		if b, err = strconv.Atoi(hi); err != nil {
			return 0, 0, err
		}
	}
	if a < 1 || b > 65535 || a > b {
		return 0, 0, fmt.Errorf("not a port or range of ports from 1 to 65535")
	}
	return a, b, nil
}

// portClashes names every two mappings that would bind the same host port: the same port and protocol on the same
// address, or on any address when one of them binds every interface.
func portClashes(ports []published) []string {
	sort.Slice(ports, func(i, j int) bool {
		if ports[i].Port != ports[j].Port {
			return ports[i].Port < ports[j].Port
		}
		return ports[i].Service < ports[j].Service
	})
	var out []string
	for i := range ports {
		for j := i + 1; j < len(ports) && ports[j].Port == ports[i].Port; j++ {
			a, b := ports[i], ports[j]
			if a.Protocol != b.Protocol || (a.HostIP != b.HostIP && !everyInterface(a.HostIP) && !everyInterface(b.HostIP)) {
				continue
			}
			out = append(out, fmt.Sprintf("%s and %s both publish %s port %d", a.Service, b.Service, a.Protocol, a.Port))
		}
	}
	return out
}

func everyInterface(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" }

// variableUses lists, for every variable the compose model (loaded without interpolation) refers to, the default
// of each of its uses ("" for a use without one), in the order the model's keys sort.
func variableUses(model any) map[string][]template.Variable {
	out := map[string][]template.Variable{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(k) // keys may be interpolated too
				walk(v[k])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case string:
			// One string at a time: ExtractVariables merges the uses of a variable, and we want each.
			for _, variable := range template.ExtractVariables(map[string]any{"": v}, nil) {
				out[variable.Name] = append(out[variable.Name], variable)
			}
		}
	}
	walk(model)
	return out
}

// defaultProblems says which variables a compose file cannot do without, or defaults differently in two places:
// every variable must have a default (so `docker compose up` works with an empty environment, and a secret is
// overridden by setting one variable), the same wherever it is used.
func defaultProblems(uses map[string][]template.Variable) []string {
	var out []string
	for name, vs := range uses {
		for _, v := range vs {
			if v.DefaultValue == "" {
				out = append(out, fmt.Sprintf("${%s} is used without a default (write ${%s:-...})", name, name))
				break
			}
			if v.DefaultValue != vs[0].DefaultValue {
				out = append(out, fmt.Sprintf("${%s} has two defaults: %q and %q", name, vs[0].DefaultValue, v.DefaultValue))
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// mount is where a host path is seen inside a container.
type mount struct{ Host, Container string }

// hostPath maps a path inside a container to the host path mounted there (the longest mount that holds it).
func hostPath(mounts []mount, containerPath string) (string, bool) {
	best, found := -1, ""
	for _, m := range mounts {
		target := path.Clean(m.Container)
		if containerPath != target && !strings.HasPrefix(containerPath, strings.TrimSuffix(target, "/")+"/") {
			continue
		}
		if len(target) > best {
			best, found = len(target), path.Join(m.Host, strings.TrimPrefix(containerPath, target))
		}
	}
	return found, best >= 0
}
