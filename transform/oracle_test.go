package transform

// Oracles written from the contract (docs/contract.md §1, the doc comments of ParseDecimal and
// RecordID), independently of the code they check: a decimal's value and form from a regular
// expression and math/big.Rat, its text from big.Rat.FloatString, dates and times from package
// time, the record id from encoding/binary, crypto/sha256 and the oracles above. The parsers,
// formatters and the id are checked against them on edge cases and random input.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// specDecimalSyntax is the accepted notation: an optional '-', digits, optionally '.' and
// digits, optionally an exponent with an optional sign and digits.
var specDecimalSyntax = regexp.MustCompile(`^-?([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$`)

// specDecimal is what ParseDecimal must make of s: the coefficient and scale, or the code of
// its rejection. The value is big.Rat's reading of s. It is accepted when it is a multiple of
// 10^-18 of magnitude below 10^20 (then it has at most 38 significant digits) and the exponent's
// magnitude is at most 9999; its scale is the fractional digits as written less the exponent,
// kept within 0…18 (beyond 18 only zeros can be dropped: the value is a multiple of 10^-18).
func specDecimal(s string) (coef *big.Int, scale int32, code Code) {
	m := specDecimalSyntax.FindStringSubmatch(s)
	if m == nil {
		return nil, 0, CodeBadDecimal
	}
	exp := new(big.Int)
	if m[3] != "" {
		exp.SetString(strings.TrimPrefix(m[3], "+"), 10)
	}
	if exp.CmpAbs(big.NewInt(9999)) > 0 {
		return nil, 0, CodeOutOfRange
	}
	value, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("big.Rat rejects " + s)
	}
	e := exp.Int64()
	written := int64(len(m[2])) - e
	written = max(0, min(written, MaxScale))
	scaled := new(big.Rat).Mul(value, new(big.Rat).SetInt(tenTo(MaxScale)))
	if !scaled.IsInt() || new(big.Rat).Abs(value).Cmp(new(big.Rat).SetInt(tenTo(20))) >= 0 {
		return nil, 0, CodeOutOfRange
	}
	coef = new(big.Rat).Mul(value, new(big.Rat).SetInt(tenTo(int(written)))).Num()
	return coef, int32(written), ""
}

// specDecimalText is the text of coef × 10^-scale with exactly max(scale, 0) fractional digits.
func specDecimalText(coef *big.Int, scale int32) string {
	v := new(big.Rat).SetInt(coef)
	if scale >= 0 {
		v.Quo(v, new(big.Rat).SetInt(tenTo(int(scale))))
	} else {
		v.Mul(v, new(big.Rat).SetInt(tenTo(int(-scale))))
	}
	return v.FloatString(int(max(scale, 0)))
}

// checkParseDecimal checks ParseDecimal(s) and its byte form against specDecimal, its fast path
// against its general one, and the text of an accepted value against specDecimalText.
func checkParseDecimal(t testing.TB, s string) {
	t.Helper()
	got, err := ParseDecimal(s)
	coef, scale, code := specDecimal(s)
	if code != "" {
		if CodeOf(err) != code {
			t.Fatalf("ParseDecimal(%q) = %v, %v; want %s", s, got, err, code)
		}
		if !strings.Contains(err.Error(), quote(s)) {
			t.Fatalf("ParseDecimal(%q): the reason %q does not quote the input", s, err)
		}
	} else if err != nil || got.Coef.Cmp(coef) != 0 || got.Scale != scale {
		t.Fatalf("ParseDecimal(%q) = %v×10^-%d, %v; want %v×10^-%d", s, got.Coef, got.Scale, err, coef, scale)
	}
	if b, bErr := parseDecimal([]byte(s)); (bErr == nil) != (err == nil) || err == nil && !b.Equal(got) ||
		bErr != nil && bErr.Error() != err.Error() {
		t.Fatalf("%q: from bytes %v, %v; from a string %v, %v", s, b, bErr, got, err)
	}
	if fast, ok := parseDecimalFast(s); ok {
		if err != nil || !fast.Equal(got) {
			t.Fatalf("%q: fast path %v, ParseDecimal %v, %v", s, fast, got, err)
		}
		if slow, err := parseDecimalSlow(s); err != nil || !slow.Equal(fast) {
			t.Fatalf("%q: fast path %v, general path %v, %v", s, fast, slow, err)
		}
	}
	if err == nil {
		if text, want := got.String(), specDecimalText(coef, scale); text != want {
			t.Fatalf("ParseDecimal(%q).String() = %q, want %q", s, text, want)
		}
	}
}

