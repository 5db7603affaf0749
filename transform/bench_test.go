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

// transformBenchMessages is a realistic rotating mix of fuel_price messages: different regions,
// products, units, currencies (KZT, EUR, USD, RUB via the USD pivot), dates, prices with 1–18
// significant digits (as JSON strings and numbers), some with published_at.
var transformBenchMessages = [][]byte{
	[]byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-MAN","product":"lpg","price":"123456789012.123456","currency":"KZT","unit":"litre","date":"2022-01-04","published_at":"2022-01-04T18:00:00Z"}`),
	[]byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-ALA","product":"gasoline_ai92","price":"205","currency":"KZT","unit":"litre","date":"2022-01-05"}`),
	[]byte(`{"kind":"fuel_price","source":"ec.europa.eu","country":"DE","product":"euro_super_95","price":1.729,"currency":"EUR","unit":"litre","date":"2022-01-03","tax_basis":"incl_tax","published_at":"2022-01-05T09:30:00+01:00"}`),
	[]byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-AST","product":"diesel","price":"245.5","currency":"KZT","unit":"litre","date":"2022-01-06","frequency":"D"}`),
	[]byte(`{"kind":"fuel_price","source":"eia.gov","country":"US","region":"US-TX","product":"gasoline_regular","price":"3.289","currency":"USD","unit":"us_gallon","date":"2022-01-03","frequency":"W","published_at":"2022-01-05T17:00:00.5Z"}`),
	[]byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-MAN","product":"gasoline_ai95","price":"262.75","currency":"KZT","unit":"litre","date":"2022-01-07","status":"P"}`),
	[]byte(`{"kind":"fuel_price","source":"rosstat.gov.ru","country":"RU","region":"RU-MOW","product":"diesel","price":"54.12","currency":"RUB","unit":"litre","date":"2022-01-05","published_at":"2022-01-06T12:00:00+03:00"}`),
	[]byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-KAR","product":"lpg","price":"98000","currency":"KZT","unit":"tonne","date":"2022-01-04","tax_basis":"excl_tax"}`),
	[]byte(`{"kind":"fuel_price","source":"ec.europa.eu","country":"FR","product":"diesel","price":"1592.31","currency":"EUR","unit":"1000_litres","date":"2022-01-03","frequency":"W","published_at":"2022-01-06T10:00:00Z"}`),
	[]byte(`{"kind":"fuel_price","source":"eia.gov","country":"US","product":"crude_wti","price":76.08,"currency":"USD","unit":"barrel","date":"2022-01-06"}`),
	[]byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-ATY","product":"gasoline_ai92","price":"186.999999999999999","currency":"KZT","unit":"litre","date":"2022-01-08","published_at":"2022-01-08T23:59:59.999999999+06:00"}`),
	[]byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","product":"lpg","price":"7","currency":"KZT","unit":"kg","date":"2022-01-05"}`),
	[]byte(`{"kind":"fuel_price","source":"ons.gov.uk","country":"GB","product":"diesel","price":"1.5012","currency":"USD","unit":"imp_gallon","date":"2022-01-07","status":"E"}`),
	[]byte(`{"kind":"fuel_price","source":"rosstat.gov.ru","country":"RU","region":"RU-SPE","product":"gasoline_ai95","price":"51.3","currency":"RUB","unit":"litre","date":"2022-01-06"}`),
	[]byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-ZAP","product":"diesel","price":"249.1234567","currency":"KZT","unit":"litre","date":"2022-01-09","published_at":"2022-01-09T08:15:00Z"}`),
	[]byte(`{"kind":"fuel_price","source":"ec.europa.eu","country":"IT","product":"euro_super_95","price":"1.8","currency":"EUR","unit":"litre","date":"2022-01-10","unit_mult":0}`),
}

