package publishers_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest/publishers"
	"github.com/econflow/econflow/transform"
)

func TestRegistry(t *testing.T) {
	want := []string{"ecb-csv", "ecb-xml", "fred-csv", "fred-json", "nbk-rss", "oil-bulletin-csv", "sdmx-csv"}
	if got := strings.Join(publishers.Names(), " "); got != strings.Join(want, " ") {
		t.Fatalf("Names() = %s, want %s", got, strings.Join(want, " "))
	}
	needs := map[string]bool{"fred-csv": true, "fred-json": true, "sdmx-csv": true}
	for _, name := range want {
		a, ok := publishers.Lookup(name)
		if !ok || a.Name() != name {
			t.Fatalf("Lookup(%q) = %v, %v", name, a, ok)
		}
		if a.NeedsMapping() != needs[name] {
			t.Errorf("%s.NeedsMapping() = %v", name, a.NeedsMapping())
		}
		if a.Describe() == "" {
			t.Errorf("%s has no description", name)
		}
	}
	if _, ok := publishers.Lookup("ecb"); ok {
		t.Error(`Lookup("ecb") found an adapter`)
	}
}

func TestParseMappingErrors(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"not json", `{"source": "fred",`, "not a mapping object"},
		{"unknown key", `{"source": "fred", "serie": {}}`, `unknown field "serie"`},
		{"no source", `{"series": {"X": {"kind": "wage", "fields": {}}}}`, `"source" is required`},
		{"nothing mapped", `{"source": "fred"}`, `give "series"`},
		{"both layouts", `{"source": "fred", "kind": "wage", "series": {"X": {"kind": "wage"}}}`, "cannot be combined"},
		{"bad kind", `{"source": "fred", "series": {"X": {"kind": "price", "fields": {}}}}`, `"kind" "price" is not a record kind`},
		{"unknown field", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "qoute": "USD", "frequency": "D"}}}}`, `field "qoute" is not a field name of the record contract`},
		{"field of another kind", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "quote": "USD", "unit": "litre", "frequency": "D"}}}}`, `"unit"`},
		{"reserved field", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "quote": "USD", "rate": "1", "frequency": "D"}}}}`, `field "rate" cannot be mapped`},
		{"missing required", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "frequency": "D"}}}}`, `series X: missing_field: field "quote"`},
		{"bad enum", `{"source": "fred", "series": {"X": {"kind": "wage", "fields": {"country": "US", "measure": "average", "currency": "USD", "per": "fortnight", "frequency": "M"}}}}`, `"fortnight"`},
		{"no frequency", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "quote": "USD"}}}}`, `"frequency" is required`},
		{"column in FRED", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": {"column": "B"}, "quote": "USD", "frequency": "D"}}}}`, "has no columns"},
		{"column object typo", `{"source": "ecb", "kind": "fx_rate", "fields": {"base": {"col": "B"}}}`, `unknown field "col"`},
		{"sdmx bad kind", `{"source": "ecb", "kind": "fx", "fields": {}}`, `"kind" "fx"`},
		{"from not a date", `{"source": "fred", "from": "1970", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "quote": "USD", "frequency": "D"}}}}`, `"from": "1970" is not a date YYYY-MM-DD`},
		{"to not a date", `{"source": "ecb", "kind": "fx_rate", "to": "31.12.2020", "fields": {}}`, `"to": "31.12.2020" is not a date YYYY-MM-DD`},
		{"empty range", `{"source": "fred", "from": "2020-01-01", "to": "2019-12-31", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "quote": "USD", "frequency": "D"}}}}`, `"to" 2019-12-31 is before "from" 2020-01-01`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := publishers.ParseMapping([]byte(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseMapping = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestParseMappingNumbersAndColumns(t *testing.T) {
	m, err := publishers.ParseMapping([]byte(`{"source": "ecb", "kind": "fx_rate",
		"fields": {"base": {"column": "CURRENCY_DENOM"}, "quote": {"column": "CURRENCY", "codes": {"US": "USD"}}, "quantity": 100},
		"filter": {"FREQ": ["D"]}, "attributes": ["TITLE"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Fields["quantity"].Value; got != "100" {
		t.Errorf("quantity = %q, want the number's text 100", got)
	}
	if f := m.Fields["quote"]; f.Column != "CURRENCY" || f.Codes["US"] != "USD" {
		t.Errorf("quote = %+v", f)
	}
}

// TestPublishedAtOption: the default vintage applies where the file states none and never
// overrides one it states.
func TestPublishedAtOption(t *testing.T) {
	vintage := time.Date(2024, 6, 28, 14, 15, 0, 0, time.FixedZone("CEST", 2*3600))
	read := func(format, file string, m *publishers.Mapping) []transform.Record {
		t.Helper()
		a, _ := publishers.Lookup(format)
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var recs []transform.Record
		if _, err := a.Read(filepath.Base(file), f, publishers.Options{Mapping: m, PublishedAt: vintage},
			func(r transform.Record) error { recs = append(recs, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			t.Fatal("no records")
		}
		return recs
	}
	for _, r := range read("ecb-xml", "testdata/ecb-xml/daily/eurofxref-daily.xml", nil) {
		if got := r.PublishedAt.Format(time.RFC3339); got != "2024-06-28T12:15:00Z" {
			t.Fatalf("ecb published_at = %s, want the option's time in UTC", got)
		}
	}
	m, err := publishers.LoadMapping("testdata/fred-json/alfred-vintages/mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	recs := read("fred-json", "testdata/fred-json/alfred-vintages/observations.json", m)
	if got := recs[0].PublishedAt.Format(time.RFC3339); got != "2024-01-05T00:00:00Z" {
		t.Fatalf("fred published_at = %s, want realtime_start 2024-01-05", got)
	}
}

// TestEmitErrorStops: an error from emit ends the read and is returned unchanged.
func TestEmitErrorStops(t *testing.T) {
	stop := errors.New("broker down")
	a, _ := publishers.Lookup("ecb-csv")
	f, err := os.Open("testdata/ecb-csv/hist/eurofxref-hist.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	calls := 0
	stats, err := a.Read("eurofxref-hist.csv", f, publishers.Options{}, func(transform.Record) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 || stats.Records != 2 {
		t.Fatalf("Read = %+v, %v after %d calls; want the emit error after 2", stats, err, calls)
	}
}

// TestLayoutErrorsMatchErrLayout: layout errors match ErrLayout and are *Error values naming the
// file; a missing mapping is not a layout error.
func TestLayoutErrorsMatchErrLayout(t *testing.T) {
	a, _ := publishers.Lookup("ecb-xml")
	_, err := a.Read("x.xml", strings.NewReader("Date,USD\n2024-06-28,1.07\n"), publishers.Options{}, func(transform.Record) error { return nil })
	var pe *publishers.Error
	if !errors.Is(err, publishers.ErrLayout) || !errors.As(err, &pe) || pe.File != "x.xml" || !strings.Contains(err.Error(), "not an XML document") {
		t.Fatalf("CSV given to ecb-xml: %v", err)
	}
	// The place is where the text starts, not where the decoder stopped after it (line 3 of this
	// 2-line file).
	if pe.Line != 1 || pe.Column != 1 || !strings.HasPrefix(err.Error(), "x.xml:1:1: ") || !strings.Contains(err.Error(), "the file starts with `Date,USD`") {
		t.Fatalf("CSV given to ecb-xml: %v at line %d column %d, want line 1 column 1 quoting the start", err, pe.Line, pe.Column)
	}
	s, _ := publishers.Lookup("sdmx-csv")
	_, err = s.Read("x.csv", strings.NewReader("TIME_PERIOD,OBS_VALUE\n2024,1\n"), publishers.Options{}, func(transform.Record) error { return nil })
	if err == nil || errors.Is(err, publishers.ErrLayout) || !strings.Contains(err.Error(), "mapping file") {
		t.Fatalf("sdmx-csv without a mapping: %v", err)
	}
}

// TestProduceWiring reads publisher files through publishers.ReadRecordsWith, the path of
// `econflow produce --format X`: messages are keyed by series key and hold contract JSON the
// consumer accepts; invalid entries become LineErrors with line and element; missing values are
// counted.
func TestProduceWiring(t *testing.T) {
	f, err := os.Open("testdata/ecb-xml/hist-90d/eurofxref-hist-90d.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []publishers.Outgoing
	sum, bad, err := publishers.ReadRecordsWith("eurofxref-hist-90d.xml", f, publishers.ReadOptions{Format: "ecb-xml"},
		func(o publishers.Outgoing) error { out = append(out, o); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 4 || len(out) != 4 || sum.Missing != 1 || len(bad) != 3 {
		t.Fatalf("summary %+v, %d messages, %d invalid; want 4 records, 1 missing, 3 invalid", sum, len(out), len(bad))
	}
	if got, want := out[0].Key, "fx_rate|ecb|EUR|USD|reference|D"; got != want || out[0].Kind != transform.KindFXRate {
		t.Errorf("first message key %q kind %s, want %q", got, out[0].Kind, want)
	}
	for _, o := range out {
		if _, err := transform.DecodeJSON(o.Value); err != nil {
			t.Errorf("consumer rejects %s: %v", o.Value, err)
		}
	}
	if got := bad[0].Error(); got != `eurofxref-hist-90d.xml:14: element Cube currency="CHF": rate: bad_decimal: "0,9614" is not a decimal: decimal commas are not accepted; write "0.9614"` {
		t.Errorf("first invalid line = %s", got)
	}

	if err := publishers.CheckFormat(publishers.ReadOptions{Format: "fred-csv"}); err == nil || !strings.Contains(err.Error(), "--mapping") {
		t.Errorf("fred-csv without mapping: %v", err)
	}
	if err := publishers.CheckFormat(publishers.ReadOptions{Format: "bundesbank"}); err == nil || !strings.Contains(err.Error(), "oil-bulletin-csv") {
		t.Errorf("unknown format: %v", err)
	}
	_, _, err = publishers.ReadRecordsWith("x", strings.NewReader(""), publishers.ReadOptions{Format: "oil-bulletin-csv"}, func(publishers.Outgoing) error { return nil })
	if !errors.Is(err, publishers.ErrLayout) {
		t.Errorf("empty oil bulletin file: %v, want a layout error", err)
	}
}

// TestDateRange: the mapping's "from" and "to" leave out the observations dated outside, counted
// in Stats.Skipped and said in one line; the records kept are exactly those inside, both bounds
// included.
func TestDateRange(t *testing.T) {
	csv := "observation_date,DEXUSEU\n1899-12-31,4.1\n1970-01-01,4.2\n2019-12-31,1.12\n2020-01-01,1.1\n2020-01-02,.\n2020-01-03,1.13\n"
	cases := []struct {
		name, from, to string
		dates          string
		before, after  int
		line           string
	}{
		{"none", "", "", "1970-01-01 2019-12-31 2020-01-01 2020-01-03", 0, 0, ""},
		{"from", "1970-01-01", "", "1970-01-01 2019-12-31 2020-01-01 2020-01-03", 1, 0,
			`skipped 1 observation dated before 1970-01-01 (outside the mapping's date range "from": "1970-01-01")`},
		{"to", "", "2019-12-31", "1970-01-01 2019-12-31", 0, 2,
			`skipped 2 observations dated after 2019-12-31 (outside the mapping's date range "to": "2019-12-31")`},
		{"both", "1970-01-02", "2020-01-01", "2019-12-31 2020-01-01", 2, 1,
			`skipped 3 observations, 2 dated before 1970-01-02 and 1 after 2020-01-01 (outside the mapping's date range "from": "1970-01-02", "to": "2020-01-01")`},
		{"one day", "2020-01-01", "2020-01-01", "2020-01-01", 3, 1,
			`skipped 4 observations, 3 dated before 2020-01-01 and 1 after 2020-01-01 (outside the mapping's date range "from": "2020-01-01", "to": "2020-01-01")`},
	}
	a, _ := publishers.Lookup("fred-csv")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := publishers.ParseMapping([]byte(`{"source": "fred", "from": "` + c.from + `", "to": "` + c.to + `",
				"series": {"DEXUSEU": {"kind": "fx_rate", "fields": {"base": "EUR", "quote": "USD", "rate_type": "market", "frequency": "D"}}}}`))
			if err != nil {
				t.Fatal(err)
			}
			var dates []string
			stats, err := a.Read("fredgraph.csv", strings.NewReader(csv), publishers.Options{Mapping: m}, func(r transform.Record) error {
				dates = append(dates, r.Date.Format(time.DateOnly))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(dates, " "); got != c.dates {
				t.Errorf("records dated %s, want %s", got, c.dates)
			}
			if stats.Missing != 1 || stats.Skipped.Before != c.before || stats.Skipped.After != c.after || stats.Skipped.String() != c.line {
				t.Errorf("missing %d, skipped %+v %q; want 1 missing, %d before, %d after, %q", stats.Missing, stats.Skipped, stats.Skipped.String(), c.before, c.after, c.line)
			}
			// 1899-12-31 cannot be stored: without a range excluding it, it is invalid, not skipped.
			wantInvalid := 0
			if c.from == "" {
				wantInvalid = 1
			}
			if len(stats.Invalid) != wantInvalid {
				t.Errorf("invalid %v, want %d", stats.Invalid, wantInvalid)
			}
		})
	}
}

// TestReportLines: the observations of a file rejected because ClickHouse cannot store their
// date are told in one line with their count, first and last line and date, and how to leave them
// out; every other invalid line keeps its own line, in order.
func TestReportLines(t *testing.T) {
	m, err := publishers.LoadMapping("testdata/fred-csv/full-history/mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	read := func(name, csv string) []publishers.LineError {
		t.Helper()
		_, bad, err := publishers.ReadRecordsWith(name, strings.NewReader(csv), publishers.ReadOptions{Format: "fred-csv", Publisher: publishers.Options{Mapping: m}},
			func(publishers.Outgoing) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		return bad
	}
	var bad []publishers.LineError
	bad = append(bad, read("a.csv", "observation_date,FEDMINNFRWG\n1838-10-01,0.25\n1838-11-01,x\n1838-12-01,0.25\n1899-12-01,1.60\n1900-01-01,1.60\n")...)
	bad = append(bad, read("b.csv", "observation_date,FEDMINNFRWG\n1850-01-01,0.75\n1970-01-01,1.60\n")...)
	if len(bad) != 5 {
		t.Fatalf("%d invalid lines, want 5: %v", len(bad), bad)
	}
	if bad[1].Line != 3 || transform.CodeOf(bad[1].Err) != transform.CodeBadDecimal {
		t.Fatalf("second invalid line %v, want the bad number at line 3", bad[1])
	}
	got := publishers.ReportLines(bad)
	want := []string{
		`a.csv:2: out_of_range: 3 observations dated before 1900-01-01, the first date econflow stores (1838-10-01 at line 2 … 1899-12-01 at line 5), not sent; give the mapping "from": "1900-01-01" to leave such observations out`,
		bad[1].Error(), // the bad number at line 3, as it is
		`b.csv:2: column FEDMINNFRWG: out_of_range: field "date": 1850-01-01 is outside 1900-01-01…2299-12-31, the range ClickHouse's Date32 stores; give the mapping "from": "1900-01-01" to leave such observations out`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ReportLines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := publishers.ReportLines(nil); len(got) != 0 {
		t.Fatalf("ReportLines(nil) = %q", got)
	}
}
