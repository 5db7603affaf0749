package dashboard_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/econflow/econflow/dashboard"
	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/internal/testenv"
)

func get(t *testing.T, srv *httptest.Server, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// getCSV fetches a CSV download and returns its header and records.
func getCSV(t *testing.T, srv *httptest.Server, path string) ([]string, [][]string) {
	t.Helper()
	status, h, body := get(t, srv, path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, status, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("GET %s: no header row", path)
	}
	return recs[0], recs[1:]
}

// columns picks the named columns of CSV records, in that order.
func columns(t *testing.T, head []string, recs [][]string, names ...string) [][]string {
	t.Helper()
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = -1
		for j, h := range head {
			if h == n {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			t.Fatalf("CSV has no column %q: %v", n, head)
		}
	}
	out := make([][]string, len(recs))
	for r, rec := range recs {
		out[r] = make([]string, len(names))
		for i, j := range idx {
			out[r][i] = rec[j]
		}
	}
	return out
}

func sameRows(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: ClickHouse returned no rows: the comparison would prove nothing", what)
	}
	if !reflect.DeepEqual(got, want) {
		n := min(len(got), len(want))
		for i := 0; i < n; i++ {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("%s: row %d differs:\n got  %q\n want %q\n(%d rows against %d)", what, i, got[i], want[i], len(got), len(want))
			}
		}
		t.Fatalf("%s: %d rows, ClickHouse has %d", what, len(got), len(want))
	}
}

const (
	mangystau = "/series?country=KZ&region=KZ-MAN&product=lpg"
	almaty    = "/series?country=KZ&region=KZ-ALA&product=lpg"
)

