package ingest_test

// Economics rules of docs/contract.md §2 and §5 end to end (Kafka → consumer → ClickHouse): the FX
// window edges, same-date tie-breaks and source preference, triangulation through pivots with
// NBK quantities and both orientations, units and multipliers, and the dashboard aggregates
// following revisions. Every value is compared as the text of toString(Decimal(38, 18)) against
// the big.Rat oracle of integration_test.go (rounded once, half to even); aggregates, which the
// contract lets round or truncate, to within 1e-6.
//
// Run: ECONFLOW_REQUIRE_SERVICES=1 go test -count=1 ./ingest/ -run Economics

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"testing"

	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/transform"
)

// econEnv is a fresh database, topics and group on the embedded broker, with a consumer running
// with fx (nil: the defaults).
func econEnv(t *testing.T, fx *transform.FXConfig) *env {
	t.Helper()
	e := newEnv(t, testenv.EmbeddedBroker(t), false)
	c := testenv.StartConsumer(t, testenv.ConsumerOptions{Brokers: e.brokers, DSN: e.dsn, Topics: e.topics, Group: e.group, FX: fx})
	t.Cleanup(c.Stop)
	return e
}

// econCase is one observation expected to be the only row of its view matching where.
type econCase struct {
	o     obs
	where string
	extra map[string]string // further expected columns (text), e.g. status
}

func msgs(kind string, jsons ...string) []testenv.Msg {
	out := make([]testenv.Msg, len(jsons))
	for i, j := range jsons {
		out[i] = testenv.Msg{Kind: kind, Key: fmt.Sprintf("%s-%d", kind, i), Value: []byte(j)}
	}
	return out
}

// waitCases polls until every case's row equals the oracle in every derived column.
func waitCases(t *testing.T, e *env, what string, cases []econCase) {
	t.Helper()
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		var diffs []string
		for _, c := range cases {
			view, cols := "fuel_prices", fuelDerived
			if c.o.kind == "wage" {
				view, cols = "wages", wageDerived
			}
			want := c.o.expected(t)
			for k, v := range c.extra {
				want[k] = v
			}
			all := append([]string{}, cols...)
			for k := range c.extra {
				all = append(all, k)
			}
			rows := queryText(t, e.store, "SELECT "+textCols(all...)+" FROM "+e.db()+"."+view+" WHERE "+c.where)
			if len(rows) != 1 {
				diffs = append(diffs, fmt.Sprintf("%s [%s]: %d rows, want 1", view, c.where, len(rows)))
				continue
			}
			for _, col := range all {
				w, ok := want[col]
				if !ok {
					continue
				}
				if rows[0][col] != w {
					diffs = append(diffs, fmt.Sprintf("%s [%s]: %s = %q, want %q", view, c.where, col, rows[0][col], w))
				}
			}
		}
		return len(diffs) == 0, fmt.Sprintf("%s: %d differences from the oracle:\n%s", what, len(diffs), strings.Join(diffs, "\n"))
	})
}

func assertNoRejects(t *testing.T, e *env) {
	t.Helper()
	if n := mustCount(t, e.store, "rejects", ""); n != 0 {
		t.Errorf("rejects: %d rows, want 0: %v", n, queryText(t, e.store, "SELECT "+textCols("error_code", "error")+" FROM "+e.db()+".rejects"))
	}
}

func kzPrice(date, region, price string) string {
	return fmt.Sprintf(`{"kind":"fuel_price","source":"stat.gov.kz","date":%q,"country":"KZ","region":%q,"product":"lpg","price":%q,"currency":"KZT","unit":"litre","published_at":"2022-12-31T00:00:00Z"}`,
		date, region, price)
}

func fxRate(source, date, base, quote, rate string, quantity int) string {
	return fmt.Sprintf(`{"kind":"fx_rate","source":%q,"date":%q,"base":%q,"quote":%q,"rate":%q,"quantity":%d,"published_at":"2022-12-31T00:00:00Z"}`,
		source, date, base, quote, rate, quantity)
}

