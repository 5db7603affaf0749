package transform

import (
	"strconv"
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

// Decoder is DecodeJSON for a stream of messages: a field's string value that equals the
// previous message's value of the same field reuses that string instead of allocating another,
// so a batch of records that share their country, product, currency, source or dates holds one
// copy of each. A Decoder is not safe for concurrent use; the nil *Decoder decodes without
// reuse.
type Decoder struct {
	last [numFields]string
}

// Decode decodes one message exactly as DecodeJSON does.
func (d *Decoder) Decode(data []byte) (Record, error) {
	if len(data) > MaxMessageBytes {
		return Record{}, newError(CodeOversize, "", "message is "+strconv.Itoa(len(data))+" bytes; at most "+strconv.Itoa(MaxMessageBytes)+" are accepted")
	}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return Record{}, newError(CodeInvalidJSON, "", "message starts with a UTF-8 byte order mark (BOM); remove it")
	}
	if !utf8.Valid(data) {
		return Record{}, newError(CodeInvalidUTF8, "", "message is not valid UTF-8 (first bad byte at offset "+strconv.Itoa(firstInvalidUTF8(data))+")")
	}
	p := jsonParser{data: data, dec: d}
	p.skipWS()
	if p.pos == len(data) {
		return Record{}, newError(CodeEmpty, "", "message is empty; send one JSON object per message")
	}
	var stack [32]jsonField
	fields, err := p.parseRecord(stack[:0])
	if err != nil {
		return Record{}, err
	}
	return decodeFields(fields)
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

// decodeFields turns the parsed members of a record object into a validated Record.
func decodeFields(fields []jsonField) (Record, error) {
	var r Record
	// The kind decides which fields exist, and an unknown version must not be reported as unknown
	// fields, so both are read first.
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
	if err := Validate(&r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// setOn checks the JSON type of f against field id and sets it on r.
func (f *jsonField) setOn(r *Record, id fieldID) error {
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
	return setText(r, id, f.text)
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
	key  string
	kind jsonKind
	text string // a string's unescaped value or a number's text
	// For an object value: its string members, and the first problem with its members
	// (a non-string value or a duplicate key) as an *Error for field "attributes".
	attrs   map[string]string
	attrErr *Error
}

// jsonParser is a strict RFC 8259 parser over valid UTF-8 input.
type jsonParser struct {
	data []byte
	pos  int
	dec  *Decoder // nil: no reuse of values
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
			f := jsonField{key: key}
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
func (p *jsonParser) parseMember(f *jsonField) error {
	if p.pos >= len(p.data) {
		return p.syntaxError("expected a value")
	}
	switch c := p.data[p.pos]; {
	case c == '"':
		s, err := p.readValueOf(f.key)
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

// readNumber reads a number per the JSON grammar and returns its text.
func (p *jsonParser) readNumber() (string, error) {
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
var knownKeys = func() map[string]string {
	m := make(map[string]string, numFields)
	for _, f := range fieldSpecs {
		m[f.name] = f.name
	}
	return m
}()

// readKey is readString for a record's field names: a CONTRACT field name written without
// escapes costs no allocation.
func (p *jsonParser) readKey() (string, error) {
	d := p.data
	for i := p.pos + 1; i < len(d) && i < p.pos+32; i++ {
		if c := d[i]; c == '"' {
			if k, ok := knownKeys[string(d[p.pos+1:i])]; ok {
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
func (p *jsonParser) readValueOf(key string) (string, error) {
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
func (p *jsonParser) readString() (string, error) {
	d := p.data
	p.pos++ // opening quote
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
		// escape
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
			r, ok := hex4(d, p.pos+2)
			if !ok {
				p.pos++
				return "", p.syntaxError("expected four hex digits after \\u")
			}
			p.pos += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if p.pos+1 < len(d) && d[p.pos] == '\\' && d[p.pos+1] == 'u' {
					r2, ok = hex4(d, p.pos+2)
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
