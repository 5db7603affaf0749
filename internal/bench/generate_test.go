package bench

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/transform"
)

// TestGenerate checks that the generator is deterministic for a seed, that every record is valid
// with its own identity, and that Sum agrees with an independent recomputation from the JSON
// text with math/big.Rat.
func TestGenerate(t *testing.T) {
	const n = 30000
	a, b := Generate(n, 7), Generate(n, 7)
	if len(a.Prices) != n || len(b.Prices) != n {
		t.Fatalf("generated %d and %d records, want %d", len(a.Prices), len(b.Prices), n)
	}
	for i := range a.Prices {
		if !bytes.Equal(a.Prices[i].Value, b.Prices[i].Value) || a.Prices[i].Key != b.Prices[i].Key {
			t.Fatalf("record %d differs between two runs with seed 7:\n%s\n%s", i, a.Prices[i].Value, b.Prices[i].Value)
		}
	}
	if a.Sum() != b.Sum() || !bytes.Equal(a.Rate.Value, b.Rate.Value) {
		t.Fatalf("sums or rates differ between two runs with seed 7")
	}
	if c := Generate(n, 8); c.Sum() == a.Sum() || bytes.Equal(c.Prices[0].Value, a.Prices[0].Value) {
		t.Errorf("seed 8 generated the same records as seed 7")
	}

	// The rate and every price decode without a reject.
	rate, err := transform.DecodeJSON(a.Rate.Value)
	if err != nil || rate.Kind != transform.KindFXRate {
		t.Fatalf("rate record %s: kind %q, err %v", a.Rate.Value, rate.Kind, err)
	}
	sum := new(big.Rat)
	ids := map[string]bool{}
	kzt := 0
	for i, p := range a.Prices {
		rec, err := transform.DecodeJSON(p.Value)
		if err != nil {
			t.Fatalf("record %d %s: %v", i, p.Value, err)
		}
		rec.Finish(time.Unix(0, 0))
		// Identity: the view's LIMIT 1 BY columns.
		id := strings.Join([]string{rec.Country, rec.Region, rec.Product, rec.TaxBasis, rec.Currency, rec.Unit,
			rec.Source, rec.Frequency, rec.Date.Format(time.DateOnly)}, "|")
		if ids[id] {
			t.Fatalf("record %d repeats identity %s", i, id)
		}
		ids[id] = true

		var m map[string]any
		if err := json.Unmarshal(p.Value, &m); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		price, ok := m["price"].(string)
		if !ok {
			t.Fatalf("record %d: price %v is not a JSON string", i, m["price"])
		}
		intPart, frac, _ := strings.Cut(price, ".")
		if len(intPart) != 12 || len(frac) != 6 || intPart[0] == '0' {
			t.Fatalf("record %d: price %q, want 12 integer and 6 fractional digits", i, price)
		}
		r, ok := new(big.Rat).SetString(price)
		if !ok {
			t.Fatalf("record %d: price %q does not parse", i, price)
		}
		sum.Add(sum, r)
		if m["currency"] == "KZT" {
			kzt++
			// Within the conversion window of the rate: [rate date, rate date + 7 days].
			if d := rec.Date.Sub(rate.Date); d < 0 || d > 7*24*time.Hour {
				t.Fatalf("record %d: KZT price dated %s, outside the window of the rate dated %s", i,
					rec.Date.Format(time.DateOnly), rate.Date.Format(time.DateOnly))
			}
		}
	}
	if want := sum.FloatString(18); a.Sum() != want {
		t.Errorf("Sum() = %s, recomputed from the JSON %s", a.Sum(), want)
	}
	if kzt != a.KZT || kzt == 0 || kzt > n/5 {
		t.Errorf("%d KZT records (Dataset says %d), want some but a minority of %d", kzt, a.KZT, n)
	}
}

// TestGenerateSeriesOverflow checks that identities stay distinct past the 46656 region codes.
func TestGenerateSeriesOverflow(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range []int{0, 1, regionCodes - 1, regionCodes, regionCodes + 1, 3 * regionCodes} {
		s, r := series(benchSource, i)
		if seen[s+r] {
			t.Fatalf("series %d repeats %s %s", i, s, r)
		}
		seen[s+r] = true
	}
}

func TestFormatScaled(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want string
	}{
		{0, "0.000000000000000000"},
		{5, "0.000005000000000000"},
		{1234567, "1.234567000000000000"},
		{-1234567, "-1.234567000000000000"},
	} {
		if got := formatScaled(big.NewInt(c.v), 6, 18); got != c.want {
			t.Errorf("formatScaled(%d) = %s, want %s", c.v, got, c.want)
		}
	}
}

// recordFields decodes a generated message's fields with encoding/json (numbers kept as text).
func recordFields(t *testing.T, value []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", value, err)
	}
	return m
}

