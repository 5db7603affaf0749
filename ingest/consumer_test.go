package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/econflow/econflow/transform"
)

// flakySource fails its first failures fetches (with fetchErr, or a connection refused), then
// delivers msgs, then blocks. Its commits fail with commitErrs, one each, then succeed.
type flakySource struct {
	mu         sync.Mutex
	failures   int
	fetchErr   error
	msgs       []Message
	committed  []Message
	commitErrs []error
	fetchErrs  int
	commits    chan struct{} // signalled after each commit (see waitCommitted)
}

func (s *flakySource) Fetch(ctx context.Context) (Message, error) {
	s.mu.Lock()
	if s.failures > 0 {
		s.failures--
		s.fetchErrs++
		err := s.fetchErr
		s.mu.Unlock()
		if err == nil {
			err = errors.New("failed to dial: connection refused")
		}
		return Message{}, err
	}
	if len(s.msgs) > 0 {
		m := s.msgs[0]
		s.msgs = s.msgs[1:]
		s.mu.Unlock()
		return m, nil
	}
	s.mu.Unlock()
	<-ctx.Done()
	return Message{}, ctx.Err()
}

func (s *flakySource) Commit(_ context.Context, msgs []Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.commitErrs) > 0 {
		err := s.commitErrs[0]
		s.commitErrs = s.commitErrs[1:]
		return err
	}
	s.committed = append(s.committed, msgs...)
	select {
	case s.commitSignal() <- struct{}{}:
	default:
	}
	return nil
}

// commitSignal is signalled after each commit; s.mu must be held.
func (s *flakySource) commitSignal() chan struct{} {
	if s.commits == nil {
		s.commits = make(chan struct{}, 1)
	}
	return s.commits
}

// waitCommitted waits until the commits cover n messages; it fails the test if Run returns
// first (done) or if that takes a minute.
func waitCommitted(t *testing.T, src *flakySource, n int, done <-chan error) {
	t.Helper()
	timeout := time.After(time.Minute)
	for src.committedCount() < n {
		src.mu.Lock()
		signal := src.commitSignal()
		src.mu.Unlock()
		select {
		case <-signal:
		case err := <-done:
			t.Fatalf("Run returned %v with %d of %d messages committed", err, src.committedCount(), n)
		case <-timeout:
			t.Fatalf("committed %d of %d messages in a minute", src.committedCount(), n)
		}
	}
}

func (s *flakySource) Close() error { return nil }

// committedCount is how many messages the commits cover: Commit marks every message up to
// the offsets given, and the test messages of a partition have offsets 0, 1, 2, ….
func (s *flakySource) committedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := map[string]int64{}
	for _, m := range s.committed {
		k := m.Topic + "/" + strconv.Itoa(m.Partition)
		next[k] = max(next[k], m.Offset+1)
	}
	n := 0
	for _, o := range next {
		n += int(o)
	}
	return n
}

type memStore struct {
	mu      sync.Mutex
	rows    int
	rejects int
}

func (m *memStore) WriteBatch(_ context.Context, b *Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows += len(b.FuelPrices) + len(b.Wages) + len(b.FXRates)
	m.rejects += len(b.Rejects)
	return nil
}
func (m *memStore) Rates(context.Context, time.Time) ([]StoredRate, error) { return nil, nil }
func (m *memStore) Observations(context.Context, ObservationQuery) ([]Row, error) {
	return nil, nil
}

func (m *memStore) Known(context.Context, time.Time, time.Time) ([]Row, error) { return nil, nil }
func (m *memStore) Converted(context.Context, time.Time, time.Time) ([]Row, error) {
	return nil, nil
}
func (m *memStore) Failures(context.Context, time.Time, time.Time) ([]Failure, error) {
	return nil, nil
}

func (m *memStore) Ping(context.Context) error { return nil }

type memDead struct{ n int }

func (d *memDead) SendDeadLetters(_ context.Context, r []Reject) error { d.n += len(r); return nil }

