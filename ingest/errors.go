package ingest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// ErrorClass says what the consume loop does about an operation that failed: a write to
// ClickHouse, a fetch or commit on Kafka, a send of dead letters.
type ErrorClass uint8

const (
	// Retryable errors may go away by themselves: the network, a server restarting or busy
	// (ClickHouse's too many parts, memory limit, read-only replica, ZooKeeper/Keeper; Kafka's
	// leader or coordinator moving). The operation is tried again with back-off for as long as
	// it takes. An error no classifier knows is retryable.
	Retryable ErrorClass = iota
	// Fatal errors need someone to act: the schema differs from what econflow writes, a table
	// or database is missing, credentials or permissions are refused. After
	// ConsumerConfig.FatalAttempts such failures in a row the consumer stops (Run returns a
	// *FatalError) without committing the batch.
	Fatal
	// BadValue errors are a row the store cannot hold. The Processor already turns a row the
	// store cannot encode into a reject (code out_of_range, in econ.rejects and the dead
	// letters), so one reaching a write means validation let through what it should not have:
	// the consumer handles it as Fatal, and nothing of the batch is committed or lost.
	BadValue
)

func (c ErrorClass) String() string {
	switch c {
	case Retryable:
		return "retryable"
	case Fatal:
		return "fatal"
	case BadValue:
		return "bad_value"
	}
	return fmt.Sprintf("ErrorClass(%d)", uint8(c))
}

// Classification is what is known of an error: its class and, for one that needs someone to
// act, what to do.
type Classification struct {
	Class ErrorClass
	// Action says what to do, e.g. "run `econflow migrate`"; empty for retryable errors.
	Action string
}

// A Classifier classifies the errors of one external system (clickhouse.Classify,
// kafka.Classify); ok is false for an error it does not know.
type Classifier func(err error) (c Classification, ok bool)

// Classify returns the classification of err by the first classifier that knows it, or else by
// what any system may return: a *FatalError keeps its class, an untrusted TLS certificate is
// Fatal, and everything else — network errors, timeouts, EOF, unknown errors — is Retryable.
func Classify(err error, classifiers ...Classifier) Classification {
	var fe *FatalError
	if errors.As(err, &fe) {
		return Classification{Class: fe.Class, Action: fe.Action}
	}
	for _, classify := range classifiers {
		if c, ok := classify(err); ok {
			return c
		}
	}
	var (
		unknownCA   x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalid     x509.CertificateInvalidError
		verifyError *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verifyError) {
		return Classification{Class: Fatal, Action: "the server's TLS certificate is not trusted: give the CA that signed it, or the server's right name"}
	}
	return Classification{Class: Retryable}
}

// FatalError is what Consumer.Run returns when an operation failed with a Fatal or BadValue
// error FatalAttempts times in a row. Nothing of the batch in hand was committed: it is
// consumed again once the cause is fixed. Its message says what failed and what to do.
type FatalError struct {
	// Op is the operation that failed: "write to ClickHouse", "fetch from Kafka", ….
	Op       string
	Attempts int
	Class    ErrorClass
	Action   string
	Err      error
}

func (e *FatalError) Error() string {
	msg := fmt.Sprintf("%s failed %d times: %v", e.Op, e.Attempts, e.Err)
	if e.Action != "" {
		msg += ": " + e.Action
	}
	return msg + " (the consumer stopped without committing the batch: it is consumed again once this is fixed)"
}

func (e *FatalError) Unwrap() error { return e.Err }
