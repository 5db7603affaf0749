package testenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	kafkago "github.com/segmentio/kafka-go"
)

// Environment of the tests on a real cluster, the one `bash deploy/cluster.sh start` runs.
const (
	EnvTestCluster        = "ECONFLOW_TEST_CLUSTER"         // "1": run the cluster tests; unset: skip them
	EnvTestClusterNodes   = "ECONFLOW_TEST_CLUSTER_NODES"   // native host:port of every node; default cluster.sh's 127.0.0.1:9101-9104
	EnvTestClusterName    = "ECONFLOW_TEST_CLUSTER_NAME"    // the cluster's name in remote_servers; default econflow
	EnvTestClusterBrokers = "ECONFLOW_TEST_CLUSTER_BROKERS" // the Kafka cluster's brokers; default cluster.sh's 127.0.0.1:29092-29094
)

// ClusterNode is one ClickHouse server of the test cluster: its name in deploy/cluster.sh
// (ch-s1-r1 …), its native address and its macros.
type ClusterNode struct {
	Name, Addr, Shard, Replica string
}

// TestCluster is the ClickHouse cluster and the Kafka cluster of deploy/cluster.sh.
type TestCluster struct {
	Name    string
	Nodes   []ClusterNode
	Brokers []string
}

// Cluster returns the running test cluster. The cluster tests are opt-in: without
// ECONFLOW_TEST_CLUSTER=1 the test skips; with it, a node or broker that does not answer fails
// it.
func Cluster(t testing.TB) TestCluster {
	t.Helper()
	if os.Getenv(EnvTestCluster) != "1" {
		t.Skipf("%s is not 1: start the cluster with `bash deploy/cluster.sh start` and set %s=1 (or run `make cluster-test`)", EnvTestCluster, EnvTestCluster)
	}
	c := TestCluster{Name: "econflow", Brokers: []string{"127.0.0.1:29092", "127.0.0.1:29093", "127.0.0.1:29094"}}
	addrs := []string{"127.0.0.1:9101", "127.0.0.1:9102", "127.0.0.1:9103", "127.0.0.1:9104"}
	if v := os.Getenv(EnvTestClusterNodes); v != "" {
		addrs = strings.Split(v, ",")
	}
	if v := os.Getenv(EnvTestClusterName); v != "" {
		c.Name = v
	}
	if v := os.Getenv(EnvTestClusterBrokers); v != "" {
		c.Brokers = strings.Split(v, ",")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, addr := range addrs {
		addr = strings.TrimSpace(addr)
		conn, err := ch.Open(&ch.Options{Addr: []string{addr}, DialTimeout: 5 * time.Second})
		if err == nil {
			err = conn.Ping(ctx)
		}
		if err != nil {
			t.Fatalf("%s=1 but the cluster node %s does not answer (bash deploy/cluster.sh start): %v", EnvTestCluster, addr, err)
		}
		n := ClusterNode{Addr: addr}
		err = conn.QueryRow(ctx, "SELECT anyIf(substitution, macro = 'shard'), anyIf(substitution, macro = 'replica') FROM system.macros").Scan(&n.Shard, &n.Replica)
		conn.Close()
		if err != nil {
			t.Fatalf("cluster node %s: macros: %v", addr, err)
		}
		n.Name = n.Replica // cluster.sh names each replica after its node
		c.Nodes = append(c.Nodes, n)
	}
	for _, b := range c.Brokers {
		client := &kafkago.Client{Addr: kafkago.TCP(b), Timeout: 10 * time.Second}
		if _, err := client.ApiVersions(ctx, &kafkago.ApiVersionsRequest{}); err != nil {
			t.Fatalf("%s=1 but the cluster broker %s does not answer (bash deploy/cluster.sh start): %v", EnvTestCluster, b, err)
		}
	}
	return c
}

// DSN returns a DSN naming database db on the given nodes (all of them when none are given):
// the driver connects to the first that answers.
func (c TestCluster) DSN(db string, nodes ...ClusterNode) string {
	if len(nodes) == 0 {
		nodes = c.Nodes
	}
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.Addr
	}
	return "clickhouse://" + strings.Join(addrs, ",") + "/" + db
}

// Shard returns the nodes of shard s ("1", "2").
func (c TestCluster) Shard(s string) []ClusterNode {
	var out []ClusterNode
	for _, n := range c.Nodes {
		if n.Shard == s {
			out = append(out, n)
		}
	}
	return out
}

// DropDatabaseAtEnd drops db ON CLUSTER when the test ends (through the first node).
func (c TestCluster) DropDatabaseAtEnd(t testing.TB, db string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		conn, err := ch.Open(&ch.Options{Addr: []string{c.Nodes[0].Addr}, DialTimeout: 5 * time.Second})
		if err == nil {
			err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" ON CLUSTER "+c.Name)
			conn.Close()
		}
		if err != nil {
			t.Errorf("drop database %s on cluster %s: %v", db, c.Name, err)
		}
	})
}

// ClusterScript runs `bash deploy/cluster.sh args…` (stop-node, start-node …) and fails the
// test if it fails.
func ClusterScript(t testing.TB, args ...string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "deploy", "cluster.sh")
	start := time.Now()
	out, err := exec.Command("bash", append([]string{script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("cluster.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("cluster.sh %s (%.1fs): %s", strings.Join(args, " "), time.Since(start).Seconds(), strings.TrimSpace(string(out)))
}
