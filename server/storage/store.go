package storage

import (
	"context"
	"time"

	"parley/net/proto"
)

// The Store interfaces are what the server's services need of storage,
// split by role so that each service names what it uses: the hub takes
// Accounts, Conversations, Groups and Operator; the files service takes
// Files (and two reads of Accounts and Conversations); the admin socket
// takes Operator. Store is all of them and the DB's lifetime.
//
// *DB implements Store, on SQLite (Open) or PostgreSQL (OpenPostgres);
// another implementation would go in a package of its own beside this
// one, using this package's types and errors. Each method's contract is the
// documentation of the *DB method of the same name, and the suite in
// storage/storagetest holds it for every implementation. What every
// implementation must also provide:
//
//   - Every write that changes history (a message, a history event, a
//     membership or group change) goes through one group-commit
//     sequencer: a conversation's seqs are gap-free and in commit order.
//   - A write is acknowledged (its method returns, or SendAsync calls
//     done) only after its transaction committed.
//   - Options.OnCommit receives every committed message, in commit order,
//     with an immutable snapshot of the members it must reach.
//   - A failure the client caused is a *proto.Error with a stable code;
//     anything else is a wrapped error. After Close, writes fail with
//     ErrClosed.
//   - Options.Now is the clock, Options.NoRequests turns off first-contact
//     requests, MaxBatch and OnBatch are the group commit's; Synchronous
//     and the checkpoint fields are SQLite's alone.
//   - SQLite's sequencer caches each conversation's last seq and members
//     because it is the only writer. Where several servers write one
//     database, they must come from the database in the transaction (the
//     conversation row), so that any server may write any conversation.

// Accounts is users, their passwords, profiles and sessions (devices):
// what the hub needs to register, log in and authenticate a connection.
type Accounts interface {
	CreateUser(ctx context.Context, name, pwHash string) (proto.User, error)
	CreateUserWithCode(ctx context.Context, name, pwHash, code string) (proto.User, error)
	User(ctx context.Context, id proto.UserID) (proto.User, error)
	PasswordHash(ctx context.Context, id proto.UserID) (proto.User, string, error)
	CheckEnabled(ctx context.Context, user proto.UserID) error
	SetPassword(ctx context.Context, user proto.UserID, hash string, keep []byte) error
	DeleteAccount(ctx context.Context, user proto.UserID) ([]string, error)
	Profile(ctx context.Context, id proto.UserID) (proto.User, error)
	ProfilesAfter(ctx context.Context, user proto.UserID, after int64) ([]proto.User, int64, error)
	Contacts(ctx context.Context, user proto.UserID) ([]proto.UserID, error)
	SetProfile(ctx context.Context, user proto.UserID, ch ProfileChange) (proto.User, []string, error)
	ReadReceipts(ctx context.Context, user proto.UserID) (bool, error)
	SetReadReceipts(ctx context.Context, user proto.UserID, on bool) error
	CreateSession(ctx context.Context, tokenHash []byte, user proto.UserID, device string) error
	StartSession(ctx context.Context, tokenHash []byte, user proto.UserID, ns NewSession) error
	TouchSession(ctx context.Context, tokenHash []byte, address string) error
	DeleteSession(ctx context.Context, tokenHash []byte) error
	SessionUser(ctx context.Context, tokenHash []byte) (proto.User, error)
	SessionLive(ctx context.Context, tokenHash []byte) error
	Sessions(ctx context.Context, user proto.UserID) ([]Session, error)
	RevokeDevice(ctx context.Context, user proto.UserID, id string) ([]byte, error)
	RevokeUserSessions(ctx context.Context, user proto.UserID, except []byte) (int, error)
}

