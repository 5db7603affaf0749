package clickhouse

import (
	"errors"
	"reflect"
	"unsafe"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	chproto "github.com/ClickHouse/clickhouse-go/v2/lib/proto"
)

// Rows reach ClickHouse without passing through the driver's column types: the columns of an
// insert's block are replaced by nativeColumns, which write the table buffer's rows in native
// layout straight into the driver's send buffer when it encodes the block. The driver still
// does everything else (the protocol, compression, TLS, errors). Filling the driver's own
// String columns copied every value twice (into the column, then into the send buffer) and
// allocated the columns' memory on the Go heap: a sizeable share of the consumer's CPU
// (docs/performance.md).
//
// clickhouse-go has no API for this, so driverBlock reaches the block inside its batch, a
// field of an unexported struct. Its layout is checked at run time (a field named block of
// type *proto.Block holding the very columns the batch reports); when it does not match, as
// after a driver upgrade that changed it, inserts fall back to fill, which is slower but needs
// nothing private. TestDriverBlockReachable fails on such an upgrade.

// directColumns turns the replacement on; tests turn it off to check the fallback.
var directColumns = true

// driverBlock returns the block of a clickhouse-go batch whose columns are cols, or nil.
func driverBlock(b driver.Batch, cols []column.Interface) *chproto.Block {
	if !directColumns {
		return nil
	}
	v := reflect.ValueOf(b)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("block")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*chproto.Block]() {
		return nil
	}
	block := *(**chproto.Block)(unsafe.Pointer(f.UnsafeAddr()))
	if block == nil || len(block.Columns) != len(cols) {
		return nil
	}
	for i, c := range block.Columns {
		if c != cols[i] {
			return nil
		}
	}
	return block
}

// attach replaces the columns of block by rows [from, to) of the table, after check has
// accepted the block's original columns. The driver encodes them when the block is flushed or
// sent; the table buffer must not change until then.
func (t *tableBuffer) attach(block *chproto.Block, from, to int) {
	for i, col := range block.Columns {
		block.Columns[i] = &nativeColumn{name: col.Name(), typ: col.Type(), t: t, i: i, from: from, to: to}
	}
}

// A nativeColumn is rows [from, to) of column i of a table buffer as a column of a driver's
// block. Only what the driver calls on a block it sends is implemented: Name, Type, Rows,
// Encode and Reset.
type nativeColumn struct {
	name     string
	typ      column.Type
	t        *tableBuffer
	i        int
	from, to int
}

var errWriteOnly = errors.New("clickhouse: an econflow insert column is write-only")

func (c *nativeColumn) Name() string      { return c.name }
func (c *nativeColumn) Type() column.Type { return c.typ }
func (c *nativeColumn) Rows() int         { return c.to - c.from }
func (c *nativeColumn) Encode(buf *proto.Buffer) {
	buf.Buf = c.t.appendNative(buf.Buf, c.i, c.from, c.to)
}
func (c *nativeColumn) Reset()                          {}
func (c *nativeColumn) Row(int, bool) any               { return nil }
func (c *nativeColumn) ScanRow(any, int) error          { return errWriteOnly }
func (c *nativeColumn) Append(any) ([]uint8, error)     { return nil, errWriteOnly }
func (c *nativeColumn) AppendRow(any) error             { return errWriteOnly }
func (c *nativeColumn) Decode(*proto.Reader, int) error { return errWriteOnly }
func (c *nativeColumn) ScanType() reflect.Type          { return reflect.TypeFor[[]byte]() }

var _ column.Interface = (*nativeColumn)(nil)
