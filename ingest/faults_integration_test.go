package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/internal/testenv"
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

// failedAttempts is how many attempts to write, fetch, commit or send dead letters failed.
func failedAttempts(t *testing.T, m *ingest.Metrics) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 16)
	go func() {
		m.Errors.Collect(ch)
		close(ch)
	}()
	n := 0.0
	for metric := range ch {
		var d dto.Metric
		if err := metric.Write(&d); err != nil {
			t.Fatal(err)
		}
		n += d.GetCounter().GetValue()
	}
	return n
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
	runOutage(t, e, outage{name: "embedded_clickhouse_down", what: "ClickHouse", stop: func() { ch.run("stop") }, start: func() { ch.run("start") }, down: 15 * time.Second, brokerUp: true})
}

// outage is a service taken away mid-stream and brought back.
type outage struct {
	name        string // in the report line: fault=<name>
	what        string
	stop, start func()
	down        time.Duration // how long it stays away
	// brokerUp: Kafka stays reachable, so the committed offsets can be checked during the outage.
	brokerUp bool
}

// runOutage publishes the restart dataset, lets a consumer store 3 batches, takes the service
// away while the 4th is on its way, and brings it back. While it is away — once the consumer has
// met the outage (an attempt failed), so that the checks do not pass before it tried — the
// consumer must not exit and (when the broker can be asked) must have committed nothing it has
// not stored; afterwards every record must be stored exactly once, with exact sums, and every
// offset committed.
func runOutage(t *testing.T, e *env, o outage) {
	t.Helper()
	msgs, sumAll, sumLatest := restartData(t)
	e.publish(msgs...)
	gate := testenv.NewGate(3)
	metrics := ingest.NewMetrics(nil)
	logs := newRejectLogCounter(testenv.Logger(t).Handler())
	c := testenv.StartConsumer(t, testenv.ConsumerOptions{Brokers: e.brokers, DSN: e.dsn, Topics: e.topics, Group: e.group,
		Gate: gate, Metrics: metrics, Logger: slog.New(logs)})
	select {
	case <-gate.Held():
	case <-time.After(waitTimeout):
		t.Fatal("consumer did not write 3 batches")
	}
	stored := mustCount(t, e.store, "fuel_prices_history", "")
	warnedBefore := logs.warningCount()
	o.stop()
	down := time.Now()
	gate.Open() // the held batch now meets the outage
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		// A failed write, commit or fetch counts in the metrics; the Kafka source retries its reads,
		// reconnections and joins itself and logs a warning for each.
		return failedAttempts(t, metrics) > 0 || logs.warningCount() > warnedBefore, "no attempt of the consumer failed during the outage"
	})
	time.Sleep(o.down - time.Since(down)) // the outage lasts o.down in all
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
	back := time.Now()
	waitAllStoredAndCommitted(t, e)
	t.Logf("%d of %d rows stored before the outage; all stored and committed %.1fs after %s stopped (down %v)",
		stored, restartRecords, time.Since(down).Seconds(), o.what, o.down)
	c.Stop()
	checkExactlyOnce(t, e, sumAll, sumLatest)
	reportFault(t, e, o.name, restartRecords, time.Since(back), fmt.Sprintf("down=%.0fs", o.down.Seconds()))
}

// waitAllStoredAndCommitted waits until the restart dataset is stored and every offset committed.
func waitAllStoredAndCommitted(t *testing.T, e *env) {
	t.Helper()
	waitCount(t, e.store, restartRecords, "fuel_prices_history", "")
	waitCommitted(t, e, restartRecords)
}

// waitCommitted waits until the group has committed n offsets in all (every message published
// to the input topics, when n is their number).
func waitCommitted(t *testing.T, e *env, n int64) {
	t.Helper()
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		got := committedTotal(t, e)
		return got == n, fmt.Sprintf("%d of %d offsets committed", got, n)
	})
}

// checkExactlyOnce asserts that the restart dataset is stored exactly once with exact sums, and
// nothing rejected.
func checkExactlyOnce(t *testing.T, e *env, sumAll, sumLatest string) {
	t.Helper()
	checkStored(t, e, sumAll, sumLatest, 0)
}

