package store

import (
	"encoding/json"
	"fmt"
	"strconv"

	"parley/net/proto"
)

// kv is what the durable store needs from a storage engine: an ordered map
// of string keys to string values, read whole at open and written in
// atomic batches. The browser's is IndexedDB (idb_js.go); tests use fakes.
//
// Implementations need not be safe for concurrent use: the durable store
// makes one call at a time.
type kv interface {
	// Scan returns every record whose key starts with prefix ("" for all),
	// in ascending key order.
	Scan(prefix string) ([]kvRecord, error)
	// Write applies every operation of the batch, in order, or none of
	// them, and returns once they are stored.
	Write(b *batch) error
	// Close releases the backend.
	Close() error
}

type kvRecord struct {
	Key, Value string
}

type opKind uint8

const (
	opPut         opKind = iota // set Key to Value
	opDelete                    // remove Key
	opDeleteRange               // remove every key k with Key ≤ k < End
)

type kvOp struct {
	Kind  opKind
	Key   string
	Value string // opPut
	End   string // opDeleteRange
}

// batch is the records one store method changes.
type batch struct {
	Ops []kvOp
	// Strict asks the backend to reach stable storage before Write
	// returns, not merely to survive the page or the process (IndexedDB's
	// durability "strict"). It is set when the batch holds what only this
	// device knows: a message not yet acknowledged, the session.
	Strict bool
}

func (b *batch) put(key, value string) {
	b.Ops = append(b.Ops, kvOp{Kind: opPut, Key: key, Value: value})
}
func (b *batch) del(key string) { b.Ops = append(b.Ops, kvOp{Kind: opDelete, Key: key}) }
func (b *batch) delRange(from, to string) {
	b.Ops = append(b.Ops, kvOp{Kind: opDeleteRange, Key: from, End: to})
}

// ---- Keys ----
//
// Numbers in keys are 16 lower-case hex digits, so that key order is
// numeric order: a conversation's messages are one key range, in seq order.
//
//	meta                       {"format":1}
//	session                    Session
//	conv/<conv>                a conversation's header (convRecord)
//	memb/<conv>                its member list
//	msg/<conv>/<start>         a bucket: the messages with seqs from start
//	                           to start+bucket-1, in seq order (msgcodec.go)
//	out/<client id>            an outbox item, with its place in the queue
//	xfer/<id>                  a transfer record
//	draft/<conv>, last_open    drafts and the conversation open last (drafts.go)

const (
	keyMeta        = "meta"
	keySession     = "session"
	prefixConv     = "conv/"
	prefixMembers  = "memb/"
	prefixMsg      = "msg/"
	prefixOutbox   = "out/"
	prefixTransfer = "xfer/"
)

// format is the version of the record layout above, stored under keyMeta
// with the bucket size.
const format = 1

func hex16(n int64) string {
	var b [16]byte
	const digits = "0123456789abcdef"
	u := uint64(n)
	for i := 15; i >= 0; i-- {
		b[i] = digits[u&0xf]
		u >>= 4
	}
	return string(b[:])
}

func parseHex16(s string) (int64, bool) {
	if len(s) != 16 {
		return 0, false
	}
	u, err := strconv.ParseUint(s, 16, 64)
	return int64(u), err == nil
}

func convKey(id proto.ConvID) string    { return prefixConv + hex16(int64(id)) }
func membersKey(id proto.ConvID) string { return prefixMembers + hex16(int64(id)) }
func msgPrefix(id proto.ConvID) string  { return prefixMsg + hex16(int64(id)) + "/" }
func bucketKey(id proto.ConvID, start int64) string {
	return msgPrefix(id) + hex16(start)
}
func outboxKey(clientID string) string { return prefixOutbox + clientID }
func transferKey(id string) string     { return prefixTransfer + id }
func prefixEnd(prefix string) string   { return prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1) }

// ---- Records ----
//
// Records have their own JSON types, so that renaming a Go field cannot
// silently change what is stored.

type metaRecord struct {
	Format int   `json:"format"`
	Bucket int64 `json:"bucket"` // seqs per message record
}

type sessionRecord struct {
	Server string     `json:"server"`
	User   proto.User `json:"user"`
	Token  string     `json:"token"`
}

