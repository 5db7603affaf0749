package transform

import (
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// Tests of the fast paths' building blocks against the straightforward code they replace.

func TestMatchKey(t *testing.T) {
	// The oracle: the field whose name is exactly name, by a scan of the field table.
	fieldNamed := func(name string) (fieldID, bool) {
		for id, spec := range fieldSpecs {
			if spec.name == name {
				return fieldID(id), true
			}
		}
		return 0, false
	}
	tails := []string{`"`, `":1}`, `":"x","kind":"wage"}`, `_"`, `x"`, `"` + strings.Repeat(" ", 20), ``, `\"`}
	var inputs []string
	for _, spec := range fieldSpecs {
		for _, tail := range tails {
			inputs = append(inputs, spec.name+tail, spec.name[:len(spec.name)-1]+tail, strings.ToUpper(spec.name)+tail,
				spec.name[:2]+tail, "\x00"+spec.name+tail)
		}
	}
	inputs = append(inputs, "", `"`, `unit_mult"`, `unit_"`, `rate_typ"`, `basis"`, `bas"`, `quantity"`, `published_at`, `x`,
		"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "\x00\x00\x00", `""`, `published_at_x"`)
	for _, in := range inputs {
		for _, b := range []string{in, in + strings.Repeat("#", 16)} {
			// What readKey finds: the bytes up to the first '"', when there is no escape before it.
			wantID, wantOK := fieldID(0), false
			if i := strings.IndexAny(b, `"\`); i >= 0 && b[i] == '"' {
				wantID, wantOK = fieldNamed(b[:i])
			}
			id, ok := matchKey([]byte(b))
			if ok != wantOK || ok && id != wantID {
				t.Fatalf("matchKey(%q) = %d %v, want %d %v", b, id, ok, wantID, wantOK)
			}
			// lookupField takes the whole text as the name, '"' included.
			wantID, wantOK = fieldNamed(b)
			if id, ok := lookupField(b); ok != wantOK || ok && id != wantID {
				t.Fatalf("lookupField(%q) = %d %v, want %d %v", b, id, ok, wantID, wantOK)
			}
		}
	}
	for id, spec := range fieldSpecs {
		if got, ok := lookupField([]byte(spec.name)); !ok || got != fieldID(id) {
			t.Errorf("lookupField(%q) = %d %v, want %d", spec.name, got, ok, id)
		}
	}
}

func TestStringEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	alphabet := []byte("ab\"\\\x00\x1f \x7f\xc3\xa9\x80\xff\x20\x21\x5b\x5d")
	for i := 0; i < 200000; i++ {
		b := make([]byte, rng.IntN(40))
		for j := range b {
			if rng.IntN(4) == 0 {
				b[j] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[j] = byte('a' + rng.IntN(26))
			}
		}
		start := 0
		if len(b) > 0 {
			start = rng.IntN(len(b) + 1)
		}
		want := len(b)
		for j := start; j < len(b); j++ {
			if c := b[j]; c == '"' || c == '\\' || c < 0x20 {
				want = j
				break
			}
		}
		if got := stringEnd(b, start); got != want {
			t.Fatalf("stringEnd(%q, %d) = %d, want %d", b, start, got, want)
		}
		wantASCII := len(b)
		for j := start; j < len(b); j++ {
			if c := b[j]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				wantASCII = j
				break
			}
		}
		if got := stringEndASCII(b, start); got != wantASCII {
			t.Fatalf("stringEndASCII(%q, %d) = %d, want %d", b, start, got, wantASCII)
		}
	}
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 17; pos++ {
			b := []byte(strings.Repeat("x", 17))
			b[pos] = byte(c)
			want := len(b)
			if c == '"' || c == '\\' || c < 0x20 {
				want = pos
			}
			if got := stringEnd(b, 0); got != want {
				t.Fatalf("byte %#x at %d: %d, want %d", c, pos, got, want)
			}
		}
	}
}

func TestDaysFromCivil(t *testing.T) {
	for y := -800; y <= 10000; y++ {
		for m := 1; m <= 12; m++ {
			for _, d := range []int{1, 15, daysIn(y, m)} {
				want := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
				if got := daysFromCivil(y, m, d); got != want {
					t.Fatalf("%d-%d-%d: %d, want %d", y, m, d, got, want)
				}
			}
		}
	}
}

