package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

func TestEvidenceIsStoredOnceAndReadBack(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	records, inc := timeline(t, "evidence")
	content := []byte(`{"snapshot":"it's \"quoted\"; DROP TABLE x","bytes":"` + string([]byte{0xe2, 0x9c, 0x93}) + `"}`)
	ev := &Evidence{IncidentID: inc.ID, SnapshotID: "snap-1", RequestID: "req-1", Attempt: 1, TakenAt: t0, TakenBy: "alice",
		SHA256: incident.SnapshotSHA256(content), Bytes: len(content), Content: content, DeclaredAt: inc.DeclaredAt}
	records[len(records)-1].Evidence = ev
	require.NoError(t, s.Write(ctx, records))
	require.NoError(t, s.Write(ctx, records), "a replayed write")

	list, err := s.EvidenceList(ctx, inc.ID)
	require.NoError(t, err)
	require.Len(t, list, 1, "written twice, listed once")
	assert.Equal(t, "snap-1", list[0].SnapshotID)
	assert.Equal(t, len(content), list[0].Bytes)
	assert.Nil(t, list[0].Content, "the list leaves the content out")
	assert.Equal(t, t0.Truncate(1e9), list[0].TakenAt)

	got, err := s.EvidenceSnapshot(ctx, inc.ID, "snap-1")
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, content, got.Content, "the exact bytes")
	assert.Equal(t, ev.SHA256, incident.SnapshotSHA256(got.Content))

	none, err := s.EvidenceSnapshot(ctx, inc.ID, "snap-2")
	require.NoError(t, err)
	assert.Nil(t, none)
	empty, err := s.EvidenceList(ctx, "00000000-0000-0000-0000-000000000001")
	require.NoError(t, err)
	assert.Empty(t, empty)
	_, err = s.EvidenceList(ctx, "not-a-uuid")
	assert.Error(t, err)
}
