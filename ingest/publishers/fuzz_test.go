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
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		a, _ := publishers.Lookup(names[int(which)%len(names)])
		opts := publishers.Options{}
		switch a.Name() {
		case "fred-csv", "fred-json":
			opts.Mapping = fred
		case "sdmx-csv":
			opts.Mapping = sdmx
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
