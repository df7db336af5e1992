//go:build js

package main

import (
	"fmt"
	"os"
	"syscall/js"
)

// The browser has no files: the UI choices live in localStorage, under
// the path the desktop would use as the key.

func readPrefs(path string) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("localStorage: %v", r)
		}
	}()
	ls := js.Global().Get("localStorage")
	if !ls.Truthy() {
		return nil, os.ErrNotExist
	}
	v := ls.Call("getItem", path)
	if v.IsNull() {
		return nil, os.ErrNotExist
	}
	return []byte(v.String()), nil
}

func writePrefs(path string, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil { // QuotaExceededError, or storage disabled
			err = fmt.Errorf("localStorage: %v", r)
		}
	}()
	ls := js.Global().Get("localStorage")
	if !ls.Truthy() {
		return fmt.Errorf("this browser offers no localStorage")
	}
	ls.Call("setItem", path, string(b))
	return nil
}
