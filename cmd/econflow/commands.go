package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/ingest/clickhouse"
	"github.com/econflow/econflow/ingest/kafka"
	"github.com/econflow/econflow/ingest/pipeline"
	"github.com/econflow/econflow/ingest/publishers"
)

func cmdMigrate(stop, _ context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseFlags("migrate", "migrate [flags]", args, settings{kafka: true, clickhouse: true, cluster: true}, stderr, nil)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	return migrate(stop, cfg, log)
}

func migrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	store, err := clickhouse.Open(ctx, clickhouse.Options{DSN: cfg.ClickHouse, Cluster: cfg.Cluster, Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	if err := kafka.EnsureTopics(ctx, cfg.Brokers, cfg.Security, cfg.Topics.All(), cfg.Partitions, cfg.Replicas); err != nil {
		return err
	}
	n, err := store.AppliedMigrations(ctx)
	if err != nil {
		return err
	}
	log.Info("schema and topics ready", "database", store.Database(), "cluster", cfg.Cluster, "migrations", n, "topics", cfg.Topics.All(),
		"dates", store.DateRange())
	return nil
}

func cmdConsume(stop, abort context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseFlags("consume", "consume [flags]", args, settings{kafka: true, clickhouse: true, consume: true, cluster: true}, stderr, nil)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	cfg.applyMemorySettings()
	return consume(stop, abort, cfg, log)
}

// consume runs the pipeline until stop, then drains. It migrates first (idempotent).
func consume(stop, abort context.Context, cfg Config, log *slog.Logger) error {
	if err := migrate(stop, cfg, log); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := ingest.NewMetrics(reg)
	p, err := pipeline.Open(stop, pipeline.Options{Brokers: cfg.Brokers, Security: cfg.Security, Group: cfg.Group,
		Topics: cfg.Topics, ClickHouse: cfg.ClickHouse, ClickHouseCluster: cfg.Cluster, FX: cfg.FX(),
		Consumer:          ingest.ConsumerConfig{BatchSize: cfg.BatchSize, BatchLinger: cfg.Linger},
		ReconcileInterval: cfg.Reconcile, Logger: log, Metrics: metrics})
	if err != nil {
		return err
	}
	defer p.Close()
	bg, bgCancel := context.WithCancel(context.Background())
	defer bgCancel()
	go watchLag(bg, cfg, metrics, log)
	if cfg.HTTP != "" {
		srv, err := serveHTTP(cfg.HTTP, reg, p.Consumer, p.Store)
		if err != nil {
			return err
		}
		defer srv.Close()
		log.Info("serving metrics and health", "addr", cfg.HTTP)
	}
	log.Info("consuming", "brokers", cfg.Brokers, "group", cfg.Group, "topics", cfg.Topics.Input(),
		"clickhouse", p.Store.Database(), "cluster", cfg.Cluster, "batch_size", cfg.BatchSize)
	// Draining is bounded: if the batches in hand cannot be stored within ShutdownTimeout of the
	// stop (ClickHouse or the dead-letter topic down), abort; they are delivered again later.
	abort, abortCancel := context.WithCancel(abort)
	defer abortCancel()
	go func() {
		select {
		case <-stop.Done():
		case <-bg.Done():
			return
		}
		t := time.NewTimer(cfg.ShutdownTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			log.Warn("draining took longer than the shutdown timeout; aborting without committing the batches in hand", "timeout", cfg.ShutdownTimeout)
			abortCancel()
		case <-bg.Done():
		}
	}()
	if err := p.Run(stop, abort); err != nil {
		return err
	}
	log.Info("drained and committed; leaving the group")
	return nil
}

func serveHTTP(addr string, reg *prometheus.Registry, c *ingest.Consumer, store *clickhouse.Store) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	// Go profiles of the running consumer: go tool pprof http://HOST/debug/pprof/profile?seconds=30
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := store.Ping(ctx); err != nil {
			http.Error(w, "not ready: ClickHouse does not answer", http.StatusServiceUnavailable)
			return
		}
		if why := c.NotReady(); why != "" {
			http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	return srv, nil
}

// watchLag sets the lag gauge every 10s: end offset minus the group's committed offset.
func watchLag(ctx context.Context, cfg Config, m *ingest.Metrics, log *slog.Logger) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		lag, err := groupLag(ctx, cfg)
		if err != nil {
			log.Debug("lag unknown", "err", err)
			continue
		}
		for topic, parts := range lag {
			for p, n := range parts {
				m.Lag.WithLabelValues(topic, fmt.Sprint(p)).Set(float64(n))
			}
		}
	}
}

