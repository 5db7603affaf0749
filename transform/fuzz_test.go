package transform

import (
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func addCorpus(f *testing.F) {
	for _, pattern := range []string{"testdata/good/*.json", "testdata/bad/*.json", "testdata/hostile/*.json", "testdata/hostile/*.bin"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err == nil {
				f.Add(data)
			}
		}
	}
}

// FuzzDecodeJSON checks that DecodeJSON never panics, that anything it accepts is valid JSON, and
// that an accepted decimal re-parses to itself and equals big.Rat's reading of the original text.
func FuzzDecodeJSON(f *testing.F) {
	addCorpus(f)
	for _, m := range transformBenchMessages {
		f.Add(m)
	}
	var dec Decoder // shared across inputs, as a consumer's is
	var refDec refDecoder
	f.Fuzz(func(t *testing.T, data []byte) {
		// The optimized decoder gives exactly the reference implementation's record or error,
		// with and without a Decoder.
		sameDecode(t, data, &dec, &refDec)
		r, err := DecodeJSON(data)
		if err != nil {
			if CodeOf(err) == "" {
				t.Fatalf("error without code: %v", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if err := Validate(&r); err != nil {
			t.Fatalf("accepted record fails Validate: %v", err)
		}
		v := r.Value()
		back, err := ParseDecimal(v.String())
		if err != nil || !back.Equal(v) {
			t.Fatalf("value %q does not round-trip: %v", v.String(), err)
		}
		// Oracle: the raw token text of the value field, read by encoding/json + big.Rat.
		var raw map[string]json.RawMessage
		if json.Unmarshal(data, &raw) != nil {
			return
		}
		name := map[Kind]string{KindFuelPrice: "price", KindWage: "amount", KindFXRate: "rate"}[r.Kind]
		tok := strings.TrimSpace(string(raw[name]))
		if strings.HasPrefix(tok, `"`) {
			var s string
			if json.Unmarshal([]byte(tok), &s) != nil {
				return
			}
			tok = s
		}
		want, ok := new(big.Rat).SetString(tok)
		if !ok {
			t.Fatalf("oracle cannot read accepted decimal %q", tok)
		}
		if v.Rat().Cmp(want) != 0 {
			t.Fatalf("value %s != oracle %s for %q", v.String(), want.RatString(), tok)
		}
		// Keys and ids must not panic.
		_ = IdentityKey(&r)
		_ = RecordID(&r)
	})
}

// FuzzParseDecimal checks ParseDecimal against big.Rat on every accepted input.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0", "120.50", "1.205E2", "1e-18", "1e-19", "NaN", "42,500", "42 500",
		"0x1A", ".5", "5.", "1e999999999", "123456789012.123456", "99999999999999999999.999999999999999999",
		"18446744073709551615", "18446744073709551616", "9999999999999999999", "-0.000000000000000001", "0.0000000000000000000",
		"1234567890123456789.0", "-00012.340"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// The fast path equals the general one, and both equal the reference implementation.
		checkParseDecimalAgainstReference(t, s)
		d, err := ParseDecimal(s)
		if err != nil {
			if c := CodeOf(err); c != CodeBadDecimal && c != CodeOutOfRange {
				t.Fatalf("code %q", c)
			}
			return
		}
		if d.Scale < 0 || d.Scale > 18 || d.Fixed18().CmpAbs(pow10(38)) >= 0 {
			t.Fatalf("%q parsed outside Decimal(38,18): %s", s, d.String())
		}
		want, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("accepted %q that big.Rat rejects", s)
		}
		if d.Rat().Cmp(want) != 0 {
			t.Fatalf("%q: %s != %s", s, d.Rat().RatString(), want.RatString())
		}
		back, err := ParseDecimal(d.String())
		if err != nil || !back.Equal(d) {
			t.Fatalf("%q → %q does not round-trip (%v)", s, d.String(), err)
		}
	})
}

// FuzzParseRFC3339 checks the published_at fast path against time.Parse, and the whole field
// against the reference implementation.
func FuzzParseRFC3339(f *testing.F) {
	for _, s := range randValues["published_at"] {
		f.Add(strings.Trim(s, `"`))
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := time.Parse(time.RFC3339Nano, s)
		if got, ok := parseRFC3339(s); ok {
			if err != nil {
				t.Fatalf("parseRFC3339(%q) accepts what time.Parse rejects: %v", s, err)
			}
			if !reflect.DeepEqual(got, want.UTC()) {
				t.Fatalf("parseRFC3339(%q) = %v, time.Parse %v", s, got, want.UTC())
			}
		}
		if s == "" {
			return
		}
		var r, ref Record
		gotErr, wantErr := setTyped(&r, fPublishedAt, s), refSetText(&ref, fPublishedAt, s)
		if !reflect.DeepEqual(gotErr, wantErr) || !reflect.DeepEqual(r, ref) {
			t.Fatalf("published_at %q: %v %v; reference %v %v", s, r.PublishedAt, gotErr, ref.PublishedAt, wantErr)
		}
	})
}
