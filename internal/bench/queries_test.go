package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

// generateAll returns every message of the query data of rows fuel rows.
func generateAll(g *queryGen) []ingest.Message {
	var msgs []ingest.Message
	for {
		n := len(msgs)
		if msgs = g.nextDay(msgs); len(msgs) == n {
			return msgs
		}
	}
}

// TestQueryGen checks the query data against its description, reading the messages back with
// encoding/json: the fuel rows asked for, in publishers' order (the first vintages day by day,
// every series every day), later vintages published later, re-deliveries identical to their
// first delivery, a monthly wage per country on the first of each month (national and regional),
// a daily rate per non-EUR currency; every message a valid record for the Processor, and the
// same messages for the same seed.
func TestQueryGen(t *testing.T) {
	const rows = 30000
	g := newQueryGen(rows, 9)
	msgs := generateAll(g)
	again := generateAll(newQueryGen(rows, 9))
	other := generateAll(newQueryGen(rows, 10))
	if len(again) != len(msgs) {
		t.Fatalf("%d messages, then %d with the same seed", len(msgs), len(again))
	}
	differ := 0
	for i := range msgs {
		if !bytes.Equal(msgs[i].Value, again[i].Value) {
			t.Fatalf("message %d differs between two runs with seed 9:\n%s\n%s", i, msgs[i].Value, again[i].Value)
		}
		if i < len(other) && !bytes.Equal(msgs[i].Value, other[i].Value) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("seed 10 generated the same messages as seed 9")
	}

	type obs struct{ series, date string }
	first := map[obs]map[string]any{} // first vintage of each observation
	published := map[obs]map[string]bool{}
	var fuel, redeliveries, wages, rates int
	seriesOfDay := map[string]map[string]bool{}
	lastFirstDate := ""
	wageMonths := map[string]int{}
	rateDays := map[string]int{}
	for i, m := range msgs {
		var v map[string]any
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatalf("message %d %s: %v", i, m.Value, err)
		}
		date, pub := v["date"].(string), v["published_at"].(string)
		switch v["kind"] {
		case "fuel_price":
			fuel++
			key := obs{v["country"].(string) + "/" + v["region"].(string) + "/" + v["product"].(string), date}
			if published[key] == nil {
				published[key] = map[string]bool{}
			}
			switch {
			case first[key] == nil:
				// A first vintage: dates in order, published on the day it is dated.
				if date < lastFirstDate {
					t.Fatalf("message %d: first vintage dated %s after one dated %s", i, date, lastFirstDate)
				}
				lastFirstDate = date
				if !strings.HasPrefix(pub, date) {
					t.Fatalf("message %d: first vintage dated %s published %s", i, date, pub)
				}
				first[key] = v
				if seriesOfDay[date] == nil {
					seriesOfDay[date] = map[string]bool{}
				}
				seriesOfDay[date][key.series] = true
			case published[key][pub]:
				redeliveries++
				if !equalJSON(first[key], v) {
					t.Fatalf("message %d: a re-delivery %s differs from the first %v", i, m.Value, first[key])
				}
			default:
				if pub <= first[key]["published_at"].(string) {
					t.Fatalf("message %d: a later vintage published %s, the first %s", i, pub, first[key]["published_at"])
				}
			}
			published[key][pub] = true
		case "wage":
			wages++
			if !strings.HasSuffix(date, "-01") || v["per"] != "month" {
				t.Fatalf("message %d: wage %s", i, m.Value)
			}
			wageMonths[date]++
		case "fx_rate":
			rates++
			rateDays[date]++
		default:
			t.Fatalf("message %d: kind %v", i, v["kind"])
		}
	}
	if fuel != rows || g.FuelRows != rows {
		t.Errorf("%d fuel messages (generator counted %d), want %d", fuel, g.FuelRows, rows)
	}
	vintages := 0
	for _, p := range published {
		vintages += len(p)
	}
	if len(first) != g.Observations || vintages != g.Vintages || fuel-redeliveries != vintages {
		t.Errorf("%d observations, %d vintages, %d re-deliveries; generator counted %d observations, %d vintages",
			len(first), vintages, redeliveries, g.Observations, g.Vintages)
	}
	if vintages == len(first) || redeliveries == 0 {
		t.Errorf("%d vintages of %d observations and %d re-deliveries: want some of each", vintages, len(first), redeliveries)
	}
	// Every series every day, but maybe the last.
	days := 0
	for d, s := range seriesOfDay {
		if len(s) != g.series && d != lastFirstDate {
			t.Errorf("%d series on %s, want all %d", len(s), d, g.series)
		}
		days++
	}
	if days != g.days() || g.series != len(queryCountries)*len(queryProducts)*g.regions {
		t.Errorf("%d days (generator %d), %d series", days, g.days(), g.series)
	}
	for month, n := range wageMonths {
		if n != 2*len(queryCountries) {
			t.Errorf("%d wages dated %s, want a national and a regional one per country", n, month)
		}
	}
	for d, n := range rateDays {
		if n != 5 {
			t.Errorf("%d rates dated %s, want one per non-EUR currency", n, d)
		}
	}
	if wages != g.WageRows || rates != g.RateRows || len(rateDays) != days {
		t.Errorf("%d wages, %d rates over %d days; generator counted %d, %d", wages, rates, len(rateDays), g.WageRows, g.RateRows)
	}

	// The consumer's Processor takes every message, and converts every price.
	proc := ingest.NewProcessor(transform.DefaultFXConfig())
	b, _ := proc.Process(msgs, time.Now(), 1)
	if len(b.Rejects) > 0 {
		t.Fatalf("%d rejects, the first: %s: %s", len(b.Rejects), b.Rejects[0].Reason, b.Rejects[0].Message.Value)
	}
	for _, r := range b.FuelPrices {
		if r.Derived.FXStatus != transform.FXConverted {
			t.Fatalf("%s %s %s: conversion %s", r.Record.Country, r.Record.Currency, r.Record.Date.Format(time.DateOnly), r.Derived.FXStatus)
		}
	}
	if len(b.FuelPrices) != rows || len(b.Wages) != wages || len(b.FXRates) != rates {
		t.Errorf("processed %d fuel rows, %d wages, %d rates", len(b.FuelPrices), len(b.Wages), len(b.FXRates))
	}
}

