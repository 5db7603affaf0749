package clickhouse

import (
	"context"
	"encoding/binary"
	"strings"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/schemas"
)

// NewWideRowBuffer is a row buffer of a database whose date columns are Date32.
func NewWideRowBuffer() ingest.RowBuffer {
	wide := &dateLimits{first: dayOf(schemas.Date32First), last: dayOf(schemas.Date32Last), wide: true, why: "Date32"}
	b := newRowBuffer(nil)
	for i := range b.tables {
		b.tables[i].dates = wide
	}
	return b
}

// NativeBlocks returns each table's rows of a row buffer, by table, as one block of ClickHouse's
// Native format with Date32 columns (see nativeBlock).
func NativeBlocks(rb ingest.RowBuffer) map[string][]byte {
	out := map[string][]byte{}
	b := rb.(*rowBuffer)
	for i := range b.tables {
		if t := &b.tables[i]; t.rows > 0 {
			out[t.spec.table] = nativeBlock(t)
		}
	}
	return out
}

// nativeBlock is the rows of a table buffer as one block of ClickHouse's Native format: the
// counts of columns and rows, then each column's name, type and values, the values as an
// insert into Date32 columns sends them.
func nativeBlock(t *tableBuffer) []byte {
	t.order()
	b := binary.AppendUvarint(nil, uint64(len(t.cols)))
	b = binary.AppendUvarint(b, uint64(t.rows))
	for i, c := range t.spec.columns {
		typ := c.typ
		switch typ {
		case tDate:
			typ = tDate32
		case tNullDate:
			typ = tNullDate32
		}
		t.narrow[i] = false
		b = appendString(b, c.name)
		b = appendString(b, string(typ))
		b = t.appendNative(b, i, 0, t.rows)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// SetDirectColumns turns the direct insert columns (see driverBlock) on or off; the returned
// function restores the setting.
func SetDirectColumns(on bool) (restore func()) {
	old := directColumns
	directColumns = on
	return func() { directColumns = old }
}

// DriverBlockFound reports whether driverBlock reaches the block of an insert into table.
func (s *Store) DriverBlockFound(ctx context.Context, table string) (bool, error) {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.db+"."+table)
	if err != nil {
		return false, err
	}
	defer batch.Abort()
	return driverBlock(batch, batch.Columns()) != nil, nil
}

// DeclaredTable is a table as columns.go declares it: its columns as "name type" in insert
// order, and its sorting key as system.tables shows it.
type DeclaredTable struct {
	Name       string
	Columns    []string
	SortingKey string
}

// DeclaredTables returns the declaration of every table econflow writes.
func DeclaredTables() []DeclaredTable {
	var out []DeclaredTable
	for _, s := range append(append(dataTables[:], knownTables[:]...), convertedTables[:]...) {
		d := DeclaredTable{Name: s.table, SortingKey: s.sortingKey()}
		for _, c := range s.columns {
			d.Columns = append(d.Columns, c.name+" "+string(c.typ))
		}
		out = append(out, d)
	}
	d := DeclaredTable{Name: rejectsSpec.table, SortingKey: strings.Join(rejectsSpec.key, ", ")}
	for _, c := range rejectsSpec.columns {
		d.Columns = append(d.Columns, c.name+" "+string(c.typ))
	}
	f := DeclaredTable{Name: failuresSpec.table, SortingKey: strings.Join(failuresSpec.key, ", ")}
	for _, c := range failuresSpec.columns {
		f.Columns = append(f.Columns, c.name+" "+string(c.typ))
	}
	return append(out, d, f)
}