// checkStored asserts that the restart dataset is stored exactly once — one row per identity in
// the latest view, one per vintage in the history view and in the table read FINAL — with exact
// sums, and that econ.rejects holds exactly rejects rows, one per offset.
func checkStored(t *testing.T, e *env, sumAll, sumLatest string, rejects int) {
	t.Helper()
	db := e.db()
	for _, chk := range []struct{ what, q, want string }{
		{"latest rows", "SELECT toString(count()) FROM " + db + ".fuel_prices", fmt.Sprint(restartIdentities)},
		{"distinct identities", "SELECT toString(uniqExact(product)) FROM " + db + ".fuel_prices", fmt.Sprint(restartIdentities)},
		{"latest vintage", "SELECT toString(uniqExact(published_at)) FROM " + db + ".fuel_prices", "1"},
		{"history rows", "SELECT toString(count()) FROM " + db + ".fuel_prices_history", fmt.Sprint(restartRecords)},
		{"distinct vintages", "SELECT toString(uniqExact(product, published_at)) FROM " + db + ".fuel_prices_history", fmt.Sprint(restartRecords)},
		{"stored rows (FINAL)", "SELECT toString(count()) FROM " + db + ".fuel_prices_data FINAL", fmt.Sprint(restartRecords)},
		{"sum(price) history", "SELECT toString(sum(price)) FROM " + db + ".fuel_prices_history", sumAll},
		{"sum(price) stored (FINAL)", "SELECT toString(sum(price)) FROM " + db + ".fuel_prices_data FINAL", sumAll},
		{"sum(price) latest", "SELECT toString(sum(price)) FROM " + db + ".fuel_prices", sumLatest},
		{"wages, fx_rates", "SELECT toString((SELECT count() FROM " + db + ".wages) + (SELECT count() FROM " + db + ".fx_rates))", "0"},
		{"rejects", "SELECT toString(count()) FROM " + db + ".rejects", fmt.Sprint(rejects)},
		{"distinct rejects", "SELECT toString(uniqExact(kafka_topic, kafka_partition, kafka_offset)) FROM " + db + ".rejects", fmt.Sprint(rejects)},
	} {
		var got string
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := e.store.Conn().QueryRow(ctx, chk.q).Scan(&got)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", chk.what, err)
		}
		if got != chk.want {
			t.Errorf("%s = %s, want %s", chk.what, got, chk.want)
		}
	}
}