func priceMessage(offset int64) Message {
	return Message{Topic: "econ.fuel_prices", Offset: offset, Time: time.Now(),
		Value: []byte(`{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"120.5","currency":"EUR","unit":"litre","date":"2022-01-0` + string(rune('1'+offset%9)) + `"}`)}
}

// TestConsumerRetriesFailedFetches: a consumer whose broker is unreachable keeps retrying with
// back-off instead of exiting, reports not ready meanwhile, and consumes once the broker is back.
func TestConsumerRetriesFailedFetches(t *testing.T) {
	src := &flakySource{failures: 4}
	for i := int64(0); i < 5; i++ {
		src.msgs = append(src.msgs, priceMessage(i))
	}
	store := &memStore{}
	metrics := NewMetrics(nil)
	c := NewConsumer(ConsumerConfig{BatchSize: 10, BatchLinger: 10 * time.Millisecond, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond},
		src, store, &memDead{}, NewProcessor(transform.DefaultFXConfig()), nil, slog.New(slog.DiscardHandler), metrics)
	stop, stopCancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(stop, context.Background()) }()
	waitCommitted(t, src, 5, done) // fails if Run returns: it must retry

	if !c.Ready() {
		t.Errorf("not ready after fetching and storing succeeded again")
	}
	var m dto.Metric
	if err := metrics.Retries.WithLabelValues("fetch").Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != 4 {
		t.Errorf("fetch retries metric %v, want 4", got)
	}
	stopCancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after stop: %v", err)
	}
	if store.rows != 5 {
		t.Errorf("stored %d rows, want 5", store.rows)
	}
}

// TestConsumerLogsSuppressedRejectsAtStop: rejects not logged one by one because of the rate limit
// are still reported with their count, here when the consumer stops.
func TestConsumerLogsSuppressedRejectsAtStop(t *testing.T) {
	src := &flakySource{}
	for i := int64(0); i < 30; i++ {
		src.msgs = append(src.msgs, Message{Topic: "econ.fuel_prices", Offset: i, Value: []byte(`{"kind":`)})
	}
	var logs bytes.Buffer
	c := NewConsumer(ConsumerConfig{BatchSize: 10, BatchLinger: 10 * time.Millisecond},
		src, &memStore{}, &memDead{}, NewProcessor(transform.DefaultFXConfig()), nil,
		slog.New(slog.NewTextHandler(&logs, nil)), nil)
	stop, stopCancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(stop, context.Background()) }()
	waitCommitted(t, src, 30, done)
	stopCancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Three batches of ten within a second: the first is logged, the other 20 are reported at stop.
	out := logs.String()
	if !strings.Contains(out, "count=10") || !strings.Contains(out, "not logged one by one") || !strings.Contains(out, "count=20") {
		t.Errorf("reject log lines do not account for all 30 rejects:\n%s", out)
	}
}

// gappySource delivers head messages at once, then nothing until gap has passed since the
// first fetch, then the rest at once. Each message reports behind messages waiting after it.
type gappySource struct {
	flakySource
	head   int
	gap    time.Duration
	start  time.Time
	behind int64
}

