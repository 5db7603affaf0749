package transform

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// The oracle of scaledQuo, by another road than round.go's truncated quotient and doubled
// remainder: the value is an exact big.Rat; its floor comes from Euclidean division; the
// fractional part, a big.Rat in [0, 1), is compared with one half; a tie goes to the even one
// of floor and floor + 1. The result fits Decimal(38, 18) when its magnitude is below 10^38,
// which for the unrounded value means |x| < 10^38 − 1/2 (checked to agree).

// muldivValue is coef × 10^e × n1 × n2 / (d1 × d2) as an exact rational; nil factors are 1.
func muldivValue(coef *big.Int, e int, n1, n2, d1, d2 *big.Int) *big.Rat {
	x := new(big.Rat).SetInt(coef)
	ten := new(big.Rat).SetInt(tenTo(abs(e)))
	if e >= 0 {
		x.Mul(x, ten)
	} else {
		x.Quo(x, ten)
	}
	for _, n := range []*big.Int{n1, n2} {
		if n != nil {
			x.Mul(x, new(big.Rat).SetInt(n))
		}
	}
	for _, d := range []*big.Int{d1, d2} {
		if d != nil {
			x.Quo(x, new(big.Rat).SetInt(d))
		}
	}
	return x
}

// tenTo returns a new 10^k (the tests' own: pow10's are shared and must not change).
func tenTo(k int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil) }

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// roundHalfEvenByFloor rounds x to an integer, half to even, from its floor and fractional part.
func roundHalfEvenByFloor(x *big.Rat) *big.Int {
	floor := new(big.Int).Div(x.Num(), x.Denom()) // Euclidean: the floor, as Denom > 0
	frac := new(big.Rat).Sub(x, new(big.Rat).SetInt(floor))
	if frac.Sign() < 0 || frac.Cmp(big.NewRat(1, 1)) >= 0 {
		panic(fmt.Sprintf("fractional part %s of %s outside [0, 1)", frac.RatString(), x.RatString()))
	}
	odd := new(big.Int).Mod(floor, big.NewInt(2)).Sign() != 0
	switch frac.Cmp(big.NewRat(1, 2)) {
	case 1:
		floor.Add(floor, big.NewInt(1))
	case 0:
		if odd {
			floor.Add(floor, big.NewInt(1))
		}
	}
	return floor
}

// fitsDecimal38 reports whether x rounds to a magnitude below 10^38: |x| < 10^38 − 1/2 (at
// exactly 10^38 − 1/2 the tie goes up, to the even 10^38).
func fitsDecimal38(x *big.Rat) bool {
	bound := new(big.Rat).Sub(new(big.Rat).SetInt(tenTo(38)), big.NewRat(1, 2))
	return new(big.Rat).Abs(x).Cmp(bound) < 0
}

// TestMuldivOracle pins the oracle on cases worked by hand.
func TestMuldivOracle(t *testing.T) {
	for _, c := range []struct{ x, want string }{
		{"0", "0"}, {"1/2", "0"}, {"3/2", "2"}, {"5/2", "2"}, {"7/2", "4"}, {"-1/2", "0"}, {"-3/2", "-2"},
		{"-5/2", "-2"}, {"-7/2", "-4"}, {"1/3", "0"}, {"2/3", "1"}, {"-2/3", "-1"}, {"-1/3", "0"},
		{"12345/1000", "12"}, {"-12501/1000", "-13"}, {"199999999999999999999999999999999999999/2", "100000000000000000000000000000000000000"},
	} {
		x, _ := new(big.Rat).SetString(c.x)
		if got := roundHalfEvenByFloor(x); got.String() != c.want {
			t.Errorf("round(%s) = %s, want %s", c.x, got, c.want)
		}
	}
	limit := new(big.Rat).SetInt(tenTo(38))
	for _, c := range []struct {
		delta string // x = 10^38 + delta
		fits  bool
	}{{"-1", true}, {"-1/2", false}, {"-501/1000", true}, {"-499/1000", false}, {"0", false}} {
		d, _ := new(big.Rat).SetString(c.delta)
		x := new(big.Rat).Add(limit, d)
		if fitsDecimal38(x) != c.fits || fitsDecimal38(new(big.Rat).Neg(x)) != c.fits {
			t.Errorf("fits(±(10^38 %s)) = %v, want %v", c.delta, !c.fits, c.fits)
		}
		if rounded := roundHalfEvenByFloor(x); (rounded.CmpAbs(tenTo(MaxPrecision)) < 0) != c.fits {
			t.Errorf("10^38 %s rounds to %s: the two range rules disagree", c.delta, rounded)
		}
	}
}

