//go:build unix

package hub

import (
	"io"
	"syscall"
)

// waitReadable returns when the socket has bytes to read (or an error to
// report); call it only when nothing is buffered (buffered). An idle
// connection waits here rather than deep inside the WebSocket reader, so
// its goroutine's stack can shrink to the minimum while it waits (the
// garbage collector shrinks stacks that use little of their size).
func (r *rawConn) waitReadable() {
	var one [1]byte
	r.sc.Read(func(fd uintptr) bool {
		// Look without taking: false makes the runtime wait for the
		// socket to become readable, then ask again.
		_, _, err := syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN && err != syscall.EINTR
	})
}

const rawSocket = true

// writeNow writes as much of b as the socket takes without waiting, and
// returns the rest.
func (r *rawConn) writeNow(b []byte) ([]byte, error) {
	var werr error
	err := r.sc.Write(func(fd uintptr) bool {
		for len(b) > 0 {
			n, err := syscall.Write(int(fd), b)
			if n > 0 {
				b = b[n:]
			}
			switch {
			case err == syscall.EINTR:
			case err == syscall.EAGAIN:
				return true // full: the rest is for a writer goroutine
			case err != nil:
				werr = err
				return true
			case n <= 0:
				werr = io.ErrShortWrite
				return true
			}
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return b, err
}
