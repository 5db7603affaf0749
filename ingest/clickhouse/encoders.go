package clickhouse

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

// encode appends r's values to the table's columns, one per column, each taken from the Row field
// the table declares for it (see columns.go). It stops at the first value the column cannot hold.
func (t *tableBuffer) encode(r *ingest.Row) error {
	for i := range t.spec.columns {
		c := &t.spec.columns[i]
		f := c.fieldOf(r)
		var err error
		switch c.value {
		case vString:
			t.str(i, *(*string)(f))
		case vAttributes:
			t.str(i, attributesJSON(*(*map[string]string)(f)))
		case vDecimal:
			err = t.decimal(i, c.name, *(*transform.Decimal)(f))
		case vDerived:
			err = t.fixed(i, c.name, *(**big.Int)(f))
		case vDate:
			err = t.date(i, *(*time.Time)(f))
		case vOptDate:
			err = t.optDate(i, *(*time.Time)(f))
		case vDateTime:
			err = t.dateTime(i, *(*time.Time)(f))
		case vInt8:
			t.int8(i, int8(*(*int)(f)))
		case vInt32:
			t.int32(i, int32(*(*int)(f)))
		case vInt64:
			t.int64(i, *(*int64)(f))
		case vUnsigned:
			t.uint64(i, uint64(*(*int64)(f)))
		case vUInt64:
			t.uint64(i, *(*uint64)(f))
		default:
			err = fmt.Errorf("%s: column %s of unknown kind %d", t.spec.table, c.name, c.value) // a bug
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// The appenders add one value to column i.

// str appends a String: to the column's dictionary, or its bytes for a column of unique values.
func (t *tableBuffer) str(i int, s string) {
	c := &t.cols[i]
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
		c.data = grow(t.mem, t.slot(i, slotData), c.data, len(s))
	}
	c.data = append(c.data, s...)
	c.ends = append(c.ends, uint32(len(c.data)))
}

func (t *tableBuffer) int8(i int, v int8) { c := &t.cols[i]; c.data = append(c.data, byte(v)) }
func (t *tableBuffer) int32(i int, v int32) {
	c := &t.cols[i]
	c.data = binary.LittleEndian.AppendUint32(c.data, uint32(v))
}
func (t *tableBuffer) int64(i int, v int64) {
	c := &t.cols[i]
	c.data = binary.LittleEndian.AppendUint64(c.data, uint64(v))
}
func (t *tableBuffer) uint64(i int, v uint64) {
	c := &t.cols[i]
	c.data = binary.LittleEndian.AppendUint64(c.data, v)
}

// date appends a Date: days since 1970-01-01 of d's calendar date in UTC.
func (t *tableBuffer) date(i int, d time.Time) error {
	days, err := dayNumber(d)
	if err != nil {
		return err
	}
	c := &t.cols[i]
	c.data = binary.LittleEndian.AppendUint16(c.data, days)
	return nil
}

// optDate appends a Nullable(Date); the zero time is NULL.
func (t *tableBuffer) optDate(i int, d time.Time) error {
	var days uint16
	null := byte(1)
	if !d.IsZero() {
		var err error
		if days, err = dayNumber(d); err != nil {
			return err
		}
		null = 0
	}
	c := &t.cols[i]
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
func (t *tableBuffer) dateTime(i int, d time.Time) error {
	var s int64
	if !d.IsZero() {
		s = d.Unix()
		if s < 0 || s > 0xffffffff {
			return fmt.Errorf("time %s is outside what ClickHouse's DateTime stores", d.Format(time.RFC3339))
		}
	}
	c := &t.cols[i]
	c.data = binary.LittleEndian.AppendUint32(c.data, uint32(s))
	return nil
}

// decimal appends d as Decimal(38, 18).
func (t *tableBuffer) decimal(i int, name string, d transform.Decimal) error {
	lo, hi, ok := d.Fixed18Int128()
	if !ok {
		if d.Scale < 0 || d.Scale > transform.MaxScale {
			return fmt.Errorf("%s: %s has scale %d, not 0…18", name, d, d.Scale)
		}
		return fmt.Errorf("%s: %s does not fit Decimal(38, 18)", name, d)
	}
	c := &t.cols[i]
	c.data = binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(c.data, lo), hi)
	return nil
}

// fixed appends x, an integer scaled by 10^18, as Nullable(Decimal(38, 18)); nil is NULL.
func (t *tableBuffer) fixed(i int, name string, x *big.Int) error {
	var lo, hi uint64
	null := byte(1)
	if x != nil {
		var ok bool
		if lo, hi, ok = transform.Fixed18Int128(x); !ok {
			return fmt.Errorf("%s: %s×10^-18 does not fit Decimal(38, 18)", name, x)
		}
		null = 0
	}
	c := &t.cols[i]
	c.nulls = append(c.nulls, null)
	c.data = binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(c.data, lo), hi)
	return nil
}

// attributesJSON is the text of an attributes column: JSON with sorted keys, "" when empty.
func attributesJSON(a map[string]string) string {
	if len(a) == 0 {
		return ""
	}
	b, err := json.Marshal(a) // keys sorted: the same attributes give the same text
	if err != nil {
		return ""
	}
	return string(b)
}
