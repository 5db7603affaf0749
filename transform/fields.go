package transform

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// fieldID identifies a contract field (docs/contract.md §1).
type fieldID uint8

const (
	fKind fieldID = iota
	fVersion
	fID
	fSource
	fDate
	fFrequency
	fPublishedAt
	fStatus
	fUnitMult
	fAttributes
	fCountry
	fRegion
	fProduct
	fTaxBasis
	fCurrency
	fUnit
	fPrice
	fMeasure
	fPer
	fBasis
	fAmount
	fBase
	fQuote
	fRateType
	fRate
	fQuantity
	fSeries
	fBasePeriod
	fAdjustment
	fValue
	fWithdrawn
	numFields
)

// unknownField is the fieldID of a key that names no contract field.
const unknownField = numFields

// fieldType says how a field's text is read.
type fieldType uint8

const (
	tString fieldType = iota
	tDecimal
	tInt
	tDate
	tTime
	tAttrs
	tVersion
	tBool
)

// Kind membership bits.
const (
	inFuel      = 1 << 0
	inWage      = 1 << 1
	inFX        = 1 << 2
	inIndicator = 1 << 3
	inCommon    = inFuel | inWage | inFX | inIndicator
)

type fieldSpec struct {
	name  string
	typ   fieldType
	kinds uint8
}

var fieldSpecs = [numFields]fieldSpec{
	fKind:        {"kind", tString, inCommon},
	fVersion:     {"version", tVersion, inCommon},
	fID:          {"id", tString, inCommon},
	fSource:      {"source", tString, inCommon},
	fDate:        {"date", tDate, inCommon},
	fFrequency:   {"frequency", tString, inCommon},
	fPublishedAt: {"published_at", tTime, inCommon},
	fStatus:      {"status", tString, inCommon},
	fUnitMult:    {"unit_mult", tInt, inCommon},
	fAttributes:  {"attributes", tAttrs, inCommon},
	fCountry:     {"country", tString, inFuel | inWage | inIndicator},
	fRegion:      {"region", tString, inFuel | inWage | inIndicator},
	fProduct:     {"product", tString, inFuel},
	fTaxBasis:    {"tax_basis", tString, inFuel},
	fCurrency:    {"currency", tString, inFuel | inWage | inIndicator},
	fUnit:        {"unit", tString, inFuel | inIndicator},
	fPrice:       {"price", tDecimal, inFuel},
	fMeasure:     {"measure", tString, inWage | inIndicator},
	fPer:         {"per", tString, inWage},
	fBasis:       {"basis", tString, inWage},
	fAmount:      {"amount", tDecimal, inWage},
	fBase:        {"base", tString, inFX},
	fQuote:       {"quote", tString, inFX},
	fRateType:    {"rate_type", tString, inFX},
	fRate:        {"rate", tDecimal, inFX},
	fQuantity:    {"quantity", tInt, inFX},
	fSeries:      {"series", tString, inIndicator},
	fBasePeriod:  {"base_period", tString, inIndicator},
	fAdjustment:  {"adjustment", tString, inIndicator},
	fValue:       {"value", tDecimal, inIndicator},
	fWithdrawn:   {"withdrawn", tBool, inCommon},
}

// lookupField returns the id of a contract field name.
func lookupField[T string | []byte](name T) (fieldID, bool) {
	var quoted [16]byte
	if len(name) >= len(quoted) {
		return 0, false
	}
	copy(quoted[:], name)
	quoted[len(name)] = '"'
	id, ok := matchKey(quoted[:])
	// A shorter name matches too when name holds a '"' after it: it does not name a field.
	return id, ok && len(fieldSpecs[id].name) == len(name)
}

// matchKey reports which contract field name, followed by '"', b starts with: exactly the key
// readKey reads from a '"' before b when it names a field without escapes. The first three bytes
// of b pick at most three candidates (see keyTable), each compared with b in two 8-byte words.
func matchKey(b []byte) (fieldID, bool) {
	var w0, w1 uint64
	if len(b) >= 16 {
		w0, w1 = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
	} else { // near the end of a message
		var pad [16]byte
		copy(pad[:], b)
		w0, w1 = binary.LittleEndian.Uint64(pad[:]), binary.LittleEndian.Uint64(pad[8:])
	}
	slot := &keyTable.slots[keySlot(w0, keyTable.mul)]
	if c := &slot[0]; c.matches(w0, w1) {
		return c.id, c.id != unknownField
	}
	if c := &slot[1]; c.matches(w0, w1) {
		return c.id, c.id != unknownField
	}
	if c := &slot[2]; c.matches(w0, w1) {
		return c.id, c.id != unknownField
	}
	return 0, false
}

