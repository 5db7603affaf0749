package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

// NewRowBuffer returns an empty buffer for a batch's rows (ingest.RowBufferStore).
func (s *Store) NewRowBuffer() ingest.RowBuffer {
	return s.buffers.get()
}

// WriteBatch inserts the batch's rows and rejects, one insert per table and row buffer. Rates go
// first, so that a reconciler that sees an observation also sees the rates it was converted with.
func (s *Store) WriteBatch(ctx context.Context, b *ingest.Batch) error {
	var bufs []*rowBuffer
	if b.Encoded != nil {
		rb, ok := b.Encoded.(*rowBuffer)
		if !ok {
			return fmt.Errorf("write batch: rows encoded by %T, not by this store", b.Encoded)
		}
		bufs = append(bufs, rb)
	}
	if len(b.FXRates)+len(b.FuelPrices)+len(b.Wages)+len(b.Indicators) > 0 {
		rb := s.buffers.get()
		defer rb.Release()
		for _, rows := range [][]ingest.Row{b.FXRates, b.FuelPrices, b.Wages, b.Indicators} {
			for i := range rows {
				if err := rb.Add(&rows[i]); err != nil {
					return fmt.Errorf("write batch: %s/%d@%d: %w", rows[i].Topic, rows[i].Partition, rows[i].Offset, &ValueError{err})
				}
			}
		}
		bufs = append(bufs, rb)
	}
	for t := range dataTables {
		for _, rb := range bufs {
			if err := s.insertRows(ctx, &rb.tables[t]); err != nil {
				return err
			}
		}
	}
	if len(b.Known) > 0 {
		if err := s.writeByKind(ctx, knownTables[:], b.Known); err != nil {
			return err
		}
	}
	if len(b.Converted) > 0 {
		if err := s.writeByKind(ctx, convertedTables[:], b.Converted); err != nil {
			return err
		}
	}
	if len(b.Failures) > 0 {
		if err := s.insert(ctx, failuresSpec.table, failuresSpec.names(), failuresSpec.values(b.Failures, 0)); err != nil {
			return err
		}
	}
	if len(b.Rejects) > 0 {
		// The consumer's rejects carry their version (ingest.Reject.Version), so a retry sends
		// the identical block; the time of the write versions the others.
		if err := s.insert(ctx, rejectsSpec.table, rejectsSpec.names(), rejectsSpec.values(b.Rejects, uint64(time.Now().UnixNano()))); err != nil {
			return err
		}
	}
	return nil
}

