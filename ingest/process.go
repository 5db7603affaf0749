package ingest

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// Processor turns Kafka messages into a Batch: decode, validate, apply transport defaults,
// learn rates, convert and derive. It holds the consumer's RateBook; it does no I/O.
type Processor struct {
	Book *transform.RateBook
	FX   transform.FXConfig

	// NewBuffer, when set, makes the RowBuffer each batch's rows are encoded into as they are
	// made (Batch.Encoded); otherwise rows are kept as Row values.
	NewBuffer func() RowBuffer

	dec     transform.Decoder
	row     Row                  // scratch of Process
	convs   *transform.ConvCache // Process's conversions of Book under FX
	scratch transform.Scratch    // the value, id and derived values of an encoded row
}

// NewProcessor returns a Processor with an empty rate book.
func NewProcessor(fx transform.FXConfig) *Processor {
	return &Processor{Book: transform.NewRateBook(), FX: fx}
}

// fxRateKind is the kind value of rate records, looked for before decoding a message whole.
// otherKind begins a message whose first member says it is a price: not a rate, whatever
// follows (a second "kind" is refused as a duplicate field).
var (
	fxRateKind = []byte(`"` + string(transform.KindFXRate) + `"`)
	otherKind  = []byte(`{"kind":"` + string(transform.KindFuelPrice) + `"`)
)

// Process decodes msgs into a batch. Rates in the batch are added to the book before any
// observation is converted, so a price and its rate in one batch convert at once. It reports
// whether the book changed, i.e. whether stored observations may need re-conversion, or an
// observation was converted with a rate published after it (whose earlier conversions the
// reconciler records).
// version is the write version of the batch's first row; later rows get later versions.
// Process is not safe for concurrent use (Derive is).
//
// Rates are learned in a first pass over the messages that contain the text "fx_rate"; the
// second pass decodes every message once more and makes its row. So a batch holds no decoded
// records, only its rows (encoded, when NewBuffer is set). A rate whose kind is written with
// JSON escapes is missed by the first pass and learned in the second: observations before it
// in the batch are then stored pending and re-converted, since the book changed. A rate dated
// where the store cannot hold it (a DateStorer's buffer) is never learned: it is rejected.
func (p *Processor) Process(msgs []Message, now time.Time, version uint64) (b *Batch, ratesChanged bool) {
	b = &Batch{}
	return b, p.ProcessInto(b, msgs, now, version)
}

