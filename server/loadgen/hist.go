package main

import (
	"fmt"
	"math"
	"math/bits"
	"time"
)

// hist is a log-linear latency histogram of durations in nanoseconds:
// exact below 32 ns, then 32 equal buckets per power of two, so a
// reported percentile is at most 1/32 (3.2 %) above the true value and
// never below it. The zero value is empty and ready. Not safe for
// concurrent use: each goroutine keeps its own and they are merged.
type hist struct {
	counts [histBuckets]uint32
	n      uint64
	max    int64
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits // buckets per power of two
	histMaxExp  = 42               // values up to 2^42 ns (73 min) are kept apart
	histBuckets = histSub + (histMaxExp-histSubBits)*histSub
)

// histBucket maps a value to its bucket.
func histBucket(v int64) int {
	if v < histSub {
		return int(max(v, 0))
	}
	k := bits.Len64(uint64(v)) - 1 // v is in [2^k, 2^(k+1))
	if k >= histMaxExp {
		return histBuckets - 1
	}
	shift := k - histSubBits
	return histSub + shift*histSub + int(v>>shift) - histSub
}

// histUpper is the largest value that falls in bucket i.
func histUpper(i int) int64 {
	if i < histSub {
		return int64(i)
	}
	shift := (i - histSub) / histSub
	sub := int64((i - histSub) % histSub)
	low := (histSub + sub) << shift
	return low + 1<<shift - 1
}

// record adds one observation.
func (h *hist) record(d time.Duration) {
	v := int64(d)
	h.counts[histBucket(v)]++
	h.n++
	if v > h.max {
		h.max = v
	}
}

// merge adds o's observations to h.
func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// count is the number of observations.
func (h *hist) count() uint64 { return h.n }

// quantile returns the smallest bucket bound below which at least q of
// the observations fall (q in [0,1]); 0 for an empty histogram.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			return time.Duration(min(histUpper(i), h.max))
		}
	}
	return time.Duration(h.max)
}

// Max is the largest observation.
func (h *hist) Max() time.Duration { return time.Duration(h.max) }

// summary formats count, p50, p95, p99 and max.
func (h *hist) summary() string {
	if h.n == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s  (n=%d)",
		ms(h.quantile(0.50)), ms(h.quantile(0.95)), ms(h.quantile(0.99)), ms(h.Max()), h.n)
}

// ms formats a duration in milliseconds with three significant decimals.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.3gms", float64(d)/1e6)
}
