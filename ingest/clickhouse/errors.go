package clickhouse

import (
	"errors"

	chcodes "github.com/ClickHouse/ch-go/proto"
	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/econflow/econflow/ingest"
)

// SchemaError is an insert refused before any row was sent because the server's table does not
// have the columns, in name, order and type, that econflow writes.
type SchemaError struct{ Err error }

func (e *SchemaError) Error() string { return e.Err.Error() }
func (e *SchemaError) Unwrap() error { return e.Err }

// ValueError is a row holding a value its table cannot store, found while encoding it.
type ValueError struct{ Err error }

func (e *ValueError) Error() string { return e.Err.Error() }
func (e *ValueError) Unwrap() error { return e.Err }

// What to do about each kind of fatal ClickHouse error.
const (
	actionSchema = "the table's columns are not the ones this econflow writes: run `econflow migrate` " +
		"with this version of econflow; a column or table changed or dropped by hand must be restored as schemas/migrations declares it"
	actionTable = "a table econflow writes is missing: run `econflow migrate`; a table dropped by hand after its " +
		"migration was recorded must be restored as schemas/migrations declares it"
	actionDatabase = "the database does not exist: run `econflow migrate` against this ClickHouse DSN"
	actionAuth     = "ClickHouse refused the user or password: check the user and password of the ClickHouse DSN"
	actionAddress  = "ClickHouse does not accept this user from this address: allow it in the server's user settings"
	actionAccess   = "the ClickHouse user may not write the econflow tables: grant it SELECT and INSERT on the database"
	actionSetting  = "this ClickHouse server does not know a setting econflow sends: check that its version is supported"
	actionSQL      = "this ClickHouse server does not understand econflow's SQL: check that its version is supported"
	actionValue    = "ClickHouse refused a value that passed validation, which is a bug in econflow: report it with " +
		"this message; the batch is not committed, so no record is lost"
)

// classifyCode classifies a server exception by its code. A code not listed is retryable.
func classifyCode(code chcodes.Error) ingest.Classification {
	fatal := func(action string) ingest.Classification {
		return ingest.Classification{Class: ingest.Fatal, Action: action}
	}
	switch code {
	// The schema.
	case chcodes.ErrNoSuchColumnInTable, chcodes.ErrThereIsNoColumn, chcodes.ErrNotFoundColumnInBlock,
		chcodes.ErrUnknownIdentifier, chcodes.ErrTypeMismatch, chcodes.ErrIllegalColumn,
		chcodes.ErrCannotConvertType, chcodes.ErrIllegalTypeOfArgument:
		return fatal(actionSchema)
	case chcodes.ErrUnknownTable:
		return fatal(actionTable)
	case chcodes.ErrUnknownDatabase:
		return fatal(actionDatabase)
	// Credentials and permissions.
	case chcodes.ErrAuthenticationFailed, chcodes.ErrUnknownUser, chcodes.ErrWrongPassword, chcodes.ErrRequiredPassword:
		return fatal(actionAuth)
	case chcodes.ErrIPAddressNotAllowed:
		return fatal(actionAddress)
	case chcodes.ErrAccessDenied, chcodes.ErrDatabaseAccessDenied, chcodes.ErrReadonly:
		return fatal(actionAccess)
	// A server that does not speak econflow's SQL.
	case chcodes.ErrUnknownSetting:
		return fatal(actionSetting)
	case chcodes.ErrSyntaxError, chcodes.ErrUnknownFunction, chcodes.ErrNotImplemented:
		return fatal(actionSQL)
	// Values.
	case chcodes.ErrArgumentOutOfBound, chcodes.ErrDecimalOverflow, chcodes.ErrCannotParseText,
		chcodes.ErrCannotParseInputAssertionFailed, chcodes.ErrCannotParseDate, chcodes.ErrCannotParseDatetime,
		chcodes.ErrCannotParseNumber, chcodes.ErrTooLargeStringSize, chcodes.ErrValueIsOutOfRangeOfDataType,
		chcodes.ErrIncorrectData:
		return ingest.Classification{Class: ingest.BadValue, Action: actionValue}
	}
	// Retryable, among others: too many parts, a read-only table (242: its replica lost
	// ZooKeeper or Keeper), ZooKeeper errors (225, 999), every replica of a shard unreachable
	// through a Distributed table (279), no active replicas (254, 415), the memory limit, no
	// space, timeouts, network errors, too many queries, an insert of unknown status (319), a
	// server shutting down.
	return ingest.Classification{Class: ingest.Retryable}
}

var _ ingest.Classifier = Classify

// Classify is the ingest.Classifier of ClickHouse errors: the server's exceptions by their code
// (see classifyCode), a SchemaError as Fatal, a ValueError as BadValue and the driver's own
// connection-pool timeout as Retryable. It does not know other errors (network errors,
// timeouts and EOF are ingest.Classify's, retryable).
func Classify(err error) (ingest.Classification, bool) {
	var schema *SchemaError
	if errors.As(err, &schema) {
		return ingest.Classification{Class: ingest.Fatal, Action: actionSchema}, true
	}
	var value *ValueError
	if errors.As(err, &value) {
		return ingest.Classification{Class: ingest.BadValue, Action: actionValue}, true
	}
	var ex *ch.Exception
	if errors.As(err, &ex) {
		return classifyCode(chcodes.Error(ex.Code)), true
	}
	if errors.Is(err, ch.ErrAcquireConnTimeout) {
		return ingest.Classification{Class: ingest.Retryable}, true
	}
	return ingest.Classification{}, false
}

// NotMigrated reports whether err is the server saying that a database or table does not
// exist: the migrations were not applied (or a table was dropped by hand).
func NotMigrated(err error) bool {
	var ex *ch.Exception
	if !errors.As(err, &ex) {
		return false
	}
	code := chcodes.Error(ex.Code)
	return code == chcodes.ErrUnknownTable || code == chcodes.ErrUnknownDatabase
}
