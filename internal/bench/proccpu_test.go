package bench

import (
	"os"
	"testing"
	"time"
)

func TestStatCPU(t *testing.T) {
	// A command name with spaces and parentheses; utime 250 and stime 50 ticks.
	stat := "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 30 0 100 0 0"
	d, ok := statCPU(stat)
	if !ok || d != 3*time.Second {
		t.Fatalf("statCPU = %v, %v; want 3s", d, ok)
	}
	if _, ok := statCPU("garbage"); ok {
		t.Fatal("statCPU accepted a line without fields")
	}
	if pids := localPIDs("no-such-process-\x00-marker"); len(pids) != 0 {
		t.Fatalf("localPIDs of no process = %v", pids)
	}
	if _, n := pidsCPU([]int{os.Getpid()}); n != 1 {
		t.Fatalf("pidsCPU read %d of 1 running process", n)
	}
	if d, n := pidsCPU([]int{1 << 30}); n != 0 || d != 0 {
		t.Fatalf("pidsCPU of no process = %v over %d", d, n)
	}
	for host, want := range map[string]bool{"127.0.0.1:9000": true, "localhost:19092": true, "[::1]:9000": true,
		"10.0.0.5:9000": false, "ch.example.com:9440": false, "127.0.0.1": true} {
		if got := isLocalHost(host); got != want {
			t.Errorf("isLocalHost(%q) = %v", host, got)
		}
	}
}
