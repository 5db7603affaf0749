package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/econflow/econflow/ingest/bench"
)

// cmdBench wires flags to bench.Run: see package bench for what is measured.
func cmdBench(stop, _ context.Context, args []string, stdout, stderr io.Writer) error {
	o := bench.Options{Records: 1_000_000, Seed: 1, LatencyRecords: 20000, Rate: 5000, Embedded: true}
	jsonOut := ""
	cfg, fs, err := parseFlags("bench",
		"bench [--records N] [--seed S] [--shuffle] [--embedded-broker=false --brokers …] [--clickhouse DSN] [--json FILE|-] [--latency-records N] [--rate R] [--keep]",
		args, settings{kafka: true, clickhouse: true, consume: true}, stderr, func(fs *flag.FlagSet) {
			fs.IntVar(&o.Records, "records", o.Records, "fuel_price records to generate, publish and drain")
			fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the record generator (math/rand/v2 PCG)")
			fs.BoolVar(&o.Shuffle, "shuffle", o.Shuffle, "publish the records in a random order (from the seed) instead of each series in date order")
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
	if o.Records < 1 || o.Rate <= 0 || o.LatencyRecords < 0 {
		return fmt.Errorf("--records must be ≥ 1, --rate > 0 and --latency-records ≥ 0")
	}
	if o.LatencyRecords == 0 {
		o.LatencyRecords = -1 // bench.Options: negative skips the phase
	}
	fx := cfg.FX()
	o.Brokers, o.Security, o.Partitions, o.Topics, o.Group = cfg.Brokers, cfg.Security, cfg.Partitions, cfg.Topics, cfg.Group
	o.ClickHouse, o.BatchSize, o.Linger, o.Reconcile, o.FX = cfg.ClickHouse, cfg.BatchSize, cfg.Linger, cfg.Reconcile, &fx
	o.Progress, o.Logger = stderr, newLogger(cfg.LogLevel)
	cfg.applyMemorySettings() // as consume does, so that the drain measures what consume uses

	res, runErr := bench.Run(stop, o)
	if res == nil {
		return runErr
	}
	if err := res.WriteTable(stdout); err != nil {
		return err
	}
	if jsonOut != "" {
		if jsonOut == "-" {
			if err := res.WriteJSON(stdout); err != nil {
				return errors.Join(runErr, err)
			}
		} else {
			f, err := os.Create(jsonOut)
			if err != nil {
				return errors.Join(runErr, err)
			}
			err = res.WriteJSON(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return errors.Join(runErr, err)
			}
		}
	}
	return runErr
}
