// Command econflow moves price and economic indicator records from Kafka into ClickHouse,
// exactly: see `econflow --help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `econflow — exact price and economic indicator pipeline: Kafka → ClickHouse.

Usage: econflow <command> [flags]

Commands:
  migrate   create or upgrade the ClickHouse schema and the Kafka topics (idempotent)
  consume   run a consumer in a consumer group until SIGINT/SIGTERM, then drain and exit
  produce   validate records from JSONL or CSV files, or publishers' own files (--format), and publish them
  broker    run the embedded Kafka-protocol broker for local use and tests
  replay    re-publish dead letters to their original topics once their cause is fixed
  demo      zero set-up: sample data end to end, the tables an economist asks for, then the dashboard
  deflator  set, unset or list the consumer price index each country's real terms are deflated by
  serve     the web dashboard: charts and tables over the SQL views (default http://127.0.0.1:8080/)
  bench     throughput, CPU, memory and latency of the pipeline against ClickHouse's own JSON insert and raw
            ceilings; 'bench queries': the SQL views against direct primary-key reads

Run 'econflow <command> --help' for a command's flags. Every setting can also come from the
environment (ECONFLOW_BROKERS, ECONFLOW_CLICKHOUSE, ECONFLOW_GROUP, ECONFLOW_HTTP, ECONFLOW_SERVE_HTTP, …).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	commands := map[string]func(context.Context, context.Context, []string, io.Writer, io.Writer) error{
		"migrate": cmdMigrate, "consume": cmdConsume, "produce": cmdProduce, "broker": cmdBroker, "demo": cmdDemo,
		"bench": cmdBench, "replay": cmdReplay, "serve": cmdServe, "deflator": cmdDeflator,
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "econflow: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	// The first SIGINT/SIGTERM stops a command gracefully; a second aborts at once.
	stop, stopCancel := context.WithCancel(context.Background())
	abort, abortCancel := context.WithCancel(context.Background())
	defer stopCancel()
	defer abortCancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		<-sigs
		fmt.Fprintln(stderr, "econflow: stopping (send the signal again to abort without draining)")
		stopCancel()
		<-sigs
		abortCancel()
	}()
	err := cmd(stop, abort, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "econflow %s: %v\n", args[0], err)
		return 1
	}
}

var errUsage = errors.New("usage")

// parseFlags builds the command's config: defaults, then environment, then flags.
func parseFlags(name, synopsis string, args []string, s settings, stderr io.Writer, extra func(*flag.FlagSet)) (Config, *flag.FlagSet, error) {
	cfg := DefaultConfig()
	if err := cfg.fromEnv(os.Getenv); err != nil {
		return cfg, nil, err
	}
	fs := flag.NewFlagSet("econflow "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: econflow %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	cfg.register(fs, s)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, fs, err
		}
		return cfg, fs, errUsage
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fs, fmt.Errorf("invalid setting %w", err)
	}
	return cfg, fs, nil
}
