package publishers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// numberStyle says how a file writes numbers. Every style ends in transform.ParseDecimal, so a
// number is always read exactly from its text; the styles only decide which separators are
// removed or replaced first, and each refuses a text it cannot read without guessing.
type numberStyle uint8

const (
	// pointDecimal: '.' is the decimal point and nothing else is accepted ("1.0705").
	pointDecimal numberStyle = iota
	// pointDecimalGrouped: '.' is the decimal point; ',' is accepted as a thousands separator
	// only in well-formed groups of three ("1,743.50"), so "1,5" is rejected, never read as 1.5
	// or 15.
	pointDecimalGrouped
	// commaDecimal: ',' is the decimal point ("1743,50"); '.', ' ' and no-break spaces are
	// accepted as thousands separators in well-formed groups of three ("1.743,50"). Without a
	// comma, a single '.' is the decimal point ("1.0705"), except where it is followed by exactly
	// three digits after one to three leading digits ("1.743"): that text reads as 1743 in some
	// exports and 1.743 in others, and is rejected as ambiguous.
	commaDecimal
)

// numberRunes are the characters a number may hold in some style.
const numberRunes = "0123456789.,-+eE \u00a0\u202f"

// parseNumber reads text (already trimmed) as an exact decimal in the given style.
func parseNumber(text string, style numberStyle) (transform.Decimal, error) {
	// The usual case first: a number a style without a decimal comma reads as it is, as
	// ParseDecimal reads it. Its characters are all numberRunes, and such a style changes
	// nothing in a text without ',', so what follows would read it the same.
	if style != commaDecimal && strings.IndexByte(text, ',') < 0 {
		if d, err := transform.ParseDecimal(text); err == nil {
			return d, nil
		}
	}
	s := text
	if i := strings.IndexFunc(text, func(r rune) bool { return !strings.ContainsRune(numberRunes, r) }); i >= 0 {
		return transform.Decimal{}, fmt.Errorf("%q is not a number (unexpected %q)", text, []rune(text[i:])[0])
	}
	switch style {
	case pointDecimalGrouped:
		if strings.Contains(s, ",") {
			intPart, frac, _ := strings.Cut(s, ".")
			plain, ok := ungroup(intPart, ",")
			if !ok {
				return transform.Decimal{}, fmt.Errorf("%q is not a number: ',' is read only as a thousands separator between groups of three digits", text)
			}
			s = plain
			if frac != "" || strings.HasSuffix(text, ".") {
				s += "." + frac
			}
		}
	case commaDecimal:
		if strings.Count(s, ",") > 1 {
			return transform.Decimal{}, fmt.Errorf("%q is not a number: more than one decimal comma", text)
		}
		intPart, frac, hasComma := strings.Cut(s, ",")
		switch {
		case hasComma:
			if !allDigits(frac) {
				return transform.Decimal{}, fmt.Errorf("%q is not a number: only digits may follow the decimal comma", text)
			}
			plain, ok := ungroup(intPart, ".", " ", "\u00a0", "\u202f")
			if !ok {
				return transform.Decimal{}, fmt.Errorf("%q is not a number: '.' and spaces are read only as thousands separators between groups of three digits", text)
			}
			s = plain + "." + frac
		case strings.ContainsAny(s, " \u00a0\u202f") || strings.Count(s, ".") > 1:
			plain, ok := ungroup(s, ".", " ", "\u00a0", "\u202f")
			if !ok {
				return transform.Decimal{}, fmt.Errorf("%q is not a number: separators are read only between groups of three digits", text)
			}
			s = plain
		case isAmbiguousGroup(s):
			return transform.Decimal{}, fmt.Errorf("%q is ambiguous in a file with decimal commas: it may be %s or %s; write it with a decimal comma",
				text, strings.Replace(s, ".", "", 1), s)
		}
	}
	d, err := transform.ParseDecimal(s)
	if err != nil {
		var te *transform.Error
		if errors.As(err, &te) && s != text {
			return transform.Decimal{}, fmt.Errorf("%q (read as %q): %w", text, s, err)
		}
		return transform.Decimal{}, err
	}
	return d, nil
}

