package incident

import (
	"strings"
	"testing"
)

// The parsing of idempotency keys and causes, fuzzed: an event's cause splits into the command id and the
// fingerprint it was written with, whatever the caller's key holds ('#' included); a key's id ignores the login's
// case, and differs between users and incidents.
func FuzzIdempotencyKeysAndCauses(f *testing.F) {
	f.Add("alice", "0b6f2c1e-0000-4000-8000-000000000001", "retry-1", "bob")
	f.Add("ALICE", "i", "key#with#hashes", "alice")
	f.Add("", "", "", "x")
	f.Add("Zoë", "i", "k#0123456789abcdef0123456789abcdef", "ZOË")
	f.Fuzz(func(t *testing.T, login, incidentID, key, other string) {
		id := IdempotencyID(login, incidentID, key)
		if !strings.HasPrefix(id, "key-") || len(id) != len("key-")+32 {
			t.Fatalf("IdempotencyID(%q, %q, %q) = %q", login, incidentID, key, id)
		}
		if IdempotencyID(strings.ToUpper(login), incidentID, key) != IdempotencyID(strings.ToLower(login), incidentID, key) && FoldLogin(strings.ToUpper(login)) == FoldLogin(strings.ToLower(login)) {
			t.Fatalf("logins %q in two cases give two ids", login)
		}
		if FoldLogin(other) != FoldLogin(login) && IdempotencyID(other, incidentID, key) == id {
			t.Fatalf("users %q and %q share id %q", login, other, id)
		}
		if IdempotencyID(login, incidentID+"x", key) == id {
			t.Fatalf("incidents %q and %q share id %q", incidentID, incidentID+"x", id)
		}

		fp := strings.Repeat("0", fingerprintLen)
		gotID, gotFP := splitCause(key + "#" + fp)
		if gotID != key || gotFP != fp {
			t.Fatalf("splitCause(%q) = %q, %q", key+"#"+fp, gotID, gotFP)
		}
		if gotID, gotFP := splitCause(key); gotFP != "" && gotID+"#"+gotFP != key {
			t.Fatalf("splitCause(%q) = %q, %q: does not put back together", key, gotID, gotFP)
		}
	})
}
