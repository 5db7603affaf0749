package clickhouse

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

// A rowBuffer holds the rows of one batch as ClickHouse column data, appended row by row as the
// batch is processed: every column but the strings in ClickHouse's native binary layout
// (little-endian integers, Decimal128, a null map before nullable values); strings as an index
// into the column's dictionary of the batch's distinct values, except record_id, kept as bytes
// with end offsets. A price row costs about 240 bytes, all of it in memory outside the Go heap
// (see arena), so a batch of 200,000 rows is some 48 MB that the garbage collector neither scans
// nor counts, where Row values and per-column Go slices cost several KB a row. At insert each
// column's rows are written in native layout (appendNative) straight into clickhouse-go's send
// buffer (see attach), with no per-value conversion or allocation.
type rowBuffer struct {
	tables [3]tableBuffer // fx_rates_data, fuel_prices_data, wages_data: the order of insertion
	pool   *bufferPool
}

// bufferPool keeps released row buffers with their memory for the next batches. Unlike a
// sync.Pool it is not emptied by garbage collections, which come often during a drain: the
// consumer needs only two or three buffers, over and over.
type bufferPool struct {
	mu   sync.Mutex
	free []*rowBuffer
}

// maxFreeBuffers bounds the buffers kept: one being filled, one being written, one spare.
const maxFreeBuffers = 3

func (p *bufferPool) get() *rowBuffer {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b
	}
	return newRowBuffer(p)
}

func (p *bufferPool) put(b *rowBuffer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < maxFreeBuffers {
		p.free = append(p.free, b)
		return
	}
	b.free()
}

var _ ingest.RowBuffer = (*rowBuffer)(nil)

// A colType is the ClickHouse type of a column, as the server names it.
type colType string

const (
	tString      colType = "String"
	tDecimal     colType = "Decimal(38, 18)"
	tNullDecimal colType = "Nullable(Decimal(38, 18))"
	tDate        colType = "Date"
	tNullDate    colType = "Nullable(Date)"
	tDateTime    colType = "DateTime('UTC')"
	tInt8        colType = "Int8"
	tInt32       colType = "Int32"
	tInt64       colType = "Int64"
	tUInt64      colType = "UInt64"
)

type columnSpec struct {
	name string
	typ  colType
}

// tableSpec is a data table's columns in insert order, with the function that appends a row.
type tableSpec struct {
	table   string
	columns []columnSpec
	names   []string
	// key is the table's sorting key (its ORDER BY in schemas/migrations), as indexes into
	// columns.
	key    []int
	encode func(w *tableBuffer, r *ingest.Row) error
}

func spec(table string, key []string, encode func(*tableBuffer, *ingest.Row) error, cols ...columnSpec) *tableSpec {
	s := &tableSpec{table: table, columns: cols, encode: encode}
	for _, c := range cols {
		s.names = append(s.names, c.name)
	}
	for _, k := range key {
		i := slices.Index(s.names, k)
		if i < 0 || cols[i].typ != tString && cols[i].typ != tDate && cols[i].typ != tDateTime || rawStrings[k] {
			panic("clickhouse: sorting key column " + k + " of " + table + " is not a dictionary String, Date or DateTime column")
		}
		s.key = append(s.key, i)
	}
	return s
}

func c(name string, t colType) columnSpec { return columnSpec{name, t} }

