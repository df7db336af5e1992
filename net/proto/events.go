package proto

import (
	"unicode/utf8"
)

// Changing history (docs/protocol.md, "Changing history").
//
// Every change to a conversation's history is a new entry in its stream,
// with its own seq and client_id, like a message: an edit, a delete, a
// reaction added or removed, a pin or unpin, and a call. The server also
// folds the change into the message it targets, in the same transaction,
// so history and sync return messages as they are now (Edited, Deleted,
// Reactions, Pinned) together with the entries, which a client may skip.

// Request types of history changes (client → server).
const (
	TypeEdit   = "edit"   // EditRequest → SendReply
	TypeDelete = "delete" // TargetRequest → SendReply (delete for everyone)
	TypeReact  = "react"  // ReactRequest → SendReply (add or remove one reaction)
	TypePin    = "pin"    // PinRequest → SendReply (pin or unpin)
	TypePins   = "pins"   // PinsRequest → PinsReply
	TypeHide   = "hide"   // TargetRequest → HideReply (delete for me)
)

// TypeHidden is the push telling a user's devices that they hid a message.
const TypeHidden = "hidden"

// Kinds of history entries. An entry's Target is the seq of the message
// it changes, in the same conversation.
const (
	MsgEdit    = "edit"    // Text is the target's new text
	MsgDelete  = "delete"  // the target was deleted for everyone
	MsgReact   = "react"   // Sender reacted to the target with Emoji
	MsgUnreact = "unreact" // Sender took back their reaction Emoji
	MsgPin     = "pin"     // Sender pinned the target
	MsgUnpin   = "unpin"   // Sender unpinned the target
	MsgCall    = "call"    // Call says how a call went; no target
)

// IsChange reports whether kind is an entry that changes another message
// (edit, delete, react, unreact, pin, unpin): clients fold it into its
// target rather than show it.
func IsChange(kind string) bool {
	switch kind {
	case MsgEdit, MsgDelete, MsgReact, MsgUnreact, MsgPin, MsgUnpin:
		return true
	}
	return false
}

// Limits of history changes.
const (
	MaxEmojiBytes   = 64 // one reaction
	MaxMentions     = 50 // user IDs in one message
	MaxQuoteRunes   = 100
	DefaultEditMins = 48 * 60 // the default edit window, minutes (server flag -edit-window)
)

// Error codes of history changes.
const (
	CodeNoSuchMessage Code = "no_such_message" // no message with that seq in that conversation (or it is a history entry)
	CodeNotSender     Code = "not_sender"      // only the sender may edit, or delete, this message
	CodeDeleted       Code = "deleted"         // the message was deleted
	CodeEditWindow    Code = "edit_window"     // the edit window of this message has passed
	CodeBadEmoji      Code = "bad_emoji"       // not one emoji, or longer than MaxEmojiBytes
)

// Reaction is one emoji under a message and who reacted with it, in the
// order they did.
type Reaction struct {
	Emoji string   `json:"emoji"`
	Users []UserID `json:"users"`
}

// Quote is what a reply shows of the message it answers, as that message
// is now.
type Quote struct {
	Seq        int64  `json:"seq"`
	Sender     UserID `json:"sender"`
	SenderName string `json:"sender_name"`
	Text       string `json:"text,omitempty"`      // its first line, at most MaxQuoteRunes runes
	FileName   string `json:"file_name,omitempty"` // for a file message
	Deleted    bool   `json:"deleted,omitempty"`   // it was deleted: show "Message deleted"
}

// MessageRef names a message: a conversation and a seq.
type MessageRef struct {
	Conv ConvID `json:"conv"`
	Seq  int64  `json:"seq"`
}

// Forwarded says whose message a forwarded message copies.
type Forwarded struct {
	From     UserID `json:"from"`
	FromName string `json:"from_name"`
}

// Call outcomes (CallEntry.Outcome).
const (
	CallAnswered = "answered" // DurationMs says how long it lasted
	CallMissed   = "missed"   // no answer: cancelled by the caller, no answer in time, or the caller dropped
	CallDeclined = "declined" // the callee declined
)

// CallEntry is the body of a call entry (kind "call"). The entry's Sender
// is the caller (of a group call: who started it).
type CallEntry struct {
	Caller     UserID `json:"caller"`
	Callee     UserID `json:"callee,omitempty"` // 1:1 calls
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason"`                // the CallEnd reason (group calls: how the last person left)
	DurationMs int64  `json:"duration_ms,omitempty"` // answered calls; group calls: from the start to the end
	// Group calls: Group is true, Started is when the call began (Unix ms;
	// the entry's time is its end), Participants everyone who was in it,
	// in the order they first joined. Outcome is answered if two or more
	// people were in it, missed if nobody joined the one who started it.
	Group        bool     `json:"group,omitempty"`
	Started      int64    `json:"started,omitempty"`
	Participants []UserID `json:"participants,omitempty"`
}

// EditRequest replaces the text of one of the caller's own messages.
type EditRequest struct {
	Conv     ConvID `json:"conv"`
	Seq      int64  `json:"seq"`
	ClientID string `json:"client_id"`
	Text     string `json:"text" badutf8:"bad_text"`
}

