package transform

import "strconv"

// CSVDecoder decodes CSV rows whose header names contract fields (docs/contract.md §1), in any
// subset and order. It holds no state between rows and is safe for concurrent use.
type CSVDecoder struct {
	columns []fieldID
	kindCol int
}

// NewCSVDecoder returns a decoder for rows laid out as header. Every header cell must be a contract
// field name (a UTF-8 byte order mark before the first one is ignored, as spreadsheets write it);
// an unknown name is rejected with CodeUnknownField, a repeated one with CodeDuplicateField, and a
// header without "kind" with CodeMissingField. A file may mix kinds: a row's cells for fields of
// other kinds must then be empty.
func NewCSVDecoder(header []string) (*CSVDecoder, error) {
	d := &CSVDecoder{columns: make([]fieldID, len(header)), kindCol: -1}
	var seen uint32
	for i, name := range header {
		if i == 0 && len(name) >= 3 && name[:3] == "\xEF\xBB\xBF" {
			name = name[3:]
		}
		id, ok := lookupField(name)
		if !ok {
			return nil, fieldError(CodeUnknownField, name, "header column "+strconv.Itoa(i+1)+" is not a field name of the record contract (docs/contract.md §1)")
		}
		if seen&(1<<id) != 0 {
			return nil, fieldError(CodeDuplicateField, name, "header names column "+quote(name)+" more than once")
		}
		seen |= 1 << id
		d.columns[i] = id
		if id == fKind {
			d.kindCol = i
		}
	}
	if d.kindCol < 0 {
		return nil, fieldError(CodeMissingField, "kind", "the header has no \"kind\" column; every row needs a kind")
	}
	return d, nil
}

// Decode decodes one row (cells in header order) into a Record, applies ApplyDefaults and
// Validate. An empty cell means the field is absent. An "attributes" cell, if non-empty, holds a
// JSON object of string → string. Decimals are read exactly from the cell text.
func (d *CSVDecoder) Decode(row []string) (Record, error) {
	if len(row) != len(d.columns) {
		return Record{}, newError(CodeInvalidField, "", "row has "+strconv.Itoa(len(row))+" cells but the header has "+strconv.Itoa(len(d.columns)))
	}
	var r Record
	if err := setText(&r, fKind, row[d.kindCol]); err != nil {
		return Record{}, err
	}
	if r.Kind == "" {
		return Record{}, fieldError(CodeMissingField, "kind", "is required; accepted: "+acceptedKinds)
	}
	for i, id := range d.columns {
		if id == fVersion {
			if err := setText(&r, id, row[i]); err != nil {
				return Record{}, err
			}
		}
	}
	bit := kindBit(r.Kind)
	for i, id := range d.columns {
		cell := row[i]
		if cell == "" || id == fKind || id == fVersion {
			continue
		}
		if fieldSpecs[id].kinds&bit == 0 {
			return Record{}, notInKind(id, r.Kind)
		}
		if id == fAttributes {
			attrs, err := parseAttributesText(cell)
			if err != nil {
				return Record{}, err
			}
			r.Attributes = attrs
			continue
		}
		if err := setText(&r, id, cell); err != nil {
			return Record{}, err
		}
	}
	r.ApplyDefaults()
	if err := Validate(&r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// parseAttributesText reads a JSON object of string → string (nil if empty).
func parseAttributesText(s string) (map[string]string, error) {
	p := jsonParser{data: []byte(s)}
	p.skipWS()
	if p.pos >= len(p.data) || p.data[p.pos] != '{' {
		return nil, fieldError(CodeWrongType, "attributes", "must be a JSON object of strings, e.g. {\"note\":\"text\"}")
	}
	f := jsonField{key: "attributes"}
	if err := p.parseStringObject(&f); err != nil {
		return nil, fieldError(err.(*Error).Code, "attributes", err.(*Error).Reason)
	}
	p.skipWS()
	if p.pos != len(p.data) {
		return nil, fieldError(CodeInvalidJSON, "attributes", "trailing data after the object")
	}
	if f.attrErr != nil {
		return nil, f.attrErr
	}
	if len(f.attrs) == 0 {
		return nil, nil
	}
	return f.attrs, nil
}