var (
	sourceColumns = []columnSpec{c("kafka_topic", tString), c("kafka_partition", tInt32), c("kafka_offset", tInt64),
		c("ingested_at", tDateTime), c("_version", tUInt64)}
	derivedTailColumns = []columnSpec{c("fx_rate", tNullDecimal), c("fx_date", tNullDate), c("fx_path", tString),
		c("fx_status", tString), c("status", tString), c("attributes", tString), c("record_id", tString)}

	fxSpec = spec("fx_rates_data", []string{"base", "quote", "rate_type", "source", "frequency", "date", "published_at"},
		encodeFXRow, append([]columnSpec{
			c("source", tString), c("base", tString), c("quote", tString), c("rate_type", tString),
			c("frequency", tString), c("date", tDate), c("published_at", tDateTime), c("rate", tDecimal),
			c("quantity", tUInt64), c("unit_mult", tInt8), c("status", tString), c("attributes", tString),
			c("record_id", tString)}, sourceColumns...)...)
	fuelSpec = spec("fuel_prices_data", []string{"country", "region", "product", "tax_basis", "currency", "unit",
		"source", "frequency", "date", "published_at"}, encodeFuelRow, concat([]columnSpec{
		c("source", tString), c("country", tString), c("region", tString), c("product", tString),
		c("tax_basis", tString), c("currency", tString), c("unit", tString), c("frequency", tString),
		c("date", tDate), c("published_at", tDateTime), c("price", tDecimal), c("unit_mult", tInt8),
		c("price_per_litre", tNullDecimal), c("price_per_kg", tNullDecimal), c("price_eur", tNullDecimal),
		c("price_per_litre_eur", tNullDecimal), c("price_per_kg_eur", tNullDecimal)},
		derivedTailColumns, sourceColumns)...)
	wageSpec = spec("wages_data", []string{"country", "region", "measure", "basis", "per", "currency", "source",
		"frequency", "date", "published_at"}, encodeWageRow, concat([]columnSpec{
		c("source", tString), c("country", tString), c("region", tString), c("measure", tString),
		c("basis", tString), c("per", tString), c("currency", tString), c("frequency", tString),
		c("date", tDate), c("published_at", tDateTime), c("amount", tDecimal), c("unit_mult", tInt8),
		c("amount_eur", tNullDecimal), c("monthly_amount", tNullDecimal), c("monthly_amount_eur", tNullDecimal)},
		derivedTailColumns, sourceColumns)...)

	// fuelColumns and wageColumns are the data tables' columns in the order Observations reads them.
	fuelColumns = fuelSpec.names
	wageColumns = wageSpec.names
)