// reportFault logs the line that goes into the fault table:
//
//	fault=<name> records=N duplicates=0 unmerged_rewrites=R recover=12.3s …
//
// duplicates is what a user would see twice: rows of the latest and history views beyond one
// per identity and one per vintage (it must be 0). unmerged_rewrites is how many rows written
// more than once (a re-delivery) the ReplacingMergeTree still holds as separate copies, collapsed
// only by FINAL; background merges remove them within seconds, so it is a lower bound of the
// rewrites. recover is from the end of the fault to every record stored and every offset
// committed.
func reportFault(t *testing.T, e *env, name string, records int, recover time.Duration, extra ...string) {
	t.Helper()
	db := e.db()
	var dups, rewrites int64
	q := "SELECT (SELECT count() - uniqExact(product) FROM " + db + ".fuel_prices) + " +
		"(SELECT count() - uniqExact(product, published_at) FROM " + db + ".fuel_prices_history)"
	if err := e.store.Conn().QueryRow(context.Background(), q).Scan(&dups); err != nil {
		t.Fatalf("duplicates: %v", err)
	}
	q = "SELECT (SELECT count() FROM " + db + ".fuel_prices_data) - (SELECT count() FROM " + db + ".fuel_prices_data FINAL)"
	if err := e.store.Conn().QueryRow(context.Background(), q).Scan(&rewrites); err != nil {
		t.Fatalf("unmerged rewrites: %v", err)
	}
	if dups != 0 {
		t.Errorf("%d duplicate rows in the views", dups)
	}
	line := fmt.Sprintf("fault=%s records=%d duplicates=%d unmerged_rewrites=%d recover=%.1fs", name, records, dups, rewrites, recover.Seconds())
	for _, x := range extra {
		line += " " + x
	}
	t.Log(line)
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
	runOutage(t, e, outage{name: "embedded_broker_restart", what: "the embedded broker", stop: func() { current.Close() }, start: func() {
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
	runOutage(t, e, outage{name: "apache_kafka_restart", what: "Apache Kafka", stop: func() { kafkaScript("stop") }, start: func() { kafkaScript("start") }, down: 3 * time.Second})
}

// Group churn on the embedded broker: see runGroupChurn.
func TestFaultEmbeddedGroupChurn(t *testing.T) {
	requireFaults(t)
	runGroupChurn(t, newEnv(t, testenv.EmbeddedBroker(t), false), "embedded_group_churn")
}

// Group churn on Apache Kafka: see runGroupChurn.
func TestFaultApacheKafkaGroupChurn(t *testing.T) {
	requireFaults(t)
	runGroupChurn(t, newEnv(t, testenv.ApacheKafka(t), false), "apache_kafka_group_churn")
}

// runGroupChurn runs one group through one, two and three members and back to one, mid-stream:
// the first member holds its third batch while a second joins (a rebalance under a write in
// flight) and takes part; a third joins and takes part; then the first stops gracefully and
// the second aborts with its batch in hand unwritten and uncommitted. The data arrives in three
// waves, each published once the group has settled with its new member, so that every member
// has data to write. At the end every record is stored exactly once, with exact sums, and every
// offset is committed.
func runGroupChurn(t *testing.T, e *env, name string) {
	t.Helper()
	msgs, sumAll, sumLatest := restartData(t)
	waveA, waveB, waveC := msgs[:2000], msgs[2000:3500], msgs[3500:]
	e.publish(waveA...)

	gate := testenv.NewGate(2)
	c1 := e.startConsumer(t, gate)
	select {
	case <-gate.Held():
	case <-c1.Done():
		t.Fatal("first consumer ended before writing 2 batches")
	case <-time.After(waitTimeout):
		t.Fatal("first consumer did not write 2 batches")
	}
	settled := func(members int) {
		t.Helper()
		testenv.WaitFor(t, waitTimeout, func() (bool, string) {
			state, n := testenv.GroupState(t, e.brokers, e.group)
			return state == "Stable" && n == members, fmt.Sprintf("group %s with %d members, want Stable with %d", state, n, members)
		})
	}
	counted := func(what string, g *testenv.Gate) {
		t.Helper()
		testenv.WaitFor(t, waitTimeout, func() (bool, string) {
			batches, _ := g.Written()
			return batches > 0, what + " has written nothing yet"
		})
	}
	never := 1 << 30 // a gate that only counts
	g2 := testenv.NewGate(never)
	c2 := e.startConsumer(t, g2) // joins while c1 holds a batch: a rebalance mid-write
	settled(2)
	e.publish(waveB...)
	counted("the second member", g2)
	g3 := testenv.NewGate(never)
	c3 := e.startConsumer(t, g3)
	settled(3)
	e.publish(waveC...)
	counted("the third member", g3)

	gate.Open()
	c1.Stop() // leaves gracefully, its batch in hand written and committed
	if err := c2.Abort(); err != nil {
		t.Logf("second consumer aborted: %v", err)
	}
	left := time.Now()
	waitAllStoredAndCommitted(t, e)
	recover := time.Since(left)
	c3.Stop()
	checkExactlyOnce(t, e, sumAll, sumLatest)
	_, rows1 := gate.Written()
	_, rows2 := g2.Written()
	_, rows3 := g3.Written()
	reportFault(t, e, name, restartRecords, recover, fmt.Sprintf("members=1-2-3-1 rows_by_member=%d/%d/%d", rows1, rows2, rows3))
}

// While the rejects table is missing, the consumer tries the batch holding a reject
// FatalAttempts times, then stops with an error naming the table and saying to run
// `econflow migrate`, committing no offset of the batch. Once the table is back, a consumer of
// the same group stores every good record and every reject once.
func TestFaultEmbeddedRejectsTableMissing(t *testing.T) {
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
	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		t.Fatalf("the consumer did not stop by itself within %v without its rejects table", waitTimeout)
	}
	err := c.Abort() // it has returned: Abort closes it and returns what Run returned
	var fatal *ingest.FatalError
	if !errors.As(err, &fatal) || !strings.Contains(err.Error(), "rejects_data") || !strings.Contains(err.Error(), "econflow migrate") {
		t.Fatalf("Run returned %v, want a FatalError naming rejects_data and saying to run econflow migrate", err)
	}
	if n := committedTotal(t, e); n != 0 {
		t.Fatalf("%d offsets committed while the rejects table was missing", n)
	}
	exec("RENAME TABLE " + db + ".rejects_data_away TO " + db + ".rejects_data")
	back := time.Now()
	c = e.startConsumer(t, nil)
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		n := committedTotal(t, e)
		return n == int64(len(msgs)), fmt.Sprintf("%d of %d offsets committed", n, len(msgs))
	})
	recover := time.Since(back)
	c.Stop()
	if n := mustCount(t, e.store, "rejects", ""); n != 10 {
		t.Errorf("econ.rejects has %d rows, want 10", n)
	}
	if n := mustCount(t, e.store, "fuel_prices_history", ""); n != 30 {
		t.Errorf("history has %d rows, want 30", n)
	}
	reportFault(t, e, "embedded_rejects_table_missing", len(msgs), recover, "rejects=10")
}

