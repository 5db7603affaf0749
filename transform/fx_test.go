package transform

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)

func mkRate(t testing.TB, source, base, quote, date, rate string, qty int64, pub int) Rate {
	return Rate{Source: source, Base: base, Quote: quote, RateType: "official", Frequency: "D", Date: day(date),
		Rate: dec(t, rate), Quantity: qty, PublishedAt: t0.Add(time.Duration(pub) * time.Hour)}
}

// ratOf parses "x" or "x/y" where x and y are decimals.
func ratOf(s string) *big.Rat {
	num, den, _ := strings.Cut(s, "/")
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		panic(s)
	}
	if den != "" {
		d, ok := new(big.Rat).SetString(den)
		if !ok {
			panic(s)
		}
		r.Quo(r, d)
	}
	return r
}

func TestConvert(t *testing.T) {
	type want struct {
		status, factor, date, path string
	}
	tests := []struct {
		name     string
		rates    []Rate
		cfg      func(*FXConfig)
		currency string
		date     string
		want     want
	}{
		{name: "same currency", currency: "EUR", date: "2022-01-05",
			want: want{"converted", "1", "", "EUR"}},
		{name: "direct inverse", currency: "KZT", date: "2022-01-05",
			rates: []Rate{mkRate(t, "nationalbank.kz", "EUR", "KZT", "2022-01-05", "492.75", 1, 0)},
			want:  want{"converted", "1/492.75", "2022-01-05", "KZT>EUR@nationalbank.kz:2022-01-05"}},
		{name: "direct base to quote", currency: "USD", date: "2022-01-05",
			rates: []Rate{mkRate(t, "x", "USD", "EUR", "2022-01-04", "0.88", 1, 0)},
			want:  want{"converted", "0.88", "2022-01-04", "USD>EUR@x:2022-01-04"}},
		{name: "quantity", currency: "KRW", date: "2022-01-05",
			rates: []Rate{mkRate(t, "nationalbank.kz", "KRW", "EUR", "2022-01-05", "0.074", 100, 0)},
			want:  want{"converted", "0.00074", "2022-01-05", "KRW>EUR@nationalbank.kz:2022-01-05"}},
		{name: "quantity inverse", currency: "KRW", date: "2022-01-05",
			rates: []Rate{mkRate(t, "bok", "EUR", "KRW", "2022-01-05", "1350", 1, 0)},
			want:  want{"converted", "1/1350", "2022-01-05", "KRW>EUR@bok:2022-01-05"}},
		{name: "triangulate via USD", currency: "KRW", date: "2022-01-05",
			rates: []Rate{
				mkRate(t, "nationalbank.kz", "KRW", "USD", "2022-01-05", "0.084", 100, 0), // 100 KRW = 0.084 USD
				mkRate(t, "ecb", "EUR", "USD", "2022-01-04", "1.13", 1, 0),
			},
			want: want{"converted", fmt.Sprint(new(big.Rat).Mul(ratOf("0.00084"), ratOf("1/1.13")).RatString()), "2022-01-04",
				"KRW>USD@nationalbank.kz:2022-01-05;USD>EUR@ecb:2022-01-04"}},
		{name: "window edge 7 days inside", currency: "KZT", date: "2022-01-12",
			rates: []Rate{mkRate(t, "nb", "EUR", "KZT", "2022-01-05", "500", 1, 0)},
			want:  want{"converted", "1/500", "2022-01-05", "KZT>EUR@nb:2022-01-05"}},
		{name: "window edge 8 days pending", currency: "KZT", date: "2022-01-13",
			rates: []Rate{mkRate(t, "nb", "EUR", "KZT", "2022-01-05", "500", 1, 0)},
			want:  want{"pending", "", "", ""}},
		{name: "future rate unused", currency: "KZT", date: "2022-01-04",
			rates: []Rate{mkRate(t, "nb", "EUR", "KZT", "2022-01-05", "500", 1, 0)},
			want:  want{"pending", "", "", ""}},
		{name: "latest date wins", currency: "KZT", date: "2022-01-10",
			rates: []Rate{mkRate(t, "a", "EUR", "KZT", "2022-01-09", "500", 1, 0), mkRate(t, "b", "EUR", "KZT", "2022-01-08", "400", 1, 0)},
			want:  want{"converted", "1/500", "2022-01-09", "KZT>EUR@a:2022-01-09"}},
		{name: "tie lexicographic source", currency: "KZT", date: "2022-01-10",
			rates: []Rate{mkRate(t, "zz", "EUR", "KZT", "2022-01-09", "500", 1, 0), mkRate(t, "aa", "EUR", "KZT", "2022-01-09", "400", 1, 0)},
			want:  want{"converted", "1/400", "2022-01-09", "KZT>EUR@aa:2022-01-09"}},
		{name: "tie source preference", currency: "KZT", date: "2022-01-10",
			cfg:   func(c *FXConfig) { c.SourcePreference = []string{"zz"} },
			rates: []Rate{mkRate(t, "zz", "EUR", "KZT", "2022-01-09", "500", 1, 0), mkRate(t, "aa", "EUR", "KZT", "2022-01-09", "400", 1, 0)},
			want:  want{"converted", "1/500", "2022-01-09", "KZT>EUR@zz:2022-01-09"}},
		{name: "tie orientation base first", currency: "KZT", date: "2022-01-10",
			rates: []Rate{mkRate(t, "a", "EUR", "KZT", "2022-01-09", "500", 1, 0), mkRate(t, "a", "KZT", "EUR", "2022-01-09", "0.0021", 1, 0)},
			want:  want{"converted", "0.0021", "2022-01-09", "KZT>EUR@a:2022-01-09"}},
		{name: "revision replaces", currency: "KZT", date: "2022-01-10",
			rates: []Rate{mkRate(t, "a", "EUR", "KZT", "2022-01-09", "500", 1, 1), mkRate(t, "a", "EUR", "KZT", "2022-01-09", "510", 1, 2)},
			want:  want{"converted", "1/510", "2022-01-09", "KZT>EUR@a:2022-01-09"}},
		{name: "older vintage ignored", currency: "KZT", date: "2022-01-10",
			rates: []Rate{mkRate(t, "a", "EUR", "KZT", "2022-01-09", "510", 1, 2), mkRate(t, "a", "EUR", "KZT", "2022-01-09", "500", 1, 1)},
			want:  want{"converted", "1/510", "2022-01-09", "KZT>EUR@a:2022-01-09"}},
		{name: "no pivots pending", currency: "KRW", date: "2022-01-05",
			cfg: func(c *FXConfig) { c.Pivots = nil },
			rates: []Rate{
				mkRate(t, "n", "KRW", "USD", "2022-01-05", "0.084", 100, 0),
				mkRate(t, "ecb", "EUR", "USD", "2022-01-04", "1.13", 1, 0),
			},
			want: want{"pending", "", "", ""}},
		{name: "pending", currency: "KZT", date: "2022-01-05", want: want{"pending", "", "", ""}},
		{name: "other reporting currency", currency: "EUR", date: "2022-01-05",
			cfg:   func(c *FXConfig) { c.Reporting = "KZT" },
			rates: []Rate{mkRate(t, "nb", "EUR", "KZT", "2022-01-05", "492.75", 1, 0)},
			want:  want{"converted", "492.75", "2022-01-05", "EUR>KZT@nb:2022-01-05"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewRateBook()
			for _, r := range tc.rates {
				b.Add(r)
			}
			cfg := DefaultFXConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			c := b.Convert(cfg, tc.currency, day(tc.date))
			if c.Status != tc.want.status || c.Path != tc.want.path {
				t.Fatalf("got %s %q, want %s %q", c.Status, c.Path, tc.want.status, tc.want.path)
			}
			if tc.want.factor == "" {
				if c.Factor != nil {
					t.Errorf("factor %s, want nil", c.Factor.RatString())
				}
			} else if c.Factor.Cmp(ratOf(tc.want.factor)) != 0 {
				t.Errorf("factor %s, want %s", c.Factor.RatString(), tc.want.factor)
			}
			gotDate := ""
			if !c.Date.IsZero() {
				gotDate = c.Date.Format("2006-01-02")
			}
			if gotDate != tc.want.date {
				t.Errorf("date %q, want %q", gotDate, tc.want.date)
			}
		})
	}
}