// TestArrange: every order holds the same records, the same for the same seed, in the order it
// names, read back from the messages' JSON: publishers' order has the dates in order and every
// series on the first date; key order has each series whole, in date order; the random order
// moves nearly every record.
func TestArrange(t *testing.T) {
	const n = 20000 // 6 EUR series of 3650 days, the last one partial, and some KZT series
	field := func(t *testing.T, p Record, k string) string { return recordFields(t, p.Value)[k].(string) }
	for _, o := range Orders {
		t.Run(string(o), func(t *testing.T) {
			gen, a, b := Generate(n, 7), Generate(n, 7), Generate(n, 7)
			if err := a.Arrange(o, 7); err != nil {
				t.Fatal(err)
			}
			if err := b.Arrange(o, 7); err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			moved := 0
			for i := range gen.Prices {
				if !bytes.Equal(a.Prices[i].Value, b.Prices[i].Value) {
					t.Fatalf("record %d differs between two arrangements with seed 7", i)
				}
				if !bytes.Equal(a.Prices[i].Value, gen.Prices[i].Value) {
					moved++
				}
				count[string(gen.Prices[i].Value)]++
				count[string(a.Prices[i].Value)]--
			}
			for v, k := range count {
				if k != 0 {
					t.Fatalf("record %s: %d more in the generated than in the arranged set", v, k)
				}
			}
			if a.Sum() != gen.Sum() {
				t.Errorf("sum %s after arranging, %s before", a.Sum(), gen.Sum())
			}
			switch o {
			case OrderPublishers:
				eurSeries := map[string]bool{}
				firstDate, onFirst := field(t, a.Prices[0], "date"), 0
				for i, p := range a.Prices {
					m := recordFields(t, p.Value)
					if m["currency"] == "EUR" {
						eurSeries[m["source"].(string)+"/"+m["region"].(string)] = true
					}
					if m["date"] == firstDate {
						onFirst++
					}
					if i > 0 && field(t, a.Prices[i-1], "date") > m["date"].(string) {
						t.Fatalf("record %d dated %s after one dated %s", i, m["date"], field(t, a.Prices[i-1], "date"))
					}
				}
				if len(eurSeries) < 2 || onFirst != len(eurSeries) {
					t.Errorf("%d records on the first date %s, want one of each of the %d EUR series", onFirst, firstDate, len(eurSeries))
				}
			case OrderKey:
				key := func(p Record) string {
					m := recordFields(t, p.Value)
					return strings.Join([]string{m["region"].(string), m["currency"].(string), m["source"].(string), m["date"].(string)}, "|")
				}
				for i := 1; i < len(a.Prices); i++ {
					if key(a.Prices[i-1]) >= key(a.Prices[i]) {
						t.Fatalf("record %d: key %s after %s", i, key(a.Prices[i]), key(a.Prices[i-1]))
					}
				}
			case OrderRandom:
				if moved < n*9/10 {
					t.Errorf("the random order moved %d of %d records", moved, n)
				}
			}
		})
	}
	if err := Generate(10, 1).Arrange("alphabetical", 1); err == nil {
		t.Error("Arrange accepted an unknown order")
	}
	if _, err := ParseOrder("shuffled"); err == nil {
		t.Error("ParseOrder accepted an unknown order")
	}
}

// TestAppendNumberPrice: ceiling J's line is the message with the price as a JSON number of the
// same digits and every other field unchanged.
func TestAppendNumberPrice(t *testing.T) {
	d := Generate(200, 5)
	for _, p := range d.Prices {
		line := appendNumberPrice([]byte("prefix"), p.Value)
		rest, ok := bytes.CutPrefix(line, []byte("prefix"))
		if !ok || len(rest) != len(p.Value)-2 {
			t.Fatalf("%s → %s", p.Value, line)
		}
		want, got := recordFields(t, p.Value), recordFields(t, rest)
		num, ok := got["price"].(json.Number)
		if !ok || string(num) != want["price"] {
			t.Fatalf("%s: price %v (%T), want the number %s", rest, got["price"], got["price"], want["price"])
		}
		delete(want, "price")
		delete(got, "price")
		if len(got) != len(want) || len(got) != 8 {
			t.Fatalf("%s: fields %v, want %v", rest, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s: %s = %v, want %v", rest, k, got[k], v)
			}
		}
	}
}

// TestWriteLines: bench lines writes each generated record's message on its own line, in the
// arranged order, preceded by its key and a tab when asked; every line is a JSON object.
func TestWriteLines(t *testing.T) {
	want := Generate(500, 7)
	if err := want.Arrange(OrderPublishers, 7); err != nil {
		t.Fatal(err)
	}
	for _, keys := range []bool{false, true} {
		t.Run(map[bool]string{false: "values", true: "keys"}[keys], func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteLines(&b, 500, 7, OrderPublishers, keys); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if len(lines) != len(want.Prices) {
				t.Fatalf("%d lines, want %d", len(lines), len(want.Prices))
			}
			for i, line := range lines {
				r := &want.Prices[i]
				value := line
				if keys {
					k, v, ok := strings.Cut(line, "\t")
					if !ok || k != r.Key {
						t.Fatalf("line %d: key %q, want %q", i, k, r.Key)
					}
					value = v
				}
				if value != string(r.Value) || !json.Valid([]byte(value)) {
					t.Fatalf("line %d: %q, want %q", i, value, r.Value)
				}
			}
		})
	}
}
