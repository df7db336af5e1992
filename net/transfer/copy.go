package transfer

import (
	"io"
	"sync"
	"time"

	"parley/net/hashcopy"
)

// Copy copies src to dst until src ends and feeds the same bytes to sum
// on a second goroutine (see hashcopy.Copy, which the server uses too).
func Copy(dst io.Writer, src io.Reader, sum io.Writer) (written int64, err error) {
	return hashcopy.Copy(dst, src, sum)
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
