package ingest_test

import (
	"strings"
	"testing"

	"github.com/econflow/econflow/internal/testenv"
)

// Dates a database with Date columns cannot store (ClickHouse 18.16: 1970-01-01…2105-12-31 of
// the contract's 1900-01-01…2299-12-31) are rejected by the consumer with a reason that names the
// server's limit and what stores more; the dates at its bounds are stored. (On current
// ClickHouse a new database stores all of them: ingest/clickhouse's wide-date tests.)

func TestIntegrationEmbeddedDatesOutsideTheDatabase(t *testing.T) {
	t.Parallel()
	runDatesOutsideTheDatabase(t, newEnv(t, testenv.EmbeddedBroker(t), false))
}

func TestIntegrationApacheKafkaDatesOutsideTheDatabase(t *testing.T) {
	t.Parallel()
	runDatesOutsideTheDatabase(t, newEnv(t, testenv.ApacheKafka(t), false))
}

func runDatesOutsideTheDatabase(t *testing.T, e *env) {
	var version string
	if rows := queryText(t, e.store, "SELECT version() AS v"); len(rows) == 1 {
		version = rows[0]["v"]
	}
	if !strings.HasPrefix(version, "18.") {
		t.Skipf("the server is ClickHouse %s: its new databases store Date32", version)
	}
	price := func(date string) string {
		return `{"kind":"fuel_price","source":"stat.gov.kz","date":"` + date + `","country":"KZ","region":"KZ-MAN","product":"lpg","price":"60","currency":"KZT","unit":"litre"}`
	}
	wage := `{"kind":"wage","source":"stat.gov.kz","date":"1938-10-01","country":"KZ","measure":"minimum","amount":"0.25","currency":"KZT","per":"month"}`
	rate := `{"kind":"fx_rate","source":"nationalbank.kz","date":"2250-01-01","base":"EUR","quote":"KZT","rate":"480.5"}`
	rejected := map[string]string{"price-1969": "1969-12-31", "price-2106": "2106-01-01", "wage-1938": "1938-10-01", "rate-2250": "2250-01-01"}
	e.publish(
		testenv.Msg{Kind: "fuel_price", Key: "price-1969", Value: []byte(price("1969-12-31"))},
		testenv.Msg{Kind: "fuel_price", Key: "price-2106", Value: []byte(price("2106-01-01"))},
		testenv.Msg{Kind: "fuel_price", Key: "price-1970", Value: []byte(price("1970-01-01"))},
		testenv.Msg{Kind: "fuel_price", Key: "price-2105", Value: []byte(price("2105-12-31"))},
		testenv.Msg{Kind: "wage", Key: "wage-1938", Value: []byte(wage)},
		testenv.Msg{Kind: "fx_rate", Key: "rate-2250", Value: []byte(rate)},
	)
	c := e.startConsumer(t, nil)
	defer c.Stop()
	waitCount(t, e.store, uint64(len(rejected)), "rejects", "")
	waitCount(t, e.store, 2, "fuel_prices", "")

	// (18.16 prints the Date 1970-01-01 as 0000-00-00.)
	stored := queryText(t, e.store, "SELECT toString(toYYYYMMDD(date)) AS d FROM "+e.db()+".fuel_prices ORDER BY date")
	if len(stored) != 2 || stored[0]["d"] != "19700101" || stored[1]["d"] != "21051231" {
		t.Errorf("fuel_prices dated %v, want 1970-01-01 and 2105-12-31", stored)
	}
	for _, r := range queryText(t, e.store, "SELECT "+textCols("key", "error_code", "error")+" FROM "+e.db()+".rejects") {
		date, ok := rejected[r["key"]]
		if !ok {
			t.Errorf("rejected %s: %s", r["key"], r["error"])
			continue
		}
		delete(rejected, r["key"])
		for _, want := range []string{date + " is outside 1970-01-01…2105-12-31", "ClickHouse " + version, "Date32", "1900-01-01…2299-12-31"} {
			if !strings.Contains(r["error"], want) {
				t.Errorf("%s: reason %q does not say %q", r["key"], r["error"], want)
			}
		}
		if r["error_code"] != "out_of_range" {
			t.Errorf("%s: error_code %s, want out_of_range", r["key"], r["error_code"])
		}
	}
	if len(rejected) > 0 {
		t.Errorf("not rejected: %v", rejected)
	}
}
