package publishers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// FREDJSON reads the FRED API's fred/series/observations response (file_type=json), including
// ALFRED real-time periods:
//
//	{"realtime_start": "2024-01-01", …, "observations": [
//	  {"realtime_start": "2024-01-25", "realtime_end": "2024-02-27", "date": "2023-10-01", "value": "22490.692"},
//	  {"realtime_start": "2024-02-28", "realtime_end": "9999-12-31", "date": "2023-10-01", "value": "22491.567"}]}
//
// Each observation's realtime_start (00:00 UTC) is its published_at, so the vintages of one date
// become one record each. Note that a plain FRED request (no realtime_start parameter) stamps
// every observation with the day of the request, so fetching again the next day gives new
// vintages of unchanged values. "." is missing: skipped and counted, never zero. The response does
// not name its series: the mapping's only series is used, or else the series whose id is the file
// name without extension (DEXUSEU.json). A FRED error response ({"error_code", "error_message"})
// is reported as such.
type FREDJSON struct{}

var _ Adapter = FREDJSON{}

// Name returns "fred-json".
func (FREDJSON) Name() string { return "fred-json" }

// Describe says what the format reads.
func (FREDJSON) Describe() string {
	return "FRED/ALFRED API series/observations JSON (realtime_start → published_at; \".\" is missing): kind, fields and optional date range from --mapping"
}

// NeedsMapping returns true.
func (FREDJSON) NeedsMapping() bool { return true }

const fredJSONExpect = `a FRED series/observations response: {"observations": [{"realtime_start": "YYYY-MM-DD", "date": "YYYY-MM-DD", "value": "…"}, …]}`

// Read reads one FRED JSON response.
func (FREDJSON) Read(name string, r io.Reader, opts Options, emit func(transform.Record) error) (Stats, error) {
	s := newSink(name, opts, emit)
	m, err := fredMapping(name, opts)
	if err != nil {
		return s.stats, err
	}
	if err := s.useDateRange(m); err != nil {
		return s.stats, err
	}
	id, err := fredSeriesOfFile(name, m)
	if err != nil {
		return s.stats, err
	}
	col, err := fredColumnFor(m, id)
	if err != nil {
		return s.stats, &Error{File: name, Err: err}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return s.stats, fmt.Errorf("read %s: %w", name, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return s.stats, layoutError(name, 0, "", "empty file: expected "+fredJSONExpect)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	jerr := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return jsonSyntaxError(name, data, se)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return layoutError(name, lastTextLine(data), "", "JSON ends early (truncated file?): expected "+fredJSONExpect)
		}
		return layoutError(name, lineAt(data, dec.InputOffset()), "", "JSON cannot be read: "+err.Error())
	}
	tok, err := dec.Token()
	if err != nil {
		return s.stats, jerr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return s.stats, layoutError(name, lineAt(data, skipSpace(data, 0)), "", "the top level is not an object: expected "+fredJSONExpect)
	}
	var (
		found   bool
		errCode string
		errMsg  string
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return s.stats, jerr(err)
		}
		key, _ := tok.(string)
		switch key {
		case "observations":
			found = true
			if err := fredObservations(s, name, data, dec, col, jerr); err != nil {
				return s.stats, err
			}
		case "error_code", "error_message":
			var v any
			if err := dec.Decode(&v); err != nil {
				return s.stats, jerr(err)
			}
			if key == "error_code" {
				errCode = fmt.Sprint(v)
			} else {
				errMsg = fmt.Sprint(v)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return s.stats, jerr(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return s.stats, jerr(err)
	}
	if errCode != "" || errMsg != "" {
		return s.stats, layoutError(name, 1, "", fmt.Sprintf("the file is a FRED API error response (error_code %s): %s", errCode, errMsg))
	}
	if !found {
		return s.stats, layoutError(name, 1, "", `no "observations" array: expected `+fredJSONExpect)
	}
	return s.stats, nil
}

// fredObservations reads the observations array.
func fredObservations(s *sink, name string, data []byte, dec *json.Decoder, col fredColumn, jerr func(error) error) error {
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return jerr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return layoutError(name, lineAt(data, start), `"observations"`, "is not an array: expected "+fredJSONExpect)
	}
	for i := 0; dec.More(); i++ {
		line := lineAt(data, skipSpace(data, dec.InputOffset()))
		el := fmt.Sprintf("observations[%d]", i)
		var obs map[string]json.RawMessage
		if err := dec.Decode(&obs); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return layoutError(name, line, el, "is not an object: expected {\"date\": …, \"value\": …}")
			}
			return jerr(err)
		}
		text := func(key string, required bool) (string, error) {
			raw, ok := obs[key]
			if !ok {
				if required {
					return "", layoutError(name, line, el, fmt.Sprintf("field %q missing: expected realtime_start, realtime_end, date and value", key))
				}
				return "", nil
			}
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return "", layoutError(name, line, el, fmt.Sprintf("field %q is %s, not a string: FRED writes every field as a string", key, raw))
			}
			return strings.TrimSpace(v), nil
		}
		date, err := text("date", true)
		if err != nil {
			return err
		}
		value, err := text("value", true)
		if err != nil {
			return err
		}
		rtStart, err := text("realtime_start", false)
		if err != nil {
			return err
		}
		el = fmt.Sprintf("observations[%d] (date %s)", i, date)
		if fredMissing(value) {
			s.missing()
			continue
		}
		day, err := parseDate(date, time.DateOnly)
		if err != nil {
			s.invalid(line, el, fmt.Errorf("date: %w", err))
			continue
		}
		if s.outsideRange(day) {
			continue
		}
		published := ""
		if rtStart != "" {
			t, err := parseDate(rtStart, time.DateOnly)
			if err != nil {
				s.invalid(line, el, fmt.Errorf("realtime_start: %w", err))
				continue
			}
			published = t.Format(time.RFC3339)
		}
		if err := fredEmit(s, line, el, col, day, value, published); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return jerr(err)
	}
	return nil
}