func concat(lists ...[]columnSpec) []columnSpec {
	var out []columnSpec
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// tableBuffer is one table's columns. Row encoders append one value per column, in order; next
// is the column the next value goes to.
type tableBuffer struct {
	spec *tableSpec
	cols []colBuffer
	rows int
	next int
	// perm, when not empty, is the order in which inserts send the rows (see order); ordered
	// says whether order has run since the last change.
	perm    []int32
	ordered bool
	// scratch of order
	keys   []packedKey
	merged []packedKey
	runs   []int
	ranks  []uint32
	// mem holds the columns' data, perm and the order's scratch (see arena), with room for
	// capRows rows in every column of fixed width per row.
	mem     *arena
	capRows int
}

// Slots of a table buffer's arena: four per column, then the order's.
const (
	slotData = iota
	slotNulls
	slotEnds
	slotIDs
	slotsPerColumn
)

func (t *tableBuffer) slot(col, kind int) int { return col*slotsPerColumn + kind }

// The order's slots, after the columns'.
func (t *tableBuffer) permSlot() int   { return len(t.cols) * slotsPerColumn }
func (t *tableBuffer) keysSlot() int   { return len(t.cols)*slotsPerColumn + 1 }
func (t *tableBuffer) mergedSlot() int { return len(t.cols)*slotsPerColumn + 2 }
func (t *tableBuffer) ranksSlot() int  { return len(t.cols)*slotsPerColumn + 3 }

// reserve makes room for at least as many rows again as the buffer holds (4,096 at first) in
// every column, so that appending a row's values moves no memory. A raw string column's bytes
// grow as values come (see str).
func (t *tableBuffer) reserve() {
	n := max(2*t.capRows, t.rows+1, 4096)
	more := n - t.rows
	for i := range t.cols {
		c := &t.cols[i]
		typ := t.spec.columns[i].typ
		switch {
		case c.index != nil:
			c.ids = grow(t.mem, t.slot(i, slotIDs), c.ids, more)
		case typ == tString:
			c.ends = grow(t.mem, t.slot(i, slotEnds), c.ends, more)
			c.data = grow(t.mem, t.slot(i, slotData), c.data, rawValueBytes*more)
		default:
			w, nullable := typ.width()
			c.data = grow(t.mem, t.slot(i, slotData), c.data, w*more)
			if nullable {
				c.nulls = grow(t.mem, t.slot(i, slotNulls), c.nulls, more)
			}
		}
	}
	t.capRows = n
}

type colBuffer struct {
	data  []byte   // native values; for strings, the bytes of all values one after another
	nulls []byte   // nullable columns: one byte per row, 1 = NULL
	ends  []uint32 // strings: where each value ends in data

	// Dictionary strings (every String column but record_id): each row's value is dict[ids[row]],
	// and data and ends stay empty. The values repeat (a batch holds few sources, regions,
	// currencies, fx paths, topics…), so a row costs 4 bytes a column instead of the bytes of
	// its value and an end.
	ids   []uint32
	dict  []string
	index map[string]uint32 // nil for other columns
	enc   [][]byte          // dict's values in native encoding, made as an insert needs them
}

// rawStrings are the String columns not dictionary-encoded: their values are unique per row.
// Their bytes are copied: record_id must be (a dictionary keeps its strings, and the Processor
// reuses the memory of a row's Record.ID for the next row).
var rawStrings = map[string]bool{"record_id": true}

// rawValueBytes is the room reserve makes per row for a raw string column: a record id's 32
// bytes. Longer values grow the column as they come (see str).
const rawValueBytes = 32

// at returns string column c's row i; for a raw column, a view of the buffer (see view).
func (c *colBuffer) at(i int) string {
	if c.index != nil {
		return c.dict[c.ids[i]]
	}
	return view(c.value(i))
}

func (t *tableBuffer) init(s *tableSpec) {
	t.spec, t.cols = s, make([]colBuffer, len(s.columns))
	t.mem = newArena(len(s.columns)*slotsPerColumn + 4)
	for i, col := range s.columns {
		if col.typ == tString && !rawStrings[col.name] {
			t.cols[i].index = map[string]uint32{}
		}
	}
}

func (t *tableBuffer) reset() {
	for i := range t.cols {
		c := &t.cols[i]
		c.data, c.nulls, c.ends, c.ids = c.data[:0], c.nulls[:0], c.ends[:0], c.ids[:0]
		clear(c.dict) // drop the references to the batch's strings
		c.dict = c.dict[:0]
		clear(c.enc)
		c.enc = c.enc[:0]
		clear(c.index)
	}
	t.rows, t.next = 0, 0
	t.perm, t.ordered = t.perm[:0], false
}

// add appends r, or nothing if r cannot be stored.
func (t *tableBuffer) add(r *ingest.Row) error {
	if t.rows >= t.capRows {
		t.reserve()
	}
	t.next = 0
	err := t.spec.encode(t, r)
	if err == nil && t.next != len(t.cols) {
		err = fmt.Errorf("%s: %d values for %d columns", t.spec.table, t.next, len(t.cols)) // a bug
	}
	if err != nil {
		t.truncate()
		return err
	}
	t.rows++
	t.ordered = false
	return nil
}

// truncate drops whatever a failed add appended after the t.rows complete rows: their lengths
// follow from the row count (fixed-width values, one null byte per row of a nullable column)
// and, for strings, from where the last complete row's value ends.
func (t *tableBuffer) truncate() {
	n := t.rows
	for i := range t.cols {
		c := &t.cols[i]
		if c.index != nil { // values the failed row added to the dictionary are harmless
			c.ids = c.ids[:min(len(c.ids), n)]
			continue
		}
		if t.spec.columns[i].typ == tString {
			c.ends = c.ends[:min(len(c.ends), n)]
			end := 0
			if n > 0 {
				end = int(c.ends[n-1])
			}
			c.data = c.data[:min(len(c.data), end)]
			continue
		}
		w, nullable := t.spec.columns[i].typ.width()
		if nullable {
			c.nulls = c.nulls[:min(len(c.nulls), n)]
		}
		c.data = c.data[:min(len(c.data), n*w)]
	}
}

// value returns the bytes of string column c's row i.
func (c *colBuffer) value(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.data[start:c.ends[i]:c.ends[i]]
}

// compare compares rows i and j by the table's sorting key as ClickHouse does: strings byte by
// byte, dates and times as numbers.
func (t *tableBuffer) compare(i, j int) int {
	for _, k := range t.spec.key {
		c := &t.cols[k]
		var r int
		switch t.spec.columns[k].typ {
		case tString:
			r = strings.Compare(c.at(i), c.at(j))
		case tDate:
			r = cmp.Compare(binary.LittleEndian.Uint16(c.data[2*i:]), binary.LittleEndian.Uint16(c.data[2*j:]))
		default: // tDateTime
			r = cmp.Compare(binary.LittleEndian.Uint32(c.data[4*i:]), binary.LittleEndian.Uint32(c.data[4*j:]))
		}
		if r != 0 {
			return r
		}
	}
	return 0
}

// order makes inserts send the rows sorted by the table's sorting key, keeping the order of rows
// with equal keys (so the last of two equal rows stays last, as ReplacingMergeTree needs).
// ClickHouse sorts every block it writes as a part, unless the block is already in order
// (MergeTreeDataWriterBlocksAlreadySorted), and its sort compares column by column through
// virtual calls: rows sent in key order cost the server less CPU than rows in the order
// produced, and far less than rows in random order (docs/performance.md).
//
// Each key column's values are replaced by their rank among the batch's distinct values, and
// the ranks are packed into a 128-bit integer per row, which sorts with two comparisons. A key
// that does not fit in 128 bits (hundreds of thousands of distinct values in several columns)
// is sorted by comparing the values themselves.
func (t *tableBuffer) order() {
	if t.ordered {
		return
	}
	t.ordered = true
	t.perm = t.perm[:0]
	if t.rows < 2 {
		return
	}
	t.perm = grow(t.mem, t.permSlot(), t.perm, t.rows)
	defer func() { // the scratch's memory goes back until the next order
		t.mem.drop(t.keysSlot())
		t.mem.drop(t.mergedSlot())
		t.mem.drop(t.ranksSlot())
	}()
	keys, ok := t.packKeys()
	if !ok {
		t.orderByValues()
		return
	}
	// Runs in key order: a batch is made of stretches of partitions, each often in key order.
	t.runs = append(t.runs[:0], 0)
	for i := 1; i < len(keys); i++ {
		if keys[i].less(keys[i-1]) {
			t.runs = append(t.runs, i)
		}
	}
	if len(t.runs) == 1 {
		return // in order already
	}
	t.runs = append(t.runs, len(keys))
	keys = t.sortKeys(keys)
	for _, k := range keys {
		t.perm = append(t.perm, k.row)
	}
}

// maxKeyBits is the size of a packed key (a variable for tests).
var maxKeyBits = 128

// packedKey is a row's sorting key as one 128-bit integer (hi, lo), and the row.
type packedKey struct {
	hi, lo uint64
	row    int32
}

// less orders keys by value, then by row.
func (k packedKey) less(o packedKey) bool {
	if k.hi != o.hi {
		return k.hi < o.hi
	}
	if k.lo != o.lo {
		return k.lo < o.lo
	}
	return k.row < o.row
}

// sortKeys sorts keys, whose runs in order start at t.runs (ending with len(keys)), and
// returns them sorted (in keys or in scratch). Up to 1,024 runs are merged, pairwise (10 passes
// over sequential memory at most); more are sorted. A batch read 512 messages at a time from a
// few partitions holds a few hundred runs, which merging orders faster than sorting
// (docs/performance.md).
func (t *tableBuffer) sortKeys(keys []packedKey) []packedKey {
	runs := t.runs
	if len(runs) > 1025 {
		slices.SortFunc(keys, func(a, b packedKey) int {
			if a.less(b) {
				return -1
			}
			if b.less(a) {
				return 1
			}
			return 0
		})
		return keys
	}
	t.merged = grow(t.mem, t.mergedSlot(), t.merged[:0], len(keys))[:len(keys)]
	src, dst := keys, t.merged
	for len(runs) > 2 {
		next := runs[:1]
		for r := 0; r+1 < len(runs); r += 2 {
			lo, mid := runs[r], runs[r+1]
			hi := mid
			if r+2 < len(runs) {
				hi = runs[r+2]
			}
			i, j, o := lo, mid, lo
			for i < mid && j < hi {
				if src[j].less(src[i]) {
					dst[o] = src[j]
					j++
				} else {
					dst[o] = src[i]
					i++
				}
				o++
			}
			o += copy(dst[o:], src[i:mid])
			copy(dst[o:], src[j:hi])
			next = append(next, hi)
		}
		runs = next
		src, dst = dst, src
	}
	return src
}

// packKeys returns every row's packed key, or false if the key needs more than 128 bits.
func (t *tableBuffer) packKeys() ([]packedKey, bool) {
	n := t.rows
	t.keys = grow(t.mem, t.keysSlot(), t.keys[:0], n)[:n]
	keys := t.keys
	for i := range keys {
		keys[i] = packedKey{row: int32(i)}
	}
	used := 0
	for _, k := range t.spec.key {
		c := &t.cols[k]
		var bitsNeeded int
		var rank func(i int) uint64
		switch t.spec.columns[k].typ {
		case tString:
			ranks, distinct := t.stringRanks(c)
			bitsNeeded = bits.Len32(uint32(distinct - 1))
			rank = func(i int) uint64 { return uint64(ranks[i]) }
		case tDate:
			lo, hi := uint16(0xffff), uint16(0)
			for i := range n {
				v := binary.LittleEndian.Uint16(c.data[2*i:])
				lo, hi = min(lo, v), max(hi, v)
			}
			bitsNeeded = bits.Len16(hi - lo)
			rank = func(i int) uint64 { return uint64(binary.LittleEndian.Uint16(c.data[2*i:]) - lo) }
		default: // tDateTime
			lo, hi := uint32(0xffffffff), uint32(0)
			for i := range n {
				v := binary.LittleEndian.Uint32(c.data[4*i:])
				lo, hi = min(lo, v), max(hi, v)
			}
			bitsNeeded = bits.Len32(hi - lo)
			rank = func(i int) uint64 { return uint64(binary.LittleEndian.Uint32(c.data[4*i:]) - lo) }
		}
		if used+bitsNeeded > maxKeyBits {
			return nil, false
		}
		used += bitsNeeded
		if bitsNeeded == 0 {
			continue
		}
		// Shift the key left by bitsNeeded and put the rank in the low bits.
		for i := range keys {
			x := &keys[i]
			if bitsNeeded < 64 {
				x.hi = x.hi<<bitsNeeded | x.lo>>(64-bitsNeeded)
				x.lo = x.lo<<bitsNeeded | rank(i)
			} else {
				x.hi, x.lo = x.lo, rank(i)
			}
		}
	}
	return keys, true
}

// stringRanks returns, for each row, the rank of dictionary string column c's value among the
// column's values in byte order, and how many values the dictionary holds. The dictionary's
// values are distinct: they are ranked, then each row's is looked up. A value left by a refused
// row only takes a rank of its own.
func (t *tableBuffer) stringRanks(c *colBuffer) ([]uint32, int) {
	n := t.rows
	rankOf := dictRanks(c.dict)
	t.ranks = grow(t.mem, t.ranksSlot(), t.ranks[:0], n)[:n]
	for i, id := range c.ids[:n] {
		t.ranks[i] = rankOf[id]
	}
	return t.ranks, len(c.dict)
}

// dictRanks returns the rank in byte order of each of the distinct values vals.
func dictRanks(vals []string) []uint32 {
	order := make([]uint32, len(vals))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return strings.Compare(vals[a], vals[b]) })
	rankOf := make([]uint32, len(order))
	for r, id := range order {
		rankOf[id] = uint32(r)
	}
	return rankOf
}