// TestIntegrationEconomicsWindowEdges: a rate dated D−7 converts an observation dated D, one
// dated D−8 does not, and a rate dated after D is never used (pending, or the older rate).
func TestIntegrationEconomicsWindowEdges(t *testing.T) {
	t.Parallel()
	e := econEnv(t, nil)
	r1, r2 := "500.00", "510.25"
	e.publish(msgs("fx_rate",
		fxRate("nationalbank.kz", "2022-03-08", "EUR", "KZT", r1, 1),
		fxRate("nationalbank.kz", "2022-03-16", "EUR", "KZT", r2, 1))...)
	p1 := "KZT>EUR@nationalbank.kz:2022-03-08"
	p2 := "KZT>EUR@nationalbank.kz:2022-03-16"
	price := func(date, value string, legs []fxLeg, path, fxDate string) econCase {
		return econCase{o: obs{kind: "fuel_price", value: value, unit: "litre", currency: "KZT", json: kzPrice(date, "KZ-MAN", value),
			legs: legs, path: path, fxDate: fxDate}, where: "date = '" + date + "'"}
	}
	cases := []econCase{
		price("2022-03-07", "117.5", nil, "", ""),                               // only rates dated D+1 and later: pending
		price("2022-03-08", "118.25", []fxLeg{{r1, 1, true}}, p1, "2022-03-08"), // same day
		price("2022-03-15", "119.75", []fxLeg{{r1, 1, true}}, p1, "2022-03-08"), // D−7 inside; the D+1 rate unused
		price("2022-03-16", "121", []fxLeg{{r2, 1, true}}, p2, "2022-03-16"),
		price("2022-03-23", "122.5", []fxLeg{{r2, 1, true}}, p2, "2022-03-16"), // D−7 inside
		price("2022-03-24", "123.45", nil, "", ""),                             // D−8: pending
	}
	// A wage follows the same window: D−8 pending, D−7 converted.
	wage := func(date, value string, legs []fxLeg, path, fxDate string) econCase {
		return econCase{o: obs{kind: "wage", value: value, per: "month", currency: "KZT", legs: legs, path: path, fxDate: fxDate,
			json: fmt.Sprintf(`{"kind":"wage","source":"stat.gov.kz","date":%q,"frequency":"M","country":"KZ","measure":"minimum","amount":%q,"currency":"KZT","per":"month"}`, date, value)},
			where: "date = '" + date + "'"}
	}
	cases = append(cases, wage("2022-03-23", "60000", []fxLeg{{r2, 1, true}}, p2, "2022-03-16"), wage("2022-03-24", "60001", nil, "", ""))
	var m []testenv.Msg
	for _, c := range cases {
		m = append(m, testenv.Msg{Kind: c.o.kind, Key: "k", Value: []byte(c.o.json)})
	}
	e.publish(m...)
	waitCases(t, e, "window edges", cases)
	assertNoRejects(t, e)
}

// TestIntegrationEconomicsTieBreaks: among rates of the same (latest) date the lexicographically
// smaller source wins by default; FXConfig.SourcePreference reverses it; a later date beats any
// preference.
func TestIntegrationEconomicsTieBreaks(t *testing.T) {
	t.Parallel()
	rates := msgs("fx_rate",
		fxRate("nationalbank.kz", "2022-04-04", "EUR", "KZT", "480.00", 1),
		fxRate("ecb", "2022-04-04", "EUR", "KZT", "481.50", 1),
		// On 2022-04-05 only ecb publishes: the latest date wins whatever the preference.
		fxRate("ecb", "2022-04-05", "EUR", "KZT", "482.75", 1),
		// Same date, two sources, opposite orientations: the source decides, not the orientation.
		fxRate("ecb", "2022-04-04", "EUR", "USD", "1.0900", 1),
		fxRate("nationalbank.kz", "2022-04-04", "USD", "EUR", "0.9195", 1),
	)
	kzt := func(date, value string) obs {
		return obs{kind: "fuel_price", value: value, unit: "litre", currency: "KZT", json: kzPrice(date, "KZ-MAN", value)}
	}
	usd := obs{kind: "fuel_price", value: "4.25", unit: "us_gallon", currency: "USD",
		json: `{"kind":"fuel_price","source":"eia.gov","date":"2022-04-04","country":"US","product":"diesel","price":"4.25","currency":"USD","unit":"us_gallon"}`}
	for _, tc := range []struct {
		name string
		fx   *transform.FXConfig
		// winner of 2022-04-04 for KZT and for USD
		kztRate, kztSource, usdRate, usdSource string
		usdInverse                             bool
	}{
		{"default", nil, "481.50", "ecb", "1.0900", "ecb", true},
		{"preference", &transform.FXConfig{Reporting: "EUR", WindowDays: 7, Pivots: []string{"USD"}, SourcePreference: []string{"nationalbank.kz"}},
			"480.00", "nationalbank.kz", "0.9195", "nationalbank.kz", false},
	} {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := econEnv(t, tc.fx)
			a, b, u := kzt("2022-04-04", "120.5"), kzt("2022-04-06", "121.5"), usd
			a.legs, a.path, a.fxDate = []fxLeg{{tc.kztRate, 1, true}}, "KZT>EUR@"+tc.kztSource+":2022-04-04", "2022-04-04"
			b.legs, b.path, b.fxDate = []fxLeg{{"482.75", 1, true}}, "KZT>EUR@ecb:2022-04-05", "2022-04-05"
			u.legs, u.path, u.fxDate = []fxLeg{{tc.usdRate, 1, tc.usdInverse}}, "USD>EUR@"+tc.usdSource+":2022-04-04", "2022-04-04"
			e.publish(rates...)
			e.publish(msgs("fuel_price", a.json, b.json, u.json)...)
			waitCases(t, e, tc.name, []econCase{
				{o: a, where: "country = 'KZ' AND date = '2022-04-04'"},
				{o: b, where: "country = 'KZ' AND date = '2022-04-06'"},
				{o: u, where: "country = 'US'"},
			})
			assertNoRejects(t, e)
		})
	}
}

