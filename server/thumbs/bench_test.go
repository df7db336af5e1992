package thumbs

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// Benchmarks for docs/benchmarks.md:
//
//	go test -run XXX -bench . -benchtime 5x ./server/thumbs/
//
// PARLEY_PHOTO=some.jpg uses that picture in BenchmarkScreenful instead of
// the made-up one.

// scene is a made-up w×h photograph: smooth gradients, waves of a few
// sizes, and a little sensor noise (deterministic).
func scene(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			v := func(a, b, c float64) uint8 {
				f := 110 + 60*math.Sin(a*fx*math.Pi+b*fy) + 30*math.Sin(c*fx*fy*math.Pi*8) + 20*math.Sin(float64(x+y)/7) + rng.NormFloat64()*4
				return uint8(max(0, min(255, f)))
			}
			m.SetRGBA(x, y, color.RGBA{v(3, 1, 2), v(2, 4, 3), v(5, 2, 1), 255})
		}
	}
	return m
}

// peakHeap runs f while sampling the heap (live objects and garbage not
// yet swept) every millisecond and returns the most it held above what it
// held before.
func peakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC() // the garbage of earlier calls is not this one's
	base := read()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak {
				peak = v
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	if v := read(); v > peak {
		peak = v
	}
	return peak - min(base, peak)
}

// photo is scene(4000, 3000), made once per run.
var photo = sync.OnceValue(func() *image.RGBA { return scene(4000, 3000) })

func benchThumbnails(b *testing.B, data []byte) {
	th := New(Config{})
	var peak uint64
	var small, large int
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		p := peakHeap(func() {
			_, ths, err := th.Thumbnails(context.Background(), bytes.NewReader(data), 1280, 320)
			if err != nil {
				b.Fatal(err)
			}
			large, small = len(ths[0].Data), len(ths[1].Data)
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	b.ReportMetric(float64(large), "large-bytes")
	b.ReportMetric(float64(small), "small-bytes")
}

func BenchmarkThumbnails12MPJPEG(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photo(), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	benchThumbnails(b, buf.Bytes())
}

func BenchmarkThumbnails4000x3000PNG(b *testing.B) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, photo()); err != nil {
		b.Fatal(err)
	}
	benchThumbnails(b, buf.Bytes())
}

// BenchmarkScreenful reports the bytes of the thumbnails a client
// downloads to show 20 pictures: small ones (a conversation's inline
// pictures and the media grid), and large ones (a screen of big
// pictures).
func BenchmarkScreenful(b *testing.B) {
	data := []byte(nil)
	if p := os.Getenv("PARLEY_PHOTO"); p != "" {
		var err error
		if data, err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	} else {
		var buf bytes.Buffer
		jpeg.Encode(&buf, photo(), &jpeg.Options{Quality: 90})
		data = buf.Bytes()
	}
	th := New(Config{})
	var small, large int
	b.ResetTimer()
	for range b.N {
		_, ths, err := th.Thumbnails(context.Background(), bytes.NewReader(data), 1280, 320)
		if err != nil {
			b.Fatal(err)
		}
		large, small = len(ths[0].Data), len(ths[1].Data)
	}
	b.ReportMetric(float64(20*small), "screen-small-bytes")
	b.ReportMetric(float64(20*large), "screen-large-bytes")
}
