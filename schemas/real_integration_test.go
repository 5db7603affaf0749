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

// The real-terms views (econ.fuel_prices_real, econ.wages_real) and econ.indicators_change
// against math/big on 18.16 and on current ClickHouse: real = nominal × CPI(base month) /
// CPI(month) and percent = (v − v_prev) × 100 / v_prev, each rounded once, half to even, at 18
// fractional digits. Where a view documents NULL (a CPI or an index of 10^6 or more, a real
// value of 10^19 or more, a change of 10^19 percent or more) the test accepts NULL or the exact
// value, never another number; inside those limits only the exact value.

var (
	pow10 = func(n int64) *big.Rat {
		return new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil))
	}
	// A real value below 10^19 − 2·10^6 (CPIs below 10^6) must be exact: the view's long division
	// overflows only from about 10^19 − CPI(base month).
	realExactBelow = new(big.Rat).Sub(pow10(19), new(big.Rat).Mul(big.NewRat(2, 1), pow10(6)))
	// Decimal(38, 18) holds values below 1.7·10^20; a real value beyond must be NULL.
	decimalLimit = new(big.Rat).Mul(big.NewRat(17, 1), pow10(19))
)

// roundHalfEven18 rounds x half to even at 18 fractional digits (the magnitude, then the sign).
func roundHalfEven18(x *big.Rat) *big.Rat {
	n := new(big.Int).Mul(x.Num(), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
	neg := n.Sign() < 0
	n.Abs(n)
	q, r := new(big.Int).QuoRem(n, x.Denom(), new(big.Int))
	switch c := new(big.Int).Lsh(r, 1).Cmp(x.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return new(big.Rat).SetFrac(q, new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
}

// indicatorRow is a VALUES row for indicators_data: one observation of series in country and
// region (empty: national) with the given frequency and unit (an index based 2021-12=100).
func indicatorRow(country, region, series, frequency, unit, date, publishedAt, value string) string {
	bp := "2021-12=100"
	if unit != "index" {
		bp = ""
	}
	return fmt.Sprintf("('src', '%s', '%s', '%s', 'cpi', '%s', '', '%s', 'nsa', '%s', '%s', '%s', %s, 0, '', 'A', 'r', 't', '%s', 1)",
		series, country, region, unit, bp, frequency, date, publishedAt, value, publishedAt)
}

const insertIndicator = "INSERT INTO %s.indicators_data (source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date, " +
	"published_at, value, unit_mult, fx_status, status, record_id, kafka_topic, ingested_at, _version) VALUES "

// realCase is one country: its deflator (series CPI, base month 2021-12 unless base is ""),
// its CPIs by month, one price per litre and one monthly wage dated 2022-01-15.
type realCase struct {
	country   string
	deflator  bool
	cpi       map[string]string // month (YYYY-MM-01) → value; the base month 2021-12-01 and 2022-01-01
	nominal   string
	note      string
	wantState string // real_status
}

var realCases = []realCase{
	{"R1", true, map[string]string{"2021-12-01": "100", "2022-01-01": "100.7"}, "120.5", "the demo's KZ LPG", "deflated"},
	{"R2", true, map[string]string{"2021-12-01": "99.123456789012345678", "2022-01-01": "101.987654321098765432"}, "123456.123456789012345678", "18 fractional digits everywhere", "deflated"},
	{"R3", true, map[string]string{"2021-12-01": "100", "2022-01-01": "101"}, "9000000000000000000", "9·10^18 nominal: 8.9·10^18 real, exact", "deflated"},
	{"R4", true, map[string]string{"2021-12-01": "100", "2022-01-01": "200"}, "99999999999999999999.999999999999999999", "largest nominal, real 5·10^19: NULL or exact", "deflated"},
	{"R5", true, map[string]string{"2021-12-01": "1", "2022-01-01": "999999.999999999999999999"}, "99999999999999999999.999999999999999999", "CPI just below 10^6", "deflated"},
	{"R6", true, map[string]string{"2021-12-01": "999999.999999999999999999", "2022-01-01": "0.000001"}, "1", "real 10^12 from a tiny CPI", "deflated"},
	{"R7", true, map[string]string{"2021-12-01": "1", "2022-01-01": "2"}, "0.000000000000000001", "half an ulp: to even, 0", "deflated"},
	{"R8", true, map[string]string{"2021-12-01": "1", "2022-01-01": "2"}, "0.000000000000000003", "one and a half ulp: to even, 2", "deflated"},
	{"R9", true, map[string]string{"2021-12-01": "3", "2022-01-01": "7"}, "0", "free", "deflated"},
	{"S1", true, map[string]string{"2021-12-01": "100"}, "120.5", "no CPI for the month: pending", "pending"},
	{"S2", true, map[string]string{"2022-01-01": "100.7"}, "120.5", "no CPI for the base month: pending", "pending"},
	{"S3", false, map[string]string{"2021-12-01": "100", "2022-01-01": "100.7"}, "120.5", "no deflator: pending", "pending"},
	{"S4", true, map[string]string{"2021-12-01": "1000000", "2022-01-01": "100"}, "1", "a base CPI of 10^6: NULL", ""},
	{"S5", true, map[string]string{"2021-12-01": "100", "2022-01-01": "1000000.5"}, "1", "a CPI of 10^6 and more: NULL", ""},
}

// realOracle is the exact real value of nominal, and whether the view may answer NULL instead
// (mustNull: it must).
func realOracle(t testing.TB, c realCase, nominal string) (exact *big.Rat, mayNull, mustNull bool) {
	b, okb := c.cpi["2021-12-01"]
	m, okm := c.cpi["2022-01-01"]
	if !c.deflator || !okb || !okm {
		return nil, true, true
	}
	bv, mv := ratOf(t, b), ratOf(t, m)
	if bv.Cmp(pow10(6)) >= 0 || mv.Cmp(pow10(6)) >= 0 {
		return nil, true, true
	}
	x := new(big.Rat).Quo(new(big.Rat).Mul(ratOf(t, nominal), bv), mv)
	return roundHalfEven18(x), x.Cmp(realExactBelow) >= 0, x.Cmp(decimalLimit) >= 0
}

// checkDecimal reports a difference between a view's answer got ("\N" for NULL) and the oracle.
func checkDecimal(got string, exact *big.Rat, mayNull, mustNull bool) string {
	switch {
	case got == `\N` && mayNull:
		return ""
	case got == `\N`:
		return fmt.Sprintf("NULL, want %s", exact.FloatString(18))
	case mustNull:
		return fmt.Sprintf("%s, want NULL", got)
	}
	g, ok := new(big.Rat).SetString(got)
	if !ok || g.Cmp(exact) != 0 {
		return fmt.Sprintf("%s, want %s", got, exact.FloatString(18))
	}
	return ""
}

// changeSeries is one index series of econ.indicators_change: values by date, in order.
type changeSeries struct {
	series, frequency string
	points            [][2]string // date, value
}

var changeCases = []changeSeries{
	{"M1", "M", [][2]string{{"2021-01-01", "100"}, {"2021-02-01", "100.7"}, {"2021-03-01", "99.123456789012345678"},
		{"2021-12-01", "101.987654321098765432"}, {"2022-01-01", "104.5"}, {"2022-02-01", "104.5"}, {"2022-03-01", "98.000000000000000001"}}},
	// Half an ulp of percent: (200.000000000000000001 − 200) × 100 / 200 = 5·10^-19 → 0; 1.5 ulp → 2 ulp; and downwards.
	{"M2", "M", [][2]string{{"2022-01-01", "200"}, {"2022-02-01", "200.000000000000000001"}}},
	{"M3", "M", [][2]string{{"2022-01-01", "200"}, {"2022-02-01", "200.000000000000000003"}}},
	{"M4", "M", [][2]string{{"2022-01-01", "200"}, {"2022-02-01", "199.999999999999999997"}}},
	// Near the limits: a value of 10^6 − 10^-18 against 10^-18 (a change of 10^26 %: NULL), the same
	// against 1 (10^8 %: exact), and an index of 10^6 (NULL).
	{"M5", "M", [][2]string{{"2022-01-01", "0.000000000000000001"}, {"2022-02-01", "999999.999999999999999999"}, {"2022-03-01", "1"}}},
	{"M6", "M", [][2]string{{"2022-01-01", "1"}, {"2022-02-01", "999999.999999999999999999"}}},
	{"M7", "M", [][2]string{{"2022-01-01", "1000000"}, {"2022-02-01", "1"}, {"2022-03-01", "1000000.5"}}},
	// A quarterly index: no month-on-month, year-on-year against the same quarter.
	{"Q1", "Q", [][2]string{{"2021-01-01", "97.3"}, {"2021-04-01", "98.1"}, {"2022-01-01", "101.11"}, {"2022-04-01", "102.333333333333333333"}}},
	// A daily index on the 28th and 29th of February 2020: 2021-02-28 compares with 2020-02-28.
	{"D1", "D", [][2]string{{"2020-02-28", "80"}, {"2020-02-29", "90"}, {"2021-02-28", "100"}}},
	// Month ends: 2022-01-28 … 2022-01-31 all shift to 2022-02-28, which compares with 01-28.
	{"D2", "M", [][2]string{{"2022-01-28", "50"}, {"2022-01-29", "60"}, {"2022-01-30", "70"}, {"2022-01-31", "80"}, {"2022-02-28", "55"}}},
}

// changeOracle is the exact percent change from prev to v and whether NULL is required
// (an index of 10^6 or more, or a change of 10^19 percent or more).
func changeOracle(t testing.TB, v, prev string) (exact *big.Rat, mustNull bool) {
	a, b := ratOf(t, v), ratOf(t, prev)
	if a.Cmp(pow10(6)) >= 0 || b.Cmp(pow10(6)) >= 0 {
		return nil, true
	}
	x := roundHalfEven18(new(big.Rat).Quo(new(big.Rat).Mul(new(big.Rat).Sub(a, b), big.NewRat(100, 1)), b))
	return x, new(big.Rat).Abs(x).Cmp(pow10(19)) >= 0
}

// TestIntegrationRealTermsAndChangeExactOnBothEngines: econ.fuel_prices_real, econ.wages_real
// and econ.indicators_change against math/big on 18.16 and current ClickHouse, with the CPI
// vintage named, pending rows kept, revisions of the CPI followed, and the documented limits.
func TestIntegrationRealTermsAndChangeExactOnBothEngines(t *testing.T) {
	ch := enginetest.NewChdb(t)
	srv := enginetest.NewServer(t)
	dsn := testenv.ClickHouseDSN(t)
	testenv.OpenStore(t, dsn)
	db := databaseOf(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	migrateChdb(ctx, t, ch, db, false)

	var ind, fuel, wages, defl []string
	for _, c := range realCases {
		for month, v := range c.cpi {
			ind = append(ind, indicatorRow(c.country, "", "CPI", "M", "index", month, month+" 09:00:00", v))
		}
		// A regional CPI and a percent series of the same code: never the deflator.
		ind = append(ind, indicatorRow(c.country, c.country+"-X", "CPI", "M", "index", "2022-01-01", "2022-02-01 00:00:00", "7"),
			indicatorRow(c.country, "", "CPI", "M", "percent", "2022-01-01", "2022-02-01 00:00:00", "3"))
		if c.deflator {
			defl = append(defl, fmt.Sprintf("('%s', 'src', 'CPI', '2021-12-01', 1, '2026-01-01 00:00:00', 1)", c.country))
		}
		fuel = append(fuel, fuelRow(c.country, "", "2022-01-15", c.nominal))
		wages = append(wages, wageRow(c.country, "", "minimum", "month", "2022-01-15", c.nominal, c.nominal))
	}
	// An older vintage of R1's January CPI, stored after the latest one (the latest deflates),
	// and a deflator set, then unset, for a country with CPIs (pending).
	ind = append(ind, indicatorRow("R1", "", "CPI", "M", "index", "2022-01-01", "2022-01-01 08:00:00", "150"))
	ind = append(ind, indicatorRow("U1", "", "CPI", "M", "index", "2021-12-01", "2022-01-01 00:00:00", "100"),
		indicatorRow("U1", "", "CPI", "M", "index", "2022-01-01", "2022-02-01 00:00:00", "101"))
	defl = append(defl, "('U1', 'src', 'CPI', '2021-12-01', 1, '2026-01-01 00:00:00', 1)", "('U1', 'src', 'CPI', '2021-12-01', 0, '2026-01-02 00:00:00', 2)")
	fuel = append(fuel, fuelRow("U1", "", "2022-01-15", "10"))
	// An hourly wage: no monthly amount, so no real monthly amount.
	wages = append(wages, wageRow("R1", "", "minimum", "hour", "2022-01-15", "1250.5", "NULL"))
	for _, s := range changeCases {
		for _, p := range s.points {
			ind = append(ind, indicatorRow("CH", "", s.series, s.frequency, "index", p[0], p[0]+" 12:00:00", p[1]))
		}
	}
	// M1's 2022-01 revised (the latest vintage is compared), an older vintage of 2021-12 arriving late.
	ind = append(ind, indicatorRow("CH", "", "M1", "M", "index", "2022-01-01", "2022-02-15 12:00:00", "104.75"),
		indicatorRow("CH", "", "M1", "M", "index", "2021-12-01", "2021-12-01 06:00:00", "1"))
	changeCases[0].points[4][1] = "104.75"
	inserts := []string{
		fmt.Sprintf(insertIndicator, db) + strings.Join(ind, ", "),
		fmt.Sprintf(insertFuel, db) + strings.Join(fuel, ", "),
		fmt.Sprintf(insertWage, db) + strings.Join(wages, ", "),
		"INSERT INTO " + db + ".deflators (country, source, series, base_month, active, updated_at, _version) VALUES " + strings.Join(defl, ", "),
	}
	for _, q := range inserts {
		if _, err := srv.Query(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := ch.Exec(ctx, inserts...); err != nil {
		t.Fatal(err)
	}

	queries := []string{
		"SELECT country, real_status, cpi_source, cpi_series, cpi_base_month, cpi_month, cpi_value, cpi_published_at, base_cpi_value, base_cpi_published_at, " +
			"real_price, real_price_per_litre, real_price_per_kg FROM " + db + ".fuel_prices_real ORDER BY country",
		"SELECT country, per, real_status, cpi_series, cpi_value, real_amount, real_monthly_amount FROM " + db + ".wages_real ORDER BY country, per",
		"SELECT series, frequency, date, value, prev_month_value, prev_month_published_at, mom_percent, year_ago_value, year_ago_published_at, yoy_percent FROM " +
			db + ".indicators_change WHERE country = 'CH' ORDER BY series, date",
		"SELECT count() FROM " + db + ".indicators_change WHERE unit != 'index'",
	}
	answers := map[string][]string{}
	for i, q := range queries {
		server, err := srv.Query(ctx, q+" FORMAT TSV", pushdown(true))
		if err != nil {
			t.Fatal(err)
		}
		current, err := ch.Query(ctx, q+enginetest.ChdbSettings, "TSV")
		if err != nil {
			t.Fatal(err)
		}
		if a, b := enginetest.SameText(server), string(current); a != b {
			t.Errorf("18.16 and current ClickHouse differ on %s:\n%s", q, firstDiff(a, b))
		}
		answers[fmt.Sprint(i)] = strings.Split(strings.TrimSpace(string(server)), "\n")
	}

	// fuel_prices_real: one row per price, pending ones kept.
	fuelRows := map[string][]string{}
	for _, line := range answers["0"] {
		f := strings.Split(line, "\t")
		if len(f) != 13 {
			t.Fatalf("fuel_prices_real row %q", line)
		}
		fuelRows[f[0]] = f
	}
	if len(fuelRows) != len(realCases)+1 || len(answers["0"]) != len(realCases)+1 {
		t.Errorf("fuel_prices_real: %d rows, want %d (one per price, pending ones kept)", len(answers["0"]), len(realCases)+1)
	}
	for _, c := range realCases {
		f := fuelRows[c.country]
		if f == nil {
			t.Errorf("fuel_prices_real %s (%s): no row", c.country, c.note)
			continue
		}
		if c.wantState != "" && f[1] != c.wantState {
			t.Errorf("fuel_prices_real %s (%s): real_status %s, want %s", c.country, c.note, f[1], c.wantState)
		}
		exact, mayNull, mustNull := realOracle(t, c, c.nominal)
		for i, col := range []string{"real_price", "real_price_per_litre"} {
			if d := checkDecimal(f[10+i], exact, mayNull, mustNull); d != "" {
				t.Errorf("fuel_prices_real %s (%s): %s = %s", c.country, c.note, col, d)
			}
		}
		if f[12] != `\N` {
			t.Errorf("fuel_prices_real %s: real_price_per_kg = %s for a price per litre, want NULL", c.country, f[12])
		}
		// The CPI used is named: the series, the months, the values and their vintages.
		if c.wantState == "deflated" {
			want := []string{"src", "CPI", "2021-12-01", "2022-01-01", c.cpi["2022-01-01"], "2022-01-01 09:00:00", c.cpi["2021-12-01"], "2021-12-01 09:00:00"}
			for i, w := range want {
				if g := f[2+i]; g != w && !(i == 4 || i == 6) || (i == 4 || i == 6) && !sameDecimal(g, w) {
					t.Errorf("fuel_prices_real %s: column %d = %q, want %q (row %q)", c.country, 2+i, g, w, f)
				}
			}
		}
	}
	if f := fuelRows["R1"]; f != nil && (f[7] != "2022-01-01 09:00:00" || !sameDecimal(f[6], "100.7")) {
		t.Errorf("fuel_prices_real R1: CPI %s of %s, want the latest vintage 100.7 of 2022-01-01 09:00:00", f[6], f[7])
	}
	if f := fuelRows["S1"]; f != nil && (f[3] != "" || f[6] != `\N`) {
		t.Errorf("fuel_prices_real S1 (no CPI for the month): cpi_series %q cpi_value %s, want '' and NULL", f[3], f[6])
	}
	if f := fuelRows["S2"]; f != nil && (f[3] != "CPI" || !sameDecimal(f[6], "100.7") || f[8] != `\N`) {
		t.Errorf("fuel_prices_real S2 (no CPI for the base month): %q, want the month's CPI named and base_cpi_value NULL", f)
	}
	if f := fuelRows["U1"]; f == nil || f[1] != "pending" || f[3] != "" || f[11] != `\N` {
		t.Errorf("fuel_prices_real U1 (deflator unset): %q, want pending with no CPI", f)
	}

	// wages_real: the amount and the monthly amount deflated alike; an hourly wage has no real
	// monthly amount.
	for _, line := range answers["1"] {
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			t.Fatalf("wages_real row %q", line)
		}
		if f[1] == "hour" {
			exact, _, _ := realOracle(t, realCases[0], "1250.5")
			if d := checkDecimal(f[5], exact, false, false); d != "" || f[6] != `\N` {
				t.Errorf("wages_real R1 hourly: real_amount %s, real_monthly_amount %s, want exact and NULL", d, f[6])
			}
			continue
		}
		var c *realCase
		for i := range realCases {
			if realCases[i].country == f[0] {
				c = &realCases[i]
			}
		}
		if c == nil {
			t.Errorf("wages_real: unexpected row %q", line)
			continue
		}
		if c.wantState != "" && f[2] != c.wantState {
			t.Errorf("wages_real %s (%s): real_status %s, want %s", c.country, c.note, f[2], c.wantState)
		}
		exact, mayNull, mustNull := realOracle(t, *c, c.nominal)
		for i, col := range []string{"real_amount", "real_monthly_amount"} {
			if d := checkDecimal(f[5+i], exact, mayNull, mustNull); d != "" {
				t.Errorf("wages_real %s (%s): %s = %s", c.country, c.note, col, d)
			}
		}
	}
	if len(answers["1"]) != len(realCases)+1 {
		t.Errorf("wages_real: %d rows, want %d", len(answers["1"]), len(realCases)+1)
	}

	// indicators_change: every index row once, with its month-on-month (monthly series) and
	// year-on-year change.
	got := map[string][]string{}
	for _, line := range answers["2"] {
		f := strings.Split(line, "\t")
		if len(f) != 10 {
			t.Fatalf("indicators_change row %q", line)
		}
		got[f[0]+" "+f[2]] = f
	}
	n := 0
	for _, s := range changeCases {
		values := map[string]string{}
		for _, p := range s.points {
			values[p[0]] = p[1]
		}
		for _, p := range s.points {
			n++
			key := s.series + " " + p[0]
			f := got[key]
			if f == nil {
				t.Errorf("indicators_change %s: no row", key)
				continue
			}
			if !sameDecimal(f[3], p[1]) {
				t.Errorf("indicators_change %s: value %s, want %s", key, f[3], p[1])
			}
			d, _ := time.Parse(time.DateOnly, p[0])
			prevDates := map[int][]string{}
			if s.frequency == "M" {
				prevDates[4] = earlierShifted(d, func(x time.Time) time.Time { return addMonthsClamped(x, 1) })
			}
			prevDates[7] = earlierShifted(d, func(x time.Time) time.Time { return addMonthsClamped(x, 12) })
			for col, name := range map[int]string{4: "mom_percent", 7: "yoy_percent"} {
				var prev string
				for _, pd := range prevDates[col] {
					if v, ok := values[pd]; ok {
						prev = v
						break
					}
				}
				if prev == "" {
					if f[col] != `\N` || f[col+2] != `\N` {
						t.Errorf("indicators_change %s: %s %s of %s, want NULL (nothing to compare)", key, name, f[col+2], f[col])
					}
					continue
				}
				if !sameDecimal(f[col], prev) {
					t.Errorf("indicators_change %s: compared with %s, want %s", key, f[col], prev)
				}
				exact, mustNull := changeOracle(t, p[1], prev)
				if dd := checkDecimal(f[col+2], exact, mustNull, mustNull); dd != "" {
					t.Errorf("indicators_change %s: %s = %s", key, name, dd)
				}
			}
		}
	}
	if len(answers["2"]) != n {
		t.Errorf("indicators_change: %d rows, want %d", len(answers["2"]), n)
	}
	if f := got["M1 2022-01-01"]; f != nil && f[8] != "2021-01-01 12:00:00" {
		t.Errorf("indicators_change M1 2022-01: year_ago_published_at %s, want 2021-01-01 12:00:00", f[8])
	}
	if f := got["M1 2022-02-01"]; f != nil && (f[5] != "2022-02-15 12:00:00" || !sameDecimal(f[4], "104.75")) {
		t.Errorf("indicators_change M1 2022-02: compared with %s of %s, want the revision 104.75 of 2022-02-15 12:00:00", f[4], f[5])
	}
	if strings.Join(answers["3"], "") != "0" {
		t.Errorf("indicators_change has %s rows of a series that is not an index, want 0", answers["3"])
	}
}

// addMonthsClamped is ClickHouse's addMonths: the day clamped to the end of the target month.
func addMonthsClamped(d time.Time, months int) time.Time {
	first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, months, 0)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d.Day(), last)-1)
}

// earlierShifted lists the dates x whose shift(x) is d, earliest first: the observation
// a view compares d with is the earliest one present.
func earlierShifted(d time.Time, shift func(time.Time) time.Time) []string {
	var out []string
	for back := 0; back < 400; back++ {
		x := d.AddDate(0, 0, -back)
		if shift(x).Equal(d) {
			out = append([]string{x.Format(time.DateOnly)}, out...)
		}
	}
	return out
}
