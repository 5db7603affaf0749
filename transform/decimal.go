package transform

import (
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Limits of Decimal(38, 18), the ClickHouse type every decimal is stored in.
const (
	// MaxScale is the greatest number of fractional digits a Decimal may have.
	MaxScale = 18
	// MaxPrecision is the greatest number of significant digits a Decimal may have.
	MaxPrecision = 38
	// MaxIntegerDigits is the greatest number of integer digits a Decimal may have.
	MaxIntegerDigits = MaxPrecision - MaxScale
	// maxExponent bounds the magnitude of an exponent; anything larger is rejected before any
	// arithmetic so that "1e999999999" costs nothing.
	maxExponent = 9999
)

// Decimal is an exact decimal number: Coef × 10^-Scale, with 0 ≤ Scale ≤ 18.
//
// Trailing zeros are kept as written: "120.50" has Coef 12050 and Scale 2, "120.5" has Coef 1205
// and Scale 1; both have the same value. The zero Decimal (nil Coef) is 0.
type Decimal struct {
	Coef  *big.Int
	Scale int32
}

// ParseDecimal reads s exactly.
//
// Accepted: an optional leading '-', one or more digits, optionally '.' followed by one or more
// digits, optionally an exponent 'e' or 'E', an optional sign and one or more digits. This is the
// JSON number grammar except that leading zeros are allowed ("007" is 7). The exponent is applied
// exactly: "1.205E2" is 120.5 with Scale max(0, fractional digits − exponent) = 1.
//
// Rejected with CodeBadDecimal: the empty string, white space anywhere, a '+' sign, NaN and
// infinities, hexadecimal, thousands separators ("42 500", "42,500"), decimal commas ("120,5") and a
// '.' without digits on both sides (".5" and "5." — JSON numbers never have them).
//
// Rejected with CodeOutOfRange: a value needing more than 18 fractional digits, more than 38
// significant digits or more than 20 integer digits (it does not fit Decimal(38, 18)), and an
// exponent of magnitude above 9999. Nothing is ever rounded. Trailing fractional zeros beyond the
// 18th are dropped, since they do not change the value ("1.0000000000000000000" has Scale 18).
func ParseDecimal(s string) (Decimal, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return Decimal{}, err
	}
	return d, nil
}

// parseDecimal is ParseDecimal for a string or the bytes of a message.
func parseDecimal[T string | []byte](s T) (Decimal, *Error) {
	if d, ok := parseDecimalFast(s); ok {
		return d, nil
	}
	return parseDecimalSlow(s)
}

// parseDecimalFast reads the common case of ParseDecimal without math/big arithmetic: an optional
// '-', integer digits and optionally '.' and 1–18 fractional digits, no exponent, and at most 19
// digits from the first non-zero one (so the coefficient is below 10^19 and fits a uint64). For
// such input ParseDecimal's general algorithm keeps every digit from the first non-zero one as the
// coefficient and the number of fractional digits as the scale, and no limit can be exceeded
// (19 significant digits ≤ 38, 19 integer digits ≤ 20, scale ≤ 18); this computes exactly that.
// Anything else returns ok false and is left to parseDecimalSlow, which also produces every error.
// The tests check that the two agree, and equal math/big.Rat's reading, on random and edge-case
// input, and FuzzParseDecimal on fuzzed input.
func parseDecimalFast[T string | []byte](s T) (d Decimal, ok bool) {
	return parseDecimalFastIn(s, nil)
}

// parseDecimalFastIn is parseDecimalFast with the coefficient stored in box (nil: allocated).
func parseDecimalFastIn[T string | []byte](s T, box *coefBox) (d Decimal, ok bool) {
	i, neg := 0, false
	if len(s) > 0 && s[0] == '-' {
		i, neg = 1, true
	}
	var u uint64
	sig := 0 // digits from the first non-zero one
	start := i
	for ; i < len(s) && isDigit(s[i]); i++ {
		if c := s[i]; sig > 0 || c != '0' {
			u = u*10 + uint64(c-'0') // wraps only when sig > 19, which is rejected below
			sig++
		}
	}
	if i == start {
		return Decimal{}, false
	}
	scale := 0
	if i < len(s) && s[i] == '.' {
		i++
		fracStart := i
		for ; i < len(s) && isDigit(s[i]); i++ {
			if c := s[i]; sig > 0 || c != '0' {
				u = u*10 + uint64(c-'0')
				sig++
			}
		}
		scale = i - fracStart
		if scale == 0 || scale > MaxScale {
			return Decimal{}, false
		}
	}
	if i != len(s) || sig > 19 {
		return Decimal{}, false
	}
	if box != nil {
		return Decimal{Coef: coefIn(box, u, neg), Scale: int32(scale)}, true
	}
	if u == 0 {
		return Decimal{Coef: new(big.Int), Scale: int32(scale)}, true
	}
	return Decimal{Coef: newCoef(u, neg), Scale: int32(scale)}, true
}

