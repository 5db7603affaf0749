package kafka

import (
	"fmt"
	"net"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is the embedded Kafka-protocol broker for local use and tests: one node, on a
// loopback address, creating topics on first use. With a data directory its segments, offsets
// and groups persist across restarts; without one it keeps everything in memory.
type Broker struct {
	c    *kfake.Cluster
	addr string
}

// BrokerOptions configure StartBroker.
type BrokerOptions struct {
	// Listen is host:port; port 0 picks a free one. Default 127.0.0.1:9092.
	Listen string
	// DataDir persists the broker's state; empty keeps it in memory.
	DataDir string
	// Partitions is the partition count of auto-created topics. Default 3.
	Partitions int
}

// StartBroker starts the embedded broker.
func StartBroker(o BrokerOptions) (*Broker, error) {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:9092"
	}
	if o.Partitions <= 0 {
		o.Partitions = 3
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
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	return &Broker{c: c, addr: ln.Addr().String()}, nil
}

// Addr is the broker's host:port.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker, saving its state when it has a data directory.
func (b *Broker) Close() { b.c.Close() }
