package incident

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testKey(t *testing.T, seed byte) ed25519.PrivateKey {
	t.Helper()
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

// signedTimeline is an incident of 8 events whose heads were signed after events 3, 6 and 8 (three writes).
func signedTimeline(t *testing.T, signer *Signer) ([]Event, *StateHead, []SignedHead) {
	t.Helper()
	inc := declared(t)
	events := []Event{mustFirst(t)}
	for i := 0; i < 7; i++ {
		e, err := inc.Append(KindNote, t0.Add(time.Duration(i)*time.Minute), t0.Add(time.Duration(i)*time.Minute),
			UserActor("alice"), "note", NoteBody{Text: "n"})
		require.NoError(t, err)
		events = append(events, e)
	}
	var heads []SignedHead
	for _, seq := range []int{3, 6, 8} {
		heads = append(heads, signer.Sign(events[seq-1]))
	}
	return events, &StateHead{Seq: 8, Hash: events[7].Hash}, heads
}

// rehash recomputes every hash from event `from` on, as someone who can write to the database but lacks the key can.
func rehash(events []Event, from int) {
	for i := from - 1; i < len(events); i++ {
		if i > 0 {
			events[i].PrevHash = events[i-1].Hash
		}
		events[i].Hash = events[i].ComputeHash()
	}
}

func TestVerifyNamesEveryTampering(t *testing.T) {
	key := testKey(t, 1)
	signer := NewSigner(key)
	pub := signer.PublicKey()
	other := NewSigner(testKey(t, 2))

	tests := []struct {
		name   string
		tamper func(events []Event, state *StateHead, heads []SignedHead) ([]Event, *StateHead, []SignedHead)
		want   []Problem // kinds and seqs (details checked to name the events)
	}{
		{"untouched", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) { return e, s, h }, nil},
		{"stored twice, identical (a replayed write)", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			return append(e, e[4]), s, append(h, h[0])
		}, nil},
		{"truncated: the last two events deleted", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			return e[:6], s, h
		}, []Problem{{Seq: 7, Kind: ProblemTruncated}, {Seq: 7, Kind: ProblemTruncated}}},
		{"truncated, state and last signature deleted too", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			return e[:7], &StateHead{Seq: 7, Hash: e[6].Hash}, h[:2]
		}, []Problem{{Seq: 7, Kind: ProblemUncovered}}},
		{"altered message", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			e[4].Message = "nothing happened"
			return e, s, h
		}, []Problem{{Seq: 5, Kind: ProblemChain}}},
		{"altered recorded_at", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			e[1].RecordedAt = e[1].RecordedAt.Add(-48 * time.Hour)
			return e, s, h
		}, []Problem{{Seq: 2, Kind: ProblemChain}}},
		{"altered and rehashed without the key", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			e[4].Message = "nothing happened"
			rehash(e, 5)
			return e, &StateHead{Seq: 8, Hash: e[7].Hash}, h
		}, []Problem{{Seq: 4, Kind: ProblemNotCovered}, {Seq: 4, Kind: ProblemUncovered}}},
		{"reordered", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			e[3], e[4] = e[4], e[3]
			e[3].Seq, e[4].Seq = 4, 5
			return e, s, h
		}, []Problem{{Seq: 4, Kind: ProblemChain}}},
		{"an event deleted from the middle", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			return append(e[:4:4], e[5:]...), s, h
		}, []Problem{{Seq: 5, Kind: ProblemChain}}},
		{"a row written beside an event", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			forged := e[2]
			forged.Message = "forged"
			forged.Hash = forged.ComputeHash()
			return append(e, forged), s, h
		}, []Problem{{Seq: 3, Kind: ProblemConflict}}},
		{"re-signed with another key", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			e[4].Message = "nothing happened"
			rehash(e, 5)
			return e, &StateHead{Seq: 8, Hash: e[7].Hash}, []SignedHead{h[0], other.Sign(e[5]), other.Sign(e[7])}
		}, []Problem{{Seq: 4, Kind: ProblemUncovered}, {Seq: 6, Kind: ProblemOtherKey}}},
		{"whole chain rewritten without the key, signatures deleted", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			e[0].Message = "declared by nobody"
			rehash(e, 1)
			return e, &StateHead{Seq: 8, Hash: e[7].Hash}, nil
		}, []Problem{{Seq: 1, Kind: ProblemUncovered}}},
		{"signature row forged", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			h[2].Signature = base64.StdEncoding.EncodeToString(make([]byte, ed25519.SignatureSize))
			return e, s, h
		}, []Problem{{Seq: 7, Kind: ProblemUncovered}, {Seq: 8, Kind: ProblemBadSignature}}},
		{"signature row moved to a rewritten head", func(e []Event, s *StateHead, h []SignedHead) ([]Event, *StateHead, []SignedHead) {
			e[7].Message = "closed quietly"
			rehash(e, 8)
			h[2].Hash = e[7].Hash
			return e, &StateHead{Seq: 8, Hash: e[7].Hash}, h
		}, []Problem{{Seq: 7, Kind: ProblemUncovered}, {Seq: 8, Kind: ProblemBadSignature}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events, state, heads := signedTimeline(t, signer)
			events, state, heads = tc.tamper(events, state, heads)
			v := Verify(events, state, heads, pub)
			var got []Problem
			for _, p := range v.Problems {
				assert.NotEmpty(t, p.Detail)
				assert.Contains(t, p.Detail, "event", "a problem names the events it concerns")
				got = append(got, Problem{Seq: p.Seq, Kind: p.Kind})
			}
			assert.Equal(t, tc.want, got, "problems: %+v", v.Problems)
			assert.Equal(t, len(tc.want) == 0, v.Intact)
			if len(tc.want) == 0 {
				assert.Equal(t, SignatureVerified, v.Signature.Status)
				assert.Equal(t, uint32(8), v.Signature.CoveredThrough)
				assert.Nil(t, v.Break)
			} else {
				require.NotNil(t, v.Break)
				assert.Equal(t, v.Problems[0], *v.Break)
			}
		})
	}
}

