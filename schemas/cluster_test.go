package schemas_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/econflow/econflow/schemas"
)

// The expected sharding keys, written out from the identities of CONTRACT §5: every vintage
// (published_at) and every re-delivery of one observation hashes alike; rejects by Kafka offset.
var wantShardingKeys = map[string]string{
	"fuel_prices_data": "cityHash64(country, region, product, tax_basis, currency, unit, source, frequency, date)",
	"wages_data":       "cityHash64(country, region, measure, basis, per, currency, source, frequency, date)",
	"fx_rates_data":    "cityHash64(base, quote, rate_type, source, frequency, date)",
	"rejects_data":     "cityHash64(kafka_topic, kafka_partition, kafka_offset)",
}

var (
	createTableNameRE = regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+) `)
	createViewNameRE  = regexp.MustCompile(`^CREATE VIEW IF NOT EXISTS (\w+)\.(\w+) `)
)

// Every table of the single-server migrations becomes a replicated local table plus a
// Distributed table under the old name; every view is created ON CLUSTER, word for word the same
// query; versions and names are kept.
func TestClusterMigrationsRewriteEveryStatement(t *testing.T) {
	const db, cluster = "econ_c", "econflow"
	single, err := schemas.Migrations(db)
	if err != nil {
		t.Fatal(err)
	}
	clustered, err := schemas.ClusterMigrations(db, cluster)
	if err != nil {
		t.Fatal(err)
	}
	if len(clustered) != len(single) {
		t.Fatalf("%d cluster migrations, want %d", len(clustered), len(single))
	}
	tables := map[string]bool{}
	for i, m := range single {
		c := clustered[i]
		t.Run(m.Name, func(t *testing.T) {
			if c.Version != m.Version || c.Name != m.Name {
				t.Fatalf("migration %d_%s became %d_%s", m.Version, m.Name, c.Version, c.Name)
			}
			next := 0
			for _, stmt := range m.Statements {
				switch {
				case createTableNameRE.MatchString(stmt):
					name := createTableNameRE.FindStringSubmatch(stmt)[2]
					tables[name] = true
					if next+2 > len(c.Statements) {
						t.Fatalf("table %s: missing cluster statements", name)
					}
					checkLocalTable(t, db, cluster, name, stmt, c.Statements[next])
					checkDistributedTable(t, db, cluster, name, c.Statements[next+1])
					next += 2
				case createViewNameRE.MatchString(stmt):
					if next >= len(c.Statements) {
						t.Fatalf("view: missing cluster statement for %s", firstLine(stmt))
					}
					name := createViewNameRE.FindStringSubmatch(stmt)[2]
					want := strings.Replace(stmt, db+"."+name+" AS", db+"."+name+" ON CLUSTER "+cluster+" AS", 1)
					if c.Statements[next] != want {
						t.Errorf("view %s:\n got %s\nwant %s", name, c.Statements[next], want)
					}
					if strings.Contains(c.Statements[next], schemas.LocalSuffix) {
						t.Errorf("view %s reads a per-shard table; views must read the Distributed tables:\n%s", name, c.Statements[next])
					}
					next++
				default:
					t.Fatalf("the test does not know this kind of statement: %s", firstLine(stmt))
				}
			}
			if next != len(c.Statements) {
				t.Errorf("%d cluster statements, want %d", len(c.Statements), next)
			}
			for _, s := range c.Statements {
				if n := strings.Count(s, " ON CLUSTER "+cluster+" "); n != 1 {
					t.Errorf("ON CLUSTER %s %d times in:\n%s", cluster, n, s)
				}
			}
		})
	}
	for name := range wantShardingKeys {
		if !tables[name] {
			t.Errorf("table %s is not in the migrations any more", name)
		}
	}
}

func checkLocalTable(t *testing.T, db, cluster, name, single, local string) {
	t.Helper()
	head := "CREATE TABLE IF NOT EXISTS " + db + "." + name + schemas.LocalSuffix + " ON CLUSTER " + cluster + " ("
	if !strings.HasPrefix(local, head) {
		t.Fatalf("table %s: local table statement does not start with %q:\n%s", name, head, local)
	}
	// The column list and everything after the engine are unchanged.
	cols := single[strings.Index(single, "(") : strings.Index(single, ") ENGINE")+1]
	if !strings.Contains(local, cols) {
		t.Errorf("table %s: column list changed:\n%s", name, local)
	}
	engineRE := regexp.MustCompile(`\) ENGINE = (\w+)(\(([^)]*)\))?`)
	m := engineRE.FindStringSubmatch(single)
	if m == nil {
		t.Fatalf("table %s: no engine in %s", name, single)
	}
	args := "'/clickhouse/tables/{shard}/" + db + "/" + name + schemas.LocalSuffix + "', '{replica}'"
	if m[3] != "" {
		args += ", " + m[3]
	}
	wantEngine := ") ENGINE = Replicated" + m[1] + "(" + args + ")"
	if !strings.Contains(local, wantEngine) {
		t.Errorf("table %s: want engine %q in:\n%s", name, wantEngine, local)
	}
	tail := single[strings.Index(single, m[0])+len(m[0]):]
	if !strings.HasSuffix(local, tail) {
		t.Errorf("table %s: the clauses after the engine changed: want suffix %q in:\n%s", name, tail, local)
	}
}

func checkDistributedTable(t *testing.T, db, cluster, name, dist string) {
	t.Helper()
	key, ok := wantShardingKeys[name]
	if !ok {
		t.Fatalf("table %s: no expected sharding key in this test; add the table's identity to wantShardingKeys", name)
	}
	want := "CREATE TABLE IF NOT EXISTS " + db + "." + name + " ON CLUSTER " + cluster + " AS " + db + "." + name + schemas.LocalSuffix +
		"\nENGINE = Distributed('" + cluster + "', '" + db + "', '" + name + schemas.LocalSuffix + "', " + key + ")"
	if dist != want {
		t.Errorf("table %s:\n got %s\nwant %s", name, dist, want)
	}
}

// The sharding key of each observation table is the identity by which its latest-vintage view
// picks one row (LIMIT 1 BY …): all vintages of one identity are on one shard.
func TestShardingKeyIsTheLatestViewsIdentity(t *testing.T) {
	migs, err := schemas.Migrations(schemas.DefaultDatabase)
	if err != nil {
		t.Fatal(err)
	}
	creates := map[string]string{}
	var views []string
	for _, m := range migs {
		for _, s := range m.Statements {
			if n := createTableNameRE.FindStringSubmatch(s); n != nil {
				creates[n[2]] = s
			} else if createViewNameRE.MatchString(s) {
				views = append(views, s)
			}
		}
	}
	limitByRE := regexp.MustCompile(`(?s)FROM \(SELECT \* FROM econ\.(\w+) FINAL\)\s+ORDER BY published_at DESC\s+LIMIT 1 BY ([\w, ]+)$`)
	checked := 0
	for _, v := range views {
		m := limitByRE.FindStringSubmatch(v)
		if m == nil {
			continue
		}
		table, identity := m[1], strings.Split(m[2], ",")
		t.Run(table, func(t *testing.T) {
			key, err := schemas.ShardingKey(creates[table])
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(strings.TrimPrefix(key, "cityHash64("), ")"), ",")
			if !sameSet(got, identity) {
				t.Errorf("sharding key %s, want the columns of LIMIT 1 BY %s", key, m[2])
			}
			if key != wantShardingKeys[table] {
				t.Errorf("sharding key %s, want %s", key, wantShardingKeys[table])
			}
		})
		checked++
	}
	if checked != 3 {
		t.Errorf("found %d latest-vintage views, want 3 (fuel prices, wages, FX rates)", checked)
	}
}

func sameSet(a, b []string) bool {
	norm := func(s []string) []string {
		out := make([]string, len(s))
		for i, x := range s {
			out[i] = strings.TrimSpace(x)
		}
		sort.Strings(out)
		return out
	}
	return strings.Join(norm(a), ",") == strings.Join(norm(b), ",")
}

func TestClusterStatements(t *testing.T) {
	const table = "CREATE TABLE IF NOT EXISTS d.t (\n    k String,\n    v UInt64,\n    published_at DateTime('UTC')\n) ENGINE = ReplacingMergeTree(v)\nORDER BY (k, published_at)"
	for _, tc := range []struct {
		name    string
		cluster string
		in      []string
		want    []string
	}{
		{
			name: "database", cluster: "econflow",
			in:   []string{"CREATE DATABASE IF NOT EXISTS d"},
			want: []string{"CREATE DATABASE IF NOT EXISTS d ON CLUSTER econflow"},
		},
		{
			name: "plain MergeTree, key without parentheses, settings kept", cluster: "econflow",
			in: []string{"CREATE TABLE d.schema_migrations (version UInt32, name String) ENGINE = MergeTree ORDER BY version SETTINGS index_granularity = 8192;"},
			want: []string{
				"CREATE TABLE d.schema_migrations_local ON CLUSTER econflow (version UInt32, name String) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/d/schema_migrations_local', '{replica}') ORDER BY version SETTINGS index_granularity = 8192",
				"CREATE TABLE IF NOT EXISTS d.schema_migrations ON CLUSTER econflow AS d.schema_migrations_local\nENGINE = Distributed('econflow', 'd', 'schema_migrations_local', cityHash64(version))",
			},
		},
		{
			name: "replacing table without the vintage in the key, then dropped", cluster: "econflow",
			in: []string{table, "DROP TABLE IF EXISTS d.t"},
			want: []string{
				"CREATE TABLE IF NOT EXISTS d.t_local ON CLUSTER econflow (\n    k String,\n    v UInt64,\n    published_at DateTime('UTC')\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/d/t_local', '{replica}', v)\nORDER BY (k, published_at)",
				"CREATE TABLE IF NOT EXISTS d.t ON CLUSTER econflow AS d.t_local\nENGINE = Distributed('econflow', 'd', 't_local', cityHash64(k))",
				"DROP TABLE IF EXISTS d.t ON CLUSTER econflow",
				"DROP TABLE IF EXISTS d.t_local ON CLUSTER econflow",
			},
		},
		{
			name: "alter: the local table altered, the Distributed one recreated", cluster: "econflow",
			in: []string{table, "ALTER TABLE d.t ADD COLUMN note String DEFAULT ''"},
			want: []string{
				"CREATE TABLE IF NOT EXISTS d.t_local ON CLUSTER econflow (\n    k String,\n    v UInt64,\n    published_at DateTime('UTC')\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/d/t_local', '{replica}', v)\nORDER BY (k, published_at)",
				"CREATE TABLE IF NOT EXISTS d.t ON CLUSTER econflow AS d.t_local\nENGINE = Distributed('econflow', 'd', 't_local', cityHash64(k))",
				"ALTER TABLE d.t_local ON CLUSTER econflow ADD COLUMN note String DEFAULT ''",
				"DROP TABLE IF EXISTS d.t ON CLUSTER econflow",
				"CREATE TABLE IF NOT EXISTS d.t ON CLUSTER econflow AS d.t_local\nENGINE = Distributed('econflow', 'd', 't_local', cityHash64(k))",
			},
		},
		{
			name: "views and drop view", cluster: "econflow",
			in: []string{"CREATE VIEW IF NOT EXISTS d.v AS\nSELECT k FROM d.t FINAL", "DROP VIEW IF EXISTS d.v"},
			want: []string{
				"CREATE VIEW IF NOT EXISTS d.v ON CLUSTER econflow AS\nSELECT k FROM d.t FINAL",
				"DROP VIEW IF EXISTS d.v ON CLUSTER econflow",
			},
		},
		{
			name: "a cluster name that is not an identifier is quoted", cluster: "prod-eu.1",
			in: []string{"CREATE DATABASE d", "CREATE TABLE d.x (a String) ENGINE = MergeTree ORDER BY (a, published_at)"},
			want: []string{
				"CREATE DATABASE d ON CLUSTER `prod-eu.1`",
				"CREATE TABLE d.x_local ON CLUSTER `prod-eu.1` (a String) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/d/x_local', '{replica}') ORDER BY (a, published_at)",
				"CREATE TABLE IF NOT EXISTS d.x ON CLUSTER `prod-eu.1` AS d.x_local\nENGINE = Distributed('prod-eu.1', 'd', 'x_local', cityHash64(a))",
			},
		},
		{
			name: "quotes and parentheses inside the column list", cluster: "c",
			in: []string{"CREATE TABLE d.q (a String DEFAULT ')(', b Decimal(38, 18), c String DEFAULT concat('x', ')')) ENGINE = ReplacingMergeTree ORDER BY (a, lower(c))"},
			want: []string{
				"CREATE TABLE d.q_local ON CLUSTER c (a String DEFAULT ')(', b Decimal(38, 18), c String DEFAULT concat('x', ')')) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/d/q_local', '{replica}') ORDER BY (a, lower(c))",
				"CREATE TABLE IF NOT EXISTS d.q ON CLUSTER c AS d.q_local\nENGINE = Distributed('c', 'd', 'q_local', cityHash64(a, lower(c)))",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := schemas.ClusterStatements(tc.cluster, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n;\n") != strings.Join(tc.want, "\n;\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n;\n"), strings.Join(tc.want, "\n;\n"))
			}
		})
	}
}

// What the rewrite cannot do right is refused, not guessed.
func TestClusterStatementsRefuse(t *testing.T) {
	for _, tc := range []struct {
		name, cluster string
		in            []string
		wantErr       string
	}{
		{"materialized view", "c", []string{"CREATE MATERIALIZED VIEW d.mv ENGINE = MergeTree ORDER BY k AS SELECT k FROM d.t"}, "not supported in cluster mode"},
		{"insert", "c", []string{"INSERT INTO d.t VALUES (1)"}, "not supported in cluster mode"},
		{"non-MergeTree engine", "c", []string{"CREATE TABLE d.m (a String) ENGINE = Memory"}, "engine Memory is not supported"},
		{"already replicated", "c", []string{"CREATE TABLE d.r (a String) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY a"}, "engine ReplicatedMergeTree is not supported"},
		{"already on cluster", "c", []string{"CREATE DATABASE d ON CLUSTER c"}, "already has ON CLUSTER"},
		{"old MergeTree syntax", "c", []string{"CREATE TABLE d.o (d Date, a String) ENGINE = MergeTree(d, (a), 8192)"}, "no ORDER BY"},
		{"only the vintage in the key", "c", []string{"CREATE TABLE d.p (published_at DateTime) ENGINE = MergeTree ORDER BY published_at"}, "no column besides published_at"},
		{"alter of an unknown table", "c", []string{"ALTER TABLE d.t ADD COLUMN x String"}, "not a table created by these statements"},
		{"drop view of a table", "c", []string{"CREATE TABLE d.x (a String) ENGINE = MergeTree ORDER BY a", "DROP VIEW d.x"}, "DROP VIEW of table d.x"},
		{"unbalanced column list", "c", []string{"CREATE TABLE d.u (a String ENGINE = MergeTree ORDER BY a"}, "unbalanced parentheses"},
		{"bad cluster name", "a b", []string{"CREATE DATABASE d"}, `cluster name "a b"`},
		{"empty cluster name", "", []string{"CREATE DATABASE d"}, `cluster name ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := schemas.ClusterStatements(tc.cluster, tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %q, %v; want an error containing %q", got, err, tc.wantErr)
			}
		})
	}
	if _, err := schemas.ClusterMigrations("econ", "bad name"); err == nil {
		t.Error("ClusterMigrations accepted a bad cluster name")
	}
	if _, err := schemas.ClusterMigrations("bad-db", "c"); err == nil {
		t.Error("ClusterMigrations accepted a bad database name")
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
