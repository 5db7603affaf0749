package ingest_test

// What was known when (docs/contract.md §5.4), end to end: the same records published in two
// orders into databases of their own end with the same as-of views, equal to the big.Rat oracle of the
// rates as they were published; a revision or a better rate closes an interval; the latest and
// history views keep their rows. Run on both brokers:
//
//	ECONFLOW_REQUIRE_SERVICES=1 ECONFLOW_TEST_APACHE_KAFKA=127.0.0.1:19092 go test -count=1 -run Bitemporal ./ingest/

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/econflow/econflow/internal/testenv"
)

// bitemporalRecords are a price with a later revision, and rates published before, between and
// after the price's vintages: a rate dated the day before (published before the price, then
// revised after it), and a rate dated the price's day, published after the price in three
// vintages; in the order of publication.
type bitemporalRecord struct {
	kind, json string
	// table is the history view in which the record is a row once stored.
	table string
}

func bitemporalRecords() []bitemporalRecord {
	price := func(value, published string) bitemporalRecord {
		return bitemporalRecord{"fuel_price", fmt.Sprintf(`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-02-10","country":"KZ","region":"KZ-MAN","product":"lpg","price":%q,"currency":"KZT","unit":"litre","published_at":%q}`, value, published), "fuel_prices_history"}
	}
	rate := func(date, value, published string) bitemporalRecord {
		return bitemporalRecord{"fx_rate", fmt.Sprintf(`{"kind":"fx_rate","source":"nationalbank.kz","date":%q,"base":"EUR","quote":"KZT","rate":%q,"published_at":%q}`, date, value, published), "fx_rates_history"}
	}
	return []bitemporalRecord{ // in the order of publication
		rate("2022-02-09", "480", "2022-02-09T10:00:00Z"),
		price("118.7", "2022-02-11T08:00:00Z"),
		rate("2022-02-10", "482", "2022-02-11T18:00:00Z"),
		rate("2022-02-10", "482.5", "2022-02-11T20:00:00Z"),
		rate("2022-02-09", "481.25", "2022-02-12T12:00:00Z"),
		rate("2022-02-10", "483", "2022-02-12T15:00:00Z"),
		price("119.3", "2022-02-13T09:00:00Z"),
	}
}

// adversarialOrder is the records in an order of arrival that makes econflow convert, and record,
// what the rates as published never gave: the price first, with only the revised 2022-02-09
// rate and then the last vintage of the 2022-02-10 rate known, so that it records a conversion
// at the revised 2022-02-09 rate known from 12:00 on the 12th; the earlier vintages of the
// 2022-02-10 rate, published before that, arrive after it and void it.
func adversarialOrder(recs []bitemporalRecord) []bitemporalRecord {
	return []bitemporalRecord{recs[1], recs[4], recs[5], recs[6], recs[3], recs[2], recs[0]}
}

// bitemporalWant is the oracle of fuel_prices_bitemporal for the records: the price as known
// from its publication with the 2022-02-09 rate, from 18:00 on the 11th with the first vintage
// of the 2022-02-10 rate, from 20:00 with its revision; the revised 2022-02-09 rate never
// matters (the 2022-02-10 rate is closer); the second vintage of the price from its
// publication, converted at once; the last vintage of the 2022-02-10 rate from its publication.
func bitemporalWant(t *testing.T) []map[string]string {
	row := func(pub, from, until, price, rate, fxDate string) map[string]string {
		f := new(big.Rat).Inv(rat(t, rate))
		return map[string]string{"published_at": pub, "known_from": from, "known_until": until, "price": round18(rat(t, price)),
			"price_eur": round18(new(big.Rat).Mul(rat(t, price), f)), "fx_rate": round18(f), "fx_date": fxDate,
			"fx_path": "KZT>EUR@nationalbank.kz:" + fxDate, "fx_status": "converted", "fx_basis": "point"}
	}
	return []map[string]string{
		row("2022-02-11 08:00:00", "2022-02-11 08:00:00", "2022-02-11 18:00:00", "118.7", "480", "2022-02-09"),
		row("2022-02-11 08:00:00", "2022-02-11 18:00:00", "2022-02-11 20:00:00", "118.7", "482", "2022-02-10"),
		row("2022-02-11 08:00:00", "2022-02-11 20:00:00", "2022-02-12 15:00:00", "118.7", "482.5", "2022-02-10"),
		row("2022-02-11 08:00:00", "2022-02-12 15:00:00", "2022-02-13 09:00:00", "118.7", "483", "2022-02-10"),
		row("2022-02-13 09:00:00", "2022-02-13 09:00:00", "NULL", "119.3", "483", "2022-02-10"),
	}
}

