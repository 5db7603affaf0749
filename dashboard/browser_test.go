package dashboard_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/econflow/econflow/dashboard"
	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/internal/testenv"
)

// screenshots, when set, is the directory where TestDashboardInBrowser writes a PNG of each page:
//
//	go test ./dashboard/ -run TestDashboardInBrowser -screenshots "$PWD/docs/screenshots"
var screenshots = flag.String("screenshots", "", "directory to write a full-page PNG of each dashboard page into (e.g. $PWD/docs/screenshots)")

// chromiumPath finds a Chromium for the browser test: $ECONFLOW_CHROMIUM, else Debian's chromium
// or chromium-headless-shell (deploy/chromium.sh installs it). None skips the test, or fails it
// where services are required (CI=true, ECONFLOW_REQUIRE_SERVICES=1).
func chromiumPath(t *testing.T) string {
	t.Helper()
	names := []string{"chromium", "chromium-headless-shell", "headless_shell", "chromium-browser", "google-chrome"}
	if p := os.Getenv("ECONFLOW_CHROMIUM"); p != "" {
		names = []string{p}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium found (install it with `bash deploy/chromium.sh install`, or set ECONFLOW_CHROMIUM)"
	if testenv.RequireServices() {
		t.Fatalf("required for the browser test (CI=true or ECONFLOW_REQUIRE_SERVICES=1): %s", msg)
	}
	t.Skip(msg)
	return ""
}

// browser starts a headless Chromium for the test and returns a context to drive it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // runs as root in CI containers, where the sandbox cannot start
		chromedp.WindowSize(1400, 1000),
		chromedp.Flag("force-device-scale-factor", "1"),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string]("navigator.userAgent")); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// visit loads a page, waits until every chart on it has drawn (or failed), and returns the
