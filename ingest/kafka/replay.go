package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
)

// DeadLetter is a message of the dead-letter topic read back: the original message and what the
// dead-letter headers say about it (docs/contract.md §3.2).
type DeadLetter struct {
	// Topic, Partition and Offset are the dead letter's own place in the dead-letter topic.
	Topic     string
	Partition int
	Offset    int64
	// Time is the dead letter's own Kafka timestamp.
	Time time.Time
	// SourceTopic, SourcePartition and SourceOffset are where the original message was
	// (econflow.source.topic, econflow.source.partition, econflow.source.offset).
	SourceTopic     string
	SourcePartition int
	SourceOffset    int64
	// SourceTime is the original message's Kafka timestamp (econflow.source.timestamp); zero
	// when the dead letter does not carry it (econflow wrote none before that header existed).
	SourceTime time.Time
	// Code and Reason say why the message was rejected (econflow.error.code, econflow.error).
	Code   string
	Reason string
	// TruncatedFrom is the original value's length in bytes when the dead letter's value was cut
	// (econflow.value.truncated); 0 when the value is whole.
	TruncatedFrom int
	// Key and Value are the original message's (Value cut when TruncatedFrom > 0).
	Key, Value []byte
	// Headers are the original message's: the dead letter's without those econflow adds
	// (IsEconflowHeader).
	Headers []kafkago.Header
}

// Source returns where the original message was, as "topic/partition/offset".
func (d *DeadLetter) Source() string {
	return place(d.SourceTopic, d.SourcePartition, d.SourceOffset)
}

// Place returns where the dead letter is, as "topic/partition/offset".
func (d *DeadLetter) Place() string { return place(d.Topic, d.Partition, d.Offset) }

func place(topic string, partition int, offset int64) string {
	return topic + "/" + strconv.Itoa(partition) + "/" + strconv.FormatInt(offset, 10)
}

// IsEconflowHeader reports whether key is a header econflow adds to a dead letter or to a
// replayed message. A replay removes them all, so that the message goes back as it first was.
func IsEconflowHeader(key string) bool {
	switch key {
	case ingest.HeaderErrorCode, ingest.HeaderError, ingest.HeaderSourceTopic, ingest.HeaderSourcePartition,
		ingest.HeaderSourceOffset, ingest.HeaderSourceTimestamp, ingest.HeaderValueTruncated, ingest.HeaderReplayedFrom:
		return true
	}
	return false
}

// Errors of ParseDeadLetter and DeadLetter.ReplayMessage.
var (
	// ErrNotDeadLetter: the message lacks econflow's source headers, or one is malformed.
	ErrNotDeadLetter = errors.New("not an econflow dead letter")
	// ErrValueTruncated: the dead letter's value was cut; the whole value is in econ.rejects.
	ErrValueTruncated = errors.New("its value was cut to fit the dead-letter topic (econflow.value.truncated); the whole value is in econ.rejects")
	// ErrNoSourceTime: the dead letter does not say when the original message was published.
	ErrNoSourceTime = errors.New("it has no econflow.source.timestamp (dead-lettered by an older econflow), so the original Kafka timestamp is unknown")
)

