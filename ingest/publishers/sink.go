package publishers

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// Provenance attribute keys set on every record an adapter builds.
const (
	// AttrSourceFile is the base name of the file read (absent for stdin).
	AttrSourceFile = "source_file"
	// AttrSourceURL is the URL read, when the name given to Read is a URL.
	AttrSourceURL = "source_url"
	// AttrSeriesID is the publisher's series id (FRED, SDMX series key).
	AttrSeriesID = "series_id"
	// AttrDataflow is the SDMX dataflow or structure id.
	AttrDataflow = "dataflow"
)

// sink finishes, checks and emits the records of one Read and keeps its Stats.
type sink struct {
	file  string
	opts  Options
	emit  func(transform.Record) error
	stats Stats
	// series holds what was read of each series, by its key (transform.SeriesKey), which is
	// built in key for each record and looked up without allocating a string.
	series map[string]*seriesRead
	key    []byte
	// attrs are the attributes of every record (provenance), given as they are to each record
	// that has none of its own; attrsErr is their problem, if any (transform.ValidateAttributes).
	attrs    map[string]string
	attrsErr error
}

// seriesRead is what a sink read of one series: the vintages (date and published_at) of its
// observations, to refuse a second record with the same ones.
type seriesRead struct {
	key   string
	ident transform.Record // the first record read of it: its kind, source, dimensions, frequency
	// read lists every vintage read, with the line that had it, until the first vintage that is
	// neither after every one before nor before every one before (lo and hi): until then a
	// vintage cannot be one read already, which is every vintage of a file in date order, either
	// way, or with one vintage per date. lines holds them from then on. read is kept in blocks,
	// each twice the size of the last up to 4,096 vintages, so that none is copied as it grows.
	read   [][]vintageAt
	lo, hi vintage
	lines  map[vintage]int
}

// vintageAt is a vintage read and its line, in 24 bytes.
type vintageAt struct {
	date, published int64
	nanos, line     int32
}

// vintage is an observation's date and published_at within its series.
type vintage struct {
	date, published int64 // Unix seconds
	nanos           int32 // of published_at
}

func (v vintage) less(w vintage) bool {
	if v.date != w.date {
		return v.date < w.date
	}
	if v.published != w.published {
		return v.published < w.published
	}
	return v.nanos < w.nanos
}

// add records v read at line, or returns the line that had it first.
func (s *seriesRead) add(v vintage, line int) (first int, dup bool) {
	if s.lines == nil {
		switch {
		case len(s.read) == 0:
			s.lo, s.hi = v, v
		case s.hi.less(v):
			s.hi = v
		case v.less(s.lo):
			s.lo = v
		default:
			n := 0
			for _, block := range s.read {
				n += len(block)
			}
			s.lines = make(map[vintage]int, 2*n)
			for _, block := range s.read {
				for _, r := range block {
					s.lines[vintage{r.date, r.published, r.nanos}] = int(r.line)
				}
			}
			s.read = nil
		}
	}
	if s.lines == nil {
		last := len(s.read) - 1
		if last < 0 || len(s.read[last]) == cap(s.read[last]) {
			size := 8
			if last >= 0 {
				size = min(2*cap(s.read[last]), 4096)
			}
			s.read = append(s.read, make([]vintageAt, 0, size))
			last++
		}
		s.read[last] = append(s.read[last], vintageAt{v.date, v.published, v.nanos, int32(min(line, math.MaxInt32))})
		return 0, false
	}
	if first, dup := s.lines[v]; dup {
		return first, true
	}
	s.lines[v] = line
	return 0, false
}

func newSink(file string, opts Options, emit func(transform.Record) error) *sink {
	s := &sink{file: file, opts: opts, emit: emit, series: map[string]*seriesRead{}}
	switch {
	case strings.Contains(file, "://"):
		s.attrs = map[string]string{AttrSourceURL: file}
	case file != "" && file != "-":
		s.attrs = map[string]string{AttrSourceFile: filepath.Base(file)}
	}
	s.attrsErr = transform.ValidateAttributes(s.attrs)
	return s
}

// invalid records an entry that could not become a record.
func (s *sink) invalid(line int, element string, err error) {
	s.stats.Invalid = append(s.stats.Invalid, &Error{File: s.file, Line: line, Element: element, Err: err})
}

// rejected records an entry dated day that the contract rejected with err; a rejection of the
// date itself as outside what ClickHouse stores becomes an *UnstorableDateError.
func (s *sink) rejected(line int, element string, day time.Time, err error) {
	var te *transform.Error
	if errors.As(err, &te) && te.Code == transform.CodeOutOfRange && te.Field == "date" {
		err = &UnstorableDateError{Date: day, Mapped: s.opts.Mapping != nil, Err: err}
	}
	s.invalid(line, element, err)
}

// useDateRange applies the mapping's date range to the observations read.
func (s *sink) useDateRange(m *Mapping) error {
	from, to, err := m.dateRange()
	if err != nil {
		return &Error{File: s.file, Err: fmt.Errorf("mapping: %w", err)}
	}
	s.stats.Skipped.From, s.stats.Skipped.To = from, to
	return nil
}

// outsideRange reports whether day is outside the mapping's date range, counting it as skipped
// if so.
func (s *sink) outsideRange(day time.Time) bool {
	sk := &s.stats.Skipped
	switch {
	case !sk.From.IsZero() && day.Before(sk.From):
		sk.Before++
	case !sk.To.IsZero() && day.After(sk.To):
		sk.After++
	default:
		return false
	}
	return true
}

