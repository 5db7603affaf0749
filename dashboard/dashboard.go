// Package dashboard serves econflow's web dashboard: HTML pages with charts and tables over the SQL
// surface of docs/contract.md §5 (econ.fuel_prices, econ.fuel_prices_history, econ.wages, econ.fx_rates,
// econ.fuel_affordability, econ.rejects, …), plus the consumer's health from its Prometheus
// endpoint.
//
// Every page has a stable URL whose query parameters say what it shows; every parameter is
// checked against the values it may take (a 400 page lists them) and reaches ClickHouse only as a
// bound argument. Decimals travel as ClickHouse prints them: exact in CSV downloads (format=csv),
// in the title attribute of a table cell and in the JSON handed to the charts, rounded only for
// display. The pages, styles, scripts and the vendored chart library (uPlot, see
// assets/uplot/README.md) are embedded: the dashboard works offline.
package dashboard

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed assets
var assetFiles embed.FS

//go:embed templates/*.html
var templateFiles embed.FS

// Options configure a Dashboard. Conn is required; the zero value of every other field means its
// default.
type Options struct {
	// Conn is the ClickHouse connection the pages query. It should belong to a read-only user
	// (docs/dashboard.md).
	Conn driver.Conn
	// Database is the econflow database. Default econ.
	Database string
	// Reporting is the reporting currency of the *_eur columns, for labels. Default EUR.
	Reporting string
	// MetricsURL is the consumer's Prometheus endpoint, e.g. http://127.0.0.1:9464/metrics; its
	// /readyz next to it gives readiness. Empty: /health says how to configure it.
	MetricsURL string
	// HTTPClient fetches MetricsURL. Default: a client with a 3s timeout.
	HTTPClient *http.Client
	// QueryTimeout bounds the queries of one page. Default 10s.
	QueryTimeout time.Duration
	// OverviewDetailRows is the number of stored rows up to which the overview counts a table's
	// series and finds each country's latest date. Counting distinct identities reads every
	// identity column of every row (about 1 s for 10M prices on two cores); above it, the
	// overview reads only the first key column (rows per country) and the date column. Default
	// 1,000,000.
	OverviewDetailRows int
	// Logger receives errors (once per failed request) and, at debug level, each request.
	// Default slog.Default().
	Logger *slog.Logger
}

// Dashboard is the dashboard's http.Handler.
type Dashboard struct {
	o      Options
	tmpl   *template.Template
	assets http.Handler
	pages  map[string]*pageDef
	health *healthState
}

var identifierRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// New returns the dashboard handler.
func New(o Options) (*Dashboard, error) {
	if o.Conn == nil {
		return nil, errors.New("dashboard: a ClickHouse connection is required")
	}
	if o.Database == "" {
		o.Database = "econ"
	}
	if !identifierRE.MatchString(o.Database) {
		return nil, fmt.Errorf("dashboard: database name %q: use letters, digits and underscores only", o.Database)
	}
	if o.Reporting == "" {
		o.Reporting = "EUR"
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 3 * time.Second}
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.OverviewDetailRows <= 0 {
		o.OverviewDetailRows = defaultDetailRows
	}
	if o.MetricsURL != "" {
		u, err := url.Parse(o.MetricsURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("dashboard: metrics URL %q: want http://host:port/metrics", o.MetricsURL)
		}
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{"show": showCell}).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: templates: %w", err)
	}
	sub, err := fs.Sub(assetFiles, "assets")
	if err != nil {
		return nil, err
	}
	d := &Dashboard{o: o, tmpl: tmpl, assets: http.StripPrefix("/assets/", http.FileServerFS(sub)), health: &healthState{}}
	d.pages = map[string]*pageDef{}
	for _, p := range d.pageDefs() {
		d.pages[p.path] = p
	}
	return d, nil
}

// pageDef is one page: its path, its parameters, the tables it may show and how to build it.
type pageDef struct {
	path   string
	title  string
	nav    string // label in the navigation bar; "" keeps it out
	spec   spec
	tables []string // IDs of the tables the page may show, the default CSV table first
	build  func(ctx context.Context, v values, p *page) error
}

// page is what a page's template renders.
type page struct {
	Title    string
	Intro    string
	Facts    []fact
	Notes    []string
	Charts   []*chart
	Tables   []*table
	Links    []navLink
	Form     []formField
	Nav      []navLink
	Database string
	Refresh  int // seconds; 0: no automatic reload
	// Status is the HTTP status of the page (200 unless the page itself reports a failure, as
	// /health does).
	Status int
}

type fact struct {
	Label, Value, Href string
	Class              string // warn, bad, good
}

type navLink struct {
	Label, Href string
	Current     bool
}

// formField is one input of a page's filter form.
type formField struct {
	Name, Label, Value string
	Options            []string // a select with these values (and "any") instead of a text input
	Placeholder        string
}

