package clickhouse

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	chproto "github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/shopspring/decimal"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

func mustDec(t *testing.T, s string) transform.Decimal {
	t.Helper()
	d, err := transform.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fixed(t *testing.T, s string) *big.Int { return mustDec(t, s).Fixed18() }

// columnsOf makes empty clickhouse-go columns of a table's types, as a prepared insert has.
func columnsOf(t testing.TB, s *tableSpec) []column.Interface {
	t.Helper()
	var cols []column.Interface
	for _, c := range s.columns {
		col, err := column.Type(c.typ).Column(c.name, &column.ServerContext{Timezone: time.UTC})
		if err != nil {
			t.Fatalf("column %s %s: %v", c.name, c.typ, err)
		}
		cols = append(cols, col)
	}
	return cols
}

// want is what clickhouse-go should read back from a column for a value: decimals as their
// exact text, times in UTC, NULL as nil.
func readBack(t *testing.T, col column.Interface, row int) any {
	v := col.Row(row, false)
	switch x := v.(type) {
	case decimal.Decimal:
		return toDecimal(x).Rat().RatString()
	case *decimal.Decimal:
		if x == nil {
			return nil
		}
		return toDecimal(*x).Rat().RatString()
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case *time.Time:
		if x == nil {
			return nil
		}
		return x.UTC().Format(time.RFC3339)
	}
	return v
}

func rat(x *big.Int) any {
	if x == nil {
		return nil
	}
	return new(big.Rat).SetFrac(x, new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)).RatString()
}

func ts(t time.Time) any { return t.UTC().Format(time.RFC3339) }

