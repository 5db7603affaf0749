// A frozen copy of the decoder, decimal parser, Validate and RecordID as they were before the
// package's performance work, under ref* names. It is the oracle that ref_diff_test.go and the
// fuzz targets check the optimized code against: the same records and the same errors, byte for
// byte. Do not bring it up to date with the package; change it only with the contract.

package transform

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

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
func refDecodeJSON(data []byte) (Record, error) {
	return (*refDecoder)(nil).Decode(data)
}

// Decoder is DecodeJSON for a stream of messages: a field's string value that equals the
// previous message's value of the same field reuses that string instead of allocating another,
// so a batch of records that share their country, product, currency, source or dates holds one
// copy of each. A Decoder is not safe for concurrent use; the nil *Decoder decodes without
// reuse.
type refDecoder struct {
	last [numFields]string
}

// Decode decodes one message exactly as DecodeJSON does.
func (d *refDecoder) Decode(data []byte) (Record, error) {
	if len(data) > MaxMessageBytes {
		return Record{}, newError(CodeOversize, "", "message is "+strconv.Itoa(len(data))+" bytes; at most "+strconv.Itoa(MaxMessageBytes)+" are accepted")
	}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return Record{}, newError(CodeInvalidJSON, "", "message starts with a UTF-8 byte order mark (BOM); remove it")
	}
	if !utf8.Valid(data) {
		return Record{}, newError(CodeInvalidUTF8, "", "message is not valid UTF-8 (first bad byte at offset "+strconv.Itoa(refFirstInvalidUTF8(data))+")")
	}
	p := refJsonParser{data: data, dec: d}
	p.skipWS()
	if p.pos == len(data) {
		return Record{}, newError(CodeEmpty, "", "message is empty; send one JSON object per message")
	}
	var stack [32]refJsonField
	fields, err := p.parseRecord(stack[:0])
	if err != nil {
		return Record{}, err
	}
	return refDecodeFields(fields)
}

