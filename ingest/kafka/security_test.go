package kafka

// Kafka security against the embedded broker: SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, the
// mechanisms kfake supports) and TLS. With the right credentials every client econflow uses —
// the Writer, the group Source and the admin calls — works; with a wrong password each fails
// within a bounded time, and neither its error nor its log holds the password.
//
// Run: go test ./ingest/kafka/ -run Security

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/econflow/econflow/ingest"
)

// secret returns a password unique to the test, easy to search for in errors and logs.
func secret(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "s3cret-" + hex.EncodeToString(b[:])
}

func startBroker(t *testing.T, o BrokerOptions) string {
	t.Helper()
	o.Listen = "127.0.0.1:0"
	b, err := StartBroker(o)
	if err != nil {
		t.Fatalf("start embedded broker: %v", err)
	}
	t.Cleanup(b.Close)
	return b.Addr()
}

// syncBuffer is a log destination safe for the reader's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// checkRoundTrip creates the topics, publishes one message with the Writer, fetches and commits
// it with a group Source and reads the end and committed offsets back, all with sec.
func checkRoundTrip(t *testing.T, addr string, sec Security) {
	t.Helper()
	brokers := []string{addr}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topic, dead, group := "econ.security.in", "econ.security.dead", "econflow-security"
	if err := EnsureTopics(ctx, brokers, sec, []string{topic, dead}, 1, 1); err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	w, err := NewWriter(WriterOptions{Brokers: brokers, Security: sec}, dead)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	defer w.Close()
	value := `{"kind":"fuel_price","source":"security-test"}`
	if err := w.Write(ctx, kafkago.Message{Topic: topic, Key: []byte("k"), Value: []byte(value)}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	end, err := EndOffsets(ctx, brokers, sec, []string{topic})
	if err != nil {
		t.Fatalf("EndOffsets: %v", err)
	}
	if end[topic][0] != 1 {
		t.Fatalf("EndOffsets = %v, want %s/0 at 1", end, topic)
	}
	logs := &syncBuffer{}
	src, err := NewSource(SourceOptions{Brokers: brokers, Group: group, Topics: []string{topic}, Security: sec,
		SessionTimeout: 6 * time.Second, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	defer src.Close()
	m, err := src.Fetch(ctx)
	if err != nil {
		t.Fatalf("Fetch: %v (reader log: %s)", err, logs.String())
	}
	if string(m.Value) != value || m.Topic != topic || m.Offset != 0 {
		t.Fatalf("fetched %s/%d@%d %q, want %s/0@0 %q", m.Topic, m.Partition, m.Offset, m.Value, topic, value)
	}
	if err := src.Commit(ctx, []ingest.Message{m}); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	committed, err := CommittedOffsets(ctx, brokers, sec, group, []string{topic})
	if err != nil {
		t.Fatalf("CommittedOffsets: %v", err)
	}
	if committed[topic][0] != 1 {
		t.Fatalf("CommittedOffsets = %v, want %s/0 at 1", committed, topic)
	}
}

// checkRefused runs every client with sec, which the broker must refuse, and checks that each
// fails within its bounded context without the password in its error or log.
func checkRefused(t *testing.T, addr string, sec Security, password string) {
	t.Helper()
	brokers := []string{addr}
	topic := "econ.security.in"
	noSecret := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s succeeded with credentials the broker must refuse", what)
		}
		if strings.Contains(err.Error(), password) {
			t.Fatalf("%s: the error holds the password: %v", what, err)
		}
		t.Logf("%s refused: %v", what, err)
	}
	bounded := func(what string, f func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancel()
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- f(ctx) }()
		select {
		case err := <-done:
			noSecret(what, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not return within 30s of an 8s deadline (started %v ago)", what, time.Since(start))
		}
	}
	bounded("EnsureTopics", func(ctx context.Context) error {
		return EnsureTopics(ctx, brokers, sec, []string{topic}, 1, 1)
	})
	bounded("EndOffsets", func(ctx context.Context) error {
		_, err := EndOffsets(ctx, brokers, sec, []string{topic})
		return err
	})
	bounded("CommittedOffsets", func(ctx context.Context) error {
		_, err := CommittedOffsets(ctx, brokers, sec, "econflow-security", []string{topic})
		return err
	})
	bounded("Writer.Write", func(ctx context.Context) error {
		w, err := NewWriter(WriterOptions{Brokers: brokers, Security: sec}, "econ.security.dead")
		if err != nil {
			return err
		}
		defer w.Close()
		return w.Write(ctx, kafkago.Message{Topic: topic, Value: []byte(`{}`)})
	})
	logs := &syncBuffer{}
	bounded("Source.Fetch", func(ctx context.Context) error {
		src, err := NewSource(SourceOptions{Brokers: brokers, Group: "econflow-security-refused", Topics: []string{topic},
			Security: sec, SessionTimeout: 6 * time.Second, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = src.Fetch(ctx)
		return err
	})
	if strings.Contains(logs.String(), password) {
		t.Fatalf("the reader's log holds the password:\n%s", logs.String())
	}
	if logs.String() == "" {
		t.Fatalf("the refused reader logged nothing: its failures must be visible (without the password)")
	}
}

func TestSecuritySASLMechanisms(t *testing.T) {
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			password := secret(t)
			user := "econflow-" + strings.ToLower(mech)
			addr := startBroker(t, BrokerOptions{SASL: []SASLUser{{Mechanism: mech, User: user, Password: password}}})
			good := Security{SASLMechanism: mech, Username: user, Password: password}
			checkRoundTrip(t, addr, good)

			t.Run("wrong password", func(t *testing.T) {
				bad := good
				bad.Password = password + "-wrong"
				checkRefused(t, addr, bad, password)
			})
			t.Run("unknown user", func(t *testing.T) {
				checkRefused(t, addr, Security{SASLMechanism: mech, Username: "nobody", Password: password}, password)
			})
			t.Run("no SASL", func(t *testing.T) {
				checkRefused(t, addr, Security{}, password)
			})
		})
	}
	t.Run("user of another mechanism", func(t *testing.T) {
		password := secret(t)
		addr := startBroker(t, BrokerOptions{SASL: []SASLUser{{Mechanism: "SCRAM-SHA-512", User: "econflow", Password: password}}})
		checkRefused(t, addr, Security{SASLMechanism: "SCRAM-SHA-256", Username: "econflow", Password: password}, password)
		checkRefused(t, addr, Security{SASLMechanism: "PLAIN", Username: "econflow", Password: password}, password)
	})
}

