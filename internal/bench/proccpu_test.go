package bench

import (
	"net"
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

// listeningInodes finds the socket of a listener by its port, in a sample table and in this
// process's own /proc/net/tcp; a connected socket on the same port is not a listener.
func TestListeningInodes(t *testing.T) {
	sample := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000   102        0 72921 1 0000000000000000 100 0 0 10 0
   1: 0100007F:2328 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   102        0 88888 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1131 1 0000000000000000 100 0 0 10 0`
	if got := listeningInodes(sample, 9000); len(got) != 1 || !got["72921"] {
		t.Errorf("listeners on 9000 = %v, want inode 72921", got)
	}
	if got := listeningInodes(sample, 9001); len(got) != 0 {
		t.Errorf("listeners on 9001 = %v", got)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Skip("no loopback listener:", err)
	}
	defer l.Close()
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skip("no /proc/net/tcp")
	}
	port := l.Addr().(*net.TCPAddr).Port
	inodes := listeningInodes(string(table), port)
	if len(inodes) != 1 {
		t.Fatalf("listeners on port %d: %v", port, inodes)
	}
	// The inode is one of this process's sockets (listenerPIDs leaves this process out).
	fds, _ := os.ReadDir("/proc/self/fd")
	found := false
	for _, fd := range fds {
		if link, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil {
			for inode := range inodes {
				found = found || link == "socket:["+inode+"]"
			}
		}
	}
	if !found {
		t.Errorf("no descriptor of this process is the socket %v", inodes)
	}
	if pids := listenerPIDs(port); len(pids) != 0 {
		t.Errorf("listenerPIDs(%d) = %v: this process's own listener counted", port, pids)
	}
}
