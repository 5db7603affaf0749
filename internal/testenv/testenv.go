// Package testenv starts and connects the real services econflow's integration tests run
// against: a ClickHouse server (one fresh database per test), the embedded Kafka-protocol broker
// (franz-go's kfake, in-process) and an Apache Kafka broker. It also runs a consumer in-process,
// the way `econflow consume` wires it, and publishes raw messages the way a foreign producer
// does.
//
// A service that does not answer makes the test skip, except under CI (CI=true) or with
// ECONFLOW_REQUIRE_SERVICES=1, where it is a failure: a missing service in CI must never pass as
// a skipped test. With -short (`make unit`), a test that needs ClickHouse or Apache Kafka is
// skipped without trying them; the embedded broker runs in-process and needs no service.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/ingest/pipeline"
	"github.com/econflow/econflow/transform"
)

// Environment variables read by this package.
const (
	EnvClickHouse       = "ECONFLOW_TEST_CLICKHOUSE"   // base DSN, default clickhouse://127.0.0.1:9000/econ
	EnvApacheKafka      = "ECONFLOW_TEST_APACHE_KAFKA" // host:port of an Apache Kafka broker
	EnvRequireServices  = "ECONFLOW_REQUIRE_SERVICES"  // "1": a missing service fails the test
	defaultClickHouseDS = "clickhouse://127.0.0.1:9000/econ"
)

// RequireServices reports whether a missing service must fail the test rather than skip it:
// under CI (CI=true) or with ECONFLOW_REQUIRE_SERVICES=1.
func RequireServices() bool {
	return strings.EqualFold(os.Getenv("CI"), "true") || os.Getenv(EnvRequireServices) == "1"
}

// skipIfShort skips the test under -short: it needs service.
func skipIfShort(t testing.TB, service string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: skipping a test that needs %s", service)
	}
}

// unavailable skips the test, or fails it when services are required.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if RequireServices() {
		t.Fatalf("required service unavailable (CI=true or %s=1): %s", EnvRequireServices, msg)
	}
	t.Skipf("service unavailable, skipping (set CI=true or %s=1 to make this a failure): %s", EnvRequireServices, msg)
}

// RandomSuffix returns 12 random lower-case hex digits, usable in database, topic and group names.
func RandomSuffix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b[:])
}