// kfake lets a PLAIN user it does not know in with an empty password; StartBroker must not:
// neither for an unknown name nor for the name of a user of another mechanism.
func TestSecurityPLAINEmptyPasswordRefused(t *testing.T) {
	password := secret(t)
	addr := startBroker(t, BrokerOptions{SASL: []SASLUser{{Mechanism: "PLAIN", User: "econflow", Password: password},
		{Mechanism: "SCRAM-SHA-256", User: "scram-only", Password: password}}})
	checkRoundTrip(t, addr, Security{SASLMechanism: "PLAIN", Username: "econflow", Password: password})
	{
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		_, err := EndOffsets(ctx, []string{addr}, Security{SASLMechanism: "SCRAM-SHA-256", Username: "scram-only", Password: password}, []string{"econ.security.in"})
		cancel()
		if err != nil {
			t.Fatalf("the SCRAM user beside a PLAIN one: %v", err)
		}
	}
	for _, user := range []string{"intruder", "scram-only", ""} {
		sec := Security{SASLMechanism: "PLAIN", Username: user}
		brokers := []string{addr}
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		if err := EnsureTopics(ctx, brokers, sec, []string{"econ.security.intruder"}, 1, 1); err == nil {
			t.Errorf("PLAIN user %q with an empty password created a topic", user)
		}
		w, err := NewWriter(WriterOptions{Brokers: brokers, Security: sec}, "econ.security.dead")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(ctx, kafkago.Message{Topic: "econ.security.in", Value: []byte(`{}`)}); err == nil {
			t.Errorf("PLAIN user %q with an empty password published", user)
		}
		w.Close()
		if end, err := EndOffsets(ctx, brokers, sec, []string{"econ.security.in"}); err == nil && len(end["econ.security.in"]) > 0 {
			t.Errorf("PLAIN user %q with an empty password read the end offsets: %v", user, end)
		}
		cancel()
	}
	// The topic of the round trip still holds only the message published with the right
	// credentials.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	end, err := EndOffsets(ctx, []string{addr}, Security{SASLMechanism: "PLAIN", Username: "econflow", Password: password}, []string{"econ.security.in"})
	if err != nil || end["econ.security.in"][0] != 1 {
		t.Fatalf("EndOffsets = %v, %v; want econ.security.in/0 at 1", end, err)
	}
}

func TestSecurityBrokerOptionsValidated(t *testing.T) {
	for _, u := range []SASLUser{{Mechanism: "GSSAPI", User: "u", Password: "p"}, {Mechanism: "PLAIN", Password: "p"},
		{Mechanism: "SCRAM-SHA-256", User: "u"}} {
		if _, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", SASL: []SASLUser{u}}); err == nil {
			t.Errorf("StartBroker accepted SASL user %+v", u)
		} else if u.Password != "" && strings.Contains(err.Error(), u.Password) {
			t.Errorf("error holds the password: %v", err)
		}
	}
	if _, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", TLS: &tls.Config{}}); err == nil {
		t.Error("StartBroker accepted a TLS configuration without a certificate")
	}
}