// TestRowBufferColumns encodes rows of every kind and reads them back through clickhouse-go's
// own column types, as an insert would send them.
func TestRowBufferColumns(t *testing.T) {
	day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	pub := time.Date(2022, 1, 4, 18, 0, 0, 123456789, time.UTC)
	ing := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	fuel := ingest.Row{
		Record: transform.Record{Kind: transform.KindFuelPrice, Source: "stat.gov.kz", Country: "KZ", Region: "KZ-MAN",
			Product: "lpg", TaxBasis: "retail", Currency: "KZT", Unit: "litre", Frequency: "D", Date: day, PublishedAt: pub,
			Price: mustDec(t, "-99999999999999999999.999999999999999999"), UnitMult: -3, Status: "provisional",
			Attributes: map[string]string{"note": "«120» \"quoted\" \\ ; DROP TABLE x"}, ID: "id-1"},
		Derived: transform.Derived{FXStatus: "converted", FXRate: fixed(t, "0.002029426686960933"), FXDate: day.AddDate(0, 0, -1),
			FXPath: "KZT>EUR", FXBasis: "point", KnownFrom: pub.Add(time.Hour), PricePerLitre: fixed(t, "120"), PriceEUR: fixed(t, "-0.243531202435312024")},
		Topic: "econ.fuel_prices", Partition: 2, Offset: 1 << 40, IngestedAt: ing, Version: 1<<63 + 5,
	}
	pending := ingest.Row{
		Record: transform.Record{Kind: transform.KindFuelPrice, Source: "s", Country: "DE", Product: "diesel", Currency: "EUR",
			Unit: "tonne", Frequency: "W", Date: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), Price: mustDec(t, "0.000000000000000001")},
		Derived: transform.Derived{FXStatus: "pending", PricePerKg: fixed(t, "0.000000000000000001")},
		Topic:   "t", IngestedAt: ing,
	}
	wage := ingest.Row{
		Record: transform.Record{Kind: transform.KindWage, Source: "stat.gov.kz", Country: "KZ", Measure: "minimum", Basis: "gross",
			Per: "month", Currency: "KZT", Frequency: "A", Date: time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC), PublishedAt: pub,
			Amount: mustDec(t, "42500")},
		Derived: transform.Derived{FXStatus: "converted", FXRate: fixed(t, "0.00203"), FXPath: "KZT>EUR", FXBasis: "period_average",
			KnownFrom: pub, AmountEUR: fixed(t, "86.275"),
			MonthlyAmount: fixed(t, "42500"), MonthlyAmountEUR: fixed(t, "86.275")},
		Topic: "econ.wages", Partition: 0, Offset: 7, IngestedAt: ing, Version: 9,
	}
	rate := ingest.Row{
		Record: transform.Record{Kind: transform.KindFXRate, Source: "nationalbank.kz", Base: "KRW", Quote: "KZT", RateType: "official",
			Frequency: "D", Date: day, PublishedAt: pub, Rate: mustDec(t, "37.23"), Quantity: 100, UnitMult: 0, ID: "r", Withdrawn: true},
		Topic: "econ.fx_rates", Partition: 1, Offset: 3, IngestedAt: ing, Version: 11,
	}
	b := newRowBuffer(nil)
	for _, r := range []*ingest.Row{&fuel, &rate, &pending, &wage} {
		if err := b.Add(r); err != nil {
			t.Fatalf("add %s: %v", r.Record.Kind, err)
		}
	}
	if b.Len(transform.KindFuelPrice) != 2 || b.Len(transform.KindWage) != 1 || b.Len(transform.KindFXRate) != 1 {
		t.Fatalf("rows: fuel %d, wages %d, rates %d", b.Len(transform.KindFuelPrice), b.Len(transform.KindWage), b.Len(transform.KindFXRate))
	}

	wants := map[*tableSpec][]map[string]any{
		fuelSpec: {{
			"source": "stat.gov.kz", "country": "KZ", "region": "KZ-MAN", "product": "lpg", "tax_basis": "retail", "currency": "KZT",
			"unit": "litre", "frequency": "D", "date": ts(day), "published_at": ts(pub), "published_ns": uint32(123456789),
			"price": "-99999999999999999999999999999999999999/1000000000000000000", "unit_mult": int8(-3),
			"price_per_litre": "120", "price_per_kg": nil, "price_eur": rat(fuel.Derived.PriceEUR), "price_per_litre_eur": nil,
			"price_per_kg_eur": nil, "fx_rate": rat(fuel.Derived.FXRate), "fx_date": ts(day.AddDate(0, 0, -1)), "fx_path": "KZT>EUR",
			"fx_status": "converted", "status": "provisional", "attributes": `{"note":"«120» \"quoted\" \\ ; DROP TABLE x"}`,
			"record_id": "id-1", "kafka_topic": "econ.fuel_prices", "kafka_partition": int32(2), "kafka_offset": int64(1 << 40),
			"ingested_at": ts(ing), "_version": uint64(1<<63 + 5), "fx_basis": "point", "known_from": ts(pub.Add(time.Hour)),
			"withdrawn": uint8(0),
		}, {
			"source": "s", "country": "DE", "region": "", "product": "diesel", "tax_basis": "", "currency": "EUR", "unit": "tonne",
			"frequency": "W", "date": ts(pending.Record.Date), "published_at": ts(time.Unix(0, 0)), "published_ns": uint32(0), "price": "1/1000000000000000000",
			"unit_mult": int8(0), "price_per_litre": nil, "price_per_kg": "1/1000000000000000000", "price_eur": nil,
			"price_per_litre_eur": nil, "price_per_kg_eur": nil, "fx_rate": nil, "fx_date": nil, "fx_path": "", "fx_status": "pending",
			"status": "", "attributes": "", "record_id": "", "kafka_topic": "t", "kafka_partition": int32(0), "kafka_offset": int64(0),
			"ingested_at": ts(ing), "_version": uint64(0), "fx_basis": "", "known_from": ts(time.Unix(0, 0)), "withdrawn": uint8(0),
		}},
		wageSpec: {{
			"source": "stat.gov.kz", "country": "KZ", "region": "", "measure": "minimum", "basis": "gross", "per": "month",
			"currency": "KZT", "frequency": "A", "date": ts(wage.Record.Date), "published_at": ts(pub), "published_ns": uint32(123456789), "amount": "42500",
			"unit_mult": int8(0), "amount_eur": "3451/40", "monthly_amount": "42500", "monthly_amount_eur": "3451/40",
			"fx_rate": "203/100000", "fx_date": nil, "fx_path": "KZT>EUR", "fx_status": "converted", "status": "", "attributes": "",
			"record_id": "", "kafka_topic": "econ.wages", "kafka_partition": int32(0), "kafka_offset": int64(7), "ingested_at": ts(ing),
			"_version": uint64(9), "fx_basis": "period_average", "known_from": ts(pub), "withdrawn": uint8(0),
		}},
		fxSpec: {{
			"source": "nationalbank.kz", "base": "KRW", "quote": "KZT", "rate_type": "official", "frequency": "D", "date": ts(day),
			"published_at": ts(pub), "published_ns": uint32(123456789), "rate": "3723/100", "quantity": uint64(100), "unit_mult": int8(0), "status": "", "attributes": "",
			"record_id": "r", "kafka_topic": "econ.fx_rates", "kafka_partition": int32(1), "kafka_offset": int64(3),
			"ingested_at": ts(ing), "_version": uint64(11), "withdrawn": uint8(1),
		}},
	}
	for i := range b.tables {
		tb := &b.tables[i]
		cols := columnsOf(t, tb.spec)
		if err := tb.fill(newFiller(), cols, 0, tb.rows); err != nil {
			t.Fatalf("%s: %v", tb.spec.table, err)
		}
		checkAttach(t, tb, cols, 0, tb.rows)
		want := wants[tb.spec]
		for ci, col := range cols {
			if col.Rows() != len(want) {
				t.Fatalf("%s.%s: %d rows, want %d", tb.spec.table, col.Name(), col.Rows(), len(want))
			}
			for ri := range want {
				w, ok := want[ri][tb.spec.columns[ci].name]
				if !ok {
					t.Fatalf("%s: no expected value for column %s", tb.spec.table, tb.spec.columns[ci].name)
				}
				if got := readBack(t, col, ri); got != w {
					t.Errorf("%s row %d %s = %#v, want %#v", tb.spec.table, ri, tb.spec.columns[ci].name, got, w)
				}
			}
		}
	}
}

