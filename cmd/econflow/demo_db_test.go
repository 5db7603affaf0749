package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The demo writes to econ_demo on the server of ECONFLOW_CLICKHOUSE (or the default), never to
// the database the environment names; --clickhouse chooses any database. ClickHouse here is a
// port nothing answers on, so the demo stops at its connection step, naming the DSN it used.
func TestDemoDatabase(t *testing.T) {
	tests := []struct {
		name, env string
		args      []string
		want      string
	}{
		{"environment's database replaced", "clickhouse://econflow:s3cret@127.0.0.1:1/econ", nil, "clickhouse://econflow:xxxxx@127.0.0.1:1/econ_demo"},
		{"environment with options", "clickhouse://127.0.0.1:1/prod?compress=lz4", nil, "clickhouse://127.0.0.1:1/econ_demo?compress=lz4"},
		{"flag wins", "clickhouse://127.0.0.1:1/econ", []string{"--clickhouse", "clickhouse://127.0.0.1:1/mine"}, "clickhouse://127.0.0.1:1/mine"},
		{"flag naming econ", "", []string{"--clickhouse", "clickhouse://127.0.0.1:1/econ"}, "clickhouse://127.0.0.1:1/econ "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ECONFLOW_CLICKHOUSE", tc.env)
			var out, errb bytes.Buffer
			err := demo(context.Background(), context.Background(), append(tc.args, "--no-serve"), &out, &errb, func(string) { t.Error("served") })
			if err == nil {
				t.Fatal("demo against a port nothing answers on succeeded")
			}
			text := errb.String() + err.Error() + " "
			if !strings.Contains(text, tc.want) {
				t.Errorf("demo used another DSN than %s:\n%s", tc.want, text)
			}
			if strings.Contains(text, "s3cret") {
				t.Errorf("the password is shown:\n%s", text)
			}
			if note := "goes to database econ_demo"; (tc.args == nil) != strings.Contains(text, note) {
				t.Errorf("note %q shown: %v, want %v:\n%s", note, !(tc.args == nil), tc.args == nil, text)
			}
		})
	}
}