func TestDashboardOnDemoData(t *testing.T) {
	f := newFixture(t)

	t.Run("pages", func(t *testing.T) {
		cases := []struct {
			path string
			want []string
		}{
			{"/", []string{"KZ", `href="/series?country=KZ"`, `href="/fx?base=EUR&amp;quote=KZT"`, "rejects in the last 24 hours"}},
			{mangystau, []string{"data-chart=", "KZT&gt;EUR@nationalbank.kz:2022-01-04", `title="120.000000000000000000"`, "lpg price, KZ-MAN (KZ)"}},
			{"/series?country=KZ", []string{"KZ-MAN", "KZ-ALA", "KZ-AST", "Choose a fuel price series"}},
			{"/series", []string{"KZ-MAN", "GE", "DE"}},
			{almaty, []string{"/series/history?", "date=2022-01-04", ">revised<"}},
			{"/affordability?country=KZ", []string{"data-chart=", "Litres of fuel one monthly wage buys in KZ", "KZ-MAN", "The 24 months up to the latest price (2022-01): from=2020-02-01"}},
			{"/fx?base=EUR&quote=KZT&country=KZ&region=KZ-MAN&product=lpg", []string{"KZT&gt;EUR@nationalbank.kz:2021-12-31", "Conversions of KZ values"}},
			{"/affordability", []string{"choose a country", "/affordability?country=KZ"}},
			{"/fx?base=EUR&quote=KZT&country=KZ", []string{"data-chart=", "493.90", "KZT&gt;EUR@nationalbank.kz:2021-12-31"}},
			{"/fx", []string{"choose a currency pair", "/fx?base=EUR&amp;quote=KZT"}},
			{"/wages?country=KZ", []string{"data-chart=", "42,500.00", "minimum"}},
			{"/rejects", []string{"bad_decimal", "econ.fuel_prices"}},
			{"/health", []string{"ClickHouse", "answers", "not configured"}},
			{"/series?country=GE&region=&product=diesel", []string{"pending", "conversions pending"}},
		}
		for _, c := range cases {
			t.Run(c.path, func(t *testing.T) {
				status, h, body := get(t, f.srv, c.path)
				if status != http.StatusOK {
					t.Fatalf("status %d\n%s", status, body)
				}
				if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
				if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
					t.Errorf("Content-Security-Policy %q", csp)
				}
				for _, w := range c.want {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				if strings.Contains(body, "cdn") || strings.Contains(body, "https://") {
					t.Errorf("page loads something from elsewhere: it must work offline")
				}
			})
		}
	})

	t.Run("series CSV is the view, exactly", func(t *testing.T) {
		head, recs := getCSV(t, f.srv, mangystau+"&format=csv")
		got := columns(t, head, recs, "date", "price", "price_eur", "fx_rate", "fx_date", "fx_path", "fx_status", "status", "published_at")
		want := f.rows(t, "SELECT toString(date), toString(price), toString(price_eur), toString(fx_rate), toString(fx_date), fx_path, "+
			"fx_status, status, toString(published_at) FROM econ.fuel_prices WHERE country = 'KZ' AND region = 'KZ-MAN' AND product = 'lpg' ORDER BY date DESC")
		sameRows(t, "series CSV", got, want)
		// The jump and the cap, by an independent reading of the sample.
		byDate := map[string]string{}
		for _, r := range got {
			byDate[r[0]] = r[1]
		}
		for d, price := range map[string]string{"2021-12-31": "60", "2022-01-01": "120", "2022-01-05": "120", "2022-01-06": "50"} {
			if !closeTo(price, byDate[d]) || !strings.HasPrefix(byDate[d], price+".") {
				t.Errorf("%s: price %q, want %s", d, byDate[d], price)
			}
		}
	})

	t.Run("revisions are marked and one click away", func(t *testing.T) {
		head, recs := getCSV(t, f.srv, almaty+"&format=csv")
		got := columns(t, head, recs, "date", "vintages", "revised")
		want := f.rows(t, "SELECT toString(date), toString(count()), if(uniqExact(price) > 1, 'true', 'false') FROM econ.fuel_prices_history "+
			"WHERE country = 'KZ' AND region = 'KZ-ALA' AND product = 'lpg' GROUP BY date ORDER BY date DESC")
		sameRows(t, "vintages per date", got, want)
		revised := 0
		for _, r := range got {
			if r[2] == "true" {
				revised++
				if r[0] != "2022-01-04" {
					t.Errorf("%s marked revised; the sample revises only 2022-01-04", r[0])
				}
			}
		}
		if revised != 1 {
			t.Errorf("%d revised dates, want 1", revised)
		}
		_, _, body := get(t, f.srv, almaty)
		hist := "/series/history?" + url.Values{"country": {"KZ"}, "currency": {"KZT"}, "date": {"2022-01-04"}, "frequency": {"D"},
			"product": {"lpg"}, "region": {"KZ-ALA"}, "source": {"econflow.sample"}, "tax_basis": {"incl_tax"}, "unit": {"litre"}}.Encode()
		if !strings.Contains(body, strings.ReplaceAll(hist, "&", "&amp;")) {
			t.Fatalf("the series page does not link the revised date's vintages (%s)", hist)
		}
		head, recs = getCSV(t, f.srv, hist+"&format=csv")
		got = columns(t, head, recs, "date", "published_at", "price", "change", "kafka_topic", "kafka_partition", "kafka_offset")
		want = f.rows(t, "SELECT toString(date), toString(published_at), toString(price), '', kafka_topic, toString(kafka_partition), toString(kafka_offset) "+
			"FROM econ.fuel_prices_history WHERE country = 'KZ' AND region = 'KZ-ALA' AND product = 'lpg' AND date = toDate('2022-01-04') ORDER BY published_at")
		if len(want) != 2 {
			t.Fatalf("the sample has %d vintages of KZ-ALA on 2022-01-04, want 2", len(want))
		}
		want[0][3], want[1][3] = "first", "revised from "+want[0][2]
		sameRows(t, "vintages", got, want)
	})

	t.Run("pending conversions are marked", func(t *testing.T) {
		head, recs := getCSV(t, f.srv, "/series?country=GE&region=&product=diesel&format=csv")
		got := columns(t, head, recs, "price", "price_eur", "fx_status")
		if len(got) != 1 || got[0][1] != "" || got[0][2] != "pending" {
			t.Fatalf("GEL diesel: %q, want one pending row with no EUR value", got)
		}
	})

	t.Run("affordability CSV is the view, and the litres are right", func(t *testing.T) {
		head, recs := getCSV(t, f.srv, "/affordability?country=KZ&format=csv")
		names := []string{"month", "region", "product", "wage_measure", "wage_basis", "currency", "wage_region", "monthly_wage", "avg_price_per_litre", "litres_per_monthly_wage"}
		got := columns(t, head, recs, names...)
		want := f.rows(t, "SELECT toString(month), region, product, wage_measure, wage_basis, currency, wage_region, toString(monthly_wage), "+
			"toString(avg_price_per_litre), toString(litres_per_monthly_wage) FROM econ.fuel_affordability WHERE country = 'KZ' "+
			"ORDER BY month, region, product, wage_measure, wage_basis")
		sameRows(t, "affordability CSV", got, want)
		// Independently: in January 2022 Mangystau LPG cost 120 for five days and 50 for five, an
		// average of 85; 42,500 / 85 = 500 litres.
		found := false
		for _, r := range got {
			if r[0] == "2022-01-01" && r[1] == "KZ-MAN" && r[3] == "minimum" {
				found = true
				if !closeTo("500.000000", r[9]) {
					t.Errorf("KZ-MAN January 2022: %s litres, want 500", r[9])
				}
			}
		}
		if !found {
			t.Error("no Mangystau row for January 2022")
		}
	})

	t.Run("fx, wages and rejects CSVs are the views", func(t *testing.T) {
		head, recs := getCSV(t, f.srv, "/fx?base=EUR&quote=KZT&format=csv")
		sameRows(t, "rates", columns(t, head, recs, "date", "source", "rate_type", "rate", "quantity", "published_at"),
			f.rows(t, "SELECT toString(date), source, rate_type, toString(rate), toString(quantity), toString(published_at) FROM econ.fx_rates "+
				"WHERE base = 'EUR' AND quote = 'KZT' ORDER BY source, rate_type, frequency, date"))
		head, recs = getCSV(t, f.srv, "/fx?base=EUR&quote=KZT&country=KZ&format=csv&table=conversions")
		conv := columns(t, head, recs, "view", "fx_path", "fx_date", "observations")
		var n big.Int
		for _, r := range conv {
			if r[0] == "fuel_prices" {
				c, _ := new(big.Int).SetString(r[3], 10)
				n.Add(&n, c)
			}
		}
		total := f.rows(t, "SELECT toString(count()) FROM econ.fuel_prices WHERE country = 'KZ' AND currency IN ('EUR', 'KZT')")
		if n.String() != total[0][0] {
			t.Errorf("conversions count %s fuel prices, the view has %s", n.String(), total[0][0])
		}
		head, recs = getCSV(t, f.srv, "/wages?country=KZ&format=csv")
		sameRows(t, "wages", columns(t, head, recs, "date", "amount", "amount_eur", "monthly_amount", "monthly_amount_eur", "fx_rate", "fx_path"),
			f.rows(t, "SELECT toString(date), toString(amount), toString(amount_eur), toString(monthly_amount), toString(monthly_amount_eur), "+
				"toString(fx_rate), fx_path FROM econ.wages WHERE country = 'KZ' ORDER BY region, measure, basis, per, currency, source, frequency, date"))
		head, recs = getCSV(t, f.srv, "/rejects?format=csv")
		sameRows(t, "rejects", columns(t, head, recs, "error_code", "error", "kafka_topic", "kafka_partition", "kafka_offset"),
			f.rows(t, "SELECT error_code, error, kafka_topic, toString(kafka_partition), toString(kafka_offset) FROM econ.rejects "+
				"ORDER BY received_at DESC, kafka_topic, kafka_partition, kafka_offset DESC"))
	})

	t.Run("a long series: all rows in the CSV, the newest in the page", func(t *testing.T) {
		path := "/series?country=" + longCountry + "&region=&product=" + longProduct
		head, recs := getCSV(t, f.srv, path+"&format=csv")
		if len(recs) != len(longSeriesLines()) {
			t.Fatalf("CSV has %d rows, want %d", len(recs), len(longSeriesLines()))
		}
		if got := columns(t, head, recs[:1], "date")[0][0]; got != longTo {
			t.Errorf("first CSV row is %s, want the newest, %s", got, longTo)
		}
		_, _, body := get(t, f.srv, path)
		if n := strings.Count(body, "<tr>") - 1; n != 1000 {
			t.Errorf("page shows %d rows, want 1000", n)
		}
		if !strings.Contains(body, "the CSV has all of them") {
			t.Error("page does not say the CSV has the rest")
		}
		head, recs = getCSV(t, f.srv, path+"&from=2000-01-01&to=2000-12-31&format=csv")
		if len(recs) != 366 {
			t.Errorf("from/to: %d rows, want 366 (2000 is a leap year)", len(recs))
		}
		_ = head
	})

	t.Run("overview numbers are ClickHouse's", func(t *testing.T) {
		head, recs := getCSV(t, f.srv, "/?format=csv&table=countries")
		got := columns(t, head, recs, "country", "fuel_price_series", "latest_price_date")
		want := f.rows(t, "SELECT country, toString(uniqExact(region, product, tax_basis, currency, unit, source, frequency)), toString(max(date)) "+
			"FROM econ.fuel_prices_history GROUP BY country ORDER BY country")
		sameRows(t, "countries", got, want)
	})

	t.Run("a large table: the overview counts rows, not series", func(t *testing.T) {
		d, err := dashboard.New(dashboard.Options{Conn: f.conn, Database: f.db, OverviewDetailRows: 100, Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(d)
		defer srv.Close()
		head, recs := getCSV(t, srv, "/?format=csv")
		got := columns(t, head, recs, "kind", "series", "latest_date")
		want := f.rows(t, "SELECT 'fuel_price', '', toString(max(date)) FROM econ.fuel_prices_history")
		// 18,302 fuel price rows are over the limit of 100: no series count; 1 wage and 10 rates are not.
		if !reflect.DeepEqual(got[0], want[0]) || got[1][1] != "1" || got[2][1] == "" {
			t.Errorf("kinds %q, want fuel prices %q uncounted, wages and rates counted", got, want[0])
		}
		head, recs = getCSV(t, srv, "/?format=csv&table=countries")
		got = columns(t, head, recs, "country", "fuel_price_rows", "fuel_price_series", "latest_price_date")
		// Rows stored: every row of the table, a re-delivered duplicate too until it is merged away.
		want = f.rows(t, "SELECT country, toString(count()), '', '' FROM econ.fuel_prices_data GROUP BY country ORDER BY country")
		sameRows(t, "countries of a large table", got, want)
		_, _, body := get(t, srv, "/")
		if !strings.Contains(body, "not counted") || !strings.Contains(body, "up to 100 rows") {
			t.Error("the overview does not say the series are not counted")
		}
	})

	t.Run("bad requests get a 400 page saying what is valid", func(t *testing.T) {
		cases := []struct {
			path string
			want []string
		}{
			{"/series?country=kz", []string{"country=kz", "two upper-case letters", "e.g. KZ"}},
			{"/series?country=KZ&colour=red", []string{"colour=red", "is not a parameter of this page", "tax_basis", "incl_tax, excl_tax"}},
			{"/series?country=KZ&country=US", []string{"given 2 times"}},
			{"/series/history?country=KZ", []string{"region", "is required", "frequency"}},
			{"/series?country=KZ&from=2022-13-01", []string{"from=2022-13-01", "YYYY-MM-DD"}},
			{"/series?country=KZ&from=2022-02-01&to=2022-01-01", []string{"is before from=2022-02-01"}},
			{"/fx?base=EUR&quote=KZT&format=xml", []string{"format=xml", "accepted: html, csv"}},
			{"/?format=csv&table=nope", []string{"table=nope", "accepted: kinds, countries, pairs"}},
			{mangystau + "&format=csv&table=series", []string{"table=series", "tables here: observations"}},
			{"/series?country=KZ%27%20OR%201%3D1", []string{"is not accepted"}},
			{"/rejects?code=x%27)%3B%20DROP%20TABLE%20econ.fuel_prices_data%3B--", []string{"code="}},
		}
		for _, c := range cases {
			t.Run(c.path, func(t *testing.T) {
				status, _, body := get(t, f.srv, c.path)
				if status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400\n%s", status, body)
				}
				for _, w := range c.want {
					if !strings.Contains(body, htmlEscape(w)) {
						t.Errorf("400 page lacks %q:\n%s", w, body)
					}
				}
			})
		}
		if status, _, _ := get(t, f.srv, "/nope"); status != http.StatusNotFound {
			t.Errorf("/nope: %d, want 404", status)
		}
		resp, err := f.srv.Client().Post(f.srv.URL+"/", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST /: %d, want 405", resp.StatusCode)
		}
	})

	t.Run("the settings the queries send take effect", func(t *testing.T) {
		d, err := dashboard.New(dashboard.Options{Conn: f.conn, Database: f.db})
		if err != nil {
			t.Fatal(err)
		}
		w, err := d.SettingsWarning(context.Background())
		if err != nil || w != "" {
			t.Fatalf("SettingsWarning: %q, %v", w, err)
		}
	})

	t.Run("values are bound, never pasted into SQL", func(t *testing.T) {
		// A source id is free text: quotes in it must match nothing, not change the query.
		status, _, body := get(t, f.srv, "/series?country=KZ&source="+url.QueryEscape("x' OR '1'='1"))
		if status != http.StatusOK || !strings.Contains(body, "No series match.") {
			t.Fatalf("status %d; want a page saying no series match\n%s", status, body)
		}
		n := f.rows(t, "SELECT toString(count()) FROM econ.fuel_prices_data")
		if n[0][0] == "0" {
			t.Fatal("the data table is empty")
		}
	})
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}

func TestDashboardClickHouseUnavailable(t *testing.T) {
	srv := unreachableDashboard(t)
	for _, path := range []string{"/", mangystau, "/series", "/affordability?country=KZ", "/fx?base=EUR&quote=KZT", "/wages?country=KZ",
		"/rejects", mangystau + "&format=csv"} {
		status, h, body := get(t, srv, path)
		if status != http.StatusServiceUnavailable {
			t.Errorf("%s: %d, want 503\n%s", path, status, body)
			continue
		}
		if !strings.Contains(body, "ClickHouse is unavailable") || h.Get("Retry-After") == "" {
			t.Errorf("%s: the 503 page does not say ClickHouse is unavailable, or has no Retry-After", path)
		}
		if strings.Contains(body, "data-chart") {
			t.Errorf("%s: a chart on an error page", path)
		}
	}
	status, _, body := get(t, srv, "/health")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "unavailable") {
		t.Errorf("/health: %d, want 503 saying ClickHouse is unavailable\n%s", status, body)
	}
	// Bad parameters are still a 400: they are checked before anything is asked of ClickHouse.
	if status, _, _ := get(t, srv, "/series?country=kz"); status != http.StatusBadRequest {
		t.Errorf("bad parameter with ClickHouse down: %d, want 400", status)
	}
}

