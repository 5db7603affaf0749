package ingest_test

// What was known when for indicators (docs/contract.md §5.4), end to end: an indicator in a
// currency, converted as the rates were published, and an index, published in three orders into
// databases of their own, end with the same econ.indicators_bitemporal, equal to the big.Rat
// oracle of the rates as they were published. Run on both brokers:
//
//	ECONFLOW_REQUIRE_SERVICES=1 ECONFLOW_TEST_APACHE_KAFKA=127.0.0.1:19092 go test -count=1 -run IndicatorBitemporal ./ingest/

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/econflow/econflow/internal/testenv"
)

// indicatorBitemporalRecords are the records of bitemporalRecords with the price's two vintages
// replaced by an indicator in tenge with unit_mult 9 (billions), published at the same times,
// and two vintages of an index, which is not converted; in the order of publication.
func indicatorBitemporalRecords() []bitemporalRecord {
	recs := bitemporalRecords()
	money := func(value, published string) bitemporalRecord {
		return bitemporalRecord{"indicator", fmt.Sprintf(`{"kind":"indicator","source":"nationalbank.kz","series":"KZ_M2_D","date":"2022-02-10","country":"KZ","measure":"money_supply","unit":"currency","currency":"KZT","unit_mult":9,"value":%q,"published_at":%q}`, value, published), "indicators_history"}
	}
	index := func(value, published string) bitemporalRecord {
		return bitemporalRecord{"indicator", fmt.Sprintf(`{"kind":"indicator","source":"stat.gov.kz","series":"KZ_CPI_M","date":"2022-01-01","country":"KZ","measure":"cpi","unit":"index","base_period":"2021-12=100","frequency":"M","value":%q,"published_at":%q}`, value, published), "indicators_history"}
	}
	return []bitemporalRecord{
		recs[0],
		money("31456.789", "2022-02-11T08:00:00Z"),
		index("100.7", "2022-02-11T08:00:00Z"),
		recs[2], recs[3], recs[4], recs[5],
		money("31502.25", "2022-02-13T09:00:00Z"),
		index("100.75", "2022-02-13T09:00:00Z"),
	}
}

// indicatorAdversarialOrder is adversarialOrder for these records (the indicator first, then
// the revised 2022-02-09 rate and the last vintage of the 2022-02-10 rate, the vintages of the
// 2022-02-10 rate published before those last), with the index's revision before its first
// vintage.
func indicatorAdversarialOrder(recs []bitemporalRecord) []bitemporalRecord {
	return []bitemporalRecord{recs[8], recs[1], recs[5], recs[6], recs[7], recs[4], recs[3], recs[0], recs[2]}
}

var indicatorBitemporalCols = []string{"published_at", "known_from", "known_until", "value", "unit_mult", "value_eur", "fx_rate",
	"fx_date", "fx_path", "fx_status", "fx_basis"}

// indicatorBitemporalWant is the oracle of the indicator in tenge: the intervals of
// bitemporalWant, with value_eur = value × 10^9 / rate, rounded once, half to even.
func indicatorBitemporalWant(t *testing.T) []map[string]string {
	row := func(pub, from, until, value, rate, fxDate string) map[string]string {
		f := new(big.Rat).Inv(rat(t, rate))
		return map[string]string{"published_at": pub, "known_from": from, "known_until": until, "value": round18(rat(t, value)),
			"unit_mult": "9", "value_eur": round18(new(big.Rat).Mul(withMult(t, value, 9), f)), "fx_rate": round18(f),
			"fx_date": fxDate, "fx_path": "KZT>EUR@nationalbank.kz:" + fxDate, "fx_status": "converted", "fx_basis": "point"}
	}
	return []map[string]string{
		row("2022-02-11 08:00:00", "2022-02-11 08:00:00", "2022-02-11 18:00:00", "31456.789", "480", "2022-02-09"),
		row("2022-02-11 08:00:00", "2022-02-11 18:00:00", "2022-02-11 20:00:00", "31456.789", "482", "2022-02-10"),
		row("2022-02-11 08:00:00", "2022-02-11 20:00:00", "2022-02-12 15:00:00", "31456.789", "482.5", "2022-02-10"),
		row("2022-02-11 08:00:00", "2022-02-12 15:00:00", "2022-02-13 09:00:00", "31456.789", "483", "2022-02-10"),
		row("2022-02-13 09:00:00", "2022-02-13 09:00:00", "NULL", "31502.25", "483", "2022-02-10"),
	}
}

// indexBitemporalWant is the index: each vintage known from its publication until the next one's,
// with no conversion.
func indexBitemporalWant(t *testing.T) []map[string]string {
	row := func(pub, until, value string) map[string]string {
		return map[string]string{"published_at": pub, "known_from": pub, "known_until": until, "value": round18(rat(t, value)),
			"unit_mult": "0", "value_eur": "NULL", "fx_rate": "NULL", "fx_date": "NULL", "fx_path": "", "fx_status": "", "fx_basis": ""}
	}
	return []map[string]string{
		row("2022-02-11 08:00:00", "2022-02-13 09:00:00", "100.7"),
		row("2022-02-13 09:00:00", "NULL", "100.75"),
	}
}

func TestIntegrationEmbeddedIndicatorBitemporalArrivalOrder(t *testing.T) {
	t.Parallel()
	runIndicatorBitemporalArrivalOrder(t, testenv.EmbeddedBroker(t))
}

