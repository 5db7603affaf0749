package ingest_test

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

func pmsg(offset int64, value string) ingest.Message {
	return ingest.Message{Topic: "t", Offset: offset, Value: []byte(value), Time: time.Date(2022, 1, 5, 12, 0, 0, 0, time.UTC)}
}

// copyingBuffer is a RowBuffer that copies what it needs of each row at once, as the ClickHouse
// one does: the values a Processor keeps in its Scratch are valid only during Add.
type copyingBuffer struct {
	ids, prices, perLitreEUR []string
}

func (c *copyingBuffer) Add(r *ingest.Row) error {
	if r.Record.Kind != transform.KindFuelPrice {
		return nil
	}
	c.ids = append(c.ids, strings.Clone(r.Record.ID))
	c.prices = append(c.prices, r.Record.Price.String())
	eur := "NULL"
	if r.Derived.PricePerLitreEUR != nil {
		eur = transform.FormatFixed18(r.Derived.PricePerLitreEUR)
	}
	c.perLitreEUR = append(c.perLitreEUR, eur)
	return nil
}
func (c *copyingBuffer) Len(transform.Kind) int { return len(c.ids) }
func (c *copyingBuffer) Release()               {}

// Encoded rows are made in the Processor's Scratch; a rate learned from one (in the second pass)
// must not keep the Scratch's value, or the next price's digits become the rate.
func TestProcessEncodedKeepsRatesOwnValue(t *testing.T) {
	p := ingest.NewProcessor(transform.DefaultFXConfig())
	p.NewBuffer = func() ingest.RowBuffer { return &copyingBuffer{} }
	msgs := []ingest.Message{
		pmsg(0, `{"kind":"fx\u005frate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"492.75","date":"2022-01-04"}`),
		pmsg(1, `{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"60","currency":"KZT","unit":"litre","date":"2022-01-04"}`),
		pmsg(2, `{"kind":"fuel_price","source":"s","country":"KZ","product":"diesel","price":"120.5","currency":"KZT","unit":"litre","date":"2022-01-04"}`),
	}
	b, _ := p.Process(msgs, time.Now(), 1)
	buf := b.Encoded.(*copyingBuffer)
	if len(b.Rejects) != 0 || len(buf.prices) != 2 {
		t.Fatalf("%d rejects (%+v), %d prices", len(b.Rejects), b.Rejects, len(buf.prices))
	}
	rate := big.NewRat(49275, 100)
	for i, price := range []string{"60", "120.5"} {
		v, _ := new(big.Rat).SetString(price)
		want := round18(new(big.Rat).Quo(v, rate))
		if buf.prices[i] != price || buf.perLitreEUR[i] != want {
			t.Errorf("price %d: %s, per litre EUR %s; want %s and %s", i, buf.prices[i], buf.perLitreEUR[i], price, want)
		}
	}
	if buf.ids[0] == buf.ids[1] || len(buf.ids[0]) != 32 {
		t.Errorf("record ids %q, %q", buf.ids[0], buf.ids[1])
	}
	// The rate in the book is still 492.75 for the next batch.
	b, _ = p.Process([]ingest.Message{pmsg(3, `{"kind":"fuel_price","source":"s","country":"KZ","product":"ai92","price":"985.5","currency":"KZT","unit":"litre","date":"2022-01-04"}`)}, time.Now(), 10)
	if got := b.Encoded.(*copyingBuffer).perLitreEUR[0]; got != "2.000000000000000000" {
		t.Errorf("985.5 KZT at 492.75 = %s EUR, want 2", got)
	}
}

// The second pass adds every rate again; in a Scratch, the book would keep the Scratch's value,
// which the next price overwrites: the same rate arriving later would then count as a change.
func TestProcessEncodedRateSeenAgainIsNoChange(t *testing.T) {
	p := ingest.NewProcessor(transform.DefaultFXConfig())
	p.NewBuffer = func() ingest.RowBuffer { return &copyingBuffer{} }
	rate := `{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"492.75","date":"2022-01-04","published_at":"2022-01-04T18:00:00Z"}`
	price := `{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"60","currency":"KZT","unit":"litre","date":"2022-01-04"}`
	if _, changed := p.Process([]ingest.Message{pmsg(0, rate), pmsg(1, price)}, time.Now(), 1); !changed {
		t.Fatal("a new rate did not change the book")
	}
	if _, changed := p.Process([]ingest.Message{pmsg(2, rate), pmsg(3, price)}, time.Now(), 10); changed {
		t.Error("the same rate again changed the book")
	}
}
