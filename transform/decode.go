package transform

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxMessageBytes is the largest message value DecodeJSON accepts; larger ones are rejected with
// CodeOversize.
const MaxMessageBytes = 1 << 20

// MaxJSONDepth is the deepest nesting of JSON objects and arrays DecodeJSON accepts (the record
// object itself is depth 1); deeper input is rejected with CodeInvalidJSON.
const MaxJSONDepth = 32

// DecodeJSON decodes one message value into a Record, applies the transport-independent defaults
// (ApplyDefaults) and validates it (Validate). It does not call Finish.
//
// The value must be at most MaxMessageBytes of valid UTF-8 (no byte order mark) holding exactly one
// JSON object, nested at most MaxJSONDepth deep. Keys must be unique and belong to the record's
// kind. Text fields must be JSON strings; decimals may be JSON strings or numbers and are read
// exactly from their text; version, quantity and unit_mult may be JSON numbers or strings of digits;
// attributes is an object of strings. A null, or an empty string, is the same as an absent field
// (so a required field that is null or "" is missing). The first problem found is returned as an
// *Error.
func DecodeJSON(data []byte) (Record, error) {
	return (*Decoder)(nil).Decode(data)
}

// Decoder is DecodeJSON for a stream of messages: a string field's value that equals the
// previous message's value of the same field, or one of the short values seen recently, reuses
// that string instead of allocating another, so a batch of records that share their country,
// region, product, currency or source holds one copy of each. Enumerated values (frequency, unit,
// tax_basis, …) never allocate. A Decoder is not safe for concurrent use; the nil *Decoder decodes
// without reuse. Its memory is bounded: besides the previous message's value of each field, it
// keeps at most 512 recent values (internSlots) of at most 64 bytes (maxInternBytes) each.
type Decoder struct {
	last [numFields]string
	// intern is a set-associative cache of short values: a value lives in set internSet(value),
	// most recently added first.
	intern [internSets][internWays]string
	// scratch, during DecodeIn, receives the value.
	scratch *Scratch
}

// Interning limits of a Decoder.
const (
	internSetBits  = 7
	internSets     = 1 << internSetBits
	internWays     = 4
	internSlots    = internSets * internWays
	maxInternBytes = 64
)

// Decode decodes one message exactly as DecodeJSON does.
func (d *Decoder) Decode(data []byte) (Record, error) {
	var r Record
	err := d.DecodeInto(&r, data)
	return r, err
}

// DecodeInto is Decode into *r, which it overwrites: the zero Record on error. A caller that
// keeps its records in place (a batch's rows) spares copying one.
func (d *Decoder) DecodeInto(r *Record, data []byte) error {
	*r = Record{}
	if len(data) > MaxMessageBytes {
		return newError(CodeOversize, "", "message is "+strconv.Itoa(len(data))+" bytes; at most "+strconv.Itoa(MaxMessageBytes)+" are accepted")
	}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return newError(CodeInvalidJSON, "", "message starts with a UTF-8 byte order mark (BOM); remove it")
	}
	if decodeOnePass(r, data, d) { // it checks that data is valid UTF-8 as it goes
		return nil
	}
	*r = Record{}
	if !utf8.Valid(data) {
		return newError(CodeInvalidUTF8, "", "message is not valid UTF-8 (first bad byte at offset "+strconv.Itoa(firstInvalidUTF8(data))+")")
	}
	p := jsonParser{data: data}
	p.skipWS()
	if p.pos == len(data) {
		return newError(CodeEmpty, "", "message is empty; send one JSON object per message")
	}
	var stack [24]jsonField
	fields, err := p.parseRecord(stack[:0])
	if err != nil {
		return err
	}
	if err := decodeFields(r, fields, d); err != nil {
		*r = Record{}
		return err
	}
	return nil
}