// faultBroker returns Apache Kafka when ECONFLOW_TEST_APACHE_KAFKA names one (as `make faults`
// does), else the embedded broker, with a label for the report line.
func faultBroker(t *testing.T) (addr, label string) {
	t.Helper()
	if os.Getenv(testenv.EnvApacheKafka) != "" {
		return testenv.ApacheKafka(t), "apache_kafka"
	}
	return testenv.EmbeddedBroker(t), "embedded"
}

// faultBadMessages returns n messages that must each be rejected — ten kinds of defect in turn —
// spread over the three input topics, with keys bad-<i>.
func faultBadMessages(n int) []testenv.Msg {
	defects := []string{
		`{"kind":"fuel_price","source":"s","country":"KZ","product":"b%d","price":"1,5","currency":"EUR","unit":"litre","date":"2022-01-04"}`,
		`{"kind":"fuel_price","source":"s","country":"KZ","product":"b%d","price":"1.5"`,
		`{"kind":"gold_price","source":"s","country":"KZ","product":"b%d","price":"1.5","currency":"EUR","unit":"litre","date":"2022-01-04"}`,
		`{"kind":"wage","source":"s","country":"KZ","measure":"m%d","amount":"100","per":"month","date":"2022-01-04"}`,
		`{"kind":"fx_rate","source":"s","base":"USD","quote":"KZT","rate":"NaN","date":"2022-01-%02d"}`,
		"{\"kind\":\"fuel_price\",\"source\":\"s\xff\xfe\",\"country\":\"KZ\",\"product\":\"b%d\",\"price\":\"1\",\"currency\":\"EUR\",\"unit\":\"litre\",\"date\":\"2022-01-04\"}",
		`{"kind":"fuel_price","version":99,"source":"s","country":"KZ","product":"b%d","price":"1","currency":"EUR","unit":"litre","date":"2022-01-04"}`,
		`{"kind":"wage","source":"s","country":"KZ","measure":"m%d","amount":"-5","currency":"KZT","per":"month","date":"2022-01-04"}`,
		`{"kind":"fuel_price","source":"s","country":"KZ","product":"b%d","price":"1234567890123456789012345678901234567890.5","currency":"EUR","unit":"litre","date":"2022-01-04"}`,
		`   %d   `,
	}
	kinds := []string{"fuel_price", "wage", "fx_rate"}
	msgs := make([]testenv.Msg, n)
	for i := range msgs {
		msgs[i] = testenv.Msg{Kind: kinds[i%3], Key: fmt.Sprintf("bad-%d", i), Value: fmt.Appendf(nil, defects[i%len(defects)], i%28+1)}
	}
	return msgs
}

// faultPoisonMessage is a ~800 KB record whose attributes nest 400,000 arrays deep: a parser that
// recurses or buffers per level chokes on it.
func faultPoisonMessage() testenv.Msg {
	const depth = 400_000
	v := `{"kind":"fuel_price","source":"s","country":"KZ","product":"poison","price":"1","currency":"EUR","unit":"litre","date":"2022-01-04","attributes":` +
		strings.Repeat("[", depth) + strings.Repeat("]", depth) + "}"
	return testenv.Msg{Kind: "fuel_price", Key: "poison", Value: []byte(v)}
}

