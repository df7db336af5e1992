package proto

// Read state, receipts, typing and server-side search (docs/protocol.md,
// "Read state and receipts", "Typing", "Search").

// Request types.
const (
	TypeRead       = "read"        // my read position in a conversation; also a push to my other devices
	TypeDelivered  = "delivered"   // my device holds a conversation up to a seq
	TypeSeenBy     = "seen_by"     // who has read a message
	TypePrivacy    = "privacy"     // my privacy settings
	TypeSetPrivacy = "set_privacy" // change them
	TypeTyping     = "typing"      // I am typing; also the push to the other members
	TypeSearch     = "search"      // search my conversations' history on the server
)

// Push types (TypeRead and TypeTyping are pushes too).
const (
	TypeReceipt = "receipt" // members' read and delivered positions changed
)

// Error codes.
const (
	CodeReceiptsOff Code = "receipts_off" // the caller turned read receipts off, and so sees none
)

// Limits.
const (
	// TypingIntervalMs is the least time between two typing requests of one
	// connection for one conversation that are forwarded; more are refused
	// with rate_limited.
	TypingIntervalMs = 2000
	// TypingTTLMs is how long a typing indication lasts after the request
	// that set it: until = server time + TypingTTLMs.
	TypingTTLMs = 5000
	// ReceiptIntervalMs is the least time between two receipt pushes for
	// one conversation: changes in between are coalesced into the next.
	ReceiptIntervalMs = 1000
	// MaxSearchLimit bounds the results of one search page.
	MaxSearchLimit = 100
	// MaxQueryBytes bounds a search query.
	MaxQueryBytes = 256
)

// ReadRequest moves my read position in Conv up to Seq, which must exist.
// A position never moves back: a lower Seq leaves it where it is.
type ReadRequest struct {
	Conv ConvID `json:"conv"`
	Seq  int64  `json:"seq"`
}

// ReadState is my read position in a conversation: the reply to read and
// delivered, and the read push to my other devices.
type ReadState struct {
	Conv ConvID `json:"conv"`
	Seq  int64  `json:"seq"`
}

// DeliveredRequest says that this device holds Conv's messages up to Seq.
type DeliveredRequest struct {
	Conv ConvID `json:"conv"`
	Seq  int64  `json:"seq"`
}

// SeenByRequest asks who has read message Seq of Conv.
type SeenByRequest struct {
	Conv ConvID `json:"conv"`
	Seq  int64  `json:"seq"`
}

// SeenByReply lists the members other than the caller whose read position
// is at least the seq (who have receipts on), in the order they joined.
type SeenByReply struct {
	Conv  ConvID `json:"conv"`
	Seq   int64  `json:"seq"`
	Users []User `json:"users"`
}

// Privacy holds a user's privacy settings: the reply to privacy and
// set_privacy, and the set_privacy request.
type Privacy struct {
	ReadReceipts bool `json:"read_receipts"`
}

// Receipt is one member's positions in a conversation. Read is 0 when
// hidden (that member turned read receipts off).
type Receipt struct {
	User      UserID `json:"user"`
	Name      string `json:"name"`
	Read      int64  `json:"read"`
	Delivered int64  `json:"delivered"`
}

// ReceiptPush tells a member that others' positions in Conv changed: each
// entry carries that member's current positions.
type ReceiptPush struct {
	Conv     ConvID    `json:"conv"`
	Receipts []Receipt `json:"receipts"`
}

// TypingRequest says I am typing in Conv (Stop: I stopped).
type TypingRequest struct {
	Conv ConvID `json:"conv"`
	Stop bool   `json:"stop,omitempty"`
}

// TypingPush tells the other members that User is typing in Conv until
// Until (server time, Unix milliseconds), or stopped.
type TypingPush struct {
	Conv  ConvID `json:"conv"`
	User  UserID `json:"user"`
	Name  string `json:"name"`
	Until int64  `json:"until"`
	Stop  bool   `json:"stop,omitempty"`
}

// SearchRequest searches the caller's conversations (or only Conv) for
// messages matching Query. Before is the Next of the previous page (0:
// start from the newest).
type SearchRequest struct {
	Query  string `json:"query" badutf8:"bad_text"`
	Conv   ConvID `json:"conv,omitempty"`
	Before int64  `json:"before,omitempty"`
	Limit  int    `json:"limit,omitempty"` // default 20, at most MaxSearchLimit
}

// SearchReply holds matching messages, newest first. Next, when not 0, is
// the cursor for the next (older) page.
type SearchReply struct {
	Messages []Message `json:"messages"`
	Next     int64     `json:"next,omitempty"`
}