// TestRowBufferRejectsWholeRow: a row with a value ClickHouse cannot hold is refused and leaves
// nothing behind, so the rows around it stay aligned.
func TestRowBufferRejectsWholeRow(t *testing.T) {
	day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	good := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Source: "a", Date: day, Price: mustDec(t, "1.5")},
		Derived: transform.Derived{PriceEUR: fixed(t, "2")}}
	tooBig := good
	tooBig.Derived.PriceEUR = new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil) // 10^20 in Decimal(38, 18): one too many digits
	badDate := good
	badDate.Record.Date = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
	b := newRowBuffer(nil)
	tb := &b.tables[1]
	lengths := func() (n int) {
		for _, c := range tb.cols {
			n += len(c.data) + len(c.nulls) + len(c.ends) + len(c.ids)
		}
		return n
	}
	if err := b.Add(&tooBig); err == nil || lengths() != 0 { // refused as the first row
		t.Fatalf("first row: err %v, %d bytes left in the columns", err, lengths())
	}
	if err := b.Add(&good); err != nil {
		t.Fatal(err)
	}
	before := lengths()
	for name, r := range map[string]*ingest.Row{"price_eur ≥ 10^20": &tooBig, "date before 1970": &badDate} {
		err := b.Add(r)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		if b.Len(transform.KindFuelPrice) != 1 || lengths() != before {
			t.Fatalf("%s: refused (%v) but the buffer changed", name, err)
		}
	}
	if err := b.Add(&good); err != nil {
		t.Fatal(err)
	}
	cols := columnsOf(t, fuelSpec)
	if err := tb.fill(newFiller(), cols, 0, tb.rows); err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, cols[fuelSpec.column("price_eur")], 1); got != "2" {
		t.Errorf("price_eur of the row after the refused ones = %v, want 2", got)
	}
	b.Release()
	if b.Len(transform.KindFuelPrice) != 0 {
		t.Error("Release left rows")
	}
}

