// Package schemas holds econflow's published formats: the JSON Schemas of the three record kinds
// (jsonschema/), the ClickHouse DDL as ordered migrations (migrations/) and the built-in sample
// dataset used by `econflow demo` (samples/). Everything is embedded, so the binary carries it.
//
// The DDL is written against database `econ`; Migrations rewrites that name when a deployment
// uses another database. It runs on ClickHouse 18.16 and on current releases: it avoids what
// 18.16 lacks (Map, DateTime64, Nullable sorting keys, TTL, CODEC, window functions).
package schemas

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

//go:embed jsonschema/*.json
var jsonSchemaFiles embed.FS

//go:embed samples/*
var sampleFiles embed.FS

// DefaultDatabase is the database name the DDL is written against.
const DefaultDatabase = "econ"

// Migration is one ordered, idempotent schema step.
type Migration struct {
	Version    int      // from the file name prefix, e.g. 1 for 0001_observations.sql
	Name       string   // file name without prefix and extension, e.g. "observations"
	Statements []string // SQL statements in file order, without trailing semicolons
}

// Migrations returns the schema migrations in version order with every reference to database
// `econ.` rewritten to database `db.`.
func Migrations(db string) ([]Migration, error) {
	if !validIdentifier(db) {
		return nil, fmt.Errorf("database name %q: use letters, digits and underscores only", db)
	}
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		prefix, rest, ok := strings.Cut(name, "_")
		if !ok || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %q: name must be NNNN_name.sql", name)
		}
		version, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %q: version prefix: %w", name, err)
		}
		text, err := migrationFiles.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		sql := string(text)
		if db != DefaultDatabase {
			sql = strings.ReplaceAll(sql, DefaultDatabase+".", db+".")
		}
		out = append(out, Migration{Version: version, Name: strings.TrimSuffix(rest, ".sql"), Statements: SplitStatements(sql)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("two migrations with version %d", out[i].Version)
		}
	}
	return out, nil
}

// SplitStatements splits SQL text into statements at semicolons that end a line, dropping
// comment-only lines. The DDL files keep one statement per semicolon-terminated block.
func SplitStatements(sql string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			s := strings.TrimSpace(cur.String())
			stmts = append(stmts, strings.TrimSpace(strings.TrimSuffix(s, ";")))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}

// JSONSchema returns the JSON Schema of a record kind ("fuel_price", "wage" or "fx_rate").
func JSONSchema(kind string) ([]byte, error) {
	return jsonSchemaFiles.ReadFile(path.Join("jsonschema", kind+".schema.json"))
}

// Sample returns a file of the built-in sample dataset, e.g. "kz_2022.jsonl".
func Sample(name string) ([]byte, error) {
	return sampleFiles.ReadFile(path.Join("samples", name))
}

func validIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
