package metrics

import (
	"bufio"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestExpositionListsEveryKindSortedByName(t *testing.T) {
	r := NewRegistry()
	h := r.Histogram("parley_request_seconds", "Request latency.", []float64{0.01, 0.1, 1})
	frames := r.CounterVec("parley_frames_total", "Frames received by type.", "type")
	conns := r.Gauge("parley_connections", "Open WebSocket connections.")
	sent := r.Counter("parley_messages_total", "Messages stored.")
	r.GaugeFunc("parley_uptime_seconds", "Seconds since start.", func() float64 { return 1.5 })

	sent.Add(41)
	sent.Inc()
	conns.Set(10)
	conns.Add(-3)
	conns.Inc()
	conns.Dec()
	frames.With("send").Add(3)
	frames.With("auth").Inc()
	h.Observe(0.005)
	h.ObserveDuration(50 * time.Millisecond)
	h.Observe(3)

	want := `# HELP parley_connections Open WebSocket connections.
# TYPE parley_connections gauge
parley_connections 7
# HELP parley_frames_total Frames received by type.
# TYPE parley_frames_total counter
parley_frames_total{type="auth"} 1
parley_frames_total{type="send"} 3
# HELP parley_messages_total Messages stored.
# TYPE parley_messages_total counter
parley_messages_total 42
# HELP parley_request_seconds Request latency.
# TYPE parley_request_seconds histogram
parley_request_seconds_bucket{le="0.01"} 1
parley_request_seconds_bucket{le="0.1"} 2
parley_request_seconds_bucket{le="1"} 2
parley_request_seconds_bucket{le="+Inf"} 3
parley_request_seconds_sum 3.055
parley_request_seconds_count 3
# HELP parley_uptime_seconds Seconds since start.
# TYPE parley_uptime_seconds gauge
parley_uptime_seconds 1.5
`
	var sb strings.Builder
	n, err := r.WriteTo(&sb)
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if got := sb.String(); got != want {
		t.Errorf("exposition:\n%s\nwant:\n%s", got, want)
	}
	if n != int64(sb.Len()) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, sb.Len())
	}
	e := parse(t, sb.String())
	if got := e.types["parley_request_seconds"]; got != "histogram" {
		t.Errorf("parsed type of parley_request_seconds = %q", got)
	}
	if got := e.value(t, "parley_frames_total", "type", "send"); got != 3 {
		t.Errorf("parsed send frames = %v, want 3", got)
	}
}

func TestHistogramBucketsAreCumulativeAndUpperBoundInclusive(t *testing.T) {
	r := NewRegistry()
	h := r.Histogram("lat_seconds", "", []float64{0.1, 0.5, 1, math.Inf(1)})
	for _, v := range []float64{0.05, 0.1, 0.3, 0.5, 0.7, 1, 2, 100} {
		h.Observe(v)
	}
	h.ObserveDuration(250 * time.Millisecond)

	e := parse(t, scrape(t, r))
	want := map[string]float64{"0.1": 2, "0.5": 5, "1": 7, "+Inf": 9}
	for le, n := range want {
		if got := e.value(t, "lat_seconds_bucket", "le", le); got != n {
			t.Errorf("bucket le=%s = %v, want %v", le, got, n)
		}
	}
	if got := len(e.samples); got != len(want)+2 {
		t.Errorf("%d samples, want %d buckets (trailing +Inf not doubled) plus _sum and _count", got, len(want)+2)
	}
	if got := e.value(t, "lat_seconds_count", "", ""); got != 9 {
		t.Errorf("_count = %v, want 9", got)
	}
	if got := e.value(t, "lat_seconds_sum", "", ""); math.Abs(got-104.9) > 1e-9 {
		t.Errorf("_sum = %v, want 104.9", got)
	}
	if got := h.Count(); got != 9 {
		t.Errorf("Count() = %d, want 9", got)
	}
}

func TestHistogramPutsNaNInInfBucket(t *testing.T) {
	r := NewRegistry()
	h := r.Histogram("x_seconds", "", []float64{1})
	h.Observe(math.NaN())
	e := parse(t, scrape(t, r))
	if got := e.value(t, "x_seconds_bucket", "le", "1"); got != 0 {
		t.Errorf("le=1 bucket = %v, want 0", got)
	}
	if got := e.value(t, "x_seconds_bucket", "le", "+Inf"); got != 1 {
		t.Errorf("+Inf bucket = %v, want 1", got)
	}
	if got := e.value(t, "x_seconds_sum", "", ""); !math.IsNaN(got) {
		t.Errorf("_sum = %v, want NaN", got)
	}
}

