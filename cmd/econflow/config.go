package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/schemas"
	"github.com/econflow/econflow/transform"
)

// Config is every setting of the econflow commands. Each field can be set by flag and by the
// environment variable named in its flag's help; flags win.
type Config struct {
	Brokers    []string // --brokers, ECONFLOW_BROKERS; default 127.0.0.1:9092
	ClickHouse string   // --clickhouse, ECONFLOW_CLICKHOUSE; default clickhouse://127.0.0.1:9000/econ
	// Cluster (--cluster, ECONFLOW_CLICKHOUSE_CLUSTER; migrate and consume) is the ClickHouse
	// cluster the tables are spread over (clickhouse.Options.Cluster); default "": one server.
	Cluster    string
	Group      string        // --group, ECONFLOW_GROUP; default econflow
	HTTP       string        // --http, ECONFLOW_HTTP; default "" (no HTTP server); e.g. 127.0.0.1:9464
	Topics     kafka.Topics  // --topic-*, ECONFLOW_TOPIC_*
	Partitions int           // --partitions: partitions of topics created by migrate; default 3
	Replicas   int           // --replication: replication factor of created topics; default 1
	BatchSize  int           // --batch-size: messages per ClickHouse insert; default 200000
	Linger     time.Duration // --batch-linger: wait for a batch to fill; default 250ms
	Reconcile  time.Duration // --reconcile-interval: re-conversion timer; default 5s
	Reporting  string        // --reporting-currency, ECONFLOW_REPORTING_CURRENCY: EUR only (the *_eur columns)
	// Further (--reporting-currencies, ECONFLOW_REPORTING_CURRENCIES; consume, bench, demo) are
	// more reporting currencies, e.g. USD,GBP: fuel prices, wages and indicators in a currency
	// converted into each go to econ.*_converted, never to the *_eur columns. Default none.
	Further    []string
	WindowDays int      // --fx-window-days; default 7
	Pivots     []string // --fx-pivots; default USD
	SourcePref []string // --fx-source-preference; default none
	// PeriodAverage (--fx-period-average, ECONFLOW_FX_PERIOD_AVERAGE) lists the wage frequencies
	// converted at the period-average rate when the publisher gives one; default M,A; "none".
	PeriodAverage []string
	Security      kafka.Security
	LogLevel      string // --log-level: debug, info, warn, error; default info
	// ShutdownTimeout (--shutdown-timeout, ECONFLOW_SHUTDOWN_TIMEOUT) bounds the drain after the
	// first SIGINT/SIGTERM; then consume aborts without committing what it could not store. Default 30s.
	ShutdownTimeout time.Duration
	// MemoryLimitMiB (--memory-limit-mib, ECONFLOW_MEMORY_LIMIT_MIB) is the Go runtime's soft
	// memory limit for consume, in MiB; 0 (the default) leaves it to GOMEMLIMIT. The batch size is
	// what bounds memory; this only makes the collector work harder near the limit.
	MemoryLimitMiB int
}

// DefaultConfig returns the local defaults of docs/contract.md §4.2.
func DefaultConfig() Config {
	return Config{
		Brokers:    []string{"127.0.0.1:9092"},
		ClickHouse: clickhouse.DefaultDSN,
		Group:      "econflow",
		Topics:     kafka.DefaultTopics(),
		Partitions: 3,
		Replicas:   1,
		BatchSize:  200000,
		Linger:     250 * time.Millisecond,
		Reconcile:  5 * time.Second,
		Reporting:  "EUR",
		WindowDays: 7,
		Pivots:     []string{"USD"},
		LogLevel:   "info",

		PeriodAverage: []string{"M", "A"},

		ShutdownTimeout: 30 * time.Second,
	}
}

// FX returns the conversion settings.
func (c Config) FX() transform.FXConfig {
	var period []string
	if !(len(c.PeriodAverage) == 1 && c.PeriodAverage[0] == "none") {
		period = c.PeriodAverage
	}
	return transform.FXConfig{Reporting: c.Reporting, WindowDays: c.WindowDays, Pivots: c.Pivots, SourcePreference: c.SourcePref,
		PeriodAverage: period, Further: c.Further}
}

