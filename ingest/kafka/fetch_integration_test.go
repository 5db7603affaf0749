package kafka_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/internal/testenv"
)

// The fetcher reads what kafka-go's own reader reads — offsets, keys (null ones too), values
// (empty and null), headers and timestamps — for every codec, from offsets that fall inside a
// compressed batch, with responses small enough that their last batch is cut.
func TestFetcherReadsWhatKafkaGoReadsEmbeddedBroker(t *testing.T) {
	checkFetcherAgainstKafkaGo(t, testenv.EmbeddedBroker(t))
}

func TestFetcherReadsWhatKafkaGoReadsApacheKafka(t *testing.T) {
	checkFetcherAgainstKafkaGo(t, testenv.ApacheKafka(t))
}

func checkFetcherAgainstKafkaGo(t *testing.T, addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			topic := fmt.Sprintf("fetch.%s.%d", codec, time.Now().UnixNano())
			if err := kafka.EnsureTopics(ctx, []string{addr}, kafka.Security{}, []string{topic}, 1, 1); err != nil {
				t.Fatal(err)
			}
			w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: []string{addr}, Compression: codec}, "dead")
			if err != nil {
				t.Fatal(err)
			}
			const n = 3000
			for start := 0; start < n; start += 500 { // several produce requests: several batches
				var msgs []kafkago.Message
				for i := start; i < start+500; i++ {
					m := kafkago.Message{Topic: topic, Key: []byte("k" + strconv.Itoa(i%7)), Value: bytes.Repeat([]byte{byte('a' + i%26)}, i%300),
						Time: time.UnixMilli(1_700_000_000_000 + int64(i)).UTC()}
					switch i % 50 {
					case 3:
						m.Key = nil
					case 4:
						m.Value = nil
					case 5:
						m.Headers = []kafkago.Header{{Key: "h", Value: []byte("v" + strconv.Itoa(i))}, {Key: "empty", Value: []byte{}}}
					}
					msgs = append(msgs, m)
				}
				if err := w.Write(ctx, msgs...); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			want := readWithKafkaGo(t, ctx, addr, topic, n)
			for _, from := range []int64{0, 1, 777, n - 1} {
				for _, maxBytes := range []int{1 << 20, 4 << 10} {
					got := kafka.ReadWithFetcher(t, ctx, addr, topic, from, maxBytes, n)
					if len(got) != len(want)-int(from) {
						t.Fatalf("from %d, max %d bytes: %d messages, want %d", from, maxBytes, len(got), len(want)-int(from))
					}
					for i, g := range got {
						if d := kafka.DiffMessage(g, want[int(from)+i]); d != "" {
							t.Fatalf("from %d, max %d bytes, offset %d: %s", from, maxBytes, g.Offset, d)
						}
					}
				}
			}
		})
	}
}

func readWithKafkaGo(t *testing.T, ctx context.Context, addr, topic string, n int) []kafkago.Message {
	t.Helper()
	conn, err := kafkago.DialLeader(ctx, "tcp", addr, topic, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out []kafkago.Message
	for len(out) < n {
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		b := conn.ReadBatch(1, 1<<20)
		for {
			m, err := b.ReadMessage()
			if err != nil {
				break
			}
			out = append(out, m)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
