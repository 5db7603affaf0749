package schemas_test

// Integration tests of the SQL surface on the two engines econflow supports: the ClickHouse
// server of the test environment (18.16 here) and current ClickHouse (26.x) through chdb. They
// need the server (testenv) and chdb (`make chdb`); without them they skip, except under CI=true
// or ECONFLOW_REQUIRE_SERVICES=1, where they fail.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/internal/enginetest"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/schemas"
	"github.com/econflow/econflow/transform"
)

// surfaceViews are the views of docs/contract.md §5 that the migrations create.
var surfaceViews = []string{"fuel_prices", "fuel_prices_history", "wages", "wages_history", "fx_rates",
	"fx_rates_history", "rejects", "fuel_prices_monthly", "fuel_affordability", "fuel_prices_current",
	"indicators", "indicators_history", "fuel_prices_real", "wages_real", "indicators_change",
	"fuel_prices_bitemporal", "wages_bitemporal", "fx_rates_bitemporal", "indicators_bitemporal",
	"fuel_prices_converted", "wages_converted", "indicators_converted", "reconversion_failures"}

// dataTables hold what econflow stores; the views read only these.
var dataTables = []string{"fuel_prices_data", "wages_data", "fx_rates_data", "rejects_data", "indicators_data", "deflators",
	"fuel_prices_known", "wages_known", "indicators_known", "fuel_prices_converted_data", "wages_converted_data", "indicators_converted_data",
	"reconversion_failures_data"}

// pushdown is the session setting that lets 18.16 take a view's filters to the primary key
// (deploy/clickhouse.sh sets it in the server profile; current ClickHouse has it by default).
func pushdown(on bool) map[string]string {
	if on {
		return map[string]string{"enable_optimize_predicate_expression": "1"}
	}
	return map[string]string{"enable_optimize_predicate_expression": "0"}
}

func databaseOf(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Trim(u.Path, "/")
}

// migrateChdb applies to chdb, in order, exactly the statements Store.Migrate applies to a
// database created on ClickHouse 18.16 (dates as Date), or with wide to one it creates on
// current ClickHouse (schemas.WideDates: dates as Date32).
func migrateChdb(ctx context.Context, t testing.TB, ch *enginetest.Chdb, db string, wide bool) {
	t.Helper()
	migs, err := schemas.Migrations(db)
	if err != nil {
		t.Fatal(err)
	}
	if wide {
		migs = schemas.WideDates(migs)
	}
	stmts := []string{"CREATE DATABASE IF NOT EXISTS " + db}
	for _, m := range migs {
		stmts = append(stmts, m.Statements...)
	}
	if err := ch.Exec(ctx, stmts...); err != nil {
		t.Fatalf("migrations on current ClickHouse: %v", err)
	}
}

// copyToChdb dumps tables of db from the server in Native format and loads them into database
// to of chdb (its Date32 columns take the server's Date values).
func copyToChdb(ctx context.Context, t testing.TB, srv *enginetest.Server, ch *enginetest.Chdb, db, to string, tables ...string) {
	t.Helper()
	var stmts []string
	for _, table := range tables {
		native, err := srv.Query(ctx, "SELECT * FROM "+db+"."+table+" FORMAT Native", nil)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(ch.Dir(), to+"."+table+".native")
		if err := os.WriteFile(file, native, 0o600); err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, fmt.Sprintf("INSERT INTO %s.%s FROM INFILE '%s' FORMAT Native", to, table, file))
	}
	if err := ch.Exec(ctx, stmts...); err != nil {
		t.Fatalf("load into current ClickHouse: %v", err)
	}
}

// columnsOf returns "name type" lines of a table or view on the server.
func columnsOf(ctx context.Context, t testing.TB, srv *enginetest.Server, db, table string) []string {
	t.Helper()
	out, err := srv.Query(ctx, fmt.Sprintf("SELECT name, type FROM system.columns WHERE database = '%s' AND table = '%s' FORMAT TSV", db, table), nil)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// sameOnEngines runs each query (TSV) on the server, with and without filter pushdown, and on
// chdb, and reports every difference after normalizing the known printing differences. It
// returns the server's answers, normalized (enginetest.SameText).
func sameOnEngines(ctx context.Context, t testing.TB, srv *enginetest.Server, ch *enginetest.Chdb, queries []string) []string {
	t.Helper()
	qs := make([]enginetest.Query, len(queries))
	for i, q := range queries {
		qs[i] = enginetest.Query{SQL: q + enginetest.ChdbSettings, Format: "TSV"}
	}
	current, err := ch.Run(ctx, qs, false)
	if err != nil {
		t.Fatal(err)
	}
	answers := make([]string, len(queries))
	for i, q := range queries {
		on, err := srv.Query(ctx, q+" FORMAT TSV", pushdown(true))
		if err != nil {
			t.Errorf("18.16: %v", err)
			continue
		}
		off, err := srv.Query(ctx, q+" FORMAT TSV", pushdown(false))
		if err != nil {
			t.Errorf("18.16 without pushdown: %v", err)
			continue
		}
		answers[i] = enginetest.SameText(on)
		if !bytes.Equal(on, off) {
			t.Errorf("%s\n18.16 answers differently with and without filter pushdown:\n%s", q, firstDiff(string(on), string(off)))
		}
		if current[i].Err != nil {
			t.Errorf("%v", current[i].Err)
			continue
		}
		if a, b := answers[i], string(current[i].Output); a != b {
			t.Errorf("%s\n18.16 and current ClickHouse differ:\n%s", q, firstDiff(a, b))
		}
	}
	return answers
}

// sameWithDate32 checks that the views of wideDB, a database with Date32 dates on current
// ClickHouse holding db's rows, have db's columns on the server with Date32 for Date, and answer
// each query as the server answered it on db (answers).
func sameWithDate32(ctx context.Context, t testing.TB, srv *enginetest.Server, ch *enginetest.Chdb, db, wideDB string, queries, answers []string) {
	t.Helper()
	for _, v := range surfaceViews {
		want := strings.Join(columnsOf(ctx, t, srv, db, v), "\n")
		want = regexp.MustCompile(`\bDate\b`).ReplaceAllString(want, "Date32")
		got, err := ch.Query(ctx, fmt.Sprintf("SELECT name, type FROM system.columns WHERE database = '%s' AND table = '%s'", wideDB, v), "TSV")
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(got)) != want {
			t.Errorf("%s with Date32: column types differ:\n18.16 (Date as Date32):\n%s\ncurrent:\n%s", v, want, got)
		}
	}
	qs := make([]enginetest.Query, len(queries))
	for i, q := range queries {
		qs[i] = enginetest.Query{SQL: strings.ReplaceAll(q, db+".", wideDB+".") + enginetest.ChdbSettings, Format: "TSV"}
	}
	current, err := ch.Run(ctx, qs, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range queries {
		if current[i].Err != nil {
			t.Errorf("with Date32: %v", current[i].Err)
			continue
		}
		if a, b := answers[i], strings.ReplaceAll(string(current[i].Output), wideDB, db); a != b {
			t.Errorf("%s\n18.16 and current ClickHouse with Date32 differ:\n%s", queries[i], firstDiff(a, b))
		}
	}
}

// firstDiff shows the first differing line of two texts, with the line counts.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s\n(%d and %d lines)", i+1, la[i], lb[i], len(la), len(lb))
		}
	}
	return fmt.Sprintf("%d and %d lines", len(la), len(lb))
}

