package schemas_test

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/internal/enginetest"
	"github.com/econflow/econflow/internal/testenv"
)

// affordabilityCase is one country's month: a national monthly minimum wage dated on the first
// day and incl_tax prices per litre in local currency.
type affordabilityCase struct {
	country, wage string
	prices        []string
}

var affordabilityCases = []affordabilityCase{
	{"A1", "200000000", []string{"15000"}}, // a rial minimum wage: 18.16's old view answered −9352.15…
	{"A2", "99999999999999999999.999999999999999999", []string{"1.000001"}},
	{"A3", "99999999999999999999.999999999999999999", []string{"15000"}},
	{"A4", "42500", []string{"0.000001"}},
	{"A5", "99999999999999.999999999999999999", []string{"0.000001"}},                        // ratio 10^20 − 10^-12: fits
	{"A6", "99999999999999999999.999999999999999999", []string{"0.000001"}},                  // ratio ~10^26: NULL
	{"A7", "123456789.123456789123456789", []string{"0.000001", "0.000002", "0.000004"}},     // n = 3, S = 7e-6
	{"A8", "1", []string{"1.000000000000000001", "2.999999999999999999"}},                    // S = 4 exactly
	{"A9", "42500", []string{"0"}},                                                           // free fuel: NULL
	{"B1", "50000000000000000000", []string{"100000000000", "100000000000", "100000000000"}}, // S = 3e11
	{"B2", "50000000000000000000", []string{"500000000000", "500000000000", "500000000000"}}, // S = 1.5e12: NULL
	{"B3", "0.000000000000000001", []string{"99999999999.999999999999999999"}},               // ratio < 10^-18
	{"B4", "7", []string{"3"}},                                                               // 2.333…
	{"B5", "99999999999999999999.99", []string{"1000.123456789012345678", "999.876543210987654322", "0.000001"}},
}

// affordabilityOracle is (avg_price_per_litre, litres_per_monthly_wage) of a case, exactly and
// truncated to 18 fractional digits as the view documents; "NULL" for no ratio.
func affordabilityOracle(t testing.TB, c affordabilityCase) (avg, litres string) {
	t.Helper()
	w := ratOf(t, c.wage)
	s := new(big.Rat)
	for _, p := range c.prices {
		s.Add(s, ratOf(t, p))
	}
	n := big.NewRat(int64(len(c.prices)), 1)
	avg = truncate18(new(big.Rat).Quo(s, n))
	if s.Sign() == 0 || s.Cmp(big.NewRat(1e12, 1)) >= 0 {
		return avg, "NULL"
	}
	r := new(big.Rat).Quo(new(big.Rat).Mul(w, n), s)
	if r.Cmp(new(big.Rat).SetFrac(new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil), big.NewInt(1))) >= 0 {
		return avg, "NULL"
	}
	return avg, truncate18(r)
}

func ratOf(t testing.TB, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("%q is not a decimal", s)
	}
	return r
}

