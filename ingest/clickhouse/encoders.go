package clickhouse

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

func (t *tableBuffer) col() *colBuffer {
	c := &t.cols[t.next]
	t.next++
	return c
}

func (t *tableBuffer) str(s string) {
	c := t.col()
	if c.index != nil {
		// Rows of a series come together: most values are the previous row's, often the very
		// same string (the decoder reuses them), which == finds at once.
		if n := len(c.ids); n > 0 {
			if last := c.ids[n-1]; c.dict[last] == s {
				c.ids = append(c.ids, last)
				return
			}
		}
		id, ok := c.index[s]
		if !ok {
			id = uint32(len(c.dict))
			c.dict = append(c.dict, s)
			c.index[s] = id
		}
		c.ids = append(c.ids, id)
		return
	}
	if cap(c.data)-len(c.data) < len(s) {
		c.data = grow(t.mem, t.slot(t.next-1, slotData), c.data, len(s))
	}
	c.data = append(c.data, s...)
	c.ends = append(c.ends, uint32(len(c.data)))
}

func (t *tableBuffer) int8(v int8) { c := t.col(); c.data = append(c.data, byte(v)) }
func (t *tableBuffer) int32(v int32) {
	c := t.col()
	c.data = binary.LittleEndian.AppendUint32(c.data, uint32(v))
}
func (t *tableBuffer) int64(v int64) {
	c := t.col()
	c.data = binary.LittleEndian.AppendUint64(c.data, uint64(v))
}
func (t *tableBuffer) uint64(v uint64) {
	c := t.col()
	c.data = binary.LittleEndian.AppendUint64(c.data, v)
}

// date appends a Date: days since 1970-01-01 of d's calendar date in UTC.
func (t *tableBuffer) date(d time.Time) error {
	days, err := dayNumber(d)
	if err != nil {
		return err
	}
	c := t.col()
	c.data = binary.LittleEndian.AppendUint16(c.data, days)
	return nil
}

// optDate appends a Nullable(Date); the zero time is NULL.
func (t *tableBuffer) optDate(d time.Time) error {
	var days uint16
	null := byte(1)
	if !d.IsZero() {
		var err error
		if days, err = dayNumber(d); err != nil {
			return err
		}
		null = 0
	}
	c := t.col()
	c.nulls = append(c.nulls, null)
	c.data = binary.LittleEndian.AppendUint16(c.data, days)
	return nil
}

func dayNumber(d time.Time) (uint16, error) {
	if d.IsZero() {
		return 0, nil
	}
	s := d.Unix()
	if s < 0 || s/86400 > 0xffff {
		return 0, fmt.Errorf("date %s is outside what ClickHouse's Date stores", d.Format(time.DateOnly))
	}
	return uint16(s / 86400), nil
}

// dateTime appends a DateTime: seconds since the epoch; the zero time is 0, as in clickhouse-go.
func (t *tableBuffer) dateTime(d time.Time) error {
	var s int64
	if !d.IsZero() {
		s = d.Unix()
		if s < 0 || s > 0xffffffff {
			return fmt.Errorf("time %s is outside what ClickHouse's DateTime stores", d.Format(time.RFC3339))
		}
	}
	c := t.col()
	c.data = binary.LittleEndian.AppendUint32(c.data, uint32(s))
	return nil
}

// decimal appends d as Decimal(38, 18).
func (t *tableBuffer) decimal(name string, d transform.Decimal) error {
	lo, hi, ok := d.Fixed18Int128()
	if !ok {
		if d.Scale < 0 || d.Scale > transform.MaxScale {
			return fmt.Errorf("%s: %s has scale %d, not 0…18", name, d, d.Scale)
		}
		return fmt.Errorf("%s: %s does not fit Decimal(38, 18)", name, d)
	}
	c := t.col()
	c.data = binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(c.data, lo), hi)
	return nil
}

// fixed appends x, an integer scaled by 10^18, as Nullable(Decimal(38, 18)); nil is NULL.
func (t *tableBuffer) fixed(name string, x *big.Int) error {
	var lo, hi uint64
	null := byte(1)
	if x != nil {
		var ok bool
		if lo, hi, ok = transform.Fixed18Int128(x); !ok {
			return fmt.Errorf("%s: %s×10^-18 does not fit Decimal(38, 18)", name, x)
		}
		null = 0
	}
	c := t.col()
	c.nulls = append(c.nulls, null)
	c.data = binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(c.data, lo), hi)
	return nil
}

