package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/econflow/econflow/ingest/kafka"
)

// jsonCeilingTable is the table of ceiling J: the fields of a generated record as its columns,
// ordered by the record's identity.
const jsonCeilingTable = ` (
    kind String, source String, country String, region String, product String,
    price Decimal(38, 18), currency String, unit String, date Date
) ENGINE = MergeTree
ORDER BY (country, region, product, currency, unit, source, date)`

// JSONCeilingNote says what ceiling J inserts, for the table's notes.
const JSONCeilingNote = "ceiling J: ClickHouse's own INSERT … FORMAT JSONEachRow, through clickhouse-client, of the records' own lines " +
	"in the run's order, each with its price written as a JSON number instead of a JSON string (ClickHouse 18.16's JSONEachRow " +
	"cannot read a Decimal from a string; it reads a number exactly), into <db>.json_ceiling: a MergeTree of the record's " +
	"9 fields ordered by its identity. A, A2: TSV inserts of the same values (secondary)."

// ceilingJSON inserts the records' lines with ClickHouse's own JSON reader: what ClickHouse alone
// does with the same lines the consumer reads, and the drain's main ceiling.
func (r *run) ceilingJSON(ctx context.Context) error {
	table := r.db + ".json_ceiling"
	if err := r.store.Conn().Exec(ctx, "CREATE TABLE "+table+jsonCeilingTable); err != nil {
		return fmt.Errorf("create %s: %w", table, err)
	}
	lines := make([]byte, 0, r.data.Bytes+int64(len(r.data.Prices)))
	for _, p := range r.data.Prices {
		lines = appendNumberPrice(lines, p.Value)
		lines = append(lines, '\n')
	}
	d, err := r.pipe(ctx, "ceiling J", "INSERT INTO "+table+" FORMAT JSONEachRow", "JSON lines", lines)
	if err != nil {
		return err
	}
	r.res.JSONInsertSeconds = d.Seconds()
	r.res.JSONInsertRate = float64(len(r.data.Prices)) / d.Seconds()
	r.progress("ceiling J: %d rows in %.2fs = %.0f rows/s", len(r.data.Prices), d.Seconds(), r.res.JSONInsertRate)
	var count uint64
	q := "SELECT toString(sum(price)), count() FROM " + table
	if err := r.store.Conn().QueryRow(ctx, q).Scan(&r.res.JSONStoredSum, &count); err != nil {
		return fmt.Errorf("exactness: %s: %w", q, err)
	}
	r.res.JSONExact = r.res.JSONStoredSum == r.res.ExpectedSum && count == uint64(r.o.Records)
	return nil
}

var rawColumns = []string{"source", "country", "region", "product", "tax_basis", "currency", "unit", "frequency",
	"date", "published_at", "price", "unit_mult", "status", "record_id"}

func (r *run) ceilingClickHouse(ctx context.Context) error {
	table := r.db + ".raw_ceiling"
	if err := r.store.Conn().Exec(ctx, "CREATE TABLE "+table+` (
    source String, country String, region String, product String, tax_basis String,
    currency String, unit String, frequency String, date Date, published_at DateTime('UTC'),
    price Decimal(38, 18), unit_mult Int8, status String, record_id String
) ENGINE = MergeTree PARTITION BY toYear(date)
ORDER BY (country, region, product, tax_basis, currency, unit, source, frequency, date, published_at)`); err != nil {
		return fmt.Errorf("create %s: %w", table, err)
	}
	var tsv bytes.Buffer
	tsv.Grow(len(r.data.Prices) * 110)
	for i, p := range r.data.Prices {
		fmt.Fprintf(&tsv, "%s\tKZ\t%s\tlpg\tincl_tax\t%s\tlitre\tD\t%s\t2026-01-01 00:00:00\t%s\t0\tA\tb%d\n",
			p.Source, p.Region, p.Currency, p.Date, p.Price, i)
	}
	d, err := r.pipeTSV(ctx, "ceiling A", table, rawColumns, tsv.Bytes())
	if err != nil {
		return err
	}
	r.res.RawInsertSeconds = d.Seconds()
	r.res.RawInsertRate = float64(len(r.data.Prices)) / d.Seconds()
	r.progress("ceiling A: %d rows in %.2fs = %.0f rows/s", len(r.data.Prices), d.Seconds(), r.res.RawInsertRate)

	// Ceiling A2: the same rows with every column econflow stores (derived values, provenance,
	// version) into a table of fuel_prices_data's schema.
	full := r.db + ".raw_full_ceiling"
	if err := r.store.Conn().Exec(ctx, "CREATE TABLE "+full+" AS "+r.db+".fuel_prices_data"); err != nil {
		return fmt.Errorf("create %s: %w", full, err)
	}
	tsv.Reset()
	for i, p := range r.data.Prices {
		// The derived columns carry 18 fractional digits, as the consumer writes them.
		v := p.Price + "000000000000"
		fmt.Fprintf(&tsv, "%s\tKZ\t%s\tlpg\tincl_tax\t%s\tlitre\tD\t%s\t2026-01-01 00:00:00\t%s\t0\t%s\t\\N\t%s\t%s\t\\N\t1.000000000000000000\t\\N\tEUR\tconverted\tA\t\t%032x\t%s\t%d\t%d\t2026-01-01 00:00:00\t%d\n",
			p.Source, p.Region, p.Currency, p.Date, p.Price, v, v, v, i, r.topics.FuelPrices, i%3, i, 1_800_000_000_000_000_000+i)
	}
	d, err = r.pipeTSV(ctx, "ceiling A2", full, fullColumns, tsv.Bytes())
	if err != nil {
		return err
	}
	r.res.RawFullInsertSeconds = d.Seconds()
	r.res.RawFullInsertRate = float64(len(r.data.Prices)) / d.Seconds()
	r.progress("ceiling A2: %d rows in %.2fs = %.0f rows/s", len(r.data.Prices), d.Seconds(), r.res.RawFullInsertRate)

	// The raw table's sum is checked now. Both tables stay until the run's database is dropped:
	// they are not merged (one part per partition), and dropping their files just before the
	// drain made ClickHouse slower to create the drain's parts (ext4 skips recently freed
	// inodes when it allocates one): 4 alternating runs, drain 508,000 rows/s and ClickHouse
	// 1.30 CPU-s per M rows with the drop, 517,000 and 1.23 without.
	var rawCount uint64
	q := "SELECT toString(sum(price)), count() FROM " + table
	if err := r.store.Conn().QueryRow(ctx, q).Scan(&r.res.RawStoredSum, &rawCount); err != nil {
		return fmt.Errorf("exactness: %s: %w", q, err)
	}
	r.res.RawExact = r.res.RawStoredSum == r.res.ExpectedSum && rawCount == uint64(r.o.Records)
	return nil
}

