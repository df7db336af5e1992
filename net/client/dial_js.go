//go:build js

package client

import (
	"context"

	"github.com/coder/websocket"

	"parley/net/proto"
)

// In a browser the WebSocket handshake is the browser's: HTTPClient and
// Header are ignored.
func wsDialOptions(DialOptions) *websocket.DialOptions {
	return &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}}
}

// keepalivePing uses the protocol's ping request: browsers do not let
// scripts send WebSocket pings.
func (c *Conn) keepalivePing(ctx context.Context) error {
	return c.Ping(ctx)
}
