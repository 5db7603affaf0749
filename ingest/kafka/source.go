package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
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
	// MaxWait is how long the broker may hold a fetch that finds no new message. Default 500ms.
	// Data is not delayed: the broker answers as soon as it has some. A partition's reader stops
	// (on rebalance or close) at once: its connection is closed.
	MaxWait time.Duration
	// MaxBytes bounds one fetch response. Default 16 MiB.
	MaxBytes int
	// QueueCapacity is about how many fetched messages wait for Fetch, in all. Default 10000.
	QueueCapacity int
	// SessionTimeout: a member silent this long is removed from the group. Default 10s.
	SessionTimeout time.Duration
	Logger         *slog.Logger
}

// Source is an ingest.Source for a consumer group. kafka-go's ConsumerGroup joins the group and
// assigns partitions; for each partition assigned, a reader of its own fetches from the
// partition's leader and hands the messages over a chunk at a time. (kafka-go's Reader hands
// them over one at a time through a channel and sets a socket deadline for each, which costs
// several times the CPU per message: docs/performance.md.) Offsets are committed synchronously,
// only when Commit is called. A partition without a committed offset starts at its earliest.
//
// Fetch must be called from one goroutine; Commit and Close may be called from others.
type Source struct {
	o      SourceOptions
	dialer *kafkago.Dialer
	group  *kafkago.ConsumerGroup
	log    *slog.Logger

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	done   chan struct{}         // closed when run has returned
	chunks chan chunk            // from the partition readers to Fetch
	errs   chan error            // a failure that goes on (see report), for Fetch to return
	free   chan []ingest.Message // chunks' slices that Fetch is done with, for the readers to refill

	gen     atomic.Pointer[kafkago.Generation] // the current generation; nil between generations
	failing atomic.Int64                       // partition readers whose last connection or fetch failed
	mu      sync.Mutex
	genCh   chan struct{} // closed when gen is next set (under mu)

	// Fetch's own: the chunk being handed out, from cur[pos].
	cur    []ingest.Message
	pos    int
	curGen *kafkago.Generation
}

// A chunk is messages of one partition in offset order, read during generation gen.
type chunk struct {
	gen  *kafkago.Generation
	msgs []ingest.Message
}

const (
	// chunkMessages is the most messages a partition reader hands over at once.
	chunkMessages = 512
	// The readers' reconnection backoff.
	backoffMin = 50 * time.Millisecond
	backoffMax = time.Second
)

// readTimeout bounds the wait for the next bytes of a fetch response (a variable for tests).
var readTimeout = 10 * time.Second

var (
	_ ingest.Source       = (*Source)(nil)
	_ ingest.SourceHealth = (*Source)(nil)
)

// errClosed is what Fetch and Commit return after Close.
var errClosed = errors.New("kafka source: closed")

