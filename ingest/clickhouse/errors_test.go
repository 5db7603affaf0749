package clickhouse_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/internal/testenv"
)

// serverException decodes an exception from the bytes a server sends for it (code, name,
// message, stack trace, nested flag, then each nested exception), as clickhouse-go does when it
// receives one: the value the driver returns.
func serverException(t *testing.T, code int32, message string, nested ...int32) *ch.Exception {
	t.Helper()
	var b chproto.Buffer
	put := func(code int32, message string, more bool) {
		b.PutInt32(code)
		b.PutString("DB::Exception")
		b.PutString("DB::Exception: " + message)
		b.PutString("0. DB::Exception::Exception(...)\n")
		b.PutBool(more)
	}
	put(code, message, len(nested) > 0)
	for i, c := range nested {
		put(c, "nested", i < len(nested)-1)
	}
	var ex ch.Exception
	if err := ex.Decode(chproto.NewReader(bytes.NewReader(b.Buf))); err != nil {
		t.Fatalf("decode exception: %v", err)
	}
	if ex.Code != code || ex.Message != message {
		t.Fatalf("decoded code %d message %q, want %d %q", ex.Code, ex.Message, code, message)
	}
	return &ex
}

// TestClassifyClickHouseErrors: ClickHouse's exceptions are classified by their code, however
// they are wrapped on the way up; econflow's own schema and value errors by their type; and
// what ClickHouse's classifier does not know (network errors, timeouts, EOF) is retryable by
// ingest.Classify.
func TestClassifyClickHouseErrors(t *testing.T) {
	insert := func(err error) error { return fmt.Errorf("prepare insert into econ.fuel_prices_data: %w", err) }
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	for _, tc := range []struct {
		name   string
		err    error
		known  bool // Classify knows it (not left to ingest.Classify)
		want   ingest.ErrorClass
		action string // part of the action of a non-retryable error
	}{
		// Fatal: the schema.
		{"no such column (16)", insert(serverException(t, 16, "No such column fx_rate in table econ.fuel_prices_data")), true, ingest.Fatal, "econflow migrate"},
		{"missing column in a query (47)", serverException(t, 47, "Missing columns: 'fx_rate' while processing query"), true, ingest.Fatal, "econflow migrate"},
		{"type mismatch (53)", insert(serverException(t, 53, "Type mismatch in IN or VALUES section")), true, ingest.Fatal, "econflow migrate"},
		{"unknown table (60)", insert(serverException(t, 60, "Table econ.fuel_prices_data doesn't exist.")), true, ingest.Fatal, "econflow migrate"},
		{"unknown database (81)", insert(serverException(t, 81, "Database econ doesn't exist")), true, ingest.Fatal, "econflow migrate"},
		{"econflow's column check", fmt.Errorf("write batch: %w", &clickhouse.SchemaError{Err: errors.New("column attributes is Nullable(String) on the server, econflow writes String")}),
			true, ingest.Fatal, "econflow migrate"},
		// Fatal: credentials and permissions.
		{"authentication failed (516)", fmt.Errorf("connect to clickhouse: %w", serverException(t, 516, "default: Authentication failed")), true, ingest.Fatal, "password"},
		{"unknown user (192)", serverException(t, 192, "Unknown user nobody"), true, ingest.Fatal, "password"},
		{"wrong password (193)", serverException(t, 193, "Wrong password for user default"), true, ingest.Fatal, "password"},
		{"password required (194)", serverException(t, 194, "Password required for user default"), true, ingest.Fatal, "password"},
		{"access denied (497)", insert(serverException(t, 497, "default: Not enough privileges")), true, ingest.Fatal, "grant"},
		{"read-only user (164)", insert(serverException(t, 164, "Cannot execute query in readonly mode")), true, ingest.Fatal, "grant"},
		// Bad values.
		{"decimal overflow (407)", insert(serverException(t, 407, "Decimal math overflow")), true, ingest.BadValue, "bug"},
		{"value out of range (321)", insert(serverException(t, 321, "Value is out of range")), true, ingest.BadValue, "bug"},
		{"econflow's row encoding", fmt.Errorf("write batch: t/0@5: %w", &clickhouse.ValueError{Err: errors.New("price does not fit Decimal(38, 18)")}),
			true, ingest.BadValue, "bug"},
		// Retryable.
		{"too many parts (252)", insert(serverException(t, 252, "Too many parts (300). Merges are processing significantly slower than inserts.")), true, ingest.Retryable, ""},
		{"table is read only (242)", insert(serverException(t, 242, "Table is in readonly mode")), true, ingest.Retryable, ""},
		{"memory limit (241)", insert(serverException(t, 241, "Memory limit (for query) exceeded")), true, ingest.Retryable, ""},
		{"no ZooKeeper (225)", insert(serverException(t, 225, "Cannot get ZooKeeper")), true, ingest.Retryable, ""},
		{"Keeper (999)", insert(serverException(t, 999, "Coordination::Exception: Connection loss")), true, ingest.Retryable, ""},
		// Retryable on a cluster: a shard none of whose replicas answers, a replica that lost
		// ZooKeeper, an insert whose outcome is unknown (its identical retry is deduplicated).
		{"every replica of a shard down (279)", insert(serverException(t, 279, "All connection tries failed. Log: Code: 210, e.displayText() = DB::NetException: Connection refused (127.0.0.1:9103)")), true, ingest.Retryable, ""},
		{"no active replicas (254)", insert(serverException(t, 254, "No active replicas")), true, ingest.Retryable, ""},
		{"all replicas lost (415)", insert(serverException(t, 415, "All replicas are lost")), true, ingest.Retryable, ""},
		{"unknown status of insert (319)", insert(serverException(t, 319, "Unknown status, client must retry. Reason: Connection loss")), true, ingest.Retryable, ""},
		{"ZooKeeper session expired (999)", insert(serverException(t, 999, "Coordination::Exception: Session expired")), true, ingest.Retryable, ""},
		{"timeout (159)", insert(serverException(t, 159, "Timeout exceeded")), true, ingest.Retryable, ""},
		{"network error on the server (210)", insert(serverException(t, 210, "Connection reset by peer")), true, ingest.Retryable, ""},
		{"an unlisted code", insert(serverException(t, 9999, "something new")), true, ingest.Retryable, ""},
		{"the top exception decides, not a nested one", insert(serverException(t, 252, "Too many parts", 60)), true, ingest.Retryable, ""},
		{"pool timeout", fmt.Errorf("prepare insert: %w", ch.ErrAcquireConnTimeout), true, ingest.Retryable, ""},
		{"an exception joined with a network error", errors.Join(refused, serverException(t, 60, "Table x doesn't exist.")), true, ingest.Fatal, "econflow migrate"},
		// Not ClickHouse's: left to ingest.Classify.
		{"connection refused", fmt.Errorf("connect to clickhouse: %w", refused), false, ingest.Retryable, ""},
		{"EOF", fmt.Errorf("insert 5 rows into econ.fuel_prices_data: %w", io.EOF), false, ingest.Retryable, ""},
		{"context deadline", fmt.Errorf("insert: %w", context.DeadlineExceeded), false, ingest.Retryable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, known := clickhouse.Classify(tc.err)
			if known != tc.known {
				t.Errorf("clickhouse.Classify knows %v: %v, want %v", tc.err, known, tc.known)
			}
			got := ingest.Classify(tc.err, clickhouse.Classify)
			if got.Class != tc.want {
				t.Fatalf("class of %v: %v, want %v", tc.err, got.Class, tc.want)
			}
			if (got.Action == "") != (tc.want == ingest.Retryable) || !strings.Contains(got.Action, tc.action) {
				t.Errorf("action %q, want one saying %q", got.Action, tc.action)
			}
		})
	}
}

