package ingest_test

// Re-conversion after downtime (docs/contract.md §2.4): a rate revision stored long before any
// consumer runs again (its consumer stopped before its reconciler's pass) is found by the next
// consumer's first pass, whatever the downtime, and the observations that used the revised rate
// are re-converted exactly (big.Rat oracle); econ.conversion_status shows the pending rows.
//
// Run: ECONFLOW_REQUIRE_SERVICES=1 go test -count=1 ./ingest/ -run Downtime

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/econflow/econflow/internal/testenv"
)

func TestIntegrationEmbeddedRevisionStoredDuringDowntime(t *testing.T) {
	t.Parallel()
	runRevisionStoredDuringDowntime(t, testenv.EmbeddedBroker(t))
}

func TestIntegrationApacheKafkaRevisionStoredDuringDowntime(t *testing.T) {
	t.Parallel()
	runRevisionStoredDuringDowntime(t, testenv.ApacheKafka(t))
}

func runRevisionStoredDuringDowntime(t *testing.T, brokers string) {
	e := newEnv(t, brokers, false)
	rate := func(date, value string) testenv.Msg {
		return testenv.Msg{Kind: "fx_rate", Key: "r" + date, Value: []byte(fmt.Sprintf(`{"kind":"fx_rate","source":"nationalbank.kz","date":%q,"base":"EUR","quote":"KZT","rate":%q,"published_at":"2022-01-04T10:00:00Z"}`, date, value))}
	}
	price := func(date, region, value string) testenv.Msg {
		// Published after the first rates and before the revision.
		return testenv.Msg{Kind: "fuel_price", Key: "p" + region + date, Value: []byte(fmt.Sprintf(`{"kind":"fuel_price","source":"stat.gov.kz","date":%q,"country":"KZ","region":%q,"product":"lpg","price":%q,"currency":"KZT","unit":"litre","published_at":"2022-01-05T00:00:00Z"}`, date, region, value))}
	}
	priceEUR := func(value, rate string) string {
		return round18(new(big.Rat).Quo(rat(t, value), rat(t, rate)))
	}

	// A consumer converts two prices at the 2022-01-04 rate and one at the 2022-03-01 rate; a
	// fourth, of 2021-06-01, has no rate within the window and stays pending.
	c := e.startConsumer(t, nil)
	e.publish(rate("2022-01-04", "480"), rate("2022-03-01", "470.5"))
	waitCount(t, e.store, 2, "fx_rates_history", "")
	e.publish(price("2022-01-05", "KZ-ALA", "120"), price("2022-01-06", "KZ-AST", "118.5"),
		price("2022-03-02", "KZ-ALA", "125"), price("2021-06-01", "KZ-ALA", "100"))
	waitCount(t, e.store, 3, "fuel_prices", "fx_status = 'converted'")
	waitCount(t, e.store, 1, "fuel_prices", "fx_status = 'pending'")
	c.Stop()

	// What the store holds after a long downtime, written as consumers would have left it: the
	// rows above as stored three days ago, then, two days ago, a revision of the 2022-01-04 rate
	// (published the next day) and a rate for the pending price, stored by a consumer that
	// stopped before its reconciler's pass. Every ingested_at is beyond any look-back of a
	// starting consumer. Each is a copy of stored rows with some columns set, a greater _version
	// replacing the row it copies.
	copyRows := func(table, where string, set map[string]string) {
		t.Helper()
		cols := queryText(t, e.store, "SELECT name FROM system.columns WHERE database = ? AND table = ?", e.db(), table)
		names := make([]string, len(cols))
		exprs := make([]string, len(cols))
		for i, c := range cols {
			names[i], exprs[i] = c["name"], c["name"]
			if x, ok := set[c["name"]]; ok {
				exprs[i] = x
			} else if c["name"] == "_version" {
				exprs[i] = "_version + 1"
			}
		}
		q := "INSERT INTO " + e.db() + "." + table + " (" + strings.Join(names, ", ") + ") SELECT " + strings.Join(exprs, ", ") +
			" FROM " + e.db() + "." + table + " FINAL WHERE " + where
		if err := e.store.Conn().Exec(t.Context(), q); err != nil {
			t.Fatalf("copy %s where %s: %v", table, where, err)
		}
	}
	threeDays := map[string]string{"ingested_at": "now() - 3 * 86400"}
	copyRows("fx_rates_data", "1", threeDays)
	copyRows("fuel_prices_data", "1", threeDays)
	for _, r := range []struct{ date, rate string }{{"2022-01-04", "483.25"}, {"2021-05-31", "530.75"}} {
		copyRows("fx_rates_data", "date = toDate('2022-01-04') AND published_at = toDateTime('2022-01-04 10:00:00', 'UTC')", map[string]string{"date": "toDate('" + r.date + "')",
			"rate": "toDecimal128('" + r.rate + "', 18)", "published_at": "published_at + 86400",
			"ingested_at": "now() - 2 * 86400", "kafka_offset": "kafka_offset + 1000"})
	}
	if n := mustCount(t, e.store, "fx_rates_history", ""); n != 4 {
		t.Fatalf("fx_rates_history: %d rows after the copies, want 4", n)
	}

	// Before a consumer starts again, the status view shows the pending price.
	status := queryText(t, e.store, "SELECT "+textCols("kind", "country", "vintages", "pending", "converted")+" FROM "+e.db()+".conversion_status")
	if len(status) != 1 || status[0]["kind"] != "fuel_price" || status[0]["country"] != "KZ" || status[0]["vintages"] != "4" ||
		status[0]["pending"] != "1" || status[0]["converted"] != "3" {
		t.Fatalf("conversion_status before the restart: %v, want fuel_price KZ, 4 vintages, 1 pending, 3 converted", status)
	}
	stale := queryText(t, e.store, "SELECT toString(now()) AS s_now")[0]["now"]

	// A consumer starts; nothing new is published. Its first pass re-converts what the stored
	// rates convert differently.
	c = e.startConsumer(t, nil)
	defer c.Stop()
	for _, w := range []struct{ date, region, price, rate, fxDate string }{
		{"2022-01-05", "KZ-ALA", "120", "483.25", "2022-01-04"},
		{"2022-01-06", "KZ-AST", "118.5", "483.25", "2022-01-04"},
		{"2022-03-02", "KZ-ALA", "125", "470.5", "2022-03-01"},
		{"2021-06-01", "KZ-ALA", "100", "530.75", "2021-05-31"},
	} {
		want := priceEUR(w.price, w.rate)
		testenv.WaitFor(t, waitTimeout, func() (bool, string) {
			rows := queryText(t, e.store, "SELECT "+textCols("price_eur", "fx_date", "fx_status")+" FROM "+e.db()+".fuel_prices WHERE country = 'KZ' AND region = ? AND date = toDate(?)", w.region, w.date)
			ok := len(rows) == 1 && rows[0]["price_eur"] == want && rows[0]["fx_date"] == w.fxDate && rows[0]["fx_status"] == "converted"
			return ok, fmt.Sprintf("fuel_prices %s %s: %v, want price_eur %s (%s / %s) at the rate of %s", w.region, w.date, rows, want, w.price, w.rate, w.fxDate)
		})
	}
	// The conversions at the old rate are kept as earlier knowledge.
	for _, w := range []struct{ date, price string }{{"2022-01-05", "120"}, {"2022-01-06", "118.5"}} {
		rows := queryText(t, e.store, "SELECT "+textCols("price_eur", "known_from")+" FROM "+e.db()+".fuel_prices_known FINAL WHERE date = toDate(?) AND fx_status = 'converted'", w.date)
		if want := priceEUR(w.price, "480"); len(rows) != 1 || rows[0]["price_eur"] != want || rows[0]["known_from"] != "2022-01-05 00:00:00" {
			t.Errorf("fuel_prices_known %s: %v, want the conversion at 480: %s", w.date, rows, want)
		}
	}
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		status = queryText(t, e.store, "SELECT "+textCols("pending", "converted", "last_conversion")+" FROM "+e.db()+".conversion_status WHERE country = 'KZ'")
		ok := len(status) == 1 && status[0]["pending"] == "0" && status[0]["converted"] == "4" && status[0]["last_conversion"] >= stale
		return ok, fmt.Sprintf("conversion_status after the restart: %v, want 0 pending, 4 converted, last conversion since %s", status, stale)
	})
	assertNoRejects(t, e)
}
