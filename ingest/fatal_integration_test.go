package ingest_test

// A consumer whose ClickHouse schema no longer matches what it writes stops: it does not retry
// for ever while looking alive. It stops after ConsumerConfig.FatalAttempts tries, reports
// itself not ready with the reason, returns one error saying what to do, and commits nothing of
// the batch it could not store — once the schema is repaired, the same group consumes every
// record.
//
// Run: go test ./ingest/ -run Fatal

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/pipeline"
	"github.com/econflow/econflow/internal/testenv"
	"github.com/econflow/econflow/transform"
)

// fatalRecords are the fuel prices each test publishes.
const fatalRecords = 5

func publishFuelPrices(e *env, n int) {
	msgs := make([]testenv.Msg, n)
	for i := range msgs {
		msgs[i] = testenv.Msg{Kind: "fuel_price", Key: fmt.Sprint(i), Value: fmt.Appendf(nil,
			`{"kind":"fuel_price","source":"fatal-test","country":"KZ","product":"lpg","price":"120.5","currency":"KZT","unit":"litre","date":"2022-01-%02d"}`, i+1)}
	}
	e.publish(msgs...)
}

func exec1(t testing.TB, e *env, sql string) {
	t.Helper()
	if err := e.store.Conn().Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func openPipeline(t testing.TB, e *env, metrics *ingest.Metrics) *pipeline.Pipeline {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := pipeline.Open(ctx, pipeline.Options{Brokers: []string{e.brokers}, Group: e.group, Topics: e.topics,
		SessionTimeout: 6 * time.Second, ClickHouse: e.dsn, FX: transform.DefaultFXConfig(),
		Consumer: ingest.ConsumerConfig{BatchSize: 100, BatchLinger: 50 * time.Millisecond,
			RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond},
		ReconcileInterval: time.Hour, Logger: testenv.Logger(t), Metrics: metrics})
	if err != nil {
		t.Fatalf("open pipeline: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestIntegrationFatalSchemaStopsConsumerUncommitted(t *testing.T) {
	for _, tc := range []struct {
		name string
		// breakSQL and repairSQL take the database name.
		breakSQL, repairSQL string
		// wantInError are in the error, besides "econflow migrate".
		wantInError []string
	}{
		{
			name:        "stored column dropped (server code 16)",
			breakSQL:    "ALTER TABLE %s.fuel_prices_data DROP COLUMN price_per_kg_eur",
			repairSQL:   "ALTER TABLE %s.fuel_prices_data ADD COLUMN price_per_kg_eur Nullable(Decimal(38, 18)) AFTER price_per_litre_eur",
			wantInError: []string{"code: 16", "price_per_kg_eur", "fuel_prices_data"},
		},
		{
			name:     "table dropped (server code 60)",
			breakSQL: "DROP TABLE %s.fuel_prices_data",
			// The table as migration 0001 creates it.
			repairSQL:   "",
			wantInError: []string{"code: 60", "fuel_prices_data"},
		},
		{
			name:        "column type changed (econflow's own check)",
			breakSQL:    "ALTER TABLE %s.fuel_prices_data MODIFY COLUMN attributes Nullable(String)",
			repairSQL:   "ALTER TABLE %s.fuel_prices_data MODIFY COLUMN attributes String",
			wantInError: []string{"attributes", "Nullable(String)", "fuel_prices_data"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, testenv.EmbeddedBroker(t), false)
			metrics := ingest.NewMetrics(nil)
			p := openPipeline(t, e, metrics)
			done := make(chan error, 1)
			abort, abortCancel := context.WithCancel(context.Background())
			defer abortCancel()
			go func() { done <- p.Run(context.Background(), abort) }()
			// The schema changes under the running consumer, then records arrive.
			exec1(t, e, fmt.Sprintf(tc.breakSQL, e.db()))
			publishFuelPrices(e, fatalRecords)
			var err error
			select {
			case err = <-done:
			case <-time.After(waitTimeout):
				abortCancel()
				<-done
				t.Fatalf("the consumer did not stop by itself within %v on a broken schema", waitTimeout)
			}

			var fatal *ingest.FatalError
			if !errors.As(err, &fatal) {
				t.Fatalf("Run returned %v (%T), want a *ingest.FatalError", err, err)
			}
			if fatal.Class != ingest.Fatal || fatal.Attempts != 3 || fatal.Op != "write to ClickHouse" {
				t.Errorf("stopped after %d attempts to %s, class %v; want 3 attempts to write to ClickHouse, class fatal",
					fatal.Attempts, fatal.Op, fatal.Class)
			}
			msg := err.Error()
			for _, want := range append(tc.wantInError, "run `econflow migrate`") {
				if !strings.Contains(msg, want) {
					t.Errorf("the error does not say %q:\n%s", want, msg)
				}
			}
			t.Logf("error: %s", msg)
			if why := p.Consumer.NotReady(); !strings.HasPrefix(why, "stopped: ") || !strings.Contains(why, "econflow migrate") {
				t.Errorf("NotReady() = %q, want the reason it stopped", why)
			}
			var m dto.Metric
			if err := metrics.Errors.WithLabelValues("write batch", "fatal").Write(&m); err != nil {
				t.Fatal(err)
			}
			if got := m.GetCounter().GetValue(); got != 3 {
				t.Errorf("econflow_errors_total{operation=write batch,class=fatal} = %v, want 3", got)
			}
			if n := committedTotal(t, e); n != 0 {
				t.Fatalf("%d offsets committed for a batch that was not stored", n)
			}
			if err := p.Close(); err != nil {
				t.Logf("close: %v", err)
			}

			// Repaired, the same group consumes every record: none was committed unstored.
			if tc.repairSQL != "" {
				exec1(t, e, fmt.Sprintf(tc.repairSQL, e.db()))
			} else {
				// A table dropped by hand after its migration was recorded: the migration is
				// applied again, as the error says to restore it.
				exec1(t, e, "DROP TABLE "+e.db()+".schema_migrations")
				if err := e.store.Migrate(t.Context()); err != nil {
					t.Fatalf("migrate again: %v", err)
				}
			}
			c := e.startConsumer(t, nil)
			waitCount(t, e.store, fatalRecords, "fuel_prices_history", "source = 'fatal-test'")
			waitAllCommitted(t, e)
			c.Stop()
		})
	}
}

// A pipeline does not start on a database whose migrations are not all applied; the error says
// to run `econflow migrate`.
func TestIntegrationFatalPipelineRefusesUnmigratedDatabase(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t) // created, not migrated
	brokers := testenv.EmbeddedBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := pipeline.Open(ctx, pipeline.Options{Brokers: []string{brokers}, Group: testenv.NewGroup(t),
		Topics: testenv.NewTopics(t, brokers), ClickHouse: dsn, Logger: testenv.Logger(t)})
	if err == nil {
		p.Close()
		t.Fatal("pipeline.Open succeeded on a database without migrations")
	}
	if !strings.Contains(err.Error(), "run `econflow migrate`") {
		t.Fatalf("the error does not say to run econflow migrate: %v", err)
	}
	t.Logf("error: %v", err)
}

// runConsumeUntilExit starts `econflow consume` on e, calls whileRunning once it consumes (if
// not nil), and returns its exit error and output once it exits by itself.
func runConsumeUntilExit(t *testing.T, bin string, e *env, whileRunning func()) (error, string) {
	t.Helper()
	cmd, _ := consumeCommand(bin, e)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if whileRunning != nil {
		testenv.WaitFor(t, waitTimeout, func() (bool, string) {
			select {
			case err := <-done:
				t.Fatalf("econflow consume exited (%v) before consuming:\n%s", err, out.tail(1<<20))
			default:
			}
			return strings.Contains(out.tail(1<<20), "msg=consuming"), "econflow consume logs that it is consuming"
		})
		whileRunning()
	}
	select {
	case err := <-done:
		return err, out.tail(1 << 20)
	case <-time.After(waitTimeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("econflow consume did not exit by itself within %v on a broken schema\n%s", waitTimeout, out.tail(1<<20))
		return nil, ""
	}
}

// `econflow consume` on a broken schema exits by itself, non-zero, with one message on stderr
// that says what to do; nothing is committed. The schema is broken before it starts (it then
// fails while loading the stored rates) or while it runs (a write fails).
func TestIntegrationFatalConsumeExitsWithOneMessage(t *testing.T) {
	e := newEnv(t, testenv.EmbeddedBroker(t), false)
	bin := buildEconflow(t)
	dropColumn := func() { exec1(t, e, "ALTER TABLE "+e.db()+".fuel_prices_data DROP COLUMN fx_rate") }
	for _, tc := range []struct {
		name          string
		before        func()
		whileRuns     func()
		want          []string
		wantCommitted int64
	}{
		{"broken before the start", func() { dropColumn(); publishFuelPrices(e, fatalRecords) }, nil,
			[]string{"load stored rates", "fx_rate", "run `econflow migrate`"}, 0},
		// Repaired, it stores and commits the first records; broken again, it stops before
		// committing the next ones.
		{"broken while it runs", func() {
			exec1(t, e, "ALTER TABLE "+e.db()+".fuel_prices_data ADD COLUMN fx_rate Nullable(Decimal(38, 18)) AFTER price_per_kg_eur")
		}, func() {
			waitAllCommitted(t, e)
			dropColumn()
			publishFuelPrices(e, fatalRecords)
		}, []string{"write to ClickHouse failed 3 times", "fx_rate", "run `econflow migrate`"}, fatalRecords},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.before()
			err, out := runConsumeUntilExit(t, bin, e, tc.whileRuns)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("econflow consume exited with %v, want exit status 1\n%s", err, out)
			}
			var final []string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.HasPrefix(line, "econflow consume: ") {
					final = append(final, line)
				}
			}
			if len(final) != 1 {
				t.Fatalf("%d lines of error, want 1:\n%s", len(final), out)
			}
			for _, want := range tc.want {
				if !strings.Contains(final[0], want) {
					t.Errorf("the message does not say %q:\n%s", want, final[0])
				}
			}
			t.Logf("%s", final[0])
			if n := committedTotal(t, e); n != tc.wantCommitted {
				t.Fatalf("%d offsets committed, want %d: those of the records stored before the schema broke", n, tc.wantCommitted)
			}
		})
	}
}
