// Package bench measures econflow's throughput end to end against its two ceilings, and checks
// that what it measured was exact.
//
// Run generates N fuel_price records deterministically, then measures, in order:
//
//   - ceiling A, raw ClickHouse insert: the same values as TSV piped into clickhouse-client,
//     into a plain MergeTree table (<db>.raw_ceiling) — no Kafka, no decoding, no conversion;
//   - ceiling A2, the same rows with every column econflow stores (derived values, provenance,
//     version: 29 columns instead of 14) into a table of fuel_prices_data's schema
//     (<db>.raw_full_ceiling): what ClickHouse alone needs for the rows the consumer writes;
//   - the producer: publishing every record once to fresh topics (this is the drain's backlog);
//   - ceiling B, raw Kafka read: reading the backlog with a throwaway-group reader configured like
//     the consumer's, without processing or writing anything;
//   - the drain: the real consumer (Processor, Reconciler, Consumer, kafka Source, clickhouse
//     Store — wired as `econflow consume` wires them) working off the backlog, timed until
//     a poll sees the rows of <db>.fuel_prices_data (its active parts' row counts, what count()
//     returns) reach N — polls come every 200 ms, every 20 ms at the start and when the end
//     is near — with the process's CPU time and peak RSS, and the CPU of a local ClickHouse
//     server and Kafka broker; a check that they are N distinct records follows, untimed;
//   - exactness: the sum of price in <db>.fuel_prices must equal the generated sum, computed
//     with math/big, digit for digit;
//   - latency: records published at a steady rate while the consumer runs, each timed from just
//     before its publication to the moment ClickHouse returns it to a query.
//
// Every run uses its own database (econ_bench_<unix nanoseconds>), topics and consumer group,
// and drops them at the end unless Options.Keep is set.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/ingest/pipeline"
	"github.com/econflow/econflow/transform"
)

// ErrInexact is returned (wrapped) by Run when the stored sum or count differs from the
// generated one. The Result is still returned.
var ErrInexact = errors.New("exactness check failed")

