package transform

import (
	"strconv"
	"time"
)

// fieldID identifies a CONTRACT field.
type fieldID uint8

const (
	fKind fieldID = iota
	fVersion
	fID
	fSource
	fDate
	fFrequency
	fPublishedAt
	fStatus
	fUnitMult
	fAttributes
	fCountry
	fRegion
	fProduct
	fTaxBasis
	fCurrency
	fUnit
	fPrice
	fMeasure
	fPer
	fBasis
	fAmount
	fBase
	fQuote
	fRateType
	fRate
	fQuantity
	numFields
)

// fieldType says how a field's text is read.
type fieldType uint8

const (
	tString fieldType = iota
	tDecimal
	tInt
	tDate
	tTime
	tAttrs
	tVersion
)

// Kind membership bits.
const (
	inFuel   = 1 << 0
	inWage   = 1 << 1
	inFX     = 1 << 2
	inCommon = inFuel | inWage | inFX
)

type fieldSpec struct {
	name  string
	typ   fieldType
	kinds uint8
}

var fieldSpecs = [numFields]fieldSpec{
	fKind:        {"kind", tString, inCommon},
	fVersion:     {"version", tVersion, inCommon},
	fID:          {"id", tString, inCommon},
	fSource:      {"source", tString, inCommon},
	fDate:        {"date", tDate, inCommon},
	fFrequency:   {"frequency", tString, inCommon},
	fPublishedAt: {"published_at", tTime, inCommon},
	fStatus:      {"status", tString, inCommon},
	fUnitMult:    {"unit_mult", tInt, inCommon},
	fAttributes:  {"attributes", tAttrs, inCommon},
	fCountry:     {"country", tString, inFuel | inWage},
	fRegion:      {"region", tString, inFuel | inWage},
	fProduct:     {"product", tString, inFuel},
	fTaxBasis:    {"tax_basis", tString, inFuel},
	fCurrency:    {"currency", tString, inFuel | inWage},
	fUnit:        {"unit", tString, inFuel},
	fPrice:       {"price", tDecimal, inFuel},
	fMeasure:     {"measure", tString, inWage},
	fPer:         {"per", tString, inWage},
	fBasis:       {"basis", tString, inWage},
	fAmount:      {"amount", tDecimal, inWage},
	fBase:        {"base", tString, inFX},
	fQuote:       {"quote", tString, inFX},
	fRateType:    {"rate_type", tString, inFX},
	fRate:        {"rate", tDecimal, inFX},
	fQuantity:    {"quantity", tInt, inFX},
}

// lookupField returns the id of a CONTRACT field name.
func lookupField(name string) (fieldID, bool) {
	switch name {
	case "kind":
		return fKind, true
	case "version":
		return fVersion, true
	case "id":
		return fID, true
	case "source":
		return fSource, true
	case "date":
		return fDate, true
	case "frequency":
		return fFrequency, true
	case "published_at":
		return fPublishedAt, true
	case "status":
		return fStatus, true
	case "unit_mult":
		return fUnitMult, true
	case "attributes":
		return fAttributes, true
	case "country":
		return fCountry, true
	case "region":
		return fRegion, true
	case "product":
		return fProduct, true
	case "tax_basis":
		return fTaxBasis, true
	case "currency":
		return fCurrency, true
	case "unit":
		return fUnit, true
	case "price":
		return fPrice, true
	case "measure":
		return fMeasure, true
	case "per":
		return fPer, true
	case "basis":
		return fBasis, true
	case "amount":
		return fAmount, true
	case "base":
		return fBase, true
	case "quote":
		return fQuote, true
	case "rate_type":
		return fRateType, true
	case "rate":
		return fRate, true
	case "quantity":
		return fQuantity, true
	}
	return 0, false
}

// kindBit returns the membership bit of a known kind, or 0.
func kindBit(k Kind) uint8 {
	switch k {
	case KindFuelPrice:
		return inFuel
	case KindWage:
		return inWage
	case KindFXRate:
		return inFX
	}
	return 0
}

// parseKind checks the kind field's text.
func parseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case KindFuelPrice, KindWage, KindFXRate:
		return k, nil
	case "":
		return "", fieldError(CodeMissingField, "kind", "is required; accepted: fuel_price, wage, fx_rate")
	default:
		return "", fieldError(CodeUnknownKind, "kind", quote(s)+" is not a known kind; accepted: fuel_price, wage, fx_rate")
	}
}

// parseVersion checks the version field's text (a JSON number or string).
func parseVersion(s string) (int, error) {
	if s == "1" {
		return CurrentVersion, nil
	}
	return 0, fieldError(CodeUnknownVersion, "version", quote(s)+" is not a known schema version; this consumer knows version 1 only")
}

