// Package state is the application state that the model (app/model)
// publishes and the ui package draws. It is plain data: no network,
// no database, no Gio. A State value is a snapshot: the model never mutates
// a slice it has published, it replaces it, so the UI may keep and read a
// snapshot on its own goroutine without locks.
package state

import (
	"time"

	"parley/net/proto"
)

// Conn is the connection status shown on the profile card.
type Conn int

const (
	Offline    Conn = iota // no connection; retrying with backoff
	Connecting             // dialing or syncing
	Online                 // connected and synced
)

func (c Conn) String() string {
	switch c {
	case Online:
		return "online"
	case Connecting:
		return "connecting"
	}
	return "offline"
}

// State is everything the UI draws.
type State struct {
	// Server is the server address used for the next login or register,
	// pre-filled with the last one used (or the local server).
	Server string
	// Me is the logged-in user, nil when logged out (the UI shows login).
	Me *proto.User
	// Conn is the connection status.
	Conn Conn
	// RetryAt, while Offline, is when the next connection attempt starts
	// (Unix ms), for the offline bar's countdown; 0 if none is planned.
	RetryAt int64
	// Busy is set while an account action (login, register, logout) runs,
	// so the UI can disable its buttons.
	Busy bool
	// Registered is the account just created, to show "Registered — your
	// ID is 4821" on the login screen; nil otherwise.
	Registered *proto.User
	// CacheCleared is the account whose unreadable local copy was just
	// deleted (ResetCache): the login screen fills in its ID and says
	// that logging in fetches its conversations again.
	CacheCleared proto.UserID
	// AuthError is the error of the last login or register attempt, shown
	// inline on the login screen; nil if none.
	AuthError *Notice

	// Conversations lists every conversation, most recent activity first.
	Conversations []Conversation
	// Open is the open conversation, nil if none.
	Open *Open
	// Drafts are what was typed in each conversation and not sent yet
	// (kept across restarts): the composer shows a conversation's draft
	// when it opens.
	Drafts map[proto.ConvID]string
	// Notices is the notice bar, oldest first, at most MaxNotices.
	Notices []Notice
	// Search holds the last search and its results, nil if none.
	Search *Search
	// Find is the search within the open conversation (its header's
	// search field), nil if none.
	Find *Search
	// PathError says what is wrong with the path the file bar sent last
	// (no file there, not a file, not readable), to show next to the
	// field, which keeps the path; nil once a path is accepted.
	PathError *Notice
	// PathsSent counts the paths accepted for sending: the file bar
	// clears its field when it goes up.
	PathsSent uint64
	// Transfers lists file uploads and downloads, oldest first.
	Transfers []Transfer
	// Voice is the voice messages' recorder and player (voice.go).
	Voice Voice
	// Call is the voice call of the call bar, nil if there is none.
	Call *Call
	// AudioDevices lists the microphones and speakers to choose from; nil
	// until the model's ListAudioDevices has run.
	AudioDevices *AudioDevices
	// NoAudio says this build has no sound at all (the browser app):
	// the UI offers no calls.
	NoAudio bool
	// WebCalls says calls go through the browser's own WebRTC (the
	// browser app, NoAudio for the rest): they need UDP on the server.
	WebCalls bool
	// CallsNeedUDP says this server takes no calls from the browser: its
	// hello says it has UDP off (or it refused a browser call's UDP leg,
	// udp_off).
	CallsNeedUDP bool
	// EditWindow is how long after its Time (ms) the server lets a
	// sender edit a message, from its hello; 0 while not known, or when
	// the server sets no bound: then Edit is offered on every message.
	EditWindow int64

	// Read receipts and typing (receipts.go).
	ReceiptsOff bool                      // I turned read receipts off: show nobody's
	Typing      map[proto.ConvID][]Typist // who is typing where
	SeenBy      *SeenList                 // the last "Seen by" list asked for

	// Groups (groups.go).
	Group        *GroupPanel                          // the open settings panel, nil if none
	JoinRequests map[proto.ConvID][]proto.JoinRequest // waiting requests of the groups I run, oldest first
	LinkPreview  *LinkPreview                         // the invite link being looked at, nil if none

	// The Settings screen and profiles (settings.go).
	Settings      Settings
	Pictures      Pictures
	GroupPictures GroupPictures // groups' pictures (groups.go)

	// Pictures in conversations (pictures.go).
	Thumbs       Thumbs
	ThumbsFailed ThumbsFailed
	Picked       *Picked // files picked to send, shown before they go; nil if none

	// Blocks are the users I blocked, most recent first (convsettings.go).
	Blocks []proto.User

	// Media is the open "Files and media" panel, nil if none (media.go).
	Media *MediaPanel
}