// Validate checks every field and names the first bad one.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("brokers: at least one host:port is required")
	}
	for _, b := range c.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return fmt.Errorf("brokers: %q is not host:port", b)
		}
	}
	if !strings.HasPrefix(c.ClickHouse, "clickhouse://") {
		return fmt.Errorf("clickhouse: %q must look like clickhouse://host:9000/econ", redactDSN(c.ClickHouse))
	}
	if _, err := url.Parse(c.ClickHouse); err != nil {
		// url.Parse's error quotes the whole DSN, password included: name the problem only.
		return fmt.Errorf("clickhouse: %q is not a valid URL; percent-encode special characters in the user and password (e.g. %%40 for @)", redactDSN(c.ClickHouse))
	}
	if c.Cluster != "" {
		if err := schemas.CheckClusterName(c.Cluster); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
	}
	if c.Group == "" {
		return errors.New("group: must not be empty")
	}
	if c.HTTP != "" {
		if _, _, err := net.SplitHostPort(c.HTTP); err != nil {
			return fmt.Errorf("http: %q is not host:port", c.HTTP)
		}
	}
	for name, t := range map[string]string{"topic-fuel-prices": c.Topics.FuelPrices, "topic-wages": c.Topics.Wages,
		"topic-fx-rates": c.Topics.FXRates, "topic-dead-letter": c.Topics.DeadLetter, "topic-indicators": c.Topics.Indicators} {
		if t == "" {
			return fmt.Errorf("%s: must not be empty", name)
		}
	}
	if c.Partitions < 1 {
		return fmt.Errorf("partitions: %d, want ≥ 1", c.Partitions)
	}
	if c.Replicas < 1 {
		return fmt.Errorf("replication: %d, want ≥ 1", c.Replicas)
	}
	if c.BatchSize < 1 || c.BatchSize > 1_000_000 {
		return fmt.Errorf("batch-size: %d, want 1…1000000", c.BatchSize)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("shutdown-timeout: %s, want > 0", c.ShutdownTimeout)
	}
	if c.MemoryLimitMiB < 0 {
		return fmt.Errorf("memory-limit-mib: %d, want ≥ 0 (0: no limit)", c.MemoryLimitMiB)
	}
	if c.Linger <= 0 {
		return fmt.Errorf("batch-linger: %s, want > 0", c.Linger)
	}
	if c.Reconcile <= 0 {
		return fmt.Errorf("reconcile-interval: %s, want > 0", c.Reconcile)
	}
	if !isCurrency(c.Reporting) {
		return fmt.Errorf("reporting-currency: %q is not an ISO 4217 code", c.Reporting)
	}
	if c.Reporting != "EUR" {
		return fmt.Errorf("reporting-currency: %s: the *_eur columns always hold euros, so EUR is the only value; "+
			"further reporting currencies go to conversion views of their own: set --reporting-currencies (ECONFLOW_REPORTING_CURRENCIES=%[1]s)", c.Reporting)
	}
	for i, f := range c.Further {
		switch {
		case !isCurrency(f):
			return fmt.Errorf("reporting-currencies: %q is not an ISO 4217 code", f)
		case f == c.Reporting:
			return fmt.Errorf("reporting-currencies: %s is in the *_eur columns already; list only further currencies", f)
		case slices.Contains(c.Further[:i], f):
			return fmt.Errorf("reporting-currencies: %s is listed twice", f)
		}
	}
	for _, f := range c.PeriodAverage {
		if f != "M" && f != "Q" && f != "A" && !(f == "none" && len(c.PeriodAverage) == 1) {
			return fmt.Errorf("fx-period-average: %q, want frequencies among M, Q, A, or none", f)
		}
	}
	if c.WindowDays < 0 || c.WindowDays > 366 {
		return fmt.Errorf("fx-window-days: %d, want 0…366", c.WindowDays)
	}
	for _, p := range c.Pivots {
		if !isCurrency(p) {
			return fmt.Errorf("fx-pivots: %q is not an ISO 4217 code", p)
		}
	}
	if err := c.Security.Validate(); err != nil {
		return fmt.Errorf("kafka security: %w", err)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("log-level: %q, want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// listFlag is a comma-separated list flag.
type listFlag struct{ p *[]string }

func (l listFlag) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}
func (l listFlag) Set(s string) error { *l.p = splitList(s); return nil }

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// dsnFlag is the --clickhouse flag: its value is printed (in --help, as the default taken from
// ECONFLOW_CLICKHOUSE) with the password redacted.
type dsnFlag struct{ p *string }

func (d dsnFlag) String() string {
	if d.p == nil {
		return ""
	}
	return redactDSN(*d.p)
}
func (d dsnFlag) Set(s string) error { *d.p = s; return nil }

// redactDSN hides the password of a DSN for help, logs and errors (clickhouse.RedactDSN).
func redactDSN(dsn string) string { return clickhouse.RedactDSN(dsn) }

// settings registers the flags of the given groups on fs, with env values as defaults.
type settings struct {
	kafka, clickhouse, consume bool
	// dsn registers --clickhouse alone, for commands that only read ClickHouse (serve).
	dsn bool
	// cluster registers --cluster, for the commands that create or write the tables (migrate,
	// consume).
	cluster bool
	// currencies registers --reporting-currencies alone, for a command that runs a consumer
	// without the other consume settings (demo); consume registers it too.
	currencies bool
}

func (c *Config) register(fs *flag.FlagSet, s settings) {
	if s.kafka {
		fs.Var(listFlag{&c.Brokers}, "brokers", "Kafka bootstrap brokers, comma-separated (env ECONFLOW_BROKERS)")
		fs.StringVar(&c.Topics.FuelPrices, "topic-fuel-prices", c.Topics.FuelPrices, "fuel price topic (env ECONFLOW_TOPIC_FUEL_PRICES)")
		fs.StringVar(&c.Topics.Wages, "topic-wages", c.Topics.Wages, "wage topic (env ECONFLOW_TOPIC_WAGES)")
		fs.StringVar(&c.Topics.FXRates, "topic-fx-rates", c.Topics.FXRates, "exchange rate topic (env ECONFLOW_TOPIC_FX_RATES)")
		fs.StringVar(&c.Topics.DeadLetter, "topic-dead-letter", c.Topics.DeadLetter, "dead-letter topic (env ECONFLOW_TOPIC_DEAD_LETTER)")
		fs.StringVar(&c.Topics.Indicators, "topic-indicators", c.Topics.Indicators, "economic indicator topic (env ECONFLOW_TOPIC_INDICATORS)")
		fs.StringVar(&c.Security.SASLMechanism, "kafka-sasl-mechanism", c.Security.SASLMechanism, "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (env ECONFLOW_KAFKA_SASL_MECHANISM); password from env ECONFLOW_KAFKA_PASSWORD only")
		fs.StringVar(&c.Security.Username, "kafka-username", c.Security.Username, "SASL username (env ECONFLOW_KAFKA_USERNAME)")
		fs.BoolVar(&c.Security.TLS, "kafka-tls", c.Security.TLS, "connect to Kafka with TLS (env ECONFLOW_KAFKA_TLS)")
		fs.StringVar(&c.Security.CAFile, "kafka-tls-ca", c.Security.CAFile, "PEM CA bundle for Kafka TLS (env ECONFLOW_KAFKA_TLS_CA)")
	}
	if s.clickhouse || s.dsn {
		fs.Var(dsnFlag{&c.ClickHouse}, "clickhouse", "ClickHouse DSN clickhouse://[user[:password]@]host:port/database[?secure=true[&skip_verify=true]]; prefer the env ECONFLOW_CLICKHOUSE for a password (shown redacted)")
	}
	if s.cluster {
		fs.StringVar(&c.Cluster, "cluster", c.Cluster, "ClickHouse cluster (a <remote_servers> name) the tables are spread over: "+
			"replicated tables, Distributed tables under the usual names, synchronous inserts; empty: one server (env ECONFLOW_CLICKHOUSE_CLUSTER; see docs/cluster.md)")
	}
	if s.clickhouse {
		fs.IntVar(&c.Partitions, "partitions", c.Partitions, "partitions of topics that migrate creates")
		fs.IntVar(&c.Replicas, "replication", c.Replicas, "replication factor of topics that migrate creates")
	}
	if s.consume {
		fs.StringVar(&c.Group, "group", c.Group, "Kafka consumer group (env ECONFLOW_GROUP)")
		fs.StringVar(&c.HTTP, "http", c.HTTP, "serve /metrics, /healthz and /readyz on host:port; empty: off (env ECONFLOW_HTTP)")
		fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "messages per ClickHouse insert (env ECONFLOW_BATCH_SIZE)")
		fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "after the first SIGINT/SIGTERM, how long to drain before aborting without committing the batches in hand (env ECONFLOW_SHUTDOWN_TIMEOUT)")
		fs.IntVar(&c.MemoryLimitMiB, "memory-limit-mib", c.MemoryLimitMiB, "soft limit of the Go runtime's memory in MiB, not counting the batches' rows (about 240 bytes each, kept outside the Go heap); the garbage collector works harder near it; 0: none, or GOMEMLIMIT if set (env ECONFLOW_MEMORY_LIMIT_MIB)")
		fs.DurationVar(&c.Linger, "batch-linger", c.Linger, "how long a batch waits to fill; while a backlog of 10,000+ messages waits in the broker, batches fill to --batch-size for up to 8 lingers, and the one that takes in the rest of the backlog is written at once (env ECONFLOW_BATCH_LINGER)")
		fs.DurationVar(&c.Reconcile, "reconcile-interval", c.Reconcile, "how often stored rows are re-converted with newly stored rates")
		fs.StringVar(&c.Reporting, "reporting-currency", c.Reporting, "currency of the *_eur columns: EUR only (env ECONFLOW_REPORTING_CURRENCY)")
		fs.Var(listFlag{&c.Further}, "reporting-currencies", reportingCurrenciesHelp)
		fs.Var(listFlag{&c.PeriodAverage}, "fx-period-average", "wage frequencies converted at the publisher's average rate of their period when there is one (M, Q, A), or none (env ECONFLOW_FX_PERIOD_AVERAGE)")
		fs.IntVar(&c.WindowDays, "fx-window-days", c.WindowDays, "a rate dated up to this many days before an observation may convert it (env ECONFLOW_FX_WINDOW_DAYS)")
		fs.Var(listFlag{&c.Pivots}, "fx-pivots", "pivot currencies for triangulation, in order (env ECONFLOW_FX_PIVOTS)")
		fs.Var(listFlag{&c.SourcePref}, "fx-source-preference", "rate sources preferred on equal dates, in order (env ECONFLOW_FX_SOURCE_PREFERENCE)")
	}
	if s.currencies && !s.consume {
		fs.Var(listFlag{&c.Further}, "reporting-currencies", reportingCurrenciesHelp)
	}
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env ECONFLOW_LOG_LEVEL)")
}

