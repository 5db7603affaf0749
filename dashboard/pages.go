package dashboard

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// affordability serves /affordability: econ.fuel_affordability of one country.
func (d *Dashboard) affordability(ctx context.Context, v values, p *page) error {
	if !v.has("country") {
		return d.countryChooser(ctx, p, "Choose a country: litres of fuel one monthly wage buys, by region and month.")
	}
	var w where
	w.eq("country", v, "country")
	w.eq("region", v, "region")
	w.eq("product", v, "product")
	w.eq("wage_measure", v, "wage_measure")
	window := ""
	if !v.has("from") && !v.has("to") {
		// Without from= and to=, the last affordabilityMonths months up to the country's latest
		// price: a country's whole history is one aggregation over all of its prices (5 s for a
		// country of 1M prices, against 0.25 s for two years; docs/dashboard.md, Speed).
		latest, ok, err := d.latestPriceDate(ctx, v)
		if err != nil {
			return err
		}
		if ok {
			from := time.Date(latest.Year(), latest.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1-affordabilityMonths, 0)
			v = with(v, "from", from.Format(time.DateOnly))
			window = fmt.Sprintf("The %d months up to the latest price (%s): from=%s; set from= and to= for others.",
				affordabilityMonths, latest.Format("2006-01"), v["from"])
		}
	}
	w.months("month", v)
	t := &table{ID: "affordability", Title: "Litres per monthly wage, by month and region", Columns: []column{
		{Name: "month", Label: "month"}, {Name: "region", Label: "region"}, {Name: "product", Label: "product"},
		{Name: "wage_measure", Label: "wage"}, {Name: "wage_basis", Label: "basis"}, {Name: "currency", Label: "currency"},
		{Name: "wage_region", Label: "wage of region"},
		{Name: "monthly_wage", Label: "monthly wage", Num: true}, {Name: "avg_price_per_litre", Label: "average price per litre", Num: true},
		{Name: "litres_per_monthly_wage", Label: "litres per monthly wage", Num: true}}}
	set := newSeriesSet()
	var lastMonth string
	latest := map[string]string{} // series label → litres, in the last month
	var latestOrder []string
	err := d.each(ctx, "SELECT month, region, product, wage_measure, wage_basis, currency, wage_region, toString(monthly_wage), "+
		"toString(avg_price_per_litre), toString(litres_per_monthly_wage) FROM "+d.table("fuel_affordability")+w.sql()+
		" ORDER BY month, region, product, wage_measure, wage_basis", w.args, func(r driver.Rows) error {
		var (
			month                                            time.Time
			region, product, measure, basis, cur, wageRegion string
			wage, price, litres                              string
		)
		if err := r.Scan(&month, &region, &product, &measure, &basis, &cur, &wageRegion, &wage, &price, &litres); err != nil {
			return err
		}
		wr := text(wageRegion)
		if wageRegion == "" {
			wr = cell{Text: "", Show: "national", Class: "muted"}
		}
		t.add(cell{Text: month.Format(time.DateOnly), Show: month.Format("2006-01")}, text(region), text(product), text(measure), text(basis),
			text(cur), wr, dec(wage), dec(price), dec(litres))
		label := fmt.Sprintf("%s %s, %s wage", orNational(region), product, measure)
		if basis != "gross" {
			label += " (" + basis + ")"
		}
		m := month.Format(time.DateOnly)
		set.add(strings.Join([]string{region, product, measure, basis, cur}, "|"), label, m, litres)
		if m != lastMonth { // rows come by month: a new month starts the latest one afresh
			lastMonth, latest, latestOrder = m, map[string]string{}, nil
		}
		if _, ok := latest[label]; !ok {
			latestOrder = append(latestOrder, label)
		}
		latest[label] = litres
		return nil
	})
	if err != nil {
		return err
	}
	country := v["country"]
	p.Title = "Litres of fuel one monthly wage buys in " + country
	p.Intro = "econ.fuel_affordability: a month's monthly wage divided by the month's average price per litre, both in local currency " +
		"(prices including tax; a regional wage where one exists, else the national one). One row per region, product and wage measure."
	if window != "" {
		p.Notes = append(p.Notes, window)
	}
	if len(t.Rows) > 0 {
		bars := &chart{ID: "litres", Title: "Litres per monthly wage in " + lastMonth[:7] + ", by region", Left: "litres", Bars: true, X: latestOrder}
		vals := make([]*string, len(latestOrder))
		for i, l := range latestOrder {
			v := latest[l]
			vals[i] = &v
		}
		bars.Series = []chartSeries{{Label: "litres per monthly wage", Scale: "left", Values: vals, Color: palette[2]}}
		p.Charts = append(p.Charts, bars)
		if len(set.dates) > 1 {
			p.Charts = append(p.Charts, set.chart("litres-months", "Litres per monthly wage, by region and month", "litres"))
		}
	} else {
		t.Note = "Nothing matches: affordability needs prices per litre (incl_tax) and a monthly wage in the same currency for the same months."
	}
	p.Tables = append(p.Tables, t)
	p.Links = []navLink{{Label: "fuel price series of " + country, Href: pageURL("/series", "country", country)},
		{Label: "wages in " + country, Href: pageURL("/wages", "country", country)}}
	return nil
}