// TestClassifyClickHouseServerExceptions: the errors the real server returns (ClickHouse 18.16,
// through the driver) get the class the table above gives their code.
func TestClassifyClickHouseServerExceptions(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t)
	store := testenv.OpenStore(t, dsn)
	db := store.Database()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	prepare := func(q string) error {
		b, err := store.Conn().PrepareBatch(ctx, q)
		if err == nil {
			b.Abort()
		}
		return err
	}
	withUser := func(user *url.Userinfo) error {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.User = user
		s, err := clickhouse.Open(ctx, clickhouse.Options{DSN: u.String(), Logger: testenv.Logger(t)})
		if err == nil {
			s.Close()
		}
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		want ingest.ErrorClass
	}{
		{"insert into a column that does not exist", prepare("INSERT INTO " + db + ".fuel_prices_data (source, no_such_column)"), ingest.Fatal},
		{"insert into a table that does not exist", prepare("INSERT INTO " + db + ".no_such_table (a)"), ingest.Fatal},
		{"insert into a database that does not exist", prepare("INSERT INTO " + db + "_missing.fuel_prices_data (source)"), ingest.Fatal},
		{"a query naming a column that does not exist", store.Conn().QueryRow(ctx, "SELECT no_such_column FROM "+db+".fuel_prices_data").Err(), ingest.Fatal},
		{"a wrong password", withUser(url.UserPassword("default", "wrong-"+testenv.RandomSuffix(t))), ingest.Fatal},
		{"an unknown user", withUser(url.User("nobody_" + testenv.RandomSuffix(t))), ingest.Fatal},
		{"a value out of its type's range", store.Conn().QueryRow(ctx, "SELECT toDecimal32(100000000, 2)").Err(), ingest.BadValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ex *ch.Exception
			if !errors.As(tc.err, &ex) {
				t.Fatalf("the server returned %v (%T), not an exception", tc.err, tc.err)
			}
			c, known := clickhouse.Classify(tc.err)
			if !known || c.Class != tc.want {
				t.Fatalf("code %d (%s): classified %v (known %v), want %v", ex.Code, ex.Message, c.Class, known, tc.want)
			}
			t.Logf("code %d: %s → %v: %s", ex.Code, ex.Message, c.Class, c.Action)
		})
	}
}
