package publishers

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// LineError is an input line that could not become a record.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Outgoing is one validated record ready to publish: its series key and the message value.
type Outgoing struct {
	Kind  transform.Kind
	Key   string
	Value []byte
}

// ReadRecords reads JSONL ("jsonl") or CSV ("csv", header row of field names) from r, validates
// each record and calls emit for the valid ones, in order. JSONL lines are published as written;
// CSV rows are encoded as contract JSON. Invalid lines are returned, not emitted; an error from
// emit or from reading stops the read. It is ReadRecordsWith for a format that needs no options.
func ReadRecords(name string, r io.Reader, format string, emit func(Outgoing) error) ([]LineError, error) {
	_, bad, err := ReadRecordsWith(name, r, ReadOptions{Format: format}, emit)
	return bad, err
}

// ReadOptions says how ReadRecordsWith reads its input.
type ReadOptions struct {
	// Format is jsonl (the default when empty), csv, or a publisher format (see Formats).
	Format string
	// Publisher holds the mapping and default vintage of the publisher formats; ignored by jsonl
	// and csv.
	Publisher Options
}

// ReadSummary counts what ReadRecordsWith read besides the invalid lines.
type ReadSummary struct {
	// Records is the number of records emitted.
	Records int
	// Missing is the number of values a publisher file marked missing, skipped (never zero).
	Missing int
	// Skipped counts the observations of a publisher file left out as its mapping's date range
	// asks; Skipped.String() says so in one line.
	Skipped Skipped
}

// Formats returns the accepted --format values: jsonl, csv, then the publisher formats.
func Formats() []string {
	return append([]string{"jsonl", "csv"}, Names()...)
}

// CheckFormat returns an error naming the accepted formats if format is not one, or if it needs
// a mapping and opts has none.
func CheckFormat(opts ReadOptions) error {
	switch opts.Format {
	case "jsonl", "json", "", "csv":
		return nil
	}
	a, ok := Lookup(opts.Format)
	if !ok {
		return fmt.Errorf("format %q: use one of %s", opts.Format, strings.Join(Formats(), ", "))
	}
	if a.NeedsMapping() && opts.Publisher.Mapping == nil {
		return fmt.Errorf("format %s needs a mapping file (--mapping FILE) saying which kind and fields each series becomes", a.Name())
	}
	return nil
}

// ReadRecordsWith reads r in opts.Format and calls emit for every valid record, in order, with
// its series key and its contract JSON. For jsonl and csv see ReadRecords. A publisher format is
// read by its adapter (package publishers): entries that cannot become records are returned as
// LineErrors (line, element and reason) and not emitted; a file in an unknown or changed layout
// stops the read with an error naming the file, line and what was expected. The adapter reads r
// on a goroutine of its own, ahead of the records emitted; emit is called on the caller's.
func ReadRecordsWith(name string, r io.Reader, opts ReadOptions, emit func(Outgoing) error) (ReadSummary, []LineError, error) {
	var sum ReadSummary
	count := func(o Outgoing) error {
		sum.Records++
		return emit(o)
	}
	switch opts.Format {
	case "jsonl", "json", "":
		bad, err := readJSONL(name, r, count)
		return sum, bad, err
	case "csv":
		bad, err := readCSV(name, r, count)
		return sum, bad, err
	}
	a, ok := Lookup(opts.Format)
	if !ok {
		return sum, nil, CheckFormat(opts)
	}
	stats, err := readPublisher(a, name, r, opts.Publisher, count)
	sum.Missing, sum.Skipped = stats.Missing, stats.Skipped
	var bad []LineError
	for _, e := range stats.Invalid {
		reason := e.Err
		if e.Element != "" {
			reason = fmt.Errorf("%s: %w", e.Element, e.Err)
		}
		bad = append(bad, LineError{File: name, Line: e.Line, Err: reason})
	}
	return sum, bad, err
}

// keyedRecord is a record an adapter read, with its series key.
type keyedRecord struct {
	key string
	rec transform.Record
}

// recordBatch is how many records the adapter hands over at once to be encoded.
const recordBatch = 512