var bitemporalCols = []string{"published_at", "known_from", "known_until", "price", "price_eur", "fx_rate", "fx_date", "fx_path", "fx_status", "fx_basis"}

// publishOneByOne publishes the records in order, each after the one before is stored and,
// when stored is not nil, stored(i) has returned for it (record i).
func publishOneByOne(t *testing.T, e *env, recs []bitemporalRecord, stored func(i int)) {
	t.Helper()
	n := map[string]uint64{}
	for i, r := range recs {
		e.publish(testenv.Msg{Kind: r.kind, Key: fmt.Sprintf("k%d", i), Value: []byte(r.json)})
		n[r.table]++
		waitCount(t, e.store, n[r.table], r.table, "")
		if stored != nil {
			stored(i)
		}
	}
}

// waitBitemporal waits until fuel_prices_bitemporal is want, in (published_at, known_from) order,
// and returns its rows.
func waitBitemporal(t *testing.T, e *env, what string, want []map[string]string) []map[string]string {
	t.Helper()
	return waitRows(t, e, what, "SELECT "+textCols(bitemporalCols...)+" FROM "+e.db()+
		".fuel_prices_bitemporal WHERE country = 'KZ' AND region = 'KZ-MAN' AND date = '2022-02-10' ORDER BY published_at, known_from",
		bitemporalCols, want)
}

// waitRows waits until query (of textCols(cols…)) answers want, row by row, and returns its rows.
func waitRows(t *testing.T, e *env, what, query string, cols []string, want []map[string]string) []map[string]string {
	t.Helper()
	var rows []map[string]string
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		rows = queryText(t, e.store, query)
		if len(rows) != len(want) {
			return false, fmt.Sprintf("%s: %d rows, want %d:\n%s", what, len(rows), len(want), showCols(rows, cols))
		}
		for i := range want {
			for _, c := range cols {
				if rows[i][c] != want[i][c] {
					return false, fmt.Sprintf("%s: row %d %s = %q, want %q:\n%s", what, i, c, rows[i][c], want[i][c], showCols(rows, cols))
				}
			}
		}
		return true, ""
	})
	return rows
}

func showRows(rows []map[string]string) string { return showCols(rows, bitemporalCols) }

