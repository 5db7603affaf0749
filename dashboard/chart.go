package dashboard

import (
	"encoding/json"
	"sort"
)

// chart is what a page hands to the browser for one uPlot chart: dates on the x axis and, per
// series, the exact decimals as strings. The browser turns them into numbers for drawing only.
type chart struct {
	ID     string        `json:"id"`
	Title  string        `json:"title"`
	Left   string        `json:"left"`            // label of the left axis (scale "left")
	Right  string        `json:"right,omitempty"` // label of the right axis (scale "right"), if any
	X      []string      `json:"x"`               // dates, YYYY-MM-DD, ascending; or the bars' categories
	Series []chartSeries `json:"series"`
	// Bars draws one bar per X category (then X holds category names, not dates).
	Bars bool `json:"bars,omitempty"`
}

// chartSeries is one line, or one set of markers, of a chart.
type chartSeries struct {
	Label  string    `json:"label"`
	Scale  string    `json:"scale"` // left or right
	Values []*string `json:"values"`
	Color  string    `json:"color"`
	// Marks draws points only, no line (revisions, pending conversions).
	Marks bool `json:"marks,omitempty"`
	// Gaps joins the line across missing values (sparse series, e.g. regions by month).
	Gaps bool `json:"gaps,omitempty"`
}

// JSON returns the chart as JSON for the page's data-chart attribute.
func (c *chart) JSON() (string, error) {
	b, err := json.Marshal(c)
	return string(b), err
}

// Colours of series, in order; the first two are the local currency and the reporting currency.
var palette = []string{"#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d68910", "#17a2b8", "#7f8c8d", "#a04000"}

const (
	colorRevised = "#e67e22"
	colorPending = "#6c3483"
)

// seriesSet collects several series over the union of their dates.
type seriesSet struct {
	dates  map[string]bool
	order  []string                     // series keys in first-seen order
	points map[string]map[string]string // series key → date → exact value
	labels map[string]string
	scales map[string]string // series key → scale; left unless set
}

func newSeriesSet() *seriesSet {
	return &seriesSet{dates: map[string]bool{}, points: map[string]map[string]string{}, labels: map[string]string{}, scales: map[string]string{}}
}

// add records the value of series key (shown as label, on the left scale) on date.
func (s *seriesSet) add(key, label, date, value string) { s.addOn("left", key, label, date, value) }

// addOn records the value of series key (shown as label, on scale left or right) on date.
func (s *seriesSet) addOn(scale, key, label, date, value string) {
	m, ok := s.points[key]
	if !ok {
		m = map[string]string{}
		s.points[key] = m
		s.order = append(s.order, key)
		s.labels[key] = label
		s.scales[key] = scale
	}
	m[date] = value
	s.dates[date] = true
}

// chart returns the set as a chart with one line per series.
func (s *seriesSet) chart(id, title, left string) *chart {
	c := &chart{ID: id, Title: title, Left: left}
	for d := range s.dates {
		c.X = append(c.X, d)
	}
	sort.Strings(c.X)
	for i, key := range s.order {
		vals := make([]*string, len(c.X))
		for j, d := range c.X {
			if v, ok := s.points[key][d]; ok {
				vals[j] = &v
			}
		}
		c.Series = append(c.Series, chartSeries{Label: s.labels[key], Scale: s.scales[key], Values: vals, Color: palette[i%len(palette)], Gaps: true})
	}
	return c
}
