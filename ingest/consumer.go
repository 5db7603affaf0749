package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"
)

// ConsumerConfig tunes the consume loop. The zero value of a field means its default.
type ConsumerConfig struct {
	// BatchSize is the most messages stored and committed together: one ClickHouse insert per
	// table, hence one part. Default 200000.
	BatchSize int
	// BatchLinger is how long a batch waits to fill after its first message. Default 250ms.
	// While a backlog of at least 10,000 messages waits in the broker, a batch fills to
	// BatchSize, for at most 8 lingers; a batch that takes in the rest of the backlog is
	// written at once.
	BatchLinger time.Duration
	// RetryMin and RetryMax bound the exponential back-off between attempts to write or commit
	// a batch while ClickHouse or Kafka is unavailable. Defaults 100ms and 10s.
	RetryMin, RetryMax time.Duration
	// CommitAttempts is how often a failed offset commit is tried before the batch is left
	// uncommitted (it is then re-delivered and written again, idempotently). Default 5.
	CommitAttempts int
	// FatalAttempts is how many attempts in a row a write, fetch or commit gets while each
	// fails with an error classified Fatal or BadValue (see ErrorClass) before the consumer
	// stops: Run then returns a *FatalError saying what to do, Ready turns false with it as the
	// reason, and nothing of the batch in hand is committed. A retryable failure in between
	// starts the count again. Default 3.
	FatalAttempts int
	// Classifiers classify the errors of the external systems (see Classify); pipeline.Open
	// gives ClickHouse's and Kafka's. Without any, every error is retryable except an
	// untrusted TLS certificate.
	Classifiers []Classifier
}

func (c ConsumerConfig) withDefaults() ConsumerConfig {
	if c.BatchSize <= 0 {
		c.BatchSize = 200000
	}
	if c.BatchLinger <= 0 {
		c.BatchLinger = 250 * time.Millisecond
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 100 * time.Millisecond
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 10 * time.Second
	}
	if c.CommitAttempts <= 0 {
		c.CommitAttempts = 5
	}
	if c.FatalAttempts <= 0 {
		c.FatalAttempts = 3
	}
	return c
}

// Consumer is the consume loop: fetch a batch, process it, write rows and rejects, send dead
// letters, then commit. Nothing is committed that is not stored.
type Consumer struct {
	cfg        ConsumerConfig
	src        Source
	store      Store
	dead       DeadLetters
	proc       *Processor
	reconciler *Reconciler
	log        *slog.Logger
	metrics    *Metrics
	storeOK    atomic.Bool                     // the last write to the store succeeded
	deadOK     atomic.Bool                     // the last send of dead letters succeeded
	fetchOK    atomic.Bool                     // the last fetch from Kafka succeeded
	stopped    atomic.Pointer[FatalError]      // what stopped the consumer, once it has (see FatalAttempts)
	lastErr    [opCount]atomic.Pointer[string] // each operation's last failure, for NotReady
	lastVer    uint64
	// lateWrite is how long after its processing began a batch's write may end before its
	// rates are written again (rewriteRates); ReconcileMargin/2.
	lateWrite time.Duration
	// limit is the size the next batch fills to (see batchLimit); 0 before the first.
	limit int
	// lags is the backlog behind the last message fetched from each partition; lagAt indexes
	// the last message's partition (see noteLag).
	lags  []partitionLag
	lagAt int

	lastRejectLog     time.Time
	suppressedRejects int
}

// NewConsumer wires a consumer. reconciler may be nil (no re-conversion); metrics may be nil.
func NewConsumer(cfg ConsumerConfig, src Source, store Store, dead DeadLetters, proc *Processor,
	reconciler *Reconciler, log *slog.Logger, metrics *Metrics) *Consumer {
	if log == nil {
		log = slog.Default()
	}
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	if bs, ok := store.(RowBufferStore); ok && proc.NewBuffer == nil {
		proc.NewBuffer = bs.NewRowBuffer
	}
	return &Consumer{cfg: cfg.withDefaults(), src: src, store: store, dead: dead, proc: proc,
		reconciler: reconciler, log: log, metrics: metrics, lateWrite: ReconcileMargin / 2}
}

