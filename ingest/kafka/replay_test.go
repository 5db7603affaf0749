package kafka

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

// testReject is a reject of a message whose Kafka timestamp is origTime.
func testReject() ingest.Reject {
	return ingest.Reject{
		Message: ingest.Message{Topic: "econ.wages", Partition: 2, Offset: 41, Key: []byte("k1"),
			Value:   []byte(`{"kind":"wage","amount":"120,5"}`),
			Headers: []ingest.Header{{Key: "trace-id", Value: []byte("abc")}, {Key: "empty", Value: nil}},
			Time:    origTime()},
		Code: transform.CodeBadDecimal, Reason: `field "amount": "120,5" is not a decimal`,
	}
}

// origTime is an original message's Kafka timestamp, given in a zone other than UTC (the header
// must say UTC) and with milliseconds, as Kafka keeps them.
func origTime() time.Time {
	return time.Date(2024, 3, 1, 10, 20, 30, 123_000_000, time.FixedZone("UTC+1", 3600))
}

// asRead is m as a consumer of the dead-letter topic reads it back at partition 0, offset 7.
func asRead(m kafkago.Message) kafkago.Message {
	m.Partition, m.Offset = 0, 7
	return m
}

func headerMap(hs []kafkago.Header) map[string][]string {
	out := map[string][]string{}
	for _, h := range hs {
		out[h.Key] = append(out[h.Key], string(h.Value))
	}
	return out
}

// A dead letter's own timestamp is the original message's, and a header says it in UTC with
// nine fractional digits, next to the error and the source coordinates.
func TestDeadLetterMessageKeepsSourceTimestamp(t *testing.T) {
	origTime := origTime()
	w := &Writer{deadLetter: "econ.dead_letter"}
	r := testReject()
	m := w.deadLetterMessage(&r, false)
	if !m.Time.Equal(origTime) {
		t.Errorf("dead letter time = %v, want the original %v", m.Time, origTime)
	}
	h := headerMap(m.Headers)
	want := map[string]string{
		ingest.HeaderSourceTimestamp: "2024-03-01T09:20:30.123000000Z",
		ingest.HeaderSourceTopic:     "econ.wages", ingest.HeaderSourcePartition: "2", ingest.HeaderSourceOffset: "41",
		ingest.HeaderErrorCode: "bad_decimal", ingest.HeaderError: r.Reason, "trace-id": "abc", "empty": "",
	}
	for k, v := range want {
		if got := h[k]; len(got) != 1 || got[0] != v {
			t.Errorf("header %s = %q, want [%q]", k, got, v)
		}
	}
	if m.Topic != "econ.dead_letter" || string(m.Key) != "k1" || !bytes.Equal(m.Value, r.Message.Value) {
		t.Errorf("dead letter = %s %q %q, want the original key and value on econ.dead_letter", m.Topic, m.Key, m.Value)
	}

	// An original without a timestamp: no header, and kafka-go stamps the dead letter.
	r.Message.Time = time.Time{}
	m = w.deadLetterMessage(&r, false)
	if _, ok := headerMap(m.Headers)[ingest.HeaderSourceTimestamp]; ok || !m.Time.IsZero() {
		t.Errorf("original without a time: header %v, time %v; want neither", headerMap(m.Headers)[ingest.HeaderSourceTimestamp], m.Time)
	}
}

