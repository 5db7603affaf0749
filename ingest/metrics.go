package ingest

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/econflow/econflow/transform"
)

// Metrics are the consumer's Prometheus metrics, all prefixed econflow_.
type Metrics struct {
	Consumed     prometheus.Counter
	Written      *prometheus.CounterVec // by table
	Rejected     *prometheus.CounterVec // by error code
	Retries      *prometheus.CounterVec // by operation
	Errors       *prometheus.CounterVec // by operation and class (ErrorClass)
	BatchSeconds prometheus.Histogram
	Reconverted  prometheus.Counter
	// ReconvertFailed counts stored observations the reconciler could not re-derive (retried).
	ReconvertFailed prometheus.Counter
	Lag             *prometheus.GaugeVec // by topic, partition: end offset − committed offset
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Consumed: prometheus.NewCounter(prometheus.CounterOpts{Name: "econflow_messages_consumed_total",
			Help: "Messages fetched from Kafka and processed."}),
		Written: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "econflow_rows_written_total",
			Help: "Rows written to ClickHouse, by table."}, []string{"table"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "econflow_messages_rejected_total",
			Help: "Messages rejected to the dead letters, by error code."}, []string{"code"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "econflow_retries_total",
			Help: "Failed attempts that were retried, by operation."}, []string{"operation"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "econflow_errors_total",
			Help: "Failed attempts of an operation, by operation and error class (retryable, fatal, bad_value)."},
			[]string{"operation", "class"}),
		BatchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "econflow_batch_seconds",
			Help: "Time to process, store and commit one batch.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		Reconverted: prometheus.NewCounter(prometheus.CounterOpts{Name: "econflow_rows_reconverted_total",
			Help: "Stored observations re-converted after a rate arrived or was revised."}),
		ReconvertFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "econflow_rows_reconvert_failed_total",
			Help: "Stored observations the reconciler could not re-derive; each is tried again at the next pass."}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "econflow_consumer_lag",
			Help: "Messages not yet committed: end offset minus committed offset."}, []string{"topic", "partition"}),
	}
	if reg != nil {
		reg.MustRegister(m.Consumed, m.Written, m.Rejected, m.Retries, m.Errors, m.BatchSeconds, m.Reconverted, m.ReconvertFailed, m.Lag)
	}
	return m
}

func (m *Metrics) observeBatch(b *Batch, d time.Duration) {
	m.BatchSeconds.Observe(d.Seconds())
	m.Written.WithLabelValues("fx_rates").Add(float64(b.Rows(transform.KindFXRate)))
	m.Written.WithLabelValues("fuel_prices").Add(float64(b.Rows(transform.KindFuelPrice)))
	m.Written.WithLabelValues("wages").Add(float64(b.Rows(transform.KindWage)))
	m.Written.WithLabelValues("indicators").Add(float64(b.Rows(transform.KindIndicator)))
	for _, r := range b.Rejects {
		m.Rejected.WithLabelValues(string(r.Code)).Inc()
	}
}
