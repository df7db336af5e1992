// Package client is Parley's Go session client: one WebSocket connection to
// a Parley server (Conn) and a reconnecting wrapper around it (Session).
//
// It owns the wire mechanics: dialing /v1/ws with the parley subprotocol,
// waiting for the server's hello, matching replies to requests by id,
// delivering server pushes in arrival order, keepalive pings, and
// reconnecting with exponential backoff and full jitter. The typed calls
// (Login, Send, SyncAll, ...) are thin wrappers over Call.
//
// It must not hold application state: it does not cache messages, keep an
// outbox, or store tokens. The application does that in OnConnect and
// OnPush, and decides what to do with ErrBadToken.
package client

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
)

var (
	// ErrClosed is wrapped by every error caused by the connection ending:
	// calls pending or started after the end, and Conn.Err.
	ErrClosed = errors.New("client: connection closed")

	// ErrOffline is returned by Session calls made while the session has
	// no connection that is online.
	ErrOffline = errors.New("client: offline")

	// ErrBadToken is wrapped by the error Session.Run returns when the
	// server rejects the resume token: the user must log in again.
	ErrBadToken = errors.New("client: session token rejected, log in again")
)

// NewClientID returns a fresh idempotency key for a send: 128 random bits
// as 32 hex digits.
func NewClientID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return hex.EncodeToString(b[:])
}
