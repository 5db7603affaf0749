package ingest_test

// Faults injected into `econflow consume` running as a process of its own, built from
// ../cmd/econflow: SIGKILL mid-batch, /readyz and /metrics while ClickHouse is down, and the
// time SIGTERM takes during a backlog drain. Part of the fault suite (ECONFLOW_FAULTS=1,
// `make faults`).

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/internal/testenv"
)

// lockedBuffer collects a process's output; it can be read while the process writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// tail returns the last n bytes written.
func (l *lockedBuffer) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// proc is an econflow command running as a separate process. If the test does not end it, it is
// killed when the test ends; its output is logged when the test fails.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error // Wait's result, once done is closed
}

func startProc(t *testing.T, name, bin string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{name: name, cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.tail(6000))
		}
	})
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still running 10s after SIGKILL", p.name)
	}
}

// terminate sends SIGTERM and returns how long the exit took and the exit error (nil: status
// 0); it fails the test if the process is still running after within.
func (p *proc) terminate(t *testing.T, within time.Duration) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	select {
	case <-p.done:
		return time.Since(start), p.err
	case <-time.After(within):
		t.Fatalf("%s did not exit within %v of SIGTERM", p.name, within)
		return 0, nil
	}
}

// running fails the test if the process has exited.
func (p *proc) running(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("%s exited (%v); it must keep running", p.name, p.err)
	default:
	}
}

// startConsume runs `econflow consume` on e's brokers, database, topics and group.
func startConsume(t *testing.T, bin string, e *env, args ...string) *proc {
	t.Helper()
	env := append([]string{"ECONFLOW_BROKERS=" + e.brokers, "ECONFLOW_CLICKHOUSE=" + e.dsn, "ECONFLOW_GROUP=" + e.group,
		"ECONFLOW_HTTP=", "ECONFLOW_LOG_LEVEL=info"}, testenv.TopicEnv(e.topics)...)
	return startProc(t, "econflow consume", bin, env, append([]string{"consume"}, args...)...)
}

// processBroker returns Apache Kafka when ECONFLOW_TEST_APACHE_KAFKA names one; otherwise it
// starts the embedded broker as a process of its own, `econflow broker --data-dir`.
func processBroker(t *testing.T, bin string) (addr, label string) {
	t.Helper()
	if os.Getenv(testenv.EnvApacheKafka) != "" {
		return testenv.ApacheKafka(t), "apache_kafka"
	}
	addr = testenv.FreeAddr(t)
	startProc(t, "econflow broker", bin, nil, "broker", "--listen", addr, "--data-dir", filepath.Join(t.TempDir(), "broker"))
	testenv.WaitKafka(t, addr, 30*time.Second)
	return addr, "embedded_process"
}

