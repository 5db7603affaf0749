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
// found running on this machine.
func (r *run) localServices() []localService {
	var out []localService
	if u, err := url.Parse(r.dsn); err == nil && isLocalHost(u.Host) {
		if pids := localPIDs("clickhouse-server"); len(pids) > 0 {
			r.res.ServerCPUMeasured = true
			out = append(out, localService{name: "ClickHouse server", pids: pids, perM: &r.res.ServerCPUSecondsPerMillion})
		}
	}
	local := !r.o.Embedded && len(r.brokers) > 0
	for _, b := range r.brokers {
		local = local && isLocalHost(b)
	}
	if local {
		if pids := localPIDs("kafka.Kafka"); len(pids) > 0 {
			r.res.BrokerCPUMeasured = true
			out = append(out, localService{name: "Kafka broker", pids: pids, perM: &r.res.BrokerCPUSecondsPerMillion})
		}
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