// coefIn returns −u (neg) or u as a big.Int stored in b, as newCoef does without allocating.
func coefIn(b *coefBox, u uint64, neg bool) *big.Int {
	if bits.UintSize != 64 {
		if u == 0 {
			return new(big.Int)
		}
		return newCoef(u, neg)
	}
	if u == 0 {
		b.x = big.Int{} // as new(big.Int): no words
		return &b.x
	}
	return setCoef(b, u, neg)
}

// coefBox is a big.Int with room for a coefficient below 2^128 in the same allocation.
type coefBox struct {
	x big.Int
	w [2]big.Word
}

// newCoef returns -u (neg) or u, u ≠ 0, as a new big.Int, in one allocation.
func newCoef(u uint64, neg bool) *big.Int {
	if bits.UintSize != 64 {
		x := new(big.Int).SetUint64(u)
		if neg {
			x.Neg(x)
		}
		return x
	}
	return setCoef(new(coefBox), u, neg)
}

// setCoef stores −u (neg) or u, u ≠ 0, in b and returns it; 64-bit words only.
func setCoef(b *coefBox, u uint64, neg bool) *big.Int {
	b.w[0] = big.Word(u)
	b.x.SetBits(b.w[:1])
	if neg {
		b.x.Neg(&b.x)
	}
	return &b.x
}

