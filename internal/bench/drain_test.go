package bench

import (
	"testing"
	"time"
)

// The drain is polled fast at its start and near its expected end, slowly in between.
func TestNextDrainPoll(t *testing.T) {
	const n = 1_000_000
	for _, c := range []struct {
		rows    uint64
		elapsed time.Duration
		want    time.Duration
	}{
		{0, 100 * time.Millisecond, drainPollNear}, // the first rows may come any moment
		{0, 3 * time.Second, drainPoll},            // a slow start: no fast polls for it
		{100_000, 300 * time.Millisecond, drainPoll},
		{500_000, time.Second, drainPoll},                 // 1 s left at this rate
		{900_000, 2700 * time.Millisecond, drainPollNear}, // 0.3 s left
		{999_999, 3 * time.Second, drainPollNear},         // one row left
		{n, 3 * time.Second, drainPoll},                   // done: only distinct records wait
		{800_000, 2 * time.Second, drainPoll},             // 0.5 s left
		{850_000, 2 * time.Second, drainPollNear},         // 0.35 s left
	} {
		if got := nextDrainPoll(c.rows, n, c.elapsed); got != c.want {
			t.Errorf("nextDrainPoll(%d of %d after %v) = %v, want %v", c.rows, n, c.elapsed, got, c.want)
		}
	}
}
