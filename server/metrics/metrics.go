// Package metrics owns the server's Prometheus metrics: counters, gauges and
// histograms kept in a Registry and served in the Prometheus text exposition
// format 0.0.4 at /metrics.
//
// It is dependency-free on purpose (no prometheus client module). Recording a
// value (Inc, Add, Set, Observe) is lock-free and does not allocate; only
// registration, CounterVec.With and scraping take a lock. metrics must not know what the server measures: the server registers
// its own metrics on a Registry it creates and passes around; there is no
// default registry and no global state.
//
// Registering a name twice, an invalid name, or unsorted histogram buckets is
// a programming error and panics.
package metrics

import (
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// ContentType is the media type of the text exposition format 0.0.4.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// LatencyBuckets are histogram upper bounds, in seconds, suited to request
// latencies from 100µs to 2.5s.
var LatencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// metric is one registered metric family that can render itself.
type metric interface {
	appendText(b []byte) []byte
}

// Registry holds named metrics and renders them. All methods may be called
// concurrently.
type Registry struct {
	mu      sync.Mutex
	metrics map[string]metric
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{metrics: make(map[string]metric)}
}

func (r *Registry) register(name string, m metric) {
	if !validName(name, true) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.metrics[name]; dup {
		panic(fmt.Sprintf("metrics: metric %q registered twice", name))
	}
	r.metrics[name] = m
}

// Counter registers and returns a counter: a value that only goes up.
func (r *Registry) Counter(name, help string) *Counter {
	c := &Counter{}
	r.single(name, help, "counter", func(b []byte) []byte { return strconv.AppendUint(b, c.Value(), 10) })
	return c
}

// CounterVec registers and returns a family of counters partitioned by one
// label. Its label values must come from a small, bounded set (frame types,
// error codes), never from user input: every value is kept forever.
func (r *Registry) CounterVec(name, help, label string) *CounterVec {
	if !validName(label, false) || len(label) >= 2 && label[:2] == "__" {
		panic(fmt.Sprintf("metrics: invalid label name %q for %q", label, name))
	}
	v := &CounterVec{name: name, help: help, label: label, m: make(map[string]*Counter)}
	r.register(name, v)
	return v
}

// Gauge registers and returns a gauge: an integer that goes up and down.
func (r *Registry) Gauge(name, help string) *Gauge {
	g := &Gauge{}
	r.single(name, help, "gauge", func(b []byte) []byte { return strconv.AppendInt(b, g.Value(), 10) })
	return g
}

// GaugeFunc registers a gauge whose value is f(), called at every scrape.
// f must be safe for concurrent use and quick.
func (r *Registry) GaugeFunc(name, help string, f func() float64) {
	r.single(name, help, "gauge", func(b []byte) []byte { return appendFloat(b, f()) })
}

// Histogram registers and returns a histogram with the given upper bounds in
// seconds, strictly ascending (a +Inf bucket is always added; a trailing +Inf
// in buckets is dropped). Use LatencyBuckets for request latencies.
func (r *Registry) Histogram(name, help string, buckets []float64) *Histogram {
	upper := slices.Clone(buckets)
	if n := len(upper); n > 0 && math.IsInf(upper[n-1], 1) {
		upper = upper[:n-1]
	}
	les := make([]string, len(upper))
	for i, b := range upper {
		if math.IsNaN(b) || i > 0 && b <= upper[i-1] {
			panic(fmt.Sprintf("metrics: histogram %q buckets not strictly ascending: %v", name, buckets))
		}
		les[i] = string(appendFloat(nil, b))
	}
	h := &Histogram{name: name, help: help, upper: upper, les: les, counts: make([]atomic.Uint64, len(upper)+1)}
	r.register(name, h)
	return h
}

// WriteTo writes every metric, sorted by name, in the text format.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r.appendText(nil))
	if err != nil {
		return int64(n), fmt.Errorf("metrics: write exposition: %w", err)
	}
	return int64(n), nil
}

// Handler serves the registry's metrics to GET and HEAD requests.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		b := r.appendText(nil)
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if req.Method == http.MethodGet {
			_, _ = w.Write(b) // the scraper went away; nothing to do
		}
	})
}

func (r *Registry) appendText(b []byte) []byte {
	r.mu.Lock()
	names := slices.Sorted(maps.Keys(r.metrics))
	ms := make([]metric, len(names))
	for i, n := range names {
		ms[i] = r.metrics[n]
	}
	r.mu.Unlock()
	for _, m := range ms {
		b = m.appendText(b)
	}
	return b
}

// Counter is a monotonically increasing count. Its methods are lock-free.
type Counter struct{ v atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value returns the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }

// CounterVec is a family of counters with one label. Callers should cache the
// *Counter that With returns: With takes a mutex.
type CounterVec struct {
	name, help, label string
	mu                sync.Mutex
	m                 map[string]*Counter
}

