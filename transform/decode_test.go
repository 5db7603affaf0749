package transform

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// kv is one field of a test record: its name and its text (a JSON string / a CSV cell).
type kv struct{ k, v string }

type fieldList []kv

// with returns a copy with field k set to v (appended if absent).
func (l fieldList) with(k, v string) fieldList {
	out := append(fieldList(nil), l...)
	for i := range out {
		if out[i].k == k {
			out[i].v = v
			return out
		}
	}
	return append(out, kv{k, v})
}

// without returns a copy without field k.
func (l fieldList) without(k string) fieldList {
	var out fieldList
	for _, f := range l {
		if f.k != k {
			out = append(out, f)
		}
	}
	return out
}

// jsonText renders the fields as a JSON object of strings.
func (l fieldList) jsonText() []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		v, _ := json.Marshal(f.v)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func (l fieldList) csv() (header, row []string) {
	for _, f := range l {
		header = append(header, f.k)
		row = append(row, f.v)
	}
	return header, row
}

var (
	lpgFields = fieldList{
		{"kind", "fuel_price"}, {"source", "stat.gov.kz"}, {"date", "2022-01-05"},
		{"country", "KZ"}, {"region", "KZ-MAN"}, {"product", "lpg"},
		{"price", "120"}, {"currency", "KZT"}, {"unit", "litre"},
	}
	wageFields = fieldList{
		{"kind", "wage"}, {"source", "stat.gov.kz"}, {"date", "2022-01-01"}, {"frequency", "M"},
		{"country", "KZ"}, {"measure", "minimum"}, {"amount", "42500"}, {"currency", "KZT"}, {"per", "month"},
	}
	fxFields = fieldList{
		{"kind", "fx_rate"}, {"source", "nationalbank.kz"}, {"date", "2022-01-05"},
		{"base", "KRW"}, {"quote", "KZT"}, {"rate", "36.53"}, {"quantity", "100"},
	}
)

