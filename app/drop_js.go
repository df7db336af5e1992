//go:build js

package main

import (
	"io"
	"syscall/js"

	"parley/app/model"
)

// Pictures pasted and files dropped in the browser. Gio's clipboard is
// text only and Gio takes no drops from outside the window, on every
// platform (gioui.org v0.10.3); the page can: a paste event carries the
// pasted picture as a File in its clipboardData (a screenshot, a picture
// copied in another app), and a drop event the dropped files in its
// dataTransfer. They go where the picker's files go: into the preview
// when one is a picture (Model.Stage), for the open conversation.

// browserPicks are the files pasted or dropped, for the window.
var browserPicks = make(chan []io.ReadCloser, 4)

func init() { installDrops(js.Global()) }

func installDrops(g js.Value) {
	doc := g.Get("document")
	files := func(data js.Value) []io.ReadCloser {
		if data.IsUndefined() || data.IsNull() {
			return nil
		}
		list := data.Get("files")
		if list.IsUndefined() || list.IsNull() || list.Length() == 0 {
			return nil
		}
		return browserFiles(list)
	}
	hand := func(fs []io.ReadCloser) {
		select {
		case browserPicks <- fs:
		default: // the window is behind: a person pastes again
		}
	}
	// Capture, before Gio's textarea: a paste with files is ours (its
	// text, if any, is the files' names).
	doc.Call("addEventListener", "paste", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if fs := files(args[0].Get("clipboardData")); len(fs) > 0 {
			args[0].Call("preventDefault")
			args[0].Call("stopPropagation")
			hand(fs)
		}
		return nil
	}), true)
	// A page takes drops only if it cancels dragover.
	doc.Call("addEventListener", "dragover", js.FuncOf(func(_ js.Value, args []js.Value) any {
		args[0].Call("preventDefault")
		return nil
	}))
	doc.Call("addEventListener", "drop", js.FuncOf(func(_ js.Value, args []js.Value) any {
		args[0].Call("preventDefault")
		if fs := files(args[0].Get("dataTransfer")); len(fs) > 0 {
			hand(fs)
		}
		return nil
	}))
}

// watchDrops hands what is pasted or dropped to the window, as picks for
// the open conversation.
func (win *window) watchDrops() {
	go func() {
		for {
			select {
			case fs := <-browserPicks:
				r := pickResult{}
				r.path, r.stream = model.PickedFile(fs[0])
				for _, rc := range fs[1:] {
					path, s := model.PickedFile(rc)
					r.more = append(r.more, model.Pick{Path: path, Stream: s})
				}
				select {
				case win.picks <- r:
					win.redraw()
				case <-win.ctx.Done():
					return
				}
			case <-win.ctx.Done():
				return
			}
		}
	}()
}
