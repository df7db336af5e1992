//go:build js

package piccache

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"parley/app/promise"
)

const cacheName = "parley-pictures"

func key(id string) string { return "/" + cacheName + "/" + id }

// open opens the page's picture cache; an error without Cache Storage
// (a page not served over https or from localhost).
func open() (js.Value, error) {
	caches := js.Global().Get("caches")
	if caches.IsUndefined() || caches.IsNull() {
		return js.Value{}, errors.New("no Cache Storage in this page")
	}
	return promise.Await(context.Background(), caches.Call("open", cacheName))
}

func read(_, id string) ([]byte, error) {
	c, err := open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w (%v)", id, ErrNotCached, err)
	}
	resp, err := promise.Await(context.Background(), c.Call("match", key(id)))
	if err != nil {
		return nil, fmt.Errorf("read picture %s: %w", id, err)
	}
	if resp.IsUndefined() || resp.IsNull() {
		return nil, fmt.Errorf("%s: %w", id, ErrNotCached)
	}
	ab, err := promise.Await(context.Background(), resp.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("read picture %s: %w", id, err)
	}
	u8 := js.Global().Get("Uint8Array").New(ab)
	data := make([]byte, u8.Length())
	js.CopyBytesToGo(data, u8)
	return data, nil
}

func write(_, id string, data []byte) error {
	c, err := open()
	if err != nil {
		return fmt.Errorf("keep picture %s: %w", id, err)
	}
	u8 := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(u8, data)
	resp := js.Global().Get("Response").New(u8)
	if _, err := promise.Await(context.Background(), c.Call("put", key(id), resp)); err != nil {
		return fmt.Errorf("keep picture %s: %w", id, err)
	}
	return nil
}
