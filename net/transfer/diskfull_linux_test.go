package transfer_test

import (
	"context"
	"errors"
	"testing"

	"parley/net/transfer"
	"parley/server/node/nodetest"
)

// Linux's /dev/full fails every write with ENOSPC: a full disk on demand.
func TestFullDiskIsReportedClearly(t *testing.T) {
	srv := nodetest.Start(t)
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	path, _ := writeRandomFile(t, t.TempDir(), "a.bin", 2<<20, 13)
	c := newClient(t, srv.HTTPURL, li.Token, transfer.Options{})
	msg, err := c.Upload(context.Background(), &transfer.Upload{Path: path, Conv: conv}, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	d := &transfer.Download{FileID: msg.File.ID, Name: msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256, Dir: t.TempDir(), Temp: "/dev/full"}
	err = c.Download(context.Background(), d, transfer.Hooks{})
	if !errors.Is(err, transfer.ErrDiskFull) || transfer.Temporary(err) {
		t.Fatalf("err = %v, want ErrDiskFull (not temporary)", err)
	}
}
