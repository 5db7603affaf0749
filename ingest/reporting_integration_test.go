package ingest_test

// Further reporting currencies and failed re-derivations (docs/contract.md §2.2, §2.4, §5.6): a
// consumer given USD and GBP converts every fuel price, wage and indicator in a currency into
// each, on rows of their own with reporting_currency (econ.fuel_prices_converted,
// econ.wages_converted, econ.indicators_converted), by the euro rules
// with EUR as the last pivot (big.Rat oracle), re-converts them when a rate is revised, and
// keeps the *_eur columns in euros. A stored observation whose re-derivation does not fit
// Decimal(38, 18) is counted and shown in econ.reconversion_failures until a corrected rate lets
// it be re-derived.
//
// Run: ECONFLOW_REQUIRE_SERVICES=1 go test -count=1 ./ingest/ -run 'FurtherReporting|ReconversionFailure'

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/transform"
)

func TestIntegrationEmbeddedFurtherReportingCurrencies(t *testing.T) {
	t.Parallel()
	runFurtherReportingCurrencies(t, testenv.EmbeddedBroker(t))
}

func TestIntegrationApacheKafkaFurtherReportingCurrencies(t *testing.T) {
	t.Parallel()
	runFurtherReportingCurrencies(t, testenv.ApacheKafka(t))
}

// reportingRate is an fx_rate message of source, pair and date, published at published.
func reportingRate(source, base, quote, date, rate, published string) testenv.Msg {
	return testenv.Msg{Kind: "fx_rate", Key: source + base + quote + date, Value: []byte(fmt.Sprintf(
		`{"kind":"fx_rate","source":%q,"date":%q,"base":%q,"quote":%q,"rate":%q,"published_at":%q}`, source, date, base, quote, rate, published))}
}

