package publishers

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// ECB euro foreign exchange reference rates: source, rate type and base of every record.
const (
	ECBSource   = "ecb"
	ECBRateType = "reference"
	ECBBase     = "EUR"
)

// ECBXML reads the ECB's euro reference rates XML: eurofxref-daily.xml, eurofxref-hist-90d.xml
// and eurofxref-hist.xml. The layout is a gesmes:Envelope holding
//
//	<Cube><Cube time="2024-06-28"><Cube currency="USD" rate="1.0705"/>…</Cube>…</Cube>
//
// The ECB quotes "1 EUR = rate units of currency", so each rate becomes an fx_rate with base EUR,
// quote the currency, quantity 1, rate_type reference, source ecb, frequency D, dated the time
// attribute. The file states no publication time, so published_at is left to Options.PublishedAt
// or the consumer.
type ECBXML struct{}

var _ Adapter = ECBXML{}

// Name returns "ecb-xml".
func (ECBXML) Name() string { return "ecb-xml" }

// Describe says what the format reads.
func (ECBXML) Describe() string {
	return "ECB euro reference rates XML (eurofxref-daily.xml, eurofxref-hist.xml): fx_rate EUR→currency, reference"
}

// NeedsMapping returns false.
func (ECBXML) NeedsMapping() bool { return false }

const ecbXMLExpect = `an ECB eurofxref XML document: <gesmes:Envelope> holding <Cube><Cube time="YYYY-MM-DD"><Cube currency="USD" rate="1.0705"/>`

// Read reads one ECB XML file.
func (ECBXML) Read(name string, r io.Reader, opts Options, emit func(transform.Record) error) (Stats, error) {
	s := newSink(name, opts, emit)
	dec := xml.NewDecoder(r)
	dec.CharsetReader = utf8Only
	var (
		cubeDepth int // open Cube elements
		root      bool
		day       time.Time
		days      int
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		line, _ := dec.InputPos()
		if err != nil {
			return s.stats, xmlError(name, err, line, ecbXMLExpect)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !root && len(bytes.TrimSpace(t)) > 0 {
				return s.stats, notXML(name, line, ecbXMLExpect)
			}
		case xml.StartElement:
			if !root {
				root = true
				if t.Name.Local != "Envelope" {
					return s.stats, layoutError(name, line, "root element "+t.Name.Local, "expected "+ecbXMLExpect)
				}
				continue
			}
			if t.Name.Local != "Cube" {
				if cubeDepth > 0 {
					return s.stats, layoutError(name, line, "element "+t.Name.Local, "unexpected inside Cube: expected only nested Cube elements")
				}
				continue
			}
			cubeDepth++
			el := "element Cube"
			switch cubeDepth {
			case 1:
				if len(t.Attr) > 0 {
					return s.stats, layoutError(name, line, el, "the outer Cube has attributes: expected <Cube> holding <Cube time=\"YYYY-MM-DD\">")
				}
			case 2:
				v, ok := attr(t, "time")
				if !ok {
					return s.stats, layoutError(name, line, el, `attribute "time" missing: expected <Cube time="YYYY-MM-DD">`)
				}
				d, err := parseDate(v, time.DateOnly)
				if err != nil {
					return s.stats, layoutError(name, line, el, `attribute "time": `+err.Error())
				}
				day = d
				days++
			case 3:
				cur, ok := attr(t, "currency")
				if !ok {
					return s.stats, layoutError(name, line, el, `attribute "currency" missing: expected <Cube currency="USD" rate="1.0705"/>`)
				}
				text, ok := attr(t, "rate")
				if !ok {
					return s.stats, layoutError(name, line, el, `attribute "rate" missing: expected <Cube currency="USD" rate="1.0705"/>`)
				}
				el = fmt.Sprintf("element Cube currency=%q", cur)
				text = strings.TrimSpace(text)
				if text == "" || strings.EqualFold(text, "N/A") {
					s.missing()
					continue
				}
				rate, err := parseNumber(text, pointDecimal)
				if err != nil {
					s.invalid(line, el, fmt.Errorf("rate: %w", err))
					continue
				}
				rec := transform.Record{Kind: transform.KindFXRate, Source: ECBSource, Date: day, Frequency: "D",
					Base: ECBBase, Quote: strings.TrimSpace(cur), Rate: rate, Quantity: 1, RateType: ECBRateType}
				if err := s.put(line, el, rec, nil); err != nil {
					return s.stats, err
				}
			default:
				return s.stats, layoutError(name, line, el, "Cube nested more than three deep: expected <Cube><Cube time=…><Cube currency=… rate=…/>")
			}
		case xml.EndElement:
			if t.Name.Local == "Cube" && cubeDepth > 0 {
				cubeDepth--
			}
		}
	}
	if !root {
		return s.stats, layoutError(name, 0, "", "empty file: expected "+ecbXMLExpect)
	}
	if days == 0 {
		return s.stats, layoutError(name, 0, "", `no <Cube time="YYYY-MM-DD"> element: expected `+ecbXMLExpect)
	}
	return s.stats, nil
}

// attr returns the value of the attribute called local, in any namespace.
func attr(t xml.StartElement, local string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// utf8Only accepts the encodings that are UTF-8 or a subset of it; others are refused by name.
func utf8Only(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported: convert the file to UTF-8", charset)
}

// xmlError turns an encoding/xml error into a layout *Error with its line.
func xmlError(name string, err error, line int, expect string) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		if se.Msg == "unexpected EOF" {
			return layoutError(name, se.Line, "", "XML ends early (truncated file?): expected "+expect)
		}
		if se.Line == 1 && strings.Contains(se.Msg, "invalid character") {
			return layoutError(name, se.Line, "", "not XML ("+se.Msg+"): expected "+expect)
		}
		return layoutError(name, se.Line, "", "XML is not well-formed: "+se.Msg)
	}
	return layoutError(name, line, "", "XML cannot be read: "+err.Error())
}

// notXML is the layout error for text where the root element should be.
func notXML(name string, line int, expect string) error {
	return layoutError(name, line, "", "text before any element: this is not an XML document; expected "+expect)
}