// Conversations is messages and the conversations they are in: sends
// and history events through the sequencer, history, sync, read state,
// search, media, direct conversations, blocks, first-contact requests and
// a member's settings (muting, archiving).
type Conversations interface {
	Send(ctx context.Context, sender proto.User, conv proto.ConvID, clientID, text string) (proto.Message, bool, error)
	SendAsync(ctx context.Context, sender proto.User, conv proto.ConvID, clientID, text string, done func(m proto.Message, dup bool, err error)) error
	SendWith(ctx context.Context, sender proto.User, conv proto.ConvID, clientID, text string, x SendExtras) (proto.Message, bool, error)
	ApplyChange(ctx context.Context, actor proto.User, ch Change) (ChangeResult, error)
	RecordCall(ctx context.Context, caller proto.User, conv proto.ConvID, clientID string, e proto.CallEntry) (proto.Message, error)
	Hide(ctx context.Context, user proto.UserID, conv proto.ConvID, seq int64) (proto.Hidden, error)
	HiddenAfter(ctx context.Context, user proto.UserID, after int64) ([]proto.Hidden, error)
	Pins(ctx context.Context, caller proto.UserID, conv proto.ConvID) ([]proto.Message, error)
	Conversations(ctx context.Context, user proto.UserID) ([]proto.Conversation, error)
	Conversation(ctx context.Context, user proto.UserID, conv proto.ConvID) (proto.Conversation, error)
	UserConversationIDs(ctx context.Context, user proto.UserID) ([]proto.ConvID, error)
	PresenceConvIDs(ctx context.Context, user proto.UserID) ([]proto.ConvID, error)
	Members(ctx context.Context, conv proto.ConvID, caller proto.UserID) ([]proto.User, error)
	IsMember(ctx context.Context, conv proto.ConvID, user proto.UserID) (bool, error)
	History(ctx context.Context, caller proto.UserID, req proto.HistoryRequest) ([]proto.Message, bool, error)
	Sync(ctx context.Context, user proto.UserID, have map[proto.ConvID]int64, limit int) ([]proto.Conversation, []proto.Message, []proto.ConvID, error)
	Media(ctx context.Context, caller proto.UserID, req proto.MediaRequest) ([]proto.Message, bool, error)
	Search(ctx context.Context, user proto.UserID, query string, conv proto.ConvID, before int64, limit int) (ms []proto.Message, next int64, err error)
	MarkRead(ctx context.Context, user proto.UserID, conv proto.ConvID, seq int64) (before, after Position, err error)
	MarkDelivered(ctx context.Context, user proto.UserID, conv proto.ConvID, seq int64) (before, after Position, err error)
	SeenBy(ctx context.Context, caller proto.UserID, conv proto.ConvID, seq int64) ([]proto.User, error)
	Receipts(ctx context.Context, conv proto.ConvID, users []proto.UserID) ([]proto.Receipt, error)
	Senders(ctx context.Context, conv proto.ConvID, after, upto int64, except proto.UserID) ([]proto.UserID, error)
	Direct(ctx context.Context, a proto.User, b proto.UserID) (conv proto.Conversation, peer proto.User, created bool, err error)
	OpenDirect(ctx context.Context, a proto.User, b proto.UserID) (DirectResult, error)
	DirectID(ctx context.Context, a, b proto.UserID) (proto.ConvID, error)
	Blocked(ctx context.Context, by, who proto.UserID) (bool, error)
	MayCall(ctx context.Context, caller, callee proto.UserID) error
	Block(ctx context.Context, me, user proto.UserID) (deleted proto.ConvID, err error)
	Unblock(ctx context.Context, me, user proto.UserID) error
	Blocks(ctx context.Context, me proto.UserID) ([]proto.User, error)
	AcceptRequest(ctx context.Context, me proto.UserID, conv proto.ConvID) (proto.ConvSettings, error)
	DeleteRequest(ctx context.Context, me proto.UserID, conv proto.ConvID) error
	SetNotify(ctx context.Context, me proto.UserID, conv proto.ConvID, level string, until int64) (proto.ConvSettings, error)
	Archive(ctx context.Context, me proto.UserID, conv proto.ConvID, archived bool) (proto.ConvSettings, error)
	Settings(ctx context.Context, me proto.UserID, conv proto.ConvID) (proto.ConvSettings, error)
	Hides(ctx context.Context, conv proto.ConvID, hider, viewer proto.UserID) (Hiding, error)
}