func dec(t testing.TB, s string) Decimal {
	t.Helper()
	d, err := ParseDecimal(s)
	if err != nil {
		t.Fatalf("ParseDecimal(%q): %v", s, err)
	}
	return d
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func lpgRecord(t testing.TB) Record {
	return Record{
		Kind: KindFuelPrice, Version: 1, Source: "stat.gov.kz", Date: day("2022-01-05"), Frequency: "D",
		Status: "A", Country: "KZ", Region: "KZ-MAN", Product: "lpg", TaxBasis: "incl_tax",
		Currency: "KZT", Unit: "litre", Price: dec(t, "120"),
	}
}

// decodeCase is run through both DecodeJSON and CSVDecoder (STYLE.md §7).
type decodeCase struct {
	name   string
	fields fieldList
	want   func(t testing.TB) Record // nil when an error is expected
	code   Code
}

func decodeCases() []decodeCase {
	return []decodeCase{
		{name: "fuel minimal", fields: lpgFields, want: lpgRecord},
		{name: "fuel all fields", fields: lpgFields.with("version", "1").with("id", "p-1").with("frequency", "W").
			with("published_at", "2022-01-05T16:00:00+06:00").with("status", "P").with("unit_mult", "3").
			with("tax_basis", "excl_tax").with("price", "120.50").with("attributes", `{"note":"Aktau"}`),
			want: func(t testing.TB) Record {
				r := lpgRecord(t)
				r.ID, r.Frequency, r.Status, r.UnitMult, r.TaxBasis = "p-1", "W", "P", 3, "excl_tax"
				r.PublishedAt = time.Date(2022, 1, 5, 10, 0, 0, 0, time.UTC)
				r.Price = dec(t, "120.50")
				r.Attributes = map[string]string{"note": "Aktau"}
				return r
			}},
		{name: "fuel exponent price", fields: lpgFields.with("price", "1.205E2"), want: func(t testing.TB) Record {
			r := lpgRecord(t)
			r.Price = dec(t, "120.5")
			return r
		}},
		{name: "fuel 12 digit price", fields: lpgFields.with("price", "123456789012.123456"), want: func(t testing.TB) Record {
			r := lpgRecord(t)
			r.Price = Decimal{Coef: big.NewInt(123456789012123456), Scale: 6}
			return r
		}},
		{name: "fuel zero price", fields: lpgFields.with("price", "0"), want: func(t testing.TB) Record {
			r := lpgRecord(t)
			r.Price = dec(t, "0")
			return r
		}},
		{name: "fuel no region", fields: lpgFields.without("region"), want: func(t testing.TB) Record {
			r := lpgRecord(t)
			r.Region = ""
			return r
		}},
		{name: "wage", fields: wageFields, want: func(t testing.TB) Record {
			return Record{Kind: KindWage, Version: 1, Source: "stat.gov.kz", Date: day("2022-01-01"), Frequency: "M",
				Status: "A", Country: "KZ", Measure: "minimum", Amount: dec(t, "42500"), Currency: "KZT", Per: "month", Basis: "gross"}
		}},
		{name: "fx quantity", fields: fxFields, want: func(t testing.TB) Record {
			return Record{Kind: KindFXRate, Version: 1, Source: "nationalbank.kz", Date: day("2022-01-05"), Frequency: "D",
				Status: "A", Base: "KRW", Quote: "KZT", RateType: "official", Rate: dec(t, "36.53"), Quantity: 100}
		}},
		{name: "fx default quantity", fields: fxFields.without("quantity").with("rate_type", "market"), want: func(t testing.TB) Record {
			return Record{Kind: KindFXRate, Version: 1, Source: "nationalbank.kz", Date: day("2022-01-05"), Frequency: "D",
				Status: "A", Base: "KRW", Quote: "KZT", RateType: "market", Rate: dec(t, "36.53"), Quantity: 1}
		}},
		{name: "empty optional is absent", fields: lpgFields.with("status", "").with("frequency", ""), want: lpgRecord},

		{name: "missing kind", fields: lpgFields.without("kind"), code: CodeMissingField},
		{name: "empty kind", fields: lpgFields.with("kind", ""), code: CodeMissingField},
		{name: "unknown kind", fields: lpgFields.with("kind", "coal_price"), code: CodeUnknownKind},
		{name: "unknown version", fields: lpgFields.with("version", "2"), code: CodeUnknownVersion},
		{name: "missing source", fields: lpgFields.without("source"), code: CodeMissingField},
		{name: "missing price", fields: lpgFields.without("price"), code: CodeMissingField},
		{name: "empty price", fields: lpgFields.with("price", ""), code: CodeMissingField},
		{name: "missing unit", fields: lpgFields.without("unit"), code: CodeMissingField},
		{name: "missing amount", fields: wageFields.without("amount"), code: CodeMissingField},
		{name: "missing per", fields: wageFields.without("per"), code: CodeMissingField},
		{name: "missing rate", fields: fxFields.without("rate"), code: CodeMissingField},
		{name: "field of other kind", fields: lpgFields.with("amount", "5"), code: CodeUnknownField},
		{name: "bad date", fields: lpgFields.with("date", "2022-02-30"), code: CodeInvalidField},
		{name: "bad date format", fields: lpgFields.with("date", "05.01.2022"), code: CodeInvalidField},
		{name: "leap day ok", fields: lpgFields.with("date", "2024-02-29"), want: func(t testing.TB) Record {
			r := lpgRecord(t)
			r.Date = day("2024-02-29")
			return r
		}},
		{name: "bad frequency", fields: lpgFields.with("frequency", "H"), code: CodeInvalidField},
		{name: "bad published_at", fields: lpgFields.with("published_at", "2022-01-05 10:00"), code: CodeInvalidField},
		{name: "bad status", fields: lpgFields.with("status", "a"), code: CodeInvalidField},
		{name: "unit_mult range", fields: lpgFields.with("unit_mult", "19"), code: CodeOutOfRange},
		{name: "unit_mult not integer", fields: lpgFields.with("unit_mult", "1.5"), code: CodeInvalidField},
		{name: "bad country", fields: lpgFields.with("country", "kz"), code: CodeInvalidField},
		{name: "region of other country", fields: lpgFields.with("region", "RU-MOW"), code: CodeInvalidField},
		{name: "bad product", fields: lpgFields.with("product", "LPG"), code: CodeInvalidField},
		{name: "bad currency", fields: lpgFields.with("currency", "tenge"), code: CodeInvalidField},
		{name: "bad unit", fields: lpgFields.with("unit", "gallon"), code: CodeInvalidField},
		{name: "bad tax_basis", fields: lpgFields.with("tax_basis", "vat"), code: CodeInvalidField},
		{name: "negative price", fields: lpgFields.with("price", "-1"), code: CodeOutOfRange},
		{name: "decimal comma", fields: lpgFields.with("price", "120,5"), code: CodeBadDecimal},
		{name: "thousands space", fields: wageFields.with("amount", "42 500"), code: CodeBadDecimal},
		{name: "thousands comma", fields: wageFields.with("amount", "42,500"), code: CodeBadDecimal},
		{name: "NaN price", fields: lpgFields.with("price", "NaN"), code: CodeBadDecimal},
		{name: "19 fractional digits", fields: lpgFields.with("price", "0.0000000000000000001"), code: CodeOutOfRange},
		{name: "bad per", fields: wageFields.with("per", "fortnight"), code: CodeInvalidField},
		{name: "bad basis", fields: wageFields.with("basis", "after_tax"), code: CodeInvalidField},
		{name: "negative amount", fields: wageFields.with("amount", "-5"), code: CodeOutOfRange},
		{name: "zero rate", fields: fxFields.with("rate", "0"), code: CodeOutOfRange},
		{name: "base equals quote", fields: fxFields.with("base", "KZT"), code: CodeInvalidField},
		{name: "bad rate_type", fields: fxFields.with("rate_type", "black"), code: CodeInvalidField},
		{name: "zero quantity", fields: fxFields.with("quantity", "0"), code: CodeOutOfRange},
		{name: "control char in source", fields: lpgFields.with("source", "stat\ngov"), code: CodeInvalidField},
		{name: "long source", fields: lpgFields.with("source", strings.Repeat("s", 201)), code: CodeOutOfRange},
		{name: "attributes not object", fields: lpgFields.with("attributes", `["x"]`), code: CodeWrongType},
		{name: "attribute number", fields: lpgFields.with("attributes", `{"n":1}`), code: CodeWrongType},
		{name: "attribute empty key", fields: lpgFields.with("attributes", `{"":"x"}`), code: CodeInvalidField},
	}
}

func TestDecodeJSONAndCSV(t *testing.T) {
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			check := func(t *testing.T, got Record, err error) {
				t.Helper()
				if tc.want == nil {
					if CodeOf(err) != tc.code {
						t.Fatalf("error code %q, want %q (err: %v)", CodeOf(err), tc.code, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				assertRecord(t, got, tc.want(t))
			}
			t.Run("json", func(t *testing.T) {
				text := tc.fields.jsonText()
				if tc.name == "attributes not object" || tc.name == "attribute number" || tc.name == "attribute empty key" || strings.HasPrefix(tc.name, "fuel all") {
					// attributes are a JSON object in JSON, a JSON text in a CSV cell.
					text = []byte(strings.Replace(string(text), mustJSON(attrOf(tc.fields)), attrOf(tc.fields), 1))
				}
				got, err := DecodeJSON(text)
				check(t, got, err)
			})
			t.Run("csv", func(t *testing.T) {
				header, row := tc.fields.csv()
				d, err := NewCSVDecoder(header)
				if err != nil {
					if tc.want == nil && CodeOf(err) == tc.code {
						return // e.g. a header without kind
					}
					t.Fatalf("NewCSVDecoder: %v", err)
				}
				got, err := d.Decode(row)
				check(t, got, err)
			})
		})
	}
}

func attrOf(l fieldList) string {
	for _, f := range l {
		if f.k == "attributes" {
			return f.v
		}
	}
	return ""
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func assertRecord(t *testing.T, got, want Record) {
	t.Helper()
	if !got.Price.Equal(want.Price) || !got.Amount.Equal(want.Amount) || !got.Rate.Equal(want.Rate) {
		t.Errorf("decimals: got %s/%s/%s, want %s/%s/%s", got.Price, got.Amount, got.Rate, want.Price, want.Amount, want.Rate)
	}
	got.Price, got.Amount, got.Rate = Decimal{}, Decimal{}, Decimal{}
	want.Price, want.Amount, want.Rate = Decimal{}, Decimal{}, Decimal{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("record:\n got %+v\nwant %+v", got, want)
	}
}

func TestDecodeJSONOnly(t *testing.T) {
	lpg := `"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","region":"KZ-MAN","product":"lpg","currency":"KZT","unit":"litre"`
	tests := []struct {
		name  string
		in    string
		code  Code   // "" = accepted
		price string // expected Price.String() when accepted
	}{
		{"number price", `{` + lpg + `,"price":120.50}`, "", "120.50"},
		{"string price", `{` + lpg + `,"price":"120.50"}`, "", "120.50"},
		{"number exponent", `{` + lpg + `,"price":1.205E2}`, "", "120.5"},
		{"12 digit number", `{` + lpg + `,"price":123456789012.123456}`, "", "123456789012.123456"},
		{"null optional", `{` + lpg + `,"price":1,"status":null,"id":null,"attributes":null,"unit_mult":null}`, "", "1"},
		{"version number", `{` + lpg + `,"price":1,"version":1}`, "", "1"},
		{"version string", `{` + lpg + `,"price":1,"version":"1"}`, "", "1"},
		{"whitespace around", " \n\t{" + lpg + ",\"price\":1}\r\n ", "", "1"},
		{"escaped strings", `{` + strings.Replace(lpg, `"lpg"`, `"\u006cpg"`, 1) + `,"price":1,"attributes":{"n":"\ud83d\ude00 \"q\""}}`, "", "1"},
		{"null price", `{` + lpg + `,"price":null}`, CodeMissingField, ""},
		{"null kind", `{"kind":null}`, CodeMissingField, ""},
		{"bool price", `{` + lpg + `,"price":true}`, CodeWrongType, ""},
		{"object price", `{` + lpg + `,"price":{"v":1}}`, CodeWrongType, ""},
		{"number country", `{` + strings.Replace(lpg, `"KZ",`, `5,`, 1) + `,"price":1}`, CodeWrongType, ""},
		{"array source", `{` + strings.Replace(lpg, `"stat.gov.kz"`, `["a"]`, 1) + `,"price":1}`, CodeWrongType, ""},
		{"number kind", `{"kind":5}`, CodeWrongType, ""},
		{"version 2", `{` + lpg + `,"price":1,"version":2}`, CodeUnknownVersion, ""},
		{"version 1.0", `{` + lpg + `,"price":1,"version":1.0}`, CodeUnknownVersion, ""},
		{"version bool", `{` + lpg + `,"price":1,"version":true}`, CodeWrongType, ""},
		{"quantity number", `{"kind":"fx_rate","source":"n","date":"2022-01-05","base":"KRW","quote":"KZT","rate":"3.6","quantity":100}`, "", ""},
		{"quantity fraction", `{"kind":"fx_rate","source":"n","date":"2022-01-05","base":"KRW","quote":"KZT","rate":"3.6","quantity":1.5}`, CodeInvalidField, ""},
		{"duplicate key", `{` + lpg + `,"price":1,"price":2}`, CodeDuplicateField, ""},
		{"duplicate kind", `{` + lpg + `,"price":1,"kind":"fuel_price"}`, CodeDuplicateField, ""},
		{"duplicate attribute", `{` + lpg + `,"price":1,"attributes":{"a":"1","a":"2"}}`, CodeDuplicateField, ""},
		{"unknown field", `{` + lpg + `,"price":1,"colour":"red"}`, CodeUnknownField, ""},
		{"bom", "\xEF\xBB\xBF{" + lpg + `,"price":1}`, CodeInvalidJSON, ""},
		{"trailing data", `{` + lpg + `,"price":1} {}`, CodeInvalidJSON, ""},
		{"trailing comma", `{` + lpg + `,"price":1,}`, CodeInvalidJSON, ""},
		{"unterminated", `{` + lpg, CodeInvalidJSON, ""},
		{"single quotes", `{'kind':'wage'}`, CodeInvalidJSON, ""},
		{"bare NaN", `{` + lpg + `,"price":NaN}`, CodeInvalidJSON, ""},
		{"number thousands", `{` + lpg + `,"price":42,500}`, CodeInvalidJSON, ""},
		{"leading zero number", `{` + lpg + `,"price":0120}`, CodeInvalidJSON, ""},
		{"plus number", `{` + lpg + `,"price":+1}`, CodeInvalidJSON, ""},
		{"raw newline in string", "{\"kind\":\"a\nb\"}", CodeInvalidJSON, ""},
		{"bad escape", `{"kind":"\x"}`, CodeInvalidJSON, ""},
		{"lone surrogate", `{` + lpg + `,"price":1,"attributes":{"a":"\ud800"}}`, CodeInvalidUTF8, ""},
		{"invalid utf8", "{\"kind\":\"fuel_price\",\"source\":\"\xff\"}", CodeInvalidUTF8, ""},
		{"deep nesting", `{"attributes":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, CodeInvalidJSON, ""},
		{"nesting ok syntax", `{"kind":"fuel_price","x":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`, CodeUnknownField, ""},
		{"array", `[1,2]`, CodeNotObject, ""},
		{"string", `"hello"`, CodeNotObject, ""},
		{"number", `42`, CodeNotObject, ""},
		{"null", `null`, CodeNotObject, ""},
		{"empty", ``, CodeEmpty, ""},
		{"spaces", "  \n ", CodeEmpty, ""},
		{"empty object", `{}`, CodeMissingField, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeJSON([]byte(tc.in))
			if tc.code != "" {
				if CodeOf(err) != tc.code {
					t.Fatalf("code %q, want %q (err: %v)", CodeOf(err), tc.code, err)
				}
				if err.(*Error).Reason == "" {
					t.Error("empty reason")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.price != "" && r.Price.String() != tc.price {
				t.Errorf("price %q, want %q", r.Price.String(), tc.price)
			}
		})
	}
}

func TestDecodeJSONOversize(t *testing.T) {
	pad := strings.Repeat("x", MaxMessageBytes)
	_, err := DecodeJSON([]byte(`{"kind":"fuel_price","attributes":{"p":"` + pad + `"}}`))
	if CodeOf(err) != CodeOversize {
		t.Fatalf("got %v, want oversize", err)
	}
	// Exactly at the limit is not oversize.
	msg := `{"kind":"fuel_price","x":"` + strings.Repeat("x", MaxMessageBytes-28) + `"}`
	if len(msg) != MaxMessageBytes {
		t.Fatalf("test message is %d bytes", len(msg))
	}
	if _, err := DecodeJSON([]byte(msg)); CodeOf(err) != CodeUnknownField {
		t.Fatalf("at limit: got %v", err)
	}
}

func TestCSVHeader(t *testing.T) {
	tests := []struct {
		header []string
		code   Code
	}{
		{[]string{"kind", "source", "colour"}, CodeUnknownField},
		{[]string{"kind", "source", "source"}, CodeDuplicateField},
		{[]string{"source", "date"}, CodeMissingField},
		{[]string{"\xEF\xBB\xBFkind", "source"}, ""},
	}
	for _, tc := range tests {
		_, err := NewCSVDecoder(tc.header)
		if CodeOf(err) != tc.code {
			t.Errorf("NewCSVDecoder(%q): code %q, want %q (%v)", tc.header, CodeOf(err), tc.code, err)
		}
	}
	d, _ := NewCSVDecoder([]string{"kind", "source"})
	if _, err := d.Decode([]string{"wage"}); CodeOf(err) != CodeInvalidField {
		t.Errorf("short row: %v", err)
	}
}

func TestCSVMixedKinds(t *testing.T) {
	header := []string{"kind", "source", "date", "country", "product", "price", "currency", "unit", "measure", "amount", "per"}
	d, err := NewCSVDecoder(header)
	if err != nil {
		t.Fatal(err)
	}
	fuel := []string{"fuel_price", "s", "2022-01-05", "KZ", "lpg", "120", "KZT", "litre", "", "", ""}
	wage := []string{"wage", "s", "2022-01-01", "KZ", "", "", "KZT", "", "minimum", "42500", "month"}
	bad := []string{"wage", "s", "2022-01-01", "KZ", "lpg", "", "KZT", "", "minimum", "42500", "month"}
	if _, err := d.Decode(fuel); err != nil {
		t.Error(err)
	}
	if _, err := d.Decode(wage); err != nil {
		t.Error(err)
	}
	if _, err := d.Decode(bad); CodeOf(err) != CodeUnknownField {
		t.Errorf("product on a wage row: %v", err)
	}
}

// TestBadCorpus decodes every testdata/bad/<case>.json and checks the code in <case>.code.
func TestBadCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("only %d bad cases", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".code")
			if err != nil {
				t.Fatal(err)
			}
			_, err = DecodeJSON(data)
			if got := CodeOf(err); string(got) != strings.TrimSpace(string(want)) {
				t.Errorf("code %q, want %q (err: %v)", got, strings.TrimSpace(string(want)), err)
			}
		})
	}
}

// TestGoodCorpus decodes every testdata/good/*.json (one record per file).
func TestGoodCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.json")
	if len(files) == 0 {
		t.Fatal("no good cases")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, err := DecodeJSON(data)
			if err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			stated := r.PublishedAt
			kafkaTime := time.Date(2022, 1, 6, 12, 0, 0, 500, time.UTC)
			r.Finish(kafkaTime)
			want := stated.UTC()
			if stated.IsZero() {
				want = kafkaTime.Truncate(time.Second) // a stated one is kept to the nanosecond
			}
			if r.ID == "" || !r.PublishedAt.Equal(want) || r.PublishedAt.Location() != time.UTC {
				t.Errorf("Finish left %+v, want published_at %v", r, want)
			}
		})
	}
}

// TestDecoderMatchesDecodeJSON runs every corpus file, twice in a row and interleaved, through one
// Decoder and checks that it gives exactly what DecodeJSON gives: reusing a previous message's
// value must never change a record or an error.
func TestDecoderMatchesDecodeJSON(t *testing.T) {
	var inputs [][]byte
	for _, pattern := range []string{"testdata/good/*.json", "testdata/bad/*.json", "testdata/hostile/*.json", "testdata/hostile/*.bin"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, b)
		}
	}
	if len(inputs) < 200 {
		t.Fatalf("only %d corpus files", len(inputs))
	}
	var d Decoder
	for round := 0; round < 2; round++ {
		for i, in := range inputs {
			for _, b := range [][]byte{in, inputs[(i*7)%len(inputs)], in} {
				want, wantErr := DecodeJSON(b)
				got, gotErr := d.Decode(b)
				if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) || !reflect.DeepEqual(want, got) {
					t.Fatalf("%.80q:\nDecoder:    %+v %v\nDecodeJSON: %+v %v", b, got, gotErr, want, wantErr)
				}
			}
		}
	}
}

// TestDecodeIntoOverwrites: DecodeInto into a Record that holds another record gives exactly
// what Decode gives, and the zero Record on error.
func TestDecodeIntoOverwrites(t *testing.T) {
	var dec Decoder
	wage := []byte(`{"kind":"wage","source":"stat.gov.kz","country":"KZ","region":"KZ-ALA","measure":"minimum","basis":"gross","amount":"42500","currency":"KZT","per":"month","date":"2022-01-01","frequency":"M","attributes":{"note":"x"},"status":"P"}`)
	price := []byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","product":"lpg","price":"120","currency":"KZT","unit":"litre","date":"2022-01-04"}`)
	for _, m := range [][]byte{price, wage, []byte(`{"kind":"fuel_price","source":"s","price":"\u0031"}`)} {
		var r Record
		if err := dec.DecodeInto(&r, wage); err != nil {
			t.Fatal(err)
		}
		want, wantErr := DecodeJSON(m)
		err := dec.DecodeInto(&r, m)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("%s: error %v, Decode's %v", m, err, wantErr)
		}
		if !reflect.DeepEqual(r, want) {
			t.Fatalf("%s: DecodeInto over a wage gave\n%+v\nDecode gives\n%+v", m, r, want)
		}
	}
}