func TestDashboardHealthFromConsumerMetrics(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t)
	store := testenv.OpenStore(t, dsn)
	reg := prometheus.NewRegistry()
	m := ingest.NewMetrics(reg)
	m.Lag.WithLabelValues("econ.fuel_prices", "0").Set(5)
	m.Lag.WithLabelValues("econ.fuel_prices", "1").Set(7)
	m.Written.WithLabelValues("fuel_prices").Add(1234)
	m.Written.WithLabelValues("fx_rates").Add(10)
	m.Consumed.Add(1300)
	m.Rejected.WithLabelValues("bad_decimal").Add(3)
	m.BatchSeconds.Observe(0.25)
	m.BatchSeconds.Observe(0.75)
	var notReady atomic.Bool
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if notReady.Load() {
			http.Error(w, "not ready: ClickHouse does not answer", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	consumer := httptest.NewServer(mux)
	defer consumer.Close()
	d, err := dashboard.New(dashboard.Options{Conn: store.Conn(), Database: store.Database(), MetricsURL: consumer.URL + "/metrics", Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()

	status, _, body := get(t, srv, "/health")
	if status != http.StatusOK {
		t.Fatalf("/health: %d\n%s", status, body)
	}
	for _, w := range []string{"12 messages", ">ready<", "1234", "1300", "2, 0.500 s each on average", "measuring"} {
		if !strings.Contains(body, w) {
			t.Errorf("/health lacks %q", w)
		}
	}
	head, recs := getCSV(t, srv, "/health?format=csv&table=lag")
	sameRows(t, "lag", columns(t, head, recs, "topic", "partition", "lag"), [][]string{{"econ.fuel_prices", "0", "5"}, {"econ.fuel_prices", "1", "7"}})

	notReady.Store(true)
	status, _, body = get(t, srv, "/health")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "not ready: ClickHouse does not answer") {
		t.Errorf("/health with the consumer not ready: %d, want 503 with its reason\n%s", status, body)
	}
	consumer.Close()
	status, _, body = get(t, srv, "/health")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "does not answer") {
		t.Errorf("/health with the consumer gone: %d, want 503\n%s", status, body)
	}
}