// Groups is what group owners, admins and members do to a group: create
// it, invite, join (also through invite links), answer join requests,
// remove, ban, change its roles and settings, leave and delete it.
type Groups interface {
	CreateGroup(ctx context.Context, owner proto.User, name string) (proto.Conversation, error)
	CreateGroupWith(ctx context.Context, owner proto.User, g NewGroup) (proto.Conversation, error)
	Invite(ctx context.Context, actor proto.User, subject proto.UserID, group proto.ConvID) (proto.User, proto.Conversation, error)
	Leave(ctx context.Context, user proto.User, conv proto.ConvID) (proto.Conversation, error)
	JoinGroup(ctx context.Context, user proto.User, group proto.ConvID) (Joined, error)
	AnswerJoin(ctx context.Context, actor proto.User, group proto.ConvID, user proto.UserID, approve bool) (Answered, error)
	JoinRequests(ctx context.Context, caller proto.UserID, group proto.ConvID) ([]proto.JoinRequest, error)
	RemoveMember(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID) error
	Ban(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID) error
	Unban(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID) error
	Bans(ctx context.Context, caller proto.UserID, group proto.ConvID) ([]proto.Ban, error)
	SetAdmin(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID, admin bool) error
	TransferOwner(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID) error
	SetGroup(ctx context.Context, actor proto.User, group proto.ConvID, ch GroupChange) ([]string, error)
	DropThumb(ctx context.Context, group proto.ConvID, id string) ([]string, error)
	GroupInfo(ctx context.Context, caller proto.UserID, group proto.ConvID) (proto.GroupInfo, error)
	DeleteGroup(ctx context.Context, actor proto.User, group proto.ConvID) (Deleted, error)
	CreateLink(ctx context.Context, actor proto.User, group proto.ConvID, nl NewLink) (proto.InviteLink, error)
	Links(ctx context.Context, caller proto.UserID, group proto.ConvID) ([]proto.InviteLink, error)
	RevokeLink(ctx context.Context, actor proto.User, group proto.ConvID, id int64) error
	LinkInfo(ctx context.Context, token string) (proto.LinkInfo, error)
	JoinLink(ctx context.Context, user proto.User, token string) (Joined, error)
}

// Files is the files service's state: resumable uploads and the quota
// they count against, published files, references to content blobs,
// thumbnails, and who may download what. The blobs themselves are not in
// the Store: the files service keeps them.
type Files interface {
	CreateUpload(ctx context.Context, u Upload, quota int64) (up Upload, existed bool, err error)
	UsedBytes(ctx context.Context, user proto.UserID) (int64, error)
	Upload(ctx context.Context, id string) (Upload, error)
	UploadsUpdatedBefore(ctx context.Context, t int64, verified bool) ([]Upload, error)
	UploadIDs(ctx context.Context) (map[string]bool, error)
	SaveUploadProgress(ctx context.Context, id string, received int64, hashState []byte, state string) error
	ClaimUpload(ctx context.Context, id string, offset int64, token string, lease time.Duration) (bool, error)
	SetUploadMultipart(ctx context.Context, id, token, multipart string) error
	SaveUploadParts(ctx context.Context, id, token string, p UploadParts) error
	ReleaseUploadClaim(ctx context.Context, id, token string) error
	LockBlob(ctx context.Context, sha, token string, lease time.Duration) (bool, error)
	UnlockBlob(ctx context.Context, sha, token string) error
	DeleteUpload(ctx context.Context, id string) error
	PublishUpload(ctx context.Context, id, fileID string, sender proto.User, x Found) (proto.Message, error)
	File(ctx context.Context, id string) (StoredFile, error)
	BlobReferenced(ctx context.Context, sha string) (bool, error)
	MayDownloadContent(ctx context.Context, user proto.UserID, sha string) (bool, error)
	ThumbsOf(ctx context.Context, source string) (Thumbs, bool, error)
	AddThumbs(ctx context.Context, t Thumbs) (Thumbs, error)
	DropThumbs(ctx context.Context, source string) ([]string, error)
	ThumbFile(ctx context.Context, id string) (StoredFile, string, error)
	AddThumb(ctx context.Context, user proto.UserID, group proto.ConvID, f proto.File) error
}

// Operator is what the server's operator does through the admin socket
// and the operator requests: accounts, registration codes, disabling an
// account, resetting a password, deleting any group.
type Operator interface {
	Accounts(ctx context.Context) ([]Account, error)
	CreateRegCode(ctx context.Context, code string, maxUses int, ttl time.Duration) (RegCode, error)
	RegCodes(ctx context.Context) ([]RegCode, error)
	SetDisabled(ctx context.Context, user proto.UserID, disabled bool) error
	ResetPassword(ctx context.Context, user proto.UserID, pwHash string) error
	DeleteGroupAsOperator(ctx context.Context, group proto.ConvID) (Deleted, error)
}

// Store is the whole of storage, as the node opens it.
type Store interface {
	Accounts
	Conversations
	Groups
	Files
	Operator
	// Ping checks that the database answers a query (for /readyz).
	Ping(ctx context.Context) error
	// Close stops the sequencer after the writes already queued and
	// closes the database; later writes fail with ErrClosed. It may be
	// called more than once.
	Close() error
}

var _ Store = (*DB)(nil)
