package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func fakeResult(drain, ceilingJ, cpu float64) *Result {
	return &Result{
		Records: 1000, Seed: 1, CPUs: 2, Order: OrderPublishers, JSONInsertRate: ceilingJ, RawInsertRate: 900, RawFullInsertRate: 100, ProduceRate: 500,
		KafkaReadRate: 1000, DrainRate: drain, DrainSteadyRate: drain, DrainFirstRowSeconds: 0.2,
		CPUSecondsPerMillion: cpu, PeakRSSMB: 200, LatencyRecords: 10, LatencyTargetRate: 5000,
		LatencyP50Ms: 100, LatencyP99Ms: 200, Exact: true, RawExact: true, JSONExact: true,
	}
}

func summaryMetric(t *testing.T, s *Summary, prefix string) SummaryMetric {
	t.Helper()
	for _, m := range s.Metrics {
		if strings.HasPrefix(m.Name, prefix) {
			return m
		}
	}
	t.Fatalf("no metric %q in %+v", prefix, s.Metrics)
	return SummaryMetric{}
}

// Each ratio is taken within its run: the median ratio is not the ratio of the medians.
func TestSummarize(t *testing.T) {
	runs := []*Result{
		fakeResult(300, 600, 3.0), // ratio 0.5
		fakeResult(200, 800, 2.0), // ratio 0.25
		fakeResult(250, 400, 4.0), // ratio 0.625
	}
	s, err := Summarize(runs)
	if err != nil {
		t.Fatal(err)
	}
	drain := summaryMetric(t, s, "drain end to end")
	if drain.Median != 250 || drain.Min != 200 || drain.Max != 300 {
		t.Errorf("drain median/min/max = %v/%v/%v, want 250/200/300", drain.Median, drain.Min, drain.Max)
	}
	if drain.RatioMedian != 0.5 || drain.RatioMin != 0.25 || drain.RatioMax != 0.625 || drain.Of != "J" {
		t.Errorf("drain ratio median/min/max = %v/%v/%v of %q, want 0.5/0.25/0.625 of J", drain.RatioMedian, drain.RatioMin, drain.RatioMax, drain.Of)
	}
	// The secondary rows: the same drain against the TSV ceiling A (900 rows/s in every run).
	if vsA := summaryMetric(t, s, "drain vs raw TSV"); vsA.Of != "A" || math.Abs(vsA.RatioMedian-250.0/900) > 1e-12 {
		t.Errorf("drain vs A = %+v, want the ratio 250/900 of A", vsA)
	}
	if cpu := summaryMetric(t, s, "drain CPU"); cpu.Median != 3 || cpu.Of != "" || cpu.RatioMedian != 0 {
		t.Errorf("cpu = %+v, want median 3 and no ratio", cpu)
	}
	if !s.Exact {
		t.Error("Exact = false, want true")
	}

	// A ceiling that stored an inexact sum makes the summary inexact too.
	runs[1].JSONExact = false
	if s, err = Summarize(runs); err != nil || s.Exact {
		t.Errorf("Exact = %v (err %v) with an inexact ceiling J", s.Exact, err)
	}
	runs[1].JSONExact = true

	// An even count takes the mean of the middle two; one inexact run makes the summary inexact.
	runs = append(runs, fakeResult(260, 520, 3.2))
	runs[3].Exact = false
	if s, err = Summarize(runs); err != nil {
		t.Fatal(err)
	}
	if drain := summaryMetric(t, s, "drain end to end"); drain.Median != 255 || math.Abs(drain.RatioMedian-0.5) > 1e-12 {
		t.Errorf("4 runs: drain median %v ratio %v, want 255 and 0.5", drain.Median, drain.RatioMedian)
	}
	if s.Exact {
		t.Error("Exact = true with an inexact run")
	}
	var table, js bytes.Buffer
	if err := s.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"metric (4 runs)", "255.0 rows/s", "0.50 (0.25 – 0.62) of J", "FAIL", "3 of 4 runs", "in publishers' order", "JSONEachRow"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if err := s.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Runs    []map[string]any `json:"runs"`
		Metrics []SummaryMetric  `json:"metrics"`
		Exact   bool             `json:"exact"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != 4 || len(back.Metrics) != len(s.Metrics) || back.Exact || back.Runs[1]["drain_rows_per_sec"] != 200.0 {
		t.Errorf("JSON: %d runs, %d metrics, exact %v, run 2 drain %v", len(back.Runs), len(back.Metrics), back.Exact, back.Runs[1]["drain_rows_per_sec"])
	}

	// Runs of different options do not mix.
	other := fakeResult(100, 200, 1)
	other.LatencyRecords = 0
	if _, err := Summarize([]*Result{runs[0], other}); err == nil {
		t.Error("Summarize mixed runs with and without a latency phase")
	}
	if _, err := Summarize(nil); err == nil {
		t.Error("Summarize(nil) gave no error")
	}
}
