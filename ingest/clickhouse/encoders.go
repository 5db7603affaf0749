package clickhouse

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"time"
	"unsafe"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

// encode appends r's values to the table's columns, one per column, each taken from the Row field
// the table declares for it (see columns.go). On error, some values may have been appended (add
// truncates them); the error is that of the first column, in the table's order, that cannot hold
// its value.
//
// The columns are encoded by kind, a loop per kind (see encodePlan): a row then costs a few
// instructions per column besides its value's, as hand-written code per table did.
func (t *tableBuffer) encode(r *ingest.Row) error {
	row, e := unsafe.Pointer(r), &t.spec.plan
	for _, s := range e.strings {
		v := *(*string)(unsafe.Add(row, s.field))
		c := &t.cols[s.col]
		if c.index == nil {
			t.str(s.col, v)
			continue
		}
		// Most values are the previous row's, often the very same string (see str): that case
		// is taken here, without a call.
		if len(c.ids) > 0 {
			last := c.ids[len(c.ids)-1]
			if d := c.dict[last]; len(d) == len(v) && unsafe.StringData(d) == unsafe.StringData(v) {
				c.ids = append(c.ids, last)
				continue
			}
		}
		// In publishers' order each row's series differs from the previous row's; its values are
		// still strings seen before (the decoder interns short values), found by their address
		// without hashing their bytes (see byAddr).
		slot := addrSlot(v)
		if id := c.byAddr[slot]; id != 0 {
			if d := c.dict[id-1]; len(d) == len(v) && unsafe.StringData(d) == unsafe.StringData(v) {
				c.ids = append(c.ids, id-1)
				continue
			}
		}
		t.str(s.col, v)
		c.byAddr[slot] = c.ids[len(c.ids)-1] + 1
	}
	for _, s := range e.attributes {
		t.str(s.col, attributesJSON(*(*map[string]string)(unsafe.Add(row, s.field))))
	}
	for _, s := range e.int8s {
		t.int8(s.col, int8(*(*int)(unsafe.Add(row, s.field))))
	}
	for _, s := range e.flags {
		t.int8(s.col, int8(b2u8(*(*bool)(unsafe.Add(row, s.field)))))
	}
	for _, s := range e.int32s {
		t.int32(s.col, int32(*(*int)(unsafe.Add(row, s.field))))
	}
	for _, s := range e.int64s {
		t.int64(s.col, *(*int64)(unsafe.Add(row, s.field)))
	}
	for _, s := range e.unsigned {
		t.uint64(s.col, uint64(*(*int64)(unsafe.Add(row, s.field))))
	}
	for _, s := range e.uint64s {
		t.uint64(s.col, *(*uint64)(unsafe.Add(row, s.field)))
	}
	// The kinds whose values may not fit: each loop stops at its first failure.
	var fail firstFailure
	for _, s := range e.decimals {
		if err := t.decimal(s.col, t.spec.columns[s.col].name, *(*transform.Decimal)(unsafe.Add(row, s.field))); err != nil {
			fail.note(s.col, err)
			break
		}
	}
	for _, s := range e.derived {
		if err := t.fixed(s.col, t.spec.columns[s.col].name, *(**big.Int)(unsafe.Add(row, s.field))); err != nil {
			fail.note(s.col, err)
			break
		}
	}
	for _, s := range e.dates {
		if err := t.date(s.col, *(*time.Time)(unsafe.Add(row, s.field))); err != nil {
			fail.note(s.col, err)
			break
		}
	}
	for _, s := range e.optDates {
		if err := t.optDate(s.col, *(*time.Time)(unsafe.Add(row, s.field))); err != nil {
			fail.note(s.col, err)
			break
		}
	}
	for _, s := range e.dateTimes {
		if err := t.dateTime(s.col, *(*time.Time)(unsafe.Add(row, s.field))); err != nil {
			fail.note(s.col, err)
			break
		}
	}
	for _, s := range e.nanos {
		c := &t.cols[s.col]
		c.data = binary.LittleEndian.AppendUint32(c.data, uint32((*(*time.Time)(unsafe.Add(row, s.field))).Nanosecond()))
	}
	return fail.err
}

// addrSlot returns the slot of a dictionary column's byAddr for a value at v's address.
func addrSlot(v string) uint32 {
	return uint32(uint64(uintptr(unsafe.Pointer(unsafe.StringData(v)))) * 0x9E3779B97F4A7C15 >> (64 - addrSlotBits))
}

// addrSlotBits sizes a dictionary column's byAddr: 1,024 slots, 4 KB.
const addrSlotBits = 10

// firstFailure keeps the error of the first column, in table order, that failed.
type firstFailure struct {
	col int
	err error
}

func (f *firstFailure) note(col int, err error) {
	if f.err == nil || col < f.col {
		f.col, f.err = col, err
	}
}

// encodePlan is a table's columns grouped by value kind, in table order within each kind: what
// encode loops over.
type encodePlan struct {
	strings, attributes, int8s, flags, int32s, int64s, unsigned, uint64s []encodeStep
	decimals, derived, dates, optDates, dateTimes, nanos                 []encodeStep
}

// An encodeStep is a column and where its field is in an ingest.Row.
type encodeStep struct {
	col   int
	field uintptr
}

// newEncodePlan groups columns by kind.
func newEncodePlan(columns []columnSpec) encodePlan {
	var p encodePlan
	kinds := map[valueKind]*[]encodeStep{vString: &p.strings, vAttributes: &p.attributes, vInt8: &p.int8s, vFlag: &p.flags,
		vInt32: &p.int32s, vInt64: &p.int64s, vUnsigned: &p.unsigned, vUInt64: &p.uint64s, vDecimal: &p.decimals,
		vDerived: &p.derived, vDate: &p.dates, vOptDate: &p.optDates, vDateTime: &p.dateTimes,
		vNanos: &p.nanos}
	for i, c := range columns {
		steps, ok := kinds[c.value]
		if !ok {
			panic("clickhouse: column " + c.name + " of a kind encode does not know") // a bug
		}
		*steps = append(*steps, encodeStep{col: i, field: c.field})
	}
	return p
}

// b2u8 is 1 for true, 0 for false.
func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
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

// date appends a Date's day number, as Date32 holds it (see dateLimits), of d's calendar date
// in UTC.
func (t *tableBuffer) date(i int, d time.Time) error {
	var days int32 // the zero time: 1970-01-01, as before dates were checked (never a record's)
	if !d.IsZero() {
		var err error
		if days, err = t.dates.dayNumber(t.spec.columns[i].name, d); err != nil {
			return err
		}
	}
	c := &t.cols[i]
	c.data = binary.LittleEndian.AppendUint32(c.data, uint32(days))
	return nil
}

// optDate appends a Nullable(Date); the zero time is NULL.
func (t *tableBuffer) optDate(i int, d time.Time) error {
	var days int32
	null := byte(1)
	if !d.IsZero() {
		var err error
		if days, err = t.dates.dayNumber(t.spec.columns[i].name, d); err != nil {
			return err
		}
		null = 0
	}
	c := &t.cols[i]
	c.nulls = append(c.nulls, null)
	c.data = binary.LittleEndian.AppendUint32(c.data, uint32(days))
	return nil
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
