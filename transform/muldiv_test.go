package transform

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// ratRound is the oracle: x rounded half to even to an integer, with math/big.Rat only.
func ratRound(x *big.Rat) *big.Int {
	num, den := new(big.Int).Set(x.Num()), x.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	switch new(big.Int).Lsh(r, 1).Cmp(den) {
	case 1:
		q.Add(q, bigOne)
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, bigOne)
		}
	}
	if neg {
		q.Neg(q)
	}
	return q
}

// TestScaledQuoAgainstRat checks the fixed-width path and the math/big path against a big.Rat
// oracle on random operands chosen to hit both paths, exact halves, signs and the range limit.
func TestScaledQuoAgainstRat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	limit := pow10(MaxPrecision)
	randInt := func() *big.Int {
		switch rng.IntN(6) {
		case 0:
			return big.NewInt(rng.Int64N(10))
		case 1:
			return new(big.Int).SetUint64(rng.Uint64())
		case 2:
			x := new(big.Int).SetUint64(rng.Uint64())
			return x.Mul(x, big.NewInt(rng.Int64N(10_000_000)+1)) // up to about 10^26
		default:
			return big.NewInt(rng.Int64N(1_000_000_000) + 1)
		}
	}
	fastHits, bigHits, outOfRange := 0, 0, 0
	for i := 0; i < 200000; i++ {
		coef := randInt()
		switch rng.IntN(5) {
		case 0:
			coef.Neg(coef)
		case 1:
			coef.SetInt64(-1 << 63)
		}
		e := rng.IntN(60) - 22
		var ns, ds [2]*big.Int
		for k := range ns {
			if rng.IntN(3) > 0 {
				ns[k] = randInt()
			}
			if rng.IntN(3) > 0 {
				ds[k] = new(big.Int).Add(randInt(), bigOne)
			}
			if rng.IntN(10) == 0 && ds[k] != nil {
				ds[k].SetInt64(2) // exact halves
			}
		}
		want := new(big.Rat).SetInt(coef)
		if e >= 0 {
			want.Mul(want, new(big.Rat).SetInt(pow10(e)))
		} else {
			want.Quo(want, new(big.Rat).SetInt(pow10(-e)))
		}
		for k := range ns {
			if ns[k] != nil {
				want.Mul(want, new(big.Rat).SetInt(ns[k]))
			}
			if ds[k] != nil {
				want.Quo(want, new(big.Rat).SetInt(ds[k]))
			}
		}
		wantQ := ratRound(want)
		fits := wantQ.CmpAbs(limit) < 0

		got, err := scaledQuo(coef, e, ns[0], ns[1], ds[0], ds[1])
		if fits != (err == nil) {
			t.Fatalf("coef %v e %d n %v d %v: err %v, want fits=%v (%v)", coef, e, ns, ds, err, fits, wantQ)
		}
		if !fits {
			outOfRange++
			if CodeOf(err) != CodeOutOfRange {
				t.Fatalf("error %v, want out_of_range", err)
			}
			continue
		}
		if got.Cmp(wantQ) != 0 {
			t.Fatalf("coef %v e %d n %v d %v: got %v, want %v", coef, e, ns, ds, got, wantQ)
		}
		if q, ok := scaledQuoFast(nil, coef, e, ns[0], ns[1], ds[0], ds[1]); ok {
			fastHits++
			if q.Cmp(wantQ) != 0 {
				t.Fatalf("fast path: got %v, want %v", q, wantQ)
			}
		} else {
			bigHits++
		}
		if q, err := scaledQuoBig(coef, e, ns[0], ns[1], ds[0], ds[1]); err != nil || q.Cmp(wantQ) != 0 {
			t.Fatalf("big path: got %v %v, want %v", q, err, wantQ)
		}
	}
	t.Logf("fast path %d, math/big path %d, out of range %d", fastHits, bigHits, outOfRange)
	if fastHits < 10000 || bigHits < 10000 || outOfRange < 1000 {
		t.Errorf("the random operands did not exercise every path enough: fast %d, big %d, out of range %d", fastHits, bigHits, outOfRange)
	}
}

// TestScaledQuoEdges pins the rounding of exact halves and the 10^38 boundary on the fast path.
func TestScaledQuoEdges(t *testing.T) {
	cases := []struct {
		coef  int64
		e     int
		d     int64
		want  string
		fails bool
	}{
		{5, -1, 1, "0", false},  // 0.5 → 0 (even)
		{15, -1, 1, "2", false}, // 1.5 → 2
		{25, -1, 1, "2", false}, // 2.5 → 2
		{-25, -1, 1, "-2", false},
		{-35, -1, 1, "-4", false},
		{1, 0, 3, "0", false},
		{2, 0, 3, "1", false},
		{1, 37, 1, "10000000000000000000000000000000000000", false},
		{10, 37, 1, "", true}, // 10^38 does not fit
		{99999999, 30, 1, "99999999000000000000000000000000000000", false},
	}
	for _, c := range cases {
		got, err := scaledQuo(big.NewInt(c.coef), c.e, nil, nil, big.NewInt(c.d), nil)
		if c.fails {
			if CodeOf(err) != CodeOutOfRange {
				t.Errorf("%d×10^%d/%d: err %v, want out_of_range", c.coef, c.e, c.d, err)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("%d×10^%d/%d = %v %v, want %s", c.coef, c.e, c.d, got, err, c.want)
		}
	}
}