// Ready reports whether the consumer has not stopped on a fatal error, the last write to the
// store and the last send of dead letters succeeded, and the last fetch from Kafka did — or,
// for a Source that says so (SourceHealth), Kafka is reachable again: after an outage, the next
// fetch succeeds only when a message arrives, which on an idle stream can be long.
func (c *Consumer) Ready() bool { return c.NotReady() == "" }

// NotReady says why the consumer is not ready, or returns "" when it is (see Ready).
func (c *Consumer) NotReady() string {
	if fe := c.stopped.Load(); fe != nil {
		return "stopped: " + fe.Error()
	}
	if !c.storeOK.Load() {
		return "writes to ClickHouse are failing" + c.lastFailure(opWrite)
	}
	if !c.deadOK.Load() {
		return "sending dead letters to Kafka is failing" + c.lastFailure(opDeadLetters)
	}
	if c.fetchOK.Load() {
		return ""
	}
	if h, ok := c.src.(SourceHealth); ok && h.Healthy() {
		return ""
	}
	return "Kafka is unreachable (fetches are failing)" + c.lastFailure(opFetch)
}

// lastFailure is ": " and op's last failure, or "" if it has not failed.
func (c *Consumer) lastFailure(op operation) string {
	if f := c.lastErr[op].Load(); f != nil {
		return ": " + *f
	}
	return ""
}

// Run consumes until stop is done, then finishes the batches in hand — writes and commits them —
// and returns nil. abort, when done, ends even that at once: batches in hand are then neither
// written nor committed, so they are delivered again later. An operation that keeps failing
// with a fatal error (see ConsumerConfig.FatalAttempts) ends Run with a *FatalError, the
// batch in hand uncommitted.
//
// Fetching and processing run one batch ahead of storing: while batch N is written to ClickHouse
// and committed, batch N+1 is fetched and processed. Batches are stored and committed strictly
// in order, so at most two batches are in memory.
func (c *Consumer) Run(stop, abort context.Context) error {
	c.storeOK.Store(true)
	c.deadOK.Store(true)
	c.fetchOK.Store(true)
	c.stopped.Store(nil)
	defer c.flushRejectLog()
	work := make(chan processedBatch)
	fetchErr := make(chan error, 1)
	fetchCtx, stopFetching := context.WithCancel(stop)
	defer stopFetching()
	go c.fetchAndProcess(fetchCtx, abort, work, fetchErr)
	for p := range work {
		if err := c.storeAndCommit(abort, p); err != nil {
			stopFetching()
			for range work { // let the fetcher finish; what it fetched is delivered again
			}
			return err
		}
	}
	err := <-fetchErr
	if stop.Err() != nil {
		return nil
	}
	var fatal *FatalError
	if errors.As(err, &fatal) {
		return fatal
	}
	return fmt.Errorf("fetch: %w", err)
}

// processedBatch is a fetched batch and what Process made of it.
type processedBatch struct {
	msgs         []Message // the last message of each partition, without key, value or headers
	n            int       // messages fetched
	batch        *Batch
	ratesChanged bool
	start        time.Time
	learned      uint64 // Reconciler.Learned when the batch's processing began
}

