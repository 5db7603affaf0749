package publishers_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/econflow/econflow/ingest/publishers"
	"github.com/econflow/econflow/transform"
)

// TestReadJSONLInOrder: records checked side by side are emitted in the order of their lines,
// over many chunks, with the bad lines' numbers, blank lines skipped, a BOM and CRs dropped; an
// error from emit stops the read and is returned; a line too long is an error after the records
// before it are emitted.
func TestReadJSONLInOrder(t *testing.T) {
	const n = 20000
	var in strings.Builder
	in.WriteString("\xef\xbb\xbf")
	wantBad := map[int]bool{}
	var wantValues []string
	for i := 1; i <= n; i++ {
		switch {
		case i%997 == 0:
			fmt.Fprintf(&in, `{"kind":"fuel_price","price":"x%d"}`+"\n", i)
			wantBad[i] = true
		case i%1009 == 0:
			in.WriteString("  \r\n")
		default:
			v := fmt.Sprintf(`{"kind":"fx_rate","source":"s%d","base":"EUR","quote":"KZT","rate":"%d.5","date":"2022-01-04"}`, i%7, i)
			in.WriteString(v + "\r\n")
			wantValues = append(wantValues, v)
		}
	}
	var got []string
	bad, err := publishers.ReadRecords("f.jsonl", strings.NewReader(in.String()), "jsonl", func(o publishers.Outgoing) error {
		if o.Kind != transform.KindFXRate || o.Key == "" {
			t.Errorf("record %q: kind %s key %q", o.Value, o.Kind, o.Key)
		}
		got = append(got, string(o.Value))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(wantValues) {
		t.Fatalf("%d records, want %d", len(got), len(wantValues))
	}
	for i := range got {
		if got[i] != wantValues[i] {
			t.Fatalf("record %d: %s, want %s", i, got[i], wantValues[i])
		}
	}
	if len(bad) != len(wantBad) {
		t.Fatalf("%d bad lines, want %d", len(bad), len(wantBad))
	}
	for i, b := range bad {
		if !wantBad[b.Line] || i > 0 && bad[i-1].Line >= b.Line || transform.CodeOf(b.Err) == "" {
			t.Fatalf("bad line %d: %v", b.Line, b.Err)
		}
	}

	stopAt := errors.New("stop")
	emitted := 0
	_, err = publishers.ReadRecords("f.jsonl", strings.NewReader(in.String()), "jsonl", func(publishers.Outgoing) error {
		emitted++
		if emitted == 5000 {
			return stopAt
		}
		return nil
	})
	if !errors.Is(err, stopAt) || emitted != 5000 {
		t.Fatalf("emit error: %v after %d records, want stop after 5000", err, emitted)
	}

	long := wantValues[0] + "\n" + wantValues[1] + "\n" + strings.Repeat("x", transform.MaxMessageBytes+1) + "\n" + wantValues[2] + "\n"
	got = got[:0]
	_, err = publishers.ReadRecords("f.jsonl", strings.NewReader(long), "jsonl", func(o publishers.Outgoing) error {
		got = append(got, string(o.Value))
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "line 3 is longer than") || len(got) != 2 {
		t.Fatalf("a line too long: %v, %d records before it, want the error and 2", err, len(got))
	}

	// The last line needs no line end; a read error ends the read after the lines before it.
	got = got[:0]
	collect := func(o publishers.Outgoing) error { got = append(got, string(o.Value)); return nil }
	if _, err := publishers.ReadRecords("f.jsonl", strings.NewReader(wantValues[0]+"\n"+wantValues[1]), "jsonl", collect); err != nil || len(got) != 2 || got[1] != wantValues[1] {
		t.Fatalf("no line end at the end: %v, %q", err, got)
	}
	got = got[:0]
	broken := errors.New("disk on fire")
	_, err = publishers.ReadRecords("f.jsonl", io.MultiReader(strings.NewReader(wantValues[0]+"\n"+wantValues[1]+"\n"), iotest.ErrReader(broken)), "jsonl", collect)
	if !errors.Is(err, broken) || len(got) != 2 {
		t.Fatalf("a read error: %v after %d records, want it after 2", err, len(got))
	}
}