type convRecord struct {
	ID        proto.ConvID   `json:"id"`
	Kind      string         `json:"kind,omitempty"`
	Name      string         `json:"name,omitempty"`
	Peer      *proto.User    `json:"peer,omitempty"`
	Members   int            `json:"members,omitempty"`
	LastSeq   int64          `json:"last_seq,omitempty"`
	ReadSeq   int64          `json:"read_seq,omitempty"`
	SyncedSeq int64          `json:"synced_seq,omitempty"`
	Last      *proto.Message `json:"last,omitempty"`
	Created   int64          `json:"created"`
	// Added later: absent in older records.
	Picture  string              `json:"picture,omitempty"`
	Settings *proto.ConvSettings `json:"settings,omitempty"`
}

type outboxRecord struct {
	Order    int64          `json:"order"` // the queue is in this order
	ClientID string         `json:"client_id"`
	Conv     proto.ConvID   `json:"conv"`
	Text     string         `json:"text"`
	ReplyTo  int64          `json:"reply_to,omitempty"`
	Mentions []proto.UserID `json:"mentions,omitempty"`
	Created  int64          `json:"created"`
	Attempts int            `json:"attempts,omitempty"`
}

type transferRecord struct {
	ID        string        `json:"id"`
	Direction Direction     `json:"direction"`
	Conv      proto.ConvID  `json:"conv,omitempty"`
	Name      string        `json:"name"`
	Size      int64         `json:"size"`
	SHA256    string        `json:"sha256,omitempty"`
	Path      string        `json:"path"`
	Offset    int64         `json:"offset,omitempty"`
	State     TransferState `json:"state"`
	UploadID  string        `json:"upload_id,omitempty"`
	Created   int64         `json:"created"`
	Updated   int64         `json:"updated"`
	Voice     *proto.Voice  `json:"voice,omitempty"`
	Caption   string        `json:"caption,omitempty"`
}

// encode marshals a record. The record types hold nothing json cannot
// encode, so an error is a bug.
func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: encode %T: %v", v, err))
	}
	return string(b)
}

func encodeSession(s Session) string {
	return encode(sessionRecord{Server: s.Server, User: s.User, Token: s.Token})
}

func decodeSession(v string) (Session, error) {
	var r sessionRecord
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return Session{}, err
	}
	return Session{Server: r.Server, User: r.User, Token: r.Token}, nil
}

func encodeConv(c Conversation) string {
	return encode(convRecord{
		ID: c.ID, Kind: c.Kind, Name: c.Name, Peer: c.Peer, Members: c.Members,
		LastSeq: c.LastSeq, ReadSeq: c.ReadSeq, SyncedSeq: c.SyncedSeq, Last: c.Last, Created: c.Created,
		Picture: c.Picture, Settings: settingsRecord(c.Settings),
	})
}

func settingsRecord(cs proto.ConvSettings) *proto.ConvSettings {
	if cs == (proto.ConvSettings{}) {
		return nil
	}
	return &cs
}

func decodeConv(v string) (Conversation, error) {
	var r convRecord
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return Conversation{}, err
	}
	c := Conversation{
		ID: r.ID, Kind: r.Kind, Name: r.Name, Peer: r.Peer, Members: r.Members,
		LastSeq: r.LastSeq, ReadSeq: r.ReadSeq, SyncedSeq: r.SyncedSeq, Last: r.Last, Created: r.Created,
		Picture: r.Picture,
	}
	if r.Settings != nil {
		c.Settings = *r.Settings
	}
	return c, nil
}

func encodeOutbox(it OutboxItem, order int64) string {
	return encode(outboxRecord{Order: order, ClientID: it.ClientID, Conv: it.Conv, Text: it.Text, ReplyTo: it.ReplyTo, Mentions: it.Mentions, Created: it.Created, Attempts: it.Attempts})
}

func decodeOutbox(v string) (OutboxItem, int64, error) {
	var r outboxRecord
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return OutboxItem{}, 0, err
	}
	return OutboxItem{ClientID: r.ClientID, Conv: r.Conv, Text: r.Text, ReplyTo: r.ReplyTo, Mentions: r.Mentions, Created: r.Created, Attempts: r.Attempts}, r.Order, nil
}

func encodeTransfer(t Transfer) string {
	return encode(transferRecord(t))
}

func decodeTransfer(v string) (Transfer, error) {
	var r transferRecord
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return Transfer{}, err
	}
	return Transfer(r), nil
}
