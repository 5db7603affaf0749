package schemas_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/econflow/econflow/schemas"
)

// The expected sharding keys, written out from the identities of docs/contract.md §5: every vintage
// (published_at) and every re-delivery of one observation hashes alike; rejects by Kafka offset.
var wantShardingKeys = map[string]string{
	"fuel_prices_data": "cityHash64(country, region, product, tax_basis, currency, unit, source, frequency, date)",
	"wages_data":       "cityHash64(country, region, measure, basis, per, currency, source, frequency, date)",
	"fx_rates_data":    "cityHash64(base, quote, rate_type, source, frequency, date)",
	"rejects_data":     "cityHash64(kafka_topic, kafka_partition, kafka_offset)",
	"indicators_data":  "cityHash64(country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date)",
	"deflators":        "cityHash64(country)",
	// Earlier conversions: one key (with its void) per shard, whatever the shard of the others.
	"fuel_prices_known": "cityHash64(country, region, product, tax_basis, currency, unit, source, frequency, date, known_from)",
	"wages_known":       "cityHash64(country, region, measure, basis, per, currency, source, frequency, date, known_from)",
	"indicators_known":  "cityHash64(country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, known_from)",
	// Conversions into further reporting currencies: every vintage of one currency's conversion
	// of one observation hashes alike.
	"fuel_prices_converted_data": "cityHash64(reporting_currency, country, region, product, tax_basis, currency, unit, source, frequency, date)",
	"wages_converted_data":       "cityHash64(reporting_currency, country, region, measure, basis, per, currency, source, frequency, date)",
	"indicators_converted_data":  "cityHash64(reporting_currency, country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date)",
	// Failed re-derivations: every write of one failure hashes alike.
	"reconversion_failures_data": "cityHash64(kind, country, region, series, product, tax_basis, unit, measure, basis, per, base_period, adjustment, currency, source, frequency, reporting_currency, date)",
	// A price series key of fuel_affordability: its month states merge on one shard per key.
	"fuel_price_keys": "cityHash64(country, currency, region, product)",
}

