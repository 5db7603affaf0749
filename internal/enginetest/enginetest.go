// Package enginetest runs econflow's SQL on the two ClickHouse engines the project supports, for
// tests that compare them: a ClickHouse server (18.16 here) over its HTTP interface, and current
// ClickHouse (26.x) in-process through the chdb package from PyPI, driven by a Python
// interpreter that has it installed (`make chdb` sets one up). A missing engine skips the test,
// or fails it under CI=true or ECONFLOW_REQUIRE_SERVICES=1 (testenv.RequireServices).
package enginetest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/internal/testenv"
)

// Environment variables read by this package.
const (
	// EnvPython names a Python interpreter with the chdb package installed. Default: the
	// virtual environment of `make chdb`, $HOME/.cache/econflow/chdb/bin/python.
	EnvPython = "ECONFLOW_CHDB_PYTHON"
	// EnvServerHTTP is the HTTP address of the ClickHouse server the tests use. Default
	// http://127.0.0.1:8123 (deploy/clickhouse.sh).
	EnvServerHTTP = "ECONFLOW_TEST_CLICKHOUSE_HTTP"
)

//go:embed runner.py
var runnerScript []byte

// unavailable skips the test, or fails it when services are required.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if testenv.RequireServices() {
		t.Fatalf("required engine unavailable (CI=true or %s=1): %s", testenv.EnvRequireServices, msg)
	}
	t.Skipf("engine unavailable, skipping (set CI=true or %s=1 to make this a failure): %s", testenv.EnvRequireServices, msg)
}

// Server is a ClickHouse server reached over HTTP.
type Server struct {
	base string
	http *http.Client
}

