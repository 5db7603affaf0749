package transform

// Random and edge-case inputs for the decoding and parsing tests: valid values, near misses and
// hostile ones. They are inputs only; what a test expects of them comes from its oracle.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corpusInputs returns every file of the good, bad and hostile corpora.
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
		"date":         {`"2022-01-04"`, `"2022-02-29"`, `"2024-02-29"`, `"1899-12-31"`, `"1900-01-01"`, `"2299-12-31"`, `"2300-01-01"`, `"1969-12-31"`, `"1970-01-01"`, `"2105-12-31"`, `"2106-01-01"`, `"0000-01-01"`, `"2022-13-01"`, `"2022-1-4"`, `"22-01-04"`, `"2022-01-04T00:00:00Z"`, `"9999-12-31"`, `"2000-02-29"`, `"1900-02-29"`, `""`, `20220104`},
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

func randDigits2(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}
