package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/econflow/econflow/dashboard"
	"github.com/econflow/econflow/ingest/clickhouse"
)

// defaultServeHTTP is where `econflow serve` and `econflow demo` serve the dashboard.
const defaultServeHTTP = "127.0.0.1:8080"

// serveOptions are the dashboard's own settings; the ClickHouse DSN, the reporting currency and
// the log level come from Config.
type serveOptions struct {
	// HTTP (--http, ECONFLOW_SERVE_HTTP) is the host:port the dashboard listens on. Default
	// 127.0.0.1:8080.
	HTTP string
	// MetricsURL (--metrics-url, ECONFLOW_METRICS_URL) is the consumer's Prometheus endpoint for
	// /health. Default http://$ECONFLOW_HTTP/metrics when ECONFLOW_HTTP (consume's metrics
	// address) is set, else none.
	MetricsURL string
}

func defaultServeOptions(getenv func(string) string) serveOptions {
	o := serveOptions{HTTP: defaultServeHTTP, MetricsURL: getenv("ECONFLOW_METRICS_URL")}
	if v := getenv("ECONFLOW_SERVE_HTTP"); v != "" {
		o.HTTP = v
	}
	if o.MetricsURL == "" && getenv("ECONFLOW_HTTP") != "" {
		o.MetricsURL = "http://" + getenv("ECONFLOW_HTTP") + "/metrics"
	}
	return o
}

// validate names the first bad setting.
func (o serveOptions) validate() error {
	if _, _, err := net.SplitHostPort(o.HTTP); err != nil {
		return fmt.Errorf("http: %q is not host:port", o.HTTP)
	}
	if o.MetricsURL != "" {
		u, err := url.Parse(o.MetricsURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("metrics-url: %q is not an http(s) URL like http://127.0.0.1:9464/metrics", o.MetricsURL)
		}
	}
	return nil
}

func cmdServe(stop, _ context.Context, args []string, stdout, stderr io.Writer) error {
	return serve(stop, args, stderr, func(u string) { fmt.Fprintf(stdout, "Dashboard: %s (Ctrl-C to stop)\n", u) })
}

// serve runs `econflow serve` until stop; ready gets the dashboard's URL once it listens.
func serve(stop context.Context, args []string, stderr io.Writer, ready func(url string)) error {
	so := defaultServeOptions(os.Getenv)
	cfg, _, err := parseFlags("serve", "serve [--http ADDR] [--clickhouse DSN] [--metrics-url URL]", args, settings{dsn: true}, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&so.HTTP, "http", so.HTTP, "host:port to serve the dashboard on (env ECONFLOW_SERVE_HTTP)")
		fs.StringVar(&so.MetricsURL, "metrics-url", so.MetricsURL, "the consumer's Prometheus endpoint (consume --http) for the /health page, e.g. http://127.0.0.1:9464/metrics; empty: none (env ECONFLOW_METRICS_URL, or http://$ECONFLOW_HTTP/metrics)")
	})
	if err != nil {
		return err
	}
	if err := so.validate(); err != nil {
		return fmt.Errorf("invalid setting %w", err)
	}
	log := newLogger(cfg.LogLevel)
	store, err := clickhouse.Open(stop, clickhouse.Options{DSN: cfg.ClickHouse, Logger: log})
	if err != nil {
		return fmt.Errorf("%w\nThe dashboard reads ClickHouse: start it (bash deploy/clickhouse.sh start) or pass --clickhouse", err)
	}
	defer store.Close()
	return serveDashboard(stop, store, cfg, so, log, ready)
}

// serveDashboard serves the dashboard over store until ctx ends, then shuts the server down,
// letting requests in flight finish for up to 5 seconds. ready gets the dashboard's URL once it
// listens.
func serveDashboard(ctx context.Context, store *clickhouse.Store, cfg Config, so serveOptions, log *slog.Logger, ready func(url string)) error {
	d, err := dashboard.New(dashboard.Options{Conn: store.Conn(), Database: store.Database(), Reporting: cfg.Reporting,
		MetricsURL: so.MetricsURL, Logger: log})
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	warning, err := d.SettingsWarning(cctx)
	cancel()
	switch {
	case err != nil:
		log.Warn("could not read the ClickHouse user's settings", "err", err)
	case warning != "":
		log.Warn(warning)
	}
	ln, err := net.Listen("tcp", so.HTTP)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	srv := &http.Server{Handler: d, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	u := "http://" + ln.Addr().String() + "/"
	log.Info("serving the dashboard", "url", u, "database", store.Database(), "metrics_url", so.MetricsURL)
	ready(u)
	select {
	case err := <-served:
		return fmt.Errorf("dashboard: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("dashboard shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("dashboard: %w", err)
	}
	log.Info("dashboard stopped")
	return nil
}
