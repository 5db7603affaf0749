package transform

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// roundOracle rounds x half to even to 18 places using the exact decimal expansion of x, computed
// digit by digit with long division on strings: an independent method from Round18.
func roundOracle(x *big.Rat) string {
	neg := x.Sign() < 0
	num := new(big.Int).Abs(x.Num())
	den := x.Denom()
	ip, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	var frac strings.Builder
	ten := big.NewInt(10)
	for i := 0; i < 19; i++ {
		rem.Mul(rem, ten)
		q, r := new(big.Int).QuoRem(rem, den, new(big.Int))
		frac.WriteString(q.String())
		rem = r
	}
	digits := ip.String() + frac.String()[:18]
	d19 := frac.String()[18]
	restNonZero := rem.Sign() != 0
	last := digits[len(digits)-1] - '0'
	up := d19 > '5' || (d19 == '5' && (restNonZero || last%2 == 1))
	n, _ := new(big.Int).SetString(digits, 10)
	if up {
		n.Add(n, big.NewInt(1))
	}
	if neg {
		n.Neg(n)
	}
	return FormatFixed18(n)
}

func TestRound18(t *testing.T) {
	tests := []struct {
		in   string // big.Rat text
		want string
	}{
		{"0", "0.000000000000000000"},
		{"1", "1.000000000000000000"},
		{"1/3", "0.333333333333333333"},
		{"2/3", "0.666666666666666667"},
		{"-2/3", "-0.666666666666666667"},
		{"0.0000000000000000005", "0.000000000000000000"},     // tie, 0 is even
		{"0.0000000000000000015", "0.000000000000000002"},     // tie, up to even
		{"0.0000000000000000025", "0.000000000000000002"},     // tie, down to even
		{"0.00000000000000000250001", "0.000000000000000003"}, // just above tie
		{"0.0000000000000000024999", "0.000000000000000002"},
		{"-0.0000000000000000015", "-0.000000000000000002"},
		{"-0.0000000000000000025", "-0.000000000000000002"},
		{"-0.00000000000000000250001", "-0.000000000000000003"},
		{"42500/12", "3541.666666666666666667"},
		{"99999999999999999999.999999999999999999", "99999999999999999999.999999999999999999"},
		{"-99999999999999999999.999999999999999999", "-99999999999999999999.999999999999999999"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			x, _ := new(big.Rat).SetString(tc.in)
			got, err := Round18(x)
			if err != nil {
				t.Fatal(err)
			}
			if s := FormatFixed18(got); s != tc.want {
				t.Errorf("Round18(%s) = %s, want %s", tc.in, s, tc.want)
			}
			if o := roundOracle(x); o != tc.want {
				t.Errorf("oracle disagrees with table: %s", o)
			}
		})
	}
}

func TestRound18OutOfRange(t *testing.T) {
	for _, in := range []string{
		"100000000000000000000", "-100000000000000000000", "1e30",
		"99999999999999999999.9999999999999999995", // rounds up to 10^20
	} {
		x, _ := new(big.Rat).SetString(in)
		if _, err := Round18(x); CodeOf(err) != CodeOutOfRange {
			t.Errorf("Round18(%s): got %v, want out_of_range", in, err)
		}
	}
}

func TestRound18Random(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		num, _ := new(big.Int).SetString(randDigits(rng, rng.IntN(40)+1), 10)
		if rng.IntN(2) == 0 {
			num.Neg(num)
		}
		var den *big.Int
		switch rng.IntN(3) {
		case 0: // exact ties and near ties at the 19th digit
			den = new(big.Int).Mul(pow10(19), big.NewInt(int64(rng.IntN(3)+1)))
		default:
			den = big.NewInt(rng.Int64N(1<<40) + 1)
		}
		x := new(big.Rat).SetFrac(num, den)
		got, err := Round18(x)
		abs := new(big.Rat).Abs(x)
		if abs.Cmp(new(big.Rat).SetInt(pow10(20))) >= 0 {
			if err == nil {
				t.Fatalf("Round18(%s) accepted out-of-range value", x.RatString())
			}
			continue
		}
		want := roundOracle(x)
		if err != nil {
			if len(strings.TrimPrefix(strings.Split(want, ".")[0], "-")) <= 20 {
				t.Fatalf("Round18(%s): %v (oracle %s)", x.RatString(), err, want)
			}
			continue
		}
		if FormatFixed18(got) != want {
			t.Fatalf("Round18(%s) = %s, oracle %s", x.RatString(), FormatFixed18(got), want)
		}
	}
}

func randDigits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}

func TestFormatFixed18(t *testing.T) {
	tests := map[string]string{
		"0":                      "0.000000000000000000",
		"1":                      "0.000000000000000001",
		"-1":                     "-0.000000000000000001",
		"243531202435312024":     "0.243531202435312024",
		"1000000000000000000":    "1.000000000000000000",
		"-123456789000000000000": "-123.456789000000000000",
	}
	for in, want := range tests {
		n, _ := new(big.Int).SetString(in, 10)
		if got := FormatFixed18(n); got != want {
			t.Errorf("FormatFixed18(%s) = %s, want %s", in, got, want)
		}
	}
	if FormatFixed18(nil) != "" {
		t.Error("nil should format as empty")
	}
}