func runFurtherReportingCurrencies(t *testing.T, brokers string) {
	e := newEnv(t, brokers, false)
	fx := transform.DefaultFXConfig()
	fx.Further = []string{"USD", "GBP"}
	c := testenv.StartConsumer(t, testenv.ConsumerOptions{Brokers: e.brokers, DSN: e.dsn, Topics: e.topics, Group: e.group, FX: &fx})
	defer c.Stop()

	// No rate between KZT and USD or GBP: both conversions chain through EUR, the last pivot
	// (USD, the first, is skipped for USD and has no KZT rate for GBP).
	e.publish(
		reportingRate("nationalbank.kz", "EUR", "KZT", "2022-01-04", "480", "2022-01-04T10:00:00Z"),
		reportingRate("ecb", "EUR", "USD", "2022-01-04", "1.1355", "2022-01-04T15:00:00Z"),
		reportingRate("ecb", "EUR", "GBP", "2022-01-03", "0.8407", "2022-01-03T15:00:00Z"),
	)
	waitCount(t, e.store, 3, "fx_rates_history", "")
	e.publish(
		testenv.Msg{Kind: "fuel_price", Key: "p", Value: []byte(`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","region":"KZ-ALA","product":"lpg","price":"120.5","currency":"KZT","unit":"1000_litres","published_at":"2022-01-05T00:00:00Z"}`)},
		testenv.Msg{Kind: "wage", Key: "w", Value: []byte(`{"kind":"wage","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","measure":"average","amount":"3000000","currency":"KZT","per":"year","published_at":"2022-01-05T00:00:00Z"}`)},
		testenv.Msg{Kind: "indicator", Key: "i", Value: []byte(`{"kind":"indicator","source":"stat.gov.kz","series":"KZ_GDP_PC","country":"KZ","measure":"average","unit":"currency","currency":"KZT","date":"2022-01-05","value":"4.25","unit_mult":6,"published_at":"2022-01-05T00:00:00Z"}`)},
	)

	// The oracle: v / 480 × (USD or GBP per EUR), rounded once.
	type want struct {
		currency, rate, fxDate, path string
	}
	wants := func(usd string) []want {
		return []want{
			{"GBP", "0.8407", "2022-01-03", "KZT>EUR@nationalbank.kz:2022-01-04;EUR>GBP@ecb:2022-01-03"},
			{"USD", usd, "2022-01-04", "KZT>EUR@nationalbank.kz:2022-01-04;EUR>USD@ecb:2022-01-04"},
		}
	}
	factor := func(w want) *big.Rat { return new(big.Rat).Quo(rat(t, w.rate), rat(t, "480")) }
	check := func(usd string) {
		t.Helper()
		for _, w := range wants(usd) {
			f := factor(w)
			price := new(big.Rat).Mul(rat(t, "120.5"), f)
			testenv.WaitFor(t, waitTimeout, func() (bool, string) {
				rows := queryText(t, e.store, "SELECT "+textCols("reporting_currency", "price", "currency", "price_converted", "price_per_litre_converted",
					"price_per_kg_converted", "fx_rate", "fx_date", "fx_path", "fx_status", "fx_basis")+" FROM "+e.db()+
					".fuel_prices_converted WHERE reporting_currency = ? AND country = 'KZ' AND region = 'KZ-ALA' AND product = 'lpg'", w.currency)
				wantRow := map[string]string{"reporting_currency": w.currency, "price": round18(rat(t, "120.5")), "currency": "KZT",
					"price_converted": round18(price), "price_per_litre_converted": round18(new(big.Rat).Quo(price, rat(t, "1000"))),
					"price_per_kg_converted": "NULL", "fx_rate": round18(f), "fx_date": w.fxDate, "fx_path": w.path,
					"fx_status": "converted", "fx_basis": "point"}
				return len(rows) == 1 && fmt.Sprint(rows[0]) == fmt.Sprint(wantRow), fmt.Sprintf("fuel_prices_converted %s: %v, want %v", w.currency, rows, wantRow)
			})
			amount := new(big.Rat).Mul(rat(t, "3000000"), f)
			testenv.WaitFor(t, waitTimeout, func() (bool, string) {
				rows := queryText(t, e.store, "SELECT "+textCols("reporting_currency", "amount_converted", "monthly_amount_converted", "fx_rate", "fx_path")+
					" FROM "+e.db()+".wages_converted WHERE reporting_currency = ? AND country = 'KZ' AND measure = 'average'", w.currency)
				wantRow := map[string]string{"reporting_currency": w.currency, "amount_converted": round18(amount),
					"monthly_amount_converted": round18(new(big.Rat).Quo(amount, rat(t, "12"))), "fx_rate": round18(f), "fx_path": w.path}
				return len(rows) == 1 && fmt.Sprint(rows[0]) == fmt.Sprint(wantRow), fmt.Sprintf("wages_converted %s: %v, want %v", w.currency, rows, wantRow)
			})
			value := new(big.Rat).Mul(rat(t, "4250000"), f) // 4.25 × 10^6
			testenv.WaitFor(t, waitTimeout, func() (bool, string) {
				rows := queryText(t, e.store, "SELECT "+textCols("reporting_currency", "value", "value_converted", "fx_rate", "fx_path")+
					" FROM "+e.db()+".indicators_converted WHERE reporting_currency = ? AND country = 'KZ' AND series = 'KZ_GDP_PC'", w.currency)
				wantRow := map[string]string{"reporting_currency": w.currency, "value": round18(rat(t, "4.25")),
					"value_converted": round18(value), "fx_rate": round18(f), "fx_path": w.path}
				return len(rows) == 1 && fmt.Sprint(rows[0]) == fmt.Sprint(wantRow), fmt.Sprintf("indicators_converted %s: %v, want %v", w.currency, rows, wantRow)
			})
		}
		// Never mixed: one row per further currency and identity, none in EUR; the *_eur
		// columns stay in euros (120.5 / 480 per 1000 litres).
		for _, v := range []string{"fuel_prices_converted", "wages_converted", "indicators_converted"} {
			rows := queryText(t, e.store, "SELECT "+textCols("reporting_currency")+" FROM "+e.db()+"."+v+" ORDER BY reporting_currency")
			if len(rows) != 2 || rows[0]["reporting_currency"] != "GBP" || rows[1]["reporting_currency"] != "USD" {
				t.Errorf("%s: currencies %v, want one GBP and one USD row", v, rows)
			}
		}
		eur := queryText(t, e.store, "SELECT "+textCols("price_eur", "fx_path")+" FROM "+e.db()+".fuel_prices WHERE country = 'KZ'")
		if want := round18(new(big.Rat).Quo(rat(t, "120.5"), rat(t, "480"))); len(eur) != 1 || eur[0]["price_eur"] != want ||
			eur[0]["fx_path"] != "KZT>EUR@nationalbank.kz:2022-01-04" {
			t.Errorf("fuel_prices: %v, want price_eur %s at KZT>EUR@nationalbank.kz:2022-01-04", eur, want)
		}
	}
	check("1.1355")

	// The ECB revises its EUR/USD rate of 2022-01-04: the USD conversions are re-derived, the
	// GBP and EUR ones stay.
	e.publish(reportingRate("ecb", "EUR", "USD", "2022-01-04", "1.1402", "2022-01-06T15:00:00Z"))
	check("1.1402")
	assertNoRejects(t, e)
}

func TestIntegrationEmbeddedReconversionFailureShown(t *testing.T) {
	t.Parallel()
	runReconversionFailureShown(t, testenv.EmbeddedBroker(t))
}

func TestIntegrationApacheKafkaReconversionFailureShown(t *testing.T) {
	t.Parallel()
	runReconversionFailureShown(t, testenv.ApacheKafka(t))
}

