package clickhouse

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

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
