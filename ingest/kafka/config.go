// Package kafka is econflow's Kafka side, on segmentio/kafka-go: the consumer-group Source,
// the Writer that `econflow produce` and the dead letters use, topic creation, and the
// embedded Kafka-protocol broker (franz-go's kfake) behind `econflow broker`.
package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Topics names the topics econflow reads and writes.
type Topics struct {
	FuelPrices string // default econ.fuel_prices
	Wages      string // default econ.wages
	FXRates    string // default econ.fx_rates
	DeadLetter string // default econ.dead_letter
	Indicators string // default econ.indicators
}

// DefaultTopics returns the topic names of docs/contract.md §1.1.
func DefaultTopics() Topics {
	return Topics{FuelPrices: "econ.fuel_prices", Wages: "econ.wages", FXRates: "econ.fx_rates", DeadLetter: "econ.dead_letter",
		Indicators: "econ.indicators"}
}

// Input is the list of topics a consumer subscribes to.
func (t Topics) Input() []string { return []string{t.FuelPrices, t.Wages, t.FXRates, t.Indicators} }

// All is every topic, the dead-letter topic included.
func (t Topics) All() []string { return append(t.Input(), t.DeadLetter) }

// ForKind returns the topic a record of kind is published to.
func (t Topics) ForKind(kind string) string {
	switch kind {
	case "wage":
		return t.Wages
	case "fx_rate":
		return t.FXRates
	case "indicator":
		return t.Indicators
	default:
		return t.FuelPrices
	}
}

// Security holds the client's SASL and TLS settings. The zero value is plaintext, no SASL.
type Security struct {
	// SASLMechanism is "", "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512".
	SASLMechanism string
	Username      string
	Password      string // never logged
	// TLS enables TLS. CAFile adds a PEM CA bundle; InsecureSkipVerify disables verification
	// (for tests only).
	TLS                bool
	CAFile             string
	InsecureSkipVerify bool
}

// Validate checks the settings.
func (s Security) Validate() error {
	switch strings.ToUpper(s.SASLMechanism) {
	case "":
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if s.Username == "" {
			return errors.New("kafka sasl: a username is required with SASL")
		}
	default:
		return fmt.Errorf("kafka sasl mechanism %q: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.SASLMechanism)
	}
	if s.CAFile != "" && !s.TLS {
		return errors.New("kafka tls ca file given but TLS is off")
	}
	return nil
}

func (s Security) mechanism() (sasl.Mechanism, error) {
	switch strings.ToUpper(s.SASLMechanism) {
	case "":
		return nil, nil
	case "PLAIN":
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	case "SCRAM-SHA-256":
		return scram.Mechanism(scram.SHA256, s.Username, s.Password)
	case "SCRAM-SHA-512":
		return scram.Mechanism(scram.SHA512, s.Username, s.Password)
	}
	return nil, s.Validate()
}

func (s Security) tlsConfig() (*tls.Config, error) {
	if !s.TLS {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.InsecureSkipVerify} //nolint:gosec // opt-in for tests
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka tls ca file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka tls ca file %s: no PEM certificates", s.CAFile)
		}
	}
	return c, nil
}

func (s Security) dialer() (*kafkago.Dialer, error) {
	mech, err := s.mechanism()
	if err != nil {
		return nil, err
	}
	tc, err := s.tlsConfig()
	if err != nil {
		return nil, err
	}
	return &kafkago.Dialer{Timeout: 10 * time.Second, DualStack: true, SASLMechanism: mech, TLS: tc}, nil
}

func (s Security) transport() (*kafkago.Transport, error) {
	mech, err := s.mechanism()
	if err != nil {
		return nil, err
	}
	tc, err := s.tlsConfig()
	if err != nil {
		return nil, err
	}
	return &kafkago.Transport{SASL: mech, TLS: tc, DialTimeout: 10 * time.Second, MetadataTTL: 2 * time.Second}, nil
}
