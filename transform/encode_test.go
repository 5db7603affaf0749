package transform

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"
)

func TestEncodeJSONRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := DecodeJSON(data)
			if err != nil {
				t.Fatalf("fixture does not decode: %v", err)
			}
			enc := EncodeJSON(&want)
			got, err := DecodeJSON(enc)
			if err != nil {
				t.Fatalf("encoded record does not decode: %v\n%s", err, enc)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip changed the record:\n got %+v\nwant %+v\n%s", got, want, enc)
			}
		})
	}
}

// TestAppendJSONStringAsEncodingJSON: a string is written exactly as encoding/json writes it,
// for every single byte, texts around each, and characters encoding/json escapes (HTML, line
// and paragraph separators, invalid UTF-8).
func TestAppendJSONStringAsEncodingJSON(t *testing.T) {
	cases := []string{"", "EUR", "eurofxref-hist.csv", "KZ-MAN", "a|b", "Zürich", "\u2028\u2029", "\xff\xfe", "<a & b>", `"q"`, `back\slash`, "tab\there"}
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "ab"+string([]byte{byte(c)})+"cd")
	}
	for _, s := range cases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("appendJSONString(%q) = %s, encoding/json %s", s, got[1:], want)
		}
	}
}

// TestEncodeJSONAsEncodingJSON: EncodeJSON (and AppendJSON after other bytes) writes exactly what
// encodeJSONReference writes, the encoder as it was before field names, dates and decimals were
// appended by hand: every string through encoding/json, dates through time.Format. The records
// cover the good fixtures and hand-made edges: strings that need escaping, dates in other zones
// and outside years 0–9999, published_at with nanoseconds, attributes of 0, 1 and several keys,
// withdrawals, versions, ids, unit_mult, negative, zero and wide decimals.
func TestEncodeJSONAsEncodingJSON(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good fixtures: %v", err)
	}
	type named struct {
		name string
		rec  Record
	}
	var cases []named
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := DecodeJSON(data)
		if err != nil {
			t.Fatalf("%s does not decode: %v", f, err)
		}
		cases = append(cases, named{filepath.Base(f), r})
	}
	dec := func(s string) Decimal {
		d, err := ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	day := time.Date(2024, 6, 28, 0, 0, 0, 0, time.UTC)
	east := time.FixedZone("east", 14*3600)
	fuel := Record{Kind: KindFuelPrice, Source: `Zürich "stats" <a&b>`, Date: day, Frequency: "W", Country: "CH", Region: "CH-ZH",
		Product: "diesel", TaxBasis: "incl_tax", Currency: "CHF", Unit: "litre", Price: dec("-0.500"), Status: "P"}
	cases = append(cases,
		named{"fuel escapes", fuel},
		named{"version id unit_mult", func() Record {
			r := fuel
			r.Version, r.ID, r.UnitMult = 2, "id\u2028x", -3
			return r
		}()},
		named{"published nanos in a zone", func() Record {
			r := fuel
			r.PublishedAt = time.Date(2024, 6, 28, 16, 0, 0, 123456789, east)
			return r
		}()},
		named{"published whole seconds", func() Record {
			r := fuel
			r.PublishedAt = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
			return r
		}()},
		named{"date in another zone", func() Record {
			r := fuel
			r.Date = time.Date(2024, 12, 31, 23, 30, 0, 0, east)
			return r
		}()},
		named{"year 10000", func() Record { r := fuel; r.Date = time.Date(10000, 1, 2, 0, 0, 0, 0, time.UTC); return r }()},
		named{"year 0", func() Record { r := fuel; r.Date = time.Date(0, 2, 29, 0, 0, 0, 0, time.UTC); return r }()},
		named{"year -1", func() Record { r := fuel; r.Date = time.Date(-1, 3, 1, 0, 0, 0, 0, time.UTC); return r }()},
		named{"zero date", func() Record { r := fuel; r.Date = time.Time{}; return r }()},
		named{"one attribute", func() Record {
			r := fuel
			r.Attributes = map[string]string{"source_file": "eurofxref-hist.csv"}
			return r
		}()},
		named{"attributes to escape and sort", func() Record {
			r := fuel
			r.Attributes = map[string]string{"z": "last", "a<": "\x01", "TITLE": "Euro/US dollar \"ECB\"", "é": "\xff", "": "empty key"}
			return r
		}()},
		named{"withdrawn fx", Record{Kind: KindFXRate, Source: "ecb", Date: day, Base: "EUR", Quote: "USD", RateType: "reference",
			Quantity: 1, Withdrawn: true, PublishedAt: day.Add(time.Hour)}},
		named{"fx zero and wide", Record{Kind: KindFXRate, Source: "ecb", Date: day, Base: "EUR", Quote: "IDR", RateType: "reference",
			Quantity: 100, Rate: dec("99999999999999999999.999999999999999999")}},
		named{"fx nil rate", Record{Kind: KindFXRate, Source: "ecb", Date: day, Base: "EUR", Quote: "USD"}},
		named{"wage", Record{Kind: KindWage, Source: "s", Date: day, Country: "KZ", Measure: "minimum", Basis: "gross",
			Currency: "KZT", Per: "month", Amount: dec("85000")}},
		named{"indicator partly empty", Record{Kind: KindIndicator, Source: "fred", Date: day, Series: "CPI|AUC\\SL", Country: "US",
			Unit: "index", BasePeriod: "1982-1984=100", IndicatorValue: dec("1e-18")}},
		named{"withdrawn indicator", Record{Kind: KindIndicator, Source: "fred", Date: day, Series: "X", Country: "US", Withdrawn: true}},
		named{"unknown kind", Record{Kind: "other", Source: "x", Date: day}},
	)
	// An Encoder writes a map it wrote last from memory: the same map again, another map, none,
	// the first again.
	shared, other := map[string]string{"source_file": "a.csv"}, map[string]string{"source_file": "b.csv"}
	for i, attrs := range []map[string]string{shared, shared, other, nil, shared, {"source_file": "a.csv", "k": "v"}, shared} {
		r := fuel
		r.Attributes = attrs
		cases = append(cases, named{fmt.Sprintf("attributes in turn %d", i), r})
	}
	var enc Encoder // across the cases, in order
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := encodeJSONReference(&c.rec)
			if got := EncodeJSON(&c.rec); string(got) != string(want) {
				t.Fatalf("EncodeJSON:\n got %s\nwant %s", got, want)
			}
			if got := AppendJSON([]byte("prefix"), &c.rec); string(got) != "prefix"+string(want) {
				t.Fatalf("AppendJSON after other bytes:\n got %s\nwant prefix%s", got, want)
			}
			if got := enc.AppendJSON([]byte("prefix"), &c.rec); string(got) != "prefix"+string(want) {
				t.Fatalf("Encoder.AppendJSON:\n got %s\nwant prefix%s", got, want)
			}
		})
	}
}