// NewSource starts joining the consumer group; the first Fetch waits for the assignment.
func NewSource(o SourceOptions) (*Source, error) {
	if len(o.Brokers) == 0 || o.Group == "" || len(o.Topics) == 0 {
		return nil, fmt.Errorf("kafka source: brokers, group and topics are required")
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 500 * time.Millisecond
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
	log := o.Logger.With("component", "kafka-source", "group", o.Group)
	group, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                    o.Group,
		Brokers:               o.Brokers,
		Dialer:                d,
		Topics:                o.Topics,
		StartOffset:           kafkago.FirstOffset,
		SessionTimeout:        o.SessionTimeout,
		HeartbeatInterval:     o.SessionTimeout / 5,
		RebalanceTimeout:      o.SessionTimeout,
		JoinGroupBackoff:      time.Second,
		WatchPartitionChanges: true,
		ErrorLogger: kafkago.LoggerFunc(func(msg string, args ...any) {
			log.Warn(fmt.Sprintf(msg, args...))
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("kafka source: %w", err)
	}
	queued := max(1, o.QueueCapacity/chunkMessages)
	s := &Source{o: o, dialer: d, group: group, log: log, done: make(chan struct{}), genCh: make(chan struct{}), errs: make(chan error, 1),
		chunks: make(chan chunk, queued), free: make(chan []ingest.Message, queued+1)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.run()
	return s, nil
}

// run follows the group's generations: for each, it starts a reader per assigned partition.
func (s *Source) run() {
	defer close(s.done)
	for attempt := 0; ; attempt++ {
		gen, err := s.group.Next(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, kafkago.ErrGroupClosed) {
				return
			}
			s.log.Warn("joining the consumer group failed; retrying", "attempt", attempt+1, "err", err)
			s.report(attempt, fmt.Errorf("join consumer group %s: %w", s.o.Group, err))
			if !sleepCtx(s.ctx, backoff(attempt)) {
				return
			}
			continue
		}
		attempt = 0
		s.setGeneration(gen) // before the readers start: Fetch drops chunks of other generations
		var parts []string
		for topic, assigned := range gen.Assignments {
			for _, pa := range assigned {
				parts = append(parts, fmt.Sprintf("%s/%d@%d", topic, pa.ID, pa.Offset))
				topic, partition, offset := topic, pa.ID, pa.Offset
				gen.Start(func(ctx context.Context) { s.readPartition(ctx, gen, topic, partition, offset) })
			}
		}
		s.log.Info("consumer group generation joined", "generation", gen.ID, "member", gen.MemberID, "partitions", parts)
		gen.Start(func(ctx context.Context) {
			<-ctx.Done()
			s.endGeneration(gen)
		})
	}
}

func (s *Source) setGeneration(gen *kafkago.Generation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen.Store(gen)
	close(s.genCh)
	s.genCh = make(chan struct{})
}

func (s *Source) endGeneration(gen *kafkago.Generation) { s.gen.CompareAndSwap(gen, nil) }

// readPartition reads one partition from offset (an offset or kafkago.FirstOffset) until ctx
// ends, reconnecting after errors. It returns only when ctx is done: a generation ends as soon
// as one of its functions returns.
func (s *Source) readPartition(ctx context.Context, gen *kafkago.Generation, topic string, partition int, offset int64) {
	log := s.log.With("topic", topic, "partition", partition)
	failing := false
	health := func(ok bool) { // counts this reader in s.failing while it fails
		if ok == failing {
			failing = !ok
			if ok {
				s.failing.Add(-1)
			} else {
				s.failing.Add(1)
			}
		}
	}
	defer health(true)
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 && !sleepCtx(ctx, backoff(attempt)) {
			return
		}
		conn, raw, err := s.dialLeader(ctx, topic, partition)
		if err != nil {
			if ctx.Err() == nil {
				health(false)
				log.Warn("connecting to the partition's leader failed; retrying", "attempt", attempt+1, "err", err)
				s.report(attempt, fmt.Errorf("connect to the leader of %s/%d: %w", topic, partition, err))
			}
			continue
		}
		stop := context.AfterFunc(ctx, func() { conn.Close() }) // ends a pending fetch at once
		var progress bool
		offset, progress, err = s.readFrom(ctx, conn, newFetcher(raw, s.clientID()), gen, topic, partition, offset, health)
		stop()
		conn.Close()
		if progress {
			attempt = 0
		}
		if err != nil && ctx.Err() == nil {
			health(false)
			log.Warn("reading the partition failed; reconnecting", "offset", offset, "err", err)
			s.report(attempt, fmt.Errorf("read %s/%d at offset %d: %w", topic, partition, offset, err))
		}
	}
}

// dialLeader connects to the partition's leader through the first broker that answers. It
// returns kafka-go's connection and the stream beneath it (after TLS), on which readFrom sends
// its own fetch requests once kafka-go has authenticated it.
func (s *Source) dialLeader(ctx context.Context, topic string, partition int) (*kafkago.Conn, net.Conn, error) {
	var errs []error
	for _, b := range s.o.Brokers {
		p, err := s.dialer.LookupPartition(ctx, "tcp", b, topic, partition)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var raw net.Conn
		d := *s.dialer
		d.TLS = nil // done by DialFunc, which keeps the stream
		d.DialFunc = func(ctx context.Context, network, address string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, address)
			if err != nil || s.dialer.TLS == nil {
				raw = c
				return c, err
			}
			tc := s.dialer.TLS
			if tc.ServerName == "" { // as kafka-go infers it
				tc = tc.Clone()
				tc.ServerName, _, _ = net.SplitHostPort(address)
			}
			t := tls.Client(c, tc)
			if err := t.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, err
			}
			raw = t
			return t, nil
		}
		conn, err := d.DialPartition(ctx, "tcp", b, p)
		if err == nil {
			return conn, raw, nil
		}
		errs = append(errs, err)
	}
	return nil, nil, errors.Join(errs...)
}

