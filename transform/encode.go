package transform

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"
)

// EncodeJSON writes r as a contract record (docs/contract.md §1): the fields of its kind in
// contract order, decimals as JSON strings of their exact text, published_at only when set.
// DecodeJSON(EncodeJSON(r)) gives back r (the derived id aside, which is left out so the consumer
// derives the same one).
func EncodeJSON(r *Record) []byte {
	b := make([]byte, 0, 256)
	b = append(b, '{')
	field := func(name, value string) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = appendJSONString(b, value)
	}
	raw := func(name, value string) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = append(b, value...)
	}
	value := func(name string, d Decimal) { // a withdrawal has none
		if !r.Withdrawn {
			field(name, d.String())
		}
	}
	field("kind", string(r.Kind))
	if r.Version != 0 && r.Version != CurrentVersion {
		raw("version", strconv.Itoa(r.Version))
	}
	if r.ID != "" && r.ID != RecordID(r) {
		field("id", r.ID)
	}
	field("source", r.Source)
	field("date", r.Date.Format("2006-01-02"))
	if r.Frequency != "" {
		field("frequency", r.Frequency)
	}
	if !r.PublishedAt.IsZero() {
		field("published_at", r.PublishedAt.UTC().Format(time.RFC3339Nano))
	}
	if r.Status != "" {
		field("status", r.Status)
	}
	if r.UnitMult != 0 {
		raw("unit_mult", strconv.Itoa(r.UnitMult))
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
			raw("quantity", strconv.FormatInt(r.Quantity, 10))
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
		raw("withdrawn", "true")
	}
	if len(r.Attributes) > 0 {
		keys := make([]string, 0, len(r.Attributes))
		for k := range r.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, `,"attributes":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, r.Attributes[k])
		}
		b = append(b, '}')
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
