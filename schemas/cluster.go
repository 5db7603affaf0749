package schemas

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// LocalSuffix is appended to a table's name to name its replicated, per-shard table in cluster
// mode. The Distributed table over the shards keeps the single-server name, so the views, the
// consumer's INSERTs and every query written for one server read and write the whole cluster
// unchanged; only the per-shard storage gets a new name.
const LocalSuffix = "_local"

// VintageColumn is the column that tells vintages of one observation apart. A table's sharding
// key is its sorting key without this column: every vintage and every re-delivery of one
// identity hashes to the same shard.
const VintageColumn = "published_at"

// ClusterMigrations returns the migrations of Migrations(db) rewritten for a ClickHouse cluster
// named cluster (a <remote_servers> entry whose shards set internal_replication), with the same
// versions and names. In each:
//
//   - CREATE DATABASE, CREATE VIEW and DROP run ON CLUSTER;
//   - a MergeTree-family table db.t becomes a replicated table db.t_local on every node, engine
//     Replicated<Engine>('/clickhouse/tables/{shard}/<db>/t_local', '{replica}', <engine args>),
//     plus a Distributed table db.t over them, sharded by cityHash64 of the sorting key without
//     published_at (ShardingKey), so the views read the whole cluster under their usual names;
//   - ALTER TABLE db.t alters db.t_local ON CLUSTER, then drops and recreates the Distributed
//     db.t, which cannot be altered ON CLUSTER; a MODIFY ORDER BY is left out (18.16 refuses it
//     on a replicated table), so the sorting key of db.t_local stays the one it was created with;
//   - CREATE MATERIALIZED VIEW db.mv TO db.t AS SELECT … FROM db.s … runs ON CLUSTER, reads
//     db.s_local and writes db.t_local: on every node it sees the inserts that reach that
//     node's shard (a replica that receives a part by replication does not run it, and gets the
//     view's rows by replication of db.t_local);
//   - INSERT INTO db.t SELECT … (a backfill) is kept as it is: it reads the Distributed tables
//     and inserts through the Distributed db.t, once, from the node that migrates; the
//     Distributed table delivers the rows to the shards in the background.
//
// Each server must define the macros {shard} and {replica}. Anything else (a materialized view
// with its own engine, INSERT … VALUES, other engines, a table not created by these
// statements) is an error rather than a guess.
func ClusterMigrations(db, cluster string) ([]Migration, error) {
	migs, err := Migrations(db)
	if err != nil {
		return nil, err
	}
	c, err := newClusterConverter(cluster)
	if err != nil {
		return nil, err
	}
	out := make([]Migration, len(migs))
	for i, m := range migs {
		var stmts []string
		for _, s := range m.Statements {
			conv, err := c.convert(s)
			if err != nil {
				return nil, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			stmts = append(stmts, conv...)
		}
		out[i] = Migration{Version: m.Version, Name: m.Name, Statements: stmts}
	}
	return out, nil
}

// ClusterStatements rewrites single-server statements, in order, for cluster the way
// ClusterMigrations does (e.g. a migration runner's own CREATE DATABASE and bookkeeping table).
// A DROP or ALTER may name only tables created by an earlier statement of the same call.
func ClusterStatements(cluster string, stmts []string) ([]string, error) {
	c, err := newClusterConverter(cluster)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range stmts {
		conv, err := c.convert(s)
		if err != nil {
			return nil, err
		}
		out = append(out, conv...)
	}
	return out, nil
}

// ShardingKey returns the Distributed sharding expression of a CREATE TABLE statement of the
// MergeTree family: cityHash64 of its ORDER BY columns without published_at, e.g.
// cityHash64(base, quote, rate_type, source, frequency, date) for fx_rates_data.
func ShardingKey(createTable string) (string, error) {
	t, err := parseCreateTable(createTable)
	if err != nil {
		return "", err
	}
	return t.shardingKey()
}

// clusterConverter rewrites statements one at a time and remembers which tables became
// Distributed, for later DROP and ALTER statements.
type clusterConverter struct {
	onCluster string            // " ON CLUSTER name", quoted when needed
	literal   string            // the cluster name as an SQL string literal
	dist      map[string]string // "db.table" of a Distributed table → its sharding key
}

var clusterNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// CheckClusterName returns an error unless cluster can name a cluster in the statements of
// ClusterMigrations: letters, digits, '_', '-' and '.', not starting with '-' or '.'.
func CheckClusterName(cluster string) error {
	if !clusterNameRE.MatchString(cluster) {
		return fmt.Errorf("cluster name %q: use letters, digits, '_', '-' and '.'", cluster)
	}
	return nil
}

func newClusterConverter(cluster string) (*clusterConverter, error) {
	if err := CheckClusterName(cluster); err != nil {
		return nil, err
	}
	name := cluster
	if !validIdentifier(cluster) {
		name = "`" + cluster + "`"
	}
	return &clusterConverter{onCluster: " ON CLUSTER " + name, literal: "'" + cluster + "'", dist: map[string]string{}}, nil
}

var (
	createDatabaseRE = regexp.MustCompile(`(?is)^CREATE\s+DATABASE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	createViewRE     = regexp.MustCompile(`(?is)^CREATE\s+VIEW\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)\s+AS\s`)
	dropRE           = regexp.MustCompile(`(?is)^DROP\s+(TABLE|VIEW)\s+(IF\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	modifyOrderByRE  = regexp.MustCompile(`(?is),\s*MODIFY\s+ORDER\s+BY\s*\([^()]*\)`)
	alterRE          = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s+(.+)$`)
	createTableRE    = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
	onClusterRE      = regexp.MustCompile(`(?i)\sON\s+CLUSTER\s`)
	globalInRE       = regexp.MustCompile(`(?i)\s(?:GLOBAL\s+)?IN\s*\(\s*SELECT\s`)
	createMatViewRE  = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)\s+TO\s+([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s+AS\s`)
	insertSelectRE   = regexp.MustCompile(`(?is)^INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s+(?:\([^()]*\)\s*)?SELECT\s`)
	tableRefRE       = regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\b`)
)

func (c *clusterConverter) convert(stmt string) ([]string, error) {
	stmt = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(stmt), ";"))
	if onClusterRE.MatchString(stmt) {
		return nil, fmt.Errorf("statement already has ON CLUSTER: %s", firstLine(stmt))
	}
	if m := createDatabaseRE.FindStringSubmatchIndex(stmt); m != nil {
		return []string{stmt[:m[5]] + c.onCluster + stmt[m[5]:]}, nil
	}
	if m := createViewRE.FindStringSubmatchIndex(stmt); m != nil {
		// A view's IN subquery reads a Distributed table, which the shards may not read again
		// themselves (distributed_product_mode = 'deny'): GLOBAL IN reads it once, on the
		// initiator. (On one server a plain IN keeps 18.16's index use, so the files keep IN.)
		view := globalInRE.ReplaceAllString(stmt[m[5]:], " GLOBAL IN (SELECT ")
		return []string{stmt[:m[5]] + c.onCluster + view}, nil
	}
	if m := dropRE.FindStringSubmatch(stmt); m != nil {
		db, table := m[3], m[4]
		out := []string{stmt + c.onCluster}
		if _, ok := c.dist[db+"."+table]; ok {
			if !strings.EqualFold(m[1], "TABLE") {
				return nil, fmt.Errorf("DROP VIEW of table %s.%s", db, table)
			}
			out = append(out, "DROP TABLE IF EXISTS "+db+"."+table+LocalSuffix+c.onCluster)
			delete(c.dist, db+"."+table)
		}
		return out, nil
	}
	if m := alterRE.FindStringSubmatch(stmt); m != nil {
		db, table, rest := m[1], m[2], m[3]
		key, ok := c.dist[db+"."+table]
		if !ok {
			return nil, fmt.Errorf("ALTER TABLE %s.%s: not a table created by these statements", db, table)
		}
		// ClickHouse 18.16 refuses MODIFY ORDER BY on a replicated table ("Unsupported type of
		// ALTER query"): on a cluster the column is added and the sorting key stays as it was.
		rest = modifyOrderByRE.ReplaceAllString(rest, "")
		return []string{
			"ALTER TABLE " + db + "." + table + LocalSuffix + c.onCluster + " " + rest,
			// ALTER … ON CLUSTER fails on a Distributed table (it is not replicated): recreate it.
			"DROP TABLE IF EXISTS " + db + "." + table + c.onCluster,
			c.distributedDDL(db, table, key),
		}, nil
	}
	if m := createMatViewRE.FindStringSubmatchIndex(stmt); m != nil {
		return c.materializedView(stmt, m)
	}
	if m := insertSelectRE.FindStringSubmatch(stmt); m != nil {
		if _, ok := c.dist[m[1]+"."+m[2]]; !ok {
			return nil, fmt.Errorf("INSERT INTO %s.%s: not a table created by these statements", m[1], m[2])
		}
		if _, err := c.tablesRead(stmt[len(m[0]):]); err != nil {
			return nil, fmt.Errorf("INSERT INTO %s.%s: %w", m[1], m[2], err)
		}
		return []string{stmt}, nil
	}
	if createTableRE.MatchString(stmt) {
		return c.createTable(stmt)
	}
	return nil, fmt.Errorf("statement not supported in cluster mode: %s", firstLine(stmt))
}

// materializedView rewrites CREATE MATERIALIZED VIEW db.mv TO db.t AS SELECT … FROM db.s …
// (m: the match of createMatViewRE) to run ON CLUSTER between the per-shard tables.
func (c *clusterConverter) materializedView(stmt string, m []int) ([]string, error) {
	name, db, target := stmt[m[4]:m[5]], stmt[m[6]:m[7]], stmt[m[8]:m[9]]
	if _, ok := c.dist[db+"."+target]; !ok {
		return nil, fmt.Errorf("materialized view %s: TO %s.%s, not a table created by these statements", name, db, target)
	}
	query := stmt[m[9]:] // " AS SELECT …", as written
	read, err := c.tablesRead(query)
	if err != nil {
		return nil, fmt.Errorf("materialized view %s: %w", name, err)
	}
	if len(read) != 1 {
		return nil, fmt.Errorf("materialized view %s reads %d tables, want one", name, len(read))
	}
	local := tableRefRE.ReplaceAllStringFunc(query, func(ref string) string { return ref + LocalSuffix })
	return []string{stmt[:m[5]] + c.onCluster + " TO " + db + "." + target + LocalSuffix + local}, nil
}

// tablesRead returns the db.table names a query refers to, each a table created by these
// statements (a Distributed table in cluster mode); any other dotted name is an error.
func (c *clusterConverter) tablesRead(query string) ([]string, error) {
	var out []string
	for _, r := range tableRefRE.FindAllString(query, -1) {
		if _, ok := c.dist[r]; !ok {
			return nil, fmt.Errorf("reads %s, not a table created by these statements", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (c *clusterConverter) createTable(stmt string) ([]string, error) {
	t, err := parseCreateTable(stmt)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(t.engine, "MergeTree") || strings.HasPrefix(t.engine, "Replicated") {
		return nil, fmt.Errorf("table %s.%s: engine %s is not supported in cluster mode (want a non-replicated MergeTree family engine)", t.db, t.table, t.engine)
	}
	key, err := t.shardingKey()
	if err != nil {
		return nil, err
	}
	local := t.table + LocalSuffix
	args := []string{"'/clickhouse/tables/{shard}/" + t.db + "/" + local + "'", "'{replica}'"}
	if strings.TrimSpace(t.engineArgs) != "" {
		args = append(args, strings.TrimSpace(t.engineArgs))
	}
	localDDL := "CREATE TABLE " + t.ifNotExists + t.db + "." + local + c.onCluster + " " + t.columns +
		" ENGINE = Replicated" + t.engine + "(" + strings.Join(args, ", ") + ")" + t.rest
	c.dist[t.db+"."+t.table] = key
	return []string{localDDL, c.distributedDDL(t.db, t.table, key)}, nil
}

// distributedDDL creates db.table as a Distributed table over db.table_local, with its columns.
func (c *clusterConverter) distributedDDL(db, table, key string) string {
	return "CREATE TABLE IF NOT EXISTS " + db + "." + table + c.onCluster + " AS " + db + "." + table + LocalSuffix +
		"\nENGINE = Distributed(" + c.literal + ", '" + db + "', '" + table + LocalSuffix + "', " + key + ")"
}

// createTable is a parsed CREATE TABLE db.table (columns) ENGINE = Engine(args) rest.
type createTable struct {
	ifNotExists string // "IF NOT EXISTS " or ""
	db, table   string
	columns     string // "( … )" as written
	engine      string
	engineArgs  string // inside the engine's parentheses, as written
	rest        string // after the engine: ORDER BY, PARTITION BY, SETTINGS …, as written
}

var engineRE = regexp.MustCompile(`(?is)^\s*ENGINE\s*=\s*([A-Za-z][A-Za-z0-9]*)`)

func parseCreateTable(stmt string) (createTable, error) {
	stmt = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(stmt), ";"))
	m := createTableRE.FindStringSubmatchIndex(stmt)
	if m == nil {
		return createTable{}, fmt.Errorf("not a CREATE TABLE db.table (…) statement: %s", firstLine(stmt))
	}
	t := createTable{db: stmt[m[4]:m[5]], table: stmt[m[6]:m[7]]}
	if m[2] >= 0 {
		t.ifNotExists = "IF NOT EXISTS "
	}
	open := m[1] - 1
	end, err := matchParen(stmt, open)
	if err != nil {
		return createTable{}, fmt.Errorf("table %s.%s: column list: %w", t.db, t.table, err)
	}
	t.columns = stmt[open : end+1]
	after := stmt[end+1:]
	em := engineRE.FindStringSubmatchIndex(after)
	if em == nil {
		return createTable{}, fmt.Errorf("table %s.%s: no ENGINE = after the column list", t.db, t.table)
	}
	t.engine = after[em[2]:em[3]]
	rest := after[em[1]:]
	if strings.HasPrefix(rest, "(") {
		e, err := matchParen(rest, 0)
		if err != nil {
			return createTable{}, fmt.Errorf("table %s.%s: engine arguments: %w", t.db, t.table, err)
		}
		t.engineArgs = rest[1:e]
		rest = rest[e+1:]
	}
	t.rest = rest
	return t, nil
}

var (
	orderByRE    = regexp.MustCompile(`(?is)\bORDER\s+BY\s+`)
	nextClauseRE = regexp.MustCompile(`(?is)\s(PARTITION\s+BY|PRIMARY\s+KEY|SAMPLE\s+BY|SETTINGS|TTL)\s`)
)

// shardingKey is cityHash64 of the ORDER BY columns without the vintage column.
func (t createTable) shardingKey() (string, error) {
	loc := orderByRE.FindStringIndex(t.rest)
	if loc == nil {
		return "", fmt.Errorf("table %s.%s: no ORDER BY (old-style MergeTree arguments are not supported)", t.db, t.table)
	}
	expr := t.rest[loc[1]:]
	if strings.HasPrefix(expr, "(") {
		e, err := matchParen(expr, 0)
		if err != nil {
			return "", fmt.Errorf("table %s.%s: ORDER BY: %w", t.db, t.table, err)
		}
		expr = expr[1:e]
	} else if n := nextClauseRE.FindStringIndex(expr); n != nil {
		expr = expr[:n[0]]
	}
	var cols []string
	for _, c := range splitTopLevel(expr) {
		if c = strings.TrimSpace(c); c != "" && c != VintageColumn {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return "", fmt.Errorf("table %s.%s: ORDER BY has no column besides %s to shard by", t.db, t.table, VintageColumn)
	}
	return "cityHash64(" + strings.Join(cols, ", ") + ")", nil
}

// matchParen returns the index of the parenthesis closing the one at s[open], skipping quoted
// strings and identifiers.
func matchParen(s string, open int) (int, error) {
	if open >= len(s) || s[open] != '(' {
		return 0, errors.New("no opening parenthesis")
	}
	depth := 0
	var quote byte
	for i := open; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
		case ch == '(':
			depth++
		case ch == ')':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, errors.New("unbalanced parentheses")
}

// splitTopLevel splits s at commas outside parentheses and quotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
		case ch == '(':
			depth++
		case ch == ')':
			depth--
		case ch == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func firstLine(s string) string {
	line, _, cut := strings.Cut(s, "\n")
	if cut {
		return line + " …"
	}
	return line
}
