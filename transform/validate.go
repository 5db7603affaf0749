package transform

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ApplyDefaults sets the contract defaults of absent (zero) optional fields that do not depend on
// the transport: version 1, frequency D, status A, tax_basis incl_tax, basis gross, rate_type
// official, quantity 1. The decoders call it before Validate; code that builds a Record by hand
// should too. An indicator's adjustment defaults to nsa.
func (r *Record) ApplyDefaults() {
	if r.Version == 0 {
		r.Version = CurrentVersion
	}
	if r.Frequency == "" {
		r.Frequency = "D"
	}
	if r.Status == "" {
		r.Status = "A"
	}
	switch r.Kind {
	case KindFuelPrice:
		if r.TaxBasis == "" {
			r.TaxBasis = "incl_tax"
		}
	case KindWage:
		if r.Basis == "" {
			r.Basis = "gross"
		}
	case KindFXRate:
		if r.RateType == "" {
			r.RateType = "official"
		}
		if r.Quantity == 0 {
			r.Quantity = 1
		}
	case KindIndicator:
		if r.Adjustment == "" {
			r.Adjustment = "nsa"
		}
	}
}

// Limits on free-text fields.
const (
	// MaxSourceBytes is the longest accepted source id, in bytes.
	MaxSourceBytes = 200
	// MaxIDBytes is the longest accepted producer id, in bytes.
	MaxIDBytes = 200
	// MaxCodeBytes is the longest accepted product or measure code, in bytes.
	MaxCodeBytes = 100
	// MinUnitMult and MaxUnitMult bound unit_mult.
	MinUnitMult, MaxUnitMult = -18, 18
)

const (
	acceptedFrequencies = "D, W, M, Q, A"
	acceptedUnits       = "litre, 1000_litres, us_gallon, imp_gallon, barrel, kg, tonne"
)

// MinDate and MaxDate bound observation dates: the range of ClickHouse's Date32, which a
// database created on current ClickHouse stores. A database with Date columns (any created on
// ClickHouse 18.16) stores 1970-01-01…2105-12-31 of it, and the consumer rejects a row dated
// outside its database's range with a reason that names the server's limit. A date outside is
// rejected, never wrapped.
var (
	MinDate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxDate = time.Date(2299, 12, 31, 0, 0, 0, 0, time.UTC)
)

// MinPublished and MaxPublished bound publication times (published_at): the range ClickHouse's
// DateTime stores on every version, to the day.
var (
	MinPublished = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxPublished = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
)

