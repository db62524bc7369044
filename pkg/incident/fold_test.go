package incident

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)

func declared(t *testing.T) *Incident {
	t.Helper()
	inc, e, err := Declare("0b6f2c1e-0000-4000-8000-000000000001", DeclaredBody{
		Title: "Hallucinations", AISystem: "supportbot", Category: Hallucination, Severity: SEV2,
		DeclaredBy: RuleActor("HallucinationRateHigh"), DeclaredVia: "alertmanager", StartedAt: t0.Add(-time.Minute),
	}, t0, t0, RuleActor("HallucinationRateHigh"), "declared")
	require.NoError(t, err)
	assert.Equal(t, uint32(1), e.Seq)
	assert.Empty(t, e.PrevHash)
	return inc
}

func alertBody(key string) AlertBody {
	return AlertBody{Alert: Alert{Key: key, Fingerprint: key, Name: "A", Labels: map[string]string{"alertname": "A"}}}
}

func TestLifecycle(t *testing.T) {
	inc := declared(t)
	var events []Event
	add := func(k Kind, at time.Time, body any) {
		t.Helper()
		e, err := inc.Append(k, at, at, SystemActor, string(k), body)
		require.NoError(t, err)
		events = append(events, e)
	}
	first := inc.Clone()
	add(KindAlertFired, t0, alertBody("a"))
	add(KindAlertFired, t0, alertBody("b"))
	assert.Equal(t, 2, inc.AlertCount)
	assert.Equal(t, 2, inc.FiringCount)
	add(KindAlertResolved, t0.Add(time.Minute), alertBody("a"))
	assert.Equal(t, 2, inc.AlertCount)
	assert.Equal(t, 1, inc.FiringCount)
	add(KindSeverityChanged, t0, SeverityBody{From: SEV2, To: SEV1})
	assert.Equal(t, SEV1, inc.Severity)
	add(KindAcknowledged, t0.Add(2*time.Minute), StatusBody{From: Declared, To: Acknowledged})
	add(KindContained, t0.Add(3*time.Minute), StatusBody{})
	add(KindResolved, t0.Add(4*time.Minute), StatusBody{})
	assert.Equal(t, Resolved, inc.Status)
	add(KindReopened, t0.Add(5*time.Minute), StatusBody{})
	assert.Equal(t, Acknowledged, inc.Status)
	assert.True(t, inc.ResolvedAt.IsZero())
	add(KindResolved, t0.Add(6*time.Minute), StatusBody{})
	add(KindClosed, t0.Add(7*time.Minute), StatusBody{})
	assert.Equal(t, Closed, inc.Status)
	assert.Equal(t, t0.Add(2*time.Minute), inc.AcknowledgedAt)
	assert.Equal(t, t0.Add(3*time.Minute), inc.ContainedAt)
	assert.Equal(t, t0.Add(6*time.Minute), inc.ResolvedAt)
	assert.Equal(t, uint32(11), inc.LastSeq)
	assert.Equal(t, uint32(1), first.LastSeq, "clone is independent")
	assert.Equal(t, 0, first.AlertCount)

	// Folding the stored timeline gives the same state.
	all := append([]Event{{}}, events...)
	all[0] = mustFirst(t)
	folded, err := Fold(all)
	require.NoError(t, err)
	assert.Equal(t, inc.Status, folded.Status)
	assert.Equal(t, inc.LastHash, folded.LastHash)
	assert.Equal(t, inc.FiringCount, folded.FiringCount)
	assert.Nil(t, VerifyChain(all))
}

func mustFirst(t *testing.T) Event {
	t.Helper()
	_, e, err := Declare("0b6f2c1e-0000-4000-8000-000000000001", DeclaredBody{
		Title: "Hallucinations", AISystem: "supportbot", Category: Hallucination, Severity: SEV2,
		DeclaredBy: RuleActor("HallucinationRateHigh"), DeclaredVia: "alertmanager", StartedAt: t0.Add(-time.Minute),
	}, t0, t0, RuleActor("HallucinationRateHigh"), "declared")
	require.NoError(t, err)
	return e
}

