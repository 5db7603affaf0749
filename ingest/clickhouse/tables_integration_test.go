package clickhouse_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/internal/testenv"
)

// TestIntegrationTablesMatchMigrations applies every migration to a fresh database and checks
// that the tables they create are the ones econflow declares (columns.go), from which it
// encodes rows, lists the columns of inserts and reads rows back: every *_data and *_known table is
// declared, with the same columns in the same order, of the same types, and the same sorting
// key.
func TestIntegrationTablesMatchMigrations(t *testing.T) {
	store := testenv.OpenStore(t, testenv.ClickHouseDSN(t))
	ctx := context.Background()
	db := store.Database()

	declared := clickhouse.DeclaredTables()
	var names []string
	for _, d := range declared {
		names = append(names, d.Name)
	}
	slices.Sort(names)
	var created []string
	rows, err := store.Conn().Query(ctx, "SELECT name FROM system.tables WHERE database = ? AND (name LIKE '%\\_data' OR name LIKE '%\\_known') ORDER BY name", db)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		created = append(created, name)
	}
	rows.Close()
	if !slices.Equal(created, names) {
		t.Errorf("the migrations create the data tables %q; econflow declares %q", created, names)
	}

	for _, want := range declared {
		t.Run(want.Name, func(t *testing.T) {
			var got []string
			rows, err := store.Conn().Query(ctx, "SELECT name, type FROM system.columns WHERE database = ? AND table = ?", db, want.Name)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var name, typ string
				if err := rows.Scan(&name, &typ); err != nil {
					t.Fatal(err)
				}
				got = append(got, name+" "+typ)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want.Columns) {
				t.Errorf("columns of %s (name type, in order):\n  migrations: %s\n  declared:   %s",
					want.Name, strings.Join(got, ", "), strings.Join(want.Columns, ", "))
			}
			var key string
			if err := store.Conn().QueryRow(ctx, "SELECT sorting_key FROM system.tables WHERE database = ? AND name = ?", db, want.Name).Scan(&key); err != nil {
				t.Fatal(err)
			}
			if key != want.SortingKey {
				t.Errorf("sorting key of %s: the migrations' is (%s), the declared one (%s)", want.Name, key, want.SortingKey)
			}
		})
	}
}