// affordabilityMonths is how many months /affordability shows without from= and to=.
const affordabilityMonths = 24

// conversionDays is how many days before the pair's latest rate /fx's conversions cover without
// from=, to=, region= or product=.
const conversionDays = 92

// with returns a copy of v with name set to value.
func with(v values, name, value string) values {
	out := values{}
	for k, x := range v {
		out[k] = x
	}
	out[name] = value
	return out
}

// latestPriceDate is the latest date of the fuel prices of v's country (and region and product,
// when given), from the table under the views: the Date column of those rows is read, where the
// views would aggregate them all first.
func (d *Dashboard) latestPriceDate(ctx context.Context, v values) (time.Time, bool, error) {
	var w where
	w.eq("country", v, "country")
	w.eq("region", v, "region")
	w.eq("product", v, "product")
	var n uint64
	var latest time.Time
	err := d.each(ctx, "SELECT count(), max(date) FROM "+d.table("fuel_prices_data")+w.sql(), w.args,
		func(r driver.Rows) error { return r.Scan(&n, &latest) })
	return latest, n > 0, err
}

func orNational(region string) string {
	if region == "" {
		return "national"
	}
	return region
}

// countryChooser lists the countries (as the overview does) for a page that needs one.
func (d *Dashboard) countryChooser(ctx context.Context, p *page, intro string) error {
	o, err := d.loadOverview(ctx, overviewParts{fuel: true, wages: true})
	if err != nil {
		return err
	}
	p.Title += ": choose a country"
	p.Intro = intro
	p.Tables = append(p.Tables, d.countriesTable(o, "countries"))
	return nil
}

