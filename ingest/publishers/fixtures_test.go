package publishers_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/econflow/econflow/ingest/publishers"
	"github.com/econflow/econflow/transform"
)

var update = flag.Bool("update", false, "rewrite the want.jsonl and want.txt files of testdata")

// TestFixtures runs every case under testdata/<format>/<case>/: the one input file there (its
// name is the name given to Read), with mapping.json as Options.Mapping when present. want.jsonl
// holds the exact contract JSON of every record emitted, in order; want.txt the number of
// missing values skipped, what the mapping's date range left out (if anything), every invalid
// entry and the error that stopped the read, if any.
func TestFixtures(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/*")
	if err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, dir := range dirs {
		format := filepath.Base(filepath.Dir(dir))
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		cases++
		t.Run(format+"/"+filepath.Base(dir), func(t *testing.T) {
			a, ok := publishers.Lookup(format)
			if !ok {
				t.Fatalf("testdata directory %s names no format", format)
			}
			input, opts := fixtureInput(t, dir)
			f, err := os.Open(filepath.Join(dir, input))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var records bytes.Buffer
			stats, readErr := a.Read(input, f, opts, func(rec transform.Record) error {
				b := transform.EncodeJSON(&rec)
				checkConsumerAccepts(t, rec, b)
				records.Write(b)
				records.WriteByte('\n')
				return nil
			})
			if n := strings.Count(records.String(), "\n"); n != stats.Records {
				t.Errorf("Stats.Records = %d, emitted %d", stats.Records, n)
			}
			summary := summarize(stats, readErr)
			compareGolden(t, filepath.Join(dir, "want.jsonl"), records.String())
			compareGolden(t, filepath.Join(dir, "want.txt"), summary)
		})
	}
	if cases < 30 {
		t.Errorf("only %d fixture cases found", cases)
	}
}

// fixtureInput returns the name of the input file of a case directory and its options.
func fixtureInput(t *testing.T, dir string) (string, publishers.Options) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var opts publishers.Options
	input := ""
	for _, e := range entries {
		switch e.Name() {
		case "want.jsonl", "want.txt":
		case "mapping.json":
			m, err := publishers.LoadMapping(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatalf("mapping: %v", err)
			}
			opts.Mapping = m
		default:
			if input != "" {
				t.Fatalf("two input files in %s: %s and %s", dir, input, e.Name())
			}
			input = e.Name()
		}
	}
	if input == "" {
		t.Fatalf("no input file in %s", dir)
	}
	return input, opts
}

// checkConsumerAccepts checks that the record's contract JSON is what the consumer accepts: it
// decodes, validates and encodes back to the same bytes.
func checkConsumerAccepts(t *testing.T, rec transform.Record, b []byte) {
	t.Helper()
	if err := transform.Validate(&rec); err != nil {
		t.Errorf("emitted record does not validate: %v\n%s", err, b)
	}
	dec, err := transform.DecodeJSON(b)
	if err != nil {
		t.Errorf("consumer rejects %s: %v", b, err)
		return
	}
	if again := transform.EncodeJSON(&dec); !bytes.Equal(again, b) {
		t.Errorf("round trip changed the record:\n got %s\nwant %s", again, b)
	}
	if transform.RecordID(&dec) != transform.RecordID(&rec) {
		t.Errorf("round trip changed the derived id of %s", b)
	}
}

// summarize writes the Stats and error of a Read as want.txt lines.
func summarize(stats publishers.Stats, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "records %d\n", stats.Records)
	fmt.Fprintf(&b, "missing %d\n", stats.Missing)
	if stats.Skipped.Count() > 0 {
		fmt.Fprintf(&b, "%s\n", stats.Skipped)
	}
	for _, e := range stats.Invalid {
		fmt.Fprintf(&b, "invalid %s\n", e)
	}
	if err != nil {
		kind := "error"
		if errors.Is(err, publishers.ErrLayout) {
			kind = "layout-error"
		}
		fmt.Fprintf(&b, "%s %s\n", kind, err)
	}
	return b.String()
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it, then review it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}