// NewServer returns the server of ECONFLOW_TEST_CLICKHOUSE_HTTP (default http://127.0.0.1:8123)
// once it answers SELECT 1.
func NewServer(t testing.TB) *Server {
	t.Helper()
	base := os.Getenv(EnvServerHTTP)
	if base == "" {
		base = "http://127.0.0.1:8123"
	}
	s := &Server{base: strings.TrimRight(base, "/") + "/", http: &http.Client{Timeout: 10 * time.Minute}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := s.Query(ctx, "SELECT 1", nil); err != nil || strings.TrimSpace(string(out)) != "1" {
		unavailable(t, "ClickHouse HTTP at %s does not answer (start it with `bash deploy/clickhouse.sh start`): %v", base, err)
	}
	return s
}

// Query runs one statement with the given settings (URL parameters) and returns the body.
func (s *Server) Query(ctx context.Context, sql string, settings map[string]string) ([]byte, error) {
	q := url.Values{}
	for k, v := range settings {
		q.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"?"+q.Encode(), strings.NewReader(sql))
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("clickhouse http %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// Stats are the statistics of a SELECT on the server (those of FORMAT JSON).
type Stats struct {
	Rows     uint64        // rows answered
	RowsRead uint64        // table rows read
	Elapsed  time.Duration // server time
}

// Stats runs a SELECT and returns its statistics.
func (s *Server) Stats(ctx context.Context, sql string, settings map[string]string) (Stats, error) {
	body, err := s.Query(ctx, sql+" FORMAT JSON", settings)
	if err != nil {
		return Stats{}, err
	}
	var out struct {
		Rows       uint64 `json:"rows"`
		Statistics struct {
			Elapsed  float64 `json:"elapsed"`
			RowsRead uint64  `json:"rows_read"`
		} `json:"statistics"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return Stats{}, fmt.Errorf("statistics of %q: %w", sql, err)
	}
	return Stats{Rows: out.Rows, RowsRead: out.Statistics.RowsRead,
		Elapsed: time.Duration(out.Statistics.Elapsed * float64(time.Second))}, nil
}

// Chdb is a database of current ClickHouse on disk, run in-process by chdb in a Python
// interpreter; every Run is one interpreter process on the same session directory.
type Chdb struct {
	python string
	dir    string
	script string
}

// NewChdb returns an empty chdb session in a temporary directory of the test.
func NewChdb(t testing.TB) *Chdb {
	t.Helper()
	python := os.Getenv(EnvPython)
	if python == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			unavailable(t, "%s is not set and there is no home directory: %v", EnvPython, err)
		}
		python = filepath.Join(home, ".cache", "econflow", "chdb", "bin", "python")
	}
	if out, err := exec.Command(python, "-c", "import chdb").CombinedOutput(); err != nil {
		unavailable(t, "no chdb for %s (%s; install it with `make chdb`): %v %s", python, EnvPython, err, bytes.TrimSpace(out))
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "runner.py")
	if err := os.WriteFile(script, runnerScript, 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Chdb{python: python, dir: filepath.Join(dir, "session"), script: script}
	return c
}

// Dir is a directory for files the session reads (INSERT … FROM INFILE).
func (c *Chdb) Dir() string { return filepath.Dir(c.script) }

// Result is the outcome of one query.
type Result struct {
	Output   []byte
	RowsRead uint64 // table rows read
	Err      error
}

// Query is one statement and the output format of its result (default TSV).
type Query struct {
	SQL    string
	Format string
}

// Run runs the queries in order in one interpreter. With stopOnError the first failing query
// ends the run and its error is returned; otherwise every query runs and errors are per Result.
func (c *Chdb) Run(ctx context.Context, queries []Query, stopOnError bool) ([]Result, error) {
	type wireQuery struct {
		SQL    string `json:"sql"`
		Format string `json:"format,omitempty"`
	}
	req := struct {
		Path        string      `json:"path"`
		StopOnError bool        `json:"stop_on_error"`
		Queries     []wireQuery `json:"queries"`
	}{Path: c.dir, StopOnError: stopOnError}
	for _, q := range queries {
		req.Queries = append(req.Queries, wireQuery(q))
	}
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, c.python, c.script)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("chdb runner: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var wire []struct {
		Out      string  `json:"out"`
		RowsRead uint64  `json:"rows_read"`
		Error    *string `json:"error"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &wire); err != nil {
		return nil, fmt.Errorf("chdb runner output: %w", err)
	}
	out := make([]Result, len(wire))
	for i, w := range wire {
		b, err := base64.StdEncoding.DecodeString(w.Out)
		if err != nil {
			return nil, fmt.Errorf("chdb runner output %d: %w", i, err)
		}
		out[i] = Result{Output: b, RowsRead: w.RowsRead}
		if w.Error != nil {
			out[i].Err = fmt.Errorf("chdb: %s: %s", firstLine(queries[i].SQL), *w.Error)
		}
	}
	if stopOnError && len(out) > 0 && out[len(out)-1].Err != nil {
		return out, out[len(out)-1].Err
	}
	return out, nil
}

// Exec runs statements in order and stops at the first error.
func (c *Chdb) Exec(ctx context.Context, stmts ...string) error {
	qs := make([]Query, len(stmts))
	for i, s := range stmts {
		qs[i] = Query{SQL: s}
	}
	_, err := c.Run(ctx, qs, true)
	return err
}

// Query runs one query and returns its output in format (default TSV).
func (c *Chdb) Query(ctx context.Context, sql, format string) ([]byte, error) {
	res, err := c.Run(ctx, []Query{{SQL: sql, Format: format}}, true)
	if err != nil {
		return nil, err
	}
	return res[0].Output, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// SameText normalizes the known printing differences between ClickHouse 18.16 and current
// ClickHouse in TabSeparated output, so that equal values compare equal: 18.16 prints the Date
// 1970-01-01 (day 0) as 0000-00-00. Decimals must be printed by current ClickHouse with
// output_format_decimal_trailing_zeros = 1 (see ChdbSettings).
func SameText(b []byte) string {
	return strings.ReplaceAll(string(b), "0000-00-00", "1970-01-01")
}

// ChdbSettings is the SETTINGS clause that makes current ClickHouse print decimals like 18.16:
// with every fractional digit of the scale.
const ChdbSettings = " SETTINGS output_format_decimal_trailing_zeros = 1"
