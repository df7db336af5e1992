// Package store is the client's local cache: the session, conversations,
// members, messages keyed by (conversation, seq), the outbox of messages not
// yet acknowledged, file transfer records, and a full-text index over message
// text that finds substrings of Chinese text.
//
// One Store holds one account: OpenAccount maps (server, user) to a database
// of its own, named AccountPath(root, server, user) under the data folder
// the app passes in, so one account's search never finds another's
// messages. Three implementations pass the same test suite:
//
//   - SQLite (modernc.org/sqlite, WAL): desktop and phones. Not built for
//     js/wasm.
//   - The browser's durable store (durable.go): a Memory working set,
//     loaded whole at open, written through to an IndexedDB database on
//     every change; a change the browser refuses (its quota is full, say)
//     is an error and is undone. It keeps the newest 2,000 or so messages
//     of each conversation across reloads, and every outbox item, the
//     session and transfers. Its methods block on IndexedDB, so they must
//     not be called from a JavaScript callback (js.FuncOf): the event
//     loop would wait for the callback, which waits for the event loop.
//     The last account is kept in localStorage.
//   - Memory: in memory only, for tests.
//
// store must not import Gio or the network: it is told what happened (a
// server summary, a message, an ack) and remembers it. It does not decide
// what to fetch; the application model does, from Have and the paging
// queries.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"parley/net/proto"
)

// Errors returned by every implementation; match them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrInvalid  = errors.New("invalid argument")
	ErrClosed   = errors.New("store is closed")
	// ErrCorrupt: a record of the browser's cache cannot be read. Opening
	// fails with it, naming the record; nothing is dropped.
	ErrCorrupt = errors.New("corrupt")
	// ErrInUse: another tab of the browser has the account's cache open
	// (opening without Options.TakeOver), or took it over (every write
	// after that). One tab at a time writes a cache.
	ErrInUse = errors.New("open in another tab")
)

// Paging limits. A limit ≤ 0 means DefaultLimit; larger than MaxLimit is
// clamped to MaxLimit.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Store is one account's local cache.
//
// All methods are safe for concurrent use by several goroutines. Every
// method that writes more than one row does so atomically. After Close every
// method returns ErrClosed.
type Store interface {
	Sessions
	Conversations
	Members
	Messages
	Outbox
	Transfers
	Drafts
	PendingChanges
	VoicePlayed
	// Close releases the store. Data written before Close is durable.
	Close() error
}

// Session is what the app needs to resume a login.
type Session struct {
	Server string // server address as the user typed it, e.g. "https://chat.example.org"
	User   proto.User
	Token  string
}

// Sessions persists the logged-in session of the account.
type Sessions interface {
	// Session returns the saved session, or ErrNotFound.
	Session(ctx context.Context) (Session, error)
	// SaveSession replaces the saved session.
	SaveSession(ctx context.Context, s Session) error
	// ClearSession forgets the session (log out). No error if there is none.
	ClearSession(ctx context.Context) error
}

// Conversation is a cached conversation with its local state.
type Conversation struct {
	ID      proto.ConvID
	Kind    string      // proto.KindGroup or proto.KindDirect; "" until the server's summary arrives
	Name    string      // group name, or the peer's name for a direct conversation
	Peer    *proto.User // the other person, direct conversations only
	Members int         // member count from the server's summary

	LastSeq   int64          // highest seq known: the server's summary or a stored message
	ReadSeq   int64          // messages up to here are read (MarkRead)
	SyncedSeq int64          // the model holds every message up to here (SetSynced)
	Unread    int64          // max(0, LastSeq - ReadSeq - change entries stored above ReadSeq)
	Last      *proto.Message // the newest shown message known (stored or from the summary; not a change entry), nil if none

	Created int64 // when this device first learnt of the conversation, Unix ms

	Picture  string             // a group's picture, its thumbnail's file ID, from the server's summary ("" none)
	Settings proto.ConvSettings // my settings of it (SetConvSettings); Settings.Conv is 0 until any are stored
}

// Activity is the time the conversation list is ordered by: the newest
// message's time, or Created when there is none.
func (c Conversation) Activity() int64 {
	if c.Last != nil {
		return c.Last.Time
	}
	return c.Created
}