// MaxNotices bounds the notice bar.
const MaxNotices = 20

// Conversation is one row of the conversation list.
type Conversation struct {
	ID      proto.ConvID
	Kind    string      // proto.KindGroup or proto.KindDirect
	Name    string      // group name, or the other person's name
	Peer    *proto.User // direct conversations: the other person
	Members int
	Unread  int64
	Last    *proto.Message // preview: the newest message, nil if none
	// MentionUnread says an unread message mentions me: the unread badge
	// shows "@". Mentioned is the newest message that mentions me among
	// those unread when the app started and those that came since, read
	// or not (a mention always notifies); nil if none.
	MentionUnread bool
	Mentioned     *proto.Message
	// My settings of it, from the server (settings.go): a first-contact
	// request waiting for my answer, how it notifies me (proto.Notify*,
	// "" is all) until NotifyUntil (Unix ms, 0: until changed), archived.
	Request     bool
	Notify      string
	NotifyUntil int64
	Archived    bool
	// Picture is a group's picture, its thumbnail's file ID ("" none);
	// State.GroupPictures has it decoded.
	Picture string
	// GroupCall is the call in progress in this group, nil if none.
	GroupCall *GroupCall
}

// Status is where one of my messages stands.
type Status int

const (
	Sent      Status = iota // stored by the server (has a seq)
	Sending                 // in the outbox, not acknowledged yet
	Failed                  // refused by the server; Error says why, the text is kept
	Delivered               // direct conversations: the peer's device holds it
	Read                    // direct conversations: the peer has read it
)

// Stored reports whether the server has the message: Sent, Delivered or
// Read.
func (s Status) Stored() bool { return s == Sent || s == Delivered || s == Read }

// Message is a message as the UI shows it.
type Message struct {
	proto.Message
	Mine   bool
	Status Status
	Error  *Notice // why it failed, with Status Failed
	// SeenBy is, for my messages in a group, how many others have read
	// it, as far as known (receipts.go).
	SeenBy int
}

// Open is the open conversation: its header, members, and a window of its
// history. The window holds at most a few hundred messages; older ones
// are paged in from the local store (and the server) on request.
type Open struct {
	Conversation
	Members []proto.Member // with presence; nil until loaded
	// Messages is the loaded window, ascending by seq, followed by my
	// unacknowledged messages (Status Sending or Failed) in send order.
	Messages []Message
	// HasOlder says that history older than Messages[0] exists.
	HasOlder bool
	// LoadingOlder is set while an older page is being fetched.
	LoadingOlder bool
	// Revision changes whenever Messages changes, so the UI can tell a
	// prepend (older page: keep the scroll position) from an append (new
	// message: follow the bottom if it was there).
	Revision uint64
	// Prepended is how many messages the last change put in front.
	Prepended int
	// HasNewer says that the window stops before the newest message: it
	// was loaded around an older one (a jump); LoadNewer pages on, and
	// opening the conversation again goes back to the newest.
	HasNewer bool
	// Focus is the message to scroll to and highlight briefly, set by a
	// jump (JumpTo); FocusGen changes with every jump, also to the same
	// message. Highlight is the search query whose matches the focused
	// message marks ("" none).
	Focus     int64
	FocusGen  uint64
	Highlight string
	// Pins are the conversation's pinned messages, in seq order, as they
	// are now (the pin bar); nil when none.
	Pins []Message
}

