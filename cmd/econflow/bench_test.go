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
	for _, want := range []string{"metric (2 runs)", "drain end to end", "of A", "exact sum of price", "2 of 2 runs"} {
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
