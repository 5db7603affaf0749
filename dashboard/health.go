package dashboard

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metric names of the consumer (ingest.NewMetrics).
const (
	metricLag         = "econflow_consumer_lag"
	metricWritten     = "econflow_rows_written_total"
	metricConsumed    = "econflow_messages_consumed_total"
	metricRejected    = "econflow_messages_rejected_total"
	metricRetries     = "econflow_retries_total"
	metricBatch       = "econflow_batch_seconds"
	metricReconverted = "econflow_rows_reconverted_total"
)

// healthState remembers the previous scrape, so that a page load can tell rates (rows stored per
// second, batches) from the counters' growth since then.
type healthState struct {
	mu   sync.Mutex
	prev *scrape
}

// scrape is one reading of the consumer's metrics.
type scrape struct {
	at           time.Time
	written      map[string]float64 // by table
	lag          map[[2]string]float64
	consumed     float64
	rejected     map[string]float64
	retries      map[string]float64
	batches      uint64
	batchSeconds float64
	reconverted  float64
}

func (s *scrape) totalWritten() float64 {
	var n float64
	for _, v := range s.written {
		n += v
	}
	return n
}

// exchange stores cur as the latest scrape and returns the one to compare it with: the previous
// one, if it is at least a second older.
func (h *healthState) exchange(cur *scrape) *scrape {
	h.mu.Lock()
	defer h.mu.Unlock()
	prev := h.prev
	if prev != nil && cur.at.Sub(prev.at) < time.Second {
		return nil
	}
	h.prev = cur
	return prev
}

// healthPage serves /health: ClickHouse's state and, from the consumer's metrics endpoint, lag,
// rows stored per second, batches and readiness. Its status is 503 when ClickHouse does not answer
// or the consumer is not ready, so that it can be probed too.
func (d *Dashboard) healthPage(ctx context.Context, v values, p *page) error {
	p.Refresh = 10
	p.Intro = "The pipeline as it runs: whether ClickHouse answers, and the consumer's own metrics (lag, rows stored, batches, readiness). " +
		"This page reloads every 10 seconds; rates are measured between two loads."
	status := &table{ID: "status", Title: "Status", Columns: []column{{Name: "check", Label: "check"}, {Name: "state", Label: "state"}, {Name: "detail", Label: "detail"}}}
	p.Tables = append(p.Tables, status)

	var version string
	chErr := d.each(ctx, "SELECT version()", nil, func(r driver.Rows) error { return r.Scan(&version) })
	if chErr != nil {
		status.add(text("ClickHouse"), bad("unavailable"), text(chErr.Error()))
		p.Status = http.StatusServiceUnavailable
	} else {
		status.add(text("ClickHouse"), good("answers"), text("version "+version+", database "+d.o.Database))
	}

	if d.o.MetricsURL == "" {
		status.add(text("consumer"), cell{Text: "not configured", Class: "muted"},
			text("start the consumer with --http 127.0.0.1:9464 and the dashboard with --metrics-url http://127.0.0.1:9464/metrics (or ECONFLOW_METRICS_URL)"))
		return nil
	}
	ready, why := d.readiness(ctx)
	if ready {
		status.add(text("consumer readiness"), good("ready"), text(why))
	} else {
		status.add(text("consumer readiness"), bad("not ready"), text(why))
		p.Status = http.StatusServiceUnavailable
	}
	cur, err := d.scrapeMetrics(ctx)
	if err != nil {
		status.add(text("consumer metrics"), bad("unavailable"), text(err.Error()))
		p.Status = http.StatusServiceUnavailable
		return nil
	}
	status.add(text("consumer metrics"), good("read"), text(d.o.MetricsURL))
	prev := d.health.exchange(cur)

	var lagTotal float64
	lag := &table{ID: "lag", Title: "Consumer lag: messages not yet committed", Columns: []column{
		{Name: "topic", Label: "topic"}, {Name: "partition", Label: "partition", Num: true}, {Name: "lag", Label: "messages", Num: true}}}
	keys := make([][2]string, 0, len(cur.lag))
	for k := range cur.lag {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		a, _ := strconv.Atoi(keys[i][1])
		b, _ := strconv.Atoi(keys[j][1])
		return a < b
	})
	for _, k := range keys {
		lagTotal += cur.lag[k]
		lag.add(text(k[0]), text(k[1]), count(cur.lag[k]))
	}
	if len(keys) == 0 {
		lag.Note = "No lag measured yet (the consumer measures it every 10 seconds)."
	}

	rows := &table{ID: "rows", Title: "Rows stored", Columns: []column{
		{Name: "table", Label: "table"}, {Name: "rows_total", Label: "since the consumer started", Num: true},
		{Name: "rows_per_second", Label: "per second", Num: true}}}
	delta := compare(prev, cur)
	tables := make([]string, 0, len(cur.written))
	for t := range cur.written {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		rate := cell{Null: true, Show: "measuring…", Class: "muted"}
		if r, ok := delta.perTable[t]; ok {
			rate = text(strconv.FormatFloat(r, 'f', 1, 64))
		}
		rows.add(text(t), count(cur.written[t]), rate)
	}
	lagFact := fact{Label: "consumer lag", Value: count(lagTotal).Text + " messages", Class: map[bool]string{true: "warn"}[lagTotal > 0]}
	if len(keys) == 0 {
		lagFact.Value = "not measured yet"
	}
	p.Facts = []fact{
		lagFact,
		{Label: "rows stored per second", Value: delta.rows},
		{Label: "batches", Value: delta.batches},
		{Label: "batches since start", Value: fmt.Sprintf("%d, %.3f s each on average", cur.batches, safeDiv(cur.batchSeconds, float64(cur.batches)))},
		{Label: "messages consumed", Value: count(cur.consumed).Text},
		{Label: "messages rejected", Value: count(sum(cur.rejected)).Text, Href: "/rejects"},
		{Label: "rows re-converted", Value: count(cur.reconverted).Text},
		{Label: "retries", Value: count(sum(cur.retries)).Text},
	}
	p.Tables = append(p.Tables, lag, rows)
	return nil
}