// Options configure Run. The zero value of a field means its default.
type Options struct {
	Records        int     // records of the drain; default 1000000
	Seed           uint64  // generator seed; 0 is a valid seed
	LatencyRecords int     // records of the latency phase; default 20000; negative: skip the phase
	Rate           float64 // msgs/s of the latency phase; default 5000
	// Shuffle publishes the records in a random order (from Seed) instead of each series in
	// date order, as records from many unrelated producers arrive.
	Shuffle bool

	// Embedded starts the in-process broker (kafka.StartBroker on a free loopback port) and
	// ignores Brokers.
	Embedded bool
	Brokers  []string
	Security kafka.Security
	// Partitions of the topics the run creates; default 3.
	Partitions int
	// Topics are base names; the run appends .bench<unix nanoseconds>. Default kafka.DefaultTopics().
	Topics kafka.Topics
	// Group is the base of the run's consumer groups; default econflow.
	Group string

	// ClickHouse is a DSN naming the server (and credentials); the database in its path is
	// replaced by the run's own econ_bench_<unix nanoseconds>. Default clickhouse.DefaultDSN.
	ClickHouse string
	// ClickHouseClient is the clickhouse-client program for ceiling A; default "clickhouse-client".
	ClickHouseClient string

	// The consumer's settings (as `econflow consume`): defaults 10000, 250ms, 5s,
	// transform.DefaultFXConfig().
	BatchSize int
	Linger    time.Duration
	Reconcile time.Duration
	FX        *transform.FXConfig

	// HeapProfile, when set, is a file to write a Go heap profile to as the drain ends (go tool
	// pprof), to see what the consumer holds at its peak.
	HeapProfile string
	// CPUProfile, when set, is a file to write a Go CPU profile of the drain to (from the
	// consumer's start until all rows are queryable).
	CPUProfile string

	// Keep leaves the database, the raw table and the topics in place.
	Keep bool
	// Progress receives one line per step; default io.Discard.
	Progress io.Writer
	// Logger receives the pipeline's logs; default slog.Default().
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.Records <= 0 {
		o.Records = 1_000_000
	}
	if o.LatencyRecords == 0 {
		o.LatencyRecords = 20000
	}
	if o.Rate <= 0 {
		o.Rate = 5000
	}
	if o.Partitions <= 0 {
		o.Partitions = 3
	}
	if o.Topics == (kafka.Topics{}) {
		o.Topics = kafka.DefaultTopics()
	}
	if o.Group == "" {
		o.Group = "econflow"
	}
	if o.ClickHouse == "" {
		o.ClickHouse = clickhouse.DefaultDSN
	}
	if o.ClickHouseClient == "" {
		o.ClickHouseClient = "clickhouse-client"
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 10000
	}
	if o.Linger <= 0 {
		o.Linger = 250 * time.Millisecond
	}
	if o.Reconcile <= 0 {
		o.Reconcile = 5 * time.Second
	}
	if o.FX == nil {
		fx := transform.DefaultFXConfig()
		o.FX = &fx
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// ---------------------------------------------------------------------------------------------
// Generator

// Record is one generated fuel_price record: its message and the values the raw table gets.
type Record struct {
	Source, Region, Currency, Date string
	Price                          string // 12 integer digits, '.', 6 fractional digits
	Key                            string // the Kafka key: the series
	Value                          []byte // the JSON message
}

// Dataset is what Generate makes: the rate record that lets the KZT prices convert, the price
// records, and their exact sum.
type Dataset struct {
	Seed   uint64
	Rate   Record // the fx_rate record (only Source, Date, Key and Value are set)
	Prices []Record
	KZT    int      // how many prices are in KZT
	Bytes  int64    // total bytes of the price messages' values
	sum    *big.Int // sum of the prices × 10^6
}

// Generation constants. EUR prices are dated across ten years from eurBase; KZT prices only within
// the conversion window of the one rate, dated kztBase (outside the EUR dates, so that the
// reconciler's passes after the rate only look at KZT rows).
const (
	priceScale  = 6
	eurDays     = 3650
	kztDays     = 8 // the rate's date and the 7 days its window (DefaultFXConfig) covers
	kztPercent  = 5
	regionCodes = 36 * 36 * 36 // KZ-000 … KZ-ZZZ
	benchSource = "bench"
	rateText    = "492.75"
)

var (
	eurBase = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	kztBase = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	latBase = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // latency-phase records: their own partition
)

const base36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// series returns the source and region of series number i: KZ-000 … KZ-ZZZ, then the same
// regions again under source bench.1, bench.2 …
func series(prefix string, i int) (source, region string) {
	r := i % regionCodes
	source = prefix
	if q := i / regionCodes; q > 0 {
		source += "." + strconv.Itoa(q)
	}
	return source, "KZ-" + string([]byte{base36[r/1296], base36[r/36%36], base36[r%36]})
}

// Generate returns n fuel_price records and one EUR/KZT rate, all determined by seed (math/rand/v2
// PCG). Every price has 12 integer and 6 fractional digits and is written as a JSON string;
// about 5% are in KZT, the rest in EUR; every record has its own identity (source, region,
// currency, date).
func Generate(n int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := &Dataset{Seed: seed, Prices: make([]Record, 0, n), sum: new(big.Int)}
	rateDate := kztBase.Format(time.DateOnly)
	d.Rate = Record{Source: "nationalbank.kz", Date: rateDate, Key: "EUR/KZT",
		Value: []byte(`{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"` + rateText + `","date":"` + rateDate + `"}`)}
	var eur, kzt int
	var buf []byte
	scaled := new(big.Int)
	for i := 0; i < n; i++ {
		intPart := 100_000_000_000 + rng.Int64N(900_000_000_000) // 12 digits
		frac := rng.Int64N(1_000_000)
		price := fmt.Sprintf("%d.%06d", intPart, frac)
		var r Record
		if rng.IntN(100) < kztPercent {
			r.Source, r.Region = series(benchSource, kzt/kztDays)
			r.Currency, r.Date = "KZT", kztBase.AddDate(0, 0, kzt%kztDays).Format(time.DateOnly)
			kzt++
		} else {
			r.Source, r.Region = series(benchSource, eur/eurDays)
			r.Currency, r.Date = "EUR", eurBase.AddDate(0, 0, eur%eurDays).Format(time.DateOnly)
			eur++
		}
		r.Price = price
		r.Key = r.Source + "/" + r.Region + "/" + r.Currency
		buf = appendPrice(buf[:0], r.Source, r.Region, r.Price, r.Currency, r.Date)
		r.Value = append([]byte(nil), buf...)
		d.Bytes += int64(len(r.Value))
		d.Prices = append(d.Prices, r)
		scaled.SetInt64(intPart*1_000_000 + frac)
		d.sum.Add(d.sum, scaled)
	}
	d.KZT = kzt
	return d
}

// Shuffle puts the records in a random order drawn from seed (Fisher–Yates).
func (d *Dataset) Shuffle(seed uint64) {
	rng := rand.New(rand.NewPCG(seed^0x5851f42d4c957f2d, seed))
	rng.Shuffle(len(d.Prices), func(i, j int) { d.Prices[i], d.Prices[j] = d.Prices[j], d.Prices[i] })
}

func appendPrice(b []byte, source, region, price, currency, date string) []byte {
	b = append(b, `{"kind":"fuel_price","source":"`...)
	b = append(b, source...)
	b = append(b, `","country":"KZ","region":"`...)
	b = append(b, region...)
	b = append(b, `","product":"lpg","price":"`...)
	b = append(b, price...)
	b = append(b, `","currency":"`...)
	b = append(b, currency...)
	b = append(b, `","unit":"litre","date":"`...)
	b = append(b, date...)
	return append(b, `"}`...)
}

// Sum returns the exact sum of the prices as ClickHouse's toString of a Decimal(38, 18) writes
// it: 18 fractional digits.
func (d *Dataset) Sum() string { return formatScaled(d.sum, priceScale, 18) }

// formatScaled writes v × 10^-scale with digits fractional digits (digits ≥ scale).
func formatScaled(v *big.Int, scale, digits int) string {
	s := new(big.Int).Abs(v).String()
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	out := s[:len(s)-scale] + "." + s[len(s)-scale:] + strings.Repeat("0", digits-scale)
	if v.Sign() < 0 {
		out = "-" + out
	}
	return out
}

// AvgBytes is the average size of a price message's value.
func (d *Dataset) AvgBytes() float64 {
	if len(d.Prices) == 0 {
		return 0
	}
	return float64(d.Bytes) / float64(len(d.Prices))
}

// ---------------------------------------------------------------------------------------------
// Result

// Result is what Run measured. Rates are per second over wall-clock time.
type Result struct {
	Records        int     `json:"records"`
	Seed           uint64  `json:"seed"`
	Shuffled       bool    `json:"shuffled"`
	KZTRecords     int     `json:"kzt_records"`
	AvgRecordBytes float64 `json:"avg_record_bytes"`
	Broker         string  `json:"broker"`
	Database       string  `json:"database"`
	FuelTopic      string  `json:"fuel_topic"`
	BatchSize      int     `json:"batch_size"`
	CPUs           int     `json:"cpus"`

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
	ExpectedSum   string `json:"expected_sum"`
	StoredSum     string `json:"stored_sum"`
	StoredCount   uint64 `json:"stored_count"`
	Exact         bool   `json:"exact"`
	RawStoredSum  string `json:"raw_stored_sum"`
	RawExact      bool   `json:"raw_exact"`
	ExactnessNote string `json:"exactness_note,omitempty"`

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

// Metrics lists the measured numbers, each with its ceiling where there is one.
func (r *Result) Metrics() []Metric {
	ms := []Metric{
		{Name: "ceiling A: raw ClickHouse insert (clickhouse-client TSV)", Value: r.RawInsertRate, Unit: "rows/s"},
		{Name: "ceiling A2: raw insert of every stored column (TSV)", Value: r.RawFullInsertRate, Unit: "rows/s"},
		{Name: "producer publish (kafka Writer, acks=all)", Value: r.ProduceRate, Unit: "msgs/s"},
		{Name: "ceiling B: raw Kafka read (group reader, no processing)", Value: r.KafkaReadRate, Unit: "msgs/s"},
		{Name: "drain end to end (start → count() = N)", Value: r.DrainRate, Unit: "rows/s", Ceiling: math.Min(r.RawInsertRate, r.KafkaReadRate), Of: r.lowerCeiling()},
		{Name: "drain vs full-row insert ceiling", Value: r.DrainRate, Unit: "rows/s", Ceiling: r.RawFullInsertRate, Of: "A2"},
		{Name: "drain vs Kafka ceiling", Value: r.DrainRate, Unit: "rows/s", Ceiling: r.KafkaReadRate, Of: "B"},
		{Name: "drain steady (first rows → N)", Value: r.DrainSteadyRate, Unit: "rows/s", Ceiling: math.Min(r.RawInsertRate, r.KafkaReadRate), Of: r.lowerCeiling()},
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

func (r *Result) lowerCeiling() string {
	if r.RawInsertRate <= r.KafkaReadRate {
		return "A"
	}
	return "B"
}

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
	check := "PASS"
	if !r.Exact {
		check = "FAIL"
	}
	fmt.Fprintf(tw, "exact sum of price (%d rows)\t%s\t\t\n", r.StoredCount, check)
	if err := tw.Flush(); err != nil {
		return err
	}
	order := ""
	if r.Shuffled {
		order = " (shuffled)"
	}
	_, err := fmt.Fprintf(w, "\n%d records%s (%d KZT, avg %.0f B), seed %d, broker %s, batch size %d, %d CPUs.\n"+
		"expected sum %s\nstored sum   %s\n%s\n%s\n",
		r.Records, order, r.KZTRecords, r.AvgRecordBytes, r.Seed, r.Broker, r.BatchSize, r.CPUs,
		r.ExpectedSum, r.StoredSum, r.CPUNote, r.PeakRSSNote)
	if err == nil && r.LatencyRecords > 0 {
		_, err = fmt.Fprintf(w, "latency: %d records in %d batches of %d, poll every %.0fms, max %.0fms.\n",
			r.LatencyRecords, r.LatencyBatches, r.LatencyBatchRecords, r.LatencyPollMs, r.LatencyMaxMs)
	}
	return err
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

// ---------------------------------------------------------------------------------------------
// Run

type run struct {
	o       Options
	log     *slog.Logger
	brokers []string
	topics  kafka.Topics
	group   string
	db      string
	dsn     string
	store   *clickhouse.Store
	data    *Dataset
	res     *Result
	start   time.Time
}

func (r *run) progress(format string, args ...any) {
	fmt.Fprintf(r.o.Progress, "bench [%6.1fs] %s\n", time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
}

// Run performs the benchmark. On an exactness failure it returns the Result and an error
// wrapping ErrInexact; on any other error the Result may be nil.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	r := &run{o: o, log: o.Logger, start: time.Now()}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 10)
	r.db = "econ_bench_" + stamp
	sfx := ".bench" + stamp
	r.topics = kafka.Topics{FuelPrices: o.Topics.FuelPrices + sfx, Wages: o.Topics.Wages + sfx,
		FXRates: o.Topics.FXRates + sfx, DeadLetter: o.Topics.DeadLetter + sfx}
	r.group = o.Group + "-bench-" + stamp
	u, err := url.Parse(o.ClickHouse)
	if err != nil {
		return nil, fmt.Errorf("clickhouse DSN: %w", err)
	}
	u.Path = "/" + r.db
	r.dsn = u.String()

	r.progress("generating %d records (seed %d)", o.Records, o.Seed)
	r.data = Generate(o.Records, o.Seed)
	if o.Shuffle {
		r.data.Shuffle(o.Seed)
	}
	r.res = &Result{Records: o.Records, Seed: o.Seed, Shuffled: o.Shuffle, KZTRecords: r.data.KZT, AvgRecordBytes: r.data.AvgBytes(),
		Database: r.db, FuelTopic: r.topics.FuelPrices, BatchSize: o.BatchSize, CPUs: runtime.NumCPU(),
		ExpectedSum: r.data.Sum()}
	r.progress("generated: %d KZT, avg %.0f bytes, exact sum %s", r.data.KZT, r.data.AvgBytes(), r.res.ExpectedSum)

	if o.Embedded {
		b, err := kafka.StartBroker(kafka.BrokerOptions{Listen: "127.0.0.1:0", Partitions: o.Partitions})
		if err != nil {
			return nil, err
		}
		defer b.Close()
		r.brokers = []string{b.Addr()}
		r.res.Broker = "embedded " + b.Addr()
	} else {
		r.brokers = o.Brokers
		r.res.Broker = strings.Join(o.Brokers, ",")
	}
	if err := kafka.EnsureTopics(ctx, r.brokers, o.Security, r.topics.All(), o.Partitions, 1); err != nil {
		return nil, err
	}
	defer r.cleanupTopics()

	r.store, err = clickhouse.Open(ctx, clickhouse.Options{DSN: r.dsn, Logger: r.log})
	if err != nil {
		return nil, err
	}
	defer r.store.Close()
	defer r.cleanupDatabase()
	r.progress("migrating database %s", r.db)
	if err := r.store.Migrate(ctx); err != nil {
		return nil, err
	}

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"ceiling A (raw ClickHouse insert)", r.ceilingClickHouse},
		{"publish", r.publish},
		{"ceiling B (raw Kafka read)", r.ceilingKafka},
	}
	for _, s := range steps {
		if err := s.fn(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if err := r.drainAndLatency(ctx); err != nil {
		return r.res, err
	}
	r.res.TotalSeconds = time.Since(r.start).Seconds()
	if !r.res.Exact {
		return r.res, fmt.Errorf("%w: stored sum %s, %d rows; generated %s, %d rows",
			ErrInexact, r.res.StoredSum, r.res.StoredCount, r.res.ExpectedSum, o.Records)
	}
	return r.res, nil
}

func (r *run) cleanupDatabase() {
	if r.o.Keep {
		r.progress("kept database %s (with raw_ceiling and raw_full_ceiling)", r.db)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.store.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+r.db); err != nil {
		r.progress("could not drop database %s: %v", r.db, err)
		return
	}
	r.progress("dropped database %s", r.db)
}

func (r *run) cleanupTopics() {
	if r.o.Embedded {
		return // they go with the broker
	}
	if r.o.Keep {
		r.progress("kept topics %v", r.topics.All())
		return
	}
	if r.o.Security != (kafka.Security{}) {
		r.progress("topics left on the brokers (delete them by hand): %v", r.topics.All())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(r.brokers...), Timeout: 30 * time.Second}
	resp, err := client.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: r.topics.All()})
	if err == nil {
		for _, e := range resp.Errors {
			if e != nil {
				err = e
			}
		}
	}
	if err != nil {
		r.progress("could not delete topics %v: %v", r.topics.All(), err)
		return
	}
	r.progress("deleted topics %v", r.topics.All())
}

// ---------------------------------------------------------------------------------------------
// Ceiling A

var rawColumns = []string{"source", "country", "region", "product", "tax_basis", "currency", "unit", "frequency",
	"date", "published_at", "price", "unit_mult", "status", "record_id"}

func (r *run) ceilingClickHouse(ctx context.Context) error {
	table := r.db + ".raw_ceiling"
	if err := r.store.Conn().Exec(ctx, "CREATE TABLE "+table+` (
    source String, country String, region String, product String, tax_basis String,
    currency String, unit String, frequency String, date Date, published_at DateTime('UTC'),
    price Decimal(38, 18), unit_mult Int8, status String, record_id String
) ENGINE = MergeTree PARTITION BY toYear(date)
ORDER BY (country, region, product, tax_basis, currency, unit, source, frequency, date, published_at)`); err != nil {
		return fmt.Errorf("create %s: %w", table, err)
	}
	var tsv bytes.Buffer
	tsv.Grow(len(r.data.Prices) * 110)
	for i, p := range r.data.Prices {
		fmt.Fprintf(&tsv, "%s\tKZ\t%s\tlpg\tincl_tax\t%s\tlitre\tD\t%s\t2026-01-01 00:00:00\t%s\t0\tA\tb%d\n",
			p.Source, p.Region, p.Currency, p.Date, p.Price, i)
	}
	d, err := r.pipeTSV(ctx, "ceiling A", table, rawColumns, &tsv)
	if err != nil {
		return err
	}
	r.res.RawInsertSeconds = d.Seconds()
	r.res.RawInsertRate = float64(len(r.data.Prices)) / d.Seconds()
	r.progress("ceiling A: %d rows in %.2fs = %.0f rows/s", len(r.data.Prices), d.Seconds(), r.res.RawInsertRate)

	// Ceiling A2: the same rows with every column econflow stores (derived values, provenance,
	// version) into a table of fuel_prices_data's schema.
	full := r.db + ".raw_full_ceiling"
	if err := r.store.Conn().Exec(ctx, "CREATE TABLE "+full+" AS "+r.db+".fuel_prices_data"); err != nil {
		return fmt.Errorf("create %s: %w", full, err)
	}
	tsv.Reset()
	for i, p := range r.data.Prices {
		// The derived columns carry 18 fractional digits, as the consumer writes them.
		v := p.Price + "000000000000"
		fmt.Fprintf(&tsv, "%s\tKZ\t%s\tlpg\tincl_tax\t%s\tlitre\tD\t%s\t2026-01-01 00:00:00\t%s\t0\t%s\t\\N\t%s\t%s\t\\N\t1.000000000000000000\t\\N\tEUR\tconverted\tA\t\t%032x\t%s\t%d\t%d\t2026-01-01 00:00:00\t%d\n",
			p.Source, p.Region, p.Currency, p.Date, p.Price, v, v, v, i, r.topics.FuelPrices, i%3, i, 1_800_000_000_000_000_000+i)
	}
	d, err = r.pipeTSV(ctx, "ceiling A2", full, fullColumns, &tsv)
	if err != nil {
		return err
	}
	r.res.RawFullInsertSeconds = d.Seconds()
	r.res.RawFullInsertRate = float64(len(r.data.Prices)) / d.Seconds()
	r.progress("ceiling A2: %d rows in %.2fs = %.0f rows/s", len(r.data.Prices), d.Seconds(), r.res.RawFullInsertRate)

	// The raw table's sum is checked now. Both tables stay until the run's database is dropped:
	// they are not merged (one part per partition), and dropping their files just before the
	// drain made ClickHouse slower to create the drain's parts (ext4 skips recently freed
	// inodes when it allocates one): 4 alternating runs, drain 508,000 rows/s and ClickHouse
	// 1.30 CPU-s per M rows with the drop, 517,000 and 1.23 without.
	var rawCount uint64
	q := "SELECT toString(sum(price)), count() FROM " + table
	if err := r.store.Conn().QueryRow(ctx, q).Scan(&r.res.RawStoredSum, &rawCount); err != nil {
		return fmt.Errorf("exactness: %s: %w", q, err)
	}
	r.res.RawExact = r.res.RawStoredSum == r.res.ExpectedSum && rawCount == uint64(r.o.Records)
	return nil
}

// fullColumns are fuel_prices_data's columns in the order the A2 ceiling writes them.
var fullColumns = []string{"source", "country", "region", "product", "tax_basis", "currency", "unit", "frequency",
	"date", "published_at", "price", "unit_mult", "price_per_litre", "price_per_kg", "price_eur",
	"price_per_litre_eur", "price_per_kg_eur", "fx_rate", "fx_date", "fx_path", "fx_status", "status",
	"attributes", "record_id", "kafka_topic", "kafka_partition", "kafka_offset", "ingested_at", "_version"}

// pipeTSV inserts tsv into table with clickhouse-client and returns how long it took.
func (r *run) pipeTSV(ctx context.Context, what, table string, columns []string, tsv *bytes.Buffer) (time.Duration, error) {
	args, err := clientArgs(r.o.ClickHouse)
	if err != nil {
		return 0, err
	}
	args = append(args, "--query", "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+") FORMAT TabSeparated")
	r.progress("%s: piping %d rows (%.1f MB TSV) into %s with %s", what, len(r.data.Prices), float64(tsv.Len())/1e6, table, r.o.ClickHouseClient)
	cmd := exec.CommandContext(ctx, r.o.ClickHouseClient, args...)
	cmd.Stdin = tsv
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %w: %s", r.o.ClickHouseClient, err, strings.TrimSpace(stderr.String()))
	}
	return time.Since(t0), nil
}

// clientArgs turns a DSN into clickhouse-client's connection flags.
func clientArgs(dsn string) ([]string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse DSN: %w", err)
	}
	args := []string{"--host", u.Hostname()}
	if p := u.Port(); p != "" {
		args = append(args, "--port", p)
	}
	if u.User != nil {
		args = append(args, "--user", u.User.Username())
		if pw, ok := u.User.Password(); ok {
			args = append(args, "--password", pw)
		}
	}
	if s := u.Query().Get("secure"); s == "true" || s == "1" {
		args = append(args, "--secure")
	}
	return args, nil
}

// ---------------------------------------------------------------------------------------------
// Publishing and ceiling B

func (r *run) publish(ctx context.Context) error {
	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: r.brokers, Security: r.o.Security}, r.topics.DeadLetter)
	if err != nil {
		return err
	}
	defer w.Close()
	const chunk = 20000
	r.progress("publishing the rate and %d prices to %s", len(r.data.Prices), r.topics.FuelPrices)
	if err := w.Write(ctx, kafkago.Message{Topic: r.topics.FXRates, Key: []byte(r.data.Rate.Key), Value: r.data.Rate.Value}); err != nil {
		return err
	}
	msgs := make([]kafkago.Message, 0, chunk)
	t0, last := time.Now(), time.Now()
	for i := 0; i < len(r.data.Prices); i += chunk {
		msgs = msgs[:0]
		for _, p := range r.data.Prices[i:min(i+chunk, len(r.data.Prices))] {
			msgs = append(msgs, kafkago.Message{Topic: r.topics.FuelPrices, Key: []byte(p.Key), Value: p.Value})
		}
		if err := w.Write(ctx, msgs...); err != nil {
			return err
		}
		if time.Since(last) > 2*time.Second {
			r.progress("published %d", i+len(msgs))
			last = time.Now()
		}
	}
	d := time.Since(t0)
	r.res.ProduceSeconds = d.Seconds()
	r.res.ProduceRate = float64(len(r.data.Prices)) / d.Seconds()
	r.progress("published %d in %.2fs = %.0f msgs/s", len(r.data.Prices), d.Seconds(), r.res.ProduceRate)
	return nil
}

