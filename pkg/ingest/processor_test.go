package ingest_test

import (
	"context"
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
