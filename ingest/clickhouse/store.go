// Package clickhouse is econflow's ClickHouse side: connecting, migrating the schema, writing
// batches of rows and rejects with the native protocol, and reading back rates and observations
// for re-conversion. It speaks to ClickHouse 18.16 and to current releases: every insert names
// its columns and no value is ever pasted into SQL. Rows are encoded by econflow itself in the
// native column layout (rowBuffer), exact decimals as 128-bit integers scaled by 10^18, and
// written straight into clickhouse-go's insert block (direct.go); rejects go through the
// driver's own columns. Decimals read back (Rates, Observations) arrive as shopspring decimals
// and are converted exactly (toDecimal).
package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	chcodes "github.com/ClickHouse/ch-go/proto"
	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/schemas"
)

// Store writes econflow rows to ClickHouse and reads them back.
type Store struct {
	conn    driver.Conn
	db      string
	cluster string // Options.Cluster
	log     *slog.Logger
	buffers *bufferPool
	// slowInsert warns once that inserts fall back to fill (see driverBlock).
	slowInsert sync.Once
}

var _ ingest.Store = (*Store)(nil)

// Options configure Open. The zero value of a field means its default.
type Options struct {
	// DSN is clickhouse://[user[:password]@]host:port/database[?secure=true&skip_verify=true&compress=…].
	// Data is LZ4-compressed on the wire except to a server on this machine (localhost, 127.x,
	// ::1), where compressing costs the consumer CPU and saves nothing (docs/performance.md);
	// compress=lz4 or compress=false in the DSN decides instead.
	// Default clickhouse://127.0.0.1:9000/econ.
	DSN string
	// DialTimeout bounds connecting. Default 5s.
	DialTimeout time.Duration
	// Logger receives the driver's warnings. Default slog.Default().
	Logger *slog.Logger
	// Cluster, when not empty, is the ClickHouse cluster (a <remote_servers> name whose shards
	// set internal_replication) that econflow's tables are spread over: Migrate applies
	// schemas.ClusterMigrations (replicated tables on every node, Distributed tables under the
	// usual names), and every insert on this store's connections is synchronous
	// (insert_distributed_sync=1): it returns only once each shard has stored its rows, and
	// fails if one cannot. Default "": one server, schemas.Migrations (docs/cluster.md).
	Cluster string
}

// DefaultDSN is the local ClickHouse of `deploy/clickhouse.sh start`.
const DefaultDSN = "clickhouse://127.0.0.1:9000/econ"

// Open connects to ClickHouse. The database named in the DSN need not exist yet (Migrate
// creates it); every statement names it explicitly.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.DSN == "" {
		o.DSN = DefaultDSN
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	opts, db, err := parseDSN(o.DSN)
	if err != nil {
		return nil, err
	}
	if o.Cluster != "" {
		if err := schemas.CheckClusterName(o.Cluster); err != nil {
			return nil, err
		}
		if opts.Settings == nil {
			opts.Settings = ch.Settings{}
		}
		// A Distributed table otherwise acknowledges an insert once it is queued on the
		// initiator's disk, before any shard has it: the consumer would commit offsets of rows
		// not stored. Synchronous, a failed shard fails the insert (code 279 when no replica
		// of it answers) and the consumer retries the identical block. This holds for blocks
		// the client sends, as the consumer's are; INSERT … SELECT stays asynchronous on 18.16.
		opts.Settings["insert_distributed_sync"] = 1
		// Reads (the reconciler's) skip a replica more than a second behind its shard, such as
		// one catching up after a restart, while another replica of the shard is current.
		opts.Settings["max_replica_delay_for_distributed_queries"] = 1
	}
	opts.DialTimeout = o.DialTimeout
	opts.Logger = slog.New(quietVersionWarning{o.Logger.Handler()}).With("component", "clickhouse-driver")
	opts.MaxOpenConns = 8
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %s: %w", RedactDSN(o.DSN), err)
	}
	s := &Store{conn: conn, db: db, cluster: o.Cluster, log: o.Logger, buffers: &bufferPool{}}
	if err := s.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("connect to clickhouse %s: %w", RedactDSN(o.DSN), err)
	}
	return s, nil
}

