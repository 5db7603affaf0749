package clickhouse

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

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
	tables [len(dataTables)]tableBuffer // one per table of dataTables, in its order
	pool   *bufferPool
}

// bufferPool keeps released row buffers with their memory for the next batches. Unlike a
// sync.Pool it is not emptied by garbage collections, which come often during a drain: the
// consumer needs only two or three buffers, over and over.
type bufferPool struct {
	mu   sync.Mutex
	free []*rowBuffer
	// limits are the dates the database stores (Store.LearnDates); nil: narrowDates.
	limits atomic.Pointer[dateLimits]
}

// dates returns the dates the database stores.
func (p *bufferPool) dates() *dateLimits {
	if l := p.limits.Load(); l != nil {
		return l
	}
	return narrowDates
}

// setDates makes l the limits of the buffers it hands out from now on.
func (p *bufferPool) setDates(l *dateLimits) { p.limits.Store(l) }

// maxFreeBuffers bounds the buffers kept: one being filled, one being written, one spare.
const maxFreeBuffers = 3

func (p *bufferPool) get() *rowBuffer {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b *rowBuffer
	if n := len(p.free); n > 0 {
		b = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		b = newRowBuffer(p)
	}
	for i := range b.tables {
		b.tables[i].dates = p.dates()
	}
	return b
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

var (
	_ ingest.RowBuffer  = (*rowBuffer)(nil)
	_ ingest.DateStorer = (*rowBuffer)(nil)
)

// tableBuffer is one table's columns: encode appends a row's values, one per column.
type tableBuffer struct {
	spec *tableSpec
	cols []colBuffer
	rows int
	// dates are the dates a row may have (its Date columns hold day numbers as Date32 does);
	// narrow says, per column, that the server's column of an insert is a Date (set by check).
	dates  *dateLimits
	narrow []bool
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
	// isUniform says whether the column's first uniformRows-1 rows hold one value (see
	// uniform); uniformRows 0: not known.
	isUniform   bool
	uniformRows int

	// Dictionary strings (every String column but record_id): each row's value is dict[ids[row]],
	// and data and ends stay empty. The values repeat (a batch holds few sources, regions,
	// currencies, fx paths, topics…), so a row costs 4 bytes a column instead of the bytes of
	// its value and an end.
	ids   []uint32
	dict  []string
	index map[string]uint32 // nil for other columns
	// byAddr finds a value that is the very string of an earlier row, by its address: slot
	// addrSlot(v) holds 1 + the id of the last value seen there, 0 if none. A hit is a dict
	// entry at the same address with the same length: the dictionary keeps its strings alive,
	// so their memory cannot hold another value meanwhile.
	byAddr []uint32
	enc    [][]byte // dict's values in native encoding, made as an insert needs them
	// short holds enc's values again, each of up to 15 bytes in 16 with its length in the last
	// byte (0: longer), for gathering them without a copy call a value; long counts the longer.
	short [][shortBytes]byte
	long  int
}

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
	t.spec, t.cols, t.dates = s, make([]colBuffer, len(s.columns)), narrowDates
	t.narrow = make([]bool, len(s.columns))
	t.mem = newArena(len(s.columns)*slotsPerColumn + 4)
	for i, col := range s.columns {
		if col.typ == tString && !col.unique {
			t.cols[i].index = map[string]uint32{}
			t.cols[i].byAddr = make([]uint32, 1<<addrSlotBits)
		}
	}
}

func (t *tableBuffer) reset() {
	for i := range t.cols {
		c := &t.cols[i]
		c.data, c.nulls, c.ends, c.ids = c.data[:0], c.nulls[:0], c.ends[:0], c.ids[:0]
		c.uniformRows = 0
		clear(c.dict) // drop the references to the batch's strings
		c.dict = c.dict[:0]
		clear(c.enc)
		c.enc, c.short, c.long = c.enc[:0], c.short[:0], 0
		clear(c.index)
		clear(c.byAddr)
	}
	t.rows = 0
	t.perm, t.ordered = t.perm[:0], false
}

// add appends r, or nothing if r cannot be stored.
func (t *tableBuffer) add(r *ingest.Row) error {
	if t.rows >= t.capRows {
		t.reserve()
	}
	if err := t.encode(r); err != nil {
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

// NewRowBuffer returns a row buffer of its own, for benchmarks and tools; the consumer takes
// pooled ones from Store.NewRowBuffer. Release empties it for reuse.
func NewRowBuffer() ingest.RowBuffer { return newRowBuffer(nil) }

func newRowBuffer(pool *bufferPool) *rowBuffer {
	b := &rowBuffer{pool: pool}
	var arenas [len(dataTables)]*arena
	for i, s := range dataTables {
		b.tables[i].init(s)
		arenas[i] = b.tables[i].mem
	}
	// A buffer that is no longer used and was not freed (NewRowBuffer's are not) gives its
	// mappings back when it is collected.
	runtime.AddCleanup(b, func(as [len(dataTables)]*arena) {
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

// table returns the buffer of the table that holds records of kind k.
func (b *rowBuffer) table(k transform.Kind) (*tableBuffer, error) {
	var s *tableSpec
	switch k { // constants: compared inline, without a call
	case transform.KindFXRate:
		s = fxSpec
	case transform.KindFuelPrice:
		s = fuelSpec
	case transform.KindWage:
		s = wageSpec
	case transform.KindIndicator:
		s = indicatorSpec
	default:
		return nil, fmt.Errorf("no table for records of kind %q", k)
	}
	for i := range b.tables {
		if b.tables[i].spec == s {
			return &b.tables[i], nil
		}
	}
	return nil, fmt.Errorf("no table for records of kind %q", k) // a bug: s is not in dataTables
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

// StoresDate reports whether the database stores date d (ingest.DateStorer).
func (b *rowBuffer) StoresDate(d time.Time) bool {
	_, err := b.tables[0].dates.dayNumber("date", d)
	return err == nil
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

// view returns b's bytes as a string without copying them. The string must not be used after
// b changes.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
