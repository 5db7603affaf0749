package clickhouse

import (
	"math/big"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

// The tables econflow writes, each declared once, here: its columns in the order of its CREATE
// TABLE in schemas/migrations, each with its ClickHouse type and the field of an ingest.Row (or
// ingest.Reject) it holds, and its sorting key. The row encoders (tableBuffer.encode), the
// column lists of inserts and the reading back of rates and observations (rowScanner) are
// derived from these declarations; TestIntegrationTablesMatchMigrations checks them against the
// tables the migrations create.
var (
	fxSpec = spec("fx_rates_data", transform.KindFXRate,
		orderBy("base", "quote", "rate_type", "source", "frequency", "date", "published_at", "published_ns"),
		columns(
			colSource,
			text("base", func(r *ingest.Row) *string { return &r.Record.Base }),
			text("quote", func(r *ingest.Row) *string { return &r.Record.Quote }),
			text("rate_type", func(r *ingest.Row) *string { return &r.Record.RateType }),
			colFrequency,
			colDate,
			colPublishedAt,
			colPublishedNs,
			value("rate", func(r *ingest.Row) *transform.Decimal { return &r.Record.Rate }),
			unsigned("quantity", func(r *ingest.Row) *int64 { return &r.Record.Quantity }),
			colUnitMult,
		),
		recordTailColumns, sourceColumns, withdrawalColumns)

	fuelSpec = spec("fuel_prices_data", transform.KindFuelPrice,
		orderBy("country", "region", "product", "tax_basis", "currency", "unit", "source", "frequency", "date", "published_at", "published_ns"),
		columns(
			colSource,
			colCountry,
			colRegion,
			text("product", func(r *ingest.Row) *string { return &r.Record.Product }),
			text("tax_basis", func(r *ingest.Row) *string { return &r.Record.TaxBasis }),
			colCurrency,
			text("unit", func(r *ingest.Row) *string { return &r.Record.Unit }),
			colFrequency,
			colDate,
			colPublishedAt,
			colPublishedNs,
			value("price", func(r *ingest.Row) *transform.Decimal { return &r.Record.Price }),
			colUnitMult,
			derived("price_per_litre", func(r *ingest.Row) **big.Int { return &r.Derived.PricePerLitre }),
			derived("price_per_kg", func(r *ingest.Row) **big.Int { return &r.Derived.PricePerKg }),
			derived("price_eur", func(r *ingest.Row) **big.Int { return &r.Derived.PriceEUR }),
			derived("price_per_litre_eur", func(r *ingest.Row) **big.Int { return &r.Derived.PricePerLitreEUR }),
			derived("price_per_kg_eur", func(r *ingest.Row) **big.Int { return &r.Derived.PricePerKgEUR }),
		),
		conversionColumns, recordTailColumns, sourceColumns, knownColumns, withdrawalColumns)

	wageSpec = spec("wages_data", transform.KindWage,
		orderBy("country", "region", "measure", "basis", "per", "currency", "source", "frequency", "date", "published_at", "published_ns"),
		columns(
			colSource,
			colCountry,
			colRegion,
			text("measure", func(r *ingest.Row) *string { return &r.Record.Measure }),
			text("basis", func(r *ingest.Row) *string { return &r.Record.Basis }),
			text("per", func(r *ingest.Row) *string { return &r.Record.Per }),
			colCurrency,
			colFrequency,
			colDate,
			colPublishedAt,
			colPublishedNs,
			value("amount", func(r *ingest.Row) *transform.Decimal { return &r.Record.Amount }),
			colUnitMult,
			derived("amount_eur", func(r *ingest.Row) **big.Int { return &r.Derived.AmountEUR }),
			derived("monthly_amount", func(r *ingest.Row) **big.Int { return &r.Derived.MonthlyAmount }),
			derived("monthly_amount_eur", func(r *ingest.Row) **big.Int { return &r.Derived.MonthlyAmountEUR }),
		),
		conversionColumns, recordTailColumns, sourceColumns, knownColumns, withdrawalColumns)

	// The earlier conversions of the observations (docs/contract.md §5.4): the columns of
	// fuel_prices_data, wages_data and indicators_data (indicatorKnownSpec, below), one row per
	// (identity, published_at, known_from), written by the reconciler only.
	fuelKnownSpec = knownSpec("fuel_prices_known", fuelSpec)
	wageKnownSpec = knownSpec("wages_known", wageSpec)

	// The conversions of the observations (fuel prices, wages, indicators in a currency) into the
	// further reporting currencies (docs/contract.md §2.2): one row per (reporting_currency,
	// identity, published_at), its values in reporting_currency, written by the consumer and the
	// reconciler.
	fuelConvertedSpec = spec("fuel_prices_converted_data", transform.KindFuelPrice,
		orderBy("reporting_currency", "country", "region", "product", "tax_basis", "currency", "unit", "source", "frequency", "date", "published_at", "published_ns"),
		columns(
			colReporting,
			colSource,
			colCountry,
			colRegion,
			text("product", func(r *ingest.Row) *string { return &r.Record.Product }),
			text("tax_basis", func(r *ingest.Row) *string { return &r.Record.TaxBasis }),
			colCurrency,
			text("unit", func(r *ingest.Row) *string { return &r.Record.Unit }),
			colFrequency,
			colDate,
			colPublishedAt,
			colPublishedNs,
			value("price", func(r *ingest.Row) *transform.Decimal { return &r.Record.Price }),
			colUnitMult,
			derived("price_converted", func(r *ingest.Row) **big.Int { return &r.Derived.PriceEUR }),
			derived("price_per_litre_converted", func(r *ingest.Row) **big.Int { return &r.Derived.PricePerLitreEUR }),
			derived("price_per_kg_converted", func(r *ingest.Row) **big.Int { return &r.Derived.PricePerKgEUR }),
		),
		conversionColumns, convertedTailColumns, withdrawalColumns)

	wageConvertedSpec = spec("wages_converted_data", transform.KindWage,
		orderBy("reporting_currency", "country", "region", "measure", "basis", "per", "currency", "source", "frequency", "date", "published_at", "published_ns"),
		columns(
			colReporting,
			colSource,
			colCountry,
			colRegion,
			text("measure", func(r *ingest.Row) *string { return &r.Record.Measure }),
			text("basis", func(r *ingest.Row) *string { return &r.Record.Basis }),
			text("per", func(r *ingest.Row) *string { return &r.Record.Per }),
			colCurrency,
			colFrequency,
			colDate,
			colPublishedAt,
			colPublishedNs,
			value("amount", func(r *ingest.Row) *transform.Decimal { return &r.Record.Amount }),
			colUnitMult,
			derived("amount_converted", func(r *ingest.Row) **big.Int { return &r.Derived.AmountEUR }),
			derived("monthly_amount_converted", func(r *ingest.Row) **big.Int { return &r.Derived.MonthlyAmountEUR }),
		),
		conversionColumns, convertedTailColumns, withdrawalColumns)

	indicatorConvertedSpec = spec("indicators_converted_data", transform.KindIndicator,
		orderBy("reporting_currency", "country", "series", "region", "measure", "unit", "currency", "base_period", "adjustment", "source", "frequency", "date", "published_at", "published_ns"),
		columns(
			colReporting,
			colSource,
			text("series", func(r *ingest.Row) *string { return &r.Record.Series }),
			colCountry,
			colRegion,
			text("measure", func(r *ingest.Row) *string { return &r.Record.Measure }),
			text("unit", func(r *ingest.Row) *string { return &r.Record.Unit }),
			colCurrency,
			text("base_period", func(r *ingest.Row) *string { return &r.Record.BasePeriod }),
			text("adjustment", func(r *ingest.Row) *string { return &r.Record.Adjustment }),
			colFrequency,
			colDate,
			colPublishedAt,
			colPublishedNs,
			value("value", func(r *ingest.Row) *transform.Decimal { return &r.Record.IndicatorValue }),
			colUnitMult,
			derived("value_converted", func(r *ingest.Row) **big.Int { return &r.Derived.ValueEUR }),
		),
		conversionColumns, convertedTailColumns, withdrawalColumns)

	indicatorSpec = spec("indicators_data", transform.KindIndicator,
		orderBy("country", "series", "region", "measure", "unit", "currency", "base_period", "adjustment", "source", "frequency", "date", "published_at", "published_ns"),
		columns(
			colSource,
			text("series", func(r *ingest.Row) *string { return &r.Record.Series }),
			colCountry,
			colRegion,
			text("measure", func(r *ingest.Row) *string { return &r.Record.Measure }),
			text("unit", func(r *ingest.Row) *string { return &r.Record.Unit }),
			colCurrency,
			text("base_period", func(r *ingest.Row) *string { return &r.Record.BasePeriod }),
			text("adjustment", func(r *ingest.Row) *string { return &r.Record.Adjustment }),
			colFrequency,
			colDate,
			colPublishedAt,
			colPublishedNs,
			value("value", func(r *ingest.Row) *transform.Decimal { return &r.Record.IndicatorValue }),
			colUnitMult,
			derived("value_eur", func(r *ingest.Row) **big.Int { return &r.Derived.ValueEUR }),
		),
		conversionColumns, recordTailColumns, sourceColumns, knownColumns, withdrawalColumns)
	indicatorKnownSpec = knownSpec("indicators_known", indicatorSpec)

	// dataTables are the tables of rows, in the order a batch inserts them: rates first, so that
	// a reconciler that sees an observation also sees the rates it was converted with.
	dataTables = [...]*tableSpec{fxSpec, fuelSpec, wageSpec, indicatorSpec}
	// knownTables are the tables of earlier conversions, one per observation kind.
	knownTables = [...]*tableSpec{fuelKnownSpec, wageKnownSpec, indicatorKnownSpec}
	// convertedTables are the tables of conversions into further reporting currencies, one per
	// observation kind.
	convertedTables = [...]*tableSpec{fuelConvertedSpec, wageConvertedSpec, indicatorConvertedSpec}
)

// rejectsSpec is rejects_data: one row per rejected message, inserted with the driver's own
// columns (rejects are few).
var rejectsSpec = plainTable[ingest.Reject]{
	table: "rejects_data",
	key:   orderBy("kafka_topic", "kafka_partition", "kafka_offset"),
	columns: []plainColumn[ingest.Reject]{
		plainValue("received_at", tDateTime, func(r *ingest.Reject, _ uint64) time.Time { return r.ReceivedAt.UTC() }),
		plainValue("kafka_topic", tString, func(r *ingest.Reject, _ uint64) string { return r.Message.Topic }),
		plainValue("kafka_partition", tInt32, func(r *ingest.Reject, _ uint64) int32 { return int32(r.Message.Partition) }),
		plainValue("kafka_offset", tInt64, func(r *ingest.Reject, _ uint64) int64 { return r.Message.Offset }),
		plainValue("key", tString, func(r *ingest.Reject, _ uint64) string { return string(r.Message.Key) }),
		plainValue("value", tString, func(r *ingest.Reject, _ uint64) string { return string(r.Message.Value) }),
		plainValue("error_code", tString, func(r *ingest.Reject, _ uint64) string { return string(r.Code) }),
		plainValue("error", tString, func(r *ingest.Reject, _ uint64) string { return r.Reason }),
		plainValue("_version", tUInt64, func(r *ingest.Reject, version uint64) uint64 {
			if r.Version != 0 {
				return r.Version
			}
			return version
		}),
	},
}

// failuresSpec is reconversion_failures_data: one row per (identity, published_at, reporting
// currency) that the reconciler failed to re-derive, resolved or not, inserted with the driver's
// own columns (failures are few). Each failure carries its own _version.
var failuresSpec = plainTable[ingest.Failure]{
	table: "reconversion_failures_data",
	key: orderBy("kind", "country", "region", "series", "product", "tax_basis", "unit", "measure", "basis", "per", "base_period",
		"adjustment", "currency", "source", "frequency", "reporting_currency", "date", "published_at", "published_ns"),
	columns: []plainColumn[ingest.Failure]{
		plainValue("kind", tString, func(f *ingest.Failure, _ uint64) string { return string(f.Record.Kind) }),
		plainValue("reporting_currency", tString, func(f *ingest.Failure, _ uint64) string { return f.Reporting }),
		plainValue("source", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Source }),
		plainValue("country", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Country }),
		plainValue("region", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Region }),
		plainValue("product", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Product }),
		plainValue("tax_basis", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.TaxBasis }),
		plainValue("unit", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Unit }),
		plainValue("measure", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Measure }),
		plainValue("basis", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Basis }),
		plainValue("per", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Per }),
		plainValue("series", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Series }),
		plainValue("base_period", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.BasePeriod }),
		plainValue("adjustment", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Adjustment }),
		plainValue("currency", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Currency }),
		plainValue("frequency", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.Frequency }),
		plainValue("date", tDate, func(f *ingest.Failure, _ uint64) time.Time { return f.Record.Date.UTC() }),
		plainValue("published_at", tDateTime, func(f *ingest.Failure, _ uint64) time.Time { return f.Record.PublishedAt.UTC() }),
		plainValue("published_ns", tUInt32, func(f *ingest.Failure, _ uint64) uint32 { return uint32(f.Record.PublishedAt.Nanosecond()) }),
		plainValue("record_id", tString, func(f *ingest.Failure, _ uint64) string { return f.Record.ID }),
		plainValue("reason", tString, func(f *ingest.Failure, _ uint64) string { return f.Reason }),
		plainValue("failed_at", tDateTime, func(f *ingest.Failure, _ uint64) time.Time { return f.FailedAt.UTC() }),
		plainValue("resolved_at", tDateTime, func(f *ingest.Failure, _ uint64) time.Time { return dateTimeOrEpoch(f.ResolvedAt) }),
		plainValue("_version", tUInt64, func(f *ingest.Failure, _ uint64) uint64 { return f.Version }),
	},
}