// ceilingKafka reads the whole backlog of the price topic with a consumer-group Source configured
// like the consumer's, in a throwaway group that never commits.
func (r *run) ceilingKafka(ctx context.Context) error {
	src, err := kafka.NewSource(kafka.SourceOptions{Brokers: r.brokers, Group: r.group + "-ceiling",
		Topics: []string{r.topics.FuelPrices}, Security: r.o.Security, Logger: r.log})
	if err != nil {
		return err
	}
	defer src.Close()
	r.progress("ceiling B: reading %d messages from %s", len(r.data.Prices), r.topics.FuelPrices)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	var first time.Time
	var nbytes int64
	last := time.Now()
	for n := 0; n < len(r.data.Prices); n++ {
		m, err := src.Fetch(ctx)
		if err != nil {
			return fmt.Errorf("after %d messages: %w", n, err)
		}
		nbytes += int64(len(m.Value))
		if n == 0 {
			first = time.Now()
		}
		if time.Since(last) > 2*time.Second {
			r.progress("ceiling B: read %d", n)
			last = time.Now()
		}
	}
	end := time.Now()
	d := end.Sub(first)
	if len(r.data.Prices) > 1 && d > 0 {
		r.res.KafkaReadRate = float64(len(r.data.Prices)-1) / d.Seconds()
	}
	r.res.KafkaReadSeconds = d.Seconds()
	r.res.KafkaReadJoinSeconds = first.Sub(t0).Seconds()
	if nbytes != r.data.Bytes {
		return fmt.Errorf("read %d bytes of values, published %d", nbytes, r.data.Bytes)
	}
	r.progress("ceiling B: joined in %.2fs, then %d messages in %.2fs = %.0f msgs/s",
		r.res.KafkaReadJoinSeconds, len(r.data.Prices), d.Seconds(), r.res.KafkaReadRate)
	return nil
}