// TestFillChecksServerTypes: a server column of another type (a table from an older or newer
// schema) stops the insert instead of being sent bytes of the wrong layout.
func TestFillChecksServerTypes(t *testing.T) {
	b := newRowBuffer(nil)
	r := ingest.Row{Record: transform.Record{Kind: transform.KindFXRate, Source: "a", Rate: mustDec(t, "1")}}
	if err := b.Add(&r); err != nil {
		t.Fatal(err)
	}
	cols := columnsOf(t, fxSpec)
	other, err := column.Type("Decimal(18, 6)").Column("rate", &column.ServerContext{Timezone: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	cols[fxSpec.column("rate")] = other
	err = b.tables[0].fill(newFiller(), cols, 0, 1)
	if err == nil || !strings.Contains(err.Error(), "column rate is Decimal(18, 6) on the server") {
		t.Fatalf("fill with a Decimal(18, 6) rate column: %v", err)
	}
	if err := b.tables[0].fill(newFiller(), cols[:5], 0, 1); err == nil {
		t.Fatal("fill with 5 server columns for 18 accepted")
	}
}

// TestFillInBlocks: one filler loads a table block by block (as insertRows does between Flush
// calls) and every block reads back as the same rows loaded in one go.
func TestFillInBlocks(t *testing.T) {
	b := newRowBuffer(nil)
	day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	for i := range 25 {
		r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Source: strings.Repeat("s", i%4*100), Region: "KZ-" + string(rune('A'+i)),
			Date: day.AddDate(0, 0, i), Price: mustDec(t, "1"+strings.Repeat("0", i%7)+".5")}, Offset: int64(i)}
		if i%3 == 0 {
			r.Derived.PriceEUR = fixed(t, "0.25")
		}
		if err := b.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	tb := &b.tables[1]
	whole := columnsOf(t, fuelSpec)
	if err := tb.fill(newFiller(), whole, 0, tb.rows); err != nil {
		t.Fatal(err)
	}
	for r := range tb.rows { // strings of 0–300 bytes: lengths of one and two bytes
		if got, want := readBack(t, whole[0], r), strings.Repeat("s", r%4*100); got != want {
			t.Fatalf("source of row %d = %q, want %q", r, got, want)
		}
	}
	checkBlocks(t, tb, whole, 7)
}

// checkBlocks fills the fuel table tb block by block (size rows each) with one filler, as
// insertRows does between Flush calls, and checks that every block reads back as the same rows
// of whole, the table filled in one go.
func checkBlocks(t *testing.T, tb *tableBuffer, whole []column.Interface, size int) {
	t.Helper()
	f := newFiller()
	for from := 0; from < tb.rows; from += size {
		to := min(from+size, tb.rows)
		block := columnsOf(t, fuelSpec)
		if err := tb.fill(f, block, from, to); err != nil {
			t.Fatalf("block %d…%d: %v", from, to, err)
		}
		for ci := range block {
			for r := from; r < to; r++ {
				if got, want := readBack(t, block[ci], r-from), readBack(t, whole[ci], r); got != want {
					t.Fatalf("block %d…%d, %s row %d = %#v, want %#v", from, to, fuelSpec.columns[ci].name, r, got, want)
				}
			}
		}
		checkAttach(t, tb, block, from, to)
	}
}

// checkAttach checks that the block's columns, as attach makes them, encode rows [from, to) of
// tb as the driver's own columns loaded with them by fill (cols) encode them.
func checkAttach(t *testing.T, tb *tableBuffer, cols []column.Interface, from, to int) {
	t.Helper()
	direct := &chproto.Block{Columns: columnsOf(t, tb.spec)}
	tb.attach(direct, from, to)
	for ci, col := range direct.Columns {
		var got, want proto.Buffer
		col.Encode(&got)
		cols[ci].Encode(&want)
		if col.Name() != cols[ci].Name() || col.Type() != cols[ci].Type() || col.Rows() != cols[ci].Rows() {
			t.Fatalf("rows %d…%d: attached column %s %s of %d rows, the driver's %s %s of %d", from, to,
				col.Name(), col.Type(), col.Rows(), cols[ci].Name(), cols[ci].Type(), cols[ci].Rows())
		}
		if !bytes.Equal(got.Buf, want.Buf) {
			t.Fatalf("rows %d…%d, column %s: attached it encodes %d bytes %x…, the driver's %d bytes %x…", from, to,
				col.Name(), len(got.Buf), got.Buf[:min(len(got.Buf), 32)], len(want.Buf), want.Buf[:min(len(want.Buf), 32)])
		}
	}
}

// TestOrderSortsByTableKey: order makes fill send a table's rows sorted by the table's ORDER BY
// columns (checked here against Go's own comparison of the values read back), keeps rows with
// equal keys in the order they were added, and moves every value of a row with it, whether the
// table is filled at once or in blocks. Rows in random order, in a few runs that are each in
// order (merged), and keys too wide to pack (compared value by value) are all tried.
func TestOrderSortsByTableKey(t *testing.T) {
	t.Run("random", func(t *testing.T) { checkOrder(t, 500, 0) })
	t.Run("runs", func(t *testing.T) { checkOrder(t, 500, 5) })
	t.Run("many runs", func(t *testing.T) { checkOrder(t, 6000, 900) }) // merged in 10 passes
	t.Run("unpacked", func(t *testing.T) {
		defer func(b int) { maxKeyBits = b }(maxKeyBits)
		maxKeyBits = 8
		checkOrder(t, 500, 0)
	})
}

// checkOrder adds n fuel rows with many equal keys, in random order or, with runs > 0, as that
// many runs each in key order, and checks what order and fill make of them.
func checkOrder(t *testing.T, n, runs int) {
	rng := rand.New(rand.NewPCG(7, 11))
	day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
	type added struct{ price, eur, id any }
	var rows []added
	var recs []ingest.Row
	for i := range n {
		r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Source: pick("a", "b", "ab"),
			Country: pick("KZ", "DE", "K", "KZ\x00"), Region: pick("", "KZ-MAN", "KZ-ALA", "KZ-MA"), Product: pick("lpg", "diesel"),
			TaxBasis: pick("", "retail"), Currency: pick("KZT", "EUR"), Unit: pick("litre", "kg"), Frequency: pick("D", "W"),
			Date: day.AddDate(0, 0, rng.IntN(3)-1), PublishedAt: day.Add(time.Duration(rng.IntN(3)) * time.Second),
			Price: mustDec(t, fmt.Sprintf("%d.%d", i, rng.IntN(1000))), ID: fmt.Sprintf("id-%d", i)}}
		if i%3 == 0 {
			r.Derived.PriceEUR = fixed(t, fmt.Sprintf("0.%d", i))
		}
		recs = append(recs, r)
	}
	if runs > 0 {
		// Sort each run by key with the reference comparison of the test.
		size := (n + runs - 1) / runs
		for from := 0; from < n; from += size {
			run := recs[from:min(from+size, n)]
			slices.SortStableFunc(run, func(a, b ingest.Row) int { return slices.Compare(refKey(&a), refKey(&b)) })
		}
	}
	b := newRowBuffer(nil)
	for i := range recs {
		r := &recs[i]
		r.Offset = int64(i)
		if err := b.Add(r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, added{readBackValue(t, r.Record.Price.String()), nil, r.Record.ID})
		if r.Derived.PriceEUR != nil {
			rows[i].eur = rat(r.Derived.PriceEUR)
		}
	}
	tb := &b.tables[1]
	tb.order()
	if runs > 0 {
		// Short runs may join: one can end below where the next begins. Five long ones do not.
		found := len(tb.runs) - 1
		if found > runs || runs <= 5 && found != runs || runs > 256 && found <= 256 {
			t.Fatalf("%d runs in order found as %d", runs, found)
		}
	}
	if len(tb.perm) != n {
		t.Fatalf("order of %d shuffled rows: a permutation of %d", n, len(tb.perm))
	}
	whole := columnsOf(t, fuelSpec)
	if err := tb.fill(newFiller(), whole, 0, tb.rows); err != nil {
		t.Fatal(err)
	}
	idx := func(name string) int { return slices.Index(fuelSpec.names, name) }
	keyOf := func(r int) []string {
		var k []string
		for _, name := range []string{"country", "region", "product", "tax_basis", "currency", "unit", "source", "frequency", "date", "published_at"} {
			k = append(k, fmt.Sprint(readBack(t, whole[idx(name)], r))) // RFC 3339 UTC text sorts as the time does
		}
		return k
	}
	seen := map[int64]bool{}
	for r := range n {
		off := readBack(t, whole[idx("kafka_offset")], r).(int64)
		seen[off] = true
		a := rows[off]
		if got := readBack(t, whole[idx("price")], r); got != a.price {
			t.Fatalf("sent row %d (offset %d): price %v, added %v", r, off, got, a.price)
		}
		if got := readBack(t, whole[idx("price_eur")], r); got != a.eur {
			t.Fatalf("sent row %d (offset %d): price_eur %v, added %v", r, off, got, a.eur)
		}
		if got := readBack(t, whole[idx("record_id")], r); got != a.id {
			t.Fatalf("sent row %d (offset %d): record_id %v, added %v", r, off, got, a.id)
		}
		if r == 0 {
			continue
		}
		prev := readBack(t, whole[idx("kafka_offset")], r-1).(int64)
		switch c := slices.Compare(keyOf(r-1), keyOf(r)); {
		case c > 0:
			t.Fatalf("sent rows %d and %d out of key order: %q then %q", r-1, r, keyOf(r-1), keyOf(r))
		case c == 0 && prev > off:
			t.Fatalf("rows with equal keys %q sent as offset %d before %d, not in the order added", keyOf(r), prev, off)
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct rows sent of %d", len(seen), n)
	}
	checkBlocks(t, tb, whole, 64)
}

