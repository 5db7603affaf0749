package transform

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The optimized decoder, decimal parser, date and time parsers, decimal formatting and record id
// are checked here against the reference implementation in ref_test.go (the code as it was before
// the performance work): the same record, or the same error (code, field and reason), for every
// input.

// sameDecode fails t unless DecodeJSON, a Decoder and the reference agree on data.
func sameDecode(t testing.TB, data []byte, d *Decoder, rd *refDecoder) {
	t.Helper()
	want, wantErr := refDecodeJSON(data)
	got, gotErr := DecodeJSON(data)
	compareDecode(t, data, "DecodeJSON", got, gotErr, want, wantErr)
	if d != nil {
		want, wantErr := rd.Decode(data)
		got, gotErr := d.Decode(data)
		compareDecode(t, data, "Decoder", got, gotErr, want, wantErr)
		// In a Scratch, as the consumer decodes: the same record, error and id.
		var s Scratch
		var in Record
		gotErr = d.DecodeIn(&s, &in, data)
		compareDecode(t, data, "Decoder.DecodeIn", in, gotErr, want, wantErr)
		if gotErr == nil {
			fin := in
			fin.Finish(time.Unix(1700000000, 0))
			in.FinishIn(&s, time.Unix(1700000000, 0))
			if !reflect.DeepEqual(in, fin) {
				t.Fatalf("FinishIn(%.200q):\n got  %+v\n want %+v", data, in, fin)
			}
		}
	}
}

func compareDecode(t testing.TB, data []byte, what string, got Record, gotErr error, want Record, wantErr error) {
	t.Helper()
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && !reflect.DeepEqual(gotErr, wantErr)) {
		t.Fatalf("%s(%.200q):\n got error  %#v\n want error %#v", what, data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s(%.200q):\n got  %+v\n want %+v", what, data, got, want)
	}
	if gotErr != nil {
		return
	}
	if g, w := RecordID(&got), refRecordID(&want); g != w {
		t.Fatalf("%s(%.200q): RecordID %s, reference %s", what, data, g, w)
	}
	fin, refFin := got, want
	kafka := time.Date(2023, 4, 5, 6, 7, 8, 999_999_999, time.FixedZone("x", 3600))
	fin.Finish(kafka)
	if refFin.ID == "" {
		refFin.ID = refRecordID(&refFin)
	}
	if refFin.PublishedAt.IsZero() {
		refFin.PublishedAt = kafka.Truncate(time.Second).UTC()
	}
	if !reflect.DeepEqual(fin, refFin) {
		t.Fatalf("%s(%.200q) Finish:\n got  %+v\n want %+v", what, data, fin, refFin)
	}
}

func corpusInputs(t testing.TB) [][]byte {
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
	return inputs
}

func TestDecodeMatchesReferenceCorpus(t *testing.T) {
	inputs := corpusInputs(t)
	for _, c := range generatedHostileCases() {
		inputs = append(inputs, c.data)
	}
	inputs = append(inputs, transformBenchMessages...)
	inputs = append(inputs, benchPrice)
	var d Decoder
	var rd refDecoder
	for round := 0; round < 2; round++ {
		for i, in := range inputs {
			sameDecode(t, in, &d, &rd)
			sameDecode(t, inputs[(i*7)%len(inputs)], &d, &rd)
		}
	}
}

