package incident

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tamper evidence. Each event's hash covers the one before it (the chain), so a changed, removed or reordered event
// shows, unless whoever changed it rewrote every hash after it: anyone who can write to the database can. The
// receiver therefore signs the head of each incident's chain (its last event's seq and hash) with an Ed25519 key only
// it holds, every time it writes; the plugin checks the signatures with the public key. A signature over event N
// covers events 1..N through the chain.

// SignedHead is the receiver's signature over an incident's chain head.
type SignedHead struct {
	IncidentID string    `json:"incident_id"`
	Seq        uint32    `json:"seq"`
	Hash       string    `json:"hash"`
	KeyID      string    `json:"key_id"`
	Signature  string    `json:"signature"` // base64 (standard) of the Ed25519 signature of HeadMessage
	SignedAt   time.Time `json:"signed_at"` // the head event's recorded_at: a replay signs the same row again
}

// HeadMessage is what a head signature signs.
func HeadMessage(incidentID string, seq uint32, hash string) []byte {
	return []byte("firebreak chain head v1\n" + incidentID + "\n" + strconv.FormatUint(uint64(seq), 10) + "\n" + hash)
}

// KeyID names a public key: the first 8 bytes of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Signer signs chain heads with the receiver's private key.
type Signer struct {
	key ed25519.PrivateKey
	id  string
}

// NewSigner returns a signer of key.
func NewSigner(key ed25519.PrivateKey) *Signer {
	return &Signer{key: key, id: KeyID(key.Public().(ed25519.PublicKey))}
}

// KeyID names the signer's public key.
func (s *Signer) KeyID() string { return s.id }

// PublicKey returns the signer's public key.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Sign signs e as its incident's chain head. Ed25519 is deterministic: the same head signs to the same bytes.
func (s *Signer) Sign(e Event) SignedHead {
	sig := ed25519.Sign(s.key, HeadMessage(e.IncidentID, e.Seq, e.Hash))
	return SignedHead{IncidentID: e.IncidentID, Seq: e.Seq, Hash: e.Hash, KeyID: s.id,
		Signature: base64.StdEncoding.EncodeToString(sig), SignedAt: e.RecordedAt}
}

// ParsePrivateKey reads an Ed25519 private key in PEM (PKCS #8, "PRIVATE KEY", as `openssl genpkey -algorithm
// ed25519` writes it). Errors never quote the key.
func ParsePrivateKey(text []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(bytes.TrimSpace(text))
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New(`not a PEM "PRIVATE KEY" block (make one with: openssl genpkey -algorithm ed25519)`)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not a PKCS #8 private key")
	}
	ed, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T key, not Ed25519", key)
	}
	return ed, nil
}

// ParsePublicKey reads an Ed25519 public key in PEM ("PUBLIC KEY", as `openssl pkey -pubout` writes it) or as the
// base64 of its 32 bytes.
func ParsePublicKey(text string) (ed25519.PublicKey, error) {
	text = strings.TrimSpace(text)
	if block, _ := pem.Decode([]byte(text)); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("a PEM %q block, not \"PUBLIC KEY\"", block.Type)
		}
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, errors.New("not a PKIX public key")
		}
		ed, ok := key.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("a %T key, not Ed25519", key)
		}
		return ed, nil
	}
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("neither a PEM \"PUBLIC KEY\" nor the base64 of a 32-byte Ed25519 public key")
	}
	return ed25519.PublicKey(raw), nil
}

// StateHead is where an incident's stored state says its chain ends: its newest version (the seq of its last event)
// and that event's hash.
type StateHead struct {
	Seq  uint32
	Hash string
}

