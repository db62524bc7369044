package incident

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// SLASpec is one severity's targets as settings write them: durations like "15m" or "4h" ("" keeps the default,
// "0s" sets no target). The plugin's jsonData.sla and the receiver's --sla-file hold the same object:
//
//	{"SEV1": {"acknowledge": "15m", "contain": "4h"}, "SEV2": {...}}
type SLASpec struct {
	Acknowledge string `json:"acknowledge" yaml:"acknowledge"`
	Contain     string `json:"contain" yaml:"contain"`
}

// SLATargetsFrom applies specs over DefaultSLATargets. Errors name the field under prefix:
// "jsonData.sla.SEV1.acknowledge: "soon" is not a duration like 15m or 4h".
func SLATargetsFrom(specs map[string]SLASpec, prefix string) (SLATargets, error) {
	out := DefaultSLATargets()
	var errs []error
	names := make([]string, 0, len(specs))
	for name := range specs {
		names = append(names, name)
	}
	slices.Sort(names) // errors in a stable order
	for _, name := range names {
		spec := specs[name]
		sev, err := ParseSeverity(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: %w", prefix, name, err))
			continue
		}
		target := out[sev]
		for _, f := range []struct {
			field string
			value string
			into  *time.Duration
		}{{"acknowledge", spec.Acknowledge, &target.Acknowledge}, {"contain", spec.Contain, &target.Contain}} {
			if f.value == "" {
				continue
			}
			d, err := time.ParseDuration(f.value)
			if err != nil || d < 0 {
				errs = append(errs, fmt.Errorf("%s.%s.%s: %q is not a duration like 15m or 4h", prefix, name, f.field, f.value))
				continue
			}
			*f.into = d
		}
		out[sev] = target
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseSLAFile reads the receiver's --sla-file: the plugin's jsonData.sla object, as JSON or YAML. Unknown fields
// are refused, naming them.
func ParseSLAFile(data []byte) (SLATargets, error) {
	var specs map[string]SLASpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&specs); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s (want {\"SEV1\": {\"acknowledge\": \"15m\", \"contain\": \"4h\"}, ...})", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return SLATargetsFrom(specs, "sla")
}

// Specs writes the targets in the settings format, every severity with both targets ("0s": none).
func (t SLATargets) Specs() map[string]SLASpec {
	out := map[string]SLASpec{}
	for _, sev := range []Severity{SEV1, SEV2, SEV3} {
		out[sev.String()] = SLASpec{Acknowledge: t[sev].Acknowledge.String(), Contain: t[sev].Contain.String()}
	}
	return out
}

// SLADifferences lists where ours and theirs differ, as "SEV1.acknowledge: 5m0s here, 15m0s there", in severity
// order; none when they agree.
func SLADifferences(ours, theirs SLATargets) []string {
	var out []string
	for _, sev := range []Severity{SEV1, SEV2, SEV3} {
		a, b := ours[sev], theirs[sev]
		if a.Acknowledge != b.Acknowledge {
			out = append(out, fmt.Sprintf("%s.acknowledge: %s here, %s there", sev, a.Acknowledge, b.Acknowledge))
		}
		if a.Contain != b.Contain {
			out = append(out, fmt.Sprintf("%s.contain: %s here, %s there", sev, a.Contain, b.Contain))
		}
	}
	return out
}