func runReconversionFailureShown(t *testing.T, brokers string) {
	e := newEnv(t, brokers, false)
	fx := transform.DefaultFXConfig()
	fx.Further = []string{"USD"}
	metrics := ingest.NewMetrics(nil)
	c := testenv.StartConsumer(t, testenv.ConsumerOptions{Brokers: e.brokers, DSN: e.dsn, Topics: e.topics, Group: e.group, FX: &fx, Metrics: metrics})
	defer c.Stop()

	// A price of 9 × 10^19 KZT, stored pending: no KZT rate yet.
	const price = "90000000000000000000"
	e.publish(reportingRate("ecb", "EUR", "USD", "2022-01-04", "1.1355", "2022-01-04T15:00:00Z"))
	waitCount(t, e.store, 1, "fx_rates_history", "")
	e.publish(testenv.Msg{Kind: "fuel_price", Key: "p", Value: []byte(`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","region":"KZ-ALA","product":"lpg","price":"` + price + `","currency":"KZT","unit":"litre","published_at":"2022-01-05T00:00:00Z"}`)})
	waitCount(t, e.store, 1, "fuel_prices", "fx_status = 'pending'")
	if n := mustCount(t, e.store, "reconversion_failures", ""); n != 0 {
		t.Fatalf("reconversion_failures: %d rows before any failure", n)
	}

	// A rate published with a slip (1 EUR = 0.5 KZT instead of 480) would make the price worth
	// 1.8 × 10^20 EUR, beyond Decimal(38, 18): the re-derivation fails, in EUR and in USD, and
	// the row keeps its pending conversion.
	e.publish(reportingRate("nationalbank.kz", "EUR", "KZT", "2022-01-04", "0.5", "2022-01-04T10:00:00Z"))
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		rows := queryText(t, e.store, "SELECT "+textCols("kind", "reporting_currency", "country", "region", "product", "currency", "date", "published_at", "reason")+
			" FROM "+e.db()+".reconversion_failures WHERE kind = 'fuel_price' AND country = 'KZ' ORDER BY reporting_currency")
		ok := len(rows) == 2 && rows[0]["reporting_currency"] == "EUR" && rows[1]["reporting_currency"] == "USD"
		for _, r := range rows {
			ok = ok && r["region"] == "KZ-ALA" && r["product"] == "lpg" && r["currency"] == "KZT" && r["date"] == "2022-01-05" &&
				r["published_at"] == "2022-01-05 00:00:00" && strings.Contains(r["reason"], "does not fit Decimal(38,18)")
		}
		return ok, fmt.Sprintf("reconversion_failures: %v, want the price's EUR and USD re-derivations, not fitting", rows)
	})
	var m dto.Metric
	if err := metrics.ReconvertFailed.Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got < 2 {
		t.Errorf("econflow_rows_reconvert_failed_total = %v, want at least 2", got)
	}
	if rows := queryText(t, e.store, "SELECT "+textCols("fx_status", "price_eur")+" FROM "+e.db()+".fuel_prices"); len(rows) != 1 ||
		rows[0]["fx_status"] != "pending" || rows[0]["price_eur"] != "NULL" {
		t.Errorf("fuel_prices while failing: %v, want the pending row kept", rows)
	}

	// The National Bank corrects the rate (the same vintage sent again with the right value):
	// the next re-derivation succeeds, and the failures are resolved.
	e.publish(reportingRate("nationalbank.kz", "EUR", "KZT", "2022-01-04", "480", "2022-01-04T10:00:00Z"))
	eur := new(big.Rat).Quo(rat(t, price), rat(t, "480"))
	usd := new(big.Rat).Mul(eur, rat(t, "1.1355"))
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		rows := queryText(t, e.store, "SELECT "+textCols("price_eur", "fx_status")+" FROM "+e.db()+".fuel_prices")
		conv := queryText(t, e.store, "SELECT "+textCols("price_converted", "fx_path")+" FROM "+e.db()+".fuel_prices_converted WHERE reporting_currency = 'USD'")
		failures := mustCount(t, e.store, "reconversion_failures", "")
		ok := len(rows) == 1 && rows[0]["price_eur"] == round18(eur) && len(conv) == 1 && conv[0]["price_converted"] == round18(usd) &&
			conv[0]["fx_path"] == "KZT>EUR@nationalbank.kz:2022-01-04;EUR>USD@ecb:2022-01-04" && failures == 0
		return ok, fmt.Sprintf("after the correction: fuel_prices %v (want %s), USD %v (want %s), %d unresolved failures (want 0)",
			rows, round18(eur), conv, round18(usd), failures)
	})
	// The table keeps them, resolved.
	if n := mustCount(t, e.store, "reconversion_failures_data FINAL", "toUInt32(resolved_at) > 0"); n != 2 {
		t.Errorf("reconversion_failures_data: %d resolved failures, want 2", n)
	}
	assertNoRejects(t, e)
}
