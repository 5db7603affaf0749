package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
)

// Result is what Run measured. Rates are per second over wall-clock time.
type Result struct {
	Records        int     `json:"records"`
	Seed           uint64  `json:"seed"`
	Order          Order   `json:"order"` // the order the records were published in
	KZTRecords     int     `json:"kzt_records"`
	AvgRecordBytes float64 `json:"avg_record_bytes"`
	Broker         string  `json:"broker"`
	Database       string  `json:"database"`
	FuelTopic      string  `json:"fuel_topic"`
	BatchSize      int     `json:"batch_size"`
	CPUs           int     `json:"cpus"`

	// Ceiling J, the drain's: ClickHouse's own JSONEachRow insert of the records' lines (prices as
	// JSON numbers) through clickhouse-client, into a table of the record's fields.
	JSONInsertSeconds float64 `json:"json_insert_seconds"`
	JSONInsertRate    float64 `json:"json_insert_rows_per_sec"`
	JSONStoredSum     string  `json:"json_stored_sum"`
	JSONExact         bool    `json:"json_exact"` // its stored sum and count are the generated ones
	// Ceiling A: TSV into a plain MergeTree table through clickhouse-client.
	RawInsertSeconds float64 `json:"raw_insert_seconds"`
	RawInsertRate    float64 `json:"raw_insert_rows_per_sec"`
	// Ceiling A2: the same rows with every column econflow stores, into fuel_prices_data's schema.
	RawFullInsertSeconds float64 `json:"raw_full_insert_seconds"`
	RawFullInsertRate    float64 `json:"raw_full_insert_rows_per_sec"`
	// The producer: every record published once (synchronous writes of 20000 messages, acks=all).
	ProduceSeconds float64 `json:"produce_seconds"`
	ProduceRate    float64 `json:"produce_msgs_per_sec"`
	// Ceiling B: a throwaway-group reader, from its first message to its last.
	KafkaReadJoinSeconds float64 `json:"kafka_read_join_seconds"`
	KafkaReadSeconds     float64 `json:"kafka_read_seconds"`
	KafkaReadRate        float64 `json:"kafka_read_msgs_per_sec"`

	// The drain, from the consumer's start (joining the group included) until count() of
	// fuel_prices_data reached N and every record was there.
	DrainSeconds         float64 `json:"drain_seconds"`
	DrainRate            float64 `json:"drain_rows_per_sec"`
	DrainFirstRowSeconds float64 `json:"drain_first_rows_seconds"`  // start → first rows visible
	DrainSteadyRate      float64 `json:"drain_steady_rows_per_sec"` // from the first rows visible; DrainRate when nearly all came at once
	DrainCPUSeconds      float64 `json:"drain_cpu_seconds"`
	CPUSecondsPerMillion float64 `json:"drain_cpu_seconds_per_million_rows"`
	// The CPU of a ClickHouse server and an Apache Kafka broker running on this machine during
	// the drain (0 when not local): with the consumer's, the whole cost of a row here.
	ServerCPUMeasured          bool    `json:"clickhouse_server_cpu_measured"`
	ServerCPUSecondsPerMillion float64 `json:"clickhouse_server_cpu_seconds_per_million_rows"`
	BrokerCPUMeasured          bool    `json:"kafka_broker_cpu_measured"`
	BrokerCPUSecondsPerMillion float64 `json:"kafka_broker_cpu_seconds_per_million_rows"`
	PeakRSSMB                  float64 `json:"peak_rss_mb"`
	PeakRSSNote                string  `json:"peak_rss_note"`
	CPUNote                    string  `json:"cpu_note"`

	// Exactness, checked right after the drain (before the latency phase adds rows).
	ExpectedSum  string `json:"expected_sum"`
	StoredSum    string `json:"stored_sum"`
	StoredCount  uint64 `json:"stored_count"`
	Exact        bool   `json:"exact"`
	RawStoredSum string `json:"raw_stored_sum"`
	RawExact     bool   `json:"raw_exact"`

	// Latency: per publication batch, from just before the write to the first query that
	// returned all of the batch's rows.
	LatencyRecords      int     `json:"latency_records"`
	LatencyTargetRate   float64 `json:"latency_target_msgs_per_sec"`
	LatencyAchievedRate float64 `json:"latency_achieved_msgs_per_sec"`
	LatencyBatchRecords int     `json:"latency_batch_records"`
	LatencyBatches      int     `json:"latency_batches"`
	LatencyPollMs       float64 `json:"latency_poll_interval_ms"`
	LatencyP50Ms        float64 `json:"latency_p50_ms"`
	LatencyP99Ms        float64 `json:"latency_p99_ms"`
	LatencyMaxMs        float64 `json:"latency_max_ms"`

	TotalSeconds float64 `json:"total_seconds"`
}

// Metric is one line of the table.
type Metric struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Ceiling float64 `json:"ceiling,omitempty"` // 0: none
	Of      string  `json:"ceiling_of,omitempty"`
}

// Ratio is Value / Ceiling, or 0 without a ceiling.
func (m Metric) Ratio() float64 {
	if m.Ceiling == 0 {
		return 0
	}
	return m.Value / m.Ceiling
}

