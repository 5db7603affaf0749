package transform

// Decoding and validation checked against the contract, not against earlier code:
//   - a record built from valid values is accepted, from JSON and from CSV, and every field of
//     it is what encoding/json reads in the message, through the oracles of oracle_test.go, with
//     the contract's defaults for what is absent;
//   - the same record with one value made bad is rejected with the code that value calls for;
//   - any input at all (the corpora, random and mangled messages) is rejected when it is not
//     JSON or not UTF-8, and when accepted agrees with encoding/json; the Decoder, DecodeIn and
//     FinishIn give what DecodeJSON and Finish give;
//   - Validate accepts valid records and rejects each kind of bad field with its code.

import (
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// field is one member of a test message: its key and its JSON token.
type field struct{ key, token string }

// message is a test message as an ordered list of members.
type message []field

func (m message) with(key, token string) message {
	out := append(message(nil), m...)
	for i := range out {
		if out[i].key == key {
			out[i].token = token
			return out
		}
	}
	return append(out, field{key, token})
}

func (m message) without(key string) message {
	var out message
	for _, f := range m {
		if f.key != key {
			out = append(out, f)
		}
	}
	return out
}

func (m message) token(key string) string {
	for _, f := range m {
		if f.key == key {
			return f.token
		}
	}
	return ""
}

// json renders m with white space from ws between tokens.
func (m message) json(ws func() string) []byte {
	var b strings.Builder
	b.WriteString(ws() + "{")
	for i, f := range m {
		if i > 0 {
			b.WriteString(ws() + ",")
		}
		b.WriteString(ws() + strconv.Quote(f.key) + ws() + ":" + ws() + f.token)
	}
	b.WriteString(ws() + "}" + ws())
	return []byte(b.String())
}

// csv renders m as a CSV header and row: a string token's text, another token as it is (a
// number, or the attributes object as JSON text), null as an empty cell. ok is false when a
// token has no CSV form (true, false, an array, or attributes that are not an object).
func (m message) csv() (header, row []string, ok bool) {
	for _, f := range m {
		var cell string
		switch t := f.token; {
		case t == "null":
		case strings.HasPrefix(t, `"`):
			if json.Unmarshal([]byte(t), &cell) != nil {
				return nil, nil, false
			}
			if f.key == "attributes" {
				return nil, nil, false
			}
		case t == "true" || t == "false" || strings.HasPrefix(t, "["):
			return nil, nil, false
		case strings.HasPrefix(t, "{") && f.key != "attributes":
			return nil, nil, false
		default:
			cell = t
		}
		header, row = append(header, f.key), append(row, cell)
	}
	return header, row, true
}

// validValue draws a valid JSON token for key, or "" for a key of no valid random value.
func validValue(rng *rand.Rand, key string) string {
	switch key {
	case "price", "amount":
		return randValidDecimal(rng, false)
	case "rate":
		return randValidDecimal(rng, true)
	case "published_at":
		for {
			tok := goodValues[key][rng.IntN(len(goodValues[key]))]
			s, _ := strconv.Unquote(tok)
			if p, err := time.Parse(time.RFC3339Nano, s); err == nil && !p.Before(MinPublished) && p.Before(MaxPublished.AddDate(0, 0, 1)) {
				return tok
			}
		}
	case "source":
		if rng.IntN(20) == 0 {
			return strconv.Quote(strings.Repeat("s", MaxSourceBytes)) // the longest accepted
		}
	case "id":
		if rng.IntN(20) == 0 {
			return strconv.Quote(strings.Repeat("i", MaxIDBytes))
		}
	case "date":
		if rng.IntN(10) == 0 {
			return []string{`"1900-01-01"`, `"1969-12-31"`, `"1970-01-01"`, `"2105-12-31"`, `"2299-12-31"`}[rng.IntN(5)]
		}
	}
	vs := goodValues[key]
	return vs[rng.IntN(len(vs))]
}

// randValidDecimal draws the text of a decimal that fits Decimal(38, 18) — up to 20 integer and
// 18 fractional digits, sometimes with leading zeros, trailing zeros past the 18th, an exponent
// or a minus zero — as a JSON string or number token. positive: greater than zero.
func randValidDecimal(rng *rand.Rand, positive bool) string {
	intPart := randDigits2(rng, 1+rng.IntN(20))
	frac := randDigits2(rng, rng.IntN(19))
	if positive && strings.Trim(intPart+frac, "0") == "" {
		intPart = intPart[:len(intPart)-1] + "1"
	}
	digits, point := intPart+frac, len(intPart)
	if rng.IntN(8) == 0 {
		digits += strings.Repeat("0", 1+rng.IntN(5)) // zeros past the 18th fractional digit
	}
	text := digits[:point]
	if point < len(digits) {
		text += "." + digits[point:]
	}
	if rng.IntN(4) == 0 { // the same value with the point moved and an exponent
		p := 1 + rng.IntN(len(digits))
		text = digits[:p]
		if p < len(digits) {
			text += "." + digits[p:]
		}
		e := point - p
		text += []string{"e", "E"}[rng.IntN(2)]
		if e >= 0 && rng.IntN(2) == 0 {
			text += "+"
		}
		text += strconv.Itoa(e)
	}
	if !positive && strings.Trim(digits, "0") == "" && rng.IntN(2) == 0 {
		text = "-" + text // minus zero is zero
	}
	if len(text) > 1 && text[0] == '0' && text[1] != '.' && text[1] != 'e' && text[1] != 'E' || rng.IntN(2) == 0 {
		return strconv.Quote(text) // leading zeros are not JSON number syntax
	}
	return text
}

// kindMembers are each kind's required and optional keys.
var kindMembers = map[Kind]struct{ required, optional []string }{
	KindFuelPrice: {[]string{"source", "date", "country", "product", "price", "currency", "unit"}, []string{"region", "tax_basis"}},
	KindWage:      {[]string{"source", "date", "country", "measure", "amount", "currency", "per"}, []string{"region", "basis"}},
	KindFXRate:    {[]string{"source", "date", "base", "quote", "rate"}, []string{"rate_type", "quantity"}},
}

var commonOptional = []string{"version", "id", "frequency", "published_at", "status", "unit_mult", "attributes"}

// randValidMessage draws a valid record of a random kind, its members in random order.
func randValidMessage(rng *rand.Rand) (Kind, message) {
	kind := []Kind{KindFuelPrice, KindWage, KindFXRate}[rng.IntN(3)]
	m := message{{"kind", strconv.Quote(string(kind))}}
	for _, k := range kindMembers[kind].required {
		m = append(m, field{k, validValue(rng, k)})
	}
	for _, k := range append(append([]string(nil), commonOptional...), kindMembers[kind].optional...) {
		if rng.IntN(3) == 0 {
			m = append(m, field{k, validValue(rng, k)})
		}
	}
	rng.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
	return kind, m
}

// checkDecoders decodes data with DecodeJSON (a fresh Decoder) and with used, a Decoder that
// decoded other messages before, by Decode and DecodeIn; checks that they agree (and FinishIn
// with Finish); and returns DecodeJSON's result.
func checkDecoders(t testing.TB, data []byte, used *Decoder) (Record, error) {
	t.Helper()
	r, err := DecodeJSON(data)
	for _, d := range []*Decoder{used} {
		got, gotErr := d.Decode(data)
		if fmt.Sprint(gotErr) != fmt.Sprint(err) || !reflect.DeepEqual(got, r) {
			t.Fatalf("%.200q:\nDecoder:    %+v %v\nDecodeJSON: %+v %v", data, got, gotErr, r, err)
		}
		var s Scratch
		var in Record
		gotErr = d.DecodeIn(&s, &in, data)
		if fmt.Sprint(gotErr) != fmt.Sprint(err) || err == nil && !sameRecord(in, r) {
			t.Fatalf("%.200q:\nDecodeIn:   %+v %v\nDecodeJSON: %+v %v", data, in, gotErr, r, err)
		}
		if err == nil {
			kafka := time.Date(2023, 4, 5, 6, 7, 8, 999_999_999, time.FixedZone("x", 3600))
			fin := r
			fin.Finish(kafka)
			in.FinishIn(&s, kafka)
			if !sameRecord(in, fin) {
				t.Fatalf("%.200q: FinishIn %+v, Finish %+v", data, in, fin)
			}
		}
	}
	if err != nil && CodeOf(err) == "" {
		t.Fatalf("%.200q: an error without a code: %v", data, err)
	}
	return r, err
}

// sameRecord compares records, their decimals by value and form (Decoder.DecodeIn keeps them in
// scratch memory: equal, not identical).
func sameRecord(a, b Record) bool {
	for _, p := range [][2]*Decimal{{&a.Price, &b.Price}, {&a.Amount, &b.Amount}, {&a.Rate, &b.Rate}} {
		if (p[0].Coef == nil) != (p[1].Coef == nil) || p[0].Coef != nil && !p[0].Equal(*p[1]) {
			return false
		}
		*p[0], *p[1] = Decimal{}, Decimal{}
	}
	if len(a.Attributes) == 0 && len(b.Attributes) == 0 {
		a.Attributes, b.Attributes = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// checkAccepted checks a record DecodeJSON accepted from data against encoding/json's reading
// of data and the oracles: every member's value, and the contract's default for every member
// that is absent (or null, or an empty string). It also checks that the record validates and
// that its id is specRecordID's.
func checkAccepted(t testing.TB, data []byte, r Record) {
	t.Helper()
	if !json.Valid(data) || !utf8.Valid(data) {
		t.Fatalf("accepted %.200q, which is not valid JSON in UTF-8", data)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		t.Fatalf("accepted %.200q, which is not a JSON object: %v", data, err)
	}
	text := func(key string) (string, bool) { // the member's text; false if absent, null or ""
		raw, ok := members[key]
		if !ok || string(raw) == "null" {
			return "", false
		}
		var s string
		if raw[0] == '"' {
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("%q: %v", raw, err)
			}
		} else {
			s = string(raw)
		}
		return s, s != ""
	}
	fail := func(what string, got, want any) {
		t.Helper()
		t.Fatalf("%.300q: %s is %v, encoding/json and the contract say %v", data, what, got, want)
	}
	str := func(key, got, def string) {
		t.Helper()
		want, ok := text(key)
		if !ok {
			want = def
		}
		if got != want {
			fail(key, strconv.Quote(got), strconv.Quote(want))
		}
	}
	integer := func(key string, got, def int64) {
		t.Helper()
		want := def
		if s, ok := text(key); ok {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				fail(key, got, s)
			}
			want = n
		}
		if got != want {
			fail(key, got, want)
		}
	}
	decimal := func(key string, got Decimal) {
		t.Helper()
		s, ok := text(key)
		coef, scale, code := specDecimal(s)
		if !ok || code != "" || got.Coef == nil || got.Coef.Cmp(coef) != 0 || got.Scale != scale {
			fail(key, got, fmt.Sprintf("%q → %v×10^-%d (%s)", s, coef, scale, code))
		}
	}
	kind := Kind("")
	if s, ok := text("kind"); ok {
		kind = Kind(s)
	}
	if r.Kind != kind {
		fail("kind", r.Kind, kind)
	}
	integer("version", int64(r.Version), 1)
	str("id", r.ID, "")
	str("source", r.Source, "")
	str("frequency", r.Frequency, "D")
	str("status", r.Status, "A")
	integer("unit_mult", int64(r.UnitMult), 0)
	if s, _ := text("date"); true {
		if want, ok := specDate(s); !ok || !r.Date.Equal(want) || r.Date.Location() != time.UTC {
			fail("date", r.Date, want)
		}
	}
	if s, ok := text("published_at"); ok {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !reflect.DeepEqual(r.PublishedAt, want.UTC()) {
			fail("published_at", r.PublishedAt, want.UTC())
		}
	} else if !r.PublishedAt.IsZero() {
		fail("published_at", r.PublishedAt, "absent")
	}
	var attrs map[string]string
	if raw, ok := members["attributes"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &attrs); err != nil {
			fail("attributes", r.Attributes, err)
		}
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	if !reflect.DeepEqual(r.Attributes, attrs) {
		fail("attributes", r.Attributes, attrs)
	}
	def := func(k Kind, v string) string { // a kind's default, "" for the other kinds
		if kind == k {
			return v
		}
		return ""
	}
	str("country", r.Country, "")
	str("region", r.Region, "")
	str("product", r.Product, "")
	str("tax_basis", r.TaxBasis, def(KindFuelPrice, "incl_tax"))
	str("currency", r.Currency, "")
	str("unit", r.Unit, "")
	str("measure", r.Measure, "")
	str("per", r.Per, "")
	str("basis", r.Basis, def(KindWage, "gross"))
	str("base", r.Base, "")
	str("quote", r.Quote, "")
	str("rate_type", r.RateType, def(KindFXRate, "official"))
	quantity := int64(0)
	if kind == KindFXRate {
		quantity = 1
	}
	integer("quantity", r.Quantity, quantity)
	for key, d := range map[string]Decimal{"price": r.Price, "amount": r.Amount, "rate": r.Rate} {
		if _, ok := members[key]; ok {
			decimal(key, d)
		} else if d.Coef != nil {
			fail(key, d, "absent")
		}
	}
	if err := Validate(&r); err != nil {
		t.Fatalf("%.200q: accepted, but Validate says %v", data, err)
	}
	if got, want := RecordID(&r), specRecordID(&r); got != want {
		t.Fatalf("%.200q: RecordID %s, want %s", data, got, want)
	}
}

// checkAnyInput checks what holds for every input: no panic, a code on every error, rejection
// of what is not JSON or not UTF-8, and agreement with encoding/json when accepted.
func checkAnyInput(t testing.TB, data []byte, used *Decoder) (Record, error) {
	t.Helper()
	r, err := checkDecoders(t, data, used)
	if err == nil {
		checkAccepted(t, data, r)
	}
	return r, err
}

func whiteSpace(rng *rand.Rand) func() string {
	return func() string { return []string{"", "", "", " ", "\n\t", "\r "}[rng.IntN(6)] }
}

// TestDecodeValidRecords: random valid records, in JSON with random white space and member
// order, and in CSV, are accepted as encoding/json and the contract read them.
func TestDecodeValidRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var used Decoder
	csvChecked := 0
	for range 30000 {
		_, m := randValidMessage(rng)
		data := m.json(whiteSpace(rng))
		r, err := checkAnyInput(t, data, &used)
		if err != nil {
			t.Fatalf("%s: a valid record rejected: %v", data, err)
		}
		header, row, ok := m.csv()
		if !ok {
			continue
		}
		d, err := NewCSVDecoder(header)
		if err != nil {
			t.Fatalf("%s: header %q: %v", data, header, err)
		}
		got, err := d.Decode(row)
		if err != nil || !sameRecord(got, r) {
			t.Fatalf("%q %q:\n CSV  %+v %v\n JSON %+v", header, row, got, err, r)
		}
		csvChecked++
	}
	if csvChecked < 10000 {
		t.Fatalf("only %d records checked in CSV", csvChecked)
	}
}