// missing counts a value the publisher marked missing.
func (s *sink) missing() { s.stats.Missing++ }

// put adds provenance (the sink's attributes, then extra), the default vintage and the contract
// defaults to rec, validates it, rejects a second record with the same identity and published_at,
// and emits it. Only an error from emit is returned; an invalid record is listed in Stats.
//
// A record with no attributes of its own is given the sink's map itself: every such record of
// the Read shares it (Adapter.Read says so).
func (s *sink) put(line int, element string, rec transform.Record, extra map[string]string) error {
	return s.putIn(nil, line, element, rec, extra)
}

// seriesHint is the series of the last record put through it, for an adapter whose records of a
// place in the file (an ECB column) are of one series: the next record there is checked to be of
// it (transform.SameSeries) instead of having its key built and looked up.
type seriesHint struct{ last *seriesRead }

// putIn is put with a hint of the record's series (nil: none).
func (s *sink) putIn(hint *seriesHint, line int, element string, rec transform.Record, extra map[string]string) error {
	shared := len(extra) == 0 && len(rec.Attributes) == 0
	if !shared {
		attrs := make(map[string]string, len(s.attrs)+len(extra)+len(rec.Attributes))
		for k, v := range s.attrs {
			attrs[k] = v
		}
		for k, v := range extra {
			attrs[k] = v
		}
		for k, v := range rec.Attributes {
			attrs[k] = v
		}
		rec.Attributes = attrs
	}
	if rec.PublishedAt.IsZero() && !s.opts.PublishedAt.IsZero() {
		rec.PublishedAt = s.opts.PublishedAt.Truncate(time.Second).UTC()
	}
	rec.ApplyDefaults()
	err := transform.Validate(&rec) // without the shared attributes, checked once in newSink
	if shared {
		rec.Attributes = s.attrs
		if err == nil {
			err = s.attrsErr
		}
	}
	if err != nil {
		s.rejected(line, element, rec.Date, err)
		return nil
	}
	var series *seriesRead
	if hint != nil && hint.last != nil && transform.SameSeries(&hint.last.ident, &rec) {
		series = hint.last
	} else {
		s.key = transform.AppendSeriesKey(s.key[:0], &rec)
		series = s.series[string(s.key)]
		if series == nil {
			series = &seriesRead{key: string(s.key), ident: rec}
			series.ident.Attributes = nil
			s.series[series.key] = series
		}
		if hint != nil {
			hint.last = series
		}
	}
	v := vintage{date: rec.Date.Unix(), published: rec.PublishedAt.Unix(), nanos: int32(rec.PublishedAt.Nanosecond())}
	if first, dup := series.add(v, line); dup {
		s.invalid(line, element, fmt.Errorf("duplicate: %s %s for %s was already read at line %d (same identity and vintage); this one is not sent",
			rec.Kind, rec.Date.Format(time.DateOnly), seriesLabel(&rec), first))
		return nil
	}
	s.stats.Records++
	if s.opts.keyed != nil {
		return s.opts.keyed(series.key, rec)
	}
	return s.emit(rec)
}

// UnstorableDateError is an observation the contract rejects because its date is outside what
// econflow stores (transform.MinDate…MaxDate, 1900-01-01…2299-12-31, ClickHouse's Date32), such
// as the 19th century of a long price history. (A consumer whose database has Date columns, as
// on ClickHouse 18.16, stores 1970-01-01…2105-12-31 of it and rejects the rest itself.) It is an
// invalid entry like any other; ReportLines folds those of one file into one line.
type UnstorableDateError struct {
	// Date is the observation's date.
	Date time.Time
	// Mapped is true when the file was read with a mapping, whose "from" and "to" can leave such
	// observations out on purpose; the message then says so.
	Mapped bool
	// Err is the contract's rejection, a *transform.Error with code out_of_range.
	Err error
}

// Error returns the contract's reason and, for a mapped file, how to leave such dates out.
func (e *UnstorableDateError) Error() string {
	if !e.Mapped {
		return e.Err.Error()
	}
	return e.Err.Error() + "; " + e.advice()
}

// Unwrap returns the contract's rejection.
func (e *UnstorableDateError) Unwrap() error { return e.Err }

func (e *UnstorableDateError) before() bool { return e.Date.Before(transform.MinDate) }

// advice says which bound of the mapping leaves such an observation out.
func (e *UnstorableDateError) advice() string {
	if e.before() {
		return `give the mapping "from": "` + transform.MinDate.Format(time.DateOnly) + `" to leave such observations out`
	}
	return `give the mapping "to": "` + transform.MaxDate.Format(time.DateOnly) + `" to leave such observations out`
}

// seriesLabel names a record's series for messages, e.g. "EUR/USD" or "AT euro_super_95".
func seriesLabel(r *transform.Record) string {
	switch r.Kind {
	case transform.KindFXRate:
		return r.Base + "/" + r.Quote
	case transform.KindFuelPrice:
		return joinNonEmpty(r.Country, r.Region, r.Product, r.TaxBasis, r.Currency+"/"+r.Unit)
	case transform.KindWage:
		return joinNonEmpty(r.Country, r.Region, r.Measure, r.Basis, r.Currency+"/"+r.Per)
	case transform.KindIndicator:
		return joinNonEmpty(r.Country, r.Region, r.Measure, r.Series)
	}
	return string(r.Kind)
}

func joinNonEmpty(parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}