// TestSpecDecimal pins the oracle on cases worked by hand.
func TestSpecDecimal(t *testing.T) {
	for _, c := range []struct {
		in    string
		coef  string
		scale int32
		code  Code
	}{
		{"120.50", "12050", 2, ""}, {"-0", "0", 0, ""}, {"1.205E2", "1205", 1, ""}, {"100e-2", "100", 2, ""},
		{"1e3", "1000", 0, ""}, {"1.0000000000000000000", "1000000000000000000", 18, ""}, {"0e9999", "0", 0, ""},
		{"0.0e-9999", "0", 18, ""}, {"1e-18", "1", 18, ""}, {"99999999999999999999.999999999999999999", strings.Repeat("9", 38), 18, ""},
		{"1e-19", "", 0, CodeOutOfRange}, {"1e20", "", 0, CodeOutOfRange}, {"0e10000", "", 0, CodeOutOfRange},
		{"+1", "", 0, CodeBadDecimal}, {".5", "", 0, CodeBadDecimal}, {"5.", "", 0, CodeBadDecimal}, {"1,5", "", 0, CodeBadDecimal},
		{"NaN", "", 0, CodeBadDecimal}, {"0x1A", "", 0, CodeBadDecimal}, {"", "", 0, CodeBadDecimal}, {" 1", "", 0, CodeBadDecimal},
	} {
		coef, scale, code := specDecimal(c.in)
		if code != c.code || code == "" && (coef.String() != c.coef || scale != c.scale) {
			t.Errorf("specDecimal(%q) = %v, %d, %q; want %s, %d, %q", c.in, coef, scale, code, c.coef, c.scale, c.code)
		}
	}
	for _, c := range []struct {
		coef  int64
		scale int32
		want  string
	}{{12050, 2, "120.50"}, {-5, 1, "-0.5"}, {0, 3, "0.000"}, {7, 0, "7"}, {-1, 18, "-0.000000000000000001"}} {
		if got := specDecimalText(big.NewInt(c.coef), c.scale); got != c.want {
			t.Errorf("specDecimalText(%d, %d) = %q, want %q", c.coef, c.scale, got, c.want)
		}
	}
}

// TestParseDecimalAgainstSpec: every edge input at the fast path's and the contract's limits,
// and 200,000 random ones.
func TestParseDecimalAgainstSpec(t *testing.T) {
	fast := 0
	inputs := decimalEdgeInputs()
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		inputs = append(inputs, randDecimalText(rng))
	}
	for _, s := range inputs {
		checkParseDecimal(t, s)
		if _, ok := parseDecimalFast(s); ok {
			fast++
		}
	}
	if fast < 1000 {
		t.Fatalf("only %d inputs took the fast path", fast)
	}
}

// TestDecimalTextIsExact: String and appendText write exactly coef × 10^-scale with scale
// fractional digits, for coefficients around the word sizes and 38 digits, and scales in and
// past 0…18. (A negative Scale is outside Decimal's domain, and String does not honour it.)
func TestDecimalTextIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	coefs := []*big.Int{new(big.Int), big.NewInt(1), big.NewInt(-1), new(big.Int).SetUint64(1<<64 - 1),
		new(big.Int).Neg(new(big.Int).SetUint64(1<<64 - 1)), big.NewInt(-1 << 63), big.NewInt(1<<63 - 1),
		new(big.Int).Neg(new(big.Int).SetUint64(1 << 63)), new(big.Int).Lsh(big.NewInt(1), 64), new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 64)),
		tenTo(38), new(big.Int).Neg(tenTo(37))}
	for range 20000 {
		x, _ := new(big.Int).SetString("1"+randDigits2(rng, rng.IntN(40)), 10)
		if rng.IntN(2) == 0 {
			x.Neg(x)
		}
		coefs = append(coefs, x)
	}
	for _, c := range coefs {
		for _, scale := range []int32{0, 1, 2, 5, 17, 18, 19, 30} {
			d := Decimal{Coef: c, Scale: scale}
			want := specDecimalText(c, scale)
			if got := d.String(); got != want {
				t.Fatalf("%v scale %d: String %q, want %q", c, scale, got, want)
			}
			if got := string(d.appendText([]byte("x"))); got != "x"+want {
				t.Fatalf("%v scale %d: appendText %q, want %q", c, scale, got, "x"+want)
			}
		}
	}
	if got := (Decimal{}).String(); got != "0" {
		t.Fatalf("zero Decimal: %q", got)
	}
}

