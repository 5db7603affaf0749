package publishers

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// OilBulletinSource is the source of the EU Weekly Oil Bulletin's records.
const OilBulletinSource = "energy.ec.europa.eu"

// OilBulletinCSV reads the EU Weekly Oil Bulletin price history ("Prices with taxes" and "Prices
// wo taxes" sheets of the Commission's history workbook, saved as CSV). The first row holds
// column codes, one column per country, tax basis and product:
//
//	,AT_price_with_tax_euro95,AT_price_with_tax_diesel,…,SE_exchange_rate,SE_price_wo_tax_euro95,…
//	,Euro-super 95,Gas oil automobile,…                       (optional names row)
//	,1000 l,1000 l,…,t,…                                      (optional units row)
//	24/06/2024,"1,689.00","1,612.00",…
//
// Each price becomes a fuel_price: country from the code (UK → GB, EL → GR), product euro95 →
// euro_super_95, diesel → diesel, heating_oil → heating_gas_oil, fuel_oil_1 →
// fuel_oil_low_sulphur, fuel_oil_2 → fuel_oil_high_sulphur, LPG → lpg; tax_basis incl_tax for
// price_with_tax and excl_tax for price_wo_tax; unit 1000_litres (tonne for the fuel oils), as the
// units row must confirm when present; currency EUR — the workbook converts national prices at
// the week's rate — unless a units cell names another ("SEK/1000 l"); frequency W; date the
// Monday the prices are in force (a date that is not a Monday is rejected). Dates may be
// DD/MM/YYYY, DD/MM/YY, DD.MM.YYYY, YYYY-MM-DD or a spreadsheet day number. Numbers may carry
// thousands commas ("1,689.00") in a comma-separated file and decimal commas ("1689,00") in a
// semicolon-separated one. Empty cells, "-", ":" and "n.a." are missing (skipped and counted);
// exchange-rate columns and EU/euro-area aggregate columns give no records; the "Notes" footer
// ends the data.
type OilBulletinCSV struct{}

var _ Adapter = OilBulletinCSV{}

// Name returns "oil-bulletin-csv".
func (OilBulletinCSV) Name() string { return "oil-bulletin-csv" }

// Describe says what the format reads.
func (OilBulletinCSV) Describe() string {
	return "EU Weekly Oil Bulletin price history as CSV (columns AT_price_with_tax_euro95, …_price_wo_tax_…): fuel_price per 1000 l, weekly, incl/excl tax"
}

// NeedsMapping returns false.
func (OilBulletinCSV) NeedsMapping() bool { return false }

const oilExpect = "the Weekly Oil Bulletin history as CSV: a first row of column codes such as AT_price_with_tax_euro95 or AT_price_wo_tax_diesel, then one row per Monday"

var oilColumnRE = regexp.MustCompile(`^([A-Z]{2,4}[0-9]{0,2})_(price_with_tax|price_wo_tax|price_without_tax|exchange_rate)(?:_(.+))?$`)

// oilProducts maps the bulletin's product codes to contract product codes and default units.
var oilProducts = map[string]struct{ product, unit string }{
	"euro95":      {"euro_super_95", "1000_litres"},
	"diesel":      {"diesel", "1000_litres"},
	"heating_oil": {"heating_gas_oil", "1000_litres"},
	"fuel_oil_1":  {"fuel_oil_low_sulphur", "tonne"},
	"fuel_oil_2":  {"fuel_oil_high_sulphur", "tonne"},
	"LPG":         {"lpg", "1000_litres"},
}

// oilAggregates are column prefixes that are not countries.
var oilAggregates = map[string]bool{"EU": true, "EUR": true, "EA": true, "EU27": true, "EU28": true, "EZ": true}

var oilCountryFix = map[string]string{"UK": "GB", "EL": "GR"}

type oilColumn struct {
	code     string
	skip     bool // exchange rate, aggregate, blank or block marker
	country  string
	product  string
	unit     string
	currency string
	taxBasis string
}

