package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/pipeline"
)

// consumerRun is a pipeline running in a goroutine, wired as `econflow consume` wires it.
type consumerRun struct {
	done        chan struct{}
	err         error
	stopCancel  context.CancelFunc
	abortCancel context.CancelFunc
	closers     []func() error
}

func (r *run) startPipeline(ctx context.Context) (*consumerRun, error) {
	o := r.o
	p, err := pipeline.Open(ctx, pipeline.Options{Brokers: r.brokers, Security: o.Security, Group: r.group,
		Topics: r.topics, ClickHouse: r.dsn, FX: *o.FX,
		Consumer:          ingest.ConsumerConfig{BatchSize: o.BatchSize, BatchLinger: o.Linger},
		ReconcileInterval: o.Reconcile, Logger: r.log})
	if err != nil {
		return nil, err
	}
	c := &consumerRun{done: make(chan struct{}), closers: []func() error{p.Close}}
	stop, stopCancel := context.WithCancel(context.Background())
	abort, abortCancel := context.WithCancel(context.Background())
	c.stopCancel, c.abortCancel = stopCancel, abortCancel
	go func() {
		defer close(c.done)
		c.err = p.Run(stop, abort)
	}()
	return c, nil
}

// stop ends the consumer gracefully (abort after 60s) and closes its connections.
func (p *consumerRun) stop() error {
	p.stopCancel()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.abortCancel()
		<-p.done
	}
	p.abortCancel()
	p.close()
	return p.err
}

func (p *consumerRun) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		_ = p.closers[i]()
	}
	p.closers = nil
}

// Polling of the drain: every drainPoll, and every drainPollNear in its first second and once
// the end is expected within drainNear.
const (
	drainPoll     = 200 * time.Millisecond
	drainPollNear = 20 * time.Millisecond
	drainNear     = 400 * time.Millisecond
)

// nextDrainPoll is the wait before the next poll of a drain that has c of n rows after elapsed:
// short while the first rows may come any moment (the first second), and once the
// rate so far puts the end within drainNear.
func nextDrainPoll(c, n uint64, elapsed time.Duration) time.Duration {
	if c == 0 {
		if elapsed < time.Second {
			return drainPollNear
		}
		return drainPoll
	}
	if c >= n {
		return drainPoll
	}
	left := time.Duration(float64(elapsed) * float64(n-c) / float64(c))
	if left < drainNear {
		return drainPollNear
	}
	return drainPoll
}

// StallTimeout is how long the drain or the latency phase may go without progress before Run
// gives up.
const StallTimeout = 2 * time.Minute

