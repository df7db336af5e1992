package hub

import "parley/net/proto"

// extraOps returns the request tables of features beyond chat (calls,
// files, ...), each defined in its own file. None yet.
func (h *Hub) extraOps() []map[string]op { return nil }

// binary handles a binary frame. Binary frames are reserved for call
// audio; until calls exist every one is refused.
func (h *Hub) binary(c *conn, data []byte) {
	c.reply("", nil, proto.Errorf(proto.CodeBadFrame, "binary frames are not accepted on this connection"))
}