// decodeOnePass is the fast path of Decode for a message that is accepted: it reads the object in
// one pass and sets each member on r as soon as it is read, instead of collecting the members
// first. It reads a subset of what the general parser accepts (keys that are contract field names
// without escapes; strings without escapes; numbers, with the same readNumber; null; an attributes
// object, with the same parseStringObject) and sets members exactly as setOn does (the same type
// checks, an empty string or null is absent, the same setTyped, parseKind and string values equal
// to the text). It returns false on the first problem of any kind, or on anything it does not
// read itself (an escape, a key that is unknown or repeated, a member that does not belong to the
// kind, a record that fails Validate); Decode then decodes the message again the careful way,
// which finds the first problem in the documented order and reports it. When it returns true, that
// way would have produced the same record: every member is known, appears once, belongs to the
// kind and is set from the same text in the same way (setting one field does not depend on
// another), and the same ApplyDefaults and Validate follow.
//
// It also stands in for Decode's check that data is valid UTF-8: outside strings it accepts only
// ASCII bytes, it checks the non-ASCII bytes of every string it reads itself, and if a member is
// read by the general parser (attributes) it checks the whole message.
func decodeOnePass(r *Record, data []byte, dec *Decoder) bool {
	pos := skipSpace(data, 0)
	if pos >= len(data) || data[pos] != '{' {
		return false
	}
	var seen uint32
	var pend pendingStrings
	checkUTF8 := false
	for {
		pos = skipSpace(data, pos+1) // after '{' or ','
		// The key: a contract field name without escapes (others are left to the careful way).
		if pos >= len(data) || data[pos] != '"' {
			return false
		}
		id, ok := matchKey(data[pos+1:])
		if !ok || seen&(1<<id) != 0 {
			return false
		}
		seen |= 1 << id
		pos = skipSpace(data, pos+len(fieldSpecs[id].name)+2)
		if pos >= len(data) || data[pos] != ':' {
			return false
		}
		pos = skipSpace(data, pos+1)
		if pos >= len(data) {
			return false
		}
		// The value: set as setOn would.
		switch c := data[pos]; {
		case c == '"':
			end := stringEndASCII(data, pos+1)
			if end < len(data) && data[end] >= utf8.RuneSelf {
				if end, ok = utf8StringEnd(data, end); !ok {
					return false
				}
			}
			if end >= len(data) || data[end] != '"' {
				return false // an escape, or not a string
			}
			if text := data[pos+1 : end]; dec == nil && len(text) > 0 && fieldSpecs[id].typ == tString && id != fKind {
				// Without a Decoder, the record's strings share one allocation, made below.
				e, ok := "", false
				if enumFields&(1<<id) != 0 {
					e, ok = enumString(id, text)
				}
				if ok {
					setString(r, id, e)
				} else {
					pend.add(id, pos+1, end)
				}
			} else if !setStringMember(r, id, text, dec) {
				return false
			}
			pos = end + 1
		case c == '-' || isDigit(c):
			p := jsonParser{data: data, pos: pos}
			text, err := p.readNumber()
			if err != nil {
				return false
			}
			switch fieldSpecs[id].typ {
			case tDecimal, tInt, tVersion:
				if dec.setTypedIn(r, id, text) != nil {
					return false
				}
			default:
				return false
			}
			pos = p.pos
		case c == 'n':
			if len(data)-pos < 4 || string(data[pos:pos+4]) != "null" {
				return false
			}
			pos += 4 // null is absent
		case c == '{' && id == fAttributes:
			checkUTF8 = true // parseStringObject does not check it
			p := jsonParser{data: data, pos: pos}
			f := jsonField{key: fieldSpecs[id].name, id: id, kind: jObject}
			if p.parseStringObject(&f) != nil || f.setOn(r, id, dec) != nil {
				return false
			}
			pos = p.pos
		default:
			return false
		}
		pos = skipSpace(data, pos)
		if pos < len(data) && data[pos] == ',' {
			continue
		}
		if pos < len(data) && data[pos] == '}' {
			break
		}
		return false
	}
	if skipSpace(data, pos+1) != len(data) || r.Kind == "" || seen&^kindFields[kindBit(r.Kind)] != 0 {
		return false
	}
	if checkUTF8 && !utf8.Valid(data) {
		return false
	}
	pend.set(r, data)
	r.ApplyDefaults()
	return Validate(r) == nil
}