// surfaceQueries are the queries compared across engines: every view whole, ordered by all of
// its columns, and the query shapes of docs/cookbook.md.
func surfaceQueries(ctx context.Context, t testing.TB, srv *enginetest.Server, db string) []string {
	t.Helper()
	var qs []string
	for _, v := range surfaceViews {
		var names []string
		for _, c := range columnsOf(ctx, t, srv, db, v) {
			name, _, _ := strings.Cut(c, "\t")
			names = append(names, name)
		}
		qs = append(qs, fmt.Sprintf("SELECT * FROM %s.%s ORDER BY %s", db, v, strings.Join(names, ", ")))
	}
	for _, q := range cookbookShapes {
		qs = append(qs, strings.ReplaceAll(q, "econ.", db+"."))
	}
	return qs
}

// cookbookShapes are the fast query shapes of docs/cookbook.md, on the demo data's identities.
var cookbookShapes = []string{
	"SELECT date, price, currency, price_per_litre_eur FROM econ.fuel_prices WHERE country = 'KZ' AND region = 'KZ-MAN' AND product = 'lpg' ORDER BY date",
	"SELECT region, date, price FROM econ.fuel_prices WHERE country = 'KZ' AND product = 'lpg' AND date BETWEEN '2022-01-01' AND '2022-03-31' ORDER BY region, date",
	"SELECT date, published_at, price, status FROM econ.fuel_prices_history WHERE country = 'KZ' AND region = 'KZ-ALA' AND product = 'lpg' AND date = '2022-01-04' ORDER BY published_at",
	"SELECT country, region, product, date, price, currency FROM econ.fuel_prices_current WHERE country = 'KZ' ORDER BY region, product",
	"SELECT month, region, observations, avg_price_per_litre_eur FROM econ.fuel_prices_monthly WHERE country = 'KZ' AND product = 'lpg' ORDER BY month, region",
	"SELECT month, region, wage_measure, wage_region, monthly_wage, avg_price_per_litre, litres_per_monthly_wage FROM econ.fuel_affordability WHERE country = 'KZ' ORDER BY month, region, product, wage_measure",
	"SELECT date, rate, quantity, source FROM econ.fx_rates WHERE base = 'EUR' AND quote = 'KZT' ORDER BY date",
	"SELECT date, amount, monthly_amount, monthly_amount_eur FROM econ.wages WHERE country = 'KZ' AND measure = 'minimum' ORDER BY date",
	"SELECT kafka_topic, kafka_offset, error_code FROM econ.rejects ORDER BY kafka_topic, kafka_partition, kafka_offset",
	"SELECT reporting_currency, date, price, currency, price_per_litre_converted, fx_path FROM econ.fuel_prices_converted WHERE reporting_currency = 'USD' AND country = 'DE' AND product = 'diesel' ORDER BY date",
	"SELECT kind, country, date, reporting_currency, reason FROM econ.reconversion_failures WHERE kind = 'fuel_price' AND country = 'KZ' ORDER BY date",
	"SELECT published_at, known_from, known_until, price, price_per_litre_eur, fx_path FROM econ.fuel_prices_bitemporal WHERE country = 'KZ' AND region = 'KZ-ALA' AND product = 'lpg' AND date = '2022-01-04' AND known_from <= toDateTime('2022-01-04 20:00:00', 'UTC') AND (known_until IS NULL OR known_until > toDateTime('2022-01-04 20:00:00', 'UTC'))",
	"SELECT published_at, known_from, known_until, price, price_per_litre_eur, fx_path FROM econ.fuel_prices_bitemporal WHERE country = 'KZ' AND region = 'KZ-ALA' AND product = 'lpg' AND date = '2022-01-04' AND known_from <= toDateTime('2022-01-06 00:00:00', 'UTC') AND (known_until IS NULL OR known_until > toDateTime('2022-01-06 00:00:00', 'UTC'))",
	"SELECT date, value, published_at, known_until FROM econ.indicators_bitemporal WHERE country = 'KZ' AND series = 'KZ_CPI_M' AND known_from <= toDateTime('2022-02-15 00:00:00', 'UTC') AND (known_until IS NULL OR known_until > toDateTime('2022-02-15 00:00:00', 'UTC')) ORDER BY date",
}

