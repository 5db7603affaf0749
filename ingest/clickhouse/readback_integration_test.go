package clickhouse_test

import (
	"context"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/transform"
)

// TestIntegrationReadBackWhatWasWritten writes rows of every kind with every field set (and
// the derived values NULL or not), reads them back with Observations and Rates, and checks each
// field against what was written: values exactly, decimals by value (they come back with 18
// fractional digits), published_at to the nanosecond: two vintages of one observation published
// within the same second are two rows.
func TestIntegrationReadBackWhatWasWritten(t *testing.T) {
	store := testenv.OpenStore(t, testenv.ClickHouseDSN(t))
	ctx := context.Background()
	dec := func(s string) transform.Decimal {
		d, err := transform.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	pub := time.Date(2022, 1, 4, 18, 30, 5, 7, time.UTC)
	ing := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	fuel := []ingest.Row{{
		Record: transform.Record{Kind: transform.KindFuelPrice, Version: 1, ID: "fuel-1", Source: "stat.gov.kz", Date: day,
			Frequency: "D", PublishedAt: pub, Status: "P", UnitMult: -3, Attributes: map[string]string{"note": "«тенге»\t\"q\""},
			Country: "KZ", Region: "KZ-MAN", Product: "lpg", TaxBasis: "incl_tax", Currency: "KZT", Unit: "barrel",
			Price: dec("-99999999999999999999.999999999999999999")},
		Derived: transform.Derived{FXStatus: transform.FXConverted, FXRate: dec("0.002029426686960933").Fixed18(),
			FXDate: day.AddDate(0, 0, -1), FXPath: "KZT>EUR", PricePerLitre: dec("120.5").Fixed18(),
			PriceEUR: dec("-0.243531202435312024").Fixed18(), PricePerLitreEUR: dec("0.000000000000000001").Fixed18()},
		Topic: "econ.fuel_prices", Partition: 2, Offset: 1 << 40, IngestedAt: ing, Version: 1<<63 + 5,
	}, {
		Record: transform.Record{Kind: transform.KindFuelPrice, Version: 1, ID: "fuel-2", Source: "s", Date: day, Frequency: "W",
			PublishedAt: pub, Status: "A", Country: "DE", Product: "diesel", TaxBasis: "excl_tax", Currency: "EUR", Unit: "tonne",
			Price: dec("0.000000000000000001")},
		Derived: transform.Derived{FXStatus: transform.FXPending, PricePerKg: dec("0.000000000000000001").Fixed18()},
		Topic:   "econ.fuel_prices", Offset: 3, IngestedAt: ing, Version: 7,
	}}
	revised := fuel[0] // the same observation, revised a nanosecond later
	revised.Record.ID, revised.Record.PublishedAt, revised.Offset = "fuel-3", pub.Add(time.Nanosecond), 4
	fuel = append(fuel, revised)
	wages := []ingest.Row{{
		Record: transform.Record{Kind: transform.KindWage, Version: 1, ID: "wage-1", Source: "stat.gov.kz", Date: day, Frequency: "A",
			PublishedAt: pub, Status: "E", UnitMult: 3, Country: "KZ", Region: "KZ-ALA", Measure: "average", Basis: "net",
			Per: "year", Currency: "KZT", Amount: dec("42500.25")},
		Derived: transform.Derived{FXStatus: transform.FXConverted, FXRate: dec("0.00203").Fixed18(), FXPath: "KZT>EUR",
			AmountEUR: dec("86.275").Fixed18(), MonthlyAmount: dec("3541.6875").Fixed18(), MonthlyAmountEUR: dec("7.189583333333333333").Fixed18()},
		Topic: "econ.wages", Partition: 1, Offset: 9, IngestedAt: ing, Version: 9,
	}}
	rates := []ingest.Row{{
		Record: transform.Record{Kind: transform.KindFXRate, Version: 1, ID: "rate-1", Source: "nationalbank.kz", Date: day,
			Frequency: "D", PublishedAt: pub, Status: "A", UnitMult: -2, Base: "KRW", Quote: "KZT", RateType: "market",
			Rate: dec("3723"), Quantity: 100},
		Topic: "econ.fx_rates", Offset: 4, IngestedAt: ing, Version: 11,
	}}
	if err := store.WriteBatch(ctx, &ingest.Batch{FuelPrices: fuel, Wages: wages, FXRates: rates}); err != nil {
		t.Fatal(err)
	}

	got, err := store.Observations(ctx, ingest.ObservationQuery{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b ingest.Row) int { return strings.Compare(a.Record.ID, b.Record.ID) })
	want := append(slices.Clone(fuel), wages...)
	if len(got) != len(want) {
		t.Fatalf("read back %d observations, wrote %d", len(got), len(want))
	}
	for i := range want {
		checkRow(t, got[i], want[i])
	}

	stored, err := store.Rates(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 {
		t.Fatalf("read back %d rates, wrote 1", len(stored))
	}
	w := transform.RateFromRecord(&rates[0].Record)
	g := stored[0]
	if g.Source != w.Source || g.Base != w.Base || g.Quote != w.Quote || g.RateType != w.RateType || !g.Date.Equal(w.Date) ||
		g.Quantity != w.Quantity || !g.PublishedAt.Equal(w.PublishedAt) || g.Rate.Rate.Rat().Cmp(w.Rate.Rat()) != 0 ||
		!g.IngestedAt.Equal(ing) {
		t.Errorf("rate read back as %+v (ingested %v), wrote %+v (ingested %v)", g.Rate, g.IngestedAt, w, ing)
	}
}

// checkRow compares a row read back with the row written, field by field.
func checkRow(t *testing.T, got, want ingest.Row) {
	t.Helper()
	g, w := got.Record, want.Record
	if g.Price.Rat().Cmp(w.Price.Rat()) != 0 || g.Amount.Rat().Cmp(w.Amount.Rat()) != 0 {
		t.Errorf("%s: value read back as %s/%s, wrote %s/%s", w.ID, g.Price, g.Amount, w.Price, w.Amount)
	}
	g.Price, g.Amount, w.Price, w.Amount = transform.Decimal{}, transform.Decimal{}, transform.Decimal{}, transform.Decimal{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: record read back as\n  %+v\nwrote\n  %+v", w.ID, g, w)
	}
	gd, wd := got.Derived, want.Derived
	for _, f := range []struct {
		name string
		g, w *big.Int
	}{{"fx_rate", gd.FXRate, wd.FXRate}, {"price_per_litre", gd.PricePerLitre, wd.PricePerLitre},
		{"price_per_kg", gd.PricePerKg, wd.PricePerKg}, {"price_eur", gd.PriceEUR, wd.PriceEUR},
		{"price_per_litre_eur", gd.PricePerLitreEUR, wd.PricePerLitreEUR}, {"price_per_kg_eur", gd.PricePerKgEUR, wd.PricePerKgEUR},
		{"amount_eur", gd.AmountEUR, wd.AmountEUR}, {"monthly_amount", gd.MonthlyAmount, wd.MonthlyAmount},
		{"monthly_amount_eur", gd.MonthlyAmountEUR, wd.MonthlyAmountEUR}} {
		if (f.g == nil) != (f.w == nil) || f.g != nil && f.g.Cmp(f.w) != 0 {
			t.Errorf("%s: %s read back as %v, wrote %v", w.ID, f.name, f.g, f.w)
		}
	}
	if gd.FXStatus != wd.FXStatus || gd.FXPath != wd.FXPath || !gd.FXDate.Equal(wd.FXDate) || gd.FXDate.IsZero() != wd.FXDate.IsZero() {
		t.Errorf("%s: conversion read back as %s %s %v, wrote %s %s %v", w.ID, gd.FXStatus, gd.FXPath, gd.FXDate, wd.FXStatus, wd.FXPath, wd.FXDate)
	}
	if got.Topic != want.Topic || got.Partition != want.Partition || got.Offset != want.Offset || !got.IngestedAt.Equal(want.IngestedAt) ||
		got.Version != want.Version {
		t.Errorf("%s: source read back as %s/%d@%d %v v%d, wrote %s/%d@%d %v v%d", w.ID, got.Topic, got.Partition, got.Offset,
			got.IngestedAt, got.Version, want.Topic, want.Partition, want.Offset, want.IngestedAt, want.Version)
	}
}