// ServeHTTP serves the pages, /assets/ and /healthz.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: the dashboard only reads", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/assets/"):
		h.Set("Cache-Control", "public, max-age=3600")
		d.assets.ServeHTTP(w, r)
		return
	case r.URL.Path == "/healthz":
		h.Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
		return
	}
	def, ok := d.pages[r.URL.Path]
	if !ok {
		d.renderError(w, http.StatusNotFound, "No such page", fmt.Sprintf("There is no page at %s.", r.URL.Path), nil, nil)
		return
	}
	status := d.servePage(w, r, def)
	d.o.Logger.Debug("request", "path", r.URL.Path, "query", r.URL.RawQuery, "status", status, "duration", time.Since(start))
}

func (d *Dashboard) servePage(w http.ResponseWriter, r *http.Request, def *pageDef) int {
	q := r.URL.Query()
	// An empty optional value means "any", as a filter form submits it; region="" is the
	// national series, so it stays.
	for name, vs := range q {
		if len(vs) == 1 && vs[0] == "" && name != "region" {
			q.Del(name)
		}
	}
	v, bad := def.spec.parse(q, def.tables)
	if len(bad) > 0 {
		d.renderError(w, http.StatusBadRequest, "Bad request", "This page does not accept these parameters.", bad, def)
		return http.StatusBadRequest
	}
	p := &page{Title: def.title, Database: d.o.Database, Status: http.StatusOK}
	ctx, cancel := context.WithTimeout(r.Context(), d.o.QueryTimeout)
	defer cancel()
	if err := def.build(ctx, v, p); err != nil {
		return d.renderFailure(w, r, err, def)
	}
	for _, t := range p.Tables {
		t.CSVURL = d.csvURL(def, q, t.ID)
	}
	if v["format"] == "csv" {
		return d.writeCSV(w, def, v, p)
	}
	p.Nav = d.nav(def)
	p.Form = formFor(def, q)
	var buf bytes.Buffer
	if err := d.tmpl.ExecuteTemplate(&buf, "page.html", p); err != nil {
		d.o.Logger.Error("render page", "path", def.path, "err", err)
		d.renderError(w, http.StatusInternalServerError, "Internal error", "The page could not be rendered.", nil, nil)
		return http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(p.Status)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
	return p.Status
}

// csvURL is the page's own URL plus format=csv, and table=ID unless it is the page's first table.
func (d *Dashboard) csvURL(def *pageDef, q url.Values, id string) string {
	c := url.Values{}
	for k, vs := range q {
		c[k] = append([]string(nil), vs...)
	}
	c.Set("format", "csv")
	c.Del("table")
	if len(def.tables) > 0 && id != def.tables[0] {
		c.Set("table", id)
	}
	return def.path + "?" + c.Encode()
}

func (d *Dashboard) writeCSV(w http.ResponseWriter, def *pageDef, v values, p *page) int {
	id := v["table"]
	if id == "" && len(def.tables) > 0 {
		id = def.tables[0]
	}
	var t *table
	var here []string
	for _, x := range p.Tables {
		here = append(here, x.ID)
		if x.ID == id {
			t = x
		}
	}
	if t == nil {
		bad := []badParam{{Name: "table", Value: id, Why: "is not on this page with these parameters; tables here: " + strings.Join(here, ", ")}}
		d.renderError(w, http.StatusBadRequest, "Bad request", "There is no such table to download.", bad, def)
		return http.StatusBadRequest
	}
	name := strings.Trim(strings.ReplaceAll(def.path, "/", "-"), "-")
	if name == "" {
		name = "overview"
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "econflow-"+name+"-"+t.ID+".csv"))
	if err := t.writeCSV(w); err != nil {
		d.o.Logger.Warn("write csv", "path", def.path, "err", err)
	}
	return http.StatusOK
}

func (d *Dashboard) nav(cur *pageDef) []navLink {
	var out []navLink
	for _, p := range d.pageDefs() {
		if p.nav == "" {
			continue
		}
		out = append(out, navLink{Label: p.nav, Href: p.path, Current: p.path == cur.path})
	}
	return out
}

// formFor is the page's filter form: its parameters but format and table, with their current values.
func formFor(def *pageDef, q url.Values) []formField {
	var out []formField
	for _, pr := range def.spec {
		if pr.name == "format" || pr.name == "table" {
			continue
		}
		f := formField{Name: pr.name, Label: pr.name, Value: q.Get(pr.name), Options: pr.enum, Placeholder: pr.example}
		out = append(out, f)
	}
	return out
}

// errorPage is what error.html renders.
type errorPage struct {
	Status   int
	Title    string
	Message  string
	Detail   string
	Bad      []badParam
	Params   []paramHelp
	Example  string
	Nav      []navLink
	Pages    []navLink
	Database string
	Refresh  int
}

type paramHelp struct {
	Name, Help, Accepted string
	Required             bool
}

