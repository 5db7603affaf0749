package main

// Secrets are never printed: not by --help (whose defaults come from the environment), not in
// "invalid setting" errors, and not in the errors and logs of a consumer whose ClickHouse or
// Kafka credentials are refused. The service tests use the local ClickHouse (the default user
// has no password, so any password is refused) and the embedded broker with SASL/SCRAM.
//
// Run: ECONFLOW_REQUIRE_SERVICES=1 go test ./cmd/econflow/ -run Secret

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/ingest/pipeline"
	"github.com/econflow/econflow/internal/testenv"
)

// noSecrets fails the test if text holds any of the secrets.
func noSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Fatalf("%s holds the secret %q:\n%s", what, s, text)
		}
	}
}

func TestSecretRedactDSN(t *testing.T) {
	cases := []struct{ in, want, secret string }{
		{"clickhouse://127.0.0.1:9000/econ", "clickhouse://127.0.0.1:9000/econ", ""},
		{"clickhouse://econflow@ch1:9000/econ", "clickhouse://econflow@ch1:9000/econ", ""},
		{"clickhouse://econflow:pa55word@ch1:9000/econ?secure=true", "clickhouse://econflow:xxxxx@ch1:9000/econ?secure=true", "pa55word"},
		{"clickhouse://econflow:p%40ss@ch1:9000/econ", "clickhouse://econflow:xxxxx@ch1:9000/econ", "p%40ss"},
		// Not a URL (bad escape): everything up to the last @ is hidden.
		{"clickhouse://econflow:p%zz@ss@ch1:9000/econ", "clickhouse://xxxxx@ch1:9000/econ", "p%zz@ss"},
		{"tcp://econflow:pa55word@ch1:9000/econ", "tcp://econflow:xxxxx@ch1:9000/econ", "pa55word"},
		{"clickhouse://ch1:9440/econ?secure=true&username=econflow&password=pa55word", "clickhouse://ch1:9440/econ?password=xxxxx&secure=true&username=econflow", "pa55word"},
		{"clickhouse://ch1:9000/econ?password=pa55%zzword", "clickhouse://ch1:9000/econ?xxxxx", "pa55"},
	}
	for _, c := range cases {
		got := redactDSN(c.in)
		if got != c.want {
			t.Errorf("redactDSN(%q) = %q, want %q", c.in, got, c.want)
		}
		if c.secret != "" && strings.Contains(got, c.secret) {
			t.Errorf("redactDSN(%q) = %q holds the password", c.in, got)
		}
	}
}

