//go:build js

package store

import (
	"encoding/json"
	"fmt"
	"path"
	"syscall/js"

	"parley/net/proto"
)

// OpenAccount opens the browser cache of one account: an IndexedDB
// database named AccountPath(root, server, user), such as
// "/parley/accounts/1f0e…-4821.db", loaded into a working set in memory
// and written through on every change (see durable.go). It blocks until
// the database is read: call it from a goroutine, never from a JavaScript
// callback. One tab at a time has it open, holding a Web Lock named for
// it: another tab gets ErrInUse unless it takes over (Options.TakeOver).
func OpenAccount(root, server string, user proto.UserID, opt Options) (Store, error) {
	name := AccountPath(root, server, user)
	l, err := lockIDB(name, opt.TakeOver, opt.OnTaken)
	if err != nil {
		return nil, fmt.Errorf("open account %d@%s: %w", user, server, err)
	}
	k, err := openIDB(name, l)
	if err != nil {
		l.unlock()
		return nil, fmt.Errorf("open account %d@%s: %w", user, server, err)
	}
	s, err := openDurable(k, opt, browserLimits)
	if err != nil {
		return nil, fmt.Errorf("open account %d@%s: %w", user, server, err)
	}
	return s, nil
}

// RemoveAccount deletes the browser cache of one account (its IndexedDB
// database), for a cache that cannot be opened: the conversations come
// back from the server at the next login, but messages still waiting in
// its outbox are lost. Removing a cache that does not exist is no error.
func RemoveAccount(root, server string, user proto.UserID) error {
	if err := deleteIDB(AccountPath(root, server, user)); err != nil {
		return fmt.Errorf("remove account %d@%s: %w", user, server, err)
	}
	return nil
}

// LastAccount returns the account SetLastAccount recorded under root, or
// ErrNotFound. The browser keeps it in localStorage, under the key
// root/last-account.json (the desktop's file name).
func LastAccount(root string) (_ Account, err error) {
	defer catch(&err, "last account")
	ls, err := localStorage()
	if err != nil {
		return Account{}, fmt.Errorf("last account: %w", err)
	}
	v := ls.Call("getItem", lastAccountKey(root))
	if v.IsNull() {
		return Account{}, fmt.Errorf("last account: %w", ErrNotFound)
	}
	var a Account
	if err := json.Unmarshal([]byte(v.String()), &a); err != nil {
		return Account{}, fmt.Errorf("last account: %s: %w", lastAccountKey(root), err)
	}
	return a, nil
}

// SetLastAccount records the account to reopen at the next page load.
func SetLastAccount(root string, a Account) (err error) {
	defer catch(&err, "set last account")
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("set last account: %w", err)
	}
	ls, err := localStorage()
	if err != nil {
		return fmt.Errorf("set last account: %w", err)
	}
	ls.Call("setItem", lastAccountKey(root), string(b))
	return nil
}

// ClearLastAccount forgets the last account. No error if none was
// recorded.
func ClearLastAccount(root string) (err error) {
	defer catch(&err, "clear last account")
	ls, err := localStorage()
	if err != nil {
		return fmt.Errorf("clear last account: %w", err)
	}
	ls.Call("removeItem", lastAccountKey(root))
	return nil
}

func lastAccountKey(root string) string { return path.Join(root, "last-account.json") }

// localStorage returns window.localStorage. Using it throws where the
// user blocks site data or the quota is full; catch turns that into an
// error.
func localStorage() (js.Value, error) {
	ls := js.Global().Get("localStorage")
	if !ls.Truthy() {
		return js.Value{}, fmt.Errorf("this browser offers no localStorage")
	}
	return ls, nil
}
