package hub

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// rawConn is the TCP (or TLS) connection under one WebSocket. The hub
// hands it to coder/websocket through hijack, so that both write through
// it: coder/websocket its own frames (control frames, and binary audio
// frames written with ws.Write), the hub its text frames, many to a call
// (writeFrames). wmu keeps their frames from interleaving: coder/websocket
// flushes its buffer at the end of every frame, but a frame bigger than
// the buffer arrives in several Write calls, so Write reads each frame's
// header and holds wmu until the frame's last byte is written.
//
// A write that fails may have sent part of a frame: the stream is torn,
// and nothing may follow it (broken), not even a close frame.
type rawConn struct {
	net.Conn
	wmu  sync.Mutex
	peek []byte          // bytes the HTTP server had read ahead, returned first
	br   *bufio.Reader   // coder/websocket's read buffer over this conn
	sc   syscall.RawConn // the socket, for waitReadable; nil for TLS

	// State of coder/websocket's frame in progress. Its writes are
	// serialised by coder/websocket, and wmu is held while a frame is
	// incomplete.
	hbuf [14]byte // a header split across writes
	hn   int
	left int64 // payload bytes still to come

	deadline time.Time // the socket's write deadline (under wmu)

	broken atomic.Bool // a write failed: the stream may end inside a frame
}

var (
	// errBroken refuses writes after a failed one.
	errBroken = errors.New("an earlier write failed")
	// errStopped ends a batch at a frame boundary when the connection closes.
	errStopped = errors.New("connection closing")
)

// failed notes a write error, which leaves the stream torn.
func (r *rawConn) failed(err error) error {
	if err != nil {
		r.broken.Store(true)
	}
	return err
}

// canWait reports whether waitReadable can wait on the socket.
func (r *rawConn) canWait() bool { return r.sc != nil }

// buffered reports whether bytes wait in the read buffer; not while
// another goroutine reads.
func (r *rawConn) buffered() bool { return r.br.Buffered() > 0 || len(r.peek) > 0 }

func (r *rawConn) Read(p []byte) (int, error) {
	if len(r.peek) > 0 {
		n := copy(p, r.peek)
		r.peek = r.peek[n:]
		return n, nil
	}
	return r.Conn.Read(p)
}

// Write is coder/websocket's path to the socket.
func (r *rawConn) Write(p []byte) (int, error) {
	if r.left == 0 && r.hn == 0 {
		r.wmu.Lock() // a new frame
		if r.broken.Load() {
			r.wmu.Unlock()
			return 0, errBroken
		}
		// coder/websocket bounds its writes itself: lift a deadline of
		// writeFrames that is near or past.
		if !r.deadline.IsZero() && time.Until(r.deadline) < time.Second {
			r.deadline = time.Time{}
			r.Conn.SetWriteDeadline(r.deadline)
		}
	}
	n, err := r.Conn.Write(p)
	if err != nil {
		r.failed(err)
		r.left, r.hn = 0, 0
		r.wmu.Unlock()
		return n, err
	}
	r.account(p)
	if r.left == 0 && r.hn == 0 {
		r.wmu.Unlock() // the frame is complete
	}
	return n, nil
}

// account moves the frame state past p, which may end one frame and
// start the next.
func (r *rawConn) account(p []byte) {
	for len(p) > 0 {
		if r.left > 0 {
			k := min(int64(len(p)), r.left)
			r.left -= k
			p = p[k:]
			continue
		}
		r.hbuf[r.hn] = p[0]
		r.hn++
		p = p[1:]
		if hdr, total, ok := frameSize(r.hbuf[:r.hn]); ok {
			r.left = total - int64(hdr)
			r.hn = 0
		}
	}
}

// frameSize parses a frame header: its length and the whole frame's.
func frameSize(b []byte) (hdr int, total int64, ok bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	hdr = 2
	n := int64(b[1] & 0x7f)
	switch n {
	case 126:
		hdr = 4
	case 127:
		hdr = 10
	}
	if b[1]&0x80 != 0 {
		hdr += 4 // masked: never from a server, but counted right
	}
	if len(b) < hdr {
		return 0, 0, false
	}
	switch n {
	case 126:
		n = int64(b[2])<<8 | int64(b[3])
	case 127:
		n = 0
		for _, c := range b[2:10] {
			n = n<<8 | int64(c)
		}
	}
	return hdr, int64(hdr) + n, true
}

// armDeadline bounds the writes that follow, under wmu. Setting a
// deadline costs a timer update, so it is refreshed only when less than
// half of timeout is left: a write is bounded by timeout and given at
// least half of it. Every writer of the hub uses it rather than
// SetWriteDeadline, so that the deadline it remembers is the socket's.
func (r *rawConn) armDeadline(timeout time.Duration) {
	if now := time.Now(); r.deadline.Sub(now) < timeout/2 {
		r.deadline = now.Add(timeout)
		r.Conn.SetWriteDeadline(r.deadline)
	}
}

// writeChunk is the most the hub copies into one write: bigger frames go
// out on their own, uncopied.
const writeChunk = 64 << 10

var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, writeChunk); return &b }}