// Validate checks every rule of docs/contract.md §1 on a decoded record whose defaults have been
// applied (see ApplyDefaults): the kind is known and the version is 1; the kind's required fields
// are present; date is a UTC-midnight calendar date; frequency is D, W, M, Q or A; status is 1–2
// upper-case letters (an SDMX OBS_STATUS code); unit_mult is within −18…18; country matches
// [A-Z]{2}; region is "" or the country, '-', and 1–3 of [A-Z0-9]; product and measure match
// [a-z0-9_]+; currencies match [A-Z]{3} and base ≠ quote; enumerations hold (unit, tax_basis, per,
// basis, rate_type); price ≥ 0, amount ≥ 0, rate > 0, quantity ≥ 1, each decimal fitting
// Decimal(38, 18); source is non-empty and at most 200 bytes; every string is valid UTF-8 without
// control characters; attribute keys are non-empty; fields of other kinds are empty. A
// withdrawal (Withdrawn) has no value, quantity 1 and unit_mult 0 instead of a valid value.
//
// It returns the first violation as an *Error naming the field and the accepted values.
func Validate(r *Record) error {
	switch r.Kind {
	case KindFuelPrice, KindWage, KindFXRate, KindIndicator:
	case "":
		return fieldError(CodeMissingField, "kind", "is required; accepted: "+acceptedKinds)
	default:
		return fieldError(CodeUnknownKind, "kind", quote(string(r.Kind))+" is not a known kind; accepted: "+acceptedKinds)
	}
	if r.Kind != KindIndicator {
		if err := notApplicable(r, "series", r.Series, "base_period", r.BasePeriod, "adjustment", r.Adjustment); err != nil {
			return err
		}
		if r.IndicatorValue.Coef != nil {
			return fieldError(CodeUnknownField, "value", "does not apply to kind "+string(r.Kind))
		}
	}
	if r.Version != CurrentVersion {
		return fieldError(CodeUnknownVersion, "version", strconv.Itoa(r.Version)+" is not a known schema version; this consumer knows version 1")
	}
	if r.ID != "" { // "" passes checkText
		if err := checkText("id", r.ID, MaxIDBytes); err != nil {
			return err
		}
	}
	if r.Source == "" {
		return fieldError(CodeMissingField, "source", "is required: the publisher id, e.g. \"stat.gov.kz\"")
	}
	if err := checkText("source", r.Source, MaxSourceBytes); err != nil {
		return err
	}
	if r.Date.IsZero() {
		return fieldError(CodeMissingField, "date", "is required, as YYYY-MM-DD")
	}
	// In UTC (and only then is it accepted), the clock reads 00:00:00 exactly when the Unix time
	// is a multiple of a day.
	if r.Date.Location() != time.UTC || r.Date.Nanosecond() != 0 || r.Date.Unix()%86400 != 0 {
		return fieldError(CodeInvalidField, "date", "must be a calendar date at UTC midnight")
	}
	if r.Date.Before(MinDate) || r.Date.After(MaxDate) {
		return fieldError(CodeOutOfRange, "date", r.Date.Format("2006-01-02")+" is outside 1900-01-01…2299-12-31, the range ClickHouse's Date32 stores")
	}
	if !r.PublishedAt.IsZero() && (r.PublishedAt.Before(MinPublished) || !r.PublishedAt.Before(dayAfter(MaxPublished))) {
		return fieldError(CodeOutOfRange, "published_at", r.PublishedAt.Format(time.RFC3339)+" is outside 1970-01-01…2105-12-31, the range ClickHouse's DateTime stores")
	}
	switch r.Frequency {
	case "D", "W", "M", "Q", "A":
	case "":
		return fieldError(CodeMissingField, "frequency", "is empty; accepted: "+acceptedFrequencies)
	default:
		return fieldError(CodeInvalidField, "frequency", quote(r.Frequency)+" is not accepted; accepted: "+acceptedFrequencies)
	}
	if !isStatus(r.Status) {
		return fieldError(CodeInvalidField, "status", quote(r.Status)+" is not an SDMX OBS_STATUS code; write 1–2 upper-case letters such as A (normal), P (provisional), E (estimated)")
	}
	if r.UnitMult < MinUnitMult || r.UnitMult > MaxUnitMult {
		return fieldError(CodeOutOfRange, "unit_mult", strconv.Itoa(r.UnitMult)+" is outside −18…18")
	}
	var err error
	switch r.Kind {
	case KindFuelPrice:
		err = validateFuelPrice(r)
	case KindWage:
		err = validateWage(r)
	case KindFXRate:
		err = validateFXRate(r)
	case KindIndicator:
		err = validateIndicator(r)
	}
	if err != nil {
		return err
	}
	return ValidateAttributes(r.Attributes)
}

// ValidateAttributes checks a record's attributes as Validate does, last of its checks: every key
// is non-empty, and keys and values are valid UTF-8 without control characters. A reader that
// gives many records the same attributes can check them once: Validate of a record with them
// returns what Validate of the record without them returns, or else this.
func ValidateAttributes(attrs map[string]string) error {
	for k, v := range attrs {
		if k == "" {
			return fieldError(CodeInvalidField, "attributes", "attribute keys must be non-empty")
		}
		if code, why := textProblem(k, 0); code != "" {
			return fieldError(code, "attributes", "key "+quote(k)+" "+why)
		}
		if code, why := textProblem(v, 0); code != "" {
			return fieldError(code, "attributes", "value of key "+quote(k)+" "+why)
		}
	}
	return nil
}

