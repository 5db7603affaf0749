package ingest_test

// econflow on the cluster of deploy/cluster.sh (2 ClickHouse shards × 2 replicas, 3 Kafka
// brokers): `econflow consume` processes in one group ride out a killed consumer, a stopped
// replica, a stopped broker and a shard wholly down. Run with ECONFLOW_TEST_CLUSTER=1 (`make
// cluster-test`, which starts and stops the cluster).

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/schemas"
)

// clusterTestPartitions is the partition count of the cluster test's topics: two per consumer.
const clusterTestPartitions = 6

// clusterData is the cluster test's records in publishers' order: fuel prices (in KZT, 4
// vintages of each observation), wages (2 vintages) and the EUR/KZT and USD/KZT rates that
// convert them (each revised once), ordered by publication time as publishers release them —
// so prices arrive before the rate of their own day, and are converted again when it and its
// revision come. With the exact sums of the prices and amounts of every vintage.
type clusterData struct {
	msgs                   []testenv.Msg
	fuel, wages, rates     int
	rejects                int // wages with a region that is not an ISO 3166-2 code
	fuelSum, wageSum       *big.Rat
	fuelLatest, wageLatest *big.Rat
}

func newClusterData(t *testing.T) clusterData {
	t.Helper()
	type rec struct {
		pub    time.Time
		series string
		msg    testenv.Msg
	}
	var recs []rec
	d := clusterData{fuelSum: new(big.Rat), wageSum: new(big.Rat), fuelLatest: new(big.Rat), wageLatest: new(big.Rat)}
	day0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	const days, fuelRegions, fuelVintages, wageRegions, wageMonths, wageVintages = 60, 100, 4, 500, 4, 2
	for day := range days {
		date := day0.AddDate(0, 0, day)
		for r := range fuelRegions {
			for p, product := range []string{"lpg", "diesel"} {
				for v := range fuelVintages {
					price := fmt.Sprintf("%d.%06d", 150+(r*7+day*3+p*11+v)%250, (r*7919+day*104729+v*31+p)%1000000)
					pub := date.Add(time.Duration(9+v*24) * time.Hour)
					region := fmt.Sprintf("KZ-%03d", r)
					msg := fmt.Sprintf(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","region":%q,"product":%q,"price":%q,"currency":"KZT","unit":"litre","date":%q,"published_at":%q}`,
						region, product, price, date.Format(time.DateOnly), ts(pub))
					recs = append(recs, rec{pub, "f" + region + product, testenv.Msg{Kind: "fuel_price", Key: region + "/" + product, Value: []byte(msg)}})
					d.fuel++
					d.fuelSum.Add(d.fuelSum, ratText(t, "price", price))
					if v == fuelVintages-1 {
						d.fuelLatest.Add(d.fuelLatest, ratText(t, "price", price))
					}
				}
			}
		}
		for i, pair := range []struct{ base, rate string }{{"EUR", "47%d.%02d"}, {"USD", "43%d.%02d"}} {
			for v := range 2 {
				rate := fmt.Sprintf(pair.rate, day%10, (day*13+v*7+i)%100)
				pub := date.Add(time.Duration(12+v*24) * time.Hour)
				msg := fmt.Sprintf(`{"kind":"fx_rate","source":"nationalbank.kz","base":%q,"quote":"KZT","rate":%q,"date":%q,"published_at":%q}`,
					pair.base, rate, date.Format(time.DateOnly), ts(pub))
				recs = append(recs, rec{pub, "r" + pair.base, testenv.Msg{Kind: "fx_rate", Key: pair.base + "/KZT", Value: []byte(msg)}})
				d.rates++
			}
		}
	}
	for m := range wageMonths {
		date := day0.AddDate(0, m, 0)
		for r := range wageRegions {
			for v := range wageVintages {
				amount := fmt.Sprintf("%d.%02d", 250000+(r*37+m*1009+v*17)%90000, (r+v)%100)
				pub := date.AddDate(0, 1, 14+v*30).Add(10 * time.Hour)
				region := fmt.Sprintf("KZ-%03d", r)
				if r%100 == 99 && v == 0 {
					region = fmt.Sprintf("KZ-W%03d", r) // rejected: invalid_field
				}
				msg := fmt.Sprintf(`{"kind":"wage","source":"stat.gov.kz","country":"KZ","region":%q,"measure":"average","amount":%q,"currency":"KZT","per":"month","frequency":"M","date":%q,"published_at":%q}`,
					region, amount, date.Format(time.DateOnly), ts(pub))
				recs = append(recs, rec{pub, "w" + region, testenv.Msg{Kind: "wage", Key: region, Value: []byte(msg)}})
				if strings.HasPrefix(region, "KZ-W") {
					d.rejects++
					continue
				}
				d.wages++
				d.wageSum.Add(d.wageSum, ratText(t, "amount", amount))
				if v == wageVintages-1 {
					d.wageLatest.Add(d.wageLatest, ratText(t, "amount", amount))
				}
			}
		}
	}
	sort.SliceStable(recs, func(i, j int) bool {
		if !recs[i].pub.Equal(recs[j].pub) {
			return recs[i].pub.Before(recs[j].pub)
		}
		return recs[i].series < recs[j].series
	})
	for _, r := range recs {
		d.msgs = append(d.msgs, r.msg)
	}
	return d
}