func showCols(rows []map[string]string, cols []string) string {
	var b strings.Builder
	for _, r := range rows {
		for _, c := range cols {
			fmt.Fprintf(&b, "%s=%s ", c, r[c])
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestIntegrationEmbeddedBitemporalArrivalOrder(t *testing.T) {
	t.Parallel()
	runBitemporalArrivalOrder(t, testenv.EmbeddedBroker(t))
}

func TestIntegrationApacheKafkaBitemporalArrivalOrder(t *testing.T) {
	t.Parallel()
	runBitemporalArrivalOrder(t, testenv.ApacheKafka(t))
}

func runBitemporalArrivalOrder(t *testing.T, brokers string) {
	recs := bitemporalRecords()
	reversed := make([]bitemporalRecord, len(recs))
	for i := range recs {
		reversed[len(recs)-1-i] = recs[i]
	}
	want := bitemporalWant(t)
	orders := [][]bitemporalRecord{recs, adversarialOrder(recs), reversed}
	answers := make([][]map[string]string, len(orders))
	for i, order := range orders {
		e := newEnv(t, brokers, false)
		c := e.startConsumer(t, nil)
		var stored func(int)
		if i == 1 {
			// Once the last vintage of the 2022-02-10 rate is stored (the third record), wait
			// for the reconciler to record the conversion at the revised 2022-02-09 rate known
			// from 12:00 on the 12th, before the earlier vintages that void it arrive: a pass
			// that ran only after one of them was in the book would never make it.
			stored = func(j int) {
				if j == 2 {
					waitCount(t, e.store, 1, "fuel_prices_known FINAL", "fx_status = 'converted' AND fx_date = '2022-02-09' AND known_from = toDateTime('2022-02-12 12:00:00', 'UTC')")
				}
			}
		}
		publishOneByOne(t, e, order, stored)
		answers[i] = waitBitemporal(t, e, fmt.Sprintf("order %d", i+1), want)

		// As known at a time: one row per identity, the one of the interval holding it.
		for _, at := range []struct{ at, price, fxDate string }{
			{"2022-02-11 07:59:59", "", ""},
			{"2022-02-11 08:00:00", "118.700000000000000000", "2022-02-09"},
			{"2022-02-11 19:00:00", "118.700000000000000000", "2022-02-10"},
			{"2022-02-12 13:00:00", "118.700000000000000000", "2022-02-10"},
			{"2022-02-12 15:00:00", "118.700000000000000000", "2022-02-10"},
			{"2022-02-14 00:00:00", "119.300000000000000000", "2022-02-10"},
		} {
			rows := queryText(t, e.store, "SELECT "+textCols("price", "fx_date")+" FROM "+e.db()+".fuel_prices_bitemporal "+
				"WHERE country = 'KZ' AND known_from <= toDateTime(?, 'UTC') AND (known_until IS NULL OR known_until > toDateTime(?, 'UTC'))", at.at, at.at)
			switch {
			case at.price == "" && len(rows) != 0:
				t.Errorf("order %d: as known at %s: %v, want nothing (not yet published)", i+1, at.at, rows)
			case at.price != "" && (len(rows) != 1 || rows[0]["price"] != at.price || rows[0]["fx_date"] != at.fxDate):
				t.Errorf("order %d: as known at %s: %v, want one row, price %s converted at the %s rate", i+1, at.at, rows, at.price, at.fxDate)
			}
		}

		// The rates: each vintage from its publication until the next one's.
		rates := queryText(t, e.store, "SELECT "+textCols("date", "rate", "known_from", "known_until")+" FROM "+e.db()+
			".fx_rates_bitemporal WHERE base = 'EUR' AND quote = 'KZT' ORDER BY date, known_from")
		wantRates := [][4]string{
			{"2022-02-09", "480.000000000000000000", "2022-02-09 10:00:00", "2022-02-12 12:00:00"},
			{"2022-02-09", "481.250000000000000000", "2022-02-12 12:00:00", "NULL"},
			{"2022-02-10", "482.000000000000000000", "2022-02-11 18:00:00", "2022-02-11 20:00:00"},
			{"2022-02-10", "482.500000000000000000", "2022-02-11 20:00:00", "2022-02-12 15:00:00"},
			{"2022-02-10", "483.000000000000000000", "2022-02-12 15:00:00", "NULL"},
		}
		if len(rates) != len(wantRates) {
			t.Errorf("order %d: fx_rates_bitemporal %v, want %v", i+1, rates, wantRates)
		} else {
			for j, w := range wantRates {
				if g := rates[j]; [4]string{g["date"], g["rate"], g["known_from"], g["known_until"]} != w {
					t.Errorf("order %d: fx_rates_bitemporal row %d = %v, want %v", i+1, j, g, w)
				}
			}
		}

		// The latest and history views keep their meaning: one row per vintage, the latest one
		// with the conversion known now.
		if n := mustCount(t, e.store, "fuel_prices_history", ""); n != 2 {
			t.Errorf("order %d: fuel_prices_history has %d rows, want 2 (two vintages)", i+1, n)
		}
		latest := queryText(t, e.store, "SELECT "+textCols("price", "price_eur", "fx_date")+" FROM "+e.db()+".fuel_prices")
		if len(latest) != 1 || latest[0]["price_eur"] != want[4]["price_eur"] || latest[0]["fx_date"] != "2022-02-10" {
			t.Errorf("order %d: fuel_prices %v, want one row with price_eur %s", i+1, latest, want[4]["price_eur"])
		}
		hist := queryText(t, e.store, "SELECT "+textCols("published_at", "price_eur")+" FROM "+e.db()+".fuel_prices_history ORDER BY published_at")
		if len(hist) != 2 || hist[0]["price_eur"] != want[3]["price_eur"] {
			t.Errorf("order %d: fuel_prices_history %v: the first vintage should show its conversion known now (%s)", i+1, hist, want[3]["price_eur"])
		}
		if i == 1 {
			// The conversion the published rates never gave is stored, void.
			if n := mustCount(t, e.store, "fuel_prices_known FINAL", "fx_status = 'void' AND known_from = toDateTime('2022-02-12 12:00:00', 'UTC')"); n != 1 {
				t.Errorf("order 2: %d void earlier conversions known from 2022-02-12 12:00, want 1", n)
			}
		}
		c.Stop()
	}
	for i := 1; i < len(answers); i++ {
		if a, b := showRows(answers[0]), showRows(answers[i]); a != b {
			t.Errorf("orders 1 and %d differ:\n%s\n%s", i+1, a, b)
		}
	}
}

func TestIntegrationEmbeddedPeriodAverageBasis(t *testing.T) {
	t.Parallel()
	runPeriodAverageBasis(t, testenv.EmbeddedBroker(t))
}

func TestIntegrationApacheKafkaPeriodAverageBasis(t *testing.T) {
	t.Parallel()
	runPeriodAverageBasis(t, testenv.ApacheKafka(t))
}

// runPeriodAverageBasis: a monthly wage is converted at the publisher's monthly average rate of
// its month, not at the last daily rate before its date; a price of the same day, and a monthly
// wage of a month without an average rate, at the point rate.
func runPeriodAverageBasis(t *testing.T, brokers string) {
	e := newEnv(t, brokers, false)
	c := e.startConsumer(t, nil)
	defer c.Stop()
	rate := func(date, freq, value string) testenv.Msg {
		return testenv.Msg{Kind: "fx_rate", Key: "r", Value: []byte(fmt.Sprintf(`{"kind":"fx_rate","source":"nationalbank.kz","date":%q,"frequency":%q,"base":"EUR","quote":"KZT","rate":%q,"published_at":"2022-02-01T06:00:00Z"}`, date, freq, value))}
	}
	wage := func(date, amount string) testenv.Msg {
		return testenv.Msg{Kind: "wage", Key: "w", Value: []byte(fmt.Sprintf(`{"kind":"wage","source":"stat.gov.kz","date":%q,"frequency":"M","country":"KZ","measure":"average","amount":%q,"currency":"KZT","per":"month","published_at":"2022-03-01T00:00:00Z"}`, date, amount))}
	}
	e.publish(rate("2021-12-31", "D", "492.43"), rate("2022-01-01", "M", "493.1"), rate("2022-02-01", "D", "480.5"))
	waitCount(t, e.store, 3, "fx_rates_history", "")
	e.publish(wage("2022-01-01", "250000"), wage("2022-02-01", "260000"),
		testenv.Msg{Kind: "fuel_price", Key: "p", Value: []byte(kzPrice("2022-01-01", "KZ-MAN", "120"))})
	for _, w := range []struct{ view, where, value, rate, date, basis string }{
		{"wages", "date = '2022-01-01'", "250000", "493.1", "2022-01-01", "period_average"},
		{"wages", "date = '2022-02-01'", "260000", "480.5", "2022-02-01", "point"},
		{"fuel_prices", "date = '2022-01-01'", "120", "492.43", "2021-12-31", "point"},
	} {
		col := "amount_eur"
		if w.view == "fuel_prices" {
			col = "price_eur"
		}
		want := round18(new(big.Rat).Quo(rat(t, w.value), rat(t, w.rate)))
		testenv.WaitFor(t, waitTimeout, func() (bool, string) {
			rows := queryText(t, e.store, "SELECT "+textCols(col, "fx_path", "fx_basis")+" FROM "+e.db()+"."+w.view+" WHERE "+w.where)
			ok := len(rows) == 1 && rows[0][col] == want && rows[0]["fx_basis"] == w.basis && rows[0]["fx_path"] == "KZT>EUR@nationalbank.kz:"+w.date
			return ok, fmt.Sprintf("%s %s: %v, want %s %s, basis %s, rate of %s", w.view, w.where, rows, col, want, w.basis, w.date)
		})
	}
}
