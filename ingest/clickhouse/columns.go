package clickhouse

import (
	"slices"

	"github.com/econflow/econflow/ingest"
)

// A colType is the ClickHouse type of a column, as the server names it.
type colType string

const (
	tString      colType = "String"
	tDecimal     colType = "Decimal(38, 18)"
	tNullDecimal colType = "Nullable(Decimal(38, 18))"
	tDate        colType = "Date"
	tNullDate    colType = "Nullable(Date)"
	tDateTime    colType = "DateTime('UTC')"
	tInt8        colType = "Int8"
	tInt32       colType = "Int32"
	tInt64       colType = "Int64"
	tUInt64      colType = "UInt64"
)

type columnSpec struct {
	name string
	typ  colType
}

// tableSpec is a data table's columns in insert order, with the function that appends a row.
type tableSpec struct {
	table   string
	columns []columnSpec
	names   []string
	// key is the table's sorting key (its ORDER BY in schemas/migrations), as indexes into
	// columns.
	key    []int
	encode func(w *tableBuffer, r *ingest.Row) error
}

func spec(table string, key []string, encode func(*tableBuffer, *ingest.Row) error, cols ...columnSpec) *tableSpec {
	s := &tableSpec{table: table, columns: cols, encode: encode}
	for _, c := range cols {
		s.names = append(s.names, c.name)
	}
	for _, k := range key {
		i := slices.Index(s.names, k)
		if i < 0 || cols[i].typ != tString && cols[i].typ != tDate && cols[i].typ != tDateTime || rawStrings[k] {
			panic("clickhouse: sorting key column " + k + " of " + table + " is not a dictionary String, Date or DateTime column")
		}
		s.key = append(s.key, i)
	}
	return s
}

func c(name string, t colType) columnSpec { return columnSpec{name, t} }

var (
	sourceColumns = []columnSpec{c("kafka_topic", tString), c("kafka_partition", tInt32), c("kafka_offset", tInt64),
		c("ingested_at", tDateTime), c("_version", tUInt64)}
	derivedTailColumns = []columnSpec{c("fx_rate", tNullDecimal), c("fx_date", tNullDate), c("fx_path", tString),
		c("fx_status", tString), c("status", tString), c("attributes", tString), c("record_id", tString)}

	fxSpec = spec("fx_rates_data", []string{"base", "quote", "rate_type", "source", "frequency", "date", "published_at"},
		encodeFXRow, append([]columnSpec{
			c("source", tString), c("base", tString), c("quote", tString), c("rate_type", tString),
			c("frequency", tString), c("date", tDate), c("published_at", tDateTime), c("rate", tDecimal),
			c("quantity", tUInt64), c("unit_mult", tInt8), c("status", tString), c("attributes", tString),
			c("record_id", tString)}, sourceColumns...)...)
	fuelSpec = spec("fuel_prices_data", []string{"country", "region", "product", "tax_basis", "currency", "unit",
		"source", "frequency", "date", "published_at"}, encodeFuelRow, concat([]columnSpec{
		c("source", tString), c("country", tString), c("region", tString), c("product", tString),
		c("tax_basis", tString), c("currency", tString), c("unit", tString), c("frequency", tString),
		c("date", tDate), c("published_at", tDateTime), c("price", tDecimal), c("unit_mult", tInt8),
		c("price_per_litre", tNullDecimal), c("price_per_kg", tNullDecimal), c("price_eur", tNullDecimal),
		c("price_per_litre_eur", tNullDecimal), c("price_per_kg_eur", tNullDecimal)},
		derivedTailColumns, sourceColumns)...)
	wageSpec = spec("wages_data", []string{"country", "region", "measure", "basis", "per", "currency", "source",
		"frequency", "date", "published_at"}, encodeWageRow, concat([]columnSpec{
		c("source", tString), c("country", tString), c("region", tString), c("measure", tString),
		c("basis", tString), c("per", tString), c("currency", tString), c("frequency", tString),
		c("date", tDate), c("published_at", tDateTime), c("amount", tDecimal), c("unit_mult", tInt8),
		c("amount_eur", tNullDecimal), c("monthly_amount", tNullDecimal), c("monthly_amount_eur", tNullDecimal)},
		derivedTailColumns, sourceColumns)...)

	// fuelColumns and wageColumns are the data tables' columns in the order Observations reads them.
	fuelColumns = fuelSpec.names
	wageColumns = wageSpec.names
)

func concat(lists ...[]columnSpec) []columnSpec {
	var out []columnSpec
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// width returns the bytes of one native value of a fixed-width type, and whether a null map
// precedes the values.
func (t colType) width() (int, bool) {
	switch t {
	case tDecimal:
		return 16, false
	case tNullDecimal:
		return 16, true
	case tDate:
		return 2, false
	case tNullDate:
		return 2, true
	case tDateTime, tInt32:
		return 4, false
	case tInt8:
		return 1, false
	case tInt64, tUInt64:
		return 8, false
	}
	return 0, false
}