// A dead letter read back replays as the original message: same topic, partition, key, value,
// headers (without econflow's) and timestamp, plus the provenance header.
func TestReplayMessageRoundTrip(t *testing.T) {
	origTime := origTime()
	w := &Writer{deadLetter: "econ.dead_letter"}
	r := testReject()
	d, err := ParseDeadLetter(asRead(w.deadLetterMessage(&r, false)))
	if err != nil {
		t.Fatal(err)
	}
	if d.SourceTopic != "econ.wages" || d.SourcePartition != 2 || d.SourceOffset != 41 || !d.SourceTime.Equal(origTime) ||
		d.Code != "bad_decimal" || d.Reason != r.Reason || d.TruncatedFrom != 0 {
		t.Fatalf("parsed %+v", d)
	}
	if d.Source() != "econ.wages/2/41" || d.Place() != "econ.dead_letter/0/7" {
		t.Errorf("Source %q Place %q", d.Source(), d.Place())
	}
	m, err := d.ReplayMessage(false)
	if err != nil {
		t.Fatal(err)
	}
	if m.Topic != "econ.wages" || m.Partition != 2 || string(m.Key) != "k1" || !bytes.Equal(m.Value, r.Message.Value) {
		t.Errorf("replayed to %s/%d key %q value %q", m.Topic, m.Partition, m.Key, m.Value)
	}
	if !m.Time.Equal(origTime) {
		t.Errorf("replayed time %v, want the original %v", m.Time, origTime)
	}
	want := []kafkago.Header{{Key: "trace-id", Value: []byte("abc")}, {Key: "empty"},
		{Key: ingest.HeaderReplayedFrom, Value: []byte("econ.dead_letter/0/7")}}
	if fmt.Sprint(headerMap(m.Headers)) != fmt.Sprint(headerMap(want)) || len(m.Headers) != len(want) {
		t.Errorf("replayed headers %v, want %v", headerMap(m.Headers), headerMap(want))
	}
	for i := range want {
		if m.Headers[i].Key != want[i].Key {
			t.Errorf("header %d = %s, want %s (original order first)", i, m.Headers[i].Key, want[i].Key)
		}
	}

	// A replayed message that fails again is dead-lettered with its own provenance header;
	// replaying that one puts back only the newest provenance.
	again := ingest.Reject{Message: ingest.Message{Topic: m.Topic, Partition: 2, Offset: 99, Key: m.Key, Value: m.Value,
		Time: m.Time}, Code: transform.CodeBadDecimal, Reason: "still bad"}
	for _, h := range m.Headers {
		again.Message.Headers = append(again.Message.Headers, ingest.Header{Key: h.Key, Value: h.Value})
	}
	d2, err := ParseDeadLetter(asRead(w.deadLetterMessage(&again, false)))
	if err != nil {
		t.Fatal(err)
	}
	if d2.SourceOffset != 99 || d2.Reason != "still bad" || !d2.SourceTime.Equal(origTime) {
		t.Errorf("second dead letter parsed as %+v", d2)
	}
	m2, err := d2.ReplayMessage(false)
	if err != nil {
		t.Fatal(err)
	}
	if got := headerMap(m2.Headers)[ingest.HeaderReplayedFrom]; len(got) != 1 {
		t.Errorf("provenance headers %q, want exactly one", got)
	}
}