// jsonSyntaxError places a syntax error at its line and byte column. The offset a json.Decoder
// reports is not always the offending byte's, so the data is scanned again from its start (the
// scan stops at the same first error). A file whose very first character is wrong is not JSON at
// all, and is named by how it starts.
func jsonSyntaxError(name string, data []byte, se *json.SyntaxError) error {
	var v json.RawMessage
	if err := json.Unmarshal(data, &v); err != nil {
		errors.As(err, &se)
	}
	// Offset counts the bytes read, the offending one included.
	at := min(max(se.Offset-1, 0), int64(len(data)-1))
	e := layoutError(name, lineAt(data, at), "", "JSON is not well-formed: "+se.Error())
	e.Column = int(at) - bytes.LastIndexByte(data[:at], '\n')
	if at == skipSpace(data, 0) {
		what := ""
		if data[at] == '<' {
			what = " (XML: the FRED API answers in XML unless the request asks for file_type=json)"
		}
		e.Err = fmt.Errorf("not JSON: the file starts with %s%s; expected %s", quoteStart(data[at:]), what, fredJSONExpect)
	}
	return e
}

// lastTextLine returns the line of the last byte of data that is not white space: where a
// truncated file ends.
func lastTextLine(data []byte) int {
	end := len(bytes.TrimRight(data, " \t\r\n"))
	return lineAt(data, int64(max(end-1, 0)))
}

// skipSpace returns the offset of the first non-space byte at or after off (skipping a comma).
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// fredSeriesOfFile decides which mapped series a JSON response holds.
func fredSeriesOfFile(name string, m *Mapping) (string, error) {
	if len(m.Series) == 1 {
		for id := range m.Series {
			return id, nil
		}
	}
	base := filepath.Base(name)
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if _, ok := m.Series[base]; ok {
		return base, nil
	}
	return "", &Error{File: name, Err: fmt.Errorf("cannot tell which series this file holds: a FRED JSON response does not name it; name the file after the series (e.g. %s.json) or use a mapping with one series (this one maps %s)",
		sortedKeys(m.Series)[0], strings.Join(sortedKeys(m.Series), ", "))}
}