// With a data directory the SASL users are those of each start: kfake would otherwise persist
// them (PLAIN passwords in clear text) and bring the old ones back after a restart.
func TestSecuritySASLUsersNotPersisted(t *testing.T) {
	dir := t.TempDir()
	old, cur := secret(t), secret(t)
	b, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", DataDir: dir, SASL: []SASLUser{{Mechanism: "PLAIN", User: "econflow", Password: old}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := EnsureTopics(ctx, []string{b.Addr()}, Security{SASLMechanism: "PLAIN", Username: "econflow", Password: old}, []string{"econ.security.in"}, 1, 1); err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	b.Close()
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error { //nolint:errcheck // walk errors fail below
		if err != nil || d.IsDir() {
			return err
		}
		data, rerr := os.ReadFile(path)
		if rerr == nil && bytes.Contains(data, []byte(old)) {
			t.Errorf("%s holds the SASL password after Close", path)
		}
		return nil
	})
	addr := startBroker(t, BrokerOptions{DataDir: dir, SASL: []SASLUser{{Mechanism: "PLAIN", User: "econflow", Password: cur}}})
	checkRefused(t, addr, Security{SASLMechanism: "PLAIN", Username: "econflow", Password: old}, old)
	end, err := EndOffsets(ctx, []string{addr}, Security{SASLMechanism: "PLAIN", Username: "econflow", Password: cur}, []string{"econ.security.in"})
	if err != nil {
		t.Fatalf("EndOffsets with the new password: %v", err)
	}
	if _, ok := end["econ.security.in"]; !ok {
		t.Fatalf("the topic created before the restart is gone: %v", end)
	}
}

// testPKI is a self-signed CA and a server certificate it signed for 127.0.0.1 and localhost.
type testPKI struct {
	caFile string
	server tls.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "econflow test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames: []string{"localhost"}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return testPKI{caFile: caFile, server: tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}}
}

func TestSecurityTLS(t *testing.T) {
	pki := newTestPKI(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{pki.server}, MinVersion: tls.VersionTLS12}

	t.Run("TLS only", func(t *testing.T) {
		addr := startBroker(t, BrokerOptions{TLS: serverTLS})
		checkRoundTrip(t, addr, Security{TLS: true, CAFile: pki.caFile})
		t.Run("plaintext client", func(t *testing.T) {
			checkRefused(t, addr, Security{}, "no-password")
		})
		t.Run("CA not trusted", func(t *testing.T) {
			// The system roots do not hold the test CA: verification fails.
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
			defer cancel()
			_, err := EndOffsets(ctx, []string{addr}, Security{TLS: true}, []string{"econ.security.in"})
			var unknown x509.UnknownAuthorityError
			if err == nil || (!errors.As(err, &unknown) && !strings.Contains(err.Error(), "certificate")) {
				t.Fatalf("EndOffsets without the CA = %v, want a certificate verification error", err)
			}
		})
	})

	t.Run("TLS and SCRAM-SHA-512", func(t *testing.T) {
		password := secret(t)
		addr := startBroker(t, BrokerOptions{TLS: serverTLS, SASL: []SASLUser{{Mechanism: "SCRAM-SHA-512", User: "econflow", Password: password}}})
		good := Security{SASLMechanism: "SCRAM-SHA-512", Username: "econflow", Password: password, TLS: true, CAFile: pki.caFile}
		checkRoundTrip(t, addr, good)
		bad := good
		bad.Password = "wrong-" + password
		checkRefused(t, addr, bad, password)
	})

	t.Run("CA file", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "empty.pem")
		if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, sec := range []Security{{TLS: true, CAFile: empty}, {TLS: true, CAFile: filepath.Join(t.TempDir(), "missing.pem")}} {
			if _, err := NewWriter(WriterOptions{Brokers: []string{"127.0.0.1:9"}, Security: sec}, "dead"); err == nil {
				t.Errorf("NewWriter accepted CA file %s", sec.CAFile)
			}
			if _, err := NewSource(SourceOptions{Brokers: []string{"127.0.0.1:9"}, Group: "g", Topics: []string{"t"}, Security: sec}); err == nil {
				t.Errorf("NewSource accepted CA file %s", sec.CAFile)
			}
		}
		if err := (Security{CAFile: empty}).Validate(); err == nil {
			t.Error("Validate accepted a CA file with TLS off")
		}
	})
}