// TestIntegrationEconomicsTriangulationAndQuantity: triangulation through the pivot (fx_date the
// older leg, fx_path both legs), pivots tried in order, NBK per-100 quantities, both orientations
// of a published pair, and a direct rate preferred to a newer triangulation.
func TestIntegrationEconomicsTriangulationAndQuantity(t *testing.T) {
	t.Parallel()
	e := econEnv(t, &transform.FXConfig{Reporting: "EUR", WindowDays: 7, Pivots: []string{"USD", "KZT"}})
	e.publish(msgs("fx_rate",
		// 2022-05: no EUR/KZT rate at all; KZT goes through USD.
		fxRate("nationalbank.kz", "2022-05-10", "USD", "KZT", "430.15", 1),
		fxRate("ecb", "2022-05-09", "EUR", "USD", "1.0548", 1),
		// 2022-06: a direct EUR/KZT (older than the USD legs), KRW per 100 against KZT only, GEL
		// against both USD and KZT.
		fxRate("nationalbank.kz", "2022-06-18", "EUR", "KZT", "458.11", 1),
		fxRate("nationalbank.kz", "2022-06-20", "USD", "KZT", "437.02", 1),
		fxRate("ecb", "2022-06-20", "EUR", "USD", "1.0521", 1),
		fxRate("nationalbank.kz", "2022-06-17", "KRW", "KZT", "34.12", 100),
		fxRate("nbg.gov.ge", "2022-06-20", "USD", "GEL", "2.8730", 1),
		fxRate("nationalbank.kz", "2022-06-20", "GEL", "KZT", "152.08", 1),
	)...)
	fuel := func(country, date, value, currency string) obs {
		return obs{kind: "fuel_price", value: value, unit: "litre", currency: currency,
			json: fmt.Sprintf(`{"kind":"fuel_price","source":"stat","date":%q,"country":%q,"product":"diesel","price":%q,"currency":%q,"unit":"litre"}`,
				date, country, value, currency)}
	}
	kzTri := fuel("KZ", "2022-05-10", "245.5", "KZT")
	kzTri.legs = []fxLeg{{"430.15", 1, true}, {"1.0548", 1, true}}
	kzTri.path, kzTri.fxDate = "KZT>USD@nationalbank.kz:2022-05-10;USD>EUR@ecb:2022-05-09", "2022-05-09"

	kzDirect := fuel("KZ", "2022-06-20", "250.25", "KZT")
	kzDirect.legs = []fxLeg{{"458.11", 1, true}}
	kzDirect.path, kzDirect.fxDate = "KZT>EUR@nationalbank.kz:2022-06-18", "2022-06-18"

	// KRW: no KRW/USD, so the second pivot, KZT: ×34.12/100 (base→quote) then ×1/458.11.
	kr := fuel("KR", "2022-06-20", "1459", "KRW")
	kr.legs = []fxLeg{{"34.12", 100, false}, {"458.11", 1, true}}
	kr.path, kr.fxDate = "KRW>KZT@nationalbank.kz:2022-06-17;KZT>EUR@nationalbank.kz:2022-06-18", "2022-06-17"

	// GEL: both pivots possible; USD is first.
	ge := fuel("GE", "2022-06-20", "2.89", "GEL")
	ge.legs = []fxLeg{{"2.8730", 1, true}, {"1.0521", 1, true}}
	ge.path, ge.fxDate = "GEL>USD@nbg.gov.ge:2022-06-20;USD>EUR@ecb:2022-06-20", "2022-06-20"

	// A wage triangulated the same way, with a yearly amount.
	w := obs{kind: "wage", value: "840001", per: "year", currency: "KZT",
		json:   `{"kind":"wage","source":"stat.gov.kz","date":"2022-05-10","frequency":"A","country":"KZ","measure":"minimum","amount":"840001","currency":"KZT","per":"year"}`,
		legs:   kzTri.legs,
		path:   kzTri.path,
		fxDate: kzTri.fxDate}

	e.publish(msgs("fuel_price", kzTri.json, kzDirect.json, kr.json, ge.json)...)
	e.publish(msgs("wage", w.json)...)
	waitCases(t, e, "triangulation", []econCase{
		{o: kzTri, where: "country = 'KZ' AND date = '2022-05-10'"},
		{o: kzDirect, where: "country = 'KZ' AND date = '2022-06-20'"},
		{o: kr, where: "country = 'KR'"},
		{o: ge, where: "country = 'GE'"},
		{o: w, where: "country = 'KZ'"},
	})
	assertNoRejects(t, e)
}

