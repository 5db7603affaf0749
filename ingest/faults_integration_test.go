package ingest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest/internal/testenv"
	"github.com/econflow/econflow/ingest/kafka"
)

// The fault suite runs with ECONFLOW_FAULTS=1 (`make faults`): it starts and stops servers of its
// own, so it stays out of the ordinary test run.
func requireFaults(t *testing.T) {
	t.Helper()
	if os.Getenv("ECONFLOW_FAULTS") != "1" {
		t.Skip("fault injection: run with ECONFLOW_FAULTS=1 (make faults)")
	}
}

// faultClickHouse controls a ClickHouse server of the fault suite's own, on port 19000 with its
// own data directory, so that stopping it disturbs no other test.
type faultClickHouse struct{ t *testing.T }

func (f faultClickHouse) run(action string) {
	f.t.Helper()
	cmd := exec.Command("bash", "../deploy/clickhouse.sh", action)
	cmd.Env = append(os.Environ(), "CLICKHOUSE_PORT=19000", "CLICKHOUSE_HTTP_PORT=18123", "CLICKHOUSE_INTERSERVER_PORT=19010",
		"CLICKHOUSE_DATA_DIR=/var/tmp/econflow-faults/clickhouse", "CLICKHOUSE_LOG_DIR=/var/tmp/econflow-faults/log",
		"ECONFLOW_RUN_DIR=/var/tmp/econflow-faults/run")
	out, err := cmd.CombinedOutput()
	if err != nil {
		f.t.Fatalf("clickhouse.sh %s: %v\n%s", action, err, out)
	}
	f.t.Logf("clickhouse.sh %s: %s", action, out)
}

func committedTotal(t *testing.T, e *env) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	committed, err := kafka.CommittedOffsets(ctx, []string{e.brokers}, kafka.Security{}, e.group, e.topics.Input())
	if err != nil {
		t.Fatalf("committed offsets: %v", err)
	}
	var n int64
	for _, parts := range committed {
		for _, o := range parts {
			if o > 0 {
				n += o
			}
		}
	}
	return n
}

// ClickHouse stops mid-stream for ~15 s: the consumer keeps retrying with back-off, commits
// nothing it has not stored, does not exit, and finishes by itself once ClickHouse is back —
// with every record exactly once and exact sums.
func TestFaultEmbeddedClickHouseDownMidStream(t *testing.T) {
	requireFaults(t)
	ch := faultClickHouse{t}
	ch.run("start")
	t.Cleanup(func() { ch.run("stop") })
	t.Setenv("ECONFLOW_TEST_CLICKHOUSE", "clickhouse://127.0.0.1:19000/econ")
	e := newEnv(t, testenv.EmbeddedBroker(t), false)
	runOutage(t, e, outage{what: "ClickHouse", stop: func() { ch.run("stop") }, start: func() { ch.run("start") }, down: 15 * time.Second, brokerUp: true})
}

// outage is a service taken away mid-stream and brought back.
type outage struct {
	what        string
	stop, start func()
	down        time.Duration // how long it stays away
	// brokerUp: Kafka stays reachable, so the committed offsets can be checked during the outage.
	brokerUp bool
}

// runOutage publishes the restart dataset, lets a consumer store 3 batches, takes the service
// away while the 4th is on its way, and brings it back. While it is away the consumer must not
// exit and (when the broker can be asked) must have committed nothing it has not stored; afterwards every record must be stored exactly
// once, with exact sums, and every offset committed.
func runOutage(t *testing.T, e *env, o outage) {
	t.Helper()
	msgs, sumAll, sumLatest := restartData(t)
	e.publish(msgs...)
	gate := testenv.NewGate(3)
	c := e.startConsumer(t, gate)
	select {
	case <-gate.Held():
	case <-time.After(waitTimeout):
		t.Fatal("consumer did not write 3 batches")
	}
	stored := mustCount(t, e.store, "fuel_prices_history", "")
	o.stop()
	down := time.Now()
	gate.Open() // the held batch now meets the outage
	time.Sleep(o.down)
	select {
	case <-c.Done():
		t.Fatalf("the consumer exited while %s was down; it must retry", o.what)
	default:
	}
	if o.brokerUp {
		if got := committedTotal(t, e); got > int64(stored) {
			t.Fatalf("committed %d offsets while %s was down, but only %d rows were stored before it went", got, o.what, stored)
		}
	}
	o.start()
	waitAllStoredAndCommitted(t, e)
	t.Logf("%d of %d rows stored before the outage; all stored and committed %.1fs after %s stopped (down %v)",
		stored, restartRecords, time.Since(down).Seconds(), o.what, o.down)
	c.Stop()
	checkExactlyOnce(t, e, sumAll, sumLatest)
}

// waitAllStoredAndCommitted waits until the restart dataset is stored and every offset committed.
func waitAllStoredAndCommitted(t *testing.T, e *env) {
	t.Helper()
	waitCount(t, e.store, restartRecords, "fuel_prices_history", "")
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		n := committedTotal(t, e)
		return n == restartRecords, fmt.Sprintf("%d of %d offsets committed", n, restartRecords)
	})
}