var specDateSyntax = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// specDate is what parseDate must make of s: YYYY-MM-DD (exactly four, two and two digits) as
// package time reads it, at UTC midnight, from year 1 on; ok false when it is not one.
func specDate(s string) (time.Time, bool) {
	if !specDateSyntax.MatchString(s) {
		return time.Time{}, false
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil || d.Year() < 1 {
		return time.Time{}, false
	}
	return d, true
}

func TestParseDateAgainstTimeParse(t *testing.T) {
	check := func(s string) {
		got, err := parseDate(s)
		want, ok := specDate(s)
		if ok != (err == nil) || ok && !got.Equal(want) || ok && got.Location() != time.UTC {
			t.Fatalf("parseDate(%q) = %v, %v; time.Parse: %v (ok %v)", s, got, err, want, ok)
		}
		if !ok && CodeOf(err) != CodeInvalidField {
			t.Fatalf("parseDate(%q): code %q, want invalid_field", s, CodeOf(err))
		}
		if b, bErr := parseDate([]byte(s)); !b.Equal(got) || fmt.Sprint(bErr) != fmt.Sprint(err) {
			t.Fatalf("parseDate(%q): bytes %v, %v; string %v, %v", s, b, bErr, got, err)
		}
	}
	for y := 0; y <= 9999; y += 1 + y%7 {
		for m := 0; m <= 13; m++ {
			for _, d := range []int{0, 1, 15, 28, 29, 30, 31, 32} {
				check(fmt.Sprintf("%04d-%02d-%02d", y, m, d))
			}
		}
	}
	for _, y := range []int{1900, 2000, 2100, 2024, 2023, 1} { // leap years and not
		check(fmt.Sprintf("%04d-02-29", y))
	}
	for _, s := range []string{"", "2022-01-0", "2022-01-004", "2022/01/04", "202a-01-04", "-022-01-04", "2022-01-04 ",
		"2022-1-04", "+022-01-04", "２０２２-01-04", "2022-01-04T00:00:00Z"} {
		check(s)
	}
}

// TestParseRFC3339MatchesTimeParse: the published_at fast path agrees with time.Parse wherever
// it applies, and the field as a whole accepts exactly what time.Parse(time.RFC3339Nano)
// accepts, in UTC.
func TestParseRFC3339MatchesTimeParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	fast := 0
	for _, s := range rfc3339Inputs(rng) {
		if checkPublishedAt(t, s) {
			fast++
		}
	}
	if fast < 1000 {
		t.Fatalf("only %d inputs took the fast path", fast)
	}
}

