// Package hashcopy streams bytes from a reader to a writer while a second
// goroutine hashes them, in constant memory. The server (an upload's
// bytes to disk) and the client (a download's to disk, a file's to its
// hash) both stream files through it; it holds no state between calls.
package hashcopy

import (
	"io"
	"sync"
)

// Copy buffers: a stream of any length moves through copyBuffers buffers
// of copyBufSize bytes.
const (
	copyBufSize = 1 << 20
	copyBuffers = 4
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// Copy copies src to dst until src ends and feeds the same bytes to sum
// (a hash) on a second goroutine, so that hashing overlaps reading and
// writing. It reports how many bytes reached dst; sum has seen exactly
// those. Memory is constant: four 1 MiB buffers, however long the stream.
func Copy(dst io.Writer, src io.Reader, sum io.Writer) (written int64, err error) {
	type chunk struct {
		buf *[]byte
		n   int
	}
	free := make(chan *[]byte, copyBuffers)
	full := make(chan chunk, copyBuffers)
	for range copyBuffers {
		free <- bufPool.Get().(*[]byte)
	}
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for c := range full {
			sum.Write((*c.buf)[:c.n])
			free <- c.buf
		}
	}()
	defer func() {
		close(full)
		<-hashed
		for range copyBuffers {
			bufPool.Put(<-free)
		}
	}()
	for {
		buf := <-free
		n, rerr := Fill(src, *buf)
		if n > 0 {
			nw, werr := dst.Write((*buf)[:n])
			written += int64(nw)
			if werr == nil && nw != n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				free <- buf
				return written, werr
			}
			full <- chunk{buf, n}
		} else {
			free <- buf
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
	}
}

// Fill reads until b is full or r fails, returning r's error as it is
// (unlike io.ReadFull, which turns a short read into ErrUnexpectedEOF).
func Fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
