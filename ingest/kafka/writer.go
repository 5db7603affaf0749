package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
)

// WriterOptions configure a Writer.
type WriterOptions struct {
	Brokers  []string
	Security Security
	// BatchSize is the most messages per produce request per partition. Default 1000.
	BatchSize int
	// BatchTimeout is how long a partial batch waits. Default 10ms.
	BatchTimeout time.Duration
	// Async makes Write return once the messages are queued, before acknowledgement, so that
	// the caller prepares the next messages while these are sent (`econflow produce`: 1.6–2
	// times as fast, docs/performance.md). At most MaxInFlight messages wait for
	// acknowledgement (Write blocks until there is room); a failure is returned by a later Write
	// and by Err after Close, and Acked counts the messages acknowledged. SendDeadLetters needs
	// a Writer without Async. Default false.
	Async bool
	// MaxInFlight bounds the messages queued but not yet acknowledged with Async. Default
	// 100,000.
	MaxInFlight int
	// KeepPartition sends each message to the partition its Partition field names, if its topic
	// has that partition, instead of choosing one by key: `econflow replay` puts messages back
	// where they first were. A message whose partition the topic lacks goes by key. Default
	// false (by key).
	KeepPartition bool
	// Compression is the produce requests' codec: "lz4" (the default, ""), "zstd", "snappy",
	// "gzip" or "none". LZ4 shrinks records of about 170 bytes some 3 times on the wire and on
	// the broker's disk and halves the broker's CPU for them; it costs `econflow produce` about
	// 0.15 CPU-s per 1M such records on loopback, at the same rate (docs/performance.md §8).
	Compression string
}

// compressionCodecs are the codecs of WriterOptions.Compression.
var compressionCodecs = map[string]kafkago.Compression{
	"": kafkago.Lz4, "lz4": kafkago.Lz4, "zstd": kafkago.Zstd, "snappy": kafkago.Snappy, "gzip": kafkago.Gzip, "none": 0,
}

// KnownCompression reports whether name is a value of WriterOptions.Compression.
func KnownCompression(name string) bool {
	_, ok := compressionCodecs[name]
	return ok
}

// CompressionNames lists the values of WriterOptions.Compression.
const CompressionNames = "lz4, zstd, snappy, gzip or none"

// Writer publishes messages with acks=all, LZ4 compression (unless WriterOptions.Compression
// says otherwise) and key hashing to partitions. It serves `econflow produce`, `econflow
// replay` and the dead letters. An Async writer that chooses partitions by key builds its
// produce requests itself (see direct); the others go through kafka-go's Writer.
type Writer struct {
	w          *kafkago.Writer
	deadLetter string
	async      *inFlight // nil without WriterOptions.Async
	direct     *direct   // an Async writer's path to the brokers, unless KeepPartition
	closeOnce  sync.Once
	closeErr   error
}

// inFlight counts an Async writer's messages from Write to acknowledgement.
type inFlight struct {
	mu      sync.Mutex
	room    *sync.Cond // signalled as messages complete
	pending int        // queued, not yet completed
	max     int
	acked   int
	err     error // the first failure
}

// completed is the kafka-go Writer's Completion: msgs were acknowledged, or failed with err.
func (f *inFlight) completed(msgs []kafkago.Message, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending -= len(msgs)
	if err == nil {
		f.acked += len(msgs)
	} else if f.err == nil {
		f.err = err
	}
	f.room.Broadcast()
}

// abandon counts n reserved messages that were never sent, failed with err.
func (f *inFlight) abandon(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending -= n
	if f.err == nil {
		f.err = err
	}
	f.room.Broadcast()
}

// reserve waits until n more messages fit (or none is pending) and counts them as pending; it
// returns the first failure instead if there is one.
func (f *inFlight) reserve(n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.err == nil && f.pending > 0 && f.pending+n > f.max {
		f.room.Wait()
	}
	if f.err != nil {
		return f.err
	}
	f.pending += n
	return nil
}

var _ ingest.DeadLetters = (*Writer)(nil)

