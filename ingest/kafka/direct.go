package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	metadataapi "github.com/segmentio/kafka-go/protocol/metadata"
)

// direct is an Async Writer's own path to the brokers (`econflow produce`): kafka-go's Writer
// looks up the topic's metadata for every message it is given, which cost the producer some
// 10% of its CPU. direct looks up each topic's partitions once, chooses each message's
// partition by the same FNV-1a hash of its key as kafkago.Hash, and sends each partition's
// messages as produce requests of its own (kafkago.Client.Produce), one request at a time per
// partition, so that a key's messages arrive in the order written. Failed requests are retried
// as kafka-go's Writer retries them.
type direct struct {
	client  *kafkago.Client
	codec   kafkago.Compression
	batch   int // messages per produce request
	flight  *inFlight
	writing sync.Mutex     // one write at a time: parts, next, and each partition's order
	mu      sync.Mutex     // queues, closed
	parts   map[string]int // partitions of each topic
	queues  map[topicPartition]chan request
	next    int // round robin for messages without a key
	senders sync.WaitGroup
	closed  bool
	free    []*writeBuf // buffers of writes whose requests all completed, to be used again
}

// request is one produce request's messages, part of a write's buffer.
type request struct {
	msgs []kafkago.Message
	buf  *writeBuf
}

// writeBuf holds the messages of one write, grouped by partition. Once all its requests have
// completed it is cleared and used again by a later write: a producer of millions of messages
// does not take fresh memory (and its page faults) for each.
type writeBuf struct {
	msgs    []kafkago.Message
	pending atomic.Int32 // requests not yet completed
}

// directFree is how many write buffers are kept for reuse: enough for the messages in flight.
const directFree = 32

type topicPartition struct {
	topic     string
	partition int
}

// Retries of a produce request, as the kafka-go Writer of NewWriter makes them.
const (
	directAttempts   = 10
	directBackoffMin = 50 * time.Millisecond
	directBackoffMax = 2 * time.Second
	directTimeout    = 10 * time.Second
	directQueue      = 64 // requests waiting per partition
)

func newDirect(addr []string, t *kafkago.Transport, codec kafkago.Compression, batch int, flight *inFlight) *direct {
	return &direct{client: &kafkago.Client{Addr: kafkago.TCP(addr...), Transport: t, Timeout: directTimeout},
		codec: codec, batch: batch, flight: flight, parts: map[string]int{}, queues: map[topicPartition]chan request{}}
}

// write queues msgs, each to its topic's partition by key. It returns once they are queued, or
// with how many were not queued and why.
func (d *direct) write(ctx context.Context, msgs []kafkago.Message) (notQueued int, err error) {
	d.writing.Lock()
	defer d.writing.Unlock()
	// Each message's group (topic and partition) first, then the groups, in one buffer.
	// groupOf[topic][partition] is the group's index + 1; a write's messages are mostly of one
	// topic, whose partitions and groups are looked up once for a run of its messages.
	groupOf := map[string][]int{}
	var keys []topicPartition // in the order first met: deterministic queueing
	var sizes []int
	of := make([]int32, len(msgs))
	var (
		topic   string
		groupIn []int // groupOf[topic]
	)
	for i := range msgs {
		m := &msgs[i]
		if groupIn == nil || m.Topic != topic {
			n, err := d.partitions(ctx, m.Topic)
			if err != nil {
				return len(msgs), err
			}
			topic, groupIn = m.Topic, groupOf[m.Topic]
			if groupIn == nil {
				groupIn = make([]int, n)
				groupOf[topic] = groupIn
			}
		}
		p := d.partition(m.Key, len(groupIn))
		g := groupIn[p] - 1
		if g < 0 {
			g = len(keys)
			groupIn[p] = g + 1
			keys, sizes = append(keys, topicPartition{topic, p}), append(sizes, 0)
		}
		of[i] = int32(g)
		sizes[g]++
	}
	buf := d.writeBuf(len(msgs))
	groups := make([][]kafkago.Message, len(keys))
	start, requests := 0, 0
	for g, n := range sizes {
		groups[g] = buf.msgs[start : start : start+n]
		start += n
		requests += (n + d.batch - 1) / d.batch
	}
	for i, g := range of {
		groups[g] = append(groups[g], msgs[i])
	}
	buf.pending.Store(int32(requests))
	left := len(msgs)
	for gi, k := range keys {
		q, err := d.queue(k)
		if err != nil {
			return left, err // buf is not used again: requests queued may still hold it
		}
		for g := groups[gi]; len(g) > 0; {
			n := min(len(g), d.batch)
			select {
			case q <- request{g[:n:n], buf}:
			case <-ctx.Done():
				return left, ctx.Err()
			}
			g, left = g[n:], left-n
		}
	}
	return 0, nil
}

// writeBuf returns a buffer of n messages, one used before if one is free and large enough.
func (d *direct) writeBuf(n int) *writeBuf {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, b := range d.free {
		if cap(b.msgs) >= n {
			last := len(d.free) - 1
			d.free[i], d.free[last] = d.free[last], nil
			d.free = d.free[:last]
			b.msgs = b.msgs[:n]
			return b
		}
	}
	return &writeBuf{msgs: make([]kafkago.Message, n)}
}

