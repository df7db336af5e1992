//go:build !unix

package metrics

// cpuSeconds is not implemented on this platform; the metric is not exposed.
func cpuSeconds() (float64, bool) { return 0, false }
