package proto

// Groups (docs/protocol.md, "Groups"): who may join a group (its join
// policy), join requests, roles (owner, admins, members), removing and
// banning, the group's settings, and invite links. Every change to a group
// is an entry of kind MsgGroupEvent in its history, delivered like the
// history changes of events.go.

// Request types of groups (client → server).
const (
	TypeGroupInfo     = "group"          // GroupRequest → GroupReply
	TypeSetGroup      = "set_group"      // SetGroupRequest → GroupReply
	TypeJoinRequests  = "join_requests"  // GroupRequest → JoinRequestsReply
	TypeAnswerJoin    = "answer_join"    // AnswerJoinRequest → {}
	TypeRemoveMember  = "remove_member"  // MemberRequest → {}
	TypeBan           = "ban"            // MemberRequest → {}
	TypeUnban         = "unban"          // MemberRequest → {}
	TypeBans          = "bans"           // GroupRequest → BansReply
	TypeSetAdmin      = "set_admin"      // SetAdminRequest → {}
	TypeTransferOwner = "transfer_owner" // MemberRequest → {}
	TypeDeleteGroup   = "delete_group"   // GroupRequest → {}
)

// Push types of groups.
const (
	TypeJoinRequest  = "join_request"  // push to a group's admins: JoinRequest
	TypeJoinAnswered = "join_answered" // push to a requester: JoinAnswered
	// push to a group's owner and admins: JoinRequestAnswered
	TypeJoinRequestAnswered = "join_request_answered"
)

// Join policies: who may become a member without an invitation.
const (
	PolicyInvite = "invite" // by invitation or invite link only
	PolicyAsk    = "ask"    // join_group files a request that admins answer (the default)
	PolicyOpen   = "open"   // anyone who knows the ID
)

// DefaultPolicy is the policy of a group whose create_group names none.
const DefaultPolicy = PolicyAsk

// ValidPolicy reports whether p is a join policy.
func ValidPolicy(p string) bool { return p == PolicyInvite || p == PolicyAsk || p == PolicyOpen }

// Who may invite, and who may send, in a group (GroupInfo.Invite, Send).
const (
	AllowMembers = "members" // every member (the default)
	AllowAdmins  = "admins"  // the owner and the admins only
)

// Roles in a group (GroupInfo.Role).
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// MaxDescriptionRunes bounds a group's description.
const MaxDescriptionRunes = 500

// MsgGroupEvent is the kind of an entry that records a change to a group
// (its Event says which). Clients that do not know it skip it.
const MsgGroupEvent = "group_event"

// Types of group events (Event.Type of a MsgGroupEvent entry). Actor did
// it; Subject is the member it concerns.
const (
	EventApproved    = "approved"    // Actor approved Subject's join request: Subject joined
	EventRemoved     = "removed"     // Actor removed Subject from the group
	EventBanned      = "banned"      // Actor banned Subject (and removed them if a member)
	EventUnbanned    = "unbanned"    // Actor lifted Subject's ban
	EventRenamed     = "renamed"     // Actor renamed the group to Name
	EventDescribed   = "described"   // Actor set the description to Description ("" cleared it)
	EventPolicy      = "policy"      // Actor set the join policy to Policy
	EventPermissions = "permissions" // Actor set who may invite (Invite) and send (Send)
	EventPromoted    = "promoted"    // the owner made Subject an admin
	EventDemoted     = "demoted"     // the owner made Subject a member again
	EventOwner       = "owner"       // Actor handed ownership to Subject (Actor stays an admin, or left)
	EventPicture     = "picture"     // Actor set the group's picture to Picture ("" removed it)
)

// Error codes of groups.
const (
	CodeNotAdmin         Code = "not_admin"         // only the group's admins (and owner) may do this
	CodeNotOwner         Code = "not_owner"         // only the group's owner may do this (or it targets the owner)
	CodeBanned           Code = "banned"            // the user is banned from the group
	CodeInviteOnly       Code = "invite_only"       // the group is joined by invitation or link only
	CodeAlreadyRequested Code = "already_requested" // a request to join is already waiting
	CodeNoSuchRequest    Code = "no_such_request"   // no waiting request of that user
)

// GroupRequest names a group.
type GroupRequest struct {
	Group ConvID `json:"group"`
}