// done counts a request of buf completed; after the last, buf is cleared (its messages' keys
// and values are not held) and kept for reuse.
func (d *direct) done(buf *writeBuf) {
	if buf.pending.Add(-1) != 0 {
		return
	}
	clear(buf.msgs[:cap(buf.msgs)])
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.free) < directFree {
		d.free = append(d.free, buf)
	}
}

// partition returns the partition of a message with key among n, as kafkago.Hash chooses it
// (FNV-1a of the key, Sarama's hashPartitioner); messages without a key go round robin.
func (d *direct) partition(key []byte, n int) int {
	if key == nil {
		d.next++
		return d.next % n
	}
	h := uint32(2166136261)
	for _, c := range key {
		h = (h ^ uint32(c)) * 16777619
	}
	p := int32(h) % int32(n)
	if p < 0 {
		p = -p
	}
	return int(p)
}

// partitions returns how many partitions topic has, looked up once (creating the topic if the
// broker creates topics on first use, as kafka-go's Writer asks).
func (d *direct) partitions(ctx context.Context, topic string) (int, error) {
	if n, ok := d.parts[topic]; ok {
		return n, nil
	}
	var err error
	for attempt := range directAttempts {
		if attempt > 0 && !sleepCtx(ctx, directBackoff(attempt)) {
			return 0, ctx.Err()
		}
		var n int
		if n, err = d.lookup(ctx, topic); err == nil {
			d.parts[topic] = n
			return n, nil
		}
		if !temporaryKafka(err) {
			break
		}
	}
	return 0, fmt.Errorf("partitions of topic %s: %w", topic, err)
}

func (d *direct) lookup(ctx context.Context, topic string) (int, error) {
	r, err := d.client.Transport.RoundTrip(ctx, d.client.Addr, &metadataapi.Request{TopicNames: []string{topic}, AllowAutoTopicCreation: true})
	if err != nil {
		return 0, err
	}
	for _, t := range r.(*metadataapi.Response).Topics {
		if t.Name == topic {
			if t.ErrorCode != 0 {
				return 0, kafkago.Error(t.ErrorCode)
			}
			if len(t.Partitions) == 0 {
				return 0, kafkago.LeaderNotAvailable
			}
			return len(t.Partitions), nil
		}
	}
	return 0, kafkago.UnknownTopicOrPartition
}

// queue returns the queue of partition k, starting its sender on first use.
func (d *direct) queue(k topicPartition) (chan request, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, io.ErrClosedPipe
	}
	q, ok := d.queues[k]
	if !ok {
		q = make(chan request, directQueue)
		d.queues[k] = q
		d.senders.Add(1)
		go d.send(k, q)
	}
	return q, nil
}

// send produces the messages of partition k's queue, one request at a time, each retried while
// its failure is temporary, and reports each request's outcome to the in-flight count.
func (d *direct) send(k topicPartition, q chan request) {
	defer d.senders.Done()
	for r := range q {
		var err error
		for attempt := range directAttempts {
			if attempt > 0 {
				time.Sleep(directBackoff(attempt))
			}
			if err = d.produce(k, r.msgs); err == nil || !temporaryKafka(err) {
				break
			}
		}
		d.flight.completed(r.msgs, err)
		d.done(r.buf)
	}
}

func (d *direct) produce(k topicPartition, msgs []kafkago.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), directTimeout)
	defer cancel()
	res, err := d.client.Produce(ctx, &kafkago.ProduceRequest{Topic: k.topic, Partition: k.partition,
		RequiredAcks: kafkago.RequireAll, Compression: d.codec, Records: &messageRecords{msgs: msgs}})
	if err != nil {
		return err
	}
	if res.Error != nil {
		return res.Error
	}
	for _, e := range res.RecordErrors {
		return e
	}
	return nil
}

// close waits for a write in progress to queue its messages, then until every queued message is
// acknowledged or failed. Writes after it fail.
func (d *direct) close() {
	d.writing.Lock()
	defer d.writing.Unlock()
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		for _, q := range d.queues {
			close(q)
		}
	}
	d.mu.Unlock()
	d.senders.Wait()
}

// directBackoff is the wait before attempt (≥ 1): doubling from directBackoffMin up to
// directBackoffMax.
func directBackoff(attempt int) time.Duration {
	return min(directBackoffMin<<min(attempt-1, 10), directBackoffMax)
}

// temporaryKafka reports whether a produce or metadata request that failed with err may
// succeed if tried again, as kafka-go's Writer decides it.
func temporaryKafka(err error) bool {
	var t interface{ Temporary() bool }
	if errors.As(err, &t) {
		return t.Temporary()
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// messageRecords reads messages as the records of a produce request, without copying them.
type messageRecords struct {
	msgs   []kafkago.Message
	i      int
	record kafkago.Record
	key    bytesRecord
	value  bytesRecord
}

func (r *messageRecords) ReadRecord() (*kafkago.Record, error) {
	if r.i >= len(r.msgs) {
		return nil, io.EOF
	}
	m := &r.msgs[r.i]
	r.i++
	r.record = kafkago.Record{Time: m.Time, Headers: m.Headers}
	if m.Key != nil {
		r.key.Reset(m.Key)
		r.record.Key = &r.key
	}
	if m.Value != nil {
		r.value.Reset(m.Value)
		r.record.Value = &r.value
	}
	return &r.record, nil
}

// bytesRecord is a record's key or value.
type bytesRecord struct{ bytes.Reader }

func (*bytesRecord) Close() error { return nil }