func (s *gappySource) Fetch(ctx context.Context) (Message, error) {
	s.mu.Lock()
	if s.start.IsZero() {
		s.start = time.Now()
	}
	if s.head > 0 {
		s.head--
	} else if wait := time.Until(s.start.Add(s.gap)); wait > 0 {
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Message{}, ctx.Err()
		case <-time.After(wait):
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	m, err := s.flakySource.Fetch(ctx)
	m.HighWaterMark = m.Offset + 1 + s.behind
	return m, err
}

// TestBatchFillsWhileBacklogWaits: the linger ends a batch of a live stream, but a batch whose
// messages report a backlog in the broker fills up to BatchSize (for fewer, larger parts),
// for at most backlogLinger lingers.
func TestBatchFillsWhileBacklogWaits(t *testing.T) {
	const linger = 100 * time.Millisecond
	for _, tc := range []struct {
		name   string
		behind int64
		gap    time.Duration
		want   int
	}{
		{"live stream: the linger ends the batch", 0, 3 * linger, 3},
		{"backlog: the batch fills", backlogMessages, 3 * linger, 12},
		{"backlog, but at most backlogLinger lingers", backlogMessages, 30 * linger, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &gappySource{head: 3, gap: tc.gap, behind: tc.behind}
			for i := int64(0); i < 20; i++ {
				src.msgs = append(src.msgs, priceMessage(i))
			}
			c := NewConsumer(ConsumerConfig{BatchSize: 12, BatchLinger: linger}, src, &memStore{}, &memDead{},
				NewProcessor(transform.DefaultFXConfig()), nil, slog.New(slog.DiscardHandler), NewMetrics(nil))
			started := time.Now()
			p, _, err := c.fetchBatch(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.n != tc.want {
				t.Fatalf("batch of %d messages after %v, want %d", p.n, time.Since(started).Round(time.Millisecond), tc.want)
			}
		})
	}
}

// backlogMessagesIn returns n price messages spread over partitions partitions, as the source
// hands them out (chunks of 512 from one partition after another), each with its partition's
// end as the high-water mark: a backlog of n that the messages drain.
func backlogMessagesIn(n, partitions int) []Message {
	per := make([]int64, partitions)
	for i := range n {
		per[i%partitions]++
	}
	var msgs []Message
	next := make([]int64, partitions)
	for len(msgs) < n {
		for p := range partitions {
			for j := 0; j < 512 && next[p] < per[p]; j++ {
				m := priceMessage(next[p])
				m.Partition, m.HighWaterMark = p, per[p]
				msgs = append(msgs, m)
				next[p]++
			}
		}
	}
	return msgs
}

// TestBatchesEndWithTheBacklog: a batch that takes in the last of a backlog is written at once,
// not after the linger; and the rest of a backlog between one and two batches goes in two
// halves, so that the last insert is half a batch rather than a full one.
func TestBatchesEndWithTheBacklog(t *testing.T) {
	const batch = 8 * processChunk
	for _, tc := range []struct {
		name string
		n    int
		want []int
	}{
		{"less than a batch", batch / 2, []int{batch / 2}},
		{"between one and two batches", batch + batch/2 + 1, []int{(batch + batch/2 + 2) / 2, (batch + batch/2) / 2}},
		{"over two batches", 2*batch + 3, []int{batch, (batch + 4) / 2, (batch + 3) / 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &flakySource{msgs: backlogMessagesIn(tc.n, 3)}
			c := NewConsumer(ConsumerConfig{BatchSize: batch, BatchLinger: time.Hour}, src, &memStore{}, &memDead{},
				NewProcessor(transform.DefaultFXConfig()), nil, slog.New(slog.DiscardHandler), NewMetrics(nil))
			c.limit = batch // past the ramp
			var got []int
			var chunk []Message
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for range tc.want {
				var p processedBatch
				var err error
				if p, chunk, err = c.fetchBatch(ctx, chunk); err != nil {
					t.Fatalf("after batches of %v: %v (a drained backlog waited for the linger)", got, err)
				}
				got = append(got, p.n)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("batches of %v messages, want %v", got, tc.want)
			}
		})
	}
}

// TestBatchesRampUpOnABacklog: on a backlog, batches start at BatchSize/2^rampBatches and
// double while they fill, up to BatchSize; a batch the linger ends (the backlog is drained)
// starts the ramp again.
func TestBatchesRampUpOnABacklog(t *testing.T) {
	const batch = 8 * processChunk
	src := &gappySource{behind: backlogMessages}
	n := batch/8 + batch/4 + batch/2 + batch + batch + 7
	for i := int64(0); i < int64(n); i++ {
		src.msgs = append(src.msgs, priceMessage(i))
	}
	c := NewConsumer(ConsumerConfig{BatchSize: batch, BatchLinger: 50 * time.Millisecond}, src, &memStore{}, &memDead{},
		NewProcessor(transform.DefaultFXConfig()), nil, slog.New(slog.DiscardHandler), NewMetrics(nil))
	var got []int
	var chunk []Message
	for range 6 {
		var p processedBatch
		var err error
		if p, chunk, err = c.fetchBatch(context.Background(), chunk); err != nil {
			t.Fatal(err)
		}
		got = append(got, p.n)
	}
	// The last 7 end when the backlog lingers run out: the source has no more.
	want := []int{batch / 8, batch / 4, batch / 2, batch, batch, 7}
	if !slices.Equal(got, want) {
		t.Fatalf("batches of %v messages, want %v", got, want)
	}
	if c.batchLimit() != batch/8 {
		t.Fatalf("after a batch the linger ended, the next fills to %d, want %d", c.batchLimit(), batch/8)
	}
	// Small batch sizes need no ramp.
	if got := rampStart(1000); got != 1000 {
		t.Fatalf("rampStart(1000) = %d", got)
	}
}

// Errors the stores and sources below fail with, and a classifier that knows them as an
// adapter's would (a connection reset needs none: any system's network errors are retryable).
var (
	errTestSchema = errors.New("no column price_per_litre in table econ.fuel_prices_data")
	errTestValue  = errors.New("value out of range")
	errTestReset  = &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}
)

