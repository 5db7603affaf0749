package transform

import (
	"math/big"
	"time"
)

// Derived holds the derived columns of docs/contract.md §2.3. Decimal columns are integers scaled
// by 10^18 (render with FormatFixed18), each rounded once, half to even (by scaledQuo, as Round18
// rounds); nil means NULL.
type Derived struct {
	// FXStatus is FXConverted or FXPending.
	FXStatus string
	// FXRate is the rounded conversion factor (reporting currency per 1 unit); nil when pending.
	FXRate *big.Int
	// FXDate is the rate date used; zero means NULL (same currency, or pending).
	FXDate time.Time
	// FXPath is the conversion route; "" when pending.
	FXPath string
	// FXBasis is which rate the conversion takes (FXBasisPoint or FXBasisPeriodAverage); for a
	// pending row, the one it waits for.
	FXBasis string
	// KnownFrom is when this conversion became known: the greatest of the record's PublishedAt
	// and the PublishedAt of the rates it used (docs/contract.md §5.4).
	KnownFrom time.Time

	// PricePerLitre is v / litres per unit, for volume units only (fuel_price).
	PricePerLitre *big.Int
	// PricePerKg is v / kg per unit, for mass units only (fuel_price).
	PricePerKg *big.Int
	// PriceEUR is v·F (fuel_price, converted only).
	PriceEUR *big.Int
	// PricePerLitreEUR is v·F / litres per unit (fuel_price, volume units, converted only).
	PricePerLitreEUR *big.Int
	// PricePerKgEUR is v·F / kg per unit (fuel_price, mass units, converted only).
	PricePerKgEUR *big.Int

	// AmountEUR is v·F (wage, converted only).
	AmountEUR *big.Int
	// MonthlyAmount is v for per=month and v/12 for per=year; nil otherwise (wage).
	MonthlyAmount *big.Int
	// MonthlyAmountEUR is the exact monthly amount × F (wage, converted only).
	MonthlyAmountEUR *big.Int

	// ValueEUR is v·F (indicator with unit currency, converted only).
	ValueEUR *big.Int
}

// Normalize computes every derived column of r (fuel_price, wage, or indicator with unit
// currency) given conv, the result of RateBook.Convert for r's currency and date; for fx_rate
// records and indicators of other units (which have no currency) it returns a Derived with no
// values (an empty fx_status; for an indicator, KnownFrom its PublishedAt) and no error; so it
// does for a withdrawal (Record.Withdrawn), whose KnownFrom is its PublishedAt. All arithmetic is exact; each value is rounded once at the end. conv counts as converted
// only when its Status is FXConverted and its Factor is non-nil; otherwise the row is pending and
// every *_eur column is nil.
//
// It returns an *Error with CodeOutOfRange if the published number, the published value
// v = number × 10^unit_mult or any derived value does not fit Decimal(38, 18).
func Normalize(r *Record, conv Conversion) (Derived, error) {
	return normalize(r, conv, new(fixedArena))
}

// NormalizeIn is Normalize with the derived values stored in s (see Scratch): they are valid
// until s is used for another record. With s nil it is Normalize.
func NormalizeIn(s *Scratch, r *Record, conv Conversion) (Derived, error) {
	if s == nil {
		return Normalize(r, conv)
	}
	s.arena = fixedArena{}
	return normalize(r, conv, &s.arena)
}