// Problem is one way an incident's stored timeline differs from what was written.
type Problem struct {
	Seq    uint32 `json:"seq"` // the first event concerned
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Problem kinds.
const (
	ProblemChain        = "chain_broken"        // an event missing, reordered, altered or inserted (VerifyChain)
	ProblemConflict     = "conflicting_rows"    // two different rows stored for one event
	ProblemTruncated    = "truncated"           // events cut off the end
	ProblemState        = "state_mismatch"      // the state's head is not the chain's
	ProblemUncovered    = "not_signed"          // events no valid signature covers
	ProblemBadSignature = "signature_invalid"   // a head row whose signature does not verify
	ProblemOtherKey     = "signed_by_other_key" // a head signed with a key other than the configured one
	ProblemNotCovered   = "signature_mismatch"  // a valid signature over a head the stored chain no longer has
)

// Signature status of a verification.
const (
	SignatureVerified      = "verified"       // valid signatures of the configured key cover every event
	SignatureInvalid       = "invalid"        // some events are not covered, or a head does not verify
	SignatureNotConfigured = "not_configured" // no public key to check against: only the chain was checked
)

// SignatureCheck is the result of checking an incident's head signatures.
type SignatureCheck struct {
	Status         string `json:"status"`
	KeyID          string `json:"key_id,omitempty"`
	CoveredThrough uint32 `json:"covered_through"` // the last event a valid signature covers (0: none)
	Heads          int    `json:"heads"`           // signed heads stored
}

// Verification is the integrity check of one incident's timeline.
type Verification struct {
	Intact    bool           `json:"intact"`
	Events    int            `json:"events"`
	LastHash  string         `json:"last_hash,omitempty"`
	Signature SignatureCheck `json:"signature"`
	Problems  []Problem      `json:"problems"`
	Break     *Problem       `json:"break,omitempty"` // the first problem
}

// Verify checks an incident's stored timeline: rows are every stored row of its events (in any order, the same
// event possibly stored more than once, as ClickHouse keeps them before merging), state the head its newest state
// row records (nil if it has none), heads every stored head signature, and pub the receiver's public key (nil: no
// signatures are checked). Every problem found is listed, each naming the first event it concerns.
func Verify(rows []Event, state *StateHead, heads []SignedHead, pub ed25519.PublicKey) Verification {
	events, problems := oneRowPerEvent(rows)
	v := Verification{Events: len(events), Signature: SignatureCheck{Status: SignatureNotConfigured, Heads: len(heads)}}
	if len(events) > 0 {
		v.LastHash = events[len(events)-1].Hash
	}
	if br := VerifyChain(events); br != nil {
		problems = append(problems, Problem{Seq: br.Seq, Kind: ProblemChain, Detail: br.Reason})
	}
	bySeq := make(map[uint32]string, len(events)) // seq -> hash
	var last uint32
	for _, e := range events {
		bySeq[e.Seq], last = e.Hash, e.Seq
	}
	if state != nil {
		switch {
		case state.Seq > last:
			problems = append(problems, Problem{Seq: last + 1, Kind: ProblemTruncated, Detail: fmt.Sprintf(
				"the incident's state records %d events but the stored ones end at %d: %s cut off the end", state.Seq, last, eventRange(last+1, state.Seq))})
		case state.Seq < last:
			problems = append(problems, Problem{Seq: state.Seq + 1, Kind: ProblemState, Detail: fmt.Sprintf(
				"the incident's state ends at event %d but the stored events go on to %d: %s not written by the receiver", state.Seq, last, eventRange(state.Seq+1, last))})
		case state.Seq > 0 && bySeq[state.Seq] != state.Hash:
			problems = append(problems, Problem{Seq: state.Seq, Kind: ProblemState, Detail: fmt.Sprintf(
				"the incident's state records another hash for event %d than the stored event has", state.Seq)})
		}
	}
	if pub != nil {
		var sigProblems []Problem
		v.Signature.KeyID = KeyID(pub)
		v.Signature.CoveredThrough, sigProblems = checkHeads(bySeq, last, heads, pub)
		problems = append(problems, sigProblems...)
		v.Signature.Status = SignatureVerified
		if len(sigProblems) > 0 {
			v.Signature.Status = SignatureInvalid
		}
	}
	slices.SortStableFunc(problems, func(a, b Problem) int { return int(a.Seq) - int(b.Seq) })
	v.Problems = problems
	if v.Problems == nil {
		v.Problems = []Problem{}
	}
	v.Intact = len(problems) == 0
	if !v.Intact {
		v.Break = &v.Problems[0]
	}
	return v
}

// oneRowPerEvent orders rows by seq and keeps one of each event; two rows of one seq that differ are a problem.
func oneRowPerEvent(rows []Event) ([]Event, []Problem) {
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b Event) int { return int(a.Seq) - int(b.Seq) })
	var out []Event
	var problems []Problem
	for i, e := range sorted {
		if i > 0 && e.Seq == sorted[i-1].Seq {
			if !sameStoredEvent(e, sorted[i-1]) && (len(problems) == 0 || problems[len(problems)-1].Seq != e.Seq) {
				problems = append(problems, Problem{Seq: e.Seq, Kind: ProblemConflict, Detail: fmt.Sprintf(
					"event %d is stored more than once with different content: a row was written beside it", e.Seq)})
			}
			continue
		}
		out = append(out, e)
	}
	return out, problems
}