// pendingStrings collects the string fields of a message decoded without a Decoder, so that they
// can be copied out of the message in one allocation.
type pendingStrings struct {
	n     int
	total int
	ids   [numFields]fieldID
	spans [numFields][2]int32 // start and end in the message
}

func (p *pendingStrings) add(id fieldID, start, end int) {
	// Fields are distinct (a repeated one fails decodeOnePass first), so n < numFields.
	p.ids[p.n], p.spans[p.n] = id, [2]int32{int32(start), int32(end)}
	p.n++
	p.total += end - start
}

// set sets the collected fields on r, copied from data into one string.
func (p *pendingStrings) set(r *Record, data []byte) {
	if p.n == 0 {
		return
	}
	var b strings.Builder
	b.Grow(p.total)
	for _, sp := range p.spans[:p.n] {
		b.Write(data[sp[0]:sp[1]])
	}
	all := b.String()
	off := 0
	for i, sp := range p.spans[:p.n] {
		n := int(sp[1] - sp[0])
		setString(r, p.ids[i], all[off:off+n])
		off += n
	}
}

// matchKey reports which contract field name, followed by '"', b starts with: exactly the key
// readKey reads from a '"' before b when it names a field without escapes. It switches on the
// first four bytes, then compares the rest.
func matchKey(b []byte) (fieldID, bool) {
	if len(b) < len(`published_at"`) { // the longest; near the end of a message
		return matchKeyShort(b)
	}
	if string(b[:3]) == `id"` { // the only name shorter than four bytes with its '"'
		return fID, true
	}
	switch binary.LittleEndian.Uint32(b) {
	case 'a' | 'm'<<8 | 'o'<<16 | 'u'<<24: // amou
		if string(b[4:7]) == `nt"` {
			return fAmount, true
		}
	case 'a' | 't'<<8 | 't'<<16 | 'r'<<24: // attr
		if string(b[4:11]) == `ibutes"` {
			return fAttributes, true
		}
	case 'b' | 'a'<<8 | 's'<<16 | 'e'<<24: // base
		if string(b[4:5]) == `"` {
			return fBase, true
		}
	case 'b' | 'a'<<8 | 's'<<16 | 'i'<<24: // basi
		if string(b[4:6]) == `s"` {
			return fBasis, true
		}
	case 'c' | 'o'<<8 | 'u'<<16 | 'n'<<24: // coun
		if string(b[4:8]) == `try"` {
			return fCountry, true
		}
	case 'c' | 'u'<<8 | 'r'<<16 | 'r'<<24: // curr
		if string(b[4:9]) == `ency"` {
			return fCurrency, true
		}
	case 'd' | 'a'<<8 | 't'<<16 | 'e'<<24: // date
		if string(b[4:5]) == `"` {
			return fDate, true
		}
	case 'f' | 'r'<<8 | 'e'<<16 | 'q'<<24: // freq
		if string(b[4:10]) == `uency"` {
			return fFrequency, true
		}
	case 'k' | 'i'<<8 | 'n'<<16 | 'd'<<24: // kind
		if string(b[4:5]) == `"` {
			return fKind, true
		}
	case 'm' | 'e'<<8 | 'a'<<16 | 's'<<24: // meas
		if string(b[4:8]) == `ure"` {
			return fMeasure, true
		}
	case 'p' | 'e'<<8 | 'r'<<16 | '"'<<24: // per"
		return fPer, true
	case 'p' | 'r'<<8 | 'i'<<16 | 'c'<<24: // pric
		if string(b[4:6]) == `e"` {
			return fPrice, true
		}
	case 'p' | 'r'<<8 | 'o'<<16 | 'd'<<24: // prod
		if string(b[4:8]) == `uct"` {
			return fProduct, true
		}
	case 'p' | 'u'<<8 | 'b'<<16 | 'l'<<24: // publ
		if string(b[4:13]) == `ished_at"` {
			return fPublishedAt, true
		}
	case 'q' | 'u'<<8 | 'a'<<16 | 'n'<<24: // quan
		if string(b[4:9]) == `tity"` {
			return fQuantity, true
		}
	case 'q' | 'u'<<8 | 'o'<<16 | 't'<<24: // quot
		if string(b[4:6]) == `e"` {
			return fQuote, true
		}
	case 'r' | 'a'<<8 | 't'<<16 | 'e'<<24: // rate
		if string(b[4:10]) == `_type"` {
			return fRateType, true
		}
		if string(b[4:5]) == `"` {
			return fRate, true
		}
	case 'r' | 'e'<<8 | 'g'<<16 | 'i'<<24: // regi
		if string(b[4:7]) == `on"` {
			return fRegion, true
		}
	case 's' | 'o'<<8 | 'u'<<16 | 'r'<<24: // sour
		if string(b[4:7]) == `ce"` {
			return fSource, true
		}
	case 's' | 't'<<8 | 'a'<<16 | 't'<<24: // stat
		if string(b[4:7]) == `us"` {
			return fStatus, true
		}
	case 't' | 'a'<<8 | 'x'<<16 | '_'<<24: // tax_
		if string(b[4:10]) == `basis"` {
			return fTaxBasis, true
		}
	case 'u' | 'n'<<8 | 'i'<<16 | 't'<<24: // unit
		if string(b[4:10]) == `_mult"` {
			return fUnitMult, true
		}
		if string(b[4:5]) == `"` {
			return fUnit, true
		}
	case 'v' | 'e'<<8 | 'r'<<16 | 's'<<24: // vers
		if string(b[4:8]) == `ion"` {
			return fVersion, true
		}
	}
	return 0, false
}

