package clickhouse_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/internal/testenv"
)

// lockedBuffer is a log sink safe for the driver's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestIntegrationMigrateWarnsWithoutPushdown: Migrate warns exactly when the session it runs in
// has enable_optimize_predicate_expression = 0, whatever the server's profile says (the DSN's
// parameter overrides it for the connection).
func TestIntegrationMigrateWarnsWithoutPushdown(t *testing.T) {
	base := testenv.ClickHouseDSN(t)
	for _, tc := range []struct{ name, param string }{
		{"server profile", ""},
		{"pushdown off", "?enable_optimize_predicate_expression=0"},
		{"pushdown on", "?enable_optimize_predicate_expression=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs lockedBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			store, err := clickhouse.Open(ctx, clickhouse.Options{DSN: base + tc.param,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if err := store.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			var v string
			if err := store.Conn().QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'enable_optimize_predicate_expression'").Scan(&v); err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.param != "" && !strings.HasSuffix(tc.param, "="+v):
				t.Fatalf("session has enable_optimize_predicate_expression = %s, want the DSN's %s", v, tc.param)
			case v == "0" && !strings.Contains(logs.String(), "enable_optimize_predicate_expression = 0"):
				t.Errorf("setting 0 and no warning; log:\n%s", logs.String())
			case v != "0" && strings.Contains(logs.String(), "enable_optimize_predicate_expression"):
				t.Errorf("setting %s and a warning:\n%s", v, logs.String())
			}
		})
	}
}
