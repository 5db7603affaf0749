package ingest

import (
	"context"
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
	r.Written(early) // the batch begun before it is stored
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
	r.Written(r.Learned()) // a batch begun after the pass
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
