package ingest_test

// Integration tests against real services: a ClickHouse server, the embedded Kafka-protocol
// broker (in-process) and, when ECONFLOW_TEST_APACHE_KAFKA names one, an Apache Kafka broker.
// Each test gets its own ClickHouse database, topics and consumer group. A service that does not
// answer skips the test, or fails it under CI=true / ECONFLOW_REQUIRE_SERVICES=1 (see testenv).
//
// Run: go test ./ingest/ -run Integration
// With Apache Kafka: bash deploy/kafka.sh start; ECONFLOW_TEST_APACHE_KAFKA=127.0.0.1:19092 go test …

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/schemas"
)

const waitTimeout = 90 * time.Second

// ---------------------------------------------------------------------------------------------
// The oracle: exact rational arithmetic from the input text, rounded once, half to even, to 18
// fractional digits, and formatted as ClickHouse's toString(Decimal(38, 18)) does. Written here,
// independently of package transform.

// rat parses a decimal text (with an optional exponent) exactly.
func rat(t testing.TB, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("oracle: bad decimal %q", s)
	}
	return r
}

var scale18 = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// round18 rounds x half to even to 18 fractional digits and formats it with exactly 18.
func round18(x *big.Rat) string {
	n := new(big.Int).Mul(x.Num(), scale18)
	d := x.Denom()
	neg := n.Sign() < 0
	n.Abs(n)
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	switch new(big.Int).Lsh(r, 1).Cmp(d) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	ip, fp := new(big.Int).QuoRem(q, scale18, new(big.Int))
	s := fmt.Sprintf("%s.%018s", ip.String(), fp.String())
	if neg && q.Sign() != 0 {
		s = "-" + s
	}
	return s
}

// withMult returns s × 10^mult exactly.
func withMult(t testing.TB, s string, mult int) *big.Rat {
	v := rat(t, s)
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(mult))), nil))
	if mult >= 0 {
		return v.Mul(v, p)
	}
	return v.Quo(v, p)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Unit sizes of docs/contract.md §2.1, typed in again from the contract.
var (
	oracleLitres = map[string]string{"litre": "1", "1000_litres": "1000", "us_gallon": "3.785411784",
		"imp_gallon": "4.54609", "barrel": "158.987294928"}
	oracleKg = map[string]string{"kg": "1", "tonne": "1000"}
)

// fxLeg is one rate used in a conversion: rate and quantity as published; inverse when the
// amount's currency is the rate's quote (factor quantity/rate), else rate/quantity.
type fxLeg struct {
	rate     string
	quantity int64
	inverse  bool
}

// obs is one observation of the end-to-end data set and the route the contract prescribes for
// it, worked out by hand.
type obs struct {
	kind     string // fuel_price or wage
	key      string // country|region|product|unit (fuel) or country|region|measure|per|basis (wage)
	json     string
	value    string // price or amount as published
	mult     int
	unit     string // fuel
	per      string // wage
	currency string
	legs     []fxLeg // nil and currency EUR: factor 1; nil otherwise: pending
	path     string
	fxDate   string // "NULL" when none
	recordID string // expected record_id when the record carries an id
}

func (o obs) pending() bool { return o.legs == nil && o.currency != "EUR" }

func (o obs) factor(t testing.TB) *big.Rat {
	f := big.NewRat(1, 1)
	for _, l := range o.legs {
		r := rat(t, l.rate)
		q := new(big.Rat).SetInt64(l.quantity)
		if l.inverse {
			f.Mul(f, q.Quo(q, r))
		} else {
			f.Mul(f, r.Quo(r, q))
		}
	}
	return f
}

// expected returns every derived column (and a few stored ones) as toString text, "NULL" for NULL.
func (o obs) expected(t testing.TB) map[string]string {
	v := withMult(t, o.value, o.mult)
	e := map[string]string{"unit_mult": fmt.Sprint(o.mult), "currency": o.currency}
	null := func(cols ...string) {
		for _, c := range cols {
			e[c] = "NULL"
		}
	}
	var f *big.Rat
	if o.pending() {
		e["fx_status"], e["fx_path"] = "pending", ""
		null("fx_rate", "fx_date")
	} else {
		f = o.factor(t)
		e["fx_status"], e["fx_path"], e["fx_date"], e["fx_rate"] = "converted", o.path, o.fxDate, round18(f)
	}
	mul := func(a, b *big.Rat) *big.Rat { return new(big.Rat).Mul(a, b) }
	quo := func(a, b *big.Rat) *big.Rat { return new(big.Rat).Quo(a, b) }
	switch o.kind {
	case "fuel_price":
		e["price"] = round18(rat(t, o.value))
		null("price_per_litre", "price_per_kg", "price_eur", "price_per_litre_eur", "price_per_kg_eur")
		if f != nil {
			e["price_eur"] = round18(mul(v, f))
		}
		if l, ok := oracleLitres[o.unit]; ok {
			e["price_per_litre"] = round18(quo(v, rat(t, l)))
			if f != nil {
				e["price_per_litre_eur"] = round18(quo(mul(v, f), rat(t, l)))
			}
		}
		if k, ok := oracleKg[o.unit]; ok {
			e["price_per_kg"] = round18(quo(v, rat(t, k)))
			if f != nil {
				e["price_per_kg_eur"] = round18(quo(mul(v, f), rat(t, k)))
			}
		}
	case "wage":
		e["amount"] = round18(rat(t, o.value))
		null("amount_eur", "monthly_amount", "monthly_amount_eur")
		var monthly *big.Rat
		switch o.per {
		case "month":
			monthly = v
		case "year":
			monthly = quo(v, big.NewRat(12, 1))
		}
		if monthly != nil {
			e["monthly_amount"] = round18(monthly)
		}
		if f != nil {
			e["amount_eur"] = round18(mul(v, f))
			if monthly != nil {
				e["monthly_amount_eur"] = round18(mul(monthly, f))
			}
		}
	}
	if o.recordID != "" {
		e["record_id"] = o.recordID
	}
	return e
}

func TestIntegrationOracleSelfCheck(t *testing.T) {
	// The oracle must itself be right before it judges anything.
	for in, want := range map[string]string{
		"1/3": "0.333333333333333333", "2/3": "0.666666666666666667",
		"5e-19": "0.000000000000000000", "15e-19": "0.000000000000000002", "25e-19": "0.000000000000000002",
		"-25e-19": "-0.000000000000000002", "1.205E2": "120.500000000000000000", "0": "0.000000000000000000",
	} {
		if got := round18(rat(t, in)); got != want {
			t.Errorf("round18(%s) = %s, want %s", in, got, want)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// ClickHouse helpers. Every column is read as text: ifNull(toString(col), 'NULL').

// queryText runs a query whose columns are all String and returns its rows as column → text.
func queryText(t testing.TB, store *clickhouse.Store, q string, args ...any) []map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := store.Conn().Query(ctx, q, args...)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
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
			t.Fatalf("scan %s: %v", q, err)
		}
		m := make(map[string]string, len(cols))
		for i, c := range cols {
			m[strings.TrimPrefix(c, "s_")] = vals[i]
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows %s: %v", q, err)
	}
	return out
}

// textCols builds "ifNull(toString(c), 'NULL') AS s_c, …".
func textCols(cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("ifNull(toString(%s), 'NULL') AS s_%s", c, c)
	}
	return strings.Join(parts, ", ")
}