func encodeSource(t *tableBuffer, r *ingest.Row) error {
	t.str(r.Topic)
	t.int32(int32(r.Partition))
	t.int64(r.Offset)
	if err := t.dateTime(r.IngestedAt); err != nil {
		return err
	}
	t.uint64(r.Version)
	return nil
}

func encodeDerivedTail(t *tableBuffer, r *ingest.Row) error {
	d := &r.Derived
	if err := t.fixed("fx_rate", d.FXRate); err != nil {
		return err
	}
	if err := t.optDate(d.FXDate); err != nil {
		return err
	}
	t.str(d.FXPath)
	t.str(d.FXStatus)
	t.str(r.Record.Status)
	t.str(attributesJSON(r.Record.Attributes))
	t.str(r.Record.ID)
	return nil
}

// dateAndPublished appends date and published_at.
func dateAndPublished(t *tableBuffer, rec *transform.Record) error {
	if err := t.date(rec.Date); err != nil {
		return err
	}
	return t.dateTime(rec.PublishedAt)
}

func encodeFuelRow(t *tableBuffer, r *ingest.Row) error {
	rec, d := &r.Record, &r.Derived
	t.str(rec.Source)
	t.str(rec.Country)
	t.str(rec.Region)
	t.str(rec.Product)
	t.str(rec.TaxBasis)
	t.str(rec.Currency)
	t.str(rec.Unit)
	t.str(rec.Frequency)
	if err := dateAndPublished(t, rec); err != nil {
		return err
	}
	if err := t.decimal("price", rec.Price); err != nil {
		return err
	}
	t.int8(int8(rec.UnitMult))
	for _, f := range [...]struct {
		name string
		x    *big.Int
	}{{"price_per_litre", d.PricePerLitre}, {"price_per_kg", d.PricePerKg}, {"price_eur", d.PriceEUR},
		{"price_per_litre_eur", d.PricePerLitreEUR}, {"price_per_kg_eur", d.PricePerKgEUR}} {
		if err := t.fixed(f.name, f.x); err != nil {
			return err
		}
	}
	if err := encodeDerivedTail(t, r); err != nil {
		return err
	}
	return encodeSource(t, r)
}

func encodeWageRow(t *tableBuffer, r *ingest.Row) error {
	rec, d := &r.Record, &r.Derived
	t.str(rec.Source)
	t.str(rec.Country)
	t.str(rec.Region)
	t.str(rec.Measure)
	t.str(rec.Basis)
	t.str(rec.Per)
	t.str(rec.Currency)
	t.str(rec.Frequency)
	if err := dateAndPublished(t, rec); err != nil {
		return err
	}
	if err := t.decimal("amount", rec.Amount); err != nil {
		return err
	}
	t.int8(int8(rec.UnitMult))
	for _, f := range [...]struct {
		name string
		x    *big.Int
	}{{"amount_eur", d.AmountEUR}, {"monthly_amount", d.MonthlyAmount}, {"monthly_amount_eur", d.MonthlyAmountEUR}} {
		if err := t.fixed(f.name, f.x); err != nil {
			return err
		}
	}
	if err := encodeDerivedTail(t, r); err != nil {
		return err
	}
	return encodeSource(t, r)
}

func encodeFXRow(t *tableBuffer, r *ingest.Row) error {
	rec := &r.Record
	t.str(rec.Source)
	t.str(rec.Base)
	t.str(rec.Quote)
	t.str(rec.RateType)
	t.str(rec.Frequency)
	if err := dateAndPublished(t, rec); err != nil {
		return err
	}
	if err := t.decimal("rate", rec.Rate); err != nil {
		return err
	}
	t.uint64(uint64(rec.Quantity))
	t.int8(int8(rec.UnitMult))
	t.str(rec.Status)
	t.str(attributesJSON(rec.Attributes))
	t.str(rec.ID)
	return encodeSource(t, r)
}