// Conversations caches the conversation list and the per-conversation local
// state (read and synced positions).
type Conversations interface {
	// PutConversations inserts or updates conversations from server
	// summaries. Server fields (kind, name, peer, member count, picture) are replaced;
	// LastSeq and Last only move forward; local fields (ReadSeq, SyncedSeq,
	// Created) are kept.
	PutConversations(ctx context.Context, cs ...proto.Conversation) error
	// Conversations lists every cached conversation, most recent activity
	// first (ties: higher ID first).
	Conversations(ctx context.Context) ([]Conversation, error)
	// Conversation returns one conversation, or ErrNotFound.
	Conversation(ctx context.Context, id proto.ConvID) (Conversation, error)
	// DeleteConversation removes a conversation with its messages, members
	// and outbox rows (the user left it). ErrNotFound if it is not cached.
	DeleteConversation(ctx context.Context, id proto.ConvID) error
	// MarkRead moves ReadSeq forward to seq; it never moves back.
	MarkRead(ctx context.Context, id proto.ConvID, seq int64) error
	// SetSynced records the seq up to which the model holds every message.
	SetSynced(ctx context.Context, id proto.ConvID, seq int64) error
	// Have returns SyncedSeq for every cached conversation, ready for
	// proto.SyncRequest.Have.
	Have(ctx context.Context) (map[proto.ConvID]int64, error)
	// SetConvSettings stores my settings of conversations (from the
	// server's summaries and conv_settings pushes), so that a start
	// without the server shows them. PutConversations leaves them as
	// they are; a conversation not cached is skipped.
	SetConvSettings(ctx context.Context, cs ...proto.ConvSettings) error
}

// Members caches the member lists of conversations.
type Members interface {
	// ReplaceMembers replaces the member list of a conversation, keeping the
	// given order. An unknown conversation gets a placeholder entry that a
	// later PutConversations fills in.
	ReplaceMembers(ctx context.Context, conv proto.ConvID, ms []proto.Member) error
	// Members returns the member list in the order it was stored; empty if
	// none is cached.
	Members(ctx context.Context, conv proto.ConvID) ([]proto.Member, error)
}

// SearchQuery asks for messages whose text contains Text.
//
// Chinese, Japanese and Korean text matches as a substring ("你好" finds
// "大家你好啊"); other words match as word prefixes, case-insensitively
// ("hel" finds "say Hello world", "ello" does not). Every term of the query
// must occur in the message, in any order.
type SearchQuery struct {
	Text  string
	Conv  proto.ConvID // 0: every conversation
	Limit int          // ≤ 0: DefaultLimit; clamped to MaxLimit
}

// Messages caches conversation history.
type Messages interface {
	// PutMessages stores messages, idempotently by (Conv, Seq): a message
	// already stored is left as it is. It returns how many were new. All
	// messages are written in one transaction. A message of an unknown
	// conversation creates a placeholder conversation.
	//
	// Change entries (proto.IsChange) are stored too, and folded into the
	// message they target in the same transaction (fold.go): the target's
	// text, edited mark, tombstone, reactions and pin, and its search
	// index entry, change. They are never a conversation's Last and never
	// count in Unread. The messages are taken as a page of history or
	// sync: as they are now, folded already by every entry up to the
	// highest seq of the batch, so those entries do not apply again.
	PutMessages(ctx context.Context, ms []proto.Message) (added int, err error)
	// PutLive is PutMessages for pushed messages: each as it was sent,
	// so the entries that follow it, in the same batch or later, apply.
	// Ack stores its message the same way.
	PutLive(ctx context.Context, ms []proto.Message) (added int, err error)
	// Hide marks a stored message Hidden ("delete for me", the hidden
	// push). A message not cached is no error: the server marks it hidden
	// when it sends it.
	Hide(ctx context.Context, conv proto.ConvID, seq int64) error
	// Latest returns the newest limit stored messages of a conversation, in
	// ascending seq order.
	Latest(ctx context.Context, conv proto.ConvID, limit int) ([]proto.Message, error)
	// Before returns the limit stored messages just below seq, ascending.
	Before(ctx context.Context, conv proto.ConvID, seq int64, limit int) ([]proto.Message, error)
	// After returns the limit stored messages just above seq, ascending.
	After(ctx context.Context, conv proto.ConvID, seq int64, limit int) ([]proto.Message, error)
	// Search returns matching messages, newest first by time (messages of
	// the same millisecond in no particular order). A query with no
	// searchable characters returns no messages.
	Search(ctx context.Context, q SearchQuery) ([]proto.Message, error)
}

// OutboxItem is a message the user sent that the server has not
// acknowledged yet.
type OutboxItem struct {
	ClientID string // the idempotency key sent as proto.SendRequest.ClientID; unique
	Conv     proto.ConvID
	Text     string
	ReplyTo  int64 // the seq it answers (proto.SendRequest.ReplyTo), 0 for none
	// Mentions are the members it mentions (proto.SendRequest.Mentions).
	Mentions []proto.UserID
	Created  int64 // Unix ms; Enqueue fills it from the store's clock when 0
	Attempts int   // sends tried so far
}