// encodeJSONReference is EncodeJSON as it was written first: every string through
// encoding/json, dates through time.Format, attribute keys sorted.
func encodeJSONReference(r *Record) []byte {
	b := []byte{'{'}
	raw := func(name, value string) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		q, _ := json.Marshal(name)
		b = append(b, q...)
		b = append(b, ':')
		b = append(b, value...)
	}
	field := func(name, value string) {
		q, _ := json.Marshal(value)
		raw(name, string(q))
	}
	value := func(name string, d Decimal) {
		if !r.Withdrawn {
			field(name, d.String())
		}
	}
	field("kind", string(r.Kind))
	if r.Version != 0 && r.Version != CurrentVersion {
		raw("version", strconv.Itoa(r.Version))
	}
	if r.ID != "" && r.ID != RecordID(r) {
		field("id", r.ID)
	}
	field("source", r.Source)
	field("date", r.Date.Format("2006-01-02"))
	if r.Frequency != "" {
		field("frequency", r.Frequency)
	}
	if !r.PublishedAt.IsZero() {
		field("published_at", r.PublishedAt.UTC().Format(time.RFC3339Nano))
	}
	if r.Status != "" {
		field("status", r.Status)
	}
	if r.UnitMult != 0 {
		raw("unit_mult", strconv.Itoa(r.UnitMult))
	}
	switch r.Kind {
	case KindFuelPrice:
		field("country", r.Country)
		field("region", r.Region)
		field("product", r.Product)
		value("price", r.Price)
		field("currency", r.Currency)
		field("unit", r.Unit)
		field("tax_basis", r.TaxBasis)
	case KindWage:
		field("country", r.Country)
		field("region", r.Region)
		field("measure", r.Measure)
		value("amount", r.Amount)
		field("currency", r.Currency)
		field("per", r.Per)
		field("basis", r.Basis)
	case KindFXRate:
		field("base", r.Base)
		field("quote", r.Quote)
		value("rate", r.Rate)
		if !r.Withdrawn {
			raw("quantity", strconv.FormatInt(r.Quantity, 10))
		}
		field("rate_type", r.RateType)
	case KindIndicator:
		field("series", r.Series)
		field("country", r.Country)
		for _, f := range [...][2]string{{"region", r.Region}, {"measure", r.Measure}, {"unit", r.Unit},
			{"currency", r.Currency}, {"base_period", r.BasePeriod}, {"adjustment", r.Adjustment}} {
			if f[1] != "" {
				field(f[0], f[1])
			}
		}
		value("value", r.IndicatorValue)
	}
	if r.Withdrawn {
		raw("withdrawn", "true")
	}
	if len(r.Attributes) > 0 {
		keys := make([]string, 0, len(r.Attributes))
		for k := range r.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, `,"attributes":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			q, _ := json.Marshal(k)
			b = append(b, q...)
			b = append(b, ':')
			q, _ = json.Marshal(r.Attributes[k])
			b = append(b, q...)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}
