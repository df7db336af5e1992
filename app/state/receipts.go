package state

import "parley/net/proto"

// Typist is someone typing in a conversation: shown until Until (Unix
// ms, this device's clock), unless a stop or their message comes first.
type Typist struct {
	User  proto.UserID
	Name  string
	Until int64
}

// Typists returns who is typing in conv at now (Unix ms), in the order
// they started.
func (s State) Typists(conv proto.ConvID, now int64) []Typist {
	var out []Typist
	for _, t := range s.Typing[conv] {
		if now < t.Until {
			out = append(out, t)
		}
	}
	return out
}

// SeenList is who has read one of my messages (the seen_by request).
type SeenList struct {
	Conv    proto.ConvID
	Seq     int64
	Users   []proto.User
	Loading bool
	Error   *Notice // why the list could not be had (receipts_off…)
}