func TestTransitionsRefused(t *testing.T) {
	tests := []struct {
		path []Kind
		bad  Kind
	}{
		{[]Kind{KindAcknowledged}, KindAcknowledged},
		{[]Kind{}, KindClosed},
		{[]Kind{}, KindReopened},
		{[]Kind{KindResolved, KindClosed}, KindResolved},
		{[]Kind{KindResolved, KindClosed}, KindReopened},
		{[]Kind{KindContained}, KindAcknowledged},
		{[]Kind{KindResolved}, KindContained},
	}
	for _, tt := range tests {
		inc := declared(t)
		for _, k := range tt.path {
			_, err := inc.Append(k, t0, t0, SystemActor, "", StatusBody{})
			require.NoError(t, err)
		}
		before := *inc
		_, err := inc.Append(tt.bad, t0, t0, SystemActor, "", StatusBody{})
		var te *ErrTransition
		require.ErrorAs(t, err, &te, "%v then %s", tt.path, tt.bad)
		assert.Equal(t, before.Status, te.From)
		assert.Equal(t, before.LastSeq, inc.LastSeq, "a refused event changes nothing")
	}
}

func TestApplyRejectsBrokenChain(t *testing.T) {
	inc := declared(t)
	e := inc.NewEvent(KindNote, t0, t0, SystemActor, "x", NoteBody{Text: "x"})
	bad := e
	bad.Seq = 5
	assert.ErrorContains(t, inc.Apply(bad), "seq 5")
	bad = e
	bad.PrevHash = "00"
	assert.ErrorContains(t, inc.Apply(bad), "prev_hash")
	bad = e
	bad.IncidentID = "other"
	assert.ErrorContains(t, inc.Apply(bad), "applied to incident")
	bad = e
	bad.Kind = KindDeclared
	assert.ErrorContains(t, inc.Apply(bad), "first event")
	bad = inc.NewEvent(KindAlertFired, t0, t0, SystemActor, "", AlertBody{})
	assert.ErrorContains(t, inc.Apply(bad), "without key")
	bad = inc.NewEvent(KindSeverityChanged, t0, t0, SystemActor, "", json.RawMessage(`{"to":"SEV7"}`))
	assert.Error(t, inc.Apply(bad))
	require.NoError(t, inc.Apply(e))
	_, err := Fold(nil)
	assert.Error(t, err)
}

func TestVerifyChain(t *testing.T) {
	inc := declared(t)
	events := []Event{mustFirst(t)}
	for i := 0; i < 4; i++ {
		e, err := inc.Append(KindNote, t0, t0, UserActor("alice"), "note", NoteBody{Text: "n"})
		require.NoError(t, err)
		events = append(events, e)
	}
	require.Nil(t, VerifyChain(events))

	altered := append([]Event(nil), events...)
	altered[2].Message = "rewritten"
	assert.Equal(t, &ChainBreak{Seq: 3, Reason: "event 3 was altered: its hash does not match its content"}, VerifyChain(altered))

	late := append([]Event(nil), events...)
	late[2].RecordedAt = late[2].RecordedAt.Add(time.Hour)
	assert.Equal(t, uint32(3), VerifyChain(late).Seq, "recorded_at is hashed")

	dropped := append(append([]Event(nil), events[:2]...), events[3:]...)
	br := VerifyChain(dropped)
	require.NotNil(t, br)
	assert.Equal(t, uint32(3), br.Seq, "the missing event is named")

	relinked := append([]Event(nil), events...)
	relinked[3].PrevHash = "x"
	relinked[3].Hash = relinked[3].ComputeHash()
	assert.Equal(t, uint32(4), VerifyChain(relinked).Seq)
}

func TestParseAndStrings(t *testing.T) {
	for _, s := range []Severity{SEV1, SEV2, SEV3} {
		p, err := ParseSeverity(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, p)
	}
	_, err := ParseSeverity("SEV0")
	assert.Error(t, err)
	assert.True(t, SEV1.MoreUrgent(SEV2))
	assert.False(t, SEV3.MoreUrgent(SEV2))
	assert.True(t, SEV3.MoreUrgent(0))
	for _, c := range Categories {
		p, err := ParseCategory(string(c))
		require.NoError(t, err)
		assert.Equal(t, c, p)
	}
	_, err = ParseCategory("weird")
	assert.ErrorContains(t, err, "hallucination")
	for _, s := range Statuses {
		p, err := ParseStatus(string(s))
		require.NoError(t, err)
		assert.Equal(t, s, p)
	}
	_, err = ParseStatus("open")
	assert.Error(t, err)
	b, err := json.Marshal(struct{ S Severity }{SEV3})
	require.NoError(t, err)
	assert.JSONEq(t, `{"S":"SEV3"}`, string(b))
	assert.Equal(t, "fp@1795600800123", AlertKey("fp", t0))
}
