package state

import (
	"image"

	"parley/net/proto"
)

// Settings is what the Settings screen shows of the account on the
// server: its devices (sessions) and the people it blocked, and how its
// last action went.
type Settings struct {
	// Devices are the account's sessions, most recently active first;
	// Blocked the people it blocked. Loaded says both were fetched.
	Devices []proto.Device
	Blocked []proto.User
	Loaded  bool
	// Busy names the section whose action runs (Section*), "" if none.
	Busy string
	// Error is the last action's error, shown inline in its section
	// (ErrorIn); nil if none.
	Error   *Notice
	ErrorIn string
	// Done counts the actions that succeeded, and DoneIn names the last
	// one's section: its form clears and says so.
	Done   uint64
	DoneIn string
}

// The sections of the Settings screen (Settings.Busy, ErrorIn, DoneIn).
const (
	SectionProfile  = "profile"
	SectionPicture  = "picture"
	SectionPassword = "password"
	SectionDevices  = "devices"
	SectionBlocked  = "blocked"
	SectionDelete   = "delete"
)

// What a Settings form can get wrong (Notice.Detail, as the Input* keys
// of state.go).
const (
	InputAboutLong      = "about_long"      // Args: the maximum length
	InputPasswordNew    = "password_new"    // enter the new password
	InputPictureTooBig  = "picture_too_big" // Args: the limit in MiB
	InputPictureUnknown = "picture_unknown" // not a picture this app can send. Args: the file name
)

// NoticeRevoked: the server ended this device's session on purpose (the
// connection closed with proto.CloseRevoked). Args[0] is the server's
// reason: proto.ReasonRevoked, ReasonPasswordChanged, ReasonAccountDeleted
// or ReasonDisabled. The login screen says why.
const NoticeRevoked NoticeKind = "revoked"

// Pictures are the decoded profile pictures (thumbnails) of the people
// shown, by user; a person without one, or whose picture has not been
// fetched yet, is absent. The map is replaced, never changed.
type Pictures map[proto.UserID]image.Image

// GroupPictures are the decoded pictures (thumbnails) of groups, by
// group; a group without one is absent.
type GroupPictures map[proto.ConvID]image.Image