// The consumer process is killed with SIGKILL while it drains a backlog in batches of 1000 —
// with some rows stored and not all, and an INSERT of the next batch under way on the server
// when that can be caught — and started again: every record ends up exactly once in the latest
// and history views, with exact sums, and every offset committed. Nothing committed at the kill
// was unstored.
func TestFaultProcessSIGKILLMidBatch(t *testing.T) {
	requireFaults(t)
	bin := buildEconflow(t)
	brokers, label := processBroker(t, bin)
	e := newEnv(t, brokers, false)
	msgs, sumAll, sumLatest := restartData(t)
	e.publish(msgs...)

	args := []string{"--batch-size", "1000", "--batch-linger", "50ms"}
	p := startConsume(t, bin, e, args...)
	// Polled every 10 ms (not WaitFor's 200 ms): kill once rows are stored while the server runs
	// an INSERT of the next batch; failing to catch one by 3000 rows, kill between inserts.
	table := e.db() + ".fuel_prices_data"
	inserting := "(SELECT count() FROM system.processes WHERE query LIKE 'INSERT INTO " + table + " %')"
	probe := "SELECT (SELECT count() FROM " + table + "), " + inserting
	var rows, inserts uint64
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(10 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := e.store.Conn().QueryRow(ctx, probe).Scan(&rows, &inserts)
		cancel()
		if err == nil && rows > 0 && (inserts > 0 || rows >= 3000) {
			p.kill(t)
			break
		}
		p.running(t)
		if time.Now().After(deadline) {
			t.Fatalf("%d rows stored (err %v) after %v", rows, err, waitTimeout)
		}
	}
	killed := time.Now()
	where := "between inserts"
	if inserts > 0 {
		where = "during an insert"
	}
	// The server finishes or cancels the insert of the dead client.
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		var n uint64
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := e.store.Conn().QueryRow(ctx, "SELECT "+inserting).Scan(&n)
		return err == nil && n == 0, fmt.Sprintf("%d inserts still running (err %v)", n, err)
	})
	committed := committedTotal(t, e) // read before the stored count: both only grow
	stored := mustCount(t, e.store, "fuel_prices_history", "")
	if stored >= restartRecords {
		t.Fatalf("the consumer stored all %d rows before it was killed; the kill must come mid-stream", stored)
	}
	if committed > int64(stored) {
		t.Fatalf("after SIGKILL %d offsets are committed but only %d rows stored", committed, stored)
	}
	t.Logf("SIGKILL %s with %d rows stored when the kill was decided, %d after, %d offsets committed", where, rows, stored, committed)

	p = startConsume(t, bin, e, args...)
	restarted := time.Now()
	waitAllStoredAndCommitted(t, e)
	recover := time.Since(restarted)
	if took, err := p.terminate(t, 30*time.Second); err != nil {
		t.Fatalf("restarted consumer: exit %v after SIGTERM (%v), want 0", err, took)
	}
	checkExactlyOnce(t, e, sumAll, sumLatest)
	reportFault(t, e, label+"_sigkill_mid_batch", restartRecords, recover,
		fmt.Sprintf("kill=%q stored_at_kill=%d committed_at_kill=%d stored_uncommitted_at_kill=%d kill_to_restart=%.1fs",
			where, stored, committed, int64(stored)-committed, restarted.Sub(killed).Seconds()))
}

// httpGet returns the status and body of GET url (status 0 when the server does not answer).
func httpGet(url string) (int, string) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricSamples parses the Prometheus text exposition and returns the samples of one metric
// name, keyed by their label set as written ({a="x",b="y"}, "" without labels).
func metricSamples(body, name string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		labels := ""
		if strings.HasPrefix(rest, "{") {
			end := strings.Index(rest, "}")
			if end < 0 {
				continue
			}
			labels, rest = rest[:end+1], rest[end+1:]
		}
		if !strings.HasPrefix(rest, " ") {
			continue // a longer metric name
		}
		out[labels] = strings.TrimSpace(rest)
	}
	return out
}

// wholeSample returns a counter or gauge sample as a whole number (Prometheus writes integers of up to 2^53
// exactly).
func wholeSample(t *testing.T, s string) int64 {
	t.Helper()
	if s == "" {
		return 0
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n != float64(int64(n)) {
		t.Fatalf("sample %q is not a whole number", s)
	}
	return int64(n)
}

// trueLag returns end offset − committed offset per "topic/partition" of the input topics.
func trueLag(t *testing.T, e *env) map[string]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	end, err := kafka.EndOffsets(ctx, []string{e.brokers}, kafka.Security{}, e.topics.Input())
	if err != nil {
		t.Fatalf("end offsets: %v", err)
	}
	committed, err := kafka.CommittedOffsets(ctx, []string{e.brokers}, kafka.Security{}, e.group, e.topics.Input())
	if err != nil {
		t.Fatalf("committed offsets: %v", err)
	}
	out := map[string]int64{}
	for topic, parts := range end {
		for p, n := range parts {
			c := committed[topic][p]
			out[fmt.Sprintf("%s/%d", topic, p)] = n - max(c, 0)
		}
	}
	return out
}

// lagGauges returns econflow_consumer_lag per "topic/partition" from a /metrics body.
func lagGauges(t *testing.T, body string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for labels, v := range metricSamples(body, "econflow_consumer_lag") {
		var topic, part string
		for _, kv := range strings.Split(strings.Trim(labels, "{}"), ",") {
			k, val, _ := strings.Cut(kv, "=")
			val = strings.Trim(val, `"`)
			switch k {
			case "topic":
				topic = val
			case "partition":
				part = val
			}
		}
		out[topic+"/"+part] = wholeSample(t, v)
	}
	return out
}