func TestVerifyWithoutKeyChecksChainAndState(t *testing.T) {
	events, state, heads := signedTimeline(t, NewSigner(testKey(t, 1)))
	v := Verify(events, state, heads, nil)
	assert.True(t, v.Intact)
	assert.Equal(t, SignatureNotConfigured, v.Signature.Status)
	assert.Equal(t, 3, v.Signature.Heads)
	v = Verify(events[:5], state, nil, nil)
	assert.False(t, v.Intact)
	assert.Equal(t, ProblemTruncated, v.Break.Kind)
	assert.Contains(t, v.Break.Detail, "events 6-8 are cut off")
}

// Events hashed before recorded_at was (bare hex) stay verifiable; one after a new-style event is a rewrite.
func TestVerifyChainAcceptsVersion1Hashes(t *testing.T) {
	events, _, _ := signedTimeline(t, NewSigner(testKey(t, 1)))
	old := append([]Event(nil), events...)
	for i := range old {
		if i > 0 {
			old[i].PrevHash = old[i-1].Hash
		}
		old[i].Hash = old[i].hashVersion1()
	}
	require.Nil(t, VerifyChain(old))
	old[2].RecordedAt = old[2].RecordedAt.Add(time.Hour)
	assert.Nil(t, VerifyChain(old), "version 1 did not hash recorded_at")
	old[3].Message = "x"
	assert.Equal(t, uint32(4), VerifyChain(old).Seq)

	mixed := append([]Event(nil), events[:4]...)
	for i := 4; i < len(events); i++ {
		e := events[i]
		e.PrevHash = mixed[i-1].Hash
		e.Hash = e.hashVersion1()
		mixed = append(mixed, e)
	}
	br := VerifyChain(mixed)
	require.NotNil(t, br)
	assert.Equal(t, uint32(5), br.Seq)
	assert.Contains(t, br.Reason, "hashed the old way")
}

func TestParseKeys(t *testing.T) {
	key := testKey(t, 3)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	got, err := ParsePrivateKey(privPEM)
	require.NoError(t, err)
	assert.Equal(t, key, got)

	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	require.NoError(t, err)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	for _, text := range []string{pubPEM, base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)), "  " + pubPEM + "\n"} {
		pub, err := ParsePublicKey(text)
		require.NoError(t, err)
		assert.Equal(t, key.Public(), pub)
	}
	for _, bad := range []string{"", "hello", string(privPEM), base64.StdEncoding.EncodeToString([]byte("short")),
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"} {
		_, err := ParsePublicKey(bad)
		assert.Error(t, err, bad)
		assert.NotContains(t, err.Error(), "BEGIN")
	}
	for _, bad := range [][]byte{nil, []byte(pubPEM), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")} {
		_, err := ParsePrivateKey(bad)
		assert.Error(t, err)
	}
	assert.Len(t, KeyID(key.Public().(ed25519.PublicKey)), 16)
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add("")
	f.Add("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----")
	f.Add("Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=")
	f.Add("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
	f.Fuzz(func(t *testing.T, text string) {
		pub, err := ParsePublicKey(text)
		if err == nil && len(pub) != ed25519.PublicKeySize {
			t.Fatalf("accepted a %d-byte key", len(pub))
		}
	})
}

func FuzzParsePrivateKey(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----"))
	f.Fuzz(func(t *testing.T, text []byte) {
		key, err := ParsePrivateKey(text)
		if err == nil && len(key) != ed25519.PrivateKeySize {
			t.Fatalf("accepted a %d-byte key", len(key))
		}
	})
}

// A signed head verifies against the head's message and nothing else (the fuzzer varies the signed fields).
func FuzzHeadSignature(f *testing.F) {
	f.Add("0b6f2c1e-0000-4000-8000-000000000001", uint32(3), "v2:abc", "0b6f2c1e-0000-4000-8000-000000000001", uint32(4), "v2:abc")
	f.Add("a", uint32(1), "h\n2", "a\n1", uint32(1), "h")
	signer := NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	f.Fuzz(func(t *testing.T, id string, seq uint32, hash, id2 string, seq2 uint32, hash2 string) {
		h := signer.Sign(Event{IncidentID: id, Seq: seq, Hash: hash})
		sig, err := base64.StdEncoding.DecodeString(h.Signature)
		if err != nil {
			t.Fatal(err)
		}
		same := id == id2 && seq == seq2 && hash == hash2
		if ed25519.Verify(signer.PublicKey(), HeadMessage(id2, seq2, hash2), sig) != same && !(string(HeadMessage(id, seq, hash)) == string(HeadMessage(id2, seq2, hash2))) {
			t.Fatalf("signature of (%q,%d,%q) verifies for (%q,%d,%q): %v", id, seq, hash, id2, seq2, hash2, !same)
		}
	})
}
