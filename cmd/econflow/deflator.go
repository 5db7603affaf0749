package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"text/tabwriter"
	"time"

	"github.com/econflow/econflow/ingest/clickhouse"
)

var countryRE = regexp.MustCompile(`^[A-Z]{2}$`)

// cmdDeflator sets, unsets or lists the consumer price index each country's prices and wages
// are deflated by in econ.fuel_prices_real and econ.wages_real (table econ.deflators).
func cmdDeflator(stop, _ context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = "deflator set COUNTRY --source SOURCE --series SERIES --base-month YYYY-MM [flags]\n" +
		"       econflow deflator unset COUNTRY [flags]\n       econflow deflator list [flags]"
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "Usage: econflow %s\n\nThe deflator of a country is the consumer price index series (source and series of econ.indicators,\n"+
			"unit index) that econ.fuel_prices_real and econ.wages_real divide by, and the month whose prices real\n"+
			"values are in: real = nominal × CPI(base month) / CPI(observation's month). Run 'econflow deflator set --help' for flags.\n", synopsis)
		return nil
	}
	sub, rest := args[0], args[1:]
	var country string
	if sub == "set" || sub == "unset" {
		if len(rest) == 0 || !countryRE.MatchString(rest[0]) {
			return fmt.Errorf("deflator %s: give the country first, an ISO 3166-1 alpha-2 code such as KZ", sub)
		}
		country, rest = rest[0], rest[1:]
	}
	var source, series, base string
	extra := func(fs *flag.FlagSet) {
		if sub == "set" {
			fs.StringVar(&source, "source", "", "publisher id of the CPI series, as in econ.indicators (e.g. stat.gov.kz)")
			fs.StringVar(&series, "series", "", "series code of the CPI, as in econ.indicators (e.g. CPI_ALL)")
			fs.StringVar(&base, "base-month", "", "month whose prices real values are in, YYYY-MM")
		}
	}
	switch sub {
	case "set", "unset", "list":
	default:
		return fmt.Errorf("deflator: unknown subcommand %q; use set, unset or list", sub)
	}
	cfg, _, err := parseFlags("deflator "+sub, synopsis, rest, settings{clickhouse: true}, stderr, extra)
	if err != nil {
		return err
	}
	var month time.Time
	if sub == "set" {
		if source == "" || series == "" {
			return errors.New("deflator set: --source and --series are required")
		}
		if month, err = time.Parse("2006-01", base); err != nil {
			return fmt.Errorf("deflator set: --base-month %q is not a month YYYY-MM", base)
		}
	}
	log := newLogger(cfg.LogLevel)
	store, err := clickhouse.Open(stop, clickhouse.Options{DSN: cfg.ClickHouse, Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	switch sub {
	case "set":
		if err := store.SetDeflator(stop, clickhouse.Deflator{Country: country, Source: source, Series: series, BaseMonth: month}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: deflated by %s %s at the prices of %s\n", country, source, series, month.Format("2006-01"))
	case "unset":
		if err := store.UnsetDeflator(stop, country); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: no deflator; its real values are pending\n", country)
	case "list":
		ds, err := store.Deflators(stop)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "country\tsource\tseries\tbase month\tupdated at\t")
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", d.Country, d.Source, d.Series, d.BaseMonth.Format("2006-01"), d.UpdatedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	}
	return nil
}
