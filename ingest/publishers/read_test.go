package publishers_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest/publishers"
	"github.com/econflow/econflow/transform"
)

// TestReadRecordsWithAsFixtures: ReadRecordsWith, the path of `econflow produce --format X`
// (the adapter on a goroutine of its own, the JSON encoded into shared blocks), emits for every
// fixture case exactly the records of its want.jsonl, in order, each keyed by its series key, and
// returns as many invalid lines as want.txt lists and the error it names, if any.
func TestReadRecordsWithAsFixtures(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		format := filepath.Base(filepath.Dir(dir))
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		t.Run(format+"/"+filepath.Base(dir), func(t *testing.T) {
			input, opts := fixtureInput(t, dir)
			f, err := os.Open(filepath.Join(dir, input))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var values strings.Builder
			sum, bad, readErr := publishers.ReadRecordsWith(input, f, publishers.ReadOptions{Format: format, Publisher: opts}, func(o publishers.Outgoing) error {
				rec, err := transform.DecodeJSON(o.Value)
				if err != nil {
					t.Fatalf("consumer rejects %s: %v", o.Value, err)
				}
				if want := transform.SeriesKey(&rec); o.Key != want || o.Kind != rec.Kind {
					t.Errorf("%s: key %q kind %s, want %q %s", o.Value, o.Key, o.Kind, want, rec.Kind)
				}
				values.Write(o.Value)
				values.WriteByte('\n')
				return nil
			})
			want, err := os.ReadFile(filepath.Join(dir, "want.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			if values.String() != string(want) {
				t.Errorf("emitted:\n%s\nwant.jsonl:\n%s", values.String(), want)
			}
			summary, err := os.ReadFile(filepath.Join(dir, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(summary), "\n")
			invalid, stopped := 0, ""
			for _, l := range lines {
				switch {
				case strings.HasPrefix(l, "invalid "):
					invalid++
				case strings.HasPrefix(l, "error "), strings.HasPrefix(l, "layout-error "):
					_, stopped, _ = strings.Cut(l, " ")
				}
			}
			if got := strings.Count(values.String(), "\n"); sum.Records != got || lines[0] != fmt.Sprintf("records %d", got) {
				t.Errorf("summary %d records, %d emitted; want.txt says %q", sum.Records, got, lines[0])
			}
			if len(bad) != invalid {
				t.Errorf("%d invalid lines, want.txt lists %d: %v", len(bad), invalid, bad)
			}
			if (readErr == nil) != (stopped == "") || readErr != nil && readErr.Error() != stopped {
				t.Errorf("error %v, want.txt says %q", readErr, stopped)
			}
		})
	}
}

// TestReadRecordsWithEmitErrorStops: an error from emit ends ReadRecordsWith of a publisher file
// and is returned as it is; emit is not called again, whether it fails on the first record, in
// the middle of a batch the adapter handed over, or on the last.
func TestReadRecordsWithEmitErrorStops(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("Date,USD,JPY,GBP,\n")
	day := time.Date(2024, 6, 28, 0, 0, 0, 0, time.UTC)
	const rows = 1000
	for i := range rows {
		fmt.Fprintf(&csv, "%s,1.%04d,171.%02d,0.%04d,\n", day.AddDate(0, 0, -i).Format(time.DateOnly), i, i%100, i+1)
	}
	for _, failAt := range []int{1, 700, 3 * rows} {
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			stop := errors.New("broker down")
			calls := 0
			sum, _, err := publishers.ReadRecordsWith("eurofxref-hist.csv", strings.NewReader(csv.String()), publishers.ReadOptions{Format: "ecb-csv"},
				func(publishers.Outgoing) error {
					calls++
					if calls >= failAt {
						return stop
					}
					return nil
				})
			if err != stop || calls != failAt || sum.Records != failAt {
				t.Fatalf("error %v after %d calls, %d records; want the emit error after %d", err, calls, sum.Records, failAt)
			}
		})
	}
}

// TestProvenanceIsChecked: a file name that cannot be an attribute value (a control character)
// makes every record of the file invalid with the reason transform.Validate gives, as when each
// record had the name in attributes of its own.
func TestProvenanceIsChecked(t *testing.T) {
	name := "eurofxref\x01.csv"
	a, _ := publishers.Lookup("ecb-csv")
	stats, err := a.Read(name, strings.NewReader("Date,USD,JPY,\n2024-06-28,1.0705,171.94,\n"), publishers.Options{},
		func(r transform.Record) error { t.Errorf("emitted %+v", r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := transform.Record{Kind: transform.KindFXRate, Source: publishers.ECBSource, Date: time.Date(2024, 6, 28, 0, 0, 0, 0, time.UTC),
		Base: "EUR", Quote: "USD", Rate: transform.Decimal{}, RateType: "reference", Attributes: map[string]string{publishers.AttrSourceFile: name}}
	want.Rate, _ = transform.ParseDecimal("1.0705")
	want.ApplyDefaults()
	reason := transform.Validate(&want)
	if reason == nil {
		t.Fatal("Validate accepts a control character in an attribute value")
	}
	if len(stats.Invalid) != 2 || stats.Records != 0 {
		t.Fatalf("%d records, invalid %v; want both invalid", stats.Records, stats.Invalid)
	}
	for _, e := range stats.Invalid {
		if e.Err.Error() != reason.Error() {
			t.Errorf("invalid %v, want the reason %v", e, reason)
		}
	}
}