func TestReplayMessageRefusesWhatCannotBeReplayedExactly(t *testing.T) {
	w := &Writer{deadLetter: "dlq"}
	r := testReject()
	r.Message.Value = bytes.Repeat([]byte("x"), DeadLetterTruncatedBytes+10)
	d, err := ParseDeadLetter(asRead(w.deadLetterMessage(&r, true)))
	if err != nil {
		t.Fatal(err)
	}
	if d.TruncatedFrom != DeadLetterTruncatedBytes+10 {
		t.Fatalf("TruncatedFrom = %d", d.TruncatedFrom)
	}
	for _, use := range []bool{false, true} {
		if _, err := d.ReplayMessage(use); !errors.Is(err, ErrValueTruncated) {
			t.Errorf("truncated dead letter (useDeadLetterTime %v): err %v, want ErrValueTruncated", use, err)
		}
	}

	// A dead letter written before econflow kept the original time.
	r = testReject()
	r.Message.Time = time.Time{}
	dl := asRead(w.deadLetterMessage(&r, false))
	dlTime := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	dl.Time = dlTime
	d, err = ParseDeadLetter(dl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReplayMessage(false); !errors.Is(err, ErrNoSourceTime) {
		t.Errorf("no source time: err %v, want ErrNoSourceTime", err)
	}
	m, err := d.ReplayMessage(true)
	if err != nil || !m.Time.Equal(dlTime) {
		t.Errorf("useDeadLetterTime: time %v err %v, want the dead letter's %v", m.Time, err, dlTime)
	}
}

func TestParseDeadLetter(t *testing.T) {
	src := func(kv ...string) []kafkago.Header {
		var hs []kafkago.Header
		for i := 0; i < len(kv); i += 2 {
			hs = append(hs, kafkago.Header{Key: kv[i], Value: []byte(kv[i+1])})
		}
		return hs
	}
	ok := []string{ingest.HeaderSourceTopic, "econ.wages", ingest.HeaderSourcePartition, "1", ingest.HeaderSourceOffset, "5"}
	cases := []struct {
		name    string
		headers []kafkago.Header
		err     string // "" = parses
		check   func(t *testing.T, d DeadLetter)
	}{
		{"plain message", src("trace-id", "x"), "no econflow.source.topic", nil},
		{"empty topic", src(ingest.HeaderSourceTopic, "", ingest.HeaderSourcePartition, "1", ingest.HeaderSourceOffset, "5"), "no econflow.source.topic", nil},
		{"no partition", src(ingest.HeaderSourceTopic, "t", ingest.HeaderSourceOffset, "5"), "no econflow.source.partition", nil},
		{"no offset", src(ingest.HeaderSourceTopic, "t", ingest.HeaderSourcePartition, "1"), "no econflow.source.offset", nil},
		{"negative partition", src(ingest.HeaderSourceTopic, "t", ingest.HeaderSourcePartition, "-1", ingest.HeaderSourceOffset, "5"), "not a partition", nil},
		{"word partition", src(ingest.HeaderSourceTopic, "t", ingest.HeaderSourcePartition, "one", ingest.HeaderSourceOffset, "5"), "not a partition", nil},
		{"bad offset", src(ingest.HeaderSourceTopic, "t", ingest.HeaderSourcePartition, "1", ingest.HeaderSourceOffset, "5x"), "not an offset", nil},
		{"bad timestamp", append(src(ok...), src(ingest.HeaderSourceTimestamp, "yesterday")...), "not an RFC 3339 time", nil},
		{"bad truncated", append(src(ok...), src(ingest.HeaderValueTruncated, "0")...), "not a length", nil},
		{"minimal", src(ok...), "", func(t *testing.T, d DeadLetter) {
			if d.Code != "" || !d.SourceTime.IsZero() || d.Source() != "econ.wages/1/5" || len(d.Headers) != 0 {
				t.Errorf("%+v", d)
			}
		}},
		{"last of each wins, others kept", append(src("trace-id", "x", ingest.HeaderErrorCode, "oversize", ingest.HeaderReplayedFrom, "dlq/0/1",
			ingest.HeaderSourceTopic, "old", ingest.HeaderSourcePartition, "9", ingest.HeaderSourceOffset, "9",
			ingest.HeaderSourceTimestamp, "2020-01-01T00:00:00Z"), append(src(ok...),
			src(ingest.HeaderErrorCode, "bad_decimal", ingest.HeaderError, "why", ingest.HeaderSourceTimestamp, "2024-03-01T09:20:30.123456789Z", "z", "")...)...),
			"", func(t *testing.T, d DeadLetter) {
				want := time.Date(2024, 3, 1, 9, 20, 30, 123456789, time.UTC)
				if d.Code != "bad_decimal" || d.Reason != "why" || d.Source() != "econ.wages/1/5" || !d.SourceTime.Equal(want) {
					t.Errorf("%+v", d)
				}
				if fmt.Sprint(headerMap(d.Headers)) != fmt.Sprint(map[string][]string{"trace-id": {"x"}, "z": {""}}) {
					t.Errorf("original headers %v", headerMap(d.Headers))
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDeadLetter(kafkago.Message{Topic: "dlq", Headers: tc.headers})
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, d)
				return
			}
			if !errors.Is(err, ErrNotDeadLetter) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want ErrNotDeadLetter saying %q", err, tc.err)
			}
		})
	}
}

