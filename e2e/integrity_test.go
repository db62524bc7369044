package e2e

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// rewriteTable rewrites a table the way someone with write access can, synchronously (ClickHouse's ALTER UPDATE and
// DELETE are background mutations, which wait behind merges on a busy machine): every row is copied out, the table
// emptied and the rows put back, with column set to expr (if column is not empty) and only the rows where
// keep (if not empty) holds.
func (s *stack) rewriteTable(t *testing.T, table, column, expr string) {
	t.Helper()
	var cols []string
	for _, line := range strings.Split(strings.TrimSpace(s.query(t, "SELECT name FROM system.columns WHERE database = '{db}' AND table = '"+table+"' FORMAT TSV")), "\n") {
		if line == column {
			line = expr + " AS " + line
		}
		cols = append(cols, line)
	}
	where := ""
	if column == "" {
		where = " WHERE " + expr
	}
	s.query(t, "CREATE TABLE {db}.tamper AS {db}."+table)
	s.query(t, "INSERT INTO {db}.tamper SELECT "+strings.Join(cols, ", ")+" FROM {db}."+table+where)
	for _, p := range strings.Fields(s.query(t, "SELECT DISTINCT partition FROM system.parts WHERE database = '{db}' AND table = '"+table+"' AND active")) {
		s.query(t, "ALTER TABLE {db}."+table+" DROP PARTITION "+p)
	}
	s.query(t, "INSERT INTO {db}."+table+" SELECT * FROM {db}.tamper")
	s.query(t, "DROP TABLE {db}.tamper")
}

func writeKeyPair(t *testing.T, dir, name string, seed byte) (privFile string, pubPEM string, key ed25519.PrivateKey) {
	t.Helper()
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	key = ed25519.NewKeyFromSeed(s)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	privFile = filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(privFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	require.NoError(t, err)
	return privFile, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})), key
}

// storedEvent is an events row as ClickHouse's JSONEachRow reads and writes it.
type storedEvent struct {
	IncidentID string `json:"incident_id"`
	Seq        uint32 `json:"seq"`
	At         string `json:"at"`
	AtNS       uint32 `json:"at_ns"`
	RecordedAt string `json:"recorded_at"`
	Kind       string `json:"kind"`
	Actor      string `json:"actor"`
	Message    string `json:"message"`
	Body       string `json:"body"`
	Cause      string `json:"cause"`
	PrevHash   string `json:"prev_hash"`
	Hash       string `json:"hash"`
	DeclaredAt string `json:"declared_at"`
}

func (e storedEvent) event(t *testing.T) incident.Event {
	at, err := time.Parse(time.DateTime, e.At)
	require.NoError(t, err)
	rec, err := time.Parse(time.DateTime, e.RecordedAt)
	require.NoError(t, err)
	return incident.Event{IncidentID: e.IncidentID, Seq: e.Seq, At: at.Add(time.Duration(e.AtNS)), RecordedAt: rec,
		Kind: incident.Kind(e.Kind), Actor: e.Actor, Message: e.Message, Body: json.RawMessage(e.Body), Cause: e.Cause,
		PrevHash: e.PrevHash, Hash: e.Hash}
}

