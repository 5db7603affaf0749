package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

var rejectColumns = []string{"received_at", "kafka_topic", "kafka_partition", "kafka_offset", "key", "value",
	"error_code", "error", "_version"}

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
	if len(b.FXRates)+len(b.FuelPrices)+len(b.Wages) > 0 {
		rb := s.buffers.get()
		defer rb.Release()
		for _, rows := range [][]ingest.Row{b.FXRates, b.FuelPrices, b.Wages} {
			for i := range rows {
				if err := rb.Add(&rows[i]); err != nil {
					return fmt.Errorf("write batch: %s/%d@%d: %w", rows[i].Topic, rows[i].Partition, rows[i].Offset, &ValueError{err})
				}
			}
		}
		bufs = append(bufs, rb)
	}
	for t := range 3 {
		for _, rb := range bufs {
			if err := s.insertRows(ctx, &rb.tables[t]); err != nil {
				return err
			}
		}
	}
	if len(b.Rejects) > 0 {
		if err := s.insert(ctx, "rejects_data", rejectColumns, rejectColumnValues(b.Rejects, uint64(time.Now().UnixNano()))); err != nil {
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

// column helpers: each returns one column of n values taken from rows by get.

func strCol(n int, get func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = get(i)
	}
	return out
}

func timeCol(n int, get func(i int) time.Time) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = get(i)
	}
	return out
}

func rejectColumnValues(rejects []ingest.Reject, version uint64) []any {
	n := len(rejects)
	partition, offset, versions := make([]int32, n), make([]int64, n), make([]uint64, n)
	for i := range rejects {
		partition[i], offset[i], versions[i] = int32(rejects[i].Message.Partition), rejects[i].Message.Offset, version+uint64(i)
	}
	return []any{
		timeCol(n, func(i int) time.Time { return rejects[i].ReceivedAt.UTC() }),
		strCol(n, func(i int) string { return rejects[i].Message.Topic }),
		partition, offset,
		strCol(n, func(i int) string { return string(rejects[i].Message.Key) }),
		strCol(n, func(i int) string { return string(rejects[i].Message.Value) }),
		strCol(n, func(i int) string { return string(rejects[i].Code) }),
		strCol(n, func(i int) string { return rejects[i].Reason }),
		versions,
	}
}

func attributesJSON(a map[string]string) string {
	if len(a) == 0 {
		return ""
	}
	b, err := json.Marshal(a) // keys sorted: the same attributes give the same text
	if err != nil {
		return ""
	}
	return string(b)
}

// toDecimal converts a driver decimal read from ClickHouse back to an exact transform.Decimal.
func toDecimal(d decimal.Decimal) transform.Decimal {
	coef, exp := d.Coefficient(), d.Exponent()
	if exp > 0 {
		coef.Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
		exp = 0
	}
	return transform.Decimal{Coef: coef, Scale: -exp}
}

func toFixed(d *decimal.Decimal) *big.Int {
	if d == nil {
		return nil
	}
	return toDecimal(*d).Fixed18()
}

func fromDate(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return dateUTC(*t)
}

func dateUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Rates returns the stored rates, every vintage, ingested at or after since (zero: all).
func (s *Store) Rates(ctx context.Context, since time.Time) ([]ingest.StoredRate, error) {
	q := "SELECT source, base, quote, rate_type, date, rate, quantity, unit_mult, published_at, ingested_at FROM " +
		s.db + ".fx_rates_data FINAL WHERE ingested_at >= toDateTime(?, 'UTC')"
	rows, err := s.conn.Query(ctx, q, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("read rates: %w", err)
	}
	defer rows.Close()
	var out []ingest.StoredRate
	for rows.Next() {
		var (
			r        ingest.StoredRate
			rate     decimal.Decimal
			quantity uint64
			mult     int8
		)
		if err := rows.Scan(&r.Source, &r.Base, &r.Quote, &r.RateType, &r.Date, &rate, &quantity, &mult,
			&r.PublishedAt, &r.IngestedAt); err != nil {
			return nil, fmt.Errorf("read rates: %w", err)
		}
		rec := transform.Record{Kind: transform.KindFXRate, Source: r.Source, Base: r.Base, Quote: r.Quote,
			RateType: r.RateType, Date: dateUTC(r.Date), Rate: toDecimal(rate), Quantity: int64(quantity),
			UnitMult: int(mult), PublishedAt: r.PublishedAt.UTC()}
		r.Rate = transform.RateFromRecord(&rec)
		r.IngestedAt = r.IngestedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

func formatTime(t time.Time) string {
	if t.IsZero() || t.Unix() < 0 {
		return "1970-01-01 00:00:00"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// Observations returns stored fuel price and wage rows for re-conversion.
func (s *Store) Observations(ctx context.Context, q ingest.ObservationQuery) ([]ingest.Row, error) {
	var conds []string
	var args []any
	if q.Pending {
		conds = append(conds, "fx_status = 'pending'")
	}
	if !q.From.IsZero() {
		conds = append(conds, "(date >= toDate(?) AND date <= toDate(?))")
		args = append(args, q.From.Format("2006-01-02"), q.To.Format("2006-01-02"))
	}
	if len(conds) == 0 {
		return nil, nil
	}
	where := strings.Join(conds, " OR ")
	fuel, err := s.readObservations(ctx, transform.KindFuelPrice, where, args)
	if err != nil {
		return nil, err
	}
	wages, err := s.readObservations(ctx, transform.KindWage, where, args)
	if err != nil {
		return nil, err
	}
	return append(fuel, wages...), nil
}

func (s *Store) readObservations(ctx context.Context, kind transform.Kind, where string, args []any) ([]ingest.Row, error) {
	table, cols := "fuel_prices_data", fuelColumns
	if kind == transform.KindWage {
		table, cols = "wages_data", wageColumns
	}
	rows, err := s.conn.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+s.db+"."+table+" FINAL WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	var out []ingest.Row
	for rows.Next() {
		var (
			r                       ingest.Row
			rec                     = &r.Record
			d                       = &r.Derived
			value                   decimal.Decimal
			mult                    int8
			partition               int32
			fxDate                  *time.Time
			attrs                   string
			a, b2, c, e, f, g, h, k *decimal.Decimal
		)
		rec.Kind = kind
		var err error
		if kind == transform.KindFuelPrice {
			err = rows.Scan(&rec.Source, &rec.Country, &rec.Region, &rec.Product, &rec.TaxBasis, &rec.Currency, &rec.Unit,
				&rec.Frequency, &rec.Date, &rec.PublishedAt, &value, &mult, &a, &b2, &c, &e, &f, &g, &fxDate, &d.FXPath,
				&d.FXStatus, &rec.Status, &attrs, &rec.ID, &r.Topic, &partition, &r.Offset, &r.IngestedAt, &r.Version)
			rec.Price = toDecimal(value)
			d.PricePerLitre, d.PricePerKg, d.PriceEUR, d.PricePerLitreEUR, d.PricePerKgEUR = toFixed(a), toFixed(b2), toFixed(c), toFixed(e), toFixed(f)
		} else {
			err = rows.Scan(&rec.Source, &rec.Country, &rec.Region, &rec.Measure, &rec.Basis, &rec.Per, &rec.Currency,
				&rec.Frequency, &rec.Date, &rec.PublishedAt, &value, &mult, &a, &h, &k, &g, &fxDate, &d.FXPath,
				&d.FXStatus, &rec.Status, &attrs, &rec.ID, &r.Topic, &partition, &r.Offset, &r.IngestedAt, &r.Version)
			rec.Amount = toDecimal(value)
			d.AmountEUR, d.MonthlyAmount, d.MonthlyAmountEUR = toFixed(a), toFixed(h), toFixed(k)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		d.FXRate = toFixed(g)
		d.FXDate = fromDate(fxDate)
		rec.Date = dateUTC(rec.Date)
		rec.PublishedAt = rec.PublishedAt.UTC()
		rec.UnitMult = int(mult)
		rec.Version = 1
		r.Partition = int(partition)
		r.IngestedAt = r.IngestedAt.UTC()
		if attrs != "" {
			if err := json.Unmarshal([]byte(attrs), &rec.Attributes); err != nil {
				return nil, fmt.Errorf("read %s: attributes %q: %w", table, attrs, err)
			}
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