func testClassifier(err error) (Classification, bool) {
	switch {
	case errors.Is(err, errTestSchema):
		return Classification{Class: Fatal, Action: "run `econflow migrate`"}, true
	case errors.Is(err, errTestValue):
		return Classification{Class: BadValue, Action: "report it"}, true
	}
	return Classification{}, false
}

// position is a message's place in Kafka.
type position struct {
	topic     string
	partition int
	offset    int64
}

// ledgerStore is a store whose writes fail with errs, one each, then succeed; it keeps the
// position of every row and reject it stored.
type ledgerStore struct {
	memStore
	errs   []error
	calls  int
	stored map[position]bool
}

func (s *ledgerStore) WriteBatch(ctx context.Context, b *Batch) error {
	s.mu.Lock()
	s.calls++
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		s.mu.Unlock()
		return fmt.Errorf("insert %d rows into econ.fuel_prices_data: %w", b.Len(), err)
	}
	if s.stored == nil {
		s.stored = map[position]bool{}
	}
	for _, rows := range [][]Row{b.FXRates, b.FuelPrices, b.Wages} {
		for _, r := range rows {
			s.stored[position{r.Topic, r.Partition, r.Offset}] = true
		}
	}
	for _, r := range b.Rejects {
		s.stored[position{r.Message.Topic, r.Message.Partition, r.Message.Offset}] = true
	}
	s.mu.Unlock()
	return s.memStore.WriteBatch(ctx, b)
}

func (s *ledgerStore) isStored(p position) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored[p]
}

// ledgerSource is a flakySource that, at each commit, checks that every message the commit
// covers (Commit marks every message up to the offsets given) is stored.
type ledgerSource struct {
	flakySource
	delivered  []Message
	store      *ledgerStore
	violations []string
}

func (s *ledgerSource) Fetch(ctx context.Context) (Message, error) {
	m, err := s.flakySource.Fetch(ctx)
	if err == nil {
		s.mu.Lock()
		s.delivered = append(s.delivered, m)
		s.mu.Unlock()
	}
	return m, err
}

func (s *ledgerSource) Commit(ctx context.Context, msgs []Message) error {
	s.mu.Lock()
	for _, c := range msgs {
		for _, m := range s.delivered {
			if m.Topic == c.Topic && m.Partition == c.Partition && m.Offset <= c.Offset &&
				!s.store.isStored(position{m.Topic, m.Partition, m.Offset}) {
				s.violations = append(s.violations, fmt.Sprintf("%s/%d@%d committed before it was stored", m.Topic, m.Partition, m.Offset))
			}
		}
	}
	s.mu.Unlock()
	return s.flakySource.Commit(ctx, msgs)
}