// matchKeyShort is matchKey for any b.
func matchKeyShort(b []byte) (fieldID, bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, id := range keysByFirstByte[b[0]] {
		if k := quotedNames[id]; len(b) >= len(k) && string(b[:len(k)]) == k {
			return id, true
		}
	}
	return 0, false
}

// quotedNames[id] is the name of field id followed by '"'; keysByFirstByte lists the fields by
// the first byte of their name. Read-only.
var quotedNames, keysByFirstByte = func() (names [numFields]string, first [256][]fieldID) {
	for id, spec := range fieldSpecs {
		names[id] = spec.name + `"`
		first[spec.name[0]] = append(first[spec.name[0]], fieldID(id))
	}
	return names, first
}()

// setStringMember is setOn for a JSON string value without escapes, reporting success.
func setStringMember(r *Record, id fieldID, text []byte, dec *Decoder) bool {
	typ := fieldSpecs[id].typ
	if typ == tAttrs {
		return false // a string, even "", is the wrong type
	}
	if len(text) == 0 {
		return true // absent
	}
	switch {
	case id == fKind:
		k, err := parseKind(text)
		if err != nil {
			return false
		}
		r.Kind = k
	case typ == tString:
		setString(r, id, dec.str(id, text))
	default:
		return dec.setTypedIn(r, id, text) == nil
	}
	return true
}