// Values a random message draws its fields from: valid ones, near misses and hostile ones.
var (
	randKeys = []string{"kind", "version", "id", "source", "date", "frequency", "published_at", "status", "unit_mult",
		"attributes", "country", "region", "product", "tax_basis", "currency", "unit", "price", "measure", "per",
		"basis", "amount", "base", "quote", "rate_type", "rate", "quantity", "Price", "extra", `pr\u0069ce`, `k\u0069nd`, ""}
	randValues = map[string][]string{
		"kind":         {`"fuel_price"`, `"wage"`, `"fx_rate"`, `"fuel"`, `""`, `null`, `1`, `"FUEL_PRICE"`, `"fuel\u005fprice"`},
		"version":      {`1`, `"1"`, `2`, `"01"`, `1.0`, `null`, `""`, `true`},
		"id":           {`"abc"`, `"x\u0000y"`, `""`, `"` + strings.Repeat("i", 201) + `"`, `"\u00e9t\u00e9"`, `"a\tb"`},
		"source":       {`"stat.gov.kz"`, `"nationalbank.kz"`, `"a|b\\c"`, `""`, `null`, `"ecb"`, `"` + strings.Repeat("s", 201) + `"`, `"\u0007"`},
		"date":         {`"2022-01-04"`, `"2022-02-29"`, `"2024-02-29"`, `"1969-12-31"`, `"1970-01-01"`, `"2105-12-31"`, `"2106-01-01"`, `"0000-01-01"`, `"2022-13-01"`, `"2022-1-4"`, `"22-01-04"`, `"2022-01-04T00:00:00Z"`, `"9999-12-31"`, `"2000-02-29"`, `"1900-02-29"`, `""`, `20220104`},
		"frequency":    {`"D"`, `"W"`, `"M"`, `"Q"`, `"A"`, `"d"`, `"X"`, `"DD"`, `""`},
		"published_at": {`"2022-01-04T18:00:00Z"`, `"2022-01-04T18:00:00.123456789Z"`, `"2022-01-04T18:00:00.1234567891234Z"`, `"2022-01-05T10:00:00+06:00"`, `"2022-01-05T10:00:00-00:00"`, `"2022-01-04T8:00:00Z"`, `"2022-01-04T18:00:00,5Z"`, `"2022-01-04T18:00:00+24:00"`, `"2022-01-04T18:00:00+23:60"`, `"2022-01-04T24:00:00Z"`, `"2022-01-04T23:59:60Z"`, `"2022-01-04 18:00:00Z"`, `"2022-01-04T18:00:00z"`, `"2022-01-04T18:00:00"`, `"2022-01-04T18:00Z"`, `"2022-02-30T00:00:00Z"`, `"1969-12-31T23:59:59Z"`, `"1970-01-01T00:00:00+01:00"`, `"2105-12-31T23:59:59.999999999Z"`, `"2106-01-01T00:00:00Z"`, `"2022-01-04T18:00:00.Z"`, `"2022-01-04T18:00:00.5+06:00"`, `"0000-01-01T00:00:00Z"`, `"2022-01-04T18:00:00+0600"`, `""`},
		"status":       {`"A"`, `"P"`, `"E"`, `"AB"`, `"a"`, `"ABC"`, `""`, `"Ä"`},
		"unit_mult":    {`0`, `3`, `-18`, `18`, `19`, `"3"`, `"-3"`, `1.5`, `"x"`, `"-"`, `1234567890123456789`, `-0`},
		"attributes":   {`{}`, `{"a":"1","b":"2"}`, `{"a":1}`, `{"a":"1","a":"2"}`, `{"":"x"}`, `[]`, `"x"`, `""`, `null`, `{"a":{"b":"c"}}`, `{"k":"\u0001"}`, `1`, `true`},
		"country":      {`"KZ"`, `"kz"`, `"KAZ"`, `""`, `"DE"`},
		"region":       {`"KZ-MAN"`, `"KZ-1"`, `"KZ-ABCD"`, `"DE-BY"`, `""`, `"KZMAN"`},
		"product":      {`"lpg"`, `"diesel"`, `"Diesel"`, `"gasoline_ai92"`, `""`, `"a-b"`},
		"tax_basis":    {`"incl_tax"`, `"excl_tax"`, `"gross"`, `""`},
		"currency":     {`"KZT"`, `"EUR"`, `"USD"`, `"kzt"`, `"KZ"`, `""`},
		"unit":         {`"litre"`, `"1000_litres"`, `"us_gallon"`, `"imp_gallon"`, `"barrel"`, `"kg"`, `"tonne"`, `"liter"`, `""`},
		"measure":      {`"minimum"`, `"average"`, `"Median"`, `""`},
		"per":          {`"hour"`, `"day"`, `"week"`, `"month"`, `"year"`, `"decade"`, `""`},
		"basis":        {`"gross"`, `"net"`, `"both"`, `""`},
		"base":         {`"KRW"`, `"EUR"`, `"KZT"`, `"usd"`},
		"quote":        {`"KZT"`, `"EUR"`, `"KRW"`, `""`},
		"rate_type":    {`"official"`, `"reference"`, `"market"`, `"black"`, `""`},
		"quantity":     {`1`, `100`, `0`, `-1`, `"100"`, `1e2`, `1234567890123456789`},
	}
	randDecimals = []string{"120.5", "0", "-0", "-1", "1e2", "1.205E2", "1e-18", "1e-19", "120,5", "42 500", "0x1A",
		".5", "5.", "NaN", "1e999999999", "123456789012.123456", "99999999999999999999.999999999999999999",
		"18446744073709551615", "18446744073709551616", "9999999999999999999", "10000000000000000000",
		"0.000000000000000001", "0.0000000000000000010", "00000000000000000000001.5", "-123.450", "1.", "--1", "+1", ""}
)