// clusterRun is the cluster side of the test: its database, topics, group and processes.
type clusterRun struct {
	t       *testing.T
	c       testenv.TestCluster
	bin     string
	db      string
	topics  kafka.Topics
	group   string
	env     []string
	store   *clickhouse.Store // reads through the Distributed tables, from any node that answers
	writer  *kafka.Writer
	metrics []string // each consumer's /metrics URL
}

func (r *clusterRun) publish(msgs []testenv.Msg) {
	r.t.Helper()
	out := make([]kafkago.Message, len(msgs))
	for i, m := range msgs {
		out[i] = kafkago.Message{Topic: r.topics.ForKind(m.Kind), Key: []byte(m.Key), Value: m.Value}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.writer.Write(ctx, out...); err != nil {
		r.t.Fatalf("publish %d messages: %v", len(msgs), err)
	}
}

func (r *clusterRun) consume(name string) *proc {
	r.t.Helper()
	addr := testenv.FreeAddr(r.t)
	r.metrics = append(r.metrics, "http://"+addr+"/metrics")
	return startProc(r.t, name, r.bin, r.env, "consume", "--http", addr, "--batch-size", "2000", "--batch-linger", "100ms",
		"--reconcile-interval", "1s")
}

// scalar reads one number through the Distributed tables; ok is false while the cluster cannot
// answer (a shard down).
func (r *clusterRun) scalar(q string) (n uint64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = r.store.Conn().QueryRow(ctx, q).Scan(&n)
	return n, err
}

// stored is how many rows the observation and rate tables hold, rewrites included.
func (r *clusterRun) stored() uint64 {
	r.t.Helper()
	n, err := r.scalar("SELECT (SELECT count() FROM " + r.db + ".fuel_prices_data) + (SELECT count() FROM " + r.db +
		".wages_data) + (SELECT count() FROM " + r.db + ".fx_rates_data)")
	if err != nil {
		r.t.Fatalf("stored rows: %v", err)
	}
	return n
}

// waitStored waits until at least n rows are stored, every consumer in running still running.
func (r *clusterRun) waitStored(n uint64, running ...*proc) {
	r.t.Helper()
	testenv.WaitFor(r.t, 3*time.Minute, func() (bool, string) {
		for _, p := range running {
			p.running(r.t)
		}
		got := r.stored()
		return got >= n, fmt.Sprintf("%d of %d rows stored", got, n)
	})
}

func (r *clusterRun) committed() int64 {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	committed, err := kafka.CommittedOffsets(ctx, r.c.Brokers, kafka.Security{}, r.group, r.topics.Input())
	if err != nil {
		r.t.Fatalf("committed offsets: %v", err)
	}
	var n int64
	for _, parts := range committed {
		for _, o := range parts {
			n += max(o, 0)
		}
	}
	return n
}

// lag is end offset − committed offset per input partition, only those not 0.
func (r *clusterRun) lag() map[string]int64 {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	end, err := kafka.EndOffsets(ctx, r.c.Brokers, kafka.Security{}, r.topics.Input())
	if err != nil {
		r.t.Fatalf("end offsets: %v", err)
	}
	committed, err := kafka.CommittedOffsets(ctx, r.c.Brokers, kafka.Security{}, r.group, r.topics.Input())
	if err != nil {
		r.t.Fatalf("committed offsets: %v", err)
	}
	out := map[string]int64{}
	for topic, parts := range end {
		for p, n := range parts {
			if l := n - max(committed[topic][p], 0); l != 0 {
				out[fmt.Sprintf("%s/%d", topic, p)] = l
			}
		}
	}
	return out
}

// writeRetries is the write retries the consumers' /metrics count in all.
func (r *clusterRun) writeRetries() int64 {
	r.t.Helper()
	var n int64
	for _, u := range r.metrics {
		if status, body := httpGet(u); status == http.StatusOK {
			n += wholeSample(r.t, metricSamples(body, "econflow_retries_total")[`{operation="write batch"}`])
		}
	}
	return n
}

// Three `econflow consume` processes in one group, on the cluster of deploy/cluster.sh (topics
// of replication factor 3), drain a backlog of fuel prices, wages and rates in publishers'
// order, several vintages of each, while one consumer is killed with SIGKILL, the ClickHouse
// replica they are connected to is stopped and started again, and a Kafka broker is stopped
// and started again; then, with both replicas of shard 2 stopped, nothing more is committed
// (no batch can be stored) until the shard returns, and the consumers resume by themselves.
// Afterwards every record is stored exactly once, each identity on one shard; every view
// answers exactly as the same records consumed into one ClickHouse server (the single-server
// oracle), with the exact sums of the records; and every offset is committed.
func TestClusterProcessConsumersRideOutFaults(t *testing.T) {
	c := testenv.Cluster(t)
	start := time.Now()
	bin := buildEconflow(t)
	data := newClusterData(t)
	total := len(data.msgs)
	t.Logf("%d messages: %d fuel prices, %d wages, %d rates, %d rejected", total, data.fuel, data.wages, data.rates, data.rejects)

	r := &clusterRun{t: t, c: c, bin: bin, db: "econ_cluster_test_" + testenv.RandomSuffix(t), group: testenv.NewGroup(t)}
	c.DropDatabaseAtEnd(t, r.db)
	suffix := ".t" + testenv.RandomSuffix(t)
	d := kafka.DefaultTopics()
	r.topics = kafka.Topics{FuelPrices: d.FuelPrices + suffix, Wages: d.Wages + suffix, FXRates: d.FXRates + suffix,
		Indicators: d.Indicators + suffix, DeadLetter: d.DeadLetter + suffix}
	testenv.DeleteTopicsAtEnd(t, c.Brokers[0], r.topics.All()...)
	// The consumers connect to the first node of the list that answers: ch-s1-r1 while it runs.
	r.env = append([]string{"ECONFLOW_BROKERS=" + strings.Join(c.Brokers, ","), "ECONFLOW_CLICKHOUSE=" + c.DSN(r.db),
		"ECONFLOW_CLICKHOUSE_CLUSTER=" + c.Name, "ECONFLOW_GROUP=" + r.group,
		"ECONFLOW_HTTP=", "ECONFLOW_LOG_LEVEL=info"}, testenv.TopicEnv(r.topics)...)

	// migrate, as a deployment's migrate job does before the consumers start.
	cmd := exec.Command(bin, "migrate", "--partitions", fmt.Sprint(clusterTestPartitions), "--replication", "3")
	cmd.Env = append(cmd.Environ(), r.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("econflow migrate --cluster: %v\n%s", err, out)
	}
	checkReplicatedTopics(t, c.Brokers, r.topics)
	ctx := context.Background()
	var err error
	if r.store, err = clickhouse.Open(ctx, clickhouse.Options{DSN: c.DSN(r.db), Cluster: c.Name, Logger: testenv.Logger(t)}); err != nil {
		t.Fatal(err)
	}
	defer r.store.Close()
	if r.writer, err = kafka.NewWriter(kafka.WriterOptions{Brokers: c.Brokers}, r.topics.DeadLetter); err != nil {
		t.Fatal(err)
	}
	defer r.writer.Close()

	// Four waves: the backlog, one while the replica is down, one while the broker is down,
	// one while shard 2 is down.
	waves := [][]testenv.Msg{data.msgs[:total*2/5], data.msgs[total*2/5 : total*3/5], data.msgs[total*3/5 : total*4/5], data.msgs[total*4/5:]}
	r.publish(waves[0])
	published := len(waves[0])
	consumers := []*proc{r.consume("econflow consume 1"), r.consume("econflow consume 2"), r.consume("econflow consume 3")}

	// A consumer killed mid-stream.
	r.waitStored(3000, consumers...)
	consumers[0].kill(t)
	storedAtKill, committedAtKill := r.stored(), r.committed()
	t.Logf("SIGKILL consumer 1 with %d rows stored and %d offsets committed of %d published", storedAtKill, committedAtKill, published)
	live := consumers[1:]

	// The replica the consumers write through stopped, and started again: they reconnect to
	// the next node of their DSN, and write shard 1's rows to its other replica.
	before := r.stored()
	testenv.ClusterScript(t, "stop-node", c.Nodes[0].Name)
	r.publish(waves[1])
	published += len(waves[1])
	r.waitStored(before+uint64(len(waves[1])/2), live...)
	t.Logf("with %s stopped: %d rows stored", c.Nodes[0].Name, r.stored())
	testenv.ClusterScript(t, "start-node", c.Nodes[0].Name)

	// A broker stopped and started again: the partitions it led move; the topics have 3
	// replicas and min.insync.replicas 2, so producing and consuming go on.
	before = r.stored()
	testenv.ClusterScript(t, "stop-node", "kafka-2")
	r.publish(waves[2])
	published += len(waves[2])
	r.waitStored(before+uint64(len(waves[2])/2), live...)
	t.Logf("with kafka-2 stopped: %d rows stored", r.stored())
	testenv.ClusterScript(t, "start-node", "kafka-2")
	testenv.WaitFor(t, 3*time.Minute, func() (bool, string) {
		live[0].running(t)
		live[1].running(t)
		n := r.committed()
		return n == int64(published), fmt.Sprintf("%d of %d offsets committed", n, published)
	})

	// Shard 2 wholly down: every batch has rows for both shards, so none can be stored and
	// nothing is committed, while the consumers keep retrying; they resume once it is back.
	committedBefore := r.committed()
	retriesBefore := r.writeRetries()
	shard2 := c.Shard("2")
	for _, n := range shard2 {
		testenv.ClusterScript(t, "stop-node", n.Name)
	}
	r.publish(waves[3])
	published += len(waves[3])
	testenv.WaitFor(t, 2*time.Minute, func() (bool, string) {
		n := r.writeRetries()
		return n > retriesBefore, fmt.Sprintf("write retries %d, not more than %d before shard 2 stopped", n, retriesBefore)
	})
	for _, p := range live {
		p.running(t)
	}
	if n := r.committed(); n != committedBefore {
		t.Errorf("%d offsets committed while shard 2 was down, %d before: nothing may be committed that is not stored", n, committedBefore)
	}
	back := time.Now()
	for _, n := range shard2 {
		testenv.ClusterScript(t, "start-node", n.Name)
	}
	testenv.WaitFor(t, 3*time.Minute, func() (bool, string) {
		live[0].running(t)
		live[1].running(t)
		lag := r.lag()
		return len(lag) == 0, fmt.Sprintf("lag per partition %v", lag)
	})
	t.Logf("shard 2 started again: every offset committed %.1fs later", time.Since(back).Seconds())
	for i, p := range live {
		if took, err := p.terminate(t, time.Minute); err != nil {
			t.Errorf("consumer %d: exit %v after SIGTERM (%v), want 0", i+2, err, took)
		}
	}
	if l := r.lag(); len(l) != 0 {
		t.Errorf("lag after the consumers stopped: %v", l)
	}

	// Exactly once, each identity on one shard.
	for table, want := range map[string]int{"fuel_prices_data": data.fuel, "wages_data": data.wages, "fx_rates_data": data.rates} {
		checkShardedOnce(t, c, r.db, table, want)
	}
	for _, chk := range []struct{ what, q string }{
		{"rejects", "SELECT count() FROM " + r.db + ".rejects"},
		{"rejected offsets", "SELECT uniqExact(kafka_topic, kafka_partition, kafka_offset) FROM " + r.db + ".rejects_data"},
	} {
		if n, err := r.scalar(chk.q); err != nil || n != uint64(data.rejects) {
			t.Errorf("%s: %d (%v), want %d", chk.what, n, err, data.rejects)
		}
	}
	// Every view as on one server, with the exact sums.
	oracle := clusterOracle(t, data)
	r.compareViews(oracle)
	// What was known when, independently of either side: the rate of a price's date is
	// published 3 h after the price's first vintage and revised a day later, 3 h after the
	// second vintage. So the first vintage is known with the day before's rate (pending on the
	// first day), then with its date's rate; the second with that rate, then the revision; the
	// last two with the revision only. 6 rows of fuel_prices_bitemporal per observation (the
	// first vintage with the revision is known only after the second vintage: not a row).
	for _, side := range []struct {
		name string
		s    *clickhouse.Store
		db   string
	}{{"cluster", r.store, r.db}, {"single server", oracle, oracle.Database()}} {
		var observations, wrong, rows uint64
		err := side.s.Conn().QueryRow(ctx, "SELECT count(), countIf(n != 6), sum(n) FROM (SELECT count() AS n FROM "+side.db+
			".fuel_prices_bitemporal GROUP BY region, product, date)").Scan(&observations, &wrong, &rows)
		if err != nil || observations != uint64(data.fuel/4) || wrong != 0 {
			t.Errorf("%s: fuel_prices_bitemporal has %d rows for %d observations, %d of them without 6 rows (%v); want 6 rows for each of %d",
				side.name, rows, observations, wrong, err, data.fuel/4)
		}
	}
	for _, chk := range []struct {
		what, q string
		want    *big.Rat
	}{
		{"sum of every fuel price vintage", "SELECT toString(sum(price)) FROM " + r.db + ".fuel_prices_history", data.fuelSum},
		{"sum of the latest fuel prices", "SELECT toString(sum(price)) FROM " + r.db + ".fuel_prices", data.fuelLatest},
		{"sum of every wage vintage", "SELECT toString(sum(amount)) FROM " + r.db + ".wages_history", data.wageSum},
		{"sum of the latest wages", "SELECT toString(sum(amount)) FROM " + r.db + ".wages", data.wageLatest},
	} {
		var got string
		if err := r.store.Conn().QueryRow(ctx, chk.q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", chk.what, err)
		}
		if ratText(t, chk.what, got).Cmp(chk.want) != 0 {
			t.Errorf("%s = %s, want %s", chk.what, got, chk.want.FloatString(18))
		}
	}
	t.Logf("cluster test: %d records, 3 consumers, SIGKILL, replica, broker and shard stopped: %.0fs in all", total, time.Since(start).Seconds())
}

// checkReplicatedTopics fails unless every partition of the topics has 3 replicas.
func checkReplicatedTopics(t *testing.T, brokers []string, topics kafka.Topics) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: 10 * time.Second}
	meta, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics.All()})
	if err != nil {
		t.Fatalf("topic metadata: %v", err)
	}
	if len(meta.Topics) != len(topics.All()) {
		t.Fatalf("%d topics, want %d", len(meta.Topics), len(topics.All()))
	}
	for _, tp := range meta.Topics {
		if tp.Error != nil || len(tp.Partitions) != clusterTestPartitions {
			t.Fatalf("topic %s: %d partitions (%v), want %d", tp.Name, len(tp.Partitions), tp.Error, clusterTestPartitions)
		}
		for _, p := range tp.Partitions {
			if len(p.Replicas) != 3 {
				t.Fatalf("topic %s partition %d: %d replicas, want 3", tp.Name, p.ID, len(p.Replicas))
			}
		}
	}
}

