package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/econflow/econflow/ingest/kafka"
)

const replaySynopsis = "replay --code CODE[,CODE…] | --topic TOPIC [--partition N [--from-offset N] [--to-offset N]] [--dry-run] [flags]"

const replayHelp = `Re-publishes dead letters once their cause is fixed (a corrected rate, a consumer that now
accepts them), each to the topic and partition it came from, with its original key, value, headers
and Kafka timestamp — so a record without published_at gets the same vintage as the first time —
and a header econflow.replayed.from = <dead-letter topic>/<partition>/<offset>.

It reads every partition of the dead-letter topic from its start to the end it has when replay
starts, joins no consumer group and leaves nothing committed. It selects the dead letters that
match every criterion given: --code, --topic, --partition, --from-offset/--to-offset (the original
offsets, inclusive). Try --dry-run first: it lists source topic/partition/offset, code and reason.

The running consumers (econflow consume) store what is replayed. A record that still fails goes to
the dead letters and econ.rejects again, like any message. Replaying twice stores nothing twice
(one row per identity and published_at), but a replayed record replaces a record of the same
identity and published_at delivered since. Not replayed, and reported (exit status 1): dead
letters whose value was cut (econflow.value.truncated; the whole value is in econ.rejects), and
dead letters without econflow.source.timestamp (written by an older econflow) unless
--use-dead-letter-time.
`

func cmdReplay(stop, _ context.Context, args []string, stdout, stderr io.Writer) error {
	filter := kafka.AllDeadLetters()
	var dryRun, useDeadLetterTime bool
	offsetFlag := func(p *int64) func(string) error {
		return func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not an offset (a whole number ≥ 0)", v)
			}
			*p = n
			return nil
		}
	}
	cfg, fs, err := parseFlags("replay", replaySynopsis, args, settings{kafka: true}, stderr, func(fs *flag.FlagSet) {
		fs.Usage = func() {
			fmt.Fprintf(stderr, "Usage: econflow %s\n\n%s\nFlags:\n", replaySynopsis, replayHelp)
			fs.PrintDefaults()
		}
		fs.Var(listFlag{&filter.Codes}, "code", "replay dead letters with one of these error `codes`, comma-separated (e.g. out_of_range,unknown_field; docs/contract.md §3.1)")
		fs.StringVar(&filter.Topic, "topic", "", "replay dead letters of this original `topic`")
		fs.Func("partition", "replay dead letters of this original `partition` of --topic", func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a partition (a whole number ≥ 0)", v)
			}
			filter.Partition = n
			return nil
		})
		fs.Func("from-offset", "replay dead letters from this original `offset` of --partition on (inclusive)", offsetFlag(&filter.FromOffset))
		fs.Func("to-offset", "replay dead letters up to this original `offset` of --partition (inclusive)", offsetFlag(&filter.ToOffset))
		fs.Var(fs.Lookup("topic-dead-letter").Value, "dead-letter-topic", "the dead-letter `topic` to read (the same as --topic-dead-letter; env ECONFLOW_TOPIC_DEAD_LETTER)")
		fs.BoolVar(&dryRun, "dry-run", false, "list the dead letters that would be replayed, and publish nothing")
		fs.BoolVar(&useDeadLetterTime, "use-dead-letter-time", false, "replay dead letters that lack econflow.source.timestamp with the time they were dead-lettered (a record without published_at then gets that time as its vintage)")
	})
	if err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "econflow replay: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	case len(filter.Codes) == 0 && filter.Topic == "":
		fmt.Fprintln(stderr, "econflow replay: say which dead letters to replay: --code, --topic or both (see --help)")
		return errUsage
	}
	if err := filter.Validate(); err != nil {
		fmt.Fprintf(stderr, "econflow replay: %v (--partition needs --topic; --from-offset and --to-offset need --partition)\n", err)
		return errUsage
	}
	log := newLogger(cfg.LogLevel)
	stats, err := kafka.Replay(stop, kafka.ReplayOptions{
		Brokers: cfg.Brokers, Security: cfg.Security, DeadLetterTopic: cfg.Topics.DeadLetter,
		Filter: filter, DryRun: dryRun, UseDeadLetterTime: useDeadLetterTime,
		OnMatch: func(d *kafka.DeadLetter, notReplayed error) {
			if notReplayed != nil {
				fmt.Fprintf(stderr, "econflow replay: not replayed: %s (%s; dead letter %s): %v\n", d.Source(), d.Code, d.Place(), notReplayed)
				return
			}
			if dryRun {
				fmt.Fprintf(stdout, "%s\t%s\t%s\n", d.Source(), d.Code, d.Reason)
			}
		},
		OnProgress: func(s kafka.ReplayStats) {
			log.Info("replaying", "read", s.Read, "of", s.Total, "matched", s.Matched, "replayed", s.Replayed)
		},
	})
	if err == nil || stats.Read > 0 {
		fmt.Fprintln(stdout, replaySummary(stats, filter, dryRun, err != nil))
	}
	if err != nil {
		if stop.Err() != nil {
			return errors.New("stopped by a signal before the end; what was replayed is counted above")
		}
		return err
	}
	if n := stats.NotReplayed(); n > 0 && !dryRun {
		return fmt.Errorf("%d selected dead letter(s) not replayed (listed above)", n)
	}
	return nil
}

// replaySummary is the last line of a replay (stopped: by an error or a signal), e.g. "replayed 12 of 40 dead letters (codes:
// bad_decimal); 28 did not match (unknown_field: 20, out_of_range: 8)".
func replaySummary(s kafka.ReplayStats, f kafka.ReplayFilter, dryRun, stopped bool) string {
	var b strings.Builder
	verb := "replayed"
	if dryRun {
		verb = "would replay"
	}
	fmt.Fprintf(&b, "%s %d of %d dead letters (%s)", verb, s.Replayed, s.DeadLetters(), f)
	if n := s.NotReplayed(); n > 0 {
		var why []string
		if s.ValueTruncated > 0 {
			why = append(why, fmt.Sprintf("value cut: %d", s.ValueTruncated))
		}
		if s.NoSourceTime > 0 {
			why = append(why, fmt.Sprintf("no original timestamp: %d", s.NoSourceTime))
		}
		fmt.Fprintf(&b, "; %d selected but not replayable (%s)", n, strings.Join(why, ", "))
	}
	notMatched := 0
	codes := make([]string, 0, len(s.NotMatched))
	for code, n := range s.NotMatched {
		notMatched += n
		codes = append(codes, code)
	}
	fmt.Fprintf(&b, "; %d did not match", notMatched)
	if notMatched > 0 {
		sort.Slice(codes, func(i, j int) bool {
			if s.NotMatched[codes[i]] != s.NotMatched[codes[j]] {
				return s.NotMatched[codes[i]] > s.NotMatched[codes[j]]
			}
			return codes[i] < codes[j]
		})
		parts := make([]string, len(codes))
		for i, c := range codes {
			if c == "" {
				c = "no code"
			}
			parts[i] = fmt.Sprintf("%s: %d", c, s.NotMatched[codes[i]])
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	if s.NotDeadLetters > 0 {
		fmt.Fprintf(&b, "; %d other message(s) in the topic are not econflow dead letters", s.NotDeadLetters)
	}
	if stopped {
		fmt.Fprintf(&b, "; stopped after reading %d of %d messages", s.Read, s.Total)
	}
	return b.String()
}
