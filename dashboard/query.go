package dashboard

import (
	"net/url"
	"strings"
)

// where builds a WHERE clause from fixed conditions written in this package; values only ever go
// into args, bound by the driver. Nothing a request carries becomes SQL text.
type where struct {
	conds []string
	args  []any
}

// eq adds "column = ?" with v[name] when the parameter is present.
func (w *where) eq(column string, v values, name string) {
	if val, ok := v[name]; ok {
		w.add(column+" = ?", val)
	}
}

// add adds a condition with its arguments; cond is a constant of this package.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// dates adds from/to bounds on a date column. Dates are bound as 'YYYY-MM-DD' strings, which
// ClickHouse reads as the column's type: a time.Time compared with a Date is wrong on ClickHouse
// 18.16, and toDate(…) clamps a date before 1970 on current ClickHouse, where a database's
// columns may be Date32 (1900-01-01…2299-12-31).
func (w *where) dates(column string, v values) {
	if from, ok := v["from"]; ok {
		w.add(column+" >= ?", from)
	}
	if to, ok := v["to"]; ok {
		w.add(column+" <= ?", to)
	}
}

// months adds from/to bounds on a month column (the first day of a month): the months that
// overlap the range.
func (w *where) months(column string, v values) {
	if from, ok := v["from"]; ok {
		w.add(column+" >= ?", from[:len("YYYY-MM")]+"-01") // from is a valid date (isDate)
	}
	if to, ok := v["to"]; ok {
		w.add(column+" <= ?", to)
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// seriesID is the identity of a fuel price series (docs/contract.md §1 without the date).
type seriesID struct {
	Country, Region, Product, TaxBasis, Currency, Unit, Source, Frequency string
}

// seriesIdentity is the condition on every identity column; args in seriesID order.
const seriesIdentity = "country = ? AND region = ? AND product = ? AND tax_basis = ? AND currency = ? AND unit = ? AND source = ? AND frequency = ?"

func (s seriesID) args() []any {
	return []any{s.Country, s.Region, s.Product, s.TaxBasis, s.Currency, s.Unit, s.Source, s.Frequency}
}

func (s seriesID) values() url.Values {
	return url.Values{"country": {s.Country}, "region": {s.Region}, "product": {s.Product}, "tax_basis": {s.TaxBasis},
		"currency": {s.Currency}, "unit": {s.Unit}, "source": {s.Source}, "frequency": {s.Frequency}}
}

// url is the series' page, with every identity parameter so that it names exactly one series.
func (s seriesID) url() string { return "/series?" + s.values().Encode() }

// historyURL is the page of the series' vintages, of one date when date is not empty.
func (s seriesID) historyURL(date string) string {
	q := s.values()
	if date != "" {
		q.Set("date", date)
	}
	return "/series/history?" + q.Encode()
}

func (s seriesID) label() string { return s.Product + ", " + s.place() }

// place is the series' region and country, e.g. "KZ-MAN (KZ)", or "KZ (national)".
func (s seriesID) place() string {
	if s.Region == "" {
		return s.Country + " (national)"
	}
	return s.Region + " (" + s.Country + ")"
}

// isVolume reports whether the series' unit is a volume (it has a price per litre) rather than a
// mass (a price per kg).
func (s seriesID) isVolume() bool {
	return s.Unit != "kg" && s.Unit != "tonne"
}

func pageURL(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
