package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest/kafka"
)

// TestProducePublisherDateRange runs `econflow produce --format fred-csv` on a full FRED history
// (the federal minimum wage from 1938) against the embedded broker. With the mapping's "from":
// "1970-01-01" it publishes the observations from 1970, says in one line what it skipped and
// why, and exits 0. Without it the observations before 1970 are invalid, told in one line with
// their count, and the exit status is 1.
func TestProducePublisherDateRange(t *testing.T) {
	b, err := kafka.StartBroker(kafka.BrokerOptions{Listen: "127.0.0.1:0", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	csv := write("fredgraph.csv", "observation_date,FEDMINNFRWG\n1838-10-01,0.25\n1838-11-01,0.25\n1845-10-01,0.40\n1899-12-01,1.60\n1970-01-01,1.60\n1974-05-01,2.00\n")
	series := `"series": {"FEDMINNFRWG": {"kind": "wage", "fields": {"country": "US", "measure": "minimum", "currency": "USD", "per": "hour", "frequency": "M"}}}`
	withRange := write("from-1970.json", `{"source": "fred", "from": "1970-01-01", `+series+`}`)
	withoutRange := write("all.json", `{"source": "fred", `+series+`}`)
	published := func() int64 {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		ends, err := kafka.EndOffsets(ctx, []string{b.Addr()}, kafka.Security{}, []string{"econ.wages"})
		if err != nil {
			t.Fatal(err)
		}
		return ends["econ.wages"][0]
	}

	var out, errb bytes.Buffer
	code := run([]string{"produce", "--brokers", b.Addr(), "--format", "fred-csv", "--mapping", withRange, csv}, &out, &errb)
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	want := csv + `: skipped 4 observations dated before 1970-01-01 (outside the mapping's date range "from": "1970-01-01")`
	if code != 0 || len(lines) != 1 || lines[0] != want {
		t.Fatalf("with a date range: exit %d, stderr:\n%s\nwant exit 0 and the one line\n%s", code, errb.String(), want)
	}
	if n := published(); n != 2 {
		t.Fatalf("with a date range: %d records published, want 2", n)
	}

	out.Reset()
	errb.Reset()
	code = run([]string{"produce", "--brokers", b.Addr(), "--format", "fred-csv", "--mapping", withoutRange, csv}, &out, &errb)
	lines = strings.Split(strings.TrimSpace(errb.String()), "\n")
	wantFirst := csv + `:2: out_of_range: 4 observations dated before 1900-01-01, the first date econflow stores (1838-10-01 at line 2 … 1899-12-01 at line 5), not sent; give the mapping "from": "1900-01-01" to leave such observations out`
	if code != 1 || len(lines) != 2 || lines[0] != wantFirst || !strings.Contains(lines[1], "4 invalid line(s) not sent; 2 record(s) published") {
		t.Fatalf("without a date range: exit %d, stderr:\n%s\nwant exit 1, the line\n%s\nand the count of invalid lines", code, errb.String(), wantFirst)
	}
	if n := published(); n != 4 {
		t.Fatalf("without a date range: %d records published in all, want 4", n)
	}
}

// TestProduceFormatNamesThePlace: a CSV given to --format ecb-xml is reported at the line and
// column where its text starts (line 1 of this 2-line file), quoting it.
func TestProduceFormatNamesThePlace(t *testing.T) {
	p := filepath.Join(t.TempDir(), "eurofxref-hist.csv")
	if err := os.WriteFile(p, []byte("Date,USD,JPY,\n2024-06-28,1.0705,171.94,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	// Nothing is published: an unreachable broker is never dialled.
	code := run([]string{"produce", "--brokers", "127.0.0.1:1", "--format", "ecb-xml", p}, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), p+":1:1: not an XML document: the file starts with `Date,USD,JPY,`") {
		t.Fatalf("exit %d, stderr %s; want the place line 1, column 1 and the file's start", code, errb.String())
	}
}

// TestProducePublisherFilesWhole runs `econflow produce --format ecb-csv` on three files against
// the embedded broker: one of 4 rates, one of 5,200 (a full block of 5,000 messages and a part of
// one), and one whose last row has a value beyond the header's last column, a layout error.
// The first two are published in file and row order, each rate once, as the contract JSON
// written here from the files' text; nothing of the third is, and the error says so.
func TestProducePublisherFilesWhole(t *testing.T) {
	b, err := kafka.StartBroker(kafka.BrokerOptions{Listen: "127.0.0.1:0", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dir := t.TempDir()
	type rate struct{ key, value string }
	var want []rate
	write := func(name string, rows int, layoutError bool) string {
		t.Helper()
		var csv strings.Builder
		csv.WriteString("Date,USD,JPY,\n")
		day := time.Date(2024, 6, 28, 0, 0, 0, 0, time.UTC)
		for i := range rows {
			date := day.AddDate(0, 0, -i).Format(time.DateOnly)
			usd, jpy := fmt.Sprintf("1.%04d", i+1), fmt.Sprintf("%d.25", 100+i)
			fmt.Fprintf(&csv, "%s,%s,%s,\n", date, usd, jpy)
			if layoutError {
				continue
			}
			for _, q := range [][2]string{{"USD", usd}, {"JPY", jpy}} {
				want = append(want, rate{"fx_rate|ecb|EUR|" + q[0] + "|reference|D",
					`{"kind":"fx_rate","source":"ecb","date":"` + date + `","frequency":"D","status":"A","base":"EUR","quote":"` + q[0] +
						`","rate":"` + q[1] + `","quantity":1,"rate_type":"reference","attributes":{"source_file":"` + name + `"}}`})
			}
		}
		if layoutError {
			csv.WriteString("2020-01-01,1.1,120.5,7,\n")
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small, big, broken := write("small.csv", 2, false), write("big.csv", 2600, false), write("broken.csv", 300, true)

	var out, errb bytes.Buffer
	code := run([]string{"produce", "--brokers", b.Addr(), "--format", "ecb-csv", small, big, broken}, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), broken+": column 4 at line 302: a value beyond the last header column") || !strings.Contains(errb.String(), "nothing from this file was published") {
		t.Fatalf("exit %d, stderr:\n%s\nwant the layout error of %s at line 302 and that nothing of it was published", code, errb.String(), broken)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ends, err := kafka.EndOffsets(ctx, []string{b.Addr()}, kafka.Security{}, []string{"econ.fx_rates"})
	if err != nil {
		t.Fatal(err)
	}
	if n := ends["econ.fx_rates"][0]; n != int64(len(want)) {
		t.Fatalf("%d messages published, want %d: the rates of %s and %s", n, len(want), small, big)
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "econ.fx_rates", Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	for i, w := range want {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if string(m.Key) != w.key || string(m.Value) != w.value {
			t.Fatalf("message %d:\n key %s\n %s\nwant\n key %s\n %s", i, m.Key, m.Value, w.key, w.value)
		}
	}
}