// TestIntegrationEconomicsUnitsAndMultipliers: unit_mult, every volume unit to litres, mass
// units to kg only, yearly and hourly wages, status and attributes kept, EUR unconverted.
func TestIntegrationEconomicsUnitsAndMultipliers(t *testing.T) {
	t.Parallel()
	e := econEnv(t, nil)
	const rate = "470.5"
	e.publish(msgs("fx_rate", fxRate("nationalbank.kz", "2022-07-01", "EUR", "KZT", rate, 1))...)
	legs := []fxLeg{{rate, 1, true}}
	path := "KZT>EUR@nationalbank.kz:2022-07-01"
	price := func(product, unit, value string, mult int, extra string) econCase {
		j := fmt.Sprintf(`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-07-01","country":"KZ","product":%q,"price":%q,"unit_mult":%d,"currency":"KZT","unit":%q%s}`,
			product, value, mult, unit, extra)
		return econCase{o: obs{kind: "fuel_price", value: value, mult: mult, unit: unit, currency: "KZT", json: j, legs: legs, path: path, fxDate: "2022-07-01"},
			where: fmt.Sprintf("product = '%s' AND unit = '%s'", product, unit)}
	}
	cases := []econCase{
		price("lpg", "litre", "0.1234", 3, ""),                                    // thousands of KZT
		price("diesel", "litre", "2500", -1, ""),                                  // tenths
		price("gasoline_ai92", "us_gallon", "712.13", 0, ""),                      // ÷ 3.785411784
		price("gasoline_ai95", "imp_gallon", "0.85", 3, ""),                       // ÷ 4.54609
		price("crude", "barrel", "33.1234567", 3, ""),                             // ÷ 158.987294928
		price("diesel", "1000_litres", "228000.123456789012345678", 0, ""),        // ÷ 1000
		price("lpg", "kg", "215.7", 0, `,"status":"P","attributes":{"note":"x"}`), // per kg only
		price("lpg", "tonne", "185.25", 3, ""),                                    // per kg only
		price("bitumen", "tonne", "1.000000000000000001", 2, `,"status":"E"`),     // tiny fraction
		{o: obs{kind: "fuel_price", value: "1.759", unit: "litre", currency: "EUR", path: "EUR", fxDate: "NULL",
			json: `{"kind":"fuel_price","source":"ec.europa.eu","date":"2022-07-01","country":"DE","product":"euro_super_95","price":"1.759","currency":"EUR","unit":"litre"}`},
			where: "country = 'DE'", extra: map[string]string{"fx_rate": "1.000000000000000000"}},
	}
	cases[6].extra = map[string]string{"status": "P"}
	cases[8].extra = map[string]string{"status": "E"}
	cases[0].extra = map[string]string{"status": "A"}
	wage := func(measure, per, value string, mult int, extra string) econCase {
		j := fmt.Sprintf(`{"kind":"wage","source":"stat.gov.kz","date":"2022-07-01","country":"KZ","measure":%q,"amount":%q,"unit_mult":%d,"currency":"KZT","per":%q%s}`,
			measure, value, mult, per, extra)
		return econCase{o: obs{kind: "wage", value: value, mult: mult, per: per, currency: "KZT", json: j, legs: legs, path: path, fxDate: "2022-07-01"},
			where: fmt.Sprintf("measure = '%s' AND per = '%s'", measure, per)}
	}
	cases = append(cases,
		wage("average", "year", "3000001", 0, ""),                                   // /12 = …0833.41666…
		wage("median", "year", "2.5", 6, `,"status":"P","attributes":{"note":"x"}`), // millions; /12
		wage("minimum", "year", "0.000000000000000006", 0, ""),                      // /12 = 5e-19: half to even → 0
		wage("minimum", "hour", "1250", 0, ""),                                      // no monthly amount
		wage("minimum", "month", "70", 3, ""),
	)
	cases[len(cases)-4].extra = map[string]string{"status": "P"}
	var m []testenv.Msg
	for _, c := range cases {
		m = append(m, testenv.Msg{Kind: c.o.kind, Key: "k", Value: []byte(c.o.json)})
	}
	e.publish(m...)
	waitCases(t, e, "units", cases)

	// Spot checks that do not go through the oracle helper.
	for _, c := range []struct{ view, where, col, want string }{
		{"fuel_prices", "product = 'lpg' AND unit = 'litre'", "price_per_litre", "123.400000000000000000"},
		{"fuel_prices", "product = 'lpg' AND unit = 'kg'", "price_per_litre", "NULL"},
		{"fuel_prices", "product = 'lpg' AND unit = 'tonne'", "price_per_kg", "185.250000000000000000"},
		{"fuel_prices", "product = 'diesel' AND unit = '1000_litres'", "price_per_litre", "228.000123456789012346"},
		{"wages", "measure = 'minimum' AND per = 'hour'", "monthly_amount", "NULL"},
		{"wages", "measure = 'minimum' AND per = 'year'", "monthly_amount", "0.000000000000000000"},
		{"wages", "measure = 'average' AND per = 'year'", "monthly_amount", "250000.083333333333333333"},
		{"fuel_prices", "country = 'DE'", "fx_status", "converted"},
	} {
		rows := queryText(t, e.store, "SELECT "+textCols(c.col)+" FROM "+e.db()+"."+c.view+" WHERE "+c.where)
		if len(rows) != 1 || rows[0][c.col] != c.want {
			t.Errorf("%s [%s] %s = %v, want %q", c.view, c.where, c.col, rows, c.want)
		}
	}
	// attributes hold the JSON object verbatim (compared as JSON), status kept.
	for _, v := range []struct{ view, where string }{
		{"fuel_prices", "product = 'lpg' AND unit = 'kg'"}, {"wages", "measure = 'median'"},
	} {
		rows := queryText(t, e.store, "SELECT "+textCols("attributes", "status")+" FROM "+e.db()+"."+v.view+" WHERE "+v.where)
		if len(rows) != 1 {
			t.Fatalf("%s [%s]: %d rows", v.view, v.where, len(rows))
		}
		var attrs map[string]string
		if err := json.Unmarshal([]byte(rows[0]["attributes"]), &attrs); err != nil || len(attrs) != 1 || attrs["note"] != "x" {
			t.Errorf("%s [%s]: attributes = %q (%v), want {\"note\":\"x\"}", v.view, v.where, rows[0]["attributes"], err)
		}
		if rows[0]["status"] != "P" {
			t.Errorf("%s [%s]: status = %q, want P", v.view, v.where, rows[0]["status"])
		}
	}
	assertNoRejects(t, e)
}

