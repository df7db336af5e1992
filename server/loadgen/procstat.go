package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// procSample is what /proc says of a process at one moment.
type procSample struct {
	at  time.Time
	cpu time.Duration // user + system time so far
	rss int64         // resident set size, bytes
	// wait is how long the process's threads have been runnable but not
	// running so far (summed over threads alive now, from schedstat):
	// queueing for a CPU.
	wait time.Duration
}

// clockTick is the unit of /proc/<pid>/stat times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// readProc samples process pid ("self" for this one).
func readProc(pid string) (procSample, error) {
	s := procSample{at: time.Now()}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return s, fmt.Errorf("read cpu time: %w", err)
	}
	if s.cpu, err = parseStatCPU(stat); err != nil {
		return s, err
	}
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return s, fmt.Errorf("read rss: %w", err)
	}
	if s.rss, err = parseStatusRSS(status); err != nil {
		return s, err
	}
	s.wait = runQueueWait(pid)
	return s, nil
}

// runQueueWait sums the run-queue wait of a process's threads from
// /proc/<pid>/task/*/schedstat (0 where the kernel keeps no schedstats).
// Threads that ended in between are not counted; the Go runtime keeps
// its threads, so over a window the sum is close.
func runQueueWait(pid string) time.Duration {
	tasks, err := os.ReadDir("/proc/" + pid + "/task")
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + pid + "/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if w, err := parseSchedstatWait(b); err == nil {
			sum += w
		}
	}
	return sum
}

// parseSchedstatWait returns the second field of a schedstat line: time
// spent runnable on a run queue, waiting for a CPU, in nanoseconds.
func parseSchedstatWait(b []byte) (time.Duration, error) {
	f := bytes.Fields(b)
	if len(f) != 3 {
		return 0, fmt.Errorf("malformed schedstat %.40q", b)
	}
	w, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil || w < 0 {
		return 0, fmt.Errorf("malformed schedstat %.40q", b)
	}
	return time.Duration(w), nil
}

// parseStatCPU returns utime+stime from the contents of /proc/<pid>/stat.
func parseStatCPU(stat []byte) (time.Duration, error) {
	// The command name (field 2) may hold spaces; fields after it don't.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat %.40q", stat)
	}
	f := bytes.Fields(stat[i+1:])
	// f[0] is field 3 (state): utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat %.40q", stat)
	}
	u, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed cpu times in /proc stat %.40q", stat)
	}
	return time.Duration(u+s) * clockTick, nil
}

// parseStatusRSS returns VmRSS in bytes from the contents of /proc/<pid>/status.
func parseStatusRSS(status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(rest)
			if len(f) != 2 || string(f[1]) != "kB" {
				break
			}
			kb, err := strconv.ParseInt(string(f[0]), 10, 64)
			if err != nil {
				break
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc status")
}

// machineBusy returns the CPU time all processes have used so far, from
// /proc/stat (user, nice, system, irq, softirq, steal).
func machineBusy() (procSample, error) {
	s := procSample{at: time.Now()}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, fmt.Errorf("read /proc/stat: %w", err)
	}
	s.cpu, err = parseMachineBusy(b)
	return s, err
}

func parseMachineBusy(stat []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, fmt.Errorf("malformed /proc/stat %.40q", line)
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
		v, err := strconv.ParseInt(string(f[i]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc/stat %.40q", line)
		}
		busy += v
	}
	return time.Duration(busy) * clockTick, nil
}

// cpuShare is the CPU used between two samples as a fraction of one core.
func cpuShare(a, b procSample) float64 {
	wall := b.at.Sub(a.at)
	if wall <= 0 {
		return 0
	}
	return float64(b.cpu-a.cpu) / float64(wall)
}

// waitShare is the run-queue wait between two samples per second of
// wall time: 0.5 means the process's threads together spent half a
// second of every second ready to run but without a CPU.
func waitShare(a, b procSample) float64 {
	wall := b.at.Sub(a.at)
	if wall <= 0 || b.wait < a.wait {
		return 0
	}
	return float64(b.wait-a.wait) / float64(wall)
}

// mib formats bytes in MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