// count returns SELECT count() FROM <db>.<from> [WHERE where]; it returns an error instead of
// failing so that it can be polled.
func count(store *clickhouse.Store, from, where string, args ...any) (uint64, error) {
	q := "SELECT count() FROM " + store.Database() + "." + from
	if where != "" {
		q += " WHERE " + where
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n uint64
	err := store.Conn().QueryRow(ctx, q, args...).Scan(&n)
	return n, err
}

func mustCount(t testing.TB, store *clickhouse.Store, from, where string, args ...any) uint64 {
	t.Helper()
	n, err := count(store, from, where, args...)
	if err != nil {
		t.Fatalf("count %s where %s: %v", from, where, err)
	}
	return n
}

// waitCount waits until count(from where) == want.
func waitCount(t testing.TB, store *clickhouse.Store, want uint64, from, where string, args ...any) {
	t.Helper()
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		n, err := count(store, from, where, args...)
		return err == nil && n == want, fmt.Sprintf("count(%s where %s) = %d (err %v), want %d", from, where, n, err, want)
	})
}

// ---------------------------------------------------------------------------------------------
// Publishing: kafka-go (testenv.Publisher) or franz-go's kgo, a client econflow does not use.

type publishFunc func(msgs ...testenv.Msg)

func kafkaGoPublisher(t testing.TB, brokers string, topics kafka.Topics) publishFunc {
	p := testenv.NewPublisher(t, brokers, topics)
	return p.Publish
}

func kgoPublisher(t testing.TB, brokers string, topics kafka.Topics) publishFunc {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	t.Cleanup(cl.Close)
	return func(msgs ...testenv.Msg) {
		t.Helper()
		recs := make([]*kgo.Record, len(msgs))
		for i, m := range msgs {
			recs[i] = &kgo.Record{Topic: topics.ForKind(m.Kind), Key: []byte(m.Key), Value: m.Value}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("kgo produce: %v", err)
		}
	}
}

// env is one test's services: a migrated database, its own topics, a group and a publisher.
type env struct {
	brokers string
	dsn     string
	topics  kafka.Topics
	group   string
	store   *clickhouse.Store
	publish publishFunc
}

func newEnv(t testing.TB, brokers string, useKgo bool) *env {
	t.Helper()
	dsn := testenv.ClickHouseDSN(t)
	e := &env{brokers: brokers, dsn: dsn, topics: testenv.NewTopics(t, brokers), group: testenv.NewGroup(t)}
	e.store = testenv.OpenStore(t, dsn)
	if useKgo {
		e.publish = kgoPublisher(t, brokers, e.topics)
	} else {
		e.publish = kafkaGoPublisher(t, brokers, e.topics)
	}
	return e
}

func (e *env) startConsumer(t testing.TB, gate *testenv.Gate) *testenv.Consumer {
	t.Helper()
	return testenv.StartConsumer(t, testenv.ConsumerOptions{Brokers: e.brokers, DSN: e.dsn, Topics: e.topics, Group: e.group, Gate: gate})
}

func (e *env) db() string { return e.store.Database() }

// ---------------------------------------------------------------------------------------------
// 1, 2. End to end, every derived column against the oracle.

type rateRow struct {
	json                               string
	base, quote, source, date, rate, q string
	publishedAt                        string // "" when the record has none (then the Kafka time)
}

var e2eRates = []rateRow{
	// A JSON number with an exponent; the latest date within the window wins over 2022-01-01.
	{`{"kind":"fx_rate","source":"nationalbank.kz","date":"2022-01-04","base":"EUR","quote":"KZT","rate":4.9275e2,"published_at":"2022-01-04T12:00:00Z"}`,
		"EUR", "KZT", "nationalbank.kz", "2022-01-04", "492.75", "1", "2022-01-04 12:00:00"},
	{`{"kind":"fx_rate","source":"nationalbank.kz","date":"2022-01-01","base":"EUR","quote":"KZT","rate":"490.10","published_at":"2022-01-01T12:00:00Z"}`,
		"EUR", "KZT", "nationalbank.kz", "2022-01-01", "490.10", "1", "2022-01-01 12:00:00"},
	{`{"kind":"fx_rate","source":"ecb","date":"2022-01-04","base":"EUR","quote":"USD","rate":"1.1318","rate_type":"reference","published_at":"2022-01-04T15:00:00Z"}`,
		"EUR", "USD", "ecb", "2022-01-04", "1.1318", "1", "2022-01-04 15:00:00"},
	{`{"kind":"fx_rate","source":"ecb","date":"2021-12-31","base":"EUR","quote":"USD","rate":1.1326,"rate_type":"reference","published_at":"2021-12-31T15:00:00Z"}`,
		"EUR", "USD", "ecb", "2021-12-31", "1.1326", "1", "2021-12-31 15:00:00"},
	// KRW quoted per 100 units.
	{`{"kind":"fx_rate","source":"bok.or.kr","date":"2022-01-05","base":"KRW","quote":"EUR","rate":"0.0742","quantity":100}`,
		"KRW", "EUR", "bok.or.kr", "2022-01-05", "0.0742", "100", ""},
	{`{"kind":"fx_rate","source":"nationalbank.kz","date":"2022-01-05","base":"KRW","quote":"KZT","rate":"36.58","quantity":100,"published_at":"2022-01-05T12:00:00Z"}`,
		"KRW", "KZT", "nationalbank.kz", "2022-01-05", "36.58", "100", "2022-01-05 12:00:00"},
	// GEL has no EUR rate: triangulated through USD.
	{`{"kind":"fx_rate","source":"nbg.gov.ge","date":"2022-01-05","base":"USD","quote":"GEL","rate":"3.0950","published_at":"2022-01-05T11:00:00Z"}`,
		"USD", "GEL", "nbg.gov.ge", "2022-01-05", "3.0950", "1", "2022-01-05 11:00:00"},
}

const (
	pathKZT0104 = "KZT>EUR@nationalbank.kz:2022-01-04"
	pathKZT0101 = "KZT>EUR@nationalbank.kz:2022-01-01"
	pathUSD0104 = "USD>EUR@ecb:2022-01-04"
	pathUSD1231 = "USD>EUR@ecb:2021-12-31"
)