const reportingCurrenciesHelp = "further reporting currencies, comma-separated (e.g. USD,GBP): fuel prices, wages and indicators in a currency converted into each, " +
	"with reporting_currency on every row, go to econ.fuel_prices_converted, econ.wages_converted and econ.indicators_converted; the *_eur columns stay in euros (env ECONFLOW_REPORTING_CURRENCIES)"

// fromEnv applies ECONFLOW_* environment settings to c.
func (c *Config) fromEnv(getenv func(string) string) error {
	str := func(name string, p *string) {
		if v := getenv(name); v != "" {
			*p = v
		}
	}
	list := func(name string, p *[]string) {
		if v := getenv(name); v != "" {
			*p = splitList(v)
		}
	}
	num := func(name string, p *int) error {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s: %q is not a whole number", name, v)
			}
			*p = n
		}
		return nil
	}
	list("ECONFLOW_BROKERS", &c.Brokers)
	str("ECONFLOW_CLICKHOUSE", &c.ClickHouse)
	str("ECONFLOW_CLICKHOUSE_CLUSTER", &c.Cluster)
	str("ECONFLOW_GROUP", &c.Group)
	str("ECONFLOW_HTTP", &c.HTTP)
	str("ECONFLOW_TOPIC_FUEL_PRICES", &c.Topics.FuelPrices)
	str("ECONFLOW_TOPIC_WAGES", &c.Topics.Wages)
	str("ECONFLOW_TOPIC_FX_RATES", &c.Topics.FXRates)
	str("ECONFLOW_TOPIC_DEAD_LETTER", &c.Topics.DeadLetter)
	str("ECONFLOW_TOPIC_INDICATORS", &c.Topics.Indicators)
	str("ECONFLOW_REPORTING_CURRENCY", &c.Reporting)
	list("ECONFLOW_REPORTING_CURRENCIES", &c.Further)
	list("ECONFLOW_FX_PIVOTS", &c.Pivots)
	list("ECONFLOW_FX_SOURCE_PREFERENCE", &c.SourcePref)
	list("ECONFLOW_FX_PERIOD_AVERAGE", &c.PeriodAverage)
	str("ECONFLOW_KAFKA_SASL_MECHANISM", &c.Security.SASLMechanism)
	str("ECONFLOW_KAFKA_USERNAME", &c.Security.Username)
	str("ECONFLOW_KAFKA_PASSWORD", &c.Security.Password)
	str("ECONFLOW_KAFKA_TLS_CA", &c.Security.CAFile)
	str("ECONFLOW_LOG_LEVEL", &c.LogLevel)
	if v := getenv("ECONFLOW_KAFKA_TLS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("ECONFLOW_KAFKA_TLS: %q is not true or false", v)
		}
		c.Security.TLS = b
	}
	if v := getenv("ECONFLOW_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("ECONFLOW_SHUTDOWN_TIMEOUT: %q is not a duration like 30s", v)
		}
		c.ShutdownTimeout = d
	}
	if v := getenv("ECONFLOW_BATCH_LINGER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("ECONFLOW_BATCH_LINGER: %q is not a duration like 250ms", v)
		}
		c.Linger = d
	}
	if err := num("ECONFLOW_BATCH_SIZE", &c.BatchSize); err != nil {
		return err
	}
	if err := num("ECONFLOW_MEMORY_LIMIT_MIB", &c.MemoryLimitMiB); err != nil {
		return err
	}
	return num("ECONFLOW_FX_WINDOW_DAYS", &c.WindowDays)
}

// consumeGCPercent is the garbage collector's target for consume and bench unless GOGC is set:
// a collection when the heap has grown by half, not doubled. The consumer's big buffers are
// reused, so little is allocated per row and collecting more often costs little CPU, while the
// peak RSS of a drain falls (docs/performance.md).
const consumeGCPercent = 50

// produceGCPercent is the garbage collector's target for produce unless GOGC is set: the lines
// it reads and the records waiting for acknowledgement are short-lived garbage, and collecting
// half as often made 1M lines 12–15% faster (1.01 s against 1.17 s wall, peak RSS 132 MB against
// 101 MB; 400: 0.94 s, 217 MB; docs/performance.md §8).
const produceGCPercent = 200

// applyMemorySettings sets the garbage collector's target (unless GOGC is set) and the runtime's
// soft memory limit (unless GOMEMLIMIT is set).
func (c Config) applyMemorySettings() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(consumeGCPercent)
	}
	if c.MemoryLimitMiB > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(c.MemoryLimitMiB) << 20)
	}
}

func newLogger(level string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
}