// goodValues are values every kind accepts (for its own fields).
var goodValues = map[string][]string{
	"version": {`1`, `"1"`, `null`}, "id": {`"abc"`, `"\u00e9t\u00e9"`, `""`}, "frequency": {`"D"`, `"W"`, `"M"`, `"Q"`, `"A"`, `""`},
	"published_at": {`"2022-01-04T18:00:00Z"`, `"2022-01-04T18:00:00.123456789Z"`, `"2022-01-04T18:00:00.1234567891234Z"`,
		`"2022-01-05T10:00:00+06:00"`, `"2022-01-05T10:00:00-00:00"`, `"2022-01-04T8:00:00Z"`, `"2022-01-04T18:00:00,5Z"`,
		`"2022-01-04T18:00:00+24:00"`, `"1970-01-01T00:00:00+01:00"`, `"2105-12-31T23:59:59.999999999Z"`, `"2022-01-04T18:00:00.5+06:00"`},
	"status": {`"A"`, `"P"`, `"E"`, `"AB"`}, "unit_mult": {`0`, `3`, `-18`, `18`, `"3"`, `"-3"`, `-0`},
	"attributes": {`{}`, `{"a":"1","b":"2"}`, `null`, `{"k":"\u00e9"}`},
	"region":     {`"KZ-MAN"`, `"KZ-1"`, `""`}, "tax_basis": {`"incl_tax"`, `"excl_tax"`, `""`}, "basis": {`"gross"`, `"net"`},
	"rate_type": {`"official"`, `"reference"`, `"market"`, `""`}, "quantity": {`1`, `100`, `"100"`},
	"source": {`"stat.gov.kz"`, `"a|b\\c"`}, "date": {`"2022-01-04"`, `"2024-02-29"`, `"1970-01-01"`, `"2105-12-31"`, `"2000-02-29"`},
	"country": {`"KZ"`}, "product": {`"lpg"`, `"gasoline_ai92"`}, "currency": {`"KZT"`, `"EUR"`, `"USD"`},
	"unit":    {`"litre"`, `"1000_litres"`, `"us_gallon"`, `"imp_gallon"`, `"barrel"`, `"kg"`, `"tonne"`},
	"measure": {`"minimum"`, `"average"`}, "per": {`"hour"`, `"day"`, `"week"`, `"month"`, `"year"`},
	"base": {`"KRW"`, `"EUR"`}, "quote": {`"KZT"`, `"USD"`},
}

// randMessage builds a random message from the pools above, sometimes mangled.
func randMessage(rng *rand.Rand) []byte {
	switch rng.IntN(3) {
	case 0:
		return randGoodMessage(rng, false)
	case 1:
		return randGoodMessage(rng, true)
	}
	var b strings.Builder
	kinds := []string{"fuel_price", "wage", "fx_rate"}
	kind := kinds[rng.IntN(3)]
	var keys []string
	switch kind {
	case "fuel_price":
		keys = []string{"kind", "source", "date", "country", "region", "product", "price", "currency", "unit"}
	case "wage":
		keys = []string{"kind", "source", "date", "country", "measure", "amount", "currency", "per"}
	default:
		keys = []string{"kind", "source", "date", "base", "quote", "rate", "quantity"}
	}
	for n := rng.IntN(4); n > 0; n-- {
		keys = append(keys, randKeys[rng.IntN(len(randKeys))])
	}
	if rng.IntN(4) == 0 && len(keys) > 1 {
		keys = append(keys[:rng.IntN(len(keys))], keys[rng.IntN(len(keys)):]...)
	}
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	ws := func() string { return []string{"", "", "", " ", "\n\t", "\r "}[rng.IntN(6)] }
	b.WriteString(ws() + "{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(ws() + ",")
		}
		var v string
		switch k {
		case "kind":
			if rng.IntN(8) == 0 {
				v = randValues["kind"][rng.IntN(len(randValues["kind"]))]
			} else {
				v = `"` + kind + `"`
			}
		case "price", "amount", "rate":
			dv := randDecimals[rng.IntN(len(randDecimals))]
			if rng.IntN(2) == 0 {
				dv = randDecimalText(rng)
			}
			if rng.IntN(3) == 0 {
				v = dv
			} else {
				v = strconv.Quote(dv)
			}
		default:
			if vs, ok := randValues[k]; ok {
				v = vs[rng.IntN(len(vs))]
			} else {
				v = `"v"`
			}
		}
		b.WriteString(ws() + `"` + k + `"` + ws() + ":" + ws() + v)
	}
	b.WriteString(ws() + "}" + ws())
	msg := []byte(b.String())
	// Sometimes mangle a few bytes.
	for n := rng.IntN(3); n > 0 && rng.IntN(3) == 0 && len(msg) > 0; n-- {
		i := rng.IntN(len(msg))
		switch rng.IntN(3) {
		case 0:
			const mangle = "{}[]\":,\\ 0123456789.eE-+tfnul\x00\xff\u00e9"
			msg[i] = mangle[rng.IntN(len(mangle))]
		case 1:
			msg = append(msg[:i], msg[i+1:]...)
		case 2:
			msg = append(msg[:i], append([]byte{msg[rng.IntN(len(msg))]}, msg[i:]...)...)
		}
	}
	return msg
}