var e2eObs = []obs{
	{kind: "fuel_price", key: "KZ|KZ-MAN|lpg|litre", value: "120.50", unit: "litre", currency: "KZT",
		json: `{"kind":"fuel_price","id":"kz-man-lpg-20220105","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","region":"KZ-MAN","product":"lpg","price":"120.50","currency":"KZT","unit":"litre","published_at":"2022-01-06T09:00:00Z"}`,
		legs: []fxLeg{{"492.75", 1, true}}, path: pathKZT0104, fxDate: "2022-01-04", recordID: "kz-man-lpg-20220105"},
	{kind: "fuel_price", key: "KZ|KZ-ALA|gasoline_ai92|litre", value: "185.5", unit: "litre", currency: "KZT",
		json: `{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","region":"KZ-ALA","product":"gasoline_ai92","price":185.5,"currency":"KZT","unit":"litre"}`,
		legs: []fxLeg{{"492.75", 1, true}}, path: pathKZT0104, fxDate: "2022-01-04"},
	{kind: "fuel_price", key: "KZ|KZ-AST|gasoline_ai95|litre", value: "1.205E2", unit: "litre", currency: "KZT",
		json: `{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","region":"KZ-AST","product":"gasoline_ai95","price":"1.205E2","currency":"KZT","unit":"litre","status":"P"}`,
		legs: []fxLeg{{"492.75", 1, true}}, path: pathKZT0104, fxDate: "2022-01-04"},
	{kind: "fuel_price", key: "US||gasoline_regular|us_gallon", value: "3.289", unit: "us_gallon", currency: "USD",
		json: `{"kind":"fuel_price","source":"eia.gov","date":"2022-01-05","frequency":"W","country":"US","product":"gasoline_regular","price":3.289,"currency":"USD","unit":"us_gallon"}`,
		legs: []fxLeg{{"1.1318", 1, true}}, path: pathUSD0104, fxDate: "2022-01-04"},
	{kind: "fuel_price", key: "US||crude_wti|barrel", value: "75.21", unit: "barrel", currency: "USD",
		json: `{"kind":"fuel_price","source":"eia.gov","date":"2022-01-05","country":"US","product":"crude_wti","price":"75.21","currency":"USD","unit":"barrel","tax_basis":"excl_tax"}`,
		legs: []fxLeg{{"1.1318", 1, true}}, path: pathUSD0104, fxDate: "2022-01-04"},
	{kind: "fuel_price", key: "GE||diesel|litre", value: "2.89", unit: "litre", currency: "GEL",
		json: `{"kind":"fuel_price","source":"geostat.ge","date":"2022-01-05","country":"GE","product":"diesel","price":"2.89","currency":"GEL","unit":"litre"}`,
		legs: []fxLeg{{"3.0950", 1, true}, {"1.1318", 1, true}}, path: "GEL>USD@nbg.gov.ge:2022-01-05;" + pathUSD0104, fxDate: "2022-01-04"},
	{kind: "fuel_price", key: "DE||euro_super_95|litre", value: "1.759", unit: "litre", currency: "EUR",
		json: `{"kind":"fuel_price","source":"ec.europa.eu","date":"2022-01-05","country":"DE","product":"euro_super_95","price":1.759,"currency":"EUR","unit":"litre"}`,
		path: "EUR", fxDate: "NULL"},
	{kind: "fuel_price", key: "KR||diesel|litre", value: "1459", unit: "litre", currency: "KRW",
		json: `{"kind":"fuel_price","source":"opinet.co.kr","date":"2022-01-05","country":"KR","product":"diesel","price":"1459","currency":"KRW","unit":"litre"}`,
		legs: []fxLeg{{"0.0742", 100, false}}, path: "KRW>EUR@bok.or.kr:2022-01-05", fxDate: "2022-01-05"},
	{kind: "fuel_price", key: "KZ||lpg|tonne", value: "185.25", mult: 3, unit: "tonne", currency: "KZT",
		json: `{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","product":"lpg","price":"185.25","unit_mult":3,"currency":"KZT","unit":"tonne"}`,
		legs: []fxLeg{{"492.75", 1, true}}, path: pathKZT0104, fxDate: "2022-01-04"},
	{kind: "fuel_price", key: "GB||diesel|imp_gallon", value: "6.5", unit: "imp_gallon", currency: "GBP",
		json: `{"kind":"fuel_price","source":"gov.uk","date":"2022-01-05","country":"GB","product":"diesel","price":"6.5","currency":"GBP","unit":"imp_gallon"}`},
	{kind: "fuel_price", key: "KZ||diesel|1000_litres", value: "228000.123456789012345678", unit: "1000_litres", currency: "KZT",
		json: `{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","product":"diesel","price":"228000.123456789012345678","currency":"KZT","unit":"1000_litres"}`,
		legs: []fxLeg{{"492.75", 1, true}}, path: pathKZT0104, fxDate: "2022-01-04"},

	// Wages dated 2022-01-01: the rates of 2022-01-04 are after the date, so the older ones apply.
	{kind: "wage", key: "KZ||minimum|month|gross", value: "60000", per: "month", currency: "KZT",
		json: `{"kind":"wage","source":"stat.gov.kz","date":"2022-01-01","frequency":"M","country":"KZ","measure":"minimum","amount":60000,"currency":"KZT","per":"month"}`,
		legs: []fxLeg{{"490.10", 1, true}}, path: pathKZT0101, fxDate: "2022-01-01"},
	{kind: "wage", key: "KZ|KZ-MAN|average|month|gross", value: "185.5", mult: 3, per: "month", currency: "KZT",
		json: `{"kind":"wage","source":"stat.gov.kz","date":"2022-01-01","frequency":"M","country":"KZ","region":"KZ-MAN","measure":"average","amount":"185.5","unit_mult":3,"currency":"KZT","per":"month"}`,
		legs: []fxLeg{{"490.10", 1, true}}, path: pathKZT0101, fxDate: "2022-01-01"},
	{kind: "wage", key: "KZ||average|year|net", value: "2500001.5", per: "year", currency: "KZT",
		json: `{"kind":"wage","source":"stat.gov.kz","date":"2022-01-01","frequency":"A","country":"KZ","measure":"average","basis":"net","amount":"2500001.5","currency":"KZT","per":"year"}`,
		legs: []fxLeg{{"490.10", 1, true}}, path: pathKZT0101, fxDate: "2022-01-01"},
	{kind: "wage", key: "US||minimum|hour|gross", value: "7.25", per: "hour", currency: "USD",
		json: `{"kind":"wage","source":"dol.gov","date":"2022-01-01","frequency":"A","country":"US","measure":"minimum","amount":7.25,"currency":"USD","per":"hour"}`,
		legs: []fxLeg{{"1.1326", 1, true}}, path: pathUSD1231, fxDate: "2021-12-31"},
	{kind: "wage", key: "US||median|year|gross", value: "5.678901E4", per: "year", currency: "USD",
		json: `{"kind":"wage","source":"bls.gov","date":"2022-01-01","frequency":"A","country":"US","measure":"median","amount":"5.678901E4","currency":"USD","per":"year"}`,
		legs: []fxLeg{{"1.1326", 1, true}}, path: pathUSD1231, fxDate: "2021-12-31"},
	{kind: "wage", key: "KR||minimum|hour|gross", value: "9160", per: "hour", currency: "KRW",
		json: `{"kind":"wage","source":"moel.go.kr","date":"2022-01-01","frequency":"A","country":"KR","measure":"minimum","amount":"9160","currency":"KRW","per":"hour"}`},
	{kind: "wage", key: "DE||minimum|month|gross", value: "1621.5", per: "month", currency: "EUR",
		json: `{"kind":"wage","source":"destatis.de","date":"2022-01-01","frequency":"M","country":"DE","measure":"minimum","amount":"1621.5","currency":"EUR","per":"month"}`,
		path: "EUR", fxDate: "NULL"},
}

var (
	fuelDerived = []string{"price", "unit_mult", "currency", "price_per_litre", "price_per_kg", "price_eur",
		"price_per_litre_eur", "price_per_kg_eur", "fx_rate", "fx_date", "fx_path", "fx_status", "record_id"}
	wageDerived = []string{"amount", "unit_mult", "currency", "amount_eur", "monthly_amount", "monthly_amount_eur",
		"fx_rate", "fx_date", "fx_path", "fx_status", "record_id"}
)

