package ingest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/ingest"
	"github.com/firebreak-dev/firebreak/pkg/spool"
	"github.com/firebreak-dev/firebreak/pkg/store"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// A processor that fails while its writer is retrying an unreachable ClickHouse returns (the receiver then exits
// and is restarted; the spool keeps what was not written) instead of waiting for ClickHouse to come back.
func TestProcessorFailingWhileClickHouseIsDownReturns(t *testing.T) {
	ch := testenv.StartClickHouse(t)
	db := ch.NewDatabase(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ch.DSN(db)+"?dial_timeout=200ms&read_timeout=2s", log)
	require.NoError(t, err)
	defer st.Close()
	sp, err := spool.Open(spool.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	defer sp.Close()
	metrics := ingest.NewMetrics(prometheus.NewRegistry())
	p := &ingest.Processor{Spool: sp, Store: st, Mapping: incident.DefaultMapping(), Metrics: metrics, Log: log,
		Linger: 10 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	select {
	case <-p.Ready():
	case err := <-done:
		t.Fatalf("processor stopped before it was ready: %v", err)
	}

	ch.Stop()
	defer ch.Start()
	body := []byte(`{"version":"4","status":"firing","groupKey":"g","alerts":[{"status":"firing","fingerprint":"f1",
		"startsAt":"` + time.Now().UTC().Format(time.RFC3339) + `","labels":{"alertname":"HallucinationRateHigh"}}]}`)
	require.NoError(t, sp.Append(context.Background(), ingest.NotificationRecord(time.Now(), body)))
	testenv.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		n := testutil.ToFloat64(metrics.WriteErrors)
		return n > 0, "no failed write yet"
	})

	require.NoError(t, sp.Close()) // what the processor reads fails: it must stop, the writer's retries with it
	select {
	case err := <-done:
		assert.ErrorIs(t, err, spool.ErrClosed)
	case <-time.After(30 * time.Second):
		t.Fatal("the processor did not return while its writer retried an unreachable ClickHouse")
	}
}

// A batch of notifications with many alerts each is written in parts of about maxWriteRecords (5,000) events plus
// one notification's, not as one write of every event the batch applied: 4 notifications of 3,000 alerts, spooled
// before the processor starts so that it applies them together, were one write of 12,000 events.
func TestProcessorBoundsEventsPerWrite(t *testing.T) {
	ch := testenv.StartClickHouse(t)
	db := ch.NewDatabase(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ch.DSN(db), log)
	require.NoError(t, err)
	defer st.Close()
	sp, err := spool.Open(spool.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	defer sp.Close()
	const notifications, alerts = 4, 3000
	start := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	for n := range notifications {
		var b strings.Builder
		fmt.Fprintf(&b, `{"version":"4","status":"firing","groupKey":"g%d","alerts":[`, n)
		for a := range alerts {
			if a > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"status":"firing","fingerprint":"f%d-%d","startsAt":"%s","labels":{"alertname":"HallucinationRateHigh","ai_system":"s%d","instance":"i%d"}}`,
				n, a, start, n, a)
		}
		b.WriteString(`]}`)
		require.NoError(t, sp.Append(context.Background(), ingest.NotificationRecord(time.Now(), []byte(b.String()))))
	}
	reg := prometheus.NewRegistry()
	metrics := ingest.NewMetrics(reg)
	p := &ingest.Processor{Spool: sp, Store: st, Mapping: incident.DefaultMapping(), Metrics: metrics, Log: log,
		Linger: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-p.Ready()
	var h *dto.Histogram
	testenv.WaitFor(t, 60*time.Second, 100*time.Millisecond, func() (bool, string) {
		var m dto.Metric
		require.NoError(t, metrics.WriteEvents.Write(&m))
		h = m.GetHistogram()
		return h.GetSampleSum() >= notifications*(alerts+1), fmt.Sprintf("%.0f events written", h.GetSampleSum())
	})
	assert.Equal(t, fmt.Sprint(notifications*alerts), strings.TrimSpace(ch.Query(t, "SELECT count() FROM `"+db+"`.incident_alerts")))
	largest := 0.0
	for _, b := range h.GetBucket() {
		if b.GetCumulativeCount() < h.GetSampleCount() {
			largest = b.GetUpperBound() // the largest write is above this bucket's bound
		}
	}
	assert.GreaterOrEqual(t, h.GetSampleCount(), uint64(2), "the batch was written in one write")
	assert.Less(t, largest, 8192.0, "a write above %v events: the batch was not split (%d writes, %.0f events)",
		largest, h.GetSampleCount(), h.GetSampleSum())
}