// writeByKind inserts rows into the table of their kind among specs (one per kind).
func (s *Store) writeByKind(ctx context.Context, specs []*tableSpec, rows []ingest.Row) error {
	for _, spec := range specs {
		var t tableBuffer
		t.init(spec)
		t.dates = s.buffers.dates()
		err := func() error {
			defer t.mem.free()
			for i := range rows {
				if rows[i].Record.Kind != spec.kind {
					continue
				}
				if err := t.add(&rows[i]); err != nil {
					return fmt.Errorf("write %s: %w", spec.table, &ValueError{err})
				}
			}
			return s.insertRows(ctx, &t)
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// blockRows is the most rows sent to ClickHouse in one block.
const blockRows = 10000

// insertRows sends one insert of a table's encoded rows.
func (s *Store) insertRows(ctx context.Context, t *tableBuffer) error {
	if t.rows == 0 {
		return nil
	}
	table := s.db + "." + t.spec.table
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(t.spec.names, ", ")+")")
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", table, err)
	}
	defer batch.Abort()
	// The rows go in blocks of blockRows: the server gathers the blocks of one insert into one
	// part (min_insert_block_size_rows), so a large batch costs ClickHouse one part while the
	// driver's send buffer holds about one block.
	t.order()
	cols := batch.Columns()
	if err := t.check(cols); err != nil {
		return &SchemaError{err}
	}
	block := driverBlock(batch, cols)
	var f *filler
	if block == nil {
		s.slowInsert.Do(func() {
			s.log.Warn("clickhouse: the driver's batch is not laid out as econflow expects; rows are copied into its columns (slower)")
		})
		f = newFiller()
	}
	for from := 0; from < t.rows; from += blockRows {
		to := min(from+blockRows, t.rows)
		if block != nil {
			t.attach(block, from, to)
		} else if err := t.fill(f, cols, from, to); err != nil {
			return err
		}
		if to < t.rows {
			if err := batch.Flush(); err != nil {
				return fmt.Errorf("insert into %s: send rows %d…%d of %d: %w", table, from, to, t.rows, err)
			}
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", t.rows, table, err)
	}
	return nil
}

// insert sends one insert of values, one slice per column in the order of columns.
func (s *Store) insert(ctx context.Context, table string, columns []string, values []any) error {
	table = s.db + "." + table
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+")")
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", table, err)
	}
	defer batch.Abort()
	for i, v := range values {
		if err := batch.Column(i).Append(v); err != nil {
			return fmt.Errorf("append column %s of %s: %w", columns[i], table, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", batch.Rows(), table, err)
	}
	return nil
}

// Rates returns the stored rates, every vintage, ingested at or after since (zero: all).
func (s *Store) Rates(ctx context.Context, since time.Time) ([]ingest.StoredRate, error) {
	sc := fxSpec.scanner("source", "base", "quote", "rate_type", "frequency", "date", "rate", "quantity", "unit_mult", "published_at", "published_ns", "ingested_at", "withdrawn")
	q := "SELECT " + sc.selectList() + " FROM " + s.db + ".fx_rates_data FINAL WHERE ingested_at >= toDateTime(?, 'UTC')"
	rows, err := s.conn.Query(ctx, q, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("read rates: %w", err)
	}
	defer rows.Close()
	var out []ingest.StoredRate
	var r ingest.Row
	for rows.Next() {
		if err := sc.scan(rows, &r); err != nil {
			return nil, fmt.Errorf("read rates: %w", err)
		}
		out = append(out, ingest.StoredRate{Rate: transform.RateFromRecord(&r.Record), IngestedAt: r.IngestedAt})
	}
	return out, rows.Err()
}

func formatTime(t time.Time) string {
	if t.IsZero() || t.Unix() < 0 {
		return "1970-01-01 00:00:00"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// Observations returns stored fuel price, wage and currency-unit indicator rows for
// re-conversion; withdrawals are left out.
func (s *Store) Observations(ctx context.Context, q ingest.ObservationQuery) ([]ingest.Row, error) {
	var conds []string
	var args []any
	if q.Pending {
		conds = append(conds, "fx_status = 'pending'")
	}
	if !q.From.IsZero() {
		conds = append(conds, "(date >= "+s.toDate()+"(?) AND date <= "+s.toDate()+"(?))")
		args = append(args, q.From.Format("2006-01-02"), q.To.Format("2006-01-02"))
	}
	if len(conds) == 0 {
		return nil, nil
	}
	// A withdrawal has nothing to convert (docs/contract.md §1.9).
	where := "withdrawn = 0 AND (" + strings.Join(conds, " OR ") + ")"
	fuel, err := s.readObservations(ctx, transform.KindFuelPrice, where, args)
	if err != nil {
		return nil, err
	}
	wages, err := s.readObservations(ctx, transform.KindWage, where, args)
	if err != nil {
		return nil, err
	}
	indicators, err := s.readObservations(ctx, transform.KindIndicator, "unit = 'currency' AND ("+where+")", args)
	if err != nil {
		return nil, err
	}
	return append(append(fuel, wages...), indicators...), nil
}

// Known returns the stored earlier conversions dated from through to (ingest.Store).
func (s *Store) Known(ctx context.Context, from, to time.Time) ([]ingest.Row, error) {
	where := "date >= " + s.toDate() + "(?) AND date <= " + s.toDate() + "(?)"
	args := []any{from.Format("2006-01-02"), to.Format("2006-01-02")}
	var out []ingest.Row
	for _, spec := range knownTables {
		rows, err := s.readRows(ctx, spec, where, args)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// Converted returns the stored conversions into further reporting currencies dated from
// through to (ingest.Store).
func (s *Store) Converted(ctx context.Context, from, to time.Time) ([]ingest.Row, error) {
	where := "date >= " + s.toDate() + "(?) AND date <= " + s.toDate() + "(?)"
	args := []any{from.Format("2006-01-02"), to.Format("2006-01-02")}
	var out []ingest.Row
	for _, spec := range convertedTables {
		rows, err := s.readRows(ctx, spec, where, args)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// Failures returns the stored re-derivation failures not yet resolved, of observations dated
// from through to (ingest.Store).
func (s *Store) Failures(ctx context.Context, from, to time.Time) ([]ingest.Failure, error) {
	q := "SELECT kind, reporting_currency, source, country, region, product, tax_basis, unit, measure, basis, per, series, base_period, adjustment, currency, frequency, " +
		"date, published_at, published_ns, record_id, reason, failed_at, _version FROM " + s.db + "." + failuresSpec.table +
		" FINAL WHERE date >= " + s.toDate() + "(?) AND date <= " + s.toDate() + "(?) AND toUInt32(resolved_at) = 0"
	rows, err := s.conn.Query(ctx, q, from.Format("2006-01-02"), to.Format("2006-01-02"))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", failuresSpec.table, err)
	}
	defer rows.Close()
	var out []ingest.Failure
	for rows.Next() {
		var f ingest.Failure
		var kind string
		var ns uint32
		r := &f.Record
		if err := rows.Scan(&kind, &f.Reporting, &r.Source, &r.Country, &r.Region, &r.Product, &r.TaxBasis, &r.Unit, &r.Measure,
			&r.Basis, &r.Per, &r.Series, &r.BasePeriod, &r.Adjustment, &r.Currency, &r.Frequency, &r.Date, &r.PublishedAt, &ns, &r.ID, &f.Reason, &f.FailedAt, &f.Version); err != nil {
			return nil, fmt.Errorf("read %s: %w", failuresSpec.table, err)
		}
		r.Kind, r.Date, f.FailedAt = transform.Kind(kind), dateUTC(r.Date), f.FailedAt.UTC()
		r.PublishedAt = time.Unix(r.PublishedAt.Unix(), int64(ns)).UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Store) readObservations(ctx context.Context, kind transform.Kind, where string, args []any) ([]ingest.Row, error) {
	spec := fuelSpec
	switch kind {
	case transform.KindWage:
		spec = wageSpec
	case transform.KindIndicator:
		spec = indicatorSpec
	}
	return s.readRows(ctx, spec, where, args)
}

// readRows reads the latest write of every row of spec's table that matches where.
func (s *Store) readRows(ctx context.Context, spec *tableSpec, where string, args []any) ([]ingest.Row, error) {
	sc := spec.scanner()
	rows, err := s.conn.Query(ctx, "SELECT "+sc.selectList()+" FROM "+s.db+"."+spec.table+" FINAL WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", spec.table, err)
	}
	defer rows.Close()
	var out []ingest.Row
	for rows.Next() {
		var r ingest.Row
		if err := sc.scan(rows, &r); err != nil {
			return nil, fmt.Errorf("read %s: %w", spec.table, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Count returns the number of rows of a table or view in the econflow database (for tests and
// progress reports).
func (s *Store) Count(ctx context.Context, table string) (uint64, error) {
	var n uint64
	if strings.ContainsFunc(table, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		return 0, fmt.Errorf("table name %q", table)
	}
	err := s.conn.QueryRow(ctx, "SELECT count() FROM "+s.db+"."+table).Scan(&n)
	return n, err
}