func validateFuelPrice(r *Record) error {
	if r.Measure != "" || r.Per != "" || r.Basis != "" || r.Base != "" || r.Quote != "" || r.RateType != "" {
		return notApplicable(r, "measure", r.Measure, "per", r.Per, "basis", r.Basis, "base", r.Base, "quote", r.Quote, "rate_type", r.RateType)
	}
	if r.Amount.Coef != nil || r.Rate.Coef != nil || r.Quantity != 0 {
		return fieldError(CodeUnknownField, "amount", "amount, rate and quantity do not apply to kind fuel_price")
	}
	if err := checkCountryRegion(r); err != nil {
		return err
	}
	if err := checkCode("product", r.Product, "e.g. lpg, gasoline_ai92, diesel"); err != nil {
		return err
	}
	if err := checkCurrency("currency", r.Currency); err != nil {
		return err
	}
	switch r.Unit {
	case UnitLitre, Unit1000Litres, UnitUSGallon, UnitImpGallon, UnitBarrel, UnitKg, UnitTonne:
	case "":
		return fieldError(CodeMissingField, "unit", "is required; accepted: "+acceptedUnits)
	default:
		return fieldError(CodeInvalidField, "unit", quote(r.Unit)+" is not an accepted unit; accepted: "+acceptedUnits)
	}
	if err := checkEnum("tax_basis", r.TaxBasis, "incl_tax", "excl_tax"); err != nil {
		return err
	}
	if r.Withdrawn {
		return checkWithdrawal(r, "price", r.Price)
	}
	return checkDecimal("price", r.Price, 0)
}

func validateWage(r *Record) error {
	if r.Product != "" || r.TaxBasis != "" || r.Unit != "" || r.Base != "" || r.Quote != "" || r.RateType != "" {
		return notApplicable(r, "product", r.Product, "tax_basis", r.TaxBasis, "unit", r.Unit, "base", r.Base, "quote", r.Quote, "rate_type", r.RateType)
	}
	if r.Price.Coef != nil || r.Rate.Coef != nil || r.Quantity != 0 {
		return fieldError(CodeUnknownField, "price", "price, rate and quantity do not apply to kind wage")
	}
	if err := checkCountryRegion(r); err != nil {
		return err
	}
	if err := checkCode("measure", r.Measure, "e.g. minimum, average, median"); err != nil {
		return err
	}
	if err := checkCurrency("currency", r.Currency); err != nil {
		return err
	}
	if err := checkEnum("per", r.Per, "hour", "day", "week", "month", "year"); err != nil {
		return err
	}
	if err := checkEnum("basis", r.Basis, "gross", "net"); err != nil {
		return err
	}
	if r.Withdrawn {
		return checkWithdrawal(r, "amount", r.Amount)
	}
	return checkDecimal("amount", r.Amount, 0)
}

func validateFXRate(r *Record) error {
	if r.Country != "" || r.Region != "" || r.Product != "" || r.TaxBasis != "" || r.Currency != "" || r.Unit != "" || r.Measure != "" || r.Per != "" || r.Basis != "" {
		return notApplicable(r, "country", r.Country, "region", r.Region, "product", r.Product, "tax_basis", r.TaxBasis, "currency", r.Currency, "unit", r.Unit, "measure", r.Measure, "per", r.Per, "basis", r.Basis)
	}
	if r.Price.Coef != nil || r.Amount.Coef != nil {
		return fieldError(CodeUnknownField, "price", "price and amount do not apply to kind fx_rate")
	}
	if err := checkCurrency("base", r.Base); err != nil {
		return err
	}
	if err := checkCurrency("quote", r.Quote); err != nil {
		return err
	}
	if r.Base == r.Quote {
		return fieldError(CodeInvalidField, "quote", "equals base "+quote(r.Base)+"; a rate needs two different currencies")
	}
	if err := checkEnum("rate_type", r.RateType, "official", "reference", "market"); err != nil {
		return err
	}
	if r.Quantity < 1 {
		return fieldError(CodeOutOfRange, "quantity", strconv.FormatInt(r.Quantity, 10)+" is not accepted; quantity is an integer ≥ 1")
	}
	if r.Withdrawn {
		if r.Quantity != 1 {
			return fieldError(CodeInvalidField, "quantity", "is set on a withdrawal (\"withdrawn\": true), which carries no value; send the rate's identity fields and published_at only")
		}
		return checkWithdrawal(r, "rate", r.Rate)
	}
	return checkDecimal("rate", r.Rate, 1)
}

