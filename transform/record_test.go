package transform

import (
	"testing"
	"time"
)

func TestKeys(t *testing.T) {
	r := lpgRecord(t)
	if got, want := SeriesKey(&r), "fuel_price|stat.gov.kz|KZ|KZ-MAN|lpg|incl_tax|KZT|litre|D"; got != want {
		t.Errorf("SeriesKey = %q, want %q", got, want)
	}
	if got, want := IdentityKey(&r), "fuel_price|stat.gov.kz|KZ|KZ-MAN|lpg|incl_tax|KZT|litre|D|2022-01-05"; got != want {
		t.Errorf("IdentityKey = %q, want %q", got, want)
	}
	w := Record{Kind: KindWage, Source: "s", Country: "KZ", Measure: "minimum", Basis: "gross", Currency: "KZT", Per: "month", Frequency: "M", Date: day("2022-01-01")}
	if got, want := IdentityKey(&w), "wage|s|KZ||minimum|gross|KZT|month|M|2022-01-01"; got != want {
		t.Errorf("wage IdentityKey = %q, want %q", got, want)
	}
	x := Record{Kind: KindFXRate, Source: "a|b", Base: "EUR", Quote: "KZT", RateType: "official", Frequency: "D", Date: day("2022-01-05")}
	if got, want := SeriesKey(&x), `fx_rate|a\|b|EUR|KZT|official|D`; got != want {
		t.Errorf("fx SeriesKey = %q, want %q", got, want)
	}
}

func TestRecordIDAndFinish(t *testing.T) {
	data := []byte(`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","region":"KZ-MAN","product":"lpg","price":"120","currency":"KZT","unit":"litre"}`)
	a, _ := DecodeJSON(data)
	b, _ := DecodeJSON(data)
	a.Finish(time.Date(2022, 1, 5, 10, 0, 0, 999, time.FixedZone("x", 3600)))
	b.Finish(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC))
	if a.ID == "" || a.ID != b.ID || len(a.ID) != 32 {
		t.Errorf("same bytes, different ids: %q %q", a.ID, b.ID)
	}
	if want := time.Date(2022, 1, 5, 9, 0, 0, 0, time.UTC); !a.PublishedAt.Equal(want) || a.PublishedAt.Location() != time.UTC {
		t.Errorf("PublishedAt = %v, want %v UTC", a.PublishedAt, want)
	}
	// A stated published_at is kept to the nanosecond (only the Kafka timestamp is truncated).
	stated, err := DecodeJSON([]byte(`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","region":"KZ-MAN","product":"lpg","price":"120","currency":"KZT","unit":"litre","published_at":"2022-01-05T16:00:00.123456789+06:00"}`))
	if err != nil {
		t.Fatal(err)
	}
	stated.Finish(time.Date(2023, 1, 1, 0, 0, 0, 999, time.UTC))
	if want := time.Date(2022, 1, 5, 10, 0, 0, 123456789, time.UTC); !stated.PublishedAt.Equal(want) || stated.PublishedAt.Location() != time.UTC {
		t.Errorf("stated PublishedAt = %v, want %v UTC", stated.PublishedAt, want)
	}
	// The id depends on content, including a given published_at and the value as written.
	base := lpgRecord(t)
	ids := map[string]string{"base": RecordID(&base)}
	mut := map[string]func(r *Record){
		"price":     func(r *Record) { r.Price = dec(t, "120.0") },
		"published": func(r *Record) { r.PublishedAt = time.Date(2022, 1, 5, 0, 0, 0, 0, time.UTC) },
		"status":    func(r *Record) { r.Status = "P" },
		"unit_mult": func(r *Record) { r.UnitMult = 3 },
		"attrs":     func(r *Record) { r.Attributes = map[string]string{"a": "b"} },
		"region":    func(r *Record) { r.Region = "" },
		"date":      func(r *Record) { r.Date = day("2022-01-06") },
	}
	for name, m := range mut {
		r := lpgRecord(t)
		m(&r)
		id := RecordID(&r)
		for other, oid := range ids {
			if id == oid {
				t.Errorf("%s and %s share id %s", name, other, id)
			}
		}
		ids[name] = id
	}
	// A producer id is kept.
	c := lpgRecord(t)
	c.ID = "mine"
	c.Finish(time.Now())
	if c.ID != "mine" {
		t.Error("Finish replaced producer id")
	}
}

func TestValidateHandBuilt(t *testing.T) {
	r := lpgRecord(t)
	r.Amount = dec(t, "1")
	if CodeOf(Validate(&r)) != CodeUnknownField {
		t.Error("amount on a fuel_price accepted")
	}
	r = lpgRecord(t)
	r.Date = time.Date(2022, 1, 5, 3, 0, 0, 0, time.UTC)
	if CodeOf(Validate(&r)) != CodeInvalidField {
		t.Error("non-midnight date accepted")
	}
	r = lpgRecord(t)
	r.Version = 0
	if CodeOf(Validate(&r)) != CodeUnknownVersion {
		t.Error("version 0 accepted")
	}
	r = Record{Kind: KindFuelPrice, Source: "s", Date: day("2022-01-05"), Country: "KZ", Product: "lpg", Currency: "KZT", Unit: "kg", Price: dec(t, "1")}
	r.ApplyDefaults()
	if err := Validate(&r); err != nil {
		t.Errorf("ApplyDefaults + Validate: %v", err)
	}
}