func runEndToEnd(t *testing.T, e *env) {
	start := time.Now().UTC().Add(-time.Second).Truncate(time.Second)
	var msgs []testenv.Msg
	for _, r := range e2eRates {
		msgs = append(msgs, testenv.Msg{Kind: "fx_rate", Key: r.source + "|" + r.base + "|" + r.quote, Value: []byte(r.json)})
	}
	for _, o := range e2eObs {
		msgs = append(msgs, testenv.Msg{Kind: o.kind, Key: o.key, Value: []byte(o.json)})
	}
	// Rates first, then the observations: a rate and a price may still land in different
	// batches or partitions in any order; the result must not depend on that.
	e.publish(msgs...)
	c := e.startConsumer(t, nil)

	nFuel, nWage := 0, 0
	for _, o := range e2eObs {
		if o.kind == "fuel_price" {
			nFuel++
		} else {
			nWage++
		}
	}
	waitCount(t, e.store, uint64(len(e2eRates)), "fx_rates", "")
	waitCount(t, e.store, uint64(nFuel), "fuel_prices", "")
	waitCount(t, e.store, uint64(nWage), "wages", "")
	// Rates and observations may be processed in any order: a price may first be pending, or
	// converted with an older rate of the window, and be re-converted by the reconciler when the
	// right rate is stored. So the comparison is polled until it holds; it must hold in the end.
	diffs := func() []string {
		var out []string
		fuel := map[string]map[string]string{}
		for _, r := range queryText(t, e.store, "SELECT "+textCols(append([]string{"country", "region", "product", "unit"}, fuelDerived...)...)+
			" FROM "+e.db()+".fuel_prices") {
			fuel[r["country"]+"|"+r["region"]+"|"+r["product"]+"|"+r["unit"]] = r
		}
		wages := map[string]map[string]string{}
		for _, r := range queryText(t, e.store, "SELECT "+textCols(append([]string{"country", "region", "measure", "per", "basis"}, wageDerived...)...)+
			" FROM "+e.db()+".wages") {
			wages[r["country"]+"|"+r["region"]+"|"+r["measure"]+"|"+r["per"]+"|"+r["basis"]] = r
		}
		for _, o := range e2eObs {
			got, cols := fuel[o.key], fuelDerived
			if o.kind == "wage" {
				got, cols = wages[o.key], wageDerived
			}
			if got == nil {
				out = append(out, fmt.Sprintf("%s %s: not stored", o.kind, o.key))
				continue
			}
			want := o.expected(t)
			for _, c := range cols {
				w, ok := want[c]
				if !ok {
					continue // record_id without a producer id: derived, checked below
				}
				if got[c] != w {
					out = append(out, fmt.Sprintf("%s %s: %s = %q, want %q", o.kind, o.key, c, got[c], w))
				}
			}
			if got["record_id"] == "" {
				out = append(out, fmt.Sprintf("%s %s: empty record_id", o.kind, o.key))
			}
		}
		return out
	}
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		d := diffs()
		return len(d) == 0, fmt.Sprintf("%d differences from the oracle:\n%s", len(d), strings.Join(d, "\n"))
	})
	c.Stop()
	// One vintage per observation: history and latest agree row for row. (Compared in Go:
	// GROUP BY over the Nullable decimal columns crashes ClickHouse 18.16.)
	for _, v := range []struct {
		latest, history string
		cols            []string
	}{{"fuel_prices", "fuel_prices_history", fuelDerived}, {"wages", "wages_history", wageDerived}} {
		rowsOf := func(view string) []string {
			var out []string
			for _, r := range queryText(t, e.store, "SELECT "+textCols(append([]string{"source", "date", "published_at"}, v.cols...)...)+" FROM "+e.db()+"."+view) {
				out = append(out, fmt.Sprint(r))
			}
			sort.Strings(out)
			return out
		}
		latest, history := rowsOf(v.latest), rowsOf(v.history)
		if strings.Join(latest, "\n") != strings.Join(history, "\n") {
			t.Errorf("%s and %s differ (one vintage each):\n%s\n---\n%s", v.latest, v.history, strings.Join(latest, "\n"), strings.Join(history, "\n"))
		}
	}
	for history, topic := range map[string]string{"fuel_prices_history": e.topics.FuelPrices, "wages_history": e.topics.Wages, "fx_rates_history": e.topics.FXRates} {
		if n := mustCount(t, e.store, history, "kafka_topic != ?", topic); n != 0 {
			t.Errorf("%s: %d rows with a kafka_topic other than %s", history, n, topic)
		}
	}

	// The rates as stored: exact rate text, quantity, and published_at (the Kafka time when absent).
	rates := map[string]map[string]string{}
	for _, r := range queryText(t, e.store, "SELECT "+textCols("source", "base", "quote", "date", "rate", "quantity", "published_at", "unit_mult")+
		" FROM "+e.db()+".fx_rates") {
		rates[r["source"]+"|"+r["base"]+"|"+r["quote"]+"|"+r["date"]] = r
	}
	for _, r := range e2eRates {
		got := rates[r.source+"|"+r.base+"|"+r.quote+"|"+r.date]
		if got == nil {
			t.Errorf("rate %s %s/%s %s: not in econ.fx_rates", r.source, r.base, r.quote, r.date)
			continue
		}
		if want := round18(rat(t, r.rate)); got["rate"] != want {
			t.Errorf("rate %s %s/%s %s: rate = %q, want %q", r.source, r.base, r.quote, r.date, got["rate"], want)
		}
		if got["quantity"] != r.q {
			t.Errorf("rate %s %s/%s %s: quantity = %q, want %q", r.source, r.base, r.quote, r.date, got["quantity"], r.q)
		}
		if r.publishedAt != "" {
			if got["published_at"] != r.publishedAt {
				t.Errorf("rate %s %s/%s: published_at = %q, want %q", r.source, r.base, r.quote, got["published_at"], r.publishedAt)
			}
		} else {
			pa, err := time.Parse("2006-01-02 15:04:05", got["published_at"])
			if err != nil || pa.Before(start) || pa.After(time.Now().UTC()) {
				t.Errorf("rate %s %s/%s without published_at: published_at = %q, want the Kafka time (between %v and now)",
					r.source, r.base, r.quote, got["published_at"], start)
			}
		}
	}
	if n := mustCount(t, e.store, "rejects", ""); n != 0 {
		t.Errorf("rejects: %d rows, want 0: %v", n, queryText(t, e.store, "SELECT "+textCols("key", "error_code", "error")+" FROM "+e.db()+".rejects"))
	}
}

func TestIntegrationEmbeddedEndToEndExact(t *testing.T) {
	t.Parallel()
	runEndToEnd(t, newEnv(t, testenv.EmbeddedBroker(t), false))
}

func TestIntegrationEmbeddedEndToEndKgoProducer(t *testing.T) {
	t.Parallel()
	runEndToEnd(t, newEnv(t, testenv.EmbeddedBroker(t), true))
}

func TestIntegrationApacheKafkaEndToEndExact(t *testing.T) {
	t.Parallel()
	runEndToEnd(t, newEnv(t, testenv.ApacheKafka(t), false))
}

func TestIntegrationApacheKafkaEndToEndKgoProducer(t *testing.T) {
	t.Parallel()
	runEndToEnd(t, newEnv(t, testenv.ApacheKafka(t), true))
}