// Issue 12, 2: the receiver signs each incident's chain head with its key; the plugin, given the public key, verifies
// every stored row against the chain, the state and the signatures. Tampering done straight in ClickHouse (where
// anyone with write access can) is detected and named: cutting events off the end, altering one, rewriting the chain
// without the key, signing it again with another key.
func TestTamperingInClickHouseIsDetectedAndNamed(t *testing.T) {
	dir := t.TempDir()
	privFile, pubPEM, _ := writeKeyPair(t, dir, "signing.pem", 7)
	_, _, otherKey := writeKeyPair(t, dir, "other.pem", 8)
	apiToken := filepath.Join(dir, "api-token")
	require.NoError(t, os.WriteFile(apiToken, []byte("plugin-api-token\n"), 0o600))
	s := startReceiver(t, "--api-token-file", apiToken, "--signing-key-file", privFile)
	g := startGrafanaHostWith(t, s, apiToken, map[string]any{"signing": map[string]string{"publicKey": pubPEM}}, nil)

	// Each incident: declared, then three notes, each its own write (and signed head).
	declare := func(title string) string {
		var id string
		testenv.WaitFor(t, 30*time.Second, 100*time.Millisecond, func() (bool, string) {
			code, out := g.do(t, "alice", "Editor", "POST", "incidents", map[string]any{"title": title, "severity": "SEV2",
				"category": "drift", "ai_system": "supportbot", "reported_via": "support"}) // drift: no default classification event
			if code != 200 {
				return false, fmt.Sprint(code, out)
			}
			id = out["incident"].(map[string]any)["incident_id"].(string)
			return true, ""
		})
		for i := 1; i <= 3; i++ {
			code, out := g.do(t, "alice", "Editor", "POST", "incidents/"+id+"/notes", map[string]string{"text": fmt.Sprintf("note %d", i)})
			require.Equal(t, 200, code, out)
		}
		// Everything written (events, state, signed head) before anything is tampered with.
		testenv.WaitFor(t, 20*time.Second, 100*time.Millisecond, func() (bool, string) {
			code, v := g.do(t, "alice", "Editor", "GET", "incidents/"+id+"/verify", nil)
			sig, _ := v["signature"].(map[string]any)
			return code == 200 && v["intact"] == true && sig["covered_through"] == float64(4), fmt.Sprint(code, v)
		})
		return id
	}
	verify := func(id string) map[string]any {
		code, v := g.do(t, "vic", "Viewer", "GET", "incidents/"+id+"/verify", nil)
		require.Equal(t, 200, code, v)
		return v
	}
	problems := func(v map[string]any) []string {
		var out []string
		for _, p := range v["problems"].([]any) {
			pm := p.(map[string]any)
			out = append(out, fmt.Sprintf("%s@%v", pm["kind"], pm["seq"]))
		}
		return out
	}
	// waitProblems waits for ClickHouse's mutations to show and returns the problems verify names.
	waitProblems := func(id string) ([]string, map[string]any) {
		var v map[string]any
		testenv.WaitFor(t, 20*time.Second, 100*time.Millisecond, func() (bool, string) {
			v = verify(id)
			return v["intact"] == false, fmt.Sprint(v)
		})
		return problems(v), v
	}
	rows := func(id string) []storedEvent {
		var out []storedEvent
		for _, line := range strings.Split(strings.TrimSpace(s.query(t, "SELECT * FROM {db}.events WHERE incident_id = '"+id+"' ORDER BY seq FORMAT JSONEachRow")), "\n") {
			var e storedEvent
			require.NoError(t, json.Unmarshal([]byte(line), &e), line)
			out = append(out, e)
		}
		return out
	}
	// rewrite replaces every stored event of id by edit's version, with every hash recomputed (what someone with write
	// access but without the key can do), and keeps the state's head in step.
	rewrite := func(id string, edit func(e *incident.Event)) []incident.Event {
		stored := rows(id)
		var events []incident.Event
		var lines []string
		for i, se := range stored {
			e := se.event(t)
			edit(&e)
			if i > 0 {
				e.PrevHash = events[i-1].Hash
			}
			e.Hash = e.ComputeHash()
			events = append(events, e)
			se.Message, se.PrevHash, se.Hash = e.Message, e.PrevHash, e.Hash
			b, err := json.Marshal(se)
			require.NoError(t, err)
			lines = append(lines, string(b))
		}
		s.rewriteTable(t, "events", "", "incident_id != '"+id+"'")
		s.query(t, "INSERT INTO {db}.events FORMAT JSONEachRow\n"+strings.Join(lines, "\n"))
		last := events[len(events)-1]
		s.rewriteTable(t, "incident_state", "last_hash", fmt.Sprintf("if(incident_id = '%s', '%s', last_hash)", id, last.Hash))
		return events
	}

	intact := declare("untouched")
	v := verify(intact)
	assert.Equal(t, true, v["intact"], v)
	assert.Equal(t, "verified", v["signature"].(map[string]any)["status"], v)
	assert.Equal(t, float64(4), v["signature"].(map[string]any)["covered_through"], v)
	assert.Equal(t, float64(4), v["events"])

	t.Run("truncated", func(t *testing.T) {
		id := declare("truncated")
		s.rewriteTable(t, "events", "", "NOT (incident_id = '"+id+"' AND seq >= 3)")
		got, v := waitProblems(id)
		assert.Equal(t, []string{"truncated@3", "truncated@3"}, got)
		assert.Contains(t, v["break"].(map[string]any)["detail"], "events 3-4 are cut off the end")
	})
	t.Run("altered", func(t *testing.T) {
		id := declare("altered")
		s.rewriteTable(t, "events", "message", "if(incident_id = '"+id+"' AND seq = 3, 'nothing happened', message)")
		got, _ := waitProblems(id)
		assert.Equal(t, []string{"chain_broken@3"}, got)
	})
	t.Run("rewritten without the key", func(t *testing.T) {
		id := declare("rewritten")
		rewrite(id, func(e *incident.Event) {
			if e.Seq == 3 {
				e.Message = "nothing happened"
			}
		})
		got, v := waitProblems(id)
		assert.Equal(t, []string{"signature_mismatch@3", "not_signed@3"}, got)
		assert.Contains(t, v["break"].(map[string]any)["detail"], "the signature over event 3 no longer covers")
	})
	t.Run("signed again with another key", func(t *testing.T) {
		id := declare("re-signed")
		events := rewrite(id, func(e *incident.Event) {
			if e.Seq == 2 {
				e.Message = "nothing happened"
			}
		})
		s.rewriteTable(t, "chain_heads", "", "incident_id != '"+id+"'")
		forged := incident.NewSigner(otherKey).Sign(events[len(events)-1])
		s.query(t, fmt.Sprintf("INSERT INTO {db}.chain_heads VALUES ('%s', %d, '%s', '%s', '%s', now(), now())",
			id, forged.Seq, forged.Hash, forged.KeyID, forged.Signature))
		var got []string
		testenv.WaitFor(t, 20*time.Second, 100*time.Millisecond, func() (bool, string) {
			got = problems(verify(id))
			return len(got) == 2, fmt.Sprint(got)
		})
		assert.Equal(t, []string{"not_signed@1", "signed_by_other_key@4"}, got)
	})
	// The untouched incident is still verified.
	assert.Equal(t, true, verify(intact)["intact"])
}
