package publishers_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/econflow/econflow/ingest/publishers"
	"github.com/econflow/econflow/transform"
)

// FuzzAdapters: no input makes an adapter panic, and every record emitted is one the consumer
// accepts.
func FuzzAdapters(f *testing.F) {
	names := publishers.Names()
	inputs, _ := filepath.Glob("testdata/*/*/*")
	for _, p := range inputs {
		base := filepath.Base(p)
		if base == "want.jsonl" || base == "want.txt" || base == "mapping.json" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for i, n := range names {
			if n == filepath.Base(filepath.Dir(filepath.Dir(p))) {
				f.Add(data, uint8(i))
				f.Add(data, uint8(i)|0x80)
			}
		}
	}
	fred, err := publishers.LoadMapping("testdata/fred-csv/two-series/mapping.json")
	if err != nil {
		f.Fatal(err)
	}
	sdmx, err := publishers.LoadMapping("testdata/sdmx-csv/ecb-exr/mapping.json")
	if err != nil {
		f.Fatal(err)
	}
	// With a date range ("from" and "to"), chosen by the high bit of which.
	fredRange, err := publishers.LoadMapping("testdata/fred-json/date-range/mapping.json")
	if err != nil {
		f.Fatal(err)
	}
	sdmxRange, err := publishers.LoadMapping("testdata/sdmx-csv/date-range/mapping.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		a, _ := publishers.Lookup(names[int(which&0x7f)%len(names)])
		ranged := which&0x80 != 0
		opts := publishers.Options{}
		switch a.Name() {
		case "fred-csv", "fred-json":
			opts.Mapping = fred
			if ranged {
				opts.Mapping = fredRange
			}
		case "sdmx-csv":
			opts.Mapping = sdmx
			if ranged {
				opts.Mapping = sdmxRange
			}
		}
		a.Read("DEXUSEU.json", bytes.NewReader(data), opts, func(rec transform.Record) error { //nolint:errcheck // any outcome but a panic is fine
			b := transform.EncodeJSON(&rec)
			if _, err := transform.DecodeJSON(b); err != nil {
				t.Fatalf("%s emitted a record the consumer rejects: %s: %v", a.Name(), b, err)
			}
			return nil
		})
	})
}