// readFrom fetches from conn, starting at offset, until an error or the end of ctx. It returns
// the offset to go on from and whether any message was read. It calls health(true) after each
// fetch that succeeds. Fetches go through f on conn's stream; one that meets a message set older
// than record batches is read again through kafka-go (readBatch).
func (s *Source) readFrom(ctx context.Context, conn *kafkago.Conn, f *fetcher, gen *kafkago.Generation, topic string, partition int, offset int64, health func(ok bool)) (next int64, progress bool, err error) {
	if offset < 0 { // kafkago.FirstOffset or LastOffset: no offset committed yet
		first, last, err := readOffsets(conn)
		if err != nil {
			return offset, false, fmt.Errorf("read the partition's offsets: %w", err)
		}
		if offset == kafkago.LastOffset {
			offset = last
		} else {
			offset = first
		}
	}
	deadline := func() time.Time { return time.Now().Add(s.o.MaxWait + readTimeout) }
	var (
		msgs  []ingest.Message
		arena []byte // the keys, values and headers of msgs
	)
	emit := func(r *fetchRecord) bool {
		if msgs == nil {
			msgs = s.newChunk()
		}
		var m ingest.Message
		m, arena = copyMessage(r, topic, partition, arena)
		msgs = append(msgs, m)
		offset, progress = r.Offset+1, true
		if len(msgs) == chunkMessages {
			if !s.send(ctx, chunk{gen, msgs}) {
				return false
			}
			msgs, arena = nil, nil
			// The send waits while the consumer is behind (ClickHouse down, say), for as
			// long as that lasts: the rest of the response gets its own time.
			f.conn.SetReadDeadline(time.Now().Add(readTimeout))
		}
		return true
	}
	for ctx.Err() == nil {
		res, err := f.fetch(topic, partition, offset, s.o.MaxWait, s.o.MaxBytes, deadline, emit)
		if errors.Is(err, errOldMessageFormat) {
			seek(conn, offset)
			err = readBatch(conn, s.o.MaxWait, s.o.MaxBytes, emit)
		}
		if errors.Is(err, errStopped) {
			return offset, progress, nil
		}
		if len(msgs) > 0 {
			if !s.send(ctx, chunk{gen, msgs}) {
				return offset, progress, nil
			}
			msgs, arena = nil, nil
		}
		switch {
		case err == nil, errors.Is(err, kafkago.RequestTimedOut):
			offset = max(offset, res.Next) // past a control batch, too
			health(true)
		case errors.Is(err, kafkago.OffsetOutOfRange):
			first, last, oerr := readOffsets(conn)
			if oerr != nil {
				return offset, progress, fmt.Errorf("offset %d out of range, and reading the range: %w", offset, oerr)
			}
			if offset < first {
				s.log.Warn("the messages before the partition's first offset were deleted (retention); skipping to it",
					"topic", topic, "partition", partition, "offset", offset, "first", first)
				offset = first
			} else if offset > last {
				// The partition has fewer messages than were read (it was recreated, or its
				// leader lost some). Wait: reading resumes when it reaches the offset.
				s.log.Warn("the offset is past the partition's end; waiting for it", "topic", topic, "partition", partition,
					"offset", offset, "end", last)
				if !sleepCtx(ctx, backoffMax) {
					return offset, progress, nil
				}
			}
		default:
			return offset, progress, err
		}
	}
	return offset, progress, nil
}