func equalJSON(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// The regions per country grow with the rows so that a series spans about queryDays days.
func TestQueryGenScale(t *testing.T) {
	for _, c := range []struct{ rows, regions int }{
		{20_000, 1}, {450_000, 1}, {2_000_000, 5}, {10_000_000, 23}, {20_000_000, 45},
	} {
		if g := newQueryGen(c.rows, 1); g.regions != c.regions {
			t.Errorf("%d rows: %d regions per country, want %d", c.rows, g.regions, c.regions)
		}
	}
	if r := regionCode("PL", 0); r != "PL-001" {
		t.Errorf("region 0 = %s", r)
	}
}

func TestQueryTargetMs(t *testing.T) {
	for _, c := range []struct{ direct, want float64 }{
		{10, 110}, {50, 150}, {50.5, 151.5}, {200, 600},
	} {
		if got := queryTargetMs(c.direct); got != c.want {
			t.Errorf("target of a %v ms direct read = %v, want %v", c.direct, got, c.want)
		}
	}
}

// The view queries name only views; the direct reads only storage tables.
func TestQuerySpecs(t *testing.T) {
	specs := querySpecs("econ_x", QueryTarget{Country: "PL", Region: "PL-001", Product: "diesel", Currency: "PLN",
		From: "2010-01-01", To: "2010-12-31", Observation: "2010-06-01"})
	names := map[string]bool{}
	for _, s := range specs {
		if names[s.Name] {
			t.Errorf("two questions named %s", s.Name)
		}
		names[s.Name] = true
		if strings.Contains(s.ViewSQL, "_data") || !strings.Contains(s.ViewSQL, "econ_x."+s.View+" ") {
			t.Errorf("%s: the view query %q", s.Name, s.ViewSQL)
		}
		for _, v := range []string{".fuel_prices ", ".fuel_prices_current", ".fuel_prices_history", ".fuel_prices_monthly", ".fuel_affordability", ".fx_rates "} {
			if strings.Contains(s.DirectSQL, v) {
				t.Errorf("%s: the direct read names the view %s", s.Name, v)
			}
		}
	}
	if len(specs) != 8 {
		t.Errorf("%d questions, want 8", len(specs))
	}
}

func TestCompareAnswers(t *testing.T) {
	txt := func(s ...string) []cell {
		out := make([]cell, len(s))
		for i, v := range s {
			if v == "NULL" {
				out[i] = cell{null: true}
			} else {
				out[i] = cell{text: v}
			}
		}
		return out
	}
	avg := map[string]exactFunc{"avg": ratio("sum", "", "n")}
	for _, c := range []struct {
		name         string
		view, direct *answer
		approx       map[string]exactFunc
		want         string // "" = the same
	}{
		{"same rows in another order",
			&answer{[]string{"d", "p"}, [][]cell{txt("2", "1.5"), txt("1", "NULL")}},
			&answer{[]string{"d", "p"}, [][]cell{txt("1", "NULL"), txt("2", "1.5")}}, nil, ""},
		{"columns matched by name",
			&answer{[]string{"d", "p"}, [][]cell{txt("1", "2")}},
			&answer{[]string{"p", "x", "d"}, [][]cell{txt("2", "9", "1")}}, nil, ""},
		{"a value differs",
			&answer{[]string{"d", "p"}, [][]cell{txt("1", "2.000000000000000001")}},
			&answer{[]string{"d", "p"}, [][]cell{txt("1", "2.000000000000000000")}}, nil, "differs"},
		{"NULL is not empty",
			&answer{[]string{"p"}, [][]cell{txt("NULL")}},
			&answer{[]string{"p"}, [][]cell{txt("")}}, nil, "differs"},
		{"a row more",
			&answer{[]string{"d"}, [][]cell{txt("1"), txt("1")}},
			&answer{[]string{"d"}, [][]cell{txt("1")}}, nil, "2 rows"},
		{"a column missing from the direct read",
			&answer{[]string{"d", "q"}, [][]cell{txt("1", "2")}},
			&answer{[]string{"d"}, [][]cell{txt("1")}}, nil, "no column q"},
		{"an average truncated to 18 digits",
			&answer{[]string{"m", "avg"}, [][]cell{txt("1", "0.333333333333333333")}},
			&answer{[]string{"m", "sum", "n"}, [][]cell{txt("1", "1.000000000000000000", "3")}}, avg, ""},
		{"an average rounded to 6 digits",
			&answer{[]string{"m", "avg"}, [][]cell{txt("1", "0.666667")}},
			&answer{[]string{"m", "sum", "n"}, [][]cell{txt("1", "2", "3")}}, avg, ""},
		{"an average off by more than 10^-6",
			&answer{[]string{"m", "avg"}, [][]cell{txt("1", "0.66666")}},
			&answer{[]string{"m", "sum", "n"}, [][]cell{txt("1", "2", "3")}}, avg, "more than 10^-6"},
		{"an average of nothing is NULL",
			&answer{[]string{"m", "avg"}, [][]cell{txt("1", "NULL")}},
			&answer{[]string{"m", "sum", "n"}, [][]cell{txt("1", "NULL", "0")}}, avg, ""},
		{"an average where there is none",
			&answer{[]string{"m", "avg"}, [][]cell{txt("1", "0")}},
			&answer{[]string{"m", "sum", "n"}, [][]cell{txt("1", "NULL", "0")}}, avg, "NULL"},
		{"rows matched by their exact columns before the averages",
			&answer{[]string{"m", "avg"}, [][]cell{txt("2", "1"), txt("1", "3")}},
			&answer{[]string{"m", "sum", "n"}, [][]cell{txt("1", "6", "2"), txt("2", "2", "2")}}, avg, ""},
		{"a ratio with a multiplier",
			&answer{[]string{"litres"}, [][]cell{txt("700.000000")}},
			&answer{[]string{"wage", "k", "s"}, [][]cell{txt("4200", "31", "186")}},
			map[string]exactFunc{"litres": ratio("wage", "k", "s")}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := compareAnswers(c.view, c.direct, c.approx)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("want the same, got %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("want an error with %q, got %v", c.want, err)
			}
		})
	}
}
