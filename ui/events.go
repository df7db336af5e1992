package ui

import "parley/net/proto"

// Event is something the user asked for. Layout returns the events of a
// frame; the app performs them off the UI goroutine. Text fields are
// passed as typed: the model parses and validates them.
type Event interface{ isEvent() }

type (
	// Login logs in with a user ID and password.
	Login struct{ Server, UserID, Password string }
	// Register creates an account.
	Register struct{ Server, Name, Password, Confirm, Code string }
	// Logout ends the session.
	Logout struct{}
	// ResetCache deletes this device's copy of the account whose cache
	// would not open (offered with a state.CodeCache login error).
	ResetCache struct{}
	// UseHere takes the account from the browser tab that has it open
	// (offered with a state.CodeInUse login error).
	UseHere struct{}
	// CreateGroup creates a group with a join policy (proto.Policy*).
	CreateGroup struct{ Name, Policy string }
	// JoinGroup joins a group by its ID.
	JoinGroup struct{ GroupID string }
	// Invite adds a user to a group; GroupID "" is the open conversation.
	Invite struct{ UserID, GroupID string }
	// OpenDirect opens (or starts) a direct conversation with a user.
	OpenDirect struct{ UserID string }
	// Open opens a conversation; 0 closes the open one (back navigation).
	Open struct{ Conv proto.ConvID }
	// Leave leaves a group.
	Leave struct{ Conv proto.ConvID }
	// LoadOlder asks for the page of history before the loaded window.
	LoadOlder struct{}
	// Send sends text to Conv, the conversation it was typed in.
	Send struct {
		Conv proto.ConvID
		Text string
	}
	// SendAsFile sends a text too long for a message to Conv as a .txt
	// file.
	SendAsFile struct {
		Conv proto.ConvID
		Text string
	}
	// Draft reports what the composer holds for Conv, at every change
	// (the app keeps it, and shows it when Conv opens again).
	Draft struct {
		Conv proto.ConvID
		Text string
	}
	// Search searches the local history; "" clears the search.
	Search struct{ Query string }
	// DismissNotice removes a notice from the notice bar.
	DismissNotice struct{ ID uint64 }
	// Reconnect retries the connection now.
	Reconnect struct{}
	// Prefs reports that the user switched the language or the theme, so
	// the app can remember the choice. ThemeSwitched says the theme is a
	// choice too (until then it follows the system).
	Prefs struct {
		Lang          Lang
		Dark          bool
		ThemeSwitched bool
	}

	// Call calls a user by the ID typed (or the peer of a direct chat).
	Call struct{ UserID string }
	// GroupCall starts a call in group Conv, or joins the one in
	// progress there.
	GroupCall struct{ Conv proto.ConvID }
	// AcceptCall answers the ringing call (a group call: joins it).
	AcceptCall struct{}
	// DeclineCall refuses the ringing call.
	DeclineCall struct{}
	// HangUp ends the call: it cancels a call still ringing.
	HangUp struct{}
	// Mute mutes or unmutes my microphone in the call.
	Mute struct{ Muted bool }
	// DismissCall clears an ended call from the call bar.
	DismissCall struct{}
	// SetEchoCancelling switches echo cancellation on or off (a headset).
	SetEchoCancelling struct{ On bool }
	// ListAudioDevices asks for the microphones and speakers.
	ListAudioDevices struct{}
	// SelectDevices chooses the microphone and speaker ("" is the
	// system default).
	SelectDevices struct{ Input, Output string }

	// PickFile opens the platform's file picker; the app sends the
	// chosen file to Target (see SendFile). If there is no picker, the
	// app calls UI.PickerFailed.
	PickFile struct{ Target string }
	// SendFile sends the file at Path to the open conversation (Target
	// "") or to the user with the ID Target.
	SendFile struct{ Path, Target string }
	// SaveFile downloads the file shared by message Seq of Conv.
	SaveFile struct {
		Conv proto.ConvID
		Seq  int64
	}
	// PauseTransfer, ResumeTransfer, CancelTransfer and DismissTransfer
	// act on the transfer with that ID; ResumeTransfer also retries a
	// failed one.
	PauseTransfer   struct{ ID string }
	ResumeTransfer  struct{ ID string }
	CancelTransfer  struct{ ID string }
	DismissTransfer struct{ ID string }
	// OpenFile opens a transfer's local file; ShowInFolder shows it in
	// the file manager.
	OpenFile     struct{ ID string }
	ShowInFolder struct{ ID string }
)

func (Login) isEvent()         {}
func (Register) isEvent()      {}
func (Logout) isEvent()        {}
func (ResetCache) isEvent()    {}
func (UseHere) isEvent()       {}
func (CreateGroup) isEvent()   {}
func (JoinGroup) isEvent()     {}
func (Invite) isEvent()        {}
func (OpenDirect) isEvent()    {}
func (Open) isEvent()          {}
func (Leave) isEvent()         {}
func (LoadOlder) isEvent()     {}
func (Send) isEvent()          {}
func (SendAsFile) isEvent()    {}
func (Draft) isEvent()         {}
func (Search) isEvent()        {}
func (DismissNotice) isEvent() {}
func (Reconnect) isEvent()     {}
func (Prefs) isEvent()         {}

func (Call) isEvent()              {}
func (GroupCall) isEvent()         {}
func (AcceptCall) isEvent()        {}
func (DeclineCall) isEvent()       {}
func (HangUp) isEvent()            {}
func (Mute) isEvent()              {}
func (DismissCall) isEvent()       {}
func (ListAudioDevices) isEvent()  {}
func (SetEchoCancelling) isEvent() {}
func (SelectDevices) isEvent()     {}
func (PickFile) isEvent()          {}
func (SendFile) isEvent()          {}
func (SaveFile) isEvent()          {}
func (PauseTransfer) isEvent()     {}
func (ResumeTransfer) isEvent()    {}
func (CancelTransfer) isEvent()    {}
func (DismissTransfer) isEvent()   {}
func (OpenFile) isEvent()          {}
func (ShowInFolder) isEvent()      {}

// History changes (docs/protocol.md, "Changing history"). Message rows
// emit React; the others are for a message's context menu (not built
// yet).
type (
	// React adds my reaction Emoji to message Seq of Conv, or with
	// Remove takes it back.
	React struct {
		Conv   proto.ConvID
		Seq    int64
		Emoji  string
		Remove bool
	}
	// ReplyTo sends Text to Conv answering message Seq.
	ReplyTo struct {
		Conv proto.ConvID
		Seq  int64
		Text string
	}
	// EditMessage replaces the text of my message Seq.
	EditMessage struct {
		Conv proto.ConvID
		Seq  int64
		Text string
	}
	// DeleteMessage deletes message Seq for everyone, or with ForMe
	// hides it on my devices only.
	DeleteMessage struct {
		Conv  proto.ConvID
		Seq   int64
		ForMe bool
	}
	// PinMessage pins message Seq, or with Unpin unpins it.
	PinMessage struct {
		Conv  proto.ConvID
		Seq   int64
		Unpin bool
	}
)

func (React) isEvent()         {}
func (ReplyTo) isEvent()       {}
func (EditMessage) isEvent()   {}
func (DeleteMessage) isEvent() {}
func (PinMessage) isEvent()    {}
