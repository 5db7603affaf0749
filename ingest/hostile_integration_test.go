package ingest_test

// The hostile-input corpus (transform/testdata/hostile) and a flood of bad messages, through a
// real broker — the embedded one, and Apache Kafka when ECONFLOW_TEST_APACHE_KAFKA names one —
// into ClickHouse and the dead-letter topic.
//
// Large messages: both brokers refuse a record batch larger than the topic's max.message.bytes
// (default 1048588 on Apache Kafka and kfake alike; error 10, MESSAGE_TOO_LARGE), and measure the
// batch as sent, after compression. The 10 MB message here is incompressible, so every topic of
// these tests, the dead-letter topic included, is created with max.message.bytes = 24 MiB: more
// than the 16 MiB BatchBytes of the kafka-go writers (testenv's publisher and the consumer's
// dead-letter writer), so that any batch they send fits. The consumer's Reader needs nothing: it
// fetches with MaxBytes 16 MiB, and both brokers return the first record batch of a partition
// whole even when it is larger than the fetch's MaxBytes (KIP-74), which kafka-go reads.

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/internal/testenv"
)

// hostileTopicMaxMessageBytes is max.message.bytes of the topics these tests create.
const hostileTopicMaxMessageBytes = 24 << 20

// maxRejectReasonBytes bounds a stored reason: a 10 MB message must not give a 10 MB reason.
const maxRejectReasonBytes = 1024

// hostileMsg is one message to publish, with what must become of it.
type hostileMsg struct {
	testenv.Msg
	code string // expected error code; "" for a good record
}

// newHostileEnv is newEnv with topics that take the 10 MB message.
func newHostileEnv(t *testing.T, brokers string) *env {
	t.Helper()
	dsn := testenv.ClickHouseDSN(t)
	e := &env{brokers: brokers, dsn: dsn, topics: hostileTopics(t, brokers), group: testenv.NewGroup(t)}
	e.store = testenv.OpenStore(t, dsn)
	e.publish = kafkaGoPublisher(t, brokers, e.topics)
	return e
}

// hostileTopics creates this test's four topics (3 partitions) with max.message.bytes raised.
func hostileTopics(t *testing.T, brokers string) kafka.Topics {
	t.Helper()
	s := ".t" + testenv.RandomSuffix(t)
	d := kafka.DefaultTopics()
	topics := kafka.Topics{FuelPrices: d.FuelPrices + s, Wages: d.Wages + s, FXRates: d.FXRates + s, DeadLetter: d.DeadLetter + s, Indicators: d.Indicators + s}
	req := &kafkago.CreateTopicsRequest{}
	for _, name := range topics.All() {
		req.Topics = append(req.Topics, kafkago.TopicConfig{Topic: name, NumPartitions: 3, ReplicationFactor: 1,
			ConfigEntries: []kafkago.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(hostileTopicMaxMessageBytes)}}})
	}
	testenv.DeleteTopicsAtEnd(t, brokers, topics.All()...)
	client := &kafkago.Client{Addr: kafkago.TCP(brokers), Timeout: 20 * time.Second}
	testenv.WaitFor(t, 60*time.Second, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		resp, err := client.CreateTopics(ctx, req)
		if err != nil {
			return false, "create topics: " + err.Error()
		}
		for name, err := range resp.Errors {
			if err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
				return false, "create topic " + name + ": " + err.Error()
			}
		}
		return true, ""
	})
	return topics
}