// dateTimeOrEpoch is t in UTC, or 1970-01-01 00:00:00 UTC for the zero time.
func dateTimeOrEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

// Columns that several tables share.
var (
	colSource      = text("source", func(r *ingest.Row) *string { return &r.Record.Source })
	colCountry     = text("country", func(r *ingest.Row) *string { return &r.Record.Country })
	colRegion      = text("region", func(r *ingest.Row) *string { return &r.Record.Region })
	colCurrency    = text("currency", func(r *ingest.Row) *string { return &r.Record.Currency })
	colFrequency   = text("frequency", func(r *ingest.Row) *string { return &r.Record.Frequency })
	colDate        = date("date", func(r *ingest.Row) *time.Time { return &r.Record.Date })
	colPublishedAt = dateTime("published_at", func(r *ingest.Row) *time.Time { return &r.Record.PublishedAt })
	// published_ns is published_at's fraction of a second, in nanoseconds: DateTime stores whole
	// seconds (ClickHouse 18.16 has no DateTime64), and two vintages of one second are two rows.
	colPublishedNs = nanos("published_ns", func(r *ingest.Row) *time.Time { return &r.Record.PublishedAt })
	colUnitMult    = smallInt("unit_mult", tInt8, func(r *ingest.Row) *int { return &r.Record.UnitMult })
	colReporting   = text("reporting_currency", func(r *ingest.Row) *string { return &r.Reporting })

	// The groups of columns that end the tables: an observation's conversion (after its derived
	// values), the record's status, attributes and id, and where the row comes from.
	conversionColumns = columns(
		derived("fx_rate", func(r *ingest.Row) **big.Int { return &r.Derived.FXRate }),
		optDate("fx_date", func(r *ingest.Row) *time.Time { return &r.Derived.FXDate }),
		text("fx_path", func(r *ingest.Row) *string { return &r.Derived.FXPath }),
		text("fx_status", func(r *ingest.Row) *string { return &r.Derived.FXStatus }),
		text("fx_basis", func(r *ingest.Row) *string { return &r.Derived.FXBasis }),
	)
	recordTailColumns = columns(
		text("status", func(r *ingest.Row) *string { return &r.Record.Status }),
		attributes("attributes", func(r *ingest.Row) *map[string]string { return &r.Record.Attributes }),
		uniqueText("record_id", func(r *ingest.Row) *string { return &r.Record.ID }),
	)
	// sourceColumns also hold which write of a row wins (_version).
	sourceColumns = columns(
		text("kafka_topic", func(r *ingest.Row) *string { return &r.Topic }),
		smallInt("kafka_partition", tInt32, func(r *ingest.Row) *int { return &r.Partition }),
		int64Column("kafka_offset", func(r *ingest.Row) *int64 { return &r.Offset }),
		dateTime("ingested_at", func(r *ingest.Row) *time.Time { return &r.IngestedAt }),
		uint64Column("_version", func(r *ingest.Row) *uint64 { return &r.Version }),
	)
	// convertedTailColumns end a table of conversions into further reporting currencies: when
	// the conversion became known, the record id, and which write wins.
	convertedTailColumns = columns(
		dateTime("known_from", func(r *ingest.Row) *time.Time { return &r.Derived.KnownFrom }),
		uniqueText("record_id", func(r *ingest.Row) *string { return &r.Record.ID }),
		dateTime("ingested_at", func(r *ingest.Row) *time.Time { return &r.IngestedAt }),
		uint64Column("_version", func(r *ingest.Row) *uint64 { return &r.Version }),
	)
	// knownColumns end an observation's table: when its conversion became known.
	knownColumns = columns(
		dateTime("known_from", func(r *ingest.Row) *time.Time { return &r.Derived.KnownFrom }),
	)
	// withdrawalColumns end every table of rows (migration 0012): 1 for a withdrawal
	// (docs/contract.md §1.9), whose value is stored as 0 and whose derived values are NULL.
	withdrawalColumns = columns(
		flag("withdrawn", func(r *ingest.Row) *bool { return &r.Record.Withdrawn }),
	)
)

