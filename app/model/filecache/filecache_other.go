//go:build !js

package filecache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

func read(dir string, kind Kind, id string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, string(kind), id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", id, ErrNotCached)
	}
	return data, err
}

func write(dir string, kind Kind, id string, data []byte) error {
	path := filepath.Join(dir, string(kind), id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("keep %s %s: %w", kind, id, err)
	}
	// Through a temporary file, so that a crash leaves no half file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("keep %s %s: %w", kind, id, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keep %s %s: %w", kind, id, err)
	}
	return nil
}

func adopt(dir string, kind Kind, id, path string) error {
	dst := filepath.Join(dir, string(kind), id)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("keep %s %s: %w", kind, id, err)
	}
	if err := os.Rename(path, dst); err != nil {
		return fmt.Errorf("keep %s %s: %w", kind, id, err)
	}
	return nil
}