// wages serves /wages: econ.wages of one country.
func (d *Dashboard) wages(ctx context.Context, v values, p *page) error {
	if !v.has("country") {
		return d.countryChooser(ctx, p, "Choose a country: its wages in local currency and in "+d.o.Reporting+".")
	}
	var w where
	for _, name := range []string{"country", "region", "measure", "basis", "per"} {
		w.eq(name, v, name)
	}
	w.dates("date", v)
	rep := d.o.Reporting
	t := &table{ID: "wages", Title: "Wages (latest vintage of each observation)", Columns: []column{
		{Name: "date", Label: "date"}, {Name: "region", Label: "region"}, {Name: "measure", Label: "measure"}, {Name: "basis", Label: "basis"},
		{Name: "per", Label: "per"}, {Name: "source", Label: "source"}, {Name: "frequency", Label: "frequency"},
		{Name: "amount", Label: "amount", Num: true}, {Name: "currency", Label: "currency"},
		{Name: "amount_eur", Label: rep, Num: true}, {Name: "monthly_amount", Label: "monthly", Num: true},
		{Name: "monthly_amount_eur", Label: "monthly " + rep, Num: true}, {Name: "fx_rate", Label: rep + " per unit", Num: true},
		{Name: "fx_date", Label: "rate date"}, {Name: "fx_path", Label: "conversion path"}, {Name: "fx_status", Label: "conversion"},
		{Name: "status", Label: "status"}, {Name: "published_at", Label: "vintage (UTC)"}}}
	local, eur := newSeriesSet(), newSeriesSet()
	var pending int
	err := d.each(ctx, "SELECT date, region, measure, basis, per, source, frequency, toString(amount), currency, toString(amount_eur), "+
		"toString(monthly_amount), toString(monthly_amount_eur), toString(fx_rate), fx_date, fx_path, fx_status, status, published_at FROM "+
		d.table("wages")+w.sql()+" ORDER BY region, measure, basis, per, currency, source, frequency, date", w.args,
		func(r driver.Rows) error {
			var (
				day, pub                                                      time.Time
				region, measure, basis, per, source, freq, cur, path, fxs, st string
				amount                                                        string
				amountEUR, monthly, monthlyEUR, rate                          *string
				fxDate                                                        *time.Time
			)
			if err := r.Scan(&day, &region, &measure, &basis, &per, &source, &freq, &amount, &cur, &amountEUR, &monthly, &monthlyEUR,
				&rate, &fxDate, &path, &fxs, &st, &pub); err != nil {
				return err
			}
			fc := text(fxs)
			if fxs == "pending" {
				fc.Class = "pending"
				pending++
			}
			t.add(date(day), text(region), text(measure), text(basis), text(per), text(source), text(freq), dec(amount), text(cur),
				nullDec(amountEUR, "pending"), nullDec(monthly, "—"), nullDec(monthlyEUR, "—"), nullDec(rate, "—"), nullDate(fxDate),
				text(path), fc, text(st), dateTime(pub))
			key := strings.Join([]string{region, measure, basis, per, cur, source, freq}, "|")
			label := fmt.Sprintf("%s %s %s", orNational(region), measure, basis)
			if monthly != nil {
				local.add(key, label+" ("+cur+")", day.Format(time.DateOnly), *monthly)
			}
			if monthlyEUR != nil {
				eur.add(key, label+" ("+rep+")", day.Format(time.DateOnly), *monthlyEUR)
			}
			return nil
		})
	if err != nil {
		return err
	}
	country := v["country"]
	p.Title = "Wages in " + country
	p.Intro = "The latest vintage of every wage observation, in local currency and in " + rep +
		" at the rate of its date. A wage applies from its date until the next observation of the same series."
	if pending > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("%d wages have no %s value yet: no rate within the conversion window.", pending, rep))
	}
	// Two charts: a wage in local currency and in the reporting currency are proportional, so on
	// one chart with two axes their lines would lie on top of each other.
	if len(local.order) > 0 {
		p.Charts = append(p.Charts, local.chart("monthly", "Monthly wage in local currency", "local currency per month"))
	}
	if len(eur.order) > 0 {
		p.Charts = append(p.Charts, eur.chart("monthly-eur", "Monthly wage in "+rep, rep+" per month"))
	}
	if len(t.Rows) == 0 {
		t.Note = "No wages match."
	} else if t.Truncated() {
		t.Note = fmt.Sprintf("The first %d of %d rows; the CSV has all of them.", maxHTMLRows, len(t.Rows))
	}
	p.Tables = append(p.Tables, t)
	p.Links = []navLink{{Label: "litres a wage buys in " + country, Href: pageURL("/affordability", "country", country)},
		{Label: "fuel price series of " + country, Href: pageURL("/series", "country", country)}}
	return nil
}

