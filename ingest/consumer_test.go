package ingest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/econflow/econflow/transform"
)

// flakySource fails its first failures fetches, then delivers msgs, then blocks.
type flakySource struct {
	mu        sync.Mutex
	failures  int
	msgs      []Message
	committed []Message
	fetchErrs int
}

func (s *flakySource) Fetch(ctx context.Context) (Message, error) {
	s.mu.Lock()
	if s.failures > 0 {
		s.failures--
		s.fetchErrs++
		s.mu.Unlock()
		return Message{}, errors.New("failed to dial: connection refused")
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
	s.committed = append(s.committed, msgs...)
	return nil
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
	deadline := time.Now().Add(10 * time.Second)
	for src.committedCount() < 5 {
		select {
		case err := <-done:
			t.Fatalf("Run returned %v after fetch failures; it should retry", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed %d of 5 messages", src.committedCount())
		}
		time.Sleep(5 * time.Millisecond)
	}
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
	for deadline := time.Now().Add(10 * time.Second); src.committedCount() < 30; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("committed %d of 30", src.committedCount())
		}
	}
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