// lagMatches reports whether the lag gauges equal end − committed for every input partition.
func lagMatches(t *testing.T, e *env, metricsURL string) (bool, string) {
	t.Helper()
	status, body := httpGet(metricsURL)
	if status != http.StatusOK {
		return false, fmt.Sprintf("/metrics: %d %s", status, body)
	}
	gauges, want := lagGauges(t, body), trueLag(t, e)
	for tp, w := range want {
		if g, ok := gauges[tp]; !ok || g != w {
			return false, fmt.Sprintf("econflow_consumer_lag %s = %d (present %v), end − committed = %d", tp, g, ok, w)
		}
	}
	return true, ""
}

// `econflow consume --http` against a ClickHouse that is stopped for a while: /readyz turns
// non-200 within a bounded time and 200 again once ClickHouse is back; meanwhile /metrics shows
// the write retries growing and the true lag (end offset − committed) per partition, and the
// process neither exits nor commits. Afterwards every record is stored exactly once.
func TestFaultProcessReadyzClickHouseDown(t *testing.T) {
	requireFaults(t)
	bin := buildEconflow(t)
	ch := faultClickHouse{t}
	ch.run("start")
	t.Cleanup(func() { ch.run("stop") })
	t.Setenv("ECONFLOW_TEST_CLICKHOUSE", "clickhouse://127.0.0.1:19000/econ")
	brokers, label := faultBroker(t)
	e := newEnv(t, brokers, false)
	msgs, sumAll, sumLatest := restartData(t)
	first, second := msgs[:1000], msgs[1000:]
	e.publish(first...)

	addr := testenv.FreeAddr(t)
	readyz, metrics := "http://"+addr+"/readyz", "http://"+addr+"/metrics"
	p := startConsume(t, bin, e, "--http", addr, "--batch-size", "500", "--batch-linger", "50ms")
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		p.running(t)
		status, body := httpGet(readyz)
		return status == http.StatusOK, fmt.Sprintf("/readyz: %d %s", status, body)
	})
	waitCommitted(t, e, int64(len(first)))
	if status, body := httpGet("http://" + addr + "/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz: %d %s", status, body)
	}

	ch.run("stop")
	stopped := time.Now()
	e.publish(second...)
	testenv.WaitFor(t, 20*time.Second, func() (bool, string) {
		status, body := httpGet(readyz)
		return status != http.StatusOK && status != 0, fmt.Sprintf("/readyz: %d %s", status, strings.TrimSpace(body))
	})
	notReady := time.Since(stopped)
	retries := func() int64 {
		_, body := httpGet(metrics)
		return wholeSample(t, metricSamples(body, "econflow_retries_total")[`{operation="write batch"}`])
	}
	var r1 int64
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		r1 = retries()
		return r1 > 0, "no write retries counted yet"
	})
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		r2 := retries()
		return r2 > r1, fmt.Sprintf("write retries %d, not more than %d", r2, r1)
	})
	// The gauges are refreshed every 10 s; nothing is committed while ClickHouse is down.
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) { return lagMatches(t, e, metrics) })
	var lag int64
	for _, n := range trueLag(t, e) {
		lag += n
	}
	if lag != int64(len(second)) {
		t.Errorf("lag during the outage = %d, want %d (the second wave, none of it committed)", lag, len(second))
	}
	p.running(t)
	if c := committedTotal(t, e); c != int64(len(first)) {
		t.Fatalf("%d offsets committed while ClickHouse was down, want %d", c, len(first))
	}
	down := time.Since(stopped)

	ch.run("start")
	back := time.Now()
	testenv.WaitFor(t, 60*time.Second, func() (bool, string) {
		p.running(t)
		status, body := httpGet(readyz)
		return status == http.StatusOK, fmt.Sprintf("/readyz: %d %s", status, strings.TrimSpace(body))
	})
	readyAgain := time.Since(back)
	waitAllStoredAndCommitted(t, e)
	recover := time.Since(back)
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) { return lagMatches(t, e, metrics) })
	if took, err := p.terminate(t, 30*time.Second); err != nil {
		t.Fatalf("exit %v after SIGTERM (%v), want 0", err, took)
	}
	checkExactlyOnce(t, e, sumAll, sumLatest)
	reportFault(t, e, label+"_clickhouse_down_readyz", restartRecords, recover,
		fmt.Sprintf("down=%.0fs readyz_false_after=%.1fs readyz_true_after=%.1fs write_retries>=%d lag_during=%d",
			down.Seconds(), notReady.Seconds(), readyAgain.Seconds(), r1+1, lag))
}

