package dashboard

import (
	"encoding/csv"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// maxHTMLRows bounds the rows a page's table shows; its CSV has them all.
const maxHTMLRows = 1000

// column is one column of a table: its CSV header is the view's column name.
type column struct {
	Name  string // CSV header, the column's name in the SQL surface
	Label string // HTML header
	Num   bool   // right-aligned
}

// cell is one value. Text is the exact value as ClickHouse returned it (CSV and the HTML title);
// Show is what the HTML shows (a decimal rounded for display).
type cell struct {
	Text  string
	Null  bool   // SQL NULL: empty in the CSV
	Show  string // HTML text; Text when empty
	Exact bool   // the HTML shows a rounded value: the exact one goes in the title attribute
	Href  string // the HTML cell links here
	Class string // CSS class: pending, revised, …
	Num   bool   // right-aligned: set from the column by add
}

// table is one table of a page. ID names it in the table= parameter of its CSV link.
type table struct {
	ID      string
	Title   string
	Note    string
	Columns []column
	Rows    [][]cell
	CSVURL  string
}

// Shown returns the rows the HTML shows (at most maxHTMLRows).
func (t *table) Shown() [][]cell {
	if len(t.Rows) > maxHTMLRows {
		return t.Rows[:maxHTMLRows]
	}
	return t.Rows
}

// Truncated reports whether the HTML shows fewer rows than the CSV has.
func (t *table) Truncated() bool { return len(t.Rows) > maxHTMLRows }

func (t *table) add(row ...cell) {
	for i := range row {
		if i < len(t.Columns) {
			row[i].Num = t.Columns[i].Num
		}
	}
	t.Rows = append(t.Rows, row)
}

// writeCSV writes the table with a header row of column names and every value exact, except that
// a text value a spreadsheet would run as a formula (one starting with =, +, -, @, a tab or a
// carriage return: a source id or a rejected message can) gets a leading apostrophe. Numeric
// columns are written as they are.
func (t *table) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Name
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for i, c := range row {
			rec[i] = c.Text
			if i < len(t.Columns) && !t.Columns[i].Num && c.Text != "" && strings.ContainsRune("=+-@\t\r", rune(c.Text[0])) {
				rec[i] = "'" + c.Text
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Cells.

func text(s string) cell { return cell{Text: s} }

func link(s, href string) cell { return cell{Text: s, Href: href} }

func date(t time.Time) cell { return cell{Text: t.UTC().Format(time.DateOnly)} }

func nullDate(t *time.Time) cell {
	if t == nil {
		return cell{Null: true, Show: "—"}
	}
	return date(*t)
}

func dateTime(t time.Time) cell { return cell{Text: t.UTC().Format(time.DateTime)} }

func integer[T ~int32 | ~int64 | ~uint64 | ~uint32 | ~int](n T) cell {
	return cell{Text: decimal.NewFromInt(int64(n)).String()}
}

// dec is a decimal exactly as ClickHouse printed it, shown rounded.
func dec(s string) cell { return cell{Text: s, Show: displayDecimal(s), Exact: true} }

// nullDec is a Nullable decimal; a NULL shows as ifNull (e.g. "pending").
func nullDec(s *string, ifNull string) cell {
	if s == nil {
		return cell{Null: true, Show: ifNull, Class: ifNull}
	}
	return dec(*s)
}

// displayDecimal rounds an exact decimal for reading, half to even: 2 fractional digits from 10
// up, 4 from 1 to 10, 4 significant ones below 1 (42,500.00, 120.00, 1.1355, 0.1012, 0.002031),
// with thousands separated by commas. Text that is not a decimal is returned as it is.
func displayDecimal(s string) string {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	return groupThousands(d.StringFixedBank(displayPlaces(d)))
}

// displayPlaces is the number of fractional digits displayDecimal keeps for d.
func displayPlaces(d decimal.Decimal) int32 {
	a := d.Abs()
	if a.IsZero() {
		return 2
	}
	if a.GreaterThanOrEqual(decimal.NewFromInt(10)) {
		return 2
	}
	if a.GreaterThanOrEqual(decimal.NewFromInt(1)) {
		return 4
	}
	// Below 1: 4 digits after the leading zeros of the fraction.
	zeros := int32(0)
	for x := a.Shift(1); x.LessThan(decimal.NewFromInt(1)); x = x.Shift(1) {
		zeros++
	}
	return zeros + 4
}

func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := sign + b.String()
	if hasFrac {
		out += "." + frac
	}
	return out
}
