// Package ingest owns econflow's pipeline: messages from Kafka are decoded and normalized by
// package transform, written to ClickHouse, and only then committed. It defines the small
// interfaces the loop needs — a Source of messages, a Store of rows, a DeadLetters writer — and
// the loop itself (Consumer), the turning of messages into rows (Processor), and the
// re-conversion of observations when rates arrive late or are revised (Reconciler).
// Implementations live in one subpackage per system: ingest/kafka and ingest/clickhouse;
// ingest/pipeline wires them into a consumer, and ingest/publishers reads the files producers
// publish (docs/internals.md).
//
// Delivery guarantees: a batch is committed to Kafka only after every message in it is either a
// row in ClickHouse or a reject in both econ.rejects and the dead-letter topic. Writes are
// idempotent — a row is keyed by (identity, published_at) in a ReplacingMergeTree, a reject by
// (topic, partition, offset) — so the at-least-once re-delivery after a crash or rebalance never
// shows a record twice.
//
// Currency conversion over time: each consumer keeps a RateBook of every stored rate (every
// vintage of every rate identity). A batch's rates enter the book before its observations are
// converted. An observation without a usable rate is stored as pending. The Reconciler then
// keeps stored conversions true: on start, after each batch that changed the book, and every few
// seconds it loads the rates stored since its last pass (so rates consumed by other members of the
// group are learned too), and re-derives every pending row and every row dated within the
// staleness window after a changed rate; a row whose derived values changed is written again
// with the same identity and published_at and its version plus one, which replaces it in the
// latest and history views. The conversions a row had before, as the rates were published, are
// stored apart (Batch.Known) for the as-of views. Late rates, revised rates, any arrival order,
// any partition and restarts all end in the same state: the one the stored rates determine.
package ingest

import (
	"context"
	"time"

	"github.com/econflow/econflow/transform"
)

// FXVoid is the fx_status of a stored earlier conversion that is no longer knowledge: one made
// before a rate published earlier had arrived, which the rates as published never gave.
const FXVoid = "void"

// Header is a Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Message is one record read from Kafka.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Time      time.Time // the Kafka message timestamp
	// HighWaterMark is the partition's end offset when the message was fetched (0 if not
	// known): HighWaterMark − Offset − 1 messages were waiting behind it.
	HighWaterMark int64
}

// Row is one normalized record ready for storage, with where it came from.
type Row struct {
	Record     transform.Record
	Derived    transform.Derived // zero for fx_rate rows
	Topic      string
	Partition  int
	Offset     int64
	IngestedAt time.Time
	// Version orders rows of the same (identity, published_at): the greatest wins. It grows with
	// every write, so a re-delivery or a re-conversion replaces the earlier row.
	Version uint64
	// Reporting is the further reporting currency of a row of Batch.Converted, whose Derived
	// *EUR values are in that currency; "" for every other row (EUR).
	Reporting string
}

// ReportingEUR is the reporting currency of the *_eur columns, as a Failure names it.
const ReportingEUR = "EUR"

// Failure is an observation the reconciler could not re-derive into one reporting currency
// (docs/contract.md §2.4), or such a failure since resolved by a successful re-derivation.
type Failure struct {
	// Record is the observation (its identity and published_at; the rest is not stored).
	Record transform.Record
	// Reporting is the reporting currency that failed: ReportingEUR for the *_eur columns, or a
	// further reporting currency.
	Reporting string
	// Reason says why, as the derivation's error does.
	Reason string
	// FailedAt is when it last failed.
	FailedAt time.Time
	// ResolvedAt is when a later re-derivation succeeded; zero while unresolved.
	ResolvedAt time.Time
	// Version orders the writes of one failure: the greatest wins.
	Version uint64
}

// Reject is a message that could not become a valid record.
type Reject struct {
	Message    Message
	Code       transform.Code
	Reason     string
	ReceivedAt time.Time
	// Version is the _version of its rejects_data row, given when the message is processed (as
	// a row's), so that a retried write sends the identical block; 0: the time of the write.
	Version uint64
}

// Batch is what one consumer step writes: rows of each kind and the rejects. Rows are either
// Row values (FXRates, FuelPrices, Wages, Indicators) or, from a Processor given a store's RowBuffer,
// already encoded in Encoded; a batch may have both.
type Batch struct {
	FXRates    []Row
	FuelPrices []Row
	Wages      []Row
	Indicators []Row
	Encoded    RowBuffer
	Rejects    []Reject
	// Known are earlier conversions of fuel prices, wages and currency-unit indicators
	// (docs/contract.md §5.4), each keyed by its identity, published_at and Derived.KnownFrom:
	// those the Reconciler writes, and those of the batch's observations converted with a rate
	// published after them.
	Known []Row
	// Converted are conversions of fuel prices, wages and indicators in a currency into the
	// further reporting currencies (transform.FXConfig.Further), one per (Row.Reporting,
	// identity, published_at).
	Converted []Row
	// Failures are re-derivations that failed, or failures since resolved; written by the
	// Reconciler only.
	Failures []Failure
	// Rates are copies of the batch's rate rows (which are also in Encoded or FXRates, and
	// written from there), for the consumer to write again if the batch is stored late
	// (Consumer.rewriteRates).
	Rates []Row
	// ChainFrom and ChainTo span the dates of the batch's observations that were converted with
	// a rate published after them, or whose conversion into a further reporting currency did not
	// fit (zero: none). The reconciler re-derives them once the batch is stored
	// (Reconciler.Written), not before: a pass that read the stored rows before the batch was
	// written would not find them.
	ChainFrom, ChainTo time.Time
}