// checkScaledQuo checks scaledQuo, its fast path (when it applies) and its math/big path
// against the oracle; it returns which path served and whether the value fit.
func checkScaledQuo(t testing.TB, coef *big.Int, e int, n1, n2, d1, d2 *big.Int) (fast, fits bool) {
	t.Helper()
	x := muldivValue(coef, e, n1, n2, d1, d2)
	want := roundHalfEvenByFloor(x)
	fits = fitsDecimal38(x)
	if fits != (want.CmpAbs(tenTo(MaxPrecision)) < 0) {
		t.Fatalf("%s: the oracle's range rules disagree", x.RatString())
	}
	what := fmt.Sprintf("%v×10^%d×%v×%v/(%v×%v)", coef, e, n1, n2, d1, d2)
	got, err := scaledQuo(coef, e, n1, n2, d1, d2)
	if !fits {
		if CodeOf(err) != CodeOutOfRange {
			t.Fatalf("%s = %v, %v; want out_of_range (rounds to %v)", what, got, err, want)
		}
	} else if err != nil || got.Cmp(want) != 0 {
		t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
	}
	if fits && got.Sign() == 0 && (got.String() != "0" || strings.HasPrefix(FormatFixed18(got), "-")) {
		t.Fatalf("%s: a negative zero %q", what, FormatFixed18(got))
	}
	if q, ok := scaledQuoFast(nil, coef, e, n1, n2, d1, d2); ok {
		fast = true
		if !fits || q.Cmp(want) != 0 {
			t.Fatalf("%s: fast path %v, want %v (fits %v)", what, q, want, fits)
		}
		if q.Sign() == 0 && q.String() != "0" {
			t.Fatalf("%s: fast path gives a negative zero", what)
		}
	}
	q, err := scaledQuoBig(coef, e, n1, n2, d1, d2)
	if fits != (err == nil) || fits && q.Cmp(want) != 0 {
		t.Fatalf("%s: math/big path %v, %v; want %v (fits %v)", what, q, err, want, fits)
	}
	return fast, fits
}