// isLoopback reports whether host names this machine's loopback interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseDSN returns driver options connected to the server's default database and the econflow
// database named in the DSN path.
func parseDSN(dsn string) (*ch.Options, string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "clickhouse" || u.Host == "" {
		return nil, "", fmt.Errorf("clickhouse DSN %q: want clickhouse://[user[:password]@]host:port/database", RedactDSN(dsn))
	}
	db := strings.Trim(u.Path, "/")
	if db == "" {
		db = schemas.DefaultDatabase
	}
	if _, err := schemas.Migrations(db); err != nil {
		return nil, "", fmt.Errorf("clickhouse DSN: %w", err)
	}
	u.Path = "/default"
	opts, err := ch.ParseDSN(u.String())
	if err != nil {
		return nil, "", fmt.Errorf("clickhouse DSN %q: %w", RedactDSN(dsn), err)
	}
	if !u.Query().Has("compress") && !isLoopback(u.Hostname()) {
		opts.Compression = &ch.Compression{Method: ch.CompressionLZ4}
	}
	return opts, db, nil
}

// RedactDSN hides the password of a DSN (user:password@ or ?password=) for help, logs and
// errors. A DSN that does not parse as a URL has everything between "://" and its last "@"
// hidden.
func RedactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		changed := false
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			changed = true
		}
		// The driver also reads ?password=…
		if q, err := url.ParseQuery(u.RawQuery); err == nil && q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
			changed = true
		} else if err != nil && strings.Contains(u.RawQuery, "password") {
			u.RawQuery = "xxxxx"
			changed = true
		}
		if changed {
			return u.String()
		}
		return dsn
	}
	if i, j := strings.Index(dsn, "://"), strings.LastIndex(dsn, "@"); i >= 0 && j > i {
		return dsn[:i+3] + "xxxxx" + dsn[j:]
	}
	if strings.Contains(dsn, "@") {
		return "xxxxx" + dsn[strings.LastIndex(dsn, "@"):]
	}
	return dsn
}

// Database is the econflow database name.
func (s *Store) Database() string { return s.db }

// Cluster is the ClickHouse cluster the tables are spread over (Options.Cluster); "" for one
// server.
func (s *Store) Cluster() string { return s.cluster }

// Conn is the underlying driver connection, for queries outside the Store's methods.
func (s *Store) Conn() driver.Conn { return s.conn }

// Ping checks that ClickHouse answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// Close closes the connections.
func (s *Store) Close() error { return s.conn.Close() }

// Migrate creates the database, the tables and the views, applying each migration not yet
// recorded in <db>.schema_migrations. It is idempotent and safe to run concurrently: every
// statement is CREATE … IF NOT EXISTS, DROP … IF EXISTS of a view that the same migration
// creates again (two concurrent runs both end with the newest definition), ALTER TABLE … ADD
// COLUMN, whose "column already exists" (ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS)
// means it was applied, or INSERT … SELECT of min and max states into an AggregatingMergeTree
// (a backfill), which a second run leaves with the same merged values.
//
// On a server that has the type Date32 (ClickHouse 21.9 and newer), a new database stores dates
// as Date32, 1900-01-01…2299-12-31 (schemas.WideDates); a database created with Date keeps it.
// Migrate then learns which dates the database stores (LearnDates).
//
// On a cluster (Options.Cluster) the statements are schemas.ClusterMigrations' and the record
// is itself replicated and distributed; every statement runs ON CLUSTER, which waits for every
// node (distributed_ddl_task_timeout, 180 s by default). So when every migration is already
// recorded Migrate runs no DDL at all: a consumer restarting while a replica is down starts at
// once.
func (s *Store) Migrate(ctx context.Context) error {
	migs, err := schemas.Migrations(s.db)
	if err != nil {
		return err
	}
	setup := []string{"CREATE DATABASE IF NOT EXISTS " + s.db,
		"CREATE TABLE IF NOT EXISTS " + s.db + ".schema_migrations " +
			"(version UInt32, name String, applied_at DateTime('UTC')) ENGINE = MergeTree ORDER BY version"}
	if s.cluster != "" {
		if migs, err = schemas.ClusterMigrations(s.db, s.cluster); err != nil {
			return err
		}
		if setup, err = schemas.ClusterStatements(s.cluster, setup); err != nil {
			return err
		}
	}
	wide, err := s.wantWideDates(ctx)
	if err != nil {
		return err
	}
	if wide {
		migs = schemas.WideDates(migs)
	}
	if s.cluster != "" {
		applied, err := s.appliedVersions(ctx)
		if err != nil && !NotMigrated(err) {
			return err
		}
		if allApplied(migs, applied) {
			s.warnWithoutPushdown(ctx)
			return s.LearnDates(ctx)
		}
	}
	for i, stmt := range setup {
		if err := s.conn.Exec(ctx, stmt); err != nil {
			what := "create database " + s.db
			if i > 0 {
				what = "create schema_migrations"
			}
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return err
	}
	for _, m := range migs {
		if applied[uint32(m.Version)] {
			continue
		}
		for _, stmt := range m.Statements {
			if err := s.conn.Exec(ctx, stmt); err != nil && !columnAdded(stmt, err) {
				return fmt.Errorf("migration %04d_%s: %w\n%s", m.Version, m.Name, err, stmt)
			}
		}
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.db+".schema_migrations (version, name, applied_at)")
		if err != nil {
			return err
		}
		if err := b.Append(uint32(m.Version), m.Name, time.Now().UTC()); err != nil {
			return err
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("record migration %d: %w", m.Version, err)
		}
		s.log.Info("applied migration", "database", s.db, "cluster", s.cluster, "version", m.Version, "name", m.Name, "date32", wide)
	}
	s.warnWithoutPushdown(ctx)
	return s.LearnDates(ctx)
}

