//go:build js

package model

import (
	"fmt"
	"syscall/js"
)

// platformDeliver is FilesConfig.Deliver's default in the browser, which
// has no file system: the page's own download.
func platformDeliver() func(name string, data []byte) error { return browserDownload }

// revokeAfterMillis is how long a download's object URL lives: the click
// starts the download asynchronously, so revoking it at once could cut it
// off (Firefox does).
const revokeAfterMillis = 60_000

// browserDownload gives data to the browser as a download named name: a
// Blob behind an object URL, clicked through a temporary <a download>,
// the URL revoked a minute later.
func browserDownload(name string, data []byte) (err error) {
	defer func() {
		switch r := recover().(type) {
		case nil:
		case js.Error: // the page refused (out of memory, ...)
			err = fmt.Errorf("download %s in the browser: %w", name, r)
		default:
			panic(r)
		}
	}()
	g := js.Global()
	arr := g.Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	blob := g.Get("Blob").New([]any{arr}, map[string]any{"type": "application/octet-stream"})
	urls := g.Get("URL")
	url := urls.Call("createObjectURL", blob)
	doc := g.Get("document")
	a := doc.Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	a.Get("style").Set("display", "none")
	body := doc.Get("body")
	body.Call("appendChild", a)
	a.Call("click")
	body.Call("removeChild", a)
	g.Call("setTimeout", urls.Get("revokeObjectURL").Call("bind", urls, url), revokeAfterMillis)
	return nil
}
