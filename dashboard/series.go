package dashboard

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// maxPicked bounds the series a chooser lists.
const maxPicked = 500

// observation is one row of econ.fuel_prices, decimals as ClickHouse prints them.
type observation struct {
	id                                  seriesID
	date                                time.Time
	price                               string
	priceEUR, perUnit, perUnitEUR, rate *string
	fxDate                              *time.Time
	fxPath, fxStatus, status            string
	published                           time.Time
}

// series serves /series: one series with its chart, or a chooser when the parameters match
// several series or none.
func (d *Dashboard) series(ctx context.Context, v values, p *page) error {
	if !v.has("country") || !v.has("region") || !v.has("product") {
		return d.seriesChooser(ctx, v, p, "")
	}
	var w where
	for _, name := range []string{"country", "region", "product", "tax_basis", "currency", "unit", "source", "frequency"} {
		w.eq(name, v, name)
	}
	w.dates("date", v)
	var obs []observation
	err := d.each(ctx, "SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, toString(price), "+
		"toString(price_eur), toString(if(unit IN ('kg', 'tonne'), price_per_kg, price_per_litre)), "+
		"toString(if(unit IN ('kg', 'tonne'), price_per_kg_eur, price_per_litre_eur)), toString(fx_rate), fx_date, fx_path, fx_status, status, published_at "+
		"FROM "+d.table("fuel_prices")+w.sql()+
		" ORDER BY country, region, product, tax_basis, currency, unit, source, frequency, date", w.args,
		func(r driver.Rows) error {
			var o observation
			i := &o.id
			if err := r.Scan(&i.Country, &i.Region, &i.Product, &i.TaxBasis, &i.Currency, &i.Unit, &i.Source, &i.Frequency,
				&o.date, &o.price, &o.priceEUR, &o.perUnit, &o.perUnitEUR, &o.rate, &o.fxDate, &o.fxPath, &o.fxStatus, &o.status, &o.published); err != nil {
				return err
			}
			obs = append(obs, o)
			return nil
		})
	if err != nil {
		return err
	}
	ids := map[seriesID][]observation{}
	var order []seriesID
	for _, o := range obs {
		if _, ok := ids[o.id]; !ok {
			order = append(order, o.id)
		}
		ids[o.id] = append(ids[o.id], o)
	}
	switch len(order) {
	case 0:
		return d.seriesChooser(ctx, v, p, "No observations match these parameters.")
	case 1:
		return d.oneSeries(ctx, v, p, order[0], ids[order[0]])
	}
	// Several series (sources, units, tax bases …): list them.
	p.Title = "Several series match"
	p.Intro = "Choose one: the parameters name more than one series (they differ in tax basis, currency, unit, source or frequency)."
	t := chooserTable()
	for _, id := range order {
		rows := ids[id]
		addChooserRow(t, id, fmt.Sprint(len(rows)), &rows[0].date, &rows[len(rows)-1].date)
	}
	p.Tables = append(p.Tables, t)
	return nil
}

func chooserTable() *table {
	return &table{ID: "series", Title: "Series", Columns: []column{
		{Name: "country", Label: "country"}, {Name: "region", Label: "region"}, {Name: "product", Label: "product"},
		{Name: "tax_basis", Label: "tax basis"}, {Name: "currency", Label: "currency"}, {Name: "unit", Label: "unit"},
		{Name: "source", Label: "source"}, {Name: "frequency", Label: "frequency"},
		{Name: "observations", Label: "observations", Num: true}, {Name: "first_date", Label: "first"}, {Name: "last_date", Label: "last"},
		{Name: "page", Label: "see"}}}
}

func addChooserRow(t *table, id seriesID, n string, first, last *time.Time) {
	nc := text(n)
	if n == "" {
		nc = cell{Null: true, Show: "—"}
	}
	t.add(text(id.Country), text(id.Region), text(id.Product), text(id.TaxBasis), text(id.Currency), text(id.Unit),
		text(id.Source), text(id.Frequency), nc, nullDate(first), nullDate(last), link(id.url(), "chart"))
}