// randGoodMessage builds a random message that is mostly accepted; with oneBad, one of its members
// (or an added one) takes any value from randValues, such as a wrong type or a near miss.
func randGoodMessage(rng *rand.Rand, oneBad bool) []byte {
	var keys, optional []string
	kind := []string{"fuel_price", "wage", "fx_rate"}[rng.IntN(3)]
	common := []string{"version", "id", "frequency", "published_at", "status", "unit_mult", "attributes"}
	switch kind {
	case "fuel_price":
		keys = []string{"source", "date", "country", "product", "price", "currency", "unit"}
		optional = append(common, "region", "tax_basis")
	case "wage":
		keys = []string{"source", "date", "country", "measure", "amount", "currency", "per"}
		optional = append(common, "region", "basis")
	default:
		keys = []string{"source", "date", "base", "quote", "rate"}
		optional = append(common, "rate_type", "quantity")
	}
	for _, k := range optional {
		if rng.IntN(3) == 0 {
			keys = append(keys, k)
		}
	}
	keys = append(keys, "kind")
	bad := -1
	if oneBad {
		if rng.IntN(3) == 0 {
			keys = append(keys, randKeys[rng.IntN(len(randKeys))])
		}
		bad = rng.IntN(len(keys))
	}
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		var v string
		switch k {
		case "kind":
			v = `"` + kind + `"`
		case "price", "amount", "rate":
			v = randDecimalText(rng)
			if rng.IntN(4) == 0 {
				v = []string{"120.5", "1e2", "1.205E2", "1e-18", "123456789012.123456", "18446744073709551615", "0.000000000000000001"}[rng.IntN(7)]
			}
			if rng.IntN(2) == 0 {
				v = strconv.Quote(v)
			}
		default:
			vs := goodValues[k]
			if len(vs) == 0 {
				vs = []string{`"v"`}
			}
			v = vs[rng.IntN(len(vs))]
		}
		if i == bad {
			if vs, ok := randValues[k]; ok {
				v = vs[rng.IntN(len(vs))]
			} else {
				v = []string{`null`, `""`, `1`, `"x"`, `{}`, `[]`, `true`, `{"a":"b"}`, randDecimals[rng.IntN(len(randDecimals))]}[rng.IntN(9)]
			}
		}
		b.WriteString(`"` + k + `":` + v)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// randDecimalText returns a random decimal text around the fast path's limits.
func randDecimalText(rng *rand.Rand) string {
	var b strings.Builder
	if rng.IntN(3) == 0 {
		b.WriteByte('-')
	}
	for n := rng.IntN(3); n > 0; n-- {
		b.WriteByte('0')
	}
	digits := func(n int) {
		for ; n > 0; n-- {
			switch rng.IntN(5) {
			case 0:
				b.WriteByte('0')
			case 1:
				b.WriteByte('9')
			default:
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
	}
	digits(1 + rng.IntN(22))
	if rng.IntN(2) == 0 {
		b.WriteByte('.')
		digits(rng.IntN(22))
	}
	if rng.IntN(6) == 0 {
		b.WriteString([]string{"e", "E", "e-", "e+", "E-"}[rng.IntN(5)])
		digits(rng.IntN(4))
	}
	return b.String()
}

func TestDecodeMatchesReferenceRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var d Decoder
	var rd refDecoder
	accepted := 0
	n := 60000
	if testing.Short() {
		n = 5000
	}
	for i := 0; i < n; i++ {
		msg := randMessage(rng)
		sameDecode(t, msg, &d, &rd)
		if _, err := DecodeJSON(msg); err == nil {
			accepted++
		}
	}
	if accepted < n/50 {
		t.Fatalf("only %d of %d random messages accepted: the generator does not reach the success path", accepted, n)
	}
	t.Logf("%d of %d random messages accepted", accepted, n)
}

// decimalEdgeInputs are ParseDecimal inputs at the fast path's limits.
func decimalEdgeInputs() []string {
	var in []string
	in = append(in, randDecimals...)
	for _, sign := range []string{"", "-"} {
		for n := 1; n <= 40; n++ {
			for _, d := range []string{"9", "1", "0", "5"} {
				body := strings.Repeat(d, n)
				in = append(in, sign+body, sign+"0"+body, sign+"1"+strings.Repeat("0", n))
				for f := 0; f <= 20 && f <= n; f++ {
					in = append(in, sign+body[:n-f]+"."+body[n-f:], sign+"0."+body[:f]+"1", sign+"1."+strings.Repeat("0", f))
				}
			}
		}
		for _, s := range []string{"18446744073709551615", "18446744073709551616", "9223372036854775807", "9223372036854775808",
			"1844674407370955161.5", "184467440737095516.15", "0.18446744073709551615", "99999999999999999.99", "999999999999999999.9"} {
			in = append(in, sign+s, sign+s+"0", sign+"0"+s)
		}
	}
	return in
}

func checkParseDecimalAgainstReference(t testing.TB, s string) {
	t.Helper()
	got, gotErr := ParseDecimal(s)
	want, wantErr := refParseDecimal(s)
	if !reflect.DeepEqual(gotErr, wantErr) || !reflect.DeepEqual(got, want) || (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("ParseDecimal(%q) = %v, %v; reference %v, %v", s, got, gotErr, want, wantErr)
	}
	if fast, ok := parseDecimalFast(s); ok {
		slow, err := parseDecimalSlow(s)
		if err != nil || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast path %v, general path %v, %v", s, fast, slow, err)
		}
		if r, ok := new(big.Rat).SetString(s); !ok || r.Cmp(fast.Rat()) != 0 {
			t.Fatalf("%q: fast path %v is not big.Rat's %v", s, fast, r)
		}
	}
	if b, bErr := parseDecimal([]byte(s)); !reflect.DeepEqual(b, got) || (bErr == nil) != (gotErr == nil) || (bErr != nil && !reflect.DeepEqual(bErr, gotErr)) {
		t.Fatalf("%q: bytes %v, %v; string %v, %v", s, b, bErr, got, gotErr)
	}
	if gotErr == nil {
		if str, ref := got.String(), refDecimalString(got); str != ref {
			t.Fatalf("%q: String %q, reference %q", s, str, ref)
		}
	}
}

func TestParseDecimalMatchesReference(t *testing.T) {
	fast := 0
	for _, s := range decimalEdgeInputs() {
		checkParseDecimalAgainstReference(t, s)
		if _, ok := parseDecimalFast(s); ok {
			fast++
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		s := randDecimalText(rng)
		checkParseDecimalAgainstReference(t, s)
		if _, ok := parseDecimalFast(s); ok {
			fast++
		}
	}
	if fast < 1000 {
		t.Fatalf("only %d inputs took the fast path", fast)
	}
}

func TestDecimalTextMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	coefs := []*big.Int{new(big.Int), big.NewInt(1), big.NewInt(-1), new(big.Int).SetUint64(1<<64 - 1),
		new(big.Int).Neg(new(big.Int).SetUint64(1<<64 - 1)), big.NewInt(-1 << 63), big.NewInt(1<<63 - 1),
		new(big.Int).Neg(new(big.Int).SetUint64(1 << 63)), new(big.Int).Lsh(big.NewInt(1), 64), new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 64)),
		pow10(38), new(big.Int).Neg(pow10(37))}
	for i := 0; i < 20000; i++ {
		x, _ := new(big.Int).SetString("1"+randDigits2(rng, rng.IntN(40)), 10)
		if rng.IntN(2) == 0 {
			x.Neg(x)
		}
		coefs = append(coefs, x)
	}
	for _, c := range coefs {
		for _, scale := range []int32{0, 1, 2, 5, 17, 18, 19, 30, -1, -3} {
			d := Decimal{Coef: c, Scale: scale}
			if got, want := d.String(), refDecimalString(d); got != want {
				t.Fatalf("%v scale %d: String %q, reference %q", c, scale, got, want)
			}
			if got, want := string(d.appendText([]byte("x"))), string(refAppendText(d, []byte("x"))); got != want {
				t.Fatalf("%v scale %d: appendText %q, reference %q", c, scale, got, want)
			}
		}
	}
	if got, want := (Decimal{}).String(), refDecimalString(Decimal{}); got != want {
		t.Fatalf("zero Decimal: %q, reference %q", got, want)
	}
}

