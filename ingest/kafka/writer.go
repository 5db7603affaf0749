package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
	// Async makes WriteMessages return before acknowledgement (the producer command waits in
	// Close). Default false.
	Async bool
}

// Writer publishes messages with acks=all, LZ4 compression and key hashing to partitions. It
// serves both `econflow produce` and the dead letters.
type Writer struct {
	w          *kafkago.Writer
	deadLetter string
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
	t, err := o.Security.transport()
	if err != nil {
		return nil, err
	}
	return &Writer{deadLetter: deadLetterTopic, w: &kafkago.Writer{
		Addr:                   kafkago.TCP(o.Brokers...),
		Balancer:               &kafkago.Hash{},
		RequiredAcks:           kafkago.RequireAll,
		Compression:            kafkago.Lz4,
		BatchSize:              o.BatchSize,
		BatchBytes:             16 << 20,
		BatchTimeout:           o.BatchTimeout,
		MaxAttempts:            10,
		WriteBackoffMin:        50 * time.Millisecond,
		WriteBackoffMax:        2 * time.Second,
		AllowAutoTopicCreation: true,
		Async:                  o.Async,
		Transport:              t,
	}}, nil
}

// Write publishes msgs, each to its own Topic.
func (w *Writer) Write(ctx context.Context, msgs ...kafkago.Message) error {
	return w.w.WriteMessages(ctx, msgs...)
}

// SendDeadLetters publishes each reject's original key, value and headers to the dead-letter
// topic, adding headers with the error code, the reason and the source topic, partition and
// offset.
func (w *Writer) SendDeadLetters(ctx context.Context, rejects []ingest.Reject) error {
	msgs := make([]kafkago.Message, len(rejects))
	for i, r := range rejects {
		h := make([]kafkago.Header, 0, len(r.Message.Headers)+5)
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
		msgs[i] = kafkago.Message{Topic: w.deadLetter, Key: r.Message.Key, Value: r.Message.Value, Headers: h}
	}
	if err := w.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("publish %d dead letters to %s: %w", len(msgs), w.deadLetter, err)
	}
	return nil
}

// Close flushes pending messages and closes the connections.
func (w *Writer) Close() error { return w.w.Close() }
