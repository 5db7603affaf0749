package publishers

import (
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/transform"
)

func TestParseNumber(t *testing.T) {
	cases := []struct {
		in    string
		style numberStyle
		want  string // canonical decimal text, or "" for an error
		err   string // part of the error
	}{
		{"1.0705", pointDecimal, "1.0705", ""},
		{"395.10", pointDecimal, "395.10", ""},
		{"1.7178e2", pointDecimal, "171.78", ""},
		{"0.000000000000000001", pointDecimal, "0.000000000000000001", ""},
		{"1,0705", pointDecimal, "", "decimal commas are not accepted"},
		{"1,689.00", pointDecimal, "", "thousands separators"},
		{"0.1234567890123456789", pointDecimal, "", "fractional digits"},
		{"NaN", pointDecimal, "", "not a number"},
		{"12 EUR", pointDecimal, "", "not a number"},
		{"1,689.00", pointDecimalGrouped, "1689.00", ""},
		{"12,345,678.5", pointDecimalGrouped, "12345678.5", ""},
		{"-1,689", pointDecimalGrouped, "-1689", ""},
		{"1,67", pointDecimalGrouped, "", "groups of three"},
		{"1689,00", pointDecimalGrouped, "", "groups of three"},
		{"1,6890.00", pointDecimalGrouped, "", "groups of three"},
		{"1689,00", commaDecimal, "1689.00", ""},
		{"1.689,00", commaDecimal, "1689.00", ""},
		{"9 123,10", commaDecimal, "9123.10", ""},
		{"9\u00a0123,10", commaDecimal, "9123.10", ""},
		{"1.0705", commaDecimal, "1.0705", ""},
		{"1.234.567", commaDecimal, "1234567", ""},
		{"1.689", commaDecimal, "", "ambiguous"},
		{"1,2,3", commaDecimal, "", "more than one decimal comma"},
		{"1,234.5", commaDecimal, "", "only digits may follow"},
		{"16.89,00", commaDecimal, "", "groups of three"},
		{"1.689 000,5", commaDecimal, "", "groups of three"},
	}
	for _, c := range cases {
		d, err := parseNumber(c.in, c.style)
		if c.want != "" {
			if err != nil || d.String() != c.want {
				t.Errorf("parseNumber(%q, %d) = %v, %v; want %s", c.in, c.style, d, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("parseNumber(%q, %d) = %v, %v; want an error containing %q", c.in, c.style, d, err, c.err)
		}
	}
}

func TestSDMXPeriod(t *testing.T) {
	cases := []struct {
		in, date, freq string // date "" for an error
	}{
		{"2024-06-28", "2024-06-28", "D"},
		{"2024-06", "2024-06-01", "M"},
		{"2024-M06", "2024-06-01", "M"},
		{"2024-Q1", "2024-01-01", "Q"},
		{"2024-Q4", "2024-10-01", "Q"},
		{"2024", "2024-01-01", "A"},
		{"2024-A1", "2024-01-01", "A"},
		{"2024-W01", "2024-01-01", "W"},
		{"2024-W26", "2024-06-24", "W"},
		{"2021-W01", "2021-01-04", "W"},
		{"2020-W53", "2020-12-28", "W"},
		{"2024-W53", "", ""},
		{"2024-Q5", "", ""},
		{"2024-13", "", ""},
		{"2024-02-30", "", ""},
		{"2024-S1", "", ""},
		{"2024-06-28T00:00:00", "", ""},
		{"24-06", "", ""},
	}
	for _, c := range cases {
		d, f, err := sdmxPeriod(c.in)
		if c.date == "" {
			if err == nil {
				t.Errorf("sdmxPeriod(%q) = %s %s, want an error", c.in, d.Format(time.DateOnly), f)
			}
			continue
		}
		if err != nil || d.Format(time.DateOnly) != c.date || f != c.freq {
			t.Errorf("sdmxPeriod(%q) = %s %s %v, want %s %s", c.in, d.Format(time.DateOnly), f, err, c.date, c.freq)
		}
	}
}

func TestOilDate(t *testing.T) {
	for in, want := range map[string]string{
		"24/06/2024": "2024-06-24", "24/06/24": "2024-06-24", "24.06.2024": "2024-06-24",
		"2024-06-24": "2024-06-24", "45467": "2024-06-24", "45474.0": "2024-07-01",
	} {
		d, err := oilDate(in)
		if err != nil || d.Format(time.DateOnly) != want {
			t.Errorf("oilDate(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	if _, err := oilDate("06/24/2024"); err == nil {
		t.Error("oilDate accepted a month-first date")
	}
}

// FuzzParseNumber: whatever the style, an accepted text gives a decimal that survives its own
// round trip, and in pointDecimal style exactly what transform.ParseDecimal gives.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1.0705", "1,689.00", "1.689,00", "9 123,10", "1e5", "-0.5", "1,2,3", "1.689", ""} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, s string, style uint8) {
		st := numberStyle(style % 3)
		d, err := parseNumber(s, st)
		if err != nil {
			return
		}
		back, err := transform.ParseDecimal(d.String())
		if err != nil || !back.Equal(d) {
			t.Fatalf("parseNumber(%q) = %s, which does not round-trip: %v", s, d, err)
		}
		if st == pointDecimal {
			want, err := transform.ParseDecimal(s)
			if err != nil || !want.Equal(d) {
				t.Fatalf("pointDecimal %q = %s, ParseDecimal = %s, %v", s, d, want, err)
			}
		}
	})
}
