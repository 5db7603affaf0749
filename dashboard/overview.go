package dashboard

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// pageDefs lists the pages in navigation order.
func (d *Dashboard) pageDefs() []*pageDef {
	return []*pageDef{
		{path: "/", title: "What is stored", nav: "Overview", spec: spec{pFormat, pTable},
			tables: []string{"kinds", "countries", "pairs"}, build: d.overview},
		{path: "/series", title: "Fuel price series", nav: "Series",
			spec:   spec{pCountry, pRegion, pProduct, pTaxBasis, pCurrency, pUnit, pSource, pFrequency, pFrom, pTo, pFormat, pTable},
			tables: []string{"observations", "series"}, build: d.series},
		{path: "/series/history", title: "Every vintage of a series",
			spec: spec{required(pCountry), required(pRegion), required(pProduct), required(pTaxBasis), required(pCurrency),
				required(pUnit), required(pSource), required(pFrequency), pDate, pFrom, pTo, pFormat, pTable},
			tables: []string{"vintages"}, build: d.history},
		{path: "/affordability", title: "Litres of fuel one wage buys", nav: "Affordability",
			spec:   spec{pCountry, pRegion, pProduct, pWageMeas, pFrom, pTo, pFormat, pTable},
			tables: []string{"affordability", "countries"}, build: d.affordability},
		{path: "/fx", title: "Exchange rates", nav: "FX",
			spec:   spec{pBase, pQuote, pRateType, pSource, pCountry, pFrom, pTo, pFormat, pTable},
			tables: []string{"rates", "conversions", "pairs"}, build: d.fx},
		{path: "/wages", title: "Wages", nav: "Wages",
			spec:   spec{pCountry, pRegion, pMeasure, pBasis, pPer, pFrom, pTo, pFormat, pTable},
			tables: []string{"wages", "countries"}, build: d.wages},
		{path: "/rejects", title: "Rejected messages", nav: "Rejects",
			spec: spec{pCode, pFrom, pTo, pFormat, pTable}, tables: []string{"rejects", "codes"}, build: d.rejects},
		{path: "/health", title: "Pipeline health", nav: "Health", spec: spec{pFormat, pTable},
			tables: []string{"status", "lag", "rows"}, build: d.healthPage},
	}
}

// seriesCountLimit is the number of stored rows up to which the overview counts series exactly.
// Counting distinct identities reads every identity column of every row (about 1 s for 10M
// prices on two cores); above the limit the overview shows rows and latest dates only.
const seriesCountLimit = 1_000_000

// storedRows returns the rows of each econflow table's active parts, from ClickHouse's metadata
// (system.parts): no table is read. A replaced duplicate counts until its part is merged.
func (d *Dashboard) storedRows(ctx context.Context) (map[string]uint64, error) {
	out := map[string]uint64{}
	err := d.each(ctx, "SELECT table, sum(rows) FROM system.parts WHERE database = ? AND active "+
		"AND table IN ('fuel_prices_data', 'wages_data', 'fx_rates_data', 'rejects_data') GROUP BY table",
		[]any{d.o.Database}, func(r driver.Rows) error {
			var t string
			var n uint64
			if err := r.Scan(&t, &n); err != nil {
				return err
			}
			out[t] = n
			return nil
		})
	return out, err
}

// countryStats is what is stored for one country (or one currency pair).
type countryStats struct {
	rows, series uint64
	counted      bool // series counted
	latest       time.Time
}

// byCountry counts rows (and series, for tables of at most seriesCountLimit rows) per country of
// a data table, with the latest date. It reads the country and date columns (and, when counting
// series, the identity columns) of the table: the overview's one scan, about 0.15 s for 10M
// prices.
func (d *Dashboard) byCountry(ctx context.Context, dataTable, identity string, rows uint64) (map[string]*countryStats, error) {
	countSeries := rows <= seriesCountLimit
	sql := "SELECT country, count(), max(date), toUInt64(0) FROM " + d.table(dataTable) + " GROUP BY country"
	if countSeries {
		sql = "SELECT country, count(), max(date), uniqExact(" + identity + ") FROM " + d.table(dataTable) + " GROUP BY country"
	}
	out := map[string]*countryStats{}
	err := d.each(ctx, sql, nil, func(r driver.Rows) error {
		var c string
		s := &countryStats{counted: countSeries}
		if err := r.Scan(&c, &s.rows, &s.latest, &s.series); err != nil {
			return err
		}
		out[c] = s
		return nil
	})
	return out, err
}

type pair struct{ base, quote string }

