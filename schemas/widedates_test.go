package schemas

import (
	"regexp"
	"strings"
	"testing"
)

// TestWideStatement: the type Date and the date functions that clamp a Date32 are rewritten
// outside string literals and comments' quotes; DateTime, Date32, other words and literals stay.
func TestWideStatement(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"column types", "CREATE TABLE t (date Date, fx_date Nullable(Date), at DateTime('UTC'), m AggregateFunction(min, Date))",
			"CREATE TABLE t (date Date32, fx_date Nullable(Date32), at DateTime('UTC'), m AggregateFunction(min, Date32))"},
		{"already wide", "x Date32, y Nullable(Date32)", "x Date32, y Nullable(Date32)"},
		{"functions", "SELECT toStartOfMonth(date) AS month, toDate(x[7]), toRelativeDayNum(toDate(w[7])), toDateTime(s)",
			"SELECT dateTrunc('month', date) AS month, toDate32(x[7]), toInt32(toDate32(w[7])), toDateTime(s)"},
		{"literals are left alone", "SELECT 'Date', 'toDate(', toDate('1970-01-01'), 'it''s Date'",
			"SELECT 'Date', 'toDate(', toDate32('1970-01-01'), 'it''s Date'"},
		{"until further notice", "if(x, d, '2100-01-01'), toInt64(2100 * 12 + 1), '2100-01-02'",
			"if(x, d, '2300-01-01'), toInt64(2300 * 12 + 1), '2100-01-02'"},
		{"a comment's apostrophe", "SELECT toDate(a) -- the wage's date\n, toDate(b)",
			"SELECT toDate32(a) -- the wage's date\n, toDate32(b)"},
		{"words containing Date", "SELECT toYYYYMMDD(date), update_Date, Dates", "SELECT toYYYYMMDD(date), update_Date, Dates"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := wideStatement(c.in); got != c.want {
				t.Errorf("\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestWideDatesLeaveNoNarrowDate: no statement of the wide migrations names the type Date or a
// function that clamps a Date32 (outside literals), and every other character is as it was.
func TestWideDatesLeaveNoNarrowDate(t *testing.T) {
	migs, err := Migrations("econ_x")
	if err != nil {
		t.Fatal(err)
	}
	narrow := regexp.MustCompile(`\bDate\b|\btoDate\(|\btoStartOf\w+\(|\btoRelative\w+Num\(|\btoMonday\(|2100`)
	wide := WideDates(migs)
	if len(wide) != len(migs) {
		t.Fatalf("%d migrations, want %d", len(wide), len(migs))
	}
	changed := 0
	for i, m := range wide {
		if m.Version != migs[i].Version || m.Name != migs[i].Name || len(m.Statements) != len(migs[i].Statements) {
			t.Fatalf("migration %d: %+v, want version %d, name %s, %d statements", i, m, migs[i].Version, migs[i].Name, len(migs[i].Statements))
		}
		for j, s := range m.Statements {
			if s != migs[i].Statements[j] {
				changed++
			}
			for k, part := range splitQuoted(s) {
				if k%2 == 0 && narrow.MatchString(stripComments(part)) {
					t.Errorf("%04d_%s statement %d still has %q:\n%s", m.Version, m.Name, j+1, narrow.FindString(part), s)
				}
			}
		}
	}
	if changed == 0 {
		t.Fatal("WideDates changed nothing")
	}
}

// stripComments drops -- comments.
func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