// secretEnv sets a ClickHouse DSN with a password and the Kafka and broker SASL passwords in the
// environment and returns the three secrets.
func secretEnv(t *testing.T) (chPassword, kafkaPassword, brokerPassword string) {
	t.Helper()
	chPassword, kafkaPassword, brokerPassword = "s3cret-ch-"+testenv.RandomSuffix(t), "s3cret-kafka-"+testenv.RandomSuffix(t), "s3cret-broker-"+testenv.RandomSuffix(t)
	t.Setenv("ECONFLOW_CLICKHOUSE", "clickhouse://econflow:"+chPassword+"@127.0.0.1:1/econ")
	t.Setenv("ECONFLOW_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
	t.Setenv("ECONFLOW_KAFKA_USERNAME", "econflow")
	t.Setenv("ECONFLOW_KAFKA_PASSWORD", kafkaPassword)
	t.Setenv(envBrokerSASLPassword, brokerPassword)
	return
}

func TestSecretNotInHelp(t *testing.T) {
	ch, kp, bp := secretEnv(t)
	for _, cmd := range []string{"migrate", "consume", "produce", "broker", "demo", "bench"} {
		var out, errb bytes.Buffer
		if code := run([]string{cmd, "--help"}, &out, &errb); code != 0 {
			t.Fatalf("%s --help exited %d: %s", cmd, code, errb.String())
		}
		text := out.String() + errb.String()
		noSecrets(t, cmd+" --help", text, ch, kp, bp)
		if cmd != "produce" && cmd != "broker" && !strings.Contains(text, "clickhouse://econflow:xxxxx@127.0.0.1:1/econ") {
			t.Errorf("%s --help does not show the environment's DSN redacted:\n%s", cmd, text)
		}
	}
	// A bad flag prints the usage too.
	var out, errb bytes.Buffer
	if code := run([]string{"consume", "--batch-size", "many"}, &out, &errb); code != 2 {
		t.Fatalf("consume --batch-size many exited %d, want 2", code)
	}
	noSecrets(t, "usage after a bad flag", out.String()+errb.String(), ch, kp, bp)
	if !strings.Contains(errb.String(), "Usage: econflow consume") {
		t.Fatalf("no usage after a bad flag: %s", errb.String())
	}
}

func TestSecretNotInInvalidSettingErrors(t *testing.T) {
	ch, kp, bp := secretEnv(t)
	cases := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"dsn scheme", map[string]string{"ECONFLOW_CLICKHOUSE": "tcp://econflow:" + ch + "@127.0.0.1:9000/econ"}, []string{"consume"}},
		{"dsn not a URL", map[string]string{"ECONFLOW_CLICKHOUSE": "clickhouse://econflow:" + ch + "%zz@127.0.0.1:9000/econ"}, []string{"migrate"}},
		{"dsn not a URL, @ in password", map[string]string{"ECONFLOW_CLICKHOUSE": "clickhouse://econflow:" + ch + "@%zz@127.0.0.1:9000/econ"}, []string{"consume"}},
		{"dsn flag", nil, []string{"consume", "--clickhouse", "http://econflow:" + ch + "@127.0.0.1:8123/econ"}},
		{"sasl mechanism", map[string]string{"ECONFLOW_KAFKA_SASL_MECHANISM": "GSSAPI"}, []string{"consume"}},
		{"sasl without user", map[string]string{"ECONFLOW_KAFKA_USERNAME": ""}, []string{"produce", "x.jsonl"}},
		{"tls ca without tls", map[string]string{"ECONFLOW_KAFKA_TLS_CA": "/nonexistent/ca.pem"}, []string{"consume"}},
		{"batch size", nil, []string{"consume", "--batch-size", "0"}},
		{"broker sasl mechanism", nil, []string{"broker", "--listen", "127.0.0.1:0", "--sasl-user", "GSSAPI:econflow"}},
		{"broker sasl user with password", nil, []string{"broker", "--listen", "127.0.0.1:0", "--sasl-user", "PLAIN:econflow:" + bp}},
		{"broker tls without key", nil, []string{"broker", "--listen", "127.0.0.1:0", "--tls-cert", "cert.pem"}},
		{"broker sasl without password", map[string]string{envBrokerSASLPassword: ""}, []string{"broker", "--listen", "127.0.0.1:0", "--sasl-user", "PLAIN:econflow"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var out, errb bytes.Buffer
			done := make(chan int, 1)
			go func() { done <- run(tc.args, &out, &errb) }()
			var code int
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("%v did not fail within 30s: the setting was not refused before connecting", tc.args)
			}
			if code == 0 {
				t.Fatalf("%v exited 0, want an invalid setting error", tc.args)
			}
			text := out.String() + errb.String()
			if !strings.Contains(text, "invalid setting") {
				t.Fatalf("%v: no 'invalid setting' error:\n%s", tc.args, text)
			}
			noSecrets(t, "the error", text, ch, kp, bp)
			t.Log(strings.TrimSpace(text))
		})
	}
}

// ---------------------------------------------------------------------------------------------
// With services.

