package transform

import (
	"math/big"
	"time"
)

// Derived holds the derived columns of CONTRACT §2. Decimal columns are integers scaled by 10^18
// (render with FormatFixed18), each rounded once, half to even, by Round18; nil means NULL.
type Derived struct {
	// FXStatus is FXConverted or FXPending.
	FXStatus string
	// FXRate is the rounded conversion factor (reporting currency per 1 unit); nil when pending.
	FXRate *big.Int
	// FXDate is the rate date used; zero means NULL (same currency, or pending).
	FXDate time.Time
	// FXPath is the conversion route; "" when pending.
	FXPath string

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
}

var ratTwelve = big.NewRat(12, 1)

// Normalize computes every derived column of r (fuel_price or wage) given conv, the result of
// RateBook.Convert for r's currency and date; for fx_rate records it returns a zero Derived and no
// error. All arithmetic is exact; each value is rounded once at the end. conv counts as converted
// only when its Status is FXConverted and its Factor is non-nil; otherwise the row is pending and
// every *_eur column is nil.
//
// It returns an *Error with CodeOutOfRange if the published number, the published value
// v = number × 10^unit_mult or any derived value does not fit Decimal(38, 18).
func Normalize(r *Record, conv Conversion) (Derived, error) {
	if r.Kind != KindFuelPrice && r.Kind != KindWage {
		return Derived{}, nil
	}
	var d Derived
	field := "price"
	if r.Kind == KindWage {
		field = "amount"
	}
	num := r.Value()
	if num.Scale < 0 || num.Scale > MaxScale || num.Fixed18().CmpAbs(fixed18Limit) >= 0 {
		return Derived{}, fieldError(CodeOutOfRange, field, num.String()+" does not fit Decimal(38,18)")
	}
	v := PublishedValue(r)
	if _, err := Round18(v); err != nil {
		return Derived{}, derivedError(field, field+" × 10^unit_mult", err)
	}
	converted := conv.Status == FXConverted && conv.Factor != nil
	var vf *big.Rat // v·F
	if converted {
		d.FXStatus = FXConverted
		fx, err := Round18(conv.Factor)
		if err != nil {
			return Derived{}, derivedError(field, "fx_rate", err)
		}
		d.FXRate, d.FXDate, d.FXPath = fx, conv.Date, conv.Path
		vf = new(big.Rat).Mul(v, conv.Factor)
	} else {
		d.FXStatus = FXPending
	}
	round := func(column string, x *big.Rat) (*big.Int, error) {
		n, err := Round18(x)
		if err != nil {
			return nil, derivedError(field, column, err)
		}
		return n, nil
	}
	var err error
	switch r.Kind {
	case KindFuelPrice:
		if l, ok := litresPerUnit[r.Unit]; ok {
			if d.PricePerLitre, err = round("price_per_litre", new(big.Rat).Quo(v, l)); err != nil {
				return Derived{}, err
			}
			if converted {
				if d.PricePerLitreEUR, err = round("price_per_litre_eur", new(big.Rat).Quo(vf, l)); err != nil {
					return Derived{}, err
				}
			}
		}
		if k, ok := kgPerUnit[r.Unit]; ok {
			if d.PricePerKg, err = round("price_per_kg", new(big.Rat).Quo(v, k)); err != nil {
				return Derived{}, err
			}
			if converted {
				if d.PricePerKgEUR, err = round("price_per_kg_eur", new(big.Rat).Quo(vf, k)); err != nil {
					return Derived{}, err
				}
			}
		}
		if converted {
			if d.PriceEUR, err = round("price_eur", vf); err != nil {
				return Derived{}, err
			}
		}
	case KindWage:
		var monthly *big.Rat
		switch r.Per {
		case "month":
			monthly = v
		case "year":
			monthly = new(big.Rat).Quo(v, ratTwelve)
		}
		if monthly != nil {
			if d.MonthlyAmount, err = round("monthly_amount", monthly); err != nil {
				return Derived{}, err
			}
		}
		if converted {
			if d.AmountEUR, err = round("amount_eur", vf); err != nil {
				return Derived{}, err
			}
			if monthly != nil {
				if d.MonthlyAmountEUR, err = round("monthly_amount_eur", new(big.Rat).Mul(monthly, conv.Factor)); err != nil {
					return Derived{}, err
				}
			}
		}
	}
	return d, nil
}

func derivedError(field, column string, err error) error {
	return fieldError(CodeOutOfRange, field, column+" does not fit Decimal(38,18): "+err.(*Error).Reason)
}
