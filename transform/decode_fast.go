package transform

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf8"
)

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

// skipSpace returns the index of the first byte at or after i that is not JSON white space.
func skipSpace(d []byte, i int) int {
	for i < len(d) && d[i] <= ' ' && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

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

// kindFields[bit] is the set (1 << fieldID) of the fields of the kind with membership bit bit.
var kindFields = func() (t [inIndicator + 1]uint32) {
	for id, spec := range fieldSpecs {
		for bit := range t {
			if spec.kinds&uint8(bit) != 0 {
				t[bit] |= 1 << id
			}
		}
	}
	return t
}()

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