func TestLabelValuesAndHelpAreEscaped(t *testing.T) {
	r := NewRegistry()
	v := r.CounterVec("odd_total", "first line\nback\\slash \"quoted\"", "reason")
	v.With("a\\b\"c\nd\xffe").Inc()

	out := scrape(t, r)
	for _, line := range []string{
		`# HELP odd_total first line\nback\\slash "quoted"`,
		`odd_total{reason="a\\b\"c\nd` + "\uFFFD" + `e"} 1`,
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("output lacks line %q:\n%s", line, out)
		}
	}
	e := parse(t, out)
	if got := e.helps["odd_total"]; got != "first line\nback\\slash \"quoted\"" {
		t.Errorf("help parsed back as %q", got)
	}
	if got := e.value(t, "odd_total", "reason", "a\\b\"c\nd\uFFFDe"); got != 1 {
		t.Errorf("escaped label sample = %v, want 1", got)
	}
}

func TestCounterVecCreatesOneCounterPerLabelValue(t *testing.T) {
	r := NewRegistry()
	v := r.CounterVec("errors_total", "", "code")
	a := v.With("not_found")
	if v.With("not_found") != a {
		t.Error("With returned a new counter for a known label value")
	}
	if v.With("forbidden") == a {
		t.Error("With returned the same counter for two label values")
	}
	a.Inc()
	if got := v.With("not_found").Value(); got != 1 {
		t.Errorf("cached counter value = %d, want 1", got)
	}
}

func TestConcurrentUpdatesAreNotLostAndScrapesStayValid(t *testing.T) {
	const goroutines, perG = 16, 1000
	r := NewRegistry()
	c := r.Counter("c_total", "")
	v := r.CounterVec("v_total", "", "shard")
	g := r.Gauge("g", "")
	h := r.Histogram("h_seconds", "", LatencyBuckets)

	// Scrape while the workers run; the scrapes are checked on the test
	// goroutine afterwards (parse may call t.Fatal).
	stop := make(chan struct{})
	scraped := make(chan []string)
	go func() {
		var texts []string
		defer func() { scraped <- texts }()
		for len(texts) < 1000 {
			texts = append(texts, string(r.appendText(nil)))
			select {
			case <-stop:
				return
			default:
			}
		}
	}()

	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			shard := v.With(strconv.Itoa(i % 4))
			for j := range perG {
				c.Inc()
				c.Add(2)
				shard.Inc()
				g.Inc()
				h.Observe(float64(j%3) * 0.001) // 0, 0.001, 0.002
			}
		})
	}
	wg.Wait()
	close(stop)
	texts := <-scraped
	for _, text := range texts {
		parse(t, text) // cumulative buckets, +Inf == _count
	}
	t.Logf("%d scrapes ran concurrently with the updates", len(texts))

	if got, want := c.Value(), uint64(3*goroutines*perG); got != want {
		t.Errorf("counter = %d, want %d", got, want)
	}
	if got, want := g.Value(), int64(goroutines*perG); got != want {
		t.Errorf("gauge = %d, want %d", got, want)
	}
	e := parse(t, scrape(t, r))
	for s := range 4 {
		if got, want := e.value(t, "v_total", "shard", strconv.Itoa(s)), float64(goroutines/4*perG); got != want {
			t.Errorf("shard %d = %v, want %v", s, got, want)
		}
	}
	if got, want := h.Count(), uint64(goroutines*perG); got != want {
		t.Errorf("histogram count = %d, want %d", got, want)
	}
	// j%3 == 0 lands in the first bucket (0 <= 0.0001); 0.001 in le="0.001"; 0.002 in le="0.0025".
	zeros := float64(goroutines * ((perG + 2) / 3))
	if got := e.value(t, "h_seconds_bucket", "le", "0.0001"); got != zeros {
		t.Errorf("le=0.0001 bucket = %v, want %v", got, zeros)
	}
	if got, want := e.value(t, "h_seconds_bucket", "le", "0.0025"), float64(goroutines*perG); got != want {
		t.Errorf("le=0.0025 bucket = %v, want %v", got, want)
	}
}