// Logger returns a logger that writes to the test log at level Warn and above (Debug with
// ECONFLOW_TEST_VERBOSE=1), so the pipeline's complaints show up next to the failing test.
func Logger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("ECONFLOW_TEST_VERBOSE") == "1" {
		level = slog.LevelDebug
	}
	w := &testWriter{t: t}
	t.Cleanup(func() { // background goroutines may log after the test; t.Log would then panic
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// ClickHouseDSN creates a fresh database econ_test_<random> on the ClickHouse server of
// ECONFLOW_TEST_CLICKHOUSE (default clickhouse://127.0.0.1:9000/econ), returns the DSN naming
// it, and drops it when the test ends. The schema is not created: that is Migrate's job.
func ClickHouseDSN(t testing.TB) string {
	t.Helper()
	skipIfShort(t, "ClickHouse")
	base := os.Getenv(EnvClickHouse)
	if base == "" {
		base = defaultClickHouseDS
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s=%q: %v", EnvClickHouse, base, err)
	}
	db := "econ_test_" + RandomSuffix(t)
	u.Path = "/" + db
	dsn := u.String()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	store, err := clickhouse.Open(ctx, clickhouse.Options{DSN: dsn, DialTimeout: 3 * time.Second, Logger: Logger(t)})
	if err != nil {
		unavailable(t, "ClickHouse at %s does not answer (start it with `bash deploy/clickhouse.sh start`): %v", base, err)
	}
	if err := store.Conn().Exec(ctx, "CREATE DATABASE "+db); err != nil {
		store.Close()
		t.Fatalf("create database %s: %v", db, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := store.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Errorf("drop database %s: %v", db, err)
		}
		store.Close()
	})
	return dsn
}

// OpenStore opens dsn, runs the migrations and closes the store when the test ends.
func OpenStore(t testing.TB, dsn string) *clickhouse.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	store, err := clickhouse.Open(ctx, clickhouse.Options{DSN: dsn, Logger: Logger(t)})
	if err != nil {
		t.Fatalf("open clickhouse: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return store
}

// EmbeddedBroker starts the embedded broker (kafka.StartBroker) on a free loopback port and
// returns its address; it is closed when the test ends.
func EmbeddedBroker(t testing.TB) string {
	t.Helper()
	b, err := kafka.StartBroker(kafka.BrokerOptions{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start embedded broker: %v", err)
	}
	t.Cleanup(b.Close)
	return b.Addr()
}

// ApacheKafka returns the address of the Apache Kafka broker named by ECONFLOW_TEST_APACHE_KAFKA
// (e.g. 127.0.0.1:19092, see `bash deploy/kafka.sh start`). An unset variable or a broker that
// does not answer skips the test (fails it under CI). Tests on this shared broker must use
// their own topics (NewTopics) and groups.
func ApacheKafka(t testing.TB) string {
	t.Helper()
	skipIfShort(t, "Apache Kafka")
	addr := os.Getenv(EnvApacheKafka)
	if addr == "" {
		unavailable(t, "%s is not set (e.g. %s=127.0.0.1:19092 after `bash deploy/kafka.sh start`)", EnvApacheKafka, EnvApacheKafka)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(addr), Timeout: 10 * time.Second}
	if _, err := client.ApiVersions(ctx, &kafkago.ApiVersionsRequest{}); err != nil {
		unavailable(t, "Apache Kafka at %s=%s does not answer: %v", EnvApacheKafka, addr, err)
	}
	return addr
}

// NewTopics returns topic names unique to this test (econ.fuel_prices.t<random> …) and creates
// them with 3 partitions on brokers.
func NewTopics(t testing.TB, brokers string) kafka.Topics {
	t.Helper()
	s := ".t" + RandomSuffix(t)
	d := kafka.DefaultTopics()
	topics := kafka.Topics{FuelPrices: d.FuelPrices + s, Wages: d.Wages + s, FXRates: d.FXRates + s, DeadLetter: d.DeadLetter + s, Indicators: d.Indicators + s}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	DeleteTopicsAtEnd(t, brokers, topics.All()...)
	if err := ensureTopics(ctx, brokers, topics); err != nil {
		t.Fatalf("create topics: %v", err)
	}
	return topics
}

// DeleteTopicsAtEnd deletes the named topics from brokers when the test ends, so a broker
// that outlives the tests (the local Apache Kafka) does not collect thousands of partitions,
// which slow its next start. A failure is logged, not fatal: the broker may be gone.
func DeleteTopicsAtEnd(t testing.TB, brokers string, names ...string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client := &kafkago.Client{Addr: kafkago.TCP(brokers), Timeout: 10 * time.Second}
		resp, err := client.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: names})
		if err == nil {
			for name, e := range resp.Errors {
				if e != nil && !errors.Is(e, kafkago.UnknownTopicOrPartition) {
					err = errors.Join(err, fmt.Errorf("%s: %w", name, e))
				}
			}
		}
		if err != nil {
			t.Logf("delete test topics %v on %s: %v", names, brokers, err)
		}
	})
}

func ensureTopics(ctx context.Context, brokers string, topics kafka.Topics) error {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = kafka.EnsureTopics(ctx, []string{brokers}, kafka.Security{}, topics.All(), 3, 1); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
	return err
}

// Publisher writes raw messages straight to Kafka with kafka.NewWriter — the path of a foreign
// producer, not of `econflow produce`: nothing is validated on the way.
type Publisher struct {
	t      testing.TB
	w      *kafka.Writer
	topics kafka.Topics
}

