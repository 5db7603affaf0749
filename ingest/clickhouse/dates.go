package clickhouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/econflow/econflow/schemas"
)

// Dates are kept in a batch as ClickHouse's Date32 stores them, a signed 32-bit day number
// since 1970-01-01, whatever the server's columns are; an insert into a Date column sends them
// narrowed to Date's unsigned 16 bits (appendNative). Which dates a row may have is what the
// database's columns store (dateLimits): checked as each row is encoded, so that a date the
// server cannot store is a reject with a reason, never a failed insert or a wrapped date.

// dateLimits are the dates the database's Date columns store.
type dateLimits struct {
	first, last int32 // day numbers
	wide        bool  // the columns are Date32
	// why ends a rejection: which columns, on which server, and how to store more.
	why string
}

// narrowDates are the limits of a Date column on every ClickHouse version, until the store
// learns its database's (Store.LearnDates).
var narrowDates = &dateLimits{
	first: dayOf(schemas.DateFirst), last: dayOf(schemas.DateLast),
	why: "what ClickHouse's Date columns store",
}

// dayOf returns the day number of a YYYY-MM-DD date (a constant of this package's).
func dayOf(date string) int32 {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	return int32(d.Unix() / 86400)
}

// dayNumber returns the day number of d's UTC calendar date, or an error naming column when
// limits do not store it.
func (l *dateLimits) dayNumber(column string, d time.Time) (int32, error) {
	s := d.Unix()
	day := s / 86400
	if s%86400 < 0 {
		day--
	}
	if day < int64(l.first) || day > int64(l.last) {
		return 0, fmt.Errorf("%s %s is outside %s…%s, %s", column, d.UTC().Format(time.DateOnly),
			dayText(l.first), dayText(l.last), l.why)
	}
	return int32(day), nil
}

func dayText(day int32) string {
	return time.Unix(int64(day)*86400, 0).UTC().Format(time.DateOnly)
}

// LearnDates reads which dates the database stores, from the type of fuel_prices_data.date
// (Date or Date32, see schemas.WideDates) and the server's version, for the reasons of
// rejections. Migrate calls it; a consumer of a database migrated earlier calls it before its
// first batch. Until then the store takes Date's limits, which every server stores.
func (s *Store) LearnDates(ctx context.Context) error {
	typ, err := s.dateType(ctx)
	if err != nil {
		return err
	}
	var version string
	if err := s.conn.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		return fmt.Errorf("read the server's version: %w", err)
	}
	l := &dateLimits{first: narrowDates.first, last: narrowDates.last}
	switch {
	case typ == "Date32":
		l.first, l.last, l.wide = dayOf(schemas.Date32First), dayOf(schemas.Date32Last), true
		l.why = fmt.Sprintf("what the Date32 columns of database %s store (ClickHouse %s)", s.db, version)
	case typ == string(tDate) && s.hasDate32(ctx):
		l.why = fmt.Sprintf("what the Date columns of database %s store: it was created before econflow stored Date32 "+
			"(ClickHouse %s has it); a database that `econflow migrate` creates there stores %s…%s",
			s.db, version, schemas.Date32First, schemas.Date32Last)
	default:
		l.why = fmt.Sprintf("what the Date columns of ClickHouse %s store (dates %s…%s need Date32: ClickHouse 21.9 or newer, "+
			"and a database that `econflow migrate` creates there)", version, schemas.Date32First, schemas.Date32Last)
	}
	s.buffers.setDates(l)
	return nil
}

// dateType returns the type of fuel_prices_data.date, "" when the table does not exist.
func (s *Store) dateType(ctx context.Context) (string, error) {
	var typ string
	err := s.conn.QueryRow(ctx, "SELECT type FROM system.columns WHERE database = ? AND table = 'fuel_prices_data' AND name = 'date'", s.db).Scan(&typ)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read the type of %s.fuel_prices_data.date: %w", s.db, err)
	}
	return typ, nil
}

// hasDate32 reports whether the server has the type Date32 (ClickHouse 21.9 and newer).
func (s *Store) hasDate32(ctx context.Context) bool {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM system.data_type_families WHERE name = 'Date32'").Scan(&n)
	return err == nil && n == 1
}

// DateRange says which dates the database stores, e.g. "1900-01-01…2299-12-31 (Date32)"
// (LearnDates).
func (s *Store) DateRange() string {
	l, typ := s.buffers.dates(), "Date"
	if l.wide {
		typ = "Date32"
	}
	return dayText(l.first) + "…" + dayText(l.last) + " (" + typ + ")"
}

// toDate is the function that turns a 'YYYY-MM-DD' parameter into a value of the database's
// date type (LearnDates): on current ClickHouse toDate clamps a date before 1970 to 1970-01-01.
func (s *Store) toDate() string {
	if s.buffers.dates().wide {
		return "toDate32"
	}
	return "toDate"
}
