package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/econflow/econflow/deploy"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/schemas"
)

const demoSample = "kz_2022.jsonl"

// DemoDatabase is the database the demo writes to unless --clickhouse names one: the sample's
// illustrative rates, stored under real source ids (nationalbank.kz, ecb), would otherwise
// convert real data in econ.
const DemoDatabase = "econ_demo"

func cmdDemo(stop, abort context.Context, args []string, stdout, stderr io.Writer) error {
	return demo(stop, abort, args, stdout, stderr, func(u string) {
		fmt.Fprintf(stdout, "\nDashboard: %s  (serving until Ctrl-C; --no-serve to exit instead)\n"+
			"  the Mangystau LPG price, 60 → 120 → 50 tenge, in tenge and euros: %sseries?country=KZ&region=KZ-MAN&product=lpg\n"+
			"  litres of LPG one minimum wage buys, by region:                 %saffordability?country=KZ\n", u, u, u)
	})
}

// demo runs the demo; unless --no-serve, it then serves the dashboard until stop, calling
// dashboardReady with its URL.
func demo(stop, abort context.Context, args []string, stdout, stderr io.Writer, dashboardReady func(url string)) error {
	ownBroker, noServe := true, false
	so := defaultServeOptions(os.Getenv)
	cfg, fs, err := parseFlags("demo", "demo [flags]", args, settings{kafka: true, clickhouse: true, currencies: true}, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&ownBroker, "embedded-broker", ownBroker, "start an embedded broker on a free loopback port instead of using --brokers")
		fs.BoolVar(&noServe, "no-serve", noServe, "exit after printing the tables instead of serving the dashboard")
		fs.StringVar(&so.HTTP, "http", so.HTTP, "host:port to serve the dashboard on; if the default is taken, a free port (env ECONFLOW_SERVE_HTTP)")
	})
	if err != nil {
		return err
	}
	if err := so.validate(); err != nil {
		return fmt.Errorf("invalid setting %w", err)
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "clickhouse" })
	if !explicit {
		// The server (and credentials) of ECONFLOW_CLICKHOUSE or the default, never its database.
		if cfg.ClickHouse, err = withDatabase(cfg.ClickHouse, DemoDatabase); err != nil {
			return fmt.Errorf("invalid setting --clickhouse: %w", err)
		}
	}
	steps := 7
	if noServe {
		steps = 6
	}
	cfg.Group = fmt.Sprintf("econflow-demo-%d", time.Now().Unix())
	cfg.Linger = 100 * time.Millisecond
	cfg.Reconcile = time.Second
	log := newLogger("warn")
	step := func(n int, what string) { fmt.Fprintf(stderr, "[%d/%d] %s\n", n, steps, what) }

	step(1, "Kafka: starting the embedded broker")
	if ownBroker {
		b, err := kafka.StartBroker(kafka.BrokerOptions{Listen: "127.0.0.1:0"})
		if err != nil {
			return err
		}
		defer b.Close()
		cfg.Brokers = []string{b.Addr()}
	}
	fmt.Fprintf(stderr, "      broker at %s\n", strings.Join(cfg.Brokers, ","))

	step(2, "ClickHouse: connecting to "+redactDSN(cfg.ClickHouse))
	if !explicit {
		fmt.Fprintf(stderr, "      the sample goes to database %s, apart from your data (its rates are illustrative; --clickhouse to choose another)\n", DemoDatabase)
	}
	if err := ensureClickHouse(stop, cfg, stderr); err != nil {
		return err
	}

	step(3, "migrating the schema and creating topics")
	if err := migrate(stop, cfg, log); err != nil {
		return err
	}

	step(4, "publishing the built-in sample ("+demoSample+") through Kafka")
	sample, err := schemas.Sample(demoSample)
	if err != nil {
		return err
	}
	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: cfg.Brokers, Security: cfg.Security}, cfg.Topics.DeadLetter)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "econflow-sample-*.jsonl")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(sample); err != nil {
		return err
	}
	tmp.Close()
	sent, bad, err := produceFiles(stop, w, cfg.Topics, "jsonl", []string{tmp.Name()}, log)
	w.Close()
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("sample has invalid lines: %v", bad[0])
	}
	fmt.Fprintf(stderr, "      %d records published\n", sent)

	step(5, "consuming into ClickHouse")
	cstop, cstopCancel := context.WithCancel(stop)
	defer cstopCancel()
	done := make(chan error, 1)
	go func() { done <- consume(cstop, abort, cfg, log) }()
	if err := waitCommitted(stop, cfg, sent, done, stderr); err != nil {
		return err
	}
	cstopCancel()
	if err := <-done; err != nil {
		return err
	}

	step(6, "querying the SQL surface")
	store, err := clickhouse.Open(stop, clickhouse.Options{DSN: cfg.ClickHouse, Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := printDemoTables(stop, store, stdout); err != nil {
		return err
	}
	if noServe {
		return nil
	}

	step(7, "serving the dashboard")
	if so.HTTP == defaultServeHTTP && !addrFree(so.HTTP) {
		fmt.Fprintf(stderr, "      %s is taken; using a free port\n", so.HTTP)
		so.HTTP = "127.0.0.1:0"
	}
	return serveDashboard(stop, store, cfg, so, log, dashboardReady)
}

// withDatabase returns dsn naming database db instead of its own.
func withDatabase(dsn, db string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", errors.New(redactDSN(dsn) + ": not a URL")
	}
	u.Path, u.RawPath = "/"+db, ""
	return u.String(), nil
}

