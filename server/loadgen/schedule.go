package main

import (
	"bytes"
	"strconv"
	"time"
)

// schedule is a fixed-rate send plan shared by several publishers: message
// i (0, 1, 2, ...) is due at start + i/rate, and publisher p sends the
// messages i with i mod pubs == p. Latency is measured from the due time as
// well as from the actual send, so a publisher that falls behind (or a
// server that stops reading) shows up as latency instead of silently
// lowering the offered rate (coordinated omission).
type schedule struct {
	start time.Duration // offset from the run's epoch
	rate  float64       // messages per second, all publishers together
	pubs  int
	total int // messages in the plan
}

// due is when message i is to be sent.
func (s schedule) due(i int) time.Duration {
	return s.start + time.Duration(float64(i)*float64(time.Second)/s.rate)
}

// next returns publisher p's first message index at or after i, or -1 when
// the plan has none left.
func (s schedule) next(p, i int) int {
	if r := i % s.pubs; r != p {
		i += (p - r + s.pubs) % s.pubs
	}
	if i >= s.total {
		return -1
	}
	return i
}

// dueUpTo returns publisher p's messages from index i that are due at or
// before now, as the half-open range [i, end) stepped by pubs.
func (s schedule) dueUpTo(p, i int, now time.Duration) (end int) {
	for i = s.next(p, i); i >= 0 && s.due(i) <= now; i = s.next(p, i+1) {
		end = i + 1
	}
	return end
}

// Text stamps. A load-generator message's text starts with
// "lg<due>.<sent>." (nanoseconds since the run's epoch) and is padded with
// 'x' to its size, so every receiver can tell both latencies from the
// bytes it received.

// appendStamp appends a stamped text of exactly size bytes (longer if the
// stamp itself is).
func appendStamp(buf []byte, due, sent time.Duration, size int) []byte {
	start := len(buf)
	buf = append(buf, 'l', 'g')
	buf = strconv.AppendInt(buf, int64(due), 10)
	buf = append(buf, '.')
	buf = strconv.AppendInt(buf, int64(sent), 10)
	buf = append(buf, '.')
	for len(buf)-start < size {
		buf = append(buf, 'x')
	}
	return buf
}

// parseStamp reads the due and sent times of a stamped text.
func parseStamp(text []byte) (due, sent time.Duration, ok bool) {
	if !bytes.HasPrefix(text, []byte("lg")) {
		return 0, 0, false
	}
	text = text[2:]
	d, text, ok := parseUint(text, '.')
	if !ok {
		return 0, 0, false
	}
	s, _, ok := parseUint(text, '.')
	return time.Duration(d), time.Duration(s), ok
}

// parseUint reads decimal digits up to the terminator and returns the rest
// after it.
func parseUint(b []byte, term byte) (int64, []byte, bool) {
	var v int64
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + int64(c-'0')
		case c == term && i > 0:
			return v, b[i+1:], true
		default:
			return 0, nil, false
		}
	}
	return 0, nil, false
}

// Frame scanning. The measured paths read the server's frames in place
// instead of decoding JSON: encoding/json writes proto.Frame fields in
// declaration order, so a message push starts with {"type":"message" and a
// reply with {"type":"reply","id":". Setup uses proto and encoding/json.

var (
	prefixMessage = []byte(`{"type":"message","body":{`)
	prefixReply   = []byte(`{"type":"reply","id":"`)
	keySeq        = []byte(`"seq":`)
	keyConv       = []byte(`"conv":`)
	keyText       = []byte(`"text":"`)
	keyError      = []byte(`"error":`)
)

// scanMessage extracts conv, seq and text from a message push.
func scanMessage(p []byte) (conv, seq int64, text []byte, ok bool) {
	if !bytes.HasPrefix(p, prefixMessage) {
		return 0, 0, nil, false
	}
	body := p[len(prefixMessage):]
	conv, ok = intAfter(body, keyConv)
	if !ok {
		return 0, 0, nil, false
	}
	seq, ok = intAfter(body, keySeq)
	if !ok {
		return 0, 0, nil, false
	}
	if i := bytes.Index(body, keyText); i >= 0 {
		text = body[i+len(keyText):]
		if j := bytes.IndexByte(text, '"'); j >= 0 {
			text = text[:j]
		}
	}
	return conv, seq, text, true
}

// scanReply extracts the request id of a reply and the seq of the message
// it carries (send replies), or failed for an error reply.
func scanReply(p []byte) (id int64, seq int64, failed, ok bool) {
	if !bytes.HasPrefix(p, prefixReply) {
		return 0, 0, false, false
	}
	id, rest, ok := parseUint(p[len(prefixReply):], '"')
	if !ok {
		return 0, 0, false, false
	}
	if bytes.HasPrefix(rest, []byte(`,`+string(keyError))) {
		return id, 0, true, true
	}
	seq, _ = intAfter(rest, keySeq)
	return id, seq, false, true
}

func intAfter(b, key []byte) (int64, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0, false
	}
	b = b[i+len(key):]
	var v int64
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
		n++
	}
	return v, n > 0
}
