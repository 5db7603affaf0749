package bench

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// querySpec is one question of the query benchmark, asked of a view as an economist or a
// dashboard asks it, and the same answer read from the *_data tables by their primary key.
// The view query uses only the view's name and its contract columns, so it runs unchanged on
// any design of the views.
type querySpec struct {
	Name  string // short id, e.g. series_history
	Shape string // the question, for the table
	View  string // the view asked
	// ViewSQL and DirectSQL answer the question, the first from the view, the second from the
	// storage tables.
	ViewSQL, DirectSQL string
	// Approx names view columns whose value the contract lets be rounded or truncated (averages
	// and ratios: to no fewer than 6 fractional digits). Each is compared, within 10^-6, with
	// the exact value its function computes from the direct row; every other view column must
	// equal the direct read's column of the same name.
	Approx map[string]exactFunc
}

// exactFunc computes the exact value of an approximated column from a direct row; ok is false
// when the value is NULL.
type exactFunc func(row map[string]cell) (v *big.Rat, ok bool, err error)

// cell is one value of an answer, as text (JSON strings unquoted, numbers as written).
type cell struct {
	text string
	null bool
}

func (c cell) String() string {
	if c.null {
		return "NULL"
	}
	return c.text
}

// QueryTarget is what the questions ask about: one country (and its currency), one of its
// regions and a product, a date range, and a date whose observation has several vintages.
type QueryTarget struct {
	Country     string `json:"country"`
	Region      string `json:"region"`
	Product     string `json:"product"`
	Currency    string `json:"currency"`
	From        string `json:"from"` // dates: YYYY-MM-DD
	To          string `json:"to"`
	Observation string `json:"observation"`
}

// Identities of the storage tables (their sorting keys without the date and published_at).
const (
	fuelIdentity = "country, region, product, tax_basis, currency, unit, source, frequency"
	wageIdentity = "country, region, measure, basis, per, currency, source, frequency"
	rateIdentity = "base, quote, rate_type, source, frequency"
	// latestFirst orders the rows of one observation so that its latest vintage, and of that
	// its latest write, comes first.
	latestFirst = "published_at DESC, published_ns DESC, _version DESC"
)

// querySpecs returns the fixed set of questions about t in database db.
func querySpecs(db string, t QueryTarget) []querySpec {
	series := fmt.Sprintf("country = '%s' AND region = '%s' AND product = '%s'", t.Country, t.Region, t.Product)
	dateRange := fmt.Sprintf("date >= toDate('%s') AND date <= toDate('%s')", t.From, t.To)
	countryProduct := fmt.Sprintf("country = '%s' AND product = '%s'", t.Country, t.Product)
	// latestFuel reads the latest vintage of every fuel observation matching where.
	latestFuel := func(cols, where string) string {
		return "SELECT " + cols + " FROM " + db + ".fuel_prices_data WHERE " + where +
			" ORDER BY date, " + latestFirst + " LIMIT 1 BY " + fuelIdentity + ", date"
	}
	seriesCols := "date, price, currency, price_per_litre_eur, published_at"
	return []querySpec{
		{
			Name: "series_history", Shape: "one series, whole history", View: "fuel_prices",
			ViewSQL:   "SELECT " + seriesCols + " FROM " + db + ".fuel_prices WHERE " + series + " ORDER BY date",
			DirectSQL: latestFuel(seriesCols, series),
		},
		{
			Name: "series_range", Shape: "one series, " + t.From + " to " + t.To, View: "fuel_prices",
			ViewSQL:   "SELECT " + seriesCols + " FROM " + db + ".fuel_prices WHERE " + series + " AND " + dateRange + " ORDER BY date",
			DirectSQL: latestFuel(seriesCols, series+" AND "+dateRange),
		},
		{
			Name: "country_product_latest", Shape: "latest price of every region, one country and product", View: "fuel_prices_current",
			ViewSQL: "SELECT region, date, price, currency, published_at FROM " + db + ".fuel_prices_current WHERE " + countryProduct + " ORDER BY region",
			DirectSQL: "SELECT region, date, price, currency, published_at FROM " + db + ".fuel_prices_data WHERE " + countryProduct +
				" ORDER BY date DESC, " + latestFirst + " LIMIT 1 BY " + fuelIdentity,
		},
		{
			Name: "observation_vintages", Shape: "every vintage of one observation (" + t.Observation + ")", View: "fuel_prices_history",
			ViewSQL: "SELECT published_at, price, price_per_litre_eur FROM " + db + ".fuel_prices_history WHERE " + series +
				" AND date = toDate('" + t.Observation + "') ORDER BY published_at",
			DirectSQL: "SELECT published_at, price, price_per_litre_eur FROM " + db + ".fuel_prices_data WHERE " + series +
				" AND date = toDate('" + t.Observation + "') ORDER BY published_at, published_ns, _version DESC LIMIT 1 BY " + fuelIdentity + ", date, published_at, published_ns",
		},
		{
			Name: "monthly_country_product", Shape: "monthly averages of every region, one country and product", View: "fuel_prices_monthly",
			ViewSQL: "SELECT month, region, tax_basis, observations, avg_price_per_litre_eur, min_price_per_litre_eur, max_price_per_litre_eur FROM " +
				db + ".fuel_prices_monthly WHERE " + countryProduct + " ORDER BY region, month",
			DirectSQL: "SELECT toStartOfMonth(date) AS month, region, tax_basis, count() AS observations, " +
				"sum(price_per_litre_eur) AS sum_price_per_litre_eur, count(price_per_litre_eur) AS priced, " +
				"min(price_per_litre_eur) AS min_price_per_litre_eur, max(price_per_litre_eur) AS max_price_per_litre_eur FROM (" +
				latestFuel(fuelIdentity+", date, published_at, price_per_litre_eur", countryProduct) +
				") GROUP BY month, region, tax_basis ORDER BY region, month",
			Approx: map[string]exactFunc{"avg_price_per_litre_eur": ratio("sum_price_per_litre_eur", "", "priced")},
		},
		{
			Name: "affordability_country", Shape: "litres a monthly wage buys, every region and product, one country", View: "fuel_affordability",
			ViewSQL: "SELECT month, region, product, wage_measure, wage_basis, currency, wage_region, monthly_wage, avg_price_per_litre, litres_per_monthly_wage FROM " +
				db + ".fuel_affordability WHERE country = '" + t.Country + "' ORDER BY month, region, product, wage_measure",
			DirectSQL: affordabilityDirect(db, t.Country, "", latestFuel),
			Approx:    affordabilityApprox,
		},
		{
			Name: "affordability_series", Shape: "litres a monthly wage buys, one series", View: "fuel_affordability",
			ViewSQL: "SELECT month, region, product, wage_measure, wage_basis, currency, wage_region, monthly_wage, avg_price_per_litre, litres_per_monthly_wage FROM " +
				db + ".fuel_affordability WHERE " + series + " ORDER BY month, wage_measure",
			DirectSQL: affordabilityDirect(db, t.Country, series, latestFuel),
			Approx:    affordabilityApprox,
		},
		{
			Name: "fx_pair", Shape: "every EUR/" + t.Currency + " rate", View: "fx_rates",
			ViewSQL: "SELECT date, rate, quantity, source, rate_type, published_at FROM " + db + ".fx_rates WHERE base = 'EUR' AND quote = '" +
				t.Currency + "' ORDER BY date",
			DirectSQL: "SELECT date, rate, quantity, source, rate_type, published_at FROM " + db + ".fx_rates_data WHERE base = 'EUR' AND quote = '" +
				t.Currency + "' ORDER BY date, " + latestFirst + " LIMIT 1 BY " + rateIdentity + ", date",
		},
	}
}

