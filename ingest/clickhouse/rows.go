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

var (
	fuelColumns = []string{"source", "country", "region", "product", "tax_basis", "currency", "unit", "frequency",
		"date", "published_at", "price", "unit_mult", "price_per_litre", "price_per_kg", "price_eur",
		"price_per_litre_eur", "price_per_kg_eur", "fx_rate", "fx_date", "fx_path", "fx_status", "status",
		"attributes", "record_id", "kafka_topic", "kafka_partition", "kafka_offset", "ingested_at", "_version"}
	wageColumns = []string{"source", "country", "region", "measure", "basis", "per", "currency", "frequency",
		"date", "published_at", "amount", "unit_mult", "amount_eur", "monthly_amount", "monthly_amount_eur",
		"fx_rate", "fx_date", "fx_path", "fx_status", "status",
		"attributes", "record_id", "kafka_topic", "kafka_partition", "kafka_offset", "ingested_at", "_version"}
	fxColumns = []string{"source", "base", "quote", "rate_type", "frequency", "date", "published_at", "rate",
		"quantity", "unit_mult", "status", "attributes", "record_id", "kafka_topic", "kafka_partition",
		"kafka_offset", "ingested_at", "_version"}
	rejectColumns = []string{"received_at", "kafka_topic", "kafka_partition", "kafka_offset", "key", "value",
		"error_code", "error", "_version"}
)

// WriteBatch inserts the batch's rows and rejects, one insert per table. Rates go first, so that
// a reconciler that sees an observation also sees the rates it was converted with. Values are
// appended column by column: one slice per column, converted once, with no per-row boxing.
func (s *Store) WriteBatch(ctx context.Context, b *ingest.Batch) error {
	if len(b.FXRates) > 0 {
		if err := s.insert(ctx, "fx_rates_data", fxColumns, fxColumnValues(b.FXRates)); err != nil {
			return err
		}
	}
	if len(b.FuelPrices) > 0 {
		if err := s.insert(ctx, "fuel_prices_data", fuelColumns, fuelColumnValues(b.FuelPrices)); err != nil {
			return err
		}
	}
	if len(b.Wages) > 0 {
		if err := s.insert(ctx, "wages_data", wageColumns, wageColumnValues(b.Wages)); err != nil {
			return err
		}
	}
	if len(b.Rejects) > 0 {
		if err := s.insert(ctx, "rejects_data", rejectColumns, rejectColumnValues(b.Rejects, uint64(time.Now().UnixNano()))); err != nil {
			return err
		}
	}
	return nil
}

// insert sends one insert of values, one slice per column in the order of columns.
func (s *Store) insert(ctx context.Context, table string, columns []string, values []any) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.db+"."+table+" ("+strings.Join(columns, ", ")+")")
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

// decCol converts exact decimals to driver decimals.
func decCol(n int, get func(i int) transform.Decimal) []decimal.Decimal {
	out := make([]decimal.Decimal, n)
	for i := range out {
		out[i] = decimalOf(get(i))
	}
	return out
}

// fixedCol converts integers scaled by 10^18 to nullable driver decimals (nil is NULL).
func fixedCol(n int, get func(i int) *big.Int) []*decimal.Decimal {
	out := make([]*decimal.Decimal, n)
	backing := make([]decimal.Decimal, n)
	for i := range out {
		if x := get(i); x != nil {
			backing[i] = decimal.NewFromBigInt(x, -18)
			out[i] = &backing[i]
		}
	}
	return out
}

func optDateCol(n int, get func(i int) time.Time) []*time.Time {
	out := make([]*time.Time, n)
	backing := make([]time.Time, n)
	for i := range out {
		if t := get(i); !t.IsZero() {
			backing[i] = t
			out[i] = &backing[i]
		}
	}
	return out
}

func int8Col(n int, get func(i int) int8) []int8 {
	out := make([]int8, n)
	for i := range out {
		out[i] = get(i)
	}
	return out
}

// sourceCols returns the kafka_topic, kafka_partition, kafka_offset, ingested_at and _version columns.
func sourceCols(rows []ingest.Row) []any {
	n := len(rows)
	partition, offset, version := make([]int32, n), make([]int64, n), make([]uint64, n)
	for i := range rows {
		partition[i], offset[i], version[i] = int32(rows[i].Partition), rows[i].Offset, rows[i].Version
	}
	return []any{strCol(n, func(i int) string { return rows[i].Topic }), partition, offset,
		timeCol(n, func(i int) time.Time { return rows[i].IngestedAt.UTC() }), version}
}

