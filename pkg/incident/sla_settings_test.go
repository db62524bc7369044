package incident

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSLAFile(t *testing.T) {
	def := DefaultSLATargets()
	cases := []struct {
		name, in string
		want     SLATargets
		err      string
	}{
		{"empty file: the defaults", "", def, ""},
		{"JSON, as the plugin's jsonData.sla", `{"SEV1": {"acknowledge": "2s", "contain": "1h"}}`,
			SLATargets{SEV1: {2 * time.Second, time.Hour}, SEV2: def[SEV2], SEV3: def[SEV3]}, ""},
		{"YAML, one field kept", "SEV2:\n  contain: 48h\n",
			SLATargets{SEV1: def[SEV1], SEV2: {def[SEV2].Acknowledge, 48 * time.Hour}, SEV3: def[SEV3]}, ""},
		{"0s removes a target", `{"SEV3": {"acknowledge": "0s"}}`,
			SLATargets{SEV1: def[SEV1], SEV2: def[SEV2], SEV3: {}}, ""},
		{"lower-case severity", `{"sev1": {"acknowledge": "1m"}}`,
			SLATargets{SEV1: {time.Minute, def[SEV1].Contain}, SEV2: def[SEV2], SEV3: def[SEV3]}, ""},
		{"unknown severity", `{"SEV9": {"acknowledge": "1m"}}`, nil, "sla.SEV9"},
		{"bad duration", `{"SEV1": {"contain": "soon"}}`, nil, `sla.SEV1.contain: "soon" is not a duration`},
		{"negative duration", `{"SEV1": {"acknowledge": "-1m"}}`, nil, `sla.SEV1.acknowledge: "-1m"`},
		{"unknown field", `{"SEV1": {"acknowledged": "1m"}}`, nil, "acknowledged"},
		{"not an object", `[1, 2]`, nil, "want {"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSLAFile([]byte(tc.in))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func FuzzParseSLAFile(f *testing.F) {
	for _, seed := range []string{"", `{"SEV1":{"acknowledge":"2s"}}`, "SEV2:\n  contain: 4h\n", `{"x":1}`, "- a"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		targets, err := ParseSLAFile(data)
		if err == nil {
			for sev, tg := range targets {
				if tg.Acknowledge < 0 || tg.Contain < 0 {
					t.Fatalf("%s: negative target %+v", sev, tg)
				}
			}
		}
	})
}

func TestSLASpecsRoundTripAndDifferences(t *testing.T) {
	def := DefaultSLATargets()
	back, err := SLATargetsFrom(def.Specs(), "sla")
	require.NoError(t, err)
	assert.Equal(t, def, back, "Specs writes what SLATargetsFrom reads, SEV3's missing contain target as 0s")
	assert.Empty(t, SLADifferences(def, back))

	other := DefaultSLATargets()
	other[SEV1] = SLATarget{Acknowledge: 5 * time.Minute, Contain: def[SEV1].Contain}
	delete(other, SEV3)
	assert.Equal(t, []string{"SEV1.acknowledge: 15m0s here, 5m0s there", "SEV3.acknowledge: 72h0m0s here, 0s there"},
		SLADifferences(def, other))
}
