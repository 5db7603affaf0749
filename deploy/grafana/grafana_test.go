package grafana

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/internal/testenv"
)

const (
	clickHouseType = "grafana-clickhouse-datasource"
	prometheusType = "prometheus"
)

type datasourceFile struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name           string                 `yaml:"name"`
		UID            string                 `yaml:"uid"`
		Type           string                 `yaml:"type"`
		Access         string                 `yaml:"access"`
		Editable       bool                   `yaml:"editable"`
		URL            string                 `yaml:"url"`
		JSONData       map[string]interface{} `yaml:"jsonData"`
		SecureJSONData map[string]string      `yaml:"secureJsonData"`
	} `yaml:"datasources"`
}

type providerFile struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name    string            `yaml:"name"`
		Type    string            `yaml:"type"`
		Options map[string]string `yaml:"options"`
	} `yaml:"providers"`
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	RefID      string `json:"refId"`
	Datasource dsRef  `json:"datasource"`
	EditorType string `json:"editorType"`
	QueryType  string `json:"queryType"`
	Format     *int   `json:"format"`
	RawSQL     string `json:"rawSql"`
	Expr       string `json:"expr"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource dsRef  `json:"datasource"`
	GridPos    struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Targets []target `json:"targets"`
}

type variable struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Datasource dsRef  `json:"datasource"`
	Query      string `json:"query"`
	Current    struct {
		Value string `json:"value"`
	} `json:"current"`
}

type dashboard struct {
	file          string
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Time          struct {
		From, To string
	} `json:"time"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

func loadDatasources(t *testing.T) map[string]string {
	t.Helper()
	b, err := Files.ReadFile("provisioning/datasources/econflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f datasourceFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("datasources: %v", err)
	}
	if f.APIVersion != 1 {
		t.Errorf("datasources: apiVersion %d, want 1", f.APIVersion)
	}
	uids := map[string]string{}
	for _, d := range f.Datasources {
		if d.UID == "" || d.Name == "" || d.Access != "proxy" {
			t.Errorf("datasource %+v: needs a name, a uid for the dashboards to refer to, and access proxy", d)
		}
		uids[d.UID] = d.Type
		switch d.Type {
		case clickHouseType:
			for k, want := range map[string]interface{}{"protocol": "native", "port": 9000, "defaultDatabase": "econ", "host": "127.0.0.1"} {
				if d.JSONData[k] != want {
					t.Errorf("ClickHouse datasource: jsonData.%s = %v, want %v", k, d.JSONData[k], want)
				}
			}
			if u, _ := d.JSONData["username"].(string); u == "" || u == "default" {
				t.Errorf("ClickHouse datasource: username %q; use the read-only user of docs/dashboard.md", u)
			}
			if p := d.SecureJSONData["password"]; !strings.HasPrefix(p, "$") {
				t.Errorf("ClickHouse datasource: the password must come from the environment, not the file")
			}
		case prometheusType:
			if !strings.HasPrefix(d.URL, "http") {
				t.Errorf("Prometheus datasource: url %q", d.URL)
			}
		default:
			t.Errorf("datasource %s: unexpected type %s", d.Name, d.Type)
		}
	}
	if uids["econflow-clickhouse"] != clickHouseType || uids["econflow-prometheus"] != prometheusType {
		t.Fatalf("datasources %v: want econflow-clickhouse (%s) and econflow-prometheus (%s)", uids, clickHouseType, prometheusType)
	}
	return uids
}

