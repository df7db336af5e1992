package transfer_test

import (
	"context"
	"syscall"
	"testing"

	"parley/net/transfer"
	"parley/server/node/nodetest"
)

// A saved file is the user's like any other: the mode their umask gives
// a new file (0666 less the umask), not one only they may read.
func TestASavedFileGetsTheUsersUmask(t *testing.T) {
	srv := nodetest.Start(t)
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	path, _ := writeRandomFile(t, t.TempDir(), "notes.txt", 1000, 17)
	c := newClient(t, srv.HTTPURL, li.Token, transfer.Options{})
	msg, err := c.Upload(context.Background(), &transfer.Upload{Path: path, Conv: conv}, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	for _, umask := range []int{0o022, 0o027} {
		old := syscall.Umask(umask)
		d := &transfer.Download{FileID: msg.File.ID, Name: msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256, Dir: t.TempDir()}
		err := c.Download(context.Background(), d, transfer.Hooks{})
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		var st syscall.Stat_t
		if err := syscall.Stat(d.Path, &st); err != nil {
			t.Fatal(err)
		}
		if got, want := st.Mode&0o777, uint32(0o666&^umask); got != want {
			t.Errorf("with umask %#o the saved file has mode %#o, want %#o", umask, got, want)
		}
	}
}
