package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestValidateNamesTheBadField(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"brokers", func(c *Config) { c.Brokers = []string{"nohostport"} }, "brokers"},
		{"clickhouse", func(c *Config) { c.ClickHouse = "http://x" }, "clickhouse"},
		{"group", func(c *Config) { c.Group = "" }, "group"},
		{"cluster", func(c *Config) { c.Cluster = "econ flow" }, "cluster"},
		{"cluster quote", func(c *Config) { c.Cluster = "x') ENGINE" }, "cluster"},
		{"batch", func(c *Config) { c.BatchSize = 0 }, "batch-size"},
		{"memory", func(c *Config) { c.MemoryLimitMiB = -1 }, "memory-limit-mib"},
		{"shutdown", func(c *Config) { c.ShutdownTimeout = 0 }, "shutdown-timeout"},
		{"reporting", func(c *Config) { c.Reporting = "euro" }, "reporting-currency"},
		{"reporting not EUR", func(c *Config) { c.Reporting = "USD" }, "reporting-currency"},
		{"period average", func(c *Config) { c.PeriodAverage = []string{"D"} }, "fx-period-average"},
		{"period average none and M", func(c *Config) { c.PeriodAverage = []string{"none", "M"} }, "fx-period-average"},
		{"pivots", func(c *Config) { c.Pivots = []string{"usd"} }, "fx-pivots"},
		{"further not a code", func(c *Config) { c.Further = []string{"USD", "dollar"} }, "reporting-currencies"},
		{"further EUR", func(c *Config) { c.Further = []string{"EUR"} }, "reporting-currencies"},
		{"further twice", func(c *Config) { c.Further = []string{"USD", "GBP", "USD"} }, "reporting-currencies"},
		{"window", func(c *Config) { c.WindowDays = -1 }, "fx-window-days"},
		{"sasl", func(c *Config) { c.Security.SASLMechanism = "GSSAPI" }, "kafka security"},
		{"log", func(c *Config) { c.LogLevel = "loud" }, "log-level"},
		{"topic", func(c *Config) { c.Topics.DeadLetter = "" }, "topic-dead-letter"},
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	usd := DefaultConfig()
	usd.Reporting = "USD"
	if err := usd.Validate(); err == nil || !strings.Contains(err.Error(), "ECONFLOW_REPORTING_CURRENCIES") {
		t.Errorf("a reporting currency other than EUR: %v, want the error to name ECONFLOW_REPORTING_CURRENCIES", err)
	}
	further := DefaultConfig()
	further.Further = []string{"USD", "GBP"}
	if err := further.Validate(); err != nil {
		t.Errorf("further reporting currencies USD,GBP: %v", err)
	}
	if fx := further.FX(); fx.Reporting != "EUR" || len(fx.Further) != 2 || fx.Further[0] != "USD" || fx.Further[1] != "GBP" {
		t.Errorf("FX() = %+v, want EUR with further USD, GBP", fx)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tc.field) {
				t.Fatalf("Validate() = %v, want an error naming %q", err, tc.field)
			}
		})
	}
}

func TestEnvironmentThenFlags(t *testing.T) {
	env := map[string]string{"ECONFLOW_BROKERS": "10.0.0.1:9092,10.0.0.2:9092", "ECONFLOW_GROUP": "g-env",
		"ECONFLOW_BATCH_SIZE": "7", "ECONFLOW_KAFKA_PASSWORD": "secret", "ECONFLOW_MEMORY_LIMIT_MIB": "512",
		"ECONFLOW_CLICKHOUSE_CLUSTER": "econflow", "ECONFLOW_REPORTING_CURRENCIES": "USD, GBP"}
	c := DefaultConfig()
	if err := c.fromEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if len(c.Brokers) != 2 || c.Group != "g-env" || c.BatchSize != 7 || c.Security.Password != "secret" || c.MemoryLimitMiB != 512 ||
		c.Cluster != "econflow" || strings.Join(c.Further, ",") != "USD,GBP" {
		t.Fatalf("env not applied: %+v", c)
	}
	if err := c.fromEnv(func(k string) string { return map[string]string{"ECONFLOW_BATCH_SIZE": "many"}[k] }); err == nil {
		t.Fatal("accepted a non-numeric batch size")
	}
}