func TestUnitFrac(t *testing.T) {
	for _, u := range []string{UnitLitre, Unit1000Litres, UnitUSGallon, UnitImpGallon, UnitBarrel, UnitKg, UnitTonne, "", "litres", "Kg"} {
		for _, volume := range []bool{true, false} {
			m := kgPerUnitFrac
			if volume {
				m = litresPerUnitFrac
			}
			want, wantOK := m[u]
			got, ok := unitFrac(u, volume)
			if ok != wantOK || (ok && (got.num.b.Cmp(want.num) != 0 || got.den.b.Cmp(want.den) != 0 ||
				!got.num.ok || !got.den.ok || got.num.u != want.num.Uint64() || got.den.u != want.den.Uint64())) {
				t.Fatalf("unitFrac(%q, %v) = %v %v, want %v %v", u, volume, got, ok, want, wantOK)
			}
		}
	}
}

func TestRatHelpers(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 23))
	randInt := func() *big.Int {
		switch rng.IntN(4) {
		case 0:
			return big.NewInt(1 + rng.Int64N(1000))
		case 1:
			return new(big.Int).SetUint64(1 + rng.Uint64()>>rng.IntN(64))
		case 2:
			return new(big.Int).Lsh(big.NewInt(1+rng.Int64N(1<<40)), uint(rng.IntN(100)))
		}
		return new(big.Int).SetUint64(1<<64 - 1 - rng.Uint64N(3))
	}
	for i := 0; i < 50000; i++ {
		x := new(big.Rat).SetFrac(randInt(), randInt())
		y := new(big.Rat).SetFrac(randInt(), randInt())
		if rng.IntN(5) == 0 {
			x.Neg(x)
		}
		c := cloneRat(x)
		if c.Cmp(x) != 0 || c.String() != x.String() {
			t.Fatalf("cloneRat(%v) = %v", x, c)
		}
		// The clone shares nothing: changing it leaves x alone, and its numerator and denominator
		// do not overlap.
		before := x.String()
		c.Num().Add(c.Num(), big.NewInt(12345))
		c.Denom().Mul(c.Denom(), big.NewInt(7))
		if x.String() != before {
			t.Fatalf("changing the clone of %s changed it to %s", before, x)
		}
		if want := new(big.Rat).SetFrac(new(big.Int).Add(x.Num(), big.NewInt(12345)), new(big.Int).Mul(x.Denom(), big.NewInt(7))); c.Cmp(want) != 0 {
			t.Fatalf("clone arithmetic: %v, want %v", c, want)
		}
		ax, ay := new(big.Rat).Abs(x), new(big.Rat).Abs(y)
		m := mulRat(ax, ay)
		want := new(big.Rat).Mul(ax, ay)
		if m.Cmp(want) != 0 || m.String() != want.String() {
			t.Fatalf("mulRat(%v, %v) = %v, want %v", ax, ay, m, want)
		}
		m.Num().Add(m.Num(), big.NewInt(1))
		if ax.Cmp(new(big.Rat).Abs(x)) != 0 {
			t.Fatal("mulRat result aliases its argument")
		}
	}
	if r := newRat(1, 1); r.Cmp(big.NewRat(1, 1)) != 0 || r.String() != "1/1" {
		t.Fatalf("newRat(1, 1) = %v", r)
	}
	if ratTemplate.Cmp(big.NewRat(1, 2)) != 0 {
		t.Fatalf("ratTemplate changed to %v", ratTemplate)
	}
}

func TestDecoderInternBounded(t *testing.T) {
	var d Decoder
	var last []string
	for i := 0; i < 5000; i++ {
		v := strings.Repeat("s", i%90) + string(rune('a'+i%26)) + strings.Repeat("t", i%7)
		got := d.str(fSource, []byte(v))
		if got != v {
			t.Fatalf("str(%q) = %q", v, got)
		}
		last = append(last, got)
	}
	for i := range d.intern {
		for _, s := range d.intern[i] {
			if len(s) > maxInternBytes {
				t.Fatalf("interned %d bytes", len(s))
			}
		}
	}
	// The previous value of a field is always reused, short or long.
	for _, v := range []string{"KZ", strings.Repeat("L", 100), "KZ"} {
		a := d.str(fCountry, []byte(v))
		b := d.str(fCountry, []byte(v))
		if a != v || b != v || unsafe.StringData(a) != unsafe.StringData(b) {
			t.Fatalf("%.10q: previous value not reused", v)
		}
	}
	_ = last
}

func TestCivilFromDays(t *testing.T) {
	for z := int64(-1_000_000); z <= 3_000_000; z += 1 + z%3&1 {
		tm := time.Unix(z*86400, 0).UTC()
		y, m, d := civilFromDays(z)
		if wy, wm, wd := tm.Date(); y != wy || m != int(wm) || d != wd {
			t.Fatalf("%d: %d-%d-%d, want %v", z, y, m, d, tm)
		}
		if back := daysFromCivil(y, m, d); back != z {
			t.Fatalf("%d -> %d-%d-%d -> %d", z, y, m, d, back)
		}
	}
}

