package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the processor's Prometheus metrics.
type Metrics struct {
	Declared       *prometheus.CounterVec
	Duplicates     prometheus.Counter
	EventsWritten  prometheus.Counter
	WriteDuration  prometheus.Histogram
	WriteEvents    prometheus.Histogram
	WriteErrors    prometheus.Counter
	Lag            prometheus.Histogram
	DroppedRecords prometheus.Counter
	StateIncidents prometheus.Gauge
	StateEpisodes  prometheus.Gauge
	StoreConnected prometheus.Gauge
	LastWriteTime  prometheus.Gauge
	ReplaysLoaded  prometheus.Counter
	PastEpisodes   prometheus.Gauge
	Flapping       *prometheus.CounterVec
	CommitErrors   prometheus.Counter
	// TaxonomyIgnored counts taxonomy label values of alerts left out of their incidents' classification.
	TaxonomyIgnored *prometheus.CounterVec
}

// NewMetrics registers the processor's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Declared: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firebreak_incidents_declared_total", Help: "Incidents declared from alerts.",
		}, []string{"severity", "category"}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "firebreak_alerts_duplicate_total", Help: "Alerts received again in a state already recorded (retries, HA peers, repeat notifications).",
		}),
		EventsWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "firebreak_events_written_total", Help: "Timeline events written to ClickHouse.",
		}),
		WriteDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "firebreak_store_write_duration_seconds", Help: "Time ClickHouse took to store one write of events: from ending its INSERT (kept open while batches were added) to the answer, or a whole INSERT written again after a failure.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		WriteEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "firebreak_store_write_events", Help: "Events in one write to ClickHouse (at most about 5,000, plus one notification's).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 17),
		}),
		WriteErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "firebreak_store_write_errors_total", Help: "Failed ClickHouse writes (each is retried until it succeeds).",
		}),
		Lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "firebreak_ingest_lag_seconds", Help: "From accepting a notification to its events being in ClickHouse.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}),
		DroppedRecords: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "firebreak_spool_records_undecodable_total", Help: "Spool records that could not be decoded (a bug; each is logged).",
		}),
		StateIncidents: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "firebreak_ingest_state_incidents", Help: "Incidents held in memory because alerts may still change them.",
		}),
		StateEpisodes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "firebreak_ingest_state_alert_episodes", Help: "Alert episodes held in memory for deduplication.",
		}),
		StoreConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "firebreak_store_up", Help: "1 when the last ClickHouse operation succeeded.",
		}),
		LastWriteTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "firebreak_store_last_write_timestamp_seconds", Help: "When events were last written to ClickHouse.",
		}),
		ReplaysLoaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "firebreak_ingest_incidents_reloaded_total", Help: "Incidents read back from ClickHouse because a late notification (retry, repeat, replayed spool) named an alert of theirs after the state had swept them.",
		}),
		PastEpisodes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "firebreak_ingest_state_past_alert_episodes", Help: "Alert episodes of swept incidents remembered so that a late notification of one is recognized (see --replay-horizon).",
		}),
		Flapping: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firebreak_incidents_flapping_total", Help: "Incidents that started (event=started) or stopped (event=ended) flapping: reopened by their alerts too often, then quiet (see --flap-reopens).",
		}, []string{"event"}),
		CommitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "firebreak_spool_commit_errors_total", Help: "Failed spool commits after a write to ClickHouse (each is logged and retried; the records stay in the spool meanwhile).",
		}),
		TaxonomyIgnored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "firebreak_taxonomy_label_values_ignored_total", Help: "Taxonomy label values of new alerts left out of their incident's classification, by the label's name (one the mapping file reads) and why: reason=invalid (not a valid code) or reason=conflict (a harm, people affected or deployment breadth the incident already has another of). The timeline names each.",
		}, []string{"label", "reason"}),
	}
	reg.MustRegister(m.TaxonomyIgnored, m.Flapping, m.CommitErrors, m.Declared, m.Duplicates, m.EventsWritten, m.WriteDuration, m.WriteEvents, m.WriteErrors, m.Lag,
		m.DroppedRecords, m.StateIncidents, m.StateEpisodes, m.StoreConnected, m.LastWriteTime, m.ReplaysLoaded,
		m.PastEpisodes)
	return m
}