// readBatch reads one fetch through kafka-go's conn (seeked to the offset wanted) and calls emit
// with each message, for message sets older than record batches, which fetcher does not read.
// It returns errStopped when emit returns false.
func readBatch(conn *kafkago.Conn, maxWait time.Duration, maxBytes int, emit func(*fetchRecord) bool) error {
	conn.SetReadDeadline(time.Now().Add(maxWait + readTimeout))
	batch := conn.ReadBatchWith(kafkago.ReadBatchConfig{MinBytes: 1, MaxBytes: maxBytes, MaxWait: maxWait})
	rec := fetchRecord{HighWaterMark: batch.HighWaterMark()}
	for {
		m, err := batch.ReadMessage()
		if err != nil {
			break
		}
		rec.Offset, rec.Time, rec.Key, rec.Value, rec.Headers = m.Offset, m.Time, m.Key, m.Value, m.Headers
		if !emit(&rec) {
			batch.Close()
			return errStopped
		}
	}
	if err := batch.Close(); err != nil && !errors.Is(err, kafkago.RequestTimedOut) {
		return err
	}
	return nil
}

// copyMessage copies r (of topic/partition) into a message whose key, value and headers' values
// live in arena, which it returns grown: one allocation for many messages instead of two for
// each.
func copyMessage(r *fetchRecord, topic string, partition int, arena []byte) (ingest.Message, []byte) {
	need := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		need += len(h.Value)
	}
	if cap(arena)-len(arena) < need {
		arena = make([]byte, 0, max(need, arenaBytes))
	}
	m := ingest.Message{Topic: topic, Partition: partition, Offset: r.Offset, Time: r.Time, HighWaterMark: r.HighWaterMark}
	m.Key, arena = appendOwn(arena, r.Key)
	m.Value, arena = appendOwn(arena, r.Value)
	if len(r.Headers) > 0 {
		m.Headers = make([]ingest.Header, len(r.Headers))
		for i, h := range r.Headers {
			m.Headers[i].Key = h.Key
			m.Headers[i].Value, arena = appendOwn(arena, h.Value)
		}
	}
	return m, arena
}

// arenaBytes is the size of the blocks copyMessage copies messages into: about a chunk of
// messages of 120 bytes.
const arenaBytes = 64 << 10

// appendOwn appends b to arena and returns the copy (nil for nil) and the arena.
func appendOwn(arena, b []byte) ([]byte, []byte) {
	if b == nil {
		return nil, arena
	}
	n := len(arena)
	arena = append(arena, b...)
	return arena[n:len(arena):len(arena)], arena
}

// clientID is the client id of the fetch requests: the dialer's, or kafka-go's default.
func (s *Source) clientID() string {
	if s.dialer.ClientID != "" {
		return s.dialer.ClientID
	}
	return kafkago.DefaultClientID
}

// readOffsets returns the partition's first and end offsets, waiting at most readTimeout.
func readOffsets(conn *kafkago.Conn) (first, last int64, err error) {
	conn.SetDeadline(time.Now().Add(readTimeout))
	defer conn.SetDeadline(time.Time{})
	return conn.ReadOffsets()
}

// seek sets the offset of the next fetch without asking the broker (its offsets were just read;
// a fetch out of range says so, and readFrom handles it).
func seek(conn *kafkago.Conn, offset int64) {
	conn.Seek(offset, kafkago.SeekAbsolute|kafkago.SeekDontCheck) //nolint:errcheck // fails only for a bad whence
}

// Healthy reports whether the source is in a consumer group generation and no partition reader
// is failing to connect or fetch.
func (s *Source) Healthy() bool { return s.gen.Load() != nil && s.failing.Load() == 0 }

