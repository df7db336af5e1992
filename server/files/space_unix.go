//go:build linux || darwin || freebsd || openbsd || netbsd

package files

import "syscall"

// freeSpace reports the bytes available to the server in dir's file
// system.
func freeSpace(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(uint64(st.Bavail) * uint64(st.Bsize)), true
}