func TestParseDateMatchesReference(t *testing.T) {
	check := func(s string) {
		got, gotErr := parseDate(s)
		want, wantErr := refParseDate(s)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Fatalf("parseDate(%q) = %v, %v; reference %v, %v", s, got, gotErr, want, wantErr)
		}
		if b, bErr := parseDate([]byte(s)); !reflect.DeepEqual(b, got) || !reflect.DeepEqual(bErr, gotErr) {
			t.Fatalf("parseDate(%q) bytes differ", s)
		}
	}
	for y := 0; y <= 9999; y += 1 + y%7 {
		for m := 0; m <= 13; m++ {
			for _, d := range []int{0, 1, 15, 28, 29, 30, 31, 32} {
				check(fmt.Sprintf("%04d-%02d-%02d", y, m, d))
			}
		}
	}
	for _, s := range []string{"", "2022-01-0", "2022-01-004", "2022/01/04", "202a-01-04", "-022-01-04", "2022-01-04 "} {
		check(s)
	}
}

// rfc3339Inputs are time texts around parseRFC3339's limits, many of them accepted only by the
// general time.Parse.
func rfc3339Inputs(rng *rand.Rand) []string {
	in := randValues["published_at"]
	for i := 0; i < 50000; i++ {
		two := func(max int) string {
			if rng.IntN(20) == 0 {
				return []string{"1", "x", "001", "-1", "+1", " 1"}[rng.IntN(6)]
			}
			return fmt.Sprintf("%02d", rng.IntN(max+1))
		}
		y := fmt.Sprintf("%04d", []int{0, 1, 1899, 1900, 1969, 1970, 2000, 2022, 2024, 2100, 2105, 2106, 9999}[rng.IntN(13)])
		if rng.IntN(30) == 0 {
			y = []string{"22", "20222", "-2022", "+2022"}[rng.IntN(4)]
		}
		s := y + "-" + two(13) + "-" + two(32) + []string{"T", "T", "T", "t", " "}[rng.IntN(5)] + two(25) + ":" + two(61) + ":" + two(61)
		switch rng.IntN(5) {
		case 0:
			s += "." + strings.Repeat(strconv.Itoa(rng.IntN(10)), 1+rng.IntN(12))
		case 1:
			s += []string{".", ",5", ".5.5", ".123456789"}[rng.IntN(4)]
		}
		switch rng.IntN(6) {
		case 0, 1:
			s += "Z"
		case 2, 3:
			s += []string{"+", "-"}[rng.IntN(2)] + two(25) + ":" + two(61)
		case 4:
			s += []string{"z", "", "Z ", "+0600", "+06", "+06:00:00", "UTC", "ZZ"}[rng.IntN(8)]
		}
		in = append(in, s)
	}
	return in
}