// affordabilityApprox are fuel_affordability's computed columns, exact from a direct row.
var affordabilityApprox = map[string]exactFunc{
	"avg_price_per_litre":     ratio("price_sum", "", "price_count"),
	"litres_per_monthly_wage": ratio("monthly_wage", "price_count", "price_sum"),
}

// affordabilityDirect reads fuel_affordability's answer for one country (and the prices of
// series, when not "") from the storage tables: the month's incl_tax prices per litre (latest
// vintages; their exact sum and count), joined with the month's monthly wages of the country
// (latest vintages), a regional wage over the national one. The benchmark's wages are monthly
// and dated the first of each month, so the wage of a month is the one dated in it, whether a
// view takes the wages dated in the month or the wage in force.
func affordabilityDirect(db, country, series string, latestFuel func(cols, where string) string) string {
	where := "country = '" + country + "' AND tax_basis = 'incl_tax'"
	if series != "" {
		where = series + " AND tax_basis = 'incl_tax'"
	}
	prices := latestFuel(fuelIdentity+", date, published_at, price_per_litre", where)
	wages := "SELECT " + wageIdentity + ", date, published_at, monthly_amount FROM " + db + ".wages_data WHERE country = '" + country +
		"' ORDER BY date, " + latestFirst + " LIMIT 1 BY " + wageIdentity + ", date"
	return `SELECT month, region, product, wage_measure, wage_basis, currency,
       argMax(w_region, w_region = region) AS wage_region,
       argMax(w_amount, w_region = region) AS monthly_wage,
       any(p_sum) AS price_sum, any(p_count) AS price_count
FROM
(
    SELECT month, region, product, currency, p_sum, p_count, w_region, wage_measure, wage_basis, w_amount
    FROM
    (
        SELECT toStartOfMonth(date) AS month, region, product, currency,
               sum(assumeNotNull(price_per_litre)) AS p_sum, count() AS p_count
        FROM (` + prices + `)
        WHERE price_per_litre IS NOT NULL
        GROUP BY month, region, product, currency
    ) AS p
    ALL INNER JOIN
    (
        SELECT toStartOfMonth(date) AS month, currency, region AS w_region, measure AS wage_measure, basis AS wage_basis,
               assumeNotNull(monthly_amount) AS w_amount
        FROM (` + wages + `)
        WHERE monthly_amount IS NOT NULL
    ) AS w USING (month, currency)
    WHERE w_region = region OR w_region = ''
)
GROUP BY month, region, product, wage_measure, wage_basis, currency
ORDER BY month, region, product, wage_measure`
}

