package transfer_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/net/transfer"
	"parley/server/node/nodetest"
)

// scrape reads one gauge from the server's /metrics.
func scrape(t *testing.T, addr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}

// The real server binary receives a 2 GiB upload (a sparse file, sent
// with sendfile, so the test itself does no work per byte) while its heap
// is sampled through /metrics.
func TestServerHeapStaysFlatDuringA2GiBUpload(t *testing.T) {
	const size, chunk = 2 << 30, 256 << 20 // the blob store writes it once: 2 GiB of disk, removed after
	srv := startServer(t, buildServer(t), t.TempDir())
	li := nodetest.NewUser(t, "ws://"+srv.addr+"/v1/ws", "Li")
	conv := nodetest.Group(t, li, "files")
	path := filepath.Join(t.TempDir(), "sparse.bin")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
	h, zeros := sha256.New(), make([]byte, 1<<20)
	for range size / len(zeros) {
		h.Write(zeros)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	c := newClient(t, "http://"+srv.addr, li.Token, transfer.Options{})
	info, err := c.Create(context.Background(), transfer.CreateRequest{Name: "sparse.bin", Size: size, SHA256: sum, Conv: conv})
	if err != nil {
		t.Fatal(err)
	}

	baseline := scrape(t, srv.addr, "go_memstats_heap_alloc_bytes")
	peak := make(chan float64)
	done := make(chan struct{})
	go func() {
		var top float64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				peak <- top
				return
			case <-tick.C:
				if resp, err := http.Get("http://" + srv.addr + "/metrics"); err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					for line := range strings.Lines(string(b)) {
						if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go_memstats_heap_alloc_bytes "); ok {
							f, _ := strconv.ParseFloat(v, 64)
							top = max(top, f)
						}
					}
				}
			}
		}
	}()
	var last []byte
	for off := int64(0); off < size; off += chunk {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		f.Seek(off, io.SeekStart)
		// The body is exactly one chunk: the file goes on past it.
		body := struct {
			io.Reader
			io.Closer
		}{io.LimitReader(f, chunk), f}
		req, _ := http.NewRequest(http.MethodPatch, "http://"+srv.addr+transfer.UploadsPath+"/"+info.ID, body) // closed by the transport
		req.ContentLength = chunk
		req.Header.Set("Authorization", "Bearer "+li.Token)
		req.Header.Set(transfer.HeaderOffset, fmt.Sprint(off))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		last, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := http.StatusNoContent; off+chunk < size && resp.StatusCode != want {
			t.Fatalf("PATCH at %d: %d %s", off, resp.StatusCode, last)
		}
	}
	close(done)
	top := <-peak

	var result transfer.UploadInfo
	if err := json.Unmarshal(last, &result); err != nil || result.Message == nil || result.Message.File.SHA256 != sum {
		t.Fatalf("completion: %s", bytes.TrimSpace(last))
	}
	t.Logf("server heap: %.1f MiB before, at most %.1f MiB while %d MiB streamed through", baseline/(1<<20), top/(1<<20), size>>20)
	if top-baseline > 64<<20 {
		t.Fatalf("the server's heap grew by %.0f MiB during the upload; want < 64 MiB", (top-baseline)/(1<<20))
	}
}