// checkWithdrawal checks that a withdrawal carries no value: neither the kind's value field
// (named field, holding v) nor unit_mult.
func checkWithdrawal(r *Record, field string, v Decimal) error {
	if v.Coef != nil {
		return fieldError(CodeInvalidField, field, "is set on a withdrawal (\"withdrawn\": true), which carries no value; send the observation's identity fields and published_at only, or remove \"withdrawn\" to publish a value")
	}
	if r.UnitMult != 0 {
		return fieldError(CodeInvalidField, "unit_mult", "is set on a withdrawal (\"withdrawn\": true), which carries no value; remove unit_mult")
	}
	return nil
}

// Indicator units and adjustments (docs/contract.md, kind indicator).
const (
	// IndicatorUnitIndex is an index level relative to a base period (base_period required, value > 0).
	IndicatorUnitIndex = "index"
	// IndicatorUnitPercent is a rate or share in percent (no currency).
	IndicatorUnitPercent = "percent"
	// IndicatorUnitCurrency is an amount of money in the record's currency, converted to EUR.
	IndicatorUnitCurrency = "currency"
	// IndicatorUnitPersons is a count of people (employed, unemployed, population).
	IndicatorUnitPersons = "persons"
	// IndicatorUnitNumber is any other count (dwellings, vehicles, enterprises).
	IndicatorUnitNumber = "number"
	// IndicatorUnitRatio is a plain ratio, not in percent (e.g. a debt-to-GDP ratio of 0.85).
	IndicatorUnitRatio = "ratio"

	acceptedIndicatorUnits = "index, percent, currency, persons, number, ratio"
	acceptedAdjustments    = "nsa (not adjusted), sa (seasonally), saar (seasonally, annual rate), ca (calendar), sca (seasonally and calendar), wda (working-day), swda (seasonally and working-day), trend (trend-cycle)"
)

func validateIndicator(r *Record) error {
	if r.Product != "" || r.TaxBasis != "" || r.Per != "" || r.Basis != "" || r.Base != "" || r.Quote != "" || r.RateType != "" {
		return notApplicable(r, "product", r.Product, "tax_basis", r.TaxBasis, "per", r.Per, "basis", r.Basis, "base", r.Base, "quote", r.Quote, "rate_type", r.RateType)
	}
	if r.Price.Coef != nil || r.Amount.Coef != nil || r.Rate.Coef != nil || r.Quantity != 0 {
		return fieldError(CodeUnknownField, "price", "price, amount, rate and quantity do not apply to kind indicator; the number goes in \"value\"")
	}
	if r.Series == "" {
		return fieldError(CodeMissingField, "series", "is required: the publisher's series code, e.g. CPIAUCSL (FRED) or M.HICP.DE.CP00.INX (an SDMX series key)")
	}
	if err := checkText("series", r.Series, MaxSourceBytes); err != nil {
		return err
	}
	if err := checkCountryRegion(r); err != nil {
		return err
	}
	if err := checkCode("measure", r.Measure, "e.g. cpi, ppi, unemployment_rate, gdp"); err != nil {
		return err
	}
	switch r.Unit {
	case IndicatorUnitIndex, IndicatorUnitPercent, IndicatorUnitCurrency, IndicatorUnitPersons, IndicatorUnitNumber, IndicatorUnitRatio:
	case "":
		return fieldError(CodeMissingField, "unit", "is required; accepted: "+acceptedIndicatorUnits)
	default:
		return fieldError(CodeInvalidField, "unit", quote(r.Unit)+" is not an indicator unit; accepted: "+acceptedIndicatorUnits)
	}
	if r.Unit == IndicatorUnitCurrency {
		if r.Currency == "" {
			return fieldError(CodeMissingField, "currency", "is required when unit is currency: the ISO 4217 code of the amounts, e.g. KZT")
		}
		if err := checkCurrency("currency", r.Currency); err != nil {
			return err
		}
	} else if r.Currency != "" {
		return fieldError(CodeInvalidField, "currency", quote(r.Currency)+" is set but unit is "+r.Unit+", which has no currency; remove currency, or set unit to currency if the values are amounts of money")
	}
	if r.Unit == IndicatorUnitIndex {
		if r.BasePeriod == "" {
			return fieldError(CodeMissingField, "base_period", "is required when unit is index: the period the index equals its base value in, e.g. 2015=100, 2021-12=100 or 1982-1984=100")
		}
		if !isBasePeriod(r.BasePeriod) {
			return fieldError(CodeInvalidField, "base_period", quote(r.BasePeriod)+" is not a base period; write PERIOD=VALUE with PERIOD YYYY, YYYY-MM, YYYY-Qn or YYYY-YYYY and VALUE a positive integer, e.g. 2015=100, 2021-12=100, 1982-1984=100")
		}
	} else if r.BasePeriod != "" {
		return fieldError(CodeInvalidField, "base_period", quote(r.BasePeriod)+" is set but unit is "+r.Unit+"; base_period applies to unit index only: remove it, or set unit to index")
	}
	switch r.Adjustment {
	case "nsa", "sa", "saar", "ca", "sca", "wda", "swda", "trend":
	case "":
		return fieldError(CodeMissingField, "adjustment", "is empty; accepted: "+acceptedAdjustments)
	default:
		return fieldError(CodeInvalidField, "adjustment", quote(r.Adjustment)+" is not an accepted adjustment; accepted: "+acceptedAdjustments)
	}
	if r.Withdrawn {
		return checkWithdrawal(r, "value", r.IndicatorValue)
	}
	if r.Unit == IndicatorUnitIndex {
		if err := checkDecimal("value", r.IndicatorValue, 2); err != nil {
			return err
		}
		if r.IndicatorValue.Sign() <= 0 {
			return fieldError(CodeOutOfRange, "value", r.IndicatorValue.String()+" is not an index level: an index (a "+r.Measure+" of "+r.BasePeriod+") is > 0; check the column mapped to value (a change in percent has unit percent)")
		}
		return nil
	}
	return checkDecimal("value", r.IndicatorValue, 2)
}