// NewPublisher returns a Publisher closed when the test ends.
func NewPublisher(t testing.TB, brokers string, topics kafka.Topics) *Publisher {
	t.Helper()
	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: []string{brokers}}, topics.DeadLetter)
	if err != nil {
		t.Fatalf("new writer: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return &Publisher{t: t, w: w, topics: topics}
}

// Msg is one raw message: the record kind picks the topic (topics.ForKind).
type Msg struct {
	Kind  string
	Key   string
	Value []byte
}

// Publish writes msgs in order (messages with the same key keep their order).
func (p *Publisher) Publish(msgs ...Msg) {
	p.t.Helper()
	out := make([]kafkago.Message, len(msgs))
	for i, m := range msgs {
		out[i] = kafkago.Message{Topic: p.topics.ForKind(m.Kind), Key: []byte(m.Key), Value: m.Value}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := p.w.Write(ctx, out...); err != nil {
		p.t.Fatalf("publish %d messages: %v", len(msgs), err)
	}
}

// ConsumerOptions configure StartConsumer.
type ConsumerOptions struct {
	Brokers string
	DSN     string
	Topics  kafka.Topics
	// Group is the consumer group; tests use one of their own (see NewGroup).
	Group string
	// Gate, when not nil, sits between the consume loop and ClickHouse (not the reconciler).
	Gate *Gate
	// FX, when not nil, is the processor's currency-conversion configuration; nil means
	// transform.DefaultFXConfig(), as `econflow consume` uses without a config file.
	FX *transform.FXConfig
	// Logger, when not nil, receives the consumer's log instead of Logger(t) (tests that count
	// log lines wrap Logger(t) in a handler of their own).
	Logger *slog.Logger
	// Metrics, when not nil, are the consumer's metrics (unregistered ones otherwise).
	Metrics *ingest.Metrics
}

// NewGroup returns a consumer group name unique to this test.
func NewGroup(t testing.TB) string { return "econflow-test-" + RandomSuffix(t) }

// Consumer is a consumer running in-process, wired like `econflow consume`.
type Consumer struct {
	t           testing.TB
	stopCancel  context.CancelFunc
	abortCancel context.CancelFunc
	done        chan struct{}
	err         error
	closeOnce   sync.Once
	closers     []func() error
	Store       *clickhouse.Store
}

// StartConsumer migrates, creates the topics, joins the group and runs the consume loop and the
// reconciler (interval 500ms) in goroutines. Stop or Abort ends it; if the test does neither,
// it is aborted when the test ends.
func StartConsumer(t testing.TB, o ConsumerOptions) *Consumer {
	t.Helper()
	log := o.Logger
	if log == nil {
		log = Logger(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	store, err := clickhouse.Open(ctx, clickhouse.Options{DSN: o.DSN, Logger: log})
	if err != nil {
		t.Fatalf("open clickhouse: %v", err)
	}
	c := &Consumer{t: t, done: make(chan struct{}), Store: store}
	c.closers = append(c.closers, store.Close)
	if err := store.Migrate(ctx); err != nil {
		c.close()
		t.Fatalf("migrate: %v", err)
	}
	if err := ensureTopics(ctx, o.Brokers, o.Topics); err != nil {
		c.close()
		t.Fatalf("ensure topics: %v", err)
	}
	fx := transform.DefaultFXConfig()
	if o.FX != nil {
		fx = *o.FX
	}
	var wrap func(ingest.Store) ingest.Store
	if o.Gate != nil {
		wrap = func(s ingest.Store) ingest.Store { return &gatedStore{Store: s, g: o.Gate} }
	}
	p, err := pipeline.Open(ctx, pipeline.Options{Brokers: []string{o.Brokers}, Group: o.Group, Topics: o.Topics,
		SessionTimeout: 6 * time.Second, ClickHouse: o.DSN, FX: fx,
		Consumer:          ingest.ConsumerConfig{BatchSize: 500, BatchLinger: 50 * time.Millisecond},
		ReconcileInterval: 500 * time.Millisecond, Logger: log, Metrics: o.Metrics, WrapStore: wrap})
	if err != nil {
		c.close()
		t.Fatalf("open pipeline: %v", err)
	}
	// Closed last to first: the pipeline (leaving the group), then the migration store.
	c.closers = append(c.closers, p.Close)
	stop, stopCancel := context.WithCancel(context.Background())
	abort, abortCancel := context.WithCancel(context.Background())
	c.stopCancel, c.abortCancel = stopCancel, abortCancel
	go func() {
		defer close(c.done)
		c.err = p.Run(stop, abort)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			c.Abort()
		}
		c.close()
	})
	return c
}

func (c *Consumer) close() {
	c.closeOnce.Do(func() {
		for i := len(c.closers) - 1; i >= 0; i-- {
			if err := c.closers[i](); err != nil {
				c.t.Logf("close: %v", err)
			}
		}
	})
}

// RequestStop asks the consumer to stop (the stop context of Run) without waiting; Stop waits.
func (c *Consumer) RequestStop() { c.stopCancel() }

// Stop ends the consumer gracefully: the batch in hand is written and committed and Run must
// return nil. It then leaves the group. It fails the test if Run does not return nil within 60s.
func (c *Consumer) Stop() {
	c.t.Helper()
	c.stopCancel()
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		c.abortCancel()
		<-c.done
		c.t.Fatalf("consumer did not stop within 60s of a graceful stop")
	}
	c.close()
	if c.err != nil {
		c.t.Fatalf("consumer Run after a graceful stop returned %v, want nil", c.err)
	}
}

// Abort ends the consumer as a crash would: the batch in hand is neither written nor committed.
// The connections are then closed (the member leaves the group, so that a new consumer gets
// its partitions without waiting for the session timeout). It returns Run's result.
func (c *Consumer) Abort() error {
	c.t.Helper()
	c.abortCancel()
	c.stopCancel()
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		c.t.Fatalf("consumer did not end within 60s of an abort")
	}
	c.close()
	return c.err
}