// fx serves /fx: the rates of one currency pair and, with country=, the conversions of that
// country's values.
func (d *Dashboard) fx(ctx context.Context, v values, p *page) error {
	if !v.has("base") || !v.has("quote") {
		o, err := d.loadOverview(ctx, overviewParts{pairs: true})
		if err != nil {
			return err
		}
		p.Title += ": choose a currency pair"
		p.Intro = "Choose a pair: its rates, and the conversion paths and rate dates of the values they converted."
		p.Tables = append(p.Tables, d.pairsTable(o, "pairs"))
		return nil
	}
	base, quote := v["base"], v["quote"]
	var w where
	w.eq("base", v, "base")
	w.eq("quote", v, "quote")
	w.eq("rate_type", v, "rate_type")
	w.eq("source", v, "source")
	w.dates("date", v)
	t := &table{ID: "rates", Title: "Rates (latest vintage of each date)", Columns: []column{
		{Name: "date", Label: "date"}, {Name: "source", Label: "source"}, {Name: "rate_type", Label: "type"}, {Name: "frequency", Label: "frequency"},
		{Name: "rate", Label: "rate", Num: true}, {Name: "quantity", Label: "per " + base, Num: true},
		{Name: "status", Label: "status"}, {Name: "published_at", Label: "vintage (UTC)"}}}
	set := newSeriesSet()
	var lastRate time.Time
	err := d.each(ctx, "SELECT date, source, rate_type, frequency, toString(rate), quantity, status, published_at FROM "+d.table("fx_rates")+w.sql()+
		" ORDER BY source, rate_type, frequency, date", w.args, func(r driver.Rows) error {
		var (
			day, pub          time.Time
			src, rt, freq, st string
			rate              string
			qty               uint64
		)
		if err := r.Scan(&day, &src, &rt, &freq, &rate, &qty, &st, &pub); err != nil {
			return err
		}
		t.add(date(day), text(src), text(rt), text(freq), dec(rate), integer(qty), text(st), dateTime(pub))
		if day.After(lastRate) {
			lastRate = day
		}
		label := fmt.Sprintf("%s %s", src, rt)
		if qty != 1 {
			label += fmt.Sprintf(" (per %d %s)", qty, base)
		}
		set.add(strings.Join([]string{src, rt, freq, strconv.FormatUint(qty, 10)}, "|"), label, day.Format(time.DateOnly), rate)
		return nil
	})
	if err != nil {
		return err
	}
	p.Title = fmt.Sprintf("%s/%s: %s per %s", base, quote, quote, base)
	p.Intro = fmt.Sprintf("Rates as published: quantity units of %s cost rate units of %s. A value in %s is converted to %s with a rate dated up to 7 days before it "+
		"(the consumer's --fx-window-days), directly or through a pivot currency.", base, quote, quote, d.o.Reporting)
	if len(t.Rows) > 0 {
		p.Charts = append(p.Charts, set.chart("rate", fmt.Sprintf("%s per %s", quote, base), quote+" per "+base))
	} else {
		t.Note = fmt.Sprintf("No %s/%s rates are stored.", base, quote)
		p.Links = append(p.Links, navLink{Label: fmt.Sprintf("the pair the other way round, %s/%s", quote, base), Href: pageURL("/fx", "base", quote, "quote", base)})
	}
	p.Tables = append(p.Tables, t)
	if country, ok := v["country"]; ok {
		cv := v
		if !v.has("from") && !v.has("to") && !v.has("region") && !v.has("product") && !lastRate.IsZero() {
			// A whole country's conversions are one aggregation over all of its values: without a
			// narrower choice, the months around the latest rate.
			cv = with(v, "from", lastRate.AddDate(0, 0, -conversionDays).Format(time.DateOnly))
			p.Notes = append(p.Notes, fmt.Sprintf("Conversions of values dated from %s (%d days before the latest rate); set from= and to=, or region= and product=, for others.",
				cv["from"], conversionDays))
		}
		conv, err := d.conversions(ctx, country, base, quote, cv)
		if err != nil {
			return err
		}
		p.Tables = append(p.Tables, conv)
	} else {
		p.Notes = append(p.Notes, "Add country=XX (as the links from a series do) to see which rates, by path and rate date, converted that country's values.")
	}
	return nil
}