func TestRateBookAdd(t *testing.T) {
	b := NewRateBook()
	r := mkRate(t, "a", "EUR", "KZT", "2022-01-09", "500", 1, 1)
	if !b.Add(r) || b.Len() != 1 {
		t.Fatal("first add")
	}
	if b.Add(r) {
		t.Error("identical re-add changed the book")
	}
	r2 := r
	r2.Rate = dec(t, "501")
	if !b.Add(r2) {
		t.Error("same vintage, different value: last added should win")
	}
	old := mkRate(t, "a", "EUR", "KZT", "2022-01-09", "400", 1, 0)
	if !b.Add(old) || b.Len() != 1 {
		t.Error("an older vintage is kept (conversions as known earlier use it), as a vintage of the same identity")
	}
	if c := b.Convert(DefaultFXConfig(), "KZT", r.Date); c.Factor.Cmp(big.NewRat(1, 501)) != 0 {
		t.Errorf("an older vintage replaced the latest: factor %s", c.Factor.RatString())
	}
	monthly := r
	monthly.Frequency = "M"
	if !b.Add(monthly) || b.Len() != 2 {
		t.Error("another frequency is another identity")
	}
	other := r
	other.RateType = "market"
	if !b.Add(other) || b.Len() != 3 {
		t.Error("other rate_type is another identity")
	}
}