// groupLag returns end offset − committed offset per topic and partition.
func groupLag(ctx context.Context, cfg Config) (map[string]map[int]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	end, err := kafka.EndOffsets(ctx, cfg.Brokers, cfg.Security, cfg.Topics.Input())
	if err != nil {
		return nil, err
	}
	committed, err := kafka.CommittedOffsets(ctx, cfg.Brokers, cfg.Security, cfg.Group, cfg.Topics.Input())
	if err != nil {
		return nil, err
	}
	out := map[string]map[int]int64{}
	for topic, parts := range end {
		out[topic] = map[int]int64{}
		for p, e := range parts {
			c := committed[topic][p]
			if c < 0 {
				c = 0
			}
			out[topic][p] = e - c
		}
	}
	return out, nil
}

func cmdProduce(stop, _ context.Context, args []string, stdout, stderr io.Writer) error {
	opts := publishers.ReadOptions{Format: "jsonl"}
	var mappingPath, publishedAt string
	compression := "lz4"
	cfg, fs, err := parseFlags("produce", "produce [--format FORMAT] [--mapping FILE] FILE… (- = stdin)", args, settings{kafka: true}, stderr,
		func(fs *flag.FlagSet) {
			fs.StringVar(&opts.Format, "format", opts.Format, formatUsage())
			fs.StringVar(&mappingPath, "mapping", "", "JSON `file` saying which kind and fields a series becomes, and optionally the dates to read (\"from\", \"to\": YYYY-MM-DD; observations outside are skipped and counted); required by fred-csv, fred-json and sdmx-csv (README: Publisher formats)")
			fs.StringVar(&compression, "compression", compression, "Kafka compression `codec`: "+kafka.CompressionNames+" (docs/performance.md §8)")
			fs.StringVar(&publishedAt, "published-at", "", "RFC 3339 `time` given as published_at to publisher records whose file states no vintage (ecb-*, nbk-rss, oil-bulletin-csv, FRED without real-time periods); empty: the consumer uses the Kafka message time")
		})
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(produceGCPercent)
	}
	if mappingPath != "" {
		if a, ok := publishers.Lookup(opts.Format); !ok || !a.NeedsMapping() {
			fmt.Fprintf(stderr, "econflow produce: --mapping is read only by the formats that need one (fred-csv, fred-json, sdmx-csv), not %s\n", opts.Format)
			return errUsage
		}
		m, err := publishers.LoadMapping(mappingPath)
		if err != nil {
			return err
		}
		opts.Publisher.Mapping = m
	}
	if publishedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, publishedAt)
		if err != nil {
			fmt.Fprintf(stderr, "econflow produce: --published-at %q is not an RFC 3339 time such as 2024-06-28T16:00:00+02:00\n", publishedAt)
			return errUsage
		}
		opts.Publisher.PublishedAt = t
	}
	if err := publishers.CheckFormat(opts); err != nil {
		fmt.Fprintf(stderr, "econflow produce: %v\n", err)
		return errUsage
	}
	log := newLogger(cfg.LogLevel)
	// Asynchronous: the next records are read and checked while the last are sent
	// (docs/performance.md, the producer).
	if !kafka.KnownCompression(compression) {
		fmt.Fprintf(stderr, "econflow produce: --compression %q: want %s\n", compression, kafka.CompressionNames)
		return errUsage
	}
	w, err := kafka.NewWriter(kafka.WriterOptions{Brokers: cfg.Brokers, Security: cfg.Security, Async: true, Compression: compression}, cfg.Topics.DeadLetter)
	if err != nil {
		return err
	}
	defer w.Close()
	sent, bad, err := produceFilesWith(stop, w, cfg.Topics, opts, fs.Args(), log, stderr)
	for _, line := range publishers.ReportLines(bad) {
		fmt.Fprintln(stderr, line)
	}
	closeErr := w.Close() // waits for every acknowledgement
	if aerr := w.Err(); aerr != nil {
		return fmt.Errorf("publish: %w (%d of %d records acknowledged)", aerr, w.Acked(), sent)
	}
	if err != nil {
		return err
	}
	if closeErr != nil {
		return fmt.Errorf("publish: %w", closeErr)
	}
	log.Info("published", "records", sent, "invalid", len(bad))
	if len(bad) > 0 {
		return fmt.Errorf("%d invalid line(s) not sent; %d record(s) published", len(bad), sent)
	}
	return nil
}

