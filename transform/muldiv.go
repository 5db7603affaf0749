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
//
// It is exactly 192 bytes, a size class of the allocator: an unused result is one whose Bits are
// still nil (a used one's are never nil, not even for zero, since they are set by SetBits to the
// arena's words).
type fixedArena struct {
	ints  [4]big.Int
	words [8]big.Word
}

// next returns a fresh result and its two words of storage, or ok false when the arena is full.
func (a *fixedArena) next() (x *big.Int, words []big.Word, ok bool) {
	if a == nil {
		return nil, nil, false
	}
	for i := range a.ints {
		if a.ints[i].Bits() == nil {
			return &a.ints[i], a.words[2*i : 2*i+2 : 2*i+2], true
		}
	}
	return nil, nil, false
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

// u256 is an unsigned 256-bit integer: w least significant word first, of which the n lowest
// (n ≥ 1) may be non-zero.
type u256 struct {
	w [4]uint64
	n int
}

// mul multiplies x by m in place and reports whether the product still fits 256 bits.
func (x *u256) mul(m uint64) bool {
	var carry uint64
	for i := 0; i < x.n; i++ {
		hi, lo := bits.Mul64(x.w[i], m)
		var c uint64
		x.w[i], c = bits.Add64(lo, carry, 0)
		carry = hi + c
	}
	if carry != 0 {
		if x.n == len(x.w) {
			return false
		}
		x.w[x.n] = carry
		x.n++
	}
	return true
}

// below38 reports whether x < 10^38: whether it fits Decimal(38, 18) as an integer scaled by 10^18.
func (x *u256) below38() bool {
	return x.w[2] == 0 && x.w[3] == 0 && below38(x.w[1], x.w[0])
}

// below38 reports whether hi·2^64 + lo < 10^38.
func below38(hi, lo uint64) bool {
	return hi < limit38Hi || hi == limit38Hi && lo < limit38Lo
}

// divRound sets x to x/d rounded half to even (d > 0).
func (x *u256) divRound(d uint64) {
	if d == 1 {
		return
	}
	var r uint64
	for i := x.n - 1; i >= 0; i-- {
		x.w[i], r = bits.Div64(r, x.w[i], d)
	}
	// Round: compare the remainder r with d − r (no overflow: r < d).
	if half := d - r; r > half || (r == half && x.w[0]&1 == 1) {
		for i := range x.w {
			var c uint64
			x.w[i], c = bits.Add64(x.w[i], 1, 0)
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
	b := newQuoBase(coef, e)
	return b.quoFast(a, smallFactorOf(n1), smallFactorOf(n2), smallFactorOf(d1), smallFactorOf(d2))
}

// quoBase is coef × 10^e prepared once for the scaledQuo of several columns.
type quoBase struct {
	coef *big.Int
	e    int
	x    u256   // |coef| × 10^max(e, 0), when ok
	dpow uint64 // 10^max(−e, 0), when ok
	neg  bool   // coef < 0
	ok   bool   // x and dpow are set: coef fits 64 bits and −19 ≤ e ≤ 38
}

func newQuoBase(coef *big.Int, e int) quoBase {
	b := quoBase{coef: coef, e: e}
	if bits.UintSize != 64 || !coef.IsInt64() || e < -19 || e > 38 {
		return b
	}
	c := coef.Int64()
	b.neg = c < 0
	b.x.n = 1
	if b.neg {
		b.x.w[0] = uint64(-c) // -MinInt64 wraps to 1<<63, its magnitude
	} else {
		b.x.w[0] = uint64(c)
	}
	for up := e; up > 0; up -= 19 {
		if !b.x.mul(pow10u64[min(up, 19)]) {
			return b
		}
	}
	b.dpow = 1
	if e < 0 {
		b.dpow = pow10u64[-e]
	}
	b.ok = true
	return b
}

// factor is a non-negative integer factor of scaledQuo: b (nil means 1) and, in u, its value
// when it fits 64 bits (u is then b's value; ok says whether it fits).
type factor struct {
	b  *big.Int
	u  uint64
	ok bool
}

// smallFactorOf returns x as a factor.
func smallFactorOf(x *big.Int) factor {
	u, ok := smallFactor(x)
	return factor{b: x, u: u, ok: ok}
}

// factorOne is the factor 1.
var factorOne = factor{u: 1, ok: true}

// quo returns scaledQuoIn(a, b.coef, b.e, n1.b, n2.b, d1.b, d2.b): the fast path with the
// invariant part precomputed, or, when it does not apply, scaledQuoIn itself.
func (b *quoBase) quo(a *fixedArena, n1, n2, d1, d2 factor) (*big.Int, error) {
	if q, ok := b.quoFast(a, n1, n2, d1, d2); ok {
		return q, nil
	}
	return scaledQuoIn(a, b.coef, b.e, n1.b, n2.b, d1.b, d2.b)
}

// quoFast is scaledQuoFast for the prepared coef × 10^e.
func (b *quoBase) quoFast(a *fixedArena, n1, n2, d1, d2 factor) (*big.Int, bool) {
	if !b.ok || !n1.ok || !n2.ok || !d1.ok || !d2.ok || d1.u == 0 || d2.u == 0 {
		return nil, false
	}
	x := b.x
	if n1.u != 1 && !x.mul(n1.u) || n2.u != 1 && !x.mul(n2.u) {
		return nil, false
	}
	hi, d := bits.Mul64(b.dpow, d1.u)
	if hi != 0 {
		return nil, false
	}
	if hi, d = bits.Mul64(d, d2.u); hi != 0 {
		return nil, false
	}
	x.divRound(d)
	if !x.below38() {
		return nil, false // out of range: let the big path report it
	}
	q, words, ok := a.next()
	if !ok {
		q, words = new(big.Int), make([]big.Word, 2)
	}
	words[0], words[1] = big.Word(x.w[0]), big.Word(x.w[1])
	q.SetBits(words) // never nil Bits: see fixedArena
	if b.neg {
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
