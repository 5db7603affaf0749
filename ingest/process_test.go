package ingest

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/transform"
)

func msg(offset int64, value string) Message {
	return Message{Topic: "t", Partition: 0, Offset: offset, Value: []byte(value), Time: time.Date(2022, 1, 5, 12, 0, 0, 500, time.UTC)}
}

func TestProcessConvertsWithRatesOfTheSameBatch(t *testing.T) {
	p := NewProcessor(transform.DefaultFXConfig())
	msgs := []Message{
		msg(0, `{"kind":"fuel_price","source":"s","country":"KZ","region":"KZ-MAN","product":"lpg","price":"120","currency":"KZT","unit":"litre","date":"2022-01-04"}`),
		msg(1, `{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"120,5","currency":"KZT","unit":"litre","date":"2022-01-04"}`),
		msg(2, `{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"492.75","date":"2022-01-04"}`),
		msg(3, ``),
	}
	now := time.Date(2022, 1, 5, 13, 0, 0, 0, time.UTC)
	b, changed := p.Process(msgs, now, 100)
	if !changed {
		t.Error("a new rate did not report a changed book")
	}
	if len(b.FuelPrices) != 1 || len(b.FXRates) != 1 || len(b.Rejects) != 2 {
		t.Fatalf("got %d prices, %d rates, %d rejects; want 1, 1, 2", len(b.FuelPrices), len(b.FXRates), len(b.Rejects))
	}
	row := b.FuelPrices[0]
	if row.Derived.FXStatus != "converted" || row.Derived.FXPath != "KZT>EUR@nationalbank.kz:2022-01-04" {
		t.Errorf("price not converted with the batch's rate: %+v", row.Derived)
	}
	// 120 / 492.75 = 0.243531202435312024 (…3531202435312024 35… rounds down)
	if got := transform.FormatFixed18(row.Derived.PricePerLitreEUR); got != "0.243531202435312024" {
		t.Errorf("price_per_litre_eur = %s", got)
	}
	if !row.Record.PublishedAt.Equal(time.Date(2022, 1, 5, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("published_at default = %v, want the Kafka time truncated to seconds", row.Record.PublishedAt)
	}
	if row.Version != 100 || b.FXRates[0].Version != 102 {
		t.Errorf("versions %d, %d: want the batch base plus the message index", row.Version, b.FXRates[0].Version)
	}
	if b.Rejects[0].Code != transform.CodeBadDecimal || b.Rejects[0].Message.Offset != 1 || b.Rejects[0].Reason == "" {
		t.Errorf("reject = %+v, want bad_decimal at offset 1 with a reason", b.Rejects[0])
	}
	if b.Rejects[1].Code != transform.CodeEmpty {
		t.Errorf("empty message code = %s", b.Rejects[1].Code)
	}
}

func TestProcessLeavesUnknownRatesPending(t *testing.T) {
	p := NewProcessor(transform.DefaultFXConfig())
	b, changed := p.Process([]Message{msg(0, `{"kind":"wage","source":"s","country":"KZ","measure":"minimum","amount":42500,"currency":"KZT","per":"year","date":"2022-01-01"}`)}, time.Now(), 1)
	if changed || len(b.Wages) != 1 {
		t.Fatalf("changed=%v wages=%d", changed, len(b.Wages))
	}
	d := b.Wages[0].Derived
	if d.FXStatus != "pending" || d.AmountEUR != nil || d.FXRate != nil {
		t.Errorf("want pending with NULL conversions, got %+v", d)
	}
	// 42500 / 12 = 3541.666… → half-even at 18 digits
	if got := transform.FormatFixed18(d.MonthlyAmount); got != "3541.666666666666666667" {
		t.Errorf("monthly_amount = %s", got)
	}
}

// A rate whose kind is written with a JSON escape is not seen by the first pass: the price
// before it stays pending, and the book is reported changed so that the reconciler converts it.
func TestProcessRateWithEscapedKind(t *testing.T) {
	p := NewProcessor(transform.DefaultFXConfig())
	msgs := []Message{
		msg(0, `{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"120","currency":"KZT","unit":"litre","date":"2022-01-04"}`),
		msg(1, `{"kind":"fx\u005frate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"492.75","date":"2022-01-04"}`),
		msg(2, `{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"60","currency":"KZT","unit":"litre","date":"2022-01-04"}`),
	}
	b, changed := p.Process(msgs, time.Now(), 1)
	if len(b.Rejects) != 0 || len(b.FuelPrices) != 2 || len(b.FXRates) != 1 {
		t.Fatalf("got %d prices, %d rates, %d rejects (%+v)", len(b.FuelPrices), len(b.FXRates), len(b.Rejects), b.Rejects)
	}
	if !changed {
		t.Error("the rate learned in the second pass did not report a changed book")
	}
	if s := b.FuelPrices[0].Derived.FXStatus; s != "pending" {
		t.Errorf("price before the rate: %s, want pending", s)
	}
	if s := b.FuelPrices[1].Derived.FXStatus; s != "converted" {
		t.Errorf("price after the rate: %s, want converted", s)
	}
}

// copyingBuffer is a RowBuffer that copies what it needs of each row at once, as the ClickHouse
// one does: the values a Processor keeps in its Scratch are valid only during Add.
type copyingBuffer struct {
	ids, prices, perLitreEUR []string
}

func (c *copyingBuffer) Add(r *Row) error {
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
	p := NewProcessor(transform.DefaultFXConfig())
	p.NewBuffer = func() RowBuffer { return &copyingBuffer{} }
	msgs := []Message{
		msg(0, `{"kind":"fx\u005frate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"492.75","date":"2022-01-04"}`),
		msg(1, `{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"60","currency":"KZT","unit":"litre","date":"2022-01-04"}`),
		msg(2, `{"kind":"fuel_price","source":"s","country":"KZ","product":"diesel","price":"120.5","currency":"KZT","unit":"litre","date":"2022-01-04"}`),
	}
	b, _ := p.Process(msgs, time.Now(), 1)
	buf := b.Encoded.(*copyingBuffer)
	if len(b.Rejects) != 0 || len(buf.prices) != 2 {
		t.Fatalf("%d rejects (%+v), %d prices", len(b.Rejects), b.Rejects, len(buf.prices))
	}
	rate := big.NewRat(49275, 100)
	for i, price := range []string{"60", "120.5"} {
		v, _ := new(big.Rat).SetString(price)
		want := roundHalfEven18(new(big.Rat).Quo(v, rate))
		if buf.prices[i] != price || buf.perLitreEUR[i] != want {
			t.Errorf("price %d: %s, per litre EUR %s; want %s and %s", i, buf.prices[i], buf.perLitreEUR[i], price, want)
		}
	}
	if buf.ids[0] == buf.ids[1] || len(buf.ids[0]) != 32 {
		t.Errorf("record ids %q, %q", buf.ids[0], buf.ids[1])
	}
	// The rate in the book is still 492.75 for the next batch.
	b, _ = p.Process([]Message{msg(3, `{"kind":"fuel_price","source":"s","country":"KZ","product":"ai92","price":"985.5","currency":"KZT","unit":"litre","date":"2022-01-04"}`)}, time.Now(), 10)
	if got := b.Encoded.(*copyingBuffer).perLitreEUR[0]; got != "2.000000000000000000" {
		t.Errorf("985.5 KZT at 492.75 = %s EUR, want 2", got)
	}
}

// roundHalfEven18 renders x rounded half to even at 18 decimals: the oracle of the derived columns.
func roundHalfEven18(x *big.Rat) string {
	scaled := new(big.Rat).Mul(x, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)))
	q, r := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	switch c := new(big.Int).Mul(r, big.NewInt(2)).CmpAbs(scaled.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(int64(scaled.Sign())))
	}
	s := q.String()
	for len(s) < 19 {
		s = "0" + s
	}
	return s[:len(s)-18] + "." + s[len(s)-18:]
}

// The second pass adds every rate again; in a Scratch, the book would keep the Scratch's value,
// which the next price overwrites: the same rate arriving later would then count as a change.
func TestProcessEncodedRateSeenAgainIsNoChange(t *testing.T) {
	p := NewProcessor(transform.DefaultFXConfig())
	p.NewBuffer = func() RowBuffer { return &copyingBuffer{} }
	rate := `{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"492.75","date":"2022-01-04","published_at":"2022-01-04T18:00:00Z"}`
	price := `{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"60","currency":"KZT","unit":"litre","date":"2022-01-04"}`
	if _, changed := p.Process([]Message{msg(0, rate), msg(1, price)}, time.Now(), 1); !changed {
		t.Fatal("a new rate did not change the book")
	}
	if _, changed := p.Process([]Message{msg(2, rate), msg(3, price)}, time.Now(), 10); changed {
		t.Error("the same rate again changed the book")
	}
}