// checkShardedOnce checks that table holds want records once (read FINAL, per shard on its
// first replica): no record on both shards, none twice.
func checkShardedOnce(t *testing.T, c testenv.TestCluster, db, table string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seen := map[string]string{}
	for _, shard := range []string{"1", "2"} {
		n := c.Shard(shard)[0]
		s, err := clickhouse.Open(ctx, clickhouse.Options{DSN: c.DSN(db, n), Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		// Wait until the replica holds what its shard acknowledged: its replication queue empty.
		testenv.WaitFor(t, time.Minute, func() (bool, string) {
			var q uint64
			err := s.Conn().QueryRow(ctx, "SELECT toUInt64(sum(queue_size)) FROM system.replicas WHERE database = ?", db).Scan(&q)
			return err == nil && q == 0, fmt.Sprintf("%s: replication queue %d (%v)", n.Name, q, err)
		})
		rows, err := s.Conn().Query(ctx, "SELECT record_id FROM "+db+"."+table+schemas.LocalSuffix+" FINAL")
		if err != nil {
			t.Fatalf("%s on %s: %v", table, n.Name, err)
		}
		count := 0
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			if other, dup := seen[id]; dup {
				t.Errorf("%s: record %s stored twice (shards %s and %s)", table, id, other, shard)
			}
			seen[id] = shard
			count++
		}
		rows.Close()
		if count == 0 {
			t.Errorf("%s: shard %s holds nothing; both shards must be used", table, shard)
		}
	}
	if len(seen) != want {
		t.Errorf("%s: %d records stored across the shards, want %d", table, len(seen), want)
	}
}

// clusterOracle consumes the same records, in the same order, into a database of its own on
// the single ClickHouse server, through one consumer on the embedded broker, and returns its
// store once every record is stored and committed.
func clusterOracle(t *testing.T, data clusterData) *clickhouse.Store {
	t.Helper()
	e := newEnv(t, testenv.EmbeddedBroker(t), false)
	e.publish(data.msgs...)
	c := e.startConsumer(t, nil)
	waitCommitted(t, e, int64(len(data.msgs)))
	c.Stop()
	return e.store
}

// viewNames lists the views of db.
func viewNames(t *testing.T, s *clickhouse.Store, db string) []string {
	t.Helper()
	rows, err := s.Conn().Query(context.Background(), "SELECT name FROM system.tables WHERE database = ? AND engine = 'View' ORDER BY name", db)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if len(out) < 10 {
		t.Fatalf("%d views in %s: %v", len(out), db, out)
	}
	return out
}

// whereFrom are the columns that say where and when a row was consumed: they differ between
// the cluster and the oracle by nature (topics, partitions, offsets, times).
var whereFrom = []string{"kafka_topic", "kafka_partition", "kafka_offset", "ingested_at", "received_at", "_version",
	"last_conversion", "last_write"} // (the last two: conversion_status's write times)

// viewRows returns every row of view v in db, sorted, each formatted column by column (decimals
// exactly, NULL as NULL), without the columns of whereFrom.
func viewRows(t *testing.T, s *clickhouse.Store, db, v string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := queryRows(ctx, s, "SELECT * FROM "+db+"."+v, whereFrom)
	if err != nil {
		t.Fatalf("view %s.%s: %v", db, v, err)
	}
	sort.Strings(out)
	return out
}

// queryRows returns q's rows, each formatted column by column as name=value (decimals
// exactly, NULL as NULL), without the columns named in skip.
func queryRows(ctx context.Context, s *clickhouse.Store, q string, skip []string) ([]string, error) {
	rs, err := s.Conn().Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	names, types := rs.Columns(), rs.ColumnTypes()
	var out []string
	for rs.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rs.Scan(vals...); err != nil {
			return nil, err
		}
		var fields []string
		for i, val := range vals {
			if slices.Contains(skip, names[i]) {
				continue
			}
			rv := reflect.ValueOf(val).Elem()
			for rv.Kind() == reflect.Pointer && !rv.IsNil() {
				rv = rv.Elem()
			}
			if rv.Kind() == reflect.Pointer {
				fields = append(fields, names[i]+"=NULL")
			} else {
				fields = append(fields, fmt.Sprintf("%s=%v", names[i], rv.Interface()))
			}
		}
		out = append(out, strings.Join(fields, " "))
	}
	return out, rs.Err()
}

