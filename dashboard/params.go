package dashboard

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/econflow/econflow/transform"
)

// param is one query parameter a page accepts. A value reaches SQL only as a bound argument, and
// only after check accepted it.
type param struct {
	name     string
	required bool
	help     string              // what the value is, for the 400 page
	accepted string              // the form of accepted values, for the 400 page (with check)
	check    func(v string) bool // accepts a value (unless enum or tables is set)
	enum     []string            // when set, the only accepted values
	example  string              // an example value, for the 400 page (with check)
	tables   bool                // the page's table names are the accepted values
}

var (
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
	regionRE  = regexp.MustCompile(`^([A-Z]{2}-[A-Z0-9]{1,3})?$`)
	codeRE    = regexp.MustCompile(`^[a-z0-9_]{1,100}$`)
	currRE    = regexp.MustCompile(`^[A-Z]{3}$`)
)

func isDate(v string) bool {
	d, err := time.Parse(time.DateOnly, v)
	return err == nil && !d.Before(transform.MinDate) && !d.After(transform.MaxDate)
}

// isSource accepts what the consumer accepts as a source id: valid UTF-8 without control
// characters, 1 to transform.MaxSourceBytes bytes.
func isSource(v string) bool {
	if v == "" || len(v) > transform.MaxSourceBytes || !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// The parameters pages share.
var (
	pCountry = param{name: "country", help: "country", accepted: "ISO 3166-1 alpha-2 code: two upper-case letters", example: "KZ",
		check: countryRE.MatchString}
	pRegion = param{name: "region", help: "region (empty: the national series)", accepted: "empty, or an ISO 3166-2 code: the country, '-', 1–3 upper-case letters or digits", example: "KZ-MAN",
		check: regionRE.MatchString}
	pProduct = param{name: "product", help: "fuel product", accepted: "lower-case letters, digits and '_'", example: "lpg",
		check: codeRE.MatchString}
	pTaxBasis  = param{name: "tax_basis", help: "tax basis", enum: []string{"incl_tax", "excl_tax"}}
	pCurrency  = param{name: "currency", help: "currency of the series", accepted: "ISO 4217 code: three upper-case letters", example: "KZT", check: currRE.MatchString}
	pUnit      = param{name: "unit", help: "unit of the price", enum: []string{transform.UnitLitre, transform.Unit1000Litres, transform.UnitUSGallon, transform.UnitImpGallon, transform.UnitBarrel, transform.UnitKg, transform.UnitTonne}}
	pSource    = param{name: "source", help: "publisher id", accepted: "text without control characters, at most 200 bytes", example: "stat.gov.kz", check: isSource}
	pFrequency = param{name: "frequency", help: "frequency", enum: []string{"D", "W", "M", "Q", "A"}}
	pFrom      = param{name: "from", help: "first date shown", accepted: "a date YYYY-MM-DD within 1900-01-01…2299-12-31", example: "2022-01-01", check: isDate}
	pTo        = param{name: "to", help: "last date shown", accepted: "a date YYYY-MM-DD within 1900-01-01…2299-12-31", example: "2022-12-31", check: isDate}
	pDate      = param{name: "date", help: "the observation date whose vintages are shown", accepted: "a date YYYY-MM-DD within 1900-01-01…2299-12-31", example: "2022-01-04", check: isDate}
	pMeasure   = param{name: "measure", help: "wage measure", accepted: "lower-case letters, digits and '_'", example: "minimum", check: codeRE.MatchString}
	pWageMeas  = param{name: "wage_measure", help: "wage measure", accepted: "lower-case letters, digits and '_'", example: "minimum", check: codeRE.MatchString}
	pBasis     = param{name: "basis", help: "wage basis", enum: []string{"gross", "net"}}
	pPer       = param{name: "per", help: "period a wage is paid for", enum: []string{"hour", "day", "week", "month", "year"}}
	pBase      = param{name: "base", help: "base currency of the rate", accepted: "ISO 4217 code: three upper-case letters", example: "EUR", check: currRE.MatchString}
	pQuote     = param{name: "quote", help: "quote currency of the rate", accepted: "ISO 4217 code: three upper-case letters", example: "KZT", check: currRE.MatchString}
	pRateType  = param{name: "rate_type", help: "rate type", enum: []string{"official", "reference", "market"}}
	pCode      = param{name: "code", help: "reject error code", accepted: "lower-case letters, digits and '_'", example: "bad_decimal", check: codeRE.MatchString}
	pFormat    = param{name: "format", help: "html for the page, csv for one of its tables", enum: []string{"html", "csv"}}
	pTable     = param{name: "table", help: "which table the CSV holds (default: the first)", tables: true}
)

func required(p param) param { p.required = true; return p }

// spec is the parameter list of a page.
type spec []param

// badParam is one rejected parameter.
type badParam struct {
	Name, Value, Why string
}

// values are the parameters of a request after validation; absent ones are missing from the map.
type values map[string]string

func (v values) has(name string) bool { _, ok := v[name]; return ok }

// parse validates q against s: every parameter must be known, given once and accepted; required
// ones must be present. It returns every problem, not only the first.
func (s spec) parse(q url.Values, tables []string) (values, []badParam) {
	out := values{}
	var bad []badParam
	known := map[string]param{}
	for _, pr := range s {
		known[pr.name] = pr
	}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vs := q[name]
		pr, ok := known[name]
		if !ok {
			bad = append(bad, badParam{Name: name, Value: strings.Join(vs, ","), Why: "is not a parameter of this page"})
			continue
		}
		if len(vs) != 1 {
			bad = append(bad, badParam{Name: name, Value: strings.Join(vs, ","), Why: fmt.Sprintf("is given %d times; give it once", len(vs))})
			continue
		}
		v := vs[0]
		if !pr.accepts(v, tables) {
			bad = append(bad, badParam{Name: name, Value: v, Why: "is not accepted; " + pr.describe(tables)})
			continue
		}
		out[name] = v
	}
	for _, pr := range s {
		if pr.required && !out.has(pr.name) && !q.Has(pr.name) {
			bad = append(bad, badParam{Name: pr.name, Why: "is required; " + pr.describe(tables)})
		}
	}
	if from, to := out["from"], out["to"]; from != "" && to != "" && from > to {
		bad = append(bad, badParam{Name: "to", Value: to, Why: "is before from=" + from})
	}
	return out, bad
}

func (pr param) accepts(v string, tables []string) bool {
	if pr.tables {
		return contains(tables, v)
	}
	if pr.enum != nil {
		return contains(pr.enum, v)
	}
	return pr.check(v)
}

// describe says what the parameter accepts.
func (pr param) describe(tables []string) string {
	switch {
	case pr.tables:
		return "accepted: " + strings.Join(tables, ", ")
	case pr.enum != nil:
		return "accepted: " + strings.Join(pr.enum, ", ")
	default:
		return "accepted: " + pr.accepted + ", e.g. " + pr.example
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