// Read reads one Oil Bulletin CSV file.
func (OilBulletinCSV) Read(name string, r io.Reader, opts Options, emit func(transform.Record) error) (Stats, error) {
	s := newSink(name, opts, emit)
	f, err := openCSV(name, r, oilExpect)
	if err != nil {
		return s.stats, err
	}
	header, hline, err := f.read()
	if err == io.EOF {
		return s.stats, layoutError(name, 0, "", "empty file: expected "+oilExpect)
	}
	if err != nil {
		return s.stats, err
	}
	cols := make([]oilColumn, len(header))
	prices := 0
	for i, h := range header {
		cols[i].code = h
		if i == 0 || h == "" || strings.EqualFold(h, "CTR") {
			cols[i].skip = true
			continue
		}
		m := oilColumnRE.FindStringSubmatch(h)
		if m == nil {
			return s.stats, layoutError(name, hline, oilColName(i, h), "not a bulletin column code: expected "+oilExpect)
		}
		cc, kind, prod := m[1], m[2], m[3]
		if kind == "exchange_rate" || oilAggregates[cc] {
			cols[i].skip = true
			continue
		}
		p, ok := oilProducts[prod]
		if !ok {
			return s.stats, layoutError(name, hline, oilColName(i, h), fmt.Sprintf("product %q is not a bulletin product (%s)", prod, strings.Join(sortedKeys(oilProducts), ", ")))
		}
		if fix, ok := oilCountryFix[cc]; ok {
			cc = fix
		}
		tax := "incl_tax"
		if kind != "price_with_tax" {
			tax = "excl_tax"
		}
		cols[i] = oilColumn{code: h, country: cc, product: p.product, unit: p.unit, currency: "EUR", taxBasis: tax}
		prices++
	}
	if prices == 0 {
		return s.stats, layoutError(name, hline, "", "no price column: expected "+oilExpect)
	}
	style := f.numberStyle()
	inData := false
	for {
		row, line, err := f.read()
		if err == io.EOF {
			return s.stats, nil
		}
		if err != nil {
			return s.stats, err
		}
		if blank(row) {
			continue
		}
		first := row[0]
		day, derr := oilDate(first)
		if derr != nil {
			lower := strings.ToLower(first)
			switch {
			case strings.HasPrefix(lower, "note") || strings.HasPrefix(lower, "source") || strings.HasPrefix(first, "*") || strings.HasPrefix(first, "("):
				return s.stats, nil // the footer ends the data
			case !inData:
				if err := oilUnitsRow(name, line, row, cols); err != nil {
					return s.stats, err
				}
				continue // the names row, or the units row now applied
			default:
				s.invalid(line, "column 1", derr)
				continue
			}
		}
		inData = true
		if day.Weekday() != time.Monday {
			s.invalid(line, "column 1", fmt.Errorf("%s is a %s: bulletin prices are those in force on a Monday", day.Format(time.DateOnly), day.Weekday()))
			continue
		}
		for i, c := range cols {
			if c.skip || i >= len(row) {
				continue
			}
			text := row[i]
			el := "column " + c.code
			switch strings.ToLower(text) {
			case "", "-", ":", "n.a.", "na", "n/a":
				s.missing()
				continue
			}
			price, err := parseNumber(text, style)
			if err != nil {
				s.invalid(line, el, fmt.Errorf("price: %w", err))
				continue
			}
			rec := transform.Record{Kind: transform.KindFuelPrice, Source: OilBulletinSource, Date: day, Frequency: "W",
				Country: c.country, Product: c.product, Price: price, Currency: c.currency, Unit: c.unit, TaxBasis: c.taxBasis}
			if err := s.put(line, el, rec, nil); err != nil {
				return s.stats, err
			}
		}
	}
}

func oilColName(i int, h string) string { return fmt.Sprintf("column %d %q", i+1, h) }

// oilUnitsRow applies a units row ("1000 l", "t", "SEK/1000 l") to the price columns. A row that
// is not a units row (the names row) is left alone. A unit that contradicts the product is a
// layout error: the columns have shifted.
func oilUnitsRow(name string, line int, row []string, cols []oilColumn) error {
	type parsed struct {
		col            int
		unit, currency string
	}
	var units []parsed // in column order, so the first mismatch reported is the leftmost
	for i, c := range cols {
		if c.skip || i >= len(row) || row[i] == "" {
			continue
		}
		u, cur, ok := oilUnit(row[i])
		if !ok {
			return nil // not a units row
		}
		units = append(units, parsed{i, u, cur})
	}
	for _, u := range units {
		i := u.col
		c := &cols[i]
		if u.unit != c.unit {
			return layoutError(name, line, "column "+c.code, fmt.Sprintf("units row says %q but %s is priced per %s: the columns do not match the header", row[i], c.product, c.unit))
		}
		if u.currency != "" {
			c.currency = u.currency
		}
	}
	return nil
}

// oilUnit reads a units cell: "1000 l", "1000L", "t", optionally after a currency ("SEK/1000 l").
func oilUnit(cell string) (unit, currency string, ok bool) {
	s := cell
	if cur, rest, found := strings.Cut(s, "/"); found && isCurrencyCode(strings.TrimSpace(cur)) {
		currency, s = strings.TrimSpace(cur), rest
	}
	switch strings.ToLower(strings.ReplaceAll(s, " ", "")) {
	case "1000l", "1000litres", "1000liters", "1000ltr":
		return "1000_litres", currency, true
	case "t", "tonne", "tonnes", "mt":
		return "tonne", currency, true
	}
	return "", "", false
}

// oilDate reads the date column: DD/MM/YYYY, DD/MM/YY, DD.MM.YYYY, YYYY-MM-DD, or a spreadsheet
// day number (days since 1899-12-30).
func oilDate(s string) (time.Time, error) {
	if serial := strings.TrimSuffix(s, ".0"); len(serial) == 5 && allDigits(serial) {
		n, _ := strconv.Atoi(serial)
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n), nil
	}
	return parseDate(s, "02/01/2006", "02/01/06", "02.01.2006", time.DateOnly)
}