// badValue is a mutation that makes a valid message of the kinds listed (all when empty) invalid
// with code: key set to token ("" removes the key; a key already there with dup set is added
// again).
type badValue struct {
	kinds []Kind
	key   string
	token string
	dup   bool
	code  Code
}

func badValues() []badValue {
	all, fuel, wage, fx := []Kind(nil), []Kind{KindFuelPrice}, []Kind{KindWage}, []Kind{KindFXRate}
	obs := []Kind{KindFuelPrice, KindWage}
	long := func(n int) string { return strconv.Quote(strings.Repeat("x", n)) }
	bad := []badValue{
		{all, "kind", `"coal_price"`, false, CodeUnknownKind}, {all, "kind", `"FUEL_PRICE"`, false, CodeUnknownKind},
		{all, "kind", `""`, false, CodeMissingField}, {all, "kind", `null`, false, CodeMissingField}, {all, "kind", `5`, false, CodeWrongType},
		{all, "version", `2`, false, CodeUnknownVersion}, {all, "version", `1.0`, false, CodeUnknownVersion},
		{all, "version", `true`, false, CodeWrongType},
		{all, "source", `""`, false, CodeMissingField}, {all, "source", `null`, false, CodeMissingField}, {all, "source", "", false, CodeMissingField},
		{all, "source", `"stat\ngov"`, false, CodeInvalidField}, {all, "source", `"a\u0085b"`, false, CodeInvalidField},
		{all, "source", `"a\u007fb"`, false, CodeInvalidField}, {all, "source", long(MaxSourceBytes + 1), false, CodeOutOfRange},
		{all, "source", `["a"]`, false, CodeWrongType}, {all, "source", `1`, false, CodeWrongType},
		{all, "id", long(MaxIDBytes + 1), false, CodeOutOfRange}, {all, "id", `"a\tb"`, false, CodeInvalidField},
		{all, "date", `"2022-02-30"`, false, CodeInvalidField}, {all, "date", `"05.01.2022"`, false, CodeInvalidField},
		{all, "date", `"0000-01-01"`, false, CodeInvalidField}, {all, "date", `"2022-01-04T00:00:00Z"`, false, CodeInvalidField},
		{all, "date", `"1899-12-31"`, false, CodeOutOfRange}, {all, "date", `"2300-01-01"`, false, CodeOutOfRange},
		{all, "date", `20220104`, false, CodeWrongType}, {all, "date", `""`, false, CodeMissingField}, {all, "date", "", false, CodeMissingField},
		{all, "frequency", `"H"`, false, CodeInvalidField}, {all, "frequency", `"d"`, false, CodeInvalidField},
		{all, "published_at", `"2022-01-05 10:00"`, false, CodeInvalidField}, {all, "published_at", `"2022-01-04T24:00:00Z"`, false, CodeInvalidField},
		{all, "published_at", `"1969-12-31T23:59:59Z"`, false, CodeOutOfRange}, {all, "published_at", `"1970-01-01T00:00:00+01:00"`, false, CodeOutOfRange},
		{all, "published_at", `"2106-01-01T00:00:00Z"`, false, CodeOutOfRange},
		{all, "status", `"a"`, false, CodeInvalidField}, {all, "status", `"ABC"`, false, CodeInvalidField}, {all, "status", `"Ä"`, false, CodeInvalidField},
		{all, "unit_mult", `19`, false, CodeOutOfRange}, {all, "unit_mult", `-19`, false, CodeOutOfRange}, {all, "unit_mult", `"-19"`, false, CodeOutOfRange},
		{all, "unit_mult", `1.5`, false, CodeInvalidField}, {all, "unit_mult", `"x"`, false, CodeInvalidField},
		{all, "attributes", `["x"]`, false, CodeWrongType}, {all, "attributes", `{"n":1}`, false, CodeWrongType},
		{all, "attributes", `"x"`, false, CodeWrongType}, {all, "attributes", `{"":"x"}`, false, CodeInvalidField},
		{all, "attributes", `{"a":"1","a":"2"}`, false, CodeDuplicateField}, {all, "attributes", `{"k":"\u0001"}`, false, CodeInvalidField},
		{all, "colour", `"red"`, false, CodeUnknownField}, {all, "Price", `"1"`, false, CodeUnknownField},
		{all, "kind", "", true, CodeDuplicateField}, {all, "source", "", true, CodeDuplicateField},
		{obs, "country", `"kz"`, false, CodeInvalidField}, {obs, "country", `"KAZ"`, false, CodeInvalidField}, {obs, "country", "", false, CodeMissingField},
		{obs, "region", `"RU-MOW"`, false, CodeInvalidField}, {obs, "region", `"KZ-ABCD"`, false, CodeInvalidField}, {obs, "region", `"KZMAN"`, false, CodeInvalidField},
		{obs, "currency", `"tenge"`, false, CodeInvalidField}, {obs, "currency", `"kzt"`, false, CodeInvalidField}, {obs, "currency", "", false, CodeMissingField},
		{obs, "rate", `"1"`, false, CodeUnknownField}, {obs, "base", `"EUR"`, false, CodeUnknownField}, {obs, "quantity", `1`, false, CodeUnknownField},
		{fuel, "product", `"LPG"`, false, CodeInvalidField}, {fuel, "product", `"a-b"`, false, CodeInvalidField}, {fuel, "product", "", false, CodeMissingField},
		{fuel, "unit", `"gallon"`, false, CodeInvalidField}, {fuel, "unit", `"liter"`, false, CodeInvalidField}, {fuel, "unit", "", false, CodeMissingField},
		{fuel, "tax_basis", `"vat"`, false, CodeInvalidField},
		{fuel, "price", `"-1"`, false, CodeOutOfRange}, {fuel, "price", `-0.5`, false, CodeOutOfRange}, {fuel, "price", `"120,5"`, false, CodeBadDecimal},
		{fuel, "price", `"42 500"`, false, CodeBadDecimal}, {fuel, "price", `"NaN"`, false, CodeBadDecimal}, {fuel, "price", `"0x1A"`, false, CodeBadDecimal},
		{fuel, "price", `"0.0000000000000000001"`, false, CodeOutOfRange}, {fuel, "price", `"1e20"`, false, CodeOutOfRange},
		{fuel, "price", `true`, false, CodeWrongType}, {fuel, "price", `{"v":1}`, false, CodeWrongType},
		{fuel, "price", `null`, false, CodeMissingField}, {fuel, "price", `""`, false, CodeMissingField}, {fuel, "price", "", false, CodeMissingField},
		{fuel, "amount", `"5"`, false, CodeUnknownField}, {fuel, "measure", `"minimum"`, false, CodeUnknownField},
		{wage, "measure", `"Median"`, false, CodeInvalidField}, {wage, "measure", "", false, CodeMissingField},
		{wage, "per", `"fortnight"`, false, CodeInvalidField}, {wage, "per", "", false, CodeMissingField},
		{wage, "basis", `"after_tax"`, false, CodeInvalidField},
		{wage, "amount", `"-5"`, false, CodeOutOfRange}, {wage, "amount", `"42,500"`, false, CodeBadDecimal}, {wage, "amount", "", false, CodeMissingField},
		{wage, "price", `"5"`, false, CodeUnknownField}, {wage, "unit", `"litre"`, false, CodeUnknownField},
		{fx, "rate", `"0"`, false, CodeOutOfRange}, {fx, "rate", `"-1"`, false, CodeOutOfRange}, {fx, "rate", `"1,5"`, false, CodeBadDecimal},
		{fx, "rate", "", false, CodeMissingField},
		{fx, "rate_type", `"black"`, false, CodeInvalidField}, {fx, "quantity", `0`, false, CodeOutOfRange}, {fx, "quantity", `-1`, false, CodeOutOfRange},
		{fx, "quantity", `1.5`, false, CodeInvalidField}, {fx, "quantity", `"100x"`, false, CodeInvalidField},
		{fx, "base", `"usd"`, false, CodeInvalidField}, {fx, "quote", "", false, CodeMissingField},
		{fx, "country", `"KZ"`, false, CodeUnknownField}, {fx, "price", `"1"`, false, CodeUnknownField},
	}
	return bad
}

