package ingest

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/econflow/econflow/transform"
)

// rateStore serves a fixed list of stored rates and counts the observation reads.
type rateStore struct {
	memStore
	mu      sync.Mutex
	rates   []StoredRate
	reads   int
	queries []ObservationQuery
	// failRead, when not 0, is the read (counted from 1) that fails.
	failRead int
}

func (s *rateStore) Rates(_ context.Context, since time.Time) ([]StoredRate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []StoredRate
	for _, r := range s.rates {
		if !r.IngestedAt.Before(since) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *rateStore) Observations(_ context.Context, q ObservationQuery) ([]Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.failRead > 0 && s.reads == s.failRead {
		return nil, errors.New("read failed")
	}
	s.queries = append(s.queries, q)
	return nil, nil
}

func (s *rateStore) Known(context.Context, time.Time, time.Time) ([]Row, error) { return nil, nil }

func (s *rateStore) add(rate string, ingested time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, _ := transform.ParseDecimal(rate)
	s.rates = append(s.rates, StoredRate{Rate: transform.Rate{Source: "nationalbank.kz", Base: "EUR", Quote: "KZT", RateType: "official",
		Date: time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC), Rate: d, Quantity: 1}, IngestedAt: ingested.Truncate(time.Second)})
}

func (s *rateStore) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// A rate loaded again by later passes only because of ReconcileMargin is re-derived for once;
// a rate stored again (a revision, or a re-delivery) is re-derived for again.
func TestReconcilerHandlesEachStoredRateOnce(t *testing.T) {
	store := &rateStore{}
	proc := NewProcessor(transform.DefaultFXConfig())
	r := NewReconciler(store, proc, time.Hour, nil, nil)
	ctx := context.Background()

	if err := r.Pass(ctx); err != nil { // first pass: nothing stored yet, pending rows are read
		t.Fatal(err)
	}
	base := store.readCount()
	store.add("492.75", time.Now())
	for i := range 3 {
		if err := r.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		if got := store.readCount() - base; got != 1 {
			t.Fatalf("after %d passes over one stored rate: %d observation reads, want 1", i+1, got)
		}
	}
	if c := proc.Book.Convert(proc.FX, "KZT", time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)); c.Status != transform.FXConverted {
		t.Fatalf("the stored rate is not in the book: %s", c.Status)
	}
	store.add("493.10", time.Now().Add(time.Second)) // a revision stored later
	if err := r.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if got := store.readCount() - base; got != 2 {
		t.Fatalf("after a second stored rate: %d observation reads, want 2", got)
	}
	if err := r.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if got := store.readCount() - base; got != 2 {
		t.Fatalf("a pass with no new stored rate read observations (%d reads, want 2)", got)
	}
}