// A keyCandidate is a field's name followed by '"', as the bytes that start a key in a message:
// word holds them little-endian, zero-padded to 16 bytes, and mask has 0xff where they are. The
// empty candidate (id unknownField, mask 0) matches anything.
type keyCandidate struct {
	word, mask [2]uint64
	id         fieldID
}

// matches reports whether the 16 bytes w0, w1 (little-endian) start with c's.
func (c *keyCandidate) matches(w0, w1 uint64) bool {
	return (w0^c.word[0])&c.mask[0]|(w1^c.word[1])&c.mask[1] == 0
}

// keySlotBits is the base-2 logarithm of the number of keyTable's slots (64 for 31 names).
const keySlotBits = 6

// keyTable finds the field of a key by a perfect hash of the key's first three bytes (every name
// has at least two letters and its '"'): slots[keySlot(first three bytes, mul)] holds the fields
// whose names start with those bytes (at most three: unit and unit_mult, rate and rate_type,
// base, basis and base_period), then empty candidates. It is derived from fieldSpecs, with the first multiplier
// that gives distinct prefixes distinct slots. Read-only.
var keyTable = func() (t struct {
	slots [1 << keySlotBits][3]keyCandidate
	mul   uint32
}) {
	var keys [numFields]keyCandidate
	for id, spec := range fieldSpecs {
		var word, mask [16]byte
		q := spec.name + `"`
		if len(q) > len(word) || len(q) < 3 {
			panic("transform: field name " + spec.name + " does not fit the key table")
		}
		copy(word[:], q)
		copy(mask[:], strings.Repeat("\xff", len(q)))
		keys[id] = keyCandidate{
			word: [2]uint64{binary.LittleEndian.Uint64(word[:]), binary.LittleEndian.Uint64(word[8:])},
			mask: [2]uint64{binary.LittleEndian.Uint64(mask[:]), binary.LittleEndian.Uint64(mask[8:])},
			id:   fieldID(id),
		}
	}
	for mul := uint32(0x9E3779B1); ; mul += 2 {
		owner := map[uint32]uint64{} // slot → the prefix that has it
		distinct := true
		for _, k := range keys {
			s := keySlot(k.word[0], mul)
			if p, taken := owner[s]; taken && p != k.word[0]&0xffffff {
				distinct = false
				break
			}
			owner[s] = k.word[0] & 0xffffff
		}
		if distinct {
			t.mul = mul
			break
		}
	}
	for s := range t.slots {
		t.slots[s] = [3]keyCandidate{{id: unknownField}, {id: unknownField}, {id: unknownField}}
	}
	for _, k := range keys {
		slot := &t.slots[keySlot(k.word[0], t.mul)]
		switch {
		case slot[0].id == unknownField:
			slot[0] = k
		case slot[1].id == unknownField:
			slot[1] = k
		case slot[2].id == unknownField:
			slot[2] = k
		default:
			panic("transform: more than three field names start with " + fieldSpecs[k.id].name[:3])
		}
	}
	return t
}()

// keySlot hashes the first three bytes of w (little-endian) to a slot of keyTable.
func keySlot(w uint64, mul uint32) uint32 {
	return uint32(w&0xffffff) * mul >> (32 - keySlotBits)
}

// kindBit returns the membership bit of a known kind, or 0.
func kindBit(k Kind) uint8 {
	switch k {
	case KindFuelPrice:
		return inFuel
	case KindWage:
		return inWage
	case KindFXRate:
		return inFX
	case KindIndicator:
		return inIndicator
	}
	return 0
}