// crafted are records beyond the demo sample that exercise what the views promise: a revision,
// an older vintage arriving late, a re-delivery, a date of 1970-01-01 (18.16 prints 0000-00-00),
// a price per kg (no price per litre), prices pending conversion, rials large enough to have
// overflowed the old affordability view, a wage superseded, a yearly wage, an hourly wage
// (no monthly amount), a regional wage, a currency-unit indicator published before its rate and
// re-converted as the rate's vintages are published (with a revision, delivered twice),
// withdrawals, and bad messages.
var crafted = []struct {
	kind, json string
	copies     int // deliveries of the same message
}{
	{"fuel_price", `{"kind":"fuel_price","source":"bmwk.de","country":"DE","product":"diesel","price":"1.799","currency":"EUR","unit":"litre","date":"2022-03-01","published_at":"2022-03-02T00:00:00Z"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"bmwk.de","country":"DE","product":"diesel","price":"1.809","currency":"EUR","unit":"litre","date":"2022-03-01","published_at":"2022-03-10T00:00:00Z"}`, 2},
	{"fuel_price", `{"kind":"fuel_price","source":"bmwk.de","country":"DE","product":"diesel","price":"9.999","currency":"EUR","unit":"litre","date":"2022-03-01","published_at":"2022-03-01T12:00:00Z"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"bmwk.de","country":"DE","product":"diesel","price":"1.75","currency":"EUR","unit":"litre","date":"2022-03-02","published_at":"2022-03-03T00:00:00Z","status":"P"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"bmwk.de","country":"DE","product":"lpg","price":"0.25","currency":"EUR","unit":"us_gallon","date":"1970-01-01","published_at":"1970-01-02T00:00:00Z"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"bmwk.de","country":"DE","product":"lpg","price":"1.5","currency":"EUR","unit":"kg","date":"2022-03-01","published_at":"2022-03-02T00:00:00Z"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"shana.ir","country":"IR","product":"gasoline_ai92","price":"15000","currency":"IRR","unit":"litre","date":"2022-01-05","published_at":"2022-01-06T00:00:00Z"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"shana.ir","country":"IR","product":"gasoline_ai92","price":"15000.5","currency":"IRR","unit":"litre","date":"2022-02-05","published_at":"2022-02-06T00:00:00Z"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"shana.ir","country":"IR","product":"gasoline_ai92","price":"14999.333333333333333333","currency":"IRR","unit":"litre","date":"2022-02-06","published_at":"2022-02-07T00:00:00Z"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"shana.ir","country":"IR","region":"IR-23","product":"gasoline_ai92","price":"30000","currency":"IRR","unit":"litre","date":"2022-03-05","published_at":"2022-03-06T00:00:00Z"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"shana.ir","country":"IR","region":"IR-23","product":"gasoline_ai92","price":"3000","unit_mult":1,"currency":"IRR","unit":"litre","date":"2022-04-05","published_at":"2022-04-06T00:00:00Z"}`, 1},
	{"wage", `{"kind":"wage","source":"mcls.gov.ir","country":"IR","measure":"minimum","amount":"200000000","currency":"IRR","per":"month","frequency":"A","date":"2022-01-01","published_at":"2021-12-20T00:00:00Z"}`, 1},
	{"wage", `{"kind":"wage","source":"mcls.gov.ir","country":"IR","measure":"minimum","amount":"250000000","currency":"IRR","per":"month","frequency":"A","date":"2022-03-21","published_at":"2022-03-01T00:00:00Z"}`, 1},
	{"wage", `{"kind":"wage","source":"mcls.gov.ir","country":"IR","region":"IR-23","measure":"minimum","amount":"210000000.5","currency":"IRR","per":"month","frequency":"A","date":"2022-04-01","published_at":"2022-03-01T00:00:00Z"}`, 1},
	{"wage", `{"kind":"wage","source":"amar.org.ir","country":"IR","measure":"average","amount":"3000000000","currency":"IRR","per":"year","frequency":"A","date":"2021-01-01","published_at":"2021-06-01T00:00:00Z"}`, 1},
	{"wage", `{"kind":"wage","source":"amar.org.ir","country":"IR","measure":"average","amount":"3600000000","currency":"IRR","per":"year","frequency":"A","date":"2021-01-01","published_at":"2021-09-01T00:00:00Z"}`, 1},
	{"wage", `{"kind":"wage","source":"destatis.de","country":"DE","measure":"minimum","amount":"9.82","currency":"EUR","per":"hour","frequency":"A","date":"2022-01-01","published_at":"2021-12-01T00:00:00Z"}`, 1},
	{"fx_rate", `{"kind":"fx_rate","source":"ecb","base":"EUR","quote":"USD","rate":"1.1","date":"2022-03-01","published_at":"2022-03-01T16:00:00Z"}`, 1},
	{"fx_rate", `{"kind":"fx_rate","source":"ecb","base":"EUR","quote":"USD","rate":"1.1046","date":"2022-03-01","published_at":"2022-03-02T16:00:00Z"}`, 1},
	{"indicator", `{"kind":"indicator","source":"census.gov","series":"RSXFS","country":"US","measure":"retail_sales","unit":"currency","currency":"USD","frequency":"M","date":"2022-03-01","published_at":"2022-03-01T12:00:00Z","value":"1234.5"}`, 1},
	{"indicator", `{"kind":"indicator","source":"census.gov","series":"RSXFS","country":"US","measure":"retail_sales","unit":"currency","currency":"USD","frequency":"M","date":"2022-03-01","published_at":"2022-03-03T00:00:00Z","value":"1250.25"}`, 2},
	// Withdrawals: a price withdrawn (the withdrawal delivered twice), a rate whose withdrawal
	// arrives before it, and an hourly wage withdrawn and then published again.
	{"fuel_price", `{"kind":"fuel_price","source":"bmwk.de","country":"DE","product":"diesel","price":"1.70","currency":"EUR","unit":"litre","date":"2022-03-03","published_at":"2022-03-04T00:00:00Z"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"bmwk.de","country":"DE","product":"diesel","currency":"EUR","unit":"litre","date":"2022-03-03","published_at":"2022-03-05T00:00:00Z","withdrawn":true}`, 2},
	{"fx_rate", `{"kind":"fx_rate","source":"ecb","base":"EUR","quote":"USD","date":"2022-03-02","published_at":"2022-03-03T16:00:00Z","withdrawn":true}`, 1},
	{"fx_rate", `{"kind":"fx_rate","source":"ecb","base":"EUR","quote":"USD","rate":"1.2","date":"2022-03-02","published_at":"2022-03-02T16:00:00Z"}`, 1},
	{"wage", `{"kind":"wage","source":"destatis.de","country":"DE","measure":"minimum","currency":"EUR","per":"hour","frequency":"A","date":"2022-01-01","published_at":"2021-12-10T00:00:00Z","withdrawn":true}`, 1},
	{"wage", `{"kind":"wage","source":"destatis.de","country":"DE","measure":"minimum","amount":"10.45","currency":"EUR","per":"hour","frequency":"A","date":"2022-01-01","published_at":"2021-12-20T00:00:00Z"}`, 1},
	// The sample's CPI of February 2022, withdrawn: that month's prices are not deflated.
	{"fuel_price", `{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","product":"diesel","price":"250","currency":"KZT","unit":"litre","date":"2022-02-15","published_at":"2022-02-16T00:00:00Z"}`, 1},
	{"indicator", `{"kind":"indicator","source":"econflow.sample","series":"KZ_CPI_M","country":"KZ","measure":"cpi","unit":"index","base_period":"2021-12=100","frequency":"M","date":"2022-02-01","published_at":"2022-03-05T00:00:00Z","withdrawn":true}`, 1},
	// An Armenian minimum wage revised from May, the revision withdrawn: the wage of January
	// stays in force in affordability.
	{"fuel_price", `{"kind":"fuel_price","source":"minenergy.am","country":"AM","product":"lpg","price":"500","currency":"AMD","unit":"litre","date":"2022-05-10","published_at":"2022-05-11T00:00:00Z"}`, 1},
	{"wage", `{"kind":"wage","source":"mlsa.am","country":"AM","measure":"minimum","amount":"75000","currency":"AMD","per":"month","frequency":"A","date":"2022-01-01","published_at":"2021-12-20T00:00:00Z"}`, 1},
	{"wage", `{"kind":"wage","source":"mlsa.am","country":"AM","measure":"minimum","amount":"90000","currency":"AMD","per":"month","frequency":"A","date":"2022-05-01","published_at":"2022-04-20T00:00:00Z"}`, 1},
	{"wage", `{"kind":"wage","source":"mlsa.am","country":"AM","measure":"minimum","currency":"AMD","per":"month","frequency":"A","date":"2022-05-01","published_at":"2022-04-25T00:00:00Z","withdrawn":true}`, 1},
	{"indicator", `{"kind":"indicator","source":"destatis.de","series":"DE_EARN","country":"DE","measure":"average","unit":"currency","currency":"EUR","date":"2022-03-01","frequency":"M","value":"4100.5","published_at":"2022-03-15T00:00:00Z"}`, 1},
	{"fuel_price", `{"kind":"fuel_price","source":"x","country":"DE","product":"diesel","price":"1,5","currency":"EUR","unit":"litre","date":"2022-03-01"}`, 1},
	{"fuel_price", `{"kind":"gold_price","source":"x"}`, 1},
	{"fuel_price", `not json`, 1},
}

