package transform

import (
	"math/big"
	"strconv"
	"strings"
	"testing"
)

func TestParseDecimalAccepted(t *testing.T) {
	tests := []struct {
		in    string
		coef  string
		scale int32
		str   string
	}{
		{"0", "0", 0, "0"},
		{"-0", "0", 0, "0"},
		{"120", "120", 0, "120"},
		{"120.5", "1205", 1, "120.5"},
		{"120.50", "12050", 2, "120.50"},
		{"-120.50", "-12050", 2, "-120.50"},
		{"007", "7", 0, "7"},
		{"1.205E2", "1205", 1, "120.5"},
		{"1.205e+2", "1205", 1, "120.5"},
		{"1205e-1", "1205", 1, "120.5"},
		{"1e3", "1000", 0, "1000"},
		{"1.5e-3", "15", 4, "0.0015"},
		{"0.000000000000000001", "1", 18, "0.000000000000000001"},
		{"1e-18", "1", 18, "0.000000000000000001"},
		{"123456789012.123456", "123456789012123456", 6, "123456789012.123456"},
		{"99999999999999999999.999999999999999999", "9999999999999999999999999999999999999999"[:38], 18, "99999999999999999999.999999999999999999"},
		{"-99999999999999999999", "-99999999999999999999", 0, "-99999999999999999999"},
		{"12345678901234567890123456789012345678e-18", "12345678901234567890123456789012345678", 18, "12345678901234567890.123456789012345678"},
		{"1.0000000000000000000", "1000000000000000000", 18, "1.000000000000000000"},
		{"0.0000000000000000000000", "0", 18, "0.000000000000000000"},
		{"0e9999", "0", 0, "0"}, // zero with any accepted exponent is zero
		{"0.0e-9999", "0", 18, "0.000000000000000000"},
		{"00000000000000000000000000000001.5", "15", 1, "1.5"},
		{"1E0", "1", 0, "1"},
		{"5e-0", "5", 0, "5"},
		{"100e-2", "100", 2, "1.00"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			d, err := ParseDecimal(tc.in)
			if err != nil {
				t.Fatalf("ParseDecimal(%q): %v", tc.in, err)
			}
			if d.Coef.String() != tc.coef || d.Scale != tc.scale {
				t.Errorf("ParseDecimal(%q) = %s×10^-%d, want %s×10^-%d", tc.in, d.Coef, d.Scale, tc.coef, tc.scale)
			}
			if got := d.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
			checkDecimalOracle(t, tc.in, d)
		})
	}
}

// checkDecimalOracle compares d with big.Rat's own parsing of s and checks the String round trip.
func checkDecimalOracle(t *testing.T, s string, d Decimal) {
	t.Helper()
	want, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("oracle cannot parse %q", s)
	}
	if d.Rat().Cmp(want) != 0 {
		t.Errorf("%q: Rat() = %s, oracle %s", s, d.Rat().RatString(), want.RatString())
	}
	back, err := ParseDecimal(d.String())
	if err != nil {
		t.Fatalf("re-parse %q: %v", d.String(), err)
	}
	if !back.Equal(d) {
		t.Errorf("round trip %q → %q → %s×10^-%d", s, d.String(), back.Coef, back.Scale)
	}
	f := d.Fixed18()
	if new(big.Rat).SetFrac(f, pow10(18)).Cmp(want) != 0 {
		t.Errorf("Fixed18(%q) = %s, not exact", s, f)
	}
}