// skipSpace returns the index of the first byte at or after i that is not JSON white space.
func skipSpace(d []byte, i int) int {
	for i < len(d) && d[i] <= ' ' && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// kindFields[bit] is the set (1 << fieldID) of the fields of the kind with membership bit bit.
var kindFields = func() (t [inFX + 1]uint32) {
	for id, spec := range fieldSpecs {
		for bit := range t {
			if spec.kinds&uint8(bit) != 0 {
				t[bit] |= 1 << id
			}
		}
	}
	return t
}()

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

// firstInvalidUTF8 returns the offset of the first byte that is not valid UTF-8.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// decodeFields turns the parsed members of a record object into a validated Record in *r, which
// must be zero; on error *r is not meaningful.
func decodeFields(r *Record, fields []jsonField, dec *Decoder) error {
	// The kind decides which fields exist, and an unknown version must not be reported as unknown
	// fields, so both are read first.
	kindAt, versionAt := -1, -1
	for i := range fields {
		switch fields[i].id {
		case fKind:
			if kindAt < 0 {
				kindAt = i
			}
		case fVersion:
			if versionAt < 0 {
				versionAt = i
			}
		}
	}
	if kindAt < 0 {
		return fieldError(CodeMissingField, "kind", "is required; accepted: fuel_price, wage, fx_rate")
	}
	if err := fields[kindAt].setOn(r, fKind, dec); err != nil {
		return err
	}
	if r.Kind == "" {
		return fieldError(CodeMissingField, "kind", "is required; accepted: fuel_price, wage, fx_rate")
	}
	if versionAt >= 0 {
		if err := fields[versionAt].setOn(r, fVersion, dec); err != nil {
			return err
		}
	}
	bit := kindBit(r.Kind)
	var seen uint32
	for i := range fields {
		f := &fields[i]
		id := f.id
		if id == unknownField {
			return fieldError(CodeUnknownField, f.key, "is not a field of kind "+string(r.Kind)+"; remove it (extra data belongs in \"attributes\")")
		}
		if seen&(1<<id) != 0 {
			return fieldError(CodeDuplicateField, f.key, "appears more than once; send each field once")
		}
		seen |= 1 << id
		if fieldSpecs[id].kinds&bit == 0 {
			return notInKind(id, r.Kind)
		}
		if i == kindAt || i == versionAt {
			continue
		}
		if err := f.setOn(r, id, dec); err != nil {
			return err
		}
	}
	r.ApplyDefaults()
	return Validate(r)
}

// setOn checks the JSON type of f against field id and sets it on r.
func (f *jsonField) setOn(r *Record, id fieldID, dec *Decoder) error {
	spec := &fieldSpecs[id]
	if f.kind == jNull {
		return nil
	}
	switch spec.typ {
	case tAttrs:
		if f.kind != jObject {
			return fieldError(CodeWrongType, spec.name, "must be a JSON object of strings, not "+f.kind.String())
		}
		if f.attrErr != nil {
			return f.attrErr
		}
		if len(f.attrs) > 0 {
			r.Attributes = f.attrs
		}
		return nil
	case tDecimal:
		if f.kind != jString && f.kind != jNumber {
			return fieldError(CodeWrongType, spec.name, "must be a decimal, as a JSON number or string, not "+f.kind.String())
		}
	case tInt, tVersion:
		if f.kind != jString && f.kind != jNumber {
			return fieldError(CodeWrongType, spec.name, "must be an integer, as a JSON number or string, not "+f.kind.String())
		}
	default:
		if f.kind != jString {
			return fieldError(CodeWrongType, spec.name, "must be a JSON string, not "+f.kind.String()+"; quote it")
		}
	}
	if len(f.text) == 0 { // an empty text means absent
		return nil
	}
	switch {
	case id == fKind:
		k, err := parseKind(f.text)
		if err != nil {
			return err
		}
		r.Kind = k
	case spec.typ == tString:
		setString(r, id, dec.str(id, f.text))
	default:
		return setTyped(r, id, f.text)
	}
	return nil
}

// jsonKind is the type of a JSON value.
type jsonKind uint8

const (
	jNull jsonKind = iota
	jBool
	jNumber
	jString
	jObject
	jArray
)

func (k jsonKind) String() string {
	switch k {
	case jNull:
		return "null"
	case jBool:
		return "a boolean"
	case jNumber:
		return "a number"
	case jString:
		return "a string"
	case jObject:
		return "an object"
	}
	return "an array"
}

// unknownField is the fieldID of a key that names no contract field.
const unknownField = numFields

// jsonField is one member of the record object.
type jsonField struct {
	key  string  // the name, unescaped
	id   fieldID // lookupField(key), or unknownField
	kind jsonKind
	// text is a string's unescaped value or a number's text. It may alias the message, so it is
	// only read while the message is decoded; strings kept in the Record are copies (or constants).
	text []byte
	// For an object value: its string members, and the first problem with its members
	// (a non-string value or a duplicate key) as an *Error for field "attributes".
	attrs   map[string]string
	attrErr *Error
}

// jsonParser is a strict RFC 8259 parser over valid UTF-8 input.
type jsonParser struct {
	data []byte
	pos  int
}

func (p *jsonParser) syntaxError(what string) *Error {
	if p.pos >= len(p.data) {
		return newError(CodeInvalidJSON, "", "invalid JSON: unexpected end of message, "+what)
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return newError(CodeInvalidJSON, "", "invalid JSON at byte "+strconv.Itoa(p.pos)+": unexpected "+strconv.QuoteRune(r)+", "+what)
}

func (p *jsonParser) skipWS() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// parseRecord parses the whole message: exactly one object and nothing after it.
func (p *jsonParser) parseRecord(fields []jsonField) ([]jsonField, error) {
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] != '{' {
		kind, err := p.skipValue(1)
		if err != nil {
			return nil, err
		}
		if p.skipWS(); p.pos != len(p.data) {
			return nil, newError(CodeInvalidJSON, "", "invalid JSON: trailing data after the value at byte "+strconv.Itoa(p.pos)+"; send exactly one object per message")
		}
		return nil, newError(CodeNotObject, "", "message is "+kind.String()+", not a JSON object; send one object per message")
	}
	if p.pos >= len(p.data) {
		return nil, p.syntaxError("expected '{'")
	}
	p.pos++
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
	} else {
		for {
			p.skipWS()
			if p.pos >= len(p.data) || p.data[p.pos] != '"' {
				return nil, p.syntaxError("expected a field name in double quotes")
			}
			key, id, err := p.readKey()
			if err != nil {
				return nil, err
			}
			p.skipWS()
			if p.pos >= len(p.data) || p.data[p.pos] != ':' {
				return nil, p.syntaxError("expected ':' after field name")
			}
			p.pos++
			p.skipWS()
			fields = append(fields, jsonField{key: key, id: id})
			if err := p.parseMember(&fields[len(fields)-1]); err != nil {
				return nil, err
			}
			p.skipWS()
			if p.pos < len(p.data) && p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.data) && p.data[p.pos] == '}' {
				p.pos++
				break
			}
			return nil, p.syntaxError("expected ',' or '}'")
		}
	}
	p.skipWS()
	if p.pos != len(p.data) {
		return nil, newError(CodeInvalidJSON, "", "invalid JSON: trailing data after the object at byte "+strconv.Itoa(p.pos)+"; send exactly one object per message")
	}
	return fields, nil
}

