package store

import (
	"encoding/json"
	"slices"

	"parley/net/proto"
)

// Folding history changes (docs/protocol.md, "Changing history").
//
// A change entry (proto.IsChange: edit, delete, react, unreact, pin,
// unpin) is stored like any message, so that seqs stay gap-free and Have
// counts it, and in the same transaction it is applied to the message it
// targets: the target's text, edited mark, tombstone, reactions and pin
// change, and so does its search index entry. Entries are never shown,
// never unread and never a conversation's Last.
//
// The server sends targets already folded ("as they are now"), so
// applying must be idempotent and must not undo newer state with an older
// entry. Every stored message therefore remembers the seq it is folded up
// to: an entry applies only above it. A message from the server is folded
// at least up to the highest seq of the batch it came in and the highest
// seq the store knew of its conversation (the server built the reply after
// those existed); a pushed message (PutLive, Ack) is folded up to its own
// seq. Applying an entry moves the mark to the entry's seq.

// history is what proto.Message carries beyond its first fields: the
// history-change fields. Stores keep it as one JSON value, empty when
// every field is zero (most messages).
type history struct {
	Target    int64            `json:"target,omitempty"`
	Emoji     string           `json:"emoji,omitempty"`
	Call      *proto.CallEntry `json:"call,omitempty"`
	ReplyTo   int64            `json:"reply_to,omitempty"`
	Reply     *proto.Quote     `json:"reply,omitempty"`
	Forwarded *proto.Forwarded `json:"forwarded,omitempty"`
	Mentions  []proto.UserID   `json:"mentions,omitempty"`
	Edited    int64            `json:"edited,omitempty"`
	Deleted   bool             `json:"deleted,omitempty"`
	Reactions []proto.Reaction `json:"reactions,omitempty"`
	Pinned    bool             `json:"pinned,omitempty"`
	Hidden    bool             `json:"hidden,omitempty"`
}

// historyFields is how many fields history has: the fields of
// proto.Message that only it stores.
const historyFields = 12

func historyOf(m proto.Message) history {
	return history{m.Target, m.Emoji, m.Call, m.ReplyTo, m.Reply, m.Forwarded, m.Mentions,
		m.Edited, m.Deleted, m.Reactions, m.Pinned, m.Hidden}
}

func (h history) zero() bool {
	return h.Target == 0 && h.Emoji == "" && h.Call == nil && h.ReplyTo == 0 && h.Reply == nil &&
		h.Forwarded == nil && len(h.Mentions) == 0 && h.Edited == 0 && !h.Deleted &&
		len(h.Reactions) == 0 && !h.Pinned && !h.Hidden
}

func (h history) set(m *proto.Message) {
	m.Target, m.Emoji, m.Call, m.ReplyTo, m.Reply, m.Forwarded, m.Mentions = h.Target, h.Emoji, h.Call, h.ReplyTo, h.Reply, h.Forwarded, h.Mentions
	m.Edited, m.Deleted, m.Reactions, m.Pinned, m.Hidden = h.Edited, h.Deleted, h.Reactions, h.Pinned, h.Hidden
}

// encodeHistory is m's history as JSON, or "" when it has none.
func encodeHistory(m proto.Message) string {
	h := historyOf(m)
	if h.zero() {
		return ""
	}
	b, err := json.Marshal(h)
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return string(b)
}

// decodeHistory sets m's history fields from encodeHistory's value.
func decodeHistory(s string, m *proto.Message) error {
	if s == "" {
		return nil
	}
	var h history
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		return err
	}
	h.set(m)
	return nil
}

// fold applies the change entry e to its target t. It allocates new
// slices: t's may be shared with a stored copy.
func fold(t *proto.Message, e proto.Message) {
	switch e.Kind {
	case proto.MsgEdit:
		if !t.Deleted {
			t.Text, t.Edited = e.Text, e.Time
		}
	case proto.MsgDelete:
		t.Deleted = true
		t.Text, t.File, t.Call, t.Reactions, t.Mentions, t.Edited, t.Pinned = "", nil, nil, nil, nil, 0, false
	case proto.MsgReact:
		if t.Deleted {
			return
		}
		rs := copyReactions(t.Reactions)
		i := slices.IndexFunc(rs, func(r proto.Reaction) bool { return r.Emoji == e.Emoji })
		if i < 0 {
			rs = append(rs, proto.Reaction{Emoji: e.Emoji})
			i = len(rs) - 1
		}
		if !slices.Contains(rs[i].Users, e.Sender) {
			rs[i].Users = append(rs[i].Users, e.Sender)
		}
		t.Reactions = rs
	case proto.MsgUnreact:
		rs := copyReactions(t.Reactions)
		for i := range rs {
			if rs[i].Emoji == e.Emoji {
				rs[i].Users = slices.DeleteFunc(rs[i].Users, func(u proto.UserID) bool { return u == e.Sender })
			}
		}
		rs = slices.DeleteFunc(rs, func(r proto.Reaction) bool { return len(r.Users) == 0 })
		if len(rs) == 0 {
			rs = nil
		}
		t.Reactions = rs
	case proto.MsgPin:
		t.Pinned = !t.Deleted
	case proto.MsgUnpin:
		t.Pinned = false
	}
}

func copyReactions(rs []proto.Reaction) []proto.Reaction {
	if rs == nil {
		return nil
	}
	out := make([]proto.Reaction, len(rs))
	for i, r := range rs {
		out[i] = proto.Reaction{Emoji: r.Emoji, Users: slices.Clone(r.Users)}
	}
	return out
}

// shown reports whether m is a message the conversation shows (its Last,
// an unread one): not a change entry.
func shown(m proto.Message) bool { return !proto.IsChange(m.Kind) }

// foldBases returns the seq each message of ms is folded up to when it is
// stored. A page of history (live false) is folded up to the highest seq
// of the batch and known before it; a pushed message (live) is as it was
// sent, folded up to its own seq.
func foldBases(ms []proto.Message, live bool, known func(proto.ConvID) int64) func(proto.Message) int64 {
	if live {
		return func(m proto.Message) int64 { return m.Seq }
	}
	base := map[proto.ConvID]int64{}
	for _, m := range ms {
		b, ok := base[m.Conv]
		if !ok {
			b = known(m.Conv)
		}
		base[m.Conv] = max(b, m.Seq)
	}
	return func(m proto.Message) int64 { return base[m.Conv] }
}

// changeEntries returns the change entries of ms in (conv, seq) order.
func changeEntries(ms []proto.Message) []proto.Message {
	var es []proto.Message
	for _, m := range ms {
		if proto.IsChange(m.Kind) && m.Target > 0 {
			es = append(es, m)
		}
	}
	slices.SortFunc(es, func(a, b proto.Message) int {
		if a.Conv != b.Conv {
			return cmpInt(int64(a.Conv), int64(b.Conv))
		}
		return cmpInt(a.Seq, b.Seq)
	})
	return es
}
