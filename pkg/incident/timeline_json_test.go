package incident

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AppendTimelineJSON writes exactly what encoding/json writes, whatever the strings and bodies hold.
func FuzzAppendTimelineJSON(f *testing.F) {
	f.Add("user:alice", "Alert <X> fired & \"quoted\"\n", []byte(`{"alert":{"key":"fp@1","labels":{"a":"b"}}}`), "cmd-1", int64(1795600800123456789))
	f.Add("rule:ünïcödé", "tab\there \u2028 \x01 \xff", []byte(`{"a": 1, "b" : [ 1, 2 ] }`), "", int64(0))
	f.Add("", "", []byte(`"<script>&"`), "x", int64(-62135596800000000))
	f.Add("a", "b", []byte(`not json`), "", int64(253402300800000000))
	f.Add("a", "b", []byte(nil), "", int64(1))
	f.Add("a", "b", []byte(`{"k":"\u00e9é"}`), "", int64(1))
	f.Fuzz(func(t *testing.T, actor, message string, body []byte, cause string, ns int64) {
		at := time.Unix(0, ns).UTC()
		events := []Event{
			{IncidentID: "6d3f2c1e-0000-4000-8000-000000000000", Seq: 1, At: at, RecordedAt: at.Add(time.Second), Kind: KindNote,
				Actor: actor, Message: message, Body: body, Cause: cause, PrevHash: "", Hash: "ab"},
			{IncidentID: "6d3f2c1e-0000-4000-8000-000000000000", Seq: 2, At: at, RecordedAt: at, Kind: Kind(message),
				Actor: cause, Message: actor, Body: json.RawMessage(`{}`), PrevHash: "ab", Hash: "cd"},
		}
		want, wantErr := json.Marshal(events)
		got, err := AppendTimelineJSON(nil, events)
		if wantErr != nil {
			require.Error(t, err, "encoding/json fails: %v", wantErr)
			return
		}
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	})
}

func TestAppendTimelineJSONEmpty(t *testing.T) {
	got, err := AppendTimelineJSON([]byte("x"), nil)
	require.NoError(t, err)
	assert.Equal(t, "x[]", string(got))
}

// The prefix reader agrees with decoding the body whenever it reads one, and reads the bodies encoding/json makes.
func FuzzAlertRefPrefix(f *testing.F) {
	body, err := json.Marshal(AlertBody{Alert: Alert{Key: "fp@1", Fingerprint: "fp", Name: "X", Labels: map[string]string{"a": "b"}}})
	require.NoError(f, err)
	f.Add(body)
	f.Add([]byte(`{"alert":{"key":"k","fingerprint":"f"}}`))
	f.Add([]byte(`{"alert":{"key":"k\"","fingerprint":"f","key":"other"}}`))
	f.Add([]byte(`{"alert":{"key":"k","fingerprint":"f"x}`))
	f.Add([]byte(`{"alert":{"key":"ü","fingerprint":"f"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		key, fp, ok := alertRefPrefix(body)
		if !ok {
			return
		}
		var r alertRef
		if err := json.Unmarshal(body, &r); err == nil {
			// A later "key" or "fingerprint" (in any case, or escaped) would win in encoding/json; the bodies folded are
			// encoding/json's own, which never repeat a field. Only bodies without repeats are compared.
			lower := strings.ToLower(string(body))
			if !strings.Contains(lower, `\`) && strings.Count(lower, `"key"`) == 1 && strings.Count(lower, `"fingerprint"`) == 1 {
				require.Equal(t, r.Alert.Key, key)
				require.Equal(t, r.Alert.Fingerprint, fp)
			}
		}
	})
}

func TestAlertRefPrefixReadsEncodedBodies(t *testing.T) {
	body, err := json.Marshal(AlertBody{Alert: Alert{Key: "0f1e2d3c4b5a6978@1795600800123", Fingerprint: "0f1e2d3c4b5a6978",
		Name: "X", Status: "firing", Labels: map[string]string{"alertname": "X"}}})
	require.NoError(t, err)
	key, fp, ok := alertRefPrefix(body)
	require.True(t, ok, "%s", body)
	assert.Equal(t, "0f1e2d3c4b5a6978@1795600800123", key)
	assert.Equal(t, "0f1e2d3c4b5a6978", fp)
	for _, b := range []string{`{"alert":{"fingerprint":"f","key":"k"}}`, `{"alert":{"key":"a\u0026b","fingerprint":"f"}}`, `{}`, ``} {
		_, _, ok := alertRefPrefix([]byte(b))
		assert.False(t, ok, b)
	}
}