// parseMember parses the value of a record member (depth 2).
func (p *jsonParser) parseMember(f *jsonField) error {
	if p.pos >= len(p.data) {
		return p.syntaxError("expected a value")
	}
	switch c := p.data[p.pos]; {
	case c == '"':
		s, err := p.readStringBytes()
		f.kind, f.text = jString, s
		return err
	case c == '-' || isDigit(c):
		s, err := p.readNumber()
		f.kind, f.text = jNumber, s
		return err
	case c == '{':
		f.kind = jObject
		return p.parseStringObject(f)
	default:
		kind, err := p.skipValue(2)
		f.kind = kind
		return err
	}
}

// parseStringObject parses an object at depth 2, keeping its string members in f.attrs and noting
// the first non-string member or duplicate key in f.attrErr.
func (p *jsonParser) parseStringObject(f *jsonField) error {
	p.pos++ // '{'
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return nil
	}
	for {
		p.skipWS()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return p.syntaxError("expected a key in double quotes")
		}
		key, err := p.readString()
		if err != nil {
			return err
		}
		p.skipWS()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return p.syntaxError("expected ':' after key")
		}
		p.pos++
		p.skipWS()
		if p.pos < len(p.data) && p.data[p.pos] == '"' {
			v, err := p.readString()
			if err != nil {
				return err
			}
			if f.attrs == nil {
				f.attrs = make(map[string]string)
			}
			if _, dup := f.attrs[key]; dup && f.attrErr == nil {
				f.attrErr = fieldError(CodeDuplicateField, f.key, "key "+quote(key)+" appears more than once")
			}
			f.attrs[key] = v
		} else {
			kind, err := p.skipValue(3)
			if err != nil {
				return err
			}
			if f.attrErr == nil {
				f.attrErr = fieldError(CodeWrongType, f.key, "value of key "+quote(key)+" must be a JSON string, not "+kind.String())
			}
		}
		p.skipWS()
		if p.pos < len(p.data) && p.data[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			return nil
		}
		return p.syntaxError("expected ',' or '}'")
	}
}

