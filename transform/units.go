package transform

import "math/big"

// Units of fuel_price records.
const (
	UnitLitre      = "litre"
	Unit1000Litres = "1000_litres"
	UnitUSGallon   = "us_gallon"
	UnitImpGallon  = "imp_gallon"
	UnitBarrel     = "barrel"
	UnitKg         = "kg"
	UnitTonne      = "tonne"
)

// Exact unit sizes (CONTRACT §2). Read-only; exported functions return copies.
var (
	litresPerUnit = map[string]*big.Rat{
		UnitLitre:      big.NewRat(1, 1),
		Unit1000Litres: big.NewRat(1000, 1),
		UnitUSGallon:   big.NewRat(3785411784, 1000000000),
		UnitImpGallon:  big.NewRat(454609, 100000),
		UnitBarrel:     big.NewRat(158987294928, 1000000000), // 42 US gallons
	}
	kgPerUnit = map[string]*big.Rat{
		UnitKg:    big.NewRat(1, 1),
		UnitTonne: big.NewRat(1000, 1),
	}
)

// frac is a read-only positive fraction num/den.
type frac struct{ num, den *big.Int }

// litresPerUnitFrac and kgPerUnitFrac are the unit sizes as fractions in lowest terms, for the
// integer arithmetic of Normalize.
var litresPerUnitFrac, kgPerUnitFrac = fracs(litresPerUnit), fracs(kgPerUnit)

func fracs(m map[string]*big.Rat) map[string]frac {
	out := make(map[string]frac, len(m))
	for k, v := range m {
		out[k] = frac{num: new(big.Int).Set(v.Num()), den: new(big.Int).Set(v.Denom())}
	}
	return out
}

// LitresPerUnit returns the exact number of litres in one unit — litre 1, 1000_litres 1000,
// us_gallon 3.785411784, imp_gallon 4.54609, barrel 158.987294928 — as a new Rat the caller owns.
// ok is false for mass units and unknown units: no density is ever assumed.
func LitresPerUnit(unit string) (litres *big.Rat, ok bool) {
	l, ok := litresPerUnit[unit]
	if !ok {
		return nil, false
	}
	return new(big.Rat).Set(l), true
}

// KgPerUnit returns the exact number of kilograms in one unit — kg 1, tonne 1000 — as a new Rat
// the caller owns. ok is false for volume units and unknown units.
func KgPerUnit(unit string) (kg *big.Rat, ok bool) {
	k, ok := kgPerUnit[unit]
	if !ok {
		return nil, false
	}
	return new(big.Rat).Set(k), true
}

// PublishedValue returns the record's published value v = Value() × 10^UnitMult exactly, as a new Rat.
func PublishedValue(r *Record) *big.Rat {
	v := r.Value().Rat()
	switch {
	case r.UnitMult > 0:
		v.Mul(v, new(big.Rat).SetInt(pow10(r.UnitMult)))
	case r.UnitMult < 0:
		v.Quo(v, new(big.Rat).SetInt(pow10(-r.UnitMult)))
	}
	return v
}