// firstInvalidUTF8 returns the offset of the first byte that is not valid UTF-8.
func refFirstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// decodeFields turns the parsed members of a record object into a validated Record.
func refDecodeFields(fields []refJsonField) (Record, error) {
	var r Record

	kindAt, versionAt := -1, -1
	for i := range fields {
		switch fields[i].key {
		case "kind":
			if kindAt < 0 {
				kindAt = i
			}
		case "version":
			if versionAt < 0 {
				versionAt = i
			}
		}
	}
	if kindAt < 0 {
		return Record{}, fieldError(CodeMissingField, "kind", "is required; accepted: fuel_price, wage, fx_rate")
	}
	if err := fields[kindAt].setOn(&r, fKind); err != nil {
		return Record{}, err
	}
	if r.Kind == "" {
		return Record{}, fieldError(CodeMissingField, "kind", "is required; accepted: fuel_price, wage, fx_rate")
	}
	if versionAt >= 0 {
		if err := fields[versionAt].setOn(&r, fVersion); err != nil {
			return Record{}, err
		}
	}
	bit := kindBit(r.Kind)
	var seen uint32
	for i := range fields {
		f := &fields[i]
		id, ok := lookupField(f.key)
		if !ok {
			return Record{}, fieldError(CodeUnknownField, f.key, "is not a field of kind "+string(r.Kind)+"; remove it (extra data belongs in \"attributes\")")
		}
		if seen&(1<<id) != 0 {
			return Record{}, fieldError(CodeDuplicateField, f.key, "appears more than once; send each field once")
		}
		seen |= 1 << id
		if fieldSpecs[id].kinds&bit == 0 {
			return Record{}, notInKind(id, r.Kind)
		}
		if i == kindAt || i == versionAt {
			continue
		}
		if err := f.setOn(&r, id); err != nil {
			return Record{}, err
		}
	}
	r.ApplyDefaults()
	if err := refValidate(&r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// setOn checks the JSON type of f against field id and sets it on r.
func (f *refJsonField) setOn(r *Record, id fieldID) error {
	spec := &fieldSpecs[id]
	if f.kind == refJNull {
		return nil
	}
	switch spec.typ {
	case tAttrs:
		if f.kind != refJObject {
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
		if f.kind != refJString && f.kind != refJNumber {
			return fieldError(CodeWrongType, spec.name, "must be a decimal, as a JSON number or string, not "+f.kind.String())
		}
	case tInt, tVersion:
		if f.kind != refJString && f.kind != refJNumber {
			return fieldError(CodeWrongType, spec.name, "must be an integer, as a JSON number or string, not "+f.kind.String())
		}
	default:
		if f.kind != refJString {
			return fieldError(CodeWrongType, spec.name, "must be a JSON string, not "+f.kind.String()+"; quote it")
		}
	}
	return refSetText(r, id, f.text)
}

// jsonKind is the type of a JSON value.
type refJsonKind uint8

const (
	refJNull refJsonKind = iota
	refJBool
	refJNumber
	refJString
	refJObject
	refJArray
)

func (k refJsonKind) String() string {
	switch k {
	case refJNull:
		return "null"
	case refJBool:
		return "a boolean"
	case refJNumber:
		return "a number"
	case refJString:
		return "a string"
	case refJObject:
		return "an object"
	}
	return "an array"
}

// jsonField is one member of the record object.
type refJsonField struct {
	key  string
	kind refJsonKind
	text string // a string's unescaped value or a number's text
	// For an object value: its string members, and the first problem with its members
	// (a non-string value or a duplicate key) as an *Error for field "attributes".
	attrs   map[string]string
	attrErr *Error
}

// jsonParser is a strict RFC 8259 parser over valid UTF-8 input.
type refJsonParser struct {
	data []byte
	pos  int
	dec  *refDecoder // nil: no reuse of values
}

func (p *refJsonParser) syntaxError(what string) *Error {
	if p.pos >= len(p.data) {
		return newError(CodeInvalidJSON, "", "invalid JSON: unexpected end of message, "+what)
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return newError(CodeInvalidJSON, "", "invalid JSON at byte "+strconv.Itoa(p.pos)+": unexpected "+strconv.QuoteRune(r)+", "+what)
}

func (p *refJsonParser) skipWS() {
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
func (p *refJsonParser) parseRecord(fields []refJsonField) ([]refJsonField, error) {
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
			key, err := p.readKey()
			if err != nil {
				return nil, err
			}
			p.skipWS()
			if p.pos >= len(p.data) || p.data[p.pos] != ':' {
				return nil, p.syntaxError("expected ':' after field name")
			}
			p.pos++
			p.skipWS()
			f := refJsonField{key: key}
			if err := p.parseMember(&f); err != nil {
				return nil, err
			}
			fields = append(fields, f)
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
func (p *refJsonParser) parseMember(f *refJsonField) error {
	if p.pos >= len(p.data) {
		return p.syntaxError("expected a value")
	}
	switch c := p.data[p.pos]; {
	case c == '"':
		s, err := p.readValueOf(f.key)
		f.kind, f.text = refJString, s
		return err
	case c == '-' || isDigit(c):
		s, err := p.readNumber()
		f.kind, f.text = refJNumber, s
		return err
	case c == '{':
		f.kind = refJObject
		return p.parseStringObject(f)
	default:
		kind, err := p.skipValue(2)
		f.kind = kind
		return err
	}
}

// parseStringObject parses an object at depth 2, keeping its string members in f.attrs and noting
// the first non-string member or duplicate key in f.attrErr.
func (p *refJsonParser) parseStringObject(f *refJsonField) error {
	p.pos++
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
func (p *refJsonParser) skipValue(depth int) (refJsonKind, error) {
	if p.pos >= len(p.data) {
		return 0, p.syntaxError("expected a value")
	}
	switch c := p.data[p.pos]; {
	case c == '"':
		_, err := p.readString()
		return refJString, err
	case c == '-' || isDigit(c):
		_, err := p.readNumber()
		return refJNumber, err
	case c == 't':
		return refJBool, p.literal("true")
	case c == 'f':
		return refJBool, p.literal("false")
	case c == 'n':
		return refJNull, p.literal("null")
	case c == '{' || c == '[':
		if depth > MaxJSONDepth {
			return 0, newError(CodeInvalidJSON, "", "invalid JSON: nesting deeper than "+strconv.Itoa(MaxJSONDepth)+" levels at byte "+strconv.Itoa(p.pos))
		}
		closer, kind := byte('}'), refJObject
		if c == '[' {
			closer, kind = ']', refJArray
		}
		p.pos++
		p.skipWS()
		if p.pos < len(p.data) && p.data[p.pos] == closer {
			p.pos++
			return kind, nil
		}
		for {
			p.skipWS()
			if kind == refJObject {
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

func (p *refJsonParser) literal(word string) error {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return nil
	}
	return p.syntaxError("expected a JSON value (NaN, Infinity and unquoted words are not JSON)")
}

// readNumber reads a number per the JSON grammar and returns its text.
func (p *refJsonParser) readNumber() (string, error) {
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
		return "", p.syntaxError("expected a digit in number")
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if p.pos >= len(d) || !isDigit(d[p.pos]) {
			return "", p.syntaxError("expected a digit after '.' in number")
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
			return "", p.syntaxError("expected a digit in exponent")
		}
		for p.pos < len(d) && isDigit(d[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(d) {
		switch d[p.pos] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
		default:
			return "", p.syntaxError("expected ',' or '}' after number (thousands separators and decimal commas are not accepted)")
		}
	}
	return string(d[start:p.pos]), nil
}

// knownKeys maps every CONTRACT field name to itself, so that readKey returns a shared string.
var refKnownKeys = func() map[string]string {
	m := make(map[string]string, numFields)
	for _, f := range fieldSpecs {
		m[f.name] = f.name
	}
	return m
}()

// readKey is readString for a record's field names: a CONTRACT field name written without
// escapes costs no allocation.
func (p *refJsonParser) readKey() (string, error) {
	d := p.data
	for i := p.pos + 1; i < len(d) && i < p.pos+32; i++ {
		if c := d[i]; c == '"' {
			if k, ok := refKnownKeys[string(d[p.pos+1:i])]; ok {
				p.pos = i + 1
				return k, nil
			}
			break
		} else if c == '\\' || c < 0x20 {
			break
		}
	}
	return p.readString()
}

// readValueOf is readString for the value of field key: without escapes, a value equal to the
// previous message's value of the same field is returned without allocating.
func (p *refJsonParser) readValueOf(key string) (string, error) {
	if p.dec == nil {
		return p.readString()
	}
	id, ok := lookupField(key)
	if !ok {
		return p.readString()
	}
	d := p.data
	for i := p.pos + 1; i < len(d); i++ {
		c := d[i]
		if c == '"' {
			raw := d[p.pos+1 : i]
			last := &p.dec.last[id]
			if *last != string(raw) {
				*last = string(raw)
			}
			p.pos = i + 1
			return *last, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	return p.readString()
}

// readString reads a string starting at '"' and returns its unescaped value.
func (p *refJsonParser) readString() (string, error) {
	d := p.data
	p.pos++
	start := p.pos
	for p.pos < len(d) {
		c := d[p.pos]
		if c == '"' {
			s := string(d[start:p.pos])
			p.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.syntaxError("control characters must be escaped in strings")
		}
		p.pos++
	}
	if p.pos >= len(d) {
		return "", p.syntaxError("unterminated string")
	}
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, d[start:p.pos]...)
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return "", p.syntaxError("control characters must be escaped in strings")
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}

		if p.pos+1 >= len(d) {
			p.pos++
			return "", p.syntaxError("unterminated escape")
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
			r, ok := refHex4(d, p.pos+2)
			if !ok {
				p.pos++
				return "", p.syntaxError("expected four hex digits after \\u")
			}
			p.pos += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if p.pos+1 < len(d) && d[p.pos] == '\\' && d[p.pos+1] == 'u' {
					r2, ok = refHex4(d, p.pos+2)
				}
				dec := utf16.DecodeRune(r, r2)
				if !ok || dec == utf8.RuneError {
					return "", newError(CodeInvalidUTF8, "", "string has an unpaired UTF-16 surrogate escape before byte "+strconv.Itoa(p.pos)+"; it is not valid Unicode")
				}
				r = dec
				p.pos += 6
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			p.pos++
			return "", p.syntaxError("invalid escape in string")
		}
		p.pos += 2
	}
	return "", p.syntaxError("unterminated string")
}

func refHex4(d []byte, i int) (rune, bool) {
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

// parseKind checks the kind field's text.
func refParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case KindFuelPrice, KindWage, KindFXRate:
		return k, nil
	case "":
		return "", fieldError(CodeMissingField, "kind", "is required; accepted: fuel_price, wage, fx_rate")
	default:
		return "", fieldError(CodeUnknownKind, "kind", quote(s)+" is not a known kind; accepted: fuel_price, wage, fx_rate")
	}
}

// parseVersion checks the version field's text (a JSON number or string).
func refParseVersion(s string) (int, error) {
	if s == "1" {
		return CurrentVersion, nil
	}
	return 0, fieldError(CodeUnknownVersion, "version", quote(s)+" is not a known schema version; this consumer knows version 1 only")
}

// setText sets field id of r from its text. An empty text means absent and leaves r unchanged.
// Attributes are not set here.
func refSetText(r *Record, id fieldID, s string) error {
	if s == "" {
		return nil
	}
	spec := &fieldSpecs[id]
	switch spec.typ {
	case tDecimal:
		d, err := refParseDecimal(s)
		if err != nil {
			e := err.(*Error)
			return fieldError(e.Code, spec.name, e.Reason)
		}
		switch id {
		case fPrice:
			r.Price = d
		case fAmount:
			r.Amount = d
		case fRate:
			r.Rate = d
		}
		return nil
	case tInt:
		n, err := refParseInteger(spec.name, s)
		if err != nil {
			return err
		}
		switch id {
		case fUnitMult:
			if n < MinUnitMult || n > MaxUnitMult {
				return fieldError(CodeOutOfRange, "unit_mult", s+" is outside −18…18")
			}
			r.UnitMult = int(n)
		case fQuantity:
			if n < 1 {
				return fieldError(CodeOutOfRange, "quantity", s+" is not accepted; quantity is an integer ≥ 1")
			}
			r.Quantity = n
		}
		return nil
	case tDate:
		t, err := refParseDate(s)
		if err != nil {
			return err
		}
		r.Date = t
		return nil
	case tTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fieldError(CodeInvalidField, "published_at", quote(s)+" is not an RFC 3339 time; write e.g. 2022-01-05T10:00:00Z or 2022-01-05T16:00:00+06:00")
		}
		r.PublishedAt = t.UTC()
		return nil
	case tVersion:
		v, err := refParseVersion(s)
		if err != nil {
			return err
		}
		r.Version = v
		return nil
	}
	switch id {
	case fKind:
		k, err := refParseKind(s)
		if err != nil {
			return err
		}
		r.Kind = k
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
	}
	return nil
}

// parseInteger reads an optional '-' and 1–18 decimal digits.
func refParseInteger(field, s string) (int64, error) {
	p := s
	neg := false
	if len(p) > 0 && p[0] == '-' {
		neg = true
		p = p[1:]
	}
	if p == "" {
		return 0, fieldError(CodeInvalidField, field, quote(s)+" is not an integer; write digits only, e.g. 100")
	}
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) {
			return 0, fieldError(CodeInvalidField, field, quote(s)+" is not an integer; write digits only, e.g. 100 (no fraction, exponent or separators)")
		}
	}
	if len(p) > 18 {
		return 0, fieldError(CodeOutOfRange, field, quote(s)+" is too large")
	}
	n, _ := strconv.ParseInt(p, 10, 64)
	if neg {
		n = -n
	}
	return n, nil
}

var refMonthNames = [...]string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// parseDate reads YYYY-MM-DD as a real calendar date at UTC midnight.
func refParseDate(s string) (time.Time, error) {
	ok := len(s) == 10 && s[4] == '-' && s[7] == '-'
	for i := 0; ok && i < 10; i++ {
		if i != 4 && i != 7 && !isDigit(s[i]) {
			ok = false
		}
	}
	if !ok {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(s)+" is not a date; write YYYY-MM-DD, e.g. 2022-01-05")
	}
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if y < 1 {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(s)+" is not a calendar date: year 0000 does not exist")
	}
	if m < 1 || m > 12 {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(s)+" is not a calendar date: month must be 01…12")
	}
	if n := refDaysIn(y, m); d < 1 || d > n {
		return time.Time{}, fieldError(CodeInvalidField, "date", quote(s)+" is not a calendar date: "+refMonthNames[m]+" "+strconv.Itoa(y)+" has "+strconv.Itoa(n)+" days")
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

func refDaysIn(y, m int) int {
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
func refParseDecimal(s string) (Decimal, error) {
	neg := false
	p := s
	if len(p) > 0 && p[0] == '-' {
		neg = true
		p = p[1:]
	}

	i := 0
	for i < len(p) && isDigit(p[i]) {
		i++
	}
	intDigits := p[:i]
	fracDigits := ""
	if i < len(p) && p[i] == '.' {
		j := i + 1
		for j < len(p) && isDigit(p[j]) {
			j++
		}
		fracDigits = p[i+1 : j]
		if intDigits == "" || fracDigits == "" {
			return Decimal{}, refBadDecimal(s, refDiagnose(s))
		}
		i = j
	}
	if intDigits == "" {
		return Decimal{}, refBadDecimal(s, refDiagnose(s))
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
			return Decimal{}, refBadDecimal(s, refDiagnose(s))
		}
		if m-k > 4 {
			return Decimal{}, refOutOfRangeDecimal(s, "its exponent is larger than 9999 in magnitude")
		}
		for _, c := range p[k:m] {
			exp = exp*10 + int64(c-'0')
		}
		if exp > maxExponent {
			return Decimal{}, refOutOfRangeDecimal(s, "its exponent is larger than 9999 in magnitude")
		}
		if expNeg {
			exp = -exp
		}
		i = m
	}
	if i != len(p) {
		return Decimal{}, refBadDecimal(s, refDiagnose(s))
	}

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
	pointPos := int64(len(intDigits)) + exp
	scale := nMant - pointPos
	if scale < 0 {
		scale = 0
	}
	if first < 0 {
		if scale > MaxScale {
			scale = MaxScale
		}
		return Decimal{Coef: new(big.Int), Scale: int32(scale)}, nil
	}
	if sig := last - first + 1; sig > MaxPrecision {
		return Decimal{}, refOutOfRangeDecimal(s, "it has "+itoa(sig)+" significant digits; at most 38 fit Decimal(38,18)")
	}
	if frac := last + 1 - pointPos; frac > MaxScale {
		return Decimal{}, refOutOfRangeDecimal(s, "it has "+itoa(frac)+" fractional digits"+refExpNote(exp)+"; at most 18 are accepted and values are never rounded")
	}
	if ints := pointPos - first; ints > MaxIntegerDigits {
		return Decimal{}, refOutOfRangeDecimal(s, "its integer part has "+itoa(ints)+" digits"+refExpNote(exp)+"; at most 20 fit Decimal(38,18)")
	}
	if scale > MaxScale {
		scale = MaxScale
	}

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
	coef := new(big.Int)
	if n <= 18 {
		var u uint64
		for _, c := range buf[:n] {
			u = u*10 + uint64(c-'0')
		}
		coef.SetUint64(u)
	} else {
		coef.SetString(string(buf[:n]), 10)
	}
	if neg {
		coef.Neg(coef)
	}
	return Decimal{Coef: coef, Scale: int32(scale)}, nil
}

func refExpNote(exp int64) string {
	if exp == 0 {
		return ""
	}
	return " after applying the exponent"
}

func refBadDecimal(s, why string) *Error {
	return &Error{Code: CodeBadDecimal, Reason: quote(s) + " is not a decimal: " + why}
}

func refOutOfRangeDecimal(s, why string) *Error {
	return &Error{Code: CodeOutOfRange, Reason: quote(s) + " is out of range: " + why}
}

// diagnose explains why s is not an accepted decimal, suggesting a fix where it can.
func refDiagnose(s string) string {
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
		if _, err := refParseDecimal(clean); err == nil {
			return "thousands separators are not accepted; write " + strconv.Quote(clean)
		}
	}
	if strings.Contains(body, ",") {
		if refIsThousandsGrouped(body) {
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
func refIsThousandsGrouped(s string) bool {
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
// ParseDecimal(refDecimalString(d)) returns d exactly (for 0 ≤ Scale ≤ 18).
func refDecimalString(d Decimal) string {
	c := d.coef()
	var stack [48]byte
	digits := c.Append(stack[:0], 10)
	neg := false
	if len(digits) > 0 && digits[0] == '-' {
		neg = true
		digits = digits[1:]
	}
	return refFormatScaled(neg, digits, int(d.Scale))
}

// appendText appends refDecimalString(d) to dst.
func refAppendText(d Decimal, dst []byte) []byte {
	var stack [48]byte
	digits := d.coef().Append(stack[:0], 10)
	if len(digits) > 0 && digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
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

// formatScaled writes digits (no sign) as a decimal with scale fractional digits.
func refFormatScaled(neg bool, digits []byte, scale int) string {
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

// Validate checks every rule of CONTRACT §1 on a decoded record whose defaults have been applied
// (see ApplyDefaults): the kind is known and the version is 1; the kind's required fields are
// present; date is a UTC-midnight calendar date; frequency is D, W, M, Q or A; status is 1–2
// upper-case letters (an SDMX OBS_STATUS code); unit_mult is within −18…18; country matches
// [A-Z]{2}; region is "" or the country, '-', and 1–3 of [A-Z0-9]; product and measure match
// [a-z0-9_]+; currencies match [A-Z]{3} and base ≠ quote; enumerations hold (unit, tax_basis, per,
// basis, rate_type); price ≥ 0, amount ≥ 0, rate > 0, quantity ≥ 1, each decimal fitting
// Decimal(38, 18); source is non-empty and at most 200 bytes; every string is valid UTF-8 without
// control characters; attribute keys are non-empty; fields of other kinds are empty.
//
// It returns the first violation as an *Error naming the field and the accepted values.
func refValidate(r *Record) error {
	switch r.Kind {
	case KindFuelPrice, KindWage, KindFXRate:
	case "":
		return fieldError(CodeMissingField, "kind", "is required; accepted: fuel_price, wage, fx_rate")
	default:
		return fieldError(CodeUnknownKind, "kind", quote(string(r.Kind))+" is not a known kind; accepted: fuel_price, wage, fx_rate")
	}
	if r.Version != CurrentVersion {
		return fieldError(CodeUnknownVersion, "version", strconv.Itoa(r.Version)+" is not a known schema version; this consumer knows version 1")
	}
	if err := refCheckText("id", r.ID, MaxIDBytes); err != nil {
		return err
	}
	if r.Source == "" {
		return fieldError(CodeMissingField, "source", "is required: the publisher id, e.g. \"stat.gov.kz\"")
	}
	if err := refCheckText("source", r.Source, MaxSourceBytes); err != nil {
		return err
	}
	if r.Date.IsZero() {
		return fieldError(CodeMissingField, "date", "is required, as YYYY-MM-DD")
	}
	if h, m, s := r.Date.Clock(); h != 0 || m != 0 || s != 0 || r.Date.Nanosecond() != 0 || r.Date.Location() != time.UTC {
		return fieldError(CodeInvalidField, "date", "must be a calendar date at UTC midnight")
	}
	if r.Date.Before(MinDate) || r.Date.After(MaxDate) {
		return fieldError(CodeOutOfRange, "date", r.Date.Format("2006-01-02")+" is outside 1970-01-01…2105-12-31, the range ClickHouse's Date stores")
	}
	if !r.PublishedAt.IsZero() && (r.PublishedAt.Before(MinDate) || !r.PublishedAt.Before(MaxDate.AddDate(0, 0, 1))) {
		return fieldError(CodeOutOfRange, "published_at", r.PublishedAt.Format(time.RFC3339)+" is outside 1970-01-01…2105-12-31, the range ClickHouse's DateTime stores")
	}
	switch r.Frequency {
	case "D", "W", "M", "Q", "A":
	case "":
		return fieldError(CodeMissingField, "frequency", "is empty; accepted: "+acceptedFrequencies)
	default:
		return fieldError(CodeInvalidField, "frequency", quote(r.Frequency)+" is not accepted; accepted: "+acceptedFrequencies)
	}
	if !refIsStatus(r.Status) {
		return fieldError(CodeInvalidField, "status", quote(r.Status)+" is not an SDMX OBS_STATUS code; write 1–2 upper-case letters such as A (normal), P (provisional), E (estimated)")
	}
	if r.UnitMult < MinUnitMult || r.UnitMult > MaxUnitMult {
		return fieldError(CodeOutOfRange, "unit_mult", strconv.Itoa(r.UnitMult)+" is outside −18…18")
	}
	var err error
	switch r.Kind {
	case KindFuelPrice:
		err = refValidateFuelPrice(r)
	case KindWage:
		err = refValidateWage(r)
	case KindFXRate:
		err = refValidateFXRate(r)
	}
	if err != nil {
		return err
	}
	for k, v := range r.Attributes {
		if k == "" {
			return fieldError(CodeInvalidField, "attributes", "attribute keys must be non-empty")
		}
		if code, why := refTextProblem(k, 0); code != "" {
			return fieldError(code, "attributes", "key "+quote(k)+" "+why)
		}
		if code, why := refTextProblem(v, 0); code != "" {
			return fieldError(code, "attributes", "value of key "+quote(k)+" "+why)
		}
	}
	return nil
}

func refValidateFuelPrice(r *Record) error {
	if err := refNotApplicable(r, "measure", r.Measure, "per", r.Per, "basis", r.Basis, "base", r.Base, "quote", r.Quote, "rate_type", r.RateType); err != nil {
		return err
	}
	if r.Amount.Coef != nil || r.Rate.Coef != nil || r.Quantity != 0 {
		return fieldError(CodeUnknownField, "amount", "amount, rate and quantity do not apply to kind fuel_price")
	}
	if err := refCheckCountryRegion(r); err != nil {
		return err
	}
	if err := refCheckCode("product", r.Product, "e.g. lpg, gasoline_ai92, diesel"); err != nil {
		return err
	}
	if err := refCheckCurrency("currency", r.Currency); err != nil {
		return err
	}
	switch r.Unit {
	case UnitLitre, Unit1000Litres, UnitUSGallon, UnitImpGallon, UnitBarrel, UnitKg, UnitTonne:
	case "":
		return fieldError(CodeMissingField, "unit", "is required; accepted: "+acceptedUnits)
	default:
		return fieldError(CodeInvalidField, "unit", quote(r.Unit)+" is not an accepted unit; accepted: "+acceptedUnits)
	}
	if err := refCheckEnum("tax_basis", r.TaxBasis, "incl_tax", "excl_tax"); err != nil {
		return err
	}
	return refCheckDecimal("price", r.Price, 0)
}

func refValidateWage(r *Record) error {
	if err := refNotApplicable(r, "product", r.Product, "tax_basis", r.TaxBasis, "unit", r.Unit, "base", r.Base, "quote", r.Quote, "rate_type", r.RateType); err != nil {
		return err
	}
	if r.Price.Coef != nil || r.Rate.Coef != nil || r.Quantity != 0 {
		return fieldError(CodeUnknownField, "price", "price, rate and quantity do not apply to kind wage")
	}
	if err := refCheckCountryRegion(r); err != nil {
		return err
	}
	if err := refCheckCode("measure", r.Measure, "e.g. minimum, average, median"); err != nil {
		return err
	}
	if err := refCheckCurrency("currency", r.Currency); err != nil {
		return err
	}
	if err := refCheckEnum("per", r.Per, "hour", "day", "week", "month", "year"); err != nil {
		return err
	}
	if err := refCheckEnum("basis", r.Basis, "gross", "net"); err != nil {
		return err
	}
	return refCheckDecimal("amount", r.Amount, 0)
}

func refValidateFXRate(r *Record) error {
	if err := refNotApplicable(r, "country", r.Country, "region", r.Region, "product", r.Product, "tax_basis", r.TaxBasis, "currency", r.Currency, "unit", r.Unit, "measure", r.Measure, "per", r.Per, "basis", r.Basis); err != nil {
		return err
	}
	if r.Price.Coef != nil || r.Amount.Coef != nil {
		return fieldError(CodeUnknownField, "price", "price and amount do not apply to kind fx_rate")
	}
	if err := refCheckCurrency("base", r.Base); err != nil {
		return err
	}
	if err := refCheckCurrency("quote", r.Quote); err != nil {
		return err
	}
	if r.Base == r.Quote {
		return fieldError(CodeInvalidField, "quote", "equals base "+quote(r.Base)+"; a rate needs two different currencies")
	}
	if err := refCheckEnum("rate_type", r.RateType, "official", "reference", "market"); err != nil {
		return err
	}
	if r.Quantity < 1 {
		return fieldError(CodeOutOfRange, "quantity", strconv.FormatInt(r.Quantity, 10)+" is not accepted; quantity is an integer ≥ 1")
	}
	return refCheckDecimal("rate", r.Rate, 1)
}

// notApplicable reports the first non-empty field among name/value pairs.
func refNotApplicable(r *Record, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			return fieldError(CodeUnknownField, pairs[i], "does not apply to kind "+string(r.Kind))
		}
	}
	return nil
}

// checkDecimal checks presence, sign (min 0: ≥ 0; min 1: > 0) and that d fits Decimal(38, 18).
func refCheckDecimal(field string, d Decimal, min int) error {
	if d.Coef == nil {
		return fieldError(CodeMissingField, field, "is required: a decimal such as 120.5")
	}
	if !d.fits38() {
		return fieldError(CodeOutOfRange, field, refDecimalString(d)+" does not fit Decimal(38,18)")
	}
	if min == 0 && d.Sign() < 0 {
		return fieldError(CodeOutOfRange, field, refDecimalString(d)+" is negative; it must be ≥ 0")
	}
	if min == 1 && d.Sign() <= 0 {
		return fieldError(CodeOutOfRange, field, refDecimalString(d)+" is not accepted; it must be > 0")
	}
	return nil
}

func refCheckCountryRegion(r *Record) error {
	if r.Country == "" {
		return fieldError(CodeMissingField, "country", "is required: an ISO 3166-1 alpha-2 code such as KZ")
	}
	if len(r.Country) != 2 || !isUpper(r.Country[0]) || !isUpper(r.Country[1]) {
		return fieldError(CodeInvalidField, "country", quote(r.Country)+" is not an ISO 3166-1 alpha-2 code; write two upper-case letters such as KZ")
	}
	if r.Region == "" {
		return nil
	}
	ok := len(r.Region) >= 4 && len(r.Region) <= 6 && r.Region[:2] == r.Country && r.Region[2] == '-'
	if ok {
		for i := 3; i < len(r.Region); i++ {
			if c := r.Region[i]; !isUpper(c) && !isDigit(c) {
				ok = false
			}
		}
	}
	if !ok {
		return fieldError(CodeInvalidField, "region", quote(r.Region)+" is not an ISO 3166-2 code of country "+r.Country+"; write "+r.Country+"- followed by 1–3 upper-case letters or digits, e.g. KZ-MAN, or leave it empty")
	}
	return nil
}

func refCheckCode(field, v, example string) error {
	if v == "" {
		return fieldError(CodeMissingField, field, "is required: a lower-case code ([a-z0-9_]+), "+example)
	}
	ok := len(v) <= MaxCodeBytes
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = ('a' <= c && c <= 'z') || isDigit(c) || c == '_'
	}
	if !ok {
		return fieldError(CodeInvalidField, field, quote(v)+" is not accepted; write lower-case letters, digits and '_' (at most 100), "+example)
	}
	return nil
}

func refCheckCurrency(field, v string) error {
	if v == "" {
		return fieldError(CodeMissingField, field, "is required: an ISO 4217 code such as KZT")
	}
	if len(v) != 3 || !isUpper(v[0]) || !isUpper(v[1]) || !isUpper(v[2]) {
		return fieldError(CodeInvalidField, field, quote(v)+" is not an ISO 4217 code; write three upper-case letters such as KZT")
	}
	return nil
}

func refCheckEnum(field, v string, accepted ...string) error {
	for _, a := range accepted {
		if v == a {
			return nil
		}
	}
	list := ""
	for i, a := range accepted {
		if i > 0 {
			list += ", "
		}
		list += a
	}
	if v == "" {
		return fieldError(CodeMissingField, field, "is required; accepted: "+list)
	}
	return fieldError(CodeInvalidField, field, quote(v)+" is not accepted; accepted: "+list)
}

func refIsStatus(s string) bool {
	switch len(s) {
	case 1:
		return isUpper(s[0])
	case 2:
		return isUpper(s[0]) && isUpper(s[1])
	}
	return false
}

// checkText checks that s is valid UTF-8 without control characters and, if max > 0, at most max bytes.
func refCheckText(field, s string, max int) error {
	if code, why := refTextProblem(s, max); code != "" {
		return fieldError(code, field, why)
	}
	return nil
}

// textProblem returns a code and reason if s is not valid UTF-8, contains a control character or
// (max > 0) is longer than max bytes; otherwise "", "".
func refTextProblem(s string, max int) (Code, string) {
	if max > 0 && len(s) > max {
		return CodeOutOfRange, "is " + strconv.Itoa(len(s)) + " bytes long; at most " + strconv.Itoa(max) + " are accepted"
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return CodeInvalidField, "contains control character " + strconv.QuoteRune(rune(c)) + " at byte " + strconv.Itoa(i) + "; remove it"
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return CodeInvalidUTF8, "is not valid UTF-8 at byte " + strconv.Itoa(i)
		}
		if unicode.IsControl(r) {
			return CodeInvalidField, "contains control character " + strconv.QuoteRune(r) + " at byte " + strconv.Itoa(i) + "; remove it"
		}
		i += size
	}
	return "", ""
}

// appendDate appends t's date as YYYY-MM-DD (years 0–9999).
func refAppendDate(dst []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, "2006-01-02")
	}
	return append(dst,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-',
		byte('0'+d/10), byte('0'+d%10))
}

// RecordID returns a deterministic id for r: the first 32 hex digits (128 bits) of the SHA-256 of
// a canonical, length-prefixed encoding of every content field — kind, version, source, all
// kind-specific fields (dimensions, quantity), frequency, date, the value's String() (so "120.5" and
// "120.50" differ, as written), published_at (RFC 3339 with nanoseconds, UTC) if non-zero, status,
// unit_mult and the attributes sorted by key. The ID field itself is not part of it.
func refRecordID(r *Record) string {
	var stack [512]byte
	b := stack[:0]
	put := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	putBytes := func(from int) {
		var pre [binary.MaxVarintLen64]byte
		p := binary.AppendUvarint(pre[:0], uint64(len(b)-from))
		b = append(b, p...)
		copy(b[from+len(p):], b[from:len(b)-len(p)])
		copy(b[from:], p)
	}
	put(string(r.Kind))
	b = binary.AppendVarint(b, int64(r.Version))
	put(r.Source)
	var buf [6]string
	for _, d := range r.dims(&buf) {
		put(d)
	}
	if r.Kind == KindFXRate {
		b = binary.AppendVarint(b, r.Quantity)
	}
	put(r.Frequency)
	from := len(b)
	b = refAppendDate(b, r.Date)
	putBytes(from)
	from = len(b)
	b = refAppendText(r.Value(), b)
	putBytes(from)
	from = len(b)
	if !r.PublishedAt.IsZero() {
		b = r.PublishedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	putBytes(from)
	put(r.Status)
	b = binary.AppendVarint(b, int64(r.UnitMult))
	b = binary.AppendVarint(b, int64(len(r.Attributes)))
	if len(r.Attributes) > 0 {
		keys := make([]string, 0, len(r.Attributes))
		for k := range r.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			put(k)
			put(r.Attributes[k])
		}
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