func loadDashboards(t *testing.T) []dashboard {
	t.Helper()
	names, err := fs.Glob(Files, "dashboards/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	var out []dashboard
	for _, n := range names {
		b, err := Files.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		d.file = path.Base(n)
		out = append(out, d)
	}
	return out
}

// TestGrafanaProvisioningStructure checks what Grafana needs to load the files and what the
// dashboards promise: every panel has targets on a provisioned data source, SQL on ClickHouse,
// PromQL on Prometheus, and the metrics it names are the consumer's.
func TestGrafanaProvisioningStructure(t *testing.T) {
	uids := loadDatasources(t)
	b, err := Files.ReadFile("provisioning/dashboards/econflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var pf providerFile
	if err := yaml.Unmarshal(b, &pf); err != nil {
		t.Fatalf("dashboard provider: %v", err)
	}
	if pf.APIVersion != 1 || len(pf.Providers) != 1 || pf.Providers[0].Type != "file" || pf.Providers[0].Options["path"] == "" {
		t.Errorf("dashboard provider: %+v", pf)
	}

	metrics, labels := consumerMetrics(t)
	seenUID := map[string]bool{}
	kinds := map[string]bool{}
	for _, d := range loadDashboards(t) {
		t.Run(d.file, func(t *testing.T) {
			if d.UID == "" || len(d.UID) > 40 || seenUID[d.UID] {
				t.Errorf("uid %q: must be set, unique and at most 40 characters", d.UID)
			}
			seenUID[d.UID] = true
			if d.Title == "" || d.SchemaVersion < 30 || len(d.Panels) == 0 {
				t.Errorf("title %q, schemaVersion %d, %d panels", d.Title, d.SchemaVersion, len(d.Panels))
			}
			if _, _, err := timeRange(d, time.Now()); err != nil {
				t.Error(err)
			}
			vars := map[string]bool{}
			for _, v := range d.Templating.List {
				vars[v.Name] = true
				if v.Type != "query" || uids[v.Datasource.UID] != clickHouseType || v.Query == "" || v.Current.Value == "" {
					t.Errorf("variable %s: want a ClickHouse query variable with a current value: %+v", v.Name, v)
				}
			}
			ids := map[int]bool{}
			for _, p := range d.Panels {
				if ids[p.ID] || p.Title == "" || p.GridPos.W < 1 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H < 1 {
					t.Errorf("panel %d %q: id unique, a title, and a grid position within 24 columns: %+v", p.ID, p.Title, p.GridPos)
				}
				ids[p.ID] = true
				if !contains([]string{"timeseries", "table", "stat", "barchart"}, p.Type) {
					t.Errorf("panel %q: type %q", p.Title, p.Type)
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no targets", p.Title)
				}
				for _, tg := range p.Targets {
					typ, ok := uids[tg.Datasource.UID]
					if !ok || typ != tg.Datasource.Type || tg.RefID == "" {
						t.Errorf("panel %q target %q: data source %+v is not provisioned", p.Title, tg.RefID, tg.Datasource)
					}
					kinds[typ] = true
					switch typ {
					case clickHouseType:
						wantFormat, wantType := 1, "table"
						if p.Type == "timeseries" {
							wantFormat, wantType = 0, "timeSeries"
						}
						if tg.EditorType != "sql" || tg.Format == nil || *tg.Format != wantFormat || tg.QueryType != wantType || tg.RawSQL == "" {
							t.Errorf("panel %q: ClickHouse target wants editorType sql, format %d, queryType %s and rawSql: %+v", p.Title, wantFormat, wantType, tg)
						}
						for _, name := range varRE.FindAllStringSubmatch(tg.RawSQL+" "+p.Title, -1) {
							if n := name[1] + name[2]; !strings.HasPrefix(n, "__") && !vars[n] {
								t.Errorf("panel %q uses $%s, which the dashboard does not define", p.Title, n)
							}
						}
						if !strings.Contains(tg.RawSQL, "$__dateFilter(") && !strings.Contains(tg.RawSQL, "$__timeFilter(") {
							t.Errorf("panel %q ignores the time range: use $__dateFilter(date) or $__timeFilter(column)", p.Title)
						}
					case prometheusType:
						checkPromQL(t, p.Title, tg.Expr, metrics, labels)
					}
				}
			}
		})
	}
	if !kinds[clickHouseType] || !kinds[prometheusType] {
		t.Errorf("want dashboards over both ClickHouse and Prometheus, have %v", kinds)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// consumerMetrics returns the names and label names of the consumer's metrics (ingest.NewMetrics).
func consumerMetrics(t *testing.T) (map[string]bool, map[string]bool) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := ingest.NewMetrics(reg)
	// A vector shows up in Gather once it has a child.
	m.Written.WithLabelValues("fuel_prices")
	m.Rejected.WithLabelValues("bad_decimal")
	m.Retries.WithLabelValues("insert")
	m.Lag.WithLabelValues("econ.fuel_prices", "0")
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names, labels := map[string]bool{}, map[string]bool{"le": true}
	for _, f := range families {
		names[f.GetName()] = true
		for _, mm := range f.GetMetric() {
			for _, l := range mm.GetLabel() {
				labels[l.GetName()] = true
			}
		}
	}
	return names, labels
}

var (
	metricRE = regexp.MustCompile(`\b(econflow_[a-z_]+)`)
	byRE     = regexp.MustCompile(`by \(([a-z_, ]+)\)`)
	varRE    = regexp.MustCompile(`\$\{([a-z_]+)\}|\$([a-z_]+)`)
)

func checkPromQL(t *testing.T, title, expr string, metrics, labels map[string]bool) {
	t.Helper()
	if expr == "" {
		t.Errorf("panel %q: empty PromQL", title)
		return
	}
	found := metricRE.FindAllString(expr, -1)
	if len(found) == 0 && !strings.Contains(expr, `up{job="econflow"}`) {
		t.Errorf("panel %q: %s names no econflow metric", title, expr)
	}
	for _, name := range found {
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if strings.HasSuffix(name, suffix) && metrics[strings.TrimSuffix(name, suffix)] {
				base = strings.TrimSuffix(name, suffix)
			}
		}
		if !metrics[base] {
			t.Errorf("panel %q: %s is not a metric of the consumer (ingest.NewMetrics)", title, name)
		}
	}
	for _, m := range byRE.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); !labels[l] {
				t.Errorf("panel %q: label %q is not a label of the consumer's metrics", title, l)
			}
		}
	}
}