// isBasePeriod reports whether s is PERIOD=VALUE: PERIOD is YYYY, YYYY-MM (01–12), YYYY-Qn
// (1–4) or YYYY-YYYY (the second year after the first), VALUE 1–9 digits without a leading 0.
func isBasePeriod(s string) bool {
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return false
	}
	p, v := s[:eq], s[eq+1:]
	if len(v) == 0 || len(v) > 9 || v[0] == '0' || !allDigits(v) {
		return false
	}
	if len(p) < 4 || !allDigits(p[:4]) || p[0] == '0' {
		return false
	}
	switch rest := p[4:]; {
	case rest == "":
		return true
	case len(rest) == 3 && rest[0] == '-' && allDigits(rest[1:]):
		m := int(rest[1]-'0')*10 + int(rest[2]-'0')
		return m >= 1 && m <= 12
	case len(rest) == 3 && rest[0] == '-' && rest[1] == 'Q':
		return rest[2] >= '1' && rest[2] <= '4'
	case len(rest) == 5 && rest[0] == '-' && allDigits(rest[1:]):
		return rest[1:] > p[:4]
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// dayAfter returns t.AddDate(0, 0, 1), computed without the calendar when t is in UTC (where a day
// is always 24 hours).
func dayAfter(t time.Time) time.Time {
	if t.Location() == time.UTC {
		return t.Add(24 * time.Hour)
	}
	return t.AddDate(0, 0, 1)
}

// notApplicable reports the first non-empty field among name/value pairs.
func notApplicable(r *Record, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			return fieldError(CodeUnknownField, pairs[i], "does not apply to kind "+string(r.Kind))
		}
	}
	return nil
}

// checkDecimal checks presence, sign (min 0: ≥ 0; min 1: > 0; min 2: any sign) and that d fits
// Decimal(38, 18).
func checkDecimal(field string, d Decimal, min int) error {
	if d.Coef == nil {
		return fieldError(CodeMissingField, field, "is required: a decimal such as 120.5")
	}
	if !d.fits38() {
		return fieldError(CodeOutOfRange, field, d.String()+" does not fit Decimal(38,18)")
	}
	if min == 0 && d.Sign() < 0 {
		return fieldError(CodeOutOfRange, field, d.String()+" is negative; it must be ≥ 0")
	}
	if min == 1 && d.Sign() <= 0 {
		return fieldError(CodeOutOfRange, field, d.String()+" is not accepted; it must be > 0")
	}
	return nil
}