// hostileCorpus reads transform/testdata/hostile and adds the generated cases: a 10 MB
// incompressible message, 100 000 '[' and a message one byte over transform.MaxMessageBytes.
func hostileCorpus(t *testing.T) []hostileMsg {
	t.Helper()
	dir := "../transform/testdata/hostile"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{"fuel_price", "wage", "fx_rate"} // spread over every input topic
	var out []hostileMsg
	for _, de := range entries {
		ext := filepath.Ext(de.Name())
		if ext != ".json" && ext != ".bin" {
			continue
		}
		value, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		code, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(de.Name(), ext)+".code"))
		if err != nil {
			t.Fatalf("%s: no .code file: %v", de.Name(), err)
		}
		out = append(out, hostileMsg{testenv.Msg{Kind: kinds[len(out)%3], Key: de.Name(), Value: value}, strings.TrimSpace(string(code))})
	}
	if len(out) < 45 {
		t.Fatalf("only %d hostile cases in %s", len(out), dir)
	}
	// Random bytes in base64: LZ4 cannot shrink them, so the broker really sees ~10 MB.
	noise := make([]byte, 10<<20*3/4)
	rand.New(rand.NewSource(1)).Read(noise)
	tenMB := []byte(`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","product":"lpg","price":"1",` +
		`"currency":"EUR","unit":"litre","attributes":{"blob":"` + base64.StdEncoding.EncodeToString(noise) + `"}}`)
	overByOne := []byte(`{"kind":"wage"` + strings.Repeat(" ", 1<<20-len(`{"kind":"wage"}`)+1) + `}`)
	generated := []hostileMsg{
		{testenv.Msg{Kind: "fuel_price", Key: "gen_10mb_incompressible", Value: tenMB}, "oversize"},
		{testenv.Msg{Kind: "wage", Key: "gen_100k_open_brackets", Value: []byte(strings.Repeat("[", 100_000))}, "invalid_json"},
		{testenv.Msg{Kind: "fx_rate", Key: "gen_limit_plus_one_byte", Value: overByOne}, "oversize"},
	}
	mid := len(out) / 2 // in the middle of the stream
	return append(out[:mid], append(generated, out[mid:]...)...)
}

// goodFuel returns a valid fuel price for product good_<i> in EUR (so it converts at once), with
// a price of up to 18 fractional digits, and adds it to sum.
func goodFuel(t *testing.T, rng *rand.Rand, i int, sum *big.Rat) hostileMsg {
	price := fmt.Sprintf("%d.%018d", rng.Intn(100000), rng.Int63n(1000000000000000000))
	sum.Add(sum, rat(t, price))
	product := fmt.Sprintf("good_%05d", i)
	value := fmt.Sprintf(`{"kind":"fuel_price","source":"test","date":"2022-03-01","country":"KZ","product":%q,"price":%q,"currency":"EUR","unit":"litre"}`,
		product, price)
	return hostileMsg{Msg: testenv.Msg{Kind: "fuel_price", Key: product, Value: []byte(value)}}
}

func publishHostile(e *env, msgs []hostileMsg) {
	out := make([]testenv.Msg, len(msgs))
	for i, m := range msgs {
		out[i] = m.Msg
	}
	e.publish(out...)
}

// ---------------------------------------------------------------------------------------------
// The corpus mid-stream.

func TestIntegrationEmbeddedHostileCorpus(t *testing.T) {
	t.Parallel()
	runHostileCorpus(t, newHostileEnv(t, testenv.EmbeddedBroker(t)))
}

func TestIntegrationApacheKafkaHostileCorpus(t *testing.T) {
	t.Parallel()
	runHostileCorpus(t, newHostileEnv(t, testenv.ApacheKafka(t)))
}