// writeFrames writes frames (JSON payloads) as unmasked WebSocket text
// frames, coalesced into as few write calls as fit writeChunk, within
// timeout for the whole batch. Every write call holds whole frames; when
// stop is closed, it returns errStopped after the write in progress,
// between two frames.
func (r *rawConn) writeFrames(frames [][]byte, timeout time.Duration, stop <-chan struct{}) error {
	bp := writeBufs.Get().(*[]byte)
	defer writeBufs.Put(bp)
	buf := (*bp)[:0]
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if r.broken.Load() {
		return errBroken
	}
	r.armDeadline(timeout)
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	for _, f := range frames {
		if len(buf) > 0 && len(buf)+len(f)+10 > writeChunk {
			if _, err := r.Conn.Write(buf); err != nil {
				return r.failed(err)
			}
			buf = buf[:0]
			if stopped() {
				return errStopped
			}
		}
		buf = appendTextHeader(buf, len(f))
		if len(f) > writeChunk/2 {
			if _, err := (&net.Buffers{buf, f}).WriteTo(r.Conn); err != nil {
				return r.failed(err)
			}
			buf = buf[:0]
			if stopped() {
				return errStopped
			}
			continue
		}
		buf = append(buf, f...)
	}
	if len(buf) > 0 {
		if _, err := r.Conn.Write(buf); err != nil {
			return r.failed(err)
		}
	}
	*bp = buf[:0]
	return nil
}

// tryWrite writes frames without waiting for the socket. ok is false
// when it could not try (the socket cannot be written so, or another
// frame is being written): nothing was written. Otherwise unsent are the
// frames the socket took nothing of, and rest is the end of the frame it
// took only part of (nil when it stopped between two frames); then wmu
// stays locked, so that nothing comes between, until writeRest sends the
// rest.
func (r *rawConn) tryWrite(frames [][]byte, timeout time.Duration) (rest []byte, unsent [][]byte, ok bool, err error) {
	if r.sc == nil || !rawSocket || !r.wmu.TryLock() {
		return nil, nil, false, nil
	}
	if r.broken.Load() {
		r.wmu.Unlock()
		return nil, nil, true, errBroken
	}
	// An expired deadline would fail even a write that need not wait.
	r.armDeadline(timeout)
	bp := writeBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	for _, f := range frames {
		buf = appendTextHeader(buf, len(f))
		buf = append(buf, f...)
	}
	left, err := r.writeNow(buf)
	if len(left) > 0 && err == nil {
		// Find the frame the socket stopped in.
		written, end := len(buf)-len(left), 0
		for i, f := range frames {
			start := end
			end += textHeaderLen(len(f)) + len(f)
			if end > written {
				if written > start {
					rest = append([]byte(nil), buf[written:end]...)
					i++
				}
				unsent = frames[i:]
				break
			}
		}
	}
	if rest == nil {
		r.wmu.Unlock()
	}
	if cap(buf) <= 4*writeChunk {
		*bp = buf[:0]
		writeBufs.Put(bp)
	}
	return rest, unsent, true, r.failed(err)
}

// writeRest finishes what tryWrite began, within timeout, and unlocks wmu.
func (r *rawConn) writeRest(rest []byte, timeout time.Duration) error {
	defer r.wmu.Unlock()
	r.armDeadline(timeout)
	_, err := r.Conn.Write(rest)
	return r.failed(err)
}

// WebSocket control opcodes (RFC 6455 section 5.5).
const (
	opPing = 0x9
	opPong = 0xA
)

// writeControl writes one unmasked control frame (payload ≤ 125 bytes).
func (r *rawConn) writeControl(op byte, payload []byte, timeout time.Duration) error {
	var f [2 + 125]byte
	f[0], f[1] = 0x80|op, byte(len(payload))
	n := 2 + copy(f[2:], payload)
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if r.broken.Load() {
		return errBroken
	}
	r.armDeadline(timeout)
	_, err := r.Conn.Write(f[:n])
	return r.failed(err)
}

// textHeaderLen is the length of appendTextHeader's header for n bytes.
func textHeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n < 1<<16:
		return 4
	default:
		return 10
	}
}

// appendTextHeader appends the header of an unmasked, final text frame of
// n payload bytes (RFC 6455 section 5.2).
func appendTextHeader(b []byte, n int) []byte {
	const finText = 0x81
	switch {
	case n < 126:
		return append(b, finText, byte(n))
	case n < 1<<16:
		return append(b, finText, 126, byte(n>>8), byte(n))
	default:
		return append(b, finText, 127, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// hijacker wraps the ResponseWriter given to websocket.Accept so that the
// connection it hijacks is a rawConn with buffers sized for chat: a small
// read buffer (requests are small; a big one is read in several calls)
// and a write buffer that only ever holds one control frame, instead of
// the HTTP server's 4 KiB each.
type hijacker struct {
	http.ResponseWriter
	raw *rawConn
}

const (
	readBufSize  = 512
	writeBufSize = 256 // a control frame: 14 bytes of header and at most 125 of payload
)

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	raw := &rawConn{Conn: nc}
	if n := brw.Reader.Buffered(); n > 0 {
		b, err := brw.Reader.Peek(n)
		if err != nil {
			nc.Close()
			return nil, nil, fmt.Errorf("read ahead bytes: %w", err)
		}
		raw.peek = append([]byte(nil), b...)
	}
	raw.br = bufio.NewReaderSize(raw, readBufSize)
	if sc, ok := nc.(syscall.Conn); ok && rawSocket {
		raw.sc, _ = sc.SyscallConn()
	}
	h.raw = raw
	return raw, bufio.NewReadWriter(raw.br, bufio.NewWriterSize(raw, writeBufSize)), nil
}
