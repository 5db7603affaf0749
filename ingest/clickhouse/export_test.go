package clickhouse

import "context"

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
