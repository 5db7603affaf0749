package clickhouse

import (
	"context"
	"strings"
)

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