// oracleRate is a candidate rate in the brute-force oracle.
type oracleRate struct {
	Rate
	seq int
}

// oracleBook resolves vintages by brute force over every rate ever added.
func oracleBook(all []Rate) []Rate { return oracleBookAsOf(all, time.Time{}) }

// oracleBookAsOf is oracleBook over the rates published by asOf (zero: all).
func oracleBookAsOf(all []Rate, asOf time.Time) []Rate {
	type id struct {
		s, b, q, t, f string
		d             time.Time
	}
	best := map[id]oracleRate{}
	for i, r := range all {
		if !asOf.IsZero() && r.PublishedAt.After(asOf) {
			continue
		}
		k := id{r.Source, r.Base, r.Quote, r.RateType, r.Frequency, r.Date}
		if cur, ok := best[k]; !ok || !r.PublishedAt.Before(cur.PublishedAt) {
			best[k] = oracleRate{r, i}
		}
	}
	var out []Rate
	for _, r := range best {
		out = append(out, r.Rate)
	}
	return out
}

type oracleLeg struct {
	r        Rate
	from, to string
}

func oracleDirect(rates []Rate, cfg FXConfig, from, to string, d time.Time) (oracleLeg, bool) {
	var cands []Rate
	lo := d.AddDate(0, 0, -max(cfg.WindowDays, 0))
	for _, r := range rates {
		if !((r.Base == from && r.Quote == to) || (r.Base == to && r.Quote == from)) {
			continue
		}
		if r.Date.Before(lo) || r.Date.After(d) {
			continue
		}
		if (r.Frequency == "M" || r.Frequency == "Q" || r.Frequency == "A") && cfg.WindowDays >= 0 {
			continue // a period average is no point rate
		}
		cands = append(cands, r)
	}
	if len(cands) == 0 {
		return oracleLeg{}, false
	}
	rank := func(s string) int {
		for i, p := range cfg.SourcePreference {
			if p == s {
				return i
			}
		}
		return len(cfg.SourcePreference)
	}
	typeRank := map[string]int{"official": 0, "reference": 1, "market": 2}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.After(b.Date)
		}
		if rank(a.Source) != rank(b.Source) {
			return rank(a.Source) < rank(b.Source)
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if typeRank[a.RateType] != typeRank[b.RateType] {
			return typeRank[a.RateType] < typeRank[b.RateType]
		}
		if (a.Frequency == "D") != (b.Frequency == "D") {
			return a.Frequency == "D"
		}
		if a.Frequency != b.Frequency {
			return a.Frequency < b.Frequency
		}
		return a.Base == from && b.Base != from
	})
	return oracleLeg{cands[0], from, to}, true
}