func sameStoredEvent(a, b Event) bool {
	return a.IncidentID == b.IncidentID && a.Seq == b.Seq && a.At.Equal(b.At) && a.RecordedAt.Equal(b.RecordedAt) &&
		a.Kind == b.Kind && a.Actor == b.Actor && a.Message == b.Message && bytes.Equal(a.Body, b.Body) &&
		a.Cause == b.Cause && a.PrevHash == b.PrevHash && a.Hash == b.Hash
}

// checkHeads returns the last event valid signatures of pub cover, and what is wrong with the heads. hashes maps the
// stored events' seqs to their hashes; last is the highest seq stored.
func checkHeads(hashes map[uint32]string, last uint32, heads []SignedHead, pub ed25519.PublicKey) (uint32, []Problem) {
	keyID := KeyID(pub)
	sorted := slices.Clone(heads)
	slices.SortStableFunc(sorted, func(a, b SignedHead) int { return int(a.Seq) - int(b.Seq) })
	var covered, truncatedTo uint32
	var problems []Problem
	seen := map[string]bool{} // one problem of each kind: the first head it shows at
	report := func(p Problem) {
		if !seen[p.Kind] {
			seen[p.Kind] = true
			problems = append(problems, p)
		}
	}
	for _, h := range sorted {
		sig, err := base64.StdEncoding.DecodeString(h.Signature)
		switch {
		case h.KeyID != keyID:
			report(Problem{Seq: h.Seq, Kind: ProblemOtherKey, Detail: fmt.Sprintf(
				"the signature over event %d is by key %s, not the configured key %s: signed again with another key", h.Seq, h.KeyID, keyID)})
		case err != nil || !ed25519.Verify(pub, HeadMessage(h.IncidentID, h.Seq, h.Hash), sig):
			report(Problem{Seq: h.Seq, Kind: ProblemBadSignature, Detail: fmt.Sprintf(
				"the signature stored for event %d does not verify with key %s: the signature row was forged or altered", h.Seq, keyID)})
		case h.Seq > last:
			truncatedTo = h.Seq
		case hashes[h.Seq] != h.Hash:
			report(Problem{Seq: covered + 1, Kind: ProblemNotCovered, Detail: fmt.Sprintf(
				"the signature over event %d no longer covers the stored chain: %s changed since it was signed (and rehashed without the key)",
				h.Seq, eventRange(covered+1, h.Seq))})
		default:
			covered = max(covered, h.Seq)
		}
	}
	if truncatedTo > 0 {
		problems = append(problems, Problem{Seq: last + 1, Kind: ProblemTruncated, Detail: fmt.Sprintf(
			"a valid signature covers event %d but the stored events end at %d: %s cut off the end", truncatedTo, last, eventRange(last+1, truncatedTo))})
	}
	if covered < last {
		problems = append(problems, Problem{Seq: covered + 1, Kind: ProblemUncovered, Detail: fmt.Sprintf(
			"%s not covered by a valid signature of key %s: written without the key (or before signing was turned on)",
			eventRange(covered+1, last), keyID)})
	}
	return covered, problems
}

func eventRange(from, to uint32) string {
	if from == to {
		return fmt.Sprintf("event %d is", from)
	}
	return fmt.Sprintf("events %d-%d are", from, to)
}
