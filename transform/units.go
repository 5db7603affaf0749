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

// Exact unit sizes (docs/contract.md §2.1). Read-only; exported functions return copies.
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

// unitFactors is a unit size as the factors of scaledQuo.
type unitFactors struct{ num, den factor }

// litresPerUnitFrac and kgPerUnitFrac are the unit sizes as fractions in lowest terms, for the
// integer arithmetic of Normalize.
var litresPerUnitFrac, kgPerUnitFrac = fracs(litresPerUnit), fracs(kgPerUnit)

// unitFrac returns the unit's size in litres (volume) or in kg (!volume) as a fraction: the same
// as litresPerUnitFrac[unit] or kgPerUnitFrac[unit], without hashing the unit.
func unitFrac(unit string, volume bool) (unitFactors, bool) {
	i := -1
	switch unit {
	case UnitLitre:
		i = 0
	case Unit1000Litres:
		i = 1
	case UnitUSGallon:
		i = 2
	case UnitImpGallon:
		i = 3
	case UnitBarrel:
		i = 4
	case UnitKg:
		i = 5
	case UnitTonne:
		i = 6
	}
	if i < 0 || unitFracs[i].volume != volume {
		return unitFactors{}, false
	}
	return unitFracs[i].unitFactors, true
}

// unitFracs holds the sizes unitFrac returns, in its order. Read-only.
var unitFracs = func() (t [7]struct {
	unitFactors
	volume bool
}) {
	for i, u := range [...]string{UnitLitre, Unit1000Litres, UnitUSGallon, UnitImpGallon, UnitBarrel, UnitKg, UnitTonne} {
		f, ok := litresPerUnitFrac[u]
		if !ok {
			f = kgPerUnitFrac[u]
		}
		t[i].unitFactors, t[i].volume = unitFactors{num: smallFactorOf(f.num), den: smallFactorOf(f.den)}, ok
	}
	return t
}()

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