// conversions lists, for one country's fuel prices and wages in base or quote, which conversion
// path and rate date converted how many observations.
func (d *Dashboard) conversions(ctx context.Context, country, base, quote string, v values) (*table, error) {
	t := &table{ID: "conversions", Title: fmt.Sprintf("Conversions of %s values in %s or %s to %s", country, base, quote, d.o.Reporting), Columns: []column{
		{Name: "view", Label: "view"}, {Name: "currency", Label: "currency"}, {Name: "fx_status", Label: "conversion"},
		{Name: "fx_path", Label: "conversion path"}, {Name: "fx_date", Label: "rate date"},
		{Name: "observations", Label: "observations", Num: true}, {Name: "first_date", Label: "first"}, {Name: "last_date", Label: "last"}}}
	for _, view := range []string{"fuel_prices", "wages"} {
		w := where{conds: []string{"country = ?", "currency IN (?, ?)"}, args: []any{country, base, quote}}
		if view == "fuel_prices" { // a series' conversions; wages are left whole (a national wage has no region)
			w.eq("region", v, "region")
			w.eq("product", v, "product")
		}
		w.dates("date", v)
		err := d.each(ctx, "SELECT currency, fx_status, fx_path, fx_date, count(), min(date), max(date) FROM "+d.table(view)+w.sql()+
			" GROUP BY currency, fx_status, fx_path, fx_date ORDER BY currency, fx_date, fx_path", w.args, func(r driver.Rows) error {
			var (
				cur, fxs, path string
				fxDate         *time.Time
				n              uint64
				first, last    time.Time
			)
			if err := r.Scan(&cur, &fxs, &path, &fxDate, &n, &first, &last); err != nil {
				return err
			}
			fc := text(fxs)
			if fxs == "pending" {
				fc.Class = "pending"
			}
			t.add(text(view), text(cur), fc, text(path), nullDate(fxDate), integer(n), date(first), date(last))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(t.Rows) == 0 {
		t.Note = "No values of this country are in these currencies."
	}
	return t, nil
}

// rejects serves /rejects: the latest rejected messages.
func (d *Dashboard) rejects(ctx context.Context, v values, p *page) error {
	const limit = 500
	var w where
	w.eq("error_code", v, "code")
	if from, ok := v["from"]; ok {
		w.add("received_at >= toDateTime(toDate(?))", from)
	}
	if to, ok := v["to"]; ok {
		w.add("received_at < toDateTime(toDate(?) + 1)", to)
	}
	t := &table{ID: "rejects", Title: "Latest rejected messages", Columns: []column{
		{Name: "received_at", Label: "received (UTC)"}, {Name: "error_code", Label: "code"}, {Name: "error", Label: "reason"},
		{Name: "kafka_topic", Label: "topic"}, {Name: "kafka_partition", Label: "partition", Num: true}, {Name: "kafka_offset", Label: "offset", Num: true},
		{Name: "key", Label: "key"}, {Name: "value_bytes", Label: "bytes", Num: true},
		{Name: "value_prefix", Label: "message (first 1,000 bytes)"}}}
	err := d.each(ctx, "SELECT received_at, error_code, error, kafka_topic, kafka_partition, kafka_offset, key, length(value), substring(value, 1, 1000) FROM "+
		d.table("rejects")+w.sql()+" ORDER BY received_at DESC, kafka_topic, kafka_partition, kafka_offset DESC LIMIT ?", append(w.args, limit),
		func(r driver.Rows) error {
			var (
				at                        time.Time
				code, why, topic, key, vp string
				part                      int32
				offset                    int64
				n                         uint64
			)
			if err := r.Scan(&at, &code, &why, &topic, &part, &offset, &key, &n, &vp); err != nil {
				return err
			}
			cc := link(code, pageURL("/rejects", "code", code))
			t.add(dateTime(at), cc, text(why), text(topic), integer(part), integer(offset), text(printable(key)), integer(n), text(printable(vp)))
			return nil
		})
	if err != nil {
		return err
	}
	codes := &table{ID: "codes", Title: "Rejects by code, last 30 days", Columns: []column{
		{Name: "error_code", Label: "code"}, {Name: "rejects", Label: "rejects", Num: true}, {Name: "last_day", Label: "last day"}}}
	set := newSeriesSet()
	err = d.each(ctx, "SELECT toDate(received_at) AS day, error_code, count() FROM "+d.table("rejects")+
		" WHERE received_at >= now() - INTERVAL 30 DAY GROUP BY day, error_code ORDER BY day, error_code", nil, func(r driver.Rows) error {
		var (
			day  time.Time
			code string
			n    uint64
		)
		if err := r.Scan(&day, &code, &n); err != nil {
			return err
		}
		set.add(code, code, day.Format(time.DateOnly), strconv.FormatUint(n, 10))
		return nil
	})
	if err != nil {
		return err
	}
	totals := map[string]uint64{}
	lasts := map[string]string{}
	for _, code := range set.order {
		for day, n := range set.points[code] {
			c, _ := strconv.ParseUint(n, 10, 64)
			totals[code] += c
			if day > lasts[code] {
				lasts[code] = day
			}
		}
	}
	sorted := append([]string(nil), set.order...)
	sort.Strings(sorted)
	for _, code := range sorted {
		codes.add(link(code, pageURL("/rejects", "code", code)), integer(totals[code]), text(lasts[code]))
	}
	p.Intro = "Messages that could not become records: each one is also on the dead-letter topic with its original key, value and headers. " +
		"The reason says what to fix; topic, partition and offset find the message."
	if len(set.order) > 0 {
		p.Charts = append(p.Charts, set.chart("rejects", "Rejects per day and code, last 30 days", "rejects"))
	}
	if len(t.Rows) == 0 {
		t.Note = "No rejected messages."
	} else if len(t.Rows) == limit {
		t.Note = fmt.Sprintf("The latest %d; narrow with code=, from= and to=.", limit)
	}
	p.Tables = append(p.Tables, t, codes)
	return nil
}

// printable returns s when it is valid UTF-8 without control characters other than tab and
// newline; otherwise s as a Go string literal without its quotes (invalid bytes as \xNN, control
// characters as \n, \x00 …, quotes and backslashes escaped).
func printable(s string) string {
	ok := utf8.ValidString(s)
	for _, r := range s {
		if !ok {
			break
		}
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f {
			ok = false
		}
	}
	if ok {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}
