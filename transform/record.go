package transform

import (
	"time"
)

// Kind names a record kind; it is the value of the "kind" field.
type Kind string

// Record kinds of docs/contract.md §1.
const (
	KindFuelPrice Kind = "fuel_price"
	KindWage      Kind = "wage"
	KindFXRate    Kind = "fx_rate"
	KindIndicator Kind = "indicator"
)

// acceptedKinds lists the kinds for error reasons.
const acceptedKinds = "fuel_price, wage, fx_rate, indicator"

// CurrentVersion is the only record schema version this package knows.
const CurrentVersion = 1

// Record is one validated docs/contract.md §1 record. It is a flat struct: the fields of kinds
// other than Kind are zero.
type Record struct {
	Kind    Kind
	Version int    // schema version; 1 (the default when absent)
	ID      string // the producer's id, or derived by Finish (RecordID) when absent
	Source  string // publisher id, e.g. "stat.gov.kz"
	// Date is the observation date (or first day of the period) at UTC midnight.
	Date time.Time
	// Frequency is one of D, W, M, Q, A; default D.
	Frequency string
	// PublishedAt is the vintage, in UTC; zero means absent until Finish defaults it.
	PublishedAt time.Time
	// Status is an SDMX OBS_STATUS code; default "A".
	Status string
	// UnitMult is SDMX UNIT_MULT: the published number is in units of 10^UnitMult; −18…18, default 0.
	UnitMult int
	// Attributes are kept verbatim; nil when absent or empty.
	Attributes map[string]string

	// Country is ISO 3166-1 alpha-2 (fuel_price, wage).
	Country string
	// Region is ISO 3166-2 or "" (fuel_price, wage).
	Region string
	// Product is a lower-case product code such as "lpg" (fuel_price).
	Product string
	// TaxBasis is incl_tax (default) or excl_tax (fuel_price).
	TaxBasis string
	// Currency is ISO 4217 (fuel_price, wage).
	Currency string
	// Unit is the unit priced: litre, 1000_litres, us_gallon, imp_gallon, barrel, kg or tonne (fuel_price).
	Unit string
	// Price is the price of one Unit, ≥ 0 (fuel_price).
	Price Decimal

	// Measure is minimum, average, median, … (wage).
	Measure string
	// Per is hour, day, week, month or year (wage).
	Per string
	// Basis is gross (default) or net (wage).
	Basis string
	// Amount is the wage per Per, ≥ 0 (wage).
	Amount Decimal

	// Base is the ISO 4217 currency quoted (fx_rate).
	Base string
	// Quote is the ISO 4217 currency it is priced in, ≠ Base (fx_rate).
	Quote string
	// RateType is official (default), reference or market (fx_rate).
	RateType string
	// Rate is the price of Quantity units of Base in Quote, > 0 (fx_rate).
	Rate Decimal
	// Quantity is the number of Base units Rate prices, ≥ 1, default 1 (fx_rate).
	Quantity int64

	// Series is the publisher's series code, e.g. a FRED id or an SDMX series key (indicator).
	// An indicator also has Country, Region, Measure (a code such as cpi), Unit (an indicator
	// unit: index, percent, currency, …), Currency (iff Unit is currency).
	Series string
	// BasePeriod is the reference period of an index, e.g. "2015=100" (indicator, unit index only).
	BasePeriod string
	// Adjustment is nsa (default), sa, wda, swda, trend or cal (indicator).
	Adjustment string
	// IndicatorValue is the published value, as sent (indicator; the field "value").
	IndicatorValue Decimal

	// Withdrawn marks a withdrawal (the field "withdrawn": true): the vintage PublishedAt of
	// the observation with this identity says it no longer stands. A withdrawal carries no
	// value (Price, Amount, Rate and IndicatorValue are zero, Quantity is 1 for an fx_rate) and
	// has no derived values (docs/contract.md §1.9).
	Withdrawn bool
}

// Value returns Price, Amount, Rate or IndicatorValue depending on Kind (the zero Decimal for an
// unknown kind).
func (r *Record) Value() Decimal {
	switch r.Kind {
	case KindFuelPrice:
		return r.Price
	case KindWage:
		return r.Amount
	case KindFXRate:
		return r.Rate
	case KindIndicator:
		return r.IndicatorValue
	}
	return Decimal{}
}

