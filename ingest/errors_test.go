package ingest

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestClassifyCommonErrors: without a classifier that knows an error, what any system may
// return is classified by ingest.Classify itself — retryable, except an untrusted certificate —
// however deeply it is wrapped.
func TestClassifyCommonErrors(t *testing.T) {
	dialRefused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	readReset := &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}
	var timeout net.Error = &net.DNSError{Err: "i/o timeout", Name: "clickhouse", IsTimeout: true}
	for _, tc := range []struct {
		name   string
		err    error
		want   ErrorClass
		action string // a part of the action, for non-retryable ones
	}{
		{"connection refused", fmt.Errorf("connect to clickhouse: %w", dialRefused), Retryable, ""},
		{"connection reset", fmt.Errorf("insert 5 rows into econ.fuel_prices_data: %w", readReset), Retryable, ""},
		{"broken pipe", fmt.Errorf("send: %w", syscall.EPIPE), Retryable, ""},
		{"dns timeout", fmt.Errorf("dial: %w", timeout), Retryable, ""},
		{"EOF", fmt.Errorf("read packet: %w", io.EOF), Retryable, ""},
		{"unexpected EOF", fmt.Errorf("read block: %w", io.ErrUnexpectedEOF), Retryable, ""},
		{"context deadline", fmt.Errorf("write batch: %w", context.DeadlineExceeded), Retryable, ""},
		{"socket deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), Retryable, ""},
		{"unknown error", errors.New("something nobody classified"), Retryable, ""},
		{"joined with a network error", errors.Join(errors.New("first broker"), dialRefused), Retryable, ""},
		{"unknown certificate authority", fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), Fatal, "TLS certificate"},
		{"certificate for another host", fmt.Errorf("tls: %w", x509.HostnameError{Host: "kafka.example"}), Fatal, "TLS certificate"},
		{"an earlier FatalError keeps its class", fmt.Errorf("fetch: %w", &FatalError{Op: "fetch from Kafka", Class: BadValue, Action: "do x", Err: io.EOF}),
			BadValue, "do x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.err)
			if got.Class != tc.want {
				t.Fatalf("Classify(%v) = %v, want %v", tc.err, got.Class, tc.want)
			}
			if tc.want == Retryable && got.Action != "" {
				t.Errorf("a retryable error has an action: %q", got.Action)
			}
			if tc.action != "" && !strings.Contains(got.Action, tc.action) {
				t.Errorf("action %q does not say %q", got.Action, tc.action)
			}
		})
	}
}

// TestClassifyAsksTheClassifiersInOrder: the first classifier that knows an error decides; one
// that does not know it is passed over.
func TestClassifyAsksTheClassifiersInOrder(t *testing.T) {
	errSchema := errors.New("no such column")
	knowsSchema := func(err error) (Classification, bool) {
		if errors.Is(err, errSchema) {
			return Classification{Class: Fatal, Action: "migrate"}, true
		}
		return Classification{}, false
	}
	everythingBad := func(error) (Classification, bool) { return Classification{Class: BadValue, Action: "report"}, true }
	wrapped := fmt.Errorf("insert: %w", errSchema)
	if got := Classify(wrapped, knowsSchema, everythingBad); got != (Classification{Fatal, "migrate"}) {
		t.Errorf("Classify = %+v, want the first classifier's", got)
	}
	if got := Classify(io.EOF, knowsSchema, everythingBad); got != (Classification{BadValue, "report"}) {
		t.Errorf("Classify = %+v, want the second classifier's", got)
	}
	if got := Classify(io.EOF, knowsSchema); got.Class != Retryable {
		t.Errorf("Classify = %+v, want retryable when no classifier knows the error", got)
	}
}

func TestFatalErrorSaysWhatToDo(t *testing.T) {
	cause := errors.New("insert into econ.fuel_prices_data: code: 16, message: No such column fx_rate")
	err := error(&FatalError{Op: "write to ClickHouse", Attempts: 3, Class: Fatal, Action: "run `econflow migrate`", Err: cause})
	want := "write to ClickHouse failed 3 times: insert into econ.fuel_prices_data: code: 16, message: No such column fx_rate: " +
		"run `econflow migrate` (the consumer stopped without committing the batch: it is consumed again once this is fixed)"
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
	if !errors.Is(err, cause) {
		t.Error("a FatalError does not unwrap to its cause")
	}
	for c, s := range map[ErrorClass]string{Retryable: "retryable", Fatal: "fatal", BadValue: "bad_value", 9: "ErrorClass(9)"} {
		if c.String() != s {
			t.Errorf("%d.String() = %q, want %q", c, c.String(), s)
		}
	}
}