// ungroup removes thousands separators from s (an optional '-' and digits) if every group after
// the first has exactly three digits and the first has one to three. One kind of separator may
// be used per number.
func ungroup(s string, seps ...string) (string, bool) {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	used := ""
	for _, sep := range seps {
		if strings.Contains(body, sep) {
			if used != "" {
				return "", false
			}
			used = sep
		}
	}
	if used == "" {
		return s, allDigits(body)
	}
	groups := strings.Split(body, used)
	if len(groups[0]) < 1 || len(groups[0]) > 3 {
		return "", false
	}
	for i, g := range groups {
		if !allDigits(g) || (i > 0 && len(g) != 3) {
			return "", false
		}
	}
	out := strings.Join(groups, "")
	if neg {
		out = "-" + out
	}
	return out, true
}

// isAmbiguousGroup reports whether s looks like "d.ddd", "dd.ddd" or "ddd.ddd".
func isAmbiguousGroup(s string) bool {
	body := strings.TrimPrefix(s, "-")
	intPart, frac, ok := strings.Cut(body, ".")
	return ok && len(intPart) >= 1 && len(intPart) <= 3 && len(frac) == 3 && allDigits(intPart) && allDigits(frac)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseDate reads a date in one of the layouts (Go reference layouts) as UTC midnight.
func parseDate(s string, layouts ...string) (time.Time, error) {
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date in the expected form (%s)", s, strings.Join(humanLayouts(layouts), " or "))
}

func humanLayouts(layouts []string) []string {
	r := strings.NewReplacer("2006", "YYYY", "06", "YY", "01", "MM", "02", "DD", "_2", "D", "January", "Month", "2 ", "D ", "Jan", "Mon")
	out := make([]string, len(layouts))
	for i, l := range layouts {
		out[i] = r.Replace(l)
	}
	return out
}

// parseQuantity reads a positive integer such as the NBK's "100".
func parseQuantity(s string) (int64, error) {
	if !allDigits(s) || len(s) > 18 {
		return 0, fmt.Errorf("quantity %q is not a whole number such as 1, 10 or 100", s)
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	if n < 1 {
		return 0, fmt.Errorf("quantity %q is not ≥ 1", s)
	}
	return n, nil
}

// csvFile is a CSV reader whose delimiter was detected from the header line.
type csvFile struct {
	name  string
	r     *csv.Reader
	comma rune
}

// openCSV skips a UTF-8 byte order mark, detects the delimiter (',' unless the first line has
// more ';' or tabs outside quotes) and returns a reader that allows rows of any length. An empty
// input is a layout error naming expect.
func openCSV(name string, r io.Reader, expect string) (*csvFile, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3) //nolint:errcheck // peeked
	}
	head, _ := br.Peek(br.Size())
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, layoutError(name, 0, "", "empty file: expected "+expect)
	}
	first := head
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	if len(bytes.TrimSpace(first)) == 0 {
		return nil, layoutError(name, 1, "", "the first line is blank: expected a header row, "+expect)
	}
	comma := detectDelimiter(first)
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	return &csvFile{name: name, r: cr, comma: comma}, nil
}

func detectDelimiter(line []byte) rune {
	counts := map[byte]int{}
	inQuote := false
	for _, c := range line {
		switch {
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best, n := byte(','), counts[',']
	for _, c := range []byte{';', '\t'} {
		if counts[c] > n {
			best, n = c, counts[c]
		}
	}
	return rune(best)
}

// read returns the next row with its line number; io.EOF at the end. A CSV syntax error is a
// layout error.
func (f *csvFile) read() ([]string, int, error) {
	row, err := f.r.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			e := layoutError(f.name, pe.Line, "", "not well-formed CSV: "+pe.Err.Error())
			e.Column = pe.Column
			return nil, 0, e
		}
		return nil, 0, fmt.Errorf("read %s: %w", f.name, err)
	}
	line, _ := f.r.FieldPos(0)
	for i := range row {
		row[i] = strings.TrimSpace(row[i])
	}
	return row, line, nil
}

// numberStyle returns the style for a file whose numbers may carry separators: decimal commas in
// semicolon- or tab-separated files, thousands commas in comma-separated ones.
func (f *csvFile) numberStyle() numberStyle {
	if f.comma == ',' {
		return pointDecimalGrouped
	}
	return commaDecimal
}

// blank reports whether every cell is empty.
func blank(row []string) bool {
	for _, c := range row {
		if c != "" {
			return false
		}
	}
	return true
}
