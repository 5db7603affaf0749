package transform

import (
	"math/big"
	"testing"
	"time"
)

// TestIsBasePeriod lists accepted and refused base_period texts.
func TestIsBasePeriod(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"2015=100", true}, {"2021-12=100", true}, {"1982-1984=100", true}, {"2010-Q1=100", true}, {"2010=1", true},
		{"2015", false}, {"=100", false}, {"2015=", false}, {"2015=0100", false}, {"2015=0", false},
		{"2021-13=100", false}, {"2021-00=100", false}, {"1984-1982=100", false}, {"2010-Q5=100", false},
		{"0999=100", false}, {"15=100", false}, {"2015=100.5", false}, {"2015 = 100", false}, {"2015=100=1", false},
	} {
		t.Run(c.s, func(t *testing.T) {
			if got := isBasePeriod(c.s); got != c.ok {
				t.Fatalf("isBasePeriod(%q) = %v, want %v", c.s, got, c.ok)
			}
		})
	}
}

// TestNormalizeIndicator: a currency-unit indicator gets value_eur = value × 10^unit_mult × F,
// rounded once half to even at 18 digits (checked against big.Rat); other units get nothing.
func TestNormalizeIndicator(t *testing.T) {
	date := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(unit, currency, value string, mult int) Record {
		v, err := ParseDecimal(value)
		if err != nil {
			t.Fatal(err)
		}
		r := Record{Kind: KindIndicator, Source: "stat.gov.kz", Series: "S", Country: "KZ", Measure: "gdp", Unit: unit,
			Currency: currency, Date: date, Frequency: "Q", UnitMult: mult, IndicatorValue: v}
		if unit == IndicatorUnitIndex {
			r.BasePeriod = "2015=100"
		}
		r.ApplyDefaults()
		if err := Validate(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	factor := big.NewRat(1, 49275) // 1 / 492.75 EUR per KZT
	factor.Mul(factor, big.NewRat(100, 1))
	conv := Conversion{Status: FXConverted, Factor: factor, Date: date, Path: "KZT>EUR@nationalbank.kz:2022-01-01"}
	for _, c := range []struct {
		name, value string
		mult        int
	}{{"plain", "18250000.5", 0}, {"trillions", "18.25", 12}, {"tiny", "0.000000000000000001", 0}, {"negative", "-1234.5678", 3}} {
		t.Run(c.name, func(t *testing.T) {
			r := rec(IndicatorUnitCurrency, "KZT", c.value, c.mult)
			d, err := Normalize(&r, conv)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := new(big.Rat).SetString(c.value)
			v.Mul(v, new(big.Rat).SetFrac(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.mult)), nil), big.NewInt(1)))
			want := ratRound18(new(big.Rat).Mul(v, factor))
			if d.ValueEUR == nil || d.ValueEUR.Cmp(want) != 0 || d.FXStatus != FXConverted {
				t.Fatalf("value_eur %v (%s), want %v", d.ValueEUR, d.FXStatus, want)
			}
			p, err := Normalize(&r, Conversion{Status: FXPending})
			if err != nil || p.ValueEUR != nil || p.FXStatus != FXPending {
				t.Fatalf("pending: %+v %v", p, err)
			}
		})
	}
	r := rec(IndicatorUnitIndex, "", "108.5", 0)
	r.PublishedAt = time.Date(2022, 2, 3, 4, 5, 6, 0, time.UTC)
	if d, err := Normalize(&r, conv); err != nil || d.ValueEUR != nil || d.FXStatus != "" || d.FXRate != nil || !d.KnownFrom.Equal(r.PublishedAt) {
		t.Fatalf("index: %+v %v, want no derived values, known from its publication %v", d, err, r.PublishedAt)
	}
}

// ratRound18 is x × 10^18 rounded half to even, by big.Rat alone.
func ratRound18(x *big.Rat) *big.Int {
	s := new(big.Rat).Mul(x, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)))
	q, m := new(big.Int).QuoRem(s.Num(), s.Denom(), new(big.Int))
	twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
	switch c := twice.Cmp(s.Denom()); {
	case c > 0 || c == 0 && q.Bit(0) == 1:
		if s.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}
