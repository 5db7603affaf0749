package clickhouse

import (
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"
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