// knownSpec is the table of the earlier conversions of data's observations: data's columns,
// sorted by data's key and known_from, with published_ns last (a sorting key grows only at its
// end, and published_ns came after known_from).
func knownSpec(table string, data *tableSpec) *tableSpec {
	key := make([]string, 0, len(data.key)+1)
	for _, k := range data.key {
		if name := data.columns[k].name; name != "published_ns" {
			key = append(key, name)
		}
	}
	return spec(table, data.kind, append(key, "known_from", "published_ns"), data.columns)
}

// A colType is the ClickHouse type of a column, as the server names it.
type colType string

const (
	tString      colType = "String"
	tDecimal     colType = "Decimal(38, 18)"
	tNullDecimal colType = "Nullable(Decimal(38, 18))"
	tDate        colType = "Date" // or Date32, on a database that has it (see dateLimits)
	tNullDate    colType = "Nullable(Date)"
	tDate32      colType = "Date32"
	tNullDate32  colType = "Nullable(Date32)"
	tDateTime    colType = "DateTime('UTC')"
	tInt8        colType = "Int8"
	tInt32       colType = "Int32"
	tInt64       colType = "Int64"
	tUInt64      colType = "UInt64"
	tUInt32      colType = "UInt32"
	tUInt8       colType = "UInt8"
)