// ProcessInto is Process adding to the rows and rejects of b. The consumer processes a large
// batch in chunks this way; a rate converts the observations of its own chunk and later ones
// at once, and those of earlier chunks through the reconciler, as the book changed.
func (p *Processor) ProcessInto(b *Batch, msgs []Message, now time.Time, version uint64) (ratesChanged bool) {
	if p.NewBuffer != nil && b.Encoded == nil {
		b.Encoded = p.NewBuffer()
	}
	for i := range msgs {
		if v := msgs[i].Value; bytes.HasPrefix(v, otherKind) || !bytes.Contains(v, fxRateKind) {
			continue
		}
		rec, err := p.dec.Decode(msgs[i].Value)
		if err != nil || rec.Kind != transform.KindFXRate {
			continue
		}
		rec.Finish(msgs[i].Time)
		if storesDate(b, rec.Date) && p.Book.Add(transform.RateFromRecord(&rec)) {
			ratesChanged = true
		}
	}
	further := furtherConfigs(p.FX)
	row := &p.row
	defer func() { *row = Row{} }() // drop references to this batch's strings and decimals
	// An encoded row is encoded before the next is made: its value, id and derived values live
	// in p.scratch meanwhile. Rows kept as Row values own theirs (a nil Scratch).
	var scratch *transform.Scratch
	if b.Encoded != nil {
		scratch = &p.scratch
	}
	for i := range msgs {
		earlier := false
		rec := &row.Record // decoded in place: a Record is some 400 bytes
		if err := p.dec.DecodeIn(scratch, rec, msgs[i].Value); err != nil {
			b.Rejects = append(b.Rejects, rejectFor(msgs[i], err, now, version+uint64(i)))
			continue
		}
		rec.FinishIn(scratch, msgs[i].Time)
		row.Topic, row.Partition, row.Offset = msgs[i].Topic, msgs[i].Partition, msgs[i].Offset
		row.IngestedAt, row.Version, row.Derived = now, version+uint64(i), transform.Derived{}
		if rec.Kind == transform.KindFXRate {
			if storesDate(b, rec.Date) && p.Book.Add(transform.RateFromRecord(rec)) { // a rate the first pass missed
				ratesChanged = true
			}
		} else {
			if p.convs == nil || p.convs.Book() != p.Book {
				p.convs = transform.NewConvCache(p.Book, p.FX)
			}
			var conv transform.Conversion
			switch {
			case rec.Withdrawn: // nothing to convert
			case rec.Kind == transform.KindWage:
				conv = p.Book.ConvertRecord(p.FX, rec, time.Time{}) // may take the period-average rate
			default:
				conv = p.convs.Convert(rec.Currency, rec.Date)
			}
			d, err := transform.NormalizeIn(scratch, rec, conv)
			if err != nil {
				b.Rejects = append(b.Rejects, rejectFor(msgs[i], err, now, version+uint64(i)))
				continue
			}
			row.Derived = d
			if d.KnownFrom.After(rec.PublishedAt) {
				// Converted with a rate published after it: it was known unconverted (or
				// otherwise converted) before. Those earlier conversions go with the batch
				// (earlier), and the reconciler re-derives the date once the batch is written.
				b.noteChain(rec.Date)
				ratesChanged = true
				earlier = true
			}
		}
		n := len(b.Converted)
		if len(further) > 0 && convertsFurther(rec) && p.convertFurther(b, further, row) {
			ratesChanged = true
		}
		if b.Encoded != nil {
			if err := b.Encoded.Add(row); err != nil {
				b.Converted = b.Converted[:n] // the observation is rejected: so are its conversions
				b.Rejects = append(b.Rejects, rejectFor(msgs[i], &transform.Error{Code: transform.CodeOutOfRange, Reason: err.Error()}, now, version+uint64(i)))
				continue
			}
			p.keep(b, msgs[i], row, earlier)
			continue
		}
		p.keep(b, msgs[i], row, earlier)
		switch rec.Kind {
		case transform.KindFXRate:
			b.FXRates = append(b.FXRates, *row)
		case transform.KindFuelPrice:
			b.FuelPrices = append(b.FuelPrices, *row)
		case transform.KindIndicator:
			b.Indicators = append(b.Indicators, *row)
		default:
			b.Wages = append(b.Wages, *row)
		}
	}
	return ratesChanged
}

// A DateStorer is a RowBuffer that says which dates its store holds (a database with Date
// columns holds fewer than the contract's, see docs/contract.md §5.7).
type DateStorer interface {
	StoresDate(d time.Time) bool
}

// storesDate reports whether b's rows can hold date d. A rate dated where they cannot is
// rejected when it is encoded; it must not convert an observation meanwhile.
func storesDate(b *Batch, d time.Time) bool {
	s, ok := b.Encoded.(DateStorer)
	return !ok || s.StoresDate(d)
}

// furtherConfig is the conversion settings of one further reporting currency.
type furtherConfig struct {
	currency string
	fx       transform.FXConfig
}

// furtherConfigs returns the settings of fx's further reporting currencies, in order.
func furtherConfigs(fx transform.FXConfig) []furtherConfig {
	out := make([]furtherConfig, 0, len(fx.Further))
	for _, c := range fx.Further {
		out = append(out, furtherConfig{currency: c, fx: fx.For(c)})
	}
	return out
}

// convertsFurther reports whether rec is converted into the further reporting currencies: a
// fuel price, a wage or an indicator in a currency.
func convertsFurther(rec *transform.Record) bool {
	return rec.Kind == transform.KindFuelPrice || rec.Kind == transform.KindWage ||
		rec.Kind == transform.KindIndicator && rec.Unit == transform.IndicatorUnitCurrency
}

