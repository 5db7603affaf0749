package bench

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100 on Linux.
const clockTicks = 100

// localPIDs returns the processes on this machine, other than this one, whose command line
// contains marker. It reads /proc (Linux); elsewhere it finds none. The bench uses it to find a
// local ClickHouse server and Kafka broker, whose CPU it reports during the drain next to its own.
func localPIDs(marker string) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	var pids []int
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil || pid == self {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || !bytes.Contains(cmd, []byte(marker)) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// pidsCPU returns the CPU time (user + system) used so far by the processes pids, and how many
// of them it could read. It reads only their /proc/<pid>/stat, so the drain's polls can call it
// often.
func pidsCPU(pids []int) (time.Duration, int) {
	var total time.Duration
	n := 0
	for _, pid := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		if d, ok := statCPU(string(stat)); ok {
			total += d
			n++
		}
	}
	return total, n
}

// statCPU reads utime + stime from the text of /proc/<pid>/stat. The command name (field 2) is
// in parentheses and may hold spaces, so fields are counted from the last ')'.
func statCPU(stat string) (time.Duration, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state); utime is field 14, stime 15
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * time.Second / clockTicks, true
}

// isLocalHost reports whether host (host or host:port) is this machine's loopback.
func isLocalHost(host string) bool {
	h := host
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		h = host[:i]
	}
	h = strings.Trim(h, "[]")
	return h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
}

// localService is a server process on this machine whose CPU the drain reports.
type localService struct {
	name string
	pids []int // its processes, found as the drain starts
	perM *float64
	cpu0 time.Duration
}

// localServices lists the local ClickHouse server and Apache Kafka broker of the run, the ones
// found running on this machine: the processes listening on the DSN's and the brokers' ports,
// or, when those cannot be found, every process whose command line names the service.
func (r *run) localServices() []localService {
	var out []localService
	if u, err := url.Parse(r.dsn); err == nil && isLocalHost(u.Host) {
		if pids := servicePIDs(u.Port(), "clickhouse-server"); len(pids) > 0 {
			r.res.ServerCPUMeasured = true
			out = append(out, localService{name: "ClickHouse server", pids: pids, perM: &r.res.ServerCPUSecondsPerMillion})
		}
	}
	local := !r.o.Embedded && len(r.brokers) > 0
	for _, b := range r.brokers {
		local = local && isLocalHost(b)
	}
	if local {
		var pids []int
		for _, b := range r.brokers {
			_, port, _ := strings.Cut(b, ":")
			pids = append(pids, servicePIDs(port, "kafka.Kafka")...)
		}
		if len(pids) > 0 {
			r.res.BrokerCPUMeasured = true
			out = append(out, localService{name: "Kafka broker", pids: pids, perM: &r.res.BrokerCPUSecondsPerMillion})
		}
	}
	return out
}

// servicePIDs returns the processes listening on port (several servers of one kind may run on
// this machine), else those whose command line contains marker.
func servicePIDs(port, marker string) []int {
	if p, err := strconv.Atoi(port); err == nil {
		if pids := listenerPIDs(p); len(pids) > 0 {
			return pids
		}
	}
	return localPIDs(marker)
}

// listenerPIDs returns the processes holding a TCP socket that listens on port, from
// /proc/net/tcp{,6} and the processes' file descriptors (Linux; readable for other users'
// processes only with the rights to). It finds none elsewhere.
func listenerPIDs(port int) []int {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for k, i := range listeningInodes(string(b), port) {
			inodes[k] = i
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	var pids []int
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil || pid == self {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join(dir, "fd"))
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
			if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok && inodes[strings.TrimSuffix(inode, "]")] {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// listeningInodes returns the socket inodes of the lines of a /proc/net/tcp table that listen
// (state 0A) on port.
func listeningInodes(table string, port int) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "0A" {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if p, err := strconv.ParseUint(hexPort, 16, 16); !ok || err != nil || int(p) != port {
			continue
		}
		out[f[9]] = true
	}
	return out
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMB reads VmHWM from /proc/self/status, in MB (10^6 bytes).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) >= 1 {
				kb, err := strconv.ParseFloat(f[0], 64)
				if err == nil {
					return kb * 1024 / 1e6
				}
			}
		}
	}
	return 0
}
