package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
)

// A Source whose broker cannot be reached goes on retrying by itself, and Fetch says so, so that
// the consumer can report itself not ready.
func TestSourceFetchReportsUnreachableBroker(t *testing.T) {
	// A listener that closes every connection at once: no Kafka answers there, and, unlike a
	// port closed again, no other process of the machine can take the address meanwhile.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := l.Addr().String()
	var logs syncBuffer
	src, err := NewSource(SourceOptions{Brokers: []string{addr}, Group: "g", Topics: []string{"t"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = src.Fetch(ctx)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch = %v, want the join failure", err)
	}
	if !strings.Contains(err.Error(), "join consumer group g") || !strings.Contains(logs.String(), "joining the consumer group failed") {
		t.Errorf("Fetch error %q; log:\n%s", err, logs.String())
	}
	if src.Healthy() {
		t.Error("Healthy() = true without a reachable broker")
	}
	// Close ends a Fetch that waits, and later ones.
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := src.Fetch(context.Background()); err == errClosed {
				done <- err
				return
			}
		}
	}()
	time.Sleep(10 * time.Millisecond)
	if err := src.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Fetch still waiting 30s after Close")
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{50, 100, 200, 400, 800, 1000, 1000}
	for n, w := range want {
		if got := backoff(n); got != w*time.Millisecond {
			t.Errorf("backoff(%d) = %v, want %v", n, got, w*time.Millisecond)
		}
	}
}

// Fetch stops at a done context even with messages in hand (a stopping consumer must not go on
// draining what was read ahead), and drops messages of a generation that has ended.
func TestSourceFetchStopsAndDropsStale(t *testing.T) {
	s := &Source{chunks: make(chan chunk, 2), errs: make(chan error, 1)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	defer s.cancel()
	gen6, gen7 := &kafkago.Generation{ID: 6}, &kafkago.Generation{ID: 7}
	s.gen.Store(gen7)
	msgs := func(from, n int) []ingest.Message {
		var out []ingest.Message
		for i := 0; i < n; i++ {
			out = append(out, ingest.Message{Topic: "t", Offset: int64(from + i)})
		}
		return out
	}
	s.chunks <- chunk{gen: gen6, msgs: msgs(0, 3)} // read before the rebalance: dropped
	s.chunks <- chunk{gen: gen7, msgs: msgs(10, 3)}
	ctx := context.Background()
	if m, err := s.Fetch(ctx); err != nil || m.Offset != 10 {
		t.Fatalf("Fetch = offset %d, %v; want 10 (generation 6's messages dropped)", m.Offset, err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Fetch(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch with a done context and 2 messages in hand = %v, want context.Canceled", err)
	}
	if m, err := s.Fetch(ctx); err != nil || m.Offset != 11 {
		t.Fatalf("Fetch = offset %d, %v; want 11, kept while the context was done", m.Offset, err)
	}
	s.gen.Store(nil) // the generation ended: what is in hand is dropped
	wait, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if m, err := s.Fetch(wait); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch after the generation ended = offset %d, %v; want nothing", m.Offset, err)
	}
}

// A chunk's slice goes back to the readers once Fetch has handed out its messages, cleared.
func TestSourceRecyclesChunks(t *testing.T) {
	s := &Source{chunks: make(chan chunk, 2), errs: make(chan error, 1), free: make(chan []ingest.Message, 2)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	defer s.cancel()
	gen := &kafkago.Generation{ID: 1}
	s.gen.Store(gen)
	first := s.newChunk()
	first = append(first, ingest.Message{Offset: 1, Value: []byte("a")}, ingest.Message{Offset: 2, Value: []byte("b")})
	s.chunks <- chunk{gen: gen, msgs: first}
	s.chunks <- chunk{gen: gen, msgs: append(s.newChunk(), ingest.Message{Offset: 3})}
	for want := int64(1); want <= 3; want++ {
		m, err := s.Fetch(context.Background())
		if err != nil || m.Offset != want {
			t.Fatalf("Fetch = offset %d, %v; want %d", m.Offset, err, want)
		}
		if want == 2 && string(m.Value) != "b" {
			t.Fatalf("message 2's value %q", m.Value)
		}
	}
	select {
	case got := <-s.free:
		if len(got) != 0 || cap(got) != chunkMessages || &got[:1][0] != &first[0] {
			t.Fatalf("recycled slice: len %d cap %d, not the first chunk's", len(got), cap(got))
		}
		if full := got[:2]; full[0].Value != nil || full[1].Offset != 0 {
			t.Fatalf("recycled slice not cleared: %+v", full)
		}
		if again := s.newChunk(); cap(again) != chunkMessages {
			t.Fatalf("newChunk cap %d", cap(again))
		}
	default:
		t.Fatal("the first chunk was not recycled after its messages were handed out")
	}
}

// While the consumer is behind, a partition's reader waits in the middle of a fetch response
// for as long as it takes; then it reads on without timing out or reconnecting, and every
// message arrives once, in order.
func TestSourceWaitsOutABackedUpConsumer(t *testing.T) {
	defer func(d time.Duration) { readTimeout = d }(readTimeout)
	readTimeout = 300 * time.Millisecond // the wait below is five of these
	b, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	brokers := []string{b.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := EnsureTopics(ctx, brokers, Security{}, []string{"t"}, 1, 1); err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(WriterOptions{Brokers: brokers}, "dead")
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	pad := strings.Repeat("x", 200) // 600 KB in all: more than the connection buffers
	var msgs []kafkago.Message
	for i := 0; i < n; i++ {
		msgs = append(msgs, kafkago.Message{Topic: "t", Value: []byte(fmt.Sprintf("%d %s", i, pad))})
	}
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var logs syncBuffer
	src, err := NewSource(SourceOptions{Brokers: brokers, Group: "g", Topics: []string{"t"}, QueueCapacity: chunkMessages,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for i := 0; i < n; i++ {
		m, err := src.Fetch(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if want := fmt.Sprintf("%d %s", i, pad); m.Offset != int64(i) || string(m.Value) != want {
			t.Fatalf("message %d: offset %d, value %.20q", i, m.Offset, m.Value)
		}
		if i == 0 {
			// The reader fills the queue and waits mid-response. Once the queue is full, five
			// read timeouts pass, in which a reader that timed out would fail.
			for deadline := time.Now().Add(time.Minute); len(src.chunks) < cap(src.chunks); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the reader did not fill the queue within a minute")
				}
			}
			time.Sleep(5 * readTimeout)
		}
	}
	if strings.Contains(logs.String(), "failed") {
		t.Errorf("the reader failed while it waited:\n%s", logs.String())
	}
	if !src.Healthy() {
		t.Error("Healthy() = false while reading")
	}
}