// fullColumns are fuel_prices_data's columns in the order the A2 ceiling writes them.
var fullColumns = []string{"source", "country", "region", "product", "tax_basis", "currency", "unit", "frequency",
	"date", "published_at", "price", "unit_mult", "price_per_litre", "price_per_kg", "price_eur",
	"price_per_litre_eur", "price_per_kg_eur", "fx_rate", "fx_date", "fx_path", "fx_status", "status",
	"attributes", "record_id", "kafka_topic", "kafka_partition", "kafka_offset", "ingested_at", "_version"}

// pipeTSV inserts tsv into table's columns with clickhouse-client and returns how long it took.
func (r *run) pipeTSV(ctx context.Context, what, table string, columns []string, tsv []byte) (time.Duration, error) {
	return r.pipe(ctx, what, "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+") FORMAT TabSeparated", "TSV", tsv)
}

// pipe runs the insert query with clickhouse-client, data (described by format) on its standard
// input, and returns how long it took, the client's start included.
func (r *run) pipe(ctx context.Context, what, query, format string, data []byte) (time.Duration, error) {
	args, err := clientArgs(r.o.ClickHouse)
	if err != nil {
		return 0, err
	}
	args = append(args, "--query", query)
	r.progress("%s: piping %d rows (%.1f MB %s) with %s: %s", what, len(r.data.Prices), float64(len(data))/1e6, format, r.o.ClickHouseClient, query)
	cmd := exec.CommandContext(ctx, r.o.ClickHouseClient, args...)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %w: %s", r.o.ClickHouseClient, err, strings.TrimSpace(stderr.String()))
	}
	return time.Since(t0), nil
}

// clientArgs turns a DSN into clickhouse-client's connection flags.
func clientArgs(dsn string) ([]string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse DSN: %w", err)
	}
	args := []string{"--host", u.Hostname()}
	if p := u.Port(); p != "" {
		args = append(args, "--port", p)
	}
	if u.User != nil {
		args = append(args, "--user", u.User.Username())
		if pw, ok := u.User.Password(); ok {
			args = append(args, "--password", pw)
		}
	}
	if s := u.Query().Get("secure"); s == "true" || s == "1" {
		args = append(args, "--secure")
	}
	return args, nil
}

// ceilingKafka reads the whole backlog of the price topic with a consumer-group Source configured
// like the consumer's, in a throwaway group that never commits.
func (r *run) ceilingKafka(ctx context.Context) error {
	src, err := kafka.NewSource(kafka.SourceOptions{Brokers: r.brokers, Group: r.group + "-ceiling",
		Topics: []string{r.topics.FuelPrices}, Security: r.o.Security, Logger: r.log})
	if err != nil {
		return err
	}
	defer src.Close()
	r.progress("ceiling B: reading %d messages from %s", len(r.data.Prices), r.topics.FuelPrices)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	var first time.Time
	var nbytes int64
	last := time.Now()
	for n := 0; n < len(r.data.Prices); n++ {
		m, err := src.Fetch(ctx)
		if err != nil {
			return fmt.Errorf("after %d messages: %w", n, err)
		}
		nbytes += int64(len(m.Value))
		if n == 0 {
			first = time.Now()
		}
		if time.Since(last) > 2*time.Second {
			r.progress("ceiling B: read %d", n)
			last = time.Now()
		}
	}
	end := time.Now()
	d := end.Sub(first)
	if len(r.data.Prices) > 1 && d > 0 {
		r.res.KafkaReadRate = float64(len(r.data.Prices)-1) / d.Seconds()
	}
	r.res.KafkaReadSeconds = d.Seconds()
	r.res.KafkaReadJoinSeconds = first.Sub(t0).Seconds()
	if nbytes != r.data.Bytes {
		return fmt.Errorf("read %d bytes of values, published %d", nbytes, r.data.Bytes)
	}
	r.progress("ceiling B: joined in %.2fs, then %d messages in %.2fs = %.0f msgs/s",
		r.res.KafkaReadJoinSeconds, len(r.data.Prices), d.Seconds(), r.res.KafkaReadRate)
	return nil
}
