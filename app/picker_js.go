//go:build js

package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"syscall/js"

	"gioui.org/x/explorer"

	"parley/app/promise"
)

// platformChooser opens the browser's file dialog. Gio's explorer gives a
// stream without the file's name there, so the dialog is ours: a hidden
// <input type=file> (multiple when several may be chosen), whose chosen
// Files come back as browserFiles with their names and sizes.
func platformChooser(*explorer.Explorer) func(context.Context, bool) ([]io.ReadCloser, error) {
	return chooseInBrowser
}

// chooseInBrowser shows the file dialog and waits for the choice. Like
// any <input type=file>, it needs the user's click a moment before.
func chooseInBrowser(ctx context.Context, many bool) ([]io.ReadCloser, error) {
	doc := js.Global().Get("document")
	input := doc.Call("createElement", "input")
	input.Set("type", "file")
	input.Set("multiple", many)
	input.Get("style").Set("display", "none")
	chosen := make(chan js.Value, 1)
	answer := js.FuncOf(func(js.Value, []js.Value) any {
		v := js.Null()
		if files := input.Get("files"); files.Truthy() && files.Length() > 0 {
			v = files
		}
		select {
		case chosen <- v:
		default:
		}
		return nil
	})
	defer answer.Release()
	input.Call("addEventListener", "change", answer)
	input.Call("addEventListener", "cancel", answer)
	body := doc.Get("body")
	body.Call("appendChild", input)
	defer body.Call("removeChild", input)
	input.Call("click")
	select {
	case files := <-chosen:
		if files.IsNull() {
			return nil, explorer.ErrUserDecline
		}
		return browserFiles(files), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// browserFiles are the Files of a FileList (or an array of Files).
func browserFiles(list js.Value) []io.ReadCloser {
	var out []io.ReadCloser
	for i := range list.Length() {
		f := list.Index(i)
		out = append(out, &browserFile{file: f, name: f.Get("name").String(), size: int64(f.Get("size").Float())})
	}
	return out
}

// browserReadSize is the bytes read from a browser File per promise.
const browserReadSize = 4 << 20

// browserFile reads a browser File (a Blob) in slices.
type browserFile struct {
	file js.Value
	name string
	size int64
	off  int64  // bytes fetched from the File
	buf  []byte // fetched, not yet read
	back []byte // buf's storage
}

func (f *browserFile) Name() string { return f.name }
func (f *browserFile) Size() int64  { return f.size }

func (f *browserFile) Read(p []byte) (int, error) {
	if !f.file.Truthy() {
		return 0, fmt.Errorf("read %s: %w", f.name, fs.ErrClosed)
	}
	if len(f.buf) == 0 {
		if f.off >= f.size {
			return 0, io.EOF
		}
		end := min(f.off+browserReadSize, f.size)
		ab, err := promise.Await(context.Background(), f.file.Call("slice", f.off, end).Call("arrayBuffer"))
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", f.name, err)
		}
		if f.back == nil {
			f.back = make([]byte, browserReadSize)
		}
		n := js.CopyBytesToGo(f.back, js.Global().Get("Uint8Array").New(ab))
		if n == 0 {
			return 0, fmt.Errorf("read %s: %w", f.name, io.ErrUnexpectedEOF)
		}
		f.off += int64(n)
		f.buf = f.back[:n]
	}
	n := copy(p, f.buf)
	f.buf = f.buf[n:]
	return n, nil
}

func (f *browserFile) Close() error {
	f.file, f.buf, f.back = js.Null(), nil, nil
	return nil
}
