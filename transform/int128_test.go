package transform

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// fromInt128 is the oracle's reading of a two's-complement 128-bit integer.
func fromInt128(lo, hi uint64) *big.Int {
	x := new(big.Int).Lsh(new(big.Int).SetUint64(hi), 64)
	x.Or(x, new(big.Int).SetUint64(lo))
	if hi>>63 == 1 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	return x
}

// randBigDigits returns a random integer of the given number of decimal digits and a random sign.
func randBigDigits(r *rand.Rand, digits int) *big.Int {
	var sb strings.Builder
	for range digits {
		sb.WriteByte(byte('0' + r.IntN(10)))
	}
	x, _ := new(big.Int).SetString(sb.String(), 10)
	if r.IntN(2) == 0 {
		x.Neg(x)
	}
	return x
}

func TestFixed18Int128(t *testing.T) {
	one := big.NewInt(1)
	lim := new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil)
	edges := []*big.Int{new(big.Int), one, big.NewInt(-1), new(big.Int).Sub(lim, one), new(big.Int).Neg(new(big.Int).Sub(lim, one)),
		new(big.Int).Lsh(one, 63), new(big.Int).Neg(new(big.Int).Lsh(one, 63)), new(big.Int).Sub(new(big.Int).Lsh(one, 63), one),
		new(big.Int).Lsh(one, 64), new(big.Int).Neg(new(big.Int).Lsh(one, 64)), new(big.Int).Sub(new(big.Int).Lsh(one, 64), one)}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		edges = append(edges, randBigDigits(r, 1+r.IntN(38)))
	}
	for _, x := range edges {
		lo, hi, ok := Fixed18Int128(x)
		if !ok {
			t.Fatalf("Fixed18Int128(%s) refused", x)
		}
		if got := fromInt128(lo, hi); got.Cmp(x) != 0 {
			t.Fatalf("Fixed18Int128(%s) = %s", x, got)
		}
	}
	for _, x := range []*big.Int{lim, new(big.Int).Neg(lim), new(big.Int).Add(lim, one), new(big.Int).Lsh(one, 127), new(big.Int).Lsh(one, 128),
		new(big.Int).Sub(new(big.Int).Lsh(one, 128), one), new(big.Int).Lsh(one, 200)} {
		if _, _, ok := Fixed18Int128(x); ok {
			t.Errorf("Fixed18Int128(%s) accepted: it does not fit Decimal(38, 18)", x)
		}
	}
}

func TestDecimalFixed18Int128(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	lim := new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil)
	var cases []Decimal
	for _, s := range []string{"0", "1", "-1", "0.000000000000000001", "-0.000000000000000001", "99999999999999999999.999999999999999999",
		"-99999999999999999999.999999999999999999", "9223372036854775807", "-9223372036854775808", "922337203685477580.7",
		"18446744073709551616", "123456789012.123456", "120.50", "100000000000000000000", "-100000000000000000000"} {
		coef, scale := strings.ReplaceAll(s, ".", ""), 0
		if i := strings.IndexByte(s, '.'); i >= 0 {
			scale = len(s) - i - 1
		}
		c, _ := new(big.Int).SetString(coef, 10)
		cases = append(cases, Decimal{Coef: c, Scale: int32(scale)})
	}
	for range 20000 {
		cases = append(cases, Decimal{Coef: randBigDigits(r, 1+r.IntN(40)), Scale: int32(r.IntN(19))})
	}
	cases = append(cases, Decimal{}) // nil Coef: 0
	for _, d := range cases {
		lo, hi, ok := d.Fixed18Int128()
		// The oracle: coefficient × 10^(18 − scale), exactly, with math/big.
		want := new(big.Int).Mul(d.coef(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(MaxScale-d.Scale)), nil))
		if fits := want.CmpAbs(lim) < 0; !fits {
			if ok {
				t.Fatalf("%s.Fixed18Int128() accepted although %s×10^-18 does not fit Decimal(38, 18)", d, want)
			}
			continue
		}
		if !ok {
			t.Fatalf("%s.Fixed18Int128() refused", d)
		}
		if got := fromInt128(lo, hi); got.Cmp(want) != 0 {
			t.Fatalf("%s.Fixed18Int128() = %s×10^-18, want %s", d, got, want)
		}
	}
	for _, scale := range []int32{-1, 19} {
		if _, _, ok := (Decimal{Coef: big.NewInt(1), Scale: scale}).Fixed18Int128(); ok {
			t.Errorf("a scale of %d was accepted", scale)
		}
	}
}
