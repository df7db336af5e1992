//go:build !js

package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"parley/net/proto"
)

// OpenAccount opens the SQLite cache of one account under the app's data
// folder root, creating the folder and the database as needed.
func OpenAccount(root, server string, user proto.UserID, opt Options) (Store, error) {
	path := AccountPath(root, server, user)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open account %d@%s: %w", user, server, err)
	}
	s, err := OpenSQLite(path, opt)
	if err != nil {
		return nil, fmt.Errorf("open account %d@%s: %w", user, server, err)
	}
	return s, nil
}

// RemoveAccount deletes the cache of one account under root (the
// database and its write-ahead log), for a cache that cannot be opened:
// the conversations come back from the server at the next login, but
// messages still waiting in its outbox are lost. The cache must not be
// open. Removing a cache that does not exist is no error.
func RemoveAccount(root, server string, user proto.UserID) error {
	path := AccountPath(root, server, user)
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove account %d@%s: %w", user, server, err)
	}
	return nil
}

// LastAccount returns the account SetLastAccount recorded under root, or
// ErrNotFound.
func LastAccount(root string) (Account, error) {
	b, err := os.ReadFile(lastAccountFile(root))
	if errors.Is(err, fs.ErrNotExist) {
		return Account{}, fmt.Errorf("last account: %w", ErrNotFound)
	}
	if err != nil {
		return Account{}, fmt.Errorf("last account: %w", err)
	}
	var a Account
	if err := json.Unmarshal(b, &a); err != nil {
		return Account{}, fmt.Errorf("last account: %s: %w", lastAccountFile(root), err)
	}
	return a, nil
}

// SetLastAccount records the account to reopen at the next start. The file
// is replaced atomically.
func SetLastAccount(root string, a Account) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("set last account: %w", err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("set last account: %w", err)
	}
	f, err := os.CreateTemp(root, ".last-account-*")
	if err != nil {
		return fmt.Errorf("set last account: %w", err)
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing to remove
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("set last account: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("set last account: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("set last account: %w", err)
	}
	if err := os.Rename(f.Name(), lastAccountFile(root)); err != nil {
		return fmt.Errorf("set last account: %w", err)
	}
	return nil
}

// ClearLastAccount forgets the last account (the user logged out). No error
// if none was recorded.
func ClearLastAccount(root string) error {
	err := os.Remove(lastAccountFile(root))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clear last account: %w", err)
	}
	return nil
}

// lastAccountFile holds the account the app reopens at start-up.
func lastAccountFile(root string) string { return filepath.Join(root, "last-account.json") }
