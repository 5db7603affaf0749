package publishers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// Mapping says which record a FRED series or an SDMX-CSV row becomes. It is read from a JSON
// file (see LoadMapping):
//
//	{"source": "fred",
//	 "series": {
//	   "DEXUSEU": {"kind": "fx_rate", "fields": {"base": "EUR", "quote": "USD", "rate_type": "market", "frequency": "D"}},
//	   "FEDMINNFRWG": {"kind": "wage", "fields": {"country": "US", "measure": "minimum", "currency": "USD", "per": "hour", "frequency": "M"}},
//	   "CPIAUCSL": {"kind": "indicator", "fields": {"country": "US", "measure": "cpi", "unit": "index", "base_period": "1982-1984=100", "adjustment": "sa", "frequency": "M"}}}}
//
// An indicator's "series" defaults to the FRED series id; an SDMX-CSV mapping names it, as a
// constant or a column (e.g. {"column": "KEY"}).
//
//	{"source": "ecb",
//	 "kind": "fx_rate",
//	 "fields": {"base": {"column": "CURRENCY_DENOM"}, "quote": {"column": "CURRENCY"}, "rate_type": "reference"},
//	 "filter": {"EXR_TYPE": ["SP00"]},
//	 "attributes": ["TITLE"]}
//
// Either layout may bound the dates read, e.g. to take a FRED history from 1970 on (what a
// database on ClickHouse 18.16 stores):
//
//	{"source": "fred", "from": "1970-01-01", "series": {…}}
type Mapping struct {
	// Source is the publisher id every record carries, e.g. "fred"; required.
	Source string `json:"source"`
	// Series maps a FRED series id to the record it becomes (fred-csv, fred-json).
	Series map[string]SeriesMapping `json:"series,omitempty"`
	// Kind is the record kind of every SDMX-CSV row (sdmx-csv).
	Kind string `json:"kind,omitempty"`
	// Fields gives the contract fields of every SDMX-CSV row, each a constant or a column.
	Fields map[string]FieldValue `json:"fields,omitempty"`
	// Filter keeps only the SDMX-CSV rows whose column holds one of the listed codes; the other
	// rows are skipped silently (they are not part of the series mapped).
	Filter map[string][]string `json:"filter,omitempty"`
	// Attributes lists SDMX-CSV columns copied verbatim into the record's attributes.
	Attributes []string `json:"attributes,omitempty"`
	// From and To, if given ("YYYY-MM-DD", both inclusive), bound the dates of the observations
	// read (not their vintages); an SDMX period is dated by its first day. An observation dated
	// outside is left out as asked: counted in Stats.Skipped, neither a record nor invalid; a value
	// the publisher marks missing is counted as missing wherever it falls. Empty: no bound. The
	// contract stores dates from 1900-01-01 (transform.MinDate) on, so a history from before
	// needs "from": "1900-01-01"; without it every earlier observation is invalid. A database on
	// ClickHouse 18.16 stores dates from 1970-01-01 on: its consumer rejects earlier ones, which
	// "from": "1970-01-01" leaves out here instead.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// dateRange returns From and To as dates; a zero time is no bound.
func (m *Mapping) dateRange() (from, to time.Time, err error) {
	parse := func(key, text string) (time.Time, error) {
		if text == "" {
			return time.Time{}, nil
		}
		d, err := time.Parse(time.DateOnly, text)
		if err != nil {
			return time.Time{}, fmt.Errorf(`%q: %q is not a date YYYY-MM-DD`, key, text)
		}
		return d, nil
	}
	if from, err = parse("from", m.From); err != nil {
		return from, to, err
	}
	if to, err = parse("to", m.To); err != nil {
		return from, to, err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return from, to, fmt.Errorf(`"to" %s is before "from" %s: the date range is empty`, m.To, m.From)
	}
	return from, to, nil
}

// SeriesMapping is the record one FRED series becomes.
type SeriesMapping struct {
	// Kind is fuel_price, wage, fx_rate or indicator.
	Kind string `json:"kind"`
	// Fields are the contract fields of the kind other than date and the value, as constants;
	// "frequency" is required, since FRED files do not state it.
	Fields map[string]FieldValue `json:"fields"`
}

// FieldValue is a field's constant text, or the column that holds it. In JSON it is a string or
// number (a constant) or {"column": "CURRENCY", "codes": {"E": "EUR"}}. With codes, a cell's
// code is translated and a code not listed is an error, never passed through.
type FieldValue struct {
	Value  string
	Column string
	Codes  map[string]string
}

// UnmarshalJSON reads a string, a number or a column object.
func (f *FieldValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &f.Value)
	case len(b) > 0 && b[0] == '{':
		var obj struct {
			Column string            `json:"column"`
			Codes  map[string]string `json:"codes"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&obj); err != nil {
			return fmt.Errorf("a column reference is {\"column\": NAME, \"codes\": {...}}: %w", err)
		}
		if obj.Column == "" {
			return errors.New("a column reference needs \"column\"")
		}
		f.Column, f.Codes = obj.Column, obj.Codes
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		f.Value = string(b)
		return nil
	}
	return fmt.Errorf("a field is a string, a number or {\"column\": NAME}, not %s", b)
}

// LoadMapping reads and checks a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	m, err := ParseMapping(data)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return m, nil
}

// ParseMapping reads a mapping from JSON and checks what can be checked without data: unknown
// keys, the source, the kinds, field names, and for FRED that every series makes a valid record.
func ParseMapping(data []byte) (*Mapping, error) {
	var m Mapping
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a mapping object: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the mapping object")
	}
	if strings.TrimSpace(m.Source) == "" {
		return nil, errors.New(`"source" is required: the publisher id every record carries, e.g. "fred"`)
	}
	if len(m.Series) == 0 && m.Kind == "" {
		return nil, errors.New(`give "series" (FRED: series id → kind and fields) or "kind" and "fields" (SDMX-CSV)`)
	}
	if _, _, err := m.dateRange(); err != nil {
		return nil, err
	}
	if len(m.Series) > 0 && (m.Kind != "" || len(m.Fields) > 0 || len(m.Filter) > 0 || len(m.Attributes) > 0) {
		return nil, errors.New(`"series" (FRED) cannot be combined with "kind", "fields", "filter" or "attributes" (SDMX-CSV); use one mapping file per format`)
	}
	for _, id := range sortedKeys(m.Series) {
		s := m.Series[id]
		if _, err := newTemplate(m.Source, s.Kind, s.fieldsOf(id), false); err != nil {
			return nil, fmt.Errorf("series %s: %w", id, err)
		}
		if _, ok := s.Fields["frequency"]; !ok {
			return nil, fmt.Errorf(`series %s: "frequency" is required (D, W, M, Q or A): FRED files do not state it`, id)
		}
	}
	if m.Kind != "" {
		if _, err := newTemplate(m.Source, m.Kind, m.Fields, true); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

// reservedFields are filled from the data, never from a mapping.
var reservedFields = map[string]string{
	"kind": `is given by "kind"`, "source": `is given by "source"`, "date": "comes from the data",
	"price": "is the observation value", "amount": "is the observation value", "rate": "is the observation value",
	"value":      "is the observation value",
	"attributes": `is built from "attributes" and provenance`, "id": "is derived by the consumer", "version": "is always 1",
	"withdrawn": "comes from the data (SDMX ACTION D)",
}

// template builds records of one kind from fixed fields plus per-row values.
type template struct {
	source string
	kind   transform.Kind
	names  []string     // mapped field names, sorted
	fields []FieldValue // in names order
	dec    *transform.CSVDecoder
	// header is the decoder's column order: kind, source, date, the value, published_at, status,
	// unit_mult, frequency, withdrawn, then the other mapped fields.
	header []string
}

// newTemplate checks a kind and its fields. With allowColumns false every field must be a
// constant, and the record it makes is checked now with a placeholder date and value.
func newTemplate(source, kind string, fields map[string]FieldValue, allowColumns bool) (*template, error) {
	k := transform.Kind(kind)
	valueField := valueFieldOf(k)
	if valueField == "" {
		return nil, fmt.Errorf(`"kind" %q is not a record kind; accepted: fuel_price, wage, fx_rate, indicator`, kind)
	}
	t := &template{source: source, kind: k}
	header := []string{"kind", "source", "date", valueField}
	extras := map[string]bool{"published_at": true, "status": true, "unit_mult": true, "frequency": true, "withdrawn": true}
	for _, name := range sortedKeys(fields) {
		if why, ok := reservedFields[name]; ok {
			return nil, fmt.Errorf("field %q cannot be mapped: it %s", name, why)
		}
		f := fields[name]
		if f.Column != "" && !allowColumns {
			return nil, fmt.Errorf("field %q: a FRED series has no columns to read; give a constant", name)
		}
		t.names = append(t.names, name)
		t.fields = append(t.fields, f)
	}
	for _, name := range []string{"published_at", "status", "unit_mult", "frequency", "withdrawn"} {
		header = append(header, name)
	}
	for _, name := range t.names {
		if !extras[name] {
			header = append(header, name)
		}
	}
	dec, err := transform.NewCSVDecoder(header)
	if err != nil {
		var te *transform.Error
		if errors.As(err, &te) && te.Code == transform.CodeUnknownField {
			return nil, fmt.Errorf("field %q is not a field name of the record contract (docs/contract.md §1)", te.Field)
		}
		return nil, err
	}
	t.dec, t.header = dec, header
	if !allowColumns {
		probe := map[string]string{}
		for i, name := range t.names {
			probe[name] = t.fields[i].Value
		}
		if _, err := t.build("2000-01-01", "1", probe); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func valueFieldOf(k transform.Kind) string {
	switch k {
	case transform.KindFuelPrice:
		return "price"
	case transform.KindWage:
		return "amount"
	case transform.KindFXRate:
		return "rate"
	case transform.KindIndicator:
		return "value"
	}
	return ""
}

// fieldsOf returns the series' fields; an indicator without a "series" field gets the FRED
// series id.
func (s SeriesMapping) fieldsOf(id string) map[string]FieldValue {
	if transform.Kind(s.Kind) != transform.KindIndicator {
		return s.Fields
	}
	if _, ok := s.Fields["series"]; ok {
		return s.Fields
	}
	out := make(map[string]FieldValue, len(s.Fields)+1)
	for k, v := range s.Fields {
		out[k] = v
	}
	out["series"] = FieldValue{Value: id}
	return out
}

// build decodes one record from a date, a value and the field texts by name (a name absent or
// "" is an absent field), applying the contract's parsing, defaults and validation.
func (t *template) build(date, value string, fields map[string]string) (transform.Record, error) {
	row := make([]string, len(t.header))
	row[0], row[1], row[2], row[3] = string(t.kind), t.source, date, value
	for i := 4; i < len(row); i++ {
		row[i] = fields[t.header[i]]
	}
	return t.dec.Decode(row)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