// fetchAndProcess fetches and processes batches in order and hands them to Run until ctx is
// done; it then reports why on errc and closes work. A failed fetch (the broker or the group
// coordinator unreachable) is retried with back-off for as long as it takes: the reader heals
// by itself once the broker is back. A fetch that keeps failing with a fatal error (refused
// credentials, say) ends it with a *FatalError.
func (c *Consumer) fetchAndProcess(ctx, abort context.Context, work chan<- processedBatch, errc chan<- error) {
	defer close(work)
	failures, fatal := 0, 0
	chunk := make([]Message, 0, min(c.cfg.BatchSize, processChunk))
	for {
		var p processedBatch
		var err error
		p, chunk, err = c.fetchBatch(ctx, chunk)
		if err == nil {
			failures, fatal = 0, 0
			c.fetchOK.Store(true) // before the batch is handed over: it may be committed at once
		}
		if p.n > 0 {
			select {
			case work <- p:
			case <-abort.Done():
				errc <- abort.Err()
				return
			}
		}
		if err != nil && ctx.Err() == nil && abort.Err() == nil && !errors.Is(err, io.EOF) {
			failures++
			c.fetchOK.Store(false)
			class, stopped := c.failed(opFetch, &fatal, err)
			if stopped != nil {
				errc <- stopped
				return
			}
			c.metrics.Retries.WithLabelValues(opFetch.label()).Inc()
			wait := c.backoff(failures)
			c.log.Warn("fetch from Kafka failed; retrying", "attempt", failures, "in", wait, "class", class.Class,
				"err", err)
			sleep(ctx, wait)
			continue
		}
		if err != nil {
			errc <- err
			return
		}
	}
}

// processChunk is the most fetched messages held before they are processed into the batch.
const processChunk = 10000

// rampBatches is how many batches, each twice the size of the one before, lead up to BatchSize
// from BatchSize/2^rampBatches (at least processChunk) when a backlog starts.
const rampBatches = 3

// batchLimit returns the size the next batch fills to. A batch writes nothing until it is
// full, and meanwhile ClickHouse has nothing to do; so when a backlog starts (at the start,
// and after a batch that the linger ended) batches start small and double while they fill:
// the first rows are written sooner and the writing overlaps the processing sooner.
func (c *Consumer) batchLimit() int {
	if c.limit == 0 {
		c.limit = rampStart(c.cfg.BatchSize)
	}
	return c.limit
}

// batchDone updates the limit after a batch of n messages that filled to limit.
func (c *Consumer) batchDone(n, limit int) {
	if n >= limit {
		c.limit = min(2*c.limit, c.cfg.BatchSize)
	} else {
		c.limit = rampStart(c.cfg.BatchSize)
	}
}

func rampStart(batchSize int) int {
	return min(batchSize, max(batchSize>>rampBatches, processChunk))
}

