package transfer_test

import (
	"context"
	"crypto/sha256"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/net/transfer"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// benchSize is the file moved by BenchmarkTransferVsRawCopy:
// PARLEY_BENCH_SIZE bytes (default 1 GiB). PARLEY_BENCH_DIR is where the
// source file, the server's data and the download go (default the system
// temporary folder; /dev/shm measures without the disk).
func benchSize() int64 {
	if n, err := strconv.ParseInt(os.Getenv("PARLEY_BENCH_SIZE"), 10, 64); err == nil && n > 0 {
		return n
	}
	return 1 << 30
}

func benchDir(b *testing.B) string {
	dir, err := os.MkdirTemp(os.Getenv("PARLEY_BENCH_DIR"), "parley-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// rawCopy is the limit: a plain io.Copy of n bytes of the file over a
// loopback TCP connection into io.Discard.
func rawCopy(b *testing.B, path string, n int64) time.Duration {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	done := make(chan int64)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- 0
			return
		}
		got, _ := io.Copy(io.Discard, c)
		c.Close()
		done <- got
	}()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(c, io.LimitReader(f, n)); err != nil {
		b.Fatal(err)
	}
	c.Close()
	if got := <-done; got != n {
		b.Fatalf("raw copy moved %d of %d bytes", got, n)
	}
	return time.Since(start)
}

// BenchmarkTransferVsRawCopy uploads a file to a group (SHA-256 computed
// by the client first, by the server as the bytes arrive, each chunk
// fsynced), downloads it as another member (SHA-256 verified before the
// rename), and compares both with a plain io.Copy of the same file over
// loopback TCP, in the same run. It reports the peak Go heap of the
// process (client and server together).
func BenchmarkTransferVsRawCopy(b *testing.B) {
	size := benchSize()
	dir := benchDir(b)
	srv := nodetest.Start(b, nodetest.WithConfig(func(c *node.Config) {
		c.DataDir = dir + "/server"
		c.MaxFileSize = size
		c.Synchronous = "FULL"
	}))
	li, wang := nodetest.NewUser(b, srv.URL, "Li"), nodetest.NewUser(b, srv.URL, "Wang")
	conv := nodetest.Group(b, li, "files", wang)
	path, _ := writeRandomFile(b, dir, "data.bin", size, 42)
	chunk, _ := strconv.ParseInt(os.Getenv("PARLEY_BENCH_CHUNK"), 10, 64) // 0: the default
	up := newClient(b, srv.HTTPURL, li.Token, transfer.Options{ChunkSize: chunk})
	down := newClient(b, srv.HTTPURL, wang.Token, transfer.Options{})
	mb := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseline := ms.HeapInuse
	stop := heapPeak()
	b.ResetTimer()
	for i := range b.N {
		raw := rawCopy(b, path, size)
		hash := hashTime(b, path)

		u := &transfer.Upload{Path: path, Conv: conv, ClientID: strconv.Itoa(i) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
		var sendStart time.Time
		start := time.Now()
		msg, err := up.Upload(context.Background(), u, transfer.Hooks{Progress: func(p transfer.Progress) {
			if p.Phase == transfer.Sending && sendStart.IsZero() {
				sendStart = time.Now()
			}
		}})
		if err != nil {
			b.Fatal(err)
		}
		upload := time.Since(start)
		send := time.Since(sendStart)

		d := &transfer.Download{FileID: msg.File.ID, Name: msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256, Dir: dir + "/downloads"}
		start = time.Now()
		if err := down.Download(context.Background(), d, transfer.Hooks{}); err != nil {
			b.Fatal(err)
		}
		download := time.Since(start)
		os.Remove(d.Path)

		b.ReportMetric(mb(raw), "raw-MB/s")
		b.ReportMetric(mb(hash), "sha256-MB/s")
		b.ReportMetric(hash.Seconds()/send.Seconds(), "upload-send/sha256")
		b.ReportMetric(hash.Seconds()/download.Seconds(), "download/sha256")
		b.ReportMetric(mb(upload), "upload-MB/s")
		b.ReportMetric(mb(send), "upload-send-MB/s")
		b.ReportMetric(mb(download), "download-MB/s")
		b.ReportMetric(raw.Seconds()/upload.Seconds(), "upload/raw")
		b.ReportMetric(raw.Seconds()/send.Seconds(), "upload-send/raw")
		b.ReportMetric(raw.Seconds()/download.Seconds(), "download/raw")
	}
	b.StopTimer()
	peak := stop()
	b.ReportMetric(float64(peak-baseline)/(1<<20), "heap-growth-MiB")
	b.ReportMetric(float64(size)/(1<<20), "file-MiB")
	if hwm := peakRSS(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
	}
}

// peakRSS is the process's resident memory high-water mark (Linux), 0 if
// unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// hashTime is the other limit: computing the SHA-256 of the file once,
// on one core, as the server must while an upload arrives.
func hashTime(b *testing.B, path string) time.Duration {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	if _, err := io.Copy(sha256.New(), f); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// heapPeak samples the heap in use until stopped and returns the peak.
func heapPeak() func() uint64 {
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var top uint64
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			top = max(top, ms.HeapInuse)
			select {
			case <-done:
				peak <- top
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); return <-peak }
}
