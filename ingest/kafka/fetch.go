package kafka

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
)

// fetcher reads one partition with Fetch requests of its own (version 4: every broker since
// Kafka 0.11, and the oldest Kafka 4 accepts) on a connection that kafka-go opened and
// authenticated. kafka-go's Batch.ReadMessage costs some 0.5 CPU-s per 1M messages of 169
// bytes: it allocates and copies each key and value on its own, reads every field through
// bufio and decompresses through a growing buffer. The fetcher reads each record batch whole
// into a buffer it reuses, checks its CRC, decompresses it into another and hands out records as
// slices of it, about half the CPU (docs/performance.md §5). The caller copies what it keeps.
//
// Record batches of magic 2 only (Kafka 0.11 and later); a fetch that meets an older message
// set returns errOldMessageFormat with the offset it stopped at, and the caller reads that
// fetch through kafka-go.
type fetcher struct {
	conn     net.Conn
	r        *bufio.Reader
	clientID string
	corr     int32
	req      []byte
	batch    []byte // the record batch being read
	plain    bytes.Buffer
	left     int // bytes of the current response not read yet
}

// errOldMessageFormat is a fetch that met a message set older than record batches (magic 0 or 1).
var errOldMessageFormat = errors.New("message format older than record batches")

// errCorrupt is a record batch that does not parse or whose CRC does not match.
var errCorrupt = errors.New("corrupt record batch")

const (
	fetchAPIKey     = 1
	fetchAPIVersion = 4
	// The record batch header: base offset and length, then (in the length) the partition
	// leader epoch … the record count.
	batchHeaderLen = 12
	batchFixedLen  = 49 // from the partition leader epoch to the record count, inclusive
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func newFetcher(conn net.Conn, clientID string) *fetcher {
	return &fetcher{conn: conn, r: bufio.NewReaderSize(conn, 64<<10), clientID: clientID}
}

// fetchRecord is one record of a fetch. Key and Value are nil for a null key or value; they,
// and the headers' bytes, are valid until the next record.
type fetchRecord struct {
	Offset  int64
	Time    time.Time
	Key     []byte
	Value   []byte
	Headers []kafkago.Header
	// HighWaterMark is the partition's end offset when the record was fetched.
	HighWaterMark int64
}

// fetchResult is what a fetch tells besides its records.
type fetchResult struct {
	// Next is the offset to fetch next: past the last record (or control batch) read.
	Next int64
	// HighWaterMark is the partition's end offset as the broker answered.
	HighWaterMark int64
}

// fetch asks for topic/partition from offset, waiting at most maxWait for data, and calls emit
// with each record at or after offset, in order. It stops early when emit returns false (the
// connection is then mid-response: close it). A broker's error for the partition is returned
// as a kafkago.Error (errors.Is(err, kafkago.OffsetOutOfRange), …). deadline bounds the wait for
// each part of the response.
func (f *fetcher) fetch(topic string, partition int, offset int64, maxWait time.Duration, maxBytes int, deadline func() time.Time,
	emit func(*fetchRecord) bool) (res fetchResult, err error) {
	res.Next = offset
	f.corr++
	b := f.req[:0]
	b = append(b, 0, 0, 0, 0) // size, set below
	b = binary.BigEndian.AppendUint16(b, fetchAPIKey)
	b = binary.BigEndian.AppendUint16(b, fetchAPIVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(f.corr))
	b = appendString(b, f.clientID)
	b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF) // replica id -1: a consumer
	b = binary.BigEndian.AppendUint32(b, uint32(maxWait.Milliseconds()))
	b = binary.BigEndian.AppendUint32(b, 1) // min bytes
	b = binary.BigEndian.AppendUint32(b, uint32(maxBytes))
	b = append(b, 0)                        // isolation: read uncommitted, as kafka-go reads
	b = binary.BigEndian.AppendUint32(b, 1) // one topic
	b = appendString(b, topic)
	b = binary.BigEndian.AppendUint32(b, 1) // one partition
	b = binary.BigEndian.AppendUint32(b, uint32(partition))
	b = binary.BigEndian.AppendUint64(b, uint64(offset))
	b = binary.BigEndian.AppendUint32(b, uint32(maxBytes))
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	f.req = b
	f.conn.SetWriteDeadline(deadline())
	if _, err := f.conn.Write(b); err != nil {
		return res, fmt.Errorf("send fetch request: %w", err)
	}
	f.conn.SetReadDeadline(deadline())
	f.left = 4
	size, err := f.int32()
	if err != nil {
		return res, fmt.Errorf("read fetch response: %w", err)
	}
	f.left = int(size)
	corr, err := f.int32()
	if err != nil {
		return res, err
	}
	if corr != f.corr {
		return res, fmt.Errorf("fetch response for request %d, expected %d", corr, f.corr)
	}
	if _, err := f.int32(); err != nil { // throttle time
		return res, err
	}
	topics, err := f.int32()
	if err != nil {
		return res, err
	}
	var failed error
	for range topics {
		name, err := f.string()
		if err != nil {
			return res, err
		}
		parts, err := f.int32()
		if err != nil {
			return res, err
		}
		for range parts {
			var head [4 + 2 + 8 + 8]byte
			if err := f.read(head[:]); err != nil {
				return res, err
			}
			aborted, err := f.int32()
			if err != nil {
				return res, err
			}
			if aborted > 0 {
				if err := f.discard(int(aborted) * 16); err != nil {
					return res, err
				}
			}
			n, err := f.int32()
			if err != nil {
				return res, err
			}
			if name != topic || int(binary.BigEndian.Uint32(head[:])) != partition {
				if err := f.discard(int(max(n, 0))); err != nil {
					return res, err
				}
				continue
			}
			if code := int16(binary.BigEndian.Uint16(head[4:])); code != 0 {
				failed = kafkago.Error(code)
			}
			res.HighWaterMark = int64(binary.BigEndian.Uint64(head[6:]))
			f.conn.SetReadDeadline(deadline())
			if res.Next, err = f.records(int(max(n, 0)), offset, res.HighWaterMark, emit); err != nil {
				return res, err
			}
		}
	}
	if err := f.discard(f.left); err != nil {
		return res, err
	}
	return res, failed
}