// addrFree reports whether a listener can bind addr now.
func addrFree(addr string) bool {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// ensureClickHouse connects, or, for the local default, starts ClickHouse with the deploy script.
func ensureClickHouse(ctx context.Context, cfg Config, stderr io.Writer) error {
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	s, err := clickhouse.Open(pctx, clickhouse.Options{DSN: cfg.ClickHouse, DialTimeout: 2 * time.Second})
	cancel()
	if err == nil {
		s.Close()
		return nil
	}
	if !strings.Contains(cfg.ClickHouse, "127.0.0.1:9000") && !strings.Contains(cfg.ClickHouse, "localhost:9000") {
		return fmt.Errorf("ClickHouse at %s does not answer (%v); start it or pass --clickhouse", redactDSN(cfg.ClickHouse), err)
	}
	fmt.Fprintln(stderr, "      not running; starting it with deploy/clickhouse.sh (installs Debian's clickhouse-server if missing)")
	dir, err := os.MkdirTemp("", "econflow-deploy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "clickhouse.sh")
	if err := os.WriteFile(script, deploy.ClickHouseScript, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "bash", script, "start")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("could not start ClickHouse: %v\n%s\nRun `sudo bash deploy/clickhouse.sh start` yourself, or pass --clickhouse to use your own server", err, out.String())
	}
	return nil
}

// waitCommitted waits until the demo group has committed n messages, showing progress.
func waitCommitted(ctx context.Context, cfg Config, n int, done <-chan error, stderr io.Writer) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-done:
			return fmt.Errorf("consumer stopped early: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
		committed, err := kafka.CommittedOffsets(ctx, cfg.Brokers, cfg.Security, cfg.Group, cfg.Topics.Input())
		if err != nil {
			continue
		}
		total := int64(0)
		for _, parts := range committed {
			for _, o := range parts {
				if o > 0 {
					total += o
				}
			}
		}
		fmt.Fprintf(stderr, "\r      %d/%d messages stored and committed", total, n)
		if total >= int64(n) {
			fmt.Fprintln(stderr)
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("timed out waiting for the consumer")
		}
	}
}