// seriesChooser lists the series whose identity matches the parameters given. It reads the
// identity columns of fuel_prices_data, the table under the views: the views group by the whole
// key, so a DISTINCT over them would aggregate every row of a country first, while over the table
// DISTINCT with a LIMIT stops reading once it has enough (26 ms for a country of 10M prices). The
// identities are the same: the views group the table's rows.
func (d *Dashboard) seriesChooser(ctx context.Context, v values, p *page, note string) error {
	p.Title = "Choose a fuel price series"
	p.Intro = "Each line is one series: a country, region and product as one source publishes it, in one currency and unit. Add from= and to= to a series' URL to show part of it."
	if note != "" {
		p.Notes = append(p.Notes, note)
	}
	var w where
	for _, name := range []string{"country", "region", "product", "tax_basis", "currency", "unit", "source", "frequency"} {
		w.eq(name, v, name)
	}
	var ids []seriesID
	err := d.each(ctx, "SELECT DISTINCT country, region, product, tax_basis, currency, unit, source, frequency FROM "+
		d.table("fuel_prices_data")+w.sql()+" LIMIT ?", append(w.args, maxPicked+1), func(r driver.Rows) error {
		var i seriesID
		if err := r.Scan(&i.Country, &i.Region, &i.Product, &i.TaxBasis, &i.Currency, &i.Unit, &i.Source, &i.Frequency); err != nil {
			return err
		}
		ids = append(ids, i)
		return nil
	})
	if err != nil {
		return err
	}
	t := chooserTable()
	if len(ids) > maxPicked {
		ids = ids[:maxPicked]
		t.Note = fmt.Sprintf("The first %d series; narrow the list with country=, region= or product=.", maxPicked)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].url() < ids[j].url() })
	for _, id := range ids {
		addChooserRow(t, id, "", nil, nil)
	}
	if len(ids) == 0 {
		t.Note = "No series match."
	}
	p.Tables = append(p.Tables, t)
	return nil
}

// revision is what the history view says about one date of a series: how many vintages it has
// and how many distinct prices they carry.
type revision struct {
	vintages, prices uint64
}

