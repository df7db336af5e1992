package model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// delivered records the files handed over, as the browser's downloads.
type delivered struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (d *delivered) deliver(name string, data []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.files[name] = bytes.Clone(data)
	return nil
}

func (d *delivered) get(name string) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.files[name]
}

// Where there is no file system (the browser), Save downloads the file
// into memory, verifies it, and hands it over under its name; nothing is
// written to a downloads folder and there is no local file to open.
func TestSaveIntoMemoryHandsTheVerifiedFileOver(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	downloads := t.TempDir()
	got := &delivered{files: map[string][]byte{}}
	wang := newFilesModel(t, srv, t.TempDir(), FilesConfig{Downloads: downloads, Deliver: got.deliver, MemoryLimit: 4 << 20})
	li.registerAndLogin(srv, "Li Hua")
	wang.registerAndLogin(srv, "Wang")
	if err := li.CreateGroup(ctx, "Study Group"); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID
	if err := wang.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	path, _ := modeltest.WriteFile(t, t.TempDir(), "report.pdf", 3_000_000, 5)
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := li.SendFile(ctx, path, ""); err != nil {
		t.Fatal(err)
	}

	msg := wang.fileMessage()
	if err := wang.SaveFile(ctx, conv, msg.Seq); err != nil {
		t.Fatal(err)
	}
	st := wang.waitFor("the save done", func(st state.State) bool {
		return transferIn(st, state.Download, func(tr state.Transfer) bool { return tr.State == state.TransferDone })
	})
	if data := got.get("report.pdf"); !bytes.Equal(data, want) {
		t.Fatalf("handed over %d bytes that differ from the %d sent", len(data), len(want))
	}
	saved := st.Transfers[0]
	if saved.Path != "" || saved.Done != saved.Size || saved.Name != "report.pdf" {
		t.Fatalf("saved %+v, want done without a local path", saved)
	}
	if hasNotice(st, state.NoticeFileSaved, "") {
		t.Fatal("a notice names a folder the file is not in")
	}
	if entries, _ := os.ReadDir(downloads); len(entries) != 0 {
		t.Fatalf("the downloads folder has %d entries, want none", len(entries))
	}

	// A file above the memory limit is refused at once, saying why.
	big, _ := modeltest.WriteFile(t, t.TempDir(), "film.mkv", 5<<20, 6)
	if err := li.SendFile(ctx, big, ""); err != nil {
		t.Fatal(err)
	}
	var film state.Message
	wang.waitFor("the second file", func(st state.State) bool {
		for _, m := range st.Open.Messages {
			if m.File != nil && m.File.Name == "film.mkv" {
				film = m
				return true
			}
		}
		return false
	})
	err = wang.SaveFile(ctx, conv, film.Seq)
	var ie *inputError
	if !errors.As(err, &ie) || ie.detail != state.InputTooBigToSave || ie.args[0] != "film.mkv" {
		t.Fatalf("err = %v, want %s for film.mkv", err, state.InputTooBigToSave)
	}
	wang.waitFor("the refusal shown", func(st state.State) bool {
		for _, n := range st.Notices {
			if n.Detail == state.InputTooBigToSave && n.Args[2] == proto.FormatSize(4<<20) {
				return true
			}
		}
		return false
	})
	if got.get("film.mkv") != nil || len(wang.State().Transfers) != 1 {
		t.Fatalf("the refused file was fetched: transfers %+v", wang.State().Transfers)
	}
}