// ratio returns the exactFunc of num × mul / den, from direct columns (mul "" for 1); NULL when
// num is NULL or den is NULL or zero.
func ratio(num, mul, den string) exactFunc {
	return func(row map[string]cell) (*big.Rat, bool, error) {
		n, ok, err := ratOf(row, num)
		if err != nil || !ok {
			return nil, false, err
		}
		if mul != "" {
			m, ok, err := ratOf(row, mul)
			if err != nil || !ok {
				return nil, false, err
			}
			n.Mul(n, m)
		}
		d, ok, err := ratOf(row, den)
		if err != nil || !ok || d.Sign() == 0 {
			return nil, false, err
		}
		return n.Quo(n, d), true, nil
	}
}

func ratOf(row map[string]cell, col string) (*big.Rat, bool, error) {
	c, ok := row[col]
	if !ok {
		return nil, false, fmt.Errorf("the direct read has no column %s", col)
	}
	if c.null {
		return nil, false, nil
	}
	r, ok := new(big.Rat).SetString(c.text)
	if !ok {
		return nil, false, fmt.Errorf("column %s: %q is not a number", col, c.text)
	}
	return r, true, nil
}

// tolerance is how far an approximated column may be from its exact value: the contract lets
// averages and ratios be rounded or truncated to no fewer than 6 fractional digits.
var tolerance = big.NewRat(1, 1_000_000)

// answer is the result of one query: column names and rows.
type answer struct {
	Columns []string
	Rows    [][]cell
}

// compareAnswers checks that view and direct give the same rows, in any order: every view
// column not in approx equal to the direct column of the same name, and every approximated one
// within tolerance of the exact value computed from the direct row. It returns nil or an error
// describing the first difference.
func compareAnswers(view, direct *answer, approx map[string]exactFunc) error {
	dcol := map[string]int{}
	for i, c := range direct.Columns {
		dcol[c] = i
	}
	var exact []int  // view columns compared exactly
	var exactD []int // the same columns in the direct answer
	for i, c := range view.Columns {
		if approx[c] != nil {
			continue
		}
		j, ok := dcol[c]
		if !ok {
			return fmt.Errorf("the direct read has no column %s", c)
		}
		exact, exactD = append(exact, i), append(exactD, j)
	}
	if len(view.Rows) != len(direct.Rows) {
		return fmt.Errorf("the view answered %d rows, the direct read %d", len(view.Rows), len(direct.Rows))
	}
	key := func(row []cell, cols []int) string {
		var b strings.Builder
		for _, c := range cols {
			b.WriteString(row[c].String())
			b.WriteByte(0)
		}
		return b.String()
	}
	type keyed struct {
		key string
		row []cell
	}
	sorted := func(rows [][]cell, cols []int) []keyed {
		out := make([]keyed, len(rows))
		for i, r := range rows {
			out[i] = keyed{key(r, cols), r}
		}
		slices.SortFunc(out, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
		return out
	}
	vs, ds := sorted(view.Rows, exact), sorted(direct.Rows, exactD)
	for i := range vs {
		if vs[i].key != ds[i].key {
			return fmt.Errorf("row %d (in the order of its exact columns) differs:\n  view:   %s\n  direct: %s",
				i+1, showRow(view.Columns, vs[i].row), showRow(direct.Columns, ds[i].row))
		}
		if len(approx) == 0 {
			continue
		}
		drow := map[string]cell{}
		for j, c := range direct.Columns {
			drow[c] = ds[i].row[j]
		}
		for j, c := range view.Columns {
			f := approx[c]
			if f == nil {
				continue
			}
			want, ok, err := f(drow)
			if err != nil {
				return err
			}
			got := vs[i].row[j]
			switch {
			case !ok && got.null:
				continue
			case !ok || got.null:
				return fmt.Errorf("row %d: %s is %s in the view, exactly %v from the direct read:\n  view:   %s\n  direct: %s",
					i+1, c, got, ratString(want, ok), showRow(view.Columns, vs[i].row), showRow(direct.Columns, ds[i].row))
			}
			v, isNum := new(big.Rat).SetString(got.text)
			if !isNum {
				return fmt.Errorf("row %d: %s = %q is not a number", i+1, c, got.text)
			}
			if diff := new(big.Rat).Sub(v, want); diff.Abs(diff).Cmp(tolerance) > 0 {
				return fmt.Errorf("row %d: %s is %s in the view, exactly %s from the direct read (more than 10^-6 apart):\n  view:   %s\n  direct: %s",
					i+1, c, got.text, want.FloatString(24), showRow(view.Columns, vs[i].row), showRow(direct.Columns, ds[i].row))
			}
		}
	}
	return nil
}

func ratString(r *big.Rat, ok bool) string {
	if !ok {
		return "NULL"
	}
	return r.FloatString(24)
}

func showRow(cols []string, row []cell) string {
	parts := make([]string, len(row))
	for i, c := range row {
		parts[i] = cols[i] + "=" + c.String()
	}
	return strings.Join(parts, " ")
}
