package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/transform"
)

// TestGenerate checks that the generator is deterministic for a seed, that every record is valid
// with its own identity, and that Sum agrees with an independent recomputation from the JSON
// text with math/big.Rat.
func TestGenerate(t *testing.T) {
	const n = 30000
	a, b := Generate(n, 7), Generate(n, 7)
	if len(a.Prices) != n || len(b.Prices) != n {
		t.Fatalf("generated %d and %d records, want %d", len(a.Prices), len(b.Prices), n)
	}
	for i := range a.Prices {
		if !bytes.Equal(a.Prices[i].Value, b.Prices[i].Value) || a.Prices[i].Key != b.Prices[i].Key {
			t.Fatalf("record %d differs between two runs with seed 7:\n%s\n%s", i, a.Prices[i].Value, b.Prices[i].Value)
		}
	}
	if a.Sum() != b.Sum() || !bytes.Equal(a.Rate.Value, b.Rate.Value) {
		t.Fatalf("sums or rates differ between two runs with seed 7")
	}
	if c := Generate(n, 8); c.Sum() == a.Sum() || bytes.Equal(c.Prices[0].Value, a.Prices[0].Value) {
		t.Errorf("seed 8 generated the same records as seed 7")
	}

	// The rate and every price decode without a reject.
	rate, err := transform.DecodeJSON(a.Rate.Value)
	if err != nil || rate.Kind != transform.KindFXRate {
		t.Fatalf("rate record %s: kind %q, err %v", a.Rate.Value, rate.Kind, err)
	}
	sum := new(big.Rat)
	ids := map[string]bool{}
	kzt := 0
	for i, p := range a.Prices {
		rec, err := transform.DecodeJSON(p.Value)
		if err != nil {
			t.Fatalf("record %d %s: %v", i, p.Value, err)
		}
		rec.Finish(time.Unix(0, 0))
		// Identity: the view's LIMIT 1 BY columns.
		id := strings.Join([]string{rec.Country, rec.Region, rec.Product, rec.TaxBasis, rec.Currency, rec.Unit,
			rec.Source, rec.Frequency, rec.Date.Format(time.DateOnly)}, "|")
		if ids[id] {
			t.Fatalf("record %d repeats identity %s", i, id)
		}
		ids[id] = true

		var m map[string]any
		if err := json.Unmarshal(p.Value, &m); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		price, ok := m["price"].(string)
		if !ok {
			t.Fatalf("record %d: price %v is not a JSON string", i, m["price"])
		}
		intPart, frac, _ := strings.Cut(price, ".")
		if len(intPart) != 12 || len(frac) != 6 || intPart[0] == '0' {
			t.Fatalf("record %d: price %q, want 12 integer and 6 fractional digits", i, price)
		}
		r, ok := new(big.Rat).SetString(price)
		if !ok {
			t.Fatalf("record %d: price %q does not parse", i, price)
		}
		sum.Add(sum, r)
		if m["currency"] == "KZT" {
			kzt++
			// Within the conversion window of the rate: [rate date, rate date + 7 days].
			if d := rec.Date.Sub(rate.Date); d < 0 || d > 7*24*time.Hour {
				t.Fatalf("record %d: KZT price dated %s, outside the window of the rate dated %s", i,
					rec.Date.Format(time.DateOnly), rate.Date.Format(time.DateOnly))
			}
		}
	}
	if want := sum.FloatString(18); a.Sum() != want {
		t.Errorf("Sum() = %s, recomputed from the JSON %s", a.Sum(), want)
	}
	if kzt != a.KZT || kzt == 0 || kzt > n/5 {
		t.Errorf("%d KZT records (Dataset says %d), want some but a minority of %d", kzt, a.KZT, n)
	}
}

// TestGenerateSeriesOverflow checks that identities stay distinct past the 46656 region codes.
func TestGenerateSeriesOverflow(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range []int{0, 1, regionCodes - 1, regionCodes, regionCodes + 1, 3 * regionCodes} {
		s, r := series(benchSource, i)
		if seen[s+r] {
			t.Fatalf("series %d repeats %s %s", i, s, r)
		}
		seen[s+r] = true
	}
}

