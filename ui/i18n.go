package ui

import (
	"fmt"
	"strings"
	"time"

	"parley/app/state"
	"parley/net/proto"
)

// Lang is a UI language: a BCP 47 tag.
type Lang string

// The languages of the UI.
const (
	English Lang = "en"
	Chinese Lang = "zh-CN" // Simplified Chinese
)

// ParseLang maps a system locale ("zh_CN.UTF-8", "zh-Hans", "en-US") to a
// UI language: any Chinese locale gets Simplified Chinese, the rest
// English.
func ParseLang(locale string) Lang {
	l := strings.ToLower(strings.TrimSpace(locale))
	if strings.HasPrefix(l, "zh") {
		return Chinese
	}
	return English
}

// catalog holds every string of the UI in one language. Fields ending in
// "F" are fmt formats.
type catalog struct {
	AppName, Tagline                          string
	TabLogin, TabRegister                     string
	Server, UserID, Name, Password            string
	UserIDHint, NameHint, PasswordHint        string
	ServerHint                                string // the server field, empty: one address or several
	LoginButton, RegisterButton, Working      string
	ClearCache, ClearCacheHint, CacheClearedF string
	UseHere, UseHereHint                      string
	RegisteredF, RegisteredHint, Copy, Copied string
	SwitchLang, DarkTheme, LightTheme         string
	NewGroup, JoinGroup, Invite, Direct       string
	GroupName, GroupID, GroupIDOpen, FriendID string
	Create, Join, InviteButton, Chat          string
	SearchHint, SearchingF, NoResultsF        string
	// Counts: the singular and the plural (Chinese has one form).
	ResultsN, MembersN                                 plural
	ClearSearch, Conversations, NoConversations        string
	PickConversation, NoMessages, DirectChat           string
	OnlineF, MessageHintF, Send                        string
	Sending, Sent, Failed, NewMessages, LoadingOlder   string
	Beginning, ConnOnline, ConnConnecting, ConnOffline string
	Logout, Leave, LeaveConfirm, Back, ShowMembers     string
	Dismiss, You, Cancel                               string
	OfflineRetryF, OfflineNow, RetryNow, RepeatF       string
	LogoutAskF, ShowPassword, HidePassword, WelcomeF   string
	YourIDHint                                         string
	Today, Yesterday                                   string
	ErrNoID, ErrNoName, ErrNoPassword                  string
	JumpLatest, Members, Composer                      string
	// History changes (messages.go): marks, tombstones, quotes, call rows.
	Edited, MessageDeleted, ForwardedFromF, CallBack string
	DeleteForAll, DeleteForMe, Pin, Unpin            string
	// Reply and Edit (the menu, and the strip over the composer).
	Reply, Edit, ReplyingToF, EditingMessage, CancelReply, CancelEdit, EditEmpty string
	CallRowF, CallRowMissed, CallRowDeclined, CallRowCancelled, CallRowNoAnswer  string
	// Membership events in the history.
	EvCreatedF, EvJoinedF, EvInvitedF, EvLeftF string
	// Notices, by kind.
	Notices map[state.NoticeKind]string
	// Errors, by code; ErrorsWithF where the notice names its subject
	// (Args[0]).
	Errors, ErrorsWithF map[proto.Code]string
	// Inputs words a bad_input notice by its Detail, with its Args.
	Inputs              map[string]string
	BadInputF, UnknownF string
	// Dates.
	Weekdays            [7]string
	Months              [12]string
	DayF, DayYearF      func(t time.Time, weekday, month string) string
	ShortDayF, OldDayF  func(t time.Time, month string) string
	NameAndIDF, GroupIF string

	// The call bar and the incoming-call dialog.
	VoiceCall, CallUserID, CallButton, CallPersonF   string
	CallUserIDMenu, NoAudioHere, NoAudioPeerF        string
	Calling, Ringing, CallConnecting, InCallF, Muted string
	IncomingCall, IsCalling, IsCallingF              string
	Accept, Decline, HangUp, CancelCall              string
	Mute, Unmute, AudioDevices, Microphone, Speaker  string
	SystemDefault, SystemDefaultF, LookingForDevices string
	Done                                             string // closes the sound devices' dialog
	EchoCancel, EchoCancelOn, EchoCancelOff          string
	CallAgain, ClearCall                             string
	NoAudioCalls, NoAudioAnswer                      string
	// How a call ended.
	CallEndedF, CallCancelled, MissedCallF, DeclinedF, YouDeclined string
	NoAnswer, AnsweredElsewhere, CallDropped, CallDroppedF         string
	BusyF, OfflineF, CallSelf, AlreadyInCall, CallFailed           string
	// The file bar, transfer rows and file messages.
	AttachFile, ChooseFile, FilePath, FilePathHint, SendTo, SendToHint string
	SendFile, CloseFiles, GoesToF, GoesToUserF, NoPicker               string
	Uploading, Downloading, Waiting, Checking, Preparing, Paused       string
	Uploaded, SavedToF, Saved, Canceled, TransferFailed                string
	SpeedF, LeftF, OfF                                                 string
	Pause, Resume, CancelTransfer, Retry, OpenFile, ShowInFolder       string
	Open, Save, FilePreviewF, RemoveTransfer                           string
	SecondsF, MinutesF, HoursF                                         string
	// Receipts, typing, forwarding, the read-receipts switch (receipts.go).
	Receipts receiptWords
	// Group calls (groupcalls_i18n.go).
	GroupCalls groupCallWords
}

