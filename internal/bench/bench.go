// Package bench measures econflow end to end: the consumer's throughput against ClickHouse's
// own insert of the same records (Run), and the SQL views against direct reads of the storage
// tables (RunQueries); each checks that what it measured was exact.
//
// Run generates N fuel_price records deterministically and puts them in the order to publish
// (Options.Order: publishers' order by default — days in order, every series each day; or the
// table's key order, or a random one), then measures, in order:
//
//   - ceiling J, the drain's: ClickHouse's own INSERT … FORMAT JSONEachRow of the same record
//     lines through clickhouse-client, into a table of the record's fields (<db>.json_ceiling),
//     each price written as a JSON number (18.16's JSONEachRow cannot read a Decimal from a JSON
//     string; it reads a number exactly);
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
//     with math/big, digit for digit (and so must the sums of the J and A tables);
//   - latency: records published at a steady rate while the consumer runs, each timed from just
//     before its publication to the moment ClickHouse returns it to a query.
//
// Every run uses its own database (econ_bench_<unix nanoseconds>), topics and consumer group,
// and drops them at the end unless Options.Keep is set. RunQueries is described in queries.go.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
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
	// Order is the order the records are published in; default OrderPublishers (days in order,
	// every series each day).
	Order Order

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
	// DropLater leaves the database of a run that succeeds (Result.Database) for the caller to
	// drop with DropDatabases after its last run. Dropping a database frees thousands of files at once,
	// and on a file system without a journal (this development machine's) ext4 then skips
	// every inode freed within the last minute each time it allocates one: ClickHouse spent a
	// quarter of its CPU during a drain creating files in the next run's minute.
	DropLater bool
	// Progress receives one line per step; default io.Discard.
	Progress io.Writer
	// Logger receives the pipeline's logs; default slog.Default().
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.Records <= 0 {
		o.Records = 1_000_000
	}
	if o.Order == "" {
		o.Order = OrderPublishers
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
func Run(ctx context.Context, o Options) (_ *Result, err error) {
	o.defaults()
	r := &run{o: o, log: o.Logger, start: time.Now()}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 10)
	r.db = "econ_bench_" + stamp
	sfx := ".bench" + stamp
	r.topics = kafka.Topics{FuelPrices: o.Topics.FuelPrices + sfx, Wages: o.Topics.Wages + sfx,
		FXRates: o.Topics.FXRates + sfx, DeadLetter: o.Topics.DeadLetter + sfx, Indicators: o.Topics.Indicators + sfx}
	r.group = o.Group + "-bench-" + stamp
	u, err := url.Parse(o.ClickHouse)
	if err != nil {
		return nil, fmt.Errorf("clickhouse DSN: %w", err)
	}
	u.Path = "/" + r.db
	r.dsn = u.String()

	r.progress("generating %d records (seed %d)", o.Records, o.Seed)
	r.data = Generate(o.Records, o.Seed)
	if err := r.data.Arrange(o.Order, o.Seed); err != nil {
		return nil, err
	}
	r.res = &Result{Records: o.Records, Seed: o.Seed, Order: o.Order, KZTRecords: r.data.KZT, AvgRecordBytes: r.data.AvgBytes(),
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
	defer func() { r.cleanupDatabase(err != nil) }()
	r.progress("migrating database %s", r.db)
	if err := r.store.Migrate(ctx); err != nil {
		return nil, err
	}

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"ceiling J (ClickHouse's JSONEachRow insert)", r.ceilingJSON},
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

// cleanupDatabase drops the run's database unless Options.Keep, or Options.DropLater and the run
// succeeded.
func (r *run) cleanupDatabase(failed bool) {
	if r.o.Keep {
		r.progress("kept database %s (with json_ceiling, raw_ceiling and raw_full_ceiling)", r.db)
		return
	}
	if r.o.DropLater && !failed {
		return
	}
	dropDatabase(r.store, r.db, r.progress)
}

// dropDatabase drops database db, saying so or why not through progress.
func dropDatabase(store *clickhouse.Store, db string, progress func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := store.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
		progress("could not drop database %s: %v", db, err)
		return
	}
	progress("dropped database %s", db)
}

// DropDatabases drops the databases of runs made with Options.DropLater, on the server of
// o.ClickHouse, reporting each to o.Progress.
func DropDatabases(ctx context.Context, o Options, dbs []string) error {
	o.defaults()
	store, err := clickhouse.Open(ctx, clickhouse.Options{DSN: o.ClickHouse, Logger: o.Logger})
	if err != nil {
		return err
	}
	defer store.Close()
	start := time.Now()
	progress := func(format string, args ...any) {
		fmt.Fprintf(o.Progress, "bench [%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	for _, db := range dbs {
		dropDatabase(store, db, progress)
	}
	return nil
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
