package proto

// Blocking, first-contact requests, muting and archiving (docs/protocol.md,
// "Blocking, requests and muting"): per-user settings the server keeps so
// that every device of the user agrees, and the refusals they cause.

// Request types (client → server).
const (
	TypeBlock         = "block"          // UserRequest → {}
	TypeUnblock       = "unblock"        // UserRequest → {}
	TypeBlocks        = "blocks"         // {} → BlocksReply
	TypeAcceptRequest = "accept_request" // ConvRequest → ConvSettings
	TypeDeleteRequest = "delete_request" // ConvRequest → {}
	TypeSetNotify     = "set_notify"     // SetNotifyRequest → ConvSettings
	TypeArchive       = "archive"        // ArchiveRequest → ConvSettings
)

// Push types.
const (
	TypeBlocksPush   = "blocks"        // push to all my devices: BlocksReply, my whole list after a change
	TypeConvSettings = "conv_settings" // push to all my devices: ConvSettings, after a change
)

// Notification levels (Conversation.Notify, SetNotifyRequest.Level).
const (
	NotifyAll      = "all"      // every message rings (the default)
	NotifyMentions = "mentions" // only messages that mention me ring
	NotifyOff      = "off"      // nothing rings
)

// ValidNotify reports whether l is a notification level.
func ValidNotify(l string) bool { return l == NotifyAll || l == NotifyMentions || l == NotifyOff }

// ConvRequest names a conversation.
type ConvRequest struct {
	Conv ConvID `json:"conv"`
}

// BlocksReply answers blocks, and is the body of the blocks push: the
// users I blocked, most recent first.
type BlocksReply struct {
	Users []User `json:"users"`
}

// SetNotifyRequest sets my notifications for a conversation. Until, if
// set (Unix ms, in the future), is when Level ends and "all" applies
// again; absent, Level holds until changed.
type SetNotifyRequest struct {
	Conv  ConvID `json:"conv"`
	Level string `json:"level"`
	Until int64  `json:"until,omitempty"`
}

// ArchiveRequest archives or unarchives a conversation for me.
type ArchiveRequest struct {
	Conv     ConvID `json:"conv"`
	Archived bool   `json:"archived"`
}

// ConvSettings is my own state of a conversation: the reply to
// accept_request, set_notify and archive, and the conv_settings push. The
// same fields are in my Conversation summaries.
type ConvSettings struct {
	Conv        ConvID `json:"conv"`
	Request     bool   `json:"request,omitempty"`
	Notify      string `json:"notify"`
	NotifyUntil int64  `json:"notify_until,omitempty"`
	Archived    bool   `json:"archived,omitempty"`
}
