package clickhouse

import (
	"bytes"
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
			var short [shortBytes]byte
			if len(e)+len(s) < shortBytes {
				short[shortBytes-1] = byte(copy(short[:], e) + copy(short[len(e):], s))
			} else {
				c.long++
			}
			c.short = append(c.short, short)
		}
		if len(c.enc) == 1 {
			// One value in the whole batch (a source, a unit, a topic…): no row's id need be
			// read, which in a scattered order is a cache miss a row.
			return appendRepeat(dst, c.enc[0], to-from)
		}
		if c.long == 0 {
			if perm != nil {
				return appendShort(dst, c.short, c.ids, perm)
			}
			return appendShortInOrder(dst, c.short, c.ids[from:to])
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
	if c.uniform(t.rows, width, nullable) {
		// The same value in every row of the batch (a publication time, a partition, NULL in
		// every price_per_kg of prices per litre…): no row need be read, which in a scattered
		// order is a cache miss a row.
		if nullable {
			dst = appendRepeat(dst, c.nulls[:1], to-from)
		}
		v := c.data[:width]
		if t.narrow[i] { // a Date32 day number as a Date's 16 bits (check made sure it fits)
			v = v[:2]
		}
		return appendRepeat(dst, v, to-from)
	}
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

// uniform reports whether the first rows of fixed-width column c hold the same value (and null
// flag) each; it compares each row with the next, once per batch.
func (c *colBuffer) uniform(rows, width int, nullable bool) bool {
	if c.uniformRows != rows+1 {
		c.isUniform = rows > 0 && bytes.Equal(c.data[width:rows*width], c.data[:(rows-1)*width]) &&
			(!nullable || bytes.Equal(c.nulls[1:rows], c.nulls[:rows-1]))
		c.uniformRows = rows + 1
	}
	return c.isUniform
}

// shortBytes is the size of a colBuffer's short values: an encoded value of up to 15 bytes and
// its length in the last byte.
const shortBytes = 16

// appendShort appends the short values of the rows in perm, each a 16-byte move whose first
// bytes are kept: a copy call per value cost more than the value.
func appendShort(dst []byte, short [][shortBytes]byte, ids []uint32, perm []int32) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(perm)*shortBytes)
	out, o := dst[n:n+len(perm)*shortBytes], 0
	for _, p := range perm {
		v := &short[ids[p]]
		*(*[shortBytes]byte)(out[o:]) = *v
		o += int(v[shortBytes-1])
	}
	return dst[:n+o]
}

// appendShortInOrder is appendShort for rows in the order added.
func appendShortInOrder(dst []byte, short [][shortBytes]byte, ids []uint32) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(ids)*shortBytes)
	out, o := dst[n:n+len(ids)*shortBytes], 0
	for _, id := range ids {
		v := &short[id]
		*(*[shortBytes]byte)(out[o:]) = *v
		o += int(v[shortBytes-1])
	}
	return dst[:n+o]
}

// appendRepeat appends n copies of v, doubling what it has copied.
func appendRepeat(dst, v []byte, n int) []byte {
	start, total := len(dst), len(v)*n
	dst = slices.Grow(dst, total)
	if n > 0 {
		dst = append(dst, v...)
	}
	for done := len(v); done < total; done = len(dst) - start {
		dst = append(dst, dst[start:start+min(done, total-done)]...)
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