// parseDecimalSlow is ParseDecimal's general algorithm: every notation, every limit and every error.
func parseDecimalSlow[T string | []byte](s T) (Decimal, *Error) {
	neg := false
	p := s
	if len(p) > 0 && p[0] == '-' {
		neg = true
		p = p[1:]
	}
	// Mantissa digits.
	i := 0
	for i < len(p) && isDigit(p[i]) {
		i++
	}
	intDigits := p[:i]
	fracDigits := p[:0]
	if i < len(p) && p[i] == '.' {
		j := i + 1
		for j < len(p) && isDigit(p[j]) {
			j++
		}
		fracDigits = p[i+1 : j]
		if len(intDigits) == 0 || len(fracDigits) == 0 {
			return Decimal{}, badDecimal(string(s), diagnose(string(s)))
		}
		i = j
	}
	if len(intDigits) == 0 {
		return Decimal{}, badDecimal(string(s), diagnose(string(s)))
	}
	exp := int64(0)
	if i < len(p) && (p[i] == 'e' || p[i] == 'E') {
		j := i + 1
		expNeg := false
		if j < len(p) && (p[j] == '+' || p[j] == '-') {
			expNeg = p[j] == '-'
			j++
		}
		k := j
		for k < len(p) && p[k] == '0' {
			k++
		}
		m := k
		for m < len(p) && isDigit(p[m]) {
			m++
		}
		if m == j || m != len(p) {
			return Decimal{}, badDecimal(string(s), diagnose(string(s)))
		}
		if m-k > 4 {
			return Decimal{}, outOfRangeDecimal(string(s), "its exponent is larger than 9999 in magnitude")
		}
		for x := k; x < m; x++ {
			exp = exp*10 + int64(p[x]-'0')
		}
		if exp > maxExponent {
			return Decimal{}, outOfRangeDecimal(string(s), "its exponent is larger than 9999 in magnitude")
		}
		if expNeg {
			exp = -exp
		}
		i = m
	}
	if i != len(p) {
		return Decimal{}, badDecimal(string(s), diagnose(string(s)))
	}

	// Work on the digit positions of mant = intDigits+fracDigits without building it.
	nMant := int64(len(intDigits) + len(fracDigits))
	digitAt := func(k int64) byte {
		if k < int64(len(intDigits)) {
			return intDigits[k]
		}
		return fracDigits[k-int64(len(intDigits))]
	}
	first, last := int64(-1), int64(-1)
	for k := int64(0); k < nMant; k++ {
		if digitAt(k) != '0' {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	pointPos := int64(len(intDigits)) + exp // digits of mant before the decimal point
	scale := nMant - pointPos               // fractional digits as written
	if scale < 0 {
		scale = 0
	}
	if first < 0 { // zero
		if scale > MaxScale {
			scale = MaxScale
		}
		return Decimal{Coef: new(big.Int), Scale: int32(scale)}, nil
	}
	if sig := last - first + 1; sig > MaxPrecision {
		return Decimal{}, outOfRangeDecimal(string(s), "it has "+itoa(sig)+" significant digits; at most 38 fit Decimal(38,18)")
	}
	if frac := last + 1 - pointPos; frac > MaxScale {
		return Decimal{}, outOfRangeDecimal(string(s), "it has "+itoa(frac)+" fractional digits"+expNote(exp)+"; at most 18 are accepted and values are never rounded")
	}
	if ints := pointPos - first; ints > MaxIntegerDigits {
		return Decimal{}, outOfRangeDecimal(string(s), "its integer part has "+itoa(ints)+" digits"+expNote(exp)+"; at most 20 fit Decimal(38,18)")
	}
	if scale > MaxScale {
		scale = MaxScale // only zeros are dropped: last nonzero digit is within 18 places
	}
	// Coefficient digits: mant[first : pointPos+scale], zero-padded on the right.
	end := pointPos + scale
	var buf [MaxPrecision + 1]byte
	n := 0
	for k := first; k < end; k++ {
		if k < nMant {
			buf[n] = digitAt(k)
		} else {
			buf[n] = '0'
		}
		n++
	}
	var coef *big.Int
	if n <= 18 {
		var u uint64
		for _, c := range buf[:n] {
			u = u*10 + uint64(c-'0')
		}
		return Decimal{Coef: newCoef(u, neg), Scale: int32(scale)}, nil // u ≠ 0: it starts at a non-zero digit
	}
	coef = new(big.Int)
	coef.SetString(string(buf[:n]), 10)
	if neg {
		coef.Neg(coef)
	}
	return Decimal{Coef: coef, Scale: int32(scale)}, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func expNote(exp int64) string {
	if exp == 0 {
		return ""
	}
	return " after applying the exponent"
}

func badDecimal(s, why string) *Error {
	return &Error{Code: CodeBadDecimal, Reason: quote(s) + " is not a decimal: " + why}
}

func outOfRangeDecimal(s, why string) *Error {
	return &Error{Code: CodeOutOfRange, Reason: quote(s) + " is out of range: " + why}
}

// diagnose explains why s is not an accepted decimal, suggesting a fix where it can.
func diagnose(s string) string {
	if s == "" {
		return "it is empty; write digits such as 120.5"
	}
	if strings.TrimSpace(s) != s {
		return "leading or trailing white space is not accepted; write " + strconv.Quote(strings.TrimSpace(s))
	}
	body := strings.TrimPrefix(s, "-")
	lower := strings.ToLower(body)
	switch {
	case lower == "nan":
		return "NaN is not a number; leave the record out or mark it with status M"
	case lower == "inf" || lower == "infinity" || lower == "+inf" || lower == "+infinity":
		return "infinities are not accepted"
	case strings.HasPrefix(body, "+"):
		return "a '+' sign is not accepted; write " + strconv.Quote(body[1:])
	case strings.HasPrefix(lower, "0x") || strings.HasPrefix(lower, "0b") || strings.HasPrefix(lower, "0o"):
		return "hexadecimal, binary and octal notations are not accepted; write the number in decimal digits"
	case strings.HasPrefix(body, "."):
		return "a '.' needs a digit before it; write " + strconv.Quote(strings.Replace(s, ".", "0.", 1))
	}
	if strings.ContainsAny(body, " \u00a0\u202f\u2009'_") {
		clean := strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\u00a0', '\u202f', '\u2009', '\'', '_':
				return -1
			}
			return r
		}, s)
		if _, err := ParseDecimal(clean); err == nil { // only a separator is wrong, e.g. "42 500"
			return "thousands separators are not accepted; write " + strconv.Quote(clean)
		}
	}
	if strings.Contains(body, ",") {
		if isThousandsGrouped(body) {
			return "thousands separators are not accepted; write " + strconv.Quote(strings.ReplaceAll(s, ",", "")) +
				" (or, if the comma is a decimal comma, " + strconv.Quote(strings.Replace(s, ",", ".", 1)) + ")"
		}
		if strings.Count(body, ",") == 1 && !strings.Contains(body, ".") {
			return "decimal commas are not accepted; write " + strconv.Quote(strings.Replace(s, ",", ".", 1))
		}
		return "commas are not accepted; use '.' as the decimal point and no thousands separators"
	}
	if strings.HasSuffix(body, ".") || strings.Contains(lower, ".e") {
		return "a '.' needs a digit after it; write " + strconv.Quote(strings.Replace(strings.TrimSuffix(s, "."), ".e", "e", 1))
	}
	if strings.Count(body, ".") > 1 {
		return "it has more than one '.'; use '.' only as the decimal point and no thousands separators"
	}
	if i := strings.IndexAny(lower, "e"); i >= 0 {
		return "the exponent needs digits, as in 1.205e2"
	}
	for i, r := range s {
		if !(r == '-' && i == 0) && !(r >= '0' && r <= '9') && r != '.' {
			return "unexpected character " + strconv.QuoteRune(r) + " at byte " + strconv.Itoa(i) + "; write digits with an optional '-' sign, '.' and exponent"
		}
	}
	if strings.HasPrefix(body, "-") || body == "" {
		return "a '-' sign must be followed by digits"
	}
	return "write digits with an optional '-' sign, '.' decimal point and exponent, as in -120.5 or 1.205e2"
}