// NoticeKind says what a notice reports; the UI turns it into words in the
// user's language, with Args filled in.
type NoticeKind string

const (
	NoticeRegistered   NoticeKind = "registered"    // Args: user name, user ID
	NoticeGroupCreated NoticeKind = "group_created" // Args: group name, group ID
	NoticeJoined       NoticeKind = "joined"        // Args: group name, group ID
	NoticeInvited      NoticeKind = "invited"       // I invited someone. Args: user name, user ID, group name, group ID
	NoticeInvitedMe    NoticeKind = "invited_me"    // someone added me. Args: inviter name, inviter ID, group name, group ID
	NoticeLeft         NoticeKind = "left"          // Args: group name, group ID
	NoticeDirect       NoticeKind = "direct"        // a direct conversation opened. Args: peer name, peer ID
	NoticeLoggedOut    NoticeKind = "logged_out"    // no args
	NoticeSessionEnded NoticeKind = "session_ended" // the server ended the session; log in again
	NoticeError        NoticeKind = "error"         // Code is set; Text is the server's message (English)
)

// Notice is one line of the notice bar (or an inline error).
type Notice struct {
	ID   uint64 // unique, increasing
	Kind NoticeKind
	Args []string
	// Code is the error code with NoticeError: a proto.Code, or one of
	// the client codes below.
	Code proto.Code
	// Detail says which problem a CodeBadInput notice reports (one of the
	// Input* keys), so the UI can word it in the user's language with
	// Args; Text is the English wording for anything it does not know.
	Detail string
	Text   string // the server's message for people (English), if any
	Time   int64  // Unix ms of the last time it was raised
	// Expires is when the notice bar stops showing it (Unix ms; 0:
	// until dismissed). The model sets it; the UI hides expired notices
	// and the model drops them when the next one arrives.
	Expires int64
	// Count is how many times the same notice (kind, code and args) was
	// raised while shown: repeats merge into one, refreshed. 0 or 1: once.
	Count int
}

// How long notices stay in the notice bar.
const (
	NoticeLife      = 8 * time.Second  // what an action did
	ErrorNoticeLife = 20 * time.Second // what went wrong: longer, to read it
)

// Shown reports whether the notice bar shows n at now (Unix ms).
func (n Notice) Shown(now int64) bool { return n.Expires == 0 || now < n.Expires }

// OnLoginScreen reports whether n belongs to the login screen (the
// session ended): logging in makes it obsolete.
func (n Notice) OnLoginScreen() bool {
	return n.Kind == NoticeLoggedOut || n.Kind == NoticeSessionEnded || n.Kind == NoticeRevoked
}

// Client-side error codes, next to the server's proto codes.
const (
	CodeUnreachable proto.Code = "unreachable" // the server could not be reached
	CodeBadInput    proto.Code = "bad_input"   // the form was not filled in right; Text says what
	CodeLocal       proto.Code = "local"       // the local store failed; Text says how
	CodeCache       proto.Code = "cache"       // this device's copy of the account would not open: the login screen offers to clear it
	CodeInUse       proto.Code = "in_use"      // another tab of the browser has the account open: the login screen offers to use it here
	CodeNoDevices   proto.Code = "no_devices"  // the sound devices could not be listed; Args[0] is the short reason, Text all of it
)