func TestFormatScaled(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want string
	}{
		{0, "0.000000000000000000"},
		{5, "0.000005000000000000"},
		{1234567, "1.234567000000000000"},
		{-1234567, "-1.234567000000000000"},
	} {
		if got := formatScaled(big.NewInt(c.v), 6, 18); got != c.want {
			t.Errorf("formatScaled(%d) = %s, want %s", c.v, got, c.want)
		}
	}
}

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
	if !res.Exact || !res.RawExact {
		t.Errorf("exact = %v, raw exact = %v: stored %s (%d rows), raw %s, generated %s",
			res.Exact, res.RawExact, res.StoredSum, res.StoredCount, res.RawStoredSum, res.ExpectedSum)
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
	data := Generate(n, 1)
	proc := ingest.NewProcessor(transform.DefaultFXConfig())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	proc.Process([]ingest.Message{{Topic: "r", Value: data.Rate.Value, Time: now}}, now, 1)
	msgs := make([]ingest.Message, n)
	for i, p := range data.Prices {
		msgs[i] = ingest.Message{Topic: "econ.fuel_prices", Partition: i % 3, Offset: int64(i), Key: []byte(p.Key), Value: p.Value, Time: now}
	}
	return msgs, proc
}

// BenchmarkProcessBatch measures decoding, validating, converting and deriving a batch of 10,000
// generated price messages (about 5% in KZT, converted through the rate), with the rows kept as
// Row values (rows) or encoded for ClickHouse as the consumer does (encoded).
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

func TestStatCPU(t *testing.T) {
	// A command name with spaces and parentheses; utime 250 and stime 50 ticks.
	stat := "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 30 0 100 0 0"
	d, ok := statCPU(stat)
	if !ok || d != 3*time.Second {
		t.Fatalf("statCPU = %v, %v; want 3s", d, ok)
	}
	if _, ok := statCPU("garbage"); ok {
		t.Fatal("statCPU accepted a line without fields")
	}
	if pids := localPIDs("no-such-process-\x00-marker"); len(pids) != 0 {
		t.Fatalf("localPIDs of no process = %v", pids)
	}
	if _, n := pidsCPU([]int{os.Getpid()}); n != 1 {
		t.Fatalf("pidsCPU read %d of 1 running process", n)
	}
	if d, n := pidsCPU([]int{1 << 30}); n != 0 || d != 0 {
		t.Fatalf("pidsCPU of no process = %v over %d", d, n)
	}
	for host, want := range map[string]bool{"127.0.0.1:9000": true, "localhost:19092": true, "[::1]:9000": true,
		"10.0.0.5:9000": false, "ch.example.com:9440": false, "127.0.0.1": true} {
		if got := isLocalHost(host); got != want {
			t.Errorf("isLocalHost(%q) = %v", host, got)
		}
	}
}

// TestShuffle: a shuffled dataset holds the same records in another order, the same for the
// same seed.
func TestShuffle(t *testing.T) {
	const n = 5000
	a, b, c := Generate(n, 7), Generate(n, 7), Generate(n, 7)
	b.Shuffle(7)
	c.Shuffle(7)
	moved := 0
	count := map[string]int{}
	for i := range a.Prices {
		if !bytes.Equal(b.Prices[i].Value, c.Prices[i].Value) {
			t.Fatalf("record %d differs between two shuffles with seed 7", i)
		}
		if !bytes.Equal(a.Prices[i].Value, b.Prices[i].Value) {
			moved++
		}
		count[string(a.Prices[i].Value)]++
		count[string(b.Prices[i].Value)]--
	}
	if moved < n*9/10 {
		t.Errorf("shuffling moved %d of %d records", moved, n)
	}
	for v, k := range count {
		if k != 0 {
			t.Fatalf("record %s: %d more in the generated than in the shuffled set", v, k)
		}
	}
}

// The drain is polled fast at its start and near its expected end, slowly in between.
func TestNextDrainPoll(t *testing.T) {
	const n = 1_000_000
	for _, c := range []struct {
		rows    uint64
		elapsed time.Duration
		want    time.Duration
	}{
		{0, 100 * time.Millisecond, drainPollNear}, // the first rows may come any moment
		{0, 3 * time.Second, drainPoll},            // a slow start: no fast polls for it
		{100_000, 300 * time.Millisecond, drainPoll},
		{500_000, time.Second, drainPoll},                 // 1 s left at this rate
		{900_000, 2700 * time.Millisecond, drainPollNear}, // 0.3 s left
		{999_999, 3 * time.Second, drainPollNear},         // one row left
		{n, 3 * time.Second, drainPoll},                   // done: only distinct records wait
		{800_000, 2 * time.Second, drainPoll},             // 0.5 s left
		{850_000, 2 * time.Second, drainPollNear},         // 0.35 s left
	} {
		if got := nextDrainPoll(c.rows, n, c.elapsed); got != c.want {
			t.Errorf("nextDrainPoll(%d of %d after %v) = %v, want %v", c.rows, n, c.elapsed, got, c.want)
		}
	}
}