func (d *Dashboard) byPair(ctx context.Context, rows uint64) (map[pair]*countryStats, error) {
	countSeries := rows <= seriesCountLimit
	sql := "SELECT base, quote, count(), max(date), toUInt64(0) FROM " + d.table("fx_rates_data") + " GROUP BY base, quote"
	if countSeries {
		sql = "SELECT base, quote, count(), max(date), uniqExact(rate_type, source, frequency) FROM " + d.table("fx_rates_data") + " GROUP BY base, quote"
	}
	out := map[pair]*countryStats{}
	err := d.each(ctx, sql, nil, func(r driver.Rows) error {
		var p pair
		s := &countryStats{counted: countSeries}
		if err := r.Scan(&p.base, &p.quote, &s.rows, &s.latest, &s.series); err != nil {
			return err
		}
		out[p] = s
		return nil
	})
	return out, err
}

const (
	fuelIdentity = "region, product, tax_basis, currency, unit, source, frequency"
	wageIdentity = "region, measure, basis, per, currency, source, frequency"
)

// overviewData is everything the overview shows; other pages reuse parts of it as choosers.
type overviewData struct {
	rows          map[string]uint64
	fuel, wages   map[string]*countryStats
	pairs         map[pair]*countryStats
	rejectsDay    uint64
	latestRejects time.Time
}

func (d *Dashboard) loadOverview(ctx context.Context, fuel, wages, pairs, rejects bool) (*overviewData, error) {
	o := &overviewData{}
	var err error
	if o.rows, err = d.storedRows(ctx); err != nil {
		return nil, err
	}
	// The queries are independent: run them side by side.
	type result struct {
		name string
		err  error
	}
	results := make(chan result, 4)
	n := 0
	run := func(name string, f func() error) {
		n++
		go func() { results <- result{name, f()} }()
	}
	if fuel {
		run("fuel prices by country", func() (err error) {
			o.fuel, err = d.byCountry(ctx, "fuel_prices_data", fuelIdentity, o.rows["fuel_prices_data"])
			return err
		})
	}
	if wages {
		run("wages by country", func() (err error) {
			o.wages, err = d.byCountry(ctx, "wages_data", wageIdentity, o.rows["wages_data"])
			return err
		})
	}
	if pairs {
		run("rates by pair", func() (err error) {
			o.pairs, err = d.byPair(ctx, o.rows["fx_rates_data"])
			return err
		})
	}
	if rejects {
		run("rejects of the last day", func() error {
			return d.each(ctx, "SELECT count(), max(received_at) FROM "+d.table("rejects")+" WHERE received_at >= now() - INTERVAL 1 DAY",
				nil, func(r driver.Rows) error { return r.Scan(&o.rejectsDay, &o.latestRejects) })
		})
	}
	var first error
	for ; n > 0; n-- {
		if r := <-results; r.err != nil && first == nil {
			first = fmt.Errorf("%s: %w", r.name, r.err)
		}
	}
	return o, first
}

func (d *Dashboard) overview(ctx context.Context, v values, p *page) error {
	o, err := d.loadOverview(ctx, true, true, true, true)
	if err != nil {
		return err
	}
	p.Intro = "Everything econflow has stored in ClickHouse database " + d.o.Database +
		", read through its SQL views. Rows count every vintage kept; follow a link to see a series, its revisions and its conversions."
	kinds := &table{ID: "kinds", Title: "Kinds of records", Columns: []column{
		{Name: "kind", Label: "kind"}, {Name: "series", Label: "series", Num: true}, {Name: "rows", Label: "rows stored", Num: true},
		{Name: "latest_date", Label: "latest date"}, {Name: "page", Label: "see"}}}
	add := func(kind, table string, stats []*countryStats, href string) {
		var series uint64
		counted := true
		var latest time.Time
		for _, s := range stats {
			series += s.series
			counted = counted && s.counted
			if s.latest.After(latest) {
				latest = s.latest
			}
		}
		sc := integer(series)
		if !counted {
			sc = cell{Null: true, Show: "not counted", Class: "muted"}
		}
		lc := date(latest)
		if len(stats) == 0 {
			lc = cell{Null: true, Show: "—"}
		}
		kinds.add(text(kind), sc, integer(o.rows[table]), lc, link(href, href))
	}
	add("fuel_price", "fuel_prices_data", statsOf(o.fuel), "/series")
	add("wage", "wages_data", statsOf(o.wages), "/wages")
	add("fx_rate", "fx_rates_data", statsOf(o.pairs), "/fx")
	rej := cell{Null: true, Show: "—"}
	if o.rejectsDay > 0 {
		rej = dateTime(o.latestRejects)
	}
	kinds.add(text("reject"), cell{Null: true, Show: ""}, integer(o.rows["rejects_data"]), rej, link("/rejects", "/rejects"))
	if !o.allCounted() {
		kinds.Note = fmt.Sprintf("Series are counted for tables of up to %d rows: counting them reads every identity column of every row.", seriesCountLimit)
	}
	p.Tables = append(p.Tables, kinds)
	p.Facts = append(p.Facts, fact{Label: "rejects in the last 24 hours", Value: fmt.Sprint(o.rejectsDay), Href: "/rejects",
		Class: map[bool]string{true: "bad", false: "good"}[o.rejectsDay > 0]})
	p.Tables = append(p.Tables, d.countriesTable(o, "countries"), d.pairsTable(o, "pairs"))
	p.Links = []navLink{{Label: "Pipeline health", Href: "/health"}, {Label: "Rejected messages", Href: "/rejects"}}
	return nil
}

