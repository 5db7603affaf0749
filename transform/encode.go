package transform

import (
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"time"
)

// EncodeJSON writes r as a contract record (docs/contract.md §1): the fields of its kind in
// contract order, decimals as JSON strings of their exact text, published_at only when set.
// DecodeJSON(EncodeJSON(r)) gives back r (the derived id aside, which is left out so the consumer
// derives the same one).
func EncodeJSON(r *Record) []byte {
	return AppendJSON(make([]byte, 0, 256), r)
}

// AppendJSON appends EncodeJSON(r) to dst: a reader that encodes many records can write them
// into blocks of its own instead of allocating each.
func AppendJSON(dst []byte, r *Record) []byte {
	return appendJSON(dst, r, nil)
}

// Encoder appends records as AppendJSON does, and writes an attributes map that is the same map
// as the last record's once: the records of a publisher file share one (their provenance). The
// zero value is ready; a map it has written must not change while it is in use.
type Encoder struct {
	attrs     map[string]string // the map last written
	attrsJSON []byte            // and its JSON
}

// AppendJSON appends EncodeJSON(r) to dst.
func (e *Encoder) AppendJSON(dst []byte, r *Record) []byte {
	return appendJSON(dst, r, e)
}

// attributes returns attrs as JSON, written again only when attrs is another map than the last.
func (e *Encoder) attributes(attrs map[string]string) []byte {
	if e.attrsJSON == nil || reflect.ValueOf(attrs).UnsafePointer() != reflect.ValueOf(e.attrs).UnsafePointer() {
		e.attrs, e.attrsJSON = attrs, appendAttributes(e.attrsJSON[:0], attrs)
	}
	return e.attrsJSON
}

func appendJSON(dst []byte, r *Record, e *Encoder) []byte {
	b := append(dst, '{')
	start := len(b)
	// The field names are constants that need no escaping; only the values go through
	// appendJSONString.
	name := func(n string) {
		if len(b) > start {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, n...)
		b = append(b, '"', ':')
	}
	field := func(n, value string) {
		name(n)
		b = appendJSONString(b, value)
	}
	value := func(n string, d Decimal) { // a withdrawal has none
		if !r.Withdrawn {
			name(n)
			b = append(b, '"') // a decimal's text needs no escaping
			b = d.appendText(b)
			b = append(b, '"')
		}
	}
	field("kind", string(r.Kind))
	if r.Version != 0 && r.Version != CurrentVersion {
		name("version")
		b = strconv.AppendInt(b, int64(r.Version), 10)
	}
	if r.ID != "" && r.ID != RecordID(r) {
		field("id", r.ID)
	}
	field("source", r.Source)
	name("date")
	b = append(b, '"')
	b = appendDate(b, r.Date)
	b = append(b, '"')
	if r.Frequency != "" {
		field("frequency", r.Frequency)
	}
	if !r.PublishedAt.IsZero() {
		name("published_at")
		b = append(b, '"') // digits, '-', ':', 'T', '.' and 'Z' need no escaping
		b = r.PublishedAt.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	if r.Status != "" {
		field("status", r.Status)
	}
	if r.UnitMult != 0 {
		name("unit_mult")
		b = strconv.AppendInt(b, int64(r.UnitMult), 10)
	}
	switch r.Kind {
	case KindFuelPrice:
		field("country", r.Country)
		field("region", r.Region)
		field("product", r.Product)
		value("price", r.Price)
		field("currency", r.Currency)
		field("unit", r.Unit)
		field("tax_basis", r.TaxBasis)
	case KindWage:
		field("country", r.Country)
		field("region", r.Region)
		field("measure", r.Measure)
		value("amount", r.Amount)
		field("currency", r.Currency)
		field("per", r.Per)
		field("basis", r.Basis)
	case KindFXRate:
		field("base", r.Base)
		field("quote", r.Quote)
		value("rate", r.Rate)
		if !r.Withdrawn {
			name("quantity")
			b = strconv.AppendInt(b, r.Quantity, 10)
		}
		field("rate_type", r.RateType)
	case KindIndicator:
		field("series", r.Series)
		field("country", r.Country)
		for _, f := range [...][2]string{{"region", r.Region}, {"measure", r.Measure}, {"unit", r.Unit},
			{"currency", r.Currency}, {"base_period", r.BasePeriod}, {"adjustment", r.Adjustment}} {
			if f[1] != "" { // an absent optional field, as the JSON Schema wants it
				field(f[0], f[1])
			}
		}
		value("value", r.IndicatorValue)
	}
	if r.Withdrawn {
		name("withdrawn")
		b = append(b, "true"...)
	}
	if len(r.Attributes) > 0 {
		name("attributes")
		if e != nil {
			b = append(b, e.attributes(r.Attributes)...)
		} else {
			b = appendAttributes(b, r.Attributes)
		}
	}
	return append(b, '}')
}

// appendAttributes appends attrs as a JSON object, its keys in sorted order.
func appendAttributes(b []byte, attrs map[string]string) []byte {
	b = append(b, '{')
	if len(attrs) == 1 { // nothing to sort
		for k, v := range attrs {
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, v)
		}
		return append(b, '}')
	}
	var stack [8]string
	keys := stack[:0]
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, attrs[k])
	}
	return append(b, '}')
}

// appendJSONString appends s as encoding/json writes it: as it is, quoted, when every byte is
// printable ASCII that JSON and encoding/json's HTML escaping leave alone (the usual case:
// json.Marshal for every field cost a publisher file's reading a third of its time), else
// through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a Go string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