func printDemoTables(ctx context.Context, store *clickhouse.Store, out io.Writer) error {
	db := store.Database()
	conn := store.Conn()
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	defer tw.Flush()

	fmt.Fprintln(out, "\nLPG retail price per litre, Kazakhstan, around the January 2022 cap (latest vintage; EUR at each day's rate)")
	fmt.Fprintln(out, "EUR figures are shown to 4 decimals, half to even; ClickHouse holds them to 18.")
	var wage decimal.Decimal
	if err := conn.QueryRow(ctx, "SELECT amount FROM "+db+".wages WHERE country = 'KZ' AND measure = 'minimum' AND per = 'month' AND toStartOfMonth(date) = toDate('2022-01-01') LIMIT 1").Scan(&wage); err != nil {
		return fmt.Errorf("query wage: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT region, date, price_per_litre, price_per_litre_eur, fx_date, fx_path, published_at FROM "+db+
		".fuel_prices WHERE country = 'KZ' AND product = 'lpg' ORDER BY region, date")
	if err != nil {
		return err
	}
	fmt.Fprintln(tw, "region\tdate\tKZT/litre\tEUR/litre\trate date\tlitres per min. wage\tvintage\t")
	for rows.Next() {
		var (
			region, path    string
			date, published time.Time
			ppl             decimal.Decimal
			pplEUR          *decimal.Decimal
			fxDate          *time.Time
		)
		if err := rows.Scan(&region, &date, &ppl, &pplEUR, &fxDate, &path, &published); err != nil {
			return err
		}
		eur, rd := "pending", "-"
		if pplEUR != nil {
			eur = pplEUR.StringFixedBank(4)
		}
		if fxDate != nil {
			rd = fxDate.Format("2006-01-02")
		}
		litres := new(big.Rat).Quo(wage.Rat(), ppl.Rat())
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", region, date.Format("2006-01-02"), ppl.StringFixedBank(2), eur, rd,
			litres.FloatString(1), published.UTC().Format("2006-01-02 15:04"))
	}
	rows.Close()
	tw.Flush()

	fmt.Fprintln(out, "\nMinimum monthly wage in EUR")
	rows, err = conn.Query(ctx, "SELECT country, date, amount, currency, amount_eur, fx_rate, fx_path FROM "+db+".wages ORDER BY country, date")
	if err != nil {
		return err
	}
	fmt.Fprintln(tw, "country\tmonth\tamount\tcurrency\tEUR\tEUR per unit\tconverted with\t")
	for rows.Next() {
		var (
			country, currency, path string
			date                    time.Time
			amount                  decimal.Decimal
			eur, rate               *decimal.Decimal
		)
		if err := rows.Scan(&country, &date, &amount, &currency, &eur, &rate, &path); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", country, date.Format("2006-01"), amount.StringFixedBank(2), currency,
			fixedOrPending(eur, 4), fixedOrPending(rate, 9), path)
	}
	rows.Close()
	tw.Flush()

	fmt.Fprintln(out, "\nLitres of LPG one minimum monthly wage buys (econ.fuel_affordability: monthly wage / month's average price per litre)")
	rows, err = conn.Query(ctx, "SELECT month, region, wage_measure, monthly_wage, avg_price_per_litre, litres_per_monthly_wage FROM "+db+
		".fuel_affordability WHERE country = 'KZ' AND product = 'lpg' ORDER BY month, region")
	if err != nil {
		return err
	}
	fmt.Fprintln(tw, "month\tregion\twage\tmonthly wage KZT\tavg KZT/litre\tlitres\t")
	for rows.Next() {
		var (
			region, measure string
			month           time.Time
			w, p, l         decimal.Decimal
		)
		if err := rows.Scan(&month, &region, &measure, &w, &p, &l); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", month.Format("2006-01"), region, measure, w.StringFixedBank(2), p.StringFixedBank(4), l.StringFixedBank(2))
	}
	rows.Close()
	tw.Flush()
	if err := demoRealTerms(ctx, store, out); err != nil {
		return err
	}
	if err := demoConverted(ctx, store, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nEverything above is queryable in ClickHouse database %[1]q (SELECT … FROM %[1]s.fuel_prices): fuel_prices,\n"+
		"wages, fx_rates, their *_history and *_bitemporal views, fuel_prices_monthly, fuel_affordability,\n"+
		"fuel_prices_current, indicators, indicators_bitemporal, indicators_change, fuel_prices_real, wages_real,\n"+
		"fuel_prices_converted, wages_converted, indicators_converted (--reporting-currencies), reconversion_failures\n"+
		"and rejects.\n", db)
	return nil
}

// demoConverted prints the LPG prices in the further reporting currencies, when the demo was
// given some (--reporting-currencies).
func demoConverted(ctx context.Context, store *clickhouse.Store, out io.Writer) error {
	rows, err := store.Conn().Query(ctx, "SELECT reporting_currency, region, date, price_per_litre_converted, fx_path FROM "+store.Database()+
		".fuel_prices_converted WHERE country = 'KZ' AND product = 'lpg' ORDER BY reporting_currency, region, date")
	if err != nil {
		return fmt.Errorf("query fuel_prices_converted: %w", err)
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := false
	for rows.Next() {
		var (
			currency, region, path string
			date                   time.Time
			ppl                    *decimal.Decimal
		)
		if err := rows.Scan(&currency, &region, &date, &ppl, &path); err != nil {
			return err
		}
		if !header {
			fmt.Fprintln(out, "\nLPG price per litre in the further reporting currencies (econ.fuel_prices_converted; 4 decimals shown)")
			fmt.Fprintln(tw, "currency\tregion\tdate\tper litre\tconverted with\t")
			header = true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", currency, region, date.Format("2006-01-02"), fixedOrPending(ppl, 4), path)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return tw.Flush()
}

func fixedOrPending(d *decimal.Decimal, places int32) string {
	if d == nil {
		return "pending"
	}
	return d.StringFixedBank(places)
}
