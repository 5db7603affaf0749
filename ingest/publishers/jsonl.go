package publishers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/econflow/econflow/transform"
)

// jsonlChunk is a run of consecutive lines of a JSONL file, checked by one worker of readJSONL.
type jsonlChunk struct {
	first int    // the line number of the first line
	ends  []int  // where each line ends in buf (at its '\n', or at the end of the input)
	buf   []byte // the lines with their '\n': the records' values are views of it
	out   []Outgoing
	bad   []LineError
	done  chan struct{} // closed once out and bad are made
}

// jsonlBlock is the bytes read at once: a chunk is the whole lines of one block, some 6,000
// records, checked by one worker.
const jsonlBlock = 1 << 20

// readJSONL reads JSONL records, checks each and emits the valid ones in order, each line
// published as written. Checking a record (decoding and validation, its series key) is most of
// `econflow produce`'s work, and lines are independent: one goroutine reads the input in blocks
// and cuts them into chunks of whole lines, as many workers as the Go runtime has processors
// check chunks side by side, each with a Decoder of its own, and the caller's goroutine emits
// the chunks' records in the order read. A line longer than transform.MaxMessageBytes ends the
// read with an error, after the records before it.
func readJSONL(name string, r io.Reader, emit func(Outgoing) error) ([]LineError, error) {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *jsonlChunk, workers)
	order := make(chan *jsonlChunk, 2*workers)
	stop := make(chan struct{})
	var readErr error
	go func() { // the reader: blocks into chunks, each to a worker and, in order, to the emitter
		defer close(order)
		defer close(jobs)
		send := func(c *jsonlChunk) bool {
			c.done = make(chan struct{})
			select {
			case jobs <- c:
			case <-stop:
				return false
			}
			select {
			case order <- c:
				return true
			case <-stop:
				return false
			}
		}
		tooLong := func(line int) {
			readErr = fmt.Errorf("read %s: line %d is longer than %d bytes", name, line, transform.MaxMessageBytes)
		}
		lines := 0      // lines read so far
		var rest []byte // the start of a line that the last block cut
		for eof := false; !eof; {
			buf := make([]byte, len(rest), len(rest)+jsonlBlock)
			copy(buf, rest)
			n, err := io.ReadFull(r, buf[len(rest):cap(buf)])
			buf = buf[:len(rest)+n]
			switch {
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
				eof = true
			case err != nil:
				readErr = fmt.Errorf("read %s: %w", name, err)
				eof = true
			}
			end := len(buf) // what this chunk takes: whole lines, and at the end the last one
			if !eof {
				end = bytes.LastIndexByte(buf, '\n') + 1
			}
			rest = append(rest[:0:0], buf[end:]...)
			if end == 0 && len(rest) > transform.MaxMessageBytes {
				tooLong(lines + 1)
				return
			}
			c := &jsonlChunk{first: lines + 1, buf: buf[:end]}
			for start := 0; start < end; {
				i := bytes.IndexByte(c.buf[start:], '\n')
				lineEnd := start + i
				if i < 0 {
					lineEnd = end
				}
				if lineEnd-start > transform.MaxMessageBytes {
					if len(c.ends) > 0 {
						send(c)
					}
					tooLong(lines + 1)
					return
				}
				lines++
				c.ends = append(c.ends, lineEnd)
				start = lineEnd + 1
			}
			if len(c.ends) > 0 && !send(c) {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec := new(transform.Decoder) // the lines' repeated values (source, country, region…) decoded once
			var rec transform.Record
			for c := range jobs {
				c.check(name, dec, &rec)
				close(c.done)
			}
		}()
	}
	defer wg.Wait()
	var bad []LineError
	for c := range order {
		<-c.done
		bad = append(bad, c.bad...)
		for _, o := range c.out {
			if err := emit(o); err != nil {
				close(stop)
				for c := range order { // let the reader and the workers end
					<-c.done
				}
				return bad, err
			}
		}
	}
	return bad, readErr // read after order is closed, which the reader does after setting it
}

// check makes the records of the chunk's valid lines and the errors of the others.
func (c *jsonlChunk) check(name string, dec *transform.Decoder, rec *transform.Record) {
	c.out = make([]Outgoing, 0, len(c.ends))
	start := 0
	for i, end := range c.ends {
		text := bytes.TrimRight(c.buf[start:end:end], "\r")
		start = end + 1
		if c.first+i == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		if err := dec.DecodeInto(rec, text); err != nil {
			c.bad = append(c.bad, LineError{name, c.first + i, err})
			continue
		}
		c.out = append(c.out, Outgoing{Kind: rec.Kind, Key: transform.SeriesKey(rec), Value: text})
	}
}