// What a CodeBadInput notice is about (Notice.Detail), with its Args.
const (
	InputLoggedOut        = "logged_out"        // log in first
	InputServer           = "server"            // enter the server address
	InputServerBad        = "server_bad"        // Args: what was typed
	InputUserID           = "user_id"           // not a user ID (a number)
	InputGroupID          = "group_id"          // not a group ID (a number)
	InputName             = "name"              // enter a name
	InputNameLong         = "name_long"         // Args: the maximum length
	InputPasswordShort    = "password_short"    // Args: the minimum length
	InputPasswordMismatch = "password_mismatch" // the two passwords differ
	InputPassword         = "password"          // enter your password
	InputGroupName        = "group_name"        // Args: the maximum length
	InputWhichGroup       = "which_group"       // open a group or enter its ID
	InputMessageEmpty     = "message_empty"     // the message is empty
	InputMessageLong      = "message_long"      // Args: the maximum in bytes, the length
	InputNoConversation   = "no_conversation"   // open a conversation first
	InputNotAFile         = "not_a_file"        // Args: the path
	InputNoSuchFile       = "no_such_file"      // nothing at the path typed: check it. Args: the path
	InputChooseFile       = "choose_file"       // choose a file or enter its path
	InputNoHome           = "no_home"           // Args: the path
	InputFileTarget       = "file_target"       // open a conversation or enter a user ID
	InputNotFileMessage   = "not_file_message"  // the message holds no file
	InputTransferBusy     = "transfer_busy"     // pause or cancel the transfer first
	InputNotSaved         = "not_saved"         // Args: the file name
	InputNoRoomToCopy     = "no_room_to_copy"   // no room on this device to copy the picked file for sending. Args: the file name
	InputTooBigForMemory  = "too_big_memory"    // the browser sends files up to a size. Args: the file name, its size, the limit ("512 MB")
	InputPickAgain        = "pick_again"        // the page was reloaded: the browser no longer holds the file; choose it again. Args: the file name
	InputTooBigToSave     = "too_big_save"      // the browser saves files up to a size. Args: the file name, its size, the limit ("512 MB")
)

// Search is a search of the history: the local index's results merged
// with the server's (history this device never downloaded), one per
// (conversation, seq), newest first.
type Search struct {
	Query string
	// Conv is the conversation searched (Find); 0: every conversation.
	Conv    proto.ConvID
	Results []Message // newest first
	Running bool      // the local search runs
	// Remote is where the server's part stands: it arrives after the
	// local results, and is missing while offline.
	Remote SearchRemote
}

// SearchRemote is where the server's part of a search stands.
type SearchRemote int

const (
	RemoteDone    SearchRemote = iota // merged in (or none asked for)
	RemotePending                     // asked; the results so far are local only
	RemoteMissing                     // offline or refused: local results only
)

// TransferDirection says which way a file goes.
type TransferDirection string

const (
	Upload   TransferDirection = "up"   // this device sends the file
	Download TransferDirection = "down" // this device saves the file
)

// TransferState is where a transfer stands.
type TransferState string

const (
	TransferQueued   TransferState = "queued"   // waiting for its turn or for the network
	TransferActive   TransferState = "active"   // moving bytes (or checking them: Checking)
	TransferPaused   TransferState = "paused"   // stopped by the user; ResumeTransfer continues it
	TransferDone     TransferState = "done"     // sent, or saved at Path
	TransferFailed   TransferState = "failed"   // Error says why; ResumeTransfer tries again
	TransferCanceled TransferState = "canceled" // stopped for good
)

// Transfer is one file upload or download: a transfer row in the UI.
type Transfer struct {
	ID        string
	Direction TransferDirection
	Conv      proto.ConvID
	Name      string // sanitised file name
	Size      int64  // bytes
	Done      int64  // bytes sent or received (while Checking: bytes checked)
	// Checking is set while the local file is read to compute or verify
	// its SHA-256, before bytes move.
	Checking bool
	// Preparing is set (with Checking, State active) while a file the
	// picker gave as a stream (phones, the browser) is copied into the
	// app or read into memory, before it is queued; Done counts the bytes
	// copied and Size is 0 if the picker did not say. It can be
	// cancelled, not paused.
	Preparing bool
	Speed     float64       // bytes per second, 0 while unknown
	ETA       time.Duration // time left, -1 while unknown
	State     TransferState
	Error     *Notice // why it failed (State failed) or is waiting to retry (queued)
	Path      string  // the local file: the one sent, or the saved one once done
	FileID    string  // downloads: the proto.File.ID of the message it saves
}