// Metrics lists the measured numbers, each with its ceiling where there is one. The drain's
// ceiling is J; its ratios to A, A2 and B follow as secondary rows.
func (r *Result) Metrics() []Metric {
	ms := []Metric{
		{Name: "ceiling J: ClickHouse's own JSONEachRow insert of the same lines", Value: r.JSONInsertRate, Unit: "rows/s"},
		{Name: "ceiling A: raw ClickHouse insert (clickhouse-client TSV)", Value: r.RawInsertRate, Unit: "rows/s"},
		{Name: "ceiling A2: raw insert of every stored column (TSV)", Value: r.RawFullInsertRate, Unit: "rows/s"},
		{Name: "producer publish (kafka Writer, acks=all)", Value: r.ProduceRate, Unit: "msgs/s"},
		{Name: "ceiling B: raw Kafka read (group reader, no processing)", Value: r.KafkaReadRate, Unit: "msgs/s"},
		{Name: "drain end to end (start → count() = N)", Value: r.DrainRate, Unit: "rows/s", Ceiling: r.JSONInsertRate, Of: "J"},
		{Name: "drain steady (first rows → N)", Value: r.DrainSteadyRate, Unit: "rows/s", Ceiling: r.JSONInsertRate, Of: "J"},
		{Name: "drain vs raw TSV insert ceiling", Value: r.DrainRate, Unit: "rows/s", Ceiling: r.RawInsertRate, Of: "A"},
		{Name: "drain vs full-row insert ceiling", Value: r.DrainRate, Unit: "rows/s", Ceiling: r.RawFullInsertRate, Of: "A2"},
		{Name: "drain vs Kafka ceiling", Value: r.DrainRate, Unit: "rows/s", Ceiling: r.KafkaReadRate, Of: "B"},
		{Name: "drain start → first rows visible", Value: r.DrainFirstRowSeconds, Unit: "s"},
		{Name: "drain CPU (process user+sys)", Value: r.CPUSecondsPerMillion, Unit: "CPU-s/M rows"},
	}
	if r.ServerCPUMeasured {
		ms = append(ms, Metric{Name: "drain CPU of the local ClickHouse server", Value: r.ServerCPUSecondsPerMillion, Unit: "CPU-s/M rows"})
	}
	if r.BrokerCPUMeasured {
		ms = append(ms, Metric{Name: "drain CPU of the local Kafka broker", Value: r.BrokerCPUSecondsPerMillion, Unit: "CPU-s/M rows"})
	}
	ms = append(ms, Metric{Name: "peak RSS (process-wide VmHWM)", Value: r.PeakRSSMB, Unit: "MB"})
	if r.LatencyRecords > 0 {
		ms = append(ms,
			Metric{Name: fmt.Sprintf("latency p50 (produced → queryable, %.0f msgs/s offered)", r.LatencyTargetRate), Value: r.LatencyP50Ms, Unit: "ms"},
			Metric{Name: "latency p99", Value: r.LatencyP99Ms, Unit: "ms"},
		)
	}
	return ms
}

// AllExact reports whether the drain and every ceiling stored exactly the generated sum and
// count.
func (r *Result) AllExact() bool { return r.Exact && r.RawExact && r.JSONExact }

// WriteTable writes the result as an aligned table: metric, value, ceiling, ratio.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "metric\tvalue\tceiling\tratio\n")
	for _, m := range r.Metrics() {
		ceiling, ratio := "", ""
		if m.Ceiling > 0 {
			ceiling = fmt.Sprintf("%s (%s)", num(m.Ceiling), m.Of)
			ratio = fmt.Sprintf("%.2f", m.Ratio())
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\n", m.Name, num(m.Value), m.Unit, ceiling, ratio)
	}
	fmt.Fprintf(tw, "exact sum of price (%d rows)\t%s\t\t\n", r.StoredCount, passFail(r.Exact))
	fmt.Fprintf(tw, "exact sum in ceilings J and A\t%s\t\t\n", passFail(r.JSONExact && r.RawExact))
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d records in %s (%d KZT, avg %.0f B), seed %d, broker %s, batch size %d, %d CPUs.\n"+
		"expected sum %s\nstored sum   %s\n%s\n%s\n%s\n",
		r.Records, r.Order.Describe(), r.KZTRecords, r.AvgRecordBytes, r.Seed, r.Broker, r.BatchSize, r.CPUs,
		r.ExpectedSum, r.StoredSum, JSONCeilingNote, r.CPUNote, r.PeakRSSNote)
	if err == nil && r.LatencyRecords > 0 {
		_, err = fmt.Fprintf(w, "latency: %d records in %d batches of %d, poll every %.0fms, max %.0fms.\n",
			r.LatencyRecords, r.LatencyBatches, r.LatencyBatchRecords, r.LatencyPollMs, r.LatencyMaxMs)
	}
	return err
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// WriteJSON writes the result and its metrics as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error { return writeJSON(w, r.withMetrics()) }

// resultJSON is a Result with its metrics, as WriteJSON writes it.
type resultJSON struct {
	*Result
	Metrics []Metric `json:"metrics"`
}

func (r *Result) withMetrics() resultJSON { return resultJSON{r, r.Metrics()} }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func num(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}
