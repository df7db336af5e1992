package transfer

import (
	"io"
	"sync"
	"time"
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
// The server and the client both stream files through it.
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
		n, rerr := fill(src, *buf)
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

// fill reads until b is full or r fails, returning r's error as it is
// (unlike io.ReadFull, which turns a short read into ErrUnexpectedEOF).
func fill(r io.Reader, b []byte) (int, error) {
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

// Phase says what a transfer is doing.
type Phase string

const (
	Hashing   Phase = "hashing"   // reading the local file to compute its SHA-256
	Sending   Phase = "sending"   // uploading
	Receiving Phase = "receiving" // downloading
	Verifying Phase = "verifying" // re-reading local bytes to check them
)

// Progress is a transfer's progress, reported through Hooks.Progress.
type Progress struct {
	Phase Phase
	Done  int64         // bytes done in this phase
	Size  int64         // bytes in all
	Speed float64       // bytes per second, smoothed; 0 until measured
	ETA   time.Duration // time left at Speed; -1 while unknown
}

// meter turns byte counts into throttled Progress reports with speed and
// time left. It is safe for concurrent use (an HTTP transport may still
// read a body after the response came); reports are made under its lock.
type meter struct {
	mu    sync.Mutex
	now   func() time.Time
	every time.Duration
	fn    func(Progress)

	p          Progress
	lastReport time.Time
	sampleAt   time.Time
	sampleDone int64
}

func newMeter(now func() time.Time, every time.Duration, fn func(Progress)) *meter {
	return &meter{now: now, every: every, fn: fn}
}

// start begins a phase at done of size bytes and reports it.
func (m *meter) start(phase Phase, done, size int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.now()
	m.p = Progress{Phase: phase, Done: done, Size: size, ETA: -1}
	m.sampleAt, m.sampleDone = t, done
	m.emit(t)
}

// set moves the count to done (which may go back, when a chunk is resent).
func (m *meter) set(done int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setLocked(done)
}

func (m *meter) setLocked(done int64) {
	m.p.Done = done
	t := m.now()
	if done < m.sampleDone {
		m.sampleAt, m.sampleDone = t, done
	}
	if dt := t.Sub(m.sampleAt); dt >= m.every && dt > 0 {
		inst := float64(done-m.sampleDone) / dt.Seconds()
		if m.p.Speed == 0 {
			m.p.Speed = inst
		} else {
			m.p.Speed = 0.3*inst + 0.7*m.p.Speed
		}
		m.sampleAt, m.sampleDone = t, done
	}
	if m.p.Speed > 0 {
		m.p.ETA = time.Duration(float64(m.p.Size-done) / m.p.Speed * float64(time.Second))
	}
	if done >= m.p.Size || t.Sub(m.lastReport) >= m.every {
		m.emit(t)
	}
}

func (m *meter) add(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setLocked(m.p.Done + n)
}

func (m *meter) emit(t time.Time) {
	m.lastReport = t
	if m.fn != nil {
		m.fn(m.p)
	}
}

// countingWriter counts the bytes written through it into a meter.
type countingWriter struct {
	w io.Writer
	m *meter
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.m.add(int64(n))
	return n, err
}
