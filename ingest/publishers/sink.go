package publishers

import (
	"fmt"
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
	// seen maps identity|published_at to the line that first had it.
	seen  map[string]int
	attrs map[string]string
}

func newSink(file string, opts Options, emit func(transform.Record) error) *sink {
	s := &sink{file: file, opts: opts, emit: emit, seen: map[string]int{}, attrs: map[string]string{}}
	switch {
	case strings.Contains(file, "://"):
		s.attrs[AttrSourceURL] = file
	case file != "" && file != "-":
		s.attrs[AttrSourceFile] = filepath.Base(file)
	}
	return s
}

// invalid records an entry that could not become a record.
func (s *sink) invalid(line int, element string, err error) {
	s.stats.Invalid = append(s.stats.Invalid, &Error{File: s.file, Line: line, Element: element, Err: err})
}

// missing counts a value the publisher marked missing.
func (s *sink) missing() { s.stats.Missing++ }

// put adds provenance (the sink's attributes, then extra), the default vintage and the contract
// defaults to rec, validates it, rejects a second record with the same identity and published_at,
// and emits it. Only an error from emit is returned; an invalid record is listed in Stats.
func (s *sink) put(line int, element string, rec transform.Record, extra map[string]string) error {
	if len(s.attrs)+len(extra) > 0 {
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
	if err := transform.Validate(&rec); err != nil {
		s.invalid(line, element, err)
		return nil
	}
	key := transform.IdentityKey(&rec) + "|" + rec.PublishedAt.Format(time.RFC3339Nano)
	if first, dup := s.seen[key]; dup {
		s.invalid(line, element, fmt.Errorf("duplicate: %s %s for %s was already read at line %d (same identity and vintage); this one is not sent",
			rec.Kind, rec.Date.Format(time.DateOnly), seriesLabel(&rec), first))
		return nil
	}
	s.seen[key] = line
	s.stats.Records++
	return s.emit(rec)
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
