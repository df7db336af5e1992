package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"testing"

	"parley/app/model/modeltest"
	"parley/app/state"
)

// On Android, iOS and in the browser the picker gives a stream, not a
// file with a path: the app copies it into its data folder and sends the
// copy, which goes once the file is sent.
func TestAFilePickedAsAStreamIsSentByteForByte(t *testing.T) {
	li, wang := twoInAGroup(t)
	data, sum := modeltest.RandomData(3_000_000, 7)
	picked := modeltest.NewPickedStream(bytes.NewReader(data), "季度报告.pdf", int64(len(data)))
	li.win.choose = func(context.Context, bool) ([]io.ReadCloser, error) { return []io.ReadCloser{picked}, nil }

	li.openOnScreen("学习小组")
	li.click("Attach a file")
	li.click("Choose file…")
	li.see("季度报告.pdf")
	li.until("the upload done", func(st state.State) bool {
		return len(st.Transfers) == 1 && st.Transfers[0].State == state.TransferDone
	})
	li.see("Sent")
	if !picked.WasClosed() {
		t.Error("the picked stream was not closed")
	}
	if got := filesUnder(t, filepath.Join(li.dir, "outgoing")); len(got) != 0 {
		t.Errorf("the staged copy is still there after the upload: %q", got)
	}

	wang.see("李华 sent 季度报告.pdf (3 MB)")
	wang.openOnScreen("学习小组")
	wang.click("Save")
	saved := filepath.Join(wang.downloads, "季度报告.pdf")
	wang.see("Saved to " + saved)
	if got := modeltest.SumOf(t, saved); got != sum {
		t.Fatalf("the saved file's SHA-256 is %s, the picked one's %s", got, sum)
	}
}

// filesUnder lists the regular files below root (the staged copies live
// in the data folder's "outgoing", a folder per account).
func filesUnder(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}