// firstDiff describes the first row where two sorted results differ, or returns "".
func firstDiff(got, want []string) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			return "row missing: " + want[i]
		case i >= len(want):
			return "extra row: " + got[i]
		case got[i] != want[i]:
			return fmt.Sprintf("row %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	return ""
}

// compareViews compares every view of the cluster database with the oracle's, once the
// consumers have stopped and every replica has caught up (waitReplicated), and fails with every
// differing row of both sides and what each replica stores for them.
func (r *clusterRun) compareViews(oracle *clickhouse.Store) {
	r.t.Helper()
	r.waitReplicated()
	diff := ""
	for _, v := range viewNames(r.t, oracle, oracle.Database()) {
		got, want := viewRows(r.t, r.store, r.db, v), viewRows(r.t, oracle, oracle.Database(), v)
		if firstDiff(got, want) != "" {
			diff += r.explainDiff(oracle, v, got, want)
		}
	}
	if diff != "" {
		r.t.Errorf("views differ from the single server:\n%s", diff)
	}
}

// waitReplicated waits until every replica of the cluster holds what its shard acknowledged:
// its replication queue for the test database is empty and it is not read-only. A replica
// copies a part within about 0.1 s of the write (docs/cluster.md), longer after a restart.
func (r *clusterRun) waitReplicated() {
	r.t.Helper()
	for _, n := range r.c.Nodes {
		s, err := clickhouse.Open(context.Background(), clickhouse.Options{DSN: r.c.DSN(r.db, n), Logger: testenv.Logger(r.t)})
		if err != nil {
			r.t.Fatal(err)
		}
		testenv.WaitFor(r.t, 2*time.Minute, func() (bool, string) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var unpulled, queue, readonly uint64
			// log_pointer is the next entry of the shard's replication log to pull: past
			// log_max_index once every entry is pulled; both 0 while the log is empty.
			err := s.Conn().QueryRow(ctx, "SELECT toUInt64(countIf(log_pointer <= log_max_index AND NOT (log_pointer = 0 AND log_max_index = 0))), "+
				"toUInt64(sum(queue_size)), toUInt64(sum(is_readonly)) FROM system.replicas WHERE database = ?", r.db).Scan(&unpulled, &queue, &readonly)
			return err == nil && unpulled == 0 && queue == 0 && readonly == 0,
				fmt.Sprintf("%s: %d tables with log entries not pulled, replication queue %d, read-only tables %d (%v)", n.Name, unpulled, queue, readonly, err)
		})
		s.Close()
	}
}