// faultRejectsUncommitted checks that no stored reject's offset is committed: while its dead letter is
// not written, the committed offset of its partition must not have passed it.
func faultRejectsUncommitted(t *testing.T, e *env) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	committed, err := kafka.CommittedOffsets(ctx, []string{e.brokers}, kafka.Security{}, e.group, e.topics.Input())
	if err != nil {
		t.Fatalf("committed offsets: %v", err)
	}
	rows := queryText(t, e.store, "SELECT kafka_topic AS s_topic, toString(kafka_partition) AS s_partition, toString(kafka_offset) AS s_offset FROM "+e.db()+".rejects")
	for _, r := range rows {
		var p int
		var off int64
		fmt.Sscan(r["partition"], &p)
		fmt.Sscan(r["offset"], &off)
		if c, ok := committed[r["topic"]][p]; ok && c > off {
			t.Fatalf("reject %s/%d@%d is committed (committed offset %d) but its dead letter could not be written", r["topic"], p, off, c)
		}
	}
	return len(rows)
}

// faultDeadLetters reads the whole dead-letter topic and returns how many dead letters it holds and
// their headers by source topic/partition/offset (a source offset delivered twice — allowed,
// at least once — is counted in total once per copy).
func faultDeadLetters(t *testing.T, e *env) (total int, bySource map[string]map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	end, err := kafka.EndOffsets(ctx, []string{e.brokers}, kafka.Security{}, []string{e.topics.DeadLetter})
	if err != nil {
		t.Fatalf("dead-letter end offsets: %v", err)
	}
	bySource = map[string]map[string]string{}
	for p, last := range end[e.topics.DeadLetter] {
		if last == 0 {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{e.brokers}, Topic: e.topics.DeadLetter, Partition: p,
			MaxBytes: 16 << 20, MaxWait: 250 * time.Millisecond})
		if err := r.SetOffset(kafkago.FirstOffset); err != nil {
			t.Fatal(err)
		}
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				r.Close()
				t.Fatalf("read dead letters %d/%d (%d of %d): %v", p, m.Offset, m.Offset, last, err)
			}
			total++
			h := map[string]string{"key": string(m.Key)}
			for _, x := range m.Headers {
				h[x.Key] = string(x.Value)
			}
			bySource[h[ingest.HeaderSourceTopic]+"/"+h[ingest.HeaderSourcePartition]+"@"+h[ingest.HeaderSourceOffset]] = h
			if m.Offset+1 >= last {
				break
			}
		}
		r.Close()
	}
	return total, bySource
}

// checkFaultDeadLetters asserts that every reject in econ.rejects has a dead letter with its code and
// source coordinates, and no dead letter is for anything else; it returns the number of dead
// letters read (more than the rejects if some were delivered twice).
func checkFaultDeadLetters(t *testing.T, e *env, want int) int {
	t.Helper()
	total, bySource := faultDeadLetters(t, e)
	rows := queryText(t, e.store, "SELECT key AS s_key, kafka_topic AS s_topic, toString(kafka_partition) AS s_partition, toString(kafka_offset) AS s_offset, error_code AS s_code, error AS s_error FROM "+e.db()+".rejects")
	if len(rows) != want {
		t.Errorf("econ.rejects has %d rows, want %d", len(rows), want)
	}
	for _, r := range rows {
		if r["code"] == "" || strings.TrimSpace(r["error"]) == "" {
			t.Errorf("reject %s: empty error code or reason", r["key"])
		}
		h := bySource[r["topic"]+"/"+r["partition"]+"@"+r["offset"]]
		if h == nil {
			t.Errorf("reject %s (%s/%s@%s) has no dead letter", r["key"], r["topic"], r["partition"], r["offset"])
			continue
		}
		if h[ingest.HeaderErrorCode] != r["code"] || h["key"] != r["key"] {
			t.Errorf("dead letter for %s: code %q key %q, econ.rejects has %q %q", r["key"], h[ingest.HeaderErrorCode], h["key"], r["code"], r["key"])
		}
	}
	if len(bySource) != want {
		t.Errorf("dead letters for %d distinct source offsets, want %d", len(bySource), want)
	}
	return total
}

