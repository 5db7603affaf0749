package clickhouse

import (
	"slices"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/econflow/econflow/ingest"
)

func TestParseDSNCompression(t *testing.T) {
	for dsn, lz4 := range map[string]bool{
		"clickhouse://127.0.0.1:9000/econ":                     false, // same machine: nothing to save
		"clickhouse://localhost:9000/econ":                     false,
		"clickhouse://[::1]:9000/econ":                         false,
		"clickhouse://ch.example.com:9000/econ":                true,
		"clickhouse://10.1.2.3:9000/econ":                      true,
		"clickhouse://127.0.0.1:9000/econ?compress=lz4":        true,
		"clickhouse://ch.example.com:9000/econ?compress=false": false,
	} {
		opts, db, err := parseDSN(dsn)
		if err != nil || db != "econ" {
			t.Fatalf("parseDSN(%s): %v, database %q", dsn, err, db)
		}
		got := opts.Compression != nil && opts.Compression.Method == ch.CompressionLZ4
		if got != lz4 {
			t.Errorf("parseDSN(%s): LZ4 = %v, want %v", dsn, got, lz4)
		}
	}
}

// A reject's _version is its own (given when its message was processed), the same at every
// attempt to write it, so that a retried write sends the identical block; only a reject without
// one takes the version of the write.
func TestRejectsKeepTheirVersion(t *testing.T) {
	var col plainColumn[ingest.Reject]
	for _, c := range rejectsSpec.columns {
		if c.name == "_version" {
			col = c
		}
	}
	if col.values == nil {
		t.Fatal("rejects_data has no _version column")
	}
	rejects := []ingest.Reject{{Version: 7}, {}, {Version: 9}}
	for _, tc := range []struct {
		name  string
		write uint64
	}{{"first attempt", 100}, {"retry", 200}} {
		t.Run(tc.name, func(t *testing.T) {
			got := col.values(rejects, tc.write).([]uint64)
			if want := []uint64{7, tc.write + 1, 9}; !slices.Equal(got, want) {
				t.Errorf("_version %v, want %v", got, want)
			}
		})
	}
}
