// Package publishers turns the files that central banks and statistics offices publish into
// contract records (docs/contract.md §1): ECB euro reference rates, National Bank of Kazakhstan
// official rates, FRED/ALFRED observations, generic SDMX-CSV and the EU Weekly Oil Bulletin.
//
// Each format is an Adapter, found by name with Lookup. An adapter reads one file and calls emit
// with every record it can build, in file order; each record has its defaults applied and has
// passed transform.Validate. Numbers are read exactly from their text, never through float64.
//
// Two kinds of problem are told apart:
//   - a file whose layout is not the one expected (wrong root element or header, a missing
//     attribute, a column the mapping does not know, truncated XML, an empty file) stops the read:
//     Read returns an *Error that matches ErrLayout and names the file, the line and the element
//     or column, and what was expected;
//   - a well-laid-out entry whose value cannot become a record (a bad number, an unknown
//     currency code, a duplicate date) is not emitted and is listed in Stats.Invalid; the read goes
//     on.
//
// A value the publisher marks as missing ("." in FRED, "N/A" in the ECB history, "NaN" in
// SDMX-CSV, an empty cell) is skipped and counted in Stats.Missing; it never becomes a zero. An
// observation dated outside the mapping's date range ("from", "to") is left out as asked and
// counted in Stats.Skipped; it is neither a record nor invalid.
package publishers

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// Adapter reads one publisher file layout.
type Adapter interface {
	// Name is the --format value, e.g. "ecb-xml".
	Name() string
	// Describe is a one-line description for --help.
	Describe() string
	// NeedsMapping reports whether Read requires Options.Mapping.
	NeedsMapping() bool
	// Read reads the file called name (used in messages and provenance) from r and calls emit for
	// every valid record in file order. An error from emit stops the read and is returned as is.
	// A layout error is returned as an *Error matching ErrLayout; invalid entries are in
	// Stats.Invalid and do not stop the read.
	// The records of one Read may share their Attributes map: emit must not change it.
	Read(name string, r io.Reader, opts Options, emit func(transform.Record) error) (Stats, error)
}

// Options are the settings shared by every adapter. The zero value is valid for the formats that
// need no mapping.
type Options struct {
	// Mapping says which kind and fields a series becomes (fred-csv, fred-json, sdmx-csv); nil for
	// the other formats. Load it with LoadMapping or ParseMapping.
	Mapping *Mapping
	// PublishedAt, if non-zero, is the vintage given to records whose publisher states none
	// (ECB, NBK, the Oil Bulletin, FRED without real-time periods). Zero: such records carry no
	// published_at and the consumer uses the Kafka message time. A vintage stated by the file
	// (FRED realtime_start, an ALFRED vintage column, a mapped SDMX column) always wins.
	PublishedAt time.Time

	// keyed, if set, is called instead of Read's emit with each record and its series key
	// (transform.SeriesKey), which the reader computes anyway (ReadRecordsWith).
	keyed func(key string, rec transform.Record) error
}

// Stats counts what one Read did.
type Stats struct {
	// Records is the number of records emitted.
	Records int
	// Missing is the number of values skipped because the publisher marked them missing.
	Missing int
	// Skipped counts the observations left out because their date is outside the mapping's date
	// range (Mapping.From, Mapping.To). They are neither records nor invalid.
	Skipped Skipped
	// Invalid lists the entries that could not become records, in file order; none was emitted.
	Invalid []*Error
}

// Skipped counts the observations a Read left out because their date is outside the mapping's
// date range, and names that range.
type Skipped struct {
	// Before counts the observations dated before From; After those dated after To.
	Before, After int
	// From and To are the range applied, both inclusive; a zero time is no bound.
	From, To time.Time
}

// Count returns the number of observations skipped.
func (s Skipped) Count() int { return s.Before + s.After }

// String says what was skipped and why in one line, e.g. "skipped 92 observations dated before
// 1970-01-01 (outside the mapping's date range "from": "1970-01-01")"; "" if nothing was.
func (s Skipped) String() string {
	if s.Count() == 0 {
		return ""
	}
	noun := "observations"
	if s.Count() == 1 {
		noun = "observation"
	}
	from, to := s.From.Format(time.DateOnly), s.To.Format(time.DateOnly)
	var what string
	switch {
	case s.After == 0:
		what = fmt.Sprintf("%d %s dated before %s", s.Before, noun, from)
	case s.Before == 0:
		what = fmt.Sprintf("%d %s dated after %s", s.After, noun, to)
	default:
		what = fmt.Sprintf("%d %s, %d dated before %s and %d after %s", s.Count(), noun, s.Before, from, s.After, to)
	}
	var bounds []string
	if !s.From.IsZero() {
		bounds = append(bounds, `"from": "`+from+`"`)
	}
	if !s.To.IsZero() {
		bounds = append(bounds, `"to": "`+to+`"`)
	}
	return fmt.Sprintf("skipped %s (outside the mapping's date range %s)", what, strings.Join(bounds, ", "))
}

// ErrLayout is matched (errors.Is) by every error that means the file is not in the layout the
// adapter expects.
var ErrLayout = errors.New("unknown or changed layout")

// Error is a problem at a place in a file: "ecb.xml: element Cube at line 7: attribute "rate"
// missing", "fred.csv:4: column DEXUSEU: ..." or "ecb.xml:3:14: XML is not well-formed: ...".
type Error struct {
	// File is the name given to Read.
	File string
	// Line is the 1-based line of the entry, 0 if unknown.
	Line int
	// Column is the 1-based byte column within Line where a file stops being well-formed XML,
	// JSON or CSV; 0 if unknown or not meaningful (an element, a whole entry, the end of the file).
	Column int
	// Element names the XML element, JSON path or CSV column, "" if none.
	Element string
	// Err is the reason; for an invalid value it is usually a *transform.Error.
	Err error
	// Layout marks an error in the file's layout (it then matches ErrLayout).
	Layout bool
}

// Error formats the place and the reason.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Element != "" && e.Line > 0:
		b.WriteString(": " + e.Element + " at line " + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(", column " + strconv.Itoa(e.Column))
		}
	case e.Element != "":
		b.WriteString(": " + e.Element)
	case e.Line > 0:
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is ErrLayout and e is a layout error.
func (e *Error) Is(target error) bool { return target == ErrLayout && e.Layout }

// layoutError builds a layout *Error.
func layoutError(file string, line int, element, reason string) *Error {
	return &Error{File: file, Line: line, Element: element, Err: errors.New(reason), Layout: true}
}

var registry = []Adapter{
	ECBXML{}, ECBCSV{}, NBKRSS{}, FREDCSV{}, FREDJSON{}, SDMXCSV{}, OilBulletinCSV{},
}

// Adapters returns every adapter, sorted by name.
func Adapters() []Adapter {
	out := append([]Adapter(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// Lookup returns the adapter called name.
func Lookup(name string) (Adapter, bool) {
	for _, a := range registry {
		if a.Name() == name {
			return a, true
		}
	}
	return nil, false
}

// Names returns the adapter names, sorted.
func Names() []string {
	var out []string
	for _, a := range Adapters() {
		out = append(out, a.Name())
	}
	return out
}