// notInKind explains a field that exists but not for kind k.
func notInKind(id fieldID, k Kind) error {
	spec := fieldSpecs[id]
	owners := ""
	for _, o := range [...]struct {
		bit  uint8
		name string
	}{{inFuel, "fuel_price"}, {inWage, "wage"}, {inFX, "fx_rate"}, {inIndicator, "indicator"}} {
		if spec.kinds&o.bit != 0 {
			if owners != "" {
				owners += " and "
			}
			owners += o.name
		}
	}
	return fieldError(CodeUnknownField, spec.name, "is not a field of kind "+string(k)+" (it belongs to "+owners+"); remove it or fix the kind")
}

// setText sets field id of r from its text. An empty text means absent and leaves r unchanged.
// Attributes are not set here.
func setText(r *Record, id fieldID, s string) error {
	if s == "" {
		return nil
	}
	switch id {
	case fKind:
		k, err := parseKind(s)
		if err != nil {
			return err
		}
		r.Kind = k
		return nil
	}
	if fieldSpecs[id].typ != tString {
		return setTyped(r, id, s)
	}
	setString(r, id, s)
	return nil
}

// setTypedIn is setTyped with a decimal that fits the fast path stored in d's Scratch, if any.
func (d *Decoder) setTypedIn(r *Record, id fieldID, text []byte) error {
	if d != nil && d.scratch != nil && fieldSpecs[id].typ == tDecimal {
		if v, ok := parseDecimalFastIn(text, &d.scratch.coef); ok {
			setDecimalField(r, id, v)
			return nil
		}
	}
	return setTyped(r, id, text)
}

// setTyped sets field id, which is not a string field, from its non-empty text.
func setTyped[T string | []byte](r *Record, id fieldID, s T) error {
	spec := &fieldSpecs[id]
	switch spec.typ {
	case tDecimal:
		d, err := parseDecimal(s)
		if err != nil {
			return fieldError(err.Code, spec.name, err.Reason)
		}
		setDecimalField(r, id, d)
		return nil
	case tInt:
		n, err := parseInteger(spec.name, s)
		if err != nil {
			return err
		}
		switch id {
		case fUnitMult:
			if n < MinUnitMult || n > MaxUnitMult {
				return fieldError(CodeOutOfRange, "unit_mult", string(s)+" is outside −18…18")
			}
			r.UnitMult = int(n)
		case fQuantity:
			if n < 1 {
				return fieldError(CodeOutOfRange, "quantity", string(s)+" is not accepted; quantity is an integer ≥ 1")
			}
			r.Quantity = n
		}
		return nil
	case tDate:
		t, err := parseDate(s)
		if err != nil {
			return err
		}
		r.Date = t
		return nil
	case tTime:
		t, ok := parseRFC3339(s)
		if !ok {
			var err error
			if t, err = time.Parse(time.RFC3339Nano, string(s)); err != nil {
				return fieldError(CodeInvalidField, "published_at", quote(string(s))+" is not an RFC 3339 time; write e.g. 2022-01-05T10:00:00Z or 2022-01-05T16:00:00+06:00")
			}
		}
		r.PublishedAt = t.UTC()
		return nil
	case tVersion:
		v, err := parseVersion(s)
		if err != nil {
			return err
		}
		r.Version = v
		return nil
	case tBool:
		switch string(s) {
		case "true":
			r.Withdrawn = true
		case "false":
		default:
			return fieldError(CodeInvalidField, spec.name, quote(string(s))+" is not accepted; write true (a withdrawal) or false")
		}
		return nil
	}
	return nil
}

// setDecimalField sets the decimal field id (price, amount, rate or value) of r.
func setDecimalField(r *Record, id fieldID, d Decimal) {
	switch id {
	case fPrice:
		r.Price = d
	case fAmount:
		r.Amount = d
	case fRate:
		r.Rate = d
	case fValue:
		r.IndicatorValue = d
	}
}

// setString sets string field id (not kind) to s.
func setString(r *Record, id fieldID, s string) {
	switch id {
	case fID:
		r.ID = s
	case fSource:
		r.Source = s
	case fFrequency:
		r.Frequency = s
	case fStatus:
		r.Status = s
	case fCountry:
		r.Country = s
	case fRegion:
		r.Region = s
	case fProduct:
		r.Product = s
	case fTaxBasis:
		r.TaxBasis = s
	case fCurrency:
		r.Currency = s
	case fUnit:
		r.Unit = s
	case fMeasure:
		r.Measure = s
	case fPer:
		r.Per = s
	case fBasis:
		r.Basis = s
	case fBase:
		r.Base = s
	case fQuote:
		r.Quote = s
	case fRateType:
		r.RateType = s
	case fSeries:
		r.Series = s
	case fBasePeriod:
		r.BasePeriod = s
	case fAdjustment:
		r.Adjustment = s
	}
}