// formatUsage lists the --format values with what each reads.
func formatUsage() string {
	var b strings.Builder
	b.WriteString("input `format`:\n")
	fmt.Fprintf(&b, "  %-17s %s\n", "jsonl", "one JSON record per line (docs/contract.md §1)")
	fmt.Fprintf(&b, "  %-17s %s", "csv", "header row of the records' field names")
	for _, a := range publishers.Adapters() {
		fmt.Fprintf(&b, "\n  %-17s %s", a.Name(), a.Describe())
	}
	return b.String()
}

// produceFiles publishes every valid record of the files, read in one of the formats that need
// no options, and returns how many were sent and the invalid lines.
func produceFiles(ctx context.Context, w *kafka.Writer, topics kafka.Topics, format string, files []string, log *slog.Logger) (int, []publishers.LineError, error) {
	return produceFilesWith(ctx, w, topics, publishers.ReadOptions{Format: format}, files, log, io.Discard)
}

// produceFilesWith publishes every valid record of the files read as opts says, and returns how
// many were sent and the invalid lines. What a file's mapping left out on purpose (observations
// outside its date range) is told to notes, one line per file.
func produceFilesWith(ctx context.Context, w *kafka.Writer, topics kafka.Topics, opts publishers.ReadOptions, files []string, log *slog.Logger, notes io.Writer) (int, []publishers.LineError, error) {
	const chunk = 5000
	var (
		sent    int
		bad     []publishers.LineError
		pending []kafkago.Message
		last    = time.Now()
		// the series keys of a publisher file, as bytes made once for all its messages (a JSONL
		// file's keys are not kept: it may have any number of series)
		keys map[string][]byte
	)
	message := func(o publishers.Outgoing) kafkago.Message {
		return kafkago.Message{Topic: topics.ForKind(string(o.Kind)), Key: []byte(o.Key), Value: o.Value}
	}
	heldMessage := func(o publishers.Outgoing) kafkago.Message {
		key, ok := keys[o.Key]
		if !ok {
			key = []byte(o.Key)
			keys[o.Key] = key
		}
		return kafkago.Message{Topic: topics.ForKind(string(o.Kind)), Key: key, Value: o.Value}
	}
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := w.Write(ctx, pending...); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		sent += len(pending)
		pending = pending[:0]
		if time.Since(last) > 2*time.Second {
			log.Info("publishing", "records", sent)
			last = time.Now()
		}
		return nil
	}
	readFile := func(name string) error {
		var r io.Reader = os.Stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		// A publisher file is published whole or not at all: a layout error found near its end
		// must not leave its first part on Kafka. Its messages are made as it is read (on the
		// goroutine that encodes its records, beside the one that reads them) and held in blocks
		// of chunk: a file of a few hundred thousand records is not copied as one slice grows.
		_, whole := publishers.Lookup(opts.Format)
		var held [][]kafkago.Message
		keys = map[string][]byte{}
		sum, lineErrs, err := publishers.ReadRecordsWith(name, r, opts, func(o publishers.Outgoing) error {
			if !whole {
				pending = append(pending, message(o))
				if len(pending) >= chunk {
					return flush()
				}
				return nil
			}
			if len(held) == 0 || len(held[len(held)-1]) == chunk {
				held = append(held, make([]kafkago.Message, 0, chunk))
			}
			held[len(held)-1] = append(held[len(held)-1], heldMessage(o))
			return nil
		})
		bad = append(bad, lineErrs...)
		if sum.Missing > 0 {
			log.Info("skipped values the publisher marks missing", "file", name, "missing", sum.Missing, "records", sum.Records)
		}
		if err != nil {
			if whole {
				// The files before it were read whole: publish them, then stop.
				if ferr := flush(); ferr != nil {
					return ferr
				}
				return fmt.Errorf("%w (nothing from this file was published)", err)
			}
			return err
		}
		if sum.Skipped.Count() > 0 {
			fmt.Fprintf(notes, "%s: %s\n", name, sum.Skipped)
		}
		if len(held) > 0 {
			if err := flush(); err != nil { // what the files before left, first
				return err
			}
		}
		for i, block := range held {
			if len(block) < chunk { // the last: it may go with the next file's first
				pending = append(pending, block...)
				break
			}
			pending = block
			if err := flush(); err != nil {
				return err
			}
			held[i], pending = nil, nil // the writer holds them until they are acknowledged
		}
		return nil
	}
	for _, name := range files {
		if err := readFile(name); err != nil {
			return sent, bad, err
		}
	}
	return sent, bad, flush()
}

