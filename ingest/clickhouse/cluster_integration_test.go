package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/schemas"
	"github.com/econflow/econflow/transform"
)

// clusterRows returns n fuel prices, each an identity of its own, every fifth pending, and m
// rates: rows the way the consumer's processor hands them to a row buffer.
func clusterRows(t *testing.T, n, m int) (fuel, rates []ingest.Row) {
	t.Helper()
	dec := func(s string) transform.Decimal {
		d, err := transform.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	day := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	pub := time.Date(2022, 3, 1, 12, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for i := range n {
		r := ingest.Row{
			Record: transform.Record{Kind: transform.KindFuelPrice, Version: 1, ID: fmt.Sprintf("fuel-%06d", i), Source: "cluster.test",
				Date: day.AddDate(0, 0, i%365), Frequency: "D", PublishedAt: pub, Status: "A", Country: "KZ",
				Region: fmt.Sprintf("KZ-%03d", i/365), Product: "lpg", TaxBasis: "incl_tax", Currency: "KZT", Unit: "litre",
				Price: dec(fmt.Sprintf("%d.%06d", 100+i%900, i))},
			Topic: "econ.fuel_prices", Partition: int(i % 3), Offset: int64(i), IngestedAt: ing, Version: uint64(1000 + i),
		}
		r.Derived.PricePerLitre = r.Record.Price.Fixed18()
		if i%5 == 0 {
			r.Derived.FXStatus = transform.FXPending
		} else {
			r.Derived.FXStatus, r.Derived.FXPath, r.Derived.FXDate = transform.FXConverted, "KZT>EUR", r.Record.Date
			r.Derived.FXRate = dec("0.002").Fixed18()
			r.Derived.PriceEUR = dec(fmt.Sprintf("%d.%06d", (100+i%900)/500, i)).Fixed18()
			r.Derived.PricePerLitreEUR = r.Derived.PriceEUR
		}
		fuel = append(fuel, r)
	}
	for i := range m {
		rates = append(rates, ingest.Row{
			Record: transform.Record{Kind: transform.KindFXRate, Version: 1, ID: fmt.Sprintf("rate-%04d", i), Source: "nationalbank.kz",
				Date: day.AddDate(0, 0, i), Frequency: "D", PublishedAt: pub, Status: "A", Base: "EUR", Quote: "KZT",
				RateType: "mid", Rate: dec(fmt.Sprintf("%d.%02d", 480+i%40, i%100)), Quantity: 1},
			Topic: "econ.fx_rates", Offset: int64(i), IngestedAt: ing, Version: uint64(7 + i),
		})
	}
	return fuel, rates
}

// On the 2 × 2 cluster of deploy/cluster.sh, a Store in cluster mode: migrates with the
// replicated and Distributed tables (and, once every migration is recorded, runs no DDL at
// all); writes the consumer's encoded batch through the Distributed tables synchronously; with
// shard 2 wholly down the write fails with a retryable error, and the retry of the identical
// buffer once the shard is back stores every row exactly once — the part shard 1 stored on the
// failed attempt is deduplicated; the reconciler's reads (FINAL WHERE on the Distributed
// tables) return every row.
func TestClusterStoreWritesThroughDistributed(t *testing.T) {
	c := testenv.Cluster(t)
	db := "econ_cluster_test_" + testenv.RandomSuffix(t)
	c.DropDatabaseAtEnd(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	store, err := clickhouse.Open(ctx, clickhouse.Options{DSN: c.DSN(db), Cluster: c.Name, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate on cluster %s: %v", c.Name, err)
	}
	var engine string
	if err := store.Conn().QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = 'fuel_prices_data'", db).Scan(&engine); err != nil || engine != "Distributed" {
		t.Fatalf("fuel_prices_data is %q (%v), want a Distributed table", engine, err)
	}
	// Every migration recorded: no DDL. Told a cluster with an unreachable host, any ON CLUSTER
	// statement would wait for that host until the deadline and fail.
	down := c.Name + "_shard_down"
	again, err := clickhouse.Open(ctx, clickhouse.Options{DSN: c.DSN(db), Cluster: down, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
	err = again.Migrate(ch.Context(dctx, ch.WithSettings(ch.Settings{"distributed_ddl_task_timeout": 20})))
	dcancel()
	again.Close()
	if err != nil {
		t.Fatalf("a second migrate, every migration recorded, ran DDL: %v", err)
	}

	fuel, rates := clusterRows(t, 25000, 300) // three blocks of fuel prices (blockRows)
	rb := store.NewRowBuffer()
	defer rb.Release()
	for _, rows := range [][]ingest.Row{rates, fuel} {
		for i := range rows {
			if err := rb.Add(&rows[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	batch := &ingest.Batch{Encoded: rb}

	// nodeCount is the rows of table's local table on node n, through a connection of its own
	// closed at once (a server stopped later waits for its clients' connections to close).
	nodeCount := func(n testenv.ClusterNode, table string) uint64 {
		s, err := clickhouse.Open(ctx, clickhouse.Options{DSN: c.DSN(db, n), Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		got, err := s.Count(ctx, table+schemas.LocalSuffix)
		if err != nil {
			t.Fatalf("%s on %s: %v", table, n.Name, err)
		}
		return got
	}
	// perShard is the rows of table's local tables on each shard (of shards, when given), the
	// most any replica holds.
	perShard := func(table string, shards ...string) map[string]uint64 {
		out := map[string]uint64{}
		for _, n := range c.Nodes {
			if len(shards) == 0 || slices.Contains(shards, n.Shard) {
				out[n.Shard] = max(out[n.Shard], nodeCount(n, table))
			}
		}
		return out
	}

	// Shard 2 wholly down: the write fails, retryably; shard 1 may have stored its part.
	shard2 := c.Shard("2")
	for _, n := range shard2 {
		testenv.ClusterScript(t, "stop-node", n.Name)
	}
	restarted := false
	restart := func() {
		if !restarted {
			restarted = true
			for _, n := range shard2 {
				testenv.ClusterScript(t, "start-node", n.Name)
			}
		}
	}
	t.Cleanup(restart)
	// The consumer retries while the shard is down. Each attempt fails as a whole: the shards'
	// parts are only committed when the INSERT ends, so shard 1 keeps nothing of them either.
	for attempt := 1; attempt <= 3; attempt++ {
		if err = store.WriteBatch(ctx, batch); err == nil {
			t.Fatal("a write through the Distributed tables succeeded with shard 2 down")
		}
		t.Logf("attempt %d with shard 2 down: shard 1 holds %v rows", attempt, perShard("fuel_prices_data", "1"))
	}
	var ex *ch.Exception
	if !errors.As(err, &ex) || chproto.Error(ex.Code) != chproto.ErrAllConnectionTriesFailed {
		t.Errorf("with shard 2 down: %v, want exception code 279 (all connection tries failed)", err)
	}
	if class := ingest.Classify(err, clickhouse.Classify); class.Class != ingest.Retryable {
		t.Errorf("with shard 2 down: class %v, want retryable: %v", class.Class, err)
	}
	t.Logf("shard 2 down: %.200s", err)
	restart()

	// The consumer's retry once the shard is back: the identical buffer, written again. Then
	// once more, as after an acknowledgement lost on the way back: the shards drop the
	// identical blocks.
	for i, what := range []string{"the retry once shard 2 is back", "a repeated write of the same buffer"} {
		if err := store.WriteBatch(ctx, batch); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for table, want := range map[string]int{"fuel_prices_data": len(fuel), "fx_rates_data": len(rates)} {
			// Synchronous: once the INSERT returned, one replica of each shard holds its rows.
			got := perShard(table)
			if got["1"]+got["2"] != uint64(want) || got["1"] == 0 || got["2"] == 0 {
				t.Errorf("%s: after write %d (%s) the shards hold %v rows, want %d in all, on both shards", table, i+1, what, got, want)
			}
		}
	}
	// Both replicas of each shard hold the same rows (replication); through the Distributed
	// table, without FINAL, every row is there once.
	for table, want := range map[string]int{"fuel_prices_data": len(fuel), "fx_rates_data": len(rates)} {
		testenv.WaitFor(t, time.Minute, func() (bool, string) {
			byNode := map[string]uint64{}
			for _, n := range c.Nodes {
				byNode[n.Name] = nodeCount(n, table)
			}
			same := true
			for _, n := range c.Nodes {
				for _, m := range c.Shard(n.Shard) {
					same = same && byNode[n.Name] == byNode[m.Name]
				}
			}
			return same, fmt.Sprintf("%s: replicas hold %v rows", table, byNode)
		})
		if n, err := store.Count(ctx, table); err != nil || n != uint64(want) {
			t.Errorf("%s: %d rows stored (%v), want %d: a retried block must be stored once", table, n, err, want)
		}
	}

	// The reconciler's reads go through the Distributed tables with FINAL and WHERE.
	got, err := store.Rates(ctx, time.Time{})
	if err != nil {
		t.Fatalf("rates: %v", err)
	}
	if len(got) != len(rates) {
		t.Errorf("read back %d rates, wrote %d", len(got), len(rates))
	}
	obs, err := store.Observations(ctx, ingest.ObservationQuery{Pending: true})
	if err != nil {
		t.Fatalf("pending observations: %v", err)
	}
	if want := (len(fuel) + 4) / 5; len(obs) != want {
		t.Errorf("read back %d pending observations, wrote %d", len(obs), want)
	}
	obs, err = store.Observations(ctx, ingest.ObservationQuery{From: fuel[0].Record.Date, To: fuel[0].Record.Date.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatalf("observations by date: %v", err)
	}
	ids := make([]string, len(obs))
	for i, r := range obs {
		ids[i] = r.Record.ID
	}
	slices.Sort(ids)
	if len(ids) != len(fuel) || ids[0] != fuel[0].Record.ID || ids[len(ids)-1] != fuel[len(fuel)-1].Record.ID || len(slices.Compact(ids)) != len(fuel) {
		t.Errorf("read back %d observations by date, want each of the %d written once", len(obs), len(fuel))
	}
	for _, r := range obs {
		if r.Record.ID == fuel[7].Record.ID {
			checkRow(t, r, fuel[7])
		}
	}
}