// ---------------------------------------------------------------------------------------------
// 3. Pending → converted without user action; a revised rate re-converts.

func TestIntegrationEmbeddedPendingThenConvertedAndRevised(t *testing.T) {
	t.Parallel()
	runPendingThenConverted(t, newEnv(t, testenv.EmbeddedBroker(t), false))
}

func TestIntegrationApacheKafkaPendingThenConvertedAndRevised(t *testing.T) {
	t.Parallel()
	runPendingThenConverted(t, newEnv(t, testenv.ApacheKafka(t), false))
}

func runPendingThenConverted(t *testing.T, e *env) {
	c := e.startConsumer(t, nil)
	defer c.Stop()

	price := obs{kind: "fuel_price", key: "KZ|KZ-MAN|lpg|litre", value: "118.7", unit: "litre", currency: "KZT",
		json: `{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-02-10","country":"KZ","region":"KZ-MAN","product":"lpg","price":"118.7","currency":"KZT","unit":"litre","published_at":"2022-02-11T08:00:00Z"}`}
	wage := obs{kind: "wage", key: "KZ||minimum|year|gross", value: "720001", per: "year", currency: "KZT",
		json: `{"kind":"wage","source":"stat.gov.kz","date":"2022-02-10","frequency":"A","country":"KZ","measure":"minimum","amount":"720001","currency":"KZT","per":"year","published_at":"2022-02-11T08:00:00Z"}`}
	e.publish(testenv.Msg{Kind: "fuel_price", Key: "p", Value: []byte(price.json)}, testenv.Msg{Kind: "wage", Key: "w", Value: []byte(wage.json)})

	fuelCols := []string{"price_eur", "price_per_litre_eur", "fx_rate", "fx_date", "fx_path", "fx_status"}
	wageCols := []string{"amount_eur", "monthly_amount", "monthly_amount_eur", "fx_rate", "fx_date", "fx_path", "fx_status"}
	// waitState waits until both rows show the derived values of o with the given route.
	waitState := func(what string, legs []fxLeg, path, fxDate string) {
		t.Helper()
		p, w := price, wage
		p.legs, p.path, p.fxDate = legs, path, fxDate
		w.legs, w.path, w.fxDate = legs, path, fxDate
		for _, x := range []struct {
			o    obs
			view string
			cols []string
		}{{p, "fuel_prices", fuelCols}, {w, "wages", wageCols}} {
			want := x.o.expected(t)
			testenv.WaitFor(t, waitTimeout, func() (bool, string) {
				rows := queryText(t, e.store, "SELECT "+textCols(x.cols...)+" FROM "+e.db()+"."+x.view)
				if len(rows) != 1 {
					return false, fmt.Sprintf("%s: %s has %d rows, want 1", what, x.view, len(rows))
				}
				for _, col := range x.cols {
					if rows[0][col] != want[col] {
						return false, fmt.Sprintf("%s: %s.%s = %q, want %q (row %v)", what, x.view, col, rows[0][col], want[col], rows[0])
					}
				}
				return true, ""
			})
		}
	}
	waitState("before any rate", nil, "", "")

	// The rate arrives late: both rows convert, nobody does anything.
	e.publish(testenv.Msg{Kind: "fx_rate", Key: "r", Value: []byte(
		`{"kind":"fx_rate","source":"nationalbank.kz","date":"2022-02-09","base":"EUR","quote":"KZT","rate":"480.00","published_at":"2022-02-09T10:00:00Z"}`)})
	path := "KZT>EUR@nationalbank.kz:2022-02-09"
	waitState("after the rate", []fxLeg{{"480.00", 1, true}}, path, "2022-02-09")

	// A revision of that rate (later published_at, same identity): re-converted.
	e.publish(testenv.Msg{Kind: "fx_rate", Key: "r", Value: []byte(
		`{"kind":"fx_rate","source":"nationalbank.kz","date":"2022-02-09","base":"EUR","quote":"KZT","rate":"481.25","published_at":"2022-02-09T15:30:00Z"}`)})
	waitState("after the revision", []fxLeg{{"481.25", 1, true}}, path, "2022-02-09")

	// A stale vintage delivered afterwards (earlier published_at) must not win.
	e.publish(testenv.Msg{Kind: "fx_rate", Key: "r", Value: []byte(
		`{"kind":"fx_rate","source":"nationalbank.kz","date":"2022-02-09","base":"EUR","quote":"KZT","rate":"479.00","published_at":"2022-02-09T09:00:00Z"}`)})
	waitCount(t, e.store, 3, "fx_rates_history", "")
	waitState("after a stale vintage", []fxLeg{{"481.25", 1, true}}, path, "2022-02-09")

	// History: one row per (identity, published_at) despite the re-conversions.
	for _, view := range []string{"fuel_prices_history", "wages_history"} {
		if n := mustCount(t, e.store, view, ""); n != 1 {
			t.Errorf("%s: %d rows, want exactly 1 (one vintage, re-converted in place)", view, n)
		}
	}
	rates := queryText(t, e.store, "SELECT "+textCols("rate", "published_at")+" FROM "+e.db()+".fx_rates")
	if len(rates) != 1 || rates[0]["rate"] != "481.250000000000000000" || rates[0]["published_at"] != "2022-02-09 15:30:00" {
		t.Errorf("fx_rates latest = %v, want one row rate 481.25 published 2022-02-09 15:30:00", rates)
	}

	// Vintages within that second, to the nanosecond: a later one re-converts, an earlier one
	// of the same second delivered after it does not; storage and the rate book agree on which
	// is latest.
	e.publish(testenv.Msg{Kind: "fx_rate", Key: "r", Value: []byte(
		`{"kind":"fx_rate","source":"nationalbank.kz","date":"2022-02-09","base":"EUR","quote":"KZT","rate":"481.50","published_at":"2022-02-09T15:30:00.5Z"}`)})
	waitState("after a revision within the second", []fxLeg{{"481.50", 1, true}}, path, "2022-02-09")
	e.publish(testenv.Msg{Kind: "fx_rate", Key: "r", Value: []byte(
		`{"kind":"fx_rate","source":"nationalbank.kz","date":"2022-02-09","base":"EUR","quote":"KZT","rate":"481.40","published_at":"2022-02-09T15:30:00.25Z"}`)})
	waitCount(t, e.store, 5, "fx_rates_history", "")
	waitState("after an earlier vintage of the same second", []fxLeg{{"481.50", 1, true}}, path, "2022-02-09")
	rates = queryText(t, e.store, "SELECT "+textCols("rate", "published_at", "published_ns")+" FROM "+e.db()+".fx_rates")
	if len(rates) != 1 || rates[0]["rate"] != "481.500000000000000000" || rates[0]["published_at"] != "2022-02-09 15:30:00" ||
		rates[0]["published_ns"] != "500000000" {
		t.Errorf("fx_rates latest = %v, want one row rate 481.50 published 2022-02-09 15:30:00.5", rates)
	}
}

// ---------------------------------------------------------------------------------------------
// 4. Duplicates and vintages.

func TestIntegrationEmbeddedDuplicatesAndVintages(t *testing.T) {
	t.Parallel()
	runDuplicatesAndVintages(t, newEnv(t, testenv.EmbeddedBroker(t), false))
}

