package audio

import "sync/atomic"

// ring is a lock-free single-producer, single-consumer queue of samples
// between the audio thread and Go. One goroutine (or thread) writes, one
// reads; neither ever blocks or allocates. The indices count samples
// since the start and only grow; capacity is limit samples.
type ring struct {
	buf   []int16
	mask  uint64
	limit uint64
	w, r  atomic.Uint64 // samples written and read so far
}

func newRing(limit int) *ring {
	size := 1
	for size < limit {
		size *= 2
	}
	return &ring{buf: make([]int16, size), mask: uint64(size - 1), limit: uint64(limit)}
}

// len is how many samples are waiting. Either side may call it.
func (q *ring) len() int { return int(q.w.Load() - q.r.Load()) }

// free is how many samples fit. Either side may call it.
func (q *ring) free() int { return int(q.limit - (q.w.Load() - q.r.Load())) }

// write queues as much of p as fits and returns how much did. Producer only.
func (q *ring) write(p []int16) int {
	w := q.w.Load()
	n := min(uint64(len(p)), q.limit-(w-q.r.Load()))
	at := w & q.mask
	k := copy(q.buf[at:], p[:n])
	copy(q.buf, p[k:n])
	q.w.Store(w + n)
	return int(n)
}

// read takes up to len(p) samples into p and returns how many. Consumer only.
func (q *ring) read(p []int16) int {
	r := q.r.Load()
	n := min(uint64(len(p)), q.w.Load()-r)
	at := r & q.mask
	k := copy(p[:n], q.buf[at:])
	copy(p[k:n], q.buf)
	q.r.Store(r + n)
	return int(n)
}

// skip discards up to n waiting samples and returns how many. Consumer only.
func (q *ring) skip(n int) int {
	r := q.r.Load()
	k := min(uint64(n), q.w.Load()-r)
	q.r.Store(r + k)
	return int(k)
}