// failingDead is a dead-letter writer whose sends fail with errs, one each, then succeed.
type failingDead struct {
	memDead
	errs []error
}

func (d *failingDead) SendDeadLetters(ctx context.Context, r []Reject) error {
	if len(d.errs) > 0 {
		err := d.errs[0]
		d.errs = d.errs[1:]
		return err
	}
	return d.memDead.SendDeadLetters(ctx, r)
}

func counter(t *testing.T, c *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.WithLabelValues(labels...).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func repeat(err error, n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// TestConsumerCommitsOnlyAfterStore: whatever the store, the dead-letter topic or the broker
// fail with, no offset is committed before every message it covers is stored. Retryable
// failures are retried until they pass; a fatal error (or a bad value) that persists for
// FatalAttempts tries in a row stops the consumer with nothing of the batch committed, and
// fewer fatal tries, or a retryable failure between them, do not.
func TestConsumerCommitsOnlyAfterStore(t *testing.T) {
	const fatalAttempts = 3
	for _, tc := range []struct {
		name       string
		storeErrs  []error
		deadErrs   []error
		commitErrs []error
		fetchErrs  []error // the first fetches fail with these
		// wantStop is the operation a FatalError names ("" if the consumer stores and commits
		// everything), with its class.
		wantStop  string
		wantClass ErrorClass
		wantCalls int // WriteBatch calls
	}{
		{name: "stored at the first try", wantCalls: 1},
		{name: "three retryable failures, then stored", storeErrs: repeat(errTestReset, 3), wantCalls: 4},
		{name: "fatal twice, then stored", storeErrs: repeat(errTestSchema, fatalAttempts-1), wantCalls: fatalAttempts},
		{name: "a retryable failure between fatal ones starts the count again",
			storeErrs: []error{errTestSchema, errTestSchema, errTestReset, errTestSchema, errTestSchema}, wantCalls: 6},
		{name: "fatal at every try", storeErrs: repeat(errTestSchema, 100),
			wantStop: "write to ClickHouse", wantClass: Fatal, wantCalls: fatalAttempts},
		{name: "retryable, then fatal at every try", storeErrs: append(repeat(errTestReset, 5), repeat(errTestSchema, 100)...),
			wantStop: "write to ClickHouse", wantClass: Fatal, wantCalls: 5 + fatalAttempts},
		{name: "a bad value at every try", storeErrs: repeat(errTestValue, 100),
			wantStop: "write to ClickHouse", wantClass: BadValue, wantCalls: fatalAttempts},
		{name: "dead letters refused for good: rows stored, nothing committed", deadErrs: repeat(errTestSchema, 100),
			wantStop: "send dead letters to Kafka", wantClass: Fatal, wantCalls: 1},
		{name: "dead letters fail retryably, then sent", deadErrs: repeat(errTestReset, 2), wantCalls: 1},
		{name: "commits refused for good", commitErrs: repeat(errTestSchema, 100),
			wantStop: "commit offsets to Kafka", wantClass: Fatal, wantCalls: 1},
		{name: "fetches refused for good", fetchErrs: repeat(errTestSchema, 100),
			wantStop: "fetch from Kafka", wantClass: Fatal, wantCalls: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &ledgerStore{errs: tc.storeErrs}
			src := &ledgerSource{store: store}
			src.commitErrs = tc.commitErrs
			if len(tc.fetchErrs) > 0 {
				src.failures, src.fetchErr = len(tc.fetchErrs), tc.fetchErrs[0]
			}
			const n = 6
			for i := int64(0); i < n; i++ {
				m := priceMessage(i)
				if i%3 == 2 {
					m.Value = []byte(`{"kind":"fuel_price","price":"1,5"}`) // a reject: rejects are stored too
				}
				m.Partition = int(i % 2)
				src.msgs = append(src.msgs, m)
			}
			metrics := NewMetrics(nil)
			dead := &failingDead{errs: tc.deadErrs}
			c := NewConsumer(ConsumerConfig{BatchSize: 100, BatchLinger: 10 * time.Millisecond, RetryMin: time.Millisecond,
				RetryMax: 5 * time.Millisecond, FatalAttempts: fatalAttempts, Classifiers: []Classifier{testClassifier}},
				src, store, dead, NewProcessor(transform.DefaultFXConfig()), nil, slog.New(slog.DiscardHandler), metrics)
			stop, stopCancel := context.WithCancel(context.Background())
			defer stopCancel()
			done := make(chan error, 1)
			go func() { done <- c.Run(stop, context.Background()) }()

			var err error
			if tc.wantStop == "" {
				waitCommitted(t, &src.flakySource, n, done)
				if !c.Ready() {
					t.Errorf("not ready after storing and committing: %s", c.NotReady())
				}
				stopCancel()
				if err = <-done; err != nil {
					t.Fatalf("Run after stop: %v", err)
				}
			} else {
				select {
				case err = <-done:
				case <-time.After(time.Minute):
					t.Fatal("the consumer did not stop by itself within a minute")
				}
				var fatal *FatalError
				if !errors.As(err, &fatal) {
					t.Fatalf("Run returned %v, want a *FatalError", err)
				}
				if fatal.Op != tc.wantStop || fatal.Class != tc.wantClass || fatal.Attempts != fatalAttempts {
					t.Errorf("stopped: %s failed %d times, class %v; want %s, %d times, class %v",
						fatal.Op, fatal.Attempts, fatal.Class, tc.wantStop, fatalAttempts, tc.wantClass)
				}
				if why := c.NotReady(); !strings.HasPrefix(why, "stopped: "+tc.wantStop) {
					t.Errorf("NotReady() = %q, want the error that stopped it", why)
				}
				if got := src.committedCount(); got != 0 {
					t.Errorf("%d messages committed by a consumer that stopped on its only batch", got)
				}
			}
			if len(src.violations) > 0 {
				t.Errorf("committed before stored:\n%s", strings.Join(src.violations, "\n"))
			}
			store.mu.Lock()
			calls := store.calls
			store.mu.Unlock()
			if calls != tc.wantCalls {
				t.Errorf("%d writes, want %d", calls, tc.wantCalls)
			}
			retryable, fatal := 0, 0
			for _, e := range tc.storeErrs[:min(len(tc.storeErrs), calls)] {
				if errors.Is(e, errTestReset) {
					retryable++
				} else {
					fatal++
				}
			}
			if got := counter(t, metrics.Errors, "write batch", "retryable"); got != float64(retryable) {
				t.Errorf("econflow_errors_total{write batch, retryable} = %v, want %d", got, retryable)
			}
			class := Fatal
			if tc.wantClass == BadValue {
				class = BadValue
			}
			if got := counter(t, metrics.Errors, "write batch", class.String()); got != float64(fatal) {
				t.Errorf("econflow_errors_total{write batch, %v} = %v, want %d", class, got, fatal)
			}
		})
	}
}

// signalStore fails every write with err and signals each attempt on attempts.
type signalStore struct {
	memStore
	err      error
	attempts chan struct{}
}

func (s *signalStore) WriteBatch(context.Context, *Batch) error {
	s.attempts <- struct{}{}
	return s.err
}

// TestConsumerNotReadySaysWhy: while writes fail, readiness gives the last failure with its
// class and what to do; once the consumer stops on it, the error that stopped it.
func TestConsumerNotReadySaysWhy(t *testing.T) {
	store := &signalStore{err: fmt.Errorf("insert: %w", errTestSchema), attempts: make(chan struct{})}
	src := &flakySource{msgs: []Message{priceMessage(0)}}
	c := NewConsumer(ConsumerConfig{BatchSize: 10, BatchLinger: time.Millisecond, RetryMin: time.Millisecond, RetryMax: time.Millisecond,
		FatalAttempts: 3, Classifiers: []Classifier{testClassifier}},
		src, store, &memDead{}, NewProcessor(transform.DefaultFXConfig()), nil, slog.New(slog.DiscardHandler), nil)
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background(), context.Background()) }()
	<-store.attempts // the first attempt is under way
	<-store.attempts // the second: the first has failed and been accounted for
	want := "writes to ClickHouse are failing: fatal error: insert: " + errTestSchema.Error() + ": run `econflow migrate`"
	if why := c.NotReady(); why != want {
		t.Errorf("NotReady() during the attempts =\n%q\nwant\n%q", why, want)
	}
	<-store.attempts
	if err := <-done; !errors.Is(err, errTestSchema) {
		t.Fatalf("Run returned %v, want the schema error", err)
	}
	if why := c.NotReady(); !strings.HasPrefix(why, "stopped: write to ClickHouse failed 3 times: insert: ") {
		t.Errorf("NotReady() after the stop = %q", why)
	}
}