// orderByValues sorts by comparing the key values themselves: the fallback of order.
func (t *tableBuffer) orderByValues() {
	sorted := true
	for i := 1; i < t.rows; i++ {
		if t.compare(i-1, i) > 0 {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	for i := range t.rows {
		t.perm = append(t.perm, int32(i))
	}
	slices.SortFunc(t.perm, func(a, b int32) int {
		if r := t.compare(int(a), int(b)); r != 0 {
			return r
		}
		return cmp.Compare(a, b)
	})
}

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
	lo, hi, err := decimal128(d)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
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
		if lo, hi, ok = int128(x); !ok {
			return fmt.Errorf("%s: %s×10^-18 does not fit Decimal(38, 18)", name, x)
		}
		null = 0
	}
	c := t.col()
	c.nulls = append(c.nulls, null)
	c.data = binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(c.data, lo), hi)
	return nil
}

// lim38 is 10^38: Decimal(38, 18) holds integers (scaled by 10^18) of absolute value below it.
var (
	lim38    = new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil)
	lim38Hi  = new(big.Int).Rsh(lim38, 64).Uint64()
	lim38Lo  = new(big.Int).And(lim38, new(big.Int).SetUint64(^uint64(0))).Uint64()
	pow10u64 = func() (p [19]uint64) {
		p[0] = 1
		for i := 1; i < 19; i++ {
			p[i] = p[i-1] * 10
		}
		return
	}()
	errDecimal128 = errors.New("does not fit Decimal(38, 18)")
)