func TestRecordingDoesNotAllocate(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("c_total", "")
	vc := r.CounterVec("v_total", "", "k").With("x")
	g := r.Gauge("g", "")
	h := r.Histogram("h_seconds", "", LatencyBuckets)
	for name, f := range map[string]func(){
		"Counter.Inc":               c.Inc,
		"Counter.Add":               func() { c.Add(3) },
		"CounterVec child Inc":      vc.Inc,
		"Gauge.Set/Add/Inc/Dec":     func() { g.Set(1); g.Add(2); g.Inc(); g.Dec() },
		"Histogram.Observe":         func() { h.Observe(0.003) },
		"Histogram.ObserveDuration": func() { h.ObserveDuration(time.Second) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}

func TestRegistrationMistakesPanic(t *testing.T) {
	for name, register := range map[string]func(r *Registry){
		"same name twice":          func(r *Registry) { r.Counter("x", ""); r.Gauge("x", "") },
		"empty name":               func(r *Registry) { r.Counter("", "") },
		"name starts with digit":   func(r *Registry) { r.Gauge("1x", "") },
		"name with dash":           func(r *Registry) { r.Counter("a-b", "") },
		"name with space":          func(r *Registry) { r.GaugeFunc("a b", "", func() float64 { return 0 }) },
		"non-ASCII name":           func(r *Registry) { r.Counter("café", "") },
		"empty label":              func(r *Registry) { r.CounterVec("x", "", "") },
		"reserved label":           func(r *Registry) { r.CounterVec("x", "", "__name") },
		"label with colon":         func(r *Registry) { r.CounterVec("x", "", "a:b") },
		"buckets descending":       func(r *Registry) { r.Histogram("x", "", []float64{1, 0.5}) },
		"buckets repeated":         func(r *Registry) { r.Histogram("x", "", []float64{1, 1}) },
		"NaN bucket":               func(r *Registry) { r.Histogram("x", "", []float64{math.NaN()}) },
		"histogram over a counter": func(r *Registry) { r.Counter("x", ""); r.Histogram("x", "", LatencyBuckets) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("registration did not panic")
				}
			}()
			register(NewRegistry())
		})
	}
}

func TestValidNamesAreAccepted(t *testing.T) {
	r := NewRegistry()
	r.Counter("_x", "")
	r.Counter("parley:ws:frames_total9", "")
	r.CounterVec("v", "", "_label9")
	r.Histogram("empty_buckets_seconds", "", nil)
	e := parse(t, scrape(t, r))
	if got := e.value(t, "empty_buckets_seconds_bucket", "le", "+Inf"); got != 0 {
		t.Errorf("+Inf bucket of an unobserved histogram = %v", got)
	}
}

func TestHandlerServesTextFormat(t *testing.T) {
	r := NewRegistry()
	r.Counter("hits_total", "Hits.").Add(5)
	h := r.Handler()

	get := httptest.NewRecorder()
	h.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if get.Code != http.StatusOK {
		t.Fatalf("GET status %d", get.Code)
	}
	if ct := get.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if body := get.Body.String(); body != scrape(t, r) {
		t.Errorf("GET body %q differs from WriteTo", body)
	}

	head := httptest.NewRecorder()
	h.ServeHTTP(head, httptest.NewRequest(http.MethodHead, "/metrics", nil))
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") != strconv.Itoa(get.Body.Len()) {
		t.Errorf("HEAD: status %d, body %d bytes, Content-Length %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}

	post := httptest.NewRecorder()
	h.ServeHTTP(post, httptest.NewRequest(http.MethodPost, "/metrics", nil))
	if post.Code != http.StatusMethodNotAllowed || post.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q", post.Code, post.Header().Get("Allow"))
	}
}

func TestWriteToReportsWriterError(t *testing.T) {
	r := NewRegistry()
	r.Counter("x_total", "")
	_, err := r.WriteTo(failingWriter{})
	if !errors.Is(err, errDiskFull) {
		t.Errorf("WriteTo error = %v, want it to wrap %v", err, errDiskFull)
	}
}

func TestRuntimeMetricsAreReadAtScrapeTime(t *testing.T) {
	r := NewRegistry()
	r.RegisterRuntime()
	before := parse(t, scrape(t, r))

	release := make(chan struct{})
	started := make(chan struct{})
	// Many parked goroutines, checked with a margin: goroutines left over
	// from other tests may end between the two scrapes.
	const extra = 200
	var wg sync.WaitGroup
	for range extra {
		wg.Go(func() { started <- struct{}{}; <-release })
	}
	for range extra {
		<-started
	}
	during := parse(t, scrape(t, r))
	close(release)
	wg.Wait()

	if b, d := before.value(t, "go_goroutines", "", ""), during.value(t, "go_goroutines", "", ""); d < b+extra/2 {
		t.Errorf("go_goroutines went from %v to %v with %d goroutines parked", b, d, extra)
	}
	if got := during.value(t, "go_memstats_heap_alloc_bytes", "", ""); !(got > 0) {
		t.Errorf("go_memstats_heap_alloc_bytes = %v, want > 0", got)
	}
	_, wantCPU := cpuSeconds()
	if _, ok := during.types["process_cpu_seconds_total"]; ok != wantCPU {
		t.Errorf("process_cpu_seconds_total present = %v, want %v", ok, wantCPU)
	}
	if wantCPU {
		if typ := during.types["process_cpu_seconds_total"]; typ != "counter" {
			t.Errorf("process_cpu_seconds_total has type %q, want counter", typ)
		}
		if got := during.value(t, "process_cpu_seconds_total", "", ""); !(got >= 0) {
			t.Errorf("process_cpu_seconds_total = %v", got)
		}
	}
	_, hasRSS := during.types["process_resident_memory_bytes"]
	if wantRSS := runtime.GOOS == "linux"; hasRSS != wantRSS {
		t.Errorf("process_resident_memory_bytes present = %v, want %v", hasRSS, wantRSS)
	}
	if hasRSS {
		if got := during.value(t, "process_resident_memory_bytes", "", ""); !(got > 0) {
			t.Errorf("process_resident_memory_bytes = %v, want > 0", got)
		}
	}
}