// TestDecodeOneBadValue: a valid record with one value made bad is rejected with that value's
// code, from JSON and, where the value has a CSV form, from CSV.
func TestDecodeOneBadValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var used Decoder
	bad := badValues()
	csvChecked := 0
	for i := range 20000 {
		kind, m := randValidMessage(rng)
		b := bad[i%len(bad)]
		if len(b.kinds) > 0 && !slicesContains(b.kinds, kind) {
			continue
		}
		switch {
		case b.dup:
			tok := m.token(b.key)
			if tok == "" {
				tok = validValue(rng, b.key)
			}
			m = append(m.with(b.key, tok), field{b.key, tok})
		case b.token == "":
			m = m.without(b.key)
		default:
			m = m.with(b.key, b.token)
		}
		data := m.json(whiteSpace(rng))
		if _, err := checkAnyInput(t, data, &used); CodeOf(err) != b.code {
			t.Fatalf("%s: %v, want %s", data, err, b.code)
		}
		header, row, ok := m.csv()
		if !ok || b.code == CodeWrongType || b.key == "version" && b.token == `1.0` {
			continue // JSON types, and a number's JSON form, have no CSV equivalent
		}
		if d, err := NewCSVDecoder(header); err != nil {
			if CodeOf(err) != b.code {
				t.Fatalf("CSV header %q: %v, want %s", header, err, b.code)
			}
		} else if _, err := d.Decode(row); CodeOf(err) != b.code {
			t.Fatalf("CSV %q %q: %v, want %s", header, row, err, b.code)
		}
		csvChecked++
	}
	if csvChecked < 5000 {
		t.Fatalf("only %d bad values checked in CSV", csvChecked)
	}
}

