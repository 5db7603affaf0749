package clickhouse_test

import (
	"context"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/transform"
)

// TestDriverBlockReachable: the pinned clickhouse-go keeps an insert's block where driverBlock
// looks for it. If a driver upgrade moves it, inserts still work (through the driver's own
// columns, slower) and this test says why the drain got slower.
func TestDriverBlockReachable(t *testing.T) {
	store := testenv.OpenStore(t, testenv.ClickHouseDSN(t))
	for _, table := range []string{"fuel_prices_data", "wages_data", "fx_rates_data"} {
		found, err := store.DriverBlockFound(context.Background(), table)
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			t.Errorf("insert into %s: clickhouse-go's batch has no block where driverBlock looks (driver upgraded?)", table)
		}
	}
}

// TestDirectInsertsMatchDriverColumns writes the same batch three ways — the columns written
// straight into the driver's send buffer, the same with LZ4 compression on the wire, and
// loaded into the driver's own columns (the fallback) — and reads every table back as text:
// the three must store the same rows, and the rows must be the ones written.
func TestDirectInsertsMatchDriverColumns(t *testing.T) {
	rows := directTestRows(t)
	ways := []struct {
		name     string
		compress bool
		direct   bool
	}{{"direct", false, true}, {"direct, lz4", true, true}, {"driver columns", false, false}}
	var stored []map[string][]string
	for _, w := range ways {
		dsn := testenv.ClickHouseDSN(t)
		if w.compress {
			dsn += "?compress=lz4"
		}
		store := testenv.OpenStore(t, dsn)
		restore := clickhouse.SetDirectColumns(w.direct)
		err := store.WriteBatch(context.Background(), &ingest.Batch{FuelPrices: rows.fuel, Wages: rows.wages, FXRates: rows.rates})
		restore()
		if err != nil {
			t.Fatalf("%s: write: %v", w.name, err)
		}
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		db := strings.Trim(u.Path, "/")
		tables := map[string][]string{}
		for _, table := range []string{"fuel_prices_data", "wages_data", "fx_rates_data"} {
			tables[table] = tableText(t, store, db, table)
		}
		if n := len(tables["fuel_prices_data"]); n != len(rows.fuel) {
			t.Fatalf("%s: %d fuel rows stored, %d written", w.name, n, len(rows.fuel))
		}
		stored = append(stored, tables)
	}
	for table, want := range stored[2] {
		for i, w := range ways[:2] {
			got := stored[i][table]
			if len(got) != len(want) {
				t.Fatalf("%s: %d rows in %s, %d through the driver's columns", w.name, len(got), table, len(want))
			}
			for r := range want {
				if got[r] != want[r] {
					t.Fatalf("%s: %s row %d\n  %s\nthrough the driver's columns\n  %s", w.name, table, r, got[r], want[r])
				}
			}
		}
	}
	// Spot checks against what was written, independent of both paths.
	fuel := stored[0]["fuel_prices_data"]
	for _, i := range []int{0, 1, 9_999, 10_000, 12_345, len(rows.fuel) - 1} {
		r := rows.fuel[i]
		price := new(big.Rat).SetFrac(r.Record.Price.Fixed18(), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
		line := fuel[r.Offset]
		if !strings.Contains(line, "\t"+r.Record.ID+"\t") || !strings.Contains(line, "\t"+price.FloatString(18)+"\t") ||
			!strings.HasPrefix(line, r.Record.Source+"\t") {
			t.Fatalf("fuel row %d (offset %d) stored as\n  %s\nwant source %s, price %s, record id %s", i, r.Offset, line,
				r.Record.Source, price.FloatString(18), r.Record.ID)
		}
	}
}

type testRows struct{ fuel, wages, rates []ingest.Row }

// directTestRows makes 25,000 fuel rows (three blocks of an insert), in an order the table's
// sorting key changes, with NULL and non-NULL derived values, empty and 1–300-byte strings,
// non-ASCII text and record ids of several lengths; and a few wage and rate rows.
func directTestRows(t *testing.T) testRows {
	dec := func(s string) transform.Decimal {
		d, err := transform.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	day := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	pub := time.Date(2022, 1, 5, 6, 7, 8, 0, time.UTC)
	ing := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var rows testRows
	for i := range 25_000 {
		r := ingest.Row{
			Record: transform.Record{Kind: transform.KindFuelPrice, Source: []string{"stat.gov.kz", "s", strings.Repeat("x", 300)}[i%3],
				Country: "KZ", Region: fmt.Sprintf("KZ-%02d", (i*7919)%17), Product: []string{"lpg", "ai92", "diesel"}[i%3],
				TaxBasis: "retail", Currency: "KZT", Unit: "litre", Frequency: "D", Date: day.AddDate(0, 0, (i*31)%400), PublishedAt: pub,
				Price: dec(fmt.Sprintf("%d.%06d", 60+i%61, i)), Status: []string{"", "provisional"}[i%2],
				ID: fmt.Sprintf("%0*x", 16+i%40, i)},
			Topic: "econ.fuel_prices", Partition: i % 3, Offset: int64(i), IngestedAt: ing, Version: uint64(i),
		}
		if i%4 != 0 {
			r.Derived = transform.Derived{FXStatus: "converted", FXPath: "KZT>EUR", FXDate: day,
				FXRate: dec("0.002029426686960933").Fixed18(), PricePerLitre: r.Record.Price.Fixed18(),
				PriceEUR: dec(fmt.Sprintf("0.%018d", i)).Fixed18()}
		} else {
			r.Derived.FXStatus = "pending"
			r.Record.Attributes = map[string]string{"note": "«тенге» \t\n\\"}
		}
		rows.fuel = append(rows.fuel, r)
	}
	for i := range 3 {
		rows.wages = append(rows.wages, ingest.Row{
			Record: transform.Record{Kind: transform.KindWage, Source: "stat.gov.kz", Country: "KZ", Measure: "minimum", Basis: "gross",
				Per: "month", Currency: "KZT", Frequency: "A", Date: day.AddDate(i, 0, 0), PublishedAt: pub, Amount: dec("42500")},
			Derived: transform.Derived{FXStatus: "pending", MonthlyAmount: dec("42500").Fixed18()},
			Topic:   "econ.wages", Offset: int64(i), IngestedAt: ing, Version: uint64(i),
		})
		rows.rates = append(rows.rates, ingest.Row{
			Record: transform.Record{Kind: transform.KindFXRate, Source: "nationalbank.kz", Base: "EUR", Quote: "KZT", RateType: "official",
				Frequency: "D", Date: day.AddDate(0, 0, i), PublishedAt: pub, Rate: dec("492.76"), Quantity: 1, ID: fmt.Sprint("r", i)},
			Topic: "econ.fx_rates", Offset: int64(i), IngestedAt: ing, Version: uint64(i),
		})
	}
	return rows
}

// tableText returns a table's rows as tab-separated text of every column (NULL as \N), in the
// order of kafka_offset.
func tableText(t *testing.T, store *clickhouse.Store, db, table string) []string {
	ctx := context.Background()
	cols, err := store.Conn().Query(ctx, "SELECT name FROM system.columns WHERE database = ? AND table = ?", db, table)
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for cols.Next() {
		var name string
		if err := cols.Scan(&name); err != nil {
			t.Fatal(err)
		}
		exprs = append(exprs, "ifNull(toString("+name+"), '\\\\N')")
	}
	cols.Close()
	if len(exprs) == 0 {
		t.Fatalf("%s.%s has no columns", db, table)
	}
	q := "SELECT concat(" + strings.Join(exprs, ", '\\t', ") + ") FROM " + db + "." + table + " ORDER BY kafka_offset"
	rs, err := store.Conn().Query(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var line string
		if err := rs.Scan(&line); err != nil {
			t.Fatal(err)
		}
		out = append(out, line)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
