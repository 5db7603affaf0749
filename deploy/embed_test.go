package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestEmbedded checks the embedded files are present and that the scripts parse and
// answer --help when written out of the repository, as the econflow binary does.
func TestEmbedded(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{"clickhouse.sh": ClickHouseScript, "kafka.sh": KafkaScript, "pom.xml": KafkaPOM}
	for name, b := range files {
		if len(b) == 0 {
			t.Fatalf("%s: embedded file is empty", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Contains(KafkaPOM, []byte("<artifactId>kafka_2.13</artifactId>")) {
		t.Error("pom.xml does not list org.apache.kafka:kafka_2.13")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	for _, name := range []string{"clickhouse.sh", "kafka.sh"} {
		p := filepath.Join(dir, name)
		if out, err := exec.Command("bash", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", name, err, out)
		}
		out, err := exec.Command("bash", p, "--help").CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("Usage:")) {
			t.Errorf("bash %s --help: %v\n%s", name, err, out)
		}
	}
	// kafka.sh must find pom.xml next to itself when ECONFLOW_KAFKA_POM is unset.
	cmd := exec.Command("bash", filepath.Join(dir, "kafka.sh"), "--help")
	cmd.Env = append(os.Environ(), "ECONFLOW_KAFKA_POM=")
	if out, _ := cmd.CombinedOutput(); !bytes.Contains(out, []byte(filepath.Join(dir, "pom.xml"))) {
		t.Errorf("kafka.sh --help does not show the pom next to the script:\n%s", out)
	}
}