// truncate18 formats a non-negative r truncated (toward zero) to 18 fractional digits.
func truncate18(r *big.Rat) string {
	scaled := new(big.Int).Mul(r.Num(), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
	scaled.Quo(scaled, r.Denom())
	s := fmt.Sprintf("%019s", scaled.String())
	return s[:len(s)-18] + "." + s[len(s)-18:]
}

// fuelRow and wageRow are VALUES rows for the *_data tables (the columns of insertFuel and
// insertWage); fields a view does not read keep their defaults.
func fuelRow(country, region, date, pricePerLitre string) string {
	return fmt.Sprintf("('test', '%s', '%s', 'petrol', 'incl_tax', 'LCU', 'litre', 'D', '%s', '%s 12:00:00', %s, 0, %s, 'pending', 'A', 'r', 't', '%s 12:00:00', 1)",
		country, region, date, date, pricePerLitre, pricePerLitre, date)
}

func wageRow(country, region, measure, per, date, amount, monthly string) string {
	return fmt.Sprintf("('test', '%s', '%s', '%s', 'gross', '%s', 'LCU', 'M', '%s', '%s 00:00:00', %s, 0, %s, 'pending', 'A', 'r', 't', '%s 00:00:00', 1)",
		country, region, measure, per, date, date, amount, monthly, date)
}

const (
	insertFuel = "INSERT INTO %s.fuel_prices_data (source, country, region, product, tax_basis, currency, unit, frequency, date, published_at, " +
		"price, unit_mult, price_per_litre, fx_status, status, record_id, kafka_topic, ingested_at, _version) VALUES "
	insertWage = "INSERT INTO %s.wages_data (source, country, region, measure, basis, per, currency, frequency, date, published_at, " +
		"amount, unit_mult, monthly_amount, fx_status, status, record_id, kafka_topic, ingested_at, _version) VALUES "
)

// TestIntegrationAffordabilityExactOnBothEngines: litres_per_monthly_wage and
// avg_price_per_litre against math/big on 18.16 and on current ClickHouse, for wages up to
// 10^20 − 10^-18 and prices down to 10^-6 per litre (truncated to 18 digits; NULL where the
// ratio does not fit Decimal(38, 18) or the month's price sum is 0 or 10^12 and more), and the
// wage in force: from its month until superseded, regional over national.
func TestIntegrationAffordabilityExactOnBothEngines(t *testing.T) {
	ch := enginetest.NewChdb(t)
	srv := enginetest.NewServer(t)
	dsn := testenv.ClickHouseDSN(t)
	testenv.OpenStore(t, dsn) // migrations, as econflow applies them
	db := databaseOf(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	migrateChdb(ctx, t, ch, db, false)

	var fuel, wages []string
	for _, c := range affordabilityCases {
		wages = append(wages, wageRow(c.country, "", "minimum", "month", "2022-01-01", c.wage, c.wage))
		for i, p := range c.prices {
			fuel = append(fuel, fuelRow(c.country, "", fmt.Sprintf("2022-01-%02d", i+1), p))
		}
	}
	// The wage in force, country S1: a national minimum of 100 from January, 200 from
	// 2022-03-15; a regional one of 300 from February; a yearly average of 1200 from 2021-06.
	wages = append(wages,
		wageRow("S1", "", "minimum", "month", "2022-01-01", "100", "100"),
		wageRow("S1", "", "minimum", "month", "2022-03-15", "200", "200"),
		wageRow("S1", "S1-R", "minimum", "month", "2022-02-01", "300", "300"),
		wageRow("S1", "", "average", "year", "2021-06-01", "1200", "100"),
		wageRow("S1", "", "minimum", "hour", "2021-01-01", "1", "NULL"), // no monthly amount: never used
	)
	fuel = append(fuel,
		fuelRow("S1", "", "2021-05-10", "2"), // before every wage: no row
		fuelRow("S1", "", "2022-01-10", "2"), fuelRow("S1", "", "2022-02-10", "2"),
		fuelRow("S1", "", "2022-03-10", "1"), fuelRow("S1", "", "2022-03-20", "3"),
		fuelRow("S1", "", "2022-04-10", "2"), fuelRow("S1", "", "2023-07-10", "2"),
		fuelRow("S1", "S1-R", "2022-01-10", "4"), fuelRow("S1", "S1-R", "2022-02-10", "4"), fuelRow("S1", "S1-R", "2022-03-10", "4"),
	)
	inserts := []string{fmt.Sprintf(insertFuel, db) + strings.Join(fuel, ", "), fmt.Sprintf(insertWage, db) + strings.Join(wages, ", ")}
	for _, q := range inserts {
		if _, err := srv.Query(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := ch.Exec(ctx, inserts...); err != nil {
		t.Fatal(err)
	}

	want := map[string]string{} // "month country region measure" → "wage_region monthly_wage avg litres"
	for _, c := range affordabilityCases {
		avg, litres := affordabilityOracle(t, c)
		want["2022-01-01 "+c.country+"  minimum"] = fmt.Sprintf(" %s %s %s", truncate18(ratOf(t, c.wage)), avg, litres)
	}
	inForce := func(month, region, measure, wageRegion, wage, avg, litres string) {
		want[month+" S1 "+region+" "+measure] = fmt.Sprintf("%s %s.000000000000000000 %s.000000000000000000 %s.000000000000000000", wageRegion, wage, avg, litres)
	}
	inForce("2022-01-01", "", "minimum", "", "100", "2", "50")
	inForce("2022-02-01", "", "minimum", "", "100", "2", "50")
	inForce("2022-03-01", "", "minimum", "", "200", "2", "100") // superseded on 03-15: the month's wage is the one in force at its end
	inForce("2022-04-01", "", "minimum", "", "200", "2", "100")
	inForce("2023-07-01", "", "minimum", "", "200", "2", "100") // still in force
	inForce("2022-01-01", "S1-R", "minimum", "", "100", "4", "25")
	inForce("2022-02-01", "S1-R", "minimum", "S1-R", "300", "4", "75")
	inForce("2022-03-01", "S1-R", "minimum", "S1-R", "300", "4", "75") // regional over the newer national
	for _, m := range []string{"2022-01-01", "2022-02-01", "2022-03-01", "2022-04-01", "2023-07-01"} {
		inForce(m, "", "average", "", "100", "2", "50")
	}
	for _, m := range []string{"2022-01-01", "2022-02-01", "2022-03-01"} {
		inForce(m, "S1-R", "average", "", "100", "4", "25")
	}

	const q = "SELECT month, country, region, wage_measure, wage_region, toString(monthly_wage), toString(avg_price_per_litre), " +
		"ifNull(toString(litres_per_monthly_wage), 'NULL') FROM %s.fuel_affordability ORDER BY month, country, region, wage_measure"
	server, err := srv.Query(ctx, fmt.Sprintf(q, db)+" FORMAT TSV", pushdown(true))
	if err != nil {
		t.Fatal(err)
	}
	current, err := ch.Query(ctx, fmt.Sprintf(q, db), "TSV")
	if err != nil {
		t.Fatal(err)
	}
	for engine, out := range map[string][]byte{"18.16": server, "current ClickHouse": current} {
		got := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(line, "\t")
			if len(f) != 8 {
				t.Fatalf("%s: row %q", engine, line)
			}
			got[strings.Join(f[:4], " ")] = f[4:]
		}
		for key, w := range want {
			g, ok := got[key]
			if !ok {
				t.Errorf("%s: no row %s", engine, key)
				continue
			}
			wf := strings.Split(w, " ")
			if g[0] != wf[0] {
				t.Errorf("%s %s: wage_region %q, want %q", engine, key, g[0], wf[0])
			}
			for i, col := range []string{"monthly_wage", "avg_price_per_litre", "litres_per_monthly_wage"} {
				if !sameDecimal(g[i+1], wf[i+1]) {
					t.Errorf("%s %s: %s = %s, want %s", engine, key, col, g[i+1], wf[i+1])
				}
			}
		}
		for key := range got {
			if _, ok := want[key]; !ok {
				t.Errorf("%s: unexpected row %s %v", engine, key, got[key])
			}
		}
	}
}

// sameDecimal compares two decimal texts by value ("NULL" only equals "NULL"): current
// ClickHouse's toString drops trailing zeros.
func sameDecimal(a, b string) bool {
	if a == "NULL" || b == "NULL" {
		return a == b
	}
	x, okx := new(big.Rat).SetString(a)
	y, oky := new(big.Rat).SetString(b)
	return okx && oky && x.Cmp(y) == 0
}
