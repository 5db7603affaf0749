package testenv

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
)

// FaultBroker is an embedded broker configured like kafka.StartBroker (one node, topics
// created on first use with 3 partitions, in memory) whose requests a test can fail on purpose.
type FaultBroker struct {
	Addr    string
	cluster *kfake.Cluster
}

// EmbeddedFaultBroker starts a FaultBroker on a free loopback port; it is closed when the test
// ends.
func EmbeddedFaultBroker(t testing.TB) *FaultBroker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fault broker: listen: %v", err)
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.ListenFn(func(string, string) (net.Listener, error) { return ln, nil }),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(3),
		kfake.ClusterID("econflow-fault-broker"),
	)
	if err != nil {
		ln.Close()
		t.Fatalf("fault broker: %v", err)
	}
	t.Cleanup(c.Close)
	return &FaultBroker{Addr: ln.Addr().String(), cluster: c}
}

// MakeUnavailable makes topic unavailable until the returned function is called: every
// request naming it — metadata, produce, fetch — is answered with NOT_ENOUGH_REPLICAS for the
// topic or its partitions (a retriable error, as while its replicas are down).
func (b *FaultBroker) MakeUnavailable(topic string) (restore func()) {
	h := b.cluster.Fault(kfake.Fault{Topic: topic, Err: kerr.NotEnoughReplicas, Count: -1})
	return h.Remove
}

// FreeAddr returns a loopback host:port that was free a moment ago, for a server the test
// starts in another process.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// WaitKafka waits until a Kafka-protocol broker on addr answers ApiVersions and serves
// metadata, or fails the test after timeout.
func WaitKafka(t testing.TB, addr string, timeout time.Duration) {
	t.Helper()
	client := &kafkago.Client{Addr: kafkago.TCP(addr), Timeout: 3 * time.Second}
	WaitFor(t, timeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if _, err := client.ApiVersions(ctx, &kafkago.ApiVersionsRequest{}); err != nil {
			return false, fmt.Sprintf("broker %s: %v", addr, err)
		}
		if _, err := client.Metadata(ctx, &kafkago.MetadataRequest{}); err != nil {
			return false, fmt.Sprintf("broker %s metadata: %v", addr, err)
		}
		return true, ""
	})
}

// SetTopicConfig sets one config of topic on the broker at addr (IncrementalAlterConfigs SET),
// e.g. min.insync.replicas, to make a topic refuse writes and take them again.
func SetTopicConfig(t testing.TB, addr, topic, name, value string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(addr), Timeout: 15 * time.Second}
	resp, err := client.IncrementalAlterConfigs(ctx, &kafkago.IncrementalAlterConfigsRequest{
		Resources: []kafkago.IncrementalAlterConfigsRequestResource{{
			ResourceType: kafkago.ResourceTypeTopic, ResourceName: topic,
			Configs: []kafkago.IncrementalAlterConfigsRequestConfig{{Name: name, Value: value, ConfigOperation: kafkago.ConfigOperationSet}},
		}},
	})
	if err != nil {
		t.Fatalf("set %s=%s on %s: %v", name, value, topic, err)
	}
	for _, r := range resp.Resources {
		if r.Error != nil {
			t.Fatalf("set %s=%s on %s: %v", name, value, topic, r.Error)
		}
	}
	// The broker applies a topic's new configuration a moment after the controller took it:
	// wait until it describes the topic with the new value.
	WaitFor(t, 20*time.Second, func() (bool, string) {
		d, err := client.DescribeConfigs(ctx, &kafkago.DescribeConfigsRequest{Resources: []kafkago.DescribeConfigRequestResource{{
			ResourceType: kafkago.ResourceTypeTopic, ResourceName: topic, ConfigNames: []string{name}}}})
		if err != nil {
			return false, fmt.Sprintf("describe %s: %v", topic, err)
		}
		for _, r := range d.Resources {
			for _, e := range r.ConfigEntries {
				if e.ConfigName == name && e.ConfigValue == value {
					return true, ""
				}
			}
		}
		return false, fmt.Sprintf("%s does not show %s=%s yet", topic, name, value)
	})
}

// GroupState returns a consumer group's state (Empty, PreparingRebalance, CompletingRebalance,
// Stable, Dead) and how many members it has, as the group coordinator reports them.
func GroupState(t testing.TB, addr, group string) (state string, members int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(addr), Timeout: 15 * time.Second}
	resp, err := client.DescribeGroups(ctx, &kafkago.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil {
		t.Fatalf("describe group %s: %v", group, err)
	}
	for _, g := range resp.Groups {
		if g.Error != nil {
			t.Fatalf("describe group %s: %v", group, g.Error)
		}
		if g.GroupID == group {
			return g.GroupState, len(g.Members)
		}
	}
	return "", 0
}
