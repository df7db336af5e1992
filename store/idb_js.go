//go:build js

package store

import (
	"fmt"
	"sync/atomic"
	"syscall/js"
)

// idb is a kv backend in an IndexedDB database: one object store, "kv",
// of string keys and string values (the records of kv.go).
//
// IndexedDB is asynchronous; idb blocks the calling goroutine on a channel
// until the request or transaction reports back. That needs the JavaScript
// event loop to run meanwhile, which it does while every goroutine is
// blocked, except when the caller is itself a JavaScript callback (a
// js.FuncOf): then the event loop waits for the callback, which waits for
// the event loop. So store methods must never be called from inside a
// JavaScript callback; start a goroutine there instead. The app calls them
// from its model's goroutines.
type idb struct {
	name string
	lock *webLock // this tab's claim on the database
	db   js.Value // IDBDatabase
	// onVersionChange closes the database when another tab deletes or
	// upgrades it, rather than blocking that tab.
	onVersionChange js.Func
}

const idbObjectStore = "kv"

// openIDB opens (creating it if needed) the database name.
func openIDB(name string, l *webLock) (_ *idb, err error) {
	defer catch(&err, "open IndexedDB "+name)
	factory := js.Global().Get("indexedDB")
	if !factory.Truthy() {
		return nil, fmt.Errorf("open IndexedDB %s: this browser offers none", name)
	}
	req := factory.Call("open", name, 1)
	upgrade := js.FuncOf(func(js.Value, []js.Value) any {
		defer func() { recover() }() // a failed upgrade fails the open request
		db := req.Get("result")
		if !db.Get("objectStoreNames").Call("contains", idbObjectStore).Bool() {
			db.Call("createObjectStore", idbObjectStore)
		}
		return nil
	})
	defer upgrade.Release()
	req.Set("onupgradeneeded", upgrade)
	err = wait(req, "success", "error")
	req.Set("onupgradeneeded", js.Null())
	if err != nil {
		return nil, fmt.Errorf("open IndexedDB %s: %w", name, err)
	}
	b := &idb{name: name, lock: l, db: req.Get("result")}
	b.onVersionChange = js.FuncOf(func(js.Value, []js.Value) any {
		b.db.Call("close") // later calls fail with InvalidStateError
		return nil
	})
	b.db.Set("onversionchange", b.onVersionChange)
	return b, nil
}

// deleteIDB deletes the IndexedDB database name. The browser waits for
// other tabs to close their connections to it (they are asked to).
func deleteIDB(name string) (err error) {
	defer catch(&err, "delete IndexedDB "+name)
	factory := js.Global().Get("indexedDB")
	if !factory.Truthy() {
		return fmt.Errorf("delete IndexedDB %s: this browser offers none", name)
	}
	return wait(factory.Call("deleteDatabase", name), "success", "error")
}

func (b *idb) Scan(prefix string) (_ []kvRecord, err error) {
	defer catch(&err, "read IndexedDB "+b.name)
	tx := b.db.Call("transaction", idbObjectStore, "readonly")
	st := tx.Call("objectStore", idbObjectStore)
	var keys, values js.Value
	if prefix == "" {
		keys, values = st.Call("getAllKeys"), st.Call("getAll")
	} else {
		r := keyRange(prefix, prefixEnd(prefix))
		keys, values = st.Call("getAllKeys", r), st.Call("getAll", r)
	}
	if err := wait(tx, "complete", "abort"); err != nil {
		return nil, fmt.Errorf("read IndexedDB %s: %w", b.name, err)
	}
	// Few records (messages are in buckets): one crossing each.
	kr, vr := keys.Get("result"), values.Get("result")
	n := kr.Length()
	if vr.Length() != n {
		return nil, fmt.Errorf("read IndexedDB %s: %d keys but %d values", b.name, n, vr.Length())
	}
	recs := make([]kvRecord, n)
	for i := range recs {
		k, v := kr.Index(i), vr.Index(i)
		if k.Type() != js.TypeString || v.Type() != js.TypeString {
			return nil, fmt.Errorf("read IndexedDB %s: record %q: %w: a %s key and a %s value, want strings", b.name, k.String(), ErrCorrupt, k.Type(), v.Type())
		}
		recs[i] = kvRecord{Key: k.String(), Value: v.String()}
	}
	return recs, nil
}

func (b *idb) Write(bt *batch) error {
	if b.lock.taken.Load() {
		return fmt.Errorf("write IndexedDB %s: %w", b.name, ErrInUse)
	}
	tx, err := b.issue(bt)
	if err != nil {
		return err
	}
	if err := wait(tx, "complete", "abort"); err != nil {
		return fmt.Errorf("write IndexedDB %s: %w", b.name, err)
	}
	return nil
}

