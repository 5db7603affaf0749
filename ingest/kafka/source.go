package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
)

// SourceOptions configure a consumer-group Source.
type SourceOptions struct {
	Brokers  []string
	Group    string
	Topics   []string
	Security Security
	// MaxWait is the longest the client waits for one fetch response. Default 1.5s. kafka-go asks
	// the broker to answer within MaxWait less a round-trip allowance (1s; a quarter of MaxWait
	// below 1s) and drops the connection when the answer comes later. So 250ms left the broker
	// 62ms of slack, which a loaded machine exceeds, and idle partitions went into reconnect
	// loops; 1.5s has the broker hold an idle fetch 0.5s with 1s of slack. Data is not delayed:
	// the broker answers as soon as it has some. A partition reader stops (on rebalance or
	// close) only when its fetch returns, so a longer wait also slows those.
	MaxWait time.Duration
	// MaxBytes bounds one fetch response. Default 16 MiB.
	MaxBytes int
	// QueueCapacity is how many fetched messages are buffered ahead. Default 10000.
	QueueCapacity int
	// SessionTimeout: a member silent this long is removed from the group. Default 10s.
	SessionTimeout time.Duration
	Logger         *slog.Logger
}

// Source is an ingest.Source on a kafka-go group Reader. Offsets are committed synchronously,
// only when Commit is called.
type Source struct {
	r *kafkago.Reader
}

var _ ingest.Source = (*Source)(nil)

// NewSource joins the consumer group. New groups start at the earliest offset.
func NewSource(o SourceOptions) (*Source, error) {
	if len(o.Brokers) == 0 || o.Group == "" || len(o.Topics) == 0 {
		return nil, fmt.Errorf("kafka source: brokers, group and topics are required")
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 1500 * time.Millisecond
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 16 << 20
	}
	if o.QueueCapacity <= 0 {
		o.QueueCapacity = 10000
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	d, err := o.Security.dialer()
	if err != nil {
		return nil, err
	}
	log := o.Logger.With("component", "kafka-reader")
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:               o.Brokers,
		GroupID:               o.Group,
		GroupTopics:           o.Topics,
		Dialer:                d,
		MinBytes:              1,
		MaxBytes:              o.MaxBytes,
		MaxWait:               o.MaxWait,
		QueueCapacity:         o.QueueCapacity,
		CommitInterval:        0, // synchronous: commit only what is stored
		StartOffset:           kafkago.FirstOffset,
		SessionTimeout:        o.SessionTimeout,
		HeartbeatInterval:     o.SessionTimeout / 5,
		RebalanceTimeout:      o.SessionTimeout,
		JoinGroupBackoff:      time.Second,
		WatchPartitionChanges: true,
		ReadBackoffMin:        50 * time.Millisecond,
		ReadBackoffMax:        time.Second,
		ErrorLogger: kafkago.LoggerFunc(func(msg string, args ...any) {
			log.Warn(fmt.Sprintf(msg, args...))
		}),
	})
	return &Source{r: r}, nil
}

// Fetch returns the next message of the group's assignment.
func (s *Source) Fetch(ctx context.Context) (ingest.Message, error) {
	m, err := s.r.FetchMessage(ctx)
	if err != nil {
		return ingest.Message{}, err
	}
	out := ingest.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Time: m.Time,
		HighWaterMark: m.HighWaterMark}
	if len(m.Headers) > 0 {
		out.Headers = make([]ingest.Header, len(m.Headers))
		for i, h := range m.Headers {
			out.Headers[i] = ingest.Header{Key: h.Key, Value: h.Value}
		}
	}
	return out, nil
}

// Commit commits, per partition, the offset after the greatest of msgs.
func (s *Source) Commit(ctx context.Context, msgs []ingest.Message) error {
	type tp struct {
		topic     string
		partition int
	}
	last := map[tp]int64{}
	for _, m := range msgs {
		k := tp{m.Topic, m.Partition}
		if o, ok := last[k]; !ok || m.Offset > o {
			last[k] = m.Offset
		}
	}
	commits := make([]kafkago.Message, 0, len(last))
	for k, o := range last {
		commits = append(commits, kafkago.Message{Topic: k.topic, Partition: k.partition, Offset: o})
	}
	return s.r.CommitMessages(ctx, commits...)
}

// Close leaves the group.
func (s *Source) Close() error { return s.r.Close() }
