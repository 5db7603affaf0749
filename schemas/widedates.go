package schemas

import (
	"regexp"
	"strings"
)

// Observation dates: what the contract accepts (docs/contract.md §1) and what each ClickHouse
// date type stores. The DDL is written with Date, which every ClickHouse version has and which
// stores 1970-01-01…2149-06-06 (2105-12-31 on 18.16, whose calendar ends there). Date32, from
// ClickHouse 21.9 on, stores 1900-01-01…2299-12-31: long CPI and wage histories. A database
// created by Migrate on a server that has Date32 gets it (see WideDates); one created on an
// older server keeps Date, and so do its tables when the server is upgraded (ClickHouse cannot
// change the type of a sorting-key column).
const (
	// Date32First and Date32Last bound what a Date32 column stores, and so the contract's dates.
	Date32First = "1900-01-01"
	Date32Last  = "2299-12-31"
	// DateFirst and DateLast bound what a Date column stores on every ClickHouse version.
	DateFirst = "1970-01-01"
	DateLast  = "2105-12-31"
)

// wideRewrites are WideDates' textual rewrites, applied in order to every statement.
var wideRewrites = []struct {
	re   *regexp.Regexp
	with string
}{
	// The type Date, alone or inside Nullable(…) or AggregateFunction(…, Date); not DateTime,
	// Date32 or a function name such as toDate (the word boundaries).
	{regexp.MustCompile(`\bDate\b`), "Date32"},
	// Functions whose result is a Date, clamped to 1970-01-01…2149-06-06 for a Date32 argument on
	// current ClickHouse (unless enable_extended_results_for_datetime_functions is set):
	// toDate32 parses and converts into the wide range; dateTrunc('month', d) is d's month as a
	// Date32, and monotonic, so a filter on a month still reaches the sorting key.
	{regexp.MustCompile(`\btoDate\(`), "toDate32("},
	{regexp.MustCompile(`\btoStartOfMonth\(`), "dateTrunc('month', "},
	// A day number for ordering: toRelativeDayNum clamps below 1970; a Date32 as Int32 is its
	// signed day number.
	{regexp.MustCompile(`\btoRelativeDayNum\(`), "toInt32("},
	// The affordability views' "in force until further notice" as a month number: a month after
	// the last date (the same as a literal '2100-01-01', see wideStatement).
	{regexp.MustCompile(`\b2100 \* 12 \+ 1\b`), "2300 * 12 + 1"},
}

// WideDates returns migs rewritten to store dates as Date32 (1900-01-01…2299-12-31), for a
// database created on a server that has the type (ClickHouse 21.9 or newer): every Date column
// becomes Date32 and the views' date functions become ones that keep dates before 1970 and after
// 2149 (toDate32, dateTrunc('month', …), toInt32 for day numbers). Store.Migrate applies it to
// a new database on such a server, and keeps to it for a database whose tables have Date32. The
// rewrite uses functions ClickHouse 18.16 lacks: never apply it there.
func WideDates(migs []Migration) []Migration {
	out := make([]Migration, len(migs))
	for i, m := range migs {
		out[i] = Migration{Version: m.Version, Name: m.Name, Statements: make([]string, len(m.Statements))}
		for j, s := range m.Statements {
			out[i].Statements[j] = wideStatement(s)
		}
	}
	return out
}

// wideStatement is one statement of WideDates. Text inside string literals is left alone but
// for the affordability views' "in force until further notice", '2100-01-01', which becomes a
// month after Date32's last date.
func wideStatement(s string) string {
	var b strings.Builder
	for i, part := range splitQuoted(s) {
		if i%2 == 1 { // a string literal, with its quotes
			if part == "'2100-01-01'" {
				part = "'2300-01-01'"
			}
			b.WriteString(part)
			continue
		}
		for _, r := range wideRewrites {
			part = r.re.ReplaceAllString(part, r.with)
		}
		b.WriteString(part)
	}
	return b.String()
}

// splitQuoted splits s into text outside and inside single-quoted literals, alternating,
// starting with outside text (possibly empty); each literal keeps its quotes. A backslash or
// doubled quote inside a literal escapes the next character; a -- comment is outside text.
func splitQuoted(s string) []string {
	var parts []string
	start, in := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case !in && strings.HasPrefix(s[i:], "--"):
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(s)
			}
		case !in && s[i] == '\'':
			parts = append(parts, s[start:i])
			start, in = i, true
		case in && s[i] == '\\':
			i++
		case in && s[i] == '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				i++
				continue
			}
			parts = append(parts, s[start:i+1])
			start, in = i+1, false
		}
	}
	parts = append(parts, s[start:])
	if in { // an unterminated literal: leave it as it is
		return []string{s}
	}
	return parts
}