// TestOrderSkipsRowsInOrder: rows already in key order need no permutation; adding a row makes
// order run again.
func TestOrderSkipsRowsInOrder(t *testing.T) {
	day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	sorted := newRowBuffer(nil)
	for i := range 3 {
		r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Country: "KZ", Date: day.AddDate(0, 0, i), Price: mustDec(t, "1")}}
		if err := sorted.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	st := &sorted.tables[1]
	st.order()
	if len(st.perm) != 0 {
		t.Fatalf("rows in key order got a permutation %v", st.perm)
	}
	early := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Country: "DE", Date: day, Price: mustDec(t, "1")}}
	if err := sorted.Add(&early); err != nil {
		t.Fatal(err)
	}
	st.order()
	if !slices.Equal(st.perm, []int32{3, 0, 1, 2}) {
		t.Fatalf("after adding a row that sorts first: order %v, want [3 0 1 2]", st.perm)
	}
}

// readBackValue is how readBack shows a Decimal(38, 18) of the given text.
func readBackValue(t *testing.T, s string) any {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("not a number: %q", s)
	}
	return r.RatString()
}

// BenchmarkOrder: sorting 50,000 fuel rows per row, as they come (stretches of 2,000 rows from
// each of three partitions, each partition in key order, as the bench generates them) and in
// random order; and 200,000 rows in stretches of 512 (the Kafka source's hand-over).
func BenchmarkOrder(b *testing.B) {
	day := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	price, err := transform.ParseDecimal("123.45")
	if err != nil {
		b.Fatal(err)
	}
	n := 50000
	at := func(i int) int { return i } // row i holds generated record at(i)
	run := func(b *testing.B) {
		buf := newRowBuffer(nil)
		for i := range n {
			j := at(i)
			r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Source: "bench", Country: "KZ",
				Region: fmt.Sprintf("KZ-%03d", j/400), Product: []string{"diesel", "lpg"}[j/200%2], TaxBasis: "incl_tax",
				Currency: "KZT", Unit: "litre", Frequency: "D", Date: day.AddDate(0, 0, j%200), PublishedAt: day, Price: price}}
			if err := buf.Add(&r); err != nil {
				b.Fatal(err)
			}
		}
		tb := &buf.tables[1]
		b.ResetTimer()
		for range b.N {
			tb.ordered = false
			tb.order()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
	}
	b.Run("partitions", func(b *testing.B) {
		// stretch s of 2,000 rows comes from partition s%3, whose records are p, p+3, p+6, …
		at = func(i int) int { s, k := i/2000, i%2000; return (s/3*2000+k)*3 + s%3 }
		run(b)
	})
	b.Run("chunks", func(b *testing.B) {
		// A default batch of 200,000 rows as the Kafka source hands them over: 512 at a time
		// from each of three partitions in turn.
		defer func(n0 int) { n = n0 }(n)
		n = 200000
		at = func(i int) int { s, k := i/512, i%512; return (s/3*512+k)*3 + s%3 }
		run(b)
	})
	b.Run("publishers", func(b *testing.B) {
		// 200,000 rows in publishers' order, each day every series: 1,000 series (j/200) of
		// 200 days (j%200), in chunks of 512 from three partitions, each partition holding
		// every third series.
		defer func(n0 int) { n = n0 }(n)
		n = 200000
		var parts [3][]int
		for d := range 200 {
			for s := range 1000 {
				parts[s%3] = append(parts[s%3], s*200+d)
			}
		}
		arrival := make([]int, 0, n)
		for len(arrival) < n {
			for p := range parts {
				k := min(512, len(parts[p]))
				arrival = append(arrival, parts[p][:k]...)
				parts[p] = parts[p][k:]
			}
		}
		at = func(i int) int { return arrival[i] }
		run(b)
	})
	b.Run("random", func(b *testing.B) {
		p := rand.New(rand.NewPCG(1, 2)).Perm(n)
		at = func(i int) int { return p[i] }
		run(b)
	})
}

