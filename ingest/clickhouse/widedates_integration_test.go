package clickhouse_test

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/internal/enginetest"
	"github.com/econflow/econflow/schemas"
	"github.com/econflow/econflow/transform"
)

// TestIntegrationWideDatesOnCurrentClickHouse: on current ClickHouse (chdb 26.x) a database
// migrated as Migrate migrates a new one there (schemas.WideDates) stores dates 1900-01-01…
// 2299-12-31. Records dated 1921, 1969 and 2250 go through the consumer's processing into row
// buffers that take Date32's limits; the buffers' insert bytes, in ClickHouse's native layout as
// an insert sends them, are loaded into chdb as Native data; the views answer each date as it
// was given, with the euro values of a math/big oracle, months not clamped to 1970, and a wage
// in force until further notice in 2250.
func TestIntegrationWideDatesOnCurrentClickHouse(t *testing.T) {
	ch := enginetest.NewChdb(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db := fmt.Sprintf("econ_wide_%d", time.Now().UnixNano())
	migs, err := schemas.Migrations(db)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{"CREATE DATABASE IF NOT EXISTS " + db}
	for _, m := range schemas.WideDates(migs) {
		stmts = append(stmts, m.Statements...)
	}
	if err := ch.Exec(ctx, stmts...); err != nil {
		t.Fatalf("wide migrations on current ClickHouse: %v", err)
	}

	lines := []string{
		`{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"4.805","date":"1921-01-01","published_at":"2021-01-01T06:00:00Z"}`,
		`{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"4.81","date":"1921-03-15","published_at":"2021-03-15T06:00:00Z"}`,
		`{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"492.43","date":"1969-12-31","published_at":"2021-12-31T06:00:00Z"}`,
		`{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"9000.7","date":"2250-06-01","published_at":"2026-06-01T06:00:00Z"}`,
		`{"kind":"wage","source":"stat.gov.kz","country":"KZ","measure":"minimum","amount":"42.5","currency":"KZT","per":"month","frequency":"M","date":"1921-01-01","published_at":"2021-01-01T00:00:00Z"}`,
		`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-MAN","product":"lpg","price":"0.06","currency":"KZT","unit":"litre","date":"1921-03-15","published_at":"2021-03-15T18:00:00Z"}`,
		`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-MAN","product":"lpg","price":"60","currency":"KZT","unit":"litre","date":"1969-12-31","published_at":"2021-12-31T18:00:00Z"}`,
		`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-MAN","product":"lpg","price":"1200","currency":"KZT","unit":"litre","date":"2250-06-01","published_at":"2026-06-01T18:00:00Z"}`,
	}
	msgs := make([]ingest.Message, len(lines))
	for i, l := range lines {
		msgs[i] = ingest.Message{Topic: "t", Offset: int64(i), Value: []byte(l), Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	}
	proc := ingest.NewProcessor(transform.DefaultFXConfig())
	proc.NewBuffer = clickhouse.NewWideRowBuffer
	batch, _ := proc.Process(msgs, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 1)
	if len(batch.Rejects) > 0 {
		t.Fatalf("rejected: %+v", batch.Rejects)
	}
	defer batch.Encoded.Release()
	var loads []string
	for table, block := range clickhouse.NativeBlocks(batch.Encoded) {
		file := filepath.Join(ch.Dir(), table+".native")
		if err := os.WriteFile(file, block, 0o600); err != nil {
			t.Fatal(err)
		}
		loads = append(loads, fmt.Sprintf("INSERT INTO %s.%s FROM INFILE '%s' FORMAT Native", db, table, file))
	}
	if len(loads) != 3 {
		t.Fatalf("rows for %d tables, want 3", len(loads))
	}
	if err := ch.Exec(ctx, loads...); err != nil {
		t.Fatalf("load the insert bytes into current ClickHouse: %v", err)
	}

	query := func(sql string) string {
		t.Helper()
		out, err := ch.Query(ctx, sql+enginetest.ChdbSettings, "TSV")
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return strings.TrimSpace(string(out))
	}
	eur := func(price, rate string) string { // the oracle: price ÷ rate, 18 digits, half to even
		p, _ := new(big.Rat).SetString(price)
		r, _ := new(big.Rat).SetString(rate)
		return ratText(new(big.Rat).Quo(p, r))
	}
	want := strings.Join([]string{
		"1921-03-15\t0.060000000000000000\t" + eur("0.06", "4.81") + "\t1921-03-15",
		"1969-12-31\t60.000000000000000000\t" + eur("60", "492.43") + "\t1969-12-31",
		"2250-06-01\t1200.000000000000000000\t" + eur("1200", "9000.7") + "\t2250-06-01",
	}, "\n")
	if got := query("SELECT date, price, price_eur, fx_date FROM " + db + ".fuel_prices ORDER BY date"); got != want {
		t.Errorf("fuel_prices:\n%s\nwant\n%s", got, want)
	}
	if got, want := query("SELECT date, rate FROM "+db+".fx_rates ORDER BY date"),
		"1921-01-01\t4.805000000000000000\n1921-03-15\t4.810000000000000000\n1969-12-31\t492.430000000000000000\n2250-06-01\t9000.700000000000000000"; got != want {
		t.Errorf("fx_rates:\n%s\nwant\n%s", got, want)
	}
	if got, want := query("SELECT date, amount_eur FROM "+db+".wages"), "1921-01-01\t"+eur("42.5", "4.805"); got != want {
		t.Errorf("wages:\n%s\nwant\n%s", got, want)
	}
	if got, want := query("SELECT month, observations FROM "+db+".fuel_prices_monthly WHERE country = 'KZ' ORDER BY month"),
		"1921-03-01\t1\n1969-12-01\t1\n2250-06-01\t1"; got != want {
		t.Errorf("fuel_prices_monthly:\n%s\nwant\n%s", got, want)
	}
	// The wage of January 1921 is in force until further notice: in 1921, 1969 and 2250.
	got := query("SELECT month, monthly_wage, avg_price_per_litre FROM " + db + ".fuel_affordability WHERE country = 'KZ' AND product = 'lpg' ORDER BY month")
	want = "1921-03-01\t42.500000000000000000\t0.060000000000000000\n1969-12-01\t42.500000000000000000\t60.000000000000000000\n2250-06-01\t42.500000000000000000\t1200.000000000000000000"
	if got != want {
		t.Errorf("fuel_affordability:\n%s\nwant\n%s", got, want)
	}
	// A filter on a month reaches the sorting key (dateTrunc is monotonic), and finds 1921.
	if got := query("SELECT count() FROM " + db + ".fuel_prices_monthly WHERE month = '1921-03-01'"); got != "1" {
		t.Errorf("fuel_prices_monthly of March 1921: %s rows, want 1", got)
	}
	for table, typ := range map[string]string{"fuel_prices_data": "Date32", "fuel_prices": "Date32", "fuel_prices_monthly": "Date32", "fuel_affordability": "Date32"} {
		col := "date"
		if strings.HasSuffix(table, "monthly") || strings.HasSuffix(table, "affordability") {
			col = "month"
		}
		if got := query(fmt.Sprintf("SELECT type FROM system.columns WHERE database = '%s' AND table = '%s' AND name = '%s'", db, table, col)); got != typ {
			t.Errorf("%s.%s is %s, want %s", table, col, got, typ)
		}
	}
}

// ratText is r rounded half to even to 18 fractional digits, with all 18 printed.
func ratText(r *big.Rat) string {
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)))
	q, m := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	twice := new(big.Int).Mul(m, big.NewInt(2))
	if c := twice.Cmp(scaled.Denom()); c > 0 || c == 0 && q.Bit(0) == 1 {
		q.Add(q, big.NewInt(1))
	}
	s := fmt.Sprintf("%019s", q.String())
	return s[:len(s)-18] + "." + s[len(s)-18:]
}