// ParseDeadLetter reads m as a dead letter. Where a header econflow adds appears more than once
// (a message dead-lettered again after someone copied a dead letter back by hand), the last one,
// added by the latest rejection, counts. It returns an error wrapping ErrNotDeadLetter when m
// has no econflow.source.topic, partition or offset header, or a malformed one.
func ParseDeadLetter(m kafkago.Message) (DeadLetter, error) {
	d := DeadLetter{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Time: m.Time, Key: m.Key, Value: m.Value}
	var own [8]kafkago.Header
	econ := own[:0]
	for _, h := range m.Headers {
		if IsEconflowHeader(h.Key) {
			econ = append(econ, h)
		} else {
			d.Headers = append(d.Headers, h)
		}
	}
	last := func(key string) (string, bool) {
		for i := len(econ) - 1; i >= 0; i-- {
			if econ[i].Key == key {
				return string(econ[i].Value), true
			}
		}
		return "", false
	}
	bad := func(key, v string, what string) error {
		return fmt.Errorf("%w: header %s %q is not %s", ErrNotDeadLetter, key, v, what)
	}
	var ok bool
	if d.SourceTopic, ok = last(ingest.HeaderSourceTopic); !ok || d.SourceTopic == "" {
		return d, fmt.Errorf("%w: no %s header", ErrNotDeadLetter, ingest.HeaderSourceTopic)
	}
	v, ok := last(ingest.HeaderSourcePartition)
	if !ok {
		return d, fmt.Errorf("%w: no %s header", ErrNotDeadLetter, ingest.HeaderSourcePartition)
	}
	p, err := strconv.ParseInt(v, 10, 32)
	if err != nil || p < 0 {
		return d, bad(ingest.HeaderSourcePartition, v, "a partition")
	}
	d.SourcePartition = int(p)
	if v, ok = last(ingest.HeaderSourceOffset); !ok {
		return d, fmt.Errorf("%w: no %s header", ErrNotDeadLetter, ingest.HeaderSourceOffset)
	}
	if d.SourceOffset, err = strconv.ParseInt(v, 10, 64); err != nil || d.SourceOffset < 0 {
		return d, bad(ingest.HeaderSourceOffset, v, "an offset")
	}
	if v, ok = last(ingest.HeaderSourceTimestamp); ok {
		if d.SourceTime, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return d, bad(ingest.HeaderSourceTimestamp, v, "an RFC 3339 time")
		}
	}
	if v, ok = last(ingest.HeaderValueTruncated); ok {
		if d.TruncatedFrom, err = strconv.Atoi(v); err != nil || d.TruncatedFrom <= 0 {
			return d, bad(ingest.HeaderValueTruncated, v, "a length")
		}
	}
	d.Code, _ = last(ingest.HeaderErrorCode)
	d.Reason, _ = last(ingest.HeaderError)
	return d, nil
}

// ReplayMessage returns the message that puts d back where it came from: its source topic and
// partition (Partition is set for a Writer with KeepPartition), the original key, value and
// headers, the original Kafka timestamp, and a header HeaderReplayedFrom naming the dead letter.
// It fails with ErrValueTruncated for a dead letter whose value was cut, and with
// ErrNoSourceTime for one that lacks the original timestamp unless useDeadLetterTime, which
// takes the dead letter's own timestamp (the time it was dead-lettered) instead.
func (d *DeadLetter) ReplayMessage(useDeadLetterTime bool) (kafkago.Message, error) {
	if d.TruncatedFrom > 0 {
		return kafkago.Message{}, ErrValueTruncated
	}
	t := d.SourceTime
	if t.IsZero() {
		if !useDeadLetterTime {
			return kafkago.Message{}, ErrNoSourceTime
		}
		t = d.Time
	}
	h := make([]kafkago.Header, 0, len(d.Headers)+1)
	h = append(h, d.Headers...)
	h = append(h, kafkago.Header{Key: ingest.HeaderReplayedFrom, Value: []byte(d.Place())})
	return kafkago.Message{Topic: d.SourceTopic, Partition: d.SourcePartition, Key: d.Key, Value: d.Value, Headers: h, Time: t}, nil
}

// ReplayFilter selects dead letters by error code and by where the original message was. A
// dead letter is selected when it matches every criterion set. AllDeadLetters returns the
// filter that selects every one; the zero ReplayFilter selects partition 0, offset 0 only.
type ReplayFilter struct {
	// Codes selects dead letters with any of these error codes; empty: any code.
	Codes []string
	// Topic selects dead letters of this original topic; "": any.
	Topic string
	// Partition selects dead letters of this original partition; -1: any.
	Partition int
	// FromOffset and ToOffset select original offsets in [FromOffset, ToOffset]; -1: unbounded.
	FromOffset, ToOffset int64
}

// AllDeadLetters returns the filter that selects every dead letter; set its fields to narrow it.
func AllDeadLetters() ReplayFilter { return ReplayFilter{Partition: -1, FromOffset: -1, ToOffset: -1} }