// ---------------------------------------------------------------------------------------------
// Drain, exactness, latency

// consumerRun is a pipeline running in a goroutine, wired as `econflow consume` wires it.
type consumerRun struct {
	done        chan struct{}
	err         error
	stopCancel  context.CancelFunc
	abortCancel context.CancelFunc
	closers     []func() error
}

func (r *run) startPipeline(ctx context.Context) (*consumerRun, error) {
	o := r.o
	p, err := pipeline.Open(ctx, pipeline.Options{Brokers: r.brokers, Security: o.Security, Group: r.group,
		Topics: r.topics, ClickHouse: r.dsn, FX: *o.FX,
		Consumer:          ingest.ConsumerConfig{BatchSize: o.BatchSize, BatchLinger: o.Linger},
		ReconcileInterval: o.Reconcile, Logger: r.log})
	if err != nil {
		return nil, err
	}
	c := &consumerRun{done: make(chan struct{}), closers: []func() error{p.Close}}
	stop, stopCancel := context.WithCancel(context.Background())
	abort, abortCancel := context.WithCancel(context.Background())
	c.stopCancel, c.abortCancel = stopCancel, abortCancel
	go func() {
		defer close(c.done)
		c.err = p.Run(stop, abort)
	}()
	return c, nil
}

// stop ends the consumer gracefully (abort after 60s) and closes its connections.
func (p *consumerRun) stop() error {
	p.stopCancel()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.abortCancel()
		<-p.done
	}
	p.abortCancel()
	p.close()
	return p.err
}