// Done is closed when the consume loop has returned.
func (c *Consumer) Done() <-chan struct{} { return c.done }

// Gate holds the consume loop's writes to ClickHouse after a number of batches, so that a test
// can stop a consumer at a known point mid-stream without depending on timing.
type Gate struct {
	mu      sync.Mutex
	allow   int // batches allowed before holding
	written int
	rows    int
	held    chan struct{} // closed when a write is being held
	open    chan struct{} // closed by Open
	once    sync.Once
	hOnce   sync.Once
}

// NewGate returns a gate that lets n batches through, then holds the next write until Open.
func NewGate(n int) *Gate {
	return &Gate{allow: n, held: make(chan struct{}), open: make(chan struct{})}
}

// Held is closed once a write is held at the gate.
func (g *Gate) Held() <-chan struct{} { return g.held }

// Open lets every held and later write through.
func (g *Gate) Open() { g.once.Do(func() { close(g.open) }) }

// Written returns how many batches and how many rows and rejects have passed the gate.
func (g *Gate) Written() (batches, rows int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.written, g.rows
}

type gatedStore struct {
	ingest.Store
	g *Gate
}

func (s *gatedStore) WriteBatch(ctx context.Context, b *ingest.Batch) error {
	g := s.g
	g.mu.Lock()
	hold := g.written >= g.allow
	g.mu.Unlock()
	if hold {
		g.hOnce.Do(func() { close(g.held) })
		select {
		case <-g.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := s.Store.WriteBatch(ctx, b); err != nil {
		return err
	}
	g.mu.Lock()
	g.written++
	g.rows += b.Len()
	g.mu.Unlock()
	return nil
}

// WaitFor polls cond every 200ms until it reports true or timeout passes; then it fails the test
// with cond's last message. Use generous timeouts: this is about correctness, not speed.
func WaitFor(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %s", timeout, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TopicEnv returns the environment that points an econflow process at topics: one
// ECONFLOW_TOPIC_… variable per topic.
func TopicEnv(topics kafka.Topics) []string {
	return []string{
		"ECONFLOW_TOPIC_FUEL_PRICES=" + topics.FuelPrices, "ECONFLOW_TOPIC_WAGES=" + topics.Wages,
		"ECONFLOW_TOPIC_FX_RATES=" + topics.FXRates, "ECONFLOW_TOPIC_INDICATORS=" + topics.Indicators,
		"ECONFLOW_TOPIC_DEAD_LETTER=" + topics.DeadLetter,
	}
}
