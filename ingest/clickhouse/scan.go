package clickhouse

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

// A rowScanner reads rows of some of a data table's columns back into ingest.Rows, each value
// into the Row field the table declares for its column (see columns.go): it scans into values of
// the driver's types, then converts them as the encoders' conversions in reverse.
type rowScanner struct {
	spec  *tableSpec
	cols  []*columnSpec
	dests []any // one per column, of the type clickhouse-go scans the column's type into
}

// scanner returns a scanner of the named columns of s, in that order; no names: every column.
func (s *tableSpec) scanner(names ...string) *rowScanner {
	if len(names) == 0 {
		names = s.names
	}
	sc := &rowScanner{spec: s}
	for _, name := range names {
		i := s.column(name)
		c := &s.columns[i]
		var dest any
		switch c.value {
		case vString, vAttributes:
			dest = new(string)
		case vDecimal:
			dest = new(decimal.Decimal)
		case vDerived:
			dest = new(*decimal.Decimal)
		case vDate, vDateTime:
			dest = new(time.Time)
		case vOptDate:
			dest = new(*time.Time)
		case vInt8:
			dest = new(int8)
		case vFlag:
			dest = new(uint8)
		case vInt32:
			dest = new(int32)
		case vInt64:
			dest = new(int64)
		case vUnsigned, vUInt64:
			dest = new(uint64)
		case vNanos:
			dest = new(uint32)
		default:
			panic("clickhouse: column " + c.name + " of " + s.table + " cannot be read back") // a bug
		}
		sc.cols, sc.dests = append(sc.cols, c), append(sc.dests, dest)
	}
	return sc
}

// column returns the index of the column named name (panics if there is none: a bug).
func (s *tableSpec) column(name string) int {
	for i := range s.columns {
		if s.columns[i].name == name {
			return i
		}
	}
	panic("clickhouse: " + s.table + " has no column " + name)
}

// selectList is the scanner's columns for a SELECT.
func (sc *rowScanner) selectList() string { return strings.Join(sc.names(), ", ") }

func (sc *rowScanner) names() []string {
	names := make([]string, len(sc.cols))
	for i, c := range sc.cols {
		names[i] = c.name
	}
	return names
}

// scan reads the current row of rows into r, which it overwrites: the fields of the scanner's
// columns, the kind of the table's records and the record version (1; it is not stored).
func (sc *rowScanner) scan(rows driver.Rows, r *ingest.Row) error {
	for i, c := range sc.cols { // a NULL must not leave the previous row's value
		switch c.value {
		case vDerived:
			*sc.dests[i].(**decimal.Decimal) = nil
		case vOptDate:
			*sc.dests[i].(**time.Time) = nil
		}
	}
	if err := rows.Scan(sc.dests...); err != nil {
		return err
	}
	*r = ingest.Row{}
	r.Record.Kind, r.Record.Version = sc.spec.kind, transform.CurrentVersion
	for i, c := range sc.cols {
		f, dest := c.fieldOf(r), sc.dests[i]
		switch c.value {
		case vString:
			*(*string)(f) = *dest.(*string)
		case vAttributes:
			if text := *dest.(*string); text != "" {
				if err := json.Unmarshal([]byte(text), (*map[string]string)(f)); err != nil {
					return fmt.Errorf("%s %q: %w", c.name, text, err)
				}
			}
		case vDecimal:
			*(*transform.Decimal)(f) = toDecimal(*dest.(*decimal.Decimal))
		case vDerived:
			*(**big.Int)(f) = toFixed(*dest.(**decimal.Decimal))
		case vDate:
			*(*time.Time)(f) = dateUTC(*dest.(*time.Time))
		case vOptDate:
			*(*time.Time)(f) = fromDate(*dest.(**time.Time))
		case vDateTime:
			*(*time.Time)(f) = dest.(*time.Time).UTC()
		case vInt8:
			*(*int)(f) = int(*dest.(*int8))
		case vFlag:
			*(*bool)(f) = *dest.(*uint8) != 0
		case vInt32:
			*(*int)(f) = int(*dest.(*int32))
		case vInt64:
			*(*int64)(f) = *dest.(*int64)
		case vUnsigned:
			*(*int64)(f) = int64(*dest.(*uint64))
		case vUInt64:
			*(*uint64)(f) = *dest.(*uint64)
		}
	}
	// The fraction of a second completes the time its DateTime column set above.
	for i, c := range sc.cols {
		if c.value == vNanos {
			f := (*time.Time)(c.fieldOf(r))
			*f = time.Unix(f.Unix(), int64(*sc.dests[i].(*uint32))).UTC()
		}
	}
	return nil
}

// toDecimal converts a driver decimal read from ClickHouse back to an exact transform.Decimal.
func toDecimal(d decimal.Decimal) transform.Decimal {
	coef, exp := d.Coefficient(), d.Exponent()
	if exp > 0 {
		coef.Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
		exp = 0
	}
	return transform.Decimal{Coef: coef, Scale: -exp}
}

func toFixed(d *decimal.Decimal) *big.Int {
	if d == nil {
		return nil
	}
	return toDecimal(*d).Fixed18()
}

func fromDate(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return dateUTC(*t)
}

func dateUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
