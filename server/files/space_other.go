//go:build !(linux || darwin || freebsd || openbsd || netbsd)

package files

// freeSpace is unknown here; a full disk is reported when a write fails.
func freeSpace(dir string) (int64, bool) { return 0, false }
