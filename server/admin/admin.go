// Package admin is the server operator's side door: the running server
// listens on a Unix socket in its data folder (SocketName, mode 0600, so
// only the account the server runs as can connect), and the
// `parley-server admin …` subcommand sends it one request per connection.
// The admin protocol is internal: one JSON request line, one JSON reply
// line. Without a running server the subcommand refuses (it never opens
// the database itself, which the server's writer owns).
package admin

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"parley/net/proto"
	"parley/server/hub"
	"parley/server/storage"
)

// SocketName is the admin socket's name in the data folder.
const SocketName = "admin.sock"

// Commands of a Request.
const (
	CmdCreateCode    = "create-code"
	CmdCodes         = "codes"
	CmdUsers         = "users"
	CmdResetPassword = "reset-password"
	CmdDisable       = "disable"
	CmdEnable        = "enable"
	CmdDeleteGroup   = "delete-group"
)

// Request is one admin command.
type Request struct {
	Command string       `json:"command"`
	User    proto.UserID `json:"user,omitempty"`
	Group   proto.ConvID `json:"group,omitempty"`
	// create-code: how many registrations may use the code, and for how
	// long (milliseconds; 0: no expiry).
	Uses  int   `json:"uses,omitempty"`
	TTLMs int64 `json:"ttl_ms,omitempty"`
	// reset-password: the new password ("": the server makes one).
	Password string `json:"password,omitempty"`
}

// Reply is the answer to a Request: Error, or what the command returns.
type Reply struct {
	Error    string              `json:"error,omitempty"`
	Code     *storage.RegCode    `json:"code,omitempty"`
	Codes    []storage.RegCode   `json:"codes,omitempty"`
	Users    []storage.Account   `json:"users,omitempty"`
	Password string              `json:"password,omitempty"`
	Group    *proto.Conversation `json:"group,omitempty"`
}

// Service runs admin commands on a running server's storage and hub.
type Service struct {
	DB  storage.Operator
	Hub *hub.Hub
}

// Do runs one command. Every failure is in Reply.Error, for the operator.
func (s *Service) Do(ctx context.Context, req Request) Reply {
	r, err := s.do(ctx, req)
	if err != nil {
		if e, ok := errors.AsType[*proto.Error](err); ok {
			return Reply{Error: e.Message + " (" + string(e.Code) + ")"}
		}
		return Reply{Error: err.Error()}
	}
	return r
}

func (s *Service) do(ctx context.Context, req Request) (Reply, error) {
	switch req.Command {
	case CmdCreateCode:
		if req.Uses < 1 || req.TTLMs < 0 {
			return Reply{}, errors.New("a code needs at least 1 use and an expiry that is not negative")
		}
		code, err := newCode()
		if err != nil {
			return Reply{}, err
		}
		rc, err := s.DB.CreateRegCode(ctx, code, req.Uses, time.Duration(req.TTLMs)*time.Millisecond)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Code: &rc}, nil
	case CmdCodes:
		cs, err := s.DB.RegCodes(ctx)
		return Reply{Codes: cs}, err
	case CmdUsers:
		us, err := s.DB.Accounts(ctx)
		return Reply{Users: us}, err
	case CmdResetPassword:
		pw := req.Password
		var made string
		if pw == "" {
			var err error
			if pw, err = newPassword(); err != nil {
				return Reply{}, err
			}
			made = pw
		}
		return Reply{Password: made}, s.Hub.ResetPassword(ctx, req.User, pw)
	case CmdDisable, CmdEnable:
		return Reply{}, s.Hub.SetDisabled(ctx, req.User, req.Command == CmdDisable)
	case CmdDeleteGroup:
		g, err := s.Hub.DeleteGroup(ctx, req.Group)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Group: &g}, nil
	}
	return Reply{}, fmt.Errorf("unknown admin command %q", req.Command)
}

// newCode returns a registration code: 128 random bits in 26 lower-case
// base32 letters and digits, easy to read out and to type.
func newCode() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random code: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// newPassword returns a password of 96 random bits (16 characters).
func newPassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