// isThousandsGrouped reports whether s looks like 1-3 digits followed by groups ",ddd",
// optionally followed by ".digits".
func isThousandsGrouped(s string) bool {
	intPart := s
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart = s[:i]
	}
	groups := strings.Split(intPart, ",")
	if len(groups) < 2 || len(groups[0]) == 0 || len(groups[0]) > 3 {
		return false
	}
	for i, g := range groups {
		for j := 0; j < len(g); j++ {
			if !isDigit(g[j]) {
				return false
			}
		}
		if i > 0 && len(g) != 3 {
			return false
		}
	}
	return true
}

// String returns the canonical plain text of d: an optional '-', the integer digits and, when
// Scale > 0, '.' and exactly Scale fractional digits ("120.50"). It never uses an exponent, and
// ParseDecimal(d.String()) returns d exactly (for 0 ≤ Scale ≤ 18).
func (d Decimal) String() string {
	var stack [48]byte
	digits, neg := appendAbs(stack[:0], d.coef())
	return formatScaled(neg, digits, int(d.Scale))
}

// appendAbs appends the decimal digits of |c| to dst and reports whether c is negative.
func appendAbs(dst []byte, c *big.Int) (digits []byte, neg bool) {
	if c.IsUint64() {
		return strconv.AppendUint(dst, c.Uint64(), 10), false
	}
	if c.IsInt64() { // negative
		return strconv.AppendUint(dst, uint64(-c.Int64()), 10), true // -MinInt64 wraps to 1<<63, its magnitude
	}
	digits = c.Append(dst, 10)
	if digits[len(dst)] == '-' {
		return append(digits[:len(dst)], digits[len(dst)+1:]...), true
	}
	return digits, false
}

// appendText appends d.String() to dst.
func (d Decimal) appendText(dst []byte) []byte {
	var stack [48]byte
	digits, neg := appendAbs(stack[:0], d.coef())
	if neg {
		dst = append(dst, '-')
	}
	scale := int(d.Scale)
	if scale <= 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale {
		dst = append(dst, '0', '.')
		for i := len(digits); i < scale; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	k := len(digits) - scale
	dst = append(dst, digits[:k]...)
	dst = append(dst, '.')
	return append(dst, digits[k:]...)
}

// Rat returns the exact value of d as a new big.Rat.
func (d Decimal) Rat() *big.Rat {
	if d.Scale < 0 {
		return new(big.Rat).SetInt(new(big.Int).Mul(d.coef(), pow10(int(-d.Scale))))
	}
	return new(big.Rat).SetFrac(d.coef(), pow10(int(d.Scale)))
}

// Sign returns -1, 0 or +1 as d is negative, zero or positive.
func (d Decimal) Sign() int { return d.coef().Sign() }

// IsZero reports whether d is zero.
func (d Decimal) IsZero() bool { return d.coef().Sign() == 0 }

// Equal reports whether d and e have the same coefficient and scale (so "1.5" and "1.50" differ;
// compare Rat values for numeric equality).
func (d Decimal) Equal(e Decimal) bool { return d.Scale == e.Scale && d.coef().Cmp(e.coef()) == 0 }

// fits38 reports whether d fits Decimal(38, 18): 0 ≤ Scale ≤ 18 and |d| < 10^20.
func (d Decimal) fits38() bool {
	if d.Scale < 0 || d.Scale > MaxScale {
		return false
	}
	c := d.coef()
	if c.IsInt64() { // |c| < 2^63 < 10^19 ≤ 10^(20+Scale)
		return true
	}
	return new(big.Int).Mul(c, pow10(MaxScale-int(d.Scale))).CmpAbs(fixed18Limit) < 0
}

// Fixed18 returns d as a new integer scaled by 10^18. It is exact for Scale ≤ 18, which
// ParseDecimal guarantees; a hand-built Decimal with a larger Scale is rounded half to even.
func (d Decimal) Fixed18() *big.Int {
	s := int(d.Scale)
	if s > MaxScale {
		return roundHalfEven(d.coef(), pow10(s-MaxScale))
	}
	return new(big.Int).Mul(d.coef(), pow10(MaxScale-s))
}

var bigZero = new(big.Int)

func (d Decimal) coef() *big.Int {
	if d.Coef == nil {
		return bigZero
	}
	return d.Coef
}