// rateWrites is a store that keeps the rate rows of every write (rows kept as Row values: no
// row buffer).
type rateWrites struct {
	memStore
	rates [][]Row
}

func (s *rateWrites) WriteBatch(ctx context.Context, b *Batch) error {
	s.mu.Lock()
	s.rates = append(s.rates, slices.Clone(b.FXRates))
	s.mu.Unlock()
	return s.memStore.WriteBatch(ctx, b)
}

// A batch stored later than lateWrite after its processing began carries an ingested_at that
// reconcilers may already have passed (they load rates by ingested_at, ReconcileMargin back):
// its rates are written again, the same rates with the time of that write and a greater
// version, before the commit. A batch stored in time is written once.
func TestConsumerWritesRatesAgainAfterALateWrite(t *testing.T) {
	rate := Message{Topic: "econ.fx_rates", Time: time.Now(), Value: []byte(`{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"492.75","date":"2022-01-04","published_at":"2022-01-04T12:00:00Z"}`)}
	for _, tc := range []struct {
		name   string
		late   time.Duration
		writes int
	}{{"stored in time", time.Hour, 1}, {"stored late", -time.Second, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			src := &flakySource{msgs: []Message{rate}}
			store := &rateWrites{}
			proc := NewProcessor(transform.DefaultFXConfig())
			c := NewConsumer(ConsumerConfig{BatchSize: 10, BatchLinger: 10 * time.Millisecond}, src, store, &memDead{}, proc,
				NewReconciler(store, proc, time.Hour, nil, nil), slog.New(slog.DiscardHandler), nil)
			c.lateWrite = tc.late
			stop, stopCancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- c.Run(stop, context.Background()) }()
			waitCommitted(t, src, 1, done)
			stopCancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			store.mu.Lock()
			defer store.mu.Unlock()
			if len(store.rates) != tc.writes {
				t.Fatalf("%d writes, want %d", len(store.rates), tc.writes)
			}
			first := store.rates[0]
			if len(first) != 1 || first[0].Record.Rate.String() != "492.75" {
				t.Fatalf("first write's rates %+v", first)
			}
			if tc.writes == 2 {
				again := store.rates[1]
				if len(again) != 1 || again[0].Record.ID != first[0].Record.ID || again[0].Record.Rate.String() != "492.75" ||
					again[0].Offset != first[0].Offset || again[0].Version <= first[0].Version || again[0].IngestedAt.Before(first[0].IngestedAt) {
					t.Fatalf("rates written again %+v after %+v: want the same rate, a greater version, ingested no earlier", again, first)
				}
			}
		})
	}
}
