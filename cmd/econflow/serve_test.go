package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/internal/testenv"
)

func TestServeHelp(t *testing.T) {
	t.Setenv("ECONFLOW_CLICKHOUSE", "clickhouse://econflow:s3cret-serve@127.0.0.1:1/econ")
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "--help"}, &out, &errb); code != 0 {
		t.Fatalf("serve --help exited %d: %s", code, errb.String())
	}
	help := errb.String()
	for _, w := range []string{"Usage: econflow serve", "-http", "ECONFLOW_SERVE_HTTP", "-metrics-url", "-clickhouse", "xxxxx"} {
		if !strings.Contains(help, w) {
			t.Errorf("serve --help lacks %q:\n%s", w, help)
		}
	}
	for _, w := range []string{"s3cret-serve", "-partitions", "-brokers"} {
		if strings.Contains(help, w) {
			t.Errorf("serve --help shows %q:\n%s", w, help)
		}
	}
	if code := run([]string{"--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "serve ") {
		t.Errorf("top-level help does not list serve: %s", out.String())
	}
}

func TestServeSettings(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name    string
		env     map[string]string
		http    string
		metrics string
	}{
		{"defaults", nil, "127.0.0.1:8080", ""},
		{"env address", map[string]string{"ECONFLOW_SERVE_HTTP": "0.0.0.0:9000"}, "0.0.0.0:9000", ""},
		{"metrics from the consumer's address", map[string]string{"ECONFLOW_HTTP": "127.0.0.1:9464"}, "127.0.0.1:8080", "http://127.0.0.1:9464/metrics"},
		{"metrics url wins", map[string]string{"ECONFLOW_HTTP": "127.0.0.1:9464", "ECONFLOW_METRICS_URL": "http://c:1/metrics"}, "127.0.0.1:8080", "http://c:1/metrics"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := defaultServeOptions(env(c.env))
			if o.HTTP != c.http || o.MetricsURL != c.metrics {
				t.Fatalf("got %+v, want http %s metrics %q", o, c.http, c.metrics)
			}
			if err := o.validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, bad := range []serveOptions{{HTTP: "8080"}, {HTTP: "127.0.0.1:8080", MetricsURL: "127.0.0.1:9464"}, {HTTP: "127.0.0.1:8080", MetricsURL: "ftp://x/metrics"}} {
		if err := bad.validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	var errb bytes.Buffer
	if code := run([]string{"serve", "--http", "nonsense"}, io.Discard, &errb); code == 0 || !strings.Contains(errb.String(), "http") {
		t.Errorf("serve --http nonsense: exit %d, %s", code, errb.String())
	}
}

// waitURL waits for the URL a command hands to its ready callback, or for the command to end.
func waitURL(t *testing.T, urls <-chan string, done <-chan error) string {
	t.Helper()
	select {
	case u := <-urls:
		return u
	case err := <-done:
		t.Fatalf("ended before serving: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("no dashboard URL within 3 minutes")
	}
	return ""
}

func fetch(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeDashboardAndShutdown(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t)
	testenv.OpenStore(t, dsn) // the schema, no data
	t.Setenv("ECONFLOW_CLICKHOUSE", dsn)
	stop, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- serve(stop, []string{"--http", "127.0.0.1:0", "--log-level", "warn"}, io.Discard, func(u string) { urls <- u })
	}()
	u := waitURL(t, urls, done)
	if status, body := fetch(t, u); status != http.StatusOK || !strings.Contains(body, "What is stored") {
		t.Fatalf("GET %s: %d\n%s", u, status, body)
	}
	if status, _ := fetch(t, u+"series?country=KZ&region=KZ-MAN&product=lpg"); status != http.StatusOK {
		t.Fatalf("series page on an empty database: %d", status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after stop: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of the stop signal")
	}
	if _, err := http.Get(u); err == nil {
		t.Error("the dashboard still answers after serve returned")
	}
}

func TestServeWithoutClickHouse(t *testing.T) {
	t.Setenv("ECONFLOW_CLICKHOUSE", "clickhouse://"+testenv.FreeAddr(t)+"/econ")
	err := serve(context.Background(), []string{"--http", "127.0.0.1:0"}, io.Discard, func(string) { t.Error("served without ClickHouse") })
	if err == nil || !strings.Contains(err.Error(), "ClickHouse") {
		t.Fatalf("serve without ClickHouse: %v", err)
	}
}

func TestDemoEndsServingTheDashboard(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t)
	stop, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls, done := make(chan string, 1), make(chan error, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- demo(stop, context.Background(), []string{"--clickhouse", dsn, "--http", "127.0.0.1:0"}, &out, &errb, func(u string) { urls <- u })
	}()
	u := waitURL(t, urls, done)
	status, body := fetch(t, u+"series?country=KZ&region=KZ-MAN&product=lpg")
	if status != http.StatusOK {
		t.Fatalf("series page: %d\n%s", status, body)
	}
	for _, w := range []string{`data-exact="60.000000000000000000">60.00<`, `data-exact="120.000000000000000000">120.00<`, `data-exact="50.000000000000000000">50.00<`, "EUR/litre"} {
		if !strings.Contains(body, w) {
			t.Errorf("the demo's Mangystau LPG page lacks %q", w)
		}
	}
	if status, body := fetch(t, u+"affordability?country=KZ"); status != http.StatusOK || !strings.Contains(body, "500.00") {
		t.Errorf("affordability page: %d, want the 500 litres of Mangystau in January 2022", status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo after Ctrl-C: %v\n%s", err, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop within 30s of the stop signal")
	}
	if !strings.Contains(out.String(), "Litres of LPG one minimum monthly wage buys") || !strings.Contains(errb.String(), "[7/7] serving the dashboard") {
		t.Errorf("demo output lacks its tables or its last step:\n%s\n%s", out.String(), errb.String())
	}
}

func TestDemoNoServeExits(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t)
	var out, errb bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- demo(context.Background(), context.Background(), []string{"--clickhouse", dsn, "--no-serve"}, &out, &errb, func(string) { t.Error("--no-serve served the dashboard") })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo --no-serve: %v\n%s", err, errb.String())
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("demo --no-serve did not exit within 3 minutes")
	}
	if !strings.Contains(errb.String(), "[6/6] querying the SQL surface") || strings.Contains(out.String(), "Dashboard:") {
		t.Errorf("demo --no-serve output:\n%s\n%s", out.String(), errb.String())
	}
}
