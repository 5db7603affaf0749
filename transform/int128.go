package transform

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

// Decimal(38, 18) is stored by ClickHouse as Decimal128: the value scaled by 10^18, a
// two's-complement 128-bit integer. These functions give a value in that form, with the same
// 10^38 limit (below38) as the fast path of scaledQuo.

// Fixed18Int128 returns d scaled by 10^18 as a two's-complement 128-bit integer (lo holds the
// least significant 64 bits), the value Fixed18 returns, without allocating when the coefficient
// fits 64 bits. ok is false when Scale is outside 0…18 or d does not fit Decimal(38, 18). The zero
// Decimal (nil Coef) is 0 whatever its Scale.
func (d Decimal) Fixed18Int128() (lo, hi uint64, ok bool) {
	if d.Coef == nil {
		return 0, 0, true
	}
	if d.Scale < 0 || d.Scale > MaxScale {
		return 0, 0, false
	}
	if !d.Coef.IsInt64() {
		return Fixed18Int128(d.Fixed18())
	}
	c := d.Coef.Int64()
	abs := uint64(c)
	if c < 0 {
		abs = -abs // -MinInt64 wraps to 1<<63, its magnitude
	}
	hi, lo = bits.Mul64(abs, pow10u64[MaxScale-int(d.Scale)])
	if !below38(hi, lo) {
		return 0, 0, false
	}
	if c < 0 {
		lo, hi = negate128(lo, hi)
	}
	return lo, hi, true
}

// Fixed18Int128 returns x, an integer scaled by 10^18 (as Fixed18 and the Derived columns hold
// values), as a two's-complement 128-bit integer (lo holds the least significant 64 bits); ok is
// false when |x| ≥ 10^38, i.e. x does not fit Decimal(38, 18).
func Fixed18Int128(x *big.Int) (lo, hi uint64, ok bool) {
	if x.IsInt64() {
		v := x.Int64()
		return uint64(v), uint64(v >> 63), true
	}
	if bits.UintSize == 64 { // |x| from its words, least significant first
		switch w := x.Bits(); len(w) {
		case 1:
			lo = uint64(w[0])
		case 2:
			lo, hi = uint64(w[0]), uint64(w[1])
		default:
			return 0, 0, false
		}
		if !below38(hi, lo) {
			return 0, 0, false
		}
	} else {
		if x.CmpAbs(fixed18Limit) >= 0 {
			return 0, 0, false
		}
		var b [16]byte
		x.FillBytes(b[:]) // |x|, big-endian
		hi, lo = binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	}
	if x.Sign() < 0 {
		lo, hi = negate128(lo, hi)
	}
	return lo, hi, true
}

// negate128 returns −(hi·2^64 + lo) in two's complement.
func negate128(lo, hi uint64) (uint64, uint64) {
	lo, borrow := bits.Sub64(0, lo, 0)
	hi, _ = bits.Sub64(0, hi, borrow)
	return lo, hi
}