// Notices and error codes of file transfers.
const (
	// NoticeFileReceived: someone shared a file. Args: sender name, sender
	// ID, file name, size ("12.4 MB"), conversation ID.
	NoticeFileReceived NoticeKind = "file_received"
	// NoticeFileSaved: a download finished. Args: file name, saved path.
	NoticeFileSaved NoticeKind = "file_saved"

	CodeFileChanged  proto.Code = "file_changed"  // the file changed while it was sent; nothing was published
	CodeFileMissing  proto.Code = "file_missing"  // the file is gone
	CodeDiskFull     proto.Code = "disk_full"     // no room to save the file
	CodeNoPermission proto.Code = "no_permission" // the file or folder may not be read or written
	CodeCorrupt      proto.Code = "corrupt"       // the received file did not match its SHA-256
)

// CallState is where a call stands, as the call bar shows it.
type CallState int

const (
	CallRinging    CallState = iota // I called; the other person's devices ring (I hear ringback)
	CallIncoming                    // someone calls me: show Accept and Decline, play the ring tone
	CallConnecting                  // answered; the audio is starting
	CallActive                      // in call: audio flows; the timer runs from Started
	CallEnded                       // over: EndReason says why; stays until DismissCall or the next call
)

func (s CallState) String() string {
	switch s {
	case CallRinging:
		return "ringing"
	case CallIncoming:
		return "incoming"
	case CallConnecting:
		return "connecting"
	case CallActive:
		return "in call"
	case CallEnded:
		return "ended"
	}
	return "unknown"
}

// Call is one voice call. The UI computes the timer as now − Started
// while active, and shows Duration once ended ("Call ended (3:41)").
type Call struct {
	ID       proto.CallID // 0 until the server has answered the call request
	State    CallState
	Peer     proto.User // the other person; Name is empty until the server names them
	Outgoing bool       // I called
	Started  int64      // Unix ms of the answer; 0 before
	Ended    int64      // Unix ms of the end; 0 before
	Duration int64      // ms from answer to end, once ended; 0 if never answered
	Muted    bool
	Level    float32 // my microphone's level, 0 to 1 (a 60 dB scale), updated ten times a second
	// EndReason, once ended: a proto.End* reason (hangup, cancelled,
	// declined, no_answer, answered_elsewhere, dropped), or the code of
	// a call that never rang (busy, offline, no_such_user, self, in_call,
	// or a client code: unreachable, local).
	EndReason string
	// EndedBy is who hung up, declined or dropped, when known (it may be
	// me: "You hung up" against "Wang hung up").
	EndedBy proto.UserID
	// Carrier is what carries the audio once it flows: CarrierWebSocket,
	// or CarrierUDP once a UDP leg connected; "" before.
	Carrier string
	// Group calls: Group is the group conversation (0 for a 1:1 call) and
	// GroupName its name; Peer is who started it (who rings me, while
	// incoming). Participants is everyone in the call now, me included,
	// by slot, once I am in it.
	Group        proto.ConvID
	GroupName    string
	Participants []CallParticipant
}

// CallParticipant is one person in a group call, as the call screen
// shows them.
type CallParticipant struct {
	User  proto.User
	Slot  int
	Me    bool
	Muted bool // they said they muted (call_mute)
	// Level is their audio's level as I hear it (mine: my microphone's),
	// 0 to 1 on the same scale as Call.Level; Speaking says it was above
	// the speaking threshold within the last 300 ms.
	Level    float32
	Speaking bool
}

// GroupCall is the call in progress in a group, as the conversation
// shows it: "Call in progress · 3 people · Join".
type GroupCall struct {
	Call         proto.CallID
	StartedBy    proto.UserID
	Started      int64 // Unix ms
	Participants []proto.CallParticipant
	Joined       bool // I am in it, on this device
}

// Call carriers (Call.Carrier).
const (
	CarrierWebSocket = "websocket"
	CarrierUDP       = "udp"
)

// AudioDevices are the microphones and speakers, system defaults first,
// and the ones chosen ("" means the system default).
type AudioDevices struct {
	Inputs, Outputs []AudioDevice
	Input, Output   string
	// EchoOff: echo cancellation is switched off (a headset).
	EchoOff bool
}

// AudioDevice is one microphone or speaker.
type AudioDevice struct {
	ID      string
	Name    string
	Default bool
}