// muldivEdges are operands at the limits: ties, the 38-digit boundary, values rounding to zero
// from below, and the widths where the fast path gives way to math/big.
func muldivEdges() [][6]any {
	two := big.NewInt(2)
	maxU64 := new(big.Int).SetUint64(math.MaxUint64)
	minI64, maxI64 := big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	nines38 := new(big.Int).Sub(tenTo(38), big.NewInt(1))
	n := func(s string) *big.Int {
		x, ok := new(big.Int).SetString(s, 10)
		if !ok {
			panic(s)
		}
		return x
	}
	edges := [][6]any{
		// Ties, each way, both signs.
		{big.NewInt(5), -1, nil, nil, nil, nil}, {big.NewInt(15), -1, nil, nil, nil, nil}, {big.NewInt(25), -1, nil, nil, nil, nil},
		{big.NewInt(-25), -1, nil, nil, nil, nil}, {big.NewInt(-35), -1, nil, nil, nil, nil},
		{big.NewInt(1), 0, nil, nil, two, nil}, {big.NewInt(3), 0, nil, nil, two, nil}, {big.NewInt(-3), 0, nil, nil, two, nil},
		{big.NewInt(7), 0, big.NewInt(3), nil, big.NewInt(6), nil}, // 3.5
		{big.NewInt(1), -19, big.NewInt(5), nil, nil, nil},         // 5×10^-19
		{maxI64, 0, nil, nil, two, nil}, {minI64, 0, nil, nil, two, nil},
		// Negative values that round to zero: 0, never -0.
		{big.NewInt(-1), -1, nil, nil, nil, nil}, {big.NewInt(-5), -1, nil, nil, nil, nil}, {big.NewInt(-1), 0, nil, nil, big.NewInt(3), nil},
		{big.NewInt(-1), -19, nil, nil, nil, nil}, {big.NewInt(-1), 0, nil, nil, maxU64, maxU64}, {big.NewInt(0), 38, maxU64, maxU64, nil, nil},
		// The 38-digit boundary: 10^38 − 1 fits; 10^38 − 1/2 rounds up to 10^38, which does not.
		{nines38, 0, nil, nil, nil, nil}, {new(big.Int).Neg(nines38), 0, nil, nil, nil, nil}, {tenTo(38), 0, nil, nil, nil, nil},
		{new(big.Int).Sub(new(big.Int).Mul(tenTo(38), two), big.NewInt(1)), 0, nil, nil, two, nil},
		{new(big.Int).Sub(new(big.Int).Mul(tenTo(38), two), big.NewInt(3)), 0, nil, nil, two, nil},
		{new(big.Int).Neg(new(big.Int).Sub(new(big.Int).Mul(tenTo(38), two), big.NewInt(1))), 0, nil, nil, two, nil},
		{big.NewInt(1), 37, nil, nil, nil, nil}, {big.NewInt(10), 37, nil, nil, nil, nil}, {big.NewInt(-10), 37, nil, nil, nil, nil},
		{big.NewInt(99999999), 30, nil, nil, nil, nil}, {n("9999999999999999999"), 19, nil, nil, nil, nil},
		{n("99999999999999999999"), 18, nil, nil, nil, nil}, {n("99999999999999999999"), 18, big.NewInt(1), nil, big.NewInt(1), nil},
		{n("199999999999999999999"), 17, nil, nil, two, nil}, {n("-199999999999999999999"), 17, nil, nil, two, nil},
		// The fast path's limits: coef at 64 bits, e at −19/−20 and 38/39, products near 2^256,
		// a divisor product past 64 bits, a quotient past 127 bits.
		{maxI64, 38, maxU64, maxU64, nil, nil}, {minI64, 38, maxU64, maxU64, maxU64, maxU64},
		{new(big.Int).Add(maxI64, big.NewInt(1)), 0, nil, nil, nil, nil}, {new(big.Int).Sub(minI64, big.NewInt(1)), -5, nil, nil, big.NewInt(7), nil},
		{big.NewInt(12345), -19, nil, nil, nil, nil}, {big.NewInt(12345), -20, nil, nil, nil, nil},
		{big.NewInt(1), 38, nil, nil, tenTo(1), nil}, {big.NewInt(1), 39, nil, nil, tenTo(2), nil},
		{maxI64, -19, maxU64, nil, maxU64, nil}, {maxI64, -1, maxU64, maxU64, big.NewInt(10), maxU64},
		{big.NewInt(1), 0, maxU64, maxU64, maxU64, nil}, {maxI64, 0, maxU64, nil, nil, nil}, {maxI64, 0, maxU64, big.NewInt(4), nil, nil},
		{new(big.Int).Lsh(big.NewInt(1), 62), 0, new(big.Int).Lsh(big.NewInt(1), 63), big.NewInt(3), two, nil},
	}
	return edges
}

func asInt(v any) *big.Int {
	if v == nil {
		return nil
	}
	return v.(*big.Int)
}

