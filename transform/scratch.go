package transform

import (
	"math/big"
	"math/bits"
	"time"
	"unsafe"
)

// Scratch is storage that a consumer reuses from one record to the next, so that making a row
// allocates nothing of its own: Decoder.DecodeIn keeps the record's value there, Record.FinishIn
// its id and NormalizeIn its derived values. All of them are valid only until the Scratch is used
// for the next record, so a caller copies what it keeps (the consumer encodes each row at once);
// a record or Derived that must outlive that is made with a nil *Scratch, which allocates.
type Scratch struct {
	arena fixedArena
	coef  coefBox
	id    [32]byte
}

// DecodeIn is DecodeInto with r's value (price, amount or rate), when it fits the fast path,
// stored in s instead of allocated (s nil: DecodeInto).
func (d *Decoder) DecodeIn(s *Scratch, r *Record, data []byte) error {
	d.scratch = s
	err := d.DecodeInto(r, data)
	d.scratch = nil
	return err
}

// FinishIn is Finish with the record id, when one is made, stored in s (s nil: Finish).
func (r *Record) FinishIn(s *Scratch, kafkaTime time.Time) {
	if s == nil {
		r.Finish(kafkaTime)
		return
	}
	if r.ID == "" {
		recordID(&s.id, r)
		r.ID = unsafe.String(&s.id[0], len(s.id))
	}
	r.finishPublished(kafkaTime)
}

// coefIn returns −u (neg) or u as a big.Int stored in b, as newCoef does without allocating.
func coefIn(b *coefBox, u uint64, neg bool) *big.Int {
	if bits.UintSize != 64 {
		if u == 0 {
			return new(big.Int)
		}
		return newCoef(u, neg)
	}
	if u == 0 {
		b.x = big.Int{} // as new(big.Int): no words
		return &b.x
	}
	return setCoef(b, u, neg)
}

// setTypedIn is setTyped with a decimal that fits the fast path stored in d's Scratch, if any.
func (d *Decoder) setTypedIn(r *Record, id fieldID, text []byte) error {
	if d != nil && d.scratch != nil && fieldSpecs[id].typ == tDecimal {
		if v, ok := parseDecimalFastIn(text, &d.scratch.coef); ok {
			setDecimalField(r, id, v)
			return nil
		}
	}
	return setTyped(r, id, text)
}
