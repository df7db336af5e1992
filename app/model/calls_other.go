//go:build !js

package model

import (
	"parley/media/codec"
	"parley/net/client"
	"parley/net/proto"
)

// browserCalls: this build runs calls on media/call (calls_js.go is the
// browser's).
const browserCalls = false

// callCodecs is what this build offers and answers.
func callCodecs() []string { return codec.Names() }

func (r *callRun) webMedia(proto.CallID, bool, *client.Conn) {
	panic("browser calls outside the browser")
}