// checkExactlyOnce asserts that the restart dataset is stored exactly once with exact sums.
func checkExactlyOnce(t *testing.T, e *env, sumAll, sumLatest string) {
	t.Helper()
	db := e.db()
	for _, chk := range []struct{ what, q, want string }{
		{"latest rows", "SELECT toString(count()) FROM " + db + ".fuel_prices", fmt.Sprint(restartIdentities)},
		{"history rows", "SELECT toString(count()) FROM " + db + ".fuel_prices_history", fmt.Sprint(restartRecords)},
		{"distinct vintages", "SELECT toString(uniqExact(product, published_at)) FROM " + db + ".fuel_prices_history", fmt.Sprint(restartRecords)},
		{"sum(price) history", "SELECT toString(sum(price)) FROM " + db + ".fuel_prices_history", sumAll},
		{"sum(price) latest", "SELECT toString(sum(price)) FROM " + db + ".fuel_prices", sumLatest},
		{"rejects", "SELECT toString(count()) FROM " + db + ".rejects", "0"},
	} {
		var got string
		if err := e.store.Conn().QueryRow(context.Background(), chk.q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", chk.what, err)
		}
		if got != chk.want {
			t.Errorf("%s = %s, want %s", chk.what, got, chk.want)
		}
	}
}

// The embedded broker, with a data directory, is closed mid-stream and started again on the
// same address: the consumer rides it out, and every record is stored exactly once and every
// offset committed.
func TestFaultEmbeddedBrokerRestart(t *testing.T) {
	requireFaults(t)
	dir := t.TempDir()
	current, err := kafka.StartBroker(kafka.BrokerOptions{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	addr := current.Addr()
	t.Cleanup(func() { current.Close() })
	e := newEnv(t, addr, false)
	runOutage(t, e, outage{what: "the embedded broker", stop: func() { current.Close() }, start: func() {
		if current, err = kafka.StartBroker(kafka.BrokerOptions{Listen: addr, DataDir: dir}); err != nil {
			t.Fatalf("restart broker on %s: %v", addr, err)
		}
	}, down: 5 * time.Second})
}

// Apache Kafka (deploy/kafka.sh) is stopped mid-stream and started again: the consumer rides it
// out, and every record is stored exactly once and every offset committed.
func TestFaultApacheKafkaRestart(t *testing.T) {
	requireFaults(t)
	addr := testenv.ApacheKafka(t)
	kafkaScript := func(action string) {
		t.Helper()
		out, err := exec.Command("bash", "../deploy/kafka.sh", action).CombinedOutput()
		if err != nil {
			t.Fatalf("kafka.sh %s: %v\n%s", action, err, out)
		}
		t.Logf("kafka.sh %s: %s", action, out)
	}
	t.Cleanup(func() { kafkaScript("start") }) // leave the broker running for the other tests
	e := newEnv(t, addr, false)
	runOutage(t, e, outage{what: "Apache Kafka", stop: func() { kafkaScript("stop") }, start: func() { kafkaScript("start") }, down: 3 * time.Second})
}

// Three consumers in one group, two joining while the first holds a batch, then the first
// stopping gracefully and the second aborting without storing or committing its batch in hand:
// every record is stored exactly once and every offset committed.
func TestFaultEmbeddedGroupChurn(t *testing.T) {
	requireFaults(t)
	e := newEnv(t, testenv.EmbeddedBroker(t), false)
	msgs, sumAll, sumLatest := restartData(t)
	e.publish(msgs...)

	gate := testenv.NewGate(2)
	c1 := e.startConsumer(t, gate)
	select {
	case <-gate.Held():
	case <-time.After(waitTimeout):
		t.Fatal("first consumer did not write 2 batches")
	}
	c2 := e.startConsumer(t, nil) // joins while c1 holds a batch: a rebalance mid-stream
	c3 := e.startConsumer(t, nil)
	time.Sleep(2 * time.Second)
	gate.Open()
	c1.Stop() // leaves gracefully
	if err := c2.Abort(); err != nil {
		t.Logf("second consumer aborted: %v", err)
	}
	waitAllStoredAndCommitted(t, e)
	c3.Stop()
	checkExactlyOnce(t, e, sumAll, sumLatest)
}

// While the rejects table is unavailable, no offset of a batch holding a reject is committed; the
// consumer retries, and when the table is back every good record and every reject is stored once.
func TestFaultEmbeddedRejectsTableUnavailable(t *testing.T) {
	requireFaults(t)
	e := newEnv(t, testenv.EmbeddedBroker(t), false)
	db := e.db()
	exec := func(q string) {
		t.Helper()
		if err := e.store.Conn().Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("RENAME TABLE " + db + ".rejects_data TO " + db + ".rejects_data_away")
	var msgs []testenv.Msg
	for i := 0; i < 40; i++ {
		value := fmt.Sprintf(`{"kind":"fuel_price","source":"s","country":"KZ","product":"p%d","price":"%d.5","currency":"EUR","unit":"litre","date":"2022-01-04"}`, i, i)
		if i%4 == 0 {
			value = fmt.Sprintf(`{"kind":"fuel_price","source":"s","country":"KZ","product":"p%d","price":"1,5","currency":"EUR","unit":"litre","date":"2022-01-04"}`, i)
		}
		msgs = append(msgs, testenv.Msg{Kind: "fuel_price", Key: fmt.Sprint(i), Value: []byte(value)})
	}
	e.publish(msgs...)
	c := e.startConsumer(t, nil)
	time.Sleep(4 * time.Second)
	if n := committedTotal(t, e); n != 0 {
		t.Fatalf("%d offsets committed while the rejects table was unavailable", n)
	}
	exec("RENAME TABLE " + db + ".rejects_data_away TO " + db + ".rejects_data")
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		n := committedTotal(t, e)
		return n == int64(len(msgs)), fmt.Sprintf("%d of %d offsets committed", n, len(msgs))
	})
	c.Stop()
	if n := mustCount(t, e.store, "rejects", ""); n != 10 {
		t.Errorf("econ.rejects has %d rows, want 10", n)
	}
	if n := mustCount(t, e.store, "fuel_prices_history", ""); n != 30 {
		t.Errorf("history has %d rows, want 30", n)
	}
}
