package publishers

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
		prolog    xmlProlog
	)
	for {
		prolog.at(dec)
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		line, _ := dec.InputPos()
		if err != nil {
			return s.stats, xmlError(name, err, dec, ecbXMLExpect)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !root {
				if err := prolog.text(name, t, ecbXMLExpect); err != nil {
					return s.stats, err
				}
			}
		case xml.ProcInst, xml.Directive, xml.Comment:
			prolog.tokens++
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

// xmlError turns an encoding/xml error into a layout *Error at the place the decoder stopped:
// the line and byte column of the last byte it read. Input that ends early is placed on its last
// line, with no column.
func xmlError(name string, err error, dec *xml.Decoder, expect string) error {
	line, col := dec.InputPos()
	// InputPos is the place of the next byte; column 1 means the last byte read ended a line.
	col--
	var se *xml.SyntaxError
	if !errors.As(err, &se) {
		return layoutError(name, line, "", "XML cannot be read: "+err.Error())
	}
	if se.Msg == "unexpected EOF" {
		if col == 0 && line > 1 {
			line--
		}
		return layoutError(name, line, "", "XML ends early (truncated file?): expected "+expect)
	}
	var e *Error
	if se.Line == 1 && strings.Contains(se.Msg, "invalid character") {
		e = layoutError(name, se.Line, "", "not XML ("+se.Msg+"): expected "+expect)
	} else {
		e = layoutError(name, se.Line, "", "XML is not well-formed: "+se.Msg)
	}
	if line == se.Line {
		e.Column = col
	}
	return e
}

// xmlProlog watches what comes before an XML document's root element, to tell a file that is
// not XML at all (a CSV, a JSON response, an HTML error page's text) by where its text starts.
type xmlProlog struct {
	line, col int // the decoder's place before the current token
	tokens    int // processing instructions, directives and comments read
}

// at notes the decoder's place before it reads the next token.
func (p *xmlProlog) at(dec *xml.Decoder) { p.line, p.col = dec.InputPos() }

// text checks character data read before the root element: white space (and a UTF-8 byte order
// mark at the very start) is allowed; anything else is a layout error at the place the text
// starts, quoting its first line.
func (p *xmlProlog) text(name string, t xml.CharData, expect string) error {
	b := []byte(t)
	if p.tokens == 0 && p.line == 1 && p.col == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	line, col := p.line, p.col
	for len(b) > 0 && strings.IndexByte(" \t\r\n", b[0]) >= 0 {
		if b[0] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		b = b[1:]
	}
	if len(b) == 0 {
		return nil
	}
	e := layoutError(name, line, "", "")
	e.Column = col
	if p.tokens == 0 {
		e.Err = fmt.Errorf("not an XML document: the file starts with %s; expected %s", quoteStart(b), expect)
	} else {
		e.Err = fmt.Errorf("not an XML document: text %s before the root element; expected %s", quoteStart(b), expect)
	}
	return e
}

// quoteStart quotes the first line of b, cut to 40 bytes at a character boundary: in backquotes
// when it can be (a CSV or JSON line keeps its double quotes readable), else Go-quoted.
func quoteStart(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	more := ""
	if len(b) > 40 {
		n := 40
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		b, more = b[:n], "…"
	}
	if s := string(b); strconv.CanBackquote(s) {
		return "`" + s + "`" + more
	}
	return strconv.Quote(string(b)) + more
}
