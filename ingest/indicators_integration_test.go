package ingest_test

// Kind indicator end to end (docs/indicators.md): JSON records and the publisher files that can
// carry indicators (fred-csv, fred-json, sdmx-csv), read as `econflow produce` reads them
// (publishers.ReadRecordsWith), published to Kafka and consumed into econ.indicators and
// econ.indicators_history; every value compared with the big.Rat oracle of integration_test.go.
//
// Run: ECONFLOW_REQUIRE_SERVICES=1 ECONFLOW_TEST_APACHE_KAFKA=127.0.0.1:19092 go test -count=1 ./ingest/ -run Indicator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/econflow/econflow/ingest/publishers"
	"github.com/econflow/econflow/internal/testenv"
)

// indObs is one indicator observation and what the views must show for it.
type indObs struct {
	source, series, country, region, date string
	value                                 string // as sent
	mult                                  int
	unit, currency                        string
	legs                                  []fxLeg // unit currency: nil and currency EUR is factor 1; nil otherwise pending
	path, fxDate                          string
	publishedAt                           string // "" when the Kafka time applies
}

func (o indObs) where() string {
	return fmt.Sprintf("source = '%s' AND series = '%s' AND country = '%s' AND region = '%s' AND date = '%s'", o.source, o.series, o.country, o.region, o.date)
}

var indCols = []string{"value", "unit_mult", "unit", "currency", "value_eur", "fx_rate", "fx_date", "fx_path", "fx_status", "published_at"}

// expected returns indCols as toString text ("NULL" for NULL); published_at only when stated.
func (o indObs) expected(t testing.TB) map[string]string {
	e := map[string]string{"value": round18(rat(t, o.value)), "unit_mult": fmt.Sprint(o.mult), "unit": o.unit, "currency": o.currency,
		"value_eur": "NULL", "fx_rate": "NULL", "fx_date": "NULL", "fx_path": "", "fx_status": ""}
	if o.publishedAt != "" {
		e["published_at"] = o.publishedAt
	}
	if o.unit != "currency" {
		return e
	}
	w := obs{currency: o.currency, legs: o.legs}
	if w.pending() {
		e["fx_status"] = "pending"
		return e
	}
	f := w.factor(t)
	e["fx_status"], e["fx_path"], e["fx_rate"] = "converted", o.path, round18(f)
	e["fx_date"] = o.fxDate
	if o.fxDate == "" {
		e["fx_date"] = "NULL"
	}
	e["value_eur"] = round18(new(big.Rat).Mul(withMult(t, o.value, o.mult), f))
	return e
}

// indJSON is the contract JSON of o (value as a JSON string, exactly as written).
func indJSON(o indObs, extra string) string {
	cur := ""
	if o.currency != "" {
		cur = fmt.Sprintf(`,"currency":%q`, o.currency)
	}
	bp := ""
	if o.unit == "index" {
		bp = `,"base_period":"2021-12=100"`
	}
	pub := ""
	if o.publishedAt != "" {
		pub = fmt.Sprintf(`,"published_at":%q`, strings.Replace(o.publishedAt, " ", "T", 1)+"Z")
	}
	return fmt.Sprintf(`{"kind":"indicator","source":%q,"series":%q,"country":%q,"region":%q,"measure":"m","unit":%q%s%s,"date":%q,"frequency":"M","value":%q,"unit_mult":%d%s%s}`,
		o.source, o.series, o.country, o.region, o.unit, cur, bp, o.date, o.value, o.mult, pub, extra)
}