// str returns the string value of string field id (not kind) whose text is b, reusing a
// string when it can (see Decoder).
func (d *Decoder) str(id fieldID, b []byte) string {
	if enumFields&(1<<id) != 0 {
		if s, ok := enumString(id, b); ok {
			return s
		}
	}
	if d == nil {
		return string(b)
	}
	last := &d.last[id]
	if *last == string(b) {
		return *last
	}
	if id == fID || len(b) > maxInternBytes {
		*last = string(b)
		return *last
	}
	set := &d.intern[internSet(b)]
	for i := range set {
		if set[i] == string(b) {
			*last = set[i]
			return set[i]
		}
	}
	copy(set[1:], set[:internWays-1])
	set[0] = string(b)
	*last = set[0]
	return set[0]
}

// internSet returns the set of the intern cache for b: a multiplicative hash of its bytes, eight
// at a time, whose top bits select the set.
func internSet(b []byte) uint32 {
	const k = 0x9E3779B97F4A7C15
	h := uint64(len(b)) * k
	for ; len(b) >= 8; b = b[8:] {
		h = (h ^ binary.LittleEndian.Uint64(b)) * k
	}
	if len(b) > 0 {
		var t uint64
		for i, c := range b {
			t |= uint64(c) << (8 * i)
		}
		h = (h ^ t) * k
	}
	return uint32(h >> (64 - internSetBits))
}

// upperLetters holds the one-letter codes (frequency, status) that enumString returns.
const upperLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// enumFields is the set (1 << fieldID) of the fields enumString knows.
const enumFields = 1<<fFrequency | 1<<fStatus | 1<<fTaxBasis | 1<<fUnit | 1<<fPer | 1<<fBasis | 1<<fRateType

// enumString returns a constant string equal to b when b is an accepted value of an enumerated
// field (frequency, a one-letter status, tax_basis, unit, per, basis, rate_type), so that such a
// value costs no allocation.
func enumString(id fieldID, b []byte) (string, bool) {
	switch id {
	case fFrequency, fStatus:
		if len(b) == 1 && isUpper(b[0]) {
			i := b[0] - 'A'
			return upperLetters[i : i+1], true
		}
	case fTaxBasis:
		switch string(b) {
		case "incl_tax":
			return "incl_tax", true
		case "excl_tax":
			return "excl_tax", true
		}
	case fUnit:
		switch string(b) {
		case UnitLitre:
			return UnitLitre, true
		case Unit1000Litres:
			return Unit1000Litres, true
		case UnitUSGallon:
			return UnitUSGallon, true
		case UnitImpGallon:
			return UnitImpGallon, true
		case UnitBarrel:
			return UnitBarrel, true
		case UnitKg:
			return UnitKg, true
		case UnitTonne:
			return UnitTonne, true
		}
	case fPer:
		switch string(b) {
		case "hour":
			return "hour", true
		case "day":
			return "day", true
		case "week":
			return "week", true
		case "month":
			return "month", true
		case "year":
			return "year", true
		}
	case fBasis:
		switch string(b) {
		case "gross":
			return "gross", true
		case "net":
			return "net", true
		}
	case fRateType:
		switch string(b) {
		case "official":
			return "official", true
		case "reference":
			return "reference", true
		case "market":
			return "market", true
		}
	}
	return "", false
}

// parseKind checks the kind field's text.
func parseKind[T string | []byte](s T) (Kind, error) {
	switch string(s) {
	case "fuel_price":
		return KindFuelPrice, nil
	case "wage":
		return KindWage, nil
	case "fx_rate":
		return KindFXRate, nil
	case "indicator":
		return KindIndicator, nil
	case "":
		return "", fieldError(CodeMissingField, "kind", "is required; accepted: "+acceptedKinds)
	default:
		return "", fieldError(CodeUnknownKind, "kind", quote(string(s))+" is not a known kind; accepted: "+acceptedKinds)
	}
}