func (l oracleLeg) factor() *big.Rat {
	f := new(big.Rat).Quo(l.r.Rate.Rat(), new(big.Rat).SetInt64(l.r.Quantity)) // quote per base
	if l.r.Base == l.from {
		return f
	}
	return f.Inv(f)
}

func (l oracleLeg) path() string {
	return fmt.Sprintf("%s>%s@%s:%s", l.from, l.to, l.r.Source, l.r.Date.Format("2006-01-02"))
}

func oracleConvert(rates []Rate, cfg FXConfig, c string, d time.Time) Conversion {
	if c == cfg.Reporting {
		return Conversion{Status: FXConverted, Factor: big.NewRat(1, 1), Path: c}
	}
	if l, ok := oracleDirect(rates, cfg, c, cfg.Reporting, d); ok {
		return Conversion{Status: FXConverted, Factor: l.factor(), Date: l.r.Date, Path: l.path(), KnownFrom: l.r.PublishedAt}
	}
	for _, p := range cfg.Pivots {
		if p == c || p == cfg.Reporting {
			continue
		}
		l1, ok1 := oracleDirect(rates, cfg, c, p, d)
		l2, ok2 := oracleDirect(rates, cfg, p, cfg.Reporting, d)
		if ok1 && ok2 {
			date := l1.r.Date
			if l2.r.Date.Before(date) {
				date = l2.r.Date
			}
			known := l1.r.PublishedAt
			if l2.r.PublishedAt.After(known) {
				known = l2.r.PublishedAt
			}
			return Conversion{Status: FXConverted, Factor: new(big.Rat).Mul(l1.factor(), l2.factor()), Date: date, Path: l1.path() + ";" + l2.path(), KnownFrom: known}
		}
	}
	return Conversion{Status: FXPending}
}

func TestConvertProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	currencies := []string{"EUR", "USD", "KZT", "KRW", "RUB"}
	sources := []string{"ecb", "nationalbank.kz", "cbr", "a"}
	types := []string{"official", "reference", "market"}
	cases, pending, direct, triangulated := 0, 0, 0, 0
	for trial := 0; trial < 300; trial++ {
		var all []Rate
		b := NewRateBook()
		for i := rng.IntN(40); i > 0; i-- {
			bi := rng.IntN(len(currencies))
			qi := (bi + 1 + rng.IntN(len(currencies)-1)) % len(currencies)
			r := Rate{
				Source: sources[rng.IntN(len(sources))], Base: currencies[bi], Quote: currencies[qi],
				RateType: types[rng.IntN(len(types))], Frequency: []string{"D", "M"}[rng.IntN(2)], Date: t0.AddDate(0, 0, rng.IntN(20)),
				Rate:     Decimal{Coef: big.NewInt(rng.Int64N(999999) + 1), Scale: int32(rng.IntN(5))},
				Quantity: []int64{1, 10, 100}[rng.IntN(3)], PublishedAt: t0.Add(time.Duration(rng.IntN(3)) * time.Hour),
			}
			all = append(all, r)
			b.Add(r)
		}
		rates := oracleBook(all)
		if b.Len() != len(rates) {
			t.Fatalf("Len %d, oracle %d", b.Len(), len(rates))
		}
		cfg := FXConfig{Reporting: currencies[rng.IntN(2)], WindowDays: rng.IntN(10)}
		for _, p := range rng.Perm(len(currencies))[:rng.IntN(4)] {
			cfg.Pivots = append(cfg.Pivots, currencies[p])
		}
		for _, p := range rng.Perm(len(sources))[:rng.IntN(3)] {
			cfg.SourcePreference = append(cfg.SourcePreference, sources[p])
		}
		for q := 0; q < 10; q++ {
			c := currencies[rng.IntN(len(currencies))]
			d := t0.AddDate(0, 0, rng.IntN(25))
			got := b.Convert(cfg, c, d)
			want := oracleConvert(rates, cfg, c, d)
			cases++
			switch {
			case want.Status == FXPending:
				pending++
			case strings.Contains(want.Path, ";"):
				triangulated++
			case want.Path != cfg.Reporting:
				direct++
			}
			if got.Status != want.Status || got.Path != want.Path || !got.Date.Equal(want.Date) ||
				(got.Factor == nil) != (want.Factor == nil) || (got.Factor != nil && got.Factor.Cmp(want.Factor) != 0) {
				t.Fatalf("trial %d: Convert(%+v, %s, %s)\n got %+v\nwant %+v", trial, cfg, c, d.Format("2006-01-02"), got, want)
			}
		}
	}
	if cases < 2000 || pending < 100 || direct < 100 || triangulated < 50 {
		t.Fatalf("weak coverage: %d cases, %d pending, %d direct, %d triangulated", cases, pending, direct, triangulated)
	}
}

