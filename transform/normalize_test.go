package transform

import (
	"math/big"
	"reflect"
	"testing"
)

// kzConversion is 1 EUR = 492.75 KZT, as RateBook.Convert returns it for KZT.
func kzConversion(t *testing.T) Conversion {
	b := NewRateBook()
	b.Add(mkRate(t, "nationalbank.kz", "EUR", "KZT", "2022-01-05", "492.75", 1, 0))
	c := b.Convert(DefaultFXConfig(), "KZT", day("2022-01-05"))
	if c.Status != FXConverted {
		t.Fatal("no conversion")
	}
	return c
}

func fmtOrNil(x *big.Int) string {
	if x == nil {
		return "NULL"
	}
	return FormatFixed18(x)
}

func TestNormalize(t *testing.T) {
	conv := kzConversion(t)
	F := conv.Factor
	// oracle renders round-half-even of the exact rational built from text, by roundOracle.
	oracle := func(parts ...string) string {
		x := big.NewRat(1, 1)
		for _, p := range parts {
			switch p {
			case "F":
				x.Mul(x, F)
			default:
				x.Mul(x, ratOf(p))
			}
		}
		return roundOracle(x)
	}
	type col struct{ name, got, want string }
	tests := []struct {
		name string
		rec  func(t testing.TB) Record
		conv Conversion
		cols func(d Derived) []col
	}{
		{name: "kz lpg litre", rec: lpgRecord, conv: conv, cols: func(d Derived) []col {
			return []col{
				{"fx_rate", fmtOrNil(d.FXRate), "0.002029426686960934"},
				{"price_per_litre", fmtOrNil(d.PricePerLitre), "120.000000000000000000"},
				{"price_eur", fmtOrNil(d.PriceEUR), "0.243531202435312024"},
				{"price_eur oracle", fmtOrNil(d.PriceEUR), oracle("120", "F")},
				{"price_per_litre_eur", fmtOrNil(d.PricePerLitreEUR), "0.243531202435312024"},
				{"price_per_kg", fmtOrNil(d.PricePerKg), "NULL"},
				{"price_per_kg_eur", fmtOrNil(d.PricePerKgEUR), "NULL"},
				{"fx_path", d.FXPath, "KZT>EUR@nationalbank.kz:2022-01-05"},
				{"fx_date", d.FXDate.Format("2006-01-02"), "2022-01-05"},
				{"fx_status", d.FXStatus, "converted"},
			}
		}},
		{name: "us_gallon with unit_mult 3", rec: func(t testing.TB) Record {
			r := lpgRecord(t)
			r.Unit, r.Price, r.UnitMult = "us_gallon", dec(t, "0.45"), 3
			return r
		}, conv: conv, cols: func(d Derived) []col {
			return []col{
				{"price_per_litre", fmtOrNil(d.PricePerLitre), "118.877423561166786921"},
				{"price_per_litre oracle", fmtOrNil(d.PricePerLitre), oracle("450", "1/3.785411784")},
				{"price_per_litre_eur", fmtOrNil(d.PricePerLitreEUR), "0.241253015852190334"},
				{"price_eur", fmtOrNil(d.PriceEUR), oracle("450", "F")},
				{"price_per_kg", fmtOrNil(d.PricePerKg), "NULL"},
			}
		}},
		{name: "tonne has no per litre", rec: func(t testing.TB) Record {
			r := lpgRecord(t)
			r.Unit, r.Price = "tonne", dec(t, "250000")
			return r
		}, conv: conv, cols: func(d Derived) []col {
			return []col{
				{"price_per_kg", fmtOrNil(d.PricePerKg), "250.000000000000000000"},
				{"price_per_kg_eur", fmtOrNil(d.PricePerKgEUR), "0.507356671740233384"},
				{"price_per_litre", fmtOrNil(d.PricePerLitre), "NULL"},
				{"price_per_litre_eur", fmtOrNil(d.PricePerLitreEUR), "NULL"},
			}
		}},
		{name: "barrel", rec: func(t testing.TB) Record {
			r := lpgRecord(t)
			r.Unit, r.Price = "barrel", dec(t, "80.5")
			return r
		}, conv: conv, cols: func(d Derived) []col {
			return []col{{"price_per_litre", fmtOrNil(d.PricePerLitre), oracle("80.5", "1/158.987294928")}}
		}},
		{name: "pending", rec: lpgRecord, conv: Conversion{Status: FXPending}, cols: func(d Derived) []col {
			return []col{
				{"fx_status", d.FXStatus, "pending"},
				{"fx_rate", fmtOrNil(d.FXRate), "NULL"},
				{"price_eur", fmtOrNil(d.PriceEUR), "NULL"},
				{"price_per_litre_eur", fmtOrNil(d.PricePerLitreEUR), "NULL"},
				{"price_per_litre", fmtOrNil(d.PricePerLitre), "120.000000000000000000"},
				{"fx_path", d.FXPath, ""},
			}
		}},
		{name: "kz minimum wage monthly", rec: func(t testing.TB) Record {
			return Record{Kind: KindWage, Version: 1, Source: "stat.gov.kz", Date: day("2022-01-05"), Frequency: "M", Status: "A",
				Country: "KZ", Measure: "minimum", Amount: dec(t, "42500"), Currency: "KZT", Per: "month", Basis: "gross"}
		}, conv: conv, cols: func(d Derived) []col {
			return []col{
				{"amount_eur", fmtOrNil(d.AmountEUR), "86.250634195839675292"},
				{"monthly_amount", fmtOrNil(d.MonthlyAmount), "42500.000000000000000000"},
				{"monthly_amount_eur", fmtOrNil(d.MonthlyAmountEUR), "86.250634195839675292"},
			}
		}},
		{name: "wage per year repeating", rec: func(t testing.TB) Record {
			return Record{Kind: KindWage, Version: 1, Source: "s", Date: day("2022-01-05"), Frequency: "A", Status: "A",
				Country: "KZ", Measure: "average", Amount: dec(t, "100"), Currency: "KZT", Per: "year", Basis: "gross"}
		}, conv: conv, cols: func(d Derived) []col {
			return []col{
				{"monthly_amount", fmtOrNil(d.MonthlyAmount), "8.333333333333333333"},
				{"monthly_amount_eur", fmtOrNil(d.MonthlyAmountEUR), "0.016911889058007779"},
				{"monthly_amount_eur oracle", fmtOrNil(d.MonthlyAmountEUR), oracle("100", "1/12", "F")},
				{"amount_eur", fmtOrNil(d.AmountEUR), "0.202942668696093354"},
			}
		}},
		{name: "wage per year rounds up", rec: func(t testing.TB) Record {
			return Record{Kind: KindWage, Version: 1, Source: "s", Date: day("2022-01-05"), Frequency: "A", Status: "A",
				Country: "KZ", Measure: "average", Amount: dec(t, "2"), Currency: "EUR", Per: "year", Basis: "gross"}
		}, conv: Conversion{Status: FXConverted, Factor: big.NewRat(1, 1), Path: "EUR"}, cols: func(d Derived) []col {
			return []col{
				{"monthly_amount", fmtOrNil(d.MonthlyAmount), "0.166666666666666667"},
				{"fx_rate", fmtOrNil(d.FXRate), "1.000000000000000000"},
				{"fx_date NULL", d.FXDate.Format("2006"), "0001"},
			}
		}},
		{name: "wage per hour has no monthly", rec: func(t testing.TB) Record {
			return Record{Kind: KindWage, Version: 1, Source: "s", Date: day("2022-01-05"), Frequency: "D", Status: "A",
				Country: "KZ", Measure: "average", Amount: dec(t, "1500"), Currency: "KZT", Per: "hour", Basis: "gross"}
		}, conv: conv, cols: func(d Derived) []col {
			return []col{
				{"monthly_amount", fmtOrNil(d.MonthlyAmount), "NULL"},
				{"monthly_amount_eur", fmtOrNil(d.MonthlyAmountEUR), "NULL"},
				{"amount_eur", fmtOrNil(d.AmountEUR), oracle("1500", "F")},
			}
		}},
		{name: "negative unit_mult", rec: func(t testing.TB) Record {
			r := lpgRecord(t)
			r.Price, r.UnitMult = dec(t, "12345"), -18
			return r
		}, conv: Conversion{Status: FXPending}, cols: func(d Derived) []col {
			return []col{{"price_per_litre", fmtOrNil(d.PricePerLitre), "0.000000000000012345"}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rec(t)
			if err := Validate(&r); err != nil {
				t.Fatalf("test record invalid: %v", err)
			}
			d, err := Normalize(&r, tc.conv)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.cols(d) {
				if c.got != c.want {
					t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestNormalizeOutOfRange(t *testing.T) {
	big1 := lpgRecord(t)
	big1.Price, big1.UnitMult = dec(t, "99999999999999999999"), 1
	big2 := lpgRecord(t)
	big2.Price = dec(t, "99999999999999999999")
	tests := []struct {
		name string
		r    Record
		conv Conversion
	}{
		{"published value", big1, Conversion{Status: FXPending}},
		{"price_eur", big2, Conversion{Status: FXConverted, Factor: big.NewRat(2, 1)}},
		{"tiny litres", func() Record {
			r := lpgRecord(t)
			r.Price, r.UnitMult = dec(t, "1"), 18
			return r
		}(), Conversion{Status: FXConverted, Factor: big.NewRat(1000, 1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Normalize(&tc.r, tc.conv); CodeOf(err) != CodeOutOfRange {
				t.Errorf("got %v, want out_of_range", err)
			}
		})
	}
	fx := Record{Kind: KindFXRate}
	if d, err := Normalize(&fx, Conversion{}); err != nil || d.FXStatus != "" {
		t.Errorf("fx_rate: %+v %v", d, err)
	}
}

func TestUnits(t *testing.T) {
	for unit, want := range map[string]string{"litre": "1", "1000_litres": "1000", "us_gallon": "3.785411784", "imp_gallon": "4.54609", "barrel": "158.987294928"} {
		l, ok := LitresPerUnit(unit)
		if !ok || l.Cmp(ratOf(want)) != 0 {
			t.Errorf("LitresPerUnit(%s) = %v %v", unit, l, ok)
		}
		if _, ok := KgPerUnit(unit); ok {
			t.Errorf("KgPerUnit(%s) ok", unit)
		}
	}
	// 42 US gallons per barrel, exactly.
	g, _ := LitresPerUnit("us_gallon")
	b, _ := LitresPerUnit("barrel")
	if new(big.Rat).Mul(g, big.NewRat(42, 1)).Cmp(b) != 0 {
		t.Error("barrel is not 42 US gallons")
	}
	g.SetInt64(0) // callers own the result
	if g2, _ := LitresPerUnit("us_gallon"); g2.Sign() == 0 {
		t.Error("LitresPerUnit returned shared state")
	}
	for unit, want := range map[string]int64{"kg": 1, "tonne": 1000} {
		k, ok := KgPerUnit(unit)
		if !ok || k.Cmp(big.NewRat(want, 1)) != 0 {
			t.Errorf("KgPerUnit(%s) = %v %v", unit, k, ok)
		}
		if _, ok := LitresPerUnit(unit); ok {
			t.Errorf("LitresPerUnit(%s) ok", unit)
		}
	}
}

// NormalizeIn gives Normalize's results, stored in its Scratch without allocating.
func TestNormalizeInMatchesNormalize(t *testing.T) {
	book := transformBenchBook()
	cfg := DefaultFXConfig()
	var a Scratch
	var dec Decoder
	for round := 0; round < 2; round++ {
		for _, m := range append(transformBenchMessages, wageBenchMessages...) {
			rec, err := dec.Decode(m)
			if err != nil {
				t.Fatalf("%s: %v", m, err)
			}
			conv := book.Convert(cfg, rec.Currency, rec.Date)
			want, werr := Normalize(&rec, conv)
			got, gerr := NormalizeIn(&a, &rec, conv)
			if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
				t.Fatalf("%s: NormalizeIn error %v, Normalize %v", m, gerr, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s:\nNormalizeIn %+v\nNormalize   %+v", m, got, want)
			}
			if round == 1 {
				if n := testing.AllocsPerRun(20, func() { NormalizeIn(&a, &rec, conv) }); n != 0 {
					t.Errorf("%s: NormalizeIn made %v allocations, want 0", m, n)
				}
			}
		}
	}
}

var wageBenchMessages = [][]byte{
	[]byte(`{"kind":"wage","source":"stat.gov.kz","country":"KZ","measure":"minimum","basis":"gross","per":"month","amount":"42500","currency":"KZT","date":"2022-01-04"}`),
	[]byte(`{"kind":"wage","source":"stat.gov.kz","country":"KZ","region":"KZ-MAN","measure":"average","basis":"net","per":"year","amount":"3456789.123456789","currency":"USD","date":"2022-01-05"}`),
	[]byte(`{"kind":"wage","source":"stat.gov.kz","country":"KZ","measure":"minimum","basis":"gross","per":"hour","amount":"1200","currency":"KZT","date":"2019-01-04"}`),
}