// TestRecordIDStable pins ids computed by an earlier implementation: a stored record's id must not
// change when the code that computes it does.
func TestRecordIDStable(t *testing.T) {
	want := []string{
		"b1d8f9469f98268cfc5ee4c239e7cc30", "f00e3dba5d02a58301d287a41ffeced9",
		"04a533c63a1b314a6fe64658f000db2a", "04a533c63a1b314a6fe64658f000db2a",
		"cc5529e477b9bc888eaf77f189d395b7", "965f8659716a29aaf2217aa3ec261610",
		"01645f7df92173f125a225027133f7fd", "6dee5ab8d5e45d877e39a9fa2ecae38a",
	}
	i := 0
	for _, s := range []string{
		`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-MAN","product":"lpg","price":"120.50","currency":"KZT","unit":"litre","date":"2022-01-04","published_at":"2022-01-04T18:00:00Z","attributes":{"b":"2","a":"1"}}`,
		`{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"1e2","currency":"KZT","unit":"kg","date":"2022-01-04","status":"E","unit_mult":3}`,
		`{"kind":"wage","source":"stat.gov.kz","country":"KZ","measure":"minimum","per":"month","amount":"42500","currency":"KZT","date":"2022-01-01","published_at":"2021-12-01T00:00:00.123456789Z"}`,
		`{"kind":"fx_rate","source":"nationalbank.kz","base":"KRW","quote":"KZT","rate":"36.5","quantity":100,"date":"2022-01-05","published_at":"2022-01-05T10:00:00+06:00"}`,
	} {
		r, err := DecodeJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		for _, published := range []bool{true, false} {
			if !published {
				r.PublishedAt = time.Time{}
			}
			if got := RecordID(&r); got != want[i] {
				t.Errorf("record %d (published_at kept: %v): id %s, want %s", i/2, published, got, want[i])
			}
			i++
		}
	}
}

// TestSameSeries: records of the same kind, source, dimensions and frequency are of the same
// series, whatever their date, vintage and value, and have the same SeriesKey; a difference in
// any one of those fields makes another series, with another key (the records here are valid).
func TestSameSeries(t *testing.T) {
	fuel := lpgRecord(t)
	fx := Record{Kind: KindFXRate, Source: "ecb", Base: "EUR", Quote: "USD", RateType: "reference", Frequency: "D", Quantity: 1, Date: day("2024-06-28")}
	wage := Record{Kind: KindWage, Source: "s", Country: "KZ", Measure: "minimum", Basis: "gross", Currency: "KZT", Per: "month", Frequency: "M", Date: day("2022-01-01")}
	ind := Record{Kind: KindIndicator, Source: "fred", Series: "CPIAUCSL", Country: "US", Measure: "cpi", Unit: "index", BasePeriod: "1982-1984=100", Adjustment: "sa", Frequency: "M", Date: day("2024-01-01")}
	change := func(r Record, f func(*Record)) Record { f(&r); return r }
	cases := []struct {
		name string
		a, b Record
		same bool
	}{
		{"itself", fx, fx, true},
		{"another date, vintage, value", fx, change(fx, func(r *Record) {
			r.Date, r.PublishedAt, r.Rate, r.Status, r.Attributes = day("2024-06-27"), day("2024-06-28"), Decimal{Scale: 2}, "P", map[string]string{"a": "b"}
		}), true},
		{"quote", fx, change(fx, func(r *Record) { r.Quote = "JPY" }), false},
		{"base", fx, change(fx, func(r *Record) { r.Base = "GBP" }), false},
		{"rate type", fx, change(fx, func(r *Record) { r.RateType = "official" }), false},
		{"source", fx, change(fx, func(r *Record) { r.Source = "ecb2" }), false},
		{"frequency", fx, change(fx, func(r *Record) { r.Frequency = "M" }), false},
		{"kind", fx, change(fx, func(r *Record) { r.Kind = KindWage }), false},
		{"fuel region", fuel, change(fuel, func(r *Record) { r.Region = "" }), false},
		{"fuel tax basis", fuel, change(fuel, func(r *Record) { r.TaxBasis = "excl_tax" }), false},
		{"fuel unit", fuel, change(fuel, func(r *Record) { r.Unit = "kg" }), false},
		{"fuel price", fuel, change(fuel, func(r *Record) { r.Price = Decimal{} }), true},
		{"wage per", wage, change(wage, func(r *Record) { r.Per = "hour" }), false},
		{"wage basis", wage, change(wage, func(r *Record) { r.Basis = "net" }), false},
		{"indicator series", ind, change(ind, func(r *Record) { r.Series = "CPILFESL" }), false},
		{"indicator base period", ind, change(ind, func(r *Record) { r.BasePeriod = "2015=100" }), false},
		{"indicator adjustment", ind, change(ind, func(r *Record) { r.Adjustment = "nsa" }), false},
		{"indicator value", ind, change(ind, func(r *Record) { r.IndicatorValue = Decimal{} }), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SameSeries(&c.a, &c.b); got != c.same {
				t.Fatalf("SameSeries = %t, want %t", got, c.same)
			}
			if got := SameSeries(&c.b, &c.a); got != c.same {
				t.Fatalf("SameSeries reversed = %t, want %t", got, c.same)
			}
			if keys := SeriesKey(&c.a) == SeriesKey(&c.b); keys != c.same {
				t.Fatalf("SeriesKey equal = %t, want %t", keys, c.same)
			}
		})
	}
}
