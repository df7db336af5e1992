//go:build js

// Package promise waits for the browser's promises from Go.
package promise

import (
	"context"
	"errors"
	"syscall/js"
)

// Await waits for p to settle and returns its value, or its rejection as
// an error; it gives up with ctx's error when ctx ends first (a
// microphone prompt nobody answers must not hold a hung-up call). It
// must not run on the page's event loop (in a callback): the promise
// could never settle.
func Await(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	done := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		done <- result{v: v}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "failed"
		if len(args) > 0 {
			msg = args[0].Call("toString").String()
		}
		done <- result{err: errors.New(msg)}
		return nil
	})
	release := func() {
		ok.Release()
		fail.Release()
	}
	p.Call("then", ok, fail)
	select {
	case r := <-done:
		release()
		return r.v, r.err
	case <-ctx.Done():
		go func() { // the promise may still settle: release the funcs then
			<-done
			release()
		}()
		return js.Undefined(), ctx.Err()
	}
}