// A batch processed before a pass learned a rate that another consumer stored, and written after
// that pass read the stored observations, was converted with the older book and was not there to
// be re-derived: once it is written (Written with the Learned it began at), the next two passes
// re-derive the rate's dates again, without any new rate. A batch begun after the pass asks for
// nothing.
func TestReconcilerRederivesForBatchesProcessedBeforeItLearned(t *testing.T) {
	store := &rateStore{}
	proc := NewProcessor(transform.DefaultFXConfig())
	r := NewReconciler(store, proc, time.Hour, nil, nil)
	ctx := context.Background()
	pass := func() {
		t.Helper()
		if err := r.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pass()               // the first pass
	early := r.Learned() // a batch begins processing
	store.add("492.75", time.Now())
	pass() // learns the rate another consumer stored; reads the observations stored so far
	reads := store.readCount()
	if r.Learned() == early {
		t.Fatalf("Learned() = %d before and after a pass that learned a stored rate", early)
	}
	r.Written(early, nil) // the batch begun before it is stored
	select {
	case <-r.trigger:
	default:
		t.Fatal("Written did not ask for a pass")
	}
	day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 3; i++ {
		pass()
		want := reads + min(i, 2)
		if got := store.readCount(); got != want {
			t.Fatalf("pass %d after the early batch was written: %d observation reads, want %d", i, got, want)
		}
		if i <= 2 {
			q := store.queries[len(store.queries)-1]
			if q.From.After(day) || q.To.Before(day) {
				t.Fatalf("pass %d re-derived %v…%v, not the rate's date %v", i, q.From, q.To, day)
			}
		}
	}
	reads = store.readCount()
	r.Written(r.Learned(), nil) // a batch begun after the pass
	pass()
	if got := store.readCount(); got != reads {
		t.Fatalf("a batch begun after the pass asked for %d more observation reads", got-reads)
	}
	r.mu.Lock()
	n := len(r.windows)
	r.mu.Unlock()
	if n != 0 {
		t.Errorf("%d learned windows kept after every batch begun before them was written and re-derived", n)
	}
}

// The first pass re-derives the dates of every stored rate, however long ago it was stored, in
// reads of at most ChunkDays days that together cover each rate's date and staleness window;
// the first read takes the pending rows too.
func TestReconcilerFirstPassCoversEveryStoredRate(t *testing.T) {
	store := &rateStore{}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	dates := []time.Time{day(2019, 3, 1), day(2021, 1, 1), day(2021, 6, 30), day(2022, 1, 4)}
	old := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Second) // stored a month ago
	one, _ := transform.ParseDecimal("492.75")
	for _, d := range dates {
		store.rates = append(store.rates, StoredRate{Rate: transform.Rate{Source: "nationalbank.kz", Base: "EUR", Quote: "KZT",
			RateType: "official", Date: d, Rate: one, Quantity: 1}, IngestedAt: old})
	}
	proc := NewProcessor(transform.DefaultFXConfig())
	r := NewReconciler(store, proc, time.Hour, nil, nil)
	if err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(store.queries) == 0 || !store.queries[0].Pending {
		t.Fatalf("the first read does not take the pending rows: %+v", store.queries)
	}
	window := proc.FX.WindowDays
	for _, d := range dates {
		for k := 0; k <= window; k++ {
			x := d.AddDate(0, 0, k)
			n := 0
			for _, q := range store.queries {
				if !q.From.IsZero() && !x.Before(q.From) && !x.After(q.To) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("date %s (rate of %s + %d days) is in %d reads, want 1", x.Format("2006-01-02"), d.Format("2006-01-02"), k, n)
			}
		}
	}
	for i, q := range store.queries {
		if q.From.IsZero() {
			continue
		}
		if days := int(q.To.Sub(q.From).Hours()/24) + 1; days > ChunkDays || days < 1 {
			t.Errorf("read %d covers %d days (%v…%v), want 1…%d", i, days, q.From, q.To, ChunkDays)
		}
		if i > 0 && q.Pending {
			t.Errorf("read %d takes the pending rows again", i)
		}
	}
	// 2021-01-01 and 2021-06-30 are 180 days apart: the window after the first is read alone,
	// not the days between.
	between := day(2021, 3, 1)
	for _, q := range store.queries {
		if !q.From.IsZero() && !between.Before(q.From) && !between.After(q.To) {
			t.Errorf("read %v…%v covers %s, which no rate can convert", q.From, q.To, between.Format("2006-01-02"))
		}
	}
}

