// Package proto defines everything that crosses the wire between a Parley
// client and server: the frame envelope, every request, reply and push body,
// the error codes, and the limits both sides enforce. It is shared by the
// server, the Go client and the tests, and it is the single source that
// docs/protocol.md describes; change one, change the other.
//
// proto holds data types and pure functions only: no I/O, no goroutines.
package proto

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Version is the protocol version. The WebSocket endpoint is /v1/ws and the
// subprotocol is Subprotocol; an incompatible change bumps both.
const (
	Version     = 1
	Subprotocol = "parley.v1"
	WSPath      = "/v1/ws"
)

// Limits enforced by the server (and checked early by clients).
const (
	MaxNameRunes    = 64        // display and group names, in Unicode code points
	MaxPasswordLen  = 1024      // bytes; argon2 input is bounded
	MinPasswordLen  = 6         // bytes
	MaxTextBytes    = 16 << 10  // message text, UTF-8 bytes
	MaxFrameBytes   = 128 << 10 // one WebSocket text frame (JSON escaping of 16 KiB of text fits)
	MaxHistoryLimit = 500       // messages in one history or sync page
	MaxClientIDLen  = 64        // client message id, bytes
	MaxRequestIDLen = 64        // request id, bytes
	MaxSyncConvs    = 10000     // conversations in one sync request
)

// Frame is the envelope of every JSON text frame, in both directions.
//
//	request: {"type":"send","id":"7","body":{...}}
//	reply:   {"type":"reply","id":"7","body":{...}}            success
//	         {"type":"reply","id":"7","error":{"code":...}}    failure
//	push:    {"type":"message","body":{...}}                   no id
type Frame struct {
	Type  string          `json:"type"`
	ID    string          `json:"id,omitempty"`
	Body  json.RawMessage `json:"body,omitempty"`
	Error *Error          `json:"error,omitempty"`
}

// Request types (client → server).
const (
	TypeRegister      = "register"
	TypeLogin         = "login"
	TypeResume        = "resume"
	TypeLogout        = "logout"
	TypeWhoAmI        = "whoami"
	TypePing          = "ping"
	TypeCreateGroup   = "create_group"
	TypeJoinGroup     = "join_group"
	TypeInvite        = "invite"
	TypeLeave         = "leave"
	TypeConversations = "conversations"
	TypeMembers       = "members"
	TypeDirect        = "direct"
	TypeSend          = "send"
	TypeHistory       = "history"
	TypeSync          = "sync"
)

// Frame types sent by the server.
const (
	TypeReply        = "reply"        // answer to a request, carries its id
	TypeHello        = "hello"        // first frame on every connection
	TypeMessage      = "message"      // push: a new message in one of my conversations
	TypeConversation = "conversation" // push: I joined, was invited to, or left a conversation
	TypePresence     = "presence"     // push: a watched member came online or went offline
)

// ---- Shared value types ----

// UserID and ConvID are the short numeric IDs people type and read.
type (
	UserID int64
	ConvID int64
)

