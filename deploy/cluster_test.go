package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

func runClusterScript(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	cmd := exec.Command("bash", append([]string{"cluster.sh"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cluster.sh parses, documents every node, rejects what it does not know, and its addresses
// never take the single-node services' ports (ClickHouse 9000/8123/9009, Kafka 19092/19093,
// the fault tests' ClickHouse 19000) nor one another's.
func TestClusterScript(t *testing.T) {
	if out, err := exec.Command("bash", "-n", "cluster.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n cluster.sh: %v\n%s", err, out)
	}
	help, err := runClusterScript(t, nil, "--help")
	if err != nil || !strings.Contains(help, "Usage:") {
		t.Fatalf("cluster.sh --help: %v\n%s", err, help)
	}
	for _, node := range []string{"zookeeper", "ch-s1-r1", "ch-s1-r2", "ch-s2-r1", "ch-s2-r2", "kafka-1", "kafka-2", "kafka-3"} {
		if !strings.Contains(help, node) {
			t.Errorf("--help does not mention node %s", node)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"restart"}, "Usage:"},
		{"node command without a node", []string{"stop-node"}, "Usage:"},
		{"unknown node", []string{"stop-node", "ch-s3-r1"}, "unknown node 'ch-s3-r1'"},
		{"unknown node to start", []string{"start-node", "kafka-4"}, "unknown node 'kafka-4'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runClusterScript(t, []string{"ECONFLOW_CLUSTER_DIR=" + t.TempDir()}, tc.args...)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Errorf("cluster.sh %v: %v, want a failure saying %q:\n%s", tc.args, err, tc.want, out)
			}
		})
	}

	taken := map[string]string{"9000": "single-node ClickHouse", "8123": "single-node ClickHouse HTTP",
		"9009": "single-node ClickHouse interserver", "19092": "single-node Kafka", "19093": "single-node Kafka controller",
		"19000": "the fault tests' ClickHouse", "9092": "the embedded broker's default", "8080": "econflow serve's default",
		"9464": "econflow consume's metrics in the docs"}
	ports := regexp.MustCompile(`\b(\d{4,5})\b`).FindAllString(help, -1)
	if len(ports) < 8 {
		t.Fatalf("--help lists %d ports: %v", len(ports), ports)
	}
	seen := map[string]bool{}
	for _, p := range ports {
		if who, ok := taken[p]; ok {
			t.Errorf("cluster.sh uses port %s, which %s uses", p, who)
		}
		seen[p] = true
	}
	// Every node's own ports: 1 ZooKeeper, 4 × 3 ClickHouse, 3 × 2 Kafka, all distinct.
	env, err := runClusterScript(t, nil, "env")
	if err != nil {
		t.Fatalf("cluster.sh env: %v\n%s", err, env)
	}
	for _, want := range []string{
		"ECONFLOW_CLUSTER_NAME=econflow",
		"ECONFLOW_CLUSTER_CLICKHOUSE_NODES=127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103,127.0.0.1:9104",
		"ECONFLOW_CLUSTER_BROKERS=127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094",
		"ECONFLOW_CLUSTER_ZOOKEEPER=127.0.0.1:12181",
	} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("cluster.sh env lacks %s:\n%s", want, env)
		}
	}
	for _, p := range []string{"12181", "9101", "9102", "9103", "9104", "8201", "8202", "8203", "8204", "9201", "9202", "9203", "9204",
		"29092", "29093", "29094", "29192", "29193", "29194"} {
		if !seen[p] {
			t.Errorf("--help does not show port %s", p)
		}
	}
	// Port bases move every node.
	moved, err := runClusterScript(t, []string{"CLUSTER_CH_TCP_BASE=9300", "CLUSTER_KAFKA_BASE=39091", "ECONFLOW_CLUSTER_NAME=c2"}, "env")
	if err != nil || !strings.Contains(moved, "127.0.0.1:9301,127.0.0.1:9302,127.0.0.1:9303,127.0.0.1:9304") ||
		!strings.Contains(moved, "127.0.0.1:39092,127.0.0.1:39093,127.0.0.1:39094") || !strings.Contains(moved, "ECONFLOW_CLUSTER_NAME=c2") {
		t.Errorf("cluster.sh env with other bases: %v\n%s", err, moved)
	}
}

// With the cluster running (ECONFLOW_TEST_CLUSTER=1 after `bash deploy/cluster.sh start`),
// status reports all eight nodes serving. Tests of other packages may be creating or dropping
// replicated tables meanwhile, during which a server's tables are briefly not all attached:
// status is asked again until it reports the cluster serving, for up to a minute.
func TestClusterScriptStatusOnRunningCluster(t *testing.T) {
	if os.Getenv("ECONFLOW_TEST_CLUSTER") != "1" {
		t.Skip("ECONFLOW_TEST_CLUSTER is not 1: start the cluster with `bash deploy/cluster.sh start` and set it to run this test")
	}
	var out string
	var err error
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		if out, err = runClusterScript(t, nil, "status"); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("cluster.sh status: %v\n%s", err, out)
	}
	if n := strings.Count(out, " serving "); n != 8 {
		t.Errorf("%d nodes serving, want 8:\n%s", n, out)
	}
	if !regexp.MustCompile(`(?m)^total RSS \d+ MB$`).MatchString(out) {
		t.Errorf("status does not report the total RSS:\n%s", out)
	}
	t.Logf("\n%s", out)
}