// publisherIndicators reads the indicator fixtures of ingest/publishers as `econflow produce
// --format F --mapping mapping.json FILE` does and returns the messages and, from each
// fixture's want.jsonl, the observations they must become.
func publisherIndicators(t *testing.T) ([]testenv.Msg, []indObs) {
	t.Helper()
	var msgs []testenv.Msg
	var want []indObs
	for _, f := range []struct{ format, dir, file string }{
		{"fred-csv", "cpiaucsl-indicator", "fredgraph.csv"},
		{"fred-json", "cpiaucsl-indicator", "CPIAUCSL.json"},
		{"sdmx-csv", "eurostat-hicp", "prc_hicp_midx.csv"},
		{"sdmx-csv", "kz-cpi", "KZ_CPI.csv"},
	} {
		dir := filepath.Join("publishers", "testdata", f.format, f.dir)
		m, err := publishers.LoadMapping(filepath.Join(dir, "mapping.json"))
		if err != nil {
			t.Fatal(err)
		}
		in, err := os.Open(filepath.Join(dir, f.file))
		if err != nil {
			t.Fatal(err)
		}
		sum, bad, err := publishers.ReadRecordsWith(f.file, in, publishers.ReadOptions{Format: f.format, Publisher: publishers.Options{Mapping: m}},
			func(o publishers.Outgoing) error {
				msgs = append(msgs, testenv.Msg{Kind: string(o.Kind), Key: o.Key, Value: o.Value})
				return nil
			})
		in.Close()
		if err != nil || len(bad) != 0 || sum.Records == 0 {
			t.Fatalf("%s %s: %d records, invalid %v, error %v", f.format, f.file, sum.Records, bad, err)
		}
		wantFile, err := os.ReadFile(filepath.Join(dir, "want.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(wantFile))
		for sc.Scan() {
			var r struct {
				Source, Series, Country, Region, Date, Value, Unit, Currency string
				PublishedAt                                                  string `json:"published_at"`
			}
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			pub := ""
			if r.PublishedAt != "" {
				pub = strings.TrimSuffix(strings.Replace(r.PublishedAt, "T", " ", 1), "Z")
			}
			want = append(want, indObs{source: r.Source, series: r.Series, country: r.Country, region: r.Region, date: r.Date,
				value: r.Value, unit: r.Unit, currency: r.Currency, publishedAt: pub})
		}
	}
	return msgs, want
}

// waitIndicators polls until every observation's latest row equals the oracle.
func waitIndicators(t *testing.T, e *env, what string, want []indObs) {
	t.Helper()
	testenv.WaitFor(t, waitTimeout, func() (bool, string) {
		var diffs []string
		for _, o := range want {
			rows := queryText(t, e.store, "SELECT "+textCols(indCols...)+" FROM "+e.db()+".indicators WHERE "+o.where())
			if len(rows) != 1 {
				diffs = append(diffs, fmt.Sprintf("[%s]: %d rows, want 1", o.where(), len(rows)))
				continue
			}
			for col, w := range o.expected(t) {
				if rows[0][col] != w {
					diffs = append(diffs, fmt.Sprintf("[%s]: %s = %q, want %q", o.where(), col, rows[0][col], w))
				}
			}
		}
		return len(diffs) == 0, fmt.Sprintf("%s: %d differences from the oracle:\n%s", what, len(diffs), strings.Join(diffs, "\n"))
	})
}

func TestIntegrationEmbeddedIndicatorsEndToEnd(t *testing.T) {
	t.Parallel()
	runIndicatorsEndToEnd(t, newEnv(t, testenv.EmbeddedBroker(t), false))
}

func TestIntegrationApacheKafkaIndicatorsEndToEnd(t *testing.T) {
	t.Parallel()
	runIndicatorsEndToEnd(t, newEnv(t, testenv.ApacheKafka(t), false))
}

func runIndicatorsEndToEnd(t *testing.T, e *env) {
	const pub = "2022-02-10 06:00:00"
	rate := fxRate("nationalbank.kz", "2022-01-28", "EUR", "KZT", "491.73", 1)
	kzt := []fxLeg{{"491.73", 1, true}}
	obsJSON := []indObs{
		{source: "stat.gov.kz", series: "CPI_FRAC", country: "KZ", date: "2022-01-01", value: "100.123456789012345678", unit: "index", publishedAt: pub},
		{source: "stat.gov.kz", series: "CPI_FRAC", country: "KZ", region: "KZ-MAN", date: "2022-01-01", value: "1.0E2", unit: "index", publishedAt: pub},
		{source: "stat.gov.kz", series: "UNEMP", country: "KZ", date: "2022-01-01", value: "4.9", unit: "percent", publishedAt: pub},
		{source: "stat.gov.kz", series: "POP", country: "KZ", date: "2022-01-01", value: "19.5", mult: 6, unit: "persons", publishedAt: pub},
		{source: "stat.gov.kz", series: "GDP", country: "KZ", date: "2022-01-31", value: "99999999999999999999.999999999999999999", unit: "currency", currency: "KZT",
			legs: kzt, path: "KZT>EUR@nationalbank.kz:2022-01-28", fxDate: "2022-01-28", publishedAt: pub},
		{source: "stat.gov.kz", series: "GDP_K", country: "KZ", date: "2022-01-31", value: "12345.678901", mult: 3, unit: "currency", currency: "KZT",
			legs: kzt, path: "KZT>EUR@nationalbank.kz:2022-01-28", fxDate: "2022-01-28", publishedAt: pub},
		{source: "destatis.de", series: "GDP", country: "DE", date: "2022-01-01", value: "1.5", mult: 12, unit: "currency", currency: "EUR", path: "EUR", publishedAt: pub},
	}
	// Pending first: the KZT indicators arrive before their rate, the rate later.
	pending := append([]indObs(nil), obsJSON...)
	for i := range pending {
		if pending[i].currency == "KZT" {
			pending[i].legs, pending[i].path, pending[i].fxDate = nil, "", ""
		}
	}
	var msgs []testenv.Msg
	for _, o := range obsJSON {
		msgs = append(msgs, testenv.Msg{Kind: "indicator", Key: o.series, Value: []byte(indJSON(o, ""))})
	}
	fileMsgs, fileRecords := publisherIndicators(t)
	msgs = append(msgs, fileMsgs...)
	// FRED's CSV and JSON carry the same observations: two vintages of one identity (the CSV's
	// is the Kafka time, later than the JSON's realtime_start), one latest row with that value.
	var fileObs []indObs
	seen := map[string]int{}
	for _, o := range fileRecords {
		if i, ok := seen[o.where()]; ok {
			if fileObs[i].value != o.value {
				t.Fatalf("fixtures disagree on [%s]: %s and %s", o.where(), fileObs[i].value, o.value)
			}
			fileObs[i].publishedAt = ""
			continue
		}
		seen[o.where()] = len(fileObs)
		fileObs = append(fileObs, o)
	}
	e.publish(msgs...)
	c := e.startConsumer(t, nil)
	defer c.Stop()
	all := append(append([]indObs(nil), pending...), fileObs...)
	waitCount(t, e.store, uint64(len(all)), "indicators", "")
	waitIndicators(t, e, "before the rate", all)

	e.publish(testenv.Msg{Kind: "fx_rate", Key: "r", Value: []byte(rate)})
	all = append(append([]indObs(nil), obsJSON...), fileObs...)
	waitIndicators(t, e, "after the rate", all)

	// Vintages: a revision of the KZ CPI, the original re-delivered three times, an older
	// vintage arriving last; a sentinel on the same key marks the end.
	rev, stale := obsJSON[0], obsJSON[0]
	rev.value, rev.publishedAt = "100.2", "2022-03-10 06:00:00"
	stale.value, stale.publishedAt = "99.9", "2022-02-01 06:00:00"
	sentinel := indObs{source: "stat.gov.kz", series: "SENTINEL", country: "KZ", date: "2022-01-01", value: "1", unit: "percent", publishedAt: pub}
	var again []testenv.Msg
	for _, o := range []indObs{rev, obsJSON[0], obsJSON[0], obsJSON[0], stale, sentinel} {
		again = append(again, testenv.Msg{Kind: "indicator", Key: "CPI_FRAC", Value: []byte(indJSON(o, ""))})
	}
	e.publish(again...)
	waitCount(t, e.store, 1, "indicators", "series = 'SENTINEL'")
	all[0] = rev
	waitIndicators(t, e, "after the revision", append(all, sentinel))
	hist := queryText(t, e.store, "SELECT "+textCols("published_at", "value")+" FROM "+e.db()+".indicators_history WHERE "+obsJSON[0].where()+" ORDER BY published_at")
	var got []string
	for _, r := range hist {
		got = append(got, r["published_at"]+"="+r["value"])
	}
	wantHist := []string{stale.publishedAt + "=" + round18(rat(t, stale.value)), pub + "=" + round18(rat(t, obsJSON[0].value)), rev.publishedAt + "=" + round18(rat(t, rev.value))}
	if strings.Join(got, " ") != strings.Join(wantHist, " ") {
		t.Errorf("indicators_history: %v, want the three vintages once each %v", got, wantHist)
	}
	if n, want := mustCount(t, e.store, "indicators_history", ""), uint64(len(obsJSON)+len(fileRecords)+3); n != want {
		t.Errorf("indicators_history: %d rows, want %d (one per vintage, re-deliveries invisible)", n, want)
	}
	if n := mustCount(t, e.store, "indicators_history", "kafka_topic != ?", e.topics.Indicators); n != 0 {
		t.Errorf("indicators_history: %d rows from a topic other than %s", n, e.topics.Indicators)
	}

	// Bad indicators: the decoder's fixtures, on the indicators topic, each in econ.rejects with
	// its code; nothing of them in the views.
	files, err := filepath.Glob("../transform/testdata/bad/*indicator*.json")
	if err != nil || len(files) < 6 {
		t.Fatalf("bad indicator fixtures: %v (%d files)", err, len(files))
	}
	wantCode := map[string]string{}
	var bad []testenv.Msg
	for _, f := range files {
		value, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".code")
		if err != nil {
			t.Fatal(err)
		}
		wantCode[filepath.Base(f)] = strings.TrimSpace(string(code))
		bad = append(bad, testenv.Msg{Kind: "indicator", Key: filepath.Base(f), Value: value})
	}
	e.publish(bad...)
	waitCount(t, e.store, uint64(len(files)), "rejects", "")
	for _, r := range queryText(t, e.store, "SELECT "+textCols("key", "error_code", "error", "kafka_topic")+" FROM "+e.db()+".rejects") {
		if w, ok := wantCode[r["key"]]; !ok || r["error_code"] != w || strings.TrimSpace(r["error"]) == "" || r["kafka_topic"] != e.topics.Indicators {
			t.Errorf("reject %s: code %q (%q) from %s, want %q from %s", r["key"], r["error_code"], r["error"], r["kafka_topic"], w, e.topics.Indicators)
		}
	}
	if n := mustCount(t, e.store, "indicators", ""); n != uint64(len(all)+1) {
		t.Errorf("indicators: %d rows, want %d (no bad record)", n, len(all)+1)
	}
}