// A valueKind says how a column holds its Row field: the field's Go type and its conversion to
// the column's type and back.
type valueKind uint8

const (
	vString     valueKind = iota // string, String
	vAttributes                  // map[string]string, String: JSON with sorted keys, "" when empty
	vDecimal                     // transform.Decimal, Decimal(38, 18)
	vDerived                     // *big.Int scaled by 10^18, Nullable(Decimal(38, 18)): nil is NULL
	vDate                        // time.Time, Date or Date32: days of its UTC date
	vOptDate                     // time.Time, Nullable(Date or Date32): the zero time is NULL
	vDateTime                    // time.Time, DateTime('UTC'): the zero time is 0
	vInt8                        // int, Int8
	vInt32                       // int, Int32
	vInt64                       // int64, Int64
	vUnsigned                    // int64 ≥ 0, UInt64
	vUInt64                      // uint64, UInt64
	vNanos                       // time.Time, UInt32: its nanoseconds within the second
	vFlag                        // bool, UInt8: 1 for true
)

// columnSpec is one column of a table and the Row field it holds.
type columnSpec struct {
	name  string
	typ   colType
	value valueKind
	// field is where the field is in an ingest.Row (see fieldOffset).
	field uintptr
	// unique marks a String column whose values are unique per row (record_id): its bytes are
	// kept one after another, not in a dictionary of the batch's values (see colBuffer).
	unique bool
}

