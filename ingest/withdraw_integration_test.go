package ingest_test

// Withdrawals (docs/contract.md §1.9), end to end on both brokers: a withdrawn rate stops
// converting (the prices that used it are re-converted at the next applicable rate, or become
// pending) and a withdrawn price leaves the latest view; the earlier conversions stay in the
// as-of view; a newer vintage revives both; re-delivery changes nothing; withdrawals arriving
// before what they withdraw end in the same state. Every converted value is checked against
// big.Rat. Run on both brokers:
//
//	ECONFLOW_REQUIRE_SERVICES=1 ECONFLOW_TEST_APACHE_KAFKA=127.0.0.1:19092 go test -count=1 -run Withdraw ./ingest/

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/econflow/econflow/internal/testenv"
)

func TestIntegrationEmbeddedWithdrawals(t *testing.T) {
	t.Parallel()
	runWithdrawals(t, testenv.EmbeddedBroker(t))
}

func TestIntegrationApacheKafkaWithdrawals(t *testing.T) {
	t.Parallel()
	runWithdrawals(t, testenv.ApacheKafka(t))
}

// withdrawalRecords are, in the order of publication: two rates, three prices (Mangystau on the
// rate's day, Almaty a week later with only that rate in its window, Aktobe), the withdrawal of
// the Aktobe price, the withdrawal of the 2022-02-10 rate, the rate published again, the Aktobe
// price published again.
func withdrawalRecords() []bitemporalRecord {
	price := func(region, date, value, published string) bitemporalRecord {
		return bitemporalRecord{"fuel_price", fmt.Sprintf(`{"kind":"fuel_price","source":"stat.gov.kz","date":%q,"country":"KZ","region":%q,"product":"lpg","price":%q,"currency":"KZT","unit":"litre","published_at":%q}`, date, region, value, published), "fuel_prices_history"}
	}
	rate := func(date, value, published string) bitemporalRecord {
		return bitemporalRecord{"fx_rate", fmt.Sprintf(`{"kind":"fx_rate","source":"nationalbank.kz","date":%q,"base":"EUR","quote":"KZT","rate":%q,"published_at":%q}`, date, value, published), "fx_rates_history"}
	}
	return []bitemporalRecord{
		rate("2022-02-09", "480", "2022-02-09T10:00:00Z"),
		rate("2022-02-10", "482", "2022-02-10T10:00:00Z"),
		price("KZ-MAN", "2022-02-10", "118.7", "2022-02-11T08:00:00Z"),
		price("KZ-ALA", "2022-02-17", "120", "2022-02-11T09:00:00Z"),
		price("KZ-AKT", "2022-02-10", "99", "2022-02-11T10:00:00Z"),
		{"fuel_price", `{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-02-10","country":"KZ","region":"KZ-AKT","product":"lpg","currency":"KZT","unit":"litre","published_at":"2022-02-12T08:00:00Z","withdrawn":true}`, "fuel_prices_history"},
		{"fx_rate", `{"kind":"fx_rate","source":"nationalbank.kz","date":"2022-02-10","base":"EUR","quote":"KZT","published_at":"2022-02-12T12:00:00Z","withdrawn":true}`, "fx_rates_history"},
		rate("2022-02-10", "483", "2022-02-13T09:00:00Z"),
		price("KZ-AKT", "2022-02-10", "101", "2022-02-14T00:00:00Z"),
	}
}

// asOfRow is a row of fuel_prices_bitemporal: its interval and conversion ("" rate: pending).
type asOfRow struct{ region, from, until, price, rate, fxDate string }

func (w asOfRow) text(t *testing.T) string {
	eur, fxDate, status := "NULL", "NULL", "pending"
	if w.rate != "" {
		eur, fxDate, status = round18(new(big.Rat).Quo(rat(t, w.price), rat(t, w.rate))), w.fxDate, "converted"
	}
	return strings.Join([]string{w.region, w.from, w.until, round18(rat(t, w.price)), eur, fxDate, status}, " ")
}