// listedCommands returns the commands the top-level usage lists.
func listedCommands(t *testing.T) []string {
	t.Helper()
	_, rest, ok := strings.Cut(usage, "Commands:\n")
	if !ok {
		t.Fatal("usage has no Commands: section")
	}
	block, _, _ := strings.Cut(rest, "\n\n")
	var cmds []string
	for _, line := range strings.Split(block, "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(line, "   ") { // "   " starts a continuation
			cmds = append(cmds, f[0])
		}
	}
	if len(cmds) < 7 {
		t.Fatalf("usage lists %d commands: %q", len(cmds), cmds)
	}
	return cmds
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range listedCommands(t) {
		var out, errb bytes.Buffer
		if code := run([]string{cmd, "--help"}, &out, &errb); code != 0 {
			t.Errorf("%s --help exited %d: %s", cmd, code, errb.String())
		}
		if !strings.Contains(errb.String(), "Usage: econflow "+cmd) {
			t.Errorf("%s --help printed no usage: %q", cmd, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "demo") {
		t.Errorf("top-level help: %d %q", code, out.String())
	}
	if code := run([]string{"nope"}, &out, &errb); code != 2 {
		t.Errorf("unknown command exited %d, want 2", code)
	}
}

func TestProduceReportsInvalidLinesWithoutServices(t *testing.T) {
	var out, errb bytes.Buffer
	// An unreachable broker: the invalid line is reported before anything is sent.
	code := run([]string{"produce", "--brokers", "127.0.0.1:1", "testdata/produce/mixed.jsonl"}, &out, &errb)
	if code == 0 {
		t.Fatalf("exit 0 for a file with an invalid line")
	}
	if !strings.Contains(errb.String(), "mixed.jsonl:2:") || !strings.Contains(errb.String(), "bad_decimal") {
		t.Fatalf("invalid line not reported with its number and code: %s", errb.String())
	}
}

// --cluster (env ECONFLOW_CLICKHOUSE_CLUSTER) belongs to the commands that create or write the
// tables; a flag wins over the environment, and without either the store is one server's.
func TestClusterSetting(t *testing.T) {
	cases := []struct {
		name, env string
		args      []string
		want      string
	}{
		{"default", "", nil, ""},
		{"env", "econflow", nil, "econflow"},
		{"flag wins", "econflow", []string{"--cluster", "other"}, "other"},
		{"flag empties", "econflow", []string{"--cluster="}, ""},
	}
	for _, cmd := range []string{"migrate", "consume"} {
		for _, tc := range cases {
			t.Run(cmd+"/"+tc.name, func(t *testing.T) {
				t.Setenv("ECONFLOW_CLICKHOUSE_CLUSTER", tc.env)
				var errb bytes.Buffer
				cfg, _, err := parseFlags(cmd, cmd, tc.args, settings{kafka: true, clickhouse: true, consume: cmd == "consume", cluster: true}, &errb, nil)
				if err != nil {
					t.Fatalf("parse: %v %s", err, errb.String())
				}
				if cfg.Cluster != tc.want {
					t.Errorf("cluster %q, want %q", cfg.Cluster, tc.want)
				}
			})
		}
		var out, errb bytes.Buffer
		run([]string{cmd, "--help"}, &out, &errb)
		if !strings.Contains(errb.String(), "-cluster") || !strings.Contains(errb.String(), "ECONFLOW_CLICKHOUSE_CLUSTER") {
			t.Errorf("%s --help does not show --cluster and its variable:\n%s", cmd, errb.String())
		}
	}
	var out, errb bytes.Buffer
	run([]string{"serve", "--help"}, &out, &errb)
	if strings.Contains(errb.String(), "-cluster") {
		t.Errorf("serve --help shows --cluster; serve only reads the views, which need no cluster setting")
	}
	if code := run([]string{"migrate", "--cluster", "a b"}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "cluster") {
		t.Errorf("migrate --cluster 'a b' exited %d: %s", code, errb.String())
	}
}