func (r *run) drainAndLatency(ctx context.Context) error {
	n := uint64(len(r.data.Prices))
	// The generated records are published and no longer needed: drop them, so that the drain's
	// garbage collector does not scan them and its peak RSS is the consumer's. Then reset the
	// high-water mark (Linux ≥ 4.0: clear_refs 5).
	r.data.Prices = nil
	runtime.GC()
	debug.FreeOSMemory()
	hwmReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	r.progress("drain: starting the consumer (group %s, batch size %d) on a backlog of %d", r.group, r.o.BatchSize, n)
	cpu0 := cpuTime()
	others := r.localServices()
	for i := range others {
		others[i].cpu0, _ = pidsCPU(others[i].pids)
	}
	if r.o.CPUProfile != "" {
		stopProfile, err := startCPUProfile(r.o.CPUProfile)
		if err != nil {
			return err
		}
		defer stopProfile() // also on errors; on success it is stopped as the drain ends
	}
	t0 := time.Now()
	p, err := r.startPipeline(ctx)
	if err != nil {
		return fmt.Errorf("start consumer: %w", err)
	}
	defer p.stop() //nolint:errcheck // the error is checked below on the normal path

	// The rows of the table's active parts: what count() would return, read from the parts'
	// metadata instead of a column of every part (which cost ClickHouse some 0.5 CPU-s per M
	// rows in polls during a drain).
	countQ := "SELECT sum(rows) FROM system.parts WHERE database = '" + r.db + "' AND table = 'fuel_prices_data' AND active"
	uniqQ := "SELECT uniqExact(record_id) FROM " + r.db + ".fuel_prices_data"
	// The drain ends when the rows are queryable: as the poll that first counts them all
	// returns, with the CPU counters read then, before the check that they are N distinct
	// records (a query over every record id, some 0.15 s for 1M rows). Only re-converted
	// pending rows could be counted twice, and the bench publishes the rate first. Polls come
	// every drainPoll, and every drainPollNear at the start and once the rate so far puts the
	// end less than drainNear away, so that the first and the last rows are seen within
	// drainPollNear of their arrival without polling fast all along.
	var firstAt, end time.Time
	var firstCount, lastCount uint64
	var cpu time.Duration
	lastChange, lastProgress := time.Now(), time.Now()
	wait := time.NewTimer(drainPoll)
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("drain: the consumer stopped: %v", p.err)
		case <-wait.C:
		}
		var c uint64
		if err := r.store.Conn().QueryRow(ctx, countQ).Scan(&c); err != nil {
			return fmt.Errorf("drain: %s: %w", countQ, err)
		}
		now := time.Now() // the rows counted were queryable by now
		if c > 0 && firstAt.IsZero() {
			firstAt, firstCount = now, c
		}
		if c != lastCount {
			lastCount, lastChange = c, now
		} else if now.Sub(lastChange) > StallTimeout {
			return fmt.Errorf("drain: stalled at %d of %d rows for %v", c, n, StallTimeout)
		}
		if c >= n {
			cpuNow := cpuTime()
			otherNow := make([]time.Duration, len(others))
			for i, o := range others {
				otherNow[i], _ = pidsCPU(o.pids)
			}
			// Re-converted pending rows are written twice until merged: count distinct records.
			var u uint64
			if err := r.store.Conn().QueryRow(ctx, uniqQ).Scan(&u); err != nil {
				return fmt.Errorf("drain: %s: %w", uniqQ, err)
			}
			if u >= n {
				end, cpu = now, cpuNow-cpu0
				for i, o := range others {
					*o.perM = (otherNow[i] - o.cpu0).Seconds() / float64(n) * 1e6
				}
				break
			}
		}
		if now.Sub(lastProgress) > 2*time.Second {
			r.progress("drain: %d of %d rows (%.0f rows/s so far)", c, n, float64(c)/now.Sub(t0).Seconds())
			lastProgress = now
		}
		wait.Reset(nextDrainPoll(c, n, now.Sub(t0)))
	}
	if r.o.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if r.o.HeapProfile != "" {
		if err := writeHeapProfile(r.o.HeapProfile); err != nil {
			return err
		}
	}
	d := end.Sub(t0)
	res := r.res
	res.DrainSeconds = d.Seconds()
	res.DrainRate = float64(n) / d.Seconds()
	res.DrainFirstRowSeconds = firstAt.Sub(t0).Seconds()
	// The steady rate needs the rows to appear over several polls: when the first poll already
	// saw nine tenths of them (a small run), it is the end-to-end rate.
	if s := end.Sub(firstAt).Seconds(); s > 0 && n > firstCount && n-firstCount >= n/10 {
		res.DrainSteadyRate = float64(n-firstCount) / s
	} else {
		res.DrainSteadyRate = res.DrainRate
	}
	res.DrainCPUSeconds = cpu.Seconds()
	res.CPUSecondsPerMillion = cpu.Seconds() / float64(n) * 1e6
	res.CPUNote = "CPU: user+system time of this whole process during the drain (getrusage): the consumer, its reconciler, the count() poller"
	if r.o.Embedded {
		res.CPUNote += " and the embedded broker"
	}
	res.CPUNote += "."
	if len(others) > 0 {
		res.CPUNote += " Also measured, from /proc, the local"
		for i, o := range others {
			if i > 0 {
				res.CPUNote += " and"
			}
			res.CPUNote += " " + o.name
		}
		res.CPUNote += " during the drain; they share the machine's cores with the consumer."
	} else {
		res.CPUNote += " The ClickHouse server's and the broker's CPU are not included (not local processes)."
	}
	res.PeakRSSMB = peakRSSMB()
	res.PeakRSSNote = "peak RSS: VmHWM of this whole process (the generated records are dropped before the drain)"
	if r.o.Embedded {
		res.PeakRSSNote += ", with the embedded broker's in-memory log"
	}
	if hwmReset {
		res.PeakRSSNote += "; high-water mark reset just before the drain."
	} else {
		res.PeakRSSNote += "; the high-water mark could not be reset, so it covers the whole run."
	}
	r.progress("drain: %d rows in %.2fs = %.0f rows/s (first rows after %.2fs; steady %.0f rows/s); %.2f CPU-s (%.2f per M rows; ClickHouse server %.2f, broker %.2f); peak RSS %.0f MB",
		n, d.Seconds(), res.DrainRate, res.DrainFirstRowSeconds, res.DrainSteadyRate, res.DrainCPUSeconds, res.CPUSecondsPerMillion,
		res.ServerCPUSecondsPerMillion, res.BrokerCPUSecondsPerMillion, res.PeakRSSMB)

	if err := r.checkExact(ctx); err != nil {
		return err
	}
	if r.o.LatencyRecords > 0 {
		if err := r.latency(ctx, p); err != nil {
			return fmt.Errorf("latency: %w", err)
		}
	}
	r.progress("stopping the consumer")
	if err := p.stop(); err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	return nil
}

// startCPUProfile starts a Go CPU profile into path; the returned func stops it and closes the
// file (stopping twice is harmless).
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

func (r *run) checkExact(ctx context.Context) error {
	res := r.res
	q := "SELECT toString(sum(price)), count() FROM " + r.db + ".fuel_prices"
	if err := r.store.Conn().QueryRow(ctx, q).Scan(&res.StoredSum, &res.StoredCount); err != nil {
		return fmt.Errorf("exactness: %s: %w", q, err)
	}
	res.Exact = res.StoredSum == res.ExpectedSum && res.StoredCount == uint64(r.o.Records)
	verdict := "PASS"
	if !res.Exact {
		verdict = "FAIL"
	}
	r.progress("exactness %s: sum(price) of %s.fuel_prices = %s over %d rows; generated %s (json_ceiling matches: %v, raw_ceiling: %v)",
		verdict, r.db, res.StoredSum, res.StoredCount, res.ExpectedSum, res.JSONExact, res.RawExact)
	return nil
}