// oracleConvertRecord is ConvertRecord by brute force over the rates known: for a wage whose
// frequency cfg.PeriodAverage names, the rates of that frequency dated the first day of its
// period, converted as on that day with a same-day window; else oracleConvert.
func oracleConvertRecord(rates []Rate, cfg FXConfig, r *Record) Conversion {
	if r.Kind == KindWage && slices.Contains(cfg.PeriodAverage, r.Frequency) && r.Currency != cfg.Reporting {
		start := time.Date(r.Date.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		if r.Frequency == "M" {
			start = time.Date(r.Date.Year(), r.Date.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
		var period []Rate
		for _, x := range rates {
			if x.Frequency == r.Frequency && x.Date.Equal(start) {
				period = append(period, x)
			}
		}
		pcfg := cfg
		pcfg.WindowDays = -1 // the same day, period averages allowed (see oracleDirect)
		if c := oracleConvert(period, pcfg, r.Currency, start); c.Status == FXConverted {
			c.Basis = FXBasisPeriodAverage
			return c
		}
	}
	c := oracleConvert(rates, cfg, r.Currency, r.Date)
	c.Basis = FXBasisPoint
	return c
}

// oracleChain is Chain by brute force: the conversion known at published and at every later
// publication of any rate, each known from the greatest of published and its rates' PublishedAt,
// keeping one per distinct time.
func oracleChain(all []Rate, cfg FXConfig, r *Record) []Known {
	published := r.PublishedAt
	times := []time.Time{published}
	for _, x := range all {
		if x.PublishedAt.After(published) {
			times = append(times, x.PublishedAt)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	var out []Known
	for _, t := range times {
		conv := oracleConvertRecord(oracleBookAsOf(all, t), cfg, r)
		from := published
		if conv.KnownFrom.After(from) {
			from = conv.KnownFrom
		}
		if n := len(out); n > 0 && out[n-1].From.Equal(from) {
			continue
		}
		out = append(out, Known{Conversion: conv, From: from})
	}
	return out
}

func TestChainProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	currencies := []string{"EUR", "USD", "KZT", "RUB"}
	sources := []string{"ecb", "nationalbank.kz", "a"}
	freqs := []string{"D", "D", "M", "A"}
	cases, changes, periodAverage := 0, 0, 0
	for trial := 0; trial < 400; trial++ {
		var all []Rate
		for i := rng.IntN(25); i > 0; i-- {
			bi := rng.IntN(len(currencies))
			qi := (bi + 1 + rng.IntN(len(currencies)-1)) % len(currencies)
			all = append(all, Rate{
				Source: sources[rng.IntN(len(sources))], Base: currencies[bi], Quote: currencies[qi],
				RateType: "official", Frequency: freqs[rng.IntN(len(freqs))], Date: t0.AddDate(0, 0, rng.IntN(10)/3*3),
				Rate:     Decimal{Coef: big.NewInt(rng.Int64N(9999) + 1), Scale: int32(rng.IntN(3))},
				Quantity: 1, PublishedAt: t0.Add(time.Duration(rng.IntN(12)) * time.Hour),
			})
			// Two different vintages published at the same time: the one stored last wins,
			// which depends on the order; keep only the first.
			last := all[len(all)-1]
			for _, x := range all[:len(all)-1] {
				if x.Source == last.Source && x.Base == last.Base && x.Quote == last.Quote && x.Frequency == last.Frequency &&
					x.Date.Equal(last.Date) && x.PublishedAt.Equal(last.PublishedAt) {
					all = all[:len(all)-1]
					break
				}
			}
		}
		// The same rates added in two orders give the same chains.
		b1, b2 := NewRateBook(), NewRateBook()
		for _, r := range all {
			b1.Add(r)
		}
		for _, i := range rng.Perm(len(all)) {
			b2.Add(all[i])
		}
		cfg := FXConfig{Reporting: "EUR", WindowDays: rng.IntN(5), Pivots: []string{"USD"}}
		if rng.IntN(2) == 0 {
			cfg.PeriodAverage = []string{"M", "A"}
		}
		for q := 0; q < 10; q++ {
			rec := &Record{Kind: KindFuelPrice, Frequency: "D", Currency: currencies[rng.IntN(len(currencies))],
				Date: t0.AddDate(0, 0, rng.IntN(12)), PublishedAt: t0.Add(time.Duration(rng.IntN(12)) * time.Hour)}
			if rng.IntN(2) == 0 {
				rec.Kind, rec.Frequency = KindWage, freqs[rng.IntN(len(freqs))]
			}
			want := oracleChain(all, cfg, rec)
			for _, b := range []*RateBook{b1, b2} {
				got := b.Chain(cfg, rec)
				cases++
				if len(got) != len(want) {
					t.Fatalf("trial %d: Chain(%+v): %d conversions, oracle %d\n got %+v\nwant %+v", trial, rec, len(got), len(want), got, want)
				}
				for i := range got {
					g, w := got[i], want[i]
					if !g.From.Equal(w.From) || g.Status != w.Status || g.Path != w.Path || !g.Date.Equal(w.Date) || g.Basis != w.Basis ||
						(g.Factor == nil) != (w.Factor == nil) || (g.Factor != nil && g.Factor.Cmp(w.Factor) != 0) {
						t.Errorf("trial %d: Chain(%+v)[%d]\n got %+v\nwant %+v", trial, rec, i, g, w)
					}
					if t.Failed() {
						for _, x := range all {
							t.Logf("%s %s>%s %s %s %s published %s", x.Source, x.Base, x.Quote, x.Frequency, x.Date.Format("01-02"), x.Rate.String(), x.PublishedAt.Format("15:04"))
						}
						t.FailNow()
					}
					if g.Basis == FXBasisPeriodAverage && g.Status == FXConverted {
						periodAverage++
					}
				}
				if last, now := got[len(got)-1], b.ConvertRecord(cfg, rec, time.Time{}); last.Path != now.Path || last.Basis != now.Basis {
					t.Fatalf("trial %d: the chain does not end with ConvertRecord's conversion", trial)
				}
			}
			changes += len(want) - 1
		}
	}
	if cases < 5000 || changes < 300 || periodAverage < 100 {
		t.Fatalf("weak coverage: %d cases, %d changes of knowledge, %d period-average conversions", cases, changes, periodAverage)
	}
}

// For converts into a further reporting currency by the euro rules with that currency in place
// of EUR, EUR being the last pivot: a currency quoted only against EUR reaches USD or GBP through
// EUR, a direct rate still wins, and the configured pivots come first.
func TestForFurtherReportingCurrency(t *testing.T) {
	rates := []Rate{
		mkRate(t, "nationalbank.kz", "EUR", "KZT", "2022-01-04", "480", 1, 0),
		mkRate(t, "ecb", "EUR", "USD", "2022-01-04", "1.1355", 1, 0),
		mkRate(t, "ecb", "EUR", "GBP", "2022-01-03", "0.8407", 1, 0),
		mkRate(t, "nbu", "UAH", "USD", "2022-01-05", "0.0366", 1, 0),
		mkRate(t, "nbu", "UAH", "EUR", "2022-01-05", "0.0322", 1, 0),
		mkRate(t, "x", "JPY", "USD", "2022-01-05", "0.0087", 1, 0),
		mkRate(t, "fed", "USD", "GBP", "2022-01-05", "0.74", 1, 0),
	}
	b := NewRateBook()
	for _, r := range rates {
		b.Add(r)
	}
	base := DefaultFXConfig()
	tests := []struct {
		name, reporting, currency  string
		factor, date, path, pivots string
	}{
		{"KZT to USD through EUR", "USD", "KZT", "1.1355/480", "2022-01-04",
			"KZT>EUR@nationalbank.kz:2022-01-04;EUR>USD@ecb:2022-01-04", "USD,EUR"},
		{"KZT to GBP through EUR, the older leg's date", "GBP", "KZT", "0.8407/480", "2022-01-03",
			"KZT>EUR@nationalbank.kz:2022-01-04;EUR>GBP@ecb:2022-01-03", "USD,EUR"},
		{"EUR to USD directly", "USD", "EUR", "1.1355", "2022-01-04", "EUR>USD@ecb:2022-01-04", "USD,EUR"},
		{"a direct rate before any pivot", "USD", "UAH", "0.0366", "2022-01-05", "UAH>USD@nbu:2022-01-05", "USD,EUR"},
		{"the configured pivot before EUR", "GBP", "JPY", "0.0087*0.74", "2022-01-05",
			"JPY>USD@x:2022-01-05;USD>GBP@fed:2022-01-05", "USD,EUR"},
		{"the reporting currency itself", "USD", "USD", "1", "", "USD", "USD,EUR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base.For(tc.reporting)
			if got := strings.Join(cfg.Pivots, ","); got != tc.pivots || cfg.Reporting != tc.reporting || cfg.Further != nil {
				t.Fatalf("For(%s) = reporting %s, pivots %s, further %v", tc.reporting, cfg.Reporting, got, cfg.Further)
			}
			c := b.Convert(cfg, tc.currency, day("2022-01-05"))
			want := oracleFactor(tc.factor)
			if c.Status != FXConverted || c.Factor.Cmp(want) != 0 || c.Path != tc.path {
				t.Fatalf("%s→%s: %s %v %q, want %v %q", tc.currency, tc.reporting, c.Status, c.Factor, c.Path, want, tc.path)
			}
			if d := c.Date.Format("2006-01-02"); tc.date != "" && d != tc.date || tc.date == "" && !c.Date.IsZero() {
				t.Errorf("fx_date %v, want %q", c.Date, tc.date)
			}
		})
	}
	// Two legs at most, as for EUR: JPY has no rate to EUR, nor CHF any at all.
	if c := b.Convert(base.For("CHF"), "JPY", day("2022-01-05")); c.Status != FXPending {
		t.Errorf("JPY→CHF: %+v, want pending", c)
	}
	if p := base.Pivots; len(p) != 1 || p[0] != "USD" {
		t.Errorf("For changed the pivots of its receiver: %v", p)
	}
}

// oracleFactor evaluates a product and quotient of decimals, "a*b/c", left to right with big.Rat.
func oracleFactor(s string) *big.Rat {
	out := big.NewRat(1, 1)
	op := byte('*')
	for s != "" {
		i := strings.IndexAny(s, "*/")
		term := s
		if i >= 0 {
			term = s[:i]
		}
		r, ok := new(big.Rat).SetString(term)
		if !ok {
			panic(s)
		}
		if op == '*' {
			out.Mul(out, r)
		} else {
			out.Quo(out, r)
		}
		if i < 0 {
			break
		}
		op, s = s[i], s[i+1:]
	}
	return out
}