func runWithdrawals(t *testing.T, brokers string) {
	recs := withdrawalRecords()
	reversed := make([]bitemporalRecord, len(recs))
	for i := range recs {
		reversed[len(recs)-1-i] = recs[i]
	}
	// The withdrawals first, then what they withdraw, then the rest.
	early := []bitemporalRecord{recs[6], recs[5], recs[1], recs[4], recs[0], recs[2], recs[3], recs[7], recs[8]}
	wantAsOf := []asOfRow{
		{"KZ-AKT", "2022-02-11 10:00:00", "2022-02-12 08:00:00", "99", "482", "2022-02-10"},
		{"KZ-AKT", "2022-02-14 00:00:00", "NULL", "101", "483", "2022-02-10"},
		{"KZ-ALA", "2022-02-11 09:00:00", "2022-02-12 12:00:00", "120", "482", "2022-02-10"},
		{"KZ-ALA", "2022-02-12 12:00:00", "2022-02-13 09:00:00", "120", "", ""},
		{"KZ-ALA", "2022-02-13 09:00:00", "NULL", "120", "483", "2022-02-10"},
		{"KZ-MAN", "2022-02-11 08:00:00", "2022-02-12 12:00:00", "118.7", "482", "2022-02-10"},
		{"KZ-MAN", "2022-02-12 12:00:00", "2022-02-13 09:00:00", "118.7", "480", "2022-02-09"},
		{"KZ-MAN", "2022-02-13 09:00:00", "NULL", "118.7", "483", "2022-02-10"},
	}
	var want []string
	for _, w := range wantAsOf {
		want = append(want, w.text(t))
	}
	for i, order := range [][]bitemporalRecord{recs, reversed, early} {
		e := newEnv(t, brokers, false)
		c := e.startConsumer(t, nil)
		if i == 0 {
			// In publication order, the state after the withdrawals and before the revivals:
			// Mangystau at the 2022-02-09 rate, Almaty pending, no Aktobe price, one rate.
			publishOneByOne(t, e, order[:7], nil)
			waitLatest(t, e, "after the withdrawals", []string{
				"KZ-ALA 120.000000000000000000 NULL NULL pending",
				"KZ-MAN 118.700000000000000000 " + round18(new(big.Rat).Quo(rat(t, "118.7"), rat(t, "480"))) + " 2022-02-09 converted",
			})
			if n := mustCount(t, e.store, "fx_rates", ""); n != 1 {
				t.Errorf("fx_rates has %d rows after the withdrawal, want 1", n)
			}
			publishOneByOneFrom(t, e, order[7:])
		} else {
			publishOneByOne(t, e, order, nil)
		}
		what := fmt.Sprintf("order %d", i+1)
		waitLatest(t, e, what, []string{
			"KZ-AKT 101.000000000000000000 " + round18(new(big.Rat).Quo(rat(t, "101"), rat(t, "483"))) + " 2022-02-10 converted",
			"KZ-ALA 120.000000000000000000 " + round18(new(big.Rat).Quo(rat(t, "120"), rat(t, "483"))) + " 2022-02-10 converted",
			"KZ-MAN 118.700000000000000000 " + round18(new(big.Rat).Quo(rat(t, "118.7"), rat(t, "483"))) + " 2022-02-10 converted",
		})
		asOf := waitAsOf(t, e, what, want)

		// Delivered again, the withdrawals change nothing: once their rows show the offsets of
		// the second delivery (the last delivered wins), the views are as before.
		offsets := map[string]map[string]string{}
		for _, v := range []string{"fx_rates_history", "fuel_prices_history"} {
			offsets[v] = queryText(t, e.store, "SELECT "+textCols("kafka_partition", "kafka_offset")+" FROM "+e.db()+"."+v+" WHERE withdrawn = 1")[0]
		}
		e.publish(testenv.Msg{Kind: "fx_rate", Key: "again", Value: []byte(recs[6].json)}, testenv.Msg{Kind: "fuel_price", Key: "again", Value: []byte(recs[5].json)})
		for v, before := range offsets {
			waitCount(t, e.store, 1, v, "withdrawn = 1 AND NOT (kafka_partition = toInt32(?) AND kafka_offset = toInt64(?))", before["kafka_partition"], before["kafka_offset"])
		}
		c.Stop()
		c = e.startConsumer(t, nil) // a restart: the first pass re-derives every stored rate's dates
		if got := waitAsOf(t, e, what+" delivered again", want); strings.Join(got, "\n") != strings.Join(asOf, "\n") {
			t.Errorf("%s: the as-of view changed on re-delivery", what)
		}
		for _, h := range []struct {
			view, where     string
			rows, withdrawn uint64
		}{
			{"fuel_prices_history", "region = 'KZ-AKT'", 3, 1},
			{"fuel_prices_history", "region != 'KZ-AKT'", 2, 0},
			{"fx_rates_history", "date = '2022-02-10'", 3, 1},
		} {
			if n := mustCount(t, e.store, h.view, h.where); n != h.rows {
				t.Errorf("%s: %s where %s: %d rows, want %d", what, h.view, h.where, n, h.rows)
			}
			if n := mustCount(t, e.store, h.view, h.where+" AND withdrawn = 1"); n != h.withdrawn {
				t.Errorf("%s: %s where %s: %d withdrawals, want %d", what, h.view, h.where, n, h.withdrawn)
			}
		}
		rates := queryText(t, e.store, "SELECT "+textCols("date", "rate", "known_from", "known_until")+" FROM "+e.db()+
			".fx_rates_bitemporal WHERE base = 'EUR' AND quote = 'KZT' AND date = '2022-02-10' ORDER BY known_from")
		var got []string
		for _, r := range rates {
			got = append(got, r["rate"]+" "+r["known_from"]+" "+r["known_until"])
		}
		if w := "482.000000000000000000 2022-02-10 10:00:00 2022-02-12 12:00:00\n483.000000000000000000 2022-02-13 09:00:00 NULL"; strings.Join(got, "\n") != w {
			t.Errorf("%s: fx_rates_bitemporal 2022-02-10:\n%s\nwant\n%s", what, strings.Join(got, "\n"), w)
		}
		c.Stop()
	}
}

