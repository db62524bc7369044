package ingest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

func TestDeadlineIndex(t *testing.T) {
	var x DeadlineIndex
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	_, ok := x.Summary(now, incident.DefaultSLATargets())
	assert.False(t, ok, "not loaded yet")

	open := incident.Deadlines{Severity: incident.SEV1, Open: true, DeclaredAt: now.Add(-time.Hour)}
	x.Load(map[string]incident.Deadlines{
		"open":  open,
		"done":  {Severity: incident.SEV2, DeclaredAt: now.Add(-time.Hour), Acknowledged: true, Contained: true},
		"drill": {Severity: incident.SEV1, Open: true, DeclaredAt: now.Add(-time.Hour), Drill: true},
	})
	assert.Equal(t, 1, x.Len(), "only pending deadlines are kept")
	sum, ok := x.Summary(now, incident.DefaultSLATargets())
	require.True(t, ok)
	assert.Equal(t, uint64(1), sum.OpenSLABreaches, "SEV1 not acknowledged within 15 min")

	// The processor's updates: acknowledged, then an action item overdue and a regulatory deadline due tomorrow.
	open.Acknowledged = true
	x.Update("open", open)
	sum, _ = x.Summary(now, incident.DefaultSLATargets())
	assert.Zero(t, sum.OpenSLABreaches)
	closed := incident.Deadlines{Severity: incident.SEV2, DeclaredAt: now.Add(-48 * time.Hour), Title: "leak",
		RegulatoryDue: now.Add(24 * time.Hour), ActionItemDues: []time.Time{now.Add(-24 * time.Hour), now.Add(24 * time.Hour)}}
	x.Update("closed", closed)
	sum, _ = x.Summary(now, incident.DefaultSLATargets())
	assert.Equal(t, uint64(1), sum.OverdueActionItems)
	require.Len(t, sum.RegulatoryDueSoon, 1)
	assert.Equal(t, "leak", sum.RegulatoryDueSoon[0].Title)
	assert.Equal(t, 2, x.Len())

	// Reported and done: nothing pending any more, the entry goes.
	x.Update("closed", incident.Deadlines{Severity: incident.SEV2, DeclaredAt: closed.DeclaredAt})
	assert.Equal(t, 1, x.Len())
}
