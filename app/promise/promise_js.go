//go:build js

// Package promise waits for the browser's promises from Go.
package promise

import (
	"errors"
	"syscall/js"
)

// Await waits for p to settle and returns its value, or its rejection as
// an error. It must not run on the page's event loop (in a callback): the
// promise could never settle.
func Await(p js.Value) (js.Value, error) {
	done := make(chan struct{})
	var v js.Value
	var err error
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			v = args[0]
		}
		close(done)
		return nil
	})
	defer ok.Release()
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		err = errors.New(args[0].Call("toString").String())
		close(done)
		return nil
	})
	defer fail.Release()
	p.Call("then", ok, fail)
	<-done
	return v, err
}