func TestParseRFC3339MatchesTimeParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	fast := 0
	for _, s := range rfc3339Inputs(rng) {
		want, err := time.Parse(time.RFC3339Nano, s)
		got, ok := parseRFC3339(s)
		if ok {
			fast++
			if err != nil {
				t.Fatalf("parseRFC3339(%q) accepts what time.Parse rejects: %v", s, err)
			}
			if w := want.UTC(); !reflect.DeepEqual(got, w) {
				t.Fatalf("parseRFC3339(%q) = %v, time.Parse %v", s, got, w)
			}
		}
		if b, bok := parseRFC3339([]byte(s)); bok != ok || !reflect.DeepEqual(b, got) {
			t.Fatalf("parseRFC3339(%q): bytes differ", s)
		}
		// The whole field, with its time.Parse fallback, against the reference.
		var r, ref Record
		gotErr := setTyped(&r, fPublishedAt, s)
		wantErr := refSetText(&ref, fPublishedAt, s)
		if s == "" {
			continue // absent: setTyped is never called with empty text
		}
		if !reflect.DeepEqual(gotErr, wantErr) || !reflect.DeepEqual(r, ref) {
			t.Fatalf("published_at %q: %v %v; reference %v %v", s, r.PublishedAt, gotErr, ref.PublishedAt, wantErr)
		}
	}
	if fast < 1000 {
		t.Fatalf("only %d inputs took the fast path", fast)
	}
}

