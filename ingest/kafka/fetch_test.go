package kafka

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
)

// DiffMessage says how got differs from want ("" if it does not).
func DiffMessage(got, want kafkago.Message) string {
	switch {
	case got.Offset != want.Offset:
		return fmt.Sprintf("offset %d, want %d", got.Offset, want.Offset)
	case (got.Key == nil) != (want.Key == nil) || !bytes.Equal(got.Key, want.Key):
		return fmt.Sprintf("key %q (nil %t), want %q (nil %t)", got.Key, got.Key == nil, want.Key, want.Key == nil)
	case (got.Value == nil) != (want.Value == nil) || !bytes.Equal(got.Value, want.Value):
		return fmt.Sprintf("value %q (nil %t), want %q (nil %t)", got.Value, got.Value == nil, want.Value, want.Value == nil)
	case !got.Time.Equal(want.Time):
		return fmt.Sprintf("time %v, want %v", got.Time, want.Time)
	case len(got.Headers) != len(want.Headers):
		return fmt.Sprintf("headers %v, want %v", got.Headers, want.Headers)
	}
	for i := range got.Headers {
		if got.Headers[i].Key != want.Headers[i].Key || !bytes.Equal(got.Headers[i].Value, want.Headers[i].Value) {
			return fmt.Sprintf("headers %v, want %v", got.Headers, want.Headers)
		}
	}
	return ""
}