// fetchBatch fetches and processes one batch of up to batchLimit messages: it waits for the
// first message as long as it takes, then at most BatchLinger for the rest — unless the last
// message fetched had a backlog behind it in the broker, in which case the batch goes on
// filling, for at most backlogLinger lingers in all. A batch that started on a backlog ends as
// soon as every partition's backlog is in it, and when the rest of a backlog is between one and
// two batches, it goes in two halves. Messages are processed in chunks of up to processChunk as
// they arrive, so only one chunk of raw messages is in memory; the batch keeps its rows
// (encoded) and, for the commit, the last message of each partition. chunk is scratch for the
// messages, returned for reuse.
func (c *Consumer) fetchBatch(stop context.Context, chunk []Message) (processedBatch, []Message, error) {
	var p processedBatch
	var now time.Time
	process := func() {
		if len(chunk) == 0 {
			return
		}
		if p.batch == nil {
			p.start = time.Now()
			now = p.start.UTC().Truncate(time.Second)
			p.batch = &Batch{}
			if c.reconciler != nil {
				p.learned = c.reconciler.Learned()
			}
		}
		if c.proc.ProcessInto(p.batch, chunk, now, c.nextVersion(len(chunk))) {
			p.ratesChanged = true
		}
		// The rows are encoded and the rejects hold their own copies: what is left to do with
		// the messages is committing them, for which the last of each partition is enough.
		p.n += len(chunk)
		p.msgs = lastPerPartition(p.msgs, chunk)
		clear(chunk)
		chunk = chunk[:0]
	}
	m, err := c.src.Fetch(stop)
	if err != nil {
		return p, chunk, err
	}
	chunk = append(chunk, m)
	c.noteLag(&m)
	behind := waiting(m)
	onBacklog := behind // the batch started on a backlog
	limit, balanced := c.batchLimit(), false
	defer func() { c.batchDone(p.n, limit) }()
	fill := func(ctx context.Context) error {
		for p.n+len(chunk) < limit {
			if len(chunk) >= processChunk {
				// Near the end of a backlog, the rest goes in two batches of half each rather
				// than a full one and a remainder: the last insert, which nothing overlaps,
				// is then half a batch.
				if rest := p.n + len(chunk) + c.backlog(); onBacklog && !balanced && rest > limit && rest < 2*limit {
					limit, balanced = (rest+1)/2, true
				}
				process()
			}
			if onBacklog && c.lags[c.lagAt].lag == 0 && c.backlog() == 0 {
				return errBacklogDrained
			}
			m, err := c.src.Fetch(ctx)
			if err != nil {
				return err
			}
			chunk = append(chunk, m)
			c.noteLag(&m)
			behind = waiting(m)
		}
		return nil
	}
	first := time.Now()
	for {
		lctx, cancel := context.WithTimeout(stop, c.cfg.BatchLinger)
		err := fill(lctx)
		if errors.Is(err, errBacklogDrained) {
			// Every partition's backlog is in the batch: nothing will come to fill it before
			// the linger, so it is written now.
			cancel()
			process()
			return p, chunk, nil
		}
		lingerOver := err != nil && lctx.Err() != nil && stop.Err() == nil
		cancel()
		if lingerOver && behind && time.Since(first) < backlogLinger*c.cfg.BatchLinger {
			// More messages wait in the broker: fill the batch, for fewer and larger
			// parts, rather than end it at the linger.
			continue
		}
		process()
		if err == nil || lingerOver {
			return p, chunk, nil
		}
		return p, chunk, err
	}
}

// backlogMessages is how many messages must wait behind the last one fetched for a batch to
// count as draining a backlog; backlogLinger bounds, in BatchLingers, how long such a batch
// fills. Below backlogMessages (the latency of a live stream) the linger ends the batch.
const (
	backlogMessages = processChunk
	backlogLinger   = 8
)

// errBacklogDrained ends the filling of a batch that took in the rest of a backlog.
var errBacklogDrained = errors.New("backlog drained")

// A partitionLag is how many messages waited behind the last one fetched from a partition.
type partitionLag struct {
	topic     string
	partition int
	lag       int64
}

// noteLag records the backlog behind m in its partition.
func (c *Consumer) noteLag(m *Message) {
	lag := max(lagOf(m), 0) // negative: the high-water mark is not known
	if c.lagAt < len(c.lags) {
		if l := &c.lags[c.lagAt]; l.partition == m.Partition && l.topic == m.Topic {
			l.lag = lag
			return
		}
	}
	for i := range c.lags {
		if l := &c.lags[i]; l.partition == m.Partition && l.topic == m.Topic {
			l.lag, c.lagAt = lag, i
			return
		}
	}
	c.lags = append(c.lags, partitionLag{m.Topic, m.Partition, lag})
	c.lagAt = len(c.lags) - 1
}

// backlog is how many messages waited in the broker, in all partitions, behind the last ones
// fetched. A partition the consumer no longer reads (after a rebalance) keeps its last lag:
// the backlog is then overestimated, and batches end by their size or the linger, as without
// it.
func (c *Consumer) backlog() int {
	n := int64(0)
	for _, l := range c.lags {
		n += l.lag
	}
	return int(n)
}

// lagOf is how many messages waited behind m in its partition when it was fetched.
func lagOf(m *Message) int64 { return m.HighWaterMark - m.Offset - 1 }

// waiting reports whether at least backlogMessages waited behind m when it was fetched.
func waiting(m Message) bool { return lagOf(&m) >= backlogMessages }

