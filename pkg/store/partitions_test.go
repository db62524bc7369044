package store

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

func TestDeclarationTimesBounded(t *testing.T) {
	var c declarationTimes
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	first := uuid.New()
	c.put(first, t0)
	got, ok := c.get(first)
	assert.True(t, ok)
	assert.Equal(t, t0, got)
	for i := range declarationTimesMax + 10 {
		c.put(uuid.New(), t0.Add(time.Duration(i)*time.Second))
	}
	assert.Len(t, c.m, declarationTimesMax, "full: one forgotten for each new one")
	c.put(first, t0) // known ids do not evict
	assert.LessOrEqual(t, len(c.m), declarationTimesMax)
}

func TestOnePerSeq(t *testing.T) {
	ev := func(seq uint32, msg string) incident.Event { return incident.Event{Seq: seq, Message: msg} }
	got := onePerSeq([]incident.Event{ev(3, "c"), ev(1, "a"), ev(2, "b"), ev(1, "a"), ev(3, "c")})
	assert.Equal(t, []incident.Event{ev(1, "a"), ev(2, "b"), ev(3, "c")}, got)
	assert.Empty(t, onePerSeq(nil))
}

func TestDeadlinesQueryRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC)
	targets := incident.SLATargets{incident.SEV1: {Acknowledge: 90*time.Second + time.Millisecond, Contain: time.Hour},
		incident.SEV3: {Acknowledge: 72 * time.Hour}}
	gotNow, got, err := ParseDeadlinesQuery(DeadlinesQuery(now.Add(500*time.Millisecond), targets))
	assert.NoError(t, err)
	assert.Equal(t, now, gotNow)
	assert.Equal(t, incident.SLATargets{incident.SEV1: {Acknowledge: 91 * time.Second, Contain: time.Hour},
		incident.SEV2: {}, incident.SEV3: {Acknowledge: 72 * time.Hour}}, got, "whole seconds, rounded up")
}
