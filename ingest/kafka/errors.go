package kafka

import (
	"errors"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
)

// What to do about each kind of fatal Kafka error.
const (
	actionSASL   = "Kafka refused the SASL credentials: check the SASL mechanism, user and password"
	actionNoSASL = "the broker does not have SASL enabled on this listener: turn SASL off in econflow's settings " +
		"or connect to a SASL listener"
	actionACL = "the Kafka user is not authorized: grant it the ACLs to read the input topics, write the " +
		"dead-letter topic and join the consumer group"
	actionTopic = "a topic econflow uses does not exist: run `econflow migrate` (it creates the topics) or check " +
		"the topic names"
	actionGroup = "the consumer group name is not valid: set another one"
)

var _ ingest.Classifier = Classify

// Classify is the ingest.Classifier of Kafka errors, by the protocol's error codes as kafka-go
// returns them. Fatal: authentication (SASL) refused, an authorization failure (topic, group,
// cluster), an unknown or invalid topic, an invalid group name. Retryable: every other code,
// among them a broker that is not the partition's leader or the group's coordinator (they
// move), a rebalance in progress, a request timed out, and a message too large for the topic
// (the Writer already cuts a dead letter to DeadLetterTruncatedBytes; a dead-letter topic that
// refuses even that is waited for, like one that is unavailable, while its limit is raised). For a
// write of several messages (kafkago.WriteErrors) the gravest class of its errors counts. It
// does not know other errors (network errors, timeouts and EOF are ingest.Classify's,
// retryable).
//
// The embedded broker (kfake) answers bad SASL credentials by closing the connection, which
// kafka-go's Dialer (under the Source) reports as SASL Authentication Failed too. kafka-go's
// Transport (under the Writer and the admin calls) reports a refused SASL exchange as [8]
// Broker Not Available, which is retryable: with refused credentials the Source's fetches
// fail first, and stop the consumer.
func Classify(err error) (ingest.Classification, bool) {
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) {
		var worst ingest.Classification
		known := false
		for _, e := range werrs {
			if e == nil {
				continue
			}
			if c, ok := Classify(e); ok {
				known = true
				if c.Class > worst.Class {
					worst = c
				}
			}
		}
		return worst, known
	}
	var code kafkago.Error
	if errors.As(err, &code) {
		return classifyCode(code), true
	}
	return ingest.Classification{}, false
}

func classifyCode(code kafkago.Error) ingest.Classification {
	fatal := func(action string) ingest.Classification {
		return ingest.Classification{Class: ingest.Fatal, Action: action}
	}
	switch code {
	case kafkago.SASLAuthenticationFailed, kafkago.UnsupportedSASLMechanism, kafkago.IllegalSASLState:
		return fatal(actionSASL)
	case kafkago.SecurityDisabled:
		return fatal(actionNoSASL)
	case kafkago.TopicAuthorizationFailed, kafkago.GroupAuthorizationFailed, kafkago.ClusterAuthorizationFailed,
		kafkago.BrokerAuthorizationFailed, kafkago.TransactionalIDAuthorizationFailed:
		return fatal(actionACL)
	case kafkago.UnknownTopicOrPartition, kafkago.InvalidTopic, kafkago.UnknownTopicID:
		return fatal(actionTopic)
	case kafkago.InvalidGroupId:
		return fatal(actionGroup)
	}
	return ingest.Classification{Class: ingest.Retryable}
}