func checkCountryRegion(r *Record) error {
	if r.Country == "" {
		return fieldError(CodeMissingField, "country", "is required: an ISO 3166-1 alpha-2 code such as KZ")
	}
	if len(r.Country) != 2 || !isUpper(r.Country[0]) || !isUpper(r.Country[1]) {
		return fieldError(CodeInvalidField, "country", quote(r.Country)+" is not an ISO 3166-1 alpha-2 code; write two upper-case letters such as KZ")
	}
	if r.Region == "" {
		return nil
	}
	ok := len(r.Region) >= 4 && len(r.Region) <= 6 && r.Region[:2] == r.Country && r.Region[2] == '-'
	if ok {
		for i := 3; i < len(r.Region); i++ {
			if c := r.Region[i]; !isUpper(c) && !isDigit(c) {
				ok = false
			}
		}
	}
	if !ok {
		return fieldError(CodeInvalidField, "region", quote(r.Region)+" is not an ISO 3166-2 code of country "+r.Country+"; write "+r.Country+"- followed by 1–3 upper-case letters or digits, e.g. KZ-MAN, or leave it empty")
	}
	return nil
}

func checkCode(field, v, example string) error {
	if v == "" {
		return fieldError(CodeMissingField, field, "is required: a lower-case code ([a-z0-9_]+), "+example)
	}
	ok := len(v) <= MaxCodeBytes
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = ('a' <= c && c <= 'z') || isDigit(c) || c == '_'
	}
	if !ok {
		return fieldError(CodeInvalidField, field, quote(v)+" is not accepted; write lower-case letters, digits and '_' (at most 100), "+example)
	}
	return nil
}

func checkCurrency(field, v string) error {
	if v == "" {
		return fieldError(CodeMissingField, field, "is required: an ISO 4217 code such as KZT")
	}
	if len(v) != 3 || !isUpper(v[0]) || !isUpper(v[1]) || !isUpper(v[2]) {
		return fieldError(CodeInvalidField, field, quote(v)+" is not an ISO 4217 code; write three upper-case letters such as KZT")
	}
	return nil
}

func checkEnum(field, v string, accepted ...string) error {
	for _, a := range accepted {
		if v == a {
			return nil
		}
	}
	list := ""
	for i, a := range accepted {
		if i > 0 {
			list += ", "
		}
		list += a
	}
	if v == "" {
		return fieldError(CodeMissingField, field, "is required; accepted: "+list)
	}
	return fieldError(CodeInvalidField, field, quote(v)+" is not accepted; accepted: "+list)
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

func isStatus(s string) bool {
	switch len(s) {
	case 1:
		return isUpper(s[0])
	case 2:
		return isUpper(s[0]) && isUpper(s[1])
	}
	return false
}

// checkText checks that s is valid UTF-8 without control characters and, if max > 0, at most max bytes.
func checkText(field, s string, max int) error {
	if code, why := textProblem(s, max); code != "" {
		return fieldError(code, field, why)
	}
	return nil
}

// textProblem returns a code and reason if s is not valid UTF-8, contains a control character or
// (max > 0) is longer than max bytes; otherwise "", "".
func textProblem(s string, max int) (Code, string) {
	if max > 0 && len(s) > max {
		return CodeOutOfRange, "is " + strconv.Itoa(len(s)) + " bytes long; at most " + strconv.Itoa(max) + " are accepted"
	}
	i := 0
	for i < len(s) && s[i]-0x20 < 0x7f-0x20 { // printable ASCII: nothing to report
		i++
	}
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return CodeInvalidField, "contains control character " + strconv.QuoteRune(rune(c)) + " at byte " + strconv.Itoa(i) + "; remove it"
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return CodeInvalidUTF8, "is not valid UTF-8 at byte " + strconv.Itoa(i)
		}
		if unicode.IsControl(r) {
			return CodeInvalidField, "contains control character " + strconv.QuoteRune(r) + " at byte " + strconv.Itoa(i) + "; remove it"
		}
		i += size
	}
	return "", ""
}