// int128 returns x as a two's-complement 128-bit integer, if |x| < 10^38.
func int128(x *big.Int) (lo, hi uint64, ok bool) {
	if x.IsInt64() {
		v := x.Int64()
		return uint64(v), uint64(v >> 63), true
	}
	if bits.UintSize == 64 { // |x| from its words, least significant first
		switch w := x.Bits(); len(w) {
		case 1:
			lo = uint64(w[0])
		case 2:
			lo, hi = uint64(w[0]), uint64(w[1])
		default:
			return 0, 0, false
		}
		if hi > lim38Hi || hi == lim38Hi && lo >= lim38Lo {
			return 0, 0, false
		}
		if x.Sign() < 0 {
			hi, lo = negate128(hi, lo)
		}
		return lo, hi, true
	}
	if x.CmpAbs(lim38) >= 0 {
		return 0, 0, false
	}
	var b [16]byte
	x.FillBytes(b[:]) // |x|, big-endian
	hi, lo = binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	if x.Sign() < 0 {
		hi, lo = negate128(hi, lo)
	}
	return lo, hi, true
}

func negate128(hi, lo uint64) (uint64, uint64) {
	lo, borrow := bits.Sub64(0, lo, 0)
	hi, _ = bits.Sub64(0, hi, borrow)
	return hi, lo
}

