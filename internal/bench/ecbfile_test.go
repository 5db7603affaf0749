package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest/publishers"
)

// TestWriteECBHistoryReads: the synthetic ECB history reads with the ecb-csv adapter as one rate
// per quoted cell (counted from the text itself), none invalid, the N/A cells counted missing.
func TestWriteECBHistoryReads(t *testing.T) {
	var b bytes.Buffer
	if err := WriteECBHistory(&b, 1, time.Date(2001, 3, 30, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	quoted, missing := 0, 0
	for _, l := range lines[1:] {
		cells := strings.Split(strings.TrimSuffix(l, ","), ",")
		if len(cells) != len(ecbCurrencies)+1 {
			t.Fatalf("row %q: %d cells", l, len(cells))
		}
		for _, c := range cells[1:] {
			if c == "N/A" {
				missing++
			} else {
				quoted++
			}
		}
	}
	if first := lines[1][:10]; first != "2001-03-30" || lines[len(lines)-1][:10] != "1999-01-04" {
		t.Fatalf("rows from %s to %s, want newest first from 2001-03-30 to 1999-01-04", first, lines[len(lines)-1][:10])
	}
	sent := 0
	sum, bad, err := publishers.ReadRecordsWith("eurofxref-hist.csv", &b, publishers.ReadOptions{Format: "ecb-csv"},
		func(publishers.Outgoing) error { sent++; return nil })
	if err != nil || len(bad) > 0 {
		t.Fatalf("read: %v, %d invalid (%v)", err, len(bad), bad)
	}
	if sent != quoted || sum.Missing != missing {
		t.Fatalf("%d records and %d missing, want %d and %d", sent, sum.Missing, quoted, missing)
	}
}

// BenchmarkReadECBHistory: the synthetic ECB history through ReadRecordsWith (what `econflow
// produce --format ecb-csv` does before it publishes), the records emitted to nothing.
func BenchmarkReadECBHistory(b *testing.B) {
	var file bytes.Buffer
	if err := WriteECBHistory(&file, 1, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(file.Len()))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		_, bad, err := publishers.ReadRecordsWith("eurofxref-hist.csv", bytes.NewReader(file.Bytes()), publishers.ReadOptions{Format: "ecb-csv"},
			func(publishers.Outgoing) error { n++; return nil })
		if err != nil || len(bad) > 0 || n != 239913 {
			b.Fatalf("read: %v, %d invalid, %d records", err, len(bad), n)
		}
	}
}
