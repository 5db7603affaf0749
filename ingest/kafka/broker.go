package kafka

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is the embedded Kafka-protocol broker for local use and tests: one node, on a
// loopback address, creating topics on first use. With a data directory its segments, offsets
// and groups persist across restarts; without one it keeps everything in memory.
type Broker struct {
	c       *kfake.Cluster
	addr    string
	dataDir string
}

// BrokerOptions configure StartBroker.
type BrokerOptions struct {
	// Listen is host:port; port 0 picks a free one. Default 127.0.0.1:9092.
	Listen string
	// DataDir persists the broker's state; empty keeps it in memory.
	DataDir string
	// Partitions is the partition count of auto-created topics. Default 3.
	Partitions int
	// SASL, when not empty, makes every client authenticate as one of these users before any
	// other request; a client with wrong credentials has its connection closed. Empty: no SASL.
	// The users are those of each start: with a DataDir they are not persisted.
	SASL []SASLUser
	// TLS, when not nil, makes the listener speak TLS with this configuration (it must hold a
	// certificate). Nil: plaintext.
	TLS *tls.Config
}

// SASLUser is one user of the embedded broker's SASL.
type SASLUser struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512. A user may be listed once per
	// mechanism.
	Mechanism string
	User      string
	Password  string // never logged
}

// Validate checks the user.
func (u SASLUser) Validate() error {
	switch strings.ToUpper(u.Mechanism) {
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		return fmt.Errorf("embedded broker sasl mechanism %q: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", u.Mechanism)
	}
	if u.User == "" {
		return errors.New("embedded broker sasl: a user name is required")
	}
	if u.Password == "" {
		return fmt.Errorf("embedded broker sasl user %s: a password is required", u.User)
	}
	return nil
}

// saslFile is where kfake persists its SASL users in a data directory (PLAIN passwords in clear
// text). The embedded broker's users come from BrokerOptions on every start, so the file is
// removed before a start (stale users must not come back) and after a stop.
const saslFile = "sasl.json"

// StartBroker starts the embedded broker.
func StartBroker(o BrokerOptions) (*Broker, error) {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:9092"
	}
	if o.Partitions <= 0 {
		o.Partitions = 3
	}
	for _, u := range o.SASL {
		if err := u.Validate(); err != nil {
			return nil, err
		}
	}
	if o.TLS != nil && len(o.TLS.Certificates) == 0 && o.TLS.GetCertificate == nil {
		return nil, errors.New("embedded broker tls: the configuration has no certificate")
	}
	if o.DataDir != "" {
		if err := removeSASLFile(o.DataDir); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: listen on %s: %w", o.Listen, err)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(func(string, string) (net.Listener, error) { return ln, nil }),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(o.Partitions),
		kfake.ClusterID("econflow-embedded"),
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	if len(o.SASL) > 0 {
		saslOpts, err := saslOptions(o.SASL)
		if err != nil {
			return nil, err
		}
		opts = append(opts, saslOpts...)
	}
	if o.TLS != nil {
		opts = append(opts, kfake.TLS(o.TLS)) // kfake wraps the listener in tls.NewListener
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	return &Broker{c: c, addr: ln.Addr().String(), dataDir: o.DataDir}, nil
}

// saslOptions enables SASL with the users as superusers. kfake's PLAIN check compares the
// password with its table's entry, which is "" for a name it does not know: an unknown user with
// an empty password would be let in. So ACLs are enabled too (kfake then denies every request of
// a user who is not a superuser, and there are no ACLs), and every user of another mechanism gets
// a PLAIN entry with a random password, so that its name cannot be taken over through PLAIN.
func saslOptions(users []SASLUser) ([]kfake.Opt, error) {
	opts := []kfake.Opt{kfake.EnableSASL(), kfake.EnableACLs()}
	plain := map[string]bool{}
	for _, u := range users {
		mech := strings.ToUpper(u.Mechanism)
		if mech == "PLAIN" {
			plain[u.User] = true
		}
		opts = append(opts, kfake.Superuser(mech, u.User, u.Password))
	}
	for _, u := range users {
		if plain[u.User] {
			continue
		}
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("embedded broker sasl: %w", err)
		}
		opts = append(opts, kfake.Superuser("PLAIN", u.User, hex.EncodeToString(b[:])))
		plain[u.User] = true
	}
	return opts, nil
}

func removeSASLFile(dir string) error {
	err := os.Remove(filepath.Join(dir, saslFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("embedded broker: remove persisted sasl users: %w", err)
	}
	return nil
}

// Addr is the broker's host:port.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker, saving its state when it has a data directory (but not its SASL
// users, which come from BrokerOptions on every start).
func (b *Broker) Close() {
	b.c.Close()
	if b.dataDir != "" {
		_ = removeSASLFile(b.dataDir)
	}
}