// rowDiff returns the rows only in got and only in want, two sorted lists compared as
// multisets.
func rowDiff(got, want []string) (onlyGot, onlyWant []string) {
	i, j := 0, 0
	for i < len(got) || j < len(want) {
		switch {
		case j == len(want) || i < len(got) && got[i] < want[j]:
			onlyGot = append(onlyGot, got[i])
			i++
		case i == len(got) || want[j] < got[i]:
			onlyWant = append(onlyWant, want[j])
			j++
		default:
			i++
			j++
		}
	}
	return onlyGot, onlyWant
}

var (
	diffRegion  = regexp.MustCompile(`\bregion=(\S+)`)
	diffProduct = regexp.MustCompile(`\bproduct=(\S+)`)
	diffDate    = regexp.MustCompile(`\bdate=(\d{4}-\d{2}-\d{2})`)
)

// explainDiff describes how view v differs from the oracle: the differing rows of both sides
// and, for the first few, every stored version of the observation on each replica (the local
// tables, without FINAL), the oracle's stored row, and the rates of its staleness window on
// each replica.
func (r *clusterRun) explainDiff(oracle *clickhouse.Store, v string, got, want []string) string {
	const most = 10
	onlyGot, onlyWant := rowDiff(got, want)
	var b strings.Builder
	fmt.Fprintf(&b, "view %s: %d rows, single server %d; %d rows only on the cluster, %d only on the single server\n",
		v, len(got), len(want), len(onlyGot), len(onlyWant))
	for _, side := range []struct {
		name string
		rows []string
	}{{"cluster", onlyGot}, {"single server", onlyWant}} {
		for i, row := range side.rows {
			if i == most {
				fmt.Fprintf(&b, "  … %d more\n", len(side.rows)-most)
				break
			}
			fmt.Fprintf(&b, "  %s: %s\n", side.name, row)
		}
	}
	table := ""
	switch {
	case strings.HasPrefix(v, "fuel"):
		table = "fuel_prices_data"
	case strings.HasPrefix(v, "wage"):
		table = "wages_data"
	default:
		return b.String()
	}
	seen := map[string]bool{}
	for _, row := range append(slices.Clone(onlyGot), onlyWant...) {
		region, date := diffRegion.FindStringSubmatch(row), diffDate.FindStringSubmatch(row)
		if region == nil || date == nil {
			continue
		}
		where := fmt.Sprintf("region = '%s' AND date = '%s'", region[1], date[1])
		if p := diffProduct.FindStringSubmatch(row); p != nil && table == "fuel_prices_data" {
			where += fmt.Sprintf(" AND product = '%s'", p[1])
		}
		if seen[where] || len(seen) == 3 {
			continue
		}
		seen[where] = true
		cols := "published_at, known_from, _version, ingested_at, fx_status, fx_path, fx_date, toString(fx_rate) AS rate, record_id, kafka_topic, kafka_partition, kafka_offset"
		for _, tbl := range []string{table, strings.TrimSuffix(table, "_data") + "_known"} {
			fmt.Fprintf(&b, "  %s WHERE %s:\n", tbl, where)
			for _, n := range r.c.Nodes {
				for _, line := range r.nodeRows(n, "SELECT "+cols+", _part FROM "+r.db+"."+tbl+schemas.LocalSuffix+" WHERE "+where+" ORDER BY published_at, known_from, _version") {
					fmt.Fprintf(&b, "    %s: %s\n", n.Name, line)
				}
			}
			for _, line := range dumpRows(oracle, "SELECT "+cols+" FROM "+oracle.Database()+"."+tbl+" WHERE "+where+" ORDER BY published_at, known_from, _version") {
				fmt.Fprintf(&b, "    single server: %s\n", line)
			}
		}
		rates := fmt.Sprintf("SELECT base, date, published_at, toString(rate) AS rate, ingested_at, _version, kafka_partition, kafka_offset, _part FROM %s.fx_rates_data_local WHERE date BETWEEN toDate('%s') - 7 AND toDate('%s') ORDER BY base, date, published_at, _version", r.db, date[1], date[1])
		for _, n := range r.c.Nodes {
			for _, line := range r.nodeRows(n, rates) {
				fmt.Fprintf(&b, "    rate on %s: %s\n", n.Name, line)
			}
		}
	}
	return b.String()
}

// nodeRows runs q on node n alone; an error is returned as the only line.
func (r *clusterRun) nodeRows(n testenv.ClusterNode, q string) []string {
	r.t.Helper()
	s, err := clickhouse.Open(context.Background(), clickhouse.Options{DSN: r.c.DSN(r.db, n), Logger: testenv.Logger(r.t)})
	if err != nil {
		return []string{err.Error()}
	}
	defer s.Close()
	return dumpRows(s, q)
}

// dumpRows returns q's rows, each formatted column by column; an error is the last line.
func dumpRows(s *clickhouse.Store, q string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := queryRows(ctx, s, q, nil)
	if err != nil {
		out = append(out, err.Error())
	}
	return out
}