func runHostileCorpus(t *testing.T, e *env) {
	start := time.Now()
	hostile := hostileCorpus(t)
	rng := rand.New(rand.NewSource(7))
	sum := new(big.Rat)
	// good, hostile, good, hostile, …, good: every hostile message has good records on both sides.
	var stream []hostileMsg
	for i, h := range hostile {
		stream = append(stream, goodFuel(t, rng, i, sum), h)
	}
	goods := len(hostile) + 1
	stream = append(stream, goodFuel(t, rng, len(hostile), sum))

	metrics := ingest.NewMetrics(nil)
	c := testenv.StartConsumer(t, testenv.ConsumerOptions{Brokers: e.brokers, DSN: e.dsn, Topics: e.topics, Group: e.group, Metrics: metrics})
	defer c.Stop()
	// Published in three parts while the consumer runs, the 10 MB message in the middle one.
	third := len(stream) / 3
	publishHostile(e, stream[:third])
	publishHostile(e, stream[third:2*third])
	publishHostile(e, stream[2*third:])
	t.Logf("published %d good and %d hostile messages", goods, len(hostile))

	waitCount(t, e.store, uint64(goods), "fuel_prices", "")
	waitCount(t, e.store, uint64(len(hostile)), "rejects", "")
	waitAllCommitted(t, e)
	t.Logf("all stored and committed after %v", time.Since(start).Round(time.Millisecond))

	// Nothing hostile in any view: the good records, exactly, and nothing else.
	db := e.db()
	for _, chk := range []struct{ what, q, want string }{
		{"latest fuel prices", "SELECT toString(count()) FROM " + db + ".fuel_prices", strconv.Itoa(goods)},
		{"good latest fuel prices", "SELECT toString(count()) FROM " + db + ".fuel_prices WHERE product LIKE 'good\\_%'", strconv.Itoa(goods)},
		{"fuel price history", "SELECT toString(count()) FROM " + db + ".fuel_prices_history", strconv.Itoa(goods)},
		{"latest wages", "SELECT toString(count()) FROM " + db + ".wages", "0"},
		{"wage history", "SELECT toString(count()) FROM " + db + ".wages_history", "0"},
		{"latest fx rates", "SELECT toString(count()) FROM " + db + ".fx_rates", "0"},
		{"fx rate history", "SELECT toString(count()) FROM " + db + ".fx_rates_history", "0"},
		{"sum of good prices", "SELECT toString(sum(price)) FROM " + db + ".fuel_prices", round18(sum)},
	} {
		if got := hostileScalar(t, e, chk.q); got != chk.want {
			t.Errorf("%s = %s, want %s", chk.what, got, chk.want)
		}
	}

	// econ.rejects: each hostile message exactly once, with its code, a bounded reason and its
	// original bytes.
	want := map[string]hostileMsg{}
	for _, h := range hostile {
		want[h.Key] = h
	}
	rows := queryText(t, e.store, "SELECT "+textCols("key", "error_code", "error", "kafka_topic", "kafka_partition", "kafka_offset")+
		", toString(length(value)) AS s_len, hex(MD5(value)) AS s_md5 FROM "+db+".rejects")
	byKey := map[string]map[string]string{}
	for _, r := range rows {
		if byKey[r["key"]] != nil {
			t.Errorf("reject %s appears twice in econ.rejects", r["key"])
		}
		byKey[r["key"]] = r
	}
	for key, h := range want {
		r := byKey[key]
		if r == nil {
			t.Errorf("%s: not in econ.rejects", key)
			continue
		}
		checkStoredReject(t, key, h, r)
	}
	if len(byKey) != len(want) {
		t.Errorf("econ.rejects has %d keys, want %d", len(byKey), len(want))
	}

	// Metrics: every reject counted under its code.
	perCode := map[string]int{}
	for _, h := range hostile {
		perCode[h.code]++
	}
	checkRejectMetrics(t, metrics, perCode, len(stream))

	// The dead-letter topic: each hostile message with the original bytes and the headers, which
	// agree with econ.rejects.
	checkDeadLetters(t, e, want, byKey)
}

