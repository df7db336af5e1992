//go:build !js

package piccache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

func read(dir, id string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, "pictures", id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", id, ErrNotCached)
	}
	return data, err
}

func write(dir, id string, data []byte) error {
	path := filepath.Join(dir, "pictures", id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("keep picture %s: %w", id, err)
	}
	// Through a temporary file, so that a crash leaves no half picture.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("keep picture %s: %w", id, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keep picture %s: %w", id, err)
	}
	return nil
}
