package proto

// Profile and devices (docs/protocol.md, "Profile and devices"): a user's
// profile (name, about line, picture), the account's sessions as devices
// and revoking them, changing the password, and deleting the account.

// Request types of profile and devices (client → server).
const (
	TypeDevices       = "devices"        // no body → DevicesReply
	TypeRevokeDevice  = "revoke_device"  // RevokeDeviceRequest → {}
	TypeSetPassword   = "set_password"   // SetPasswordRequest → {}
	TypeSetProfile    = "set_profile"    // SetProfileRequest → ProfileReply
	TypeUserProfile   = "user"           // UserRequest → ProfileReply
	TypeDeleteAccount = "delete_account" // DeleteAccountRequest → {}
)

// TypeProfile is the push of a changed profile (ProfilePush) to the
// user's own devices and to everyone who shares a conversation with them.
const TypeProfile = "profile"

// Limits of profiles.
const (
	MaxAboutRunes      = 200      // the about line, in code points
	MaxPlatformRunes   = 32       // login's platform
	MaxPictureBytes    = 10 << 20 // a picture file (upload or set_profile)
	MaxPicturePixels   = 25e6     // width × height of a picture
	PictureThumbPixels = 256      // the side of the square thumbnail, at most
)

// DeletedName is the name of a deleted account, everywhere.
const DeletedName = "Deleted account"

// Close code and reasons of a connection whose session was revoked: by
// revoke_device on another device, by a password change elsewhere, or
// because the account was deleted. The client does not reconnect with
// that session: it shows the reason and asks to log in again (or, for
// a deleted account, says so).
const (
	CloseRevoked          = 4001
	ReasonRevoked         = "session revoked"
	ReasonPasswordChanged = "password changed"
	ReasonAccountDeleted  = "account deleted"
	ReasonDisabled        = "account disabled" // by the server's operator
)

// Device is one session of the account.
type Device struct {
	ID         string `json:"id"`                 // stable, opaque; revoke_device takes it
	Name       string `json:"name"`               // login's device, "" if none
	Platform   string `json:"platform,omitempty"` // login's platform
	Created    int64  `json:"created"`            // login time, Unix ms
	LastActive int64  `json:"last_active"`        // last login, resume or end of a connection, Unix ms
	Address    string `json:"address,omitempty"`  // the client address of that moment
	Current    bool   `json:"current,omitempty"`  // the session of the connection that asked
	Online     bool   `json:"online,omitempty"`   // a connection of this session is open now
}

// DevicesReply lists the account's sessions, most recently active first.
type DevicesReply struct {
	Devices []Device `json:"devices"`
}

// RevokeDeviceRequest ends one session of the account.
type RevokeDeviceRequest struct {
	ID string `json:"id"`
}

// SetPasswordRequest changes the password; Current must be right.
type SetPasswordRequest struct {
	Current string `json:"current" badutf8:"wrong_password"`
	New     string `json:"new" badutf8:"weak_password"`
}

// SetProfileRequest changes the caller's profile; absent fields stay.
// Picture is a file ID (a picture upload, or a file the caller sent);
// "" clears the picture.
type SetProfileRequest struct {
	Name    *string `json:"name,omitempty" badutf8:"invalid_name"`
	About   *string `json:"about,omitempty"`
	Picture *string `json:"picture,omitempty"`
}

// ProfileReply answers set_profile and user.
type ProfileReply struct {
	User User `json:"user"`
}

// UserRequest names a user: user (a profile), block, unblock.
type UserRequest struct {
	User UserID `json:"user"`
}

// ProfilePush is a changed profile.
type ProfilePush struct {
	User User `json:"user"`
}

// DeleteAccountRequest deletes the caller's account.
type DeleteAccountRequest struct {
	Password string `json:"password" badutf8:"wrong_password"`
}
