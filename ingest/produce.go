package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

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
// CSV rows are encoded as CONTRACT JSON. Invalid lines are returned, not emitted; an error from
// emit or from reading stops the read.
func ReadRecords(name string, r io.Reader, format string, emit func(Outgoing) error) ([]LineError, error) {
	switch format {
	case "jsonl", "json", "":
		return readJSONL(name, r, emit)
	case "csv":
		return readCSV(name, r, emit)
	}
	return nil, fmt.Errorf("format %q: use jsonl or csv", format)
}

func readJSONL(name string, r io.Reader, emit func(Outgoing) error) ([]LineError, error) {
	var bad []LineError
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), transform.MaxMessageBytes+1)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
		}
		rec, err := transform.DecodeJSON(text)
		if err != nil {
			bad = append(bad, LineError{name, line, err})
			continue
		}
		value := append([]byte(nil), text...)
		if err := emit(Outgoing{Kind: rec.Kind, Key: transform.SeriesKey(&rec), Value: value}); err != nil {
			return bad, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line %d is longer than %d bytes", line+1, transform.MaxMessageBytes)
		}
		return bad, fmt.Errorf("read %s: %w", name, err)
	}
	return bad, nil
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