// craftedCounts are the rows the crafted records add to the history views and the rejects, and
// to indicators_bitemporal once the reconciler has recorded the indicator's earlier conversions
// (see checkSurfaceMeaning).
var craftedCounts = map[string]int{"fuel_prices_history": 15, "wages_history": 11, "fx_rates_history": 4, "rejects": 3,
	"indicators_history": 4, "indicators_bitemporal": 5}

// TestIntegrationSurfaceSameOnBothEngines: rows that econflow's consumer encoded into the server
// (the demo sample and crafted records), copied into current ClickHouse, answer every view and
// every cookbook query with the same column types and values there, before and after the
// server merges its parts; no view has a Float column; on 18.16, filter pushdown changes no
// answer.
func TestIntegrationSurfaceSameOnBothEngines(t *testing.T) {
	ch := enginetest.NewChdb(t)
	srv := enginetest.NewServer(t)
	dsn := testenv.ClickHouseDSN(t)
	db := databaseOf(t, dsn)
	brokers := testenv.EmbeddedBroker(t)
	topics := testenv.NewTopics(t, brokers)
	fx := transform.DefaultFXConfig()
	fx.Further = []string{"USD"} // fuel_prices_converted and wages_converted
	consumer := testenv.StartConsumer(t, testenv.ConsumerOptions{Brokers: brokers, DSN: dsn, Topics: topics, Group: testenv.NewGroup(t), FX: &fx})

	sample, err := schemas.Sample("kz_2022.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for k, n := range craftedCounts {
		want[k] = n
	}
	var msgs []testenv.Msg
	sc := bufio.NewScanner(bytes.NewReader(sample))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		kind := "fuel_price"
		for _, k := range []string{"wage", "fx_rate", "indicator"} {
			if strings.Contains(line, `"kind": "`+k+`"`) {
				kind = k
			}
		}
		want[map[string]string{"fuel_price": "fuel_prices_history", "wage": "wages_history", "fx_rate": "fx_rates_history", "indicator": "indicators_history"}[kind]]++
		if kind == "indicator" { // the sample's indicators have one vintage each, not converted
			want["indicators_bitemporal"]++
		}
		msgs = append(msgs, testenv.Msg{Kind: kind, Key: kind, Value: []byte(line)})
	}
	for _, c := range crafted {
		for i := 0; i < c.copies; i++ {
			msgs = append(msgs, testenv.Msg{Kind: c.kind, Key: c.kind, Value: []byte(c.json)})
		}
	}
	testenv.NewPublisher(t, brokers, topics).Publish(msgs...)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	testenv.WaitFor(t, 2*time.Minute, func() (bool, string) {
		var got []string
		done := true
		for view, n := range want {
			out, err := srv.Query(ctx, "SELECT count() FROM "+db+"."+view, nil)
			if err != nil || strings.TrimSpace(string(out)) != fmt.Sprint(n) {
				done = false
			}
			got = append(got, fmt.Sprintf("%s: %s (want %d) %v", view, bytes.TrimSpace(out), n, err))
		}
		return done, strings.Join(got, "; ")
	})
	consumer.Stop() // nothing changes the data from here on
	// Kazakhstan's prices and wages deflated by the sample CPI at December 2021 prices.
	if _, err := srv.Query(ctx, "INSERT INTO "+db+".deflators VALUES ('KZ', 'econflow.sample', 'KZ_CPI_M', '2021-12-01', 1, '2026-12-01 00:00:00', 1)", nil); err != nil {
		t.Fatal(err)
	}
	// A failed re-derivation of a Mangystau LPG price, and one since resolved (which the view
	// does not show): the consumer's reconciler records these (ingest's tests provoke them).
	if _, err := srv.Query(ctx, "INSERT INTO "+db+".reconversion_failures_data (kind, reporting_currency, source, country, region, product, tax_basis, currency, unit, frequency, date, published_at, record_id, reason, failed_at, resolved_at, _version) VALUES "+
		"('fuel_price', 'EUR', 'stat.gov.kz', 'KZ', 'KZ-MAN', 'lpg', 'incl_tax', 'KZT', 'litre', 'D', '2022-01-03', '2022-01-03 18:00:00', 'r1', 'price_eur does not fit Decimal(38,18)', '2026-12-01 00:00:00', '1970-01-01 00:00:00', 1), "+
		"('fuel_price', 'USD', 'stat.gov.kz', 'KZ', 'KZ-MAN', 'lpg', 'incl_tax', 'KZT', 'litre', 'D', '2022-01-04', '2022-01-04 18:00:00', 'r2', 'price_converted does not fit Decimal(38,18)', '2026-12-01 00:00:00', '1970-01-01 00:00:00', 1), "+
		"('fuel_price', 'USD', 'stat.gov.kz', 'KZ', 'KZ-MAN', 'lpg', 'incl_tax', 'KZT', 'litre', 'D', '2022-01-04', '2022-01-04 18:00:00', 'r2', 'price_converted does not fit Decimal(38,18)', '2026-12-01 00:00:00', '2026-12-01 00:05:00', 2)", nil); err != nil {
		t.Fatal(err)
	}

	migrateChdb(ctx, t, ch, db, false)
	copyToChdb(ctx, t, srv, ch, db, db, dataTables...)
	// The same rows in a database as Migrate creates it on current ClickHouse: dates as Date32.
	wideDB := db + "_date32"
	migrateChdb(ctx, t, ch, wideDB, true)
	copyToChdb(ctx, t, srv, ch, db, wideDB, dataTables...)

	for _, v := range surfaceViews {
		for _, c := range columnsOf(ctx, t, srv, db, v) {
			if strings.Contains(c, "Float") {
				t.Errorf("%s.%s on 18.16: %s", db, v, c)
			}
		}
		current, err := ch.Query(ctx, fmt.Sprintf("SELECT name, type FROM system.columns WHERE database = '%s' AND table = '%s'", db, v), "TSV")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(current), "Float") {
			t.Errorf("%s.%s on current ClickHouse has a Float column:\n%s", db, v, current)
		}
		if a, b := strings.Join(columnsOf(ctx, t, srv, db, v), "\n"), strings.TrimSpace(string(current)); a != b {
			t.Errorf("%s: column types differ:\n18.16:\n%s\ncurrent:\n%s", v, a, b)
		}
	}

	queries := surfaceQueries(ctx, t, srv, db)
	before := sameOnEngines(ctx, t, srv, ch, queries)
	checkSurfaceMeaning(t, db, before)
	sameWithDate32(ctx, t, srv, ch, db, wideDB, queries, before)

	for _, table := range dataTables {
		if _, err := srv.Query(ctx, "OPTIMIZE TABLE "+db+"."+table+" FINAL", nil); err != nil {
			t.Fatal(err)
		}
	}
	after := sameOnEngines(ctx, t, srv, ch, queries)
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("%s\nanswers differently once the parts are merged:\n%s", queries[i], firstDiff(before[i], after[i]))
		}
	}
}