func (p *consumerRun) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		_ = p.closers[i]()
	}
	p.closers = nil
}

// Polling of the drain: every drainPoll, and every drainPollNear in its first second and once
// the end is expected within drainNear.
const (
	drainPoll     = 200 * time.Millisecond
	drainPollNear = 20 * time.Millisecond
	drainNear     = 400 * time.Millisecond
)

// nextDrainPoll is the wait before the next poll of a drain that has c of n rows after elapsed:
// short while the first rows may come any moment (the first second), and once the
// rate so far puts the end within drainNear.
func nextDrainPoll(c, n uint64, elapsed time.Duration) time.Duration {
	if c == 0 {
		if elapsed < time.Second {
			return drainPollNear
		}
		return drainPoll
	}
	if c >= n {
		return drainPoll
	}
	left := time.Duration(float64(elapsed) * float64(n-c) / float64(c))
	if left < drainNear {
		return drainPollNear
	}
	return drainPoll
}

// StallTimeout is how long the drain or the latency phase may go without progress before Run
// gives up.
const StallTimeout = 2 * time.Minute

func (r *run) drainAndLatency(ctx context.Context) error {
	n := uint64(len(r.data.Prices))
	// The generated records are published and no longer needed: drop them, so that the drain's
	// garbage collector does not scan them and its peak RSS is the consumer's. Then reset the
	// high-water mark (Linux ≥ 4.0: clear_refs 5).
	r.data.Prices = nil
	runtime.GC()
	debug.FreeOSMemory()
	hwmReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	r.progress("drain: starting the consumer (group %s, batch size %d) on a backlog of %d", r.group, r.o.BatchSize, n)
	cpu0 := cpuTime()
	others := r.localServices()
	for i := range others {
		others[i].cpu0, _ = pidsCPU(others[i].pids)
	}
	if r.o.CPUProfile != "" {
		stopProfile, err := startCPUProfile(r.o.CPUProfile)
		if err != nil {
			return err
		}
		defer stopProfile() // also on errors; on success it is stopped as the drain ends
	}
	t0 := time.Now()
	p, err := r.startPipeline(ctx)
	if err != nil {
		return fmt.Errorf("start consumer: %w", err)
	}
	defer p.stop() //nolint:errcheck // the error is checked below on the normal path

	// The rows of the table's active parts: what count() would return, read from the parts'
	// metadata instead of a column of every part (which cost ClickHouse some 0.5 CPU-s per M
	// rows in polls during a drain).
	countQ := "SELECT sum(rows) FROM system.parts WHERE database = '" + r.db + "' AND table = 'fuel_prices_data' AND active"
	uniqQ := "SELECT uniqExact(record_id) FROM " + r.db + ".fuel_prices_data"
	// The drain ends when the rows are queryable: as the poll that first counts them all
	// returns, with the CPU counters read then, before the check that they are N distinct
	// records (a query over every record id, some 0.15 s for 1M rows). Only re-converted
	// pending rows could be counted twice, and the bench publishes the rate first. Polls come
	// every drainPoll, and every drainPollNear at the start and once the rate so far puts the
	// end less than drainNear away, so that the first and the last rows are seen within
	// drainPollNear of their arrival without polling fast all along.
	var firstAt, end time.Time
	var firstCount, lastCount uint64
	var cpu time.Duration
	lastChange, lastProgress := time.Now(), time.Now()
	wait := time.NewTimer(drainPoll)
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("drain: the consumer stopped: %v", p.err)
		case <-wait.C:
		}
		var c uint64
		if err := r.store.Conn().QueryRow(ctx, countQ).Scan(&c); err != nil {
			return fmt.Errorf("drain: %s: %w", countQ, err)
		}
		now := time.Now() // the rows counted were queryable by now
		if c > 0 && firstAt.IsZero() {
			firstAt, firstCount = now, c
		}
		if c != lastCount {
			lastCount, lastChange = c, now
		} else if now.Sub(lastChange) > StallTimeout {
			return fmt.Errorf("drain: stalled at %d of %d rows for %v", c, n, StallTimeout)
		}
		if c >= n {
			cpuNow := cpuTime()
			otherNow := make([]time.Duration, len(others))
			for i, o := range others {
				otherNow[i], _ = pidsCPU(o.pids)
			}
			// Re-converted pending rows are written twice until merged: count distinct records.
			var u uint64
			if err := r.store.Conn().QueryRow(ctx, uniqQ).Scan(&u); err != nil {
				return fmt.Errorf("drain: %s: %w", uniqQ, err)
			}
			if u >= n {
				end, cpu = now, cpuNow-cpu0
				for i, o := range others {
					*o.perM = (otherNow[i] - o.cpu0).Seconds() / float64(n) * 1e6
				}
				break
			}
		}
		if now.Sub(lastProgress) > 2*time.Second {
			r.progress("drain: %d of %d rows (%.0f rows/s so far)", c, n, float64(c)/now.Sub(t0).Seconds())
			lastProgress = now
		}
		wait.Reset(nextDrainPoll(c, n, now.Sub(t0)))
	}
	if r.o.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if r.o.HeapProfile != "" {
		if err := writeHeapProfile(r.o.HeapProfile); err != nil {
			return err
		}
	}
	d := end.Sub(t0)
	res := r.res
	res.DrainSeconds = d.Seconds()
	res.DrainRate = float64(n) / d.Seconds()
	res.DrainFirstRowSeconds = firstAt.Sub(t0).Seconds()
	// The steady rate needs the rows to appear over several polls: when the first poll already
	// saw nine tenths of them (a small run), it is the end-to-end rate.
	if s := end.Sub(firstAt).Seconds(); s > 0 && n > firstCount && n-firstCount >= n/10 {
		res.DrainSteadyRate = float64(n-firstCount) / s
	} else {
		res.DrainSteadyRate = res.DrainRate
	}
	res.DrainCPUSeconds = cpu.Seconds()
	res.CPUSecondsPerMillion = cpu.Seconds() / float64(n) * 1e6
	res.CPUNote = "CPU: user+system time of this whole process during the drain (getrusage): the consumer, its reconciler, the count() poller"
	if r.o.Embedded {
		res.CPUNote += " and the embedded broker"
	}
	res.CPUNote += "."
	if len(others) > 0 {
		res.CPUNote += " Also measured, from /proc, the local"
		for i, o := range others {
			if i > 0 {
				res.CPUNote += " and"
			}
			res.CPUNote += " " + o.name
		}
		res.CPUNote += " during the drain; they share the machine's cores with the consumer."
	} else {
		res.CPUNote += " The ClickHouse server's and the broker's CPU are not included (not local processes)."
	}
	res.PeakRSSMB = peakRSSMB()
	res.PeakRSSNote = "peak RSS: VmHWM of this whole process (the generated records are dropped before the drain)"
	if r.o.Embedded {
		res.PeakRSSNote += ", with the embedded broker's in-memory log"
	}
	if hwmReset {
		res.PeakRSSNote += "; high-water mark reset just before the drain."
	} else {
		res.PeakRSSNote += "; the high-water mark could not be reset, so it covers the whole run."
	}
	r.progress("drain: %d rows in %.2fs = %.0f rows/s (first rows after %.2fs; steady %.0f rows/s); %.2f CPU-s (%.2f per M rows; ClickHouse server %.2f, broker %.2f); peak RSS %.0f MB",
		n, d.Seconds(), res.DrainRate, res.DrainFirstRowSeconds, res.DrainSteadyRate, res.DrainCPUSeconds, res.CPUSecondsPerMillion,
		res.ServerCPUSecondsPerMillion, res.BrokerCPUSecondsPerMillion, res.PeakRSSMB)

	if err := r.checkExact(ctx); err != nil {
		return err
	}
	if r.o.LatencyRecords > 0 {
		if err := r.latency(ctx, p); err != nil {
			return fmt.Errorf("latency: %w", err)
		}
	}
	r.progress("stopping the consumer")
	if err := p.stop(); err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	return nil
}

