package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// econflow bench --runs 2 on a small backlog with the embedded broker: the summary table and a
// JSON file with both runs, each exact. It asserts no speed.
func TestBenchRunsSummary(t *testing.T) {
	base, db := testClickHouse(t) // the skip/fail rules; bench makes and drops a database of its own
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var out, errb bytes.Buffer
	code := run([]string{"bench", "--records", "3000", "--runs", "2", "--latency-records", "0",
		"--clickhouse", dsnFor(base, db, nil), "--json", jsonPath, "--log-level", "warn"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"metric (2 runs)", "drain end to end", "of J", "of A", "exact sum of price", "2 of 2 runs", "publishers' order"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errb.String(), "run 2 of 2: drain") {
		t.Errorf("no per-run progress line:\n%s", errb.String())
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Runs []struct {
			Records int  `json:"records"`
			Exact   bool `json:"exact"`
		} `json:"runs"`
		Metrics []struct {
			Name   string  `json:"name"`
			Median float64 `json:"median"`
			Min    float64 `json:"min"`
			Max    float64 `json:"max"`
		} `json:"metrics"`
		Exact bool `json:"exact"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(got.Runs) != 2 || !got.Exact || !got.Runs[0].Exact || !got.Runs[1].Exact || got.Runs[1].Records != 3000 {
		t.Errorf("JSON runs %+v, exact %v", got.Runs, got.Exact)
	}
	for _, m := range got.Metrics {
		if !(m.Min > 0 && m.Min <= m.Median && m.Median <= m.Max) {
			t.Errorf("metric %q: min %v median %v max %v", m.Name, m.Min, m.Median, m.Max)
		}
	}
}

// econflow bench queries on 20,000 rows, end to end: the table and the JSON name every
// question, each answered by its view with the rows of its direct read, and timed. It asserts
// no speed. ECONFLOW_TEST_CLICKHOUSE_HTTP names the test server's HTTP interface when it is not
// on port 8123 of the DSN's host.
func TestBenchQueries(t *testing.T) {
	base, db := testClickHouse(t) // the skip/fail rules; bench queries makes and drops a database of its own
	jsonPath := filepath.Join(t.TempDir(), "queries.json")
	args := []string{"bench", "queries", "--rows", "20000", "--runs", "2", "--clickhouse", dsnFor(base, db, nil),
		"--json", jsonPath, "--log-level", "warn"}
	if h := os.Getenv("ECONFLOW_TEST_CLICKHOUSE_HTTP"); h != "" {
		args = append(args, "--clickhouse-http", h)
	}
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	t.Log("\n" + out.String())
	questions := []string{"series_history", "series_range", "country_product_latest", "observation_vintages",
		"monthly_country_product", "affordability_country", "affordability_series", "fx_pair"}
	for _, want := range append([]string{"view ms", "direct ms", "ratio", "rows read", "verdict", "same rows",
		"within the target", "20000 fuel price rows", "publishers' order"}, questions...) {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "other rows") {
		t.Errorf("a view answered other rows than its direct read:\n%s", out.String())
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		FuelRows int     `json:"fuel_rows"`
		Vintages int     `json:"fuel_vintages"`
		Obs      int     `json:"fuel_observations"`
		Settings string  `json:"view_settings"`
		Version  string  `json:"clickhouse_version"`
		Same     bool    `json:"same_rows"`
		LoadRate float64 `json:"load_rows_per_sec"`
		Queries  []struct {
			Name     string  `json:"name"`
			View     string  `json:"view"`
			Runs     int     `json:"runs"`
			ViewMs   float64 `json:"view_ms"`
			DirectMs float64 `json:"direct_ms"`
			Ratio    float64 `json:"ratio"`
			Rows     int     `json:"rows"`
			ViewRead uint64  `json:"view_rows_read"`
			DirRead  uint64  `json:"direct_rows_read"`
			TargetMs float64 `json:"target_ms"`
			Same     bool    `json:"same_rows"`
		} `json:"queries"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if got.FuelRows != 20000 || !got.Same || got.LoadRate <= 0 || !(got.Obs < got.Vintages && got.Vintages < got.FuelRows) {
		t.Errorf("JSON: %d fuel rows, %d observations, %d vintages, load %v rows/s, same rows %v", got.FuelRows, got.Obs, got.Vintages, got.LoadRate, got.Same)
	}
	if strings.HasPrefix(got.Version, "18.") != (got.Settings == "enable_optimize_predicate_expression=1") {
		t.Errorf("ClickHouse %s, view settings %q", got.Version, got.Settings)
	}
	if len(got.Queries) != len(questions) {
		t.Fatalf("%d questions in the JSON, want %d", len(got.Queries), len(questions))
	}
	for i, q := range got.Queries {
		if q.Name != questions[i] || q.View == "" || q.Runs != 2 || !q.Same || q.Rows < 1 || q.ViewMs <= 0 || q.DirectMs <= 0 ||
			q.Ratio <= 0 || q.ViewRead == 0 || q.DirRead == 0 || q.TargetMs < q.DirectMs+100 {
			t.Errorf("question %d: %+v", i+1, q)
		}
	}
}

func TestBenchRunsRefusesProfiles(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"bench", "--runs", "2", "--cpuprofile", filepath.Join(t.TempDir(), "cpu.prof")}, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "profile one run") {
		t.Errorf("exit %d, stderr %q: want a refusal", code, errb.String())
	}
}

// bench's own progress lines tell what happens; the pipeline's info logs join them only when a
// level is asked for, by flag or environment.
func TestBenchLogLevel(t *testing.T) {
	none := func(string) string { return "" }
	env := func(k string) string {
		if k == "ECONFLOW_LOG_LEVEL" {
			return "debug"
		}
		return ""
	}
	for _, c := range []struct {
		level   string
		flagSet bool
		getenv  func(string) string
		want    string
	}{
		{"info", false, none, "warn"}, // the default
		{"info", true, none, "info"},  // --log-level info
		{"error", true, none, "error"},
		{"debug", false, env, "debug"}, // ECONFLOW_LOG_LEVEL=debug
	} {
		if got := benchLogLevel(c.level, c.flagSet, c.getenv); got != c.want {
			t.Errorf("benchLogLevel(%q, flag set %v) = %q, want %q", c.level, c.flagSet, got, c.want)
		}
	}
}