func TestIntegrationApacheKafkaDuplicatesAndVintages(t *testing.T) {
	t.Parallel()
	runDuplicatesAndVintages(t, newEnv(t, testenv.ApacheKafka(t), false))
}

func runDuplicatesAndVintages(t *testing.T, e *env) {
	c := e.startConsumer(t, nil)
	defer c.Stop()

	rec := func(product, publishedAt, price string) []byte {
		return []byte(fmt.Sprintf(`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-03-01","country":"KZ","region":"KZ-MAN",`+
			`"product":%q,"price":%q,"currency":"EUR","unit":"litre","published_at":%q}`, product, price, publishedAt))
	}
	const key = "stat.gov.kz|KZ|KZ-MAN|lpg|incl_tax|EUR|litre|D"
	t1, t2, t3 := "2022-03-01T08:00:00Z", "2022-03-02T08:00:00Z", "2022-03-03T08:00:00Z"
	// A sentinel of another identity with the same key follows on the same partition: once it
	// is stored, every message before it has been processed, so the counts below are final.
	sentinel := func(n int) testenv.Msg {
		return testenv.Msg{Kind: "fuel_price", Key: key, Value: rec(fmt.Sprintf("sentinel_%d", n), t1, "1")}
	}
	msg := func(v []byte) testenv.Msg { return testenv.Msg{Kind: "fuel_price", Key: key, Value: v} }
	e.publish(msg(rec("lpg", t1, "100.10")), msg(rec("lpg", t1, "100.10")), msg(rec("lpg", t1, "100.10")),
		msg(rec("lpg", t3, "100.30")), msg(rec("lpg", t2, "100.20")), sentinel(1))
	waitCount(t, e.store, 1, "fuel_prices", "product = 'sentinel_1'")

	check := func(phase string, wantT1Price string) {
		t.Helper()
		if n := mustCount(t, e.store, "fuel_prices_history", "product = 'lpg'"); n != 3 {
			t.Errorf("%s: fuel_prices_history has %d lpg rows, want exactly 3 vintages", phase, n)
		}
		if n := mustCount(t, e.store, "fuel_prices_data FINAL", "product = 'lpg'"); n != 3 {
			t.Errorf("%s: fuel_prices_data FINAL has %d lpg rows, want 3", phase, n)
		}
		hist := queryText(t, e.store, "SELECT "+textCols("published_at", "price")+" FROM "+e.db()+".fuel_prices_history WHERE product = 'lpg' ORDER BY published_at")
		want := []string{"2022-03-01 08:00:00=" + wantT1Price, "2022-03-02 08:00:00=100.200000000000000000", "2022-03-03 08:00:00=100.300000000000000000"}
		var got []string
		for _, r := range hist {
			got = append(got, r["published_at"]+"="+r["price"])
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: history = %v, want %v", phase, got, want)
		}
		latest := queryText(t, e.store, "SELECT "+textCols("published_at", "price", "price_eur")+" FROM "+e.db()+".fuel_prices WHERE product = 'lpg'")
		if len(latest) != 1 || latest[0]["published_at"] != "2022-03-03 08:00:00" || latest[0]["price"] != "100.300000000000000000" ||
			latest[0]["price_eur"] != "100.300000000000000000" {
			t.Errorf("%s: latest = %v, want one row published 2022-03-03 08:00:00 price 100.30", phase, latest)
		}
	}
	check("after duplicates and out-of-order revisions", "100.100000000000000000")

	// A correction with the same published_at delivered later: the last delivered wins, and it
	// still is one row.
	e.publish(msg(rec("lpg", t1, "100.15")), sentinel(2))
	waitCount(t, e.store, 1, "fuel_prices", "product = 'sentinel_2'")
	check("after a same-vintage correction", "100.150000000000000000")
	// A replay of the whole stream (a new group from the beginning would do the same).
	e.publish(msg(rec("lpg", t3, "100.30")), msg(rec("lpg", t2, "100.20")), sentinel(3))
	waitCount(t, e.store, 1, "fuel_prices", "product = 'sentinel_3'")
	check("after a replay", "100.150000000000000000")

	// Two more vintages within the second of t3, published to the nanosecond, the later one
	// delivered first: three vintages of one second are three rows, and the latest is the one
	// published last, whatever the order of delivery.
	e.publish(msg(rec("lpg", "2022-03-03T08:00:00.5Z", "100.35")), msg(rec("lpg", "2022-03-03T08:00:00.000000001Z", "100.31")), sentinel(4))
	waitCount(t, e.store, 1, "fuel_prices", "product = 'sentinel_4'")
	hist := queryText(t, e.store, "SELECT "+textCols("published_at", "published_ns", "price")+" FROM "+e.db()+
		".fuel_prices_history WHERE product = 'lpg' AND published_at = '2022-03-03 08:00:00' ORDER BY published_ns")
	var got []string
	for _, r := range hist {
		got = append(got, r["published_ns"]+"="+r["price"])
	}
	want := []string{"0=100.300000000000000000", "1=100.310000000000000000", "500000000=100.350000000000000000"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("vintages within one second: history = %v, want %v", got, want)
	}
	latest := queryText(t, e.store, "SELECT "+textCols("published_at", "published_ns", "price")+" FROM "+e.db()+".fuel_prices WHERE product = 'lpg'")
	if len(latest) != 1 || latest[0]["published_at"] != "2022-03-03 08:00:00" || latest[0]["published_ns"] != "500000000" ||
		latest[0]["price"] != "100.350000000000000000" {
		t.Errorf("vintages within one second: latest = %v, want the one published at 08:00:00.5, price 100.35", latest)
	}
}

// ---------------------------------------------------------------------------------------------
// 5. The bad-input corpus: rejects table and dead-letter topic, and good records still flow.

func TestIntegrationEmbeddedBadInputCorpus(t *testing.T) {
	t.Parallel()
	runBadInputCorpus(t, newEnv(t, testenv.EmbeddedBroker(t), false))
}

func TestIntegrationApacheKafkaBadInputCorpus(t *testing.T) {
	t.Parallel()
	runBadInputCorpus(t, newEnv(t, testenv.ApacheKafka(t), false))
}

