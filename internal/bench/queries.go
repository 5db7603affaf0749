package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/transform"
)

// The query benchmark (RunQueries) loads generated fuel prices, wages and rates into a fresh
// database migrated with econflow's own migrations, through the consumer's processing and the
// store's insert path, then times a fixed set of economists' and dashboards' questions asked of
// the views against the same answers read from the *_data tables by their primary key, in the
// same run, and checks that both give the same rows.

// ErrViewDiffers is returned (wrapped) by RunQueries when a view and its direct read answered
// different rows. The QueryResult is still returned.
var ErrViewDiffers = errors.New("a view answered other rows than the direct read")

// QueryOptions configure RunQueries. The zero value of a field means its default.
type QueryOptions struct {
	// Rows is the number of fuel price rows to load (every vintage and re-delivery counts);
	// default 10,000,000. Wages and rates come on top.
	Rows int
	// Seed determines the data; 0 is a valid seed.
	Seed uint64
	// Runs is how many times each query is timed after a first, untimed run whose answers are
	// compared; default 5. A query stops early once its timed runs took Budget.
	Runs int
	// Budget bounds the time spent timing one question (the view and the direct read together,
	// after the first run); at least one timed run is made. A view whose first run alone took
	// Budget is not run again: its first run is timed. Default 60s.
	Budget time.Duration
	// BatchRows is the rows per insert while loading; default 200,000.
	BatchRows int
	// ClickHouse is a DSN naming the server (and credentials); the database in its path is
	// replaced by the run's own econ_qbench_<unix nanoseconds>. Default clickhouse.DefaultDSN.
	ClickHouse string
	// HTTP is the URL of the same server's HTTP interface, which the queries go through (it
	// reports the rows each query read). Default http://<the DSN's host>:8123/.
	HTTP string
	// FX is the conversion configuration of the load; default transform.DefaultFXConfig().
	FX *transform.FXConfig
	// Keep leaves the database in place.
	Keep bool
	// Progress receives one line per step; default io.Discard.
	Progress io.Writer
	// Logger receives the store's logs; default slog.Default().
	Logger *slog.Logger
}