// testClickHouse returns the base URL of the test ClickHouse and a fresh database (created now,
// dropped when the test ends), with testenv's rule: skip when ClickHouse does not answer, fail
// under CI.
func testClickHouse(t *testing.T) (*url.URL, string) {
	t.Helper()
	u, err := url.Parse(testenv.ClickHouseDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	u.Path = "/"
	return u, db
}

func dsnFor(base *url.URL, db string, user *url.Userinfo) string {
	u := *base
	u.Path = "/" + db
	if user != nil {
		u.User = user
	}
	return u.String()
}

// logBuffer collects a Debug-level text log, safe for concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSecretNotLoggedByConsume(t *testing.T) {
	chBase, db := testClickHouse(t)
	chPassword, kafkaPassword := "s3cret-ch-"+testenv.RandomSuffix(t), "s3cret-kafka-"+testenv.RandomSuffix(t)
	b, err := kafka.StartBroker(kafka.BrokerOptions{Listen: "127.0.0.1:0",
		SASL: []kafka.SASLUser{{Mechanism: "SCRAM-SHA-256", User: "econflow", Password: kafkaPassword}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	goodKafka := kafka.Security{SASLMechanism: "SCRAM-SHA-256", Username: "econflow", Password: kafkaPassword}
	badKafka := goodKafka
	badKafka.Password = "s3cret-wrong-" + testenv.RandomSuffix(t)
	secrets := []string{chPassword, kafkaPassword, badKafka.Password}

	config := func(dsn string, sec kafka.Security) Config {
		cfg := DefaultConfig()
		cfg.Brokers = []string{b.Addr()}
		cfg.ClickHouse = dsn
		cfg.Security = sec
		cfg.Group = "econflow-sec-" + testenv.RandomSuffix(t)
		suffix := ".sec" + testenv.RandomSuffix(t)
		d := kafka.DefaultTopics()
		cfg.Topics = kafka.Topics{FuelPrices: d.FuelPrices + suffix, Wages: d.Wages + suffix, FXRates: d.FXRates + suffix, DeadLetter: d.DeadLetter + suffix, Indicators: d.Indicators + suffix}
		cfg.Linger = 50 * time.Millisecond
		if err := cfg.Validate(); err != nil {
			t.Fatalf("config: %v", err)
		}
		return cfg
	}
	// consumeUntilError runs consume, which must fail by itself within a bounded time.
	consumeUntilError := func(t *testing.T, cfg Config) (logs string, err error) {
		t.Helper()
		buf := &logBuffer{}
		stop, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		err = consume(stop, context.Background(), cfg, buf.logger())
		if stop.Err() != nil {
			t.Fatalf("consume did not fail by itself within 90s (err %v)", err)
		}
		if err == nil {
			t.Fatal("consume returned nil with credentials that must be refused")
		}
		return buf.String(), err
	}

	t.Run("wrong ClickHouse password", func(t *testing.T) {
		dsn := dsnFor(chBase, db, url.UserPassword("default", chPassword))
		logs, err := consumeUntilError(t, config(dsn, goodKafka))
		noSecrets(t, "the error", err.Error(), secrets...)
		noSecrets(t, "the log", logs, secrets...)
		if !strings.Contains(err.Error(), "default:xxxxx@") {
			t.Fatalf("the error does not name the (redacted) DSN it could not connect to: %v", err)
		}
		t.Logf("error: %v", err)
	})

	t.Run("wrong Kafka password", func(t *testing.T) {
		logs, err := consumeUntilError(t, config(dsnFor(chBase, db, nil), badKafka))
		noSecrets(t, "the error", err.Error(), secrets...)
		noSecrets(t, "the log", logs, secrets...)
		t.Logf("error: %v", err)
	})

	t.Run("running consumer refused by Kafka", func(t *testing.T) {
		// The schema exists (the previous case migrated it); the pipeline itself runs with a
		// wrong Kafka password, so the consume loop's fetch keeps failing and logging.
		cfg := config(dsnFor(chBase, db, nil), goodKafka)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := migrate(ctx, cfg, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		logs := &logBuffer{}
		p, err := pipeline.Open(ctx, pipeline.Options{Brokers: cfg.Brokers, Security: badKafka, Group: cfg.Group,
			Topics: cfg.Topics, ClickHouse: cfg.ClickHouse, FX: cfg.FX(),
			Consumer: ingest.ConsumerConfig{BatchSize: 100, BatchLinger: 50 * time.Millisecond},
			Logger:   logs.logger(), SessionTimeout: 6 * time.Second})
		if err != nil {
			t.Fatalf("pipeline.Open: %v", err)
		}
		defer p.Close()
		stop, stopCancel := context.WithCancel(context.Background())
		abort, abortCancel := context.WithCancel(context.Background())
		defer abortCancel()
		done := make(chan error, 1)
		go func() { done <- p.Run(stop, abort) }()
		waitFor(t, 45*time.Second, "the refused fetch is logged", func() bool {
			return strings.Contains(logs.String(), "SASL Authentication Failed")
		})
		stopCancel()
		select {
		case <-done:
		case <-time.After(45 * time.Second):
			abortCancel()
			<-done
			t.Fatal("the refused consumer did not stop within 45s")
		}
		noSecrets(t, "the log", logs.String(), secrets...)
	})

	t.Run("right credentials", func(t *testing.T) {
		// The positive control: the same wiring with the right Kafka password consumes a record
		// published over SASL, and its Debug log holds no password either.
		cfg := config(dsnFor(chBase, db, nil), goodKafka)
		logs := &logBuffer{}
		stop, stopCancel := context.WithCancel(context.Background())
		defer stopCancel()
		done := make(chan error, 1)
		go func() { done <- consume(stop, context.Background(), cfg, logs.logger()) }()
		w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: cfg.Brokers, Security: goodKafka}, cfg.Topics.DeadLetter)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		src := "sec-" + testenv.RandomSuffix(t)
		value := fmt.Sprintf(`{"kind":"fuel_price","source":%q,"date":"2024-01-02","country":"KZ","product":"lpg","price":"120.50","currency":"KZT","unit":"litre"}`, src)
		// The writer creates the topic if consume has not yet: either way the record is read.
		if err := w.Write(ctx, kafkago.Message{Topic: cfg.Topics.FuelPrices, Key: []byte(src), Value: []byte(value)}); err != nil {
			t.Fatalf("publish over SASL: %v", err)
		}
		store, err := clickhouse.Open(ctx, clickhouse.Options{DSN: cfg.ClickHouse, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		var stored uint64
		waitFor(t, 60*time.Second, "the record published over SASL is stored", func() bool {
			select {
			case err := <-done:
				t.Fatalf("consume ended early: %v\n%s", err, logs.String())
			default:
			}
			err := store.Conn().QueryRow(ctx, "SELECT count() FROM "+db+".fuel_prices_history WHERE source = ?", src).Scan(&stored)
			return err == nil && stored == 1
		})
		stopCancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("consume after stop: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("consume did not drain and return within 60s of the stop")
		}
		noSecrets(t, "the log", logs.String(), secrets...)
		if !strings.Contains(logs.String(), "consuming") {
			t.Fatalf("the log does not show the consumer running:\n%s", logs.String())
		}
	})
}
