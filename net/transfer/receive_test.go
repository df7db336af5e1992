package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"parley/net/transfer"
	"parley/server/node/nodetest"
)

// The browser's way of saving: the whole file into memory, verified.
func TestReceiveFetchesAFileIntoMemoryVerified(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := nodetest.NewUser(t, srv.URL, "Li"), nodetest.NewUser(t, srv.URL, "Wang")
	conv := nodetest.Group(t, li, "files", wang)
	data, sum := randomBytes(3<<20+123, 11)
	msg, err := newClient(t, srv.HTTPURL, li.Token, transfer.Options{}).Upload(context.Background(),
		&transfer.Upload{Source: bytes.NewReader(data), Name: "notes.txt", Conv: conv}, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if msg.File.SHA256 != sum {
		t.Fatalf("uploaded SHA-256 %s, want %s", msg.File.SHA256, sum)
	}
	c := newClient(t, srv.HTTPURL, wang.Token, transfer.Options{})
	d := &transfer.Download{FileID: msg.File.ID, Name: msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256}
	var got bytes.Buffer
	var last transfer.Progress
	if err := c.Receive(context.Background(), d, &got, transfer.Hooks{Progress: func(p transfer.Progress) { last = p }}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("received %d bytes that differ from the %d sent", got.Len(), len(data))
	}
	if last.Phase != transfer.Receiving || last.Done != int64(len(data)) || last.Size != int64(len(data)) {
		t.Fatalf("last progress %+v, want all %d bytes received", last, len(data))
	}

	// Bytes that do not match the announced SHA-256 are refused.
	d.SHA256 = strings.Repeat("0", 64)
	if err := c.Receive(context.Background(), d, new(bytes.Buffer), transfer.Hooks{}); !errors.Is(err, transfer.ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}

	// The caller's sink refusing more (a memory bound) stops it.
	full := errors.New("memory limit reached")
	d.SHA256 = sum
	if err := c.Receive(context.Background(), d, failingWriter{full}, transfer.Hooks{}); !errors.Is(err, full) || transfer.Temporary(err) {
		t.Fatalf("err = %v, want the sink's error, not temporary", err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