// Rows is the number of rows of kind in the batch.
func (b *Batch) Rows(kind transform.Kind) int {
	n := 0
	if b.Encoded != nil {
		n = b.Encoded.Len(kind)
	}
	switch kind {
	case transform.KindFXRate:
		n += len(b.FXRates)
	case transform.KindFuelPrice:
		n += len(b.FuelPrices)
	case transform.KindWage:
		n += len(b.Wages)
	case transform.KindIndicator:
		n += len(b.Indicators)
	}
	return n
}

// Len is the number of rows and rejects in the batch.
func (b *Batch) Len() int {
	return b.Rows(transform.KindFXRate) + b.Rows(transform.KindFuelPrice) + b.Rows(transform.KindWage) + b.Rows(transform.KindIndicator) + len(b.Rejects)
}

// RowBuffer holds a batch's rows in a store's own compact form. A Processor adds each row as
// it is made, so a batch holds encoded values instead of Row values: a few hundred bytes a row
// and nothing for the garbage collector to scan, which lets batches be large.
type RowBuffer interface {
	// Add appends r; its Record.Kind picks the table. It copies what it keeps of r: the
	// Processor reuses r, and the memory of its Record.ID and of its decimals (Record values and
	// Derived), for the next row. Other strings it may keep as they are. On error nothing of r
	// is kept and the error says why the store cannot hold the row.
	Add(r *Row) error
	// Len is the number of rows of kind held.
	Len(kind transform.Kind) int
	// Release empties the buffer for reuse; the batch must not be written afterwards.
	Release()
}

// RowBufferStore is a Store that takes rows encoded in its own RowBuffer.
type RowBufferStore interface {
	NewRowBuffer() RowBuffer
}

// Source delivers messages of a consumer group and commits their offsets.
type Source interface {
	// Fetch blocks until a message is available or ctx is done.
	Fetch(ctx context.Context) (Message, error)
	// Commit marks every message up to and including these as processed.
	Commit(ctx context.Context, msgs []Message) error
	// Close leaves the group and releases the connection.
	Close() error
}

// SourceHealth is implemented by a Source that knows whether it is connected: in a consumer
// group generation, with every assigned partition's reader fetching without failure.
type SourceHealth interface {
	Healthy() bool
}

// Store is where rows and rejects are kept (ClickHouse).
type Store interface {
	// WriteBatch stores every row and reject of b. It is idempotent: writing the same batch again
	// leaves every view as after the first write.
	WriteBatch(ctx context.Context, b *Batch) error
	// Rates returns the rate rows stored since the given time (ingested_at ≥ since); the zero
	// time means all of them.
	Rates(ctx context.Context, since time.Time) ([]StoredRate, error)
	// Observations returns the stored fuel price, wage and currency-unit indicator rows (latest write of every vintage)
	// that match q.
	Observations(ctx context.Context, q ObservationQuery) ([]Row, error)
	// Known returns the stored earlier conversions (Batch.Known; latest write of each, 'void'
	// ones included) of fuel prices, wages and indicators dated from through to.
	Known(ctx context.Context, from, to time.Time) ([]Row, error)
	// Converted returns the stored conversions into further reporting currencies
	// (Batch.Converted; latest write of each) of the observations dated from through to.
	Converted(ctx context.Context, from, to time.Time) ([]Row, error)
	// Failures returns the stored failed re-derivations (Batch.Failures; latest write of each)
	// not yet resolved, of observations dated from through to.
	Failures(ctx context.Context, from, to time.Time) ([]Failure, error)
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
}

// StoredRate is a rate as stored, with when it was stored.
type StoredRate struct {
	transform.Rate
	IngestedAt time.Time
}

// ObservationQuery selects stored observations for re-conversion.
type ObservationQuery struct {
	// Pending selects rows whose conversion is pending.
	Pending bool
	// From and To, when not zero, select rows with From ≤ date ≤ To (in addition to Pending rows).
	From, To time.Time
}

// DeadLetters publishes rejected messages to the dead-letter topic.
type DeadLetters interface {
	SendDeadLetters(ctx context.Context, rejects []Reject) error
}

// Dead-letter headers added to the original message's headers.
const (
	HeaderErrorCode       = "econflow.error.code"
	HeaderError           = "econflow.error"
	HeaderSourceTopic     = "econflow.source.topic"
	HeaderSourcePartition = "econflow.source.partition"
	HeaderSourceOffset    = "econflow.source.offset"
	// HeaderSourceTimestamp is the original message's Kafka timestamp, RFC 3339 in UTC with nine
	// fractional digits (SourceTimestampLayout); the dead letter's own timestamp is the same.
	// Absent when the original had none.
	HeaderSourceTimestamp = "econflow.source.timestamp"
	// HeaderValueTruncated is set, to the original length in bytes, on a dead letter whose value
	// was cut because the dead-letter topic would not take it whole (econ.rejects has it all).
	HeaderValueTruncated = "econflow.value.truncated"
	// HeaderReplayedFrom is set by `econflow replay` on a message it re-publishes, to the dead
	// letter's "<topic>/<partition>/<offset>".
	HeaderReplayedFrom = "econflow.replayed.from"
)

// SourceTimestampLayout is the time layout of HeaderSourceTimestamp.
const SourceTimestampLayout = "2006-01-02T15:04:05.000000000Z07:00"