// refKey is a fuel row's sorting key as text that sorts as ClickHouse sorts the key.
func refKey(r *ingest.Row) []string {
	rec := &r.Record
	return []string{rec.Country, rec.Region, rec.Product, rec.TaxBasis, rec.Currency, rec.Unit, rec.Source, rec.Frequency,
		rec.Date.UTC().Format(time.RFC3339), rec.PublishedAt.UTC().Format(time.RFC3339)}
}

// BenchmarkFill: loading 50,000 encoded fuel rows into clickhouse-go's columns, in blocks of
// blockRows as insertRows does, per row: in the order added, and in sorted order after a
// shuffle (every value gathered from elsewhere).
func BenchmarkFill(b *testing.B) {
	day := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 50000
	for _, shuffled := range []bool{false, true} {
		name := "in_order"
		if shuffled {
			name = "shuffled"
		}
		b.Run(name, func(b *testing.B) {
			at := func(i int) int { return i }
			if shuffled {
				p := rand.New(rand.NewPCG(1, 2)).Perm(n)
				at = func(i int) int { return p[i] }
			}
			buf := newRowBuffer(nil)
			for i := range n {
				j := at(i)
				price, err := transform.ParseDecimal(fmt.Sprintf("%d.%06d", 100000000000+j, j%1000000))
				if err != nil {
					b.Fatal(err)
				}
				r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Source: "bench", Country: "KZ",
					Region: fmt.Sprintf("KZ-%03d", j/400), Product: "lpg", TaxBasis: "incl_tax", Currency: "KZT", Unit: "litre",
					Frequency: "D", Date: day.AddDate(0, 0, j%400), PublishedAt: day, Price: price, ID: fmt.Sprintf("%032x", j)},
					Topic: "econ.fuel_prices", Offset: int64(i)}
				r.Derived.PricePerLitre = price.Fixed18()
				if err := buf.Add(&r); err != nil {
					b.Fatal(err)
				}
			}
			tb := &buf.tables[1]
			tb.order()
			cols := columnsOf(b, fuelSpec)
			f := newFiller()
			b.ResetTimer()
			for range b.N {
				for from := 0; from < n; from += blockRows {
					for _, c := range cols {
						c.Reset()
					}
					if err := tb.fill(f, cols, from, min(from+blockRows, n)); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
	}
}

// BenchmarkAdd: encoding 10,000 fuel rows (converted, with derived values) and 10,000 wage rows
// into a row buffer, per row.
func BenchmarkAdd(b *testing.B) {
	day := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 10000
	rows := make([]ingest.Row, 0, 2*n)
	for j := range n {
		price, err := transform.ParseDecimal(fmt.Sprintf("%d.%06d", 100+j%1000, j%1000000))
		if err != nil {
			b.Fatal(err)
		}
		r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Source: "bench", Country: "KZ",
			Region: fmt.Sprintf("KZ-%03d", j/400), Product: "lpg", TaxBasis: "incl_tax", Currency: "KZT", Unit: "litre",
			Frequency: "D", Date: day.AddDate(0, 0, j%400), PublishedAt: day, Price: price, Status: "A", ID: fmt.Sprintf("%032x", j)},
			Topic: "econ.fuel_prices", Offset: int64(j), IngestedAt: day, Version: uint64(j)}
		r.Derived = transform.Derived{FXStatus: "converted", FXPath: "KZT>EUR", FXDate: day, FXRate: price.Fixed18(),
			PricePerLitre: price.Fixed18(), PriceEUR: price.Fixed18(), PricePerLitreEUR: price.Fixed18()}
		rows = append(rows, r)
		w := r
		w.Record = transform.Record{Kind: transform.KindWage, Source: "bench", Country: "KZ", Region: r.Record.Region,
			Measure: "average", Basis: "gross", Per: "month", Currency: "KZT", Frequency: "M", Date: r.Record.Date,
			PublishedAt: day, Amount: price, Status: "A", ID: r.Record.ID}
		w.Derived = transform.Derived{FXStatus: "converted", FXPath: "KZT>EUR", FXDate: day, FXRate: price.Fixed18(),
			AmountEUR: price.Fixed18(), MonthlyAmount: price.Fixed18(), MonthlyAmountEUR: price.Fixed18()}
		rows = append(rows, w)
	}
	buf := newRowBuffer(nil)
	b.ResetTimer()
	for range b.N {
		for i := range rows {
			if err := buf.Add(&rows[i]); err != nil {
				b.Fatal(err)
			}
		}
		buf.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}

// TestRowBufferTableOfKind: a row goes to the table declared for its record's kind.
func TestRowBufferTableOfKind(t *testing.T) {
	b := newRowBuffer(nil)
	for _, s := range dataTables {
		tb, err := b.table(s.kind)
		if err != nil || tb.spec != s {
			t.Errorf("rows of kind %s go to %v (%v), not to %s", s.kind, tb, err, s.table)
		}
	}
	if _, err := b.table("fx_rates"); err == nil {
		t.Error("rows of an unknown kind have a table")
	}
}

// TestRowBufferReportsFirstFailingColumn: of several values a row's columns cannot hold, the
// error names the first in the table's order (date comes before price_eur in fuel_prices_data).
func TestRowBufferReportsFirstFailingColumn(t *testing.T) {
	r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Source: "a",
		Date: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), Price: mustDec(t, "1.5")},
		Derived: transform.Derived{PriceEUR: new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil)}}
	err := newRowBuffer(nil).Add(&r)
	if err == nil || !strings.Contains(err.Error(), "date 1969-12-31 is outside") {
		t.Fatalf("a row with a date before 1970 and a price_eur of 10^20: %v", err)
	}
	r.Record.Date = time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	if err := newRowBuffer(nil).Add(&r); err == nil || !strings.HasPrefix(err.Error(), "price_eur: ") {
		t.Fatalf("a row with a price_eur of 10^20: %v", err)
	}
}

