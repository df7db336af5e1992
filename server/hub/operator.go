package hub

import (
	"context"

	"parley/net/proto"
)

// Registration modes (Config.Registration): who may register.
const (
	RegistrationOpen   = "open"   // anyone
	RegistrationCodes  = "codes"  // whoever has a registration code the operator made
	RegistrationClosed = "closed" // nobody: the operator's accounts only
)

// ValidRegistration reports whether s is a registration mode.
func ValidRegistration(s string) bool {
	return s == RegistrationOpen || s == RegistrationCodes || s == RegistrationClosed
}

// checkRegistration refuses a registration the mode does not allow
// before anything is spent on it.
func (h *Hub) checkRegistration(code string) error {
	switch h.cfg.Registration {
	case RegistrationClosed:
		return proto.Errorf(proto.CodeRegistrationClosed, "this server does not take new accounts: ask its operator")
	case RegistrationCodes:
		if code == "" {
			return proto.Errorf(proto.CodeCodeRequired, "this server needs a registration code: ask its operator for one")
		}
	}
	return nil
}

// createUser stores a new account, spending a use of code in mode codes.
func (h *Hub) createUser(ctx context.Context, name, hash, code string) (proto.User, error) {
	if h.cfg.Registration == RegistrationCodes {
		return h.db.CreateUserWithCode(ctx, name, hash, code)
	}
	return h.db.CreateUser(ctx, name, hash)
}

// confirmBound checks, after bind, that c's session still exists and its
// account is not disabled: a revocation that committed while the login
// or resume was under way may have looked for c's connections before c
// joined them. If not, c is unbound and the error returned.
func (h *Hub) confirmBound(ctx context.Context, c *conn, tokenHash []byte) error {
	err := h.db.SessionLive(ctx, tokenHash)
	if err != nil {
		h.unbind(c)
	}
	return err
}

// ResetPassword sets user's password (for the server's operator),
// revokes all their sessions and closes their connections with 4001
// "session revoked".
func (h *Hub) ResetPassword(ctx context.Context, user proto.UserID, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := h.cfg.Hasher.Hash(password)
	if err != nil {
		return err
	}
	if err := h.db.ResetPassword(ctx, user, hash); err != nil {
		return err
	}
	n := h.DropSessions(user, nil)
	h.log.Info("password reset by the operator", "user", user, "closed", n)
	return nil
}

// SetDisabled disables or enables user (for the server's operator). A
// disabled user's sessions are revoked and their connections closed with
// 4001 "account disabled"; they cannot log in until enabled.
func (h *Hub) SetDisabled(ctx context.Context, user proto.UserID, disabled bool) error {
	if err := h.db.SetDisabled(ctx, user, disabled); err != nil {
		return err
	}
	if !disabled {
		h.log.Info("account enabled by the operator", "user", user)
		return nil
	}
	n := h.dropSessions(user, nil, proto.ReasonDisabled)
	h.log.Info("account disabled by the operator", "user", user, "closed", n)
	return nil
}

// DeleteGroup deletes group for the server's operator, with the effects
// of its owner's delete_group: members told, history removed, files
// released.
func (h *Hub) DeleteGroup(ctx context.Context, group proto.ConvID) (proto.Conversation, error) {
	del, err := h.db.DeleteGroupAsOperator(ctx, group)
	if err != nil {
		return proto.Conversation{}, err
	}
	h.log.Info("group deleted by the operator", "group", group, "members", len(del.Members))
	h.groupDeleted(ctx, del)
	return del.Conv, nil
}