// skipValue checks the syntax of one value at the given depth and returns its kind.
func (p *jsonParser) skipValue(depth int) (jsonKind, error) {
	if p.pos >= len(p.data) {
		return 0, p.syntaxError("expected a value")
	}
	switch c := p.data[p.pos]; {
	case c == '"':
		_, err := p.readString()
		return jString, err
	case c == '-' || isDigit(c):
		_, err := p.readNumber()
		return jNumber, err
	case c == 't':
		return jBool, p.literal("true")
	case c == 'f':
		return jBool, p.literal("false")
	case c == 'n':
		return jNull, p.literal("null")
	case c == '{' || c == '[':
		if depth > MaxJSONDepth {
			return 0, newError(CodeInvalidJSON, "", "invalid JSON: nesting deeper than "+strconv.Itoa(MaxJSONDepth)+" levels at byte "+strconv.Itoa(p.pos))
		}
		closer, kind := byte('}'), jObject
		if c == '[' {
			closer, kind = ']', jArray
		}
		p.pos++
		p.skipWS()
		if p.pos < len(p.data) && p.data[p.pos] == closer {
			p.pos++
			return kind, nil
		}
		for {
			p.skipWS()
			if kind == jObject {
				if p.pos >= len(p.data) || p.data[p.pos] != '"' {
					return 0, p.syntaxError("expected a key in double quotes")
				}
				if _, err := p.readString(); err != nil {
					return 0, err
				}
				p.skipWS()
				if p.pos >= len(p.data) || p.data[p.pos] != ':' {
					return 0, p.syntaxError("expected ':' after key")
				}
				p.pos++
				p.skipWS()
			}
			if _, err := p.skipValue(depth + 1); err != nil {
				return 0, err
			}
			p.skipWS()
			if p.pos < len(p.data) && p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.data) && p.data[p.pos] == closer {
				p.pos++
				return kind, nil
			}
			return 0, p.syntaxError("expected ',' or '" + string(closer) + "'")
		}
	}
	return 0, p.syntaxError("expected a JSON value (NaN, Infinity and unquoted words are not JSON)")
}

func (p *jsonParser) literal(word string) error {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return nil
	}
	return p.syntaxError("expected a JSON value (NaN, Infinity and unquoted words are not JSON)")
}