// convertFurther adds to b.Converted the conversions of row (see convertsFurther) into the
// further reporting currencies, with the book as it is now. A conversion whose values do not
// fit is left to the reconciler, which records the failure and retries it: it returns true
// then (its date is noted in the batch for the reconciler's passes after it is written).
func (p *Processor) convertFurther(b *Batch, further []furtherConfig, row *Row) (retry bool) {
	rec := &row.Record
	var kept *transform.Record // a copy that owns its id and value, shared by the conversions
	for _, f := range further {
		d, err := transform.Normalize(rec, p.Book.ConvertRecord(f.fx, rec, time.Time{}))
		if err != nil {
			b.noteChain(rec.Date)
			retry = true
			continue
		}
		if kept == nil {
			kept = ownedRecord(rec)
		}
		b.Converted = append(b.Converted, Row{Record: *kept, Derived: d, Topic: row.Topic, Partition: row.Partition,
			Offset: row.Offset, IngestedAt: row.IngestedAt, Version: row.Version, Reporting: f.currency})
	}
	return retry
}

// ownedRecord returns a copy of rec that shares no memory a Scratch reuses: its id and its
// published value are copied (its other strings are not reused), its attributes dropped (the
// conversion tables do not hold them).
func ownedRecord(rec *transform.Record) *transform.Record {
	cp := *rec
	cp.ID = strings.Clone(rec.ID)
	cp.Attributes = nil
	for _, d := range []*transform.Decimal{&cp.Price, &cp.Amount, &cp.Rate, &cp.IndicatorValue} {
		if d.Coef != nil {
			d.Coef = new(big.Int).Set(d.Coef)
		}
	}
	return &cp
}

// keep adds to b what the row stored needs besides itself: a rate's copy (Batch.Rates), an
// observation's earlier conversions if earlier (see Processor.earlier).
func (p *Processor) keep(b *Batch, m Message, row *Row, earlier bool) {
	switch {
	case row.Record.Kind == transform.KindFXRate:
		var rec transform.Record
		if err := p.dec.DecodeIn(nil, &rec, m.Value); err != nil {
			return
		}
		rec.Finish(m.Time)
		b.Rates = append(b.Rates, Row{Record: rec, Topic: row.Topic, Partition: row.Partition, Offset: row.Offset,
			IngestedAt: row.IngestedAt, Version: row.Version})
	case earlier:
		p.earlier(b, m, row)
	}
}

// earlier adds to b.Known the earlier conversions of row, an observation converted with a rate
// published after it (RateBook.Chain, all but the last, which is row itself): what the
// reconciler would write when it re-derives the row, but stored with the batch, before its
// offsets are committed, so that a consumer killed after the commit loses none of them. The
// record is decoded again from m with storage of its own (row's lives in the scratch). A
// conversion that cannot be derived is left to the reconciler.
func (p *Processor) earlier(b *Batch, m Message, row *Row) {
	var rec transform.Record
	if err := p.dec.DecodeIn(nil, &rec, m.Value); err != nil {
		return
	}
	rec.Finish(m.Time)
	chain := p.Book.Chain(p.FX, &rec)
	for _, k := range chain[:max(len(chain)-1, 0)] {
		d, err := transform.Normalize(&rec, k.Conversion)
		if err != nil {
			return
		}
		b.Known = append(b.Known, Row{Record: rec, Derived: d, Topic: row.Topic, Partition: row.Partition, Offset: row.Offset,
			IngestedAt: row.IngestedAt, Version: row.Version})
	}
}

// noteChain adds d to the dates of the batch's observations whose earlier conversions are to
// be recorded (ChainFrom, ChainTo).
func (b *Batch) noteChain(d time.Time) {
	if b.ChainFrom.IsZero() || d.Before(b.ChainFrom) {
		b.ChainFrom = d
	}
	if b.ChainTo.IsZero() || d.After(b.ChainTo) {
		b.ChainTo = d
	}
}

// Derive converts and derives one observation with the current rate book. Process does the
// same through a ConvCache; Derive, used concurrently by the reconciler, does not.
func (p *Processor) Derive(rec *transform.Record) (transform.Derived, error) {
	conv := p.Book.ConvertRecord(p.FX, rec, time.Time{})
	return transform.Normalize(rec, conv)
}

func rejectFor(m Message, err error, now time.Time, version uint64) Reject {
	code := transform.CodeOf(err)
	reason := err.Error()
	var te *transform.Error
	if errors.As(err, &te) {
		reason = te.Reason
	}
	if code == "" {
		code = transform.CodeInvalidJSON
	}
	return Reject{Message: m, Code: code, Reason: reason, ReceivedAt: now, Version: version}
}
