package kafka_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/transform"
)

func TestReplayDeadLettersEmbeddedBroker(t *testing.T) {
	t.Parallel()
	testReplayDeadLetters(t, testenv.EmbeddedBroker(t))
}

func TestReplayDeadLettersApacheKafka(t *testing.T) {
	t.Parallel()
	testReplayDeadLetters(t, testenv.ApacheKafka(t))
}

// testReplayDeadLetters sends dead letters as the consumer does, reads them back, and replays
// selections of them: each replayed message must be the original one — topic, partition, key
// (a null key stays null), value, headers and Kafka timestamp — plus its provenance header.
func testReplayDeadLetters(t *testing.T, brokers string) {
	topics := testenv.NewTopics(t, brokers)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: []string{brokers}}, topics.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// Original timestamps hours before now (within any retention), to the millisecond as Kafka
	// keeps them, and distinct from the time the dead letters are written.
	base := time.Now().Add(-5 * time.Hour).Truncate(time.Second)
	msg := func(topic string, partition int, offset int64, key []byte, value string, ms int, headers ...ingest.Header) ingest.Message {
		return ingest.Message{Topic: topic, Partition: partition, Offset: offset, Key: key, Value: []byte(value), Headers: headers,
			Time: base.Add(time.Duration(ms) * time.Millisecond)}
	}
	trace := ingest.Header{Key: "trace-id", Value: []byte("t-1")}
	rejects := []ingest.Reject{
		{Message: msg(topics.Wages, 1, 10, []byte("a"), `{"n":"a"}`, 1, trace), Code: transform.CodeBadDecimal, Reason: "r-a"},
		{Message: msg(topics.Wages, 1, 11, []byte("b"), `{"n":"b"}`, 3_600_002), Code: transform.CodeOutOfRange, Reason: "r-b"},
		{Message: msg(topics.Wages, 2, 12, nil, `{"n":"c"}`, 7_200_003, ingest.Header{Key: "h", Value: nil}), Code: transform.CodeBadDecimal, Reason: "r-c"},
		{Message: msg(topics.FuelPrices, 0, 5, []byte("d"), `{"n":"d"}`, 10_800_004), Code: transform.CodeBadDecimal, Reason: "r-d"},
	}
	// A dead letter from an econflow that did not keep the original time.
	old := ingest.Reject{Message: msg(topics.FuelPrices, 0, 6, []byte("e"), `{"n":"e"}`, 0), Code: transform.CodeUnknownField, Reason: "r-e"}
	old.Message.Time = time.Time{}
	rejects = append(rejects, old)
	if err := w.SendDeadLetters(ctx, rejects); err != nil {
		t.Fatalf("send dead letters: %v", err)
	}
	// And a message that is no dead letter at all.
	if err := w.Write(ctx, kafkago.Message{Topic: topics.DeadLetter, Key: []byte("x"), Value: []byte("not a dead letter")}); err != nil {
		t.Fatal(err)
	}

	opts := func(f kafka.ReplayFilter, dryRun bool) kafka.ReplayOptions {
		return kafka.ReplayOptions{Brokers: []string{brokers}, DeadLetterTopic: topics.DeadLetter, Filter: f, DryRun: dryRun}
	}
	// Read back: every dead letter's own timestamp and header are the original's.
	byKey := map[string]kafka.DeadLetter{}
	o := opts(kafka.AllDeadLetters(), true)
	o.OnMatch = func(d *kafka.DeadLetter, _ error) { byKey[string(d.Value)] = *d }
	var progress []kafka.ReplayStats
	o.OnProgress, o.ProgressInterval = func(s kafka.ReplayStats) { progress = append(progress, s) }, time.Nanosecond
	stats, err := kafka.Replay(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range progress {
		if p.Total != 6 || p.Read < 1 || p.Read > 6 || (i > 0 && p.Read <= progress[i-1].Read) {
			t.Errorf("progress report %d: %+v (after %+v)", i, p, progress[max(i-1, 0)])
		}
	}
	if len(progress) == 0 {
		t.Error("no progress reported with a 1ns interval")
	}
	if stats.Total != 6 || stats.Read != 6 || stats.NotDeadLetters != 1 || stats.Matched != 5 || stats.Replayed != 4 || stats.NoSourceTime != 1 {
		t.Fatalf("dry run of all: %+v", stats)
	}
	for _, r := range rejects {
		d, ok := byKey[string(r.Message.Value)]
		if !ok {
			t.Fatalf("dead letter of %s not read back", r.Message.Value)
		}
		if d.Source() != fmt.Sprintf("%s/%d/%d", r.Message.Topic, r.Message.Partition, r.Message.Offset) || d.Code != string(r.Code) || d.Reason != r.Reason {
			t.Errorf("%s: read back as %s %s %q", r.Message.Value, d.Source(), d.Code, d.Reason)
		}
		if r.Message.Time.IsZero() {
			if !d.SourceTime.IsZero() || d.Time.IsZero() {
				t.Errorf("%s: source time %v, dead letter time %v; want none, and the time of sending", r.Message.Value, d.SourceTime, d.Time)
			}
			continue
		}
		if !d.Time.Equal(r.Message.Time) || !d.SourceTime.Equal(r.Message.Time) {
			t.Errorf("%s: dead letter time %v, header %v; want the original %v in both", r.Message.Value, d.Time, d.SourceTime, r.Message.Time)
		}
	}

	// A dry run publishes nothing.
	stats, err = kafka.Replay(ctx, opts(kafka.ReplayFilter{Codes: []string{"bad_decimal"}, Partition: -1, FromOffset: -1, ToOffset: -1}, true))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Matched != 3 || stats.Replayed != 3 || stats.NotMatched["out_of_range"] != 1 || stats.NotMatched["unknown_field"] != 1 {
		t.Errorf("dry run of bad_decimal: %+v", stats)
	}
	wantEnd := map[string]map[int]int64{topics.Wages: {0: 0, 1: 0, 2: 0}, topics.FuelPrices: {0: 0, 1: 0, 2: 0}, topics.FXRates: {0: 0, 1: 0, 2: 0},
		topics.Indicators: {0: 0, 1: 0, 2: 0}}
	checkEnds(t, ctx, brokers, topics, wantEnd)

	// One offset of one partition, then the whole code, then the old dead letter: refused
	// without, and replayed with, the dead letter's own time.
	narrow := kafka.ReplayFilter{Codes: []string{"bad_decimal"}, Topic: topics.Wages, Partition: 1, FromOffset: 10, ToOffset: 10}
	for _, step := range []struct {
		f       kafka.ReplayFilter
		useDLT  bool
		replays int
	}{
		{narrow, false, 1},
		{kafka.ReplayFilter{Codes: []string{"bad_decimal"}, Partition: -1, FromOffset: -1, ToOffset: -1}, false, 3},
		{kafka.ReplayFilter{Topic: topics.FuelPrices, Partition: 0, FromOffset: 6, ToOffset: -1}, false, 0},
		{kafka.ReplayFilter{Topic: topics.FuelPrices, Partition: 0, FromOffset: 6, ToOffset: -1}, true, 1},
	} {
		o := opts(step.f, false)
		o.UseDeadLetterTime = step.useDLT
		stats, err := kafka.Replay(ctx, o)
		if err != nil {
			t.Fatalf("replay %s: %v", step.f, err)
		}
		if stats.Replayed != step.replays {
			t.Errorf("replay %s (use dead-letter time %v): replayed %d, want %d (%+v)", step.f, step.useDLT, stats.Replayed, step.replays, stats)
		}
	}
	wantEnd[topics.Wages][1], wantEnd[topics.Wages][2], wantEnd[topics.FuelPrices][0] = 2, 1, 2
	checkEnds(t, ctx, brokers, topics, wantEnd)

	// What is on the source partitions now, in order.
	a, c, d, e := byKey[`{"n":"a"}`], byKey[`{"n":"c"}`], byKey[`{"n":"d"}`], byKey[`{"n":"e"}`]
	for _, p := range []struct {
		topic     string
		partition int
		want      []kafka.DeadLetter
	}{
		{topics.Wages, 1, []kafka.DeadLetter{a, a}},
		{topics.Wages, 2, []kafka.DeadLetter{c}},
		{topics.FuelPrices, 0, []kafka.DeadLetter{d, e}},
	} {
		got := readPartition(t, ctx, brokers, p.topic, p.partition, len(p.want))
		for i, m := range got {
			dl := p.want[i]
			wantTime := dl.SourceTime
			if wantTime.IsZero() {
				wantTime = dl.Time
			}
			where := fmt.Sprintf("%s/%d/%d", p.topic, p.partition, m.Offset)
			if !bytes.Equal(m.Value, dl.Value) || !bytes.Equal(m.Key, dl.Key) || (m.Key == nil) != (dl.Key == nil) {
				t.Errorf("%s: key %q value %q, want %q %q", where, m.Key, m.Value, dl.Key, dl.Value)
			}
			if !m.Time.Equal(wantTime) {
				t.Errorf("%s: timestamp %v, want the original %v", where, m.Time, wantTime)
			}
			wantHeaders := append(append([]kafkago.Header{}, dl.Headers...), kafkago.Header{Key: ingest.HeaderReplayedFrom, Value: []byte(dl.Place())})
			if fmt.Sprintf("%q", m.Headers) != fmt.Sprintf("%q", wantHeaders) {
				t.Errorf("%s: headers %q, want %q", where, m.Headers, wantHeaders)
			}
		}
	}
	if len(a.Headers) != 1 || a.Headers[0].Key != "trace-id" || len(c.Headers) != 1 || c.Headers[0].Key != "h" {
		t.Errorf("original headers read back: a %q, c %q", a.Headers, c.Headers)
	}
}