// Validate checks that the criteria make sense together: a partition belongs to a topic, and an
// offset range to a partition.
func (f ReplayFilter) Validate() error {
	if f.Partition < -1 || f.FromOffset < -1 || f.ToOffset < -1 {
		return errors.New("replay filter: partition and offsets are ≥ 0 (or -1: any)")
	}
	if f.Partition >= 0 && f.Topic == "" {
		return errors.New("replay filter: a partition needs its topic")
	}
	if (f.FromOffset >= 0 || f.ToOffset >= 0) && f.Partition < 0 {
		return errors.New("replay filter: an offset range needs its topic and partition")
	}
	if f.FromOffset >= 0 && f.ToOffset >= 0 && f.FromOffset > f.ToOffset {
		return fmt.Errorf("replay filter: from-offset %d is after to-offset %d", f.FromOffset, f.ToOffset)
	}
	return nil
}

// Match reports whether f selects d.
func (f ReplayFilter) Match(d *DeadLetter) bool {
	if len(f.Codes) > 0 {
		found := false
		for _, c := range f.Codes {
			if c == d.Code {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	switch {
	case f.Topic != "" && d.SourceTopic != f.Topic,
		f.Partition >= 0 && d.SourcePartition != f.Partition,
		f.FromOffset >= 0 && d.SourceOffset < f.FromOffset,
		f.ToOffset >= 0 && d.SourceOffset > f.ToOffset:
		return false
	}
	return true
}

// String describes f, e.g. "codes: bad_decimal, oversize; topic econ.wages; partition 1;
// offsets 10…20".
func (f ReplayFilter) String() string {
	var parts []string
	if len(f.Codes) > 0 {
		parts = append(parts, "codes: "+strings.Join(f.Codes, ", "))
	}
	if f.Topic != "" {
		parts = append(parts, "topic "+f.Topic)
	}
	if f.Partition >= 0 {
		parts = append(parts, "partition "+strconv.Itoa(f.Partition))
	}
	if f.FromOffset >= 0 || f.ToOffset >= 0 {
		from, to := "", ""
		if f.FromOffset >= 0 {
			from = strconv.FormatInt(f.FromOffset, 10)
		}
		if f.ToOffset >= 0 {
			to = strconv.FormatInt(f.ToOffset, 10)
		}
		parts = append(parts, "offsets "+from+"…"+to)
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, "; ")
}

// ReplayOptions configure Replay.
type ReplayOptions struct {
	Brokers  []string
	Security Security
	// DeadLetterTopic is the topic read; required.
	DeadLetterTopic string
	// Filter selects the dead letters to replay (AllDeadLetters: every one).
	Filter ReplayFilter
	// DryRun selects and counts, and publishes nothing.
	DryRun bool
	// UseDeadLetterTime replays a dead letter without econflow.source.timestamp with the dead
	// letter's own timestamp, the time it was dead-lettered: a record without published_at then
	// gets that time as its vintage. Default false: such a dead letter is not replayed.
	UseDeadLetterTime bool
	// OnMatch, when set, is called for each dead letter Filter selects, in the order read, with
	// nil or the reason it is not replayed (ErrValueTruncated, ErrNoSourceTime). d is valid
	// during the call only.
	OnMatch func(d *DeadLetter, notReplayed error)
	// OnProgress, when set, is called about every ProgressInterval while the replay runs.
	OnProgress func(ReplayStats)
	// ProgressInterval is how often OnProgress is called. Default 5s.
	ProgressInterval time.Duration
	// BatchSize is how many replayed messages are published at once. Default 500.
	BatchSize int
}

// ReplayStats counts what Replay read and did.
type ReplayStats struct {
	// Total is the number of messages the dead-letter topic held when the replay started (end
	// minus first offset, summed over its partitions); Read is how many of them were read.
	Total, Read int64
	// NotDeadLetters counts messages of the topic that are not econflow dead letters
	// (ParseDeadLetter failed); they are never replayed.
	NotDeadLetters int
	// NotMatched counts, by error code, the dead letters Filter did not select.
	NotMatched map[string]int
	// Matched counts the dead letters Filter selected; Replayed those published (acknowledged by
	// the brokers), or in a dry run those that would be.
	Matched, Replayed int
	// ValueTruncated and NoSourceTime count the selected dead letters that are not replayed, by
	// reason (ErrValueTruncated, ErrNoSourceTime).
	ValueTruncated, NoSourceTime int
}

// DeadLetters is the number of econflow dead letters read.
func (s ReplayStats) DeadLetters() int { return int(s.Read) - s.NotDeadLetters }

// NotReplayed is the number of selected dead letters that are not replayed.
func (s ReplayStats) NotReplayed() int { return s.ValueTruncated + s.NoSourceTime }

// Replay re-publishes the dead letters that o.Filter selects, each with its original key, value,
// headers, Kafka timestamp, topic and partition (DeadLetter.ReplayMessage), in the order of the
// dead-letter topic's partitions. It reads every partition of the dead-letter topic from its first
// offset to the end offset it has when Replay starts, so dead letters written meanwhile (a
// replayed record that fails again) are not read. It joins no consumer group and commits
// nothing. The counts it returns are valid with an error too: what was done before it.
func Replay(ctx context.Context, o ReplayOptions) (ReplayStats, error) {
	stats := ReplayStats{NotMatched: map[string]int{}}
	if len(o.Brokers) == 0 || o.DeadLetterTopic == "" {
		return stats, errors.New("replay: brokers and the dead-letter topic are required")
	}
	if err := o.Filter.Validate(); err != nil {
		return stats, err
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 5 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	log, err := openDeadLetterLog(ctx, o.Brokers, o.Security, o.DeadLetterTopic)
	if err != nil {
		return stats, err
	}
	defer log.close()
	stats.Total = log.total()
	var w *Writer
	if !o.DryRun {
		if w, err = NewWriter(WriterOptions{Brokers: o.Brokers, Security: o.Security, KeepPartition: true}, o.DeadLetterTopic); err != nil {
			return stats, err
		}
		defer w.Close()
	}
	var pending []kafkago.Message
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := w.Write(ctx, pending...); err != nil {
			if badTimestamp(err) {
				return fmt.Errorf("publish %d replayed messages: a topic refuses their original timestamps "+
					"(its message.timestamp.before.max.ms or after.max.ms): %w", len(pending), err)
			}
			return fmt.Errorf("publish %d replayed messages: %w", len(pending), err)
		}
		stats.Replayed += len(pending)
		pending = pending[:0]
		return nil
	}
	lastProgress := time.Now()
	err = log.each(ctx, func(m kafkago.Message) error {
		stats.Read++
		if o.OnProgress != nil && time.Since(lastProgress) >= o.ProgressInterval {
			o.OnProgress(stats)
			lastProgress = time.Now()
		}
		d, err := ParseDeadLetter(m)
		if err != nil {
			stats.NotDeadLetters++
			return nil
		}
		if !o.Filter.Match(&d) {
			stats.NotMatched[d.Code]++
			return nil
		}
		stats.Matched++
		msg, notReplayed := d.ReplayMessage(o.UseDeadLetterTime)
		switch {
		case errors.Is(notReplayed, ErrValueTruncated):
			stats.ValueTruncated++
		case errors.Is(notReplayed, ErrNoSourceTime):
			stats.NoSourceTime++
		}
		if o.OnMatch != nil {
			o.OnMatch(&d, notReplayed)
		}
		switch {
		case notReplayed != nil:
		case o.DryRun:
			stats.Replayed++
		default:
			pending = append(pending, msg)
			if len(pending) >= o.BatchSize {
				return flush()
			}
		}
		return nil
	})
	if err != nil {
		return stats, err
	}
	return stats, flush()
}

// deadLetterLog reads a topic's partitions, each from its first offset to the end offset it
// had when the log was opened.
type deadLetterLog struct {
	topic string
	parts []partitionLog // by partition id
}

type partitionLog struct {
	id          int
	conn        *kafkago.Conn
	first, end  int64
	stopOnClose func() bool // ends the AfterFunc that closes conn with ctx
}

// replayMaxWait is how long the broker may hold a fetch that finds nothing new.
const replayMaxWait = 500 * time.Millisecond

// openDeadLetterLog connects to the leader of every partition of topic and reads the
// partitions' first and end offsets, all before any message is read.
func openDeadLetterLog(ctx context.Context, brokers []string, sec Security, topic string) (*deadLetterLog, error) {
	client, err := newClient(brokers, sec)
	if err != nil {
		return nil, err
	}
	parts, err := partitions(ctx, client, []string{topic})
	if err != nil {
		return nil, fmt.Errorf("read the partitions of %s: %w", topic, err)
	}
	ids := parts[topic]
	if len(ids) == 0 {
		return nil, fmt.Errorf("dead-letter topic %s: no such topic on %s", topic, strings.Join(brokers, ","))
	}
	sort.Ints(ids)
	dialer, err := sec.dialer()
	if err != nil {
		return nil, err
	}
	l := &deadLetterLog{topic: topic}
	for _, id := range ids {
		conn, err := dialPartitionLeader(ctx, dialer, brokers, topic, id)
		if err != nil {
			l.close()
			return nil, fmt.Errorf("connect to the leader of %s/%d: %w", topic, id, err)
		}
		first, end, err := readOffsets(conn)
		if err != nil {
			conn.Close()
			l.close()
			return nil, fmt.Errorf("read the offsets of %s/%d: %w", topic, id, err)
		}
		l.parts = append(l.parts, partitionLog{id: id, conn: conn, first: first, end: end,
			stopOnClose: context.AfterFunc(ctx, func() { conn.Close() })})
	}
	return l, nil
}

// dialPartitionLeader connects to the partition's leader through the first broker that answers.
func dialPartitionLeader(ctx context.Context, dialer *kafkago.Dialer, brokers []string, topic string, partition int) (*kafkago.Conn, error) {
	var errs []error
	for _, b := range brokers {
		conn, err := dialer.DialLeader(ctx, "tcp", b, topic, partition)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (l *deadLetterLog) total() int64 {
	var n int64
	for _, p := range l.parts {
		n += p.end - p.first
	}
	return n
}

func (l *deadLetterLog) close() {
	for _, p := range l.parts {
		p.stopOnClose()
		p.conn.Close()
	}
}

// each calls fn for every message, partition after partition, each in offset order; it stops at
// fn's first error and returns it.
func (l *deadLetterLog) each(ctx context.Context, fn func(kafkago.Message) error) error {
	for i := range l.parts {
		if err := l.readPartition(ctx, &l.parts[i], fn); err != nil {
			return err
		}
	}
	return nil
}

// emptyFetchesAllowed is how many fetches in a row may return nothing below the end offset
// before reading the partition fails (there is no message to read there).
const emptyFetchesAllowed = 3

func (l *deadLetterLog) readPartition(ctx context.Context, p *partitionLog, fn func(kafkago.Message) error) error {
	offset := p.first
	seek(p.conn, offset)
	empty := 0
	for offset < p.end {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.conn.SetReadDeadline(time.Now().Add(replayMaxWait + readTimeout))
		batch := p.conn.ReadBatchWith(kafkago.ReadBatchConfig{MinBytes: 1, MaxBytes: 16 << 20, MaxWait: replayMaxWait})
		var ferr error
		for ferr == nil {
			m, err := batch.ReadMessage()
			if err != nil || m.Offset >= p.end {
				break
			}
			ferr = fn(m)
		}
		next := batch.Offset()
		err := batch.Close()
		switch {
		case ferr != nil:
			return ferr
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, kafkago.OffsetOutOfRange):
			return fmt.Errorf("read %s/%d at offset %d: the dead letters from there were deleted meanwhile (retention); run the replay again: %w",
				l.topic, p.id, offset, err)
		case err != nil && !errors.Is(err, kafkago.RequestTimedOut):
			return fmt.Errorf("read %s/%d at offset %d: %w", l.topic, p.id, offset, err)
		}
		if next <= offset {
			if empty++; empty >= emptyFetchesAllowed {
				return fmt.Errorf("read %s/%d: no message at offset %d, below the end offset %d, after %d fetches", l.topic, p.id, offset, p.end, empty)
			}
			continue
		}
		empty, offset = 0, next
	}
	return nil
}
