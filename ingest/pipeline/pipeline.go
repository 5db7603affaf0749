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
	"slices"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/schemas"
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
	// ClickHouse DSN; default clickhouse.DefaultDSN. The schema must exist (Store.Migrate):
	// Open fails, saying to run `econflow migrate`, when fewer migrations are recorded than
	// this econflow has.
	ClickHouse string
	// ClickHouseCluster is clickhouse.Options.Cluster: the cluster the tables are spread over,
	// written through Distributed tables synchronously; default "" (one server).
	ClickHouseCluster string
	FX                transform.FXConfig
	// Consumer configures the consume loop; ClickHouse's and Kafka's error classifiers
	// (clickhouse.Classify, kafka.Classify) are added to its Classifiers.
	Consumer ingest.ConsumerConfig
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
	if p.Store, err = clickhouse.Open(ctx, clickhouse.Options{DSN: o.ClickHouse, Cluster: o.ClickHouseCluster, Logger: o.Logger}); err != nil {
		return nil, err
	}
	if err := checkMigrated(ctx, p.Store); err != nil {
		p.Close()
		return nil, err
	}
	// Which dates the database stores (Date or Date32): a row dated outside is a reject.
	if err := p.Store.LearnDates(ctx); err != nil {
		p.Close()
		return nil, withAction(err)
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
		return nil, withAction(fmt.Errorf("load stored rates: %w", err))
	}
	var store ingest.Store = p.Store
	if o.WrapStore != nil {
		store = o.WrapStore(store)
	}
	cc := o.Consumer
	cc.Classifiers = append(slices.Clone(cc.Classifiers), clickhouse.Classify, kafka.Classify)
	p.Consumer = ingest.NewConsumer(cc, p.src, store, p.dead, proc, p.Reconciler, o.Logger, o.Metrics)
	return p, nil
}

// checkMigrated returns an error saying to run `econflow migrate` unless the store's database
// has every migration of this econflow recorded.
func checkMigrated(ctx context.Context, store *clickhouse.Store) error {
	migs, err := schemas.Migrations(store.Database())
	if err != nil {
		return err
	}
	n, err := store.AppliedMigrations(ctx)
	if clickhouse.NotMigrated(err) {
		return fmt.Errorf("no migrations are recorded in ClickHouse database %s (%w): run `econflow migrate`", store.Database(), err)
	}
	if err != nil {
		return withAction(fmt.Errorf("read the migrations applied to ClickHouse database %s: %w", store.Database(), err))
	}
	if n < len(migs) {
		return fmt.Errorf("ClickHouse database %s has %d of the %d migrations of this econflow applied: run `econflow migrate`",
			store.Database(), n, len(migs))
	}
	return nil
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

// withAction adds to a ClickHouse error that needs someone to act what to do about it.
func withAction(err error) error {
	if c, ok := clickhouse.Classify(err); ok && c.Class != ingest.Retryable {
		return fmt.Errorf("%w: %s", err, c.Action)
	}
	return err
}
