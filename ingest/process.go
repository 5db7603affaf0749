package ingest

import (
	"errors"
	"time"

	"github.com/econflow/econflow/transform"
)

// Processor turns Kafka messages into a Batch: decode, validate, apply transport defaults,
// learn rates, convert and derive. It holds the consumer's RateBook; it does no I/O.
type Processor struct {
	Book *transform.RateBook
	FX   transform.FXConfig

	records []transform.Record // scratch of Process, reused between batches
	ok      []bool
	dec     transform.Decoder
}

// NewProcessor returns a Processor with an empty rate book.
func NewProcessor(fx transform.FXConfig) *Processor {
	return &Processor{Book: transform.NewRateBook(), FX: fx}
}

// Process decodes msgs into a batch. Rates in the batch are added to the book before any
// observation is converted, so a price and its rate in one batch convert at once. It reports
// whether the book changed, i.e. whether stored observations may need re-conversion.
// version is the write version of the batch's first row; later rows get later versions.
// Process is not safe for concurrent use (Derive is).
func (p *Processor) Process(msgs []Message, now time.Time, version uint64) (b *Batch, ratesChanged bool) {
	b = &Batch{}
	if cap(p.records) < len(msgs) {
		p.records, p.ok = make([]transform.Record, len(msgs)), make([]bool, len(msgs))
	}
	records, ok := p.records[:len(msgs)], p.ok[:len(msgs)]
	defer clear(records) // drop references to this batch's strings and decimals
	var kinds [3]int
	for i := range msgs {
		ok[i] = false
		rec, err := p.dec.Decode(msgs[i].Value)
		if err != nil {
			b.Rejects = append(b.Rejects, rejectFor(msgs[i], err, now))
			continue
		}
		rec.Finish(msgs[i].Time)
		records[i], ok[i] = rec, true
		switch rec.Kind {
		case transform.KindFuelPrice:
			kinds[0]++
		case transform.KindWage:
			kinds[1]++
		case transform.KindFXRate:
			kinds[2]++
			if p.Book.Add(transform.RateFromRecord(&rec)) {
				ratesChanged = true
			}
		}
	}
	b.FuelPrices, b.Wages, b.FXRates = make([]Row, 0, kinds[0]), make([]Row, 0, kinds[1]), make([]Row, 0, kinds[2])
	for i := range msgs {
		if !ok[i] {
			continue
		}
		rec := &records[i]
		row := Row{Record: *rec, Topic: msgs[i].Topic, Partition: msgs[i].Partition, Offset: msgs[i].Offset,
			IngestedAt: now, Version: version + uint64(i)}
		switch rec.Kind {
		case transform.KindFXRate:
			b.FXRates = append(b.FXRates, row)
		default:
			d, err := p.Derive(rec)
			if err != nil {
				b.Rejects = append(b.Rejects, rejectFor(msgs[i], err, now))
				continue
			}
			row.Derived = d
			if rec.Kind == transform.KindFuelPrice {
				b.FuelPrices = append(b.FuelPrices, row)
			} else {
				b.Wages = append(b.Wages, row)
			}
		}
	}
	return b, ratesChanged
}

// Derive converts and derives one observation with the current rate book.
func (p *Processor) Derive(rec *transform.Record) (transform.Derived, error) {
	conv := p.Book.Convert(p.FX, rec.Currency, rec.Date)
	return transform.Normalize(rec, conv)
}

func rejectFor(m Message, err error, now time.Time) Reject {
	code := transform.CodeOf(err)
	reason := err.Error()
	var te *transform.Error
	if errors.As(err, &te) {
		reason = te.Reason
	}
	if code == "" {
		code = transform.CodeInvalidJSON
	}
	return Reject{Message: m, Code: code, Reason: reason, ReceivedAt: now}
}