// lastPerPartition adds to last, for each topic and partition of msgs, the message with the
// greatest offset, with only its position kept.
func lastPerPartition(last, msgs []Message) []Message {
	for _, m := range msgs {
		i := 0
		for i < len(last) && (last[i].Topic != m.Topic || last[i].Partition != m.Partition) {
			i++
		}
		if i == len(last) {
			last = append(last, Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Time: m.Time})
		} else if m.Offset > last[i].Offset {
			last[i].Offset, last[i].Time = m.Offset, m.Time
		}
	}
	return last
}

func (c *Consumer) nextVersion(n int) uint64 {
	v := uint64(time.Now().UnixNano())
	if v <= c.lastVer {
		v = c.lastVer + 1
	}
	c.lastVer = v + uint64(n)
	return v
}

// storeAndCommit writes one processed batch and its dead letters, retrying until they succeed,
// abort is done or a fatal error stops the consumer, then commits its offsets.
func (c *Consumer) storeAndCommit(abort context.Context, p processedBatch) error {
	msgs, b := p.msgs, p.batch
	c.metrics.Consumed.Add(float64(p.n))
	if err := c.retry(abort, opWrite, &c.storeOK, func(ctx context.Context) error { return c.store.WriteBatch(ctx, b) }); err != nil {
		return err
	}
	if c.reconciler != nil {
		if err := c.rewriteRates(abort, p); err != nil {
			return err
		}
		c.reconciler.Written(p.learned, b)
	}
	if len(b.Rejects) > 0 {
		if err := c.retry(abort, opDeadLetters, &c.deadOK, func(ctx context.Context) error { return c.dead.SendDeadLetters(ctx, b.Rejects) }); err != nil {
			return err
		}
		c.logRejects(b.Rejects)
	}
	c.metrics.observeBatch(b, time.Since(p.start))
	var err error
	fatal := 0
	for attempt := 1; attempt <= c.cfg.CommitAttempts; attempt++ {
		if err = c.src.Commit(abort, msgs); err == nil || abort.Err() != nil {
			break
		}
		class, stopped := c.failed(opCommit, &fatal, err)
		if stopped != nil {
			return stopped
		}
		c.metrics.Retries.WithLabelValues(opCommit.label()).Inc()
		c.log.Warn("commit failed; retrying", "attempt", attempt, "class", class.Class, "err", err)
		sleep(abort, c.backoff(attempt))
	}
	if err != nil {
		if abort.Err() != nil {
			return abort.Err()
		}
		// The rows are stored; an uncommitted batch is delivered again and rewritten idempotently.
		c.log.Warn("commit failed; the batch will be delivered again", "messages", p.n, "err", err)
	}
	if len(b.Rejects) == 0 && time.Since(c.lastRejectLog) >= time.Second {
		c.flushRejectLog()
	}
	if p.ratesChanged && c.reconciler != nil {
		c.reconciler.Trigger()
	}
	if b.Encoded != nil {
		b.Encoded.Release()
	}
	return nil
}

// rewriteRates writes the batch's rates again, the same rows with the time they are stored as
// ingested_at and a greater version, if the batch's write ended later than lateWrite after
// its processing began (retried while a shard was down, say). Every reconciler learns the
// rates stored since its last pass less ReconcileMargin, by ingested_at, which is the time the
// batch was processed: the reconcilers that ran passes meanwhile, this one included, would
// never load rates stored this late, would keep converting with a book without them, and would
// not re-derive what they change. Written again, they are stored as of now.
func (c *Consumer) rewriteRates(abort context.Context, p processedBatch) error {
	b := p.batch
	if len(b.Rates) == 0 || time.Since(p.start) <= c.lateWrite {
		return nil
	}
	now := time.Now().UTC()
	again := &Batch{FXRates: slices.Clone(b.Rates)}
	for i := range again.FXRates {
		again.FXRates[i].IngestedAt = now.Truncate(time.Second)
		again.FXRates[i].Version = uint64(now.UnixNano()) + uint64(i)
	}
	c.log.Info("batch stored late; writing its rates again so every reconciler learns them",
		"rates", len(again.FXRates), "after", time.Since(p.start).Round(time.Millisecond))
	return c.retry(abort, opWrite, &c.storeOK, func(ctx context.Context) error { return c.store.WriteBatch(ctx, again) })
}