// TestRadixSortStable: radixSort orders keys of every width up to 128 bits as a stable sort by
// value does, rows with equal values in their first order, across the two words of a key.
func TestRadixSortStable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, width := range []int{1, 5, 11, 12, 22, 40, 63, 64, 65, 70, 100, 127, 128} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			const n = 3000
			// 50 distinct values of width bits, so that many rows share one
			vals := make([]packedKey, 50)
			for i := range vals {
				hi, lo := rng.Uint64(), rng.Uint64()
				if width <= 64 {
					hi, lo = 0, lo>>(64-width)
				} else {
					hi >>= 128 - width
				}
				vals[i] = packedKey{hi: hi, lo: lo}
			}
			keys := make([]packedKey, n)
			for i := range keys {
				keys[i] = vals[rng.IntN(len(vals))]
				keys[i].row = int32(i)
			}
			want := slices.Clone(keys)
			slices.SortStableFunc(want, func(a, b packedKey) int {
				if c := cmp.Compare(a.hi, b.hi); c != 0 {
					return c
				}
				return cmp.Compare(a.lo, b.lo)
			})
			got := radixSort(keys, make([]packedKey, n), width)
			if !slices.Equal(got, want) {
				t.Fatalf("width %d: radix sort differs from a stable sort", width)
			}
		})
	}
}