// The broker process stops while `econflow consume` runs: /readyz turns not ready while Kafka
// cannot be reached (the source's lasting failures reach the consumer), and ready again once the
// broker is back on the same address with its data — before any new message arrives (the stream
// is idle) — and then every record ends up stored exactly once. An embedded broker process of
// its own, also when Apache Kafka is set.
func TestFaultProcessReadyzKafkaDown(t *testing.T) {
	requireFaults(t)
	bin := buildEconflow(t)
	addr, dataDir := testenv.FreeAddr(t), filepath.Join(t.TempDir(), "broker")
	startBroker := func() *proc {
		p := startProc(t, "econflow broker", bin, nil, "broker", "--listen", addr, "--data-dir", dataDir)
		testenv.WaitKafka(t, addr, 30*time.Second)
		return p
	}
	broker := startBroker()
	e := newEnv(t, addr, false)
	msgs, sumAll, sumLatest := restartData(t)
	first, second := msgs[:1000], msgs[1000:]
	e.publish(first...)

	httpAddr := testenv.FreeAddr(t)
	readyz := "http://" + httpAddr + "/readyz"
	ready := func() (bool, string) {
		status, body := httpGet(readyz)
		return status == http.StatusOK, fmt.Sprintf("/readyz: %d %s", status, strings.TrimSpace(body))
	}
	p := startConsume(t, bin, e, "--http", httpAddr, "--batch-size", "500", "--batch-linger", "50ms")
	testenv.WaitFor(t, waitTimeout, func() (bool, string) { p.running(t); return ready() })
	waitCommitted(t, e, int64(len(first)))

	if _, err := broker.terminate(t, 30*time.Second); err != nil {
		t.Fatalf("broker exit: %v", err)
	}
	stopped := time.Now()
	testenv.WaitFor(t, 60*time.Second, func() (bool, string) {
		status, body := httpGet(readyz)
		return status == http.StatusServiceUnavailable && strings.Contains(body, "Kafka is unreachable"),
			fmt.Sprintf("/readyz: %d %s", status, strings.TrimSpace(body))
	})
	notReady := time.Since(stopped)
	p.running(t)

	broker = startBroker()
	back := time.Now()
	testenv.WaitFor(t, 60*time.Second, func() (bool, string) { p.running(t); return ready() })
	readyAgain := time.Since(back)
	e.publish(second...)
	waitAllStoredAndCommitted(t, e)
	recover := time.Since(back)
	if took, err := p.terminate(t, 30*time.Second); err != nil {
		t.Fatalf("exit %v after SIGTERM (%v), want 0", err, took)
	}
	checkExactlyOnce(t, e, sumAll, sumLatest)
	reportFault(t, e, "embedded_process_kafka_down_readyz", restartRecords, recover,
		fmt.Sprintf("down=%.0fs readyz_false_after=%.1fs readyz_true_after=%.1fs", back.Sub(stopped).Seconds(),
			notReady.Seconds(), readyAgain.Seconds()))
}

// SIGTERM while `econflow consume` drains a backlog: it exits 0 within 30 s, having committed
// exactly what it stored, and leaves the group — the coordinator lists no member once it has
// exited, so a second consumer in the group gets the partitions without waiting out a session
// timeout, and finishes the backlog, every record exactly once.
func TestFaultProcessSIGTERMDuringDrain(t *testing.T) {
	requireFaults(t)
	bin := buildEconflow(t)
	brokers, label := processBroker(t, bin)
	e := newEnv(t, brokers, false)
	msgs, sumAll, sumLatest := restartData(t)
	e.publish(msgs...)

	p := startConsume(t, bin, e, "--batch-size", "100", "--batch-linger", "20ms")
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(20 * time.Millisecond) {
		n, err := count(e.store, "fuel_prices_history", "")
		if err == nil && n >= 1000 {
			break
		}
		p.running(t)
		if time.Now().After(deadline) {
			t.Fatalf("%d rows stored (err %v) after %v, want 1000", n, err, waitTimeout)
		}
	}
	took, err := p.terminate(t, 30*time.Second)
	if err != nil {
		t.Fatalf("exit %v after SIGTERM, want 0", err)
	}
	stored := mustCount(t, e.store, "fuel_prices_history", "")
	committed := committedTotal(t, e)
	if committed != int64(stored) {
		t.Errorf("after a graceful stop %d offsets committed and %d rows stored; they must be equal", committed, stored)
	}
	if stored >= restartRecords {
		t.Fatalf("the consumer stored all %d rows before SIGTERM; the signal must come mid-drain", stored)
	}
	if state, members := testenv.GroupState(t, e.brokers, e.group); members != 0 {
		t.Errorf("after the process exited the group is %s with %d members; it must have left", state, members)
	}

	// The member list above is the proof that it left; the take-over time is measured from the
	// second consumer's first fetch (after its set-up) and only bounded loosely, as the
	// machine may be loaded.
	c := e.startConsumer(t, nil)
	started := time.Now()
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		n := mustCount(t, e.store, "fuel_prices_history", "")
		return n > stored, "the second consumer has stored nothing yet"
	})
	takeover := time.Since(started)
	waitAllStoredAndCommitted(t, e)
	recover := time.Since(started)
	c.Stop()
	checkExactlyOnce(t, e, sumAll, sumLatest)
	reportFault(t, e, label+"_sigterm_during_drain", restartRecords, recover,
		fmt.Sprintf("exit=%.1fs stored_at_exit=%d committed_at_exit=%d takeover=%.1fs", took.Seconds(), stored, committed, takeover.Seconds()))
}