// readPublisher reads a publisher file with a and emits each record with its series key and
// contract JSON, in order. The adapter reads, checks and finds duplicates on a goroutine of its
// own, handing the records over in batches; this goroutine encodes each as JSON and emits it, so
// that the two halves of the work run side by side. An error from emit stops the read (the
// adapter stops at its next batch) and is returned.
func readPublisher(a Adapter, name string, r io.Reader, opts Options, emit func(Outgoing) error) (Stats, error) {
	full := make(chan []keyedRecord, 4)
	free := make(chan []keyedRecord, 6) // batches emitted, to be filled again
	stop := make(chan struct{})
	var (
		stats   Stats
		readErr error
	)
	go func() {
		defer close(full)
		batch := make([]keyedRecord, 0, recordBatch)
		hand := func() bool {
			select {
			case full <- batch:
			case <-stop:
				return false
			}
			select {
			case batch = <-free:
			default:
				batch = make([]keyedRecord, 0, recordBatch)
			}
			return true
		}
		opts.keyed = func(key string, rec transform.Record) error {
			batch = append(batch, keyedRecord{key, rec})
			if len(batch) == cap(batch) && !hand() {
				return errEmitStopped
			}
			return nil
		}
		stats, readErr = a.Read(name, r, opts, nil)
		if len(batch) > 0 {
			hand()
		}
	}()
	var values slab
	for batch := range full {
		for i := range batch {
			k := &batch[i]
			if err := emit(Outgoing{Kind: k.rec.Kind, Key: k.key, Value: values.encode(&k.rec)}); err != nil {
				close(stop)
				for range full { // let the adapter end
				}
				return stats, err
			}
		}
		select {
		case free <- batch[:0]:
		default:
		}
	}
	return stats, readErr // set before full was closed
}

// errEmitStopped ends an adapter's read once emit has failed; readPublisher returns emit's error.
var errEmitStopped = errors.New("emit failed")

// ReportLines returns the text to print for invalid lines: each LineError's own, in order, except
// that the observations of one file rejected because their date is outside what ClickHouse stores
// (an *UnstorableDateError: a history's years before 1900, say) are told in one line, at
// the place of the first, with their count, their first and last line and date, and how to leave
// them out on purpose. A file with only one such observation keeps its own line.
func ReportLines(bad []LineError) []string {
	type group struct {
		at          int // index in out
		n           int
		first, last LineError
		date        [2]time.Time
		err         *UnstorableDateError
	}
	groups := map[string]*group{}
	var out []string
	for _, b := range bad {
		var ue *UnstorableDateError
		if !errors.As(b.Err, &ue) {
			out = append(out, b.Error())
			continue
		}
		key := fmt.Sprintf("%s|%t", b.File, ue.before())
		g := groups[key]
		if g == nil {
			g = &group{at: len(out), first: b, date: [2]time.Time{ue.Date, ue.Date}, err: ue}
			groups[key] = g
			out = append(out, b.Error())
		}
		g.n++
		g.last, g.date[1] = b, ue.Date
	}
	for _, g := range groups {
		if g.n == 1 {
			continue
		}
		where := "before " + transform.MinDate.Format(time.DateOnly) + ", the first date econflow stores"
		if !g.err.before() {
			where = "after " + transform.MaxDate.Format(time.DateOnly) + ", the last date econflow stores"
		}
		line := fmt.Sprintf("%s:%d: %s: %d observations dated %s (%s at line %d … %s at line %d), not sent",
			g.first.File, g.first.Line, transform.CodeOutOfRange, g.n, where,
			g.date[0].Format(time.DateOnly), g.first.Line, g.date[1].Format(time.DateOnly), g.last.Line)
		if g.err.Mapped {
			line += "; " + g.err.advice()
		}
		out[g.at] = line
	}
	return out
}

func readCSV(name string, r io.Reader, emit func(Outgoing) error) ([]LineError, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read %s: header row: %w", name, err)
	}
	dec, err := transform.NewCSVDecoder(append([]string(nil), header...))
	if err != nil {
		return nil, fmt.Errorf("%s:1: header: %w", name, err)
	}
	var bad []LineError
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return bad, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, LineError{name, pe.Line, err})
				continue
			}
			return bad, fmt.Errorf("read %s: %w", name, err)
		}
		rec, err := dec.Decode(row)
		if err != nil {
			bad = append(bad, LineError{name, line, err})
			continue
		}
		if err := emit(Outgoing{Kind: rec.Kind, Key: transform.SeriesKey(&rec), Value: transform.EncodeJSON(&rec)}); err != nil {
			return bad, err
		}
	}
}

// slab holds the contract JSON of many records in blocks of slabSize bytes, one allocation for
// some hundreds of records instead of one each.
type slab struct {
	buf []byte
	enc transform.Encoder // the file's provenance attributes, shared by its records, written once
}

const slabSize = 64 << 10

// encode returns transform.EncodeJSON(rec), written into the current block (a new one when
// fewer than 1 KB of it are left) unless it does not fit there.
func (s *slab) encode(rec *transform.Record) []byte {
	if cap(s.buf)-len(s.buf) < 1<<10 {
		s.buf = make([]byte, 0, slabSize)
	}
	rest := s.buf[len(s.buf):]
	out := s.enc.AppendJSON(rest, rec)
	if len(out) <= cap(rest) { // written in place: append never grew it
		s.buf = s.buf[:len(s.buf)+len(out)]
	}
	return out[:len(out):len(out)]
}