func TestAddRange(t *testing.T) {
	d := func(n int) time.Time { return time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	tests := []struct {
		name string
		add  [][2]int
		want [][2]int
	}{
		{"one", [][2]int{{3, 5}}, [][2]int{{3, 5}}},
		{"disjoint, out of order", [][2]int{{10, 12}, {1, 2}}, [][2]int{{1, 2}, {10, 12}}},
		{"touching merge", [][2]int{{1, 2}, {3, 4}}, [][2]int{{1, 4}}},
		{"overlap merge", [][2]int{{1, 5}, {4, 9}}, [][2]int{{1, 9}}},
		{"spanning several", [][2]int{{1, 2}, {5, 6}, {9, 10}, {0, 7}}, [][2]int{{0, 7}, {9, 10}}},
		{"inside", [][2]int{{1, 10}, {3, 4}}, [][2]int{{1, 10}}},
		{"reversed", [][2]int{{5, 1}}, [][2]int{{1, 5}}},
		{"gap of one day kept", [][2]int{{1, 2}, {4, 5}}, [][2]int{{1, 2}, {4, 5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rs []dateRange
			for _, a := range tc.add {
				rs = addRange(rs, dateRange{d(a[0]), d(a[1])})
			}
			if len(rs) != len(tc.want) {
				t.Fatalf("got %v, want %v", rs, tc.want)
			}
			for i, w := range tc.want {
				if !rs[i].from.Equal(d(w[0])) || !rs[i].to.Equal(d(w[1])) {
					t.Fatalf("range %d = %v…%v, want %v", i, rs[i].from, rs[i].to, w)
				}
			}
		})
	}
}

// A pass that fails part-way leaves the dates it did not reach to the next pass, which reads
// them (and only them, with the pending rows) without any new rate stored.
func TestReconcilerCarriesDatesOverAFailedPass(t *testing.T) {
	store := &rateStore{failRead: 3}
	one, _ := transform.ParseDecimal("492.75")
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := start; d.Before(start.AddDate(1, 0, 0)); d = d.AddDate(0, 0, 1) { // a year of daily rates
		store.rates = append(store.rates, StoredRate{Rate: transform.Rate{Source: "nationalbank.kz", Base: "EUR", Quote: "KZT",
			RateType: "official", Date: d, Rate: one, Quantity: 1}, IngestedAt: time.Now().Add(-48 * time.Hour).Truncate(time.Second)})
	}
	proc := NewProcessor(transform.DefaultFXConfig())
	r := NewReconciler(store, proc, time.Hour, nil, nil)
	if err := r.Pass(context.Background()); err == nil {
		t.Fatal("a pass whose third read failed succeeded")
	}
	if len(store.queries) != 2 {
		t.Fatalf("%d reads before the failure, want 2", len(store.queries))
	}
	reached := store.queries[1].To
	if err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	rest := store.queries[2:]
	if len(rest) == 0 || !rest[0].Pending || !rest[0].From.Equal(reached.AddDate(0, 0, 1)) {
		t.Fatalf("the next pass began with %+v, want the pending rows and the day after %s", rest, reached.Format("2006-01-02"))
	}
	last := start.AddDate(1, 0, -1).AddDate(0, 0, proc.FX.WindowDays)
	if got := rest[len(rest)-1].To; !got.Equal(last) {
		t.Fatalf("the next pass ended at %s, want %s", got.Format("2006-01-02"), last.Format("2006-01-02"))
	}
	for i := 1; i < len(rest); i++ {
		if !rest[i].From.Equal(rest[i-1].To.AddDate(0, 0, 1)) {
			t.Fatalf("reads %v…%v and %v…%v leave a gap or overlap", rest[i-1].From, rest[i-1].To, rest[i].From, rest[i].To)
		}
	}
	n := len(store.queries)
	if err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(store.queries) != n {
		t.Errorf("a pass after the dates were done read %d more times", len(store.queries)-n)
	}
}

// knownStore is a rateStore with stored earlier conversions.
type knownStore struct {
	rateStore
	known []Row
}

func (s *knownStore) Known(context.Context, time.Time, time.Time) ([]Row, error) { return s.known, nil }

// A currency-unit indicator's earlier conversions are recorded as a price's are (docs/contract.md
// §5.4), by its whole identity: the stored earlier conversion of another series of the same
// source, country and date is not taken for one of its own and voided.
func TestRederiveRecordsEarlierConversionsOfIndicators(t *testing.T) {
	day := time.Date(2022, 2, 10, 0, 0, 0, 0, time.UTC)
	pub := time.Date(2022, 2, 11, 8, 0, 0, 0, time.UTC)
	proc := NewProcessor(transform.DefaultFXConfig())
	for i, v := range []string{"482", "483"} {
		d, err := transform.ParseDecimal(v)
		if err != nil {
			t.Fatal(err)
		}
		proc.Book.Add(transform.Rate{Source: "nationalbank.kz", Base: "EUR", Quote: "KZT", RateType: "official", Frequency: "D",
			Date: day, Rate: d, Quantity: 1, PublishedAt: pub.Add(time.Duration(10+i) * time.Hour)})
	}
	rec := func(series string) transform.Record {
		v, err := transform.ParseDecimal("31456.789")
		if err != nil {
			t.Fatal(err)
		}
		return transform.Record{Kind: transform.KindIndicator, Source: "nationalbank.kz", Series: series, Country: "KZ",
			Measure: "money_supply", Unit: transform.IndicatorUnitCurrency, Currency: "KZT", Adjustment: "nsa", Frequency: "D",
			Date: day, PublishedAt: pub, IndicatorValue: v, Status: "A"}
	}
	m2 := rec("M2")
	current, err := proc.Derive(&m2)
	if err != nil {
		t.Fatal(err)
	}
	if want := pub.Add(11 * time.Hour); current.FXStatus != transform.FXConverted || !current.KnownFrom.Equal(want) {
		t.Fatalf("M2 now: %s known from %v, want converted known from %v", current.FXStatus, current.KnownFrom, want)
	}
	m1 := rec("M1")
	earlier, err := transform.Normalize(&m1, transform.Conversion{Status: transform.FXPending})
	if err != nil {
		t.Fatal(err)
	}
	earlier.KnownFrom = pub.Add(5 * time.Hour) // none of M2's times
	store := &knownStore{known: []Row{{Record: m1, Derived: earlier, Version: 1}}}
	r := NewReconciler(store, proc, time.Hour, nil, nil)
	b, err := r.rederive(context.Background(), []Row{{Record: m2, Derived: current, Version: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Errorf("%d rows re-converted, want none: M2 is converted as the rates stand", b.Len())
	}
	want := []struct {
		status string
		from   time.Time
	}{{transform.FXPending, pub}, {transform.FXConverted, pub.Add(10 * time.Hour)}}
	if len(b.Known) != len(want) {
		var got []string
		for _, k := range b.Known {
			got = append(got, k.Record.Series+" "+k.Derived.FXStatus+" from "+k.Derived.KnownFrom.Format(time.DateTime))
		}
		t.Fatalf("earlier conversions %q, want %d (M2 pending, then at 482)", got, len(want))
	}
	for i, w := range want {
		k := b.Known[i]
		if k.Record.Kind != transform.KindIndicator || k.Record.Series != "M2" || k.Derived.FXStatus != w.status || !k.Derived.KnownFrom.Equal(w.from) {
			t.Errorf("earlier conversion %d: %s series %s %s known from %v, want indicator M2 %s known from %v",
				i, k.Record.Kind, k.Record.Series, k.Derived.FXStatus, k.Derived.KnownFrom, w.status, w.from)
		}
	}
}

// failStore holds one stored pending price and the failures written, and keeps every batch.
type failStore struct {
	memStore
	mu       sync.Mutex
	rates    []StoredRate
	row      Row
	failures map[string]Failure // by reporting currency: the latest write
	conv     map[string]Row     // by reporting currency: the latest write
	batches  []Batch
}

func (s *failStore) Converted(context.Context, time.Time, time.Time) ([]Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Row
	for _, r := range s.conv {
		out = append(out, r)
	}
	return out, nil
}

func (s *failStore) Rates(_ context.Context, since time.Time) ([]StoredRate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []StoredRate
	for _, r := range s.rates {
		if !r.IngestedAt.Before(since) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *failStore) Observations(context.Context, ObservationQuery) ([]Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []Row{s.row}, nil
}

func (s *failStore) Failures(context.Context, time.Time, time.Time) ([]Failure, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Failure
	for _, f := range s.failures {
		if f.ResolvedAt.IsZero() {
			out = append(out, f)
		}
	}
	return out, nil
}

func (s *failStore) WriteBatch(_ context.Context, b *Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, *b)
	for _, f := range b.Failures {
		if old, ok := s.failures[f.Reporting]; !ok || f.Version > old.Version {
			s.failures[f.Reporting] = f
		}
	}
	for _, r := range b.FuelPrices {
		s.row = r
	}
	for _, r := range b.Converted {
		if old, ok := s.conv[r.Reporting]; !ok || r.Version > old.Version {
			s.conv[r.Reporting] = r
		}
	}
	return nil
}

func (s *failStore) addRate(rate string, published, ingested time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, _ := transform.ParseDecimal(rate)
	s.rates = append(s.rates, StoredRate{Rate: transform.Rate{Source: "nationalbank.kz", Base: "EUR", Quote: "KZT", RateType: "official",
		Frequency: "D", Date: time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC), Rate: d, Quantity: 1,
		PublishedAt: published}, IngestedAt: ingested.Truncate(time.Second)})
}

// A re-derivation that fails is recorded once per reason (not at every pass that retries it) in
// each reporting currency that fails, and resolved by the pass that succeeds: after a
// correction of the rate (the same vintage sent again), or after a revision (a later vintage),
// where the conversion at the first vintage, which never fitted, is left out of the earlier
// conversions.
func TestReconcilerRecordsAndResolvesFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		published time.Time // of the good rate
		known     int       // earlier conversions written: the pending one (the price was published before any rate)
	}{
		{"correction", time.Date(2022, 1, 5, 10, 0, 0, 0, time.UTC), 1},
		{"revision", time.Date(2022, 1, 6, 10, 0, 0, 0, time.UTC), 1},
	} {
		t.Run(tc.name, func(t *testing.T) { testFailureResolved(t, tc.published, tc.known) })
	}
}

func testFailureResolved(t *testing.T, goodPublished time.Time, wantKnown int) {
	price, _ := transform.ParseDecimal("90000000000000000000")
	rec := transform.Record{Kind: transform.KindFuelPrice, Version: 1, ID: "p1", Source: "stat.gov.kz", Country: "KZ", Region: "KZ-ALA",
		Product: "lpg", TaxBasis: "incl_tax", Currency: "KZT", Unit: "litre", Frequency: "D", Status: "A",
		Date: time.Date(2022, 1, 5, 0, 0, 0, 0, time.UTC), PublishedAt: time.Date(2022, 1, 5, 0, 0, 0, 0, time.UTC), Price: price}
	d, err := transform.Normalize(&rec, transform.Conversion{Status: transform.FXPending})
	if err != nil {
		t.Fatal(err)
	}
	store := &failStore{row: Row{Record: rec, Derived: d, Version: 1}, failures: map[string]Failure{}, conv: map[string]Row{}}
	fx := transform.DefaultFXConfig()
	fx.Further = []string{"USD"}
	proc := NewProcessor(fx)
	r := NewReconciler(store, proc, time.Hour, nil, nil)
	ctx := context.Background()

	// 1.8 × 10^20 EUR, published after the price: does not fit.
	store.addRate("0.5", time.Date(2022, 1, 5, 10, 0, 0, 0, time.UTC), time.Now())
	for range 3 {
		if err := r.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	written, converted := 0, 0
	for _, b := range store.batches {
		written += len(b.Failures)
		converted += len(b.Converted)
		if len(b.FuelPrices) > 0 || len(b.Known) > 0 {
			t.Errorf("a failing pass wrote the row or its earlier conversions: %+v %+v", b.FuelPrices, b.Known)
		}
	}
	// EUR fails; USD is pending (no EUR/USD rate), which is no failure.
	if f, ok := store.failures[ReportingEUR]; written != 1 || !ok || !strings.Contains(f.Reason, "_eur does not fit Decimal(38,18)") ||
		!f.ResolvedAt.IsZero() || f.Record.ID != "p1" {
		t.Fatalf("after three failing passes: %d failure writes, %+v; want one unresolved EUR failure", written, store.failures)
	}
	if c, ok := store.conv["USD"]; converted != 1 || !ok || c.Derived.FXStatus != transform.FXPending || c.Reporting != "USD" {
		t.Errorf("USD conversions: %d written, %+v; want one pending row, written once", converted, c)
	}

	store.addRate("480", goodPublished, time.Now().Add(time.Second))
	before := len(store.batches)
	if err := r.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if f := store.failures[ReportingEUR]; f.ResolvedAt.IsZero() || !strings.Contains(f.Reason, "does not fit") {
		t.Errorf("after the good rate: %+v, want the EUR failure resolved", f)
	}
	want := new(big.Rat).Quo(new(big.Rat).SetInt(price.Coef), big.NewRat(480, 1))
	got := store.row.Derived.PriceEUR
	if got == nil || new(big.Rat).SetFrac(got, new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)).Cmp(want) != 0 {
		t.Errorf("price_eur %v, want %v (exact: 9e19 / 480 has at most 18 fractional digits)", got, want.FloatString(18))
	}
	known := 0
	for _, b := range store.batches[before:] {
		for _, k := range b.Known {
			known++
			if k.Derived.FXStatus != transform.FXPending {
				t.Errorf("earlier conversion %+v, want only the pending one", k.Derived)
			}
		}
	}
	if known != wantKnown {
		t.Errorf("%d earlier conversions written, want %d", known, wantKnown)
	}
}

// An observation converted with a rate published after it has earlier conversions for the
// reconciler to record, once it can read the row: a pass that runs while its batch is processed
// but not yet written (as one may, on the timer) must not use the batch's dates up; the two
// passes after the batch is written (Written) re-derive them, with no new rate stored.
func TestReconcilerRecordsChainsOnlyOnceTheBatchIsWritten(t *testing.T) {
	store := &rateStore{}
	proc := NewProcessor(transform.DefaultFXConfig())
	r := NewReconciler(store, proc, time.Hour, nil, nil)
	ctx := context.Background()
	pass := func() {
		t.Helper()
		if err := r.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pass() // the first pass
	day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
	rate, _ := transform.ParseDecimal("492.75")
	proc.Book.Add(transform.Rate{Source: "nationalbank.kz", Base: "EUR", Quote: "KZT", RateType: "official", Date: day,
		Rate: rate, Quantity: 1, PublishedAt: day.Add(12 * time.Hour)}) // learned from an earlier batch
	msg := Message{Topic: "fuel", Value: []byte(`{"kind":"fuel_price","source":"stat.gov.kz","country":"KZ","product":"diesel","price":"250","currency":"KZT","unit":"litre","date":"2022-01-04","published_at":"2022-01-04T09:00:00Z"}`)}
	b, _ := proc.Process([]Message{msg}, time.Now(), 1)
	if len(b.Rejects) != 0 {
		t.Fatalf("rejected: %+v", b.Rejects)
	}
	if !b.ChainFrom.Equal(day) || !b.ChainTo.Equal(day) {
		t.Fatalf("batch chain dates %v…%v, want %v: its price was converted with a rate published after it", b.ChainFrom, b.ChainTo, day)
	}
	// Its earlier conversion (pending, from its published_at until the rate's) goes with the
	// batch, stored before the batch's offsets are committed.
	published := day.Add(9 * time.Hour)
	if len(b.Known) != 1 || b.Known[0].Derived.FXStatus != transform.FXPending || !b.Known[0].Derived.KnownFrom.Equal(published) ||
		b.Known[0].Record.Region != "" || b.Known[0].Record.Product != "diesel" {
		t.Fatalf("batch's earlier conversions %+v, want one: pending from %v", b.Known, published)
	}
	reads := store.readCount()
	pass() // on the timer, before the batch is written: nothing to re-derive yet
	if got := store.readCount(); got != reads {
		t.Fatalf("a pass before the batch was written read observations %d times", got-reads)
	}
	r.Written(r.Learned(), b)
	select {
	case <-r.trigger:
	default:
		t.Fatal("Written with chain dates did not ask for a pass")
	}
	for i := 1; i <= 3; i++ {
		pass()
		if got, want := store.readCount(), reads+min(i, 2); got != want {
			t.Fatalf("pass %d after the batch was written: %d observation reads, want %d", i, got-reads, want-reads)
		}
		if i <= 2 {
			if q := store.queries[len(store.queries)-1]; q.From.After(day) || q.To.Before(day) {
				t.Fatalf("pass %d re-derived %v…%v, not the batch's date %v", i, q.From, q.To, day)
			}
		}
	}
}