func runBadInputCorpus(t *testing.T, e *env) {
	files, err := filepath.Glob("../transform/testdata/bad/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("bad corpus: %v (%d files)", err, len(files))
	}
	wantCode := map[string]string{}
	var msgs []testenv.Msg
	for i, f := range files {
		value, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".code")
		if err != nil {
			t.Fatalf("%s: no .code file: %v", f, err)
		}
		name := filepath.Base(f)
		wantCode[name] = strings.TrimSpace(string(code))
		kinds := []string{"fuel_price", "wage", "fx_rate"} // spread over every input topic
		msgs = append(msgs, testenv.Msg{Kind: kinds[i%3], Key: name, Value: value})
	}
	e.publish(msgs...)
	c := e.startConsumer(t, nil)
	defer c.Stop()
	good := `{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","region":"KZ-MAN","product":"good_after_bad","price":"120","currency":"EUR","unit":"litre"}`
	e.publish(testenv.Msg{Kind: "fuel_price", Key: "good", Value: []byte(good)})

	waitCount(t, e.store, uint64(len(files)), "rejects", "")
	waitCount(t, e.store, 1, "fuel_prices", "product = 'good_after_bad'")

	rejects := queryText(t, e.store, "SELECT "+textCols("key", "error_code", "error", "kafka_topic", "kafka_partition", "kafka_offset", "value")+
		" FROM "+e.db()+".rejects")
	byKey := map[string]map[string]string{}
	for _, r := range rejects {
		if byKey[r["key"]] != nil {
			t.Errorf("reject %s appears twice", r["key"])
		}
		byKey[r["key"]] = r
	}
	for name, code := range wantCode {
		r := byKey[name]
		if r == nil {
			t.Errorf("%s: not in econ.rejects", name)
			continue
		}
		if r["error_code"] != code {
			t.Errorf("%s: error_code = %q, want %q (error %q)", name, r["error_code"], code, r["error"])
		}
		if strings.TrimSpace(r["error"]) == "" {
			t.Errorf("%s: empty error reason", name)
		}
	}
	// Nothing bad in the latest views: only the good record.
	for view, want := range map[string]uint64{"fuel_prices": 1, "wages": 0, "fx_rates": 0} {
		if n := mustCount(t, e.store, view, ""); n != want {
			t.Errorf("%s: %d rows, want %d (bad records must not appear)", view, n, want)
		}
	}

	// The dead-letter topic: each bad message with its code and source coordinates, which match
	// econ.rejects.
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{e.brokers}, GroupID: testenv.NewGroup(t),
		Topic: e.topics.DeadLetter, StartOffset: kafkago.FirstOffset, MaxWait: 250 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	seen := map[string]bool{}
	for len(seen) < len(wantCode) {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read dead letters (%d of %d seen): %v", len(seen), len(wantCode), err)
		}
		name := string(m.Key)
		h := map[string]string{}
		for _, x := range m.Headers {
			h[x.Key] = string(x.Value)
		}
		if _, ok := wantCode[name]; !ok {
			t.Errorf("dead letter with unexpected key %q", name)
			continue
		}
		if seen[name] {
			continue // at-least-once: a duplicate dead letter is allowed
		}
		seen[name] = true
		if h[ingest.HeaderErrorCode] != wantCode[name] {
			t.Errorf("dead letter %s: %s = %q, want %q", name, ingest.HeaderErrorCode, h[ingest.HeaderErrorCode], wantCode[name])
		}
		if h[ingest.HeaderError] == "" {
			t.Errorf("dead letter %s: no %s header", name, ingest.HeaderError)
		}
		if rj := byKey[name]; rj != nil {
			for hk, col := range map[string]string{ingest.HeaderSourceTopic: "kafka_topic", ingest.HeaderSourcePartition: "kafka_partition", ingest.HeaderSourceOffset: "kafka_offset"} {
				if h[hk] != rj[col] {
					t.Errorf("dead letter %s: header %s = %q, econ.rejects.%s = %q", name, hk, h[hk], col, rj[col])
				}
			}
			if string(m.Value) != rj["value"] {
				t.Errorf("dead letter %s: value differs from econ.rejects.value", name)
			}
		}
		if src := h[ingest.HeaderSourceTopic]; src != e.topics.FuelPrices && src != e.topics.Wages && src != e.topics.FXRates {
			t.Errorf("dead letter %s: source topic %q is not an input topic", name, src)
		}
		if orig, _ := os.ReadFile(filepath.Join("../transform/testdata/bad", name)); string(orig) != string(m.Value) {
			t.Errorf("dead letter %s: value is not the original message", name)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// 6. Restart mid-stream, gracefully and by a crash.

const (
	restartRecords    = 5000
	restartIdentities = 1250 // 4 vintages each
)

// restartData returns the messages, in a shuffled order, and the exact sums of price over all
// vintages and over the latest ones.
func restartData(t testing.TB) (msgs []testenv.Msg, sumAll, sumLatest string) {
	rng := rand.New(rand.NewSource(42))
	all, latest := new(big.Rat), new(big.Rat)
	for j := 0; j < restartRecords; j++ {
		id, vintage := j%restartIdentities, j/restartIdentities
		price := fmt.Sprintf("%d.%018d", rng.Intn(1000000), rng.Int63n(1000000000000000000))
		if j%7 == 0 {
			price = fmt.Sprintf("%d.%d", rng.Intn(1000), rng.Intn(100)) // short ones too
		}
		v := rat(t, price)
		all.Add(all, v)
		if vintage == restartRecords/restartIdentities-1 {
			latest.Add(latest, v)
		}
		pub := time.Date(2022, 4, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(vintage) * time.Hour).Format(time.RFC3339)
		product := fmt.Sprintf("p%04d", id)
		value := fmt.Sprintf(`{"kind":"fuel_price","source":"test","date":"2022-04-01","country":"KZ","product":%q,"price":%q,"currency":"EUR","unit":"litre","published_at":%q}`,
			product, price, pub)
		msgs = append(msgs, testenv.Msg{Kind: "fuel_price", Key: product, Value: []byte(value)})
	}
	rng.Shuffle(len(msgs), func(i, j int) { msgs[i], msgs[j] = msgs[j], msgs[i] })
	return msgs, round18(all), round18(latest)
}

func runRestart(t *testing.T, e *env, crash bool) {
	msgs, sumAll, sumLatest := restartData(t)
	e.publish(msgs...)

	// The first consumer stores 3 batches, then its 4th write is held: it is stopped there, with
	// some rows stored and not all, whatever the speed of the machine.
	gate := testenv.NewGate(3)
	c1 := e.startConsumer(t, gate)
	select {
	case <-gate.Held():
	case <-c1.Done():
		t.Fatalf("first consumer ended before reaching the gate")
	case <-time.After(waitTimeout):
		t.Fatalf("first consumer did not write 3 batches within %v", waitTimeout)
	}
	_, written := gate.Written()
	stored := mustCount(t, e.store, "fuel_prices_history", "")
	if stored == 0 || stored >= restartRecords || int(stored) != written {
		t.Fatalf("at the gate: %d rows stored (%d written through the gate), want 0 < n < %d and equal", stored, written, restartRecords)
	}
	t.Logf("stopping the first consumer with %d of %d rows stored (crash=%v)", stored, restartRecords, crash)
	if crash {
		err := c1.Abort()
		if err == nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("aborted consumer: Run returned %v, want a context.Canceled error", err)
		}
	} else {
		c1.RequestStop()
		gate.Open() // the batch in hand is written and committed
		c1.Stop()
	}
	after := mustCount(t, e.store, "fuel_prices_history", "")
	if after >= restartRecords {
		t.Logf("note: the first consumer stored everything (%d) while draining", after)
	}

	c2 := e.startConsumer(t, nil)
	waitCount(t, e.store, restartRecords, "fuel_prices_history", "")
	waitAllCommitted(t, e) // nothing left for a third consumer
	c2.Stop()

	db := e.db()
	checks := []struct{ what, q, want string }{
		{"latest rows", "SELECT toString(count()) FROM " + db + ".fuel_prices", fmt.Sprint(restartIdentities)},
		{"distinct identities", "SELECT toString(uniqExact(product)) FROM " + db + ".fuel_prices", fmt.Sprint(restartIdentities)},
		{"history rows", "SELECT toString(count()) FROM " + db + ".fuel_prices_history", fmt.Sprint(restartRecords)},
		{"distinct vintages", "SELECT toString(uniqExact(product, published_at)) FROM " + db + ".fuel_prices_history", fmt.Sprint(restartRecords)},
		{"stored rows (FINAL)", "SELECT toString(count()) FROM " + db + ".fuel_prices_data FINAL", fmt.Sprint(restartRecords)},
		{"sum(price) history", "SELECT toString(sum(price)) FROM " + db + ".fuel_prices_history", sumAll},
		{"sum(price) latest", "SELECT toString(sum(price)) FROM " + db + ".fuel_prices", sumLatest},
		{"latest vintage", "SELECT toString(uniqExact(published_at)) FROM " + db + ".fuel_prices", "1"},
		{"rejects", "SELECT toString(count()) FROM " + db + ".rejects", "0"},
	}
	for _, c := range checks {
		var got string
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := e.store.Conn().QueryRow(ctx, c.q).Scan(&got)
		cancel()
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
		} else if got != c.want {
			t.Errorf("%s = %s, want %s", c.what, got, c.want)
		}
	}
}