// dims returns the kind's dimension fields in the order of docs/contract.md §1.7.
func (r *Record) dims(buf *[8]string) []string {
	switch r.Kind {
	case KindFuelPrice:
		*buf = [8]string{r.Country, r.Region, r.Product, r.TaxBasis, r.Currency, r.Unit}
		return buf[:6]
	case KindWage:
		*buf = [8]string{r.Country, r.Region, r.Measure, r.Basis, r.Currency, r.Per}
		return buf[:6]
	case KindIndicator:
		*buf = [8]string{r.Series, r.Country, r.Region, r.Measure, r.Unit, r.Currency, r.BasePeriod, r.Adjustment}
		return buf[:8]
	case KindFXRate:
		buf[0], buf[1], buf[2] = r.Base, r.Quote, r.RateType
		return buf[:3]
	}
	return nil
}

// SeriesKey returns the record's identity fields without the date, joined by '|':
// kind|source|<dimensions…>|frequency, e.g.
// "fuel_price|stat.gov.kz|KZ|KZ-MAN|lpg|incl_tax|KZT|litre|D". The dimensions are, in order,
// fuel_price: country, region, product, tax_basis, currency, unit; wage: country, region, measure,
// basis, currency, per; fx_rate: base, quote, rate_type; indicator: series, country, region,
// measure, unit, currency, base_period, adjustment. Only source and series may contain '|' or '\'; there
// they are escaped with '\' so that distinct identities never share a key.
func SeriesKey(r *Record) string {
	var stack [128]byte
	return string(AppendSeriesKey(stack[:0], r))
}

// SameSeries reports whether a and b have the same kind, source, dimensions and frequency, so
// that SeriesKey(a) == SeriesKey(b), without building the keys: a reader that expects a record
// of a series it has met can check that it is.
func SameSeries(a, b *Record) bool {
	if a.Kind != b.Kind || a.Source != b.Source || a.Frequency != b.Frequency {
		return false
	}
	var bufA, bufB [8]string
	dimsA, dimsB := a.dims(&bufA), b.dims(&bufB)
	if len(dimsA) != len(dimsB) {
		return false
	}
	for i := range dimsA {
		if dimsA[i] != dimsB[i] {
			return false
		}
	}
	return true
}

// AppendSeriesKey appends SeriesKey(r) to dst: a reader that meets the same series again and
// again can build its key in a buffer of its own and look it up without allocating a string.
func AppendSeriesKey(dst []byte, r *Record) []byte {
	var buf [8]string
	dims := r.dims(&buf)
	dst = append(dst, r.Kind...)
	dst = append(dst, '|')
	dst = appendEscaped(dst, r.Source)
	for _, d := range dims {
		dst = append(dst, '|')
		dst = appendEscaped(dst, d)
	}
	dst = append(dst, '|')
	return appendEscaped(dst, r.Frequency)
}

func appendEscaped(dst []byte, s string) []byte {
	// A loop over the bytes: strings.ContainsAny cost more than the rest of the key for the
	// short values of a key.
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] != '|' && s[i] != '\\'
	}
	if plain {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '|' || s[i] == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return dst
}

// IdentityKey returns SeriesKey(r) + "|" + the date as YYYY-MM-DD: the observation's identity.
func IdentityKey(r *Record) string {
	var stack [128]byte
	b := AppendSeriesKey(stack[:0], r)
	b = append(b, '|')
	return string(appendDate(b, r.Date))
}

// appendDate appends t's date as YYYY-MM-DD (years 0–9999).
func appendDate(dst []byte, t time.Time) []byte {
	y, m, d, _ := dateOf(t)
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, "2006-01-02")
	}
	return append(dst,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+d/10), byte('0'+d%10))
}

// dateOf returns t.Date() and, when t is in UTC, the seconds since midnight (else -1).
func dateOf(t time.Time) (y, m, d int, secOfDay int64) {
	if t.Location() != time.UTC {
		y, mm, d := t.Date()
		return y, int(mm), d, -1
	}
	sec := t.Unix()
	days := sec / 86400
	if sec%86400 < 0 {
		days--
	}
	y, m, d = civilFromDays(days)
	return y, m, d, sec - days*86400
}

// civilFromDays returns the proleptic Gregorian date that is z days after 1970-01-01; the
// inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468 // days since 0000-03-01
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365], from March 1
	mp := (5*doy + 2) / 153                                // [0, 11], March = 0
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp) + 3
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}