func TestReplayFilterMatch(t *testing.T) {
	d := DeadLetter{Code: "bad_decimal", SourceTopic: "econ.wages", SourcePartition: 1, SourceOffset: 10}
	with := func(edit func(*ReplayFilter)) ReplayFilter {
		f := AllDeadLetters()
		edit(&f)
		return f
	}
	cases := []struct {
		name string
		f    ReplayFilter
		want bool
	}{
		{"all", AllDeadLetters(), true},
		{"code", with(func(f *ReplayFilter) { f.Codes = []string{"bad_decimal"} }), true},
		{"one of codes", with(func(f *ReplayFilter) { f.Codes = []string{"oversize", "bad_decimal"} }), true},
		{"other code", with(func(f *ReplayFilter) { f.Codes = []string{"oversize"} }), false},
		{"code prefix is not the code", with(func(f *ReplayFilter) { f.Codes = []string{"bad"} }), false},
		{"topic", with(func(f *ReplayFilter) { f.Topic = "econ.wages" }), true},
		{"other topic", with(func(f *ReplayFilter) { f.Topic = "econ.fx_rates" }), false},
		{"partition", with(func(f *ReplayFilter) { f.Topic, f.Partition = "econ.wages", 1 }), true},
		{"other partition", with(func(f *ReplayFilter) { f.Topic, f.Partition = "econ.wages", 0 }), false},
		{"offsets inclusive at both ends", with(func(f *ReplayFilter) { f.Topic, f.Partition, f.FromOffset, f.ToOffset = "econ.wages", 1, 10, 10 }), true},
		{"from after", with(func(f *ReplayFilter) { f.Topic, f.Partition, f.FromOffset = "econ.wages", 1, 11 }), false},
		{"to before", with(func(f *ReplayFilter) { f.Topic, f.Partition, f.ToOffset = "econ.wages", 1, 9 }), false},
		{"open-ended from", with(func(f *ReplayFilter) { f.Topic, f.Partition, f.FromOffset = "econ.wages", 1, 0 }), true},
		{"all criteria", with(func(f *ReplayFilter) {
			f.Codes, f.Topic, f.Partition, f.FromOffset, f.ToOffset = []string{"bad_decimal"}, "econ.wages", 1, 5, 20
		}), true},
		{"all but the code", with(func(f *ReplayFilter) {
			f.Codes, f.Topic, f.Partition, f.FromOffset, f.ToOffset = []string{"oversize"}, "econ.wages", 1, 5, 20
		}), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := tc.f.Match(&d); got != tc.want {
				t.Errorf("%s: Match = %v, want %v", tc.f, got, tc.want)
			}
		})
	}
}

func TestReplayFilterValidateAndString(t *testing.T) {
	bad := []struct {
		name string
		f    ReplayFilter
		err  string
	}{
		{"partition without topic", ReplayFilter{Partition: 1, FromOffset: -1, ToOffset: -1}, "needs its topic"},
		{"offsets without partition", ReplayFilter{Topic: "t", Partition: -1, FromOffset: 3, ToOffset: -1}, "needs its topic and partition"},
		{"from after to", ReplayFilter{Topic: "t", Partition: 0, FromOffset: 5, ToOffset: 4}, "after to-offset"},
		{"below -1", ReplayFilter{Partition: -2, FromOffset: -1, ToOffset: -1}, "≥ 0"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f.Validate(); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Validate = %v, want an error saying %q", err, tc.err)
			}
		})
	}
	f := ReplayFilter{Codes: []string{"bad_decimal", "oversize"}, Topic: "econ.wages", Partition: 1, FromOffset: 10, ToOffset: -1}
	if got, want := f.String(), "codes: bad_decimal, oversize; topic econ.wages; partition 1; offsets 10…"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := AllDeadLetters().String(); got != "all" {
		t.Errorf("AllDeadLetters().String() = %q", got)
	}
}

func TestKeepPartitionBalancer(t *testing.T) {
	b := keepPartition{byKey: &kafkago.Hash{}}
	parts := []int{0, 1, 2}
	if got := b.Balance(kafkago.Message{Key: []byte("k"), Partition: 2}, parts...); got != 2 {
		t.Errorf("partition 2 of 3: got %d", got)
	}
	// A partition the topic lacks: by key, as the plain writer does.
	want := (&kafkago.Hash{}).Balance(kafkago.Message{Key: []byte("k")}, parts...)
	if got := b.Balance(kafkago.Message{Key: []byte("k"), Partition: 7}, parts...); got != want {
		t.Errorf("partition 7 of 3: got %d, want %d (by key)", got, want)
	}
}
