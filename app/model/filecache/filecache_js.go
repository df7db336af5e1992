//go:build js

package filecache

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"parley/app/promise"
)

func cacheName(kind Kind) string { return "parley-" + string(kind) }

func key(kind Kind, id string) string { return "/" + cacheName(kind) + "/" + id }

// open opens the page's cache of kind; an error without Cache Storage
// (a page not served over https or from localhost).
func open(kind Kind) (js.Value, error) {
	caches := js.Global().Get("caches")
	if caches.IsUndefined() || caches.IsNull() {
		return js.Value{}, errors.New("no Cache Storage in this page")
	}
	return promise.Await(context.Background(), caches.Call("open", cacheName(kind)))
}

func read(_ string, kind Kind, id string) ([]byte, error) {
	c, err := open(kind)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (%v)", id, ErrNotCached, err)
	}
	resp, err := promise.Await(context.Background(), c.Call("match", key(kind, id)))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", kind, id, err)
	}
	if resp.IsUndefined() || resp.IsNull() {
		return nil, fmt.Errorf("%s: %w", id, ErrNotCached)
	}
	ab, err := promise.Await(context.Background(), resp.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", kind, id, err)
	}
	u8 := js.Global().Get("Uint8Array").New(ab)
	data := make([]byte, u8.Length())
	js.CopyBytesToGo(data, u8)
	return data, nil
}

func write(_ string, kind Kind, id string, data []byte) error {
	c, err := open(kind)
	if err != nil {
		return fmt.Errorf("keep %s %s: %w", kind, id, err)
	}
	u8 := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(u8, data)
	resp := js.Global().Get("Response").New(u8)
	if _, err := promise.Await(context.Background(), c.Call("put", key(kind, id), resp)); err != nil {
		return fmt.Errorf("keep %s %s: %w", kind, id, err)
	}
	return nil
}

func adopt(_ string, kind Kind, id, _ string) error {
	return fmt.Errorf("keep %s %s: the browser has no local files", kind, id)
}