// checkSurfaceMeaning checks answers of surfaceQueries against what the crafted records mean,
// so that two engines agreeing on a wrong answer cannot pass. answers[i] is the whole of
// surfaceViews[i], ordered by its columns.
func checkSurfaceMeaning(t *testing.T, db string, answers []string) {
	t.Helper()
	view := map[string]string{}
	for i, v := range surfaceViews {
		view[v] = answers[i]
	}
	rowsWith := func(v string, parts ...string) []string {
		var out []string
		for _, line := range strings.Split(view[v], "\n") {
			ok := line != ""
			for _, p := range parts {
				ok = ok && strings.Contains(line, p)
			}
			if ok {
				out = append(out, line)
			}
		}
		return out
	}
	// The revision is the latest vintage, once, however often it was delivered; the older
	// vintage that arrived after it does not displace it; history keeps all three vintages.
	if got := rowsWith("fuel_prices", "bmwk.de\tDE\t\tdiesel", "2022-03-01\t"); len(got) != 1 || !strings.Contains(got[0], "\t1.809000000000000000\t") {
		t.Errorf("fuel_prices DE diesel 2022-03-01: %q, want one row at 1.809", got)
	}
	if got := rowsWith("fuel_prices_history", "bmwk.de\tDE\t\tdiesel", "\t2022-03-01\t"); len(got) != 3 {
		t.Errorf("fuel_prices_history DE diesel 2022-03-01: %d rows, want 3 vintages: %q", len(got), got)
	}
	// The latest date of the series, with its status.
	if got := rowsWith("fuel_prices_current", "bmwk.de\tDE\t\tdiesel"); len(got) != 1 || !strings.Contains(got[0], "\t2022-03-02\t1.750000000000000000\t") {
		t.Errorf("fuel_prices_current DE diesel: %q, want 2022-03-02 at 1.75", got)
	}
	// The rial minimum wage of January applies in February (no wage is dated in February):
	// 200,000,000 × 2 / (15000.5 + 14999.333333333333333333) = 13333.407407818932327401… litres.
	if got := rowsWith("fuel_affordability", "2022-02-01\tIR\t\tgasoline_ai92\tminimum"); len(got) != 1 ||
		!strings.HasSuffix(got[0], "\t200000000.000000000000000000\t14999.916666666666666666\t13333.407407818932327401") {
		t.Errorf("fuel_affordability IR 2022-02 minimum: %q", got)
	}
	// The regional wage applies from its month (April) on; before, the national one: March
	// has the national wage superseded on 2022-03-21.
	for month, want := range map[string]string{"2022-03-01": "\t\t250000000.000000000000000000\t", "2022-04-01": "\tIR-23\t210000000.500000000000000000\t"} {
		if got := rowsWith("fuel_affordability", month+"\tIR\tIR-23\tgasoline_ai92\tminimum"); len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("fuel_affordability IR-23 %s minimum: %q, want wage %q", month, got, want)
		}
	}
	// The yearly average wage, revised (3.6e9 a year), from 2021 on: 300,000,000 a month.
	if got := rowsWith("fuel_affordability", "2022-01-01\tIR\t\tgasoline_ai92\taverage"); len(got) != 1 || !strings.Contains(got[0], "\t300000000.000000000000000000\t15000.000000000000000000\t20000.000000000000000000") {
		t.Errorf("fuel_affordability IR 2022-01 average: %q", got)
	}
	// The withdrawn Armenian wage of May is not in force: January's is, 75,000 / 500 = 150 litres.
	if got := rowsWith("fuel_affordability", "2022-05-01\tAM\t\tlpg\tminimum"); len(got) != 1 ||
		!strings.HasSuffix(got[0], "\t75000.000000000000000000\t500.000000000000000000\t150.000000000000000000") {
		t.Errorf("fuel_affordability AM 2022-05 minimum: %q, want January's wage of 75000", got)
	}
	// No hourly wage and no price per kg in affordability; the month with only a price per kg
	// counts it as an observation with no average.
	if got := rowsWith("fuel_affordability", "\tDE\t"); len(got) != 0 {
		t.Errorf("fuel_affordability has German rows from an hourly wage: %q", got)
	}
	if got := rowsWith("fuel_prices_monthly", "2022-03-01\tDE\t\tlpg\tincl_tax\t1\t\\N\t\\N\t\\N"); len(got) != 1 {
		t.Errorf("fuel_prices_monthly DE lpg 2022-03 (per kg only): %q", rowsWith("fuel_prices_monthly", "\tDE\t\tlpg"))
	}
	if got := rowsWith("fuel_prices", "\t1970-01-01\t0.250000000000000000\t"); len(got) != 1 {
		t.Errorf("fuel_prices dated 1970-01-01: %q", rowsWith("fuel_prices", "\tDE\t\tlpg"))
	}
	// Withdrawals: not in the latest views, in the history views with withdrawn = 1 (the last
	// column), closing the interval of the vintage before in the as-of view.
	if got := rowsWith("fuel_prices", "bmwk.de\tDE\t\tdiesel", "\t2022-03-03\t"); len(got) != 0 {
		t.Errorf("fuel_prices shows the withdrawn DE diesel 2022-03-03: %q", got)
	}
	if got := rowsWith("fuel_prices_history", "bmwk.de\tDE\t\tdiesel", "\t2022-03-03\t"); len(got) != 2 ||
		len(rowsWith("fuel_prices_history", "bmwk.de\tDE\t\tdiesel", "\t2022-03-03\t0.000000000000000000\tEUR\tlitre\t0\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t", "\t2022-03-05 00:00:00\t")) != 1 ||
		len(rowsWith("fuel_prices_history", "bmwk.de\tDE\t\tdiesel", "\t2022-03-03\t1.700000000000000000\t", "\t2022-03-04 00:00:00\t")) != 1 ||
		!strings.HasSuffix(got[0], "\t1") || !strings.HasSuffix(got[1], "\t0") {
		t.Errorf("fuel_prices_history DE diesel 2022-03-03: %q, want the price and its withdrawal", got)
	}
	if got := rowsWith("fuel_prices_bitemporal", "bmwk.de\tDE\t\tdiesel", "\t2022-03-03\t"); len(got) != 1 ||
		!strings.HasSuffix(got[0], "\t2022-03-04 00:00:00\t2022-03-05 00:00:00") || !strings.Contains(got[0], "\t1.700000000000000000\t") {
		t.Errorf("fuel_prices_bitemporal DE diesel 2022-03-03: %q, want 1.70 known from 03-04 until 03-05", got)
	}
	if got := rowsWith("fx_rates", "ecb\tEUR\tUSD\tofficial"); len(got) != 1 || !strings.Contains(got[0], "\t2022-03-01\t") {
		t.Errorf("fx_rates ecb EUR/USD: %q, want only 2022-03-01 (2022-03-02 is withdrawn)", got)
	}
	if got := rowsWith("fx_rates_bitemporal", "ecb\tEUR\tUSD", "\t2022-03-02\t"); len(got) != 1 || !strings.HasSuffix(got[0], "\t2022-03-02 16:00:00\t2022-03-03 16:00:00") {
		t.Errorf("fx_rates_bitemporal ecb EUR/USD 2022-03-02: %q", got)
	}
	if got := rowsWith("wages", "destatis.de\tDE"); len(got) != 1 || !strings.Contains(got[0], "\t10.450000000000000000\t") {
		t.Errorf("wages DE minimum: %q, want the vintage published after the withdrawal", got)
	}
	if got := rowsWith("indicators", "KZ_CPI_M", "\t2022-02-01\t"); len(got) != 0 {
		t.Errorf("indicators shows the withdrawn CPI of 2022-02: %q", got)
	}
	feb, jan := rowsWith("fuel_prices_real", "\tKZ\t", "\tD\t2022-02-"), rowsWith("fuel_prices_real", "\tKZ\t", "\tD\t2022-01-")
	if len(feb) == 0 || len(jan) == 0 {
		t.Errorf("fuel_prices_real: %d KZ rows in 2022-01 and %d in 2022-02, want some of each", len(jan), len(feb))
	}
	for _, r := range feb {
		if !strings.Contains(r, "\t\t\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tpending\t") {
			t.Errorf("fuel_prices_real of February 2022 (CPI withdrawn): %q, want no CPI and pending", r)
		}
	}
	for _, r := range jan {
		if !strings.Contains(r, "\tdeflated\t") {
			t.Errorf("fuel_prices_real of January 2022: %q, want deflated", r)
		}
	}
	if got := rowsWith("rejects"); len(got) != 3 {
		t.Errorf("rejects: %d rows, want 3", len(got))
	}
	// The revised German diesel price in US dollars at the revised ECB rate of its date:
	// 1.809 × 1.1046 = 1.9982214, on its own row with its currency, never in price_eur.
	if got := rowsWith("fuel_prices_converted", "USD\tbmwk.de\tDE\t\tdiesel\tincl_tax\tD\t2022-03-01\t1.809000000000000000\tEUR\tlitre\t0\t1.998221400000000000\t1.998221400000000000\t\\N\t1.104600000000000000\t2022-03-01\tEUR>USD@ecb:2022-03-01\tconverted\tpoint\t2022-03-10 00:00:00\t"); len(got) != 1 {
		t.Errorf("fuel_prices_converted USD DE diesel 2022-03-01: %q", rowsWith("fuel_prices_converted", "\tDE\t\tdiesel"))
	}
	// The German diesel price of 2022-03-03 is withdrawn: it has no latest row, in euros or in
	// any further reporting currency.
	for _, view := range []string{"fuel_prices", "fuel_prices_converted"} {
		if got := rowsWith(view, "bmwk.de\tDE\t\tdiesel", "\t2022-03-03\t"); len(got) != 0 {
			t.Errorf("%s: the withdrawn DE diesel price of 2022-03-03 is still shown: %q", view, got)
		}
	}
	// An indicator in a currency likewise: 4100.5 × 1.1046 = 4529.4123 USD.
	if got := rowsWith("indicators_converted", "USD\tdestatis.de\tDE_EARN\tDE\t\taverage\tcurrency\tEUR\t\tnsa\tM\t2022-03-01\t4100.500000000000000000\t0\t4529.412300000000000000\t1.104600000000000000\t2022-03-01\tEUR>USD@ecb:2022-03-01\tconverted\tpoint\t2022-03-15 00:00:00\t"); len(got) != 1 {
		t.Errorf("indicators_converted USD DE_EARN: %q", rowsWith("indicators_converted", "DE_EARN"))
	}
	for _, v := range []string{"fuel_prices_converted", "wages_converted", "indicators_converted"} {
		rows := rowsWith(v)
		if len(rows) == 0 {
			t.Errorf("%s: no rows", v)
		}
		for _, line := range rows {
			if !strings.HasPrefix(line, "USD\t") {
				t.Errorf("%s: a row not in USD: %q", v, line)
			}
		}
	}
	// The unresolved failure only.
	if got := rowsWith("reconversion_failures"); len(got) != 1 || !strings.HasPrefix(got[0], "fuel_price\tEUR\tstat.gov.kz\tKZ\tKZ-MAN\t\tlpg\t") {
		t.Errorf("reconversion_failures: %q, want the unresolved EUR failure only", got)
	}
	// docs/cookbook.md's as-of answers, the last two shapes: the Almaty LPG price of 2022-01-04
	// as known on the evening of the 4th (the first vintage, converted at once with the rate
	// published that morning) and on the 6th (the revision): 90 / 492.75 and 92.5 / 492.75,
	// rounded half to even.
	shape := func(prefix string, nth int) (string, string) {
		for i, q := range cookbookShapes {
			if strings.HasPrefix(q, prefix) {
				if nth == 0 {
					return q, strings.TrimSpace(answers[len(surfaceViews)+i])
				}
				nth--
			}
		}
		t.Fatalf("no cookbook shape %q", prefix)
		return "", ""
	}
	for i, want := range []string{
		"2022-01-04 18:00:00\t2022-01-04 18:00:00\t2022-01-05 09:00:00\t90.000000000000000000\t0.182648401826484018\tKZT>EUR@nationalbank.kz:2022-01-04",
		"2022-01-05 09:00:00\t2022-01-05 09:00:00\t\\N\t92.500000000000000000\t0.187721968543886352\tKZT>EUR@nationalbank.kz:2022-01-04",
	} {
		if q, got := shape("SELECT published_at, known_from, known_until, price", i); got != want {
			t.Errorf("%s\nanswers %q, want %q", q, got, want)
		}
	}
	// The CPI as it stood on 2022-02-15: the months published by then (January's on 1 February),
	// each known until nothing replaced it.
	if q, got := shape("SELECT date, value, published_at, known_until FROM econ.indicators_bitemporal", 0); got != strings.Join([]string{
		"2021-10-01\t97.640000000000000000\t2021-11-01 04:00:00\t\\N",
		"2021-11-01\t98.890000000000000000\t2021-12-01 04:00:00\t\\N",
		"2021-12-01\t100.000000000000000000\t2022-01-04 04:00:00\t\\N",
		"2022-01-01\t100.700000000000000000\t2022-02-01 04:00:00\t\\N",
	}, "\n") {
		t.Errorf("%s\nanswers:\n%s", q, got)
	}
	checkIndicatorKnowledge(t, rowsWith("indicators_bitemporal", "census.gov\tRSXFS\tUS\t"))
}

