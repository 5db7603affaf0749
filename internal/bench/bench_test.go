package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/transform"
)

// TestIntegrationBenchSmoke runs the whole benchmark small on the real ClickHouse with the
// embedded broker. It asserts that the run was exact and that every metric was measured; it
// asserts no speed.
func TestIntegrationBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	// ClickHouseDSN applies the skip/fail rules; the run makes (and drops) its own database on
	// the same server.
	dsn := testenv.ClickHouseDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{
		Records: 20000, Seed: 3, LatencyRecords: 2000, Rate: 2000,
		Embedded: true, ClickHouse: dsn, Progress: &progress, Logger: testenv.Logger(t),
	})
	t.Log("\n" + progress.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var table bytes.Buffer
	if err := res.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + table.String())
	if !res.Exact || !res.RawExact || !res.JSONExact {
		t.Errorf("exact = %v, raw exact = %v, JSON exact = %v: stored %s (%d rows), raw %s, JSON %s, generated %s",
			res.Exact, res.RawExact, res.JSONExact, res.StoredSum, res.StoredCount, res.RawStoredSum, res.JSONStoredSum, res.ExpectedSum)
	}
	if res.Order != OrderPublishers {
		t.Errorf("order %q, want the default %q", res.Order, OrderPublishers)
	}
	if res.StoredSum != Generate(20000, 3).Sum() || res.StoredCount != 20000 {
		t.Errorf("stored sum %s over %d rows, want the generator's sum over 20000", res.StoredSum, res.StoredCount)
	}
	for _, m := range res.Metrics() {
		if !(m.Value > 0) {
			t.Errorf("metric %q = %v %s, want > 0", m.Name, m.Value, m.Unit)
		}
	}
	if res.LatencyBatches == 0 || res.LatencyMaxMs < res.LatencyP99Ms || res.LatencyP99Ms < res.LatencyP50Ms {
		t.Errorf("latency: %d batches, p50 %v, p99 %v, max %v", res.LatencyBatches, res.LatencyP50Ms, res.LatencyP99Ms, res.LatencyMaxMs)
	}
	var js bytes.Buffer
	if err := res.WriteJSON(&js); err != nil || !json.Valid(js.Bytes()) {
		t.Errorf("WriteJSON: %v\n%s", err, js.String())
	}
	// The run's database is gone (Keep is false).
	var n uint64
	if err := openCount(ctx, t, u, res.Database, &n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after the run", res.Database)
	}
}

// openCount sets n to the number of databases named db on the server of u.
func openCount(ctx context.Context, t *testing.T, u *url.URL, db string, n *uint64) error {
	store, err := clickhouse.Open(ctx, clickhouse.Options{DSN: u.String(), Logger: testenv.Logger(t)})
	if err != nil {
		return err
	}
	defer store.Close()
	return store.Conn().QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = '"+db+"'").Scan(n)
}

// benchBatch returns n generated price messages and a processor that knows their rate.
func benchBatch(n int) ([]ingest.Message, *ingest.Processor) {
	return benchMessages(Generate(n, 1), n)
}

// benchMessages returns the first n price messages of data, as three partitions would hand
// them over, and a processor that knows their rate.
func benchMessages(data *Dataset, n int) ([]ingest.Message, *ingest.Processor) {
	proc := ingest.NewProcessor(transform.DefaultFXConfig())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	proc.Process([]ingest.Message{{Topic: "r", Value: data.Rate.Value, Time: now}}, now, 1)
	msgs := make([]ingest.Message, n)
	for i, p := range data.Prices[:n] {
		msgs[i] = ingest.Message{Topic: "econ.fuel_prices", Partition: i % 3, Offset: int64(i), Key: []byte(p.Key), Value: p.Value, Time: now}
	}
	return msgs, proc
}

// BenchmarkProcessBatch measures decoding, validating, converting and deriving a batch of 10,000
// generated price messages (about 5% in KZT, converted through the rate), with the rows kept as
// Row values (rows) or encoded for ClickHouse as the consumer does (encoded), in generation
// order (each series in date order); and, as the drain meets them (publishers), 1M records in
// publishers' order processed as the consumer does, a default batch of 200,000 at a time, each
// encoded.
func BenchmarkProcessBatch(b *testing.B) {
	for _, encoded := range []bool{false, true} {
		name := "rows"
		if encoded {
			name = "encoded"
		}
		b.Run(name, func(b *testing.B) {
			msgs, proc := benchBatch(10000)
			if encoded {
				buf := clickhouse.NewRowBuffer()
				proc.NewBuffer = func() ingest.RowBuffer { return buf }
			}
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				batch, _ := proc.Process(msgs, now, 1)
				if n := batch.Rows(transform.KindFuelPrice); n != len(msgs) {
					b.Fatalf("%d rows of %d", n, len(msgs))
				}
				if batch.Encoded != nil {
					batch.Encoded.Release()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/row")
		})
	}
	b.Run("publishers", func(b *testing.B) {
		const n, batchRows = 1000000, 200000
		data := Generate(n, 1)
		if err := data.Arrange(OrderPublishers, 1); err != nil {
			b.Fatal(err)
		}
		msgs, proc := benchMessages(data, n)
		data = nil
		buf := clickhouse.NewRowBuffer()
		proc.NewBuffer = func() ingest.RowBuffer { return buf }
		now := time.Now()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for from := 0; from < n; from += batchRows {
				batch, _ := proc.Process(msgs[from:from+batchRows], now, 1)
				if got := batch.Rows(transform.KindFuelPrice); got != batchRows {
					b.Fatalf("%d rows of %d", got, batchRows)
				}
				batch.Encoded.Release()
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	})
}

// BenchmarkWriteBatch measures storing a processed batch of 10,000 price rows in ClickHouse: loading
// the encoded rows into the driver's columns and the insert itself (server time included).
func BenchmarkWriteBatch(b *testing.B) {
	store := testenv.OpenStore(b, testenv.ClickHouseDSN(b))
	msgs, proc := benchBatch(10000)
	proc.NewBuffer = store.NewRowBuffer
	batch, _ := proc.Process(msgs, time.Now(), 1)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := store.WriteBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/row")
}