// timeRange turns a dashboard's default time range ("now-10y" … "now") into times.
func timeRange(d dashboard, now time.Time) (time.Time, time.Time, error) {
	parse := func(s string) (time.Time, error) {
		if s == "now" {
			return now, nil
		}
		rest, ok := strings.CutPrefix(s, "now-")
		if !ok || len(rest) < 2 {
			return time.Time{}, fmt.Errorf("time %q: want now or now-N{h,d,y}", s)
		}
		n, err := strconv.Atoi(rest[:len(rest)-1])
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %v", s, err)
		}
		switch rest[len(rest)-1] {
		case 'h':
			return now.Add(-time.Duration(n) * time.Hour), nil
		case 'd':
			return now.AddDate(0, 0, -n), nil
		case 'y':
			return now.AddDate(-n, 0, 0), nil
		}
		return time.Time{}, fmt.Errorf("time %q: unit must be h, d or y", s)
	}
	from, err := parse(d.Time.From)
	if err != nil {
		return from, from, err
	}
	to, err := parse(d.Time.To)
	return from, to, err
}

var macroRE = regexp.MustCompile(`\$__(dateFilter|timeFilter)\(([a-z_]+)\)|\$__(fromTime|toTime)\b`)

// expand does what the ClickHouse plugin and Grafana do to a panel's SQL before sending it:
// macros become literal times (as grafana-clickhouse-datasource's pkg/macros writes them) and
// template variables their values. The database econ becomes db.
func expand(sql string, from, to time.Time, vars map[string]string, db string) (string, error) {
	out := macroRE.ReplaceAllStringFunc(sql, func(m string) string {
		s := macroRE.FindStringSubmatch(m)
		switch {
		case s[1] == "dateFilter":
			return fmt.Sprintf("%s >= toDate('%s') AND %s <= toDate('%s')", s[2], from.UTC().Format(time.DateOnly), s[2], to.UTC().Format(time.DateOnly))
		case s[1] == "timeFilter":
			return fmt.Sprintf("%s >= toDateTime(%d) AND %s <= toDateTime(%d)", s[2], from.Unix(), s[2], to.Unix())
		case s[3] == "fromTime":
			return fmt.Sprintf("toDateTime(%d)", from.Unix())
		default:
			return fmt.Sprintf("toDateTime(%d)", to.Unix())
		}
	})
	var missing []string
	out = varRE.ReplaceAllStringFunc(out, func(m string) string {
		s := varRE.FindStringSubmatch(m)
		v, ok := vars[s[1]+s[2]]
		if !ok {
			missing = append(missing, m)
		}
		return v
	})
	if len(missing) > 0 || strings.Contains(out, "$") {
		return "", fmt.Errorf("unexpanded %v in %s", missing, out)
	}
	return regexp.MustCompile(`\becon\.`).ReplaceAllString(out, db+"."), nil
}

