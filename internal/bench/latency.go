package bench

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest/kafka"
)

// latency publishes LatencyRecords EUR prices dated from 2030 (a partition of their own, so the
// poll reads little) in batches every 20ms at the target rate. Batch k's records have source
// lat.<k>; a poller reads the per-source counts every LatencyPoll and times each batch from just
// before its write to the first poll that returned all of its rows.
func (r *run) latency(ctx context.Context, p *consumerRun) error {
	const interval = 20 * time.Millisecond
	const poll = 25 * time.Millisecond
	total := r.o.LatencyRecords
	per := max(1, int(math.Round(r.o.Rate*interval.Seconds())))
	every := time.Duration(float64(per) / r.o.Rate * float64(time.Second))
	batches := (total + per - 1) / per
	res := r.res
	res.LatencyRecords, res.LatencyTargetRate, res.LatencyBatchRecords, res.LatencyBatches = total, r.o.Rate, per, batches
	res.LatencyPollMs = float64(poll) / float64(time.Millisecond)
	r.progress("latency: %d records at %.0f msgs/s: %d batches of %d every %v", total, r.o.Rate, batches, per, every)

	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: r.brokers, Security: r.o.Security}, r.topics.DeadLetter)
	if err != nil {
		return err
	}
	defer w.Close()

	var mu sync.Mutex
	sent := make([]time.Time, batches) // zero until the batch's write starts
	size := make([]int, batches)
	lat := make([]time.Duration, 0, batches)
	done := make([]bool, batches)

	pollErr := make(chan error, 1)
	allDone := make(chan struct{})
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	go func() {
		q := "SELECT source, count() FROM " + r.db + ".fuel_prices_data WHERE date >= toDate('" +
			latBase.Format(time.DateOnly) + "') GROUP BY source"
		t := time.NewTicker(poll)
		defer t.Stop()
		complete := 0
		for {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
			}
			rows, err := r.store.Conn().Query(pctx, q)
			if err != nil {
				if pctx.Err() == nil {
					pollErr <- err
				}
				return
			}
			counts := map[int]uint64{}
			for rows.Next() {
				var src string
				var c uint64
				if err := rows.Scan(&src, &c); err != nil {
					rows.Close()
					pollErr <- err
					return
				}
				if k, err := strconv.Atoi(strings.TrimPrefix(src, "lat.")); err == nil {
					counts[k] = c
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				pollErr <- err
				return
			}
			now := time.Now()
			mu.Lock()
			for k, c := range counts {
				if k < 0 || k >= batches || done[k] || sent[k].IsZero() || c < uint64(size[k]) {
					continue
				}
				done[k] = true
				lat = append(lat, now.Sub(sent[k]))
				complete++
			}
			mu.Unlock()
			if complete == batches {
				close(allDone)
				return
			}
		}
	}()

	var buf []byte
	msgs := make([]kafkago.Message, 0, per)
	t0 := time.Now()
	for k := 0; k < batches; k++ {
		if d := time.Until(t0.Add(time.Duration(k) * every)); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		msgs = msgs[:0]
		m := min(per, total-k*per)
		src := "lat." + strconv.Itoa(k)
		for j := 0; j < m; j++ {
			_, region := series("", j)
			buf = appendPrice(buf[:0], src, region, "1.000000", "EUR", latBase.Format(time.DateOnly))
			msgs = append(msgs, kafkago.Message{Topic: r.topics.FuelPrices, Key: []byte(src + "/" + region), Value: append([]byte(nil), buf...)})
		}
		mu.Lock()
		sent[k], size[k] = time.Now(), m
		mu.Unlock()
		if err := w.Write(ctx, msgs...); err != nil {
			return err
		}
	}
	sendTime := time.Since(t0)
	res.LatencyAchievedRate = float64(total) / sendTime.Seconds()
	r.progress("latency: published %d in %.2fs (%.0f msgs/s); waiting for the last rows", total, sendTime.Seconds(), res.LatencyAchievedRate)
	select {
	case <-allDone:
	case err := <-pollErr:
		return err
	case <-p.done:
		return fmt.Errorf("the consumer stopped: %v", p.err)
	case <-time.After(StallTimeout):
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("only %d of %d batches queryable %v after the last write", len(lat), batches, StallTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	res.LatencyP50Ms = ms(percentile(lat, 50))
	res.LatencyP99Ms = ms(percentile(lat, 99))
	res.LatencyMaxMs = ms(lat[len(lat)-1])
	r.progress("latency: p50 %.0fms, p99 %.0fms, max %.0fms over %d batches", res.LatencyP50Ms, res.LatencyP99Ms, res.LatencyMaxMs, batches)
	return nil
}

// percentile returns the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
