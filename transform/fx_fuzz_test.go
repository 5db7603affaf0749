package transform

import (
	"fmt"
	"math/big"
	"testing"
	"time"
)

// fzRound18 rounds x half to even to 18 fractional digits and returns it scaled by 10^18: an
// oracle written independently of Round18.
func fzRound18(x *big.Rat) *big.Int {
	n := new(big.Int).Mul(x.Num(), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
	neg := n.Sign() < 0
	n.Abs(n)
	q, r := new(big.Int).QuoRem(n, x.Denom(), new(big.Int))
	switch c := new(big.Int).Lsh(r, 1).Cmp(x.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q
}

var (
	fzCurrencies = []string{"KZT", "USD", "KRW", "GEL", "EUR"}
	fzLitres     = map[string]string{"litre": "1", "1000_litres": "1000", "us_gallon": "3.785411784", "imp_gallon": "4.54609",
		"barrel": "158.987294928", "kg": "", "tonne": ""}
	fzUnits = []string{"litre", "1000_litres", "us_gallon", "imp_gallon", "barrel", "kg", "tonne"}
)

// FuzzConvert builds a one-pair RateBook from fuzzed inputs (rate text, quantity, the rate's age
// in days, orientation, currency), plus a decoy rate dated the day after the observation, and
// checks Convert and Normalize: no panic; converted exactly when the rate is valid and 0 ≤ age ≤ 7
// (the default window); the factor equals rate/quantity (currency is the base) or quantity/rate
// (currency is the quote), read by big.Rat from the text; fx_date, fx_path and every derived
// column agree with an independent half-even rounding of the exact values.
func FuzzConvert(f *testing.F) {
	f.Add("492.75", uint16(1), int8(0), int8(3), false, uint8(0), "120.50", uint8(0), int8(0))
	f.Add("36.58", uint16(100), int8(7), int8(-20), false, uint8(2), "1459", uint8(2), int8(3))
	f.Add("1.1318", uint16(1), int8(8), int8(0), true, uint8(1), "3.289", uint8(4), int8(-2))
	f.Add("4.9275e2", uint16(1000), int8(-1), int8(100), true, uint8(3), "0.000000000000000001", uint8(6), int8(0))
	f.Add("0", uint16(0), int8(2), int8(1), true, uint8(4), "1E5", uint8(5), int8(18))
	f.Add("0.000000000000000001", uint16(65535), int8(7), int8(-128), false, uint8(0), "99999999999999999999", uint8(1), int8(-18))
	f.Fuzz(func(t *testing.T, rateText string, quantity uint16, age, dayOff int8, currencyIsQuote bool, cur uint8,
		priceText string, unit uint8, mult int8) {
		c := fzCurrencies[int(cur)%len(fzCurrencies)]
		u := fzUnits[int(unit)%len(fzUnits)]
		day := time.Date(2022, 1, 15, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(dayOff))
		rateDate := day.AddDate(0, 0, -int(age))
		pub := time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
		cfg := DefaultFXConfig()

		base, quote := c, "EUR"
		if currencyIsQuote {
			base, quote = "EUR", c
		}
		book := NewRateBook()
		rd, rerr := ParseDecimal(rateText)
		valid := rerr == nil && rd.Sign() > 0 && quantity >= 1 && c != "EUR"
		if rerr == nil && base != quote {
			added := book.Add(Rate{Source: "src", Base: base, Quote: quote, RateType: "official", Date: rateDate, Rate: rd,
				Quantity: int64(quantity), PublishedAt: pub})
			if added != valid {
				t.Fatalf("Add(%s %s/%s q=%d) = %v, want %v", rateText, base, quote, quantity, added, valid)
			}
		}
		// A decoy, dated after the observation: never usable.
		if base != quote {
			book.Add(Rate{Source: "aaa", Base: base, Quote: quote, RateType: "official", Date: day.AddDate(0, 0, 1),
				Rate: Decimal{Coef: big.NewInt(999), Scale: 0}, Quantity: 1, PublishedAt: pub})
		}

		conv := book.Convert(cfg, c, day)
		var want *big.Rat
		switch {
		case c == "EUR":
			want = big.NewRat(1, 1)
			if conv.Status != FXConverted || conv.Path != "EUR" || !conv.Date.IsZero() {
				t.Fatalf("EUR: %+v", conv)
			}
		case valid && age >= 0 && age <= 7:
			r, ok := new(big.Rat).SetString(rateText)
			if !ok {
				t.Fatalf("big.Rat cannot read %q, which ParseDecimal accepted", rateText)
			}
			q := new(big.Rat).SetInt64(int64(quantity))
			if currencyIsQuote {
				want = q.Quo(q, r)
			} else {
				want = r.Quo(r, q)
			}
			wantPath := fmt.Sprintf("%s>EUR@src:%s", c, rateDate.Format("2006-01-02"))
			if conv.Status != FXConverted || conv.Path != wantPath || !conv.Date.Equal(rateDate) {
				t.Fatalf("%s %s/%s age %d: status %q path %q date %v, want converted %q %v", rateText, base, quote, age,
					conv.Status, conv.Path, conv.Date, wantPath, rateDate)
			}
		default:
			if conv.Status != FXPending || conv.Factor != nil || conv.Path != "" || !conv.Date.IsZero() {
				t.Fatalf("%q q=%d age %d valid=%v: %+v, want pending", rateText, quantity, age, valid, conv)
			}
		}
		if want != nil && (conv.Factor == nil || conv.Factor.Cmp(want) != 0) {
			t.Fatalf("factor = %v, want %v", conv.Factor, want)
		}
		if conv.Factor != nil {
			conv.Factor.Mul(conv.Factor, big.NewRat(2, 1)) // owned by the caller: must not alias the book
			if again := book.Convert(cfg, c, day); again.Factor.Cmp(want) != 0 {
				t.Fatalf("mutating a returned Factor changed the book: %v, want %v", again.Factor, want)
			}
			conv = book.Convert(cfg, c, day)
		}

		// Normalize a fuel price in c on that day.
		pd, perr := ParseDecimal(priceText)
		if perr != nil || pd.Sign() < 0 {
			return
		}
		m := int(mult) % 19
		rec := &Record{Kind: KindFuelPrice, Source: "s", Date: day, Country: "KZ", Product: "lpg", TaxBasis: "incl_tax",
			Currency: c, Unit: u, Price: pd, UnitMult: m}
		d, err := Normalize(rec, conv)
		if err != nil {
			return // out of range: a reason, not a panic
		}
		v := pd.Rat()
		p10 := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(fzAbs(m))), nil))
		if m >= 0 {
			v.Mul(v, p10)
		} else {
			v.Quo(v, p10)
		}
		eq := func(col string, got *big.Int, x *big.Rat) {
			t.Helper()
			if x == nil {
				if got != nil {
					t.Fatalf("%s = %v, want NULL", col, got)
				}
				return
			}
			if w := fzRound18(x); got == nil || got.Cmp(w) != 0 {
				t.Fatalf("%s = %v, want %v (price %s×10^%d %s, factor %v)", col, got, w, priceText, m, u, want)
			}
		}
		var perLitre, perLitreEUR, eur *big.Rat
		if l := fzLitres[u]; l != "" {
			lr, _ := new(big.Rat).SetString(l)
			perLitre = new(big.Rat).Quo(v, lr)
			if want != nil {
				perLitreEUR = new(big.Rat).Quo(new(big.Rat).Mul(v, want), lr)
			}
		}
		if want != nil {
			eur = new(big.Rat).Mul(v, want)
			eq("fx_rate", d.FXRate, want)
		} else if d.FXStatus != FXPending {
			t.Fatalf("fx_status = %q, want pending", d.FXStatus)
		}
		eq("price_per_litre", d.PricePerLitre, perLitre)
		eq("price_per_litre_eur", d.PricePerLitreEUR, perLitreEUR)
		eq("price_eur", d.PriceEUR, eur)
		if u == "kg" || u == "tonne" {
			if d.PricePerKg == nil {
				t.Fatalf("price_per_kg NULL for %s", u)
			}
		} else if d.PricePerKg != nil || d.PricePerKgEUR != nil {
			t.Fatalf("price_per_kg set for volume unit %s", u)
		}
	})
}

func fzAbs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
