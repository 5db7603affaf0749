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
		{"unknown field", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "qoute": "USD", "frequency": "D"}}}}`, `field "qoute" is not a CONTRACT field name`},
		{"field of another kind", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "quote": "USD", "unit": "litre", "frequency": "D"}}}}`, `"unit"`},
		{"reserved field", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "quote": "USD", "rate": "1", "frequency": "D"}}}}`, `field "rate" cannot be mapped`},
		{"missing required", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "frequency": "D"}}}}`, `series X: missing_field: field "quote"`},
		{"bad enum", `{"source": "fred", "series": {"X": {"kind": "wage", "fields": {"country": "US", "measure": "average", "currency": "USD", "per": "fortnight", "frequency": "M"}}}}`, `"fortnight"`},
		{"no frequency", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": "EUR", "quote": "USD"}}}}`, `"frequency" is required`},
		{"column in FRED", `{"source": "fred", "series": {"X": {"kind": "fx_rate", "fields": {"base": {"column": "B"}, "quote": "USD", "frequency": "D"}}}}`, "has no columns"},
		{"column object typo", `{"source": "ecb", "kind": "fx_rate", "fields": {"base": {"col": "B"}}}`, `unknown field "col"`},
		{"sdmx bad kind", `{"source": "ecb", "kind": "fx", "fields": {}}`, `"kind" "fx"`},
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