// startCPUProfile starts a Go CPU profile into path; the returned func stops it and closes the
// file (stopping twice is harmless).
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

func (r *run) checkExact(ctx context.Context) error {
	res := r.res
	q := "SELECT toString(sum(price)), count() FROM " + r.db + ".fuel_prices"
	if err := r.store.Conn().QueryRow(ctx, q).Scan(&res.StoredSum, &res.StoredCount); err != nil {
		return fmt.Errorf("exactness: %s: %w", q, err)
	}
	res.Exact = res.StoredSum == res.ExpectedSum && res.StoredCount == uint64(r.o.Records)
	verdict := "PASS"
	if !res.Exact {
		verdict = "FAIL"
	}
	r.progress("exactness %s: sum(price) of %s.fuel_prices = %s over %d rows; generated %s (raw_ceiling matches: %v)",
		verdict, r.db, res.StoredSum, res.StoredCount, res.ExpectedSum, res.RawExact)
	return nil
}

// latency publishes LatencyRecords EUR prices dated from 2030 (a partition of their own, so the
// poll reads little) in batches every 20ms at the target rate. Batch k's records have source
// lat.<k>; a poller reads the per-source counts every LatencyPoll and times each batch from just
// before its write to the first poll that returned all of its rows.
func (r *run) latency(ctx context.Context, p *consumerRun) error {
	const interval = 20 * time.Millisecond
	const poll = 25 * time.Millisecond
	total := r.o.LatencyRecords
	per := max(1, int(math.Round(r.o.Rate*interval.Seconds())))
	every := time.Duration(float64(per) / r.o.Rate * float64(time.Second))
	batches := (total + per - 1) / per
	res := r.res
	res.LatencyRecords, res.LatencyTargetRate, res.LatencyBatchRecords, res.LatencyBatches = total, r.o.Rate, per, batches
	res.LatencyPollMs = float64(poll) / float64(time.Millisecond)
	r.progress("latency: %d records at %.0f msgs/s: %d batches of %d every %v", total, r.o.Rate, batches, per, every)

	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: r.brokers, Security: r.o.Security}, r.topics.DeadLetter)
	if err != nil {
		return err
	}
	defer w.Close()

	var mu sync.Mutex
	sent := make([]time.Time, batches) // zero until the batch's write starts
	size := make([]int, batches)
	lat := make([]time.Duration, 0, batches)
	done := make([]bool, batches)

	pollErr := make(chan error, 1)
	allDone := make(chan struct{})
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	go func() {
		q := "SELECT source, count() FROM " + r.db + ".fuel_prices_data WHERE date >= toDate('" +
			latBase.Format(time.DateOnly) + "') GROUP BY source"
		t := time.NewTicker(poll)
		defer t.Stop()
		complete := 0
		for {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
			}
			rows, err := r.store.Conn().Query(pctx, q)
			if err != nil {
				if pctx.Err() == nil {
					pollErr <- err
				}
				return
			}
			counts := map[int]uint64{}
			for rows.Next() {
				var src string
				var c uint64
				if err := rows.Scan(&src, &c); err != nil {
					rows.Close()
					pollErr <- err
					return
				}
				if k, err := strconv.Atoi(strings.TrimPrefix(src, "lat.")); err == nil {
					counts[k] = c
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				pollErr <- err
				return
			}
			now := time.Now()
			mu.Lock()
			for k, c := range counts {
				if k < 0 || k >= batches || done[k] || sent[k].IsZero() || c < uint64(size[k]) {
					continue
				}
				done[k] = true
				lat = append(lat, now.Sub(sent[k]))
				complete++
			}
			mu.Unlock()
			if complete == batches {
				close(allDone)
				return
			}
		}
	}()

	var buf []byte
	msgs := make([]kafkago.Message, 0, per)
	t0 := time.Now()
	for k := 0; k < batches; k++ {
		if d := time.Until(t0.Add(time.Duration(k) * every)); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		msgs = msgs[:0]
		m := min(per, total-k*per)
		src := "lat." + strconv.Itoa(k)
		for j := 0; j < m; j++ {
			_, region := series("", j)
			buf = appendPrice(buf[:0], src, region, "1.000000", "EUR", latBase.Format(time.DateOnly))
			msgs = append(msgs, kafkago.Message{Topic: r.topics.FuelPrices, Key: []byte(src + "/" + region), Value: append([]byte(nil), buf...)})
		}
		mu.Lock()
		sent[k], size[k] = time.Now(), m
		mu.Unlock()
		if err := w.Write(ctx, msgs...); err != nil {
			return err
		}
	}
	sendTime := time.Since(t0)
	res.LatencyAchievedRate = float64(total) / sendTime.Seconds()
	r.progress("latency: published %d in %.2fs (%.0f msgs/s); waiting for the last rows", total, sendTime.Seconds(), res.LatencyAchievedRate)
	select {
	case <-allDone:
	case err := <-pollErr:
		return err
	case <-p.done:
		return fmt.Errorf("the consumer stopped: %v", p.err)
	case <-time.After(StallTimeout):
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("only %d of %d batches queryable %v after the last write", len(lat), batches, StallTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	res.LatencyP50Ms = ms(percentile(lat, 50))
	res.LatencyP99Ms = ms(percentile(lat, 99))
	res.LatencyMaxMs = ms(lat[len(lat)-1])
	r.progress("latency: p50 %.0fms, p99 %.0fms, max %.0fms over %d batches", res.LatencyP50Ms, res.LatencyP99Ms, res.LatencyMaxMs, batches)
	return nil
}

// percentile returns the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// localService is a server process on this machine whose CPU the drain reports.
type localService struct {
	name string
	pids []int // its processes, found as the drain starts
	perM *float64
	cpu0 time.Duration
}

// localServices lists the local ClickHouse server and Apache Kafka broker of the run, the ones
// found running on this machine.
func (r *run) localServices() []localService {
	var out []localService
	if u, err := url.Parse(r.dsn); err == nil && isLocalHost(u.Host) {
		if pids := localPIDs("clickhouse-server"); len(pids) > 0 {
			r.res.ServerCPUMeasured = true
			out = append(out, localService{name: "ClickHouse server", pids: pids, perM: &r.res.ServerCPUSecondsPerMillion})
		}
	}
	local := !r.o.Embedded && len(r.brokers) > 0
	for _, b := range r.brokers {
		local = local && isLocalHost(b)
	}
	if local {
		if pids := localPIDs("kafka.Kafka"); len(pids) > 0 {
			r.res.BrokerCPUMeasured = true
			out = append(out, localService{name: "Kafka broker", pids: pids, perM: &r.res.BrokerCPUSecondsPerMillion})
		}
	}
	return out
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMB reads VmHWM from /proc/self/status, in MB (10^6 bytes).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) >= 1 {
				kb, err := strconv.ParseFloat(f[0], 64)
				if err == nil {
					return kb * 1024 / 1e6
				}
			}
		}
	}
	return 0
}
