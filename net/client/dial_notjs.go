//go:build !js

package client

import (
	"context"

	"github.com/coder/websocket"

	"parley/net/proto"
)

func wsDialOptions(o DialOptions) *websocket.DialOptions {
	return &websocket.DialOptions{
		HTTPClient:   o.HTTPClient,
		HTTPHeader:   o.Header,
		Subprotocols: []string{proto.Subprotocol},
	}
}

// keepalivePing sends a WebSocket ping and waits for the pong.
func (c *Conn) keepalivePing(ctx context.Context) error {
	return c.ws.Ping(ctx)
}
