package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/econflow/econflow/ingest/clickhouse"
)

// demoRealTerms sets Kazakhstan's deflator to the sample CPI at December 2021 prices and prints
// the Mangystau LPG price and the minimum wage in constant prices (econ.fuel_prices_real,
// econ.wages_real).
func demoRealTerms(ctx context.Context, store *clickhouse.Store, out io.Writer) error {
	base := time.Date(2021, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := store.SetDeflator(ctx, clickhouse.Deflator{Country: "KZ", Source: "econflow.sample", Series: "KZ_CPI_M", BaseMonth: base}); err != nil {
		return err
	}
	db, conn := store.Database(), store.Conn()
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(out, "\nIn constant prices of December 2021 (econflow deflator set KZ --source econflow.sample --series KZ_CPI_M --base-month 2021-12;\n"+
		"the sample CPI is illustrative): real = nominal × CPI(2021-12) / CPI(month), econ.fuel_prices_real and econ.wages_real")
	rows, err := conn.Query(ctx, "SELECT date, price_per_litre, cpi_value, real_status, real_price_per_litre FROM "+db+
		".fuel_prices_real WHERE country = 'KZ' AND region = 'KZ-MAN' AND product = 'lpg' ORDER BY date")
	if err != nil {
		return fmt.Errorf("query real prices: %w", err)
	}
	fmt.Fprintln(tw, "Mangystau LPG\tKZT/litre\tCPI\treal KZT/litre\t")
	for rows.Next() {
		var (
			date      time.Time
			ppl       *decimal.Decimal
			cpi, real *decimal.Decimal
			status    string
		)
		if err := rows.Scan(&date, &ppl, &cpi, &status, &real); err != nil {
			rows.Close()
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", date.Format("2006-01-02"), fixedOrPending(ppl, 2), fixedOrPending(cpi, 2), fixedOrPending(real, 2))
	}
	rows.Close()
	tw.Flush()
	rows, err = conn.Query(ctx, "SELECT date, monthly_amount, cpi_value, real_status, real_monthly_amount FROM "+db+
		".wages_real WHERE country = 'KZ' AND measure = 'minimum' ORDER BY date")
	if err != nil {
		return fmt.Errorf("query real wages: %w", err)
	}
	fmt.Fprintln(tw, "minimum wage\tKZT/month\tCPI\treal KZT/month\t")
	for rows.Next() {
		var (
			date      time.Time
			amount    *decimal.Decimal
			cpi, real *decimal.Decimal
			status    string
		)
		if err := rows.Scan(&date, &amount, &cpi, &status, &real); err != nil {
			rows.Close()
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", date.Format("2006-01"), fixedOrPending(amount, 2), fixedOrPending(cpi, 2), fixedOrPending(real, 2))
	}
	rows.Close()
	return tw.Flush()
}