// Column constructors: each takes the column's name and a function that returns the Row field
// it holds, from which only the field's place in a Row is kept.

func text(name string, field func(*ingest.Row) *string) columnSpec {
	return columnSpec{name: name, typ: tString, value: vString, field: fieldOffset(field)}
}

func uniqueText(name string, field func(*ingest.Row) *string) columnSpec {
	c := text(name, field)
	c.unique = true
	return c
}

func attributes(name string, field func(*ingest.Row) *map[string]string) columnSpec {
	return columnSpec{name: name, typ: tString, value: vAttributes, field: fieldOffset(field)}
}

// value is the record's published value.
func value(name string, field func(*ingest.Row) *transform.Decimal) columnSpec {
	return columnSpec{name: name, typ: tDecimal, value: vDecimal, field: fieldOffset(field)}
}

func derived(name string, field func(*ingest.Row) **big.Int) columnSpec {
	return columnSpec{name: name, typ: tNullDecimal, value: vDerived, field: fieldOffset(field)}
}

func date(name string, field func(*ingest.Row) *time.Time) columnSpec {
	return columnSpec{name: name, typ: tDate, value: vDate, field: fieldOffset(field)}
}

func optDate(name string, field func(*ingest.Row) *time.Time) columnSpec {
	return columnSpec{name: name, typ: tNullDate, value: vOptDate, field: fieldOffset(field)}
}