// issue starts a transaction with every request of the batch. The
// requests go out before control returns to the event loop, so the
// transaction cannot commit halfway. If one throws, the transaction is
// aborted: nothing of the batch is stored.
func (b *idb) issue(bt *batch) (tx js.Value, err error) {
	defer catch(&err, "write IndexedDB "+b.name)
	durability := "default"
	if bt.Strict {
		durability = "strict"
	}
	tx = b.db.Call("transaction", idbObjectStore, "readwrite", map[string]any{"durability": durability})
	defer func() {
		if err != nil {
			defer func() { recover() }() // already aborted
			tx.Call("abort")
		}
	}()
	defer catch(&err, "write IndexedDB "+b.name)
	st := tx.Call("objectStore", idbObjectStore)
	for _, op := range bt.Ops {
		switch op.Kind {
		case opPut:
			st.Call("put", op.Value, op.Key)
		case opDelete:
			st.Call("delete", op.Key)
		case opDeleteRange:
			st.Call("delete", keyRange(op.Key, op.End))
		}
	}
	return tx, nil
}

func (b *idb) Close() error {
	b.db.Set("onversionchange", js.Null())
	b.onVersionChange.Release()
	b.db.Call("close")
	b.lock.unlock()
	return nil
}

// webLock is a tab's claim on a database: a Web Lock (navigator.locks)
// held until unlock, or until another tab steals it (taken). Without
// Web Locks (very old browsers) there is no claim and nothing is taken.
type webLock struct {
	release js.Value // resolves the promise that holds the lock
	taken   atomic.Bool
}

// lockIDB claims the database name for this tab: ErrInUse if another tab
// holds it, unless takeOver steals it from that tab. onTaken runs (from
// a JavaScript callback) if another tab steals it later.
func lockIDB(name string, takeOver bool, onTaken func()) (_ *webLock, err error) {
	defer catch(&err, "lock "+name)
	l := &webLock{}
	nav := js.Global().Get("navigator")
	if !nav.Truthy() || !nav.Get("locks").Truthy() {
		return l, nil
	}
	got := make(chan bool, 1)
	var hold, settled, stolen js.Func
	releaseFuncs := func() {
		hold.Release()
		settled.Release()
		stolen.Release()
	}
	hold = js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 || args[0].IsNull() {
			got <- false // another tab has it
			return nil
		}
		exec := js.FuncOf(func(_ js.Value, a []js.Value) any {
			l.release = a[0]
			return nil
		})
		p := js.Global().Get("Promise").New(exec) // runs exec at once
		exec.Release()
		got <- true
		return p // held until release is called
	})
	settled = js.FuncOf(func(js.Value, []js.Value) any {
		releaseFuncs()
		return nil
	})
	stolen = js.FuncOf(func(js.Value, []js.Value) any {
		releaseFuncs()
		if !l.taken.Swap(true) && onTaken != nil {
			onTaken()
		}
		return nil
	})
	opts := map[string]any{"ifAvailable": true}
	if takeOver {
		opts = map[string]any{"steal": true}
	}
	nav.Get("locks").Call("request", "parley "+name, opts, hold).Call("then", settled, stolen)
	if !<-got {
		return nil, ErrInUse
	}
	return l, nil
}

// unlock gives the claim up (nothing if it was taken or never held).
func (l *webLock) unlock() {
	if l != nil && !l.release.IsUndefined() && !l.taken.Load() {
		l.release.Invoke()
		l.release = js.Undefined()
	}
}

// keyRange is IDBKeyRange.bound(from, to) without to: [from, to).
func keyRange(from, to string) js.Value {
	return js.Global().Get("IDBKeyRange").Call("bound", from, to, false, true)
}

// wait blocks until target (an IDBRequest or IDBTransaction) fires ok or
// fail, and returns nil or target's error. See idb on where it may run.
func wait(target js.Value, ok, fail string) error {
	done := make(chan error, 1)
	onOK := js.FuncOf(func(js.Value, []js.Value) any {
		done <- nil
		return nil
	})
	onFail := js.FuncOf(func(js.Value, []js.Value) any {
		done <- domError(target.Get("error"))
		return nil
	})
	target.Set("on"+ok, onOK)
	target.Set("on"+fail, onFail)
	err := <-done
	target.Set("on"+ok, js.Null())
	target.Set("on"+fail, js.Null())
	onOK.Release()
	onFail.Release()
	return err
}

// BrowserError is an error IndexedDB or localStorage reported: a
// DOMException's name (such as "QuotaExceededError", when the site's
// storage is full) and message.
type BrowserError struct {
	Name, Message string
}

func (e *BrowserError) Error() string { return e.Name + ": " + e.Message }

func domError(v js.Value) error {
	if !v.Truthy() {
		return &BrowserError{Name: "AbortError", Message: "the transaction was aborted"}
	}
	return &BrowserError{Name: v.Get("name").String(), Message: v.Get("message").String()}
}

// catch turns a JavaScript exception thrown by a js.Value call into an
// error.
func catch(err *error, what string) {
	r := recover()
	if r == nil {
		return
	}
	je, ok := r.(js.Error)
	if !ok {
		panic(r)
	}
	*err = fmt.Errorf("%s: %w", what, &BrowserError{Name: je.Get("name").String(), Message: je.Get("message").String()})
}
