package hub

import (
	"github.com/coder/websocket"

	"parley/net/proto"
)

// reasonRevoked closes the connections of a revoked session
// (docs/protocol.md, "Closing").
const reasonRevoked = "session revoked"

// DropSessions closes, with 1008 "session revoked", every live connection
// of user except those of the session except (a token hash; nil: none),
// and returns how many it closed. Call it after the revocation of those
// sessions has committed: a login or resume that binds later checks its
// session again (confirmBound).
func (h *Hub) DropSessions(user proto.UserID, except []byte) int {
	h.mu.RLock()
	var victims []*conn
	for _, c := range h.users[user] {
		if except == nil || string(c.tokenHash) != string(except) {
			victims = append(victims, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range victims {
		c.close(websocket.StatusPolicyViolation, reasonRevoked)
	}
	return len(victims)
}