// GroupInfo is a group's settings and roles, as a member sees them.
type GroupInfo struct {
	ID          ConvID `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Policy      string `json:"policy"` // PolicyInvite, PolicyAsk or PolicyOpen
	Invite      string `json:"invite"` // AllowMembers or AllowAdmins
	Send        string `json:"send"`   // AllowMembers or AllowAdmins
	Owner       *User  `json:"owner,omitempty"`
	Admins      []User `json:"admins"` // besides the owner, in the order they joined
	Members     int    `json:"members"`
	Role        string `json:"role"` // the caller's: RoleOwner, RoleAdmin or RoleMember
	// Picture is the group's picture, its thumbnail's file ID; omitted:
	// none.
	Picture string `json:"picture,omitempty"`
}

// GroupReply answers group and set_group.
type GroupReply struct {
	Group GroupInfo `json:"group"`
}

// CreateGroupRequest creates a group; Policy, Description empty: the
// defaults (DefaultPolicy, none).
type CreateGroupRequest struct {
	Name        string `json:"name" badutf8:"invalid_name"`
	Policy      string `json:"policy,omitempty"`
	Description string `json:"description,omitempty"`
}

// SetGroupRequest changes a group's settings (admins only). Absent fields
// stay as they are; each field that changes appends its own event, and a
// field already so appends nothing (so a retry changes nothing more).
type SetGroupRequest struct {
	Group       ConvID  `json:"group"`
	Name        *string `json:"name,omitempty" badutf8:"invalid_name"`
	Description *string `json:"description,omitempty"`
	Policy      *string `json:"policy,omitempty"`
	Invite      *string `json:"invite,omitempty"`
	Send        *string `json:"send,omitempty"`
	// Picture is a file ID (a picture upload, or a file the caller sent),
	// which the server makes a square thumbnail of, like set_profile's;
	// "" removes the picture.
	Picture *string `json:"picture,omitempty"`
}

// JoinGroupReply answers join_group: Conversation when the caller joined
// (an open group), Request when a request was filed (an ask group).
type JoinGroupReply struct {
	Conversation *Conversation `json:"conversation,omitempty"`
	Request      *JoinRequest  `json:"request,omitempty"`
}

// JoinRequest is a request to join a group that waits for its admins.
type JoinRequest struct {
	Group     ConvID `json:"group"`
	GroupName string `json:"group_name"`
	User      User   `json:"user"`
	Time      int64  `json:"time"` // Unix ms
}

// JoinRequestsReply lists a group's waiting requests, oldest first.
type JoinRequestsReply struct {
	Requests []JoinRequest `json:"requests"`
}

// AnswerJoinRequest approves (Approve true) or declines a request.
type AnswerJoinRequest struct {
	Group   ConvID `json:"group"`
	User    UserID `json:"user"`
	Approve bool   `json:"approve"`
}

// JoinAnswered tells a requester how their request was answered. After an
// approval the conversation push and the approved entry follow.
type JoinAnswered struct {
	Group     ConvID `json:"group"`
	GroupName string `json:"group_name"`
	Approved  bool   `json:"approved"`
}

// JoinRequestAnswered tells a group's owner and admins that one of them
// answered User's request to join: it waits no more.
type JoinRequestAnswered struct {
	Group    ConvID `json:"group"`
	User     UserID `json:"user"`
	Approved bool   `json:"approved"`
	By       User   `json:"by"`
}

// MemberRequest names a member (or banned user) of a group.
type MemberRequest struct {
	Group ConvID `json:"group"`
	User  UserID `json:"user"`
}

// SetAdminRequest makes a member an admin (Admin true) or a member again.
type SetAdminRequest struct {
	Group ConvID `json:"group"`
	User  UserID `json:"user"`
	Admin bool   `json:"admin"`
}

// Ban is one banned user of a group.
type Ban struct {
	User User  `json:"user"`
	By   User  `json:"by"`
	Time int64 `json:"time"` // Unix ms
}

// BansReply lists a group's banned users, oldest ban first.
type BansReply struct {
	Bans []Ban `json:"bans"`
}

// Invite links (docs/protocol.md, "Invite links").
const (
	TypeCreateLink = "create_link" // CreateLinkRequest → LinkReply
	TypeLinks      = "links"       // GroupRequest → LinksReply
	TypeRevokeLink = "revoke_link" // RevokeLinkRequest → {}
	TypeLinkInfo   = "link_info"   // LinkRequest → LinkInfoReply
	TypeJoinLink   = "join_link"   // LinkRequest → JoinGroupReply
)

// Error codes of invite links.
const (
	CodeNoSuchLink  Code = "no_such_link" // unknown or revoked
	CodeLinkExpired Code = "link_expired" // past its expiry, or used as often as it may be
)

// Limits of invite links.
const (
	LinkTokenBytes    = 16             // random bytes in a token (128 bits), base64url: 22 characters
	MaxLinkTokenLen   = 64             // a longer token in a request is no_such_link
	MaxLinkUses       = 1_000_000      // max_uses
	MaxLinkLifetimeMs = 31_622_400_000 // expires_in_ms: 366 days
	MaxLinksPerGroup  = 100            // live (not revoked, not expired) links of one group
	JoinPathPrefix    = "/join/"       // the server's page for a link: JoinPathPrefix + token
	AppScheme         = "parley"       // the app's links: parley://HOST/join/TOKEN
)

// CreateLinkRequest makes an invite link. ExpiresInMs 0: never expires;
// MaxUses 0: no limit.
type CreateLinkRequest struct {
	Group       ConvID `json:"group"`
	ExpiresInMs int64  `json:"expires_in_ms,omitempty"`
	MaxUses     int    `json:"max_uses,omitempty"`
}

// InviteLink is an invite link of a group.
type InviteLink struct {
	ID      int64  `json:"id"`
	Group   ConvID `json:"group"`
	Token   string `json:"token"`
	Path    string `json:"path"` // JoinPathPrefix + Token, on the server's own address
	Creator User   `json:"creator"`
	Created int64  `json:"created"`            // Unix ms
	Expires int64  `json:"expires,omitempty"`  // Unix ms; absent: never
	MaxUses int    `json:"max_uses,omitempty"` // absent: no limit
	Uses    int    `json:"uses"`
}

// LinkReply answers create_link.
type LinkReply struct {
	Link InviteLink `json:"link"`
}

// LinksReply lists invite links, newest first.
type LinksReply struct {
	Links []InviteLink `json:"links"`
}

// RevokeLinkRequest revokes link ID of a group.
type RevokeLinkRequest struct {
	Group ConvID `json:"group"`
	ID    int64  `json:"id"`
}

// LinkRequest names an invite link by its token.
type LinkRequest struct {
	Token string `json:"token" badutf8:"bad_request"`
}

// LinkInfo is what a link shows before it is used.
type LinkInfo struct {
	Group   ConvID `json:"group"`
	Name    string `json:"name"`
	Members int    `json:"members"`
	Policy  string `json:"policy"` // ask: joining files a request
}

// LinkInfoReply answers link_info.
type LinkInfoReply struct {
	Link LinkInfo `json:"link"`
}
