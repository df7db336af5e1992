package metrics

import (
	"bytes"
	"math"
	"os"
	"runtime"
	rtmetrics "runtime/metrics"
	"strconv"
)

// RegisterRuntime adds the standard process and Go runtime metrics, all read
// lazily at scrape time: go_goroutines, go_memstats_heap_alloc_bytes,
// process_cpu_seconds_total (Unix only) and process_resident_memory_bytes
// (Linux only). A value that cannot be read at scrape time is NaN.
func (r *Registry) RegisterRuntime() {
	r.GaugeFunc("go_goroutines", "Number of goroutines that currently exist.",
		func() float64 { return float64(runtime.NumGoroutine()) })
	r.GaugeFunc("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and still in use.", heapAllocBytes)
	if _, ok := cpuSeconds(); ok {
		r.single("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter",
			func(b []byte) []byte {
				s, ok := cpuSeconds()
				if !ok {
					s = math.NaN()
				}
				return appendFloat(b, s)
			})
	}
	if runtime.GOOS == "linux" {
		r.GaugeFunc("process_resident_memory_bytes", "Resident memory size in bytes.", residentBytes)
	}
}

// heapAllocBytes is the runtime/metrics equivalent of MemStats.HeapAlloc,
// read without stopping the world.
func heapAllocBytes() float64 {
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindUint64 {
		return math.NaN()
	}
	return float64(s[0].Value.Uint64())
}

// residentBytes reads the resident set size, in pages, from the second field
// of /proc/self/statm.
func residentBytes() float64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return math.NaN()
	}
	fields := bytes.Fields(data)
	if len(fields) < 2 {
		return math.NaN()
	}
	pages, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		return math.NaN()
	}
	return float64(pages) * float64(os.Getpagesize())
}
