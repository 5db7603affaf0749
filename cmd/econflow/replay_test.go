package main

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/internal/testenv"
)

func TestReplayUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"nothing selected", []string{}, "say which dead letters to replay"},
		{"partition without topic", []string{"--code", "oversize", "--partition", "1"}, "--partition needs --topic"},
		{"offsets without partition", []string{"--topic", "econ.wages", "--from-offset", "3"}, "needs its topic and partition"},
		{"from after to", []string{"--topic", "econ.wages", "--partition", "0", "--from-offset", "5", "--to-offset", "4"}, "after to-offset"},
		{"negative partition", []string{"--topic", "econ.wages", "--partition", "-1"}, "not a partition"},
		{"bad offset", []string{"--topic", "econ.wages", "--partition", "0", "--to-offset", "ten"}, "not an offset"},
		{"argument", []string{"--code", "oversize", "econ.wages"}, "unexpected argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			// An unreachable broker: a usage error must be found before any connection.
			args := append([]string{"replay", "--brokers", "127.0.0.1:1"}, tc.args...)
			if code := run(args, &out, &errb); code != 2 {
				t.Fatalf("exit %d, want 2 (usage); stderr %q", code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.want) {
				t.Fatalf("stderr %q does not say %q", errb.String(), tc.want)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run([]string{"replay", "--help"}, &out, &errb); code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, want := range []string{"Usage: econflow replay", "goes to", "dead letters and econ.rejects again", "--dry-run", "-dead-letter-topic", "econflow.replayed.from"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("--help does not say %q:\n%s", want, errb.String())
		}
	}
}

func TestReplaySummary(t *testing.T) {
	codes := kafka.AllDeadLetters()
	codes.Codes = []string{"bad_decimal"}
	cases := []struct {
		name    string
		s       kafka.ReplayStats
		dryRun  bool
		stopped bool
		want    string
	}{
		{"replayed", kafka.ReplayStats{Total: 40, Read: 40, Matched: 12, Replayed: 12, NotMatched: map[string]int{"unknown_field": 8, "oversize": 20}},
			false, false, "replayed 12 of 40 dead letters (codes: bad_decimal); 28 did not match (oversize: 20, unknown_field: 8)"},
		{"dry run", kafka.ReplayStats{Total: 3, Read: 3, Matched: 3, Replayed: 3, NotMatched: map[string]int{}},
			true, false, "would replay 3 of 3 dead letters (codes: bad_decimal); 0 did not match"},
		{"not replayable and foreign", kafka.ReplayStats{Total: 10, Read: 10, NotDeadLetters: 2, Matched: 5, Replayed: 2, ValueTruncated: 1, NoSourceTime: 2,
			NotMatched: map[string]int{"": 1, "oversize": 2}},
			false, false, "replayed 2 of 8 dead letters (codes: bad_decimal); 3 selected but not replayable (value cut: 1, no original timestamp: 2); " +
				"3 did not match (oversize: 2, no code: 1); 2 other message(s) in the topic are not econflow dead letters"},
		{"stopped", kafka.ReplayStats{Total: 100, Read: 30, Matched: 30, Replayed: 20, NotMatched: map[string]int{}},
			false, true, "replayed 20 of 30 dead letters (codes: bad_decimal); 0 did not match; stopped after reading 30 of 100 messages"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := replaySummary(tc.s, codes, tc.dryRun, tc.stopped); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestReplayEndToEndEmbeddedBroker(t *testing.T) {
	t.Parallel()
	testReplayEndToEnd(t, testenv.EmbeddedBroker(t))
}

func TestReplayEndToEndApacheKafka(t *testing.T) {
	t.Parallel()
	testReplayEndToEnd(t, testenv.ApacheKafka(t))
}

// testReplayEndToEnd: a publisher sends a rate with a wrong unit_mult (10^-18 instead of 1), so
// the wages and fuel prices converted with it overflow Decimal(38, 18) and are rejected
// (out_of_range) — two of them without published_at; other records are bad for good
// (bad_decimal, unknown_field). The publisher corrects the rate; `econflow replay --code
// out_of_range` re-publishes the three, which the running consumer now stores: each exactly once,
// with published_at the ORIGINAL Kafka timestamp truncated to seconds (not the replay's time), and
// converted at the corrected rate (against a math/big oracle). The other dead letters are not
// replayed, and replaying again changes no view.
func testReplayEndToEnd(t *testing.T, brokers string) {
	dsn := testenv.ClickHouseDSN(t)
	topics := testenv.NewTopics(t, brokers)
	group := testenv.NewGroup(t)
	store := testenv.OpenStore(t, dsn)
	db := store.Database()
	c := testenv.StartConsumer(t, testenv.ConsumerOptions{Brokers: brokers, DSN: dsn, Topics: topics, Group: group})
	defer c.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: []string{brokers}}, topics.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	publish := func(msgs ...kafkago.Message) {
		t.Helper()
		if err := w.Write(ctx, msgs...); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	waitCommitted := func() {
		t.Helper()
		testenv.WaitFor(t, 2*time.Minute, func() (bool, string) {
			end, err := kafka.EndOffsets(ctx, []string{brokers}, kafka.Security{}, topics.Input())
			if err != nil {
				return false, err.Error()
			}
			done, err := kafka.CommittedOffsets(ctx, []string{brokers}, kafka.Security{}, group, topics.Input())
			if err != nil {
				return false, err.Error()
			}
			for topic, parts := range end {
				for p, off := range parts {
					if off > 0 && done[topic][p] != off {
						return false, fmt.Sprintf("%s/%d: committed %d, end %d", topic, p, done[topic][p], off)
					}
				}
			}
			return true, ""
		})
	}
	count := func(from, where string) uint64 {
		t.Helper()
		var n uint64
		if err := store.Conn().QueryRow(ctx, "SELECT count() FROM "+db+"."+from+" WHERE "+where).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", from, err)
		}
		return n
	}
	waitCount := func(want uint64, from, where string) {
		t.Helper()
		testenv.WaitFor(t, 2*time.Minute, func() (bool, string) {
			n := count(from, where)
			return n == want, fmt.Sprintf("%s where %s: %d rows, want %d", from, where, n, want)
		})
	}
	ends := func(topic ...string) map[string]map[int]int64 {
		t.Helper()
		end, err := kafka.EndOffsets(ctx, []string{brokers}, kafka.Security{}, topic)
		if err != nil {
			t.Fatal(err)
		}
		return end
	}
	replay := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args = append([]string{"replay", "--brokers", brokers, "--dead-letter-topic", topics.DeadLetter}, args...)
		if code := run(args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d\nstdout %s\nstderr %s", args, code, out.String(), errb.String())
		}
		return out.String()
	}

	// The wrong rate: 481 × 10^-18 KZT per EUR.
	rate := func(value, extra, publishedAt string) kafkago.Message {
		return kafkago.Message{Topic: topics.FXRates, Key: []byte("test.nbk|EUR|KZT"), Value: []byte(`{"kind":"fx_rate","source":"test.nbk","date":"2022-01-05",` +
			`"base":"EUR","quote":"KZT","rate":"` + value + `"` + extra + `,"published_at":"` + publishedAt + `"}`)}
	}
	publish(rate("481", `,"unit_mult":-18`, "2022-01-05T10:00:00Z"))
	waitCount(1, "fx_rates", "source = 'test.nbk'")

	// Original Kafka timestamps hours ago, with milliseconds, so that the vintage rule (truncate
	// to seconds) shows and the replay's own time could not pass for them.
	t0 := time.Now().Add(-3 * time.Hour).Truncate(time.Second).Add(437 * time.Millisecond)
	t1 := t0.Add(time.Hour + 250*time.Millisecond)
	record := func(topic, key, value string, at time.Time) kafkago.Message {
		return kafkago.Message{Topic: topic, Key: []byte(key), Value: []byte(value), Time: at,
			Headers: []kafkago.Header{{Key: "trace-id", Value: []byte("trace-" + key)}}}
	}
	wage := func(region, amount, currency, extra string) string {
		return `{"kind":"wage","source":"test.stat","date":"2022-01-05","country":"KZ","region":"` + region + `","measure":"average",` +
			`"amount":"` + amount + `","currency":"` + currency + `","per":"month"` + extra + `}`
	}
	fuel := func(product, price, currency, unit, extra string) string {
		return `{"kind":"fuel_price","source":"test.stat","date":"2022-01-05","country":"KZ","product":"` + product + `",` +
			`"price":"` + price + `","currency":"` + currency + `","unit":"` + unit + `"` + extra + `}`
	}
	publish(
		record(topics.Wages, "w-no-vintage", wage("", "250000", "KZT", ""), t0),
		record(topics.FuelPrices, "f-no-vintage", fuel("diesel", "120000", "KZT", "1000_litres", ""), t1),
		record(topics.Wages, "w-vintage", wage("KZ-ALA", "310000", "KZT", `,"published_at":"2022-01-07T09:00:00Z"`), t0),
		record(topics.Wages, "bad-decimal", wage("KZ-AST", "2500,5", "EUR", ""), t0),
		record(topics.FuelPrices, "unknown-field", fuel("lpg", "0.5", "EUR", "litre", `,"colour":"red"`), t0),
		record(topics.Wages, "good-wage", wage("KZ-AST", "3000", "EUR", ""), t0),
		record(topics.FuelPrices, "good-fuel", fuel("lpg", "0.5", "EUR", "litre", ""), t0),
	)
	waitCount(5, "rejects", "1")
	waitCount(1, "wages", "source = 'test.stat'")
	waitCount(1, "fuel_prices", "source = 'test.stat'")
	waitCommitted() // dead letters are published before the commit
	for code, want := range map[string]uint64{"out_of_range": 3, "bad_decimal": 1, "unknown_field": 1} {
		if n := count("rejects", "error_code = '"+code+"'"); n != want {
			t.Fatalf("%d rejects %s, want %d", n, code, want)
		}
	}
	// The dead letters carry the original timestamps, as their own and in a header.
	origTime := map[string]time.Time{"w-no-vintage": t0, "f-no-vintage": t1, "w-vintage": t0, "bad-decimal": t0, "unknown-field": t0}
	origPartition := map[string]int{}
	all := kafka.AllDeadLetters()
	stats, err := kafka.Replay(ctx, kafka.ReplayOptions{Brokers: []string{brokers}, DeadLetterTopic: topics.DeadLetter, Filter: all, DryRun: true,
		OnMatch: func(d *kafka.DeadLetter, _ error) {
			key := string(d.Key)
			origPartition[key] = d.SourcePartition
			if want, ok := origTime[key]; !ok || !d.Time.Equal(want) || !d.SourceTime.Equal(want) {
				t.Errorf("dead letter %s: time %v, econflow.source.timestamp %v; want the original %v", key, d.Time, d.SourceTime, want)
			}
		}})
	if err != nil || stats.Matched != 5 {
		t.Fatalf("reading the dead letters: %+v, %v", stats, err)
	}

	// The cause is fixed: the publisher corrects the rate (a later vintage).
	publish(rate("481", "", "2022-01-05T12:00:00Z"))
	waitCount(1, "fx_rates", "source = 'test.nbk' AND rate = toDecimal128('481', 18)")
	waitCommitted()

	inputBefore := ends(topics.Input()...)
	out := replay("--code", "out_of_range", "--dry-run")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	wantSummary := "dead letters (codes: out_of_range); 2 did not match (bad_decimal: 1, unknown_field: 1)"
	if len(lines) != 4 || lines[3] != "would replay 3 of 5 "+wantSummary {
		t.Fatalf("dry run printed:\n%s", out)
	}
	listed := map[string]bool{}
	for _, l := range lines[:3] {
		f := strings.Split(l, "\t")
		if len(f) != 3 || f[1] != "out_of_range" || !strings.Contains(f[2], "does not fit Decimal(38,18)") {
			t.Errorf("dry-run line %q: want source, out_of_range and the reason", l)
		}
		listed[f[0]] = true
	}
	if len(listed) != 3 {
		t.Errorf("dry run listed %d distinct sources: %v", len(listed), lines[:3])
	}
	if after := ends(topics.Input()...); fmt.Sprint(after) != fmt.Sprint(inputBefore) {
		t.Fatalf("the dry run published: end offsets %v, before %v", after, inputBefore)
	}

	if out := replay("--code", "out_of_range"); strings.TrimSpace(out) != "replayed 3 of 5 "+wantSummary {
		t.Fatalf("replay printed %q", out)
	}
	waitCommitted()
	waitCount(3, "wages", "source = 'test.stat'")
	waitCount(2, "fuel_prices", "source = 'test.stat'")

	// Each replayed record exactly once, with the vintage of its original timestamp, converted at
	// the corrected rate, from the partition it was first published to.
	vintage := func(at time.Time) string { return at.UTC().Truncate(time.Second).Format(time.DateTime) }
	type want struct {
		view, where, publishedAt string
		cols                     map[string]string
		key                      string
	}
	perEUR := func(v string, div int64) string { // v / 481 / div, the oracle
		x, _ := new(big.Rat).SetString(v)
		return round18(x.Quo(x, big.NewRat(481*div, 1)))
	}
	for _, w := range []want{
		{"wages_history", "region = ''", vintage(t0), map[string]string{"amount_eur": perEUR("250000", 1), "monthly_amount_eur": perEUR("250000", 1),
			"fx_rate": perEUR("1", 1), "fx_status": "converted"}, "w-no-vintage"},
		{"fuel_prices_history", "product = 'diesel'", vintage(t1), map[string]string{"price_eur": perEUR("120000", 1),
			"price_per_litre_eur": perEUR("120000", 1000), "fx_status": "converted"}, "f-no-vintage"},
		{"wages_history", "region = 'KZ-ALA'", "2022-01-07 09:00:00", map[string]string{"amount_eur": perEUR("310000", 1), "fx_status": "converted"}, "w-vintage"},
	} {
		if n := count(w.view, "source = 'test.stat' AND "+w.where); n != 1 {
			t.Errorf("%s where %s: %d rows, want exactly 1", w.view, w.where, n)
			continue
		}
		cols := []string{"published_at", "kafka_partition"}
		for c := range w.cols {
			cols = append(cols, c)
		}
		got := queryStrings(t, ctx, store, "SELECT "+textCols(cols)+" FROM "+db+"."+w.view+" WHERE source = 'test.stat' AND "+w.where)
		if len(got) != 1 {
			t.Fatalf("%s: %d rows", w.view, len(got))
		}
		row := got[0]
		if row["published_at"] != w.publishedAt {
			t.Errorf("%s where %s: published_at %s, want %s (the original Kafka timestamp's vintage)", w.view, w.where, row["published_at"], w.publishedAt)
		}
		if row["kafka_partition"] != fmt.Sprint(origPartition[w.key]) {
			t.Errorf("%s: replayed to partition %s, first published to %d", w.key, row["kafka_partition"], origPartition[w.key])
		}
		for c, v := range w.cols {
			if row[c] != v {
				t.Errorf("%s where %s: %s = %s, want %s", w.view, w.where, c, row[c], v)
			}
		}
	}
	checkUnmatchedNotReplayed := func() {
		t.Helper()
		if n := count("rejects", "1"); n != 5 {
			t.Errorf("%d rejects, want still 5: a dead letter that did not match was replayed and failed again", n)
		}
		var dl int64
		for _, parts := range ends(topics.DeadLetter) {
			for _, n := range parts {
				dl += n
			}
		}
		if dl != 5 {
			t.Errorf("%d dead letters, want still 5", dl)
		}
	}
	checkUnmatchedNotReplayed()

	// Replaying again changes no view: the latest views row for row, the history views but for
	// the delivery's own offset and time.
	snapshot := func() map[string][]string {
		t.Helper()
		out := map[string][]string{}
		for _, v := range []string{"wages", "fuel_prices", "fx_rates", "wages_history", "fuel_prices_history", "fx_rates_history"} {
			out[v] = viewRows(t, ctx, store, v, "kafka_offset", "ingested_at")
		}
		return out
	}
	before := snapshot()
	inputBefore = ends(topics.Input()...)
	if out := replay("--code", "out_of_range"); strings.TrimSpace(out) != "replayed 3 of 5 "+wantSummary {
		t.Fatalf("second replay printed %q", out)
	}
	var published int64
	for topic, parts := range ends(topics.Input()...) {
		for p, n := range parts {
			published += n - inputBefore[topic][p]
		}
	}
	if published != 3 {
		t.Fatalf("the second replay published %d messages, want 3", published)
	}
	waitCommitted()
	after := snapshot()
	for v, rows := range before {
		if strings.Join(after[v], "\n") != strings.Join(rows, "\n") {
			t.Errorf("view %s changed on replaying again:\nbefore\n%s\nafter\n%s", v, strings.Join(rows, "\n"), strings.Join(after[v], "\n"))
		}
	}
	if len(before["wages_history"]) != 3 || len(before["fuel_prices_history"]) != 2 {
		t.Errorf("history rows: wages %d, fuel prices %d; want 3 and 2", len(before["wages_history"]), len(before["fuel_prices_history"]))
	}
	checkUnmatchedNotReplayed()
}

// round18 rounds x half to even to 18 fractional digits, as ClickHouse prints Decimal(38, 18).
func round18(x *big.Rat) string {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	n := new(big.Int).Mul(x.Num(), scale)
	q, r := new(big.Int).QuoRem(n, x.Denom(), new(big.Int))
	switch new(big.Int).Lsh(r, 1).Cmp(x.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	ip, fp := new(big.Int).QuoRem(q, scale, new(big.Int))
	return fmt.Sprintf("%s.%018s", ip, fp)
}

// textCols is "ifNull(toString(c), 'NULL') AS s_c, …".
func textCols(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("ifNull(toString(%s), 'NULL') AS s_%s", c, c)
	}
	return strings.Join(parts, ", ")
}

// queryStrings runs a query of textCols and returns its rows by column name.
func queryStrings(t *testing.T, ctx context.Context, store *clickhouse.Store, q string) []map[string]string {
	t.Helper()
	rows, err := store.Conn().Query(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols := rows.Columns()
	var out []map[string]string
	for rows.Next() {
		vals := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		m := map[string]string{}
		for i, c := range cols {
			m[strings.TrimPrefix(c, "s_")] = vals[i]
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// viewRows returns every row of a view, as text of all its columns but those in except, sorted.
func viewRows(t *testing.T, ctx context.Context, store *clickhouse.Store, view string, except ...string) []string {
	t.Helper()
	var cols []string
	for _, r := range queryStrings(t, ctx, store, "DESCRIBE TABLE "+store.Database()+"."+view) {
		skip := false
		for _, e := range except {
			skip = skip || r["name"] == e
		}
		if !skip {
			cols = append(cols, r["name"])
		}
	}
	if len(cols) == 0 {
		t.Fatalf("view %s has no columns", view)
	}
	var out []string
	for _, r := range queryStrings(t, ctx, store, "SELECT "+textCols(cols)+" FROM "+store.Database()+"."+view) {
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = c + "=" + r[c]
		}
		out = append(out, strings.Join(parts, " "))
	}
	sort.Strings(out)
	return out
}