func (d *Dashboard) oneSeries(ctx context.Context, v values, p *page, id seriesID, obs []observation) error {
	w := where{conds: []string{seriesIdentity}, args: id.args()}
	w.dates("date", v)
	revs := map[string]revision{}
	err := d.each(ctx, "SELECT date, count() AS vintages, uniqExact(price) FROM "+d.table("fuel_prices_history")+w.sql()+
		" GROUP BY date HAVING vintages > 1", w.args, func(r driver.Rows) error {
		var day time.Time
		var rv revision
		if err := r.Scan(&day, &rv.vintages, &rv.prices); err != nil {
			return err
		}
		revs[day.Format(time.DateOnly)] = rv
		return nil
	})
	if err != nil {
		return err
	}
	rep := d.o.Reporting
	per := "litre"
	if !id.isVolume() {
		per = "kg"
	}
	p.Title = fmt.Sprintf("%s price, %s", id.Product, id.place())
	p.Intro = fmt.Sprintf("The latest vintage of every observation, in %s per %s as published and in %s at the rate of its date. "+
		"Orange points mark a revised value (a later vintage changed it): its row links to every vintage.", id.Currency, id.Unit, rep)
	first, last := obs[0].date, obs[len(obs)-1].date
	var revised, pending int
	for _, o := range obs {
		if revs[o.date.Format(time.DateOnly)].prices > 1 {
			revised++
		}
		if o.fxStatus == "pending" {
			pending++
		}
	}
	p.Facts = []fact{
		{Label: "source", Value: id.Source}, {Label: "tax basis", Value: id.TaxBasis}, {Label: "unit", Value: id.Currency + " per " + id.Unit},
		{Label: "frequency", Value: id.Frequency},
		{Label: "observations", Value: fmt.Sprint(len(obs))},
		{Label: "dates", Value: first.Format(time.DateOnly) + " … " + last.Format(time.DateOnly)},
		{Label: "revised values", Value: fmt.Sprint(revised), Href: id.historyURL(""), Class: map[bool]string{true: "warn"}[revised > 0]},
		{Label: "conversions pending", Value: fmt.Sprint(pending), Class: map[bool]string{true: "warn"}[pending > 0]},
	}
	if pending > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("%d observations have no %s value yet: no rate within the conversion window. They are converted as soon as a usable rate is stored.", pending, rep))
	}

	// The chart: local currency on the left, the reporting currency on the right.
	c := &chart{ID: "price", Title: fmt.Sprintf("Price per %s, %s (left) and %s (right)", id.Unit, id.Currency, rep),
		Left: id.Currency + " per " + id.Unit, Right: rep + " per " + id.Unit}
	local := make([]*string, len(obs))
	eur := make([]*string, len(obs))
	revMarks := make([]*string, len(obs))
	pendMarks := make([]*string, len(obs))
	for i := range obs {
		o := &obs[i]
		c.X = append(c.X, o.date.Format(time.DateOnly))
		local[i] = &o.price
		if o.priceEUR != nil {
			eur[i] = o.priceEUR
		}
		if revs[c.X[i]].prices > 1 {
			revMarks[i] = &o.price
		}
		if o.fxStatus == "pending" {
			pendMarks[i] = &o.price
		}
	}
	c.Series = []chartSeries{{Label: id.Currency, Scale: "left", Values: local, Color: palette[0]}}
	if id.Currency == rep {
		// The converted price is the price: one line.
		c.Title, c.Right = fmt.Sprintf("Price per %s, %s", id.Unit, id.Currency), ""
	} else {
		c.Series = append(c.Series, chartSeries{Label: rep, Scale: "right", Values: eur, Color: palette[1]})
	}
	if revised > 0 {
		c.Series = append(c.Series, chartSeries{Label: "revised", Scale: "left", Values: revMarks, Color: colorRevised, Marks: true})
	}
	if pending > 0 {
		c.Series = append(c.Series, chartSeries{Label: rep + " pending", Scale: "left", Values: pendMarks, Color: colorPending, Marks: true})
	}
	if !hasValue(eur) && id.Currency != rep {
		p.Notes = append(p.Notes, "No observation in range is converted yet, so the chart has no "+rep+" line.")
	}
	p.Charts = append(p.Charts, c)

	// A price per litre or kg repeats the price when the unit is a litre or a kg.
	perUnitCols := id.Unit != "litre" && id.Unit != "kg"
	cols := []column{{Name: "date", Label: "date"},
		{Name: "price", Label: id.Currency + "/" + id.Unit, Num: true},
		{Name: "price_eur", Label: rep + "/" + id.Unit, Num: true}}
	if perUnitCols {
		cols = append(cols, column{Name: "price_per_" + per, Label: id.Currency + "/" + per, Num: true},
			column{Name: "price_per_" + per + "_eur", Label: rep + "/" + per, Num: true})
	}
	t := &table{ID: "observations", Title: "Observations, newest first", Columns: append(cols, []column{
		{Name: "fx_rate", Label: rep + " per " + id.Currency, Num: true},
		{Name: "fx_date", Label: "rate date"}, {Name: "fx_path", Label: "conversion path"}, {Name: "fx_status", Label: "conversion"},
		{Name: "status", Label: "status"}, {Name: "published_at", Label: "vintage (UTC)"},
		{Name: "vintages", Label: "vintages", Num: true}, {Name: "revised", Label: "revised"}}...)}
	for i := len(obs) - 1; i >= 0; i-- {
		o := obs[i]
		day := o.date.Format(time.DateOnly)
		rv := revs[day]
		vint := rv.vintages
		if vint == 0 {
			vint = 1
		}
		vc := integer(vint)
		if vint > 1 {
			vc.Href = id.historyURL(day)
		}
		revc := text("false")
		revc.Show = ""
		if rv.prices > 1 {
			revc = cell{Text: "true", Show: "revised", Href: id.historyURL(day), Class: "revised"}
		}
		fxs := text(o.fxStatus)
		if o.fxStatus == "pending" {
			fxs.Class = "pending"
		}
		row := []cell{date(o.date), dec(o.price), nullDec(o.priceEUR, "pending")}
		if perUnitCols {
			row = append(row, nullDec(o.perUnit, "—"), nullDec(o.perUnitEUR, "pending"))
		}
		t.add(append(row, nullDec(o.rate, "—"), nullDate(o.fxDate), text(o.fxPath), fxs, text(o.status), dateTime(o.published), vc, revc)...)
	}
	if t.Truncated() {
		t.Note = fmt.Sprintf("The newest %d of %d observations; the CSV has all of them.", maxHTMLRows, len(t.Rows))
	}
	p.Tables = append(p.Tables, t)
	fxPair := pageURL("/fx", "base", rep, "quote", id.Currency, "country", id.Country, "region", id.Region, "product", id.Product)
	if id.Currency == rep {
		fxPair = pageURL("/fx", "country", id.Country)
	}
	p.Links = []navLink{
		{Label: "every vintage of this series", Href: id.historyURL("")},
		{Label: "the rates that converted it", Href: fxPair},
		{Label: "litres a wage buys in " + id.Country, Href: pageURL("/affordability", "country", id.Country, "product", id.Product)},
		{Label: "wages in " + id.Country, Href: pageURL("/wages", "country", id.Country)},
		{Label: "other series of " + id.Country, Href: pageURL("/series", "country", id.Country)},
	}
	return nil
}