// waitLatest waits until econ.fuel_prices is want (region, price, price_eur, fx_date, fx_status
// by region).
func waitLatest(t *testing.T, e *env, what string, want []string) {
	t.Helper()
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		rows := queryText(t, e.store, "SELECT "+textCols("region", "price", "price_eur", "fx_date", "fx_status")+" FROM "+e.db()+".fuel_prices ORDER BY region")
		var got []string
		for _, r := range rows {
			got = append(got, strings.Join([]string{r["region"], r["price"], r["price_eur"], r["fx_date"], r["fx_status"]}, " "))
		}
		return strings.Join(got, "\n") == strings.Join(want, "\n"), fmt.Sprintf("%s: fuel_prices\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	})
}

// waitAsOf waits until fuel_prices_bitemporal is want (by region and known_from) and returns it.
func waitAsOf(t *testing.T, e *env, what string, want []string) []string {
	t.Helper()
	var got []string
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		rows := queryText(t, e.store, "SELECT "+textCols("region", "known_from", "known_until", "price", "price_eur", "fx_date", "fx_status")+" FROM "+e.db()+
			".fuel_prices_bitemporal WHERE country = 'KZ' ORDER BY region, known_from")
		got = got[:0]
		for _, r := range rows {
			got = append(got, strings.Join([]string{r["region"], r["known_from"], r["known_until"], r["price"], r["price_eur"], r["fx_date"], r["fx_status"]}, " "))
		}
		return strings.Join(got, "\n") == strings.Join(want, "\n"), fmt.Sprintf("%s: fuel_prices_bitemporal\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	})
	return append([]string(nil), got...)
}

// publishOneByOneFrom is publishOneByOne into tables that already hold rows.
func publishOneByOneFrom(t *testing.T, e *env, recs []bitemporalRecord) {
	t.Helper()
	stored := map[string]uint64{}
	for i, r := range recs {
		if _, ok := stored[r.table]; !ok {
			stored[r.table] = mustCount(t, e.store, r.table, "")
		}
		e.publish(testenv.Msg{Kind: r.kind, Key: fmt.Sprintf("k%d", i), Value: []byte(r.json)})
		stored[r.table]++
		waitCount(t, e.store, stored[r.table], r.table, "")
	}
}