// transformBenchBook holds daily EUR/KZT (nationalbank.kz), USD>EUR (ecb) and USD/RUB (cbr.ru) rates,
// so that KZT and USD convert directly and RUB through the USD pivot.
func transformBenchBook() *RateBook {
	book := NewRateBook()
	for i := 0; i < 10; i++ {
		d := time.Date(2022, 1, 1+i, 0, 0, 0, 0, time.UTC)
		pub := d.Add(18 * time.Hour)
		add := func(source, base, quote, rate string) {
			v, err := ParseDecimal(rate)
			if err != nil {
				panic(err)
			}
			book.Add(Rate{Source: source, Base: base, Quote: quote, RateType: "official", Date: d, Rate: v, Quantity: 1, PublishedAt: pub})
		}
		add("nationalbank.kz", "EUR", "KZT", "49"+string(rune('0'+i))+".75")
		add("ecb", "USD", "EUR", "0.88"+string(rune('0'+i)))
		add("cbr.ru", "USD", "RUB", "74.2"+string(rune('0'+i)))
	}
	return book
}

// BenchmarkTransform is the consumer's hot path: a reused Decoder over a rotating set of messages,
// Finish, Convert and Normalize.
func BenchmarkTransform(b *testing.B) {
	book := transformBenchBook()
	cfg := DefaultFXConfig()
	kafkaTime := time.Date(2022, 1, 10, 12, 0, 0, 123456789, time.UTC)
	msgs := transformBenchMessages
	size := 0
	for _, m := range msgs {
		size += len(m)
	}
	b.SetBytes(int64(size / len(msgs)))
	var dec Decoder
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec, err := dec.Decode(msgs[i%len(msgs)])
		if err != nil {
			b.Fatal(err)
		}
		rec.Finish(kafkaTime)
		conv := book.Convert(cfg, rec.Currency, rec.Date)
		if _, err := Normalize(&rec, conv); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTransformBenchMessages checks that every message of BenchmarkTransform is accepted and
// converted, so that the benchmark measures the full path.
func TestTransformBenchMessages(t *testing.T) {
	book := transformBenchBook()
	cfg := DefaultFXConfig()
	var dec Decoder
	for round := 0; round < 2; round++ {
		for _, m := range transformBenchMessages {
			rec, err := dec.Decode(m)
			if err != nil {
				t.Fatalf("%s: %v", m, err)
			}
			rec.Finish(time.Date(2022, 1, 10, 12, 0, 0, 0, time.UTC))
			conv := book.Convert(cfg, rec.Currency, rec.Date)
			if conv.Status != FXConverted {
				t.Fatalf("%s: %s", m, conv.Status)
			}
			if _, err := Normalize(&rec, conv); err != nil {
				t.Fatalf("%s: %v", m, err)
			}
		}
	}
}

// The stages of BenchmarkTransform, separately.

func BenchmarkTransformDecode(b *testing.B) {
	msgs := transformBenchMessages
	var dec Decoder
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := dec.Decode(msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func transformBenchRecords(b *testing.B) []Record {
	var recs []Record
	for _, m := range transformBenchMessages {
		r, err := DecodeJSON(m)
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, r)
	}
	return recs
}

func BenchmarkTransformFinish(b *testing.B) {
	recs := transformBenchRecords(b)
	kafkaTime := time.Date(2022, 1, 10, 12, 0, 0, 123456789, time.UTC)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := recs[i%len(recs)]
		r.Finish(kafkaTime)
	}
}

func BenchmarkTransformConvert(b *testing.B) {
	recs := transformBenchRecords(b)
	book := transformBenchBook()
	cfg := DefaultFXConfig()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := &recs[i%len(recs)]
		book.Convert(cfg, r.Currency, r.Date)
	}
}

func BenchmarkTransformNormalize(b *testing.B) {
	recs := transformBenchRecords(b)
	book := transformBenchBook()
	cfg := DefaultFXConfig()
	convs := make([]Conversion, len(recs))
	for i := range recs {
		convs[i] = book.Convert(cfg, recs[i].Currency, recs[i].Date)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		j := i % len(recs)
		if _, err := Normalize(&recs[j], convs[j]); err != nil {
			b.Fatal(err)
		}
	}
}
