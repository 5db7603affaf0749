package clickhouse

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

// check returns an error unless the server's columns of an insert, cols, are the table's in
// name, order and type, and every column holds the table's rows.
func (t *tableBuffer) check(cols []column.Interface) error {
	if len(cols) != len(t.cols) {
		return fmt.Errorf("insert into %s: the server expects %d columns, econflow sends %d", t.spec.table, len(cols), len(t.cols))
	}
	if len(t.perm) > 0 && len(t.perm) != t.rows {
		return fmt.Errorf("insert into %s: an order of %d rows for %d rows", t.spec.table, len(t.perm), t.rows) // a bug
	}
	for i, col := range cols {
		want, c := t.spec.columns[i], &t.cols[i]
		if col.Name() != want.name {
			return fmt.Errorf("insert into %s: column %d is %s on the server, econflow writes %s", t.spec.table, i+1, col.Name(), want.name)
		}
		got := colType(col.Type())
		t.narrow[i] = got == tDate || got == tNullDate
		if wide := want.typ == tDate && got == tDate32 || want.typ == tNullDate && got == tNullDate32; got != want.typ && !wide {
			return fmt.Errorf("insert into %s: column %s is %s on the server, econflow writes %s (run econflow migrate?)",
				t.spec.table, want.name, got, want.typ)
		}
		if want.typ == tString {
			if n := max(len(c.ends), len(c.ids)); n != t.rows {
				return fmt.Errorf("insert into %s: column %s holds %d values for %d rows", t.spec.table, want.name, n, t.rows) // a bug
			}
			continue
		}
		width, nullable := want.typ.width()
		if len(c.data) != width*t.rows || nullable && len(c.nulls) != t.rows || !nullable && len(c.nulls) != 0 {
			return fmt.Errorf("insert into %s: column %s holds %d+%d bytes for %d rows of %s", t.spec.table, want.name,
				len(c.nulls), len(c.data), t.rows, want.typ) // a bug
		}
		if t.narrow[i] && t.dates.wide {
			// Rows checked against Date32's limits, for a Date column: the tables of the
			// database disagree (fuel_prices_data has Date32, see LearnDates).
			for r := range t.rows {
				if d := int32(binary.LittleEndian.Uint32(c.data[4*r:])); d < 0 || d > 0xffff {
					return fmt.Errorf("insert into %s: column %s is Date on the server, which cannot store %s (the database's other tables have Date32)",
						t.spec.table, want.name, dayText(d))
				}
			}
		}
	}
	return nil
}

// appendNative appends rows [from, to) of column i, in the order set by order if it ran, to dst
// in ClickHouse's native layout: a null map before the values of a nullable column, fixed-width
// values little-endian, strings each as a varint length and its bytes.
func (t *tableBuffer) appendNative(dst []byte, i, from, to int) []byte {
	c, typ := &t.cols[i], t.spec.columns[i].typ
	var perm []int32
	if len(t.perm) > 0 {
		perm = t.perm[from:to]
	}
	switch {
	case c.index != nil:
		// Each distinct value is encoded once per batch, then copied per row.
		for _, s := range c.dict[len(c.enc):] {
			e := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen32+len(s)), uint64(len(s)))
			c.enc = append(c.enc, append(e, s...))
		}
		if perm != nil {
			for _, p := range perm {
				dst = append(dst, c.enc[c.ids[p]]...)
			}
		} else {
			for _, id := range c.ids[from:to] {
				dst = append(dst, c.enc[id]...)
			}
		}
		return dst
	case typ == tString:
		if perm != nil {
			for _, p := range perm {
				v := c.value(int(p))
				dst = append(binary.AppendUvarint(dst, uint64(len(v))), v...)
			}
		} else {
			for r := from; r < to; r++ {
				v := c.value(r)
				dst = append(binary.AppendUvarint(dst, uint64(len(v))), v...)
			}
		}
		return dst
	}
	width, nullable := typ.width()
	if nullable {
		if perm != nil {
			dst = appendGather(dst, c.nulls, perm, 1)
		} else {
			dst = append(dst, c.nulls[from:to]...)
		}
	}
	if t.narrow[i] {
		return appendNarrowDates(dst, c.data, perm, from, to)
	}
	if perm != nil {
		return appendGather(dst, c.data, perm, width)
	}
	return append(dst, c.data[from*width:to*width]...)
}

// appendNarrowDates appends Date values (unsigned 16-bit day numbers) of the Date32 values in
// src at the positions in perm, or [from, to) without perm. check has made sure they fit.
func appendNarrowDates(dst, src []byte, perm []int32, from, to int) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*(to-from))[:n+2*(to-from)]
	out := dst[n:]
	if perm == nil {
		for i := range to - from {
			*(*[2]byte)(out[2*i:]) = [2]byte(src[4*(from+i):])
		}
		return dst
	}
	for i, p := range perm {
		*(*[2]byte)(out[2*i:]) = [2]byte(src[4*int(p):])
	}
	return dst
}

// appendGather appends the width-byte values of src at the positions in perm, in that order.
// Each width has its own loop of fixed-size moves: a copy call per value cost more than the
// value.
func appendGather(dst, src []byte, perm []int32, width int) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(perm)*width)[:n+len(perm)*width]
	out := dst[n:]
	switch width {
	case 16:
		for i, p := range perm {
			*(*[16]byte)(out[16*i:]) = [16]byte(src[16*int(p):])
		}
	case 8:
		for i, p := range perm {
			*(*[8]byte)(out[8*i:]) = [8]byte(src[8*int(p):])
		}
	case 4:
		for i, p := range perm {
			*(*[4]byte)(out[4*i:]) = [4]byte(src[4*int(p):])
		}
	case 2:
		for i, p := range perm {
			*(*[2]byte)(out[2*i:]) = [2]byte(src[2*int(p):])
		}
	case 1:
		for i, p := range perm {
			out[i] = src[p]
		}
	default:
		for i, p := range perm {
			copy(out[width*i:width*(i+1)], src[width*int(p):])
		}
	}
	return dst
}