// Extra records for the SQL test, beside the demo sample: a KZ price that cannot be converted
// (no CNY rates), so that the pending-conversion panels have a row, and a rejected message.
var extraLines = [][]byte{
	[]byte(`{"kind":"fuel_price","source":"econflow.test","country":"KZ","region":"KZ-MAN","product":"diesel","price":"8.10","currency":"CNY","unit":"litre","date":"2022-01-05","published_at":"2022-01-05T12:00:00Z"}`),
	[]byte(`{"kind":"fuel_price","source":"econflow.test","country":"KZ","region":"KZ-MAN","product":"lpg","price":"12,5","currency":"KZT","unit":"litre","date":"2022-01-05"}`),
}

// alternatives are further variable values each dashboard's panels are run with: a panel must
// answer without error under every set and return rows under at least one.
var alternatives = map[string][]map[string]string{
	"econflow-prices": {{"region": "KZ-ALA"}}, // the sample's revision is in Almaty
}

// TestGrafanaPanelsRunOnClickHouse runs every variable query and every panel's SQL, expanded as
// Grafana would with the dashboard's default time range and variable values, against a database
// holding the demo sample.
func TestGrafanaPanelsRunOnClickHouse(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t)
	testenv.LoadRecords(t, dsn, append(testenv.SampleLines(t, testenv.DemoSample), extraLines...))
	store := testenv.OpenStore(t, dsn)
	db := store.Database()
	now := time.Now()
	query := func(sql string) (rows int, firstType, firstName string, err error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := store.Conn().Query(ctx, sql)
		if err != nil {
			return 0, "", "", err
		}
		defer r.Close()
		if ct := r.ColumnTypes(); len(ct) > 0 {
			firstType, firstName = ct[0].DatabaseTypeName(), ct[0].Name()
		}
		for r.Next() {
			rows++
		}
		return rows, firstType, firstName, r.Err()
	}
	ran := 0
	for _, d := range loadDashboards(t) {
		t.Run(d.file, func(t *testing.T) {
			from, to, err := timeRange(d, now)
			if err != nil {
				t.Fatal(err)
			}
			sets := []map[string]string{{}}
			for _, v := range d.Templating.List {
				sets[0][v.Name] = v.Current.Value
			}
			for _, alt := range alternatives[d.UID] {
				s := map[string]string{}
				for k, v := range sets[0] {
					s[k] = v
				}
				for k, v := range alt {
					s[k] = v
				}
				sets = append(sets, s)
			}
			for _, v := range d.Templating.List {
				sql, err := expand(v.Query, from, to, sets[0], db)
				if err != nil {
					t.Fatalf("variable %s: %v", v.Name, err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				r, err := store.Conn().Query(ctx, sql)
				if err != nil {
					cancel()
					t.Fatalf("variable %s: %v\n%s", v.Name, err, sql)
				}
				var values []string
				for r.Next() {
					var s string
					if err := r.Scan(&s); err != nil {
						t.Fatalf("variable %s: %v", v.Name, err)
					}
					values = append(values, s)
				}
				r.Close()
				cancel()
				if !contains(values, v.Current.Value) {
					t.Errorf("variable %s: its current value %q is not among %v", v.Name, v.Current.Value, values)
				}
			}
			for _, p := range d.Panels {
				for _, tg := range p.Targets {
					if tg.Datasource.Type != clickHouseType {
						continue
					}
					answered := false
					for _, vars := range sets {
						sql, err := expand(tg.RawSQL, from, to, vars, db)
						if err != nil {
							t.Fatalf("panel %q: %v", p.Title, err)
						}
						n, typ, name, err := query(sql)
						ran++
						if err != nil {
							t.Fatalf("panel %q with %v: %v\n%s", p.Title, vars, err, sql)
						}
						if p.Type == "timeseries" && (name != "time" || !strings.HasPrefix(typ, "DateTime")) {
							t.Errorf("panel %q: a time series' first column must be a DateTime named time, not %s %s", p.Title, name, typ)
						}
						answered = answered || n > 0
					}
					if !answered {
						t.Errorf("panel %q returns no rows on the demo data", p.Title)
					}
				}
			}
		})
	}
	if ran == 0 {
		t.Fatal("no panel SQL ran")
	}
	t.Logf("%d panel queries ran", ran)
}