// checkEnds checks the end offset of every input partition.
func checkEnds(t *testing.T, ctx context.Context, brokers string, topics kafka.Topics, want map[string]map[int]int64) {
	t.Helper()
	end, err := kafka.EndOffsets(ctx, []string{brokers}, kafka.Security{}, topics.Input())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(end) != fmt.Sprint(want) {
		t.Errorf("end offsets of the input topics: %v, want %v", end, want)
	}
}

// readPartition reads the first n messages of a partition, and checks that there are no more.
func readPartition(t *testing.T, ctx context.Context, brokers, topic string, partition, n int) []kafkago.Message {
	t.Helper()
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{brokers}, Topic: topic, Partition: partition, MaxWait: 250 * time.Millisecond})
	defer r.Close()
	var out []kafkago.Message
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read %s/%d (%d of %d): %v", topic, partition, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// A dead-letter topic that refuses old timestamps (message.timestamp.before.max.ms) still takes
// the dead letter, stamped with the time of sending: econflow.source.timestamp keeps the
// original, and the replay uses it. A source topic that refuses it makes the replay fail, saying
// why. (The embedded broker does not check timestamps.)
func TestDeadLetterTimestampRefusedApacheKafka(t *testing.T) {
	t.Parallel()
	brokers := testenv.ApacheKafka(t)
	topics := testenv.NewTopics(t, brokers)
	testenv.SetTopicConfig(t, brokers, topics.DeadLetter, "message.timestamp.before.max.ms", "3600000")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: []string{brokers}}, topics.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	orig := time.Now().Add(-5 * time.Hour).Truncate(time.Millisecond)
	sent := time.Now()
	rejects := []ingest.Reject{
		{Message: ingest.Message{Topic: topics.Wages, Partition: 0, Offset: 3, Key: []byte("old"), Value: []byte(`{"n":"old"}`), Time: orig},
			Code: transform.CodeOutOfRange, Reason: "r"},
		{Message: ingest.Message{Topic: topics.Wages, Partition: 0, Offset: 4, Key: []byte("new"), Value: []byte(`{"n":"new"}`), Time: sent.Truncate(time.Millisecond)},
			Code: transform.CodeOutOfRange, Reason: "r"},
	}
	if err := w.SendDeadLetters(ctx, rejects); err != nil {
		t.Fatalf("send dead letters to a topic that refuses old timestamps: %v", err)
	}
	got := map[string]kafka.DeadLetter{}
	stats, err := kafka.Replay(ctx, kafka.ReplayOptions{Brokers: []string{brokers}, DeadLetterTopic: topics.DeadLetter,
		Filter: kafka.AllDeadLetters(), DryRun: true, OnMatch: func(d *kafka.DeadLetter, _ error) { got[string(d.Key)] = *d }})
	if err != nil || stats.Matched != 2 {
		t.Fatalf("read back: %+v, %v", stats, err)
	}
	if d := got["old"]; !d.SourceTime.Equal(orig) || d.Time.Before(sent.Truncate(time.Millisecond)) {
		t.Errorf("refused timestamp: dead letter time %v, header %v; want the time of sending (after %v) and the original %v", d.Time, d.SourceTime, sent, orig)
	}
	if d := got["new"]; !d.Time.Equal(rejects[1].Message.Time) || !d.SourceTime.Equal(rejects[1].Message.Time) {
		t.Errorf("accepted timestamp: dead letter time %v, header %v; want the original %v in both", d.Time, d.SourceTime, rejects[1].Message.Time)
	}

	// The replay puts the original timestamp back on a source topic that takes it...
	stats, err = kafka.Replay(ctx, kafka.ReplayOptions{Brokers: []string{brokers}, DeadLetterTopic: topics.DeadLetter,
		Filter: kafka.AllDeadLetters()})
	if err != nil || stats.Replayed != 2 {
		t.Fatalf("replay: %+v, %v", stats, err)
	}
	for i, m := range readPartition(t, ctx, brokers, topics.Wages, 0, 2) {
		if !m.Time.Equal(rejects[i].Message.Time) {
			t.Errorf("replayed %s: timestamp %v, want the original %v", m.Key, m.Time, rejects[i].Message.Time)
		}
	}
	// ...and fails, saying why, on one that refuses it.
	testenv.SetTopicConfig(t, brokers, topics.Wages, "message.timestamp.before.max.ms", "3600000")
	_, err = kafka.Replay(ctx, kafka.ReplayOptions{Brokers: []string{brokers}, DeadLetterTopic: topics.DeadLetter,
		Filter: kafka.AllDeadLetters()})
	if err == nil || !strings.Contains(err.Error(), "refuses their original timestamps") {
		t.Fatalf("replay to a topic refusing the original timestamp: %v", err)
	}
}