// allCounted reports whether every series count of the overview is there.
func (o *overviewData) allCounted() bool {
	for _, s := range append(append(statsOf(o.fuel), statsOf(o.wages)...), statsOf(o.pairs)...) {
		if !s.counted {
			return false
		}
	}
	return true
}

func statsOf[K comparable](m map[K]*countryStats) []*countryStats {
	out := make([]*countryStats, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}

// countriesTable lists the countries with fuel prices or wages and links to their pages.
func (d *Dashboard) countriesTable(o *overviewData, id string) *table {
	t := &table{ID: id, Title: "Countries", Columns: []column{
		{Name: "country", Label: "country"},
		{Name: "fuel_price_rows", Label: "fuel price rows", Num: true}, {Name: "fuel_price_series", Label: "fuel price series", Num: true},
		{Name: "latest_price_date", Label: "latest price"},
		{Name: "wage_rows", Label: "wage rows", Num: true}, {Name: "latest_wage_date", Label: "latest wage"},
		{Name: "series", Label: "series"}, {Name: "affordability", Label: "affordability"}, {Name: "wages", Label: "wages"}}}
	seen := map[string]bool{}
	var countries []string
	for c := range o.fuel {
		seen[c] = true
		countries = append(countries, c)
	}
	for c := range o.wages {
		if !seen[c] {
			countries = append(countries, c)
		}
	}
	sort.Strings(countries)
	for _, c := range countries {
		f, w := o.fuel[c], o.wages[c]
		row := []cell{text(c)}
		if f != nil {
			sc := integer(f.series)
			if !f.counted {
				sc = cell{Null: true, Show: "not counted", Class: "muted"}
			}
			row = append(row, integer(f.rows), sc, date(f.latest))
		} else {
			row = append(row, integer(0), integer(0), cell{Null: true, Show: "—"})
		}
		if w != nil {
			row = append(row, integer(w.rows), date(w.latest))
		} else {
			row = append(row, integer(0), cell{Null: true, Show: "—"})
		}
		s, a, wg := pageURL("/series", "country", c), pageURL("/affordability", "country", c), pageURL("/wages", "country", c)
		row = append(row, link(s, s), link(a, a), link(wg, wg))
		t.add(row...)
	}
	if len(countries) == 0 {
		t.Note = "Nothing stored yet: publish records with `econflow produce` while `econflow consume` runs, or run `econflow demo`."
	}
	return t
}

// pairsTable lists the stored currency pairs and links to their pages.
func (d *Dashboard) pairsTable(o *overviewData, id string) *table {
	t := &table{ID: id, Title: "Currency pairs", Columns: []column{
		{Name: "base", Label: "base"}, {Name: "quote", Label: "quote"}, {Name: "rows", Label: "rows", Num: true},
		{Name: "series", Label: "series", Num: true}, {Name: "latest_date", Label: "latest rate"}, {Name: "page", Label: "see"}}}
	var pairs []pair
	for p := range o.pairs {
		pairs = append(pairs, p)
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].base != pairs[j].base {
			return pairs[i].base < pairs[j].base
		}
		return pairs[i].quote < pairs[j].quote
	})
	for _, p := range pairs {
		s := o.pairs[p]
		sc := integer(s.series)
		if !s.counted {
			sc = cell{Null: true, Show: "not counted", Class: "muted"}
		}
		href := pageURL("/fx", "base", p.base, "quote", p.quote)
		t.add(text(p.base), text(p.quote), integer(s.rows), sc, date(s.latest), link(href, href))
	}
	if len(pairs) == 0 {
		t.Note = "No exchange rates stored yet."
	}
	return t
}