func TestIntegrationApacheKafkaIndicatorBitemporalArrivalOrder(t *testing.T) {
	t.Parallel()
	runIndicatorBitemporalArrivalOrder(t, testenv.ApacheKafka(t))
}

func runIndicatorBitemporalArrivalOrder(t *testing.T, brokers string) {
	recs := indicatorBitemporalRecords()
	reversed := make([]bitemporalRecord, len(recs))
	for i := range recs {
		reversed[len(recs)-1-i] = recs[i]
	}
	want := indicatorBitemporalWant(t)
	wantIndex := indexBitemporalWant(t)
	orders := [][]bitemporalRecord{recs, indicatorAdversarialOrder(recs), reversed}
	answers := make([]string, len(orders))
	for i, order := range orders {
		e := newEnv(t, brokers, false)
		c := e.startConsumer(t, nil)
		publishOneByOne(t, e, order, nil)
		query := func(series string) string {
			return "SELECT " + textCols(indicatorBitemporalCols...) + " FROM " + e.db() + ".indicators_bitemporal WHERE country = 'KZ' AND series = '" +
				series + "' ORDER BY published_at, known_from"
		}
		money := waitRows(t, e, fmt.Sprintf("order %d, KZ_M2_D", i+1), query("KZ_M2_D"), indicatorBitemporalCols, want)
		index := waitRows(t, e, fmt.Sprintf("order %d, KZ_CPI_M", i+1), query("KZ_CPI_M"), indicatorBitemporalCols, wantIndex)
		answers[i] = showCols(money, indicatorBitemporalCols) + showCols(index, indicatorBitemporalCols)

		// As known at a time: one row per identity, the one of the interval holding it.
		for _, at := range []struct{ at, value, fxDate, index string }{
			{"2022-02-11 07:59:59", "", "", ""},
			{"2022-02-11 08:00:00", "31456.789000000000000000", "2022-02-09", "100.700000000000000000"},
			{"2022-02-11 19:00:00", "31456.789000000000000000", "2022-02-10", "100.700000000000000000"},
			{"2022-02-12 13:00:00", "31456.789000000000000000", "2022-02-10", "100.700000000000000000"},
			{"2022-02-12 15:00:00", "31456.789000000000000000", "2022-02-10", "100.700000000000000000"},
			{"2022-02-14 00:00:00", "31502.250000000000000000", "2022-02-10", "100.750000000000000000"},
		} {
			rows := queryText(t, e.store, "SELECT "+textCols("series", "value", "fx_date")+" FROM "+e.db()+".indicators_bitemporal "+
				"WHERE country = 'KZ' AND known_from <= toDateTime(?, 'UTC') AND (known_until IS NULL OR known_until > toDateTime(?, 'UTC')) ORDER BY series", at.at, at.at)
			switch {
			case at.value == "" && len(rows) != 0:
				t.Errorf("order %d: as known at %s: %v, want nothing (not yet published)", i+1, at.at, rows)
			case at.value != "" && (len(rows) != 2 || rows[0]["series"] != "KZ_CPI_M" || rows[0]["value"] != at.index || rows[0]["fx_date"] != "NULL" ||
				rows[1]["value"] != at.value || rows[1]["fx_date"] != at.fxDate):
				t.Errorf("order %d: as known at %s: %v, want the index at %s and the indicator at %s converted at the %s rate", i+1, at.at, rows, at.index, at.value, at.fxDate)
			}
		}

		// The latest and history views keep their meaning: one row per vintage, the latest one
		// with the conversion known now.
		hist := queryText(t, e.store, "SELECT "+textCols("published_at", "value_eur")+" FROM "+e.db()+".indicators_history WHERE series = 'KZ_M2_D' ORDER BY published_at")
		if len(hist) != 2 || hist[0]["value_eur"] != want[3]["value_eur"] || hist[1]["value_eur"] != want[4]["value_eur"] {
			t.Errorf("order %d: indicators_history %v: want two vintages with their conversions known now (%s, %s)", i+1, hist, want[3]["value_eur"], want[4]["value_eur"])
		}
		latest := queryText(t, e.store, "SELECT "+textCols("series", "value", "value_eur", "fx_date")+" FROM "+e.db()+".indicators ORDER BY series")
		if len(latest) != 2 || latest[0]["value"] != wantIndex[1]["value"] || latest[1]["value_eur"] != want[4]["value_eur"] || latest[1]["fx_date"] != "2022-02-10" {
			t.Errorf("order %d: indicators %v, want the index at %s and the indicator with value_eur %s", i+1, latest, wantIndex[1]["value"], want[4]["value_eur"])
		}
		if i == 1 {
			// The conversion the published rates never gave is stored, void.
			if n := mustCount(t, e.store, "indicators_known FINAL", "fx_status = 'void' AND known_from = toDateTime('2022-02-12 12:00:00', 'UTC')"); n != 1 {
				t.Errorf("order 2: %d void earlier conversions known from 2022-02-12 12:00, want 1", n)
			}
		}
		c.Stop()
	}
	for i := 1; i < len(answers); i++ {
		if answers[0] != answers[i] {
			t.Errorf("orders 1 and %d differ:\n%s\n%s", i+1, answers[0], answers[i])
		}
	}
}
