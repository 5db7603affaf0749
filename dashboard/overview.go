package dashboard

import (
	"context"
	"fmt"
	"sort"
	"sync"
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
			spec:   spec{pBase, pQuote, pRateType, pSource, pCountry, pRegion, pProduct, pFrom, pTo, pFormat, pTable},
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

// defaultDetailRows is the default of Options.OverviewDetailRows.
const defaultDetailRows = 1_000_000

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
	latest       time.Time
	detailed     bool // series and latest are known (the table has at most Options.OverviewDetailRows rows)
}

// byCountry counts rows per country of a data table and, for a table of at most
// Options.OverviewDetailRows rows,
// series and the latest date. A large table has only its first key column read (country: about
// 0.12 s for 10M prices on two cores).
func (d *Dashboard) byCountry(ctx context.Context, dataTable, identity string, rows uint64) (map[string]*countryStats, error) {
	detailed := rows <= uint64(d.o.OverviewDetailRows)
	sql := "SELECT country, count(), toDate('1970-01-01'), toUInt64(0) FROM " + d.table(dataTable) + " GROUP BY country"
	if detailed {
		sql = "SELECT country, count(), max(date), uniqExact(" + identity + ") FROM " + d.table(dataTable) + " GROUP BY country"
	}
	out := map[string]*countryStats{}
	err := d.each(ctx, sql, nil, func(r driver.Rows) error {
		var c string
		s := &countryStats{detailed: detailed}
		if err := r.Scan(&c, &s.rows, &s.latest, &s.series); err != nil {
			return err
		}
		out[c] = s
		return nil
	})
	return out, err
}

// latestDate is the greatest date of a data table: one Date column read (about 25 ms for 10M rows).
func (d *Dashboard) latestDate(ctx context.Context, dataTable string) (time.Time, bool, error) {
	var n uint64
	var latest time.Time
	err := d.each(ctx, "SELECT count(), max(date) FROM "+d.table(dataTable), nil, func(r driver.Rows) error { return r.Scan(&n, &latest) })
	return latest, n > 0, err
}

type pair struct{ base, quote string }

func (d *Dashboard) byPair(ctx context.Context, rows uint64) (map[pair]*countryStats, error) {
	detailed := rows <= uint64(d.o.OverviewDetailRows)
	sql := "SELECT base, quote, count(), toDate('1970-01-01'), toUInt64(0) FROM " + d.table("fx_rates_data") + " GROUP BY base, quote"
	if detailed {
		sql = "SELECT base, quote, count(), max(date), uniqExact(rate_type, source, frequency) FROM " + d.table("fx_rates_data") + " GROUP BY base, quote"
	}
	out := map[pair]*countryStats{}
	err := d.each(ctx, sql, nil, func(r driver.Rows) error {
		var p pair
		s := &countryStats{detailed: detailed}
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
	latest        map[string]time.Time // data table → latest date, for tables with rows
	fuel, wages   map[string]*countryStats
	pairs         map[pair]*countryStats
	rejectsDay    uint64
	latestRejects time.Time
}

// overviewParts says which parts of the overview to load.
type overviewParts struct {
	latest, fuel, wages, pairs, rejects bool
}

func (d *Dashboard) loadOverview(ctx context.Context, parts overviewParts) (*overviewData, error) {
	o := &overviewData{latest: map[string]time.Time{}}
	var err error
	if o.rows, err = d.storedRows(ctx); err != nil {
		return nil, err
	}
	// The queries are independent: run them side by side.
	type result struct {
		name string
		err  error
	}
	results := make(chan result, 7)
	n := 0
	run := func(name string, f func() error) {
		n++
		go func() { results <- result{name, f()} }()
	}
	var mu sync.Mutex
	latest := func(table string) {
		run("latest date of "+table, func() error {
			l, ok, err := d.latestDate(ctx, table)
			if ok {
				mu.Lock()
				o.latest[table] = l
				mu.Unlock()
			}
			return err
		})
	}
	if parts.latest {
		latest("fuel_prices_data")
		latest("wages_data")
		latest("fx_rates_data")
	}
	if parts.fuel {
		run("fuel prices by country", func() (err error) {
			o.fuel, err = d.byCountry(ctx, "fuel_prices_data", fuelIdentity, o.rows["fuel_prices_data"])
			return err
		})
	}
	if parts.wages {
		run("wages by country", func() (err error) {
			o.wages, err = d.byCountry(ctx, "wages_data", wageIdentity, o.rows["wages_data"])
			return err
		})
	}
	if parts.pairs {
		run("rates by pair", func() (err error) {
			o.pairs, err = d.byPair(ctx, o.rows["fx_rates_data"])
			return err
		})
	}
	if parts.rejects {
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
	o, err := d.loadOverview(ctx, overviewParts{latest: true, fuel: true, wages: true, pairs: true, rejects: true})
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
		detailed := true
		for _, s := range stats {
			series += s.series
			detailed = detailed && s.detailed
		}
		sc := integer(series)
		if !detailed {
			sc = cell{Null: true, Show: "not counted", Class: "muted"}
		}
		lc := cell{Null: true, Show: "—"}
		if l, ok := o.latest[table]; ok {
			lc = date(l)
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
	if !o.allDetailed() {
		kinds.Note = fmt.Sprintf("Series are counted, and each country's latest date found, for tables of up to %d rows: "+
			"counting them reads every identity column of every row.", d.o.OverviewDetailRows)
	}
	p.Tables = append(p.Tables, kinds)
	p.Facts = append(p.Facts, fact{Label: "rejects in the last 24 hours", Value: fmt.Sprint(o.rejectsDay), Href: "/rejects",
		Class: map[bool]string{true: "bad", false: "good"}[o.rejectsDay > 0]})
	p.Tables = append(p.Tables, d.countriesTable(o, "countries"), d.pairsTable(o, "pairs"))
	p.Links = []navLink{{Label: "Pipeline health", Href: "/health"}, {Label: "Rejected messages", Href: "/rejects"}}
	return nil
}

// allDetailed reports whether every series count and latest date of the overview is there.
func (o *overviewData) allDetailed() bool {
	for _, s := range append(append(statsOf(o.fuel), statsOf(o.wages)...), statsOf(o.pairs)...) {
		if !s.detailed {
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

func seriesCell(s *countryStats) cell {
	if !s.detailed {
		return cell{Null: true, Show: "not counted", Class: "muted"}
	}
	return integer(s.series)
}

func latestCell(s *countryStats) cell {
	if !s.detailed {
		return cell{Null: true, Show: "—", Class: "muted"}
	}
	return date(s.latest)
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
			row = append(row, integer(f.rows), seriesCell(f), latestCell(f))
		} else {
			row = append(row, integer(0), integer(0), cell{Null: true, Show: "—"})
		}
		if w != nil {
			row = append(row, integer(w.rows), latestCell(w))
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
		href := pageURL("/fx", "base", p.base, "quote", p.quote)
		t.add(text(p.base), text(p.quote), integer(s.rows), seriesCell(s), latestCell(s), link(href, href))
	}
	if len(pairs) == 0 {
		t.Note = "No exchange rates stored yet."
	}
	return t
}