// records reads n bytes of record batches of a partition whose end offset is hwm, calling emit for
// each record at or after offset, and returns the offset to fetch next.
func (f *fetcher) records(n int, offset, hwm int64, emit func(*fetchRecord) bool) (int64, error) {
	next := offset
	rec := fetchRecord{HighWaterMark: hwm}
	for n >= batchHeaderLen+batchFixedLen {
		var head [batchHeaderLen]byte
		if err := f.read(head[:]); err != nil {
			return next, err
		}
		n -= batchHeaderLen
		base := int64(binary.BigEndian.Uint64(head[:]))
		length := int(int32(binary.BigEndian.Uint32(head[8:])))
		if length > n { // the response's size limit cut this batch: fetched again next time
			return next, f.discard(n)
		}
		if length < batchFixedLen {
			return next, fmt.Errorf("%w: batch at offset %d of %d bytes", errCorrupt, base, length)
		}
		if cap(f.batch) < length {
			f.batch = make([]byte, length, length+length/4)
		}
		batch := f.batch[:length]
		if err := f.read(batch); err != nil {
			return next, err
		}
		n -= length
		if magic := batch[4]; magic != 2 {
			if err := f.discard(n); err != nil {
				return next, err
			}
			return next, fmt.Errorf("%w (magic %d at offset %d)", errOldMessageFormat, magic, base)
		}
		if crc32.Checksum(batch[9:], castagnoli) != binary.BigEndian.Uint32(batch[5:]) {
			return next, fmt.Errorf("%w: CRC mismatch in the batch at offset %d", errCorrupt, base)
		}
		attrs := binary.BigEndian.Uint16(batch[9:])
		last := base + int64(int32(binary.BigEndian.Uint32(batch[11:])))
		if attrs&0x20 != 0 { // a control batch (a transaction's marker): no data
			next = max(next, last+1)
			continue
		}
		baseTime := int64(binary.BigEndian.Uint64(batch[15:]))
		logAppend := attrs&0x08 != 0
		maxTime := int64(binary.BigEndian.Uint64(batch[23:]))
		count := int(int32(binary.BigEndian.Uint32(batch[45:])))
		body := batch[batchFixedLen:]
		if codec := compress.Compression(attrs & 7); codec != 0 {
			c := codec.Codec()
			if c == nil {
				return next, fmt.Errorf("%w: unknown compression codec %d in the batch at offset %d", errCorrupt, codec, base)
			}
			zr := c.NewReader(bytes.NewReader(body))
			f.plain.Reset()
			_, err := f.plain.ReadFrom(zr)
			zr.Close()
			if err != nil {
				return next, fmt.Errorf("%w: decompress (%s) the batch at offset %d: %v", errCorrupt, c.Name(), base, err)
			}
			body = f.plain.Bytes()
		}
		for i := 0; i < count; i++ {
			var ok bool
			if body, ok = parseRecord(body, base, baseTime, &rec); !ok {
				return next, fmt.Errorf("%w: record %d of the batch at offset %d", errCorrupt, i, base)
			}
			if rec.Offset < offset {
				continue // a batch begins before the offset asked for
			}
			if logAppend {
				rec.Time = msTime(maxTime)
			}
			if !emit(&rec) {
				return rec.Offset + 1, errStopped
			}
			next = rec.Offset + 1
		}
		next = max(next, last+1)
	}
	return next, f.discard(n)
}

