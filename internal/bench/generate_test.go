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

// TestShuffle: a shuffled dataset holds the same records in another order, the same for the
// same seed.
func TestShuffle(t *testing.T) {
	const n = 5000
	a, b, c := Generate(n, 7), Generate(n, 7), Generate(n, 7)
	b.Shuffle(7)
	c.Shuffle(7)
	moved := 0
	count := map[string]int{}
	for i := range a.Prices {
		if !bytes.Equal(b.Prices[i].Value, c.Prices[i].Value) {
			t.Fatalf("record %d differs between two shuffles with seed 7", i)
		}
		if !bytes.Equal(a.Prices[i].Value, b.Prices[i].Value) {
			moved++
		}
		count[string(a.Prices[i].Value)]++
		count[string(b.Prices[i].Value)]--
	}
	if moved < n*9/10 {
		t.Errorf("shuffling moved %d of %d records", moved, n)
	}
	for v, k := range count {
		if k != 0 {
			t.Fatalf("record %s: %d more in the generated than in the shuffled set", v, k)
		}
	}
}
