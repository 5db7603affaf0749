package deploy

import (
	"bytes"
	"os/exec"
	"testing"
)

// TestChromiumScript checks that chromium.sh parses and answers --help.
func TestChromiumScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	if out, err := exec.Command("bash", "-n", "chromium.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n chromium.sh: %v\n%s", err, out)
	}
	out, err := exec.Command("bash", "chromium.sh", "--help").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("Usage:")) || !bytes.Contains(out, []byte("ECONFLOW_CHROMIUM")) {
		t.Errorf("bash chromium.sh --help: %v\n%s", err, out)
	}
	if err := exec.Command("bash", "chromium.sh", "nonsense").Run(); err == nil {
		t.Error("chromium.sh nonsense exited 0")
	}
}