// errStopped is a fetch whose emit returned false.
var errStopped = errors.New("fetch stopped")

// parseRecord parses the record at the start of b into rec and returns the bytes after it.
func parseRecord(b []byte, base, baseTime int64, rec *fetchRecord) ([]byte, bool) {
	length, k := binary.Varint(b)
	if k <= 0 || length < 0 || int64(len(b)-k) < length {
		return nil, false
	}
	r, rest := b[k:k+int(length)], b[k+int(length):]
	if len(r) < 1 {
		return nil, false
	}
	r = r[1:] // attributes, unused
	tsDelta, k := binary.Varint(r)
	if k <= 0 {
		return nil, false
	}
	r = r[k:]
	offDelta, k := binary.Varint(r)
	if k <= 0 {
		return nil, false
	}
	r = r[k:]
	var ok bool
	if rec.Key, r, ok = varBytes(r); !ok {
		return nil, false
	}
	if rec.Value, r, ok = varBytes(r); !ok {
		return nil, false
	}
	headers, k := binary.Varint(r)
	if k <= 0 || headers < 0 || headers > int64(len(r)) {
		return nil, false
	}
	r = r[k:]
	rec.Headers = rec.Headers[:0]
	for range headers {
		var key, value []byte
		if key, r, ok = varBytes(r); !ok {
			return nil, false
		}
		if value, r, ok = varBytes(r); !ok {
			return nil, false
		}
		rec.Headers = append(rec.Headers, kafkago.Header{Key: string(key), Value: value})
	}
	rec.Offset = base + offDelta
	rec.Time = msTime(baseTime + tsDelta)
	return rest, true
}

// varBytes reads a varint length and that many bytes: nil for null (length −1) and, as kafka-go
// reads them, for empty ones.
func varBytes(b []byte) (v, rest []byte, ok bool) {
	n, k := binary.Varint(b)
	if k <= 0 || n < -1 || int64(len(b)-k) < n {
		return nil, nil, false
	}
	if n <= 0 {
		return nil, b[k:], true
	}
	return b[k : k+int(n) : k+int(n)], b[k+int(n):], true
}

// msTime is a Kafka timestamp as kafka-go gives it: zero for none.
func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.Unix(ms/1000, (ms%1000)*int64(time.Millisecond)).UTC()
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func (f *fetcher) read(b []byte) error {
	if len(b) > f.left {
		return fmt.Errorf("%w: the fetch response ends %d bytes early", errCorrupt, len(b)-f.left)
	}
	if _, err := io.ReadFull(f.r, b); err != nil {
		return fmt.Errorf("read fetch response: %w", err)
	}
	f.left -= len(b)
	return nil
}

func (f *fetcher) discard(n int) error {
	if n > f.left {
		return fmt.Errorf("%w: the fetch response ends %d bytes early", errCorrupt, n-f.left)
	}
	if _, err := f.r.Discard(n); err != nil {
		return fmt.Errorf("read fetch response: %w", err)
	}
	f.left -= n
	return nil
}

func (f *fetcher) int32() (int32, error) {
	var b [4]byte
	if err := f.read(b[:]); err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(b[:])), nil
}

func (f *fetcher) string() (string, error) {
	var b [2]byte
	if err := f.read(b[:]); err != nil {
		return "", err
	}
	n := int(int16(binary.BigEndian.Uint16(b[:])))
	if n <= 0 {
		return "", nil
	}
	s := make([]byte, n)
	if err := f.read(s); err != nil {
		return "", err
	}
	return string(s), nil
}