func TestIntegrationEmbeddedRestartGracefulStop(t *testing.T) {
	t.Parallel()
	runRestart(t, newEnv(t, testenv.EmbeddedBroker(t), false), false)
}

func TestIntegrationEmbeddedRestartAfterCrash(t *testing.T) {
	t.Parallel()
	runRestart(t, newEnv(t, testenv.EmbeddedBroker(t), false), true)
}

func TestIntegrationApacheKafkaRestartAfterCrash(t *testing.T) {
	t.Parallel()
	runRestart(t, newEnv(t, testenv.ApacheKafka(t), false), true)
}

// ---------------------------------------------------------------------------------------------
// 7. Migrations are idempotent.

func TestIntegrationClickHouseMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	dsn := testenv.ClickHouseDSN(t)
	store := testenv.OpenStore(t, dsn) // first Migrate
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < 2; i++ {
		if err := store.Migrate(ctx); err != nil {
			t.Fatalf("Migrate again (%d): %v", i+2, err)
		}
	}
	migs, err := schemas.Migrations(store.Database())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := store.AppliedMigrations(ctx); err != nil || n != len(migs) {
		t.Errorf("AppliedMigrations = %d (err %v), want %d", n, err, len(migs))
	}
	if n := mustCount(t, store, "schema_migrations", ""); n != uint64(len(migs)) {
		t.Errorf("schema_migrations has %d rows, want %d (one per migration file)", n, len(migs))
	}
	var versions []string
	for _, r := range queryText(t, store, "SELECT "+textCols("version", "name")+" FROM "+store.Database()+".schema_migrations ORDER BY version") {
		versions = append(versions, r["version"]+"_"+r["name"])
	}
	var want []string // in the order of their versions, as Migrations returns them
	for _, m := range migs {
		want = append(want, fmt.Sprintf("%d_%s", m.Version, m.Name))
	}
	if strings.Join(versions, ",") != strings.Join(want, ",") {
		t.Errorf("schema_migrations = %v, want %v", versions, want)
	}
	// Every object of the SQL surface exists in the test database, and nothing in it mentions
	// the default database.
	for _, view := range []string{"fuel_prices", "wages", "fx_rates", "fuel_prices_history", "wages_history",
		"fx_rates_history", "rejects", "fuel_prices_monthly", "fuel_affordability"} {
		if _, err := count(store, view, ""); err != nil {
			t.Errorf("%s: %v", view, err)
		}
	}
	// A second store on the same database migrates as a no-op too.
	other, err := clickhouse.Open(ctx, clickhouse.Options{DSN: dsn, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Migrate(ctx); err != nil {
		t.Fatalf("Migrate from a second store: %v", err)
	}
	if n := mustCount(t, store, "schema_migrations", ""); n != uint64(len(migs)) {
		t.Errorf("after a second store's Migrate: schema_migrations has %d rows, want %d", n, len(migs))
	}
}

// ---------------------------------------------------------------------------------------------
// Two consumers in one group: the rate may be consumed by one and the prices by the other; the
// other consumer's reconciler must still learn the rate (from ClickHouse) and convert.

func TestIntegrationEmbeddedTwoConsumersOneGroupConvertPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testenv.EmbeddedBroker(t), false)
	c1 := e.startConsumer(t, nil)
	defer c1.Stop()
	c2 := e.startConsumer(t, nil)
	defer c2.Stop()
	const n = 60
	var msgs []testenv.Msg
	want := map[string]string{}
	for i := 0; i < n; i++ {
		price := fmt.Sprintf("%d.%02d", 100+i, i)
		product := fmt.Sprintf("p%02d", i)
		msgs = append(msgs, testenv.Msg{Kind: "fuel_price", Key: product, Value: []byte(fmt.Sprintf(
			`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-05-10","country":"KZ","product":%q,"price":%q,"currency":"KZT","unit":"us_gallon"}`, product, price))})
		want[product] = round18(new(big.Rat).Quo(rat(t, price), new(big.Rat).Mul(rat(t, "470.5"), rat(t, "3.785411784"))))
	}
	e.publish(msgs...)
	waitCount(t, e.store, n, "fuel_prices", "fx_status = 'pending'")
	for _, key := range []string{"a", "b", "c"} { // the same rate under several keys: any partition, any consumer
		e.publish(testenv.Msg{Kind: "fx_rate", Key: key, Value: []byte(
			`{"kind":"fx_rate","source":"nationalbank.kz","date":"2022-05-06","base":"EUR","quote":"KZT","rate":"470.5","published_at":"2022-05-06T12:00:00Z"}`)})
	}
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		rows := queryText(t, e.store, "SELECT "+textCols("product", "price_per_litre_eur", "fx_status")+" FROM "+e.db()+".fuel_prices")
		bad := 0
		var first string
		for _, r := range rows {
			if r["price_per_litre_eur"] != want[r["product"]] {
				if bad == 0 {
					first = fmt.Sprint(r, " want ", want[r["product"]])
				}
				bad++
			}
		}
		return len(rows) == n && bad == 0, fmt.Sprintf("%d rows, %d not converted right, e.g. %s", len(rows), bad, first)
	})
	if n2 := mustCount(t, e.store, "fuel_prices_history", ""); n2 != n {
		t.Errorf("fuel_prices_history: %d rows, want %d", n2, n)
	}
	if n2 := mustCount(t, e.store, "fx_rates_history", ""); n2 != 1 {
		t.Errorf("fx_rates_history: %d rows, want 1 (the same vintage three times)", n2)
	}
}

// waitAllCommitted waits until the group's committed offset is the end offset of every
// non-empty input partition.
func waitAllCommitted(t testing.TB, e *env) {
	t.Helper()
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		end, err := kafka.EndOffsets(ctx, []string{e.brokers}, kafka.Security{}, e.topics.Input())
		if err != nil {
			return false, err.Error()
		}
		committed, err := kafka.CommittedOffsets(ctx, []string{e.brokers}, kafka.Security{}, e.group, e.topics.Input())
		if err != nil {
			return false, err.Error()
		}
		for topic, parts := range end {
			for p, off := range parts {
				if off == 0 {
					continue
				}
				if got := committed[topic][p]; got != off {
					return false, fmt.Sprintf("%s/%d: committed %d, end %d", topic, p, got, off)
				}
			}
		}
		return true, ""
	})
}
