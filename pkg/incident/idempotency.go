package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A command's id is its idempotency key: the timeline remembers the id of the command behind every event (the
// event's cause), so a command sent again (a retry, a replay of the spool) finds its id there and changes nothing.
//
// Since keys are chosen by people (X-Idempotency-Key), an id alone could swallow a change: bob's note sent with the
// key alice had used was answered as done and recorded nothing. So the plugin scopes a person's key to them and to
// the incident (IdempotencyID), and every event also records the fingerprint of its command (what was asked, by
// whom): the same id with the same fingerprint is the same request again; the same id with another fingerprint is
// refused (*ErrKeyReused), never answered as done.

// IdempotencyID is the command id of an idempotency key a person sent: scoped to their login (case-folded, as
// Grafana compares logins) and to the incident ("" for a declare), so that another person's identical key, or the
// same key on another incident, is another command.
func IdempotencyID(login, incidentID, key string) string {
	h := sha256.New()
	for _, part := range []string{"firebreak idempotency key v1", FoldLogin(login), incidentID, key} {
		h.Write([]byte(strconv.Itoa(len(part)) + ":" + part))
	}
	return "key-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// fingerprintLen is the length of a fingerprint in hex.
const fingerprintLen = 32

// Fingerprint identifies what a command asks: its kind, its payload and who asks (the login case-folded), not its
// id, its incident or the asker's org role. For a containment request, the action and the reason (what the person
// sent), not what the catalog said of the action then.
func (c *Command) Fingerprint() string {
	v := *c
	v.ID, v.IncidentID, v.Actor = "", "", Actor{Login: FoldLogin(c.Actor.Login)}
	if r := c.ContainmentRequest; r != nil {
		v.ContainmentRequest = &ContainmentRequestBody{Action: r.Action, Reason: r.Reason}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("incident: marshal command %s: %v", c.ID, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:fingerprintLen/2])
}

// cause is what an event records of the command that made it: its id and its fingerprint, "<id>#<fingerprint>".
func (c *Command) cause() string { return c.ID + "#" + c.Fingerprint() }

// splitCause reads an event's cause. Events recorded before fingerprints have the command's id alone (no id had a
// '#': keys were letters, digits and ._:- and the plugin's own ids UUIDs and '/'-joined ones), and no fingerprint.
func splitCause(cause string) (id, fingerprint string) {
	i := strings.LastIndexByte(cause, '#')
	if i < 0 || len(cause)-i-1 != fingerprintLen || !isLowerHex(cause[i+1:]) {
		return cause, ""
	}
	return cause[:i], cause[i+1:]
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ErrKeyReused says that a command's id (its idempotency key) is on the timeline for another request: another
// command, another body or another person (HTTP 422).
type ErrKeyReused struct{ Reason string }

func (e *ErrKeyReused) Error() string { return e.Reason }

// Replayed reports whether c is already on inc's timeline: its id is there with its fingerprint, or with none (an
// event recorded before fingerprints were). Its id there with another fingerprint is an *ErrKeyReused.
func (inc *Incident) Replayed(c *Command) (bool, error) {
	fingerprint, ok := inc.causes[c.ID]
	switch {
	case !ok:
		return false, nil
	case fingerprint == "" || fingerprint == c.Fingerprint():
		return true, nil
	}
	return false, &ErrKeyReused{Reason: "already used for another request (another command or body); a new request needs a new key"}
}