// With returns the counter for labelValue, creating it on first use.
func (v *CounterVec) With(labelValue string) *Counter {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.m[labelValue]
	if !ok {
		c = &Counter{}
		v.m[labelValue] = c
	}
	return c
}

func (v *CounterVec) appendText(b []byte) []byte {
	b = appendHeader(b, v.name, v.help, "counter")
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, lv := range slices.Sorted(maps.Keys(v.m)) {
		b = appendLabel(append(b, v.name...), v.label, lv)
		b = append(strconv.AppendUint(append(b, ' '), v.m[lv].Value(), 10), '\n')
	}
	return b
}

// Gauge is an integer that goes up and down. Its methods are lock-free.
type Gauge struct{ v atomic.Int64 }

// Set sets the value.
func (g *Gauge) Set(v int64) { g.v.Store(v) }

// Add adds d, which may be negative.
func (g *Gauge) Add(d int64) { g.v.Add(d) }

// Inc adds one.
func (g *Gauge) Inc() { g.v.Add(1) }

// Dec subtracts one.
func (g *Gauge) Dec() { g.v.Add(-1) }

// Value returns the current value.
func (g *Gauge) Value() int64 { return g.v.Load() }

// single is a metric family with one unlabelled sample.
type single struct {
	name, help, typ string
	value           func(b []byte) []byte // appends the current value
}

func (r *Registry) single(name, help, typ string, value func(b []byte) []byte) {
	r.register(name, &single{name: name, help: help, typ: typ, value: value})
}

func (s *single) appendText(b []byte) []byte {
	b = appendHeader(b, s.name, s.help, s.typ)
	b = append(append(b, s.name...), ' ')
	return append(s.value(b), '\n')
}

// Histogram counts observations into buckets. Observe is lock-free. A scrape
// concurrent with observations may see a _sum that lags _count by the
// observations in flight; _count always equals the +Inf bucket.
type Histogram struct {
	name, help string
	upper      []float64       // bucket upper bounds, ascending
	les        []string        // upper formatted for the le label
	counts     []atomic.Uint64 // per bucket, not cumulative; last is +Inf
	sumBits    atomic.Uint64   // math.Float64bits of the sum
}

// Observe records one observation, in seconds. The bucket is found by a
// linear scan, which beats a binary search for the usual dozen buckets.
func (h *Histogram) Observe(seconds float64) {
	i := 0
	for i < len(h.upper) && !(seconds <= h.upper[i]) { // NaN lands in +Inf
		i++
	}
	h.counts[i].Add(1)
	for {
		old := h.sumBits.Load()
		if h.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+seconds)) {
			return
		}
	}
}

// ObserveDuration records d as seconds.
func (h *Histogram) ObserveDuration(d time.Duration) { h.Observe(d.Seconds()) }

// Count returns the number of observations.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

func (h *Histogram) appendText(b []byte) []byte {
	b = appendHeader(b, h.name, h.help, "histogram")
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		le := "+Inf"
		if i < len(h.les) {
			le = h.les[i]
		}
		b = append(append(b, h.name...), "_bucket"...)
		b = appendLabel(b, "le", le)
		b = append(b, ' ')
		b = append(strconv.AppendUint(b, cum, 10), '\n')
	}
	b = append(append(b, h.name...), "_sum "...)
	b = append(appendFloat(b, math.Float64frombits(h.sumBits.Load())), '\n')
	b = append(append(b, h.name...), "_count "...)
	return append(strconv.AppendUint(b, cum, 10), '\n')
}

// appendHeader writes the HELP and TYPE lines. HELP escapes \ and newline.
func appendHeader(b []byte, name, help, typ string) []byte {
	b = append(append(b, "# HELP "...), name...)
	b = append(b, ' ')
	for i := 0; i < len(help); i++ {
		switch c := help[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	b = append(append(b, "\n# TYPE "...), name...)
	return append(append(append(b, ' '), typ...), '\n')
}

// appendLabel writes {name="value"}, escaping \, " and newline, and replacing
// invalid UTF-8 with U+FFFD so the output stays valid.
func appendLabel(b []byte, name, value string) []byte {
	b = append(append(append(b, '{'), name...), `="`...)
	for _, r := range value {
		switch r {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, `"}`...)
}

// appendFloat renders v as Prometheus expects: shortest form, +Inf, -Inf, NaN.
func appendFloat(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'g', -1, 64) }

// validName reports whether s matches [a-zA-Z_:][a-zA-Z0-9_:]* for metric
// names (colon true) or [a-zA-Z_][a-zA-Z0-9_]* for label names.
func validName(s string, colon bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			colon && c == ':' || i > 0 && '0' <= c && c <= '9'
		if !ok {
			return false
		}
	}
	return s != ""
}