// HTTP status.
func visit(t *testing.T, ctx context.Context, u string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === "complete" && `+
		`document.querySelectorAll("[data-chart]").length === document.querySelectorAll("[data-drawn], [data-error]").length`,
		chromedp.WithPollingTimeout(45*time.Second))); err != nil {
		t.Fatalf("%s: the charts did not draw: %v", u, err)
	}
	if errs := eval[[]string](t, ctx, `[...document.querySelectorAll("[data-error]")].map(e => e.getAttribute("data-error"))`); len(errs) > 0 {
		t.Fatalf("%s: a chart failed: %v", u, errs)
	}
	return resp.Status
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// drawn is what a chart's canvas shows: how many pixels are painted at all, and how many are
// close to each series' colour.
type drawn struct {
	Painted int            `json:"painted"`
	Points  int            `json:"points"`
	DrawMs  int            `json:"drawMs"`
	Series  map[string]int `json:"series"` // label → pixels of its colour
	Labels  []string       `json:"labels"` // series with at least one value
}

// chartPixels reads the pixels of chart id's canvas back from the page.
func chartPixels(t *testing.T, ctx context.Context, id string) drawn {
	t.Helper()
	js := `(() => {
		const box = document.getElementById(` + strconv.Quote("chart-"+id) + `);
		if (!box) return null;
		const spec = JSON.parse(box.getAttribute("data-chart"));
		const canvas = box.querySelector("canvas");
		const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
		const rgb = spec.series.map(s => [1, 3, 5].map(i => parseInt(s.color.slice(i, i + 2), 16)));
		const series = {};
		spec.series.forEach(s => { series[s.label] = 0; });
		let painted = 0;
		for (let i = 0; i < data.length; i += 4) {
			if (data[i + 3] < 128) continue;
			painted++;
			rgb.forEach((c, k) => {
				if (Math.abs(data[i] - c[0]) < 24 && Math.abs(data[i + 1] - c[1]) < 24 && Math.abs(data[i + 2] - c[2]) < 24) series[spec.series[k].label]++;
			});
		}
		const labels = spec.series.filter(s => s.values.some(v => v !== null)).map(s => s.label);
		return {painted, series, labels, points: +box.getAttribute("data-drawn"), drawMs: +box.getAttribute("data-draw-ms")};
	})()`
	d := eval[*drawn](t, ctx, js)
	if d == nil {
		t.Fatalf("no chart %q on the page", id)
	}
	return *d
}

// assertDrew checks that every series with values left pixels of its colour on the canvas.
func assertDrew(t *testing.T, ctx context.Context, id string) drawn {
	t.Helper()
	d := chartPixels(t, ctx, id)
	if d.Painted < 1000 {
		t.Errorf("chart %s: only %d painted pixels: blank", id, d.Painted)
	}
	for _, l := range d.Labels {
		if d.Series[l] < 10 {
			t.Errorf("chart %s: series %q has %d pixels of its colour: not drawn", id, l, d.Series[l])
		}
	}
	return d
}

// domCell is one table cell as the browser shows it.
type domCell struct {
	Text  string  `json:"text"`
	Title *string `json:"title"`
}

type domTable struct {
	Cols []string    `json:"cols"`
	Rows [][]domCell `json:"rows"`
}

func readTable(t *testing.T, ctx context.Context, id string) domTable {
	t.Helper()
	js := `(() => {
		const t = document.querySelector('table[data-table=` + strconv.Quote(id) + `]');
		if (!t) return null;
		return {
			cols: [...t.querySelectorAll("thead th")].map(th => th.getAttribute("data-col")),
			rows: [...t.querySelectorAll("tbody tr")].map(tr => [...tr.children].map(td => ({text: td.innerText.trim(), title: td.getAttribute("title")}))),
		};
	})()`
	d := eval[*domTable](t, ctx, js)
	if d == nil {
		t.Fatalf("no table %q on the page", id)
	}
	return *d
}

// column returns a column of a DOM table.
func (d domTable) column(t *testing.T, name string) []domCell {
	t.Helper()
	for i, c := range d.Cols {
		if c == name {
			out := make([]domCell, len(d.Rows))
			for r, row := range d.Rows {
				out[r] = row[i]
			}
			return out
		}
	}
	t.Fatalf("table has no column %q: %v", name, d.Cols)
	return nil
}

// sameNumbers checks a column of decimals as a person sees it against ClickHouse's values: the
// exact value on hover (title), and the shown value that value rounded. An empty want is a NULL,
// which shows as a word (pending, —) without a title.
func sameNumbers(t *testing.T, what string, got []domCell, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: ClickHouse returned no rows", what)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: the page shows %d rows, ClickHouse has %d", what, len(got), len(want))
	}
	for i := range want {
		if want[i] == "" {
			if got[i].Title != nil {
				t.Errorf("%s row %d: shows %q (title %q) for a NULL", what, i, got[i].Text, *got[i].Title)
			}
			continue
		}
		if got[i].Title == nil || *got[i].Title != want[i] {
			t.Errorf("%s row %d: exact value %v, ClickHouse has %s", what, i, got[i].Title, want[i])
		}
		if !closeTo(got[i].Text, want[i]) {
			t.Errorf("%s row %d: shows %q, which is not %s rounded", what, i, got[i].Text, want[i])
		}
	}
}

func TestDashboardInBrowser(t *testing.T) {
	ctx := browser(t)
	f := newFixture(t)
	base := f.srv.URL

	t.Run("overview", func(t *testing.T) {
		if s := visit(t, ctx, base+"/"); s != 200 {
			t.Fatalf("status %d", s)
		}
		tab := readTable(t, ctx, "countries")
		want := f.rows(t, "SELECT country, toString(count()) FROM econ.fuel_prices_data GROUP BY country ORDER BY country")
		got := tab.column(t, "country")
		rows := tab.column(t, "fuel_price_rows")
		if len(got) != len(want) {
			t.Fatalf("%d countries shown, ClickHouse has %d", len(got), len(want))
		}
		for i := range want {
			if got[i].Text != want[i][0] || strings.ReplaceAll(rows[i].Text, ",", "") != want[i][1] {
				t.Errorf("row %d: %s %s, ClickHouse has %v", i, got[i].Text, rows[i].Text, want[i])
			}
		}
		screenshot(t, ctx, "overview")
	})

	t.Run("series: the Mangystau jump and cap, in tenge and euros", func(t *testing.T) {
		if s := visit(t, ctx, base+mangystau); s != 200 {
			t.Fatalf("status %d", s)
		}
		d := assertDrew(t, ctx, "price")
		if d.Points != 12 {
			t.Errorf("chart has %d dates, want the 12 of the sample", d.Points)
		}
		tab := readTable(t, ctx, "observations")
		want := f.rows(t, "SELECT toString(price), toString(price_eur), toString(fx_rate) FROM econ.fuel_prices "+
			"WHERE country = 'KZ' AND region = 'KZ-MAN' AND product = 'lpg' ORDER BY date DESC")
		sameNumbers(t, "KZT/litre", tab.column(t, "price"), col(want, 0))
		sameNumbers(t, "EUR/litre", tab.column(t, "price_eur"), col(want, 1))
		sameNumbers(t, "EUR per KZT", tab.column(t, "fx_rate"), col(want, 2))
		shown := map[string]string{}
		for i, c := range tab.column(t, "date") {
			shown[c.Text] = tab.column(t, "price")[i].Text
		}
		if shown["2021-12-31"] != "60.00" || shown["2022-01-01"] != "120.00" || shown["2022-01-06"] != "50.00" {
			t.Errorf("the page shows 60 → 120 → 50 as %s → %s → %s", shown["2021-12-31"], shown["2022-01-01"], shown["2022-01-06"])
		}
		screenshot(t, ctx, "series")
	})

	t.Run("a revision is marked and its history one click away", func(t *testing.T) {
		visit(t, ctx, base+almaty)
		d := assertDrew(t, ctx, "price")
		if d.Series["revised"] < 10 {
			t.Errorf("the revised value is not marked on the chart (%d pixels)", d.Series["revised"])
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		resp, err := chromedp.RunResponse(cctx, chromedp.Click(chromedp.CSS(`td.revised a`)))
		if err != nil {
			t.Fatalf("click the revised mark: %v", err)
		}
		if resp.Status != 200 || !strings.Contains(resp.URL, "/series/history?") {
			t.Fatalf("the click led to %s (%d)", resp.URL, resp.Status)
		}
		tab := readTable(t, ctx, "vintages")
		want := f.rows(t, "SELECT toString(price), toString(published_at) FROM econ.fuel_prices_history "+
			"WHERE country = 'KZ' AND region = 'KZ-ALA' AND product = 'lpg' AND date = toDate('2022-01-04') ORDER BY published_at")
		sameNumbers(t, "vintages", tab.column(t, "price"), col(want, 0))
		change := tab.column(t, "change")
		if len(change) != 2 || change[0].Text != "first" || !strings.HasPrefix(change[1].Text, "revised from 90.00") {
			t.Errorf("change column %v, want first, then revised from 90.00", change)
		}
		screenshot(t, ctx, "series-history")
	})

	t.Run("a pending conversion is marked", func(t *testing.T) {
		visit(t, ctx, base+"/series?country=GE&region=&product=diesel")
		d := chartPixels(t, ctx, "price")
		if d.Series["EUR pending"] < 10 {
			t.Errorf("the pending conversion is not marked on the chart (%d pixels)", d.Series["EUR pending"])
		}
		tab := readTable(t, ctx, "observations")
		if c := tab.column(t, "price_eur"); len(c) != 1 || c[0].Text != "pending" {
			t.Errorf("EUR column shows %v, want pending", c)
		}
	})

	t.Run("affordability: litres a minimum wage buys", func(t *testing.T) {
		visit(t, ctx, base+"/affordability?country=KZ")
		assertDrew(t, ctx, "litres")
		tab := readTable(t, ctx, "affordability")
		want := f.rows(t, "SELECT toString(monthly_wage), toString(avg_price_per_litre), toString(litres_per_monthly_wage) FROM econ.fuel_affordability "+
			"WHERE country = 'KZ' ORDER BY month, region, product, wage_measure, wage_basis")
		sameNumbers(t, "monthly wage", tab.column(t, "monthly_wage"), col(want, 0))
		sameNumbers(t, "average price", tab.column(t, "avg_price_per_litre"), col(want, 1))
		sameNumbers(t, "litres", tab.column(t, "litres_per_monthly_wage"), col(want, 2))
		screenshot(t, ctx, "affordability")
	})

	t.Run("fx: rates and conversion paths", func(t *testing.T) {
		visit(t, ctx, base+"/fx?base=EUR&quote=KZT&country=KZ")
		assertDrew(t, ctx, "rate")
		tab := readTable(t, ctx, "rates")
		want := f.rows(t, "SELECT toString(rate) FROM econ.fx_rates WHERE base = 'EUR' AND quote = 'KZT' ORDER BY source, rate_type, frequency, date")
		sameNumbers(t, "rates", tab.column(t, "rate"), col(want, 0))
		paths := readTable(t, ctx, "conversions").column(t, "fx_path")
		if len(paths) == 0 || !strings.Contains(paths[0].Text, "KZT>EUR@nationalbank.kz:") {
			t.Errorf("conversion paths %v", paths)
		}
		screenshot(t, ctx, "fx")
	})

	t.Run("wages", func(t *testing.T) {
		visit(t, ctx, base+"/wages?country=KZ")
		assertDrew(t, ctx, "monthly")
		assertDrew(t, ctx, "monthly-eur")
		tab := readTable(t, ctx, "wages")
		want := f.rows(t, "SELECT toString(amount), toString(amount_eur) FROM econ.wages WHERE country = 'KZ' "+
			"ORDER BY region, measure, basis, per, currency, source, frequency, date")
		sameNumbers(t, "amount", tab.column(t, "amount"), col(want, 0))
		sameNumbers(t, "amount EUR", tab.column(t, "amount_eur"), col(want, 1))
		screenshot(t, ctx, "wages")
	})

	t.Run("rejects", func(t *testing.T) {
		visit(t, ctx, base+"/rejects")
		tab := readTable(t, ctx, "rejects")
		want := f.rows(t, "SELECT error_code, kafka_topic, toString(kafka_partition), toString(kafka_offset) FROM econ.rejects ORDER BY received_at DESC")
		codes, offsets := tab.column(t, "error_code"), tab.column(t, "kafka_offset")
		if len(codes) != len(want) || codes[0].Text != want[0][0] || offsets[0].Text != want[0][3] {
			t.Errorf("rejects shown %v/%v, ClickHouse has %v", codes, offsets, want)
		}
		screenshot(t, ctx, "rejects")
	})

	t.Run("health", func(t *testing.T) {
		visit(t, ctx, base+"/health")
		txt := eval[string](t, ctx, `document.body.innerText`)
		if !strings.Contains(txt, "answers") {
			t.Errorf("health page does not say ClickHouse answers:\n%s", txt)
		}
	})

	t.Run("a 50-year daily series draws without freezing", func(t *testing.T) {
		start := time.Now()
		visit(t, ctx, base+"/series?country="+longCountry+"&region=&product="+longProduct)
		d := assertDrew(t, ctx, "price")
		if d.Points != len(longSeriesLines()) {
			t.Errorf("chart has %d dates, want %d", d.Points, len(longSeriesLines()))
		}
		// The page answers a script right after drawing: nothing is left running.
		if v := eval[int](t, ctx, `1 + 1`); v != 2 {
			t.Fatal("the page does not run scripts after drawing")
		}
		t.Logf("%d points: uPlot drew them in %d ms; page load to drawn chart %s", d.Points, d.DrawMs, time.Since(start).Round(time.Millisecond))
		screenshot(t, ctx, "series-50-years")
	})

	t.Run("a bad parameter: a 400 page that says what is valid", func(t *testing.T) {
		if s := visit(t, ctx, base+"/series?country=Kazakhstan"); s != 400 {
			t.Fatalf("status %d, want 400", s)
		}
		txt := eval[string](t, ctx, `document.body.innerText`)
		for _, w := range []string{"400", "country=Kazakhstan", "two upper-case letters", "Parameters of this page"} {
			if !strings.Contains(txt, w) {
				t.Errorf("the 400 page does not say %q:\n%s", w, txt)
			}
		}
		if n := eval[int](t, ctx, `document.querySelectorAll("canvas").length`); n != 0 {
			t.Errorf("%d charts on an error page", n)
		}
		screenshot(t, ctx, "error-400")
	})

	t.Run("ClickHouse down: a 503 page, never a blank chart", func(t *testing.T) {
		down := unreachableDashboard(t)
		if s := visit(t, ctx, down.URL+mangystau); s != 503 {
			t.Fatalf("status %d, want 503", s)
		}
		txt := eval[string](t, ctx, `document.body.innerText`)
		if !strings.Contains(txt, "ClickHouse is unavailable") {
			t.Errorf("the 503 page does not say so:\n%s", txt)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll("canvas, [data-chart]").length`); n != 0 {
			t.Errorf("%d charts on the 503 page", n)
		}
		screenshot(t, ctx, "error-503")
	})

	// Last, since it stores more records: the health page with a consumer running in-process, its
	// metrics served as `econflow consume --http` serves them.
	t.Run("health with a running consumer", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		metrics := ingest.NewMetrics(reg)
		brokers := testenv.EmbeddedBroker(t)
		topics := kafka.DefaultTopics()
		c := testenv.StartConsumer(t, testenv.ConsumerOptions{Brokers: brokers, DSN: f.dsn, Topics: topics, Group: testenv.NewGroup(t), Metrics: metrics})
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-c.Done():
				http.Error(w, "not ready: the consume loop ended", http.StatusServiceUnavailable)
			default:
				fmt.Fprintln(w, "ready")
			}
		})
		consumer := httptest.NewServer(mux)
		defer consumer.Close()
		d, err := dashboard.New(dashboard.Options{Conn: f.conn, Database: f.db, MetricsURL: consumer.URL + "/metrics", Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(d)
		defer srv.Close()
		visit(t, ctx, srv.URL+"/health") // the first reading: rates need a second one
		pub := testenv.NewPublisher(t, brokers, topics)
		var msgs []testenv.Msg
		for i := 0; i < 200; i++ {
			day := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)
			msgs = append(msgs, testenv.Msg{Kind: "fuel_price", Key: "AM", Value: fmt.Appendf(nil,
				`{"kind":"fuel_price","source":"econflow.test","country":"AM","product":"diesel","price":"1.%02d","currency":"EUR","unit":"litre","date":"%s"}`, i%100, day)})
		}
		pub.Publish(msgs...)
		testenv.WaitFor(t, time.Minute, func() (bool, string) {
			n := f.rows(t, "SELECT toString(count()) FROM econ.fuel_prices_data WHERE country = 'AM'")[0][0]
			return n == "200", n + " of 200 rows stored"
		})
		// Rates are measured between two readings at least a second apart.
		start := time.Now()
		testenv.WaitFor(t, 10*time.Second, func() (bool, string) { return time.Since(start) > 1100*time.Millisecond, "waiting a second" })
		visit(t, ctx, srv.URL+"/health")
		txt := eval[string](t, ctx, `document.body.innerText`)
		for _, w := range []string{"ready", "rows stored per second", "over the last", "fuel_prices"} {
			if !strings.Contains(txt, w) {
				t.Errorf("health page lacks %q:\n%s", w, txt)
			}
		}
		rows := readTable(t, ctx, "rows").column(t, "rows_total")
		if len(rows) == 0 || rows[0].Text != "200" {
			t.Errorf("rows stored since the consumer started: %v, want 200 fuel prices", rows)
		}
		screenshot(t, ctx, "health")
	})

	t.Run("assets are served from the binary", func(t *testing.T) {
		for _, p := range []string{"/assets/uplot/uPlot.iife.min.js", "/assets/uplot/uPlot.min.css", "/assets/dashboard.js", "/assets/dashboard.css", "/assets/uplot/LICENSE"} {
			status, _, body := get(t, f.srv, p)
			if status != 200 || len(body) == 0 {
				t.Errorf("%s: %d, %d bytes", p, status, len(body))
			}
		}
	})
}

func col(rows [][]string, i int) []string {
	out := make([]string, len(rows))
	for r, row := range rows {
		out[r] = row[i]
	}
	return out
}