func dateTime(name string, field func(*ingest.Row) *time.Time) columnSpec {
	return columnSpec{name: name, typ: tDateTime, value: vDateTime, field: fieldOffset(field)}
}

// nanos is the fraction of a second of a time.Time field that a dateTime column holds the
// seconds of.
func nanos(name string, field func(*ingest.Row) *time.Time) columnSpec {
	return columnSpec{name: name, typ: tUInt32, value: vNanos, field: fieldOffset(field)}
}

// smallInt is an int column of type Int8 or Int32.
func smallInt(name string, typ colType, field func(*ingest.Row) *int) columnSpec {
	kind := vInt8
	switch typ {
	case tInt8:
	case tInt32:
		kind = vInt32
	default:
		panic("clickhouse: column " + name + ": an int is stored as Int8 or Int32, not " + string(typ))
	}
	return columnSpec{name: name, typ: typ, value: kind, field: fieldOffset(field)}
}

func int64Column(name string, field func(*ingest.Row) *int64) columnSpec {
	return columnSpec{name: name, typ: tInt64, value: vInt64, field: fieldOffset(field)}
}

// unsigned is an int64 ≥ 0 as UInt64.
func unsigned(name string, field func(*ingest.Row) *int64) columnSpec {
	return columnSpec{name: name, typ: tUInt64, value: vUnsigned, field: fieldOffset(field)}
}

// flag is a bool as UInt8 (0 or 1).
func flag(name string, field func(*ingest.Row) *bool) columnSpec {
	return columnSpec{name: name, typ: tUInt8, value: vFlag, field: fieldOffset(field)}
}

func uint64Column(name string, field func(*ingest.Row) *uint64) columnSpec {
	return columnSpec{name: name, typ: tUInt64, value: vUInt64, field: fieldOffset(field)}
}

