package kafka

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// TestAsyncWriterDeliversInOrder: an Async writer whose Write must wait for room (MaxInFlight
// below two writes' messages) delivers every message once, each key's in the order written,
// and counts them acknowledged after Close.
func TestAsyncWriterDeliversInOrder(t *testing.T) {
	for _, compression := range []string{"", "none", "zstd"} {
		t.Run("compression="+compression, func(t *testing.T) { checkAsyncDelivery(t, compression) })
	}
}

// checkAsyncDelivery is TestAsyncWriterDeliversInOrder with one compression; it also checks
// that every key's messages are in the partition kafkago.Hash chooses for it.
func checkAsyncDelivery(t *testing.T, compression string) {
	b, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const topic, keys, writes, perWrite = "async.order", 50, 8, 4000
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := EnsureTopics(ctx, []string{b.Addr()}, Security{}, []string{topic}, 3, 1); err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(WriterOptions{Brokers: []string{b.Addr()}, Async: true, MaxInFlight: perWrite + perWrite/2,
		Compression: compression}, "dead")
	if err != nil {
		t.Fatal(err)
	}
	seq := 0
	for range writes {
		msgs := make([]kafkago.Message, perWrite)
		for i := range msgs {
			msgs[i] = kafkago.Message{Topic: topic, Key: []byte(strconv.Itoa(seq % keys)), Value: []byte(strconv.Itoa(seq))}
			seq++
		}
		if err := w.Write(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Err(); err != nil || w.Acked() != seq {
		t.Fatalf("after Close: Err %v, Acked %d; want nil, %d", err, w.Acked(), seq)
	}
	last := map[string]int{}
	got := 0
	for p := range 3 {
		conn, err := kafkago.DialLeader(ctx, "tcp", b.Addr(), topic, p)
		if err != nil {
			t.Fatal(err)
		}
		end, err := conn.ReadLastOffset()
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(0); off < end; {
			batch := conn.ReadBatch(1, 16<<20)
			for {
				m, err := batch.ReadMessage()
				if err != nil {
					break
				}
				if want := (&kafkago.Hash{}).Balance(m, 0, 1, 2); want != p {
					t.Fatalf("key %s in partition %d, kafkago.Hash chooses %d", m.Key, p, want)
				}
				v, _ := strconv.Atoi(string(m.Value))
				if prev, ok := last[string(m.Key)]; ok && v <= prev {
					t.Fatalf("key %s: message %d after %d", m.Key, v, prev)
				}
				last[string(m.Key)] = v
				off = m.Offset + 1
				got++
			}
			batch.Close()
			if _, err := conn.Seek(off, kafkago.SeekAbsolute); err != nil {
				t.Fatal(err)
			}
		}
		conn.Close()
	}
	if got != seq {
		t.Fatalf("read back %d messages, want %d", got, seq)
	}
}

// TestDirectPartitionsAsHash: the Async writer's own partitioning is kafkago.Hash's, for keys
// of every length and partition counts of 1 to 12, and round robin for messages without a key.
func TestDirectPartitionsAsHash(t *testing.T) {
	d := newDirect([]string{"127.0.0.1:1"}, nil, 0, 1, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 12; n++ {
		parts := make([]int, n)
		for i := range parts {
			parts[i] = i
		}
		for i := range 2000 {
			key := make([]byte, i%70)
			for j := range key {
				key[j] = byte(rng.IntN(256))
			}
			if got, want := d.partition(key, n), (&kafkago.Hash{}).Balance(kafkago.Message{Key: key}, parts...); got != want {
				t.Fatalf("key %x of %d partitions: partition %d, kafkago.Hash %d", key, n, got, want)
			}
		}
	}
	seen := map[int]bool{}
	for range 6 {
		seen[d.partition(nil, 3)] = true
	}
	if len(seen) != 3 {
		t.Fatalf("messages without a key went to partitions %v of 3", seen)
	}
}

// TestAsyncWriterReportsFailure: a message the broker refuses fails the Async writer: a later
// Write returns the failure, Err gives it after Close, and Acked counts only what was taken.
// SendDeadLetters refuses an Async writer.
func TestAsyncWriterReportsFailure(t *testing.T) {
	b, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const topic = "async.fail"
	client := &kafkago.Client{Addr: kafkago.TCP(b.Addr())}
	resp, err := client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{{Topic: topic,
		NumPartitions: 1, ReplicationFactor: 1, ConfigEntries: []kafkago.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: "1000"}}}}})
	if err != nil || resp.Errors[topic] != nil {
		t.Fatalf("create topic: %v %v", err, resp)
	}
	w, err := NewWriter(WriterOptions{Brokers: []string{b.Addr()}, Async: true, MaxInFlight: 1}, "dead")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SendDeadLetters(ctx, nil); err == nil {
		t.Fatal("SendDeadLetters on an Async writer: no error")
	}
	ok := kafkago.Message{Topic: topic, Value: []byte("fine")}
	big := make([]byte, 5000) // over the topic's limit even compressed: random bytes
	rand.NewChaCha8([32]byte{1}).Read(big)
	huge := kafkago.Message{Topic: topic, Value: big}
	if err := w.Write(ctx, ok); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, huge); err != nil {
		t.Fatal(err) // queued: its failure comes later
	}
	var werr error
	for i := range 1000 { // MaxInFlight 1: each Write waits for the one before
		if werr = w.Write(ctx, ok); werr != nil {
			break
		}
		if i == 999 {
			t.Fatal("Writes after a refused message kept succeeding")
		}
	}
	w.Close()
	if w.Err() == nil || !errors.Is(werr, w.Err()) {
		t.Fatalf("Write error %v, Err %v: want the refusal from both", werr, w.Err())
	}
	if n := w.Acked(); n < 1 || n > 1001 {
		t.Fatalf("Acked %d", n)
	}
}

