package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/ingest"
	"github.com/firebreak-dev/firebreak/pkg/spool"
	"github.com/firebreak-dev/firebreak/pkg/store"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// running is a processor under test, on a spool and a store that outlive it (a restart is a new running).
type running struct {
	t       *testing.T
	sp      *spool.Spool
	metrics *ingest.Metrics
	waiters *ingest.Waiters
	stop    func()
}

func runProcessor(t *testing.T, st *store.Store, spoolDir string, horizon time.Duration) *running {
	t.Helper()
	return startProcessor(t, st, spoolDir, func(p *ingest.Processor) { p.ReplayHorizon = horizon })
}

// newDatabase gives the test a database of its own on the shared ClickHouse, and a store on it.
func newDatabase(t *testing.T) (*testenv.ClickHouse, string, *store.Store) {
	t.Helper()
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	st, err := store.Open(ch.DSN(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return ch, db, st
}

// startProcessor runs a processor set up by configure.
func startProcessor(t *testing.T, st *store.Store, spoolDir string, configure func(*ingest.Processor)) *running {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: spoolDir})
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := &running{t: t, sp: sp, metrics: ingest.NewMetrics(prometheus.NewRegistry()), waiters: &ingest.Waiters{}}
	p := &ingest.Processor{Spool: sp, Store: st, Mapping: incident.DefaultMapping(), Metrics: r.metrics, Log: log,
		Linger: 10 * time.Millisecond, Waiters: r.waiters}
	configure(p)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	select {
	case <-p.Ready():
	case err := <-done:
		t.Fatalf("processor stopped before it was ready: %v", err)
	}
	r.stop = func() {
		cancel()
		<-done
		require.NoError(t, sp.Close())
	}
	return r
}

func (r *running) notify(at time.Time, body string) {
	r.t.Helper()
	require.NoError(r.t, r.sp.Append(context.Background(), ingest.NotificationRecord(at, []byte(body))))
}

func (r *running) command(at time.Time, c incident.Command) ingest.CommandResult {
	r.t.Helper()
	require.NoError(r.t, c.Validate())
	ch := r.waiters.Register(c.ID)
	payload, err := json.Marshal(ingest.Envelope{ReceivedAt: at, Command: &c})
	require.NoError(r.t, err)
	require.NoError(r.t, r.sp.Append(context.Background(), payload))
	select {
	case res := <-ch:
		require.NoError(r.t, res.Err)
		return res
	case <-time.After(30 * time.Second):
		r.t.Fatalf("command %s not applied", c.ID)
		return ingest.CommandResult{}
	}
}

// waitDuplicates waits until the processor has counted n duplicate alerts.
func (r *running) waitDuplicates(n float64) {
	r.t.Helper()
	testenv.WaitFor(r.t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		got := testutil.ToFloat64(r.metrics.Duplicates)
		return got >= n, fmt.Sprintf("%v duplicate alerts counted, want %v", got, n)
	})
}

func alertNotification(group, fp, status string, start, end time.Time) string {
	ends := ""
	if !end.IsZero() {
		ends = fmt.Sprintf(`,"endsAt":%q`, end.Format(time.RFC3339))
	}
	return fmt.Sprintf(`{"version":"4","status":%q,"receiver":"firebreak","groupKey":%q,"alerts":[{"status":%q,
		"fingerprint":%q,"startsAt":%q%s,"labels":{"alertname":"PromptInjectionDetected","ai_system":"supportbot",
		"severity":"info"},"annotations":{"summary":"injection attempts on supportbot"}}]}`,
		status, group, status, fp, start.Format(time.RFC3339), ends)
}

// storedRows is every row of every table a replay could change, in a stable order.
func storedRows(t *testing.T, ch *testenv.ClickHouse, db string) map[string]string {
	out := map[string]string{}
	for table, order := range map[string]string{
		"events": "incident_id, seq", "alerts": "incident_id, alert_key, version",
		"incident_state": "incident_id, version", "incident_state_by_time": "incident_id, version",
		"incident_index": "incident_id", "evidence": "incident_id, snapshot_id",
	} {
		out[table] = ch.Query(t, fmt.Sprintf("SELECT * FROM %s.%s ORDER BY %s FORMAT TSV", db, table, order))
	}
	return out
}

