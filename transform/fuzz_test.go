package transform

import (
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// FuzzDecodeJSON checks that DecodeJSON never panics, gives every error a code, rejects what is
// not JSON or not UTF-8, and that a record it accepts is what encoding/json and the oracles read
// in the message (checkAnyInput); the Decoder and DecodeIn give the same.
func FuzzDecodeJSON(f *testing.F) {
	addCorpus(f)
	for _, m := range transformBenchMessages {
		f.Add(m)
	}
	var dec Decoder // shared across inputs, as a consumer's is
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := checkAnyInput(t, data, &dec)
		if err != nil {
			return
		}
		// Keys must not panic.
		_ = IdentityKey(&r)
		_ = SeriesKey(&r)
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
		// The value, form or error the contract gives s; the fast path equals the general one.
		checkParseDecimal(t, s)
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

// FuzzParseRFC3339 checks the published_at fast path and the whole field against time.Parse.
func FuzzParseRFC3339(f *testing.F) {
	for _, s := range randValues["published_at"] {
		f.Add(strings.Trim(s, `"`))
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkPublishedAt(t, s)
	})
}
