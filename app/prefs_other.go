//go:build !js

package main

import "os"

// readPrefs reads the UI choices from the file at path.
func readPrefs(path string) ([]byte, error) { return os.ReadFile(path) }

// writePrefs replaces the file at path atomically.
func writePrefs(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
