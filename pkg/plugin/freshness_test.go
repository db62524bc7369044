package plugin

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

func TestRecentWrites(t *testing.T) {
	var r recentWrites
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	a := &incident.Incident{ID: "a", LastSeq: 3, DeclaredAt: t0}
	b := &incident.Incident{ID: "b", LastSeq: 7, DeclaredAt: t0}
	r.add(a, t0)
	r.add(b, t0)
	assert.Len(t, r.of("", t0), 2)
	assert.Len(t, r.of("a", t0), 1)

	r.seen("a", 2) // ClickHouse does not show the change yet
	assert.Equal(t, uint32(3), r.of("a", t0)["a"].seq)
	r.add(&incident.Incident{ID: "a", LastSeq: 2}, t0) // an older answer does not lower what is waited for
	assert.Equal(t, uint32(3), r.of("a", t0)["a"].seq)
	r.seen("a", 3)
	assert.Empty(t, r.of("a", t0))

	assert.Len(t, r.of("", t0.Add(recentWriteTTL)), 1, "b still waited for")
	assert.Empty(t, r.of("", t0.Add(recentWriteTTL+time.Second)), "forgotten after the TTL")
}