// wantWideDates reports whether the migrations are to store dates as Date32 (schemas.WideDates):
// when the database's tables already do, or when they do not exist yet and the server has the
// type. A database created with Date keeps it.
func (s *Store) wantWideDates(ctx context.Context) (bool, error) {
	typ, err := s.dateType(ctx)
	if err != nil {
		return false, err
	}
	if typ != "" {
		return typ == string(tDate32), nil
	}
	return s.hasDate32(ctx), nil
}

// appliedVersions returns the versions recorded in schema_migrations.
func (s *Store) appliedVersions(ctx context.Context) (map[uint32]bool, error) {
	applied := map[uint32]bool{}
	rows, err := s.conn.Query(ctx, "SELECT version FROM "+s.db+".schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return applied, nil
}

// allApplied reports whether every migration of migs is recorded in applied.
func allApplied(migs []schemas.Migration, applied map[uint32]bool) bool {
	for _, m := range migs {
		if !applied[uint32(m.Version)] {
			return false
		}
	}
	return true
}

// addColumnRE matches a statement that adds one column to a table.
var addColumnRE = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+\S+(\s+ON\s+CLUSTER\s+\S+)?\s+ADD\s+COLUMN\s`)

// columnAdded reports whether err is the server refusing stmt, an ALTER TABLE … ADD COLUMN,
// because the column exists: an earlier run applied it.
func columnAdded(stmt string, err error) bool {
	var ex *ch.Exception
	if !addColumnRE.MatchString(stmt) || !errors.As(err, &ex) {
		return false
	}
	// 18.16 says ILLEGAL_COLUMN "… column with this name already exists"; newer servers
	// DUPLICATE_COLUMN.
	code := chcodes.Error(ex.Code)
	return code == chcodes.ErrDuplicateColumn || code == chcodes.ErrIllegalColumn && strings.Contains(ex.Message, "already exists")
}

// warnWithoutPushdown warns when the server does not push a query's filters into views
// (enable_optimize_predicate_expression = 0, the default of ClickHouse 18.16): the views then
// read their whole table for every query. A server that cannot say is not warned about.
func (s *Store) warnWithoutPushdown(ctx context.Context) {
	var v string
	err := s.conn.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'enable_optimize_predicate_expression'").Scan(&v)
	if err == nil && v == "0" {
		s.log.Warn("the ClickHouse server does not push filters into views (enable_optimize_predicate_expression = 0): "+
			"every query on econflow's views reads the whole table; set it to 1 in the server's default profile "+
			"(deploy/clickhouse.sh does; see docs/cookbook.md)", "database", s.db)
	}
}

// AppliedMigrations returns how many migrations are recorded.
func (s *Store) AppliedMigrations(ctx context.Context) (int, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM "+s.db+".schema_migrations").Scan(&n)
	return int(n), err
}

// quietVersionWarning demotes the driver's "unsupported clickhouse version" warning to debug:
// econflow supports ClickHouse 18.16 on purpose and checks what it relies on in its tests.
type quietVersionWarning struct{ slog.Handler }

func (h quietVersionWarning) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "unsupported clickhouse version" {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietVersionWarning) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietVersionWarning{h.Handler.WithAttrs(attrs)}
}

func (h quietVersionWarning) WithGroup(name string) slog.Handler {
	return quietVersionWarning{h.Handler.WithGroup(name)}
}
