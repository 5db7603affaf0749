package transform

import (
	"math/big"
	"math/bits"
)

// scaledQuo returns coef × 10^e × n1 × n2 / (d1 × d2) rounded ONCE, half to even, to an integer,
// as a new big.Int. A nil n or d counts as 1; every d must be positive. It is the one kernel of
// every derived column: with coef the published coefficient and e = 18 − scale + unit_mult, the
// result is the column's value scaled by 10^18.
//
// When coef fits 64 bits, every factor fits 64 bits and the divisor (with 10^−e) fits 64 bits, it
// runs in fixed-width 256-bit arithmetic without allocating; otherwise, or when the quotient does
// not fit 127 bits, it falls back to math/big. Both give the same exact result (checked against
// each other and against big.Rat in tests).
//
// It returns an *Error with CodeOutOfRange if the result does not fit Decimal(38, 18), i.e. its
// magnitude is 10^38 or more.
func scaledQuo(coef *big.Int, e int, n1, n2, d1, d2 *big.Int) (*big.Int, error) {
	return scaledQuoIn(nil, coef, e, n1, n2, d1, d2)
}

// fixedArena holds the results of one record's columns, so that they cost one allocation
// together instead of two each. A record has at most four: fx_rate and, for a price, the value
// per litre or kg, in EUR, and per litre or kg in EUR; for a wage, monthly, in EUR, monthly in EUR.
type fixedArena struct {
	ints  [4]big.Int
	words [8]big.Word
	n     int
}

// next returns a fresh result and its two words of storage, or ok false when the arena is full.
func (a *fixedArena) next() (x *big.Int, words []big.Word, ok bool) {
	if a == nil || a.n == len(a.ints) {
		return nil, nil, false
	}
	x, words = &a.ints[a.n], a.words[2*a.n:2*a.n+2:2*a.n+2]
	a.n++
	return x, words, true
}

// scaledQuoIn is scaledQuo with its fast-path result stored in a (nil: allocate).
func scaledQuoIn(a *fixedArena, coef *big.Int, e int, n1, n2, d1, d2 *big.Int) (*big.Int, error) {
	if q, ok := scaledQuoFast(a, coef, e, n1, n2, d1, d2); ok {
		return q, nil
	}
	return scaledQuoBig(coef, e, n1, n2, d1, d2)
}

// pow10u64[i] = 10^i for 0 ≤ i ≤ 19.
var pow10u64 = func() (t [20]uint64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 10
	}
	return t
}()

// limit38 is 10^38 as two 64-bit words (hi, lo).
var limit38Hi, limit38Lo = func() (uint64, uint64) {
	hi, lo := bits.Mul64(pow10u64[19], pow10u64[19])
	return hi, lo
}()

// u256 is an unsigned 256-bit integer, least significant word first.
type u256 [4]uint64

// mul multiplies x by m in place and reports whether the product still fits 256 bits.
func (x *u256) mul(m uint64) bool {
	var carry uint64
	for i := range x {
		hi, lo := bits.Mul64(x[i], m)
		var c uint64
		x[i], c = bits.Add64(lo, carry, 0)
		carry = hi + c
	}
	return carry == 0
}

// divRound sets x to x/d rounded half to even (d > 0).
func (x *u256) divRound(d uint64) {
	var r uint64
	for i := len(x) - 1; i >= 0; i-- {
		x[i], r = bits.Div64(r, x[i], d)
	}
	// Round: compare the remainder r with d − r (no overflow: r < d).
	if half := d - r; r > half || (r == half && x[0]&1 == 1) {
		for i := range x {
			var c uint64
			x[i], c = bits.Add64(x[i], 1, 0)
			if c == 0 {
				break
			}
		}
	}
}

// smallFactor returns x as a uint64 when it is nil (1) or a non-negative integer fitting 64 bits.
func smallFactor(x *big.Int) (uint64, bool) {
	if x == nil {
		return 1, true
	}
	if x.Sign() < 0 || !x.IsUint64() {
		return 0, false
	}
	return x.Uint64(), true
}

func scaledQuoFast(a *fixedArena, coef *big.Int, e int, n1, n2, d1, d2 *big.Int) (*big.Int, bool) {
	if bits.UintSize != 64 || !coef.IsInt64() || e < -19 || e > 38 {
		return nil, false
	}
	c := coef.Int64()
	neg := c < 0
	var x u256
	if neg {
		x[0] = uint64(-c) // -MinInt64 wraps to 1<<63, its magnitude
	} else {
		x[0] = uint64(c)
	}
	for up := e; up > 0; up -= 19 {
		if !x.mul(pow10u64[min(up, 19)]) {
			return nil, false
		}
	}
	for _, n := range [2]*big.Int{n1, n2} {
		m, ok := smallFactor(n)
		if !ok || !x.mul(m) {
			return nil, false
		}
	}
	d := uint64(1)
	if e < 0 {
		d = pow10u64[-e]
	}
	for _, dd := range [2]*big.Int{d1, d2} {
		m, ok := smallFactor(dd)
		if !ok || m == 0 {
			return nil, false
		}
		hi, lo := bits.Mul64(d, m)
		if hi != 0 {
			return nil, false
		}
		d = lo
	}
	x.divRound(d)
	if x[2] != 0 || x[3] != 0 || x[1] > limit38Hi || (x[1] == limit38Hi && x[0] >= limit38Lo) {
		return nil, false // out of range: let the big path report it
	}
	q, words, ok := a.next()
	if !ok {
		q, words = new(big.Int), make([]big.Word, 2)
	}
	words[0], words[1] = big.Word(x[0]), big.Word(x[1])
	q.SetBits(words)
	if neg {
		q.Neg(q)
	}
	return q, true
}

func scaledQuoBig(coef *big.Int, e int, n1, n2, d1, d2 *big.Int) (*big.Int, error) {
	num := new(big.Int).Set(coef)
	den := big.NewInt(1)
	if e > 0 {
		num.Mul(num, pow10(e))
	} else if e < 0 {
		den.Set(pow10(-e))
	}
	for _, n := range [2]*big.Int{n1, n2} {
		if n != nil {
			num.Mul(num, n)
		}
	}
	for _, d := range [2]*big.Int{d1, d2} {
		if d != nil {
			den.Mul(den, d)
		}
	}
	q := roundHalfEven(num, den)
	if q.CmpAbs(fixed18Limit) >= 0 {
		return nil, outOfRange18(q)
	}
	return q, nil
}

// outOfRange18 is the error for q, an integer scaled by 10^18 of magnitude 10^38 or more.
func outOfRange18(q *big.Int) *Error {
	digits := len(q.Text(10)) - MaxScale
	if q.Sign() < 0 {
		digits--
	}
	return &Error{Code: CodeOutOfRange, Reason: "the value has " + itoa(int64(digits)) + " integer digits; Decimal(38,18) holds at most 20 (magnitude below 10^20)"}
}