func fuelColumnValues(rows []ingest.Row) []any {
	n := len(rows)
	rec := func(i int) *transform.Record { return &rows[i].Record }
	der := func(i int) *transform.Derived { return &rows[i].Derived }
	cols := []any{
		strCol(n, func(i int) string { return rec(i).Source }),
		strCol(n, func(i int) string { return rec(i).Country }),
		strCol(n, func(i int) string { return rec(i).Region }),
		strCol(n, func(i int) string { return rec(i).Product }),
		strCol(n, func(i int) string { return rec(i).TaxBasis }),
		strCol(n, func(i int) string { return rec(i).Currency }),
		strCol(n, func(i int) string { return rec(i).Unit }),
		strCol(n, func(i int) string { return rec(i).Frequency }),
		timeCol(n, func(i int) time.Time { return rec(i).Date }),
		timeCol(n, func(i int) time.Time { return rec(i).PublishedAt.UTC() }),
		decCol(n, func(i int) transform.Decimal { return rec(i).Price }),
		int8Col(n, func(i int) int8 { return int8(rec(i).UnitMult) }),
		fixedCol(n, func(i int) *big.Int { return der(i).PricePerLitre }),
		fixedCol(n, func(i int) *big.Int { return der(i).PricePerKg }),
		fixedCol(n, func(i int) *big.Int { return der(i).PriceEUR }),
		fixedCol(n, func(i int) *big.Int { return der(i).PricePerLitreEUR }),
		fixedCol(n, func(i int) *big.Int { return der(i).PricePerKgEUR }),
	}
	cols = append(cols, derivedTail(rows)...)
	return append(cols, sourceCols(rows)...)
}

// derivedTail returns fx_rate, fx_date, fx_path, fx_status, status, attributes and record_id.
func derivedTail(rows []ingest.Row) []any {
	n := len(rows)
	return []any{
		fixedCol(n, func(i int) *big.Int { return rows[i].Derived.FXRate }),
		optDateCol(n, func(i int) time.Time { return rows[i].Derived.FXDate }),
		strCol(n, func(i int) string { return rows[i].Derived.FXPath }),
		strCol(n, func(i int) string { return rows[i].Derived.FXStatus }),
		strCol(n, func(i int) string { return rows[i].Record.Status }),
		strCol(n, func(i int) string { return attributesJSON(rows[i].Record.Attributes) }),
		strCol(n, func(i int) string { return rows[i].Record.ID }),
	}
}

func wageColumnValues(rows []ingest.Row) []any {
	n := len(rows)
	rec := func(i int) *transform.Record { return &rows[i].Record }
	der := func(i int) *transform.Derived { return &rows[i].Derived }
	cols := []any{
		strCol(n, func(i int) string { return rec(i).Source }),
		strCol(n, func(i int) string { return rec(i).Country }),
		strCol(n, func(i int) string { return rec(i).Region }),
		strCol(n, func(i int) string { return rec(i).Measure }),
		strCol(n, func(i int) string { return rec(i).Basis }),
		strCol(n, func(i int) string { return rec(i).Per }),
		strCol(n, func(i int) string { return rec(i).Currency }),
		strCol(n, func(i int) string { return rec(i).Frequency }),
		timeCol(n, func(i int) time.Time { return rec(i).Date }),
		timeCol(n, func(i int) time.Time { return rec(i).PublishedAt.UTC() }),
		decCol(n, func(i int) transform.Decimal { return rec(i).Amount }),
		int8Col(n, func(i int) int8 { return int8(rec(i).UnitMult) }),
		fixedCol(n, func(i int) *big.Int { return der(i).AmountEUR }),
		fixedCol(n, func(i int) *big.Int { return der(i).MonthlyAmount }),
		fixedCol(n, func(i int) *big.Int { return der(i).MonthlyAmountEUR }),
	}
	cols = append(cols, derivedTail(rows)...)
	return append(cols, sourceCols(rows)...)
}

func fxColumnValues(rows []ingest.Row) []any {
	n := len(rows)
	rec := func(i int) *transform.Record { return &rows[i].Record }
	quantity := make([]uint64, n)
	for i := range rows {
		quantity[i] = uint64(rows[i].Record.Quantity)
	}
	cols := []any{
		strCol(n, func(i int) string { return rec(i).Source }),
		strCol(n, func(i int) string { return rec(i).Base }),
		strCol(n, func(i int) string { return rec(i).Quote }),
		strCol(n, func(i int) string { return rec(i).RateType }),
		strCol(n, func(i int) string { return rec(i).Frequency }),
		timeCol(n, func(i int) time.Time { return rec(i).Date }),
		timeCol(n, func(i int) time.Time { return rec(i).PublishedAt.UTC() }),
		decCol(n, func(i int) transform.Decimal { return rec(i).Rate }),
		quantity,
		int8Col(n, func(i int) int8 { return int8(rec(i).UnitMult) }),
		strCol(n, func(i int) string { return rec(i).Status }),
		strCol(n, func(i int) string { return attributesJSON(rec(i).Attributes) }),
		strCol(n, func(i int) string { return rec(i).ID }),
	}
	return append(cols, sourceCols(rows)...)
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

func decimalOf(d transform.Decimal) decimal.Decimal {
	if d.Coef == nil {
		return decimal.Zero
	}
	return decimal.NewFromBigInt(d.Coef, -d.Scale)
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
