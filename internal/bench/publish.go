package bench

import (
	"context"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest/kafka"
)

func (r *run) publish(ctx context.Context) error {
	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: r.brokers, Security: r.o.Security}, r.topics.DeadLetter)
	if err != nil {
		return err
	}
	defer w.Close()
	const chunk = 20000
	r.progress("publishing the rate and %d prices to %s", len(r.data.Prices), r.topics.FuelPrices)
	if err := w.Write(ctx, kafkago.Message{Topic: r.topics.FXRates, Key: []byte(r.data.Rate.Key), Value: r.data.Rate.Value}); err != nil {
		return err
	}
	msgs := make([]kafkago.Message, 0, chunk)
	t0, last := time.Now(), time.Now()
	for i := 0; i < len(r.data.Prices); i += chunk {
		msgs = msgs[:0]
		for _, p := range r.data.Prices[i:min(i+chunk, len(r.data.Prices))] {
			msgs = append(msgs, kafkago.Message{Topic: r.topics.FuelPrices, Key: []byte(p.Key), Value: p.Value})
		}
		if err := w.Write(ctx, msgs...); err != nil {
			return err
		}
		if time.Since(last) > 2*time.Second {
			r.progress("published %d", i+len(msgs))
			last = time.Now()
		}
	}
	d := time.Since(t0)
	r.res.ProduceSeconds = d.Seconds()
	r.res.ProduceRate = float64(len(r.data.Prices)) / d.Seconds()
	r.progress("published %d in %.2fs = %.0f msgs/s", len(r.data.Prices), d.Seconds(), r.res.ProduceRate)
	return nil
}