// plural is a count's words: One for 1, Other for the rest. Both are
// fmt formats whose first verb is the count.
type plural struct{ One, Other string }

// format words n, with more arguments after it.
func (p plural) format(n int, more ...any) string {
	f := p.Other
	if n == 1 {
		f = p.One
	}
	return fmt.Sprintf(f, append([]any{n}, more...)...)
}

var catalogs = map[Lang]*catalog{English: &en, Chinese: &zh}

func (l Lang) cat() *catalog {
	if c, ok := catalogs[l]; ok {
		return c
	}
	return &en
}

var en = catalog{
	AppName:          "Parley",
	Tagline:          "Chat, call and share files on your own server",
	TabLogin:         "Log in",
	TabRegister:      "Register",
	Server:           "Server",
	UserID:           "User ID",
	Name:             "Name",
	Password:         "Password",
	UserIDHint:       "e.g. 4821",
	ServerHint:       "One or more, comma-separated",
	NameHint:         "Any name, in any script",
	PasswordHint:     "At least 6 characters",
	LoginButton:      "Log in",
	ClearCache:       "Clear this device's copy",
	ClearCacheHint:   "Your conversations are kept on the server and come back when you log in. Messages on this device that were not sent yet are lost.",
	CacheClearedF:    "This device's copy of account %s was cleared. Log in to fetch your conversations again.",
	UseHere:          "Use here",
	UseHereHint:      "One tab at a time: the other tab stops and shows this message.",
	RegisterButton:   "Create account",
	Working:          "Connecting…",
	RegisteredF:      "Registered — your ID is %s",
	RegisteredHint:   "Log in with this ID: names may repeat, IDs never do.",
	Copy:             "Copy",
	Copied:           "Copied",
	SwitchLang:       "中文",
	DarkTheme:        "Dark theme",
	LightTheme:       "Light theme",
	NewGroup:         "New group",
	JoinGroup:        "Join",
	Invite:           "Invite",
	Direct:           "Direct",
	GroupName:        "Group name",
	GroupID:          "Group ID",
	GroupIDOpen:      "Group ID (optional)",
	FriendID:         "User ID",
	Create:           "Create",
	Join:             "Join",
	InviteButton:     "Invite",
	Chat:             "Chat",
	SearchHint:       "Search messages",
	SearchingF:       "Searching for “%s”…",
	ResultsN:         plural{"%d result for “%s”", "%d results for “%s”"},
	NoResultsF:       "No messages match “%s”",
	ClearSearch:      "Clear search",
	Conversations:    "Conversations",
	NoConversations:  "No conversations yet — create or join a group",
	PickConversation: "Pick a conversation, or create a group to start",
	NoMessages:       "No messages yet — say hello!",
	Edited:           "edited",
	MessageDeleted:   "Message deleted",
	ForwardedFromF:   "Forwarded from %s",
	CallBack:         "Call back",
	DeleteForAll:     "Delete for everyone",
	Reply:            "Reply",
	Edit:             "Edit",
	ReplyingToF:      "Replying to %s: %s",
	EditingMessage:   "Editing message",
	CancelReply:      "Cancel reply",
	CancelEdit:       "Cancel editing",
	EditEmpty:        "An edit cannot be empty: to remove the message, delete it instead",
	DeleteForMe:      "Delete for me",
	Pin:              "Pin",
	Unpin:            "Unpin",
	CallRowF:         "Voice call · %s",
	CallRowMissed:    "Missed call",
	CallRowDeclined:  "Declined",
	CallRowCancelled: "Cancelled",
	CallRowNoAnswer:  "No answer",
	DirectChat:       "Direct chat",
	MembersN:         plural{"%d member", "%d members"},
	OnlineF:          "%d online",
	MessageHintF:     "Message %s",
	Send:             "Send",
	Sending:          "Sending…",
	Sent:             "Sent",
	Failed:           "Not sent",
	NewMessages:      "New messages",
	LoadingOlder:     "Loading older messages…",
	Beginning:        "Start of the conversation",
	ConnOnline:       "Online",
	ConnConnecting:   "Connecting…",
	ConnOffline:      "Offline",
	Logout:           "Log out",
	Leave:            "Leave group",
	LeaveConfirm:     "Leave",
	Cancel:           "Cancel",
	Back:             "Back",
	ShowMembers:      "Members",
	Dismiss:          "Dismiss",
	OfflineRetryF:    "Offline — retrying in %d s",
	OfflineNow:       "Offline — reconnecting…",
	RetryNow:         "Retry now",
	RepeatF:          "%s (×%d)",
	LogoutAskF:       "Log out? To log back in you need your ID (%s) and password.",
	ShowPassword:     "Show password",
	HidePassword:     "Hide password",
	WelcomeF:         "Welcome, %s!",
	YourIDHint:       "People add you by this ID, and you log in with it on other devices.",
	You:              "You",
	ErrNoID:          "Enter your user ID (a number like 4821)",
	ErrNoName:        "Enter a name",
	ErrNoPassword:    "Enter your password",
	JumpLatest:       "Jump to the latest messages",
	Members:          "Members",
	Composer:         "Message",
	Today:            "Today",
	Yesterday:        "Yesterday",
	EvCreatedF:       "%s created the group",
	EvJoinedF:        "%s joined",
	EvInvitedF:       "%s added %s",
	EvLeftF:          "%s left",
	Notices: map[state.NoticeKind]string{
		state.NoticeRegistered:   "Registered %s — your ID is %s",
		state.NoticeGroupCreated: "Created %s — its ID is %s",
		state.NoticeJoined:       "Joined %s (%s)",
		state.NoticeInvited:      "Added %s (%s) to %s (%s)",
		state.NoticeInvitedMe:    "%s (%s) added you to %s (%s)",
		state.NoticeLeft:         "Left %s (%s)",
		state.NoticeDirect:       "Direct chat with %s (%s)",
		state.NoticeLoggedOut:    "Logged out",
		state.NoticeSessionEnded: "Your session ended — please log in again",
		state.NoticeFileReceived: "%[1]s sent %[3]s (%[4]s)",
		state.NoticeFileSaved:    "Saved %s to %s",
	},
	Errors: map[proto.Code]string{
		proto.CodeBadCredentials: "Wrong user ID or password",
		proto.CodeRateLimited:    "Too many attempts — wait a moment and try again",
		proto.CodeInvalidName:    "That name is not allowed",
		proto.CodeWeakPassword:   "A password has at least 6 characters",
		proto.CodeNoSuchUser:     "No such user",
		proto.CodeNoSuchGroup:    "No such group",
		proto.CodeNoSuchConv:     "No such conversation",
		proto.CodeNotMember:      "You are not a member of that group",
		proto.CodeNoSuchMessage:  "That message no longer exists",
		proto.CodeNotSender:      "Only its sender can change that message",
		proto.CodeDeleted:        "That message was deleted",
		proto.CodeEditWindow:     "That message is too old to edit",
		proto.CodeBadEmoji:       "A reaction is one emoji",
		proto.CodeAlreadyMember:  "Already a member",
		proto.CodeNotGroup:       "That is a direct chat, not a group",
		proto.CodeSelf:           "You cannot start a chat with yourself",
		proto.CodeBadText:        "The message is empty or not valid text",
		proto.CodeTooLarge:       "That is too long",
		proto.CodeUnavailable:    "The server is busy — try again",
		proto.CodeInternal:       "The server failed — try again later",
		proto.CodeBadToken:       "Your session ended — please log in again",
		state.CodeUnreachable:    "Cannot reach the server",
		state.CodeNoDevices:      "Cannot list the sound devices",
		state.CodeFileChanged:    "The file changed while it was being sent; nothing was shared",
		state.CodeFileMissing:    "The file is gone",
		state.CodeDiskFull:       "No room left to save the file",
		state.CodeNoPermission:   "No permission to read or write that file",
		state.CodeCorrupt:        "The received file was damaged (its checksum does not match)",
		proto.CodeBusy:           "That person is in another call",
		proto.CodeOffline:        "That person is not connected",
		proto.CodeInCall:         "You are already in a call",
		proto.CodeNoSuchCall:     "That call is over",
	},
	ErrorsWithF: map[proto.Code]string{
		proto.CodeNoSuchUser:  "No user with ID %s",
		proto.CodeNoSuchGroup: "No group with ID %s",
		state.CodeCache:       "This device's copy of account %s cannot be opened: it may be damaged",
		state.CodeInUse:       "Account %s is open in another tab of this browser",
		state.CodeNoDevices:   "Cannot list the sound devices: %s",
	},
	Inputs: map[string]string{
		state.InputLoggedOut:        "Log in first",
		state.InputServer:           "Enter the server address",
		state.InputServerBad:        "%s is not a server address",
		state.InputUserID:           "A user ID is a number, like 4821",
		state.InputGroupID:          "A group ID is a number, like 512",
		state.InputName:             "Enter a name",
		state.InputNameLong:         "A name has at most %s characters",
		state.InputPasswordShort:    "A password has at least %s characters",
		state.InputPasswordMismatch: "The passwords do not match",
		state.InputPassword:         "Enter your password",
		state.InputGroupName:        "A group name has 1 to %s characters",
		state.InputWhichGroup:       "Open a group or enter its ID",
		state.InputMessageEmpty:     "The message is empty",
		state.InputMessageLong:      "A message holds at most %s bytes; this one has %s",
		state.InputNoConversation:   "Open a conversation first",
		state.InputNotAFile:         "%s is not a file",
		state.InputChooseFile:       "Choose a file or enter its path",
		state.InputNoHome:           "%s: there is no home folder here",
		state.InputFileTarget:       "Open a conversation or enter a user ID",
		state.InputNotFileMessage:   "That message holds no file",
		state.InputTransferBusy:     "Pause or cancel the transfer first",
		state.InputNotSaved:         "%s is not saved yet",
		state.InputNoRoomToCopy:     "No room on this device to copy %s for sending",
		state.InputTooBigForMemory:  "%s has %s; the browser can send files up to %s",
		state.InputPickAgain:        "The page was reloaded, so %s is no longer here: choose it again",
		state.InputTooBigToSave:     "%s has %s; the browser can save files up to %s",
	},
	BadInputF: "%s",
	UnknownF:  "Something went wrong: %s",
	Weekdays:  [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	Months:    [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	DayF: func(t time.Time, wd, mo string) string {
		return fmt.Sprintf("%s, %d %s", wd, t.Day(), mo)
	},
	DayYearF: func(t time.Time, wd, mo string) string {
		return fmt.Sprintf("%s, %d %s %d", wd, t.Day(), mo, t.Year())
	},
	ShortDayF:  func(t time.Time, mo string) string { return fmt.Sprintf("%d %s", t.Day(), mo[:3]) },
	OldDayF:    func(t time.Time, mo string) string { return t.Format("2 Jan 2006") },
	NameAndIDF: "%s (%s)",
	GroupIF:    "#%d",

	VoiceCall:         "Voice call",
	CallUserID:        "User ID to call",
	CallButton:        "Call",
	CallPersonF:       "Call %s",
	CallUserIDMenu:    "Call a user ID…",
	NoAudioHere:       "No microphone or speaker found — check your sound settings",
	NoAudioPeerF:      "%s's device has no sound — the call ended",
	Calling:           "Calling…",
	Ringing:           "Ringing…",
	CallConnecting:    "Connecting…",
	InCallF:           "In call · %s",
	Muted:             "Muted",
	IncomingCall:      "Incoming voice call",
	IsCalling:         "is calling you…",
	IsCallingF:        "%s is calling",
	Accept:            "Accept",
	Decline:           "Decline",
	HangUp:            "Hang up",
	CancelCall:        "Cancel call",
	Mute:              "Mute",
	Unmute:            "Unmute",
	AudioDevices:      "Sound devices",
	Microphone:        "Microphone",
	Speaker:           "Speaker",
	SystemDefault:     "System default",
	EchoCancel:        "Echo",
	EchoCancelOn:      "Cancel the echo",
	EchoCancelOff:     "Off (headset)",
	SystemDefaultF:    "System default (%s)",
	LookingForDevices: "Looking for devices…",
	Done:              "Done",
	CallAgain:         "Call again",
	ClearCall:         "Clear",
	NoAudioCalls:      "This browser cannot make calls: use the desktop app",
	NoAudioAnswer:     "This browser cannot make calls: answer in the desktop app",
	CallEndedF:        "Call ended (%s)",
	CallCancelled:     "Call cancelled",
	MissedCallF:       "Missed call from %s",
	DeclinedF:         "%s declined",
	YouDeclined:       "You declined the call",
	NoAnswer:          "No answer",
	AnsweredElsewhere: "Answered on another device",
	CallDropped:       "Call dropped",
	CallDroppedF:      "Call dropped (%s)",
	BusyF:             "Busy: %s is in another call",
	OfflineF:          "Offline: %s is not connected",
	CallSelf:          "You cannot call yourself",
	AlreadyInCall:     "You are already in a call",
	CallFailed:        "The call failed",
	AttachFile:        "Attach a file",
	ChooseFile:        "Choose file…",
	FilePath:          "File path",
	FilePathHint:      "or type the path of a file",
	SendTo:            "Send to user ID",
	SendToHint:        "User ID (empty: this chat)",
	SendFile:          "Send file",
	CloseFiles:        "Close",
	GoesToF:           "Goes to %s",
	GoesToUserF:       "Goes to user %s",
	NoPicker:          "No file picker on this system — type the file's path",
	Uploading:         "Sending",
	Downloading:       "Saving",
	Waiting:           "Waiting…",
	Checking:          "Checking",
	Preparing:         "Preparing to send",
	Paused:            "Paused",
	Uploaded:          "Sent",
	Saved:             "Saved", // into the browser's downloads: no path to show
	SavedToF:          "Saved to %s",
	Canceled:          "Cancelled",
	TransferFailed:    "Failed",
	SpeedF:            "%s/s",
	LeftF:             "%s left",
	OfF:               "%s of %s",
	Pause:             "Pause",
	Resume:            "Resume",
	CancelTransfer:    "Cancel transfer",
	Retry:             "Retry",
	OpenFile:          "Open file",
	ShowInFolder:      "Show in folder",
	Open:              "Open",
	Save:              "Save",
	RemoveTransfer:    "Remove from the list",
	FilePreviewF:      "[File] %s",
	SecondsF:          "%d s",
	MinutesF:          "%d min",
	HoursF:            "%d h %d min",
	Receipts:          enReceipts,
}

var zh = catalog{
	AppName:          "Parley",
	Tagline:          "在自己的服务器上聊天、通话、传文件",
	TabLogin:         "登录",
	TabRegister:      "注册",
	Server:           "服务器",
	UserID:           "用户 ID",
	Name:             "用户名",
	Password:         "密码",
	UserIDHint:       "例如 4821",
	ServerHint:       "一个或多个地址，用逗号分隔",
	NameHint:         "支持中文",
	PasswordHint:     "至少 6 个字符",
	LoginButton:      "登录",
	ClearCache:       "清除本机副本",
	ClearCacheHint:   "会话保存在服务器上，登录后会重新下载。本机尚未发出的消息将会丢失。",
	CacheClearedF:    "已清除账号 %s 在本机的副本。请登录以重新获取会话。",
	UseHere:          "在此使用",
	UseHereHint:      "同一时间只能在一个标签页中使用：另一个标签页将停止并显示此提示。",
	RegisterButton:   "注册账号",
	Working:          "正在连接…",
	RegisteredF:      "注册成功，你的 ID 是 %s",
	RegisteredHint:   "请用这个 ID 登录：用户名可以重复，ID 不会。",
	Copy:             "复制",
	Copied:           "已复制",
	SwitchLang:       "English",
	DarkTheme:        "深色主题",
	LightTheme:       "浅色主题",
	NewGroup:         "创建群聊",
	JoinGroup:        "加入群聊",
	Invite:           "邀请",
	Direct:           "私聊",
	GroupName:        "群聊名称",
	GroupID:          "群聊 ID",
	GroupIDOpen:      "群聊 ID（留空为当前群聊）",
	FriendID:         "好友 ID",
	Create:           "创建",
	Join:             "加入",
	InviteButton:     "邀请",
	Chat:             "聊天",
	SearchHint:       "搜索聊天记录",
	SearchingF:       "正在搜索“%s”…",
	ResultsN:         plural{"找到 %d 条“%s”", "找到 %d 条“%s”"},
	NoResultsF:       "没有消息包含“%s”",
	ClearSearch:      "清除搜索",
	Conversations:    "会话",
	NoConversations:  "还没有会话——创建或加入一个群聊吧",
	PickConversation: "选择一个会话，或创建一个群聊开始聊天",
	NoMessages:       "还没有消息——打个招呼吧！",
	Edited:           "已编辑",
	MessageDeleted:   "消息已删除",
	ForwardedFromF:   "转发自 %s",
	CallBack:         "回拨",
	DeleteForAll:     "为所有人删除",
	Reply:            "回复",
	Edit:             "编辑",
	ReplyingToF:      "回复 %s：%s",
	EditingMessage:   "正在编辑消息",
	CancelReply:      "取消回复",
	CancelEdit:       "取消编辑",
	EditEmpty:        "编辑后的消息不能为空：如要移除这条消息，请删除它",
	DeleteForMe:      "仅为我删除",
	Pin:              "置顶",
	Unpin:            "取消置顶",
	CallRowF:         "语音通话 · %s",
	CallRowMissed:    "未接来电",
	CallRowDeclined:  "已拒绝",
	CallRowCancelled: "已取消",
	CallRowNoAnswer:  "无人接听",
	DirectChat:       "私聊",
	MembersN:         plural{"%d 位成员", "%d 位成员"},
	OnlineF:          "%d 人在线",
	MessageHintF:     "发消息给 %s",
	Send:             "发送",
	Sending:          "发送中…",
	Sent:             "已发送",
	Failed:           "发送失败",
	NewMessages:      "新消息",
	LoadingOlder:     "正在加载更早的消息…",
	Beginning:        "会话开始",
	ConnOnline:       "在线",
	ConnConnecting:   "连接中…",
	ConnOffline:      "离线",
	Logout:           "退出登录",
	Leave:            "退出群聊",
	LeaveConfirm:     "退出",
	Cancel:           "取消",
	Back:             "返回",
	ShowMembers:      "成员",
	Dismiss:          "关闭",
	OfflineRetryF:    "已离线 — %d 秒后重试",
	OfflineNow:       "已离线 — 正在重新连接…",
	RetryNow:         "立即重试",
	RepeatF:          "%s（×%d）",
	LogoutAskF:       "确定退出登录？再次登录需要你的 ID（%s）和密码。",
	ShowPassword:     "显示密码",
	HidePassword:     "隐藏密码",
	WelcomeF:         "欢迎，%s！",
	YourIDHint:       "别人通过这个 ID 添加你，你在其他设备上也用它登录。",
	You:              "我",
	ErrNoID:          "请输入用户 ID（一个数字，例如 4821）",
	ErrNoName:        "请输入用户名",
	ErrNoPassword:    "请输入密码",
	JumpLatest:       "跳到最新消息",
	Members:          "成员",
	Composer:         "消息",
	Today:            "今天",
	Yesterday:        "昨天",
	EvCreatedF:       "%s 创建了群聊",
	EvJoinedF:        "%s 加入了群聊",
	EvInvitedF:       "%s 邀请 %s 加入了群聊",
	EvLeftF:          "%s 退出了群聊",
	Notices: map[state.NoticeKind]string{
		state.NoticeRegistered:   "注册成功：%s，ID 为 %s",
		state.NoticeGroupCreated: "已创建群聊“%s”，ID 为 %s",
		state.NoticeJoined:       "已加入群聊 %s（%s）",
		state.NoticeInvited:      "已邀请 %s（%s）加入 %s（%s）",
		state.NoticeInvitedMe:    "%s（%s）邀请你加入了 %s（%s）",
		state.NoticeLeft:         "已退出群聊 %s（%s）",
		state.NoticeDirect:       "已打开与 %s（%s）的私聊",
		state.NoticeLoggedOut:    "已退出登录",
		state.NoticeSessionEnded: "登录已失效，请重新登录",
		state.NoticeFileReceived: "%[1]s 发送了 %[3]s（%[4]s）",
		state.NoticeFileSaved:    "已将 %s 保存到 %s",
	},
	Errors: map[proto.Code]string{
		proto.CodeBadCredentials: "用户 ID 或密码错误",
		proto.CodeRateLimited:    "尝试次数过多，请稍后再试",
		proto.CodeInvalidName:    "这个名称不可用",
		proto.CodeWeakPassword:   "密码至少 6 个字符",
		proto.CodeNoSuchUser:     "没有这个用户",
		proto.CodeNoSuchGroup:    "没有这个群聊",
		proto.CodeNoSuchConv:     "没有这个会话",
		proto.CodeNotMember:      "你不是该群聊的成员",
		proto.CodeNoSuchMessage:  "该消息不存在",
		proto.CodeNotSender:      "只有发送者可以修改这条消息",
		proto.CodeDeleted:        "该消息已被删除",
		proto.CodeEditWindow:     "消息已超过可编辑时间",
		proto.CodeBadEmoji:       "回应只能是一个表情",
		proto.CodeAlreadyMember:  "已经是成员了",
		proto.CodeNotGroup:       "这是私聊，不是群聊",
		proto.CodeSelf:           "不能和自己私聊",
		proto.CodeBadText:        "消息为空或不是有效文本",
		proto.CodeTooLarge:       "内容太长",
		proto.CodeUnavailable:    "服务器繁忙，请重试",
		proto.CodeInternal:       "服务器出错，请稍后再试",
		proto.CodeBadToken:       "登录已失效，请重新登录",
		state.CodeUnreachable:    "无法连接服务器",
		state.CodeNoDevices:      "无法列出声音设备",
		state.CodeFileChanged:    "文件在发送过程中被修改，未发送",
		state.CodeFileMissing:    "文件已不存在",
		state.CodeDiskFull:       "磁盘空间不足，无法保存文件",
		state.CodeNoPermission:   "没有权限读写该文件",
		state.CodeCorrupt:        "收到的文件已损坏（校验值不一致）",
		proto.CodeBusy:           "对方正在通话中",
		proto.CodeOffline:        "对方不在线",
		proto.CodeInCall:         "你已在通话中",
		proto.CodeNoSuchCall:     "该通话已结束",
	},
	ErrorsWithF: map[proto.Code]string{
		proto.CodeNoSuchUser:  "没有 ID 为 %s 的用户",
		proto.CodeNoSuchGroup: "没有 ID 为 %s 的群聊",
		state.CodeCache:       "本机保存的账号 %s 副本无法打开，可能已损坏",
		state.CodeInUse:       "账号 %s 已在本浏览器的另一个标签页中打开",
		state.CodeNoDevices:   "无法列出声音设备：%s",
	},
	Inputs: map[string]string{
		state.InputLoggedOut:        "请先登录",
		state.InputServer:           "请输入服务器地址",
		state.InputServerBad:        "%s 不是有效的服务器地址",
		state.InputUserID:           "用户 ID 是一个数字，例如 4821",
		state.InputGroupID:          "群聊 ID 是一个数字，例如 512",
		state.InputName:             "请输入名字",
		state.InputNameLong:         "名字最多 %s 个字符",
		state.InputPasswordShort:    "密码至少 %s 个字符",
		state.InputPasswordMismatch: "两次输入的密码不一致",
		state.InputPassword:         "请输入密码",
		state.InputGroupName:        "群聊名称为 1 到 %s 个字符",
		state.InputWhichGroup:       "请打开一个群聊，或输入群聊 ID",
		state.InputMessageEmpty:     "消息是空的",
		state.InputMessageLong:      "一条消息最多 %s 字节，这条有 %s 字节",
		state.InputNoConversation:   "请先打开一个会话",
		state.InputNotAFile:         "%s 不是文件",
		state.InputChooseFile:       "请选择文件或输入文件路径",
		state.InputNoHome:           "%s：这里没有主文件夹",
		state.InputFileTarget:       "请打开一个会话，或输入用户 ID",
		state.InputNotFileMessage:   "这条消息里没有文件",
		state.InputTransferBusy:     "请先暂停或取消这个传输",
		state.InputNotSaved:         "%s 还没有保存",
		state.InputNoRoomToCopy:     "设备空间不足，无法复制 %s 以发送",
		state.InputTooBigForMemory:  "%s 有 %s；浏览器最多可发送 %s 的文件",
		state.InputPickAgain:        "页面已重新加载，%s 已不在：请重新选择",
		state.InputTooBigToSave:     "%s 有 %s；浏览器最多可保存 %s 的文件",
	},
	BadInputF: "输入有误：%s",
	UnknownF:  "出错了：%s",
	Weekdays:  [7]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"},
	Months:    [12]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"},
	DayF: func(t time.Time, wd, mo string) string {
		return fmt.Sprintf("%s月%d日 %s", mo, t.Day(), wd)
	},
	DayYearF: func(t time.Time, wd, mo string) string {
		return fmt.Sprintf("%d年%s月%d日 %s", t.Year(), mo, t.Day(), wd)
	},
	ShortDayF:  func(t time.Time, mo string) string { return fmt.Sprintf("%s月%d日", mo, t.Day()) },
	OldDayF:    func(t time.Time, mo string) string { return fmt.Sprintf("%d/%s/%d", t.Year(), mo, t.Day()) },
	NameAndIDF: "%s（%s）",
	GroupIF:    "#%d",

	VoiceCall:         "语音通话",
	CallUserID:        "要呼叫的用户 ID",
	CallButton:        "呼叫",
	CallPersonF:       "呼叫 %s",
	CallUserIDMenu:    "按 ID 呼叫", // no "…": in the sidebar's heading it read as a cut label
	NoAudioHere:       "未找到麦克风或扬声器——请检查声音设置",
	NoAudioPeerF:      "%s 的设备没有声音——通话已结束",
	Calling:           "正在呼叫…",
	Ringing:           "等待对方接听…",
	CallConnecting:    "正在接通…",
	InCallF:           "通话中 · %s",
	Muted:             "已静音",
	IncomingCall:      "语音来电",
	IsCalling:         "邀请你语音通话…",
	IsCallingF:        "%s来电",
	Accept:            "接听",
	Decline:           "拒绝",
	HangUp:            "挂断",
	CancelCall:        "取消呼叫",
	Mute:              "静音",
	Unmute:            "取消静音",
	AudioDevices:      "声音设备",
	Microphone:        "麦克风",
	Speaker:           "扬声器",
	SystemDefault:     "系统默认",
	EchoCancel:        "回声",
	EchoCancelOn:      "消除回声",
	EchoCancelOff:     "关闭（耳机）",
	SystemDefaultF:    "系统默认（%s）",
	LookingForDevices: "正在查找设备…",
	Done:              "完成",
	CallAgain:         "再次呼叫",
	ClearCall:         "清除",
	NoAudioCalls:      "此浏览器无法通话，请使用桌面版",
	NoAudioAnswer:     "此浏览器无法通话，请在桌面版接听",
	CallEndedF:        "通话结束（%s）",
	CallCancelled:     "已取消呼叫",
	MissedCallF:       "%s 的未接来电",
	DeclinedF:         "%s 拒绝了通话",
	YouDeclined:       "你拒绝了通话",
	NoAnswer:          "无人接听",
	AnsweredElsewhere: "已在其他设备上接听",
	CallDropped:       "通话中断",
	CallDroppedF:      "通话中断（%s）",
	BusyF:             "对方忙：%s 正在通话中",
	OfflineF:          "对方不在线：%s 未连接",
	CallSelf:          "不能呼叫自己",
	AlreadyInCall:     "你已在通话中",
	CallFailed:        "通话失败",
	AttachFile:        "添加文件",
	ChooseFile:        "选择文件…",
	FilePath:          "文件路径",
	FilePathHint:      "或输入文件路径",
	SendTo:            "发送给用户 ID",
	SendToHint:        "用户 ID（留空：当前会话）",
	SendFile:          "发送文件",
	CloseFiles:        "关闭",
	GoesToF:           "发送到 %s",
	GoesToUserF:       "发送给用户 %s",
	NoPicker:          "此系统没有文件选择器，请输入文件路径",
	Uploading:         "发送中",
	Downloading:       "下载中",
	Waiting:           "等待中…",
	Checking:          "校验中",
	Preparing:         "正在准备发送",
	Paused:            "已暂停",
	Uploaded:          "已发送",
	Saved:             "已保存",
	SavedToF:          "已保存到 %s",
	Canceled:          "已取消",
	TransferFailed:    "失败",
	SpeedF:            "%s/秒",
	LeftF:             "剩余 %s",
	OfF:               "%s / %s",
	Pause:             "暂停",
	Resume:            "继续",
	CancelTransfer:    "取消传输",
	Retry:             "重试",
	OpenFile:          "打开文件",
	ShowInFolder:      "在文件夹中显示",
	Open:              "打开",
	Save:              "保存",
	RemoveTransfer:    "从列表中移除",
	FilePreviewF:      "[文件] %s",
	SecondsF:          "%d 秒",
	MinutesF:          "%d 分钟",
	HoursF:            "%d 小时 %d 分",
	Receipts:          zhReceipts,
}

// notice turns a notice into words.
func (c *catalog) notice(n state.Notice) string {
	if n.Kind == state.NoticeError {
		return c.errorText(n)
	}
	f, ok := c.Notices[n.Kind]
	if !ok {
		return string(n.Kind)
	}
	// Formats may pick their arguments by index ("%[3]s"), so every
	// argument is passed, and missing ones are empty.
	args := make([]any, max(strings.Count(f, "%"), len(n.Args)))
	for i := range args {
		args[i] = ""
		if i < len(n.Args) {
			args[i] = n.Args[i]
		}
	}
	if !strings.Contains(f, "%[") {
		args = args[:strings.Count(f, "%s")]
	}
	return fmt.Sprintf(f, args...)
}

func (c *catalog) errorText(n state.Notice) string {
	if n.Code == state.CodeBadInput {
		if f, ok := c.Inputs[n.Detail]; ok && strings.Count(f, "%s") == len(n.Args) {
			args := make([]any, len(n.Args))
			for i, a := range n.Args {
				args[i] = a
			}
			return fmt.Sprintf(f, args...)
		}
		return fmt.Sprintf(c.BadInputF, n.Text)
	}
	if f, ok := c.ErrorsWithF[n.Code]; ok && len(n.Args) > 0 {
		return fmt.Sprintf(f, n.Args[0])
	}
	if f, ok := c.Errors[n.Code]; ok {
		return f
	}
	if n.Text == "" {
		return fmt.Sprintf(c.UnknownF, n.Code)
	}
	return fmt.Sprintf(c.UnknownF, n.Text)
}

// event describes a membership event of the history.
func (c *catalog) event(m proto.Message) string {
	e := m.Event
	if e == nil {
		return ""
	}
	switch e.Type {
	case proto.EventCreated:
		return fmt.Sprintf(c.EvCreatedF, e.Actor.Name)
	case proto.EventJoined:
		return fmt.Sprintf(c.EvJoinedF, e.Actor.Name)
	case proto.EventInvited:
		subject := ""
		if e.Subject != nil {
			subject = e.Subject.Name
		}
		return fmt.Sprintf(c.EvInvitedF, e.Actor.Name, subject)
	case proto.EventLeft:
		return fmt.Sprintf(c.EvLeftF, e.Actor.Name)
	}
	return e.Type
}

// day names the day of t for a separator: today, yesterday, or a date.
func (c *catalog) day(t, now time.Time) string {
	switch days := dayNumber(now) - dayNumber(t); {
	case days == 0:
		return c.Today
	case days == 1:
		return c.Yesterday
	case t.Year() == now.Year():
		return c.DayF(t, c.Weekdays[t.Weekday()], c.Months[t.Month()-1])
	default:
		return c.DayYearF(t, c.Weekdays[t.Weekday()], c.Months[t.Month()-1])
	}
}

// stamp is the short time of a conversation row: the clock today, then
// "yesterday", then a date.
func (c *catalog) stamp(t, now time.Time) string {
	switch days := dayNumber(now) - dayNumber(t); {
	case days == 0:
		return t.Format("15:04")
	case days == 1:
		return c.Yesterday
	case t.Year() == now.Year():
		return c.ShortDayF(t, c.Months[t.Month()-1])
	default:
		return c.OldDayF(t, c.Months[t.Month()-1])
	}
}

// dayNumber counts calendar days in t's location.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (c *catalog) nameID(name string, id int64) string {
	return fmt.Sprintf(c.NameAndIDF, name, fmt.Sprint(id))
}

// peer names the other person of a call: their name, or their ID while
// the server has not named them.
func (c *catalog) peer(u proto.User) string {
	if u.Name != "" {
		return u.Name
	}
	return fmt.Sprintf("ID %d", u.ID)
}

// peerID is the other person with their ID: "王芳 (4822)".
func (c *catalog) peerID(u proto.User) string {
	if u.Name == "" {
		return c.peer(u)
	}
	return c.nameID(u.Name, int64(u.ID))
}

// callEnd says how a call ended, and whether that is a failure (drawn in
// the danger colour).
func (c *catalog) callEnd(call state.Call) (text string, failed bool) {
	peer := c.peer(call.Peer)
	switch call.EndReason {
	case proto.EndHangup:
		return fmt.Sprintf(c.CallEndedF, clock(call.Duration, false)), false
	case proto.EndCancelled:
		if call.Outgoing {
			return c.CallCancelled, false
		}
		return fmt.Sprintf(c.MissedCallF, peer), true
	case proto.EndDeclined:
		if call.Outgoing {
			return fmt.Sprintf(c.DeclinedF, peer), true
		}
		return c.YouDeclined, false
	case proto.EndNoAnswer:
		if call.Outgoing {
			return c.NoAnswer, true
		}
		return fmt.Sprintf(c.MissedCallF, peer), true
	case proto.EndAnsweredElsewhere:
		return c.AnsweredElsewhere, false
	case proto.EndNoAudio:
		if call.EndedBy == call.Peer.ID {
			return fmt.Sprintf(c.NoAudioPeerF, peer), true
		}
		return c.NoAudioHere, true
	case proto.EndDropped:
		if call.Duration > 0 {
			return fmt.Sprintf(c.CallDroppedF, clock(call.Duration, false)), true
		}
		return c.CallDropped, true
	case string(proto.CodeBusy):
		return fmt.Sprintf(c.BusyF, peer), true
	case string(proto.CodeOffline):
		return fmt.Sprintf(c.OfflineF, peer), true
	case string(proto.CodeSelf):
		return c.CallSelf, true
	case string(proto.CodeInCall):
		return c.AlreadyInCall, true
	case string(proto.CodeNoSuchUser):
		return fmt.Sprintf(c.ErrorsWithF[proto.CodeNoSuchUser], fmt.Sprint(call.Peer.ID)), true
	}
	if f, ok := c.Errors[proto.Code(call.EndReason)]; ok {
		return f, true
	}
	return c.CallFailed, true
}

// clock formats a duration in milliseconds as a call timer: "02:13"
// while it runs (padded), "3:41" once it is over; hours when needed.
func clock(ms int64, padded bool) string {
	s := max(ms, 0) / 1000
	h, m, sec := s/3600, s/60%60, s%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	case padded:
		return fmt.Sprintf("%02d:%02d", m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// callRow words a call entry of the history as me sees it: "Voice call ·
// 3:41", "Missed call" (the callee of an unanswered call), "Declined",
// "Cancelled" or "No answer" (the caller's).
func (c *catalog) callRow(m proto.Message, me proto.UserID) string {
	call := m.Call
	if call == nil {
		return c.MessageDeleted
	}
	if call.Group {
		return c.groupCallRow(m, me)
	}
	switch call.Outcome {
	case proto.CallAnswered:
		return fmt.Sprintf(c.CallRowF, clock(call.DurationMs, false))
	case proto.CallDeclined:
		return c.CallRowDeclined
	}
	switch {
	case call.Caller != me:
		return c.CallRowMissed
	case call.Reason == proto.EndCancelled:
		return c.CallRowCancelled
	}
	return c.CallRowNoAnswer
}

// left formats the time left of a transfer: "12 s", "3 min", "1 h 5 min".
func (c *catalog) left(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf(c.SecondsF, max(s, 1))
	case s < 3600:
		return fmt.Sprintf(c.MinutesF, (s+30)/60)
	}
	return fmt.Sprintf(c.HoursF, s/3600, s/60%60)
}

// fileText is a file's name and size: "report.pdf (12.4 MB)".
func (c *catalog) fileText(f proto.File) string {
	return fmt.Sprintf(c.NameAndIDF, f.Name, proto.FormatSize(f.Size))
}

// CallNotification is the title and text of the notification of an
// incoming call: "Li Hua (4821) is calling".
func CallNotification(l Lang, call state.Call) (title, text string) {
	c := l.cat()
	if call.Group != 0 { // "王芳 started a call in Study Group"
		return fmt.Sprintf(c.GroupCalls.StartedInF, c.peer(call.Peer), call.GroupName), c.GroupCalls.GroupCall
	}
	return fmt.Sprintf(c.IsCallingF, c.peerID(call.Peer)), c.IncomingCall
}

// FileNotification is the text of the notification of a shared file:
// "sent report.pdf (12.4 MB)" under the sender's name.
func FileNotification(l Lang, f proto.File) string {
	return l.cat().fileText(f)
}