// An operation is one of the consumer's calls to the outside that can fail and be retried.
type operation uint8

const (
	opWrite operation = iota
	opDeadLetters
	opFetch
	opCommit
	opCount // the number of operations
)

// label is the operation's label in the metrics.
func (op operation) label() string {
	return [...]string{"write batch", "send dead letters", "fetch", "commit"}[op]
}

// what says, in a FatalError, what failed.
func (op operation) what() string {
	return [...]string{"write to ClickHouse", "send dead letters to Kafka", "fetch from Kafka", "commit offsets to Kafka"}[op]
}

// retry runs f until it succeeds, abort is done, or it failed FatalAttempts times in a row with
// a fatal error, backing off exponentially. ok is set to whether the last attempt succeeded.
func (c *Consumer) retry(abort context.Context, op operation, ok *atomic.Bool, f func(context.Context) error) error {
	fatal := 0
	for attempt := 1; ; attempt++ {
		err := f(abort)
		if err == nil {
			ok.Store(true)
			return nil
		}
		if abort.Err() != nil {
			return fmt.Errorf("%s: %w", op.label(), errors.Join(abort.Err(), err))
		}
		ok.Store(false)
		class, stopped := c.failed(op, &fatal, err)
		if stopped != nil {
			return stopped
		}
		c.metrics.Retries.WithLabelValues(op.label()).Inc()
		wait := c.backoff(attempt)
		c.log.Warn(op.label()+" failed; retrying", "attempt", attempt, "in", wait, "class", class.Class, "err", err)
		sleep(abort, wait)
	}
}

// failed classifies and counts a failed attempt of op. fatal counts the attempts in a row that
// failed with a fatal error; when it reaches FatalAttempts, failed returns the FatalError that
// stops the consumer.
func (c *Consumer) failed(op operation, fatal *int, err error) (Classification, *FatalError) {
	class := Classify(err, c.cfg.Classifiers...)
	c.metrics.Errors.WithLabelValues(op.label(), class.Class.String()).Inc()
	failure := fmt.Sprintf("%v error: %v", class.Class, err)
	if class.Action != "" {
		failure += ": " + class.Action
	}
	c.lastErr[op].Store(&failure)
	if class.Class == Retryable {
		*fatal = 0
		return class, nil
	}
	*fatal++
	if *fatal < c.cfg.FatalAttempts {
		return class, nil
	}
	stopped := &FatalError{Op: op.what(), Attempts: *fatal, Class: class.Class, Action: class.Action, Err: err}
	c.stopped.Store(stopped)
	return class, stopped
}

func (c *Consumer) backoff(attempt int) time.Duration {
	d := c.cfg.RetryMin
	for i := 1; i < attempt && d < c.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, c.cfg.RetryMax)
}

// logRejects logs rejects at most once a second with a count, so a flood of bad messages
// does not flood the log.
func (c *Consumer) logRejects(rejects []Reject) {
	now := time.Now()
	if now.Sub(c.lastRejectLog) < time.Second {
		c.suppressedRejects += len(rejects)
		return
	}
	r := rejects[0]
	c.log.Warn("rejected messages sent to dead letters", "count", len(rejects),
		"suppressed_since_last_log", c.suppressedRejects,
		"first_code", r.Code, "first_reason", r.Reason,
		"topic", r.Message.Topic, "partition", r.Message.Partition, "offset", r.Message.Offset)
	c.lastRejectLog = now
	c.suppressedRejects = 0
}

// flushRejectLog logs the rejects that logRejects suppressed since its last line, if any.
func (c *Consumer) flushRejectLog() {
	if c.suppressedRejects > 0 {
		c.log.Warn("rejected messages sent to dead letters (not logged one by one)", "count", c.suppressedRejects)
		c.lastRejectLog = time.Now()
		c.suppressedRejects = 0
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
