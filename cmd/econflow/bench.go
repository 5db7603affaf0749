package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/econflow/econflow/internal/bench"
)

// cmdBench wires flags to bench.Run, or with the first argument "queries" to bench.RunQueries:
// see package bench for what is measured.
func cmdBench(stop, _ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "queries" {
		return cmdBenchQueries(stop, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "lines" {
		return cmdBenchLines(args[1:], stdout, stderr)
	}
	o := bench.Options{Records: 1_000_000, Seed: 1, LatencyRecords: 20000, Rate: 5000, Embedded: true}
	jsonOut, runs, order, shuffle := "", 1, string(bench.OrderPublishers), false
	cfg, fs, err := parseFlags("bench",
		"bench [--records N] [--runs N] [--seed S] [--order publishers|key|random] [--embedded-broker=false --brokers …] [--clickhouse DSN] [--json FILE|-] [--latency-records N] [--rate R] [--keep]\n"+
			"       bench queries --help: the query benchmark\n"+
			"       bench lines --help: the generated records as JSON lines (for timing producers, docs/performance.md)\n\n"+
			"bench measures the consumer's drain of N generated fuel prices against ClickHouse's own JSONEachRow insert of the same lines (ceiling J)\n"+
			"and raw TSV inserts (A, A2), in publishers' order unless --order says otherwise. It prints its progress; the pipeline's own logs\n"+
			"show from warn up unless --log-level or ECONFLOW_LOG_LEVEL asks otherwise.",
		args, settings{kafka: true, clickhouse: true, consume: true}, stderr, func(fs *flag.FlagSet) {
			fs.IntVar(&o.Records, "records", o.Records, "fuel_price records to generate, publish and drain")
			fs.IntVar(&runs, "runs", runs, "measure this many times, each run with its own ceilings, and report each metric's median, min and max")
			fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the record generator (math/rand/v2 PCG)")
			fs.StringVar(&order, "order", order, "the order records are published in: publishers (days in order, every series each day), key (fuel_prices_data's key order: each series whole, in date order) or random (from the seed)")
			fs.BoolVar(&shuffle, "shuffle", shuffle, "the same as --order random")
			fs.BoolVar(&o.Embedded, "embedded-broker", o.Embedded, "run the embedded broker in-process; --brokers given without this flag turns it off")
			fs.StringVar(&jsonOut, "json", jsonOut, "also write the result as JSON to this file (- = stdout)")
			fs.IntVar(&o.LatencyRecords, "latency-records", o.LatencyRecords, "records of the latency phase (0: skip it)")
			fs.Float64Var(&o.Rate, "rate", o.Rate, "msgs/s published during the latency phase")
			fs.StringVar(&o.CPUProfile, "cpuprofile", o.CPUProfile, "write a Go CPU profile of the drain to this file (go tool pprof)")
			fs.StringVar(&o.HeapProfile, "memprofile", o.HeapProfile, "write a Go heap profile to this file as the drain ends (go tool pprof)")
			fs.BoolVar(&o.Keep, "keep", o.Keep, "keep the econ_bench_<ts> database, its raw_ceiling table and the topics")
		})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if cfg.HTTP != "" {
		return fmt.Errorf("--http: bench serves no HTTP endpoint")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["brokers"] && !set["embedded-broker"] {
		o.Embedded = false
	}
	if o.Order, err = bench.ParseOrder(order); err != nil {
		return fmt.Errorf("--order: %w", err)
	}
	if shuffle {
		if set["order"] && o.Order != bench.OrderRandom {
			return fmt.Errorf("--shuffle and --order %s: choose one", order)
		}
		o.Order = bench.OrderRandom
	}
	if o.Records < 1 || o.Rate <= 0 || o.LatencyRecords < 0 || runs < 1 {
		return fmt.Errorf("--records and --runs must be ≥ 1, --rate > 0 and --latency-records ≥ 0")
	}
	if runs > 1 && (o.CPUProfile != "" || o.HeapProfile != "") {
		return fmt.Errorf("--cpuprofile and --memprofile profile one run: use them without --runs")
	}
	if o.LatencyRecords == 0 {
		o.LatencyRecords = -1 // bench.Options: negative skips the phase
	}
	fx := cfg.FX()
	o.Brokers, o.Security, o.Partitions, o.Topics, o.Group = cfg.Brokers, cfg.Security, cfg.Partitions, cfg.Topics, cfg.Group
	o.ClickHouse, o.BatchSize, o.Linger, o.Reconcile, o.FX = cfg.ClickHouse, cfg.BatchSize, cfg.Linger, cfg.Reconcile, &fx
	o.Progress, o.Logger = stderr, newLogger(benchLogLevel(cfg.LogLevel, set["log-level"], os.Getenv))
	cfg.applyMemorySettings() // as consume does, so that the drain measures what consume uses

	if runs == 1 {
		res, runErr := bench.Run(stop, o)
		if res == nil {
			return runErr
		}
		return errors.Join(runErr, writeBench(res, jsonOut, stdout))
	}
	var results []*bench.Result
	var dbs []string // dropped after the last run: bench.Options.DropLater says why
	o.DropLater = true
	defer func() {
		if err := bench.DropDatabases(context.Background(), o, dbs); err != nil {
			fmt.Fprintf(stderr, "bench: could not drop the runs' databases %v: %v\n", dbs, err)
		}
	}()
	for i := 1; i <= runs; i++ {
		fmt.Fprintf(stderr, "bench: run %d of %d\n", i, runs)
		res, err := bench.Run(stop, o)
		if err == nil && !o.Keep {
			dbs = append(dbs, res.Database) // a failed run dropped its own
		}
		if err != nil {
			if res != nil {
				res.WriteTable(stdout) // what the failed run measured
			}
			return fmt.Errorf("run %d of %d: %w", i, runs, err)
		}
		fmt.Fprintf(stderr, "bench: run %d of %d: drain %.0f rows/s (%.2f of ceiling J), %.2f CPU-s/M, peak RSS %.0f MB, exact %v\n",
			i, runs, res.DrainRate, res.DrainRate/res.JSONInsertRate, res.CPUSecondsPerMillion, res.PeakRSSMB, res.AllExact())
		results = append(results, res)
	}
	sum, err := bench.Summarize(results)
	if err != nil {
		return err
	}
	if err := writeBench(sum, jsonOut, stdout); err != nil {
		return err
	}
	if !sum.Exact {
		return fmt.Errorf("a run stored a sum of prices that differs from the generated one")
	}
	return nil
}

// cmdBenchQueries wires flags to bench.RunQueries.
func cmdBenchQueries(stop context.Context, args []string, stdout, stderr io.Writer) error {
	o := bench.QueryOptions{Rows: 10_000_000, Runs: 5, Budget: 60 * time.Second, BatchRows: 200_000}
	jsonOut := ""
	cfg, fs, err := parseFlags("bench queries",
		"bench queries [--rows N] [--runs N] [--budget D] [--seed S] [--clickhouse DSN] [--clickhouse-http URL] [--json FILE|-] [--keep]\n\n"+
			"bench queries loads N generated fuel price rows (with wages and FX rates) in publishers' order into a fresh database migrated with\n"+
			"econflow's migrations, through the consumer's processing and the store's inserts, then times economists' and dashboards' questions\n"+
			"asked of the views (fuel_prices, fuel_prices_current, fuel_prices_history, fuel_prices_monthly, fuel_affordability, fx_rates)\n"+
			"against the same answers read from the *_data tables by their primary key: median view and direct times, their ratio, rows answered\n"+
			"and read, and the verdict against view ≤ max(3 × direct, direct + 100 ms). It fails when a view answers other rows than its direct read.",
		args, settings{clickhouse: true}, stderr, func(fs *flag.FlagSet) {
			fs.IntVar(&o.Rows, "rows", o.Rows, "fuel price rows to load (every vintage and re-delivery counts); wages and rates come on top")
			fs.IntVar(&o.Runs, "runs", o.Runs, "timed runs of each query (after one untimed run whose answers are compared); the median is reported")
			fs.DurationVar(&o.Budget, "budget", o.Budget, "time for one query's timed runs (view and direct read together), after which it stops early; at least one run is made, and a view whose first, compared run took this long is not run again")
			fs.IntVar(&o.BatchRows, "batch-rows", o.BatchRows, "rows per insert while loading")
			fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the data")
			fs.StringVar(&o.HTTP, "clickhouse-http", o.HTTP, "the same server's HTTP interface, which the queries go through; default http://<the DSN's host>:8123/")
			fs.StringVar(&jsonOut, "json", jsonOut, "also write the result as JSON to this file (- = stdout)")
			fs.BoolVar(&o.Keep, "keep", o.Keep, "keep the econ_qbench_<ts> database")
		})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if o.Rows < 1 || o.Runs < 1 || o.Budget <= 0 || o.BatchRows < 1 {
		return fmt.Errorf("--rows, --runs and --batch-rows must be ≥ 1 and --budget > 0")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.ClickHouse, o.Progress, o.Logger = cfg.ClickHouse, stderr, newLogger(benchLogLevel(cfg.LogLevel, set["log-level"], os.Getenv))
	res, runErr := bench.RunQueries(stop, o)
	if res == nil {
		return runErr
	}
	return errors.Join(runErr, writeBench(res, jsonOut, stdout))
}

// writeBench writes a result's table to stdout and, when jsonOut is set, its JSON to that file
// (- = stdout).
func writeBench(res interface {
	WriteTable(io.Writer) error
	WriteJSON(io.Writer) error
}, jsonOut string, stdout io.Writer) error {
	if err := res.WriteTable(stdout); err != nil {
		return err
	}
	switch jsonOut {
	case "":
		return nil
	case "-":
		return res.WriteJSON(stdout)
	}
	f, err := os.Create(jsonOut)
	if err != nil {
		return err
	}
	err = res.WriteJSON(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// benchLogLevel is the level of the pipeline's own logs during a bench: bench reports its
// progress itself, so the consumer's and the migrations' info lines (a group joined, a
// migration applied, in every run) are left out unless a level was asked for.
func benchLogLevel(level string, flagSet bool, getenv func(string) string) string {
	if flagSet || getenv("ECONFLOW_LOG_LEVEL") != "" {
		return level
	}
	return "warn"
}

// cmdBenchLines writes the benchmark's generated price records as JSON lines, each optionally
// preceded by its Kafka key and a tab (kcat -K'\t'): the input of the producer comparison
// (make bench-produce).
func cmdBenchLines(args []string, stdout, stderr io.Writer) error {
	records, seed, order, keys, ecb := 1_000_000, uint64(1), string(bench.OrderPublishers), false, false
	fs := flag.NewFlagSet("bench lines", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: econflow bench lines [--records N] [--seed S] [--order publishers|key|random] [--keys]\n"+
			"       econflow bench lines --ecb-csv [--seed S]\n\n"+
			"bench lines writes the price records econflow bench generates to stdout, one JSON message a line;\n"+
			"with --ecb-csv, a synthetic full history of the ECB's euro reference rates (eurofxref-hist.csv, some\n"+
			"240,000 rates) for econflow produce --format ecb-csv.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.IntVar(&records, "records", records, "fuel_price records to generate")
	fs.Uint64Var(&seed, "seed", seed, "seed of the record generator")
	fs.StringVar(&order, "order", order, "publishers, key or random, as econflow bench")
	fs.BoolVar(&keys, "keys", keys, "precede each line with its Kafka key (the series) and a tab")
	fs.BoolVar(&ecb, "ecb-csv", ecb, "write a synthetic eurofxref-hist.csv, 1999-01-04 to 2026-11-30, instead")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	o, err := bench.ParseOrder(order)
	if err != nil || records < 1 || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if ecb {
		return bench.WriteECBHistory(stdout, seed, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	}
	return bench.WriteLines(stdout, records, seed, o, keys)
}