// NewWriter returns a Writer; deadLetterTopic is where SendDeadLetters publishes.
func NewWriter(o WriterOptions, deadLetterTopic string) (*Writer, error) {
	if len(o.Brokers) == 0 {
		return nil, errors.New("kafka writer: no brokers")
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.BatchTimeout <= 0 {
		o.BatchTimeout = 10 * time.Millisecond
	}
	codec, ok := compressionCodecs[o.Compression]
	if !ok {
		return nil, fmt.Errorf("kafka writer: compression %q: want %s", o.Compression, CompressionNames)
	}
	t, err := o.Security.transport()
	if err != nil {
		return nil, err
	}
	var balancer kafkago.Balancer = &kafkago.Hash{}
	if o.KeepPartition {
		balancer = keepPartition{byKey: balancer}
	}
	var async *inFlight
	var completion func([]kafkago.Message, error)
	if o.Async {
		if o.MaxInFlight <= 0 {
			o.MaxInFlight = 100_000
		}
		async = &inFlight{max: o.MaxInFlight}
		async.room = sync.NewCond(&async.mu)
		completion = async.completed
	}
	var d *direct
	if o.Async && !o.KeepPartition {
		d = newDirect(o.Brokers, t, codec, o.BatchSize, async)
	}
	return &Writer{deadLetter: deadLetterTopic, async: async, direct: d, w: &kafkago.Writer{
		Addr:                   kafkago.TCP(o.Brokers...),
		Balancer:               balancer,
		RequiredAcks:           kafkago.RequireAll,
		Compression:            codec,
		BatchSize:              o.BatchSize,
		BatchBytes:             16 << 20,
		BatchTimeout:           o.BatchTimeout,
		MaxAttempts:            10,
		WriteBackoffMin:        50 * time.Millisecond,
		WriteBackoffMax:        2 * time.Second,
		AllowAutoTopicCreation: true,
		Async:                  o.Async,
		Completion:             completion,
		Transport:              t,
	}}, nil
}

// keepPartition chooses a message's own Partition when the topic has it, else asks byKey.
// (kafka-go overwrites Partition once the message is written; until then it is the message's.)
type keepPartition struct{ byKey kafkago.Balancer }

func (b keepPartition) Balance(msg kafkago.Message, partitions ...int) int {
	for _, p := range partitions {
		if p == msg.Partition {
			return p
		}
	}
	return b.byKey.Balance(msg, partitions...)
}

// Write publishes msgs, each to its own Topic. With WriterOptions.Async it returns once they
// are queued, or with the first failure of an earlier Write.
func (w *Writer) Write(ctx context.Context, msgs ...kafkago.Message) error {
	if w.async == nil {
		return w.w.WriteMessages(ctx, msgs...)
	}
	if err := w.async.reserve(len(msgs)); err != nil {
		return err
	}
	if w.direct != nil {
		if n, err := w.direct.write(ctx, msgs); err != nil {
			w.async.abandon(n, err)
			return err
		}
		return nil
	}
	if err := w.w.WriteMessages(ctx, msgs...); err != nil {
		w.async.completed(msgs, err)
		return err
	}
	return nil
}

// Err returns the first failure of an Async writer's messages: after Close, of any of them.
func (w *Writer) Err() error {
	if w.async == nil {
		return nil
	}
	w.async.mu.Lock()
	defer w.async.mu.Unlock()
	return w.async.err
}

// Acked returns how many of an Async writer's messages were acknowledged: after Close, all that
// will be.
func (w *Writer) Acked() int {
	if w.async == nil {
		return 0
	}
	w.async.mu.Lock()
	defer w.async.mu.Unlock()
	return w.async.acked
}

// SendDeadLetters publishes each reject's original key, value and headers to the dead-letter
// topic, adding headers with the error code, the reason and the source topic, partition, offset
// and timestamp. The dead letter's own Kafka timestamp is the original message's, so that
// `econflow replay` re-publishes it with the time it first had: a record without published_at
// then gets the same vintage as the first time.
//
// A dead letter the dead-letter topic cannot take (larger than the writer's 16 MiB batch limit, or
// refused by the broker as too large for the topic's max.message.bytes) is sent again with its
// value cut to DeadLetterTruncatedBytes and a header HeaderValueTruncated giving the original
// length; the whole value is still in econ.rejects. One whose original timestamp the topic
// refuses (message.timestamp.before.max.ms or after.max.ms) is sent again stamped with the time
// of sending; HeaderSourceTimestamp still gives the original. Without this, one such message
// would hold its partition's offset back forever.
func (w *Writer) SendDeadLetters(ctx context.Context, rejects []ingest.Reject) error {
	if w.async != nil {
		return errors.New("publish dead letters: the writer is asynchronous")
	}
	msgs := make([]kafkago.Message, len(rejects))
	for i := range rejects {
		msgs[i] = w.deadLetterMessage(&rejects[i], false)
	}
	err := w.w.WriteMessages(ctx, msgs...)
	if err == nil {
		return nil
	}
	if !tooLarge(err) && !badTimestamp(err) {
		return fmt.Errorf("publish %d dead letters to %s: %w", len(msgs), w.deadLetter, err)
	}
	// Some dead letter is too large or too old or new: send the failed ones one by one, without
	// the original timestamp or cut where refused.
	var failed []int
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) && len(werrs) == len(msgs) {
		for i, e := range werrs {
			if e != nil {
				failed = append(failed, i)
			}
		}
	} else {
		for i := range msgs {
			failed = append(failed, i)
		}
	}
	for _, i := range failed {
		m := msgs[i]
		err := w.w.WriteMessages(ctx, m)
		if err != nil && badTimestamp(err) {
			m.Time = time.Time{}
			err = w.w.WriteMessages(ctx, m)
		}
		if err != nil && tooLarge(err) {
			cut := w.deadLetterMessage(&rejects[i], true)
			cut.Time = m.Time
			if err = w.w.WriteMessages(ctx, cut); err != nil && badTimestamp(err) {
				cut.Time = time.Time{}
				err = w.w.WriteMessages(ctx, cut)
			}
		}
		if err != nil {
			return fmt.Errorf("publish dead letter of %s/%d@%d to %s: %w", rejects[i].Message.Topic,
				rejects[i].Message.Partition, rejects[i].Message.Offset, w.deadLetter, err)
		}
	}
	return nil
}