func cmdBroker(stop, _ context.Context, args []string, stdout, stderr io.Writer) error {
	listen, dataDir, partitions := "127.0.0.1:9092", "", 3
	var saslUsers []string
	var tlsCert, tlsKey string
	cfg, _, err := parseFlags("broker", "broker [--listen ADDR] [--data-dir DIR] [--sasl-user MECH:USER]… [--tls-cert FILE --tls-key FILE]", args, settings{}, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&listen, "listen", listen, "host:port to listen on (loopback recommended)")
		fs.StringVar(&dataDir, "data-dir", dataDir, "directory to persist topics, offsets and groups; empty: memory only")
		fs.IntVar(&partitions, "partitions", partitions, "partitions of topics created on first use")
		fs.Func("sasl-user", "require SASL: a `MECH:USER` clients must authenticate as (MECH: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; repeatable); the password comes from env "+envBrokerSASLPassword+" only", func(v string) error {
			saslUsers = append(saslUsers, v)
			return nil
		})
		fs.StringVar(&tlsCert, "tls-cert", tlsCert, "PEM certificate `file` (chain) to serve TLS with; needs --tls-key")
		fs.StringVar(&tlsKey, "tls-key", tlsKey, "PEM private key `file` of --tls-cert")
	})
	if err != nil {
		return err
	}
	opts := kafka.BrokerOptions{Listen: listen, DataDir: dataDir, Partitions: partitions}
	if opts.SASL, err = brokerSASLUsers(saslUsers, os.Getenv(envBrokerSASLPassword)); err != nil {
		return fmt.Errorf("invalid setting %w", err)
	}
	if tlsCert != "" || tlsKey != "" {
		if tlsCert == "" || tlsKey == "" {
			return errors.New("invalid setting tls: --tls-cert and --tls-key go together")
		}
		cert, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
		if err != nil {
			return fmt.Errorf("invalid setting tls: %w", err)
		}
		opts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	log := newLogger(cfg.LogLevel)
	b, err := kafka.StartBroker(opts)
	if err != nil {
		return err
	}
	mechs := make([]string, len(opts.SASL))
	for i, u := range opts.SASL {
		mechs[i] = u.Mechanism + ":" + u.User
	}
	log.Info("embedded broker listening", "addr", b.Addr(), "data_dir", dataDir, "partitions", partitions,
		"sasl_users", mechs, "tls", opts.TLS != nil)
	<-stop.Done()
	b.Close()
	log.Info("embedded broker stopped")
	return nil
}

// envBrokerSASLPassword holds the password of the embedded broker's --sasl-user users.
const envBrokerSASLPassword = "ECONFLOW_BROKER_SASL_PASSWORD"

// brokerSASLUsers parses --sasl-user MECH:USER values; every user gets password.
func brokerSASLUsers(specs []string, password string) ([]kafka.SASLUser, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	if password == "" {
		return nil, fmt.Errorf("sasl-user: set the password in the environment variable %s", envBrokerSASLPassword)
	}
	users := make([]kafka.SASLUser, 0, len(specs))
	for _, spec := range specs {
		mech, user, ok := strings.Cut(spec, ":")
		u := kafka.SASLUser{Mechanism: strings.ToUpper(mech), User: user, Password: password}
		if !ok {
			return nil, fmt.Errorf("sasl-user: %q is not MECH:USER", spec)
		}
		if strings.Contains(user, ":") {
			// Not echoed: it may be MECH:USER:PASSWORD.
			return nil, fmt.Errorf("sasl-user: a %s user name must not contain ':'; the password comes from %s only", u.Mechanism, envBrokerSASLPassword)
		}
		if err := u.Validate(); err != nil {
			return nil, fmt.Errorf("sasl-user: %w", err)
		}
		users = append(users, u)
	}
	return users, nil
}