func normalize(r *Record, conv Conversion, arena *fixedArena) (Derived, error) {
	if r.Withdrawn {
		// A withdrawal has no value to derive from: every derived column is NULL, and it is
		// known from its own publication.
		return Derived{KnownFrom: r.PublishedAt}, nil
	}
	if r.Kind != KindFuelPrice && r.Kind != KindWage && (r.Kind != KindIndicator || r.Unit != IndicatorUnitCurrency) {
		if r.Kind == KindIndicator {
			// Nothing to convert: known from its publication (indicators_data.known_from).
			return Derived{KnownFrom: r.PublishedAt}, nil
		}
		return Derived{}, nil
	}
	var d Derived
	field := "price"
	switch r.Kind {
	case KindWage:
		field = "amount"
	case KindIndicator:
		field = "value"
	}
	num := r.Value()
	coef := num.coef()
	if !num.fits38() {
		return Derived{}, fieldError(CodeOutOfRange, field, num.String()+" does not fit Decimal(38,18)")
	}
	// Every column is coef × 10^e × (numerators) / (denominators), rounded once by scaledQuo:
	// v = coef × 10^(unit_mult − scale), and 10^18 scales the result.
	e := MaxScale - int(num.Scale) + r.UnitMult
	if err := checkScaled(coef, e); err != nil {
		return Derived{}, derivedError(field, field+" × 10^unit_mult", err)
	}
	converted := conv.Status == FXConverted && conv.Factor != nil
	d.FXBasis = conv.Basis
	if d.FXBasis == "" {
		d.FXBasis = FXBasisPoint
	}
	d.KnownFrom = r.PublishedAt
	if conv.KnownFrom.After(d.KnownFrom) {
		// The rates it used, or for a pending row the withdrawal of the rate that converted it
		// before, published after the observation.
		d.KnownFrom = conv.KnownFrom
	}
	var fn, fd factor // F = fn / fd, fd > 0
	if converted {
		d.FXStatus = FXConverted
		var fx *big.Int
		var err error
		if p := conv.prep; p != nil { // prepared by ConvCache
			fn, fd, fx, err = p.fn, p.fd, p.fx, p.err
		} else {
			fn, fd = smallFactorOf(conv.Factor.Num()), smallFactorOf(conv.Factor.Denom())
			fx, err = oneE18.quo(arena, fn, factorOne, fd, factorOne)
		}
		if err != nil {
			return Derived{}, derivedError(field, "fx_rate", err)
		}
		d.FXRate, d.FXDate, d.FXPath = fx, conv.Date, conv.Path
	} else {
		d.FXStatus = FXPending
	}
	base := newQuoBase(coef, e)
	col := func(dst **big.Int, column string, n1, n2, d1, d2 factor) error {
		x, err := base.quo(arena, n1, n2, d1, d2)
		if err != nil {
			return derivedError(field, column, err)
		}
		*dst = x
		return nil
	}
	switch r.Kind {
	case KindFuelPrice:
		// v / size = coef × 10^e × sizeDen / sizeNum.
		if l, ok := unitFrac(r.Unit, true); ok {
			if err := col(&d.PricePerLitre, "price_per_litre", l.den, factorOne, l.num, factorOne); err != nil {
				return Derived{}, err
			}
			if converted {
				if err := col(&d.PricePerLitreEUR, "price_per_litre_eur", fn, l.den, fd, l.num); err != nil {
					return Derived{}, err
				}
			}
		}
		if k, ok := unitFrac(r.Unit, false); ok {
			if err := col(&d.PricePerKg, "price_per_kg", k.den, factorOne, k.num, factorOne); err != nil {
				return Derived{}, err
			}
			if converted {
				if err := col(&d.PricePerKgEUR, "price_per_kg_eur", fn, k.den, fd, k.num); err != nil {
					return Derived{}, err
				}
			}
		}
		if converted {
			if err := col(&d.PriceEUR, "price_eur", fn, factorOne, fd, factorOne); err != nil {
				return Derived{}, err
			}
		}
	case KindWage:
		var months factor // v per month = v / months
		switch r.Per {
		case "month":
			months = factor{b: bigOne, u: 1, ok: true}
		case "year":
			months = factor{b: bigTwelve, u: 12, ok: true}
		}
		if months.b != nil {
			if err := col(&d.MonthlyAmount, "monthly_amount", factorOne, factorOne, months, factorOne); err != nil {
				return Derived{}, err
			}
		}
		if converted {
			if err := col(&d.AmountEUR, "amount_eur", fn, factorOne, fd, factorOne); err != nil {
				return Derived{}, err
			}
			if months.b != nil {
				if err := col(&d.MonthlyAmountEUR, "monthly_amount_eur", fn, factorOne, fd, months); err != nil {
					return Derived{}, err
				}
			}
		}
	case KindIndicator:
		if converted {
			if err := col(&d.ValueEUR, "value_eur", fn, factorOne, fd, factorOne); err != nil {
				return Derived{}, err
			}
		}
	}
	return d, nil
}

// checkScaled returns scaledQuo's error for coef × 10^e, without computing it when it surely
// fits: |coef| < 2^63 and e ≤ 19 give less than 9.3 × 10^37.
func checkScaled(coef *big.Int, e int) error {
	if coef.IsInt64() && e <= 19 {
		return nil
	}
	_, err := scaledQuo(coef, e, nil, nil, nil, nil)
	return err
}

var (
	bigOne    = big.NewInt(1)
	bigTwelve = big.NewInt(12)
	// oneE18 is 1 × 10^18 prepared for the fx_rate column. Read-only (quo copies it).
	oneE18 = newQuoBase(bigOne, MaxScale)
)

func derivedError(field, column string, err error) error {
	return fieldError(CodeOutOfRange, field, column+" does not fit Decimal(38,18): "+err.(*Error).Reason)
}