// Issue 12, 1: an incident that people worked on, resolved, closed and swept from the receiver's memory is never
// rewritten by its own notifications coming again, however late: while the receiver runs (the swept incident's
// episodes are remembered), after a restart (read back from ClickHouse at start), and after the replay horizon (the
// alert is looked up in ClickHouse). Every stored row stays as it was; a re-fire declares a new incident.
func TestLateReplayLeavesEveryStoredRow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		horizon time.Duration
	}{
		{"within the replay horizon", 0},
		{"beyond the replay horizon", time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, db, st := newDatabase(t)
			spoolDir := t.TempDir()

			start := time.Now().Add(-30 * time.Hour).Truncate(time.Second)
			firing := alertNotification("{}:{alertname=\"PromptInjectionDetected\"}", "fp1", "firing", start, time.Time{})
			resolved := alertNotification("{}:{alertname=\"PromptInjectionDetected\"}", "fp1", "resolved", start, start.Add(5*time.Minute))

			r := runProcessor(t, st, spoolDir, tc.horizon)
			r.notify(start.Add(time.Second), firing)
			r.notify(start.Add(6*time.Minute), resolved)
			var id string
			testenv.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
				out := ch.Query(t, "SELECT toString(incident_id), toString(status) FROM "+db+".incidents")
				if _, err := fmt.Sscanf(out, "%s resolved", &id); err != nil {
					return false, "no resolved incident yet: " + out
				}
				return true, ""
			})
			alice := incident.Actor{Login: "alice", Role: incident.Editor}
			r.command(start.Add(10*time.Minute), incident.Command{ID: "note-1", Kind: incident.CmdNote, IncidentID: id,
				Actor: alice, Note: &incident.NoteBody{Text: "customers saw the injected reply; screenshots attached"}})
			r.command(start.Add(15*time.Minute), incident.Command{ID: "lead-1", Kind: incident.CmdAssignRole, IncidentID: id,
				Actor: alice, Role: &incident.RoleBody{Role: incident.RoleIncidentLead, User: "alice"}})
			r.command(start.Add(20*time.Minute), incident.Command{ID: "close-1", Kind: incident.CmdClose, IncidentID: id,
				Actor: alice})
			// Hours later another incident's alert makes the receiver sweep the closed one from memory.
			other := start.Add(3 * time.Hour)
			r.notify(other, alertNotification("other", "fp2", "firing", other, time.Time{}))
			testenv.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
				n := ch.Query(t, "SELECT count() FROM "+db+".incidents")
				return n == "2\n", "incidents: " + n
			})
			before := storedRows(t, ch, db)
			require.Contains(t, before["events"], "screenshots attached")

			// Alertmanager repeats both notifications hours later (HA peer back, retries): nothing changes.
			r.notify(start.Add(5*time.Hour), firing)
			r.notify(start.Add(5*time.Hour), resolved)
			r.waitDuplicates(2)
			r.stop()
			assert.Equal(t, before, storedRows(t, ch, db), "a late replay while running changed stored rows")

			// After a restart, the same notifications again, a day later.
			r = runProcessor(t, st, spoolDir, tc.horizon)
			defer r.stop()
			r.notify(time.Now(), firing)
			r.notify(time.Now(), resolved)
			r.waitDuplicates(2)
			assert.Equal(t, before, storedRows(t, ch, db), "a late replay after a restart changed stored rows")
			assert.GreaterOrEqual(t, testutil.ToFloat64(r.metrics.ReplaysLoaded), 1.0, "the incident is read back")

			// The alert firing again (a new episode) after the close declares a new incident.
			again := time.Now().Truncate(time.Second)
			r.notify(again, alertNotification("{}:{alertname=\"PromptInjectionDetected\"}", "fp1", "firing", again, time.Time{}))
			testenv.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
				n := ch.Query(t, "SELECT count() FROM "+db+".incidents")
				return n == "3\n", "incidents: " + n
			})
			after := ch.Query(t, "SELECT * FROM "+db+".events WHERE incident_id = '"+id+"' ORDER BY seq FORMAT TSV")
			assert.Equal(t, ch.Query(t, "SELECT * FROM "+db+".events WHERE incident_id = '"+id+"' ORDER BY seq FORMAT TSV"), after)
			assert.Contains(t, before["events"], after, "the closed incident's events are as they were")
		})
	}
}
