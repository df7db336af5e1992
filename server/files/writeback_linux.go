package files

import (
	"os"

	"golang.org/x/sys/unix"
)

// writebackEvery is how many written bytes of a PATCH body start the
// disk's writeback, so that the fsync at the end of the body finds little
// left to do and the disk works while the network does.
const writebackEvery = 4 << 20

// startWriteback asks the kernel to start writing a range of f to disk
// without waiting for it.
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
