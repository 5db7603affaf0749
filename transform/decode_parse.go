package transform

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

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
		return fieldError(CodeMissingField, "kind", "is required; accepted: "+acceptedKinds)
	}
	if err := fields[kindAt].setOn(r, fKind, dec); err != nil {
		return err
	}
	if r.Kind == "" {
		return fieldError(CodeMissingField, "kind", "is required; accepted: "+acceptedKinds)
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
	case tBool:
		if f.kind != jBool && f.kind != jString {
			return fieldError(CodeWrongType, spec.name, "must be true or false, not "+f.kind.String())
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
	case c == 't' || c == 'f':
		start := p.pos
		kind, err := p.skipValue(2)
		f.kind, f.text = kind, p.data[start:p.pos]
		return err
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
