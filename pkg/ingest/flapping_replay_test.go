package ingest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"

	"github.com/firebreak-dev/firebreak/pkg/ingest"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// An alert flapping long ago, through the processor and ClickHouse: the incident is marked flapping once, the
// processor ends the flapping by itself when no notification comes (its quiet time is long over), and replaying
// every notification, while running and after a restart, adds no second flapping_started or flapping_ended and
// changes no stored row.
func TestFlappingEventsSurviveReplayAndRestart(t *testing.T) {
	ch, db, st := newDatabase(t)
	spoolDir := t.TempDir()
	flap := func(p *ingest.Processor) {
		p.Flapping = ingest.Flapping{Reopens: 2, Window: 30 * time.Minute, Quiet: 10 * time.Minute}
	}
	const group = `{}:{alertname="PromptInjectionDetected"}`
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	type sent struct {
		at   time.Time
		body string
	}
	var notes []sent
	for i := 0; i < 5; i++ { // fires every 2 minutes, clears a minute later: four reopens
		fire := start.Add(time.Duration(2*i) * time.Minute)
		notes = append(notes,
			sent{fire.Add(time.Second), alertNotification(group, "fp1", "firing", fire, time.Time{})},
			sent{fire.Add(time.Minute + time.Second), alertNotification(group, "fp1", "resolved", fire, fire.Add(time.Minute))})
	}
	r := startProcessor(t, st, spoolDir, flap)
	for _, n := range notes {
		r.notify(n.at, n.body)
	}
	kinds := func() string {
		return ch.Query(t, "SELECT groupArray(kind) FROM (SELECT kind FROM "+db+".incident_events ORDER BY seq)")
	}
	// Resolved and not flapping holds after the second notification already: wait for the end of the flapping too.
	testenv.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		out := ch.Query(t, "SELECT flapping, toString(status) FROM "+db+".incidents")
		k := kinds()
		// The last write's state rows too (its views fill the tables one after another), before the snapshot.
		landed := ch.Query(t, "SELECT (SELECT max(seq) FROM "+db+".events) = (SELECT max(version) FROM "+db+".incident_state)"+
			" AND (SELECT max(seq) FROM "+db+".events) = (SELECT max(version) FROM "+db+".incident_state_by_time)")
		return out == "0\tresolved\n" && strings.Contains(k, "'flapping_ended','resolved'") && landed == "1\n", out + k + landed
	})
	assert.Equal(t, "['declared','taxonomy_updated','alert_fired','alert_resolved','resolved','reopened','alert_fired','alert_resolved','resolved',"+
		"'reopened','alert_fired','alert_resolved','resolved','reopened','flapping_started','alert_fired','alert_resolved',"+
		"'alert_fired','alert_resolved','flapping_ended','resolved']\n", kinds(),
		"flapping from the third reopen: no resolve or reopen while it lasts; ended by the processor, then resolved")
	assert.Equal(t, 1.0, testutil.ToFloat64(r.metrics.Flapping.WithLabelValues("started")))
	assert.Equal(t, 1.0, testutil.ToFloat64(r.metrics.Flapping.WithLabelValues("ended")))
	before := storedRows(t, ch, db)

	for _, n := range notes { // replayed while running
		r.notify(n.at, n.body)
	}
	r.waitDuplicates(float64(len(notes)))
	r.stop()
	assert.Equal(t, before, storedRows(t, ch, db), "a replay while running changed stored rows")

	r = startProcessor(t, st, spoolDir, flap)
	defer r.stop()
	for _, n := range notes { // and after a restart
		r.notify(n.at, n.body)
	}
	r.waitDuplicates(float64(len(notes)))
	assert.Equal(t, before, storedRows(t, ch, db), "a replay after a restart changed stored rows")
}
