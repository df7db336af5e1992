package model

import (
	"context"
	"errors"
	"log/slog"

	"parley/media/call"
	"parley/net/proto"
)

// udpLink: the browser build has no UDP carrier (nor Opus): calls there
// stay on the WebSocket.
type udpLink struct{ connected, failed chan struct{} }

var errNoUDP = errors.New("no UDP in the browser")

func dialUDP(context.Context, *account, proto.CallID, *call.Engine, *slog.Logger, int) (*udpLink, error) {
	return nil, errNoUDP
}

func (*udpLink) SendPacket([]byte) error { return errNoUDP }

func (*udpLink) close() {}