func hasValue(vals []*string) bool {
	for _, v := range vals {
		if v != nil {
			return true
		}
	}
	return false
}

// history serves /series/history: every vintage of a series (of one date, with date=).
func (d *Dashboard) history(ctx context.Context, v values, p *page) error {
	id := seriesID{Country: v["country"], Region: v["region"], Product: v["product"], TaxBasis: v["tax_basis"],
		Currency: v["currency"], Unit: v["unit"], Source: v["source"], Frequency: v["frequency"]}
	w := where{conds: []string{seriesIdentity}, args: id.args()}
	if day, ok := v["date"]; ok {
		w.add("date = ?", day)
	}
	w.dates("date", v)
	rep := d.o.Reporting
	t := &table{ID: "vintages", Title: "Vintages", Columns: []column{
		{Name: "date", Label: "date"}, {Name: "published_at", Label: "vintage (UTC)"},
		{Name: "price", Label: id.Currency + "/" + id.Unit, Num: true}, {Name: "change", Label: "change"},
		{Name: "price_eur", Label: rep + "/" + id.Unit, Num: true}, {Name: "fx_rate", Label: rep + " per " + id.Currency, Num: true},
		{Name: "fx_date", Label: "rate date"}, {Name: "fx_path", Label: "conversion path"}, {Name: "fx_status", Label: "conversion"},
		{Name: "status", Label: "status"}, {Name: "kafka_topic", Label: "topic"}, {Name: "kafka_partition", Label: "partition", Num: true},
		{Name: "kafka_offset", Label: "offset", Num: true}, {Name: "ingested_at", Label: "stored (UTC)"}, {Name: "record_id", Label: "record id"}}}
	var prevDate time.Time
	var prevPrice string
	n := 0
	err := d.each(ctx, "SELECT date, published_at, toString(price), toString(price_eur), toString(fx_rate), fx_date, fx_path, fx_status, status, "+
		"kafka_topic, kafka_partition, kafka_offset, ingested_at, record_id FROM "+d.table("fuel_prices_history")+w.sql()+
		" ORDER BY date, published_at", w.args, func(r driver.Rows) error {
		var (
			day, pub, ingested   time.Time
			price                string
			eur, rate            *string
			fxDate               *time.Time
			path, fxs, st, topic string
			part                 int32
			offset               int64
			rid                  string
		)
		if err := r.Scan(&day, &pub, &price, &eur, &rate, &fxDate, &path, &fxs, &st, &topic, &part, &offset, &ingested, &rid); err != nil {
			return err
		}
		change := cell{Text: "first", Class: "muted"}
		if n > 0 && day.Equal(prevDate) {
			if price == prevPrice {
				change = cell{Text: "unchanged", Class: "muted"}
			} else {
				change = cell{Text: "revised from " + prevPrice, Show: "revised from " + displayDecimal(prevPrice), Class: "revised"}
			}
		}
		t.add(date(day), dateTime(pub), dec(price), change, nullDec(eur, "pending"), nullDec(rate, "—"), nullDate(fxDate), text(path),
			text(fxs), text(st), text(topic), integer(part), integer(offset), dateTime(ingested), text(rid))
		prevDate, prevPrice = day, price
		n++
		return nil
	})
	if err != nil {
		return err
	}
	p.Title = "Vintages of " + id.label() + " (" + id.Source + ")"
	if day, ok := v["date"]; ok {
		p.Title += " on " + day
	}
	p.Intro = "Every vintage econflow keeps, oldest first for each date: a later published_at is a revision; " +
		"the latest one is what the series shows. Each row names the Kafka message it came from."
	if n == 0 {
		t.Note = "No vintages match."
	}
	p.Tables = append(p.Tables, t)
	p.Links = []navLink{{Label: "the series", Href: id.url()}}
	if v.has("date") {
		p.Links = append(p.Links, navLink{Label: "every date's vintages", Href: id.historyURL("")})
	}
	return nil
}
