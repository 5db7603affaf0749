package publishers

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// FREDCSV reads FRED and ALFRED CSV downloads:
//
//	observation_date,DEXUSEU           (fredgraph.csv; older files say DATE)
//	2024-06-28,1.0713
//	2024-07-04,.
//
// One column per series; a column named SERIES_YYYYMMDD (an ALFRED vintage download such as
// GDPC1_20240125) holds the series as published on that date, and its records carry that date
// (00:00 UTC) as published_at. Which record a series becomes is said by Options.Mapping
// ("series"); a column the mapping does not know is a layout error. "." — FRED's mark for a
// missing observation — "#N/A" (a date not yet observed in a vintage) and an empty cell are
// skipped and counted, never turned into zero. Values are read exactly. An observation dated
// outside the mapping's "from"/"to" is skipped and counted in Stats.Skipped; one dated before
// 1900-01-01 without such a range is invalid (an *UnstorableDateError).
type FREDCSV struct{}

var _ Adapter = FREDCSV{}

// Name returns "fred-csv".
func (FREDCSV) Name() string { return "fred-csv" }

// Describe says what the format reads.
func (FREDCSV) Describe() string {
	return "FRED/ALFRED CSV (observation_date,SERIES[_YYYYMMDD vintage]…; \".\" is missing): kind, fields and optional date range from --mapping"
}

// NeedsMapping returns true.
func (FREDCSV) NeedsMapping() bool { return true }

const fredCSVExpect = "a FRED CSV: a header \"observation_date,SERIES_ID…\" (or DATE,…) then one row per date"

type fredColumn struct {
	series  string
	vintage string // RFC 3339 published_at, "" for the current data
	tmpl    *template
	consts  map[string]string
}

// Read reads one FRED CSV file.
func (FREDCSV) Read(name string, r io.Reader, opts Options, emit func(transform.Record) error) (Stats, error) {
	s := newSink(name, opts, emit)
	m, err := fredMapping(name, opts)
	if err != nil {
		return s.stats, err
	}
	if err := s.useDateRange(m); err != nil {
		return s.stats, err
	}
	f, err := openCSV(name, r, fredCSVExpect)
	if err != nil {
		return s.stats, err
	}
	header, hline, err := f.read()
	if err == io.EOF {
		return s.stats, layoutError(name, 0, "", "empty file: expected "+fredCSVExpect)
	}
	if err != nil {
		return s.stats, err
	}
	if !strings.EqualFold(header[0], "observation_date") && !strings.EqualFold(header[0], "DATE") {
		return s.stats, layoutError(name, hline, "column 1", fmt.Sprintf("header %q: expected observation_date or DATE (%s)", header[0], fredCSVExpect))
	}
	if len(header) < 2 {
		return s.stats, layoutError(name, hline, "", "the header names no series: expected "+fredCSVExpect)
	}
	cols := make([]fredColumn, len(header)-1)
	for i, h := range header[1:] {
		c, err := fredColumnFor(m, h)
		if err != nil {
			return s.stats, layoutError(name, hline, fmt.Sprintf("column %d %q", i+2, h), err.Error())
		}
		cols[i] = c
	}
	for {
		row, line, err := f.read()
		if err == io.EOF {
			return s.stats, nil
		}
		if err != nil {
			return s.stats, err
		}
		if blank(row) {
			continue
		}
		if len(row) != len(header) {
			s.invalid(line, "", fmt.Errorf("row has %d cells but the header has %d; not read", len(row), len(header)))
			continue
		}
		day, err := parseDate(row[0], time.DateOnly)
		if err != nil {
			s.invalid(line, "column "+header[0], err)
			continue
		}
		for i, c := range cols {
			text := row[i+1]
			el := "column " + header[i+1]
			if fredMissing(text) {
				s.missing()
				continue
			}
			if s.outsideRange(day) {
				continue
			}
			if err := fredEmit(s, line, el, c, day, text, c.vintage); err != nil {
				return s.stats, err
			}
		}
	}
}

// fredMapping returns the mapping, checking that it maps FRED series.
func fredMapping(name string, opts Options) (*Mapping, error) {
	if opts.Mapping == nil {
		return nil, &Error{File: name, Err: errors.New(`a mapping file is required: it says which kind and fields each FRED series becomes (--mapping)`)}
	}
	if len(opts.Mapping.Series) == 0 {
		return nil, &Error{File: name, Err: errors.New(`the mapping has no "series": FRED formats need series id → kind and fields`)}
	}
	return opts.Mapping, nil
}

// fredColumnFor resolves a header cell to a mapped series and, for an ALFRED vintage column
// (SERIES_YYYYMMDD), its vintage.
func fredColumnFor(m *Mapping, h string) (fredColumn, error) {
	id, vintage := h, ""
	if _, ok := m.Series[h]; !ok {
		if i := strings.LastIndexByte(h, '_'); i > 0 && len(h)-i-1 == 8 && allDigits(h[i+1:]) {
			if _, ok := m.Series[h[:i]]; ok {
				d, err := time.Parse("20060102", h[i+1:])
				if err != nil {
					return fredColumn{}, fmt.Errorf("vintage suffix %q is not a date YYYYMMDD", h[i+1:])
				}
				id, vintage = h[:i], d.Format(time.RFC3339)
			}
		}
	}
	sm, ok := m.Series[id]
	if !ok {
		return fredColumn{}, fmt.Errorf("series %q is not in the mapping file (it maps %s); add it there", h, strings.Join(sortedKeys(m.Series), ", "))
	}
	fields := sm.fieldsOf(id)
	t, err := newTemplate(m.Source, sm.Kind, fields, false)
	if err != nil {
		return fredColumn{}, fmt.Errorf("mapping for series %s: %w", id, err)
	}
	consts := make(map[string]string, len(fields))
	for k, v := range fields {
		consts[k] = v.Value
	}
	return fredColumn{series: id, vintage: vintage, tmpl: t, consts: consts}, nil
}

// fredMissing reports whether a FRED value is marked missing.
func fredMissing(text string) bool {
	return text == "" || text == "." || text == "#N/A"
}

// fredEmit builds and emits one observation; published is an RFC 3339 vintage or "".
func fredEmit(s *sink, line int, el string, c fredColumn, day time.Time, value, published string) error {
	fields := c.consts
	if published != "" {
		fields = make(map[string]string, len(c.consts)+1)
		for k, v := range c.consts {
			fields[k] = v
		}
		fields["published_at"] = published
	}
	rec, err := c.tmpl.build(day.Format(time.DateOnly), value, fields)
	if err != nil {
		s.rejected(line, el, day, err)
		return nil
	}
	return s.put(line, el, rec, map[string]string{AttrSeriesID: c.series})
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	n := 1
	for _, c := range data[:off] {
		if c == '\n' {
			n++
		}
	}
	return n
}