// change is what two scrapes tell: rates over the time between them.
type change struct {
	rows     string             // rows stored per second, all tables
	batches  string             // batches written in between and their mean time
	perTable map[string]float64 // rows stored per second, by table
}

// compare tells the change from prev to cur; without prev (the first load), it says so.
func compare(prev, cur *scrape) change {
	c := change{rows: "measuring… (reload)", batches: "measuring… (reload)", perTable: map[string]float64{}}
	if prev == nil {
		return c
	}
	el := cur.at.Sub(prev.at)
	if el <= 0 {
		return c
	}
	span := el.Round(time.Second).String()
	for t, n := range cur.written {
		c.perTable[t] = (n - prev.written[t]) / el.Seconds()
	}
	c.rows = strconv.FormatFloat((cur.totalWritten()-prev.totalWritten())/el.Seconds(), 'f', 1, 64) + " over the last " + span
	switch nb := cur.batches - prev.batches; {
	case cur.batches < prev.batches:
		c.batches = "the consumer restarted since the last load"
	case nb == 0:
		c.batches = "none in the last " + span
	default:
		c.batches = fmt.Sprintf("%d in the last %s, %.3f s each on average", nb, span, (cur.batchSeconds-prev.batchSeconds)/float64(nb))
	}
	return c
}

func good(s string) cell { return cell{Text: s, Class: "good"} }
func bad(s string) cell  { return cell{Text: s, Class: "bad"} }

// count shows a Prometheus counter or gauge, which carries whole numbers here, as one.
func count(f float64) cell {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return text(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return text(strconv.FormatFloat(math.Round(f), 'f', 0, 64))
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func sum(m map[string]float64) float64 {
	var n float64
	for _, v := range m {
		n += v
	}
	return n
}

// readyzURL is the consumer's /readyz, next to its /metrics.
func readyzURL(metrics string) string {
	u, err := url.Parse(metrics)
	if err != nil {
		return ""
	}
	u.Path = strings.TrimSuffix(u.Path, "metrics") + "readyz"
	u.RawQuery = ""
	return u.String()
}

func (d *Dashboard) readiness(ctx context.Context) (bool, string) {
	u := readyzURL(d.o.MetricsURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := d.o.HTTPClient.Do(req)
	if err != nil {
		return false, fmt.Sprintf("%s does not answer: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	msg := strings.TrimSpace(string(body))
	return resp.StatusCode == http.StatusOK, fmt.Sprintf("%s: %d %s", u, resp.StatusCode, msg)
}

// scrapeMetrics reads the consumer's metrics in Prometheus' text format.
func (d *Dashboard) scrapeMetrics(ctx context.Context) (*scrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.o.MetricsURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := d.o.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s does not answer: %w", d.o.MetricsURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", d.o.MetricsURL, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: not Prometheus text: %w", d.o.MetricsURL, err)
	}
	if _, ok := families[metricConsumed]; !ok {
		return nil, fmt.Errorf("%s has no %s: is it an econflow consumer's endpoint?", d.o.MetricsURL, metricConsumed)
	}
	s := &scrape{at: time.Now(), written: map[string]float64{}, lag: map[[2]string]float64{}, rejected: map[string]float64{}, retries: map[string]float64{}}
	for _, m := range metricsOf(families, metricWritten) {
		s.written[label(m, "table")] += m.GetCounter().GetValue()
	}
	for _, m := range metricsOf(families, metricLag) {
		s.lag[[2]string{label(m, "topic"), label(m, "partition")}] = m.GetGauge().GetValue()
	}
	for _, m := range metricsOf(families, metricRejected) {
		s.rejected[label(m, "code")] += m.GetCounter().GetValue()
	}
	for _, m := range metricsOf(families, metricRetries) {
		s.retries[label(m, "operation")] += m.GetCounter().GetValue()
	}
	for _, m := range metricsOf(families, metricConsumed) {
		s.consumed += m.GetCounter().GetValue()
	}
	for _, m := range metricsOf(families, metricReconverted) {
		s.reconverted += m.GetCounter().GetValue()
	}
	for _, m := range metricsOf(families, metricBatch) {
		s.batches += m.GetHistogram().GetSampleCount()
		s.batchSeconds += m.GetHistogram().GetSampleSum()
	}
	return s, nil
}

func metricsOf(f map[string]*dto.MetricFamily, name string) []*dto.Metric {
	if mf, ok := f[name]; ok {
		return mf.GetMetric()
	}
	return nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