// A poison message and a burst of 500 bad ones arrive mid-stream, among 5,000 good ones, while
// the consumer is running: every good record is stored exactly once with exact sums, every bad
// one is in econ.rejects and on the dead-letter topic once per offset, and every offset is
// committed.
func TestFaultPoisonAndBadBurst(t *testing.T) {
	requireFaults(t)
	brokers, label := faultBroker(t)
	e := newEnv(t, brokers, false)
	good, sumAll, sumLatest := restartData(t)
	bad := append(faultBadMessages(500), faultPoisonMessage())
	// good[:2000], then good[2000:3000] with a bad one after every second good one (the poison
	// halfway), then good[3000:].
	var msgs []testenv.Msg
	msgs = append(msgs, good[:2000]...)
	k := 0
	for i, m := range good[2000:3000] {
		msgs = append(msgs, m)
		if i%2 == 1 && k < 500 {
			if k == 250 {
				msgs = append(msgs, bad[500])
			}
			msgs = append(msgs, bad[k])
			k++
		}
	}
	msgs = append(msgs, good[3000:]...)
	if k != 500 || len(msgs) != restartRecords+len(bad) {
		t.Fatalf("built %d messages with %d bad ones", len(msgs), k)
	}

	c := e.startConsumer(t, nil)
	for i := 0; i < len(msgs); i += 500 { // a stream, not a backlog
		e.publish(msgs[i:min(i+500, len(msgs))]...)
	}
	published := time.Now()
	waitCount(t, e.store, uint64(len(bad)), "rejects", "")
	waitCount(t, e.store, restartRecords, "fuel_prices_history", "")
	waitCommitted(t, e, int64(len(msgs)))
	recover := time.Since(published)
	c.Stop()

	checkStored(t, e, sumAll, sumLatest, len(bad))
	dl := checkFaultDeadLetters(t, e, len(bad))
	codes := queryText(t, e.store, "SELECT error_code AS s_code, toString(count()) AS s_n FROM "+e.db()+".rejects GROUP BY error_code ORDER BY error_code")
	var byCode []string
	for _, r := range codes {
		byCode = append(byCode, r["code"]+":"+r["n"])
	}
	poison := queryText(t, e.store, "SELECT error_code AS s_code, error AS s_error FROM "+e.db()+".rejects WHERE key = 'poison'")
	if len(poison) != 1 {
		t.Fatalf("the poison message is in econ.rejects %d times, want once", len(poison))
	}
	t.Logf("poison rejected with %s: %.120s", poison[0]["code"], poison[0]["error"])
	reportFault(t, e, label+"_poison_and_bad_burst", len(msgs), recover,
		fmt.Sprintf("bad=%d rejects=%d dead_letters=%d codes=%s", len(bad), len(bad), dl, strings.Join(byCode, ",")))
}

// The dead-letter topic cannot be written for 10 s on the embedded broker: every request naming
// it fails with NOT_ENOUGH_REPLICAS. See runDeadLetterUnavailable.
func TestFaultEmbeddedDeadLetterUnavailable(t *testing.T) {
	requireFaults(t)
	b := testenv.EmbeddedFaultBroker(t)
	e := newEnv(t, b.Addr, false)
	var restore func()
	runDeadLetterUnavailable(t, e, "embedded_dead_letter_unavailable", false,
		func() { restore = b.MakeUnavailable(e.topics.DeadLetter) }, func() { restore() })
}

// The dead-letter topic cannot be written for 10 s on Apache Kafka: its max.message.bytes is set
// to 1, so every produce to it fails with MESSAGE_TOO_LARGE. Other ways tried do not work on a
// single Kafka 4.x broker: raising min.insync.replicas above the replication factor no longer
// refuses acks=all writes, and a deleted topic is created again on first use. See
// runDeadLetterUnavailable.
func TestFaultApacheKafkaDeadLetterUnavailable(t *testing.T) {
	requireFaults(t)
	e := newEnv(t, testenv.ApacheKafka(t), false)
	probe := e.topics.DeadLetter + ".probe"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	testenv.DeleteTopicsAtEnd(t, e.brokers, probe)
	if err := kafka.EnsureTopics(ctx, []string{e.brokers}, kafka.Security{}, []string{probe}, 1, 1); err != nil {
		t.Fatal(err)
	}
	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: []string{e.brokers}}, probe)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	runDeadLetterUnavailable(t, e, "apache_kafka_dead_letter_unavailable", true, func() {
		testenv.SetTopicConfig(t, e.brokers, e.topics.DeadLetter, "max.message.bytes", "1")
		// The broker applies a config change shortly after acknowledging it. The probe topic's
		// change comes later in the metadata log: once the probe refuses writes, so does the
		// dead-letter topic.
		testenv.SetTopicConfig(t, e.brokers, probe, "max.message.bytes", "1")
		testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := w.Write(ctx, kafkago.Message{Topic: probe, Value: []byte("probe")})
			return err != nil, "the probe topic still takes writes"
		})
	}, func() { testenv.SetTopicConfig(t, e.brokers, e.topics.DeadLetter, "max.message.bytes", "1048588") })
}

