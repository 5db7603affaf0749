package bench

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// Summary gathers several runs of the same options: each metric's median, minimum and maximum
// over the runs, and the same of its ratio to its ceiling, where each ratio is taken within its
// own run (a drain is compared with the ceilings measured minutes before it, never with another
// run's).
type Summary struct {
	Runs    []*Result       `json:"runs"`
	Metrics []SummaryMetric `json:"metrics"`
	// Exact is true when every run stored exactly the generated sum, in the drain and in the
	// ceilings.
	Exact bool `json:"exact"`
}

// SummaryMetric is one metric over the runs.
type SummaryMetric struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// Of names the ceiling of the ratios ("" when the metric has none).
	Of          string  `json:"ceiling_of,omitempty"`
	RatioMedian float64 `json:"ratio_median,omitempty"`
	RatioMin    float64 `json:"ratio_min,omitempty"`
	RatioMax    float64 `json:"ratio_max,omitempty"`
}

// Summarize returns the summary of runs, which must have been made with the same options (so
// that their metrics are the same list).
func Summarize(runs []*Result) (*Summary, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("no runs to summarize")
	}
	s := &Summary{Runs: runs, Exact: true}
	lists := make([][]Metric, len(runs))
	for i, r := range runs {
		lists[i] = r.Metrics()
		if len(lists[i]) != len(lists[0]) {
			return nil, fmt.Errorf("run %d measured %d metrics, run 1 %d: not the same options", i+1, len(lists[i]), len(lists[0]))
		}
		s.Exact = s.Exact && r.AllExact()
	}
	for j, first := range lists[0] {
		m := SummaryMetric{Name: first.Name, Unit: first.Unit}
		values, ratios := make([]float64, len(runs)), make([]float64, 0, len(runs))
		for i := range runs {
			mi := lists[i][j]
			if mi.Name != first.Name {
				return nil, fmt.Errorf("run %d's metric %d is %q, run 1's %q: not the same options", i+1, j+1, mi.Name, first.Name)
			}
			values[i] = mi.Value
			if mi.Ceiling > 0 {
				ratios = append(ratios, mi.Ratio())
			}
		}
		m.Median, m.Min, m.Max = medianMinMax(values)
		if len(ratios) > 0 {
			m.RatioMedian, m.RatioMin, m.RatioMax = medianMinMax(ratios)
			m.Of = first.Of
		}
		s.Metrics = append(s.Metrics, m)
	}
	return s, nil
}

// medianMinMax returns the median (the mean of the middle two of an even count), the minimum
// and the maximum of v, which is not empty.
func medianMinMax(v []float64) (median, lo, hi float64) {
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	n := len(v)
	median = v[n/2]
	if n%2 == 0 {
		median = (v[n/2-1] + v[n/2]) / 2
	}
	return median, v[0], v[n-1]
}

// WriteTable writes one line per metric: median (min–max), and the ratio to the ceiling the same
// way.
func (s *Summary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "metric (%d runs)\tmedian\tmin – max\tratio median (min – max)\n", len(s.Runs))
	for _, m := range s.Metrics {
		ratio := ""
		if m.Of != "" {
			ratio = fmt.Sprintf("%.2f (%.2f – %.2f) of %s", m.RatioMedian, m.RatioMin, m.RatioMax, m.Of)
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s – %s\t%s\n", m.Name, num(m.Median), m.Unit, num(m.Min), num(m.Max), ratio)
	}
	exact := 0
	for _, r := range s.Runs {
		if r.AllExact() {
			exact++
		}
	}
	check := "PASS"
	if !s.Exact {
		check = "FAIL"
	}
	fmt.Fprintf(tw, "exact sum of price\t%s\t%d of %d runs\t\n", check, exact, len(s.Runs))
	if err := tw.Flush(); err != nil {
		return err
	}
	r := s.Runs[0]
	_, err := fmt.Fprintf(w, "\n%d runs of %d records in %s (avg %.0f B), seed %d, broker %s, batch size %d, %d CPUs.\n"+
		"Each run measures its own ceilings before its drain; each ratio is within one run.\n%s\n%s\n%s\n",
		len(s.Runs), r.Records, r.Order.Describe(), r.AvgRecordBytes, r.Seed, r.Broker, r.BatchSize, r.CPUs, JSONCeilingNote, r.CPUNote, r.PeakRSSNote)
	return err
}

// WriteJSON writes the summary, with every run's result and metrics, as indented JSON.
func (s *Summary) WriteJSON(w io.Writer) error {
	runs := make([]resultJSON, len(s.Runs))
	for i, r := range s.Runs {
		runs[i] = r.withMetrics()
	}
	return writeJSON(w, struct {
		Runs    []resultJSON    `json:"runs"`
		Metrics []SummaryMetric `json:"metrics"`
		Exact   bool            `json:"exact"`
	}{runs, s.Metrics, s.Exact})
}