func BenchmarkCounterInc(b *testing.B) {
	c := NewRegistry().Counter("c_total", "")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Inc()
		}
	})
}

func BenchmarkHistogramObserve(b *testing.B) {
	h := NewRegistry().Histogram("h_seconds", "", LatencyBuckets)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		v := 0.0
		for pb.Next() {
			h.Observe(v)
			v += 0.0003 // walk across the buckets
			if v > 3 {
				v = 0
			}
		}
	})
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func scrape(t testing.TB, r *Registry) string {
	t.Helper()
	var sb strings.Builder
	if _, err := r.WriteTo(&sb); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	return sb.String()
}

// sampleKey names one sample: metric name and its only label, if any.
type sampleKey struct{ name, label, value string }

type exposition struct {
	helps, types map[string]string
	samples      map[sampleKey]float64
}

func (e exposition) value(t testing.TB, name, label, value string) float64 {
	t.Helper()
	v, ok := e.samples[sampleKey{name, label, value}]
	if !ok {
		t.Fatalf("no sample %s{%s=%q}", name, label, value)
	}
	return v
}

// parse reads the text format back, checking its structure as a scraper
// would: HELP then TYPE opens each family, families sorted and unique,
// samples belong to the open family, histogram buckets cumulative and ending
// in +Inf equal to _count.
func parse(t testing.TB, text string) exposition {
	t.Helper()
	e := exposition{helps: map[string]string{}, types: map[string]string{}, samples: map[sampleKey]float64{}}
	family, prevBucket := "", -1.0
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
			name, help, _ := strings.Cut(rest, " ")
			if name <= family {
				t.Fatalf("family %q after %q: not sorted or repeated", name, family)
			}
			family, prevBucket = name, -1
			e.helps[name] = strings.NewReplacer(`\\`, `\`, `\n`, "\n").Replace(help)
			continue
		}
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			if name != family {
				t.Fatalf("TYPE %q does not follow its HELP (open family %q)", name, family)
			}
			e.types[name] = typ
			continue
		}
		k, v := parseSample(t, line)
		base := k.name
		if e.types[family] == "histogram" {
			base = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(base, "_bucket"), "_sum"), "_count")
		}
		if base != family || e.types[family] == "" {
			t.Fatalf("sample %q outside its family (open family %q)", line, family)
		}
		if k.name == family+"_bucket" {
			if v < prevBucket {
				t.Fatalf("bucket %q below the previous %v: not cumulative", line, prevBucket)
			}
			prevBucket = v
		}
		if k.name == family+"_count" && v != e.samples[sampleKey{family + "_bucket", "le", "+Inf"}] {
			t.Fatalf("%s = %v differs from the +Inf bucket", k.name, v)
		}
		if _, dup := e.samples[k]; dup {
			t.Fatalf("sample %v repeated", k)
		}
		e.samples[k] = v
	}
	return e
}

// parseSample parses `name value` or `name{label="escaped"} value`.
func parseSample(t testing.TB, line string) (sampleKey, float64) {
	t.Helper()
	var k sampleKey
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		t.Fatalf("malformed sample %q", line)
	}
	k.name, line = line[:i], line[i:]
	if line[0] == '{' {
		label, rest, ok := strings.Cut(line[1:], `="`)
		if !ok {
			t.Fatalf("malformed label in %q", line)
		}
		k.label = label
		var sb strings.Builder
		for j := 0; ; j++ {
			if j >= len(rest) {
				t.Fatalf("unterminated label value in %q", line)
			}
			c := rest[j]
			if c == '"' {
				line = strings.TrimPrefix(rest[j+1:], "}")
				break
			}
			if c == '\\' {
				j++
				switch rest[j] {
				case '\\', '"':
					c = rest[j]
				case 'n':
					c = '\n'
				default:
					t.Fatalf("bad escape in %q", line)
				}
			}
			sb.WriteByte(c)
		}
		k.value = sb.String()
	}
	v, err := strconv.ParseFloat(strings.TrimPrefix(line, " "), 64)
	if err != nil || !strings.HasPrefix(line, " ") {
		t.Fatalf("bad value in sample %q: %v", line, err)
	}
	return k, v
}
