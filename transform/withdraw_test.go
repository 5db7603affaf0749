package transform

import (
	"errors"
	"math/big"
	"reflect"
	"testing"
	"time"
)

// TestDecodeWithdrawal: a withdrawal of every kind is read from JSON (a boolean or its text) and
// CSV, carries no value and no derived values; one that carries a value is rejected with a
// reason naming the field.
func TestDecodeWithdrawal(t *testing.T) {
	ok := []struct{ name, json string }{
		{"fuel_price", `{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","currency":"KZT","unit":"litre","date":"2022-02-10","published_at":"2022-02-12T12:00:00Z","withdrawn":true}`},
		{"wage", `{"kind":"wage","source":"s","country":"KZ","measure":"minimum","currency":"KZT","per":"month","date":"2022-01-01","published_at":"2022-02-12T12:00:00Z","withdrawn":true}`},
		{"fx_rate", `{"kind":"fx_rate","source":"s","base":"EUR","quote":"KZT","date":"2022-02-10","published_at":"2022-02-12T12:00:00Z","withdrawn":true}`},
		{"indicator", `{"kind":"indicator","source":"s","series":"CPI","country":"KZ","measure":"cpi","unit":"index","base_period":"2015=100","date":"2022-01-01","published_at":"2022-02-12T12:00:00Z","withdrawn":true}`},
		{"text true", `{"kind":"fx_rate","source":"s","base":"EUR","quote":"KZT","date":"2022-02-10","withdrawn":"true"}`},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			r, err := DecodeJSON([]byte(c.json))
			if err != nil {
				t.Fatal(err)
			}
			if !r.Withdrawn || r.Value().Coef != nil {
				t.Fatalf("withdrawn %v, value %v", r.Withdrawn, r.Value())
			}
			r.Finish(time.Date(2022, 2, 13, 0, 0, 0, 0, time.UTC))
			d, err := Normalize(&r, Conversion{Status: FXConverted, Factor: big.NewRat(1, 480), KnownFrom: r.PublishedAt.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d, Derived{KnownFrom: r.PublishedAt}) {
				t.Errorf("derived %+v, want none, known from %s", d, r.PublishedAt)
			}
		})
	}
	// "withdrawn": false is an ordinary record.
	r, err := DecodeJSON([]byte(`{"kind":"fx_rate","source":"s","base":"EUR","quote":"KZT","rate":"480","date":"2022-02-10","withdrawn":false}`))
	if err != nil || r.Withdrawn || r.Rate.String() != "480" {
		t.Errorf("withdrawn false: %+v, %v", r, err)
	}

	bad := []struct {
		name, json string
		code       Code
		field      string
	}{
		{"price", `{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"120","currency":"KZT","unit":"litre","date":"2022-02-10","withdrawn":true}`, CodeInvalidField, "price"},
		{"amount", `{"kind":"wage","source":"s","country":"KZ","measure":"minimum","amount":"1","currency":"KZT","per":"month","date":"2022-01-01","withdrawn":true}`, CodeInvalidField, "amount"},
		{"rate", `{"kind":"fx_rate","source":"s","base":"EUR","quote":"KZT","rate":"480","date":"2022-02-10","withdrawn":true}`, CodeInvalidField, "rate"},
		{"quantity", `{"kind":"fx_rate","source":"s","base":"KRW","quote":"KZT","quantity":100,"date":"2022-02-10","withdrawn":true}`, CodeInvalidField, "quantity"},
		{"value", `{"kind":"indicator","source":"s","series":"CPI","country":"KZ","measure":"cpi","unit":"index","base_period":"2015=100","value":"101","date":"2022-01-01","withdrawn":true}`, CodeInvalidField, "value"},
		{"unit_mult", `{"kind":"fx_rate","source":"s","base":"EUR","quote":"KZT","unit_mult":3,"date":"2022-02-10","withdrawn":true}`, CodeInvalidField, "unit_mult"},
		{"number", `{"kind":"fx_rate","source":"s","base":"EUR","quote":"KZT","date":"2022-02-10","withdrawn":1}`, CodeWrongType, "withdrawn"},
		{"other text", `{"kind":"fx_rate","source":"s","base":"EUR","quote":"KZT","date":"2022-02-10","withdrawn":"yes"}`, CodeInvalidField, "withdrawn"},
		{"value missing", `{"kind":"fx_rate","source":"s","base":"EUR","quote":"KZT","date":"2022-02-10","withdrawn":false}`, CodeMissingField, "rate"},
	}
	for _, c := range bad {
		t.Run("reject "+c.name, func(t *testing.T) {
			_, err := DecodeJSON([]byte(c.json))
			var e *Error
			if !errors.As(err, &e) || e.Code != c.code || e.Field != c.field {
				t.Fatalf("err %v, want %s on field %s", err, c.code, c.field)
			}
		})
	}

	dec, err := NewCSVDecoder([]string{"kind", "source", "base", "quote", "rate", "date", "published_at", "withdrawn"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := dec.Decode([]string{"fx_rate", "s", "EUR", "KZT", "", "2022-02-10", "2022-02-12T12:00:00Z", "true"}); err != nil || !r.Withdrawn {
		t.Errorf("csv withdrawal: %+v, %v", r, err)
	}
	if r, err := dec.Decode([]string{"fx_rate", "s", "EUR", "KZT", "480", "2022-02-10", "", ""}); err != nil || r.Withdrawn {
		t.Errorf("csv rate: %+v, %v", r, err)
	}
	if _, err := dec.Decode([]string{"fx_rate", "s", "EUR", "KZT", "480", "2022-02-10", "", "true"}); err == nil {
		t.Error("csv withdrawal with a rate accepted")
	}
}

// TestRecordIDOfWithdrawal: a withdrawal has an id of its own, stable, that leaves the ids of
// other records as they were.
func TestRecordIDOfWithdrawal(t *testing.T) {
	w, err := DecodeJSON([]byte(`{"kind":"fx_rate","source":"s","base":"EUR","quote":"KZT","date":"2022-02-10","published_at":"2022-02-12T12:00:00Z","withdrawn":true}`))
	if err != nil {
		t.Fatal(err)
	}
	plain := w
	plain.Withdrawn = false
	if RecordID(&w) == RecordID(&plain) || RecordID(&w) != RecordID(&w) {
		t.Errorf("ids %s and %s", RecordID(&w), RecordID(&plain))
	}
}

// TestRateBookWithdrawal: a withdrawn rate is not used from its publication on; the conversion
// falls back to the next applicable rate, or is pending, and is known from the withdrawal; a
// newer vintage revives the rate; the order in which vintages are added does not matter. The
// factors are checked against big.Rat.
func TestRateBookWithdrawal(t *testing.T) {
	cfg := DefaultFXConfig()
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	r09 := mkRate(t, "nbk", "EUR", "KZT", "2022-01-09", "480", 1, 1)
	r10 := mkRate(t, "nbk", "EUR", "KZT", "2022-01-10", "482", 1, 2)
	w10 := Rate{Source: "nbk", Base: "EUR", Quote: "KZT", RateType: "official", Frequency: "D", Date: day("2022-01-10"), PublishedAt: at(10), Withdrawn: true}
	r10b := mkRate(t, "nbk", "EUR", "KZT", "2022-01-10", "483", 1, 20)
	// A withdrawal of a rate that never was changes nothing.
	ghost := Rate{Source: "aaa", Base: "EUR", Quote: "KZT", RateType: "official", Frequency: "D", Date: day("2022-01-10"), PublishedAt: at(5), Withdrawn: true}

	price := Record{Kind: KindFuelPrice, Currency: "KZT", Date: day("2022-01-10"), PublishedAt: at(3)}
	later := Record{Kind: KindFuelPrice, Currency: "KZT", Date: day("2022-01-17"), PublishedAt: at(3)} // only the 01-10 rate is in its window
	type step struct {
		factor string // "" pending
		date   string
		from   time.Time
	}
	want := map[*Record][]step{
		&price: {{"1/482", "2022-01-10", at(3)}, {"1/480", "2022-01-09", at(10)}, {"1/483", "2022-01-10", at(20)}},
		&later: {{"1/482", "2022-01-10", at(3)}, {"", "", at(10)}, {"1/483", "2022-01-10", at(20)}},
	}
	orders := [][]Rate{{r09, r10, ghost, w10, r10b}, {r10b, w10, ghost, r10, r09}, {w10, r09, r10b, ghost, r10}}
	for oi, order := range orders {
		b := NewRateBook()
		for _, r := range order {
			if !b.Add(r) {
				t.Fatalf("order %d: add %+v changed nothing", oi, r)
			}
		}
		if b.Add(w10) {
			t.Errorf("order %d: the same withdrawal again changed the book", oi)
		}
		for rec, steps := range want {
			chain := b.Chain(cfg, rec)
			if len(chain) != len(steps) {
				t.Fatalf("order %d, %s: chain %+v, want %d steps", oi, rec.Date.Format("2006-01-02"), chain, len(steps))
			}
			for i, s := range steps {
				c := chain[i]
				if !c.From.Equal(s.from) {
					t.Errorf("order %d, %s step %d: from %s, want %s", oi, rec.Date.Format("2006-01-02"), i, c.From, s.from)
				}
				if s.factor == "" {
					if c.Status != FXPending || c.Factor != nil {
						t.Errorf("order %d, %s step %d: %+v, want pending", oi, rec.Date.Format("2006-01-02"), i, c.Conversion)
					}
					continue
				}
				if c.Status != FXConverted || c.Factor.Cmp(ratOf(s.factor)) != 0 || c.Date.Format("2006-01-02") != s.date {
					t.Errorf("order %d, %s step %d: %+v, want %s of %s", oi, rec.Date.Format("2006-01-02"), i, c.Conversion, s.factor, s.date)
				}
			}
			// As known between the withdrawal and the revival, and now.
			if c := b.ConvertRecord(cfg, rec, at(15)); !c.KnownFrom.Equal(at(10)) {
				t.Errorf("order %d: known from %s between withdrawal and revival, want %s", oi, c.KnownFrom, at(10))
			}
		}
		// Normalize of the pending row after the withdrawal: known from the withdrawal.
		d, err := Normalize(&Record{Kind: KindFuelPrice, Currency: "KZT", Unit: "litre", Price: dec(t, "120"), Date: later.Date, PublishedAt: later.PublishedAt},
			b.ConvertRecord(cfg, &later, at(15)))
		if err != nil || d.FXStatus != FXPending || !d.KnownFrom.Equal(at(10)) {
			t.Errorf("order %d: pending after the withdrawal: %+v, %v", oi, d, err)
		}
	}
}