// decimal128 returns d scaled by 10^18 as a two's-complement 128-bit integer.
func decimal128(d transform.Decimal) (lo, hi uint64, err error) {
	if d.Coef == nil {
		return 0, 0, nil
	}
	if d.Scale < 0 || d.Scale > transform.MaxScale {
		return 0, 0, fmt.Errorf("%s has scale %d, not 0…18", d, d.Scale)
	}
	if d.Coef.IsInt64() {
		v := d.Coef.Int64()
		abs := uint64(v)
		if v < 0 {
			abs = -abs
		}
		hi, lo = bits.Mul64(abs, pow10u64[transform.MaxScale-int(d.Scale)])
		if hi > lim38Hi || hi == lim38Hi && lo >= lim38Lo {
			return 0, 0, fmt.Errorf("%s %w", d, errDecimal128)
		}
		if v < 0 {
			hi, lo = negate128(hi, lo)
		}
		return lo, hi, nil
	}
	var ok bool
	if lo, hi, ok = int128(d.Fixed18()); !ok {
		return 0, 0, fmt.Errorf("%s %w", d, errDecimal128)
	}
	return lo, hi, nil
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

// NewRowBuffer returns a row buffer of its own, for benchmarks and tools; the consumer takes
// pooled ones from Store.NewRowBuffer. Release empties it for reuse.
func NewRowBuffer() ingest.RowBuffer { return newRowBuffer(nil) }

func newRowBuffer(pool *bufferPool) *rowBuffer {
	b := &rowBuffer{pool: pool}
	var arenas [3]*arena
	for i, s := range [...]*tableSpec{fxSpec, fuelSpec, wageSpec} {
		b.tables[i].init(s)
		arenas[i] = b.tables[i].mem
	}
	// A buffer that is no longer used and was not freed (NewRowBuffer's are not) gives its
	// mappings back when it is collected.
	runtime.AddCleanup(b, func(as [3]*arena) {
		for _, a := range as {
			a.free()
		}
	}, arenas)
	return b
}

// free releases the buffer's memory outside the heap; the buffer must not be used again.
func (b *rowBuffer) free() {
	for i := range b.tables {
		b.tables[i].mem.free()
	}
}

func (b *rowBuffer) table(k transform.Kind) (*tableBuffer, error) {
	switch k {
	case transform.KindFXRate:
		return &b.tables[0], nil
	case transform.KindFuelPrice:
		return &b.tables[1], nil
	case transform.KindWage:
		return &b.tables[2], nil
	}
	return nil, fmt.Errorf("no table for records of kind %q", k)
}

// Add appends r to its kind's table; on error nothing of r is kept.
func (b *rowBuffer) Add(r *ingest.Row) error {
	t, err := b.table(r.Record.Kind)
	if err != nil {
		return err
	}
	return t.add(r)
}

// Len returns the number of rows of kind held.
func (b *rowBuffer) Len(k transform.Kind) int {
	t, err := b.table(k)
	if err != nil {
		return 0
	}
	return t.rows
}

// Release empties the buffer and keeps its memory for the next batch.
func (b *rowBuffer) Release() {
	for i := range b.tables {
		b.tables[i].reset()
	}
	if b.pool != nil {
		b.pool.put(b)
	}
}

// A filler is the scratch of fill for one insert: the block's native bytes and a reader over
// them, made once and used for every block.
type filler struct {
	buf []byte
	src bytes.Reader
	rd  *proto.Reader
}

func newFiller() *filler {
	f := &filler{}
	f.rd = proto.NewReader(&f.src)
	return f
}

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
		if got := string(col.Type()); got != string(want.typ) {
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
	}
	return nil
}