// DeadLetterTruncatedBytes is how much of a value is kept in a dead letter that is too large for
// the dead-letter topic.
const DeadLetterTruncatedBytes = 512 << 10

func (w *Writer) deadLetterMessage(r *ingest.Reject, truncate bool) kafkago.Message {
	h := make([]kafkago.Header, 0, len(r.Message.Headers)+7)
	for _, x := range r.Message.Headers {
		h = append(h, kafkago.Header{Key: x.Key, Value: x.Value})
	}
	h = append(h,
		kafkago.Header{Key: ingest.HeaderErrorCode, Value: []byte(r.Code)},
		kafkago.Header{Key: ingest.HeaderError, Value: []byte(r.Reason)},
		kafkago.Header{Key: ingest.HeaderSourceTopic, Value: []byte(r.Message.Topic)},
		kafkago.Header{Key: ingest.HeaderSourcePartition, Value: []byte(strconv.Itoa(r.Message.Partition))},
		kafkago.Header{Key: ingest.HeaderSourceOffset, Value: []byte(strconv.FormatInt(r.Message.Offset, 10))},
	)
	if !r.Message.Time.IsZero() {
		h = append(h, kafkago.Header{Key: ingest.HeaderSourceTimestamp, Value: []byte(r.Message.Time.UTC().Format(ingest.SourceTimestampLayout))})
	}
	value := r.Message.Value
	if truncate && len(value) > DeadLetterTruncatedBytes {
		h = append(h, kafkago.Header{Key: ingest.HeaderValueTruncated, Value: []byte(strconv.Itoa(len(value)))})
		value = value[:DeadLetterTruncatedBytes]
	}
	// A zero Time is stamped by kafka-go with the time of sending.
	return kafkago.Message{Topic: w.deadLetter, Key: r.Message.Key, Value: value, Headers: h, Time: r.Message.Time}
}

// tooLarge reports whether err says a message was too large for the writer or the broker.
func tooLarge(err error) bool {
	return anyWriteError(err, func(e error) bool {
		var mtl kafkago.MessageTooLargeError
		return errors.As(e, &mtl) || errors.Is(e, kafkago.MessageSizeTooLarge) || errors.Is(e, kafkago.RecordListTooLarge)
	})
}

// badTimestamp reports whether err says the broker refused a message's timestamp.
func badTimestamp(err error) bool {
	return anyWriteError(err, func(e error) bool { return errors.Is(e, kafkago.InvalidTimestamp) })
}

// anyWriteError reports whether is holds for err or, if err is a kafkago.WriteErrors, for one of
// its errors.
func anyWriteError(err error, is func(error) bool) bool {
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) {
		for _, e := range werrs {
			if e != nil && anyWriteError(e, is) {
				return true
			}
		}
		return false
	}
	return is(err)
}

// Close flushes pending messages, waits for their acknowledgement and closes the connections;
// calling it again returns the first call's result.
func (w *Writer) Close() error {
	w.closeOnce.Do(func() {
		if w.direct != nil {
			w.direct.close()
		}
		w.closeErr = w.w.Close()
	})
	return w.closeErr
}