func (o *QueryOptions) defaults() error {
	if o.Rows <= 0 {
		o.Rows = 10_000_000
	}
	if o.Runs <= 0 {
		o.Runs = 5
	}
	if o.Budget <= 0 {
		o.Budget = 60 * time.Second
	}
	if o.BatchRows <= 0 {
		o.BatchRows = 200_000
	}
	if o.ClickHouse == "" {
		o.ClickHouse = clickhouse.DefaultDSN
	}
	if o.HTTP == "" {
		u, err := url.Parse(o.ClickHouse)
		if err != nil {
			return fmt.Errorf("clickhouse DSN: %w", err)
		}
		o.HTTP = "http://" + u.Hostname() + ":8123/"
	}
	if o.FX == nil {
		fx := transform.DefaultFXConfig()
		o.FX = &fx
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// QueryResult is what RunQueries measured.
type QueryResult struct {
	Seed          uint64 `json:"seed"`
	Database      string `json:"database"`
	ServerVersion string `json:"clickhouse_version"`
	CPUs          int    `json:"cpus"`
	// ViewSettings are the query settings the view queries ran with ("" : the server's
	// defaults); SettingsNote says why.
	ViewSettings string `json:"view_settings"`
	SettingsNote string `json:"settings_note"`

	// The data loaded, in publishers' order.
	FuelRows          int `json:"fuel_rows"`         // rows written to fuel_prices_data
	Observations      int `json:"fuel_observations"` // distinct observations (what the latest view holds)
	Vintages          int `json:"fuel_vintages"`     // distinct vintages (what the history view holds)
	Series            int `json:"fuel_series"`
	RegionsPerCountry int `json:"regions_per_country"`
	Days              int `json:"days"`
	WageRows          int `json:"wage_rows"`
	RateRows          int `json:"rate_rows"`
	// LoadSeconds is from the first message generated to the last insert answered: generating,
	// processing as the consumer does and inserting with the store; LoadRate counts the rows of
	// every kind.
	LoadSeconds float64 `json:"load_seconds"`
	LoadRate    float64 `json:"load_rows_per_sec"`
	// MergeWaitSeconds is how long the run then waited for ClickHouse's background merges to
	// end, so that they do not run during the timings; Parts the active parts of each table
	// after it.
	MergeWaitSeconds float64        `json:"merge_wait_seconds"`
	Parts            map[string]int `json:"active_parts"`

	Target  QueryTarget   `json:"target"`
	Queries []QueryTiming `json:"queries"`
	// Same is true when every view answered the rows of its direct read.
	Same bool `json:"same_rows"`
	// Passed counts the queries within the target.
	Passed       int     `json:"passed"`
	TotalSeconds float64 `json:"total_seconds"`
}

// QueryTiming is one question's measurements. Times are medians over the timed runs, in
// milliseconds of wall-clock time as the HTTP client saw them (request to the last byte of the
// answer); the server's own elapsed time is given beside.
type QueryTiming struct {
	Name      string `json:"name"`
	Shape     string `json:"shape"`
	View      string `json:"view"`
	ViewSQL   string `json:"view_sql"`
	DirectSQL string `json:"direct_sql"`
	Runs      int    `json:"runs"`

	ViewMs         float64 `json:"view_ms"`
	DirectMs       float64 `json:"direct_ms"`
	ViewServerMs   float64 `json:"view_server_ms"`
	DirectServerMs float64 `json:"direct_server_ms"`
	// Ratio is ViewMs / DirectMs.
	Ratio float64 `json:"ratio"`
	// Rows is the number of rows answered; RowsRead and BytesRead what the server read for
	// them (the statistics of the HTTP interface's JSON answer).
	Rows            int    `json:"rows"`
	ViewRowsRead    uint64 `json:"view_rows_read"`
	DirectRowsRead  uint64 `json:"direct_rows_read"`
	ViewBytesRead   uint64 `json:"view_bytes_read"`
	DirectBytesRead uint64 `json:"direct_bytes_read"`
	// TargetMs is max(3 × DirectMs, DirectMs + 100): Pass is ViewMs ≤ TargetMs.
	TargetMs float64 `json:"target_ms"`
	Pass     bool    `json:"pass"`
	// Same is true when the view's rows are the direct read's; Difference says otherwise.
	Same       bool   `json:"same_rows"`
	Difference string `json:"difference,omitempty"`
	// Error is set when ClickHouse did not answer the view or the direct read; nothing else is
	// then measured.
	Error string `json:"error,omitempty"`
}

// queryTargetMs is the target of a view query whose direct read took direct ms: at most three
// times as long, or 100 ms longer, whichever is more.
func queryTargetMs(direct float64) float64 { return math.Max(3*direct, direct+100) }

type queryRun struct {
	o     QueryOptions
	db    string
	store *clickhouse.Store
	http  *httpQuerier
	gen   *queryGen
	res   *QueryResult
	start time.Time
}

func (q *queryRun) progress(format string, args ...any) {
	fmt.Fprintf(q.o.Progress, "bench queries [%6.1fs] %s\n", time.Since(q.start).Seconds(), fmt.Sprintf(format, args...))
}

// RunQueries performs the query benchmark. When a view answers other rows than its direct read
// it returns the result and an error wrapping ErrViewDiffers; on any other error the result may
// be nil.
func RunQueries(ctx context.Context, o QueryOptions) (*QueryResult, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	q := &queryRun{o: o, start: time.Now(), gen: newQueryGen(o.Rows, o.Seed)}
	q.db = "econ_qbench_" + strconv.FormatInt(time.Now().UnixNano(), 10)
	q.res = &QueryResult{Seed: o.Seed, Database: q.db, CPUs: runtime.NumCPU(), Parts: map[string]int{}}
	u, err := url.Parse(o.ClickHouse)
	if err != nil {
		return nil, fmt.Errorf("clickhouse DSN: %w", err)
	}
	q.http, err = newHTTPQuerier(o.HTTP, u.User)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + q.db
	q.store, err = clickhouse.Open(ctx, clickhouse.Options{DSN: u.String(), Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	defer q.store.Close()
	if err := q.store.Conn().QueryRow(ctx, "SELECT version()").Scan(&q.res.ServerVersion); err != nil {
		return nil, fmt.Errorf("server version: %w", err)
	}
	q.viewSettings()
	defer q.cleanup()
	q.progress("migrating database %s (ClickHouse %s)", q.db, q.res.ServerVersion)
	if err := q.store.Migrate(ctx); err != nil {
		return nil, err
	}
	q.progress("load: %d fuel rows of %d series (%d regions in each of %d countries, %d products) with wages and rates, day by day, in inserts of %d rows",
		o.Rows, q.gen.series, q.gen.regions, len(queryCountries), len(queryProducts), o.BatchRows)
	if err := q.load(ctx); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := q.waitForMerges(ctx); err != nil {
		return nil, err
	}
	q.res.Target = q.target()
	differs, failed := 0, 0
	for _, spec := range querySpecs(q.db, q.res.Target) {
		t, err := q.time(ctx, spec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.Name, err)
		}
		switch {
		case t.Error != "":
			failed++
		case !t.Same:
			differs++
		}
		if t.Pass {
			q.res.Passed++
		}
		q.res.Queries = append(q.res.Queries, t)
	}
	q.res.Same = differs == 0 && failed == 0
	q.res.TotalSeconds = time.Since(q.start).Seconds()
	var errs []error
	if differs > 0 {
		errs = append(errs, fmt.Errorf("%w: %d of %d questions", ErrViewDiffers, differs, len(q.res.Queries)))
	}
	if failed > 0 {
		errs = append(errs, fmt.Errorf("ClickHouse did not answer %d of %d questions", failed, len(q.res.Queries)))
	}
	return q.res, errors.Join(errs...)
}

// viewSettings decides the settings of the view queries: on ClickHouse 18.16 the views need
// enable_optimize_predicate_expression=1 to take a filter down into their subqueries (off by
// default there); current releases have it on by default.
func (q *queryRun) viewSettings() {
	if strings.HasPrefix(q.res.ServerVersion, "18.") {
		q.res.ViewSettings = "enable_optimize_predicate_expression=1"
		q.res.SettingsNote = "view queries ran with enable_optimize_predicate_expression=1 (off by default on ClickHouse " +
			q.res.ServerVersion + "; views that take filters down into their subqueries need it there); direct reads with the server's defaults"
		return
	}
	q.res.SettingsNote = "view queries and direct reads ran with the server's default settings (ClickHouse " + q.res.ServerVersion +
		": enable_optimize_predicate_expression is on by default)"
}

// waitForMerges waits until no merge of the run's database is running (two polls in a row, a
// second apart, at most 10 minutes), then records the active parts of each table.
func (q *queryRun) waitForMerges(ctx context.Context) error {
	t0 := time.Now()
	q.progress("waiting for ClickHouse's background merges to end")
	idle := 0
	for idle < 2 && time.Since(t0) < 10*time.Minute {
		var n uint64
		if err := q.store.Conn().QueryRow(ctx, "SELECT count() FROM system.merges WHERE database = '"+q.db+"'").Scan(&n); err != nil {
			return fmt.Errorf("merges: %w", err)
		}
		if n == 0 {
			idle++
		} else {
			idle = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	q.res.MergeWaitSeconds = time.Since(t0).Seconds()
	rows, err := q.store.Conn().Query(ctx, "SELECT table, count() FROM system.parts WHERE database = '"+q.db+"' AND active AND table LIKE '%_data' GROUP BY table")
	if err != nil {
		return fmt.Errorf("parts: %w", err)
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var table string
		var n uint64
		if err := rows.Scan(&table, &n); err != nil {
			return err
		}
		q.res.Parts[table] = int(n)
		parts = append(parts, fmt.Sprintf("%s %d", table, n))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.Sort(parts)
	q.progress("merges done after %.1fs; active parts: %s", q.res.MergeWaitSeconds, strings.Join(parts, ", "))
	return q.checkLoaded(ctx)
}

// checkLoaded checks that the tables hold what was generated: every wage and rate, and every
// fuel vintage (re-deliveries merged away or not yet).
func (q *queryRun) checkLoaded(ctx context.Context) error {
	res := q.res
	for _, c := range []struct {
		table    string
		min, max int
	}{
		{"fuel_prices_data", res.Vintages, res.FuelRows},
		{"wages_data", res.WageRows, res.WageRows},
		{"fx_rates_data", res.RateRows, res.RateRows},
	} {
		var n uint64
		if err := q.store.Conn().QueryRow(ctx, "SELECT count() FROM "+q.db+"."+c.table).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", c.table, err)
		}
		if n < uint64(c.min) || n > uint64(c.max) {
			return fmt.Errorf("load: %s holds %d rows, want %d to %d", c.table, n, c.min, c.max)
		}
	}
	return nil
}

// target picks what the questions ask about: the sixth country (PL, a non-EUR currency, so
// conversions and a rate pair are involved), its first region (which has a regional wage),
// diesel; a year (or less, in small data) in the middle of the series; and an observation with
// three vintages (else two) in the middle of the series.
func (q *queryRun) target() QueryTarget {
	g := q.gen
	ci := 5
	c := queryCountries[ci]
	s := ci * g.regions * len(queryProducts) // the country's first region, first product (diesel)
	days := g.days()
	from := days / 2
	span := max(1, min(365, days/4))
	t := QueryTarget{Country: c.code, Region: regionCode(c.code, 0), Product: queryProducts[0], Currency: c.currency,
		From: day(from).Format(time.DateOnly), To: day(from + span - 1).Format(time.DateOnly)}
	// An observation whose later vintages were all published: revise3Days before the last day.
	best, bestV := days/2, 0
	for d := days / 4; d < days-revise3Days-1; d++ {
		if v := g.vintages(s, d); v > bestV {
			best, bestV = d, v
			if v == 3 {
				break
			}
		}
	}
	t.Observation = day(best).Format(time.DateOnly)
	return t
}

// time asks spec once and compares the answers, then times it up to Runs times more, the view
// and the direct read alternately, for at most Budget (at least once). A view whose first
// answer alone took Budget is not asked again: that first run, with its direct read's, is its
// one timed run.
func (q *queryRun) time(ctx context.Context, spec querySpec) (QueryTiming, error) {
	t := QueryTiming{Name: spec.Name, Shape: spec.Shape, View: spec.View, ViewSQL: spec.ViewSQL, DirectSQL: spec.DirectSQL}
	view, vs, err := q.http.query(ctx, spec.ViewSQL, q.res.ViewSettings)
	if err != nil {
		return q.failed(t, fmt.Errorf("view: %w", err))
	}
	direct, ds, err := q.http.query(ctx, spec.DirectSQL, "")
	if err != nil {
		return q.failed(t, fmt.Errorf("direct read: %w", err))
	}
	t.Rows = len(view.Rows)
	if err := compareAnswers(view, direct, spec.Approx); err != nil {
		t.Difference = err.Error()
		q.progress("%s: THE VIEW %s ANSWERED OTHER ROWS THAN THE DIRECT READ: %v", spec.Name, spec.View, err)
	} else {
		t.Same = true
	}
	var viewMs, directMs, viewServer, directServer []float64
	record := func(vs, ds queryStats) {
		viewMs, directMs = append(viewMs, ms(vs.wall)), append(directMs, ms(ds.wall))
		viewServer, directServer = append(viewServer, vs.Elapsed*1000), append(directServer, ds.Elapsed*1000)
		t.ViewRowsRead, t.ViewBytesRead, t.DirectRowsRead, t.DirectBytesRead = vs.RowsRead, vs.BytesRead, ds.RowsRead, ds.BytesRead
	}
	if vs.wall >= q.o.Budget {
		record(vs, ds)
	}
	t0 := time.Now()
	for len(viewMs) < q.o.Runs && (len(viewMs) == 0 || time.Since(t0) < q.o.Budget) {
		v, vs, err := q.http.query(ctx, spec.ViewSQL, q.res.ViewSettings)
		if err != nil {
			return q.failed(t, fmt.Errorf("view: %w", err))
		}
		d, ds, err := q.http.query(ctx, spec.DirectSQL, "")
		if err != nil {
			return q.failed(t, fmt.Errorf("direct read: %w", err))
		}
		if len(v.Rows) != t.Rows || len(d.Rows) != len(direct.Rows) {
			return t, fmt.Errorf("answers changed between runs: view %d then %d rows, direct read %d then %d", t.Rows, len(v.Rows), len(direct.Rows), len(d.Rows))
		}
		record(vs, ds)
	}
	t.Runs = len(viewMs)
	t.ViewMs, _, _ = medianMinMax(viewMs)
	t.DirectMs, _, _ = medianMinMax(directMs)
	t.ViewServerMs, _, _ = medianMinMax(viewServer)
	t.DirectServerMs, _, _ = medianMinMax(directServer)
	if t.DirectMs > 0 {
		t.Ratio = t.ViewMs / t.DirectMs
	}
	t.TargetMs = queryTargetMs(t.DirectMs)
	t.Pass = t.ViewMs <= t.TargetMs
	q.progress("%s (%s): view %.1f ms, direct %.1f ms (×%.1f), %d rows; rows read %d vs %d; %s; same rows: %v",
		spec.Name, spec.View, t.ViewMs, t.DirectMs, t.Ratio, t.Rows, t.ViewRowsRead, t.DirectRowsRead, passFail(t.Pass), t.Same)
	return t, nil
}

// failed records a question that ClickHouse did not answer (e.g. a view that exceeds the
// server's memory limit): the run goes on with the next question and fails at its end, unless
// the run was cancelled.
func (q *queryRun) failed(t QueryTiming, err error) (QueryTiming, error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return t, err
	}
	t.Error = err.Error()
	q.progress("%s: FAILED: %v", t.Name, err)
	return t, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (q *queryRun) cleanup() {
	if q.o.Keep {
		q.progress("kept database %s", q.db)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := q.store.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+q.db); err != nil {
		q.progress("could not drop database %s: %v", q.db, err)
		return
	}
	q.progress("dropped database %s", q.db)
}

// httpQuerier asks ClickHouse's HTTP interface, whose JSON answers carry the rows and bytes
// each query read.
type httpQuerier struct {
	url            string
	user, password string
	client         *http.Client
}

func newHTTPQuerier(base string, user *url.Userinfo) (*httpQuerier, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("clickhouse HTTP URL %q: want http://host:port/", base)
	}
	h := &httpQuerier{url: u.String(), client: &http.Client{Timeout: 30 * time.Minute}}
	if user != nil {
		h.user = user.Username()
		h.password, _ = user.Password()
	}
	return h, nil
}

// queryStats are the statistics of one answer.
type queryStats struct {
	wall      time.Duration // request sent → answer read
	Elapsed   float64       `json:"elapsed"` // seconds, the server's
	RowsRead  uint64        `json:"rows_read"`
	BytesRead uint64        `json:"bytes_read"`
}

// query runs sql with the given settings (name=value&…, "" for none) and returns its answer and
// statistics.
func (h *httpQuerier) query(ctx context.Context, sql, settings string) (*answer, queryStats, error) {
	var st queryStats
	u := h.url
	if settings != "" {
		if strings.Contains(u, "?") {
			u += "&" + settings
		} else {
			u += "?" + settings
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(sql+"\nFORMAT JSONCompact"))
	if err != nil {
		return nil, st, err
	}
	if h.user != "" {
		req.Header.Set("X-ClickHouse-User", h.user)
		req.Header.Set("X-ClickHouse-Key", h.password)
	}
	t0 := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, st, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	st.wall = time.Since(t0)
	if err != nil {
		return nil, st, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, st, fmt.Errorf("clickhouse HTTP %d: %s\n%s", resp.StatusCode, strings.TrimSpace(string(body)), sql)
	}
	var raw struct {
		Meta []struct {
			Name string `json:"name"`
		} `json:"meta"`
		Data       [][]any    `json:"data"`
		Statistics queryStats `json:"statistics"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, st, fmt.Errorf("answer: %w", err)
	}
	a := &answer{Rows: make([][]cell, len(raw.Data))}
	for _, m := range raw.Meta {
		a.Columns = append(a.Columns, m.Name)
	}
	for i, row := range raw.Data {
		a.Rows[i] = make([]cell, len(row))
		for j, v := range row {
			switch v := v.(type) {
			case nil:
				a.Rows[i][j] = cell{null: true}
			case string:
				a.Rows[i][j] = cell{text: v}
			case json.Number:
				a.Rows[i][j] = cell{text: v.String()}
			default:
				return nil, st, fmt.Errorf("answer: column %s holds %T", a.Columns[j], v)
			}
		}
	}
	raw.Statistics.wall = st.wall
	return a, raw.Statistics, nil
}

// WriteTable writes one line per question: the view's and the direct read's median times, their
// ratio, the rows answered and read, and the verdict against the target.
func (r *QueryResult) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "query\tview\tview ms\tdirect ms\tratio\trows\tview rows read\tdirect rows read\ttarget ms\tverdict\tsame rows\t\n")
	for _, t := range r.Queries {
		if t.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\tfailed\t\t\t\t\t\t\tFAIL\t?\t\n", t.Name, t.View)
			continue
		}
		same := "yes"
		if !t.Same {
			same = "NO"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.1f\t%d\t%d\t%d\t%.0f\t%s\t%s\t\n", t.Name, t.View, t.ViewMs, t.DirectMs, t.Ratio,
			t.Rows, t.ViewRowsRead, t.DirectRowsRead, t.TargetMs, passFail(t.Pass), same)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d of %d views within the target view ms ≤ max(3 × direct ms, direct ms + 100); medians of up to %d runs each.\n"+
		"Data: %d fuel price rows (%d observations of %d series over %d days, %d vintages), %d wages, %d rates, seed %d, in publishers' order;\n"+
		"loaded through the consumer's processing and the store's inserts in %.1fs (%.0f rows/s), then %.1fs of merges; ClickHouse %s, %d CPUs.\n"+
		"Asked of %s, %s diesel (%s).\n%s.\n",
		r.Passed, len(r.Queries), maxRuns(r.Queries), r.FuelRows, r.Observations, r.Series, r.Days, r.Vintages, r.WageRows, r.RateRows, r.Seed,
		r.LoadSeconds, r.LoadRate, r.MergeWaitSeconds, r.ServerVersion, r.CPUs, r.Target.Country, r.Target.Region, r.Target.Currency, r.SettingsNote)
	if err != nil {
		return err
	}
	for _, t := range r.Queries {
		if t.Error != "" {
			if _, err := fmt.Fprintf(w, "\n%s failed: %s\n", t.Name, t.Error); err != nil {
				return err
			}
		} else if !t.Same {
			if _, err := fmt.Fprintf(w, "\n%s: the view answered other rows than the direct read: %s\n", t.Name, t.Difference); err != nil {
				return err
			}
		}
	}
	return nil
}

func maxRuns(ts []QueryTiming) int {
	n := 0
	for _, t := range ts {
		n = max(n, t.Runs)
	}
	return n
}

// WriteJSON writes the result as indented JSON.
func (r *QueryResult) WriteJSON(w io.Writer) error { return writeJSON(w, r) }