func TestAppendRFC3339NanoMatchesTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	times := []time.Time{{}, time.Unix(0, 0), time.Unix(-1, 999_999_999), time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 100, time.UTC)}
	for i := 0; i < 100000; i++ {
		sec := rng.Int64N(400*365*86400) - 100*365*86400
		ns := []int64{0, 0, rng.Int64N(1e9), rng.Int64N(1000) * 1e6, 1, 999_999_999, 100_000_000}[rng.IntN(7)]
		times = append(times, time.Unix(sec, ns))
	}
	for _, tm := range times {
		for _, loc := range []*time.Location{time.UTC, time.FixedZone("", 6*3600), time.FixedZone("", -90*60)} {
			x := tm.In(loc)
			got := string(appendRFC3339Nano([]byte("x"), x.UTC()))
			want := string(x.UTC().AppendFormat([]byte("x"), time.RFC3339Nano))
			if got != want {
				t.Fatalf("%v: %q, want %q", x, got, want)
			}
		}
	}
}

func TestRecordIDMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for i := 0; i < 20000; i++ {
		msg := randMessage(rng)
		r, err := DecodeJSON(msg)
		if err != nil {
			continue
		}
		if rng.IntN(2) == 0 {
			r.PublishedAt = time.Unix(rng.Int64N(1<<40)-1<<39, rng.Int64N(1e9)).UTC()
		}
		if rng.IntN(5) == 0 {
			r.PublishedAt = r.PublishedAt.In(time.FixedZone("", 3600))
		}
		if got, want := RecordID(&r), refRecordID(&r); got != want {
			t.Fatalf("%+v: RecordID %s, reference %s", r, got, want)
		}
	}
}

func randDigits2(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}

// TestValidateMatchesReference runs hand-built records, with dates and times decoding never
// produces, through Validate and the reference.
func TestValidateMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	dates := []time.Time{{}, time.Date(2022, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2022, 1, 5, 0, 0, 0, 1, time.UTC),
		time.Date(2022, 1, 5, 0, 0, 1, 0, time.UTC), time.Date(2022, 1, 5, 6, 0, 0, 0, time.FixedZone("", 6*3600)),
		time.Date(2022, 1, 5, 0, 0, 0, 0, time.FixedZone("", 0)), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(1960, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(1960, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2022, 1, 5, 0, 0, 0, 0, time.Local), time.Date(2022, 1, 5, 0, 0, 0, 0, time.UTC).Add(time.Hour * 24 * 365 * 200)}
	times := append(dates, time.Date(2105, 12, 31, 23, 59, 59, 999_999_999, time.UTC), time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600)), time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC))
	texts := []string{"", "x", "KZ", "KZ-MAN", "lpg", "KZT", "EUR", "litre", "incl_tax", "month", "gross", "official",
		"a\x00b", "\u00e9", "\xff", "a\x7fb", "\u0085", strings.Repeat("y", 201), "A", "AB", "D"}
	pick := func() string { return texts[rng.IntN(len(texts))] }
	for i := 0; i < 100000; i++ {
		r := Record{Kind: []Kind{KindFuelPrice, KindWage, KindFXRate, "", "x"}[rng.IntN(5)], Version: rng.IntN(3),
			ID: pick(), Source: pick(), Date: dates[rng.IntN(len(dates))], Frequency: pick(), Status: pick(),
			UnitMult: rng.IntN(41) - 20, Country: pick(), Region: pick(), Product: pick(), TaxBasis: pick(),
			Currency: pick(), Unit: pick(), Measure: pick(), Per: pick(), Basis: pick(), Base: pick(), Quote: pick(),
			RateType: pick(), Quantity: int64(rng.IntN(3) - 1)}
		if rng.IntN(2) == 0 {
			r.PublishedAt = times[rng.IntN(len(times))]
		}
		for _, d := range []*Decimal{&r.Price, &r.Amount, &r.Rate} {
			if rng.IntN(2) == 0 {
				*d = Decimal{Coef: big.NewInt(rng.Int64N(5) - 2), Scale: int32(rng.IntN(3))}
			}
		}
		if rng.IntN(10) == 0 {
			r.Attributes = map[string]string{pick(): pick()}
		}
		if rng.IntN(3) == 0 { // mostly valid
			r = lpgRecord(t)
			r.Date = dates[rng.IntN(len(dates))]
			r.PublishedAt = times[rng.IntN(len(times))]
			r.Source = pick()
		}
		got, want := Validate(&r), refValidate(&r)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v:\n Validate  %v\n reference %v", r, got, want)
		}
	}
}