// BenchmarkNative: writing 200,000 sorted fuel rows in native layout, block by block as an
// insert does, per row: rows added in key order, and in publishers' order (each day every one
// of 250 series), which sorting scatters.
func BenchmarkNative(b *testing.B) {
	day := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	const n, series = 200000, 250
	for _, publishers := range []bool{false, true} {
		name := "key"
		if publishers {
			name = "publishers"
		}
		b.Run(name, func(b *testing.B) {
			buf := newRowBuffer(nil)
			for i := range n {
				s, d := i/(n/series), i%(n/series)
				if publishers {
					s, d = i%series, i/series
				}
				price, err := transform.ParseDecimal(fmt.Sprintf("%d.%06d", 100000000000+i, i%1000000))
				if err != nil {
					b.Fatal(err)
				}
				r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Source: "bench", Country: "KZ",
					Region: fmt.Sprintf("KZ-%03d", s), Product: "lpg", TaxBasis: "incl_tax", Currency: "EUR", Unit: "litre",
					Frequency: "D", Date: day.AddDate(0, 0, d), PublishedAt: day, Price: price, Status: "A", ID: fmt.Sprintf("%032x", i)},
					Topic: "econ.fuel_prices", Offset: int64(i), IngestedAt: day, Version: uint64(i)}
				r.Derived = transform.Derived{FXStatus: "base", PricePerLitre: price.Fixed18(), PriceEUR: price.Fixed18(),
					PricePerLitreEUR: price.Fixed18()}
				if err := buf.Add(&r); err != nil {
					b.Fatal(err)
				}
			}
			tb := &buf.tables[1]
			tb.order()
			var dst []byte
			b.ResetTimer()
			for range b.N {
				for from := 0; from < n; from += blockRows {
					dst = dst[:0]
					for i := range tb.cols {
						dst = tb.appendNative(dst, i, from, min(from+blockRows, n))
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
	}
}

// TestAppendNativeShortcuts: appendNative writes every column as a plain row-by-row copy of the
// buffer's values would, in the order set by order and in the order added, whichever way it
// takes: a dictionary of one value, values of up to 15 encoded bytes or longer, a nullable
// column NULL in every row or in some.
func TestAppendNativeShortcuts(t *testing.T) {
	day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	for _, shuffled := range []bool{false, true} {
		t.Run(fmt.Sprint("shuffled=", shuffled), func(t *testing.T) {
			b := newRowBuffer(nil)
			rng := rand.New(rand.NewPCG(5, 6))
			const n = 3000
			for i := range n {
				j := i // 30 series of 100 days, in key order
				if shuffled {
					j = rng.IntN(n)
				}
				r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Source: "s", Country: "KZ",
					Region: fmt.Sprintf("KZ-%03d", j/100), Product: strings.Repeat("p", 10+j/100%9), Currency: "EUR", Unit: "litre",
					Date: day.AddDate(0, 0, j%100), Price: mustDec(t, fmt.Sprintf("%d.5", j))}, Offset: int64(i)}
				if j%5 == 0 {
					r.Derived.PriceEUR = fixed(t, fmt.Sprintf("0.%d", j))
				}
				if err := b.Add(&r); err != nil {
					t.Fatal(err)
				}
			}
			tb := &b.tables[1]
			if shuffled {
				tb.order()
				if len(tb.perm) != n {
					t.Fatalf("rows in random order got an order of %d rows", len(tb.perm))
				}
			} else if tb.order(); len(tb.perm) != 0 {
				t.Fatalf("rows in key order got an order of %d rows", len(tb.perm))
			}
			for ci, col := range tb.spec.columns {
				c := &tb.cols[ci]
				for from := 0; from < n; from += 1000 {
					got := tb.appendNative([]byte("x"), ci, from, from+1000)
					want := []byte("x")
					width, nullable := col.typ.width()
					for k := from; k < from+1000; k++ {
						p := k
						if len(tb.perm) > 0 {
							p = int(tb.perm[k])
						}
						switch {
						case col.typ == tString:
							v := c.at(p)
							want = append(binary.AppendUvarint(want, uint64(len(v))), v...)
						case nullable:
							want = append(want, c.nulls[p])
						}
					}
					if col.typ != tString {
						for k := from; k < from+1000; k++ {
							p := k
							if len(tb.perm) > 0 {
								p = int(tb.perm[k])
							}
							want = append(want, c.data[p*width:(p+1)*width]...)
						}
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("column %s rows %d…: %d bytes %x…, want %d bytes %x…", col.name, from,
							len(got), got[:min(len(got), 40)], len(want), want[:min(len(want), 40)])
					}
				}
			}
		})
	}
}