var (
	createTableNameRE = regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+) `)
	createViewNameRE  = regexp.MustCompile(`^CREATE VIEW IF NOT EXISTS (\w+)\.(\w+) `)
	dropNameRE        = regexp.MustCompile(`^DROP (?:TABLE|VIEW) IF EXISTS (\w+)\.(\w+)$`)
	createMatViewRE   = regexp.MustCompile(`^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)\.(\w+) TO (\w+)\.(\w+) AS\s`)
	insertSelectRE    = regexp.MustCompile(`^INSERT INTO (\w+)\.(\w+)\s+SELECT\s`)
	alterNameRE       = regexp.MustCompile(`^ALTER TABLE (\w+)\.(\w+) (.+)$`)
	modifyOrderByRE   = regexp.MustCompile(`, MODIFY ORDER BY \([^()]*\)`)
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
					// An IN subquery becomes GLOBAL IN: it reads a Distributed table.
					want = strings.ReplaceAll(want, " IN (SELECT ", " GLOBAL IN (SELECT ")
					if c.Statements[next] != want {
						t.Errorf("view %s:\n got %s\nwant %s", name, c.Statements[next], want)
					}
					if strings.Contains(c.Statements[next], schemas.LocalSuffix) {
						t.Errorf("view %s reads a per-shard table; views must read the Distributed tables:\n%s", name, c.Statements[next])
					}
					next++
				case createMatViewRE.MatchString(stmt):
					m := createMatViewRE.FindStringSubmatch(stmt)
					if next >= len(c.Statements) || !tables[m[4]] {
						t.Fatalf("materialized view %s: missing cluster statement, or TO %s, a table no earlier statement creates", m[2], m[4])
					}
					// ON CLUSTER, between the per-shard tables: it sees the inserts that reach each shard.
					want := strings.Replace(stmt, db+"."+m[2]+" TO "+db+"."+m[4]+" AS", db+"."+m[2]+" ON CLUSTER "+cluster+" TO "+db+"."+m[4]+schemas.LocalSuffix+" AS", 1)
					want = regexp.MustCompile(`\bFROM `+db+`\.(\w+)`).ReplaceAllString(want, "FROM "+db+".${1}"+schemas.LocalSuffix)
					if c.Statements[next] != want {
						t.Errorf("materialized view %s:\n got %s\nwant %s", m[2], c.Statements[next], want)
					}
					next++
				case insertSelectRE.MatchString(stmt):
					// A backfill runs once, through the Distributed tables, unchanged.
					if name := insertSelectRE.FindStringSubmatch(stmt)[2]; !tables[name] {
						t.Fatalf("INSERT INTO %s, a table no earlier statement creates", name)
					}
					if next >= len(c.Statements) || c.Statements[next] != stmt {
						t.Fatalf("insert: want it unchanged, got %q", c.Statements[next:])
					}
					next++
				case dropNameRE.MatchString(stmt):
					name := dropNameRE.FindStringSubmatch(stmt)[2]
					if tables[name] {
						t.Fatalf("the test does not know how to check a DROP of table %s here; TestClusterStatements does", name)
					}
					if next >= len(c.Statements) || c.Statements[next] != stmt+" ON CLUSTER "+cluster {
						t.Fatalf("drop of %s: want %q, got %q", name, stmt+" ON CLUSTER "+cluster, c.Statements[next:])
					}
					next++
				case alterNameRE.MatchString(stmt):
					m := alterNameRE.FindStringSubmatch(stmt)
					name := m[2]
					if !tables[name] {
						t.Fatalf("ALTER of %s, a table no earlier migration creates", name)
					}
					want := []string{
						"ALTER TABLE " + db + "." + name + schemas.LocalSuffix + " ON CLUSTER " + cluster + " " + modifyOrderByRE.ReplaceAllString(m[3], ""),
						"DROP TABLE IF EXISTS " + db + "." + name + " ON CLUSTER " + cluster,
					}
					if next+3 > len(c.Statements) || !slices.Equal(c.Statements[next:next+2], want) {
						t.Fatalf("ALTER of %s: want %q and the Distributed table again, got %q", name, want, c.Statements[next:])
					}
					checkDistributedTable(t, db, cluster, name, c.Statements[next+2])
					next += 3
				default:
					t.Fatalf("the test does not know this kind of statement: %s", firstLine(stmt))
				}
			}
			if next != len(c.Statements) {
				t.Errorf("%d cluster statements, want %d", len(c.Statements), next)
			}
			onCluster := regexp.MustCompile(` ON CLUSTER ` + cluster + `(\s|$)`)
			for _, s := range c.Statements {
				if insertSelectRE.MatchString(s) {
					continue // an INSERT runs once, from the node that migrates
				}
				if n := len(onCluster.FindAllString(s, -1)); n != 1 {
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
			name: "alter with MODIFY ORDER BY: the column added, the sorting key kept (18.16 refuses it on a replicated table)", cluster: "econflow",
			in: []string{table, "ALTER TABLE d.t ADD COLUMN ns UInt32 AFTER published_at, MODIFY ORDER BY (k, published_at, ns)"},
			want: []string{
				"CREATE TABLE IF NOT EXISTS d.t_local ON CLUSTER econflow (\n    k String,\n    v UInt64,\n    published_at DateTime('UTC')\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/d/t_local', '{replica}', v)\nORDER BY (k, published_at)",
				"CREATE TABLE IF NOT EXISTS d.t ON CLUSTER econflow AS d.t_local\nENGINE = Distributed('econflow', 'd', 't_local', cityHash64(k))",
				"ALTER TABLE d.t_local ON CLUSTER econflow ADD COLUMN ns UInt32 AFTER published_at",
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
			name: "materialized view between the per-shard tables, backfill unchanged", cluster: "econflow",
			in: []string{table, "CREATE TABLE d.s (k String, n AggregateFunction(max, UInt64)) ENGINE = AggregatingMergeTree ORDER BY k",
				"CREATE MATERIALIZED VIEW IF NOT EXISTS d.s_mv TO d.s AS\nSELECT k, maxState(v) AS n FROM d.t GROUP BY k",
				"INSERT INTO d.s SELECT k, maxState(v) AS n FROM d.t GROUP BY k"},
			want: []string{
				"CREATE TABLE IF NOT EXISTS d.t_local ON CLUSTER econflow (\n    k String,\n    v UInt64,\n    published_at DateTime('UTC')\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/d/t_local', '{replica}', v)\nORDER BY (k, published_at)",
				"CREATE TABLE IF NOT EXISTS d.t ON CLUSTER econflow AS d.t_local\nENGINE = Distributed('econflow', 'd', 't_local', cityHash64(k))",
				"CREATE TABLE d.s_local ON CLUSTER econflow (k String, n AggregateFunction(max, UInt64)) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/d/s_local', '{replica}') ORDER BY k",
				"CREATE TABLE IF NOT EXISTS d.s ON CLUSTER econflow AS d.s_local\nENGINE = Distributed('econflow', 'd', 's_local', cityHash64(k))",
				"CREATE MATERIALIZED VIEW IF NOT EXISTS d.s_mv ON CLUSTER econflow TO d.s_local AS\nSELECT k, maxState(v) AS n FROM d.t_local GROUP BY k",
				"INSERT INTO d.s SELECT k, maxState(v) AS n FROM d.t GROUP BY k",
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
		{"materialized view into an unknown table", "c", []string{"CREATE TABLE d.t (k String) ENGINE = MergeTree ORDER BY k",
			"CREATE MATERIALIZED VIEW d.mv TO d.x AS SELECT k FROM d.t"}, "TO d.x, not a table created by these statements"},
		{"materialized view of an unknown table", "c", []string{"CREATE TABLE d.t (k String) ENGINE = MergeTree ORDER BY k",
			"CREATE MATERIALIZED VIEW d.mv TO d.t AS SELECT k FROM d.x"}, "reads d.x, not a table created by these statements"},
		{"materialized view of two tables", "c", []string{"CREATE TABLE d.t (k String) ENGINE = MergeTree ORDER BY k",
			"CREATE TABLE d.u (k String) ENGINE = MergeTree ORDER BY k",
			"CREATE MATERIALIZED VIEW d.mv TO d.t AS SELECT k FROM d.u WHERE k IN (SELECT k FROM d.t)"}, "reads 2 tables, want one"},
		{"insert into an unknown table", "c", []string{"CREATE TABLE d.t (k String) ENGINE = MergeTree ORDER BY k",
			"INSERT INTO d.x SELECT k FROM d.t"}, "INSERT INTO d.x: not a table created by these statements"},
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

// Environment of the integration test on a real cluster (deploy/cluster.sh).
const (
	envTestCluster      = "ECONFLOW_TEST_CLUSTER"       // "1": run it; unset: skip
	envTestClusterNodes = "ECONFLOW_TEST_CLUSTER_NODES" // native host:port of every node; default cluster.sh's 127.0.0.1:9101-9104
	envTestClusterName  = "ECONFLOW_TEST_CLUSTER_NAME"  // the cluster's name in remote_servers; default econflow
)

// clusterNode is one ClickHouse server of the test cluster.
type clusterNode struct {
	addr, shard, replica string
	conn                 driver.Conn
}

// openCluster connects to every node of the cluster that ECONFLOW_TEST_CLUSTER=1 says runs.
// The test is opt-in (`bash deploy/cluster.sh start` first): unset, it skips; set, a node that
// does not answer fails it.
func openCluster(t *testing.T) (nodes []*clusterNode, cluster string) {
	t.Helper()
	if os.Getenv(envTestCluster) != "1" {
		t.Skipf("%s is not 1: start the cluster with `bash deploy/cluster.sh start` and set %s=1 to run this test", envTestCluster, envTestCluster)
	}
	addrs := []string{"127.0.0.1:9101", "127.0.0.1:9102", "127.0.0.1:9103", "127.0.0.1:9104"}
	if v := os.Getenv(envTestClusterNodes); v != "" {
		addrs = strings.Split(v, ",")
	}
	cluster = "econflow"
	if v := os.Getenv(envTestClusterName); v != "" {
		cluster = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, addr := range addrs {
		conn, err := ch.Open(&ch.Options{Addr: []string{strings.TrimSpace(addr)}, DialTimeout: 5 * time.Second})
		if err == nil {
			err = conn.Ping(ctx)
		}
		if err != nil {
			t.Fatalf("%s=1 but the cluster node %s does not answer (bash deploy/cluster.sh start): %v", envTestCluster, addr, err)
		}
		t.Cleanup(func() { conn.Close() })
		n := &clusterNode{addr: addr, conn: conn}
		if err := conn.QueryRow(ctx, "SELECT anyIf(substitution, macro = 'shard'), anyIf(substitution, macro = 'replica') FROM system.macros").Scan(&n.shard, &n.replica); err != nil {
			t.Fatalf("node %s: macros: %v", addr, err)
		}
		var hosts uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.clusters WHERE cluster = ?", cluster).Scan(&hosts); err != nil || hosts != uint64(len(addrs)) {
			t.Fatalf("node %s: cluster %q has %d hosts (%v), want %d", addr, cluster, hosts, err, len(addrs))
		}
		nodes = append(nodes, n)
	}
	return nodes, cluster
}

func (n *clusterNode) exec(t *testing.T, ctx context.Context, sql string) {
	t.Helper()
	if err := n.conn.Exec(ctx, sql); err != nil {
		t.Fatalf("node %s: %v\n%s", n.addr, err, sql)
	}
}

func (n *clusterNode) count(t *testing.T, ctx context.Context, sql string) uint64 {
	t.Helper()
	var c uint64
	if err := n.conn.QueryRow(ctx, sql).Scan(&c); err != nil {
		t.Fatalf("node %s: %v\n%s", n.addr, err, sql)
	}
	return c
}

// rows returns the result of sql, one string per row, sorted: every column formatted with %v
// (decimals exactly), NULL as NULL.
func (n *clusterNode) rows(t *testing.T, ctx context.Context, sql string) []string {
	t.Helper()
	rs, err := n.conn.Query(ctx, sql)
	if err != nil {
		t.Fatalf("node %s: %v\n%s", n.addr, err, sql)
	}
	defer rs.Close()
	types := rs.ColumnTypes()
	var out []string
	for rs.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rs.Scan(vals...); err != nil {
			t.Fatalf("node %s: scan: %v\n%s", n.addr, err, sql)
		}
		fields := make([]string, len(vals))
		for i, v := range vals {
			rv := reflect.ValueOf(v).Elem()
			for rv.Kind() == reflect.Pointer && !rv.IsNil() {
				rv = rv.Elem()
			}
			if rv.Kind() == reflect.Pointer {
				fields[i] = "NULL"
			} else {
				fields[i] = fmt.Sprint(rv.Interface())
			}
		}
		out = append(out, strings.Join(fields, "\t"))
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("node %s: %v\n%s", n.addr, err, sql)
	}
	sort.Strings(out)
	return out
}

// rowBlock is rows of values a batch can append, and their columns.
type rowBlock struct {
	columns []string
	rows    [][]any
}

// block reads the result of sql as a rowBlock.
func (n *clusterNode) block(t *testing.T, ctx context.Context, sql string) rowBlock {
	t.Helper()
	rs, err := n.conn.Query(ctx, sql)
	if err != nil {
		t.Fatalf("node %s: %v\n%s", n.addr, err, sql)
	}
	defer rs.Close()
	types := rs.ColumnTypes()
	out := rowBlock{columns: rs.Columns()}
	for rs.Next() {
		ptrs := make([]any, len(types))
		for i, ct := range types {
			ptrs[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatalf("node %s: scan: %v\n%s", n.addr, err, sql)
		}
		row := make([]any, len(ptrs))
		for i, p := range ptrs {
			row[i] = reflect.ValueOf(p).Elem().Interface()
		}
		out.rows = append(out.rows, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("node %s: %v\n%s", n.addr, err, sql)
	}
	return out
}

// insert sends rows to table as one block, the way the consumer writes a batch.
func (n *clusterNode) insert(t *testing.T, ctx context.Context, table string, rows rowBlock) {
	t.Helper()
	if err := n.tryInsert(ctx, table, rows); err != nil {
		t.Fatalf("node %s: insert %d rows into %s: %v", n.addr, len(rows.rows), table, err)
	}
}

func (n *clusterNode) tryInsert(ctx context.Context, table string, rows rowBlock) error {
	b, err := n.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(rows.columns, ", ")+")")
	if err != nil {
		return err
	}
	for _, r := range rows.rows {
		if err := b.Append(r...); err != nil {
			b.Abort()
			return err
		}
	}
	return b.Send()
}

// clusterTestData fills the four observation tables of database {db}: every (identity,
// published_at) twice with different _version (a re-delivery, a re-conversion), several vintages
// per identity, wages in the fuel prices' months and currencies so that the affordability view
// has rows, rejects re-delivered at the same offsets.
var clusterTestData = []string{
	`INSERT INTO {db}.fuel_prices_data (source, country, region, product, tax_basis, currency, unit, frequency, date,
        published_at, price, unit_mult, price_per_litre, price_per_litre_eur, fx_status, status, record_id,
        kafka_topic, kafka_partition, kafka_offset, ingested_at, _version)
    SELECT 'test', ['KZ','DE','FR','PL','US'][id % 5 + 1], if(intDiv(id, 5) % 3 = 0, 'R1', ''),
        ['AI-92','diesel'][intDiv(id, 15) % 2 + 1], 'incl_tax', ['KZT','EUR','EUR','PLN','USD'][id % 5 + 1], 'l', 'monthly',
        addMonths(toDate('2022-01-01'), intDiv(id, 30)), toDateTime('2022-07-01 00:00:00', 'UTC') + 86400 * vintage,
        toDecimal128(100 + (number * 37) % 1000, 18) / 8, 0, toDecimal128(100 + (number * 37) % 1000, 18) / 8,
        if(id % 5 = 0, NULL, toDecimal128(100 + (number * 37) % 1000, 18) / 16), if(id % 5 = 0, 'pending', 'ok'), 'final',
        concat('fp', toString(number)), 'econ.fuel_prices', toInt32(number % 3), toInt64(number),
        toDateTime('2022-08-01 00:00:00', 'UTC'), toUInt64(number + 1)
    FROM (SELECT number, number % 100 AS id, intDiv(number, 100) % 3 AS vintage FROM system.numbers LIMIT 600)`,
	`INSERT INTO {db}.wages_data (source, country, region, measure, basis, per, currency, frequency, date, published_at,
        amount, unit_mult, monthly_amount, status, record_id, kafka_topic, kafka_partition, kafka_offset, ingested_at, _version)
    SELECT 'test', ['KZ','DE','FR','PL','US'][id % 5 + 1], if(intDiv(id, 5) % 4 = 0, 'R1', ''), 'average', 'gross', 'month',
        ['KZT','EUR','EUR','PLN','USD'][id % 5 + 1], 'monthly', addMonths(toDate('2022-01-01'), intDiv(id, 10)),
        toDateTime('2022-07-01 00:00:00', 'UTC') + 86400 * vintage, toDecimal128(1000 + (number * 53) % 9000, 18) / 3, 0,
        toDecimal128(1000 + (number * 53) % 9000, 18) / 3, 'final', concat('w', toString(number)), 'econ.wages',
        toInt32(number % 3), toInt64(number), toDateTime('2022-08-01 00:00:00', 'UTC'), toUInt64(number + 1)
    FROM (SELECT number, number % 60 AS id, intDiv(number, 60) % 2 AS vintage FROM system.numbers LIMIT 240)`,
	`INSERT INTO {db}.fx_rates_data (source, base, quote, rate_type, frequency, date, published_at, rate, quantity,
        unit_mult, status, record_id, kafka_topic, kafka_partition, kafka_offset, ingested_at, _version)
    SELECT 'ecb', ['EUR','USD'][id % 2 + 1], ['KZT','PLN','USD'][intDiv(id, 2) % 3 + 1], 'mid', 'daily',
        toDate('2022-01-01') + intDiv(id, 6), toDateTime('2022-07-01 00:00:00', 'UTC') + 3600 * vintage,
        toDecimal128(1 + (number * 7) % 500, 18) / 9, toUInt64(1), 0, 'final', concat('fx', toString(number)),
        'econ.fx_rates', toInt32(number % 3), toInt64(number), toDateTime('2022-08-01 00:00:00', 'UTC'), toUInt64(number + 1)
    FROM (SELECT number, number % 60 AS id, intDiv(number, 60) % 2 AS vintage FROM system.numbers LIMIT 240)`,
	`INSERT INTO {db}.rejects_data (received_at, kafka_topic, kafka_partition, kafka_offset, key, value, error_code, error, _version)
    SELECT toDateTime('2022-08-01 00:00:00', 'UTC') + number, 'econ.fuel_prices', toInt32(number % 3), toInt64(intDiv(number, 3) % 30),
        concat('k', toString(number)), concat('{"n":', toString(number), '}'), 'bad_decimal', concat('attempt ', toString(number)),
        toUInt64(number + 1)
    FROM system.numbers LIMIT 150`,
	`INSERT INTO {db}.indicators_data (source, series, country, region, measure, unit, currency, base_period, adjustment,
        frequency, date, published_at, value, unit_mult, fx_status, status, record_id, kafka_topic, kafka_partition,
        kafka_offset, ingested_at, _version)
    SELECT 'test', concat('S', toString(id % 7)), ['KZ','DE','FR','PL','US'][id % 5 + 1], '', 'cpi', 'index', '',
        '2021-12=100', 'nsa', 'M', addMonths(toDate('2021-06-01'), intDiv(id, 35)),
        toDateTime('2022-07-01 00:00:00', 'UTC') + 86400 * vintage, toDecimal128(90 + (number * 13) % 40, 18) / 7, 0, '',
        'A', concat('ind', toString(number)), 'econ.indicators', toInt32(number % 3), toInt64(number),
        toDateTime('2022-08-01 00:00:00', 'UTC'), toUInt64(number + 1)
    FROM (SELECT number, number % 140 AS id, intDiv(number, 140) % 2 AS vintage FROM system.numbers LIMIT 280)`,
	`INSERT INTO {db}.deflators (country, source, series, base_month, active, updated_at, _version)
    SELECT ['KZ','DE','FR','PL','US','AT','BE','CZ','DK','EE','ES','FI'][number % 12 + 1], 'test', concat('S', toString(number % 7)), toDate('2021-12-01'), 1,
        toDateTime('2022-08-01 00:00:00', 'UTC'), toUInt64(number + 1)
    FROM system.numbers LIMIT 12`,
	`INSERT INTO {db}.fuel_prices_known (source, country, region, product, tax_basis, currency, unit, frequency, date,
        published_at, price, unit_mult, price_per_litre, price_per_litre_eur, fx_status, status, record_id,
        kafka_topic, kafka_partition, kafka_offset, ingested_at, _version, known_from)
    SELECT source, country, region, product, tax_basis, currency, unit, frequency, date, published_at, price, unit_mult,
        price_per_litre, price_per_litre_eur, fx_status, status, record_id, kafka_topic, kafka_partition, kafka_offset,
        ingested_at, _version, published_at - 3600
    FROM {db}.fuel_prices_data`,
	`INSERT INTO {db}.wages_known (source, country, region, measure, basis, per, currency, frequency, date, published_at,
        amount, unit_mult, monthly_amount, status, record_id, kafka_topic, kafka_partition, kafka_offset, ingested_at,
        _version, known_from)
    SELECT source, country, region, measure, basis, per, currency, frequency, date, published_at, amount, unit_mult,
        monthly_amount, status, record_id, kafka_topic, kafka_partition, kafka_offset, ingested_at, _version,
        published_at - 3600
    FROM {db}.wages_data`,
	`INSERT INTO {db}.indicators_known (source, series, country, region, measure, unit, currency, base_period, adjustment,
        frequency, date, published_at, value, unit_mult, fx_status, status, record_id, kafka_topic, kafka_partition,
        kafka_offset, ingested_at, _version, known_from)
    SELECT source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date, published_at,
        value, unit_mult, fx_status, status, record_id, kafka_topic, kafka_partition, kafka_offset, ingested_at, _version,
        published_at - 3600
    FROM {db}.indicators_data`,
	`INSERT INTO {db}.fuel_prices_converted_data (reporting_currency, source, country, region, product, tax_basis, currency,
        unit, frequency, date, published_at, price, unit_mult, price_converted, price_per_litre_converted, fx_rate, fx_path,
        fx_status, fx_basis, known_from, record_id, ingested_at, _version)
    SELECT c, source, country, region, product, tax_basis, currency, unit, frequency, date, published_at, price, unit_mult,
        price_per_litre_eur, price_per_litre_eur, fx_rate, fx_path, fx_status, 'point', published_at, record_id, ingested_at, _version
    FROM {db}.fuel_prices_data ARRAY JOIN ['USD', 'GBP'] AS c`,
	`INSERT INTO {db}.wages_converted_data (reporting_currency, source, country, region, measure, basis, per, currency,
        frequency, date, published_at, amount, unit_mult, amount_converted, monthly_amount_converted, fx_status, fx_basis,
        known_from, record_id, ingested_at, _version)
    SELECT c, source, country, region, measure, basis, per, currency, frequency, date, published_at, amount, unit_mult,
        monthly_amount, monthly_amount, 'converted', 'point', published_at, record_id, ingested_at, _version
    FROM {db}.wages_data ARRAY JOIN ['USD', 'GBP'] AS c`,
	`INSERT INTO {db}.indicators_converted_data (reporting_currency, source, series, country, region, measure, unit, currency,
        base_period, adjustment, frequency, date, published_at, value, unit_mult, value_converted, fx_status, fx_basis, known_from,
        record_id, ingested_at, _version)
    SELECT c, source, series, country, region, measure, 'currency', 'KZT', base_period, adjustment, frequency, date, published_at,
        value, unit_mult, value, 'converted', 'point', published_at, record_id, ingested_at, _version
    FROM {db}.indicators_data ARRAY JOIN ['USD', 'GBP'] AS c`,
	`INSERT INTO {db}.reconversion_failures_data (kind, reporting_currency, source, country, region, product, tax_basis,
        currency, unit, frequency, date, published_at, record_id, reason, failed_at, resolved_at, _version)
    SELECT 'fuel_price', 'EUR', source, country, region, product, tax_basis, currency, unit, frequency, date, published_at,
        record_id, 'price_eur does not fit', ingested_at, if(_version % 2 = 0, ingested_at, toDateTime(0, 'UTC')), _version
    FROM {db}.fuel_prices_data`,
}

// The views over the test data: each must have rows, on the cluster as on one server.
var clusterTestViews = []string{"fuel_prices_history", "fuel_prices", "wages_history", "wages", "fx_rates_history",
	"fx_rates", "rejects", "fuel_prices_monthly", "fuel_affordability", "fuel_prices_current",
	"indicators", "indicators_history", "indicators_change", "fuel_prices_real", "wages_real",
	"fuel_prices_bitemporal", "wages_bitemporal", "fx_rates_bitemporal", "conversion_status", "indicators_bitemporal",
	"fuel_prices_converted", "wages_converted", "indicators_converted", "reconversion_failures"}

// On a real 2 × 2 cluster: the rewritten migrations create replicated tables on every node, rows
// written through the Distributed tables land on the shard of their identity, a retried identical
// block is stored once, and every view answers exactly as the same migrations on one server.
func TestClusterMigrationsOnClickHouseCluster(t *testing.T) {
	nodes, cluster := openCluster(t)
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatal(err)
	}
	db := "econ_cluster_test_" + hex.EncodeToString(suffix[:])
	oracle := db + "_single"
	ddl := ch.Context(context.Background(), ch.WithSettings(ch.Settings{"distributed_ddl_task_timeout": 120}))
	ctx, cancel := context.WithTimeout(ddl, 3*time.Minute)
	defer cancel()
	first := nodes[0]
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(ddl, 3*time.Minute)
		defer cancel()
		for _, q := range []string{"DROP DATABASE IF EXISTS " + db + " ON CLUSTER " + cluster, "DROP DATABASE IF EXISTS " + oracle} {
			if err := first.conn.Exec(ctx, q); err != nil {
				t.Errorf("cleanup: %s: %v", q, err)
			}
		}
	})

	// The cluster database, as a migration runner would create it: its own bookkeeping table too.
	setup, err := schemas.ClusterStatements(cluster, []string{
		"CREATE DATABASE IF NOT EXISTS " + db,
		"CREATE TABLE IF NOT EXISTS " + db + ".schema_migrations (version UInt32, name String, applied_at DateTime('UTC')) ENGINE = MergeTree ORDER BY version",
	})
	if err != nil {
		t.Fatal(err)
	}
	migs, err := schemas.ClusterMigrations(db, cluster)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, s := range setup {
		first.exec(t, ctx, s)
	}
	for _, m := range migs {
		for _, s := range m.Statements {
			first.exec(t, ctx, s)
		}
	}
	t.Logf("%d cluster DDL statements in %v", len(setup)+countStatements(migs), time.Since(start).Round(time.Millisecond))
	// The oracle: the single-server migrations in a database of the first node alone.
	single, err := schemas.Migrations(oracle)
	if err != nil {
		t.Fatal(err)
	}
	first.exec(t, ctx, "CREATE DATABASE IF NOT EXISTS "+oracle)
	// Tables a materialized view fills (fuel_price_keys): the rows of the other tables fill them
	// on each side, so they are not copied, and their rows sit on the shard of the row that made
	// them; the views that read them are compared below.
	filled := map[string]bool{}
	for _, m := range single {
		for _, s := range m.Statements {
			first.exec(t, ctx, s)
			if mv := createMatViewRE.FindStringSubmatch(s); mv != nil {
				filled[mv[4]] = true
			}
		}
	}

	// Every node: one writable replica per local table, at the shard's path, named after the node.
	var oracleTables []string
	for _, r := range first.rows(t, ctx, "SELECT name FROM system.tables WHERE database = '"+oracle+"' AND engine LIKE '%MergeTree'") {
		oracleTables = append(oracleTables, r)
	}
	if len(oracleTables) < 4 {
		t.Fatalf("single-server tables %v, want at least the four observation tables", oracleTables)
	}
	for _, n := range nodes {
		var want []string
		for _, table := range append([]string{"schema_migrations"}, oracleTables...) {
			local := table + schemas.LocalSuffix
			want = append(want, fmt.Sprintf("%s\t/clickhouse/tables/%s/%s/%s\t%s\t0\t2\t2", local, n.shard, db, local, n.replica))
		}
		sort.Strings(want)
		got := n.rows(t, ctx, "SELECT table, zookeeper_path, replica_name, is_readonly, total_replicas, active_replicas FROM system.replicas WHERE database = '"+db+"'")
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("node %s: system.replicas:\n%s\nwant:\n%s", n.addr, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		views := n.rows(t, ctx, "SELECT name FROM system.tables WHERE database = '"+db+"' AND engine = 'View'")
		wantViews := first.rows(t, ctx, "SELECT name FROM system.tables WHERE database = '"+oracle+"' AND engine = 'View'")
		if strings.Join(views, ",") != strings.Join(wantViews, ",") {
			t.Errorf("node %s: views %v, want %v", n.addr, views, wantViews)
		}
	}

	// The data: generated into the oracle, read back, and sent as the consumer sends batches (a
	// block of rows from the client) through the Distributed tables, synchronously, twice, from
	// two nodes: the second time is a retry of an identical block, which the replicas deduplicate.
	// (An INSERT … SELECT into a Distributed table is queued on disk and acknowledged at once on
	// 18.16, even with insert_distributed_sync=1: not the consumer's path, and not synchronous.)
	sync := ch.Context(ctx, ch.WithSettings(ch.Settings{"insert_distributed_sync": 1}))
	for _, q := range clusterTestData {
		first.exec(t, ctx, strings.ReplaceAll(q, "{db}", oracle))
	}
	var copied []string
	for _, table := range oracleTables {
		if !filled[table] {
			copied = append(copied, table)
		}
	}
	for _, table := range copied {
		block := first.block(t, ctx, "SELECT * FROM "+oracle+"."+table)
		first.insert(t, sync, db+"."+table, block)
		// Synchronous: when the INSERT returns, one replica of each shard holds its rows.
		stored := map[string]uint64{}
		for _, n := range nodes {
			stored[n.shard] = max(stored[n.shard], n.count(t, ctx, "SELECT count() FROM "+db+"."+table+schemas.LocalSuffix))
		}
		if total := stored[nodes[0].shard] + stored[nodes[len(nodes)-1].shard]; total != uint64(len(block.rows)) {
			t.Errorf("%s: right after the INSERT the shards hold %v rows, want %d in all", table, stored, len(block.rows))
		}
		nodes[len(nodes)-1].insert(t, sync, db+"."+table, block)
	}
	waitReplicated(t, ctx, nodes, db, oracleTables)
	for _, table := range copied {
		got := first.count(t, ctx, "SELECT count() FROM "+db+"."+table)
		want := first.count(t, ctx, "SELECT count() FROM "+oracle+"."+table)
		if got != want || want == 0 {
			t.Errorf("%s: %d rows stored across the shards after a retried insert, want %d (once)", table, got, want)
		}
	}

	// Placement: each identity on exactly one shard, both shards used.
	for table, key := range wantShardingKeys {
		if filled[table] {
			continue
		}
		cols := strings.Split(strings.TrimSuffix(strings.TrimPrefix(key, "cityHash64("), ")"), ", ")
		ident := "toString(" + cols[0] + ")"
		if len(cols) > 1 {
			ident = "concat(toString(" + strings.Join(cols, "), '|', toString(") + "))"
		}
		all := first.rows(t, ctx, "SELECT DISTINCT "+ident+" FROM "+oracle+"."+table)
		seen := map[string]string{}
		split := 0
		for _, n := range nodes {
			for _, id := range n.rows(t, ctx, "SELECT DISTINCT "+ident+" FROM "+db+"."+table+schemas.LocalSuffix) {
				if s, ok := seen[id]; ok && s != n.shard {
					if split++; split <= 3 {
						t.Errorf("%s: identity %s on shards %s and %s", table, id, s, n.shard)
					}
				}
				seen[id] = n.shard
			}
		}
		perShard := map[string]int{}
		for _, s := range seen {
			perShard[s]++
		}
		if len(seen) != len(all) || len(perShard) != 2 {
			t.Errorf("%s: %d identities on the shards (per shard %v), want all %d of the single server spread over 2 shards", table, len(seen), perShard, len(all))
		}
	}

	// Every view, from every node, answers exactly as on one server.
	views := first.rows(t, ctx, "SELECT name FROM system.tables WHERE database = '"+oracle+"' AND engine = 'View'")
	for _, v := range clusterTestViews {
		if !contains(views, v) {
			t.Errorf("view %s is missing from the migrations", v)
		}
	}
	for _, v := range views {
		want := first.rows(t, ctx, "SELECT * FROM "+oracle+"."+v)
		if len(want) == 0 && contains(clusterTestViews, v) {
			t.Errorf("view %s is empty on the single server: the test data must give it rows", v)
		}
		for _, n := range nodes {
			got := n.rows(t, ctx, "SELECT * FROM "+db+"."+v)
			if d := firstDifference(got, want); d != "" {
				t.Errorf("view %s on node %s (%d rows, single server %d): %s", v, n.addr, len(got), len(want), d)
			}
		}
	}
	// ORDER BY … LIMIT over FINAL through a view (a bare Distributed FINAL fails on 18.16 here).
	q := "SELECT * FROM %s.fuel_prices_history ORDER BY country, region, product, tax_basis, currency, unit, source, frequency, date, published_at LIMIT 7"
	if d := firstDifference(first.rows(t, ctx, fmt.Sprintf(q, db)), first.rows(t, ctx, fmt.Sprintf(q, oracle))); d != "" {
		t.Errorf("ordered, limited history: %s", d)
	}

	// With a shard unreachable, a synchronous INSERT through Distributed fails: it is never
	// acknowledged for rows not stored (cluster.sh's <cluster>_shard_down has one such shard).
	down := cluster + "_shard_down"
	if first.count(t, ctx, "SELECT count() FROM system.clusters WHERE cluster = '"+down+"'") == 0 {
		t.Logf("no cluster %s on this cluster: the write with a shard down is not tested", down)
	} else {
		first.exec(t, ctx, "CREATE TABLE "+db+".rejects_shard_down AS "+db+".rejects_data_local ENGINE = Distributed('"+down+"', '"+db+"', 'rejects_data_local', "+wantShardingKeys["rejects_data"]+")")
		rows := first.block(t, ctx, "SELECT * FROM "+oracle+".rejects_data")
		if err := first.tryInsert(sync, db+".rejects_shard_down", rows); err == nil {
			t.Errorf("an INSERT through Distributed was acknowledged while shard 2 of %s is unreachable", down)
		} else {
			t.Logf("with a shard down the INSERT fails: %.200s", strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}

	// An identical block written straight to each replica of a shard is stored once.
	var shard1 []*clusterNode
	for _, n := range nodes {
		if n.shard == nodes[0].shard {
			shard1 = append(shard1, n)
		}
	}
	block := "INSERT INTO " + db + ".rejects_data_local (received_at, kafka_topic, kafka_partition, kafka_offset, key, value, error_code, error, _version) " +
		"SELECT toDateTime('2022-09-01 00:00:00', 'UTC'), 'econ.wages', toInt32(7), toInt64(7), 'k', 'v', 'bad', 'e', toUInt64(1)"
	before := shard1[0].count(t, ctx, "SELECT count() FROM "+db+".rejects_data_local")
	for _, n := range shard1 {
		n.exec(t, ctx, block)
	}
	waitReplicated(t, ctx, nodes, db, []string{"rejects_data"})
	if got := shard1[1].count(t, ctx, "SELECT count() FROM "+db+".rejects_data_local"); got != before+1 {
		t.Errorf("the same block on both replicas: %d rows, want %d", got, before+1)
	}
}

// waitReplicated waits until both replicas of every shard hold the same rows of each table.
func waitReplicated(t *testing.T, ctx context.Context, nodes []*clusterNode, db string, tables []string) {
	t.Helper()
	waitFor(t, 60*time.Second, func() (bool, string) {
		for _, table := range tables {
			counts := map[string]uint64{}
			for _, n := range nodes {
				c := n.count(t, ctx, "SELECT count() FROM "+db+"."+table+schemas.LocalSuffix)
				if q := n.count(t, ctx, "SELECT toUInt64(queue_size) FROM system.replicas WHERE database = '"+db+"' AND table = '"+table+schemas.LocalSuffix+"'"); q != 0 {
					return false, fmt.Sprintf("%s: replication queue of %d on %s", table, q, n.addr)
				}
				if prev, ok := counts[n.shard]; ok && prev != c {
					return false, fmt.Sprintf("%s: shard %s replicas hold %d and %d rows", table, n.shard, prev, c)
				}
				counts[n.shard] = c
			}
		}
		return true, ""
	})
}

// waitFor polls cond until it holds or timeout passes, then fails with cond's last message.
func waitFor(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func countStatements(migs []schemas.Migration) int {
	n := 0
	for _, m := range migs {
		n += len(m.Statements)
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// firstDifference describes the first row where two sorted results differ, or returns "".
func firstDifference(got, want []string) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			return fmt.Sprintf("row missing: %s", want[i])
		case i >= len(want):
			return fmt.Sprintf("extra row: %s", got[i])
		case got[i] != want[i]:
			return fmt.Sprintf("row %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	return ""
}