func TestPrefixLength(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 129, 300, 16383, 16384, 20000} {
		content := strings.Repeat("c", n)
		b := append([]byte("head"), 0)
		b = append(b, content...)
		got := prefixLength(b, 4)
		want := binary.AppendUvarint([]byte("head"), uint64(n))
		want = append(want, content...)
		if string(got) != string(want) {
			t.Fatalf("n=%d: prefixLength differs", n)
		}
		if string(appendLP([]byte("head"), content)) != string(want) {
			t.Fatalf("n=%d: appendLP differs", n)
		}
	}
}

// refCSVDecode is CSVDecoder.Decode as it was, on the reference setText and JSON parser.
func refCSVDecode(d *CSVDecoder, row []string) (Record, error) {
	if len(row) != len(d.columns) {
		return Record{}, newError(CodeInvalidField, "", "row has "+strconv.Itoa(len(row))+" cells but the header has "+strconv.Itoa(len(d.columns)))
	}
	var r Record
	if err := refSetText(&r, fKind, row[d.kindCol]); err != nil {
		return Record{}, err
	}
	if r.Kind == "" {
		return Record{}, fieldError(CodeMissingField, "kind", "is required; accepted: fuel_price, wage, fx_rate")
	}
	for i, id := range d.columns {
		if id == fVersion {
			if err := refSetText(&r, id, row[i]); err != nil {
				return Record{}, err
			}
		}
	}
	bit := kindBit(r.Kind)
	for i, id := range d.columns {
		cell := row[i]
		if cell == "" || id == fKind || id == fVersion {
			continue
		}
		if fieldSpecs[id].kinds&bit == 0 {
			return Record{}, notInKind(id, r.Kind)
		}
		if id == fAttributes {
			p := refJsonParser{data: []byte(cell)}
			p.skipWS()
			if p.pos >= len(p.data) || p.data[p.pos] != '{' {
				return Record{}, fieldError(CodeWrongType, "attributes", "must be a JSON object of strings, e.g. {\"note\":\"text\"}")
			}
			f := refJsonField{key: "attributes"}
			if err := p.parseStringObject(&f); err != nil {
				return Record{}, fieldError(err.(*Error).Code, "attributes", err.(*Error).Reason)
			}
			p.skipWS()
			if p.pos != len(p.data) {
				return Record{}, fieldError(CodeInvalidJSON, "attributes", "trailing data after the object")
			}
			if f.attrErr != nil {
				return Record{}, f.attrErr
			}
			if len(f.attrs) > 0 {
				r.Attributes = f.attrs
			}
			continue
		}
		if err := refSetText(&r, id, cell); err != nil {
			return Record{}, err
		}
	}
	r.ApplyDefaults()
	if err := refValidate(&r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// TestCSVMatchesReference decodes random rows (the cells of random messages) with CSVDecoder and
// the reference.
func TestCSVMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	accepted := 0
	defer func() { t.Logf("%d rows accepted", accepted) }()
	for i := 0; i < 30000; i++ {
		var header, row []string
		var fields map[string]any
		if json.Unmarshal(randMessage(rng), &fields) != nil {
			continue
		}
		for k, v := range fields {
			header = append(header, k)
			switch v := v.(type) {
			case string:
				row = append(row, v)
			case nil:
				row = append(row, "")
			default:
				b, _ := json.Marshal(v)
				row = append(row, string(b))
			}
		}
		d, err := NewCSVDecoder(header)
		if err != nil {
			continue
		}
		got, gotErr := d.Decode(row)
		want, wantErr := refCSVDecode(d, row)
		if !reflect.DeepEqual(gotErr, wantErr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q %q:\n got  %+v %v\n want %+v %v", header, row, got, gotErr, want, wantErr)
		}
		if gotErr == nil {
			accepted++
		}
	}
}