// renderError writes an error page. With bad parameters it lists what the page accepts; a 404
// lists the pages.
func (d *Dashboard) renderError(w http.ResponseWriter, status int, title, msg string, bad []badParam, def *pageDef) {
	e := errorPage{Status: status, Title: title, Message: msg, Bad: bad, Database: d.o.Database}
	if def == nil {
		def = &pageDef{}
		for _, p := range d.pageDefs() {
			e.Pages = append(e.Pages, navLink{Label: p.title, Href: p.example()})
		}
	}
	if len(bad) > 0 {
		for _, pr := range def.spec {
			e.Params = append(e.Params, paramHelp{Name: pr.name, Help: pr.help, Accepted: pr.describe(def.tables), Required: pr.required})
		}
		e.Example = def.example()
	}
	e.Nav = d.nav(def)
	d.writeError(w, e)
}

func (d *Dashboard) writeError(w http.ResponseWriter, e errorPage) {
	var buf bytes.Buffer
	if err := d.tmpl.ExecuteTemplate(&buf, "error.html", e); err != nil {
		d.o.Logger.Error("render error page", "err", err)
		http.Error(w, e.Message, e.Status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "10")
	}
	w.WriteHeader(e.Status)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

// example is a URL of the page with an example value for each required parameter.
func (def *pageDef) example() string {
	q := url.Values{}
	for _, pr := range def.spec {
		if pr.required {
			ex := pr.example
			if ex == "" && len(pr.enum) > 0 {
				ex = pr.enum[0]
			}
			q.Set(pr.name, ex)
		}
	}
	if len(q) == 0 {
		return def.path
	}
	return def.path + "?" + q.Encode()
}

// renderFailure turns a failed page build into an error page: 503 when ClickHouse does not answer
// (down, unreachable, too slow) or lacks the schema, 500 when it refused a query.
func (d *Dashboard) renderFailure(w http.ResponseWriter, r *http.Request, err error, def *pageDef) int {
	status, title, msg := classify(err, d.o.Database)
	d.o.Logger.Error("page failed", "path", def.path, "query", r.URL.RawQuery, "status", status, "err", err)
	d.writeError(w, errorPage{Status: status, Title: title, Message: msg, Detail: err.Error(), Nav: d.nav(def), Database: d.o.Database})
	return status
}

// ClickHouse error codes the dashboard tells apart.
const (
	chUnknownTable    = 60
	chUnknownDatabase = 81
)

func classify(err error, db string) (status int, title, msg string) {
	var ex *ch.Exception
	switch {
	case errors.As(err, &ex) && (ex.Code == chUnknownTable || ex.Code == chUnknownDatabase):
		return http.StatusServiceUnavailable, "The econflow schema is missing",
			fmt.Sprintf("ClickHouse answers, but database %q does not have econflow's views. Run `econflow migrate` (or `econflow demo`) against it.", db)
	case errors.As(err, &ex):
		return http.StatusInternalServerError, "ClickHouse refused a query",
			"ClickHouse answered the dashboard's query with an error. The details are below and in the server's log."
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "ClickHouse is too slow",
			"ClickHouse did not answer in time. Try again in a moment, or narrow the page (from=, to=)."
	default:
		return http.StatusServiceUnavailable, "ClickHouse is unavailable",
			"The dashboard cannot reach ClickHouse, so there is nothing to show. Nothing is wrong with the link: reload the page once ClickHouse is back."
	}
}

// showCell is the HTML text of a cell.
func showCell(c cell) string {
	if c.Show != "" {
		return c.Show
	}
	return c.Text
}

// table returns the qualified name of a view or table of the econflow database.
func (d *Dashboard) table(name string) string { return d.o.Database + "." + name }

// queryContext adds the settings every dashboard query runs with: enable_optimize_predicate_expression
// makes ClickHouse 18.16 push a page's filters into the views, so they reach the tables' primary keys.
func queryContext(ctx context.Context) context.Context {
	return ch.Context(ctx, ch.WithSettings(ch.Settings{"enable_optimize_predicate_expression": 1}))
}

// each runs a query with bound arguments and calls scan for every row.
func (d *Dashboard) each(ctx context.Context, sql string, args []any, scan func(driver.Rows) error) error {
	rows, err := d.o.Conn.Query(queryContext(ctx), sql, args...)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rows: %w", err)
	}
	return nil
}

// SettingsWarning asks ClickHouse whether the setting every dashboard query sends takes effect
// for this connection's user: a profile with readonly=1 drops the settings a client sends,
// silently. It returns a warning to log, or "" when all is well.
func (d *Dashboard) SettingsWarning(ctx context.Context) (string, error) {
	var v string
	err := d.each(ctx, "SELECT value FROM system.settings WHERE name = 'enable_optimize_predicate_expression'", nil,
		func(r driver.Rows) error { return r.Scan(&v) })
	if err != nil {
		return "", err
	}
	if v != "1" {
		return "ClickHouse ignores enable_optimize_predicate_expression=1 for this user (a profile with readonly=1 drops the settings " +
			"a client sends): filters will not reach the tables' primary keys and pages get slow on large tables. Set it in the " +
			"user's profile, as docs/dashboard.md shows", nil
	}
	return "", nil
}
