package ingest

import (
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

// A rejected message gets its version when it is processed, as a row does: the batch's
// version plus its index, so every retry of the batch's write sends the same rejects_data block.
func TestProcessVersionsRejects(t *testing.T) {
	proc := NewProcessor(transform.DefaultFXConfig())
	msgs := []Message{{Topic: "t", Value: []byte(`{"kind":"fuel_price"}`)}, {Topic: "t", Offset: 1, Value: []byte(`not json`)}}
	b, _ := proc.Process(msgs, time.Now(), 1000)
	if len(b.Rejects) != 2 || b.Rejects[0].Version != 1000 || b.Rejects[1].Version != 1001 {
		t.Fatalf("rejects %+v, want versions 1000 and 1001", b.Rejects)
	}
}
