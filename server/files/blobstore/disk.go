package blobstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Disk keeps blobs in a folder: Dir/HH/SHA256, HH the hash's first two
// digits. Temp is a folder on the same file system, where Put writes a
// blob before moving it into place, so that a blob is whole or absent.
type Disk struct {
	Dir, Temp string
}

// Path is where blob sha lives.
func (d Disk) Path(sha string) string { return filepath.Join(d.Dir, sha[:2], sha) }

func (d Disk) Open(ctx context.Context, sha string) (Blob, error) {
	f, err := os.Open(d.Path(sha))
	if err != nil {
		return nil, err // not a nil *os.File in a non-nil Blob
	}
	return f, nil
}

func (d Disk) Exists(ctx context.Context, sha string) (bool, error) {
	_, err := os.Stat(d.Path(sha))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("stat blob: %w", err)
}

// Put writes data to a partial file in Temp (ID.part, as an upload's,
// with an ID no upload has), syncs it and moves it into place. A crash
// midway leaves a partial file without an upload, which the files service
// removes at start.
func (d Disk) Put(ctx context.Context, sha string, data []byte) error {
	blob := d.Path(sha)
	var id [16]byte
	rand.Read(id[:])
	part := filepath.Join(d.Temp, hex.EncodeToString(id[:])+".part")
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create thumbnail: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if err = os.MkdirAll(filepath.Dir(blob), 0o700); err == nil {
			err = os.Rename(part, blob)
		}
	}
	if err != nil {
		os.Remove(part)
		return fmt.Errorf("store thumbnail: %w", err)
	}
	return errors.Join(SyncDir(filepath.Dir(blob)), SyncDir(d.Dir), SyncDir(d.Temp))
}

func (d Disk) Remove(ctx context.Context, sha string) error {
	if err := os.Remove(d.Path(sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove blob: %w", err)
	}
	return nil
}

// SyncDir makes the entries of folder dir durable (a file moved or
// created in it).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder to sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && runtime.GOOS != "windows" { // Windows cannot sync a folder
		return fmt.Errorf("sync folder: %w", err)
	}
	return nil
}
