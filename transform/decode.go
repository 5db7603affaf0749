package transform

import (
	"strconv"
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

// DecodeIn is DecodeInto with r's value (price, amount or rate), when it fits the fast path,
// stored in s instead of allocated (s nil: DecodeInto).
func (d *Decoder) DecodeIn(s *Scratch, r *Record, data []byte) error {
	d.scratch = s
	err := d.DecodeInto(r, data)
	d.scratch = nil
	return err
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