func TestScaledQuoEdges(t *testing.T) {
	for _, c := range muldivEdges() {
		checkScaledQuo(t, asInt(c[0]), c[1].(int), asInt(c[2]), asInt(c[3]), asInt(c[4]), asInt(c[5]))
	}
	// And by hand: a few of them with the values written out.
	for _, c := range []struct {
		coef  int64
		e     int
		d     int64
		want  string
		fails bool
	}{
		{5, -1, 1, "0", false}, {15, -1, 1, "2", false}, {25, -1, 1, "2", false}, {-25, -1, 1, "-2", false},
		{-35, -1, 1, "-4", false}, {-5, -1, 1, "0", false}, {1, 0, 3, "0", false}, {2, 0, 3, "1", false},
		{1, 37, 1, "10000000000000000000000000000000000000", false}, {10, 37, 1, "", true},
		{99999999, 30, 1, "99999999000000000000000000000000000000", false},
	} {
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

// randMuldivInt draws an operand of one of the sizes that matter: small, 64-bit, near a power
// of ten, up to about 10^26, or past 64 bits.
func randMuldivInt(rng *rand.Rand) *big.Int {
	switch rng.IntN(8) {
	case 0:
		return big.NewInt(rng.Int64N(10))
	case 1:
		return new(big.Int).SetUint64(rng.Uint64())
	case 2:
		x := new(big.Int).SetUint64(rng.Uint64())
		return x.Mul(x, big.NewInt(rng.Int64N(10_000_000)+1))
	case 3: // 10^k ± small
		x := tenTo(rng.IntN(40))
		return x.Add(x, big.NewInt(rng.Int64N(3)-1))
	case 4:
		return new(big.Int).SetUint64(math.MaxUint64 - uint64(rng.IntN(3)))
	default:
		return big.NewInt(rng.Int64N(1_000_000_000) + 1)
	}
}

// TestScaledQuoRandom: random operands, many of them built to be exact ties or to land near the
// 38-digit boundary, on both paths and both signs.
func TestScaledQuoRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fastHits, bigHits, outOfRange, ties := 0, 0, 0, 0
	for i := 0; i < 200000; i++ {
		coef := randMuldivInt(rng)
		switch rng.IntN(6) {
		case 0:
			coef.Neg(coef)
		case 1:
			coef.SetInt64(math.MinInt64)
		}
		e := rng.IntN(62) - 22
		var ns, ds [2]*big.Int
		for k := range ns {
			if rng.IntN(3) > 0 {
				ns[k] = randMuldivInt(rng)
			}
			if rng.IntN(3) > 0 {
				ds[k] = new(big.Int).Add(randMuldivInt(rng), big.NewInt(1))
			}
		}
		switch rng.IntN(8) {
		case 0: // an exact tie: an odd multiple of a half
			coef.SetInt64(2*rng.Int64N(1<<40) + 1)
			if rng.IntN(2) == 0 {
				coef.Neg(coef)
			}
			e, ns, ds = 0, [2]*big.Int{}, [2]*big.Int{big.NewInt(2), nil}
			ties++
		case 1: // near 10^38: (10^38 + k) × 2 / 2, or k/2 around it
			k := big.NewInt(rng.Int64N(7) - 3)
			coef = new(big.Int).Add(new(big.Int).Mul(tenTo(38), big.NewInt(2)), k)
			if rng.IntN(2) == 0 {
				coef.Neg(coef)
			}
			e, ns, ds = 0, [2]*big.Int{}, [2]*big.Int{big.NewInt(2), nil}
		}
		fast, fits := checkScaledQuo(t, coef, e, ns[0], ns[1], ds[0], ds[1])
		switch {
		case !fits:
			outOfRange++
		case fast:
			fastHits++
		default:
			bigHits++
		}
	}
	t.Logf("fast path %d, math/big path %d, out of range %d, ties %d", fastHits, bigHits, outOfRange, ties)
	if fastHits < 10000 || bigHits < 10000 || outOfRange < 1000 || ties < 10000 {
		t.Errorf("the random operands did not exercise every path enough: fast %d, big %d, out of range %d, ties %d",
			fastHits, bigHits, outOfRange, ties)
	}
}

// FuzzScaledQuo checks scaledQuo against the oracle on operands the fuzzer chooses.
func FuzzScaledQuo(f *testing.F) {
	f.Add(int64(25), int8(-1), uint64(1), uint64(1), uint64(1), uint64(1), false)
	f.Add(int64(math.MinInt64), int8(38), uint64(math.MaxUint64), uint64(3), uint64(2), uint64(1), false)
	f.Add(int64(-1), int8(-20), uint64(5), uint64(1), uint64(1), uint64(7), true)
	f.Add(int64(99999999), int8(30), uint64(1), uint64(1), uint64(1), uint64(1), false)
	f.Fuzz(func(t *testing.T, coef int64, e int8, n1, n2, d1, d2 uint64, wide bool) {
		c := big.NewInt(coef)
		if wide { // past 64 bits
			c.Mul(c, new(big.Int).SetUint64(n1|1))
		}
		den := func(d uint64) *big.Int {
			if d == 0 {
				return nil
			}
			return new(big.Int).SetUint64(d)
		}
		checkScaledQuo(t, c, int(e)%45, new(big.Int).SetUint64(n1), new(big.Int).SetUint64(n2), den(d1), den(d2))
	})
}
