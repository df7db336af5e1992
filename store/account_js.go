//go:build js

package store

import (
	"fmt"

	"parley/net/proto"
)

// OpenAccount returns an empty in-memory store: the browser build has no
// SQLite, so its cache lasts as long as the page.
func OpenAccount(root, server string, user proto.UserID, opt Options) (Store, error) {
	return NewMemory(opt), nil
}

// LastAccount reports ErrNotFound: the browser build keeps no account
// between page loads yet.
func LastAccount(root string) (Account, error) {
	return Account{}, fmt.Errorf("last account: %w", ErrNotFound)
}

// SetLastAccount does nothing in the browser build.
func SetLastAccount(root string, a Account) error { return nil }

// ClearLastAccount does nothing in the browser build.
func ClearLastAccount(root string) error { return nil }
