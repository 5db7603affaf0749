// Package pipeline wires one econflow consumer from its parts: the ClickHouse store, the Kafka
// consumer-group source, the dead-letter writer, the processor with its rate book, the
// reconciler and the consume loop. `econflow consume`, `econflow bench` and the integration
// tests all run consumers through it.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/transform"
)

// Options configure Open. The zero value of a field means its default.
type Options struct {
	Brokers  []string
	Security kafka.Security
	Group    string
	Topics   kafka.Topics
	// SessionTimeout of the group membership; default 10s.
	SessionTimeout time.Duration
	// ClickHouse DSN; default clickhouse.DefaultDSN. The schema must exist (Store.Migrate).
	ClickHouse string
	FX         transform.FXConfig
	Consumer   ingest.ConsumerConfig
	// ReconcileInterval is the reconciler's timer; default 5s.
	ReconcileInterval time.Duration
	Logger            *slog.Logger    // default slog.Default()
	Metrics           *ingest.Metrics // default unregistered metrics
	// WrapStore, if set, wraps the store the consume loop writes through (tests use it to hold
	// writes at a chosen point).
	WrapStore func(ingest.Store) ingest.Store
}

// Pipeline is one wired consumer.
type Pipeline struct {
	Store      *clickhouse.Store
	Consumer   *ingest.Consumer
	Reconciler *ingest.Reconciler
	src        *kafka.Source
	dead       *kafka.Writer
}

// Open connects everything and loads every stored rate (the reconciler's first pass), so that
// no message is converted with an empty rate book.
func Open(ctx context.Context, o Options) (*Pipeline, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = ingest.NewMetrics(nil)
	}
	p := &Pipeline{}
	var err error
	if p.Store, err = clickhouse.Open(ctx, clickhouse.Options{DSN: o.ClickHouse, Logger: o.Logger}); err != nil {
		return nil, err
	}
	if p.src, err = kafka.NewSource(kafka.SourceOptions{Brokers: o.Brokers, Group: o.Group, Topics: o.Topics.Input(),
		Security: o.Security, SessionTimeout: o.SessionTimeout, Logger: o.Logger}); err != nil {
		p.Close()
		return nil, err
	}
	if p.dead, err = kafka.NewWriter(kafka.WriterOptions{Brokers: o.Brokers, Security: o.Security}, o.Topics.DeadLetter); err != nil {
		p.Close()
		return nil, err
	}
	proc := ingest.NewProcessor(o.FX)
	p.Reconciler = ingest.NewReconciler(p.Store, proc, o.ReconcileInterval, o.Logger, o.Metrics)
	if err := p.Reconciler.Pass(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("load stored rates: %w", err)
	}
	var store ingest.Store = p.Store
	if o.WrapStore != nil {
		store = o.WrapStore(store)
	}
	p.Consumer = ingest.NewConsumer(o.Consumer, p.src, store, p.dead, proc, p.Reconciler, o.Logger, o.Metrics)
	return p, nil
}

// Run consumes until stop is done and the batch in hand is stored and committed (see
// ingest.Consumer.Run for abort), with the reconciler running beside it. A reconciler pass under
// way when the consumer returns is finished before Run returns.
func (p *Pipeline) Run(stop, abort context.Context) error {
	bg, bgCancel := context.WithCancel(context.Background())
	reconciled := make(chan struct{})
	go func() {
		defer close(reconciled)
		p.Reconciler.Run(bg)
	}()
	err := p.Consumer.Run(stop, abort)
	bgCancel()
	<-reconciled
	return err
}

// Close leaves the group and closes the connections, in that order.
func (p *Pipeline) Close() error {
	var errs []error
	if p.src != nil {
		errs = append(errs, p.src.Close())
	}
	if p.dead != nil {
		errs = append(errs, p.dead.Close())
	}
	if p.Store != nil {
		errs = append(errs, p.Store.Close())
	}
	return errors.Join(errs...)
}