// failuresReported is how many failures in a row of joining or of one partition's reader are
// only logged; from the next on, Fetch also returns them, so that the consumer reports itself
// not ready while Kafka is unreachable.
const failuresReported = 2

// report hands err to Fetch if it is the attempt-th failure in a row (from 0) and past
// failuresReported, unless an error already waits.
func (s *Source) report(attempt int, err error) {
	if attempt < failuresReported {
		return
	}
	select {
	case s.errs <- err:
	default:
	}
}

// newChunk returns an empty slice for chunkMessages messages: one that Fetch is done with, or
// a new one.
func (s *Source) newChunk() []ingest.Message {
	select {
	case msgs := <-s.free:
		return msgs
	default:
		return make([]ingest.Message, 0, chunkMessages)
	}
}

// recycle hands a chunk's slice that Fetch is done with back to the readers, cleared so that
// it holds no message's bytes.
func (s *Source) recycle(msgs []ingest.Message) {
	if cap(msgs) != chunkMessages {
		return
	}
	msgs = msgs[:cap(msgs)]
	clear(msgs)
	select {
	case s.free <- msgs[:0]:
	default:
	}
}

// send queues c for Fetch; false when ctx ended first.
func (s *Source) send(ctx context.Context, c chunk) bool {
	select {
	case s.chunks <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

// Fetch returns the next message of the group's assignment. Messages read during a generation
// that has ended are dropped: the partition's next owner reads them again from the committed
// offset. While joining the group or reading a partition keeps failing, Fetch returns the
// failure now and then (the source goes on retrying by itself).
func (s *Source) Fetch(ctx context.Context) (ingest.Message, error) {
	for {
		if err := ctx.Err(); err != nil { // even with messages in hand: a stopping consumer stops
			return ingest.Message{}, err
		}
		if s.pos < len(s.cur) && s.curGen == s.gen.Load() {
			m := s.cur[s.pos]
			s.pos++
			return m, nil
		}
		if s.cur != nil {
			s.recycle(s.cur)
			s.cur, s.pos = nil, 0
		}
		select {
		case c := <-s.chunks: // messages first, before any failure
			s.cur, s.curGen = c.msgs, c.gen
			continue
		default:
		}
		select {
		case c := <-s.chunks:
			s.cur, s.curGen = c.msgs, c.gen
		case err := <-s.errs:
			return ingest.Message{}, err
		case <-ctx.Done():
			return ingest.Message{}, ctx.Err()
		case <-s.ctx.Done():
			return ingest.Message{}, errClosed
		}
	}
}

// Commit commits, per partition, the offset after the greatest of msgs, through the current
// generation (waiting for one while the group rebalances).
func (s *Source) Commit(ctx context.Context, msgs []ingest.Message) error {
	offsets := map[string]map[int]int64{}
	for _, m := range msgs {
		byPartition := offsets[m.Topic]
		if byPartition == nil {
			byPartition = map[int]int64{}
			offsets[m.Topic] = byPartition
		}
		if o, ok := byPartition[m.Partition]; !ok || m.Offset+1 > o {
			byPartition[m.Partition] = m.Offset + 1
		}
	}
	if len(offsets) == 0 {
		return nil
	}
	for {
		s.mu.Lock()
		gen, wait := s.gen.Load(), s.genCh
		s.mu.Unlock()
		if gen != nil {
			return gen.CommitOffsets(offsets)
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.ctx.Done():
			return errClosed
		}
	}
}

// Close leaves the group and stops the readers.
func (s *Source) Close() error {
	err := s.group.Close()
	s.cancel()
	<-s.done
	return err
}

// backoff is the wait before reconnection attempt n (from 0): doubling from backoffMin to
// backoffMax.
func backoff(n int) time.Duration {
	d := backoffMin
	for i := 0; i < n && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

// sleepCtx waits d or until ctx is done; false if ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