// fill loads rows [from, to) of the table, in the order set by order if it ran, into the
// driver's own columns of an insert (decoding the bytes appendNative makes), after check. It
// is the way when the driver's block cannot be reached (see attach), and the tests' way of
// reading what an insert sends. After an error, f must not be used again.
func (t *tableBuffer) fill(f *filler, cols []column.Interface, from, to int) error {
	if err := t.check(cols); err != nil {
		return err
	}
	f.buf = f.buf[:0]
	for i := range cols {
		f.buf = t.appendNative(f.buf, i, from, to)
	}
	f.src.Reset(f.buf)
	for i, col := range cols {
		if err := col.Decode(f.rd, to-from); err != nil {
			return fmt.Errorf("insert into %s: column %s: %w", t.spec.table, t.spec.columns[i].name, err)
		}
	}
	if _, err := f.rd.ReadByte(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("insert into %s: the columns' bytes were not read to the end (%v)", t.spec.table, err) // a bug
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
	if perm != nil {
		return appendGather(dst, c.data, perm, width)
	}
	return append(dst, c.data[from*width:to*width]...)
}

// view returns b's bytes as a string without copying them. The string must not be used after
// b changes.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
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

// width returns the bytes of one native value of a fixed-width type, and whether a null map
// precedes the values.
func (t colType) width() (int, bool) {
	switch t {
	case tDecimal:
		return 16, false
	case tNullDecimal:
		return 16, true
	case tDate:
		return 2, false
	case tNullDate:
		return 2, true
	case tDateTime, tInt32:
		return 4, false
	case tInt8:
		return 1, false
	case tInt64, tUInt64:
		return 8, false
	}
	return 0, false
}