func TestParseDecimalRejected(t *testing.T) {
	tests := []struct {
		in     string
		code   Code
		reason string // substring of the reason
	}{
		{"", CodeBadDecimal, "empty"},
		{" 1", CodeBadDecimal, "white space"},
		{"1 ", CodeBadDecimal, "white space"},
		{"+1", CodeBadDecimal, "'+'"},
		{"NaN", CodeBadDecimal, "NaN"},
		{"nan", CodeBadDecimal, "NaN"},
		{"Infinity", CodeBadDecimal, "infinities"},
		{"-Infinity", CodeBadDecimal, "infinities"},
		{"Inf", CodeBadDecimal, "infinities"},
		{"0x1A", CodeBadDecimal, "hexadecimal"},
		{"42 500", CodeBadDecimal, `thousands separators are not accepted; write "42500"`},
		{"42,500", CodeBadDecimal, `thousands separators are not accepted; write "42500"`},
		{"1,234,567.89", CodeBadDecimal, "thousands separators"},
		{"42_500", CodeBadDecimal, "thousands separators"},
		{"120,5", CodeBadDecimal, `decimal commas are not accepted; write "120.5"`},
		{".5", CodeBadDecimal, `write "0.5"`},
		{"5.", CodeBadDecimal, "digit after it"},
		{"-", CodeBadDecimal, ""},
		{"--1", CodeBadDecimal, ""},
		{"1e", CodeBadDecimal, "exponent"},
		{"1e+", CodeBadDecimal, "exponent"},
		{"1.2.3", CodeBadDecimal, "more than one"},
		{"1.e5", CodeBadDecimal, ""},
		{"abc", CodeBadDecimal, "unexpected character"},
		{"12a", CodeBadDecimal, "unexpected character"},
		{"1e-19", CodeOutOfRange, "19 fractional digits after applying the exponent"},
		{"0.0000000000000000001", CodeOutOfRange, "19 fractional digits"},
		{"1.1234567890123456789", CodeOutOfRange, "19 fractional digits"},
		{"123456789012345678901", CodeOutOfRange, "21 digits"},
		{"1e20", CodeOutOfRange, "21 digits"},
		{"123456789012345678901234567890123456789", CodeOutOfRange, "39 significant digits"},
		{"12345678901234567890.1234567890123456789", CodeOutOfRange, "39 significant digits"},
		{"1e999999999", CodeOutOfRange, "exponent"},
		{"1e-999999999", CodeOutOfRange, "exponent"},
		{"1e10000", CodeOutOfRange, "exponent"},
		{"1e" + strings.Repeat("9", 100000), CodeOutOfRange, "exponent"},
	}
	for _, tc := range tests {
		name := tc.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			d, err := ParseDecimal(tc.in)
			if err == nil {
				t.Fatalf("ParseDecimal(%q) = %s, want error %s", tc.in, d, tc.code)
			}
			if CodeOf(err) != tc.code {
				t.Errorf("code = %q, want %q (%v)", CodeOf(err), tc.code, err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("reason %q does not contain %q", err.Error(), tc.reason)
			}
		})
	}
}

func TestParseDecimalBoundaries(t *testing.T) {
	// 38 significant digits accepted, 39 rejected; 18 fractional accepted, 19 rejected.
	d38 := strings.Repeat("9", 20) + "." + strings.Repeat("9", 18)
	if _, err := ParseDecimal(d38); err != nil {
		t.Errorf("38 digits: %v", err)
	}
	if _, err := ParseDecimal("1" + d38); CodeOf(err) != CodeOutOfRange {
		t.Errorf("39 digits: got %v", err)
	}
	if _, err := ParseDecimal("0." + strings.Repeat("1", 18)); err != nil {
		t.Errorf("18 fractional: %v", err)
	}
	if _, err := ParseDecimal("0." + strings.Repeat("1", 19)); CodeOf(err) != CodeOutOfRange {
		t.Errorf("19 fractional: got %v", err)
	}
}

func TestDecimalZeroValue(t *testing.T) {
	var d Decimal
	if d.String() != "0" || !d.IsZero() || d.Sign() != 0 || d.Rat().Sign() != 0 || d.Fixed18().Sign() != 0 {
		t.Errorf("zero Decimal misbehaves: %q", d.String())
	}
}

func TestErrorReasonExample(t *testing.T) {
	_, err := DecodeJSON([]byte(`{"kind":"fuel_price","source":"s","date":"2022-01-05","country":"KZ","product":"lpg","price":"120,5","currency":"KZT","unit":"litre"}`))
	want := `bad_decimal: field "price": "120,5" is not a decimal: decimal commas are not accepted; write "120.5"`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestAppendTextMatchesString checks the allocation-free text used by RecordID against String.
func TestAppendTextMatchesString(t *testing.T) {
	for _, s := range []string{"0", "0.00", "-0.5", "120.50", "0.000000000000000001", "-12345678901234567890.123456789012345678", "7", "1e2", "1.5e-3", "-100"} {
		d, err := ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(d.appendText([]byte("x"))); got != "x"+d.String() {
			t.Errorf("%s: appendText %q, String %q", s, got, d.String())
		}
	}
}

// TestDiagnoseSuggestsOnlyValidFixes: a suggested rewrite must itself be a valid decimal.
func TestDiagnoseSuggestsOnlyValidFixes(t *testing.T) {
	for _, s := range []string{"120.5 KZT", "forty two thousand", "42 500", "1 2 3x"} {
		_, err := ParseDecimal(s)
		if err == nil {
			t.Fatalf("%q accepted", s)
		}
		reason := err.(*Error).Reason
		if i := strings.Index(reason, "write \""); i >= 0 {
			sug, err := strconv.Unquote(reason[i+len("write "):][:strings.Index(reason[i+len("write \""):], "\"")+2])
			if err != nil {
				t.Fatalf("%q: reason %q: %v", s, reason, err)
			}
			if _, err := ParseDecimal(sug); err != nil {
				t.Errorf("%q: suggests %q, which is not a valid decimal either (reason %q)", s, sug, reason)
			}
		}
	}
}