// SIGTERM while ClickHouse is down: the drain cannot finish, so consume gives up after
// --shutdown-timeout, exits non-zero without committing what it could not store, and a new
// consumer stores every record exactly once once ClickHouse is back.
func TestFaultProcessSIGTERMWhileClickHouseDown(t *testing.T) {
	requireFaults(t)
	bin := buildEconflow(t)
	ch := faultClickHouse{t}
	ch.run("start")
	t.Cleanup(func() { ch.run("stop") })
	t.Setenv("ECONFLOW_TEST_CLICKHOUSE", "clickhouse://127.0.0.1:19000/econ")
	brokers, label := faultBroker(t)
	e := newEnv(t, brokers, false)
	msgs, sumAll, sumLatest := restartData(t)
	first, second := msgs[:1000], msgs[1000:]
	e.publish(first...)
	addr := testenv.FreeAddr(t)
	args := []string{"--http", addr, "--batch-size", "500", "--batch-linger", "50ms", "--shutdown-timeout", "3s"}
	p := startConsume(t, bin, e, args...)
	waitCommitted(t, e, int64(len(first)))

	ch.run("stop")
	e.publish(second...)
	testenv.WaitFor(t, 30*time.Second, func() (bool, string) {
		p.running(t)
		status, body := httpGet("http://" + addr + "/readyz")
		return status != http.StatusOK && status != 0, fmt.Sprintf("/readyz: %d %s", status, strings.TrimSpace(body))
	})
	// Not ready alone does not mean a batch is held: the consumer must have fetched part of the
	// second lot and failed to store it, or SIGTERM finds nothing to drain and rightly exits 0.
	testenv.WaitFor(t, 60*time.Second, func() (bool, string) {
		p.running(t)
		_, body := httpGet("http://" + addr + "/metrics")
		r := wholeSample(t, metricSamples(body, "econflow_retries_total")[`{operation="write batch"}`])
		return r > 0, "no write retries counted yet"
	})
	took, err := p.terminate(t, 20*time.Second)
	if err == nil {
		t.Fatalf("consume exited 0 after %v although it could not store its batches", took)
	}
	if took < 3*time.Second {
		t.Errorf("consume gave up after %v, before its 3s shutdown timeout", took)
	}
	if c := committedTotal(t, e); c != int64(len(first)) {
		t.Fatalf("%d offsets committed, want %d: nothing unstored may be committed", c, len(first))
	}

	ch.run("start")
	back := time.Now()
	p2 := startConsume(t, bin, e, args...)
	waitAllStoredAndCommitted(t, e)
	recover := time.Since(back)
	if took, err := p2.terminate(t, 30*time.Second); err != nil {
		t.Fatalf("second consumer: exit %v after SIGTERM (%v), want 0", err, took)
	}
	checkExactlyOnce(t, e, sumAll, sumLatest)
	reportFault(t, e, label+"_sigterm_while_clickhouse_down", restartRecords, recover,
		fmt.Sprintf("exit_after_sigterm=%.1fs (shutdown timeout 3s)", took.Seconds()))
}
