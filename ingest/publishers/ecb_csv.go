package publishers

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// ECBCSV reads the ECB's euro reference rates CSV: the history file eurofxref-hist.csv
//
//	Date,USD,JPY,BGN,CYP,…,ZAR,
//	2024-06-28,1.0705,171.94,1.9558,N/A,…,19.4970,
//
// and the daily file eurofxref.csv ("Date, USD, JPY, …" then "28 June 2024, 1.0705, …"). Each
// cell becomes an fx_rate as in ECBXML. Publisher quirks handled: the trailing comma that ends
// every line (an empty last column), spaces after the commas in the daily file, its
// "28 June 2024" dates, and "N/A" (or an empty cell) for a currency not quoted that day, which is
// skipped and counted as missing.
type ECBCSV struct{}

var _ Adapter = ECBCSV{}

// Name returns "ecb-csv".
func (ECBCSV) Name() string { return "ecb-csv" }

// Describe says what the format reads.
func (ECBCSV) Describe() string {
	return "ECB euro reference rates CSV (eurofxref-hist.csv, eurofxref.csv): fx_rate EUR→currency, reference; N/A is missing"
}

// NeedsMapping returns false.
func (ECBCSV) NeedsMapping() bool { return false }

const ecbCSVExpect = `an ECB eurofxref CSV: a header "Date,USD,JPY,…" then one row per day`

// Read reads one ECB CSV file.
func (ECBCSV) Read(name string, r io.Reader, opts Options, emit func(transform.Record) error) (Stats, error) {
	s := newSink(name, opts, emit)
	f, err := openCSV(name, r, ecbCSVExpect)
	if err != nil {
		return s.stats, err
	}
	header, hline, err := f.read()
	if err == io.EOF {
		return s.stats, layoutError(name, 0, "", "empty file: expected "+ecbCSVExpect)
	}
	if err != nil {
		return s.stats, err
	}
	if header[0] != "Date" {
		return s.stats, layoutError(name, hline, "column 1", fmt.Sprintf("header %q: expected \"Date\" (%s)", header[0], ecbCSVExpect))
	}
	// A trailing comma leaves empty header cells at the end; they must stay empty in every row.
	n := len(header)
	for n > 1 && header[n-1] == "" {
		n--
	}
	currencies := header[1:n]
	if len(currencies) == 0 {
		return s.stats, layoutError(name, hline, "", "the header names no currency: expected "+ecbCSVExpect)
	}
	seen := map[string]bool{}
	elements := make([]string, len(currencies))  // "column USD", …
	hints := make([]seriesHint, len(currencies)) // each column's rates are of one series
	for i, c := range currencies {
		elements[i] = "column " + c
		if seen[c] {
			return s.stats, layoutError(name, hline, "column "+strconv.Itoa(i+2), fmt.Sprintf("currency %s appears twice in the header", c))
		}
		seen[c] = true
		if !isCurrencyCode(c) {
			return s.stats, layoutError(name, hline, "column "+strconv.Itoa(i+2),
				fmt.Sprintf("header %q is not an ISO 4217 currency code: expected three upper-case letters such as USD", c))
		}
	}
	for {
		row, line, err := f.read()
		if err == io.EOF {
			return s.stats, nil
		}
		if err != nil {
			return s.stats, err
		}
		if blank(row) {
			continue
		}
		if len(row) < n {
			s.invalid(line, "", fmt.Errorf("row has %d cells but the header names %d columns; not read", len(row), n))
			continue
		}
		if !blank(row[n:]) {
			return s.stats, layoutError(name, line, "column "+strconv.Itoa(n+1), "a value beyond the last header column: the header and rows disagree")
		}
		day, err := parseDate(row[0], time.DateOnly, "2 January 2006")
		if err != nil {
			s.invalid(line, "column Date", err)
			continue
		}
		for i, cur := range currencies {
			text := row[i+1]
			el := elements[i]
			if text == "" || text == "N/A" {
				s.missing()
				continue
			}
			rate, err := parseNumber(text, pointDecimal)
			if err != nil {
				s.invalid(line, el, fmt.Errorf("rate: %w", err))
				continue
			}
			rec := transform.Record{Kind: transform.KindFXRate, Source: ECBSource, Date: day, Frequency: "D",
				Base: ECBBase, Quote: cur, Rate: rate, Quantity: 1, RateType: ECBRateType}
			if err := s.putIn(&hints[i], line, el, rec, nil); err != nil {
				return s.stats, err
			}
		}
	}
}

// isCurrencyCode reports whether s is three upper-case ASCII letters.
func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return r < 'A' || r > 'Z' }) < 0
}