// User is a public account: what other people see.
type User struct {
	ID   UserID `json:"id"`
	Name string `json:"name"`
	// The profile (people.go): filled where a reply lists people
	// (members, a direct conversation's peer, user, set_profile, the
	// profile push), omitted elsewhere. Picture is a file ID: GET
	// /v1/files/{id} with the session token. Deleted: the account was
	// deleted (Name is DeletedName).
	About   string `json:"about,omitempty"`
	Picture string `json:"picture,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
}

// Conversation kinds.
const (
	KindGroup  = "group"
	KindDirect = "direct"
)

// Conversation summarises one conversation the caller is a member of.
type Conversation struct {
	ID      ConvID   `json:"id"`
	Kind    string   `json:"kind"`           // KindGroup or KindDirect
	Name    string   `json:"name"`           // group name; for a direct conversation, the peer's name
	Peer    *User    `json:"peer,omitempty"` // the other person, direct conversations only
	Members int      `json:"members"`        // member count
	LastSeq int64    `json:"last_seq"`       // seq of the newest message, 0 if none
	Last    *Message `json:"last,omitempty"` // the newest message, if any
	// Read state (receipts.go): my read position, the messages after it
	// that count as unread, and in a direct conversation the peer's
	// positions (PeerRead only while both have read receipts on).
	ReadSeq       int64 `json:"read_seq"`
	Unread        int   `json:"unread"`
	PeerRead      int64 `json:"peer_read,omitempty"`
	PeerDelivered int64 `json:"peer_delivered,omitempty"`
	// My own settings (blocks.go): a first-contact request waiting for
	// my answer (do not ring), my notification level (omitted: all) and
	// its end, and whether I archived it.
	Request     bool   `json:"request,omitempty"`
	Notify      string `json:"notify,omitempty"`
	NotifyUntil int64  `json:"notify_until,omitempty"`
	Archived    bool   `json:"archived,omitempty"`
	// Picture: a group's picture, the file ID of its thumbnail (GET
	// /files/{id}, any logged-in user); omitted: none (groups.go).
	Picture string `json:"picture,omitempty"`
}

// Message kinds.
const (
	MsgText   = "text"   // Text holds what the sender wrote
	MsgSystem = "system" // Event says what happened; Text is empty
	MsgFile   = "file"   // File describes a file the sender shared; Text may hold a caption
)

// Message is one entry of a conversation's history. (Conv, Seq) identifies it;
// Seq is assigned by the server, starts at 1 and has no gaps.
type Message struct {
	Conv       ConvID `json:"conv"`
	Seq        int64  `json:"seq"`
	ClientID   string `json:"client_id,omitempty"` // the sender's idempotency key
	Sender     UserID `json:"sender"`
	SenderName string `json:"sender_name"`
	Time       int64  `json:"time"` // server receive time, Unix milliseconds
	Kind       string `json:"kind"` // MsgText or MsgSystem
	Text       string `json:"text,omitempty"`
	Event      *Event `json:"event,omitempty"`
	File       *File  `json:"file,omitempty"`

	// History changes (events.go, docs/protocol.md "Changing history").
	// On an entry that changes another message (edit, delete, react,
	// unreact, pin, unpin): the seq it changes, and a reaction's emoji.
	Target int64      `json:"target,omitempty"`
	Emoji  string     `json:"emoji,omitempty"`
	Call   *CallEntry `json:"call,omitempty"` // kind "call"
	// What a message carries from its send.
	ReplyTo   int64      `json:"reply_to,omitempty"`  // the seq it answers
	Reply     *Quote     `json:"reply,omitempty"`     // that message, as it is now
	Forwarded *Forwarded `json:"forwarded,omitempty"` // it copies someone's message
	Mentions  []UserID   `json:"mentions,omitempty"`  // members it mentions
	// Its state now, folded from the entries that changed it.
	Edited    int64      `json:"edited,omitempty"`    // time of the last edit, Unix ms; 0: never edited
	Deleted   bool       `json:"deleted,omitempty"`   // deleted for everyone: Text and File are gone
	Reactions []Reaction `json:"reactions,omitempty"` // by first reaction
	Pinned    bool       `json:"pinned,omitempty"`
	Hidden    bool       `json:"hidden,omitempty"` // hidden for the caller (history, sync, a summary's last; blocks.go)
}

// File describes a shared file; its bytes are fetched over HTTP (see
// docs/protocol.md, "Files").
type File struct {
	ID     string `json:"id"`              // download handle
	Name   string `json:"name"`            // sanitised display name
	Size   int64  `json:"size"`            // bytes
	SHA256 string `json:"sha256"`          // hex, verified by the server
	Type   string `json:"type,omitempty"`  // media type, if known
	Image  *Image `json:"image,omitempty"` // a picture the server decoded (media.go)
	Voice  *Voice `json:"voice,omitempty"` // a voice message (media.go)
}

// Membership events, recorded as system messages so that every member sees
// them in order and offline members get them on sync.
const (
	EventCreated = "created" // Actor created the group
	EventJoined  = "joined"  // Actor joined by ID (or invite link)
	EventInvited = "invited" // Actor invited Subject
	EventLeft    = "left"    // Actor left
)

// Event is the body of a system message, and of a group event (groups.go),
// whose settings fields say what a setting became.
type Event struct {
	Type    string `json:"type"`
	Actor   User   `json:"actor"`
	Subject *User  `json:"subject,omitempty"`
	// Group events only.
	Name        string `json:"name,omitempty"`        // renamed
	Description string `json:"description,omitempty"` // described
	Policy      string `json:"policy,omitempty"`      // policy
	Invite      string `json:"invite,omitempty"`      // permissions
	Send        string `json:"send,omitempty"`        // permissions
	Picture     string `json:"picture,omitempty"`     // picture: the new thumbnail's file ID ("" removed it)
}

// Member is one member of a conversation with their presence.
type Member struct {
	User
	Online bool `json:"online"`
}

// ---- Request and reply bodies ----

type RegisterRequest struct {
	Name     string `json:"name" badutf8:"invalid_name"`
	Password string `json:"password" badutf8:"weak_password"`
	// Code is a registration code, needed when the server's registration
	// mode is "codes" (ignored in "open").
	Code string `json:"code,omitempty" badutf8:"bad_code"`
}
type RegisterReply struct {
	User User `json:"user"`
}

type LoginRequest struct {
	User     UserID `json:"user"`
	Password string `json:"password" badutf8:"bad_credentials"`
	Device   string `json:"device,omitempty" badutf8:"invalid_name"` // free text shown in session lists, ≤ 64 runes
	Platform string `json:"platform,omitempty"`                      // the client's platform (linux, android, web…), ≤ 32 runes
}
type LoginReply struct {
	User  User   `json:"user"`
	Token string `json:"token"` // bearer token: resume with it, and authorise HTTP with it
}

type ResumeRequest struct {
	Token string `json:"token" badutf8:"bad_token"`
}
type ResumeReply struct {
	User User `json:"user"`
}

// WhoAmIReply answers whoami.
type WhoAmIReply struct {
	User User `json:"user"`
}

// ConversationReply answers create_group, join_group and direct.
type ConversationReply struct {
	Conversation Conversation `json:"conversation"`
}

type JoinGroupRequest struct {
	Group ConvID `json:"group"`
}

type InviteRequest struct {
	User  UserID `json:"user"`
	Group ConvID `json:"group"`
}
type InviteReply struct {
	User User `json:"user"`
}

type LeaveRequest struct {
	Conv ConvID `json:"conv"`
}

type ConversationsReply struct {
	Conversations []Conversation `json:"conversations"`
}

// MembersRequest lists a conversation's members. The connection also starts
// watching their presence (one conversation at a time per connection) until
// the next members request or Unwatch.
type MembersRequest struct {
	Conv    ConvID `json:"conv"`
	Unwatch bool   `json:"unwatch,omitempty"`
}
type MembersReply struct {
	Members []Member `json:"members"`
}

type DirectRequest struct {
	User UserID `json:"user"`
}

type SendRequest struct {
	Conv     ConvID `json:"conv"`
	ClientID string `json:"client_id"` // required idempotency key, unique per sender
	Text     string `json:"text" badutf8:"bad_text"`
	// Optional (docs/protocol.md, "Changing history").
	ReplyTo   int64       `json:"reply_to,omitempty"`   // a seq of this conversation
	Mentions  []UserID    `json:"mentions,omitempty"`   // kept only for members
	ForwardOf *MessageRef `json:"forward_of,omitempty"` // copy this message (Text must be empty)
}

// SendReply carries the stored message; a retried send returns the
// original message with Duplicate set.
type SendReply struct {
	Message   Message `json:"message"`
	Duplicate bool    `json:"duplicate,omitempty"`
	// For edit, delete, react and pin: the target as it is now. Unchanged
	// says that the request changed nothing (a reaction already there,
	// or not there to remove; a pin of a pinned message): Message is then
	// empty and no entry was appended.
	Target    *Message `json:"target,omitempty"`
	Unchanged bool     `json:"unchanged,omitempty"`
}

// HistoryRequest pages through a conversation. With neither Before nor After
// (nil, or null on the wire) it returns the newest Limit messages; Before
// returns the Limit messages just below that seq; After the Limit messages
// just above it, so After 0 is the first page (seqs 1..Limit). Set them
// with new: HistoryRequest{Conv: c, After: new(seq)}.
type HistoryRequest struct {
	Conv   ConvID `json:"conv"`
	Before *int64 `json:"before,omitempty"`
	After  *int64 `json:"after,omitempty"`
	Limit  int    `json:"limit,omitempty"` // default 50, at most MaxHistoryLimit
}

// HistoryReply holds messages in ascending seq order. More says that there
// are further messages in the requested direction.
type HistoryReply struct {
	Messages []Message `json:"messages"`
	More     bool      `json:"more"`
}

// SyncRequest says, per conversation, the last seq the client holds.
// Conversations the client does not know yet may be omitted: every
// conversation of the caller is in the reply.
type SyncRequest struct {
	Have  map[ConvID]int64 `json:"have"`
	Limit int              `json:"limit,omitempty"` // per conversation; default and max MaxHistoryLimit
	// HiddenAfter is the newest Hidden.ID the client holds: the reply
	// lists the caller's hides after it.
	HiddenAfter int64 `json:"hidden_after,omitempty"`
	// ProfilesAfter is the ProfilesRev of the last sync the client
	// stored: the reply lists the profiles changed since (people.go).
	ProfilesAfter int64 `json:"profiles_after,omitempty"`
}

// SyncReply lists every conversation of the caller and, for each with news,
// the messages after the client's seq (ascending, at most Limit). Where
// More is set the client continues with history(after=...).
type SyncReply struct {
	Conversations []Conversation `json:"conversations"`
	Messages      []Message      `json:"messages"`
	More          []ConvID       `json:"more,omitempty"`
	Hidden        []Hidden       `json:"hidden,omitempty"` // the caller's hides after HiddenAfter, by ID
	// The profiles of the people the caller shares a conversation with
	// (and the caller's own) changed after ProfilesAfter, oldest change
	// first, and the revision to send as ProfilesAfter next time.
	Profiles    []User `json:"profiles,omitempty"`
	ProfilesRev int64  `json:"profiles_rev,omitempty"`
}

// ---- Push bodies ----

// Hello is the first frame the server sends on a connection.
type Hello struct {
	Version       int    `json:"version"`
	Server        string `json:"server"`
	MaxTextBytes  int    `json:"max_text_bytes"`
	MaxFrameBytes int    `json:"max_frame_bytes"`
	// EditWindowMs is how long after a message's time its sender may
	// edit it, in ms; omitted when the server sets no bound (and by
	// servers older than the field).
	EditWindowMs int64 `json:"edit_window_ms,omitempty"`
	// UDP says the server carries call audio over UDP (call_rtc_offer
	// answers Opus calls); omitted when it has UDP off. A browser, which
	// can call only over UDP, can tell before calling.
	UDP bool `json:"udp,omitempty"`
}

// ConversationPush tells a user that they joined (Member true) or left
// (Member false) a conversation, on every device.
type ConversationPush struct {
	Conversation Conversation `json:"conversation"`
	Member       bool         `json:"member"`
	// Deleted: the group's owner deleted it (Member is false): drop its
	// history too (groups.go).
	Deleted bool `json:"deleted,omitempty"`
}

// Presence tells a watcher that a member came online or went offline.
type Presence struct {
	Conv   ConvID `json:"conv"`
	User   UserID `json:"user"`
	Online bool   `json:"online"`
}

// ---- Encoding helpers ----

// replyFrame is the envelope of a reply: unlike a push it always has an
// id, "" when the request's id could not be read.
type replyFrame struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Body  any    `json:"body,omitempty"`
	Error *Error `json:"error,omitempty"`
}

// EncodeReply encodes a successful reply to request id.
func EncodeReply(id string, body any) ([]byte, error) {
	b, err := json.Marshal(replyFrame{Type: TypeReply, ID: id, Body: body})
	if err != nil {
		return nil, fmt.Errorf("encode reply: %w", err)
	}
	return b, nil
}

// EncodeError encodes a failed reply to request id.
func EncodeError(id string, e *Error) []byte {
	b, err := json.Marshal(replyFrame{Type: TypeReply, ID: id, Error: e})
	if err != nil { // an Error always marshals
		panic(err)
	}
	return b
}

// EncodePush encodes a push frame. The fan-out encodes once and sends the
// same bytes to every recipient.
func EncodePush(typ string, body any) ([]byte, error) {
	return encode(typ, "", body)
}

// EncodeRequest encodes a request frame.
func EncodeRequest(typ, id string, body any) ([]byte, error) {
	return encode(typ, id, body)
}

func encode(typ, id string, body any) ([]byte, error) {
	// One pass: marshalling the body first and embedding it as a
	// RawMessage would make the encoder validate and copy it again.
	b, err := json.Marshal(struct {
		Type string `json:"type"`
		ID   string `json:"id,omitempty"`
		Body any    `json:"body,omitempty"`
	}{typ, id, body})
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return b, nil
}

// DecodeFrame parses the envelope of a text frame. It checks only the
// envelope (and that the body is JSON); bodies are decoded by DecodeBody
// once the type is known. The frame is read in one pass (see decode.go).
//
// A frame it refuses comes back with the request id when that could be
// read (a string of at most MaxRequestIDLen bytes), for the error reply
// to carry; else with ID "".
func DecodeFrame(data []byte) (Frame, error) {
	f, ok := scanFrame(data)
	if !ok {
		var err error
		f, err = unmarshalFrame(data)
		if f.ID != "" && !validText(data) && !idValid(data) {
			return Frame{}, Errorf(CodeBadFrame, "request id is not valid UTF-8")
		}
		if err != nil {
			// A syntax error leaves f empty; a value of the wrong type
			// leaves the fields read around it, the id among them.
			return Frame{ID: readableID(f.ID)}, Errorf(CodeBadFrame, "frame is not a JSON object: %v", err)
		}
	}
	if len(f.ID) > MaxRequestIDLen {
		return Frame{}, Errorf(CodeBadFrame, "request id longer than %d bytes", MaxRequestIDLen)
	}
	if f.Type == "" {
		return Frame{ID: f.ID}, Errorf(CodeBadFrame, "frame has no type")
	}
	return f, nil
}

// idValid reports whether the id of a frame that encoding/json could
// read is valid UTF-8 (else it read U+FFFD in its place).
func idValid(data []byte) bool {
	var raw struct {
		ID json.RawMessage `json:"id"`
	}
	json.Unmarshal(data, &raw) // as far as it goes: it read the id before
	return validText(raw.ID)
}

// readableID is id if it can be echoed in a reply, else "".
func readableID(id string) string {
	if len(id) > MaxRequestIDLen {
		return ""
	}
	return id
}

// unmarshalFrame decodes a frame with encoding/json (what scanFrame
// leaves to it).
func unmarshalFrame(data []byte) (Frame, error) {
	var f Frame
	err := json.Unmarshal(data, &f)
	return f, err
}

// DecodeBody decodes a frame body into v. An absent body decodes as {}.
// A body holding a string that is not valid UTF-8 is refused, v
// unchanged (see utf8.go).
func DecodeBody(body json.RawMessage, v any) error {
	if len(body) == 0 || string(body) == "null" {
		return nil
	}
	if decodeBody(body, v) { // never takes text that is not UTF-8
		return nil
	}
	if !validText(body) && json.Valid(body) {
		return textError(body, v)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return Errorf(CodeBadRequest, "malformed body: %v", err)
	}
	return nil
}
