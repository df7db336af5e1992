package transfer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"

	"parley/net/transfer"
	"parley/server/node/nodetest"
)

// dropper is an HTTP transport that cuts the connection once, in the
// middle of the PATCH that starts at offset at, as a lost network does.
type dropper struct {
	at      string // the Upload-Offset of the PATCH to cut
	dropped atomic.Bool
}

var errCut = errors.New("connection reset by peer")

func (d *dropper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch && req.Header.Get(transfer.HeaderOffset) == d.at && d.dropped.CompareAndSwap(false, true) {
		req.Body = &cutBody{ReadCloser: req.Body, left: 512 << 10}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// cutBody fails once left bytes have been read.
type cutBody struct {
	io.ReadCloser
	left int
}

func (b *cutBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errCut
	}
	n, err := b.ReadCloser.Read(p[:min(len(p), b.left)])
	b.left -= n
	return n, err
}

func randomBytes(size int, seed byte) ([]byte, string) {
	b := make([]byte, size)
	rand.NewChaCha8([32]byte{seed, 9}).Read(b)
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// The browser's way: bytes in memory, each chunk read first and its
// checksum sent as a header (fetch sends no trailers).
func TestAnUploadFromMemoryResumesAfterADroppedConnection(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := nodetest.NewUser(t, srv.URL, "李华"), nodetest.NewUser(t, srv.URL, "Wang")
	conv := nodetest.Group(t, li, "files", wang)
	data, sum := randomBytes(6<<20, 1)
	opts := transfer.Options{ChunkSize: 1 << 20, BufferChunks: true}
	up := &transfer.Upload{Source: bytes.NewReader(data), Name: "会议记录.txt", Conv: conv}

	// The connection drops while the fourth chunk is on its way.
	dropped := opts
	dropped.HTTP = &http.Client{Transport: &dropper{at: "3145728"}}
	_, err := newClient(t, srv.HTTPURL, li.Token, dropped).Upload(context.Background(), up, transfer.Hooks{})
	if !transfer.Temporary(err) || up.ID == "" || up.Offset != 3<<20 || up.SHA256 != sum {
		t.Fatalf("dropped upload: err %v (temporary %v), state %+v", err, transfer.Temporary(err), up)
	}

	// The same upload, called again once the network is back, sends only
	// what the server does not hold, without hashing again.
	var rec recorder
	var phases []transfer.Phase
	msg, err := newClient(t, srv.HTTPURL, li.Token, rec.client(opts)).Upload(context.Background(), up, transfer.Hooks{
		Progress: func(p transfer.Progress) {
			if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
				phases = append(phases, p.Phase)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent := rec.sent.Load(); sent != 3<<20 {
		t.Errorf("after the drop %d bytes were sent; 3 MiB remained", sent)
	}
	if len(phases) != 1 || phases[0] != transfer.Sending {
		t.Errorf("phases after the drop = %v, want sending only", phases)
	}
	if msg.File == nil || msg.File.Name != "会议记录.txt" || msg.File.Size != 6<<20 || msg.File.SHA256 != sum {
		t.Fatalf("file message %+v", msg.File)
	}

	// Wang receives the same bytes.
	d := &transfer.Download{FileID: msg.File.ID, Name: msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256, Dir: t.TempDir()}
	if err := newClient(t, srv.HTTPURL, wang.Token, transfer.Options{}).Download(context.Background(), d, transfer.Hooks{}); err != nil {
		t.Fatal(err)
	}
	if got := fileSHA(t, d.Path); got != sum {
		t.Fatalf("downloaded SHA-256 %s, sent %s", got, sum)
	}
}

// changingSource is memory that someone overwrites once offset at has
// been read.
type changingSource struct {
	*bytes.Reader
	data []byte
	at   int64
}

func (s *changingSource) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.at {
		s.data[len(s.data)-1] ^= 1
		s.at = s.Size() + 1 // once
	}
	return s.Reader.ReadAt(p, off)
}

func TestMemoryThatChangesWhileSentIsNeverPublished(t *testing.T) {
	srv := nodetest.Start(t)
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	data, _ := randomBytes(2<<20, 2)
	src := &changingSource{Reader: bytes.NewReader(data), data: data, at: 2<<20 + 1} // not while hashing
	up := &transfer.Upload{Source: src, Conv: conv}
	c := newClient(t, srv.HTTPURL, li.Token, transfer.Options{ChunkSize: 1 << 20})
	_, err := c.Upload(context.Background(), up, transfer.Hooks{Save: func() {
		if up.Offset == 1<<20 {
			src.at = 1 << 20 // the second chunk reads changed bytes
		}
	}})
	if !errors.Is(err, transfer.ErrFileChanged) || up.Name != "file" {
		t.Fatalf("err = %v, name %q: want ErrFileChanged for the memory named \"file\"", err, up.Name)
	}
}
