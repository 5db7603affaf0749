package transform

import (
	"math/big"
	"strconv"
)

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

// outOfRange18 is the error for q, an integer scaled by 10^18 of magnitude 10^38 or more.
func outOfRange18(q *big.Int) *Error {
	digits := len(q.Text(10)) - MaxScale
	if q.Sign() < 0 {
		digits--
	}
	return &Error{Code: CodeOutOfRange, Reason: "the value has " + itoa(int64(digits)) + " integer digits; Decimal(38,18) holds at most 20 (magnitude below 10^20)"}
}

// formatScaled writes digits (no sign) as a decimal with scale fractional digits.
func formatScaled(neg bool, digits []byte, scale int) string {
	if scale <= 0 {
		if neg {
			return "-" + string(digits)
		}
		return string(digits)
	}
	pad := scale + 1 - len(digits)
	if pad < 0 {
		pad = 0
	}
	out := make([]byte, 0, len(digits)+pad+2)
	if neg {
		out = append(out, '-')
	}
	for i := 0; i < pad; i++ {
		out = append(out, '0')
	}
	out = append(out, digits...)
	k := len(out) - scale
	out = append(out, 0)
	copy(out[k+1:], out[k:])
	out[k] = '.'
	return string(out)
}

// pow10Int[i] = 10^i for 0 ≤ i ≤ 2*MaxPrecision. Read-only.
var pow10Int = func() []*big.Int {
	t := make([]*big.Int, 2*MaxPrecision+1)
	t[0] = big.NewInt(1)
	ten := big.NewInt(10)
	for i := 1; i < len(t); i++ {
		t[i] = new(big.Int).Mul(t[i-1], ten)
	}
	return t
}()

// pow10 returns 10^n for 0 ≤ n; the result for n ≤ 76 is shared and must not be modified.
func pow10(n int) *big.Int {
	if n < len(pow10Int) {
		return pow10Int[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