// ---------------------------------------------------------------------------------------------
// Aggregates.

// ratText parses a toString of a decimal column, failing on NULL or garbage.
func ratText(t testing.TB, what, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("%s: %q is not a decimal", what, s)
	}
	return r
}

var microTolerance = big.NewRat(1, 1000000)

// within6 reports whether |got − want| < 1e-6.
func within6(got, want *big.Rat) bool {
	d := new(big.Rat).Sub(got, want)
	return d.Abs(d).Cmp(microTolerance) < 0
}

// TestIntegrationEconomicsAggregatesFollowRevisions: econ.fuel_prices_monthly and
// econ.fuel_affordability against an oracle (counts exact, min/max exact, averages and the
// litres-per-wage ratio to 1e-6), the regional wage where one exists and the national one
// otherwise, one row per wage measure, and only the latest vintage of a revised price counted.
func TestIntegrationEconomicsAggregatesFollowRevisions(t *testing.T) {
	t.Parallel()
	e := econEnv(t, nil)
	const rate = "470.5"
	e.publish(msgs("fx_rate", fxRate("nationalbank.kz", "2022-08-01", "EUR", "KZT", rate, 1))...)
	f := new(big.Rat).Inv(rat(t, rate)) // EUR per KZT

	type day struct{ date, price string }
	prices := map[string][]day{
		"KZ-MAN": {{"2022-08-01", "118.5"}, {"2022-08-02", "119"}, {"2022-08-03", "120.25"}, {"2022-08-04", "117.75"}, {"2022-08-05", "121.13"}},
		"KZ-ALA": {{"2022-08-01", "125"}, {"2022-08-02", "126.5"}, {"2022-08-03", "124.01"}},
	}
	priceJSON := func(region, date, price, publishedAt string) string {
		return fmt.Sprintf(`{"kind":"fuel_price","source":"stat.gov.kz","date":%q,"country":"KZ","region":%q,"product":"lpg","price":%q,"currency":"KZT","unit":"litre","published_at":%q}`,
			date, region, price, publishedAt)
	}
	var m []testenv.Msg
	for region, days := range prices {
		for _, d := range days {
			m = append(m, testenv.Msg{Kind: "fuel_price", Key: region, Value: []byte(priceJSON(region, d.date, d.price, "2022-08-10T00:00:00Z"))})
		}
	}
	// An excl_tax price of another series: in the monthly aggregate as its own row, never in affordability.
	m = append(m, testenv.Msg{Kind: "fuel_price", Key: "x", Value: []byte(
		`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-08-01","country":"KZ","region":"KZ-MAN","product":"lpg","tax_basis":"excl_tax","price":"99","currency":"KZT","unit":"litre"}`)})
	wageJSON := func(region, measure, amount string) string {
		return fmt.Sprintf(`{"kind":"wage","source":"stat.gov.kz","date":"2022-08-01","frequency":"M","country":"KZ","region":%q,"measure":%q,"amount":%q,"currency":"KZT","per":"month"}`,
			region, measure, amount)
	}
	wages := map[string]string{"|minimum": "60000", "KZ-ALA|minimum": "70000.5", "|average": "312345.67"}
	for k, amount := range wages {
		region, measure, _ := strings.Cut(k, "|")
		m = append(m, testenv.Msg{Kind: "wage", Key: k, Value: []byte(wageJSON(region, measure, amount))})
	}
	e.publish(m...)

	check := func(phase string) (bool, string) {
		var diffs []string
		// fuel_prices_monthly
		rows := queryText(t, e.store, "SELECT "+textCols("month", "region", "tax_basis", "observations", "avg_price_per_litre_eur",
			"min_price_per_litre_eur", "max_price_per_litre_eur")+" FROM "+e.db()+".fuel_prices_monthly WHERE product = 'lpg'")
		got := map[string]map[string]string{}
		for _, r := range rows {
			got[r["region"]+"|"+r["tax_basis"]] = r
		}
		if len(rows) != 3 {
			diffs = append(diffs, fmt.Sprintf("fuel_prices_monthly: %d rows, want 3: %v", len(rows), rows))
		}
		for region, days := range prices {
			r := got[region+"|incl_tax"]
			if r == nil {
				diffs = append(diffs, "fuel_prices_monthly: no row for "+region)
				continue
			}
			sum := new(big.Rat)
			var stored []string
			for _, d := range days {
				eur := round18(new(big.Rat).Mul(rat(t, d.price), f)) // price_per_litre_eur as stored
				stored = append(stored, eur)
				sum.Add(sum, rat(t, eur))
			}
			sort.Slice(stored, func(i, j int) bool { return rat(t, stored[i]).Cmp(rat(t, stored[j])) < 0 })
			avg := sum.Quo(sum, big.NewRat(int64(len(days)), 1))
			if r["month"] != "2022-08-01" || r["observations"] != fmt.Sprint(len(days)) {
				diffs = append(diffs, fmt.Sprintf("monthly %s: month %s observations %s, want 2022-08-01 %d", region, r["month"], r["observations"], len(days)))
			}
			if r["min_price_per_litre_eur"] != stored[0] || r["max_price_per_litre_eur"] != stored[len(stored)-1] {
				diffs = append(diffs, fmt.Sprintf("monthly %s: min %s max %s, want %s %s", region, r["min_price_per_litre_eur"], r["max_price_per_litre_eur"], stored[0], stored[len(stored)-1]))
			}
			if a, ok := new(big.Rat).SetString(r["avg_price_per_litre_eur"]); !ok || !within6(a, avg) {
				diffs = append(diffs, fmt.Sprintf("monthly %s: avg %s, want %s (±1e-6)", region, r["avg_price_per_litre_eur"], round18(avg)))
			}
		}
		if r := got["KZ-MAN|excl_tax"]; r == nil || r["observations"] != "1" || r["min_price_per_litre_eur"] != round18(new(big.Rat).Mul(rat(t, "99"), f)) {
			diffs = append(diffs, fmt.Sprintf("monthly KZ-MAN excl_tax: %v", r))
		}

		// fuel_affordability
		rows = queryText(t, e.store, "SELECT "+textCols("month", "region", "wage_measure", "wage_basis", "currency", "wage_region", "monthly_wage",
			"avg_price_per_litre", "litres_per_monthly_wage")+" FROM "+e.db()+".fuel_affordability WHERE product = 'lpg'")
		aff := map[string]map[string]string{}
		for _, r := range rows {
			aff[r["region"]+"|"+r["wage_measure"]] = r
		}
		if len(rows) != 4 {
			diffs = append(diffs, fmt.Sprintf("fuel_affordability: %d rows, want 4 (2 regions × 2 measures): %v", len(rows), rows))
		}
		for region, days := range prices {
			sum := new(big.Rat)
			for _, d := range days {
				sum.Add(sum, rat(t, d.price))
			}
			avg := sum.Quo(sum, big.NewRat(int64(len(days)), 1))
			for _, measure := range []string{"minimum", "average"} {
				wageRegion := ""
				if _, ok := wages[region+"|"+measure]; ok {
					wageRegion = region
				}
				wage := rat(t, wages[wageRegion+"|"+measure])
				r := aff[region+"|"+measure]
				if r == nil {
					diffs = append(diffs, fmt.Sprintf("affordability %s %s: no row", region, measure))
					continue
				}
				if r["month"] != "2022-08-01" || r["wage_basis"] != "gross" || r["currency"] != "KZT" || r["wage_region"] != wageRegion {
					diffs = append(diffs, fmt.Sprintf("affordability %s %s: %v, want wage_region %q", region, measure, r, wageRegion))
				}
				if r["monthly_wage"] != round18(wage) {
					diffs = append(diffs, fmt.Sprintf("affordability %s %s: monthly_wage %s, want %s", region, measure, r["monthly_wage"], round18(wage)))
				}
				if a, ok := new(big.Rat).SetString(r["avg_price_per_litre"]); !ok || !within6(a, avg) {
					diffs = append(diffs, fmt.Sprintf("affordability %s %s: avg_price_per_litre %s, want %s", region, measure, r["avg_price_per_litre"], round18(avg)))
				}
				want := new(big.Rat).Quo(wage, avg)
				if l, ok := new(big.Rat).SetString(r["litres_per_monthly_wage"]); !ok || !within6(l, want) {
					diffs = append(diffs, fmt.Sprintf("affordability %s %s: litres_per_monthly_wage %s, want %s (±1e-6)", region, measure, r["litres_per_monthly_wage"], round18(want)))
				}
			}
		}
		return len(diffs) == 0, phase + ":\n" + strings.Join(diffs, "\n")
	}
	testenv.WaitFor(t, waitTimeout, func() (bool, string) { return check("first vintages") })

	// A revision of one KZ-MAN price (later published_at), and a stale vintage of another
	// (earlier published_at) that must not count.
	prices["KZ-MAN"][2].price = "131.99"
	e.publish(
		testenv.Msg{Kind: "fuel_price", Key: "KZ-MAN", Value: []byte(priceJSON("KZ-MAN", "2022-08-03", "131.99", "2022-08-20T00:00:00Z"))},
		testenv.Msg{Kind: "fuel_price", Key: "KZ-MAN", Value: []byte(priceJSON("KZ-MAN", "2022-08-04", "1000", "2022-08-05T00:00:00Z"))},
	)
	waitCount(t, e.store, 11, "fuel_prices_history", "")
	testenv.WaitFor(t, waitTimeout, func() (bool, string) { return check("after the revision") })
	assertNoRejects(t, e)
}
