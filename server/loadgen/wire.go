package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"parley/net/proto"
)

// wsConn is a minimal WebSocket client (RFC 6455) speaking Parley's JSON
// frames: one goroutine reads (readFrame), any goroutine writes. It is
// hand-written rather than coder/websocket or net/client so that a
// receiver costs one goroutine and one read buffer, and a received frame
// is parsed in place without an allocation: at 600k deliveries a second
// on two shared cores, the load generator's own cost is part of the
// measurement.
type wsConn struct {
	nc net.Conn
	br *bufio.Reader

	skip    int    // bytes of the previous frame still to discard from br
	scratch []byte // frames larger than br's buffer, and fragments

	wmu  sync.Mutex
	wbuf []byte
	key  uint32 // masking key state (xorshift); masking is not security here
}

// WebSocket opcodes.
const (
	opCont  = 0x0
	opText  = 0x1
	opBin   = 0x2
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

var errClosed = errors.New("websocket closed by the server")

// dialWS opens a WebSocket to addr (host:port, loopback only).
func dialWS(ctx context.Context, addr string, readBuf int) (*wsConn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	var k [16]byte
	rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET " + proto.WSPath + " HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Protocol: " + proto.Subprotocol + "\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket handshake: %w", err)
	}
	br := bufio.NewReaderSize(nc, readBuf)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket handshake: %w", err)
	}
	resp.Body.Close()
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(h[:]) {
		nc.Close()
		return nil, fmt.Errorf("websocket handshake: %s", resp.Status)
	}
	nc.SetDeadline(time.Time{})
	c := &wsConn{nc: nc, br: br, key: binary.LittleEndian.Uint32(k[:4]) | 1}
	// The server greets every connection with hello.
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	op, p, err := c.readFrame()
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("read hello: %w", err)
	}
	if op != opText || !bytes.HasPrefix(p, []byte(`{"type":"hello"`)) {
		nc.Close()
		return nil, fmt.Errorf("first frame is not hello: %.80s", p)
	}
	nc.SetReadDeadline(time.Time{})
	return c, nil
}

func (c *wsConn) Close() error { return c.nc.Close() }

// readFrame returns the next data message. The payload is valid until the
// next call. Pings are answered, pongs skipped, a close ends with errClosed.
func (c *wsConn) readFrame() (op byte, payload []byte, err error) {
	if c.skip > 0 {
		c.br.Discard(c.skip)
		c.skip = 0
	}
	var msgOp byte
	c.scratch = c.scratch[:0]
	for {
		var hdr [14]byte
		if _, err := io.ReadFull(c.br, hdr[:2]); err != nil {
			return 0, nil, err
		}
		fin, fop := hdr[0]&0x80 != 0, hdr[0]&0x0f
		masked := hdr[1]&0x80 != 0
		n := int64(hdr[1] & 0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(c.br, hdr[2:4]); err != nil {
				return 0, nil, err
			}
			n = int64(binary.BigEndian.Uint16(hdr[2:4]))
		case 127:
			if _, err := io.ReadFull(c.br, hdr[2:10]); err != nil {
				return 0, nil, err
			}
			n = int64(binary.BigEndian.Uint64(hdr[2:10]))
		}
		if n > 64<<20 {
			return 0, nil, fmt.Errorf("frame of %d bytes", n)
		}
		var mask [4]byte
		if masked {
			if _, err := io.ReadFull(c.br, mask[:]); err != nil {
				return 0, nil, err
			}
		}
		var p []byte
		inPlace := !masked && fin && fop != opCont && int(n) <= c.br.Size()
		if inPlace {
			if p, err = c.br.Peek(int(n)); err != nil {
				return 0, nil, err
			}
		} else {
			start := len(c.scratch)
			c.scratch = slices.Grow(c.scratch, int(n))[:start+int(n)]
			if _, err := io.ReadFull(c.br, c.scratch[start:]); err != nil {
				return 0, nil, err
			}
			p = c.scratch[start:]
			if masked {
				for i := range p {
					p[i] ^= mask[i&3]
				}
			}
		}
		switch fop {
		case opPing:
			pl := append([]byte(nil), p...)
			c.discard(inPlace, n)
			if err := c.write(opPong, pl); err != nil {
				return 0, nil, err
			}
			continue
		case opPong:
			c.discard(inPlace, n)
			continue
		case opClose:
			return 0, nil, errClosed
		case opCont:
			if !fin {
				continue
			}
			return msgOp, c.scratch, nil
		default:
			if !fin {
				msgOp = fop
				continue
			}
			if inPlace {
				c.skip = int(n)
			}
			return fop, p, nil
		}
	}
}

func (c *wsConn) discard(inPlace bool, n int64) {
	if inPlace {
		c.br.Discard(int(n))
	} else {
		c.scratch = c.scratch[:0]
	}
}

// appendFrame appends one masked client frame to buf.
func (c *wsConn) appendFrame(buf []byte, op byte, p []byte) []byte {
	buf = append(buf, 0x80|op)
	switch n := len(p); {
	case n < 126:
		buf = append(buf, 0x80|byte(n))
	case n < 1<<16:
		buf = append(buf, 0x80|126, byte(n>>8), byte(n))
	default:
		buf = append(buf, 0x80|127)
		buf = binary.BigEndian.AppendUint64(buf, uint64(n))
	}
	c.key ^= c.key << 13
	c.key ^= c.key >> 17
	c.key ^= c.key << 5
	var m [4]byte
	binary.LittleEndian.PutUint32(m[:], c.key)
	buf = append(buf, m[:]...)
	start := len(buf)
	buf = append(buf, p...)
	for i := range p {
		buf[start+i] ^= m[i&3]
	}
	return buf
}

// write sends one frame.
func (c *wsConn) write(op byte, p []byte) error {
	return c.writeFrames(func(add func(op byte, p []byte)) { add(op, p) })
}

// writeFrames sends the frames fill adds in one write call.
func (c *wsConn) writeFrames(fill func(add func(op byte, p []byte))) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = c.wbuf[:0]
	fill(func(op byte, p []byte) { c.wbuf = c.appendFrame(c.wbuf, op, p) })
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.nc.Write(c.wbuf)
	return err
}

// call sends a request and waits for its reply, skipping pushes. Only for
// setup: the measured paths parse frames in place.
func (c *wsConn) call(ctx context.Context, id int, typ string, body, reply any) error {
	sid := strconv.Itoa(id)
	req, err := proto.EncodeRequest(typ, sid, body)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetReadDeadline(dl)
		defer c.nc.SetReadDeadline(time.Time{})
	}
	if err := c.write(opText, req); err != nil {
		return fmt.Errorf("%s: %w", typ, err)
	}
	for {
		op, p, err := c.readFrame()
		if err != nil {
			return fmt.Errorf("%s: %w", typ, err)
		}
		if op != opText || !bytes.HasPrefix(p, []byte(`{"type":"reply"`)) {
			continue
		}
		f, err := proto.DecodeFrame(p)
		if err != nil {
			return fmt.Errorf("%s: %w", typ, err)
		}
		if f.ID != sid {
			continue
		}
		if f.Error != nil {
			return fmt.Errorf("%s: %w", typ, f.Error)
		}
		if reply != nil {
			if err := json.Unmarshal(f.Body, reply); err != nil {
				return fmt.Errorf("%s reply: %w", typ, err)
			}
		}
		return nil
	}
}