// checkPublishedAt checks parseRFC3339 and the published_at field on s against time.Parse and
// reports whether the fast path applied.
func checkPublishedAt(t testing.TB, s string) bool {
	t.Helper()
	want, err := time.Parse(time.RFC3339Nano, s)
	got, fast := parseRFC3339(s)
	if fast && (err != nil || !reflect.DeepEqual(got, want.UTC())) {
		t.Fatalf("parseRFC3339(%q) = %v; time.Parse: %v, %v", s, got, want.UTC(), err)
	}
	if b, bok := parseRFC3339([]byte(s)); bok != fast || !reflect.DeepEqual(b, got) {
		t.Fatalf("parseRFC3339(%q): bytes differ", s)
	}
	if s == "" {
		return fast // absent: setTyped is never called with empty text
	}
	var r Record
	ferr := setTyped(&r, fPublishedAt, s)
	switch {
	case err != nil && CodeOf(ferr) != CodeInvalidField:
		t.Fatalf("published_at %q: %v; time.Parse rejects it (%v), want invalid_field", s, ferr, err)
	case err == nil && (ferr != nil || !reflect.DeepEqual(r.PublishedAt, want.UTC())):
		t.Fatalf("published_at %q: %v, %v; time.Parse: %v", s, r.PublishedAt, ferr, want.UTC())
	case !reflect.DeepEqual(r, Record{PublishedAt: r.PublishedAt}):
		t.Fatalf("published_at %q set other fields: %+v", s, r)
	}
	return fast
}

func TestAppendRFC3339NanoMatchesTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	times := []time.Time{{}, time.Unix(0, 0), time.Unix(-1, 999_999_999), time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 100, time.UTC)}
	for range 100000 {
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

// specRecordID is RecordID as its doc comment defines it: the first 32 hex digits of the SHA-256
// of kind, version, source, the kind's fields (dimensions, then quantity for a rate), frequency,
// date, the value as written, published_at (RFC 3339 with nanoseconds, UTC; empty if zero),
// status, unit_mult and the attributes sorted by key — strings and texts each prefixed with their
// length as a uvarint, integers as varints.
func specRecordID(r *Record) string {
	var b []byte
	str := func(s string) { b = append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	num := func(n int64) { b = binary.AppendVarint(b, n) }
	str(string(r.Kind))
	num(int64(r.Version))
	str(r.Source)
	switch r.Kind {
	case KindFuelPrice:
		for _, s := range []string{r.Country, r.Region, r.Product, r.TaxBasis, r.Currency, r.Unit} {
			str(s)
		}
	case KindWage:
		for _, s := range []string{r.Country, r.Region, r.Measure, r.Basis, r.Currency, r.Per} {
			str(s)
		}
	case KindFXRate:
		for _, s := range []string{r.Base, r.Quote, r.RateType} {
			str(s)
		}
		num(r.Quantity)
	case KindIndicator:
		for _, s := range []string{r.Series, r.Country, r.Region, r.Measure, r.Unit, r.Currency, r.BasePeriod, r.Adjustment} {
			str(s)
		}
	}
	str(r.Frequency)
	str(r.Date.Format("2006-01-02"))
	v := r.Value()
	if v.Coef == nil {
		str("0")
	} else {
		str(specDecimalText(v.Coef, v.Scale))
	}
	if r.PublishedAt.IsZero() {
		str("")
	} else {
		str(r.PublishedAt.UTC().Format(time.RFC3339Nano))
	}
	str(r.Status)
	num(int64(r.UnitMult))
	num(int64(len(r.Attributes)))
	keys := make([]string, 0, len(r.Attributes))
	for k := range r.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		str(k)
		str(r.Attributes[k])
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// TestRecordIDAgainstSpec: the ids of random decoded records, with published_at set, absent or
// in another zone, and long texts whose length prefixes take several bytes.
func TestRecordIDAgainstSpec(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	checked := 0
	for range 20000 {
		r, err := DecodeJSON(randMessage(rng))
		if err != nil {
			continue
		}
		switch rng.IntN(4) {
		case 0:
			r.PublishedAt = time.Unix(rng.Int64N(1<<40)-1<<39, rng.Int64N(1e9)).UTC()
		case 1:
			r.PublishedAt = r.PublishedAt.In(time.FixedZone("", 3600))
		case 2:
			r.Source = strings.Repeat("s", 100+rng.IntN(300))
			r.Attributes = map[string]string{strings.Repeat("k", rng.IntN(200)+1): strings.Repeat("v", rng.IntN(20000))}
		}
		if got, want := RecordID(&r), specRecordID(&r); got != want {
			t.Fatalf("%+v: RecordID %s, want %s", r, got, want)
		}
		checked++
	}
	if checked < 1000 {
		t.Fatalf("only %d random records decoded", checked)
	}
}
