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
	mu    sync.Mutex
	rates []StoredRate
	reads int
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

func (s *rateStore) Observations(context.Context, ObservationQuery) ([]Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
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