// parseVersion checks the version field's text (a JSON number or string).
func parseVersion[T string | []byte](s T) (int, error) {
	if string(s) == "1" {
		return CurrentVersion, nil
	}
	return 0, fieldError(CodeUnknownVersion, "version", quote(string(s))+" is not a known schema version; this consumer knows version 1 only")
}

// parseInteger reads an optional '-' and 1–18 decimal digits.
func parseInteger[T string | []byte](field string, s T) (int64, error) {
	p := s
	neg := false
	if len(p) > 0 && p[0] == '-' {
		neg = true
		p = p[1:]
	}
	if len(p) == 0 {
		return 0, fieldError(CodeInvalidField, field, quote(string(s))+" is not an integer; write digits only, e.g. 100")
	}
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) {
			return 0, fieldError(CodeInvalidField, field, quote(string(s))+" is not an integer; write digits only, e.g. 100 (no fraction, exponent or separators)")
		}
	}
	if len(p) > 18 {
		return 0, fieldError(CodeOutOfRange, field, quote(string(s))+" is too large")
	}
	var n int64
	for i := 0; i < len(p); i++ {
		n = n*10 + int64(p[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

var monthNames = [...]string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// parseDate reads YYYY-MM-DD as a real calendar date at UTC midnight.
func parseDate[T string | []byte](s T) (time.Time, error) {
	ok := len(s) == 10 && s[4] == '-' && s[7] == '-'
	for i := 0; ok && i < 10; i++ {
		if i != 4 && i != 7 && !isDigit(s[i]) {
			ok = false
		}
	}
	if !ok {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(string(s))+" is not a date; write YYYY-MM-DD, e.g. 2022-01-05")
	}
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if y < 1 {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(string(s))+" is not a calendar date: year 0000 does not exist")
	}
	if m < 1 || m > 12 {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(string(s))+" is not a calendar date: month must be 01…12")
	}
	if n := daysIn(y, m); d < 1 || d > n {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(string(s))+" is not a calendar date: "+monthNames[m]+" "+strconv.Itoa(y)+" has "+strconv.Itoa(n)+" days")
	}
	return time.Unix(daysFromCivil(y, m, d)*86400, 0).UTC(), nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the proleptic Gregorian date y-m-d
// (1 ≤ m ≤ 12, 1 ≤ d ≤ days in the month, any year), as time.Date counts them.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400                     // [0, 399]
	doy := (153*((m+9)%12)+2)/5 + d - 1    // [0, 365], the year starting in March
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return int64(era)*146097 + int64(doe) - 719468
}

// parseRFC3339 reads the strict RFC 3339 form YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM) with every
// field in range (a real calendar date, hour ≤ 23, minute and second ≤ 59, offset ≤ 23:59), the
// fraction truncated to nanoseconds, and returns it in UTC. Every such text is one that
// time.Parse(time.RFC3339Nano, s) reads to the same instant; anything else returns ok false, and
// the caller falls back to time.Parse, which alone decides whether it is accepted.
func parseRFC3339[T string | []byte](s T) (t time.Time, ok bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(i int) int {
		a, b := s[i], s[i+1]
		if !isDigit(a) || !isDigit(b) {
			return -1
		}
		return int(a-'0')*10 + int(b-'0')
	}
	yh, yl := num(0), num(2)
	mo, d, h, mi, sec := num(5), num(8), num(11), num(14), num(17)
	if yh < 0 || yl < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	y := yh*100 + yl
	if d > daysIn(y, mo) {
		return time.Time{}, false
	}
	i := 19
	nsec := 0
	if s[i] == '.' {
		i++
		start := i
		for ; i < len(s) && isDigit(s[i]); i++ {
			if i-start < 9 {
				nsec = nsec*10 + int(s[i]-'0')
			}
		}
		if i == start {
			return time.Time{}, false
		}
		for k := i - start; k < 9; k++ {
			nsec *= 10
		}
	}
	offset := 0
	switch rest := len(s) - i; {
	case rest == 1 && s[i] == 'Z':
	case rest == 6 && (s[i] == '+' || s[i] == '-') && s[i+3] == ':':
		oh, om := num(i+1), num(i+4)
		if oh < 0 || oh > 23 || om < 0 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	unix := daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+sec-offset)
	return time.Unix(unix, int64(nsec)).UTC(), true
}