// runDeadLetterUnavailable: a first wave of good records is stored and committed; then the
// dead-letter topic becomes unwritable and a second wave arrives with 12 bad records among the
// good ones. For 10 s the consumer must keep retrying, must not exit, and must commit no offset
// of a reject whose dead letter is not written (good rows and the rejects may be stored
// meanwhile). Once the topic is back the dead letters arrive, one per reject, and every offset is
// committed, every record stored exactly once with exact sums. readable: the topic's offsets can
// be read during the outage, so the test checks that the outage really stopped the writes.
func runDeadLetterUnavailable(t *testing.T, e *env, name string, readable bool, block, unblock func()) {
	t.Helper()
	const down = 10 * time.Second
	msgs, sumAll, sumLatest := restartData(t)
	bad := faultBadMessages(12)
	wave1, rest := msgs[:2000], msgs[2000:]
	var wave2 []testenv.Msg
	step, k := len(rest)/len(bad), 0
	for i, m := range rest {
		wave2 = append(wave2, m)
		if i%step == step/2 && k < len(bad) {
			wave2 = append(wave2, bad[k])
			k++
		}
	}
	total := int64(len(msgs) + len(bad))

	c := e.startConsumer(t, nil)
	e.publish(wave1...)
	waitCount(t, e.store, uint64(len(wave1)), "fuel_prices_history", "")
	waitCommitted(t, e, int64(len(wave1)))

	block()
	blocked, unblocked := time.Now(), false
	t.Cleanup(func() {
		if !unblocked {
			unblock()
		}
	})
	e.publish(wave2...)
	// A batch holding a reject has been written to ClickHouse; its dead letters cannot be sent.
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		n, err := count(e.store, "rejects", "")
		return err == nil && n > 0, fmt.Sprintf("%d rejects stored (err %v)", n, err)
	})
	var polls, stuck int
	for polls < 3 || time.Since(blocked) < down {
		select {
		case <-c.Done():
			t.Fatal("the consumer exited while the dead-letter topic was unwritable; it must retry")
		default:
		}
		stuck = faultRejectsUncommitted(t, e)
		if readable {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			end, err := kafka.EndOffsets(ctx, []string{e.brokers}, kafka.Security{}, []string{e.topics.DeadLetter})
			cancel()
			if err != nil {
				t.Fatalf("dead-letter end offsets: %v", err)
			}
			for p, n := range end[e.topics.DeadLetter] {
				if n != 0 {
					t.Fatalf("dead-letter partition %d has %d messages during the outage: the fault is not in effect", p, n)
				}
			}
		}
		polls++
		time.Sleep(500 * time.Millisecond)
	}
	storedDuring := mustCount(t, e.store, "fuel_prices_history", "")
	committedDuring := committedTotal(t, e)
	t.Logf("during the %v outage: %d rejects and %d good rows stored, %d of %d offsets committed, no reject committed (%d polls)",
		time.Since(blocked).Round(time.Second), stuck, storedDuring, committedDuring, total, polls)

	unblock()
	unblocked = true
	back := time.Now()
	waitCount(t, e.store, uint64(len(bad)), "rejects", "")
	waitCount(t, e.store, restartRecords, "fuel_prices_history", "")
	waitCommitted(t, e, total)
	recover := time.Since(back)
	c.Stop()
	checkStored(t, e, sumAll, sumLatest, len(bad))
	dl := checkFaultDeadLetters(t, e, len(bad))
	reportFault(t, e, name, int(total), recover, fmt.Sprintf("down=%.0fs rejects=%d dead_letters=%d stuck_rejects=%d committed_during=%d/%d",
		down.Seconds(), len(bad), dl, stuck, committedDuring, total))
}
