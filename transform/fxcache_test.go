package transform

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// sameConversion reports whether two conversions are equal in every exported field.
func sameConversion(a, b Conversion) bool {
	if a.Status != b.Status || !a.Date.Equal(b.Date) || a.Path != b.Path || (a.Factor == nil) != (b.Factor == nil) {
		return false
	}
	return a.Factor == nil || a.Factor.Cmp(b.Factor) == 0
}

// derivedColumns lists a Derived's columns for comparison.
func derivedColumns(d Derived) []*big.Int {
	return []*big.Int{d.FXRate, d.PricePerLitre, d.PricePerKg, d.PriceEUR, d.PricePerLitreEUR, d.PricePerKgEUR,
		d.AmountEUR, d.MonthlyAmount, d.MonthlyAmountEUR}
}

func sameDerived(a, b Derived) bool {
	if a.FXStatus != b.FXStatus || !a.FXDate.Equal(b.FXDate) || a.FXPath != b.FXPath {
		return false
	}
	ca, cb := derivedColumns(a), derivedColumns(b)
	for i := range ca {
		if (ca[i] == nil) != (cb[i] == nil) || ca[i] != nil && ca[i].Cmp(cb[i]) != 0 {
			return false
		}
	}
	return true
}

// TestConvCacheMatchesConvert checks that cached conversions, and the rows derived from them, are
// exactly what RateBook.Convert and Normalize give, for direct, reverse, triangulated, same
// currency, pending and uncacheable (not three-letter) currencies, while the book grows and
// rates are revised under the cache.
func TestConvCacheMatchesConvert(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	book := transformBenchBook()
	cfg := DefaultFXConfig()
	cache := NewConvCache(book, cfg)
	currencies := []string{"KZT", "EUR", "USD", "RUB", "JPY", "XX", "KZTX"}
	units := []string{"litre", "tonne", "us_gallon", "kg", "barrel"}
	base := time.Date(2021, 12, 28, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 20000; i++ {
		if i%1000 == 999 { // the book changes: a new day's rate, or a revision of an old one
			d := base.Add(time.Duration(rng.IntN(20)) * 24 * time.Hour)
			rate, err := ParseDecimal(fmt.Sprintf("%d.%02d", 400+rng.IntN(200), rng.IntN(100)))
			if err != nil {
				t.Fatal(err)
			}
			book.Add(Rate{Source: "nationalbank.kz", Base: "EUR", Quote: "KZT", RateType: "official", Date: d,
				Rate: rate, Quantity: 1, PublishedAt: time.Date(2022, 2, 1, 0, 0, i, 0, time.UTC)})
		}
		cur := currencies[rng.IntN(len(currencies))]
		date := base.Add(time.Duration(rng.IntN(20)) * 24 * time.Hour)
		got, want := cache.Convert(cur, date), book.Convert(cfg, cur, date)
		if !sameConversion(got, want) {
			t.Fatalf("%s %s: cached %+v, Convert %+v", cur, date.Format(time.DateOnly), got, want)
		}
		price, err := ParseDecimal(fmt.Sprintf("%d.%0*d", rng.Int64N(1e12), 6, rng.IntN(1e6)))
		if err != nil {
			t.Fatal(err)
		}
		rec := Record{Kind: KindFuelPrice, Currency: cur, Date: date, Price: price, Unit: units[rng.IntN(len(units))]}
		dg, errg := Normalize(&rec, got)
		dw, errw := Normalize(&rec, want)
		if (errg == nil) != (errw == nil) || errg == nil && !sameDerived(dg, dw) {
			t.Fatalf("%s %s %s: cached conversion derives %+v (%v), Convert's %+v (%v)", cur, date.Format(time.DateOnly), price, dg, errg, dw, errw)
		}
	}
}

// TestConvCacheSeesBookChanges checks that a conversion cached as pending, or with a rate later
// revised, is not served after the book changes.
func TestConvCacheSeesBookChanges(t *testing.T) {
	book := NewRateBook()
	cache := NewConvCache(book, DefaultFXConfig())
	d := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	if c := cache.Convert("KZT", d); c.Status != FXPending {
		t.Fatalf("empty book: %+v", c)
	}
	add := func(rate string, pub time.Time) bool {
		v, err := ParseDecimal(rate)
		if err != nil {
			t.Fatal(err)
		}
		return book.Add(Rate{Source: "nationalbank.kz", Base: "EUR", Quote: "KZT", RateType: "official", Date: d, Rate: v, Quantity: 1, PublishedAt: pub})
	}
	pub := d.Add(18 * time.Hour)
	if !add("492.75", pub) {
		t.Fatal("first rate: book unchanged")
	}
	c := cache.Convert("KZT", d)
	if c.Status != FXConverted || c.Factor.Cmp(big.NewRat(400, 197100)) != 0 {
		t.Fatalf("after the rate: %+v", c)
	}
	if add("492.75", pub) { // the same rate again: no change, the cached result stands
		t.Fatal("the same rate changed the book")
	}
	if c2 := cache.Convert("KZT", d); c2.Factor != c.Factor {
		t.Fatal("an unchanged book did not serve the cached conversion")
	}
	if !add("500", pub.Add(time.Hour)) { // a revision
		t.Fatal("revision: book unchanged")
	}
	if c := cache.Convert("KZT", d); c.Factor.Cmp(big.NewRat(1, 500)) != 0 {
		t.Fatalf("after the revision: factor %v, want 1/500", c.Factor)
	}
}

// TestConvCacheBounded checks that the cache stays within convCacheMax pairs and still answers
// correctly once it has been emptied for being full.
func TestConvCacheBounded(t *testing.T) {
	book := transformBenchBook()
	cfg := DefaultFXConfig()
	cache := NewConvCache(book, cfg)
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3*convCacheMax; i++ {
		date := base.Add(time.Duration(i) * 24 * time.Hour)
		if got, want := cache.Convert("KZT", date), book.Convert(cfg, "KZT", date); !sameConversion(got, want) {
			t.Fatalf("day %d: cached %+v, Convert %+v", i, got, want)
		}
		if len(cache.m) > convCacheMax {
			t.Fatalf("%d pairs cached, more than %d", len(cache.m), convCacheMax)
		}
	}
}

// BenchmarkTransformCached is BenchmarkTransform as the consumer does it: with a ConvCache, and
// the record decoded in place with its value, id and derived values in a reused Scratch.
func BenchmarkTransformCached(b *testing.B) {
	book := transformBenchBook()
	cache := NewConvCache(book, DefaultFXConfig())
	kafkaTime := time.Date(2022, 1, 10, 12, 0, 0, 123456789, time.UTC)
	msgs := transformBenchMessages
	var dec Decoder
	var scratch Scratch
	var rec Record
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := dec.DecodeIn(&scratch, &rec, msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
		rec.FinishIn(&scratch, kafkaTime)
		if _, err := NormalizeIn(&scratch, &rec, cache.Convert(rec.Currency, rec.Date)); err != nil {
			b.Fatal(err)
		}
	}
}