// fieldOffset returns where in an ingest.Row the field that field returns is: encoders and
// scanners reach a column's field at this offset of the row's address (see fieldOf), without a
// call per value. field must return a field of the Row it is given (panics otherwise).
func fieldOffset[T any](field func(*ingest.Row) *T) uintptr {
	r := new(ingest.Row)
	base, p := uintptr(unsafe.Pointer(r)), uintptr(unsafe.Pointer(field(r)))
	if p < base || p+unsafe.Sizeof(*new(T)) > base+unsafe.Sizeof(*r) {
		panic("clickhouse: a column's field is not a field of the ingest.Row")
	}
	return p - base
}

// fieldOf returns a pointer to the field of r that c holds, as unsafe.Pointer: the caller
// converts it to a pointer of the Go type c.value names.
func (c *columnSpec) fieldOf(r *ingest.Row) unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(r), c.field)
}

func columns(cols ...columnSpec) []columnSpec { return cols }

func orderBy(names ...string) []string { return names }

// tableSpec is a data table's columns in insert order.
type tableSpec struct {
	table   string
	kind    transform.Kind // of the records it holds
	columns []columnSpec
	names   []string
	// key is the table's sorting key (its ORDER BY in schemas/migrations), as indexes into
	// columns.
	key  []int
	plan encodePlan
}

func spec(table string, kind transform.Kind, key []string, groups ...[]columnSpec) *tableSpec {
	s := &tableSpec{table: table, kind: kind, columns: slices.Concat(groups...)}
	s.plan = newEncodePlan(s.columns)
	for _, c := range s.columns {
		s.names = append(s.names, c.name)
	}
	for _, k := range key {
		i := slices.Index(s.names, k)
		if i < 0 || s.columns[i].typ != tString && s.columns[i].typ != tDate && s.columns[i].typ != tDateTime && s.columns[i].typ != tUInt32 || s.columns[i].unique {
			panic("clickhouse: sorting key column " + k + " of " + table + " is not a dictionary String, Date, DateTime or UInt32 column")
		}
		s.key = append(s.key, i)
	}
	return s
}

// sortingKey returns the table's sorting key as ClickHouse shows it (system.tables).
func (s *tableSpec) sortingKey() string {
	names := make([]string, len(s.key))
	for i, k := range s.key {
		names[i] = s.columns[k].name
	}
	return strings.Join(names, ", ")
}

// plainTable is a table inserted with the driver's own columns (rejects_data,
// reconversion_failures_data): its columns in insert order and its sorting key.
type plainTable[T any] struct {
	table   string
	key     []string
	columns []plainColumn[T]
}

// A plainColumn is a column of a plainTable and how its values are taken from the items.
type plainColumn[T any] struct {
	name string
	typ  colType
	// values returns the column's values of items, as a slice of the column's Go type;
	// version is the first item's _version, the next ones' follow (for items without a
	// version of their own).
	values func(items []T, version uint64) any
}

// plainValue is a column whose value get takes from an item and its _version.
func plainValue[T, V any](name string, typ colType, get func(r *T, version uint64) V) plainColumn[T] {
	return plainColumn[T]{name: name, typ: typ, values: func(items []T, version uint64) any {
		out := make([]V, len(items))
		for i := range items {
			out[i] = get(&items[i], version+uint64(i))
		}
		return out
	}}
}

// names returns the columns' names in insert order.
func (t *plainTable[T]) names() []string {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	return names
}

// values returns the columns' values of items, one slice per column in insert order.
func (t *plainTable[T]) values(items []T, version uint64) []any {
	values := make([]any, len(t.columns))
	for i, c := range t.columns {
		values[i] = c.values(items, version)
	}
	return values
}

// width returns the bytes of one value of a fixed-width type in a table buffer, as ClickHouse's
// native layout has it, and whether a null map precedes the values. A date is held as Date32
// holds it; an insert into a Date column narrows it (appendNative).
func (t colType) width() (int, bool) {
	switch t {
	case tDecimal:
		return 16, false
	case tNullDecimal:
		return 16, true
	case tDate, tDate32:
		return 4, false
	case tNullDate, tNullDate32:
		return 4, true
	case tDateTime, tInt32, tUInt32:
		return 4, false
	case tInt8, tUInt8:
		return 1, false
	case tInt64, tUInt64:
		return 8, false
	}
	return 0, false
}