// TargetRequest names one message to delete (delete) or hide (hide).
type TargetRequest struct {
	Conv     ConvID `json:"conv"`
	Seq      int64  `json:"seq"`
	ClientID string `json:"client_id"`
}

// ReactRequest adds the caller's reaction Emoji to a message, or with
// Remove takes it back. Adding a reaction the caller already has, or
// removing one they do not, changes nothing and appends nothing: the
// reply then carries the message's current state with Unchanged set.
type ReactRequest struct {
	Conv     ConvID `json:"conv"`
	Seq      int64  `json:"seq"`
	ClientID string `json:"client_id"`
	Emoji    string `json:"emoji" badutf8:"bad_emoji"`
	Remove   bool   `json:"remove,omitempty"`
}

// PinRequest pins a message, or with Unpin unpins it.
type PinRequest struct {
	Conv     ConvID `json:"conv"`
	Seq      int64  `json:"seq"`
	ClientID string `json:"client_id"`
	Unpin    bool   `json:"unpin,omitempty"`
}

// PinsRequest asks for a conversation's pinned messages.
type PinsRequest struct {
	Conv ConvID `json:"conv"`
}

// PinsReply lists the pinned messages, folded, in seq order.
type PinsReply struct {
	Messages []Message `json:"messages"`
}

// HideReply answers hide.
type HideReply struct {
	Hidden Hidden `json:"hidden"`
}

// Hidden is one message a user hid for themself (delete for me). ID
// orders a user's hides; sync returns those after SyncRequest.HiddenAfter.
type Hidden struct {
	ID   int64  `json:"id"`
	Conv ConvID `json:"conv"`
	Seq  int64  `json:"seq"`
}

// IsEmoji reports whether s is one reaction: a single emoji of at most
// MaxEmojiBytes bytes. The rule (docs/protocol.md, "Reactions"): s is one
// user-perceived character built only of emoji code points — pictographs
// (U+1F000–U+1FAFF, U+2600–U+27BF, U+2300–U+23FF, U+2B00–U+2BFF, ©, ®,
// ‼, ⁉, ™, ℹ, ↔–↙, ↩, ↪, ⌚, 〰, 〽, ㊗, ㊙), joined by ZERO WIDTH JOINER
// (U+200D), each optionally followed by VARIATION SELECTOR-16 or -15
// (U+FE0F, U+FE0E) and a skin tone (U+1F3FB–U+1F3FF); or a keycap (0–9,
// # or * then U+FE0F and U+20E3); or a flag (two regional indicators,
// U+1F1E6–U+1F1FF); or a subdivision flag (🏴 then tag characters
// U+E0020–U+E007E and U+E007F).
func IsEmoji(s string) bool {
	if s == "" || len(s) > MaxEmojiBytes || !utf8.ValidString(s) {
		return false
	}
	rs := []rune(s)
	// A flag: exactly two regional indicators.
	if isRegional(rs[0]) {
		return len(rs) == 2 && isRegional(rs[1])
	}
	// A keycap: 0-9, # or *, [FE0F], 20E3.
	if rs[0] >= '0' && rs[0] <= '9' || rs[0] == '#' || rs[0] == '*' {
		switch {
		case len(rs) == 3:
			return rs[1] == 0xFE0F && rs[2] == 0x20E3
		case len(rs) == 2:
			return rs[1] == 0x20E3
		}
		return false
	}
	// A tag sequence (subdivision flags): 1F3F4, tags, 0E007F.
	if rs[0] == 0x1F3F4 && len(rs) > 2 && rs[1] >= 0xE0020 && rs[1] <= 0xE007E {
		for i, r := range rs[1:] {
			last := i == len(rs)-2
			if last && r != 0xE007F || !last && (r < 0xE0020 || r > 0xE007E) {
				return false
			}
		}
		return true
	}
	// Pictographs with modifiers, joined by ZWJ.
	want := true // a pictograph is expected next
	for i, r := range rs {
		switch {
		case want:
			if !isPictograph(r) {
				return false
			}
			want = false
		case r == 0x200D:
			want = true
		case r == 0xFE0F || r == 0xFE0E:
			if isModifier(rs[i-1]) || rs[i-1] == 0xFE0F || rs[i-1] == 0xFE0E {
				return false
			}
		case isModifier(r):
			if isModifier(rs[i-1]) {
				return false
			}
		default:
			return false
		}
	}
	return !want
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }
func isModifier(r rune) bool { return r >= 0x1F3FB && r <= 0x1F3FF }

func isPictograph(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF && !isRegional(r) && !isModifier(r):
		return true
	case r >= 0x2600 && r <= 0x27BF, r >= 0x2300 && r <= 0x23FF, r >= 0x2B00 && r <= 0x2BFF:
		return true
	case r >= 0x2194 && r <= 0x2199:
		return true
	}
	switch r {
	case 0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x21A9, 0x21AA, 0x3030, 0x303D, 0x3297, 0x3299:
		return true
	}
	return false
}