func slicesContains(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// TestDecodeAnyInput: the corpora, the hostile cases, random and mangled messages and every
// valid and invalid UTF-8 sequence at every position of a message meet checkAnyInput.
func TestDecodeAnyInput(t *testing.T) {
	inputs := corpusInputs(t)
	for _, c := range generatedHostileCases() {
		inputs = append(inputs, c.data)
	}
	inputs = append(inputs, transformBenchMessages...)
	inputs = append(inputs, benchPrice)
	rng := rand.New(rand.NewPCG(5, 6))
	n := 30000
	if testing.Short() {
		n = 5000
	}
	for range n {
		inputs = append(inputs, randMessage(rng))
	}
	pieces := []string{"\u00e9", "\u0416\u0430", "\U0001F600", "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf",
		"\xef\xbf\xbd", "\u00e9\xff", "a\xf4\x90\x80\x80", "\u0085", "\u2028", "\\u00e9"}
	msg := `{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":"KZ-MAN","product":"lpg","price":"120.5","currency":"KZT","unit":"litre","date":"2022-01-04","id":"abcdefghij","attributes":{"a":"bcdefgh"}}`
	for _, piece := range pieces {
		for i := 0; i <= len(msg); i++ {
			inputs = append(inputs, []byte(msg[:i]+piece+msg[i:]))
		}
	}
	var used Decoder
	accepted := 0
	for round := range 2 { // a used Decoder, its previous message another one, must not matter
		for i, in := range inputs {
			for _, data := range [][]byte{in, inputs[(i*7+round)%len(inputs)]} {
				if _, err := checkAnyInput(t, data, &used); err == nil {
					accepted++
				} else if !utf8.Valid(data) && CodeOf(err) != CodeInvalidUTF8 && CodeOf(err) != CodeInvalidJSON && CodeOf(err) != CodeOversize {
					t.Fatalf("%.200q is not UTF-8: rejected with %v, want invalid_utf8 or invalid_json", data, err)
				}
			}
		}
	}
	if accepted < len(inputs)/20 {
		t.Fatalf("only %d of %d inputs accepted: the inputs do not reach the success path", accepted, 2*len(inputs))
	}
}

// TestValidateRecords: valid records pass Validate; each bad field, alone, is rejected with its
// code; two together, with the code of one of them.
func TestValidateRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ts := func(s string) time.Time {
		x, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return x
	}
	type mutation struct {
		kinds  []Kind
		field  string // the Record field it changes
		name   string
		mutate func(r *Record)
		code   Code // "" for a change that keeps the record valid
	}
	obs := []Kind{KindFuelPrice, KindWage}
	mutations := []mutation{
		{nil, "Date", "date with a time of day", func(r *Record) { r.Date = r.Date.Add(time.Hour) }, CodeInvalidField},
		{nil, "Date", "date with a nanosecond", func(r *Record) { r.Date = r.Date.Add(1) }, CodeInvalidField},
		{nil, "Date", "date in another zone", func(r *Record) { r.Date = r.Date.In(time.FixedZone("", 0)) }, CodeInvalidField},
		{nil, "Date", "date local midnight", func(r *Record) { r.Date = time.Date(2022, 1, 5, 0, 0, 0, 0, time.FixedZone("", 6*3600)) }, CodeInvalidField},
		{nil, "Date", "date 1899-12-31", func(r *Record) { r.Date = ts("1899-12-31T00:00:00Z") }, CodeOutOfRange},
		{nil, "Date", "date 2300-01-01", func(r *Record) { r.Date = ts("2300-01-01T00:00:00Z") }, CodeOutOfRange},
		{nil, "Date", "date 1900-01-01", func(r *Record) { r.Date = MinDate }, ""},
		{nil, "Date", "date 2299-12-31", func(r *Record) { r.Date = MaxDate }, ""},
		{nil, "Date", "date 1969-12-31", func(r *Record) { r.Date = ts("1969-12-31T00:00:00Z") }, ""},
		{nil, "Date", "date 2106-01-01", func(r *Record) { r.Date = ts("2106-01-01T00:00:00Z") }, ""},
		{nil, "Date", "no date", func(r *Record) { r.Date = time.Time{} }, CodeMissingField},
		{nil, "PublishedAt", "published before 1970", func(r *Record) { r.PublishedAt = ts("1969-12-31T23:59:59.999999999Z") }, CodeOutOfRange},
		{nil, "PublishedAt", "published at the end", func(r *Record) { r.PublishedAt = ts("2106-01-01T00:00:00Z") }, CodeOutOfRange},
		{nil, "PublishedAt", "published at the last nanosecond", func(r *Record) { r.PublishedAt = ts("2105-12-31T23:59:59.999999999Z") }, ""},
		{nil, "PublishedAt", "published at 1970", func(r *Record) { r.PublishedAt = ts("1970-01-01T00:00:00Z") }, ""},
		{nil, "PublishedAt", "published in another zone", func(r *Record) { r.PublishedAt = ts("2022-01-05T10:00:00+06:00") }, ""},
		{nil, "Source", "source with DEL", func(r *Record) { r.Source = "a\x7fb" }, CodeInvalidField},
		{nil, "Source", "source with NUL", func(r *Record) { r.Source = "a\x00b" }, CodeInvalidField},
		{nil, "Source", "source with a C1 control", func(r *Record) { r.Source = "a\u0085b" }, CodeInvalidField},
		{nil, "Source", "source not UTF-8", func(r *Record) { r.Source = "a\xffb" }, CodeInvalidUTF8},
		{nil, "Source", "source 201 bytes", func(r *Record) { r.Source = strings.Repeat("s", MaxSourceBytes+1) }, CodeOutOfRange},
		{nil, "Source", "source 200 bytes", func(r *Record) { r.Source = strings.Repeat("é", MaxSourceBytes/2) }, ""},
		{nil, "Source", "no source", func(r *Record) { r.Source = "" }, CodeMissingField},
		{nil, "ID", "id 201 bytes", func(r *Record) { r.ID = strings.Repeat("i", MaxIDBytes+1) }, CodeOutOfRange},
		{nil, "ID", "id with a tab", func(r *Record) { r.ID = "a\tb" }, CodeInvalidField},
		{nil, "Status", "status empty", func(r *Record) { r.Status = "" }, CodeInvalidField},
		{nil, "Status", "status of three letters", func(r *Record) { r.Status = "ABC" }, CodeInvalidField},
		{nil, "Status", "status lower-case", func(r *Record) { r.Status = "p" }, CodeInvalidField},
		{nil, "Status", "status of two letters", func(r *Record) { r.Status = "AB" }, ""},
		{nil, "Frequency", "no frequency", func(r *Record) { r.Frequency = "" }, CodeMissingField},
		{nil, "Frequency", "frequency X", func(r *Record) { r.Frequency = "X" }, CodeInvalidField},
		{nil, "UnitMult", "unit_mult 19", func(r *Record) { r.UnitMult = 19 }, CodeOutOfRange},
		{nil, "UnitMult", "unit_mult -19", func(r *Record) { r.UnitMult = -19 }, CodeOutOfRange},
		{nil, "UnitMult", "unit_mult -18", func(r *Record) { r.UnitMult = -18 }, ""},
		{nil, "Version", "version 0", func(r *Record) { r.Version = 0 }, CodeUnknownVersion},
		{nil, "Version", "version 2", func(r *Record) { r.Version = 2 }, CodeUnknownVersion},
		{nil, "Kind", "no kind", func(r *Record) { r.Kind = "" }, CodeMissingField},
		{nil, "Kind", "kind x", func(r *Record) { r.Kind = "x" }, CodeUnknownKind},
		{nil, "Attributes", "attribute key empty", func(r *Record) { r.Attributes = map[string]string{"": "x"} }, CodeInvalidField},
		{nil, "Attributes", "attribute value with a control", func(r *Record) { r.Attributes = map[string]string{"k": "\x01"} }, CodeInvalidField},
		{nil, "Attributes", "attribute key not UTF-8", func(r *Record) { r.Attributes = map[string]string{"\xff": "v"} }, CodeInvalidUTF8},
		{nil, "Attributes", "a long attribute", func(r *Record) { r.Attributes = map[string]string{"k": strings.Repeat("v", 100000)} }, ""},
		{obs, "Country", "country lower-case", func(r *Record) { r.Country = "kz" }, CodeInvalidField},
		{obs, "Country", "no country", func(r *Record) { r.Country = ""; r.Region = "" }, CodeMissingField},
		{obs, "Region", "region of another country", func(r *Record) { r.Region = "RU-MOW" }, CodeInvalidField},
		{obs, "Region", "region of one digit", func(r *Record) { r.Region = r.Country + "-1" }, ""},
		{obs, "Currency", "currency of two letters", func(r *Record) { r.Currency = "KZ" }, CodeInvalidField},
		{[]Kind{KindFuelPrice}, "Price", "price negative", func(r *Record) { r.Price = Decimal{Coef: big.NewInt(-1), Scale: 2} }, CodeOutOfRange},
		{[]Kind{KindFuelPrice}, "Price", "price zero", func(r *Record) { r.Price = Decimal{Coef: new(big.Int), Scale: 0} }, ""},
		{[]Kind{KindFuelPrice}, "Price", "price of 19 fractional digits", func(r *Record) { r.Price = Decimal{Coef: big.NewInt(1), Scale: 19} }, CodeOutOfRange},
		{[]Kind{KindFuelPrice}, "Price", "price of 21 integer digits", func(r *Record) { r.Price = Decimal{Coef: tenTo(20), Scale: 0} }, CodeOutOfRange},
		{[]Kind{KindFuelPrice}, "Price", "price of 38 digits", func(r *Record) { r.Price = Decimal{Coef: new(big.Int).Sub(tenTo(38), big.NewInt(1)), Scale: 18} }, ""},
		{[]Kind{KindFuelPrice}, "Price", "no price", func(r *Record) { r.Price = Decimal{} }, CodeMissingField},
		{[]Kind{KindFuelPrice}, "Amount", "an amount", func(r *Record) { r.Amount = Decimal{Coef: big.NewInt(1)} }, CodeUnknownField},
		{[]Kind{KindFuelPrice}, "Measure", "a measure", func(r *Record) { r.Measure = "minimum" }, CodeUnknownField},
		{[]Kind{KindFuelPrice}, "Unit", "unit gallon", func(r *Record) { r.Unit = "gallon" }, CodeInvalidField},
		{[]Kind{KindFuelPrice}, "Product", "product of 101 bytes", func(r *Record) { r.Product = strings.Repeat("p", MaxCodeBytes+1) }, CodeInvalidField},
		{[]Kind{KindWage}, "Amount", "amount negative", func(r *Record) { r.Amount = Decimal{Coef: big.NewInt(-5), Scale: 0} }, CodeOutOfRange},
		{[]Kind{KindWage}, "Product", "a product", func(r *Record) { r.Product = "lpg" }, CodeUnknownField},
		{[]Kind{KindWage}, "Rate", "a rate", func(r *Record) { r.Rate = Decimal{Coef: big.NewInt(1)} }, CodeUnknownField},
		{[]Kind{KindWage}, "Per", "per fortnight", func(r *Record) { r.Per = "fortnight" }, CodeInvalidField},
		{[]Kind{KindFXRate}, "Rate", "rate zero", func(r *Record) { r.Rate = Decimal{Coef: new(big.Int), Scale: 3} }, CodeOutOfRange},
		{[]Kind{KindFXRate}, "Rate", "rate negative", func(r *Record) { r.Rate = Decimal{Coef: big.NewInt(-1)} }, CodeOutOfRange},
		{[]Kind{KindFXRate}, "Quantity", "quantity 0", func(r *Record) { r.Quantity = 0 }, CodeOutOfRange},
		{[]Kind{KindFXRate}, "Base", "base equals quote", func(r *Record) { r.Base = r.Quote }, CodeInvalidField},
		{[]Kind{KindFXRate}, "Country", "a country", func(r *Record) { r.Country = "KZ" }, CodeUnknownField},
		{[]Kind{KindFXRate}, "Price", "a price", func(r *Record) { r.Price = Decimal{Coef: big.NewInt(1)} }, CodeUnknownField},
	}
	applies := func(m mutation, k Kind) bool { return len(m.kinds) == 0 || slicesContains(m.kinds, k) }
	for i := range 40000 {
		kind, m := randValidMessage(rng)
		base, err := DecodeJSON(m.json(func() string { return "" }))
		if err != nil {
			t.Fatalf("a valid record rejected: %v", err)
		}
		r := base
		if err := Validate(&r); err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		one := mutations[i%len(mutations)]
		if !applies(one, kind) {
			continue
		}
		one.mutate(&r)
		if err := Validate(&r); CodeOf(err) != one.code {
			t.Fatalf("%s (%+v): %v, want %q", one.name, r, err, one.code)
		}
		two := mutations[rng.IntN(len(mutations))]
		if !applies(two, kind) || two.field == one.field || one.field == "Country" && two.field == "Region" ||
			one.field == "Kind" || two.field == "Kind" { // a change of kind changes which fields apply
			continue
		}
		two.mutate(&r)
		err = Validate(&r)
		if got := CodeOf(err); one.code == "" && two.code == "" && err != nil ||
			(one.code != "" || two.code != "") && got != one.code && got != two.code {
			t.Fatalf("%s and %s (%+v): %v, want %q or %q", one.name, two.name, r, err, one.code, two.code)
		}
	}
}

// TestDecodeJSONNumbersAndStrings: a value sent as a JSON number and as a JSON string gives the
// same record (the contract lets producers use either).
func TestDecodeJSONNumbersAndStrings(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 5000 {
		_, m := randValidMessage(rng)
		var alt message
		for _, f := range m {
			if f.token != "" && (f.token[0] == '-' || f.token[0] >= '0' && f.token[0] <= '9') {
				f.token = strconv.Quote(f.token)
			}
			alt = append(alt, f)
		}
		a, errA := DecodeJSON(m.json(func() string { return "" }))
		b, errB := DecodeJSON(alt.json(func() string { return "" }))
		if errA != nil || errB != nil || !sameRecord(a, b) {
			t.Fatalf("%s\n%s\n%+v %v\n%+v %v", m.json(func() string { return "" }), alt.json(func() string { return "" }), a, errA, b, errB)
		}
	}
}
