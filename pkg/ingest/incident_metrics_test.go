package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/ingest"
	"github.com/firebreak-dev/firebreak/pkg/spool"
	"github.com/firebreak-dev/firebreak/pkg/store"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// withIncidentMetrics is a processor with its deadline index and incident metrics on a registry of its own (a
// restart is a new one, as a new process).
type withIncidentMetrics struct {
	*running
	reg *prometheus.Registry
}

func runWithIncidentMetrics(t *testing.T, st *store.Store, spoolDir string) *withIncidentMetrics {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: spoolDir})
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	index := &ingest.DeadlineIndex{}
	r := &running{t: t, sp: sp, metrics: ingest.NewMetrics(reg), waiters: &ingest.Waiters{}}
	p := &ingest.Processor{Spool: sp, Store: st, Mapping: incident.DefaultMapping(), Metrics: r.metrics,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: 10 * time.Millisecond, Waiters: r.waiters,
		Deadlines: index, Incidents: ingest.NewIncidentMetrics(reg, index, incident.DefaultSLATargets(), time.Now)}
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
	return &withIncidentMetrics{r, reg}
}

// series returns the samples of the metrics whose name starts with prefix, as `name{k="v",...} value` lines
// (labels in name order, histograms as their _count; counters left out), sorted.
func series(t *testing.T, reg *prometheus.Registry, prefix string) []string {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var out []string
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), prefix) || strings.HasSuffix(mf.GetName(), "_total") {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name, v := mf.GetName(), m.GetGauge().GetValue()
			if h := m.GetHistogram(); h != nil {
				name, v = name+"_count", float64(h.GetSampleCount())
			}
			out = append(out, fmt.Sprintf("%s{%s} %s", name, strings.Join(labels, ","), strconv.FormatFloat(v, 'f', -1, 64)))
		}
	}
	sort.Strings(out)
	return out
}

func sev1Notification(start time.Time) string {
	return fmt.Sprintf(`{"version":"4","status":"firing","receiver":"firebreak","groupKey":"g-sev1","alerts":[{"status":"firing",
		"fingerprint":"fp-sev1","startsAt":%q,"labels":{"alertname":"AIHallucinationRateHigh","ai_system":"supportbot",
		"severity":"critical","category":"hallucination"},"annotations":{"summary":"hallucinations on supportbot"}}]}`,
		start.Format(time.RFC3339))
}

// Issue 15, 1: an open incident's deadlines are series while they are pending and go when they are met; response
// times are observed once; after a restart the gauges come back from ClickHouse and a replay of what was already
// applied observes nothing again.
func TestIncidentMetricsFollowTheIncidentAcrossARestart(t *testing.T) {
	ch := testenv.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	st, err := store.Open(ch.DSN(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	defer st.Close()
	spoolDir := t.TempDir()

	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	r := runWithIncidentMetrics(t, st, spoolDir)
	r.notify(start, sev1Notification(start))
	var id string
	var declared int64
	testenv.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		out := ch.Query(t, "SELECT toString(incident_id), toUnixTimestamp(declared_at) FROM "+db+".incidents FORMAT TSV")
		if _, err := fmt.Sscanf(out, "%s\t%d", &id, &declared); err != nil {
			return false, "no incident yet: " + out
		}
		return true, ""
	})
	labels := fmt.Sprintf(`ai_system="supportbot",category="hallucination",incident_id=%q,severity="SEV1"`, id)
	ackDue := fmt.Sprintf("firebreak_incident_acknowledge_deadline_timestamp_seconds{%s} %d", labels, declared+15*60)
	containDue := fmt.Sprintf("firebreak_incident_contain_deadline_timestamp_seconds{%s} %d", labels, declared+4*3600)
	openSeries := func(status string) string {
		return fmt.Sprintf(`firebreak_incidents_open{ai_system="supportbot",category="hallucination",severity="SEV1",status=%q} 1`, status)
	}
	testenv.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		got := series(t, r.reg, "firebreak_incident")
		return assert.ObjectsAreEqual([]string{ackDue, containDue, openSeries("declared"), "firebreak_incidents_sla_breached{} 1"}, got), strings.Join(got, "\n")
	})

	alice := incident.Actor{Login: "alice", Role: incident.Admin}
	ack := incident.Command{ID: "ack-1", Kind: incident.CmdAcknowledge, IncidentID: id, Actor: alice}
	r.command(time.Now(), ack)
	assert.ElementsMatch(t, []string{
		`firebreak_incident_time_to_acknowledge_seconds_count{severity="SEV1"} 1`,
		containDue, openSeries("acknowledged"), "firebreak_incidents_sla_breached{} 0",
	}, series(t, r.reg, "firebreak_incident"), "acknowledged: its acknowledge deadline is gone, the response time observed once")
	r.stop()

	// A new process: the gauges come back from ClickHouse before anything arrives; the same notification and
	// command again (Alertmanager's repeat, the plugin's retry) are recognized and observe nothing.
	r2 := runWithIncidentMetrics(t, st, spoolDir)
	defer r2.stop()
	assert.ElementsMatch(t, []string{containDue, openSeries("acknowledged"), "firebreak_incidents_sla_breached{} 0"},
		series(t, r2.reg, "firebreak_incident"), "after a restart, from ClickHouse")
	r2.notify(time.Now(), sev1Notification(start))
	r2.waitDuplicates(1)
	payload, err := json.Marshal(ingest.Envelope{ReceivedAt: time.Now(), Command: &ack})
	require.NoError(t, err)
	ch2 := r2.waiters.Register(ack.ID)
	require.NoError(t, r2.sp.Append(context.Background(), payload))
	select {
	case <-ch2:
	case <-time.After(20 * time.Second):
		t.Fatal("the replayed command was not answered")
	}
	assert.ElementsMatch(t, []string{containDue, openSeries("acknowledged"), "firebreak_incidents_sla_breached{} 0"},
		series(t, r2.reg, "firebreak_incident"), "replays observe nothing")

	r2.command(time.Now(), incident.Command{ID: "contain-1", Kind: incident.CmdStatus, IncidentID: id, Actor: alice,
		Status: &incident.StatusRequest{Status: "contained", Reason: "model rolled back"}})
	r2.command(time.Now(), incident.Command{ID: "resolve-1", Kind: incident.CmdStatus, IncidentID: id, Actor: alice,
		Status: &incident.StatusRequest{Status: "resolved", Reason: "fixed"}})
	assert.ElementsMatch(t, []string{
		`firebreak_incident_time_to_contain_seconds_count{severity="SEV1"} 1`,
		`firebreak_incident_time_to_resolve_seconds_count{severity="SEV1"} 1`,
		"firebreak_incidents_sla_breached{} 0",
	}, series(t, r2.reg, "firebreak_incident"), "resolved: no series of it is left")
}