// hostileScalar runs a query returning one String value.
func hostileScalar(t *testing.T, e *env, q string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var s string
	if err := e.store.Conn().QueryRow(ctx, q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

// checkStoredReject checks one econ.rejects row against the message published.
func checkStoredReject(t *testing.T, key string, h hostileMsg, r map[string]string) {
	t.Helper()
	if r["error_code"] != h.code {
		t.Errorf("%s: error_code = %q, want %q (error %.200q)", key, r["error_code"], h.code, r["error"])
	}
	if strings.TrimSpace(r["error"]) == "" {
		t.Errorf("%s: empty reason", key)
	}
	if len(r["error"]) > maxRejectReasonBytes {
		t.Errorf("%s: reason is %d bytes, more than %d", key, len(r["error"]), maxRejectReasonBytes)
	}
	sum := md5.Sum(h.Value)
	if r["len"] != strconv.Itoa(len(h.Value)) || !strings.EqualFold(r["md5"], hex.EncodeToString(sum[:])) {
		t.Errorf("%s: stored value is %s bytes (md5 %s), want the original %d bytes", key, r["len"], r["md5"], len(h.Value))
	}
}

// checkRejectMetrics checks econflow_messages_rejected_total by code. A batch delivered twice
// (a rebalance) would count twice, so exact counts are asserted when nothing was consumed twice.
func checkRejectMetrics(t *testing.T, m *ingest.Metrics, perCode map[string]int, published int) {
	t.Helper()
	consumed := counterValue(t, m.Consumed)
	for code, n := range perCode {
		got := counterValue(t, m.Rejected.WithLabelValues(code))
		if got < n || (consumed == published && got != n) {
			t.Errorf("econflow_messages_rejected_total{code=%q} = %d, want %d (consumed %d of %d published)", code, got, n, consumed, published)
		}
	}
	if consumed < published {
		t.Errorf("econflow_messages_consumed_total = %d, want at least %d", consumed, published)
	}
}

// counterValue reads a Prometheus counter.
func counterValue(t *testing.T, c prometheus.Counter) int {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatalf("read counter: %v", err)
	}
	return int(m.GetCounter().GetValue())
}

// checkDeadLetters reads the dead-letter topic until every wanted key was seen.
func checkDeadLetters(t *testing.T, e *env, want map[string]hostileMsg, rejects map[string]map[string]string) {
	t.Helper()
	// MaxBytes smaller than the 10 MB dead letter on purpose: the broker returns it whole anyway.
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{e.brokers}, GroupID: testenv.NewGroup(t),
		Topic: e.topics.DeadLetter, StartOffset: kafkago.FirstOffset, MaxWait: 250 * time.Millisecond, MaxBytes: 1 << 20})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	seen := map[string]bool{}
	for len(seen) < len(want) {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read dead letters (%d of %d seen): %v", len(seen), len(want), err)
		}
		name := string(m.Key)
		h, ok := want[name]
		if !ok {
			t.Errorf("dead letter with unexpected key %q", name)
			continue
		}
		if seen[name] {
			continue // at-least-once: a duplicate dead letter is allowed
		}
		seen[name] = true
		hdr := map[string]string{}
		for _, x := range m.Headers {
			hdr[x.Key] = string(x.Value)
		}
		if hdr[ingest.HeaderErrorCode] != h.code {
			t.Errorf("dead letter %s: %s = %q, want %q", name, ingest.HeaderErrorCode, hdr[ingest.HeaderErrorCode], h.code)
		}
		if reason := hdr[ingest.HeaderError]; strings.TrimSpace(reason) == "" || len(reason) > maxRejectReasonBytes {
			t.Errorf("dead letter %s: %s header is %d bytes, want 1…%d", name, ingest.HeaderError, len(reason), maxRejectReasonBytes)
		}
		if string(m.Value) != string(h.Value) {
			t.Errorf("dead letter %s: value (%d bytes) is not the original message (%d bytes)", name, len(m.Value), len(h.Value))
		}
		if src := hdr[ingest.HeaderSourceTopic]; src != e.topics.ForKind(h.Kind) {
			t.Errorf("dead letter %s: source topic %q, want %q", name, src, e.topics.ForKind(h.Kind))
		}
		if rj := rejects[name]; rj != nil {
			for hk, col := range map[string]string{ingest.HeaderSourceTopic: "kafka_topic", ingest.HeaderSourcePartition: "kafka_partition",
				ingest.HeaderSourceOffset: "kafka_offset", ingest.HeaderError: "error", ingest.HeaderErrorCode: "error_code"} {
				if hdr[hk] != rj[col] {
					t.Errorf("dead letter %s: header %s = %.100q, econ.rejects.%s = %.100q", name, hk, hdr[hk], col, rj[col])
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------------------------
// A flood of bad messages mid-stream: logged rate-limited, counted, and good records still flow.

const (
	floodBad  = 5000
	floodGood = 1000 // half before the flood, half after, and one every 50 bad messages inside it
)

func TestIntegrationEmbeddedRejectFlood(t *testing.T) {
	t.Parallel()
	runRejectFlood(t, newEnv(t, testenv.EmbeddedBroker(t), false))
}

func TestIntegrationApacheKafkaRejectFlood(t *testing.T) {
	t.Parallel()
	runRejectFlood(t, newEnv(t, testenv.ApacheKafka(t), false))
}

// floodTemplates are bad messages of several codes; %d makes each one distinct.
var floodTemplates = []struct{ code, value string }{
	{"invalid_json", `{"kind":"fuel_price","n":%d`},
	{"bad_decimal", `{"kind":"fuel_price","source":"s","date":"2022-03-01","country":"KZ","product":"p%d","price":"12,5","currency":"EUR","unit":"litre"}`},
	{"unknown_field", `{"kind":"wage","colour%d":"red"}`},
	{"missing_field", `{"kind":"fx_rate","source":"s%d"}`},
	{"not_object", `[%d]`},
	{"invalid_field", `{"kind":"fuel_price","source":"s","date":"2022-02-29","country":"KZ","product":"p%d","price":"1","currency":"EUR","unit":"litre"}`},
}

func runRejectFlood(t *testing.T, e *env) {
	rng := rand.New(rand.NewSource(11))
	sum := new(big.Rat)
	perCode := map[string]int{}
	var stream []hostileMsg
	good := 0
	addGood := func() {
		stream = append(stream, goodFuel(t, rng, good, sum))
		good++
	}
	for good < floodGood/2-floodBad/50 {
		addGood()
	}
	for i := 0; i < floodBad; i++ {
		tpl := floodTemplates[i%len(floodTemplates)]
		perCode[tpl.code]++
		stream = append(stream, hostileMsg{testenv.Msg{Kind: []string{"fuel_price", "wage", "fx_rate"}[i%3], Key: fmt.Sprintf("flood-%05d", i),
			Value: []byte(fmt.Sprintf(tpl.value, i))}, tpl.code})
		if i%50 == 49 {
			addGood()
		}
	}
	for good < floodGood {
		addGood()
	}

	counter := newRejectLogCounter(testenv.Logger(t).Handler())
	metrics := ingest.NewMetrics(nil)
	start := time.Now()
	c := testenv.StartConsumer(t, testenv.ConsumerOptions{Brokers: e.brokers, DSN: e.dsn, Topics: e.topics, Group: e.group,
		Logger: slog.New(counter), Metrics: metrics})
	defer c.Stop()
	publishHostile(e, stream)

	waitCount(t, e.store, floodGood, "fuel_prices", "")
	waitCount(t, e.store, floodBad, "rejects", "")
	waitAllCommitted(t, e)
	elapsed := time.Since(start)
	lines, total, reported := counter.snapshot()
	t.Logf("%d bad and %d good messages stored and committed in %v; %d reject log lines (reporting %d rejects), %d log records in all",
		floodBad, floodGood, elapsed.Round(time.Millisecond), lines, reported, total)

	for _, chk := range []struct{ what, q, want string }{
		{"latest fuel prices", "SELECT toString(count()) FROM " + e.db() + ".fuel_prices", strconv.Itoa(floodGood)},
		{"fuel price history", "SELECT toString(count()) FROM " + e.db() + ".fuel_prices_history", strconv.Itoa(floodGood)},
		{"sum of good prices", "SELECT toString(sum(price)) FROM " + e.db() + ".fuel_prices_history", round18(sum)},
		{"wages and fx rates", "SELECT toString((SELECT count() FROM " + e.db() + ".wages_history) + (SELECT count() FROM " + e.db() + ".fx_rates_history))", "0"},
	} {
		if got := hostileScalar(t, e, chk.q); got != chk.want {
			t.Errorf("%s = %s, want %s", chk.what, got, chk.want)
		}
	}
	for code, n := range perCode {
		if got := mustCount(t, e.store, "rejects", "error_code = ?", code); got != uint64(n) {
			t.Errorf("econ.rejects: %d rows with code %s, want %d", got, code, n)
		}
	}
	checkRejectMetrics(t, metrics, perCode, len(stream))

	// Rate-limited: at most one reject line a second (plus the first), never one per message.
	if lines == 0 {
		t.Errorf("the flood was not logged at all")
	}
	if limit := int(elapsed/time.Second) + 1; lines > limit {
		t.Errorf("%d reject log lines in %v, want at most %d (one a second)", lines, elapsed, limit)
	}
	if reported > floodBad {
		t.Errorf("reject log lines report %d rejects, more than the %d sent", reported, floodBad)
	}
	if total > 50+int(elapsed/time.Second) {
		t.Errorf("%d log records for a flood of %d: logging is not rate-limited", total, floodBad)
	}

	// The dead-letter topic has every one of them.
	want := map[string]hostileMsg{}
	for _, m := range stream {
		if m.code != "" {
			want[m.Key] = m
		}
	}
	checkDeadLetters(t, e, want, nil)
}

// rejectLogCounter is a slog.Handler that counts the consumer's log records — all of them, the
// warnings and errors, and those about rejected messages with the number of rejects they report —
// and passes them on.
type rejectLogCounter struct {
	next slog.Handler
	s    *rejectLogState // shared with the handlers derived by WithAttrs and WithGroup
}

type rejectLogState struct {
	mu                    sync.Mutex
	lines, total, rejects int
	warnings              int
}

func newRejectLogCounter(next slog.Handler) *rejectLogCounter {
	return &rejectLogCounter{next: next, s: &rejectLogState{}}
}

func (h *rejectLogCounter) Enabled(context.Context, slog.Level) bool { return true }

func (h *rejectLogCounter) Handle(ctx context.Context, r slog.Record) error {
	h.s.mu.Lock()
	if r.Level >= slog.LevelInfo {
		h.s.total++
	}
	if r.Level >= slog.LevelWarn {
		h.s.warnings++
	}
	if strings.Contains(r.Message, "reject") {
		h.s.lines++
		r.Attrs(func(a slog.Attr) bool {
			if (a.Key == "count" || a.Key == "suppressed_since_last_log") && a.Value.Kind() == slog.KindInt64 {
				h.s.rejects += int(a.Value.Int64())
			}
			return true
		})
	}
	h.s.mu.Unlock()
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *rejectLogCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &rejectLogCounter{next: h.next.WithAttrs(attrs), s: h.s}
}

func (h *rejectLogCounter) WithGroup(name string) slog.Handler {
	return &rejectLogCounter{next: h.next.WithGroup(name), s: h.s}
}

// warningCount is the number of warnings and errors logged so far: each failed attempt of the
// consumer or its Kafka source (a read, a reconnection, a join) logs one.
func (h *rejectLogCounter) warningCount() int {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return h.s.warnings
}

func (h *rejectLogCounter) snapshot() (lines, total, rejects int) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return h.s.lines, h.s.total, h.s.rejects
}

// ---------------------------------------------------------------------------------------------
// A bad message that its input topic takes but whose dead letter (the same value plus headers)
// the dead-letter topic, on default settings, refuses: it is sent cut, with the original length in
// a header, the whole value is in econ.rejects, and the partition's offset is committed.

func TestIntegrationEmbeddedDeadLetterTooLargeForTopic(t *testing.T) {
	t.Parallel()
	runDeadLetterTooLarge(t, newEnv(t, testenv.EmbeddedBroker(t), false))
}

func TestIntegrationApacheKafkaDeadLetterTooLargeForTopic(t *testing.T) {
	t.Parallel()
	runDeadLetterTooLarge(t, newEnv(t, testenv.ApacheKafka(t), false))
}

func runDeadLetterTooLarge(t *testing.T, e *env) {
	// Incompressible base64 in an attribute, and a bad price: bad_decimal, just under the 1 MiB
	// message limit and the topic's default max.message.bytes (1048588).
	const size = 1_048_400
	head := `{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","product":"lpg","price":"abc",` +
		`"currency":"EUR","unit":"litre","attributes":{"blob":"`
	tail := `"}}`
	noise := make([]byte, size)
	rand.New(rand.NewSource(2)).Read(noise)
	blob := base64.StdEncoding.EncodeToString(noise)[:size-len(head)-len(tail)]
	value := []byte(head + blob + tail)
	if len(value) != size {
		t.Fatalf("built %d bytes", len(value))
	}
	// Published without compression, so the input topic takes it.
	w := &kafkago.Writer{Addr: kafkago.TCP(e.brokers), Topic: e.topics.FuelPrices, Balancer: &kafkago.Hash{},
		RequiredAcks: kafkago.RequireAll, BatchBytes: 16 << 20, BatchTimeout: 10 * time.Millisecond}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	testenv.WaitFor(t, waitTimeout, func() (bool, string) { // a new topic may not be known yet
		if err := w.WriteMessages(ctx, kafkago.Message{Key: []byte("big"), Value: value}); err != nil {
			return false, "publish the big message: " + err.Error()
		}
		return true, ""
	})
	sum := new(big.Rat)
	good := goodFuel(t, rand.New(rand.NewSource(3)), 1, sum)
	e.publish(good.Msg)
	e.startConsumer(t, nil)
	waitAllCommitted(t, e)

	if n := hostileScalar(t, e, "SELECT toString(count()) FROM "+e.db()+".fuel_prices"); n != "1" {
		t.Errorf("fuel_prices has %s rows, want the 1 good one", n)
	}
	if got := hostileScalar(t, e, "SELECT toString(length(value)) || ' ' || error_code FROM "+e.db()+".rejects WHERE key = 'big'"); got != strconv.Itoa(size)+" bad_decimal" {
		t.Errorf("econ.rejects: %q, want the whole %d-byte value with bad_decimal", got, size)
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{e.brokers}, GroupID: testenv.NewGroup(t),
		Topic: e.topics.DeadLetter, StartOffset: kafkago.FirstOffset, MaxWait: 250 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatalf("read the dead letter: %v", err)
	}
	hdr := map[string]string{}
	for _, x := range m.Headers {
		hdr[x.Key] = string(x.Value)
	}
	if string(m.Key) != "big" || hdr[ingest.HeaderErrorCode] != "bad_decimal" || hdr[ingest.HeaderValueTruncated] != strconv.Itoa(size) {
		t.Errorf("dead letter key %q, headers %v; want key big, code bad_decimal, %s=%d", m.Key, hdr, ingest.HeaderValueTruncated, size)
	}
	if len(m.Value) != kafka.DeadLetterTruncatedBytes || string(m.Value) != string(value[:kafka.DeadLetterTruncatedBytes]) {
		t.Errorf("dead letter value is %d bytes, want the first %d of the message", len(m.Value), kafka.DeadLetterTruncatedBytes)
	}
}
