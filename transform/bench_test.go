package transform

import (
	"testing"
	"time"
)

var benchPrice = []byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-MAN","product":"lpg","price":"123456789012.123456","currency":"KZT","unit":"litre","date":"2022-01-04","published_at":"2022-01-04T18:00:00Z"}`)

func BenchmarkDecodeJSON(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPrice)))
	for i := 0; i < b.N; i++ {
		if _, err := DecodeJSON(benchPrice); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDecimal(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseDecimal("123456789012.123456"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchBook() (*RateBook, Record) {
	book := NewRateBook()
	d := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	rate, _ := ParseDecimal("492.75")
	book.Add(Rate{Source: "nationalbank.kz", Base: "EUR", Quote: "KZT", RateType: "official", Date: d, Rate: rate, Quantity: 1})
	rec, err := DecodeJSON(benchPrice)
	if err != nil {
		panic(err)
	}
	return book, rec
}

func BenchmarkConvert(b *testing.B) {
	book, rec := benchBook()
	cfg := DefaultFXConfig()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if c := book.Convert(cfg, rec.Currency, rec.Date); c.Status != FXConverted {
			b.Fatal(c.Status)
		}
	}
}

// BenchmarkDecodeConvertNormalize is the whole per-record transform of the consumer.
func BenchmarkDecodeConvertNormalize(b *testing.B) {
	book, _ := benchBook()
	cfg := DefaultFXConfig()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rec, err := DecodeJSON(benchPrice)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Normalize(&rec, book.Convert(cfg, rec.Currency, rec.Date)); err != nil {
			b.Fatal(err)
		}
	}
}