// checkIndicatorKnowledge checks the crafted US retail sales in USD (docs/contract.md §5.4)
// against math/big: 1234.5 published 2022-03-01 12:00 is pending until the EUR/USD rate of
// 2022-03-01 is published at 16:00 (1.1), converted at it until its revision is published on the
// 2nd at 16:00 (1.1046), then at the revision until the second vintage (1250.25) is published on
// the 3rd, converted at once at 1.1046. value_eur = value / rate and fx_rate = 1 / rate, each
// rounded once, half to even, at 18 fractional digits. rows are the view's rows of the series.
func checkIndicatorKnowledge(t *testing.T, rows []string) {
	t.Helper()
	cols := []string{"source", "series", "country", "region", "measure", "unit", "currency", "base_period", "adjustment",
		"frequency", "date", "value", "unit_mult", "value_eur", "fx_rate", "fx_date", "fx_path", "fx_status", "fx_basis",
		"status", "published_at", "published_ns", "record_id", "attributes", "known_from", "known_until"}
	ratOf := func(s string) *big.Rat {
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("%q is not a decimal", s)
		}
		return r
	}
	type interval struct{ published, from, until, value, rate string }
	var want []string
	for _, w := range []interval{
		{"2022-03-01 12:00:00", "2022-03-01 12:00:00", "2022-03-01 16:00:00", "1234.5", ""},
		{"2022-03-01 12:00:00", "2022-03-01 16:00:00", "2022-03-02 16:00:00", "1234.5", "1.1"},
		{"2022-03-01 12:00:00", "2022-03-02 16:00:00", "2022-03-03 00:00:00", "1234.5", "1.1046"},
		{"2022-03-03 00:00:00", "2022-03-03 00:00:00", `\N`, "1250.25", "1.1046"},
	} {
		valueEUR, fxRate, fxDate, fxPath, fxStatus := `\N`, `\N`, `\N`, "", "pending"
		if w.rate != "" {
			valueEUR = roundHalfEven18(new(big.Rat).Quo(ratOf(w.value), ratOf(w.rate))).FloatString(18)
			fxRate = roundHalfEven18(new(big.Rat).Inv(ratOf(w.rate))).FloatString(18)
			fxDate, fxPath, fxStatus = "2022-03-01", "USD>EUR@ecb:2022-03-01", "converted"
		}
		want = append(want, strings.Join([]string{w.published + "+0ns", w.from, w.until, ratOf(w.value).FloatString(18),
			valueEUR, fxRate, fxDate, fxPath, fxStatus, "point", "USD", "currency", "0"}, " | "))
	}
	var got []string
	for _, r := range rows {
		f := strings.Split(r, "\t")
		if len(f) != len(cols) {
			t.Fatalf("indicators_bitemporal row of %d columns, want %d: %q", len(f), len(cols), r)
		}
		c := map[string]string{}
		for i, name := range cols {
			c[name] = f[i]
		}
		got = append(got, strings.Join([]string{c["published_at"] + "+" + c["published_ns"] + "ns", c["known_from"], c["known_until"], c["value"], c["value_eur"],
			c["fx_rate"], c["fx_date"], c["fx_path"], c["fx_status"], c["fx_basis"], c["currency"], c["unit"], c["unit_mult"]}, " | "))
	}
	slices.Sort(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("indicators_bitemporal of the US retail sales:\n%s\nwant (published_at | known_from | known_until | value | value_eur | fx_rate | fx_date | fx_path | fx_status | fx_basis | currency | unit | unit_mult):\n%s",
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