// notInKind explains a field that exists but not for kind k.
func notInKind(id fieldID, k Kind) error {
	spec := fieldSpecs[id]
	owners := ""
	for _, o := range [...]struct {
		bit  uint8
		name string
	}{{inFuel, "fuel_price"}, {inWage, "wage"}, {inFX, "fx_rate"}} {
		if spec.kinds&o.bit != 0 {
			if owners != "" {
				owners += " and "
			}
			owners += o.name
		}
	}
	return fieldError(CodeUnknownField, spec.name, "is not a field of kind "+string(k)+" (it belongs to "+owners+"); remove it or fix the kind")
}

// setText sets field id of r from its text. An empty text means absent and leaves r unchanged.
// Attributes are not set here.
func setText(r *Record, id fieldID, s string) error {
	if s == "" {
		return nil
	}
	spec := &fieldSpecs[id]
	switch spec.typ {
	case tDecimal:
		d, err := ParseDecimal(s)
		if err != nil {
			e := err.(*Error)
			return fieldError(e.Code, spec.name, e.Reason)
		}
		switch id {
		case fPrice:
			r.Price = d
		case fAmount:
			r.Amount = d
		case fRate:
			r.Rate = d
		}
		return nil
	case tInt:
		n, err := parseInteger(spec.name, s)
		if err != nil {
			return err
		}
		switch id {
		case fUnitMult:
			if n < MinUnitMult || n > MaxUnitMult {
				return fieldError(CodeOutOfRange, "unit_mult", s+" is outside −18…18")
			}
			r.UnitMult = int(n)
		case fQuantity:
			if n < 1 {
				return fieldError(CodeOutOfRange, "quantity", s+" is not accepted; quantity is an integer ≥ 1")
			}
			r.Quantity = n
		}
		return nil
	case tDate:
		t, err := parseDate(s)
		if err != nil {
			return err
		}
		r.Date = t
		return nil
	case tTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fieldError(CodeInvalidField, "published_at", quote(s)+" is not an RFC 3339 time; write e.g. 2022-01-05T10:00:00Z or 2022-01-05T16:00:00+06:00")
		}
		r.PublishedAt = t.UTC()
		return nil
	case tVersion:
		v, err := parseVersion(s)
		if err != nil {
			return err
		}
		r.Version = v
		return nil
	}
	switch id {
	case fKind:
		k, err := parseKind(s)
		if err != nil {
			return err
		}
		r.Kind = k
	case fID:
		r.ID = s
	case fSource:
		r.Source = s
	case fFrequency:
		r.Frequency = s
	case fStatus:
		r.Status = s
	case fCountry:
		r.Country = s
	case fRegion:
		r.Region = s
	case fProduct:
		r.Product = s
	case fTaxBasis:
		r.TaxBasis = s
	case fCurrency:
		r.Currency = s
	case fUnit:
		r.Unit = s
	case fMeasure:
		r.Measure = s
	case fPer:
		r.Per = s
	case fBasis:
		r.Basis = s
	case fBase:
		r.Base = s
	case fQuote:
		r.Quote = s
	case fRateType:
		r.RateType = s
	}
	return nil
}

// parseInteger reads an optional '-' and 1–18 decimal digits.
func parseInteger(field, s string) (int64, error) {
	p := s
	neg := false
	if len(p) > 0 && p[0] == '-' {
		neg = true
		p = p[1:]
	}
	if p == "" {
		return 0, fieldError(CodeInvalidField, field, quote(s)+" is not an integer; write digits only, e.g. 100")
	}
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) {
			return 0, fieldError(CodeInvalidField, field, quote(s)+" is not an integer; write digits only, e.g. 100 (no fraction, exponent or separators)")
		}
	}
	if len(p) > 18 {
		return 0, fieldError(CodeOutOfRange, field, quote(s)+" is too large")
	}
	n, _ := strconv.ParseInt(p, 10, 64)
	if neg {
		n = -n
	}
	return n, nil
}

var monthNames = [...]string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// parseDate reads YYYY-MM-DD as a real calendar date at UTC midnight.
func parseDate(s string) (time.Time, error) {
	ok := len(s) == 10 && s[4] == '-' && s[7] == '-'
	for i := 0; ok && i < 10; i++ {
		if i != 4 && i != 7 && !isDigit(s[i]) {
			ok = false
		}
	}
	if !ok {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(s)+" is not a date; write YYYY-MM-DD, e.g. 2022-01-05")
	}
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if y < 1 {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(s)+" is not a calendar date: year 0000 does not exist")
	}
	if m < 1 || m > 12 {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(s)+" is not a calendar date: month must be 01…12")
	}
	if n := daysIn(y, m); d < 1 || d > n {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(s)+" is not a calendar date: "+monthNames[m]+" "+strconv.Itoa(y)+" has "+strconv.Itoa(n)+" days")
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