func TestFixedArenaSlots(t *testing.T) {
	if n := unsafe.Sizeof(fixedArena{}); n != 192 {
		t.Errorf("fixedArena is %d bytes, want 192 (a size class)", n)
	}
	a := new(fixedArena)
	seen := map[*big.Int]bool{}
	for i, c := range []int64{0, 5, 0, -7} { // zero results must not free their slot
		q, err := scaledQuoIn(a, big.NewInt(c), 0, nil, nil, nil, nil)
		if err != nil || q.Int64() != c || seen[q] {
			t.Fatalf("result %d: %v %v (reused: %v)", i, q, err, seen[q])
		}
		seen[q] = true
	}
	if _, _, ok := a.next(); ok {
		t.Fatal("a full arena gave a fifth slot")
	}
	if q, err := scaledQuoIn(a, big.NewInt(3), 0, nil, nil, nil, nil); err != nil || q.Int64() != 3 || seen[q] {
		t.Fatalf("after the arena is full: %v %v", q, err)
	}
	for q := range seen {
		if !map[int64]bool{0: true, 5: true, -7: true}[q.Int64()] {
			t.Fatalf("a result changed to %v", q)
		}
	}
}

// TestQuoBaseMatchesBig checks the prepared fast path of Normalize's columns against math/big.
func TestQuoBaseMatchesBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 25))
	ints := func() *big.Int {
		switch rng.IntN(7) {
		case 0:
			return nil
		case 1:
			return big.NewInt(rng.Int64N(3))
		case 2:
			return new(big.Int).SetUint64(rng.Uint64())
		case 3:
			return new(big.Int).SetUint64(1<<64 - 1)
		case 4:
			return new(big.Int).Lsh(big.NewInt(1+rng.Int64N(1000)), 64)
		}
		return big.NewInt(1 + rng.Int64N(1<<uint(1+rng.IntN(40))))
	}
	for i := 0; i < 200000; i++ {
		var coef *big.Int
		switch rng.IntN(4) {
		case 0:
			coef = big.NewInt(rng.Int64())
		case 1:
			coef = big.NewInt(-rng.Int64())
		case 2:
			coef = big.NewInt(rng.Int64N(1000) - 500)
		default:
			coef = new(big.Int).Lsh(big.NewInt(rng.Int64N(1000)-500), uint(rng.IntN(80)))
		}
		e := rng.IntN(80) - 30
		n1, n2, d1, d2 := ints(), ints(), ints(), ints()
		if d1 != nil && d1.Sign() == 0 || d2 != nil && d2.Sign() == 0 {
			continue
		}
		want, wantErr := scaledQuoBig(coef, e, n1, n2, d1, d2)
		b := newQuoBase(coef, e)
		a := new(fixedArena)
		got, err := b.quo(a, smallFactorOf(n1), smallFactorOf(n2), smallFactorOf(d1), smallFactorOf(d2))
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) || (err == nil && got.Cmp(want) != 0) {
			t.Fatalf("%v×10^%d×%v×%v/(%v×%v): %v %v, want %v %v", coef, e, n1, n2, d1, d2, got, err, want, wantErr)
		}
	}
}

func TestAppendVarint(t *testing.T) {
	for v := int64(-300); v <= 300; v++ {
		for _, x := range []int64{v, v << 40, -v << 40} {
			if got, want := appendVarint([]byte("p"), x), binary.AppendVarint([]byte("p"), x); string(got) != string(want) {
				t.Fatalf("%d: %x, want %x", x, got, want)
			}
		}
	}
}

func TestPreparedFactors(t *testing.T) {
	if !oneE18.ok || oneE18.x.w[0] != 1e18 || oneE18.x.n != 1 || oneE18.dpow != 1 {
		t.Fatalf("oneE18 = %+v", oneE18)
	}
	for i, u := range unitFracs {
		if !u.num.ok || !u.den.ok || u.num.u == 0 || u.den.u == 0 {
			t.Fatalf("unit %d: %+v", i, u)
		}
	}
}

// BenchmarkMatchKey: finding the field of each key of benchPrice, as decodeOnePass does (the
// message from the byte after the key's opening quote), per key.
func BenchmarkMatchKey(b *testing.B) {
	var keys [][]byte
	for i := 0; i+1 < len(benchPrice); i++ {
		if (benchPrice[i] == '{' || benchPrice[i] == ',') && benchPrice[i+1] == '"' {
			keys = append(keys, benchPrice[i+2:])
		}
	}
	var sum fieldID
	b.ResetTimer()
	for range b.N {
		for _, k := range keys {
			id, ok := matchKey(k)
			if !ok {
				b.Fatalf("no field for %q", k)
			}
			sum += id
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
	if sum == 255 {
		b.Log(sum)
	}
}
