package proto

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Clients branch on codes,
// never on messages; messages are for people and may change.
type Code string

// Every error code the server returns. docs/protocol.md lists them all.
const (
	CodeBadFrame        Code = "bad_frame"         // not a JSON object, no type, binary frame where text was expected
	CodeBadRequest      Code = "bad_request"       // body does not decode or a field is invalid
	CodeUnknownType     Code = "unknown_type"      // the server does not know this request type
	CodeTooLarge        Code = "too_large"         // frame or field over its limit
	CodeUnauthenticated Code = "unauthenticated"   // log in or resume first
	CodeBadCredentials  Code = "bad_credentials"   // wrong user ID or password
	CodeBadToken        Code = "bad_token"         // session token unknown, revoked or expired
	CodeRateLimited     Code = "rate_limited"      // too many attempts; Error.RetryAfterMs says when to retry
	CodeAlreadyAuthed   Code = "already_logged_in" // the connection already has a user
	CodeInvalidName     Code = "invalid_name"      // empty, too long or control characters
	CodeWeakPassword    Code = "weak_password"     // shorter than MinPasswordLen or longer than MaxPasswordLen
	CodeNoSuchUser      Code = "no_such_user"
	CodeNoSuchGroup     Code = "no_such_group"
	CodeNoSuchConv      Code = "no_such_conversation"
	CodeNotMember       Code = "not_member"     // the caller is not a member of the conversation
	CodeAlreadyMember   Code = "already_member" // join or invite of someone already in
	CodeNotGroup        Code = "not_group"      // a group operation on a direct conversation
	CodeSelf            Code = "self"           // a direct conversation with yourself
	CodeBadText         Code = "bad_text"       // empty, or not valid UTF-8
	CodeUnavailable     Code = "unavailable"    // the server is shutting down or overloaded; retry
	CodeInternal        Code = "internal"       // a bug or a storage failure; logged on the server
)

// Error codes of profile and devices (people.go).
const (
	CodeWrongPassword  Code = "wrong_password"  // set_password, delete_account: the current password is wrong
	CodeNoSuchDevice   Code = "no_such_device"  // revoke_device: not a session of this account (or already ended)
	CodeNotAnImage     Code = "not_an_image"    // the picture does not decode as PNG, JPEG, GIF or WebP
	CodeImageTooLarge  Code = "image_too_large" // the picture has more bytes or pixels than the limits
	CodeAccountDeleted Code = "account_deleted" // a direct conversation with a deleted account takes no new messages
)

// Error codes of blocking and first-contact requests (blocks.go).
const (
	// CodeNotAccepted: the user does not accept this from you (a direct
	// conversation, a call, being added to a group). It does not say why.
	CodeNotAccepted Code = "not_accepted"
	CodeNoRequest   Code = "no_request" // the conversation is not a waiting request of yours
)

// Registration modes and disabled accounts (docs/protocol.md,
// "Registration and the admin command").
const (
	CodeRegistrationClosed Code = "registration_closed" // the server's registration mode is closed
	CodeCodeRequired       Code = "code_required"       // the mode is codes and register gave none
	CodeBadCode            Code = "bad_code"            // no such registration code
	CodeCodeUsedUp         Code = "code_used_up"        // the code has been used its maximum of times
	CodeCodeExpired        Code = "code_expired"        // the code's expiry has passed
	CodeAccountDisabled    Code = "account_disabled"    // the operator disabled the account
)

// Error is the error body of a failed reply, and the error type every
// client-visible failure is carried in on both sides.
type Error struct {
	Code         Code   `json:"code"`
	Message      string `json:"message"`
	RetryAfterMs int64  `json:"retry_after_ms,omitempty"` // with CodeRateLimited and CodeUnavailable
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code carried by err, CodeInternal for any other error
// and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
