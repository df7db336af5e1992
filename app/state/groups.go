package state

import (
	"net/url"
	"strings"

	"parley/net/proto"
)

// GroupPanel is the settings panel of a group, opened from its header
// (the model's OpenGroupSettings): its settings and roles, and for its
// admins the waiting join requests (State.JoinRequests), the bans and
// the invite links.
type GroupPanel struct {
	Conv    proto.ConvID
	Info    *proto.GroupInfo // nil while loading
	Bans    []proto.Ban      // admins only
	Links   []proto.InviteLink
	NewLink *proto.InviteLink // the link just made: the panel shows it with its QR code
	Loading bool
}

// Admin reports whether I am the group's owner or an admin.
func (g *GroupPanel) Admin() bool {
	return g != nil && g.Info != nil && (g.Info.Role == proto.RoleOwner || g.Info.Role == proto.RoleAdmin)
}

// Owner reports whether I own the group.
func (g *GroupPanel) Owner() bool { return g != nil && g.Info != nil && g.Info.Role == proto.RoleOwner }

// MayInvite reports whether I may invite and make invite links.
func (g *GroupPanel) MayInvite() bool {
	return g != nil && g.Info != nil && (g.Info.Invite != proto.AllowAdmins || g.Admin())
}

// RoleOf is a member's role, as far as the panel knows.
func (g *GroupPanel) RoleOf(id proto.UserID) string {
	if g == nil || g.Info == nil {
		return proto.RoleMember
	}
	if g.Info.Owner != nil && g.Info.Owner.ID == id {
		return proto.RoleOwner
	}
	for _, a := range g.Info.Admins {
		if a.ID == id {
			return proto.RoleAdmin
		}
	}
	return proto.RoleMember
}

// LinkPreview is where an invite link pasted into "Join by link or ID"
// (or the browser app's ?join=) stands: asked, then what it leads to or
// why it cannot be used.
type LinkPreview struct {
	Token string
	Info  *proto.LinkInfo // nil while asked
	Error *Notice         // the link cannot be used
}

// Notices of groups.
const (
	NoticeJoinRequested NoticeKind = "join_requested" // my request went to the admins. Args: group name, group ID
	NoticeJoinApproved  NoticeKind = "join_approved"  // Args: group name, group ID
	NoticeJoinDeclined  NoticeKind = "join_declined"  // Args: group name, group ID
	NoticeJoinRequestIn NoticeKind = "join_request"   // someone asks to join a group I run. Args: user name, user ID, group name, group ID
	NoticeRemovedMe     NoticeKind = "removed_me"     // Args: admin name, group name, group ID
	NoticeBannedMe      NoticeKind = "banned_me"      // Args: admin name, group name, group ID
	NoticeGroupDeleted  NoticeKind = "group_deleted"  // the owner deleted a group I was in. Args: group name, group ID
	NoticeGroupSaved    NoticeKind = "group_saved"    // the group's settings changed. Args: group name
)

// InputJoinLink: not a group ID nor an invite link. Args: what was typed.
const InputJoinLink = "join_link"

// JoinToken returns the invite token of a link as people share it
// (https://HOST/join/TOKEN, parley://HOST/join/TOKEN, or a path
// /join/TOKEN), or of the browser app's address with ?join=TOKEN; ok is
// false for anything else.
func JoinToken(s string) (token string, ok bool) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	if t := u.Query().Get("join"); t != "" && validToken(t) {
		return t, true
	}
	rest, found := strings.CutPrefix(u.Path, proto.JoinPathPrefix)
	if !found {
		if i := strings.Index(u.Path, proto.JoinPathPrefix); i >= 0 {
			rest, found = u.Path[i+len(proto.JoinPathPrefix):], true
		}
	}
	rest = strings.TrimSuffix(rest, "/")
	if !found || !validToken(rest) {
		return "", false
	}
	return rest, true
}

func validToken(t string) bool {
	if t == "" || len(t) > proto.MaxLinkTokenLen {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ShareLinks returns the two addresses of an invite link path on server
// (an http or https address): the https (or http) link that anyone can
// open, and the app's parley:// link.
func ShareLinks(server, path string) (web, app string) {
	server = strings.TrimSpace(server)
	if !strings.Contains(server, "://") {
		server = "http://" + server // as the model dials it
	}
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return path, proto.AppScheme + "://" + strings.TrimPrefix(path, "/")
	}
	scheme := "https"
	if u.Scheme == "http" || u.Scheme == "ws" { // no TLS
		scheme = "http"
	}
	base := strings.TrimSuffix(u.Path, "/")
	return scheme + "://" + u.Host + base + path, proto.AppScheme + "://" + u.Host + base + path
}
