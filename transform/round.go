package transform

import "math/big"

// fixed18Limit = 10^38: the smallest magnitude, scaled by 10^18, that does not fit Decimal(38, 18).
var fixed18Limit = pow10(MaxPrecision)

// Round18 rounds the exact rational x ONCE, half to even, to 18 fractional digits and returns it as
// a new integer scaled by 10^18 (so 1.5 becomes 1500000000000000000).
//
// It returns an *Error with CodeOutOfRange if the rounded result needs more than 38 digits in total
// (|x| ≥ 10^20 or rounds up to it), i.e. does not fit Decimal(38, 18). A nil x is zero.
func Round18(x *big.Rat) (*big.Int, error) {
	if x == nil {
		return new(big.Int), nil
	}
	num := new(big.Int).Mul(x.Num(), pow10(MaxScale))
	var q *big.Int
	if x.IsInt() {
		q = num
	} else {
		q = roundHalfEven(num, x.Denom())
	}
	if q.CmpAbs(fixed18Limit) >= 0 {
		return nil, outOfRange18(q)
	}
	return q, nil
}

// roundHalfEven returns num/den rounded half to even, den > 0. It does not modify its arguments.
func roundHalfEven(num, den *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int)) // truncated toward zero; r has num's sign
	if r.Sign() == 0 {
		return q
	}
	r.Abs(r).Lsh(r, 1) // 2|r|
	c := r.Cmp(den)
	if c > 0 || (c == 0 && q.Bit(0) == 1) {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// FormatFixed18 returns x, an integer scaled by 10^18, as plain decimal text with exactly 18
// fractional digits, e.g. 243531202435312024 → "0.243531202435312024". A nil x returns "".
func FormatFixed18(x *big.Int) string {
	if x == nil {
		return ""
	}
	var stack [48]byte
	digits := x.Append(stack[:0], 10)
	neg := false
	if digits[0] == '-' {
		neg = true
		digits = digits[1:]
	}
	return formatScaled(neg, digits, MaxScale)
}