// TestAsyncWriterMixedTopics: writes whose messages alternate between topics of 3 and 2
// partitions deliver each message once, to its own topic, in the partition kafkago.Hash chooses
// for its key among that topic's, each key's in the order written.
func TestAsyncWriterMixedTopics(t *testing.T) {
	b, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	partitions := map[string]int{"mixed.three": 3, "mixed.two": 2}
	for topic, n := range partitions {
		if err := EnsureTopics(ctx, []string{b.Addr()}, Security{}, []string{topic}, n, 1); err != nil {
			t.Fatal(err)
		}
	}
	w, err := NewWriter(WriterOptions{Brokers: []string{b.Addr()}, Async: true, MaxInFlight: 3000}, "dead")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	sent := map[string]int{}
	seq := 0
	for range 4 {
		msgs := make([]kafkago.Message, 2000)
		for i := range msgs {
			topic := "mixed.three"
			if rng.IntN(3) == 0 || i%50 < 10 { // runs of each topic and single ones
				topic = "mixed.two"
			}
			msgs[i] = kafkago.Message{Topic: topic, Key: []byte(strconv.Itoa(seq % 37)), Value: []byte(strconv.Itoa(seq))}
			sent[topic]++
			seq++
		}
		if err := w.Write(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil || w.Err() != nil || w.Acked() != seq {
		t.Fatalf("Close %v, Err %v, Acked %d; want %d acknowledged", err, w.Err(), w.Acked(), seq)
	}
	for topic, n := range partitions {
		parts := make([]int, n)
		for i := range parts {
			parts[i] = i
		}
		last := map[string]int{}
		got := 0
		for p := range n {
			r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{b.Addr()}, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
			end, err := r.ReadLag(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for range end {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want := (&kafkago.Hash{}).Balance(m, parts...); want != p {
					t.Fatalf("%s: key %s in partition %d, kafkago.Hash chooses %d of %d", topic, m.Key, p, want, n)
				}
				v, _ := strconv.Atoi(string(m.Value))
				if prev, ok := last[string(m.Key)]; ok && v <= prev {
					t.Fatalf("%s key %s: message %d after %d", topic, m.Key, v, prev)
				}
				last[string(m.Key)] = v
				got++
			}
			r.Close()
		}
		if got != sent[topic] {
			t.Fatalf("%s: read back %d messages, want %d", topic, got, sent[topic])
		}
	}
}