// readNumber reads a number per the JSON grammar and returns its text (aliasing the message).
func (p *jsonParser) readNumber() ([]byte, error) {
	start := p.pos
	d := p.data
	if p.pos < len(d) && d[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(d) && d[p.pos] == '0':
		p.pos++
	case p.pos < len(d) && isDigit(d[p.pos]):
		for p.pos < len(d) && isDigit(d[p.pos]) {
			p.pos++
		}
	default:
		return nil, p.syntaxError("expected a digit in number")
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if p.pos >= len(d) || !isDigit(d[p.pos]) {
			return nil, p.syntaxError("expected a digit after '.' in number")
		}
		for p.pos < len(d) && isDigit(d[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(d) || !isDigit(d[p.pos]) {
			return nil, p.syntaxError("expected a digit in exponent")
		}
		for p.pos < len(d) && isDigit(d[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(d) {
		switch d[p.pos] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
		default:
			return nil, p.syntaxError("expected ',' or '}' after number (thousands separators and decimal commas are not accepted)")
		}
	}
	return d[start:p.pos:p.pos], nil
}

// readKey reads a record's field name and returns it with its id (unknownField if it names no
// contract field). A contract field name written without escapes costs no allocation.
func (p *jsonParser) readKey() (string, fieldID, error) {
	d := p.data
	start := p.pos + 1
	if i := stringEnd(d, start); i < len(d) && d[i] == '"' {
		if id, ok := lookupField(d[start:i]); ok {
			p.pos = i + 1
			return fieldSpecs[id].name, id, nil
		}
	}
	key, err := p.readString()
	if err != nil {
		return "", 0, err
	}
	id, ok := lookupField(key)
	if !ok {
		id = unknownField
	}
	return key, id, nil
}

// readString reads a string starting at '"' and returns its unescaped value.
func (p *jsonParser) readString() (string, error) {
	b, err := p.readStringBytes()
	return string(b), err
}

// readStringBytes reads a string starting at '"' and returns its unescaped value; without escapes
// it aliases the message.
func (p *jsonParser) readStringBytes() ([]byte, error) {
	d := p.data
	p.pos++ // opening quote
	start := p.pos
	p.pos = stringEnd(d, start)
	if p.pos < len(d) {
		switch c := d[p.pos]; {
		case c == '"':
			s := d[start:p.pos:p.pos]
			p.pos++
			return s, nil
		case c < 0x20:
			return nil, p.syntaxError("control characters must be escaped in strings")
		}
	}
	if p.pos >= len(d) {
		return nil, p.syntaxError("unterminated string")
	}
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, d[start:p.pos]...)
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			p.pos++
			return buf, nil
		case c < 0x20:
			return nil, p.syntaxError("control characters must be escaped in strings")
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		// escape
		if p.pos+1 >= len(d) {
			p.pos++
			return nil, p.syntaxError("unterminated escape")
		}
		e := d[p.pos+1]
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(d, p.pos+2)
			if !ok {
				p.pos++
				return nil, p.syntaxError("expected four hex digits after \\u")
			}
			p.pos += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if p.pos+1 < len(d) && d[p.pos] == '\\' && d[p.pos+1] == 'u' {
					r2, ok = hex4(d, p.pos+2)
				}
				dec := utf16.DecodeRune(r, r2)
				if !ok || dec == utf8.RuneError {
					return nil, newError(CodeInvalidUTF8, "", "string has an unpaired UTF-16 surrogate escape before byte "+strconv.Itoa(p.pos)+"; it is not valid Unicode")
				}
				r = dec
				p.pos += 6
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			p.pos++
			return nil, p.syntaxError("invalid escape in string")
		}
		p.pos += 2
	}
	return nil, p.syntaxError("unterminated string")
}

// stringEnd returns the index of the first '"', '\\' or control character (< 0x20) in d at or
// after i, or len(d) if there is none. It tests eight bytes at a time.
func stringEnd(d []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(d); i += 8 {
		w := binary.LittleEndian.Uint64(d[i:])
		// For each test, the lowest flagged byte is a true match (a borrow can only flag bytes
		// above a true match), so the lowest flag of the union is the first byte sought.
		q := w ^ (ones * '"')
		b := w ^ (ones * '\\')
		t := ((q - ones) &^ q) | ((b - ones) &^ b) | ((w - ones*0x20) &^ w)
		if t &= highs; t != 0 {
			return i + bits.TrailingZeros64(t)/8
		}
	}
	for ; i < len(d); i++ {
		if c := d[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

// stringEndASCII is stringEnd that also stops at a byte that is not ASCII (≥ 0x80).
func stringEndASCII(d []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(d); i += 8 {
		w := binary.LittleEndian.Uint64(d[i:])
		q := w ^ (ones * '"')
		b := w ^ (ones * '\\')
		t := ((q - ones) &^ q) | ((b - ones) &^ b) | ((w - ones*0x20) &^ w) | w
		if t &= highs; t != 0 {
			return i + bits.TrailingZeros64(t)/8
		}
	}
	for ; i < len(d); i++ {
		if c := d[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// utf8StringEnd continues stringEnd from i, checking that the bytes it passes are valid UTF-8;
// ok is false at the first that is not.
func utf8StringEnd(d []byte, i int) (end int, ok bool) {
	for i < len(d) {
		c := d[i]
		if c < utf8.RuneSelf {
			if c == '"' || c == '\\' || c < 0x20 {
				return i, true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(d[i:])
		if r == utf8.RuneError && size == 1 {
			return i, false
		}
		i += size
	}
	return i, true
}

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
