//go:build !js

package model

// platformDeliver is FilesConfig.Deliver's default: none, saves go into
// the downloads folder.
func platformDeliver() func(name string, data []byte) error { return nil }