// Outbox is the queue of messages waiting for the server's ack. It survives
// restarts and keeps the order messages were queued in.
type Outbox interface {
	// Enqueue appends an item. ErrExists if its ClientID is queued already,
	// ErrNotFound if its conversation is not cached.
	Enqueue(ctx context.Context, it OutboxItem) error
	// Outbox lists queued items, oldest first.
	Outbox(ctx context.Context) ([]OutboxItem, error)
	// RecordAttempt adds one to an item's Attempts. ErrNotFound if absent.
	RecordAttempt(ctx context.Context, clientID string) error
	// RemoveOutbox drops an item (given up on). ErrNotFound if absent.
	RemoveOutbox(ctx context.Context, clientID string) error
	// Ack stores the server's copy of a sent message and drops the outbox
	// item in one transaction. An item already gone is not an error (a
	// duplicate ack).
	Ack(ctx context.Context, clientID string, m proto.Message) error
}

// Direction of a file transfer.
type Direction string

const (
	Up   Direction = "up"   // this device uploads
	Down Direction = "down" // this device downloads
)

// TransferState is where a transfer stands. The files code owns the
// meaning; these are the states it is expected to use.
type TransferState string

const (
	TransferQueued   TransferState = "queued"
	TransferActive   TransferState = "active"
	TransferPaused   TransferState = "paused"
	TransferDone     TransferState = "done"
	TransferFailed   TransferState = "failed"
	TransferCanceled TransferState = "canceled"
)

// Transfer is the durable record of one file upload or download, enough to
// resume it after a restart.
type Transfer struct {
	ID        string // chosen by the caller, unique
	Direction Direction
	Conv      proto.ConvID
	Name      string // file name shown to people
	Size      int64  // bytes
	SHA256    string // hex, "" until known
	Path      string // local file
	Offset    int64  // bytes done
	State     TransferState
	UploadID  string // the server's upload id, "" until created
	Created   int64  // Unix ms, set by the store on first put
	Updated   int64  // Unix ms, set by the store on every put

	// Voice: an upload of a voice message, what its create request says
	// (voice.go); nil otherwise.
	Voice *proto.Voice
	// Caption: an upload's caption, its file message's text (the create
	// request's text); "" for none.
	Caption string
}

// Transfers keeps file transfer records.
type Transfers interface {
	// PutTransfer inserts or replaces a record. Created is kept from the
	// first put; Updated is set to now.
	PutTransfer(ctx context.Context, t Transfer) error
	// Transfer returns one record, or ErrNotFound.
	Transfer(ctx context.Context, id string) (Transfer, error)
	// Transfers lists every record, oldest first.
	Transfers(ctx context.Context) ([]Transfer, error)
	// DeleteTransfer removes a record. ErrNotFound if absent.
	DeleteTransfer(ctx context.Context, id string) error
}

// Options configure a store. The zero value is ready to use.
type Options struct {
	// Now is the clock for Created/Updated times; nil means time.Now.
	Now func() time.Time
	// TakeOver (browser) opens the cache even if another tab has it
	// open: that tab's writes fail with ErrInUse from then on, and its
	// OnTaken runs. Desktop caches are SQLite files that any number of
	// processes share safely; it does nothing there.
	TakeOver bool
	// OnTaken (browser) is called once, from a JavaScript callback (it
	// must not block), when another tab takes the cache over.
	OnTaken func()
}

func (o Options) now() int64 {
	if o.Now == nil {
		return time.Now().UnixMilli()
	}
	return o.Now().UnixMilli()
}

// clampLimit applies DefaultLimit and MaxLimit.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

func validateMessage(m proto.Message) error {
	if m.Conv <= 0 || m.Seq <= 0 {
		return fmt.Errorf("message (conv %d, seq %d): %w", m.Conv, m.Seq, ErrInvalid)
	}
	return nil
}

func validateOutbox(it OutboxItem) error {
	if it.ClientID == "" || len(it.ClientID) > proto.MaxClientIDLen || it.Conv <= 0 {
		return fmt.Errorf("outbox item (client id %q, conv %d): %w", it.ClientID, it.Conv, ErrInvalid)
	}
	return nil
}

func validateTransfer(t Transfer) error {
	if t.ID == "" || (t.Direction != Up && t.Direction != Down) {
		return fmt.Errorf("transfer (id %q, direction %q): %w", t.ID, t.Direction, ErrInvalid)
	}
	return nil
}
