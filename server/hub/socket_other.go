//go:build !unix

package hub

// Where the socket cannot be watched without reading, connections wait
// in the WebSocket reader (canWait is false).
func (r *rawConn) waitReadable() {}

const rawSocket = false

// writeNow is never called where rawSocket is false.
func (r *rawConn) writeNow(b []byte) ([]byte, error) { return b, nil }