// ReadWithFetcher reads topic's partition 0 on addr from offset to n with the fetcher, maxBytes
// at a time, as kafka-go messages.
func ReadWithFetcher(t *testing.T, ctx context.Context, addr, topic string, from int64, maxBytes, n int) []kafkago.Message {
	t.Helper()
	s := &Source{dialer: &kafkago.Dialer{Timeout: 10 * time.Second}, o: SourceOptions{Brokers: []string{addr}}}
	conn, raw, err := s.dialLeader(ctx, topic, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f := newFetcher(raw, "test")
	deadline := func() time.Time { return time.Now().Add(30 * time.Second) }
	var out []kafkago.Message
	for offset := from; offset < int64(n); {
		res, err := f.fetch(topic, 0, offset, 100*time.Millisecond, maxBytes, deadline, func(r *fetchRecord) bool {
			m, _ := copyMessage(r, topic, 0, nil)
			km := kafkago.Message{Offset: m.Offset, Key: m.Key, Value: m.Value, Time: m.Time}
			for _, h := range m.Headers {
				km.Headers = append(km.Headers, kafkago.Header{Key: h.Key, Value: h.Value})
			}
			out = append(out, km)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Next <= offset {
			t.Fatalf("a fetch from %d (max %d bytes) advanced to %d", offset, maxBytes, res.Next)
		}
		if res.HighWaterMark != int64(n) {
			t.Fatalf("high water mark %d, want %d", res.HighWaterMark, n)
		}
		offset = res.Next
	}
	return out
}

// testRecord is a record of a hand-made batch.
type testRecord struct {
	key, value []byte
	tsDelta    int64
	headers    [][2]string
}

// testBatch encodes a record batch (magic 2, uncompressed) at base offset base.
func testBatch(base int64, attrs uint16, baseTime, maxTime int64, recs []testRecord) []byte {
	var body []byte
	for i, r := range recs {
		var rec []byte
		rec = append(rec, 0)
		rec = binary.AppendVarint(rec, r.tsDelta)
		rec = binary.AppendVarint(rec, int64(i))
		for _, b := range [][]byte{r.key, r.value} {
			if b == nil {
				rec = binary.AppendVarint(rec, -1)
			} else {
				rec = append(binary.AppendVarint(rec, int64(len(b))), b...)
			}
		}
		rec = binary.AppendVarint(rec, int64(len(r.headers)))
		for _, h := range r.headers {
			rec = append(binary.AppendVarint(rec, int64(len(h[0]))), h[0]...)
			rec = append(binary.AppendVarint(rec, int64(len(h[1]))), h[1]...)
		}
		body = append(binary.AppendVarint(body, int64(len(rec))), rec...)
	}
	var tail []byte // from the attributes on: what the CRC covers
	tail = binary.BigEndian.AppendUint16(tail, attrs)
	tail = binary.BigEndian.AppendUint32(tail, uint32(max(len(recs)-1, 0)))
	tail = binary.BigEndian.AppendUint64(tail, uint64(baseTime))
	tail = binary.BigEndian.AppendUint64(tail, uint64(maxTime))
	tail = binary.BigEndian.AppendUint64(tail, ^uint64(0)) // producer id -1
	tail = binary.BigEndian.AppendUint16(tail, 0xFFFF)
	tail = binary.BigEndian.AppendUint32(tail, 0xFFFFFFFF)
	tail = binary.BigEndian.AppendUint32(tail, uint32(len(recs)))
	tail = append(tail, body...)
	var b []byte
	b = binary.BigEndian.AppendUint64(b, uint64(base))
	b = binary.BigEndian.AppendUint32(b, uint32(4+1+4+len(tail)))
	b = binary.BigEndian.AppendUint32(b, 0) // partition leader epoch
	b = append(b, 2)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(tail, castagnoli))
	return append(b, tail...)
}

// testResponse is a Fetch v4 response for topic "t" partition 0 with the given records bytes.
func testResponse(corr int32, code int16, hwm int64, records []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint32(b, 0) // throttle
	b = binary.BigEndian.AppendUint32(b, 1)
	b = appendString(b, "t")
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(code))
	b = binary.BigEndian.AppendUint64(b, uint64(hwm))
	b = binary.BigEndian.AppendUint64(b, uint64(hwm))
	b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF) // no aborted transactions
	b = binary.BigEndian.AppendUint32(b, uint32(len(records)))
	b = append(b, records...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// fetchFrom runs one fetch from offset against a broker that answers with response(corr).
func fetchFrom(t *testing.T, offset int64, response func(corr int32) []byte) ([]fetchRecord, fetchResult, error) {
	t.Helper()
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		defer server.Close()
		var size [4]byte
		if _, err := io.ReadFull(server, size[:]); err != nil {
			return
		}
		req := make([]byte, binary.BigEndian.Uint32(size[:]))
		if _, err := io.ReadFull(server, req); err != nil {
			return
		}
		if key, version := binary.BigEndian.Uint16(req), binary.BigEndian.Uint16(req[2:]); key != fetchAPIKey || version != fetchAPIVersion {
			t.Errorf("request key %d version %d, want Fetch v4", key, version)
			return
		}
		server.Write(response(int32(binary.BigEndian.Uint32(req[4:])))) //nolint:errcheck // the client's to notice
	}()
	f := newFetcher(client, "test")
	var got []fetchRecord
	res, err := f.fetch("t", 0, offset, time.Second, 1<<20, func() time.Time { return time.Now().Add(10 * time.Second) }, func(r *fetchRecord) bool {
		c := *r
		c.Key, c.Value = bytes.Clone(r.Key), bytes.Clone(r.Value)
		c.Headers = append([]kafkago.Header(nil), r.Headers...)
		got = append(got, c)
		return true
	})
	return got, res, err
}

func TestFetcherBatches(t *testing.T) {
	const t0 = 1_700_000_000_000
	data := testBatch(10, 0, t0, t0+5, []testRecord{
		{key: []byte("a"), value: []byte("1")},
		{key: nil, value: []byte("2"), tsDelta: 5, headers: [][2]string{{"h", "x"}}},
		{key: []byte("c"), value: nil, tsDelta: 1},
	})
	control := testBatch(13, 0x20, t0, t0, []testRecord{{key: []byte{0, 0, 0, 0}, value: []byte{0, 0, 0, 0, 0, 0}}})
	logAppend := testBatch(14, 0x08, t0, t0+999, []testRecord{{key: []byte("d"), value: []byte("4")}})
	t.Run("records, a control batch skipped, log append time", func(t *testing.T) {
		records := append(append(append([]byte(nil), data...), control...), logAppend...)
		got, res, err := fetchFrom(t, 11, func(c int32) []byte { return testResponse(c, 0, 15, records) })
		if err != nil {
			t.Fatal(err)
		}
		if res.Next != 15 || res.HighWaterMark != 15 {
			t.Fatalf("next %d, high water mark %d; want 15, 15", res.Next, res.HighWaterMark)
		}
		want := []fetchRecord{ // offset 10 is before the one asked for
			{Offset: 11, Time: time.UnixMilli(t0 + 5).UTC(), Value: []byte("2"), Headers: []kafkago.Header{{Key: "h", Value: []byte("x")}}},
			{Offset: 12, Time: time.UnixMilli(t0 + 1).UTC(), Key: []byte("c")},
			{Offset: 14, Time: time.UnixMilli(t0 + 999).UTC(), Key: []byte("d"), Value: []byte("4")},
		}
		if len(got) != len(want) {
			t.Fatalf("%d records, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			g := kafkago.Message{Offset: got[i].Offset, Key: got[i].Key, Value: got[i].Value, Time: got[i].Time, Headers: got[i].Headers}
			w := kafkago.Message{Offset: want[i].Offset, Key: want[i].Key, Value: want[i].Value, Time: want[i].Time, Headers: want[i].Headers}
			if d := DiffMessage(g, w); d != "" {
				t.Errorf("record %d: %s", i, d)
			}
		}
	})
	t.Run("a control batch at the end moves the offset past it", func(t *testing.T) {
		got, res, err := fetchFrom(t, 13, func(c int32) []byte { return testResponse(c, 0, 14, control) })
		if err != nil || len(got) != 0 || res.Next != 14 {
			t.Fatalf("got %d records, next %d, %v; want none, 14, nil", len(got), res.Next, err)
		}
	})
	t.Run("a batch cut by the size limit is left for the next fetch", func(t *testing.T) {
		records := append(append([]byte(nil), data...), logAppend[:len(logAppend)-3]...)
		got, res, err := fetchFrom(t, 10, func(c int32) []byte { return testResponse(c, 0, 15, records) })
		if err != nil || len(got) != 3 || res.Next != 13 {
			t.Fatalf("got %d records, next %d, %v; want 3, 13, nil", len(got), res.Next, err)
		}
	})
	t.Run("a CRC mismatch is an error", func(t *testing.T) {
		bad := append([]byte(nil), data...)
		bad[len(bad)-1] ^= 1
		_, _, err := fetchFrom(t, 10, func(c int32) []byte { return testResponse(c, 0, 15, bad) })
		if !errors.Is(err, errCorrupt) {
			t.Fatalf("err %v, want errCorrupt", err)
		}
	})
	t.Run("an older message format is told", func(t *testing.T) {
		old := append([]byte(nil), data...)
		old[16] = 1 // magic
		_, _, err := fetchFrom(t, 10, func(c int32) []byte { return testResponse(c, 0, 15, old) })
		if !errors.Is(err, errOldMessageFormat) {
			t.Fatalf("err %v, want errOldMessageFormat", err)
		}
	})
	t.Run("the broker's error", func(t *testing.T) {
		_, _, err := fetchFrom(t, 99, func(c int32) []byte { return testResponse(c, 1, 15, nil) })
		if !errors.Is(err, kafkago.OffsetOutOfRange) {
			t.Fatalf("err %v, want OffsetOutOfRange", err)
		}
	})
	t.Run("a response to another request", func(t *testing.T) {
		_, _, err := fetchFrom(t, 10, func(c int32) []byte { return testResponse(c+1, 0, 15, data) })
		if err == nil {
			t.Fatal("no error for a response with another correlation id")
		}
	})
}

// Message sets that the fetcher does not read (older than record batches) are read through
// kafka-go: readBatch hands one fetch's messages, from the offset asked for, to the same emit as
// the fetcher, and stops when it says so.
func TestReadBatchThroughKafkaGo(t *testing.T) {
	addr := startBroker(t, BrokerOptions{Partitions: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const topic, n = "old.format", 600
	if err := EnsureTopics(ctx, []string{addr}, Security{}, []string{topic}, 1, 1); err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(WriterOptions{Brokers: []string{addr}}, "dead")
	if err != nil {
		t.Fatal(err)
	}
	var msgs []kafkago.Message
	for i := range n {
		msgs = append(msgs, kafkago.Message{Topic: topic, Key: []byte("k"), Value: []byte(fmt.Sprint(i))})
	}
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s := &Source{dialer: &kafkago.Dialer{Timeout: 10 * time.Second}, o: SourceOptions{Brokers: []string{addr}}}
	conn, _, err := s.dialLeader(ctx, topic, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const from = 7
	var got []ingest.Message
	emit := func(r *fetchRecord) bool {
		m, _ := copyMessage(r, topic, 0, nil)
		got = append(got, m)
		return true
	}
	seek(conn, from)
	if err := readBatch(conn, 100*time.Millisecond, 1<<20, emit); err != nil {
		t.Fatal(err)
	}
	if len(got) != n-from {
		t.Fatalf("%d messages, want %d", len(got), n-from)
	}
	for i, m := range got {
		want := int64(from + i)
		if m.Offset != want || string(m.Value) != fmt.Sprint(want) || string(m.Key) != "k" || m.HighWaterMark != n {
			t.Fatalf("message at offset %d key %q value %q high water mark %d; want offset %d key k value %d, %d",
				m.Offset, m.Key, m.Value, m.HighWaterMark, want, want, n)
		}
	}
	seek(conn, 0)
	calls := 0
	if err := readBatch(conn, 100*time.Millisecond, 1<<20, func(*fetchRecord) bool { calls++; return calls < 3 }); !errors.Is(err, errStopped) || calls != 3 {
		t.Fatalf("an emit that stops at the third message: %d calls, %v; want 3, errStopped", calls, err)
	}
}
