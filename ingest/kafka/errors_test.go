package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
)

// TestClassifyKafkaErrors: Kafka's protocol errors are classified by their code, however they
// are wrapped on the way up (as the Source, the Writer and kafka-go wrap them); a write of
// several messages by its gravest error; and what Kafka's classifier does not know (network
// errors, timeouts, EOF) is retryable by ingest.Classify.
func TestClassifyKafkaErrors(t *testing.T) {
	join := func(err error) error { return fmt.Errorf("join consumer group econflow: %w", err) }
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	for _, tc := range []struct {
		name   string
		err    error
		known  bool // Classify knows it (not left to ingest.Classify)
		want   ingest.ErrorClass
		action string // part of the action of a fatal error
	}{
		// Fatal: authentication and authorization.
		{"SASL authentication failed", join(kafkago.SASLAuthenticationFailed), true, ingest.Fatal, "SASL credentials"},
		{"SASL mechanism not enabled", join(fmt.Errorf("SASL handshake failed: %w", kafkago.UnsupportedSASLMechanism)), true, ingest.Fatal, "SASL credentials"},
		{"SASL not enabled on the broker", kafkago.SecurityDisabled, true, ingest.Fatal, "SASL"},
		{"group authorization", join(kafkago.GroupAuthorizationFailed), true, ingest.Fatal, "ACLs"},
		{"topic authorization", fmt.Errorf("read econ.fuel_prices/0 at offset 5: %w", kafkago.TopicAuthorizationFailed), true, ingest.Fatal, "ACLs"},
		{"cluster authorization", kafkago.ClusterAuthorizationFailed, true, ingest.Fatal, "ACLs"},
		// Fatal: topics and the group.
		{"unknown topic", fmt.Errorf("connect to the leader of econ.fuel_prices/0: %w", kafkago.UnknownTopicOrPartition), true, ingest.Fatal, "econflow migrate"},
		{"invalid topic", kafkago.InvalidTopic, true, ingest.Fatal, "econflow migrate"},
		{"invalid group", join(kafkago.InvalidGroupId), true, ingest.Fatal, "group"},
		// Retryable: leaders and coordinators move, groups rebalance, brokers restart.
		{"not leader", fmt.Errorf("read econ.fuel_prices/0: %w", kafkago.NotLeaderForPartition), true, ingest.Retryable, ""},
		{"leader not available", kafkago.LeaderNotAvailable, true, ingest.Retryable, ""},
		{"not coordinator", fmt.Errorf("commit: %w", kafkago.NotCoordinatorForGroup), true, ingest.Retryable, ""},
		{"coordinator not available", kafkago.GroupCoordinatorNotAvailable, true, ingest.Retryable, ""},
		{"coordinator loading", kafkago.GroupLoadInProgress, true, ingest.Retryable, ""},
		{"rebalance in progress", fmt.Errorf("commit: %w", kafkago.RebalanceInProgress), true, ingest.Retryable, ""},
		{"generation ended", kafkago.IllegalGeneration, true, ingest.Retryable, ""},
		{"member gone", kafkago.UnknownMemberId, true, ingest.Retryable, ""},
		{"request timed out", kafkago.RequestTimedOut, true, ingest.Retryable, ""},
		{"broker not available", kafkago.BrokerNotAvailable, true, ingest.Retryable, ""},
		{"not enough replicas", kafkago.NotEnoughReplicas, true, ingest.Retryable, ""},
		{"a dead letter too large, even cut", fmt.Errorf("publish dead letter: %w", kafkago.MessageSizeTooLarge), true, ingest.Retryable, ""},
		// Writes of several messages: the gravest error counts.
		{"write: one not leader", kafkago.WriteErrors{nil, kafkago.NotLeaderForPartition, nil}, true, ingest.Retryable, ""},
		{"write: not leader and unauthorized", fmt.Errorf("publish 3 dead letters: %w",
			kafkago.WriteErrors{kafkago.NotLeaderForPartition, kafkago.TopicAuthorizationFailed, nil}), true, ingest.Fatal, "ACLs"},
		{"write: network errors only", kafkago.WriteErrors{refused, io.EOF}, false, ingest.Retryable, ""},
		// Not Kafka's: left to ingest.Classify.
		{"broker unreachable", fmt.Errorf("connect to the leader of econ.fuel_prices/0: %w", refused), false, ingest.Retryable, ""},
		{"connection closed", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), false, ingest.Retryable, ""},
		{"context deadline", context.DeadlineExceeded, false, ingest.Retryable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, known := Classify(tc.err)
			if known != tc.known {
				t.Errorf("kafka.Classify knows %v: %v, want %v", tc.err, known, tc.known)
			}
			got := ingest.Classify(tc.err, Classify)
			if got.Class != tc.want {
				t.Fatalf("class of %v: %v, want %v", tc.err, got.Class, tc.want)
			}
			if (got.Action == "") != (tc.want == ingest.Retryable) || !strings.Contains(got.Action, tc.action) {
				t.Errorf("action %q, want one saying %q", got.Action, tc.action)
			}
		})
	}
}

// TestClassifyKafkaRefusedCredentials: a broker that refuses the SASL password refuses the
// consume loop's fetches with an error classified Fatal, saying to check the credentials.
// (kafka-go's Transport, under the Writer and the admin calls, reports a refused SASL exchange as
// [8] Broker Not Available, which is retryable; the consumer's fetches fail first.)
func TestClassifyKafkaRefusedCredentials(t *testing.T) {
	password := secret(t)
	addr := startBroker(t, BrokerOptions{SASL: []SASLUser{{Mechanism: "SCRAM-SHA-256", User: "econflow", Password: password}}})
	wrong := Security{SASLMechanism: "SCRAM-SHA-256", Username: "econflow", Password: password + "-wrong"}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	src, err := NewSource(SourceOptions{Brokers: []string{addr}, Group: "g", Topics: []string{"t"}, Security: wrong,
		SessionTimeout: 6 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, err = src.Fetch(ctx)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch = %v, want the refused join", err)
	}
	c := ingest.Classify(err, Classify)
	if c.Class != ingest.Fatal || !strings.Contains(c.Action, "SASL credentials") {
		t.Errorf("Fetch: %v classified %v (%q), want fatal: check the SASL credentials", err, c.Class, c.Action)
	}
}
