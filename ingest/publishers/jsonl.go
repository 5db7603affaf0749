package publishers

import (
	"bufio"
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
	ends  []int  // where each line ends in buf
	buf   []byte // the lines' bytes, one after another: the records' values are views of it
	out   []Outgoing
	bad   []LineError
	done  chan struct{} // closed once out and bad are made
}

// jsonlChunkLines is the lines of a jsonlChunk: enough that handing chunks over costs nothing
// beside checking them, few enough that the first records are sent at once.
const jsonlChunkLines = 2048

// readJSONL reads JSONL records, checks each and emits the valid ones in order, each line
// published as written. Checking a record (decoding and validation, its series key) is most of
// `econflow produce`'s work, and lines are independent: one goroutine reads the lines into
// chunks, as many workers as the Go runtime has processors check chunks side by side, each with
// a Decoder of its own, and the caller's goroutine emits the chunks' records in the order read.
func readJSONL(name string, r io.Reader, emit func(Outgoing) error) ([]LineError, error) {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *jsonlChunk, workers)
	order := make(chan *jsonlChunk, 2*workers)
	stop := make(chan struct{})
	var readErr error
	go func() { // the reader: lines into chunks, each to a worker and, in order, to the emitter
		defer close(order)
		defer close(jobs)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), transform.MaxMessageBytes+1)
		line := 0
		c := &jsonlChunk{first: 1}
		send := func() bool {
			c.done = make(chan struct{})
			select {
			case jobs <- c:
			case <-stop:
				return false
			}
			select {
			case order <- c:
			case <-stop:
				return false
			}
			c = &jsonlChunk{first: line + 1}
			return true
		}
		for sc.Scan() {
			line++
			text := sc.Bytes()
			if line == 1 {
				text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
			}
			c.buf = append(c.buf, text...)
			c.ends = append(c.ends, len(c.buf))
			if len(c.ends) == jsonlChunkLines && !send() {
				return
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = fmt.Errorf("line %d is longer than %d bytes", line+1, transform.MaxMessageBytes)
			}
			readErr = fmt.Errorf("read %s: %w", name, err)
		}
		if len(c.ends) > 0 {
			send()
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
		start = end
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
