package ui

// requestWords are the words of message requests, blocking, muting and
// the archive, in each language (kept beside them rather than in the
// main catalog).
type requestWords struct {
	// RequestsF is the conversation list's row of the requests, with
	// how many; Requests heads their list.
	RequestsF, Requests string
	// ArchivedF is the row of the archive, with how many; Archived
	// heads its list. AllChats goes back to the conversation list.
	ArchivedF, Archived, AllChats string
	// RequestF heads the bar under a request (the sender's name);
	// RequestNote says what accepting changes.
	RequestF, RequestNote string
	// Accept, Block and Delete answer a request.
	Accept, Block, Delete string
	// More opens a conversation's menu.
	More string
	// BlockUser and UnblockUser are the menu's items; BlockAskF asks
	// first (the person's name).
	BlockUser, UnblockUser, BlockAskF string
	// BlockedMessage stands for a message of a user I blocked, in a
	// group; Show shows it.
	BlockedMessage, Show string
	// Notifications heads the levels: All, Mentions only, Off; For1h,
	// For8h and UntilOn say for how long.
	Notifications, NotifyAll, NotifyMentions, NotifyOff string
	For1h, For8h, UntilOn                               string
	// UntilF is a level's end (a time); Muted describes a muted
	// conversation's bell.
	UntilF, Muted string
	// Archive and Unarchive move a conversation in and out of the
	// archive.
	Archive, Unarchive string
}

var requestCatalog = map[Lang]requestWords{
	English: {
		RequestsF:      "Message requests (%d)",
		Requests:       "Message requests",
		ArchivedF:      "Archived (%d)",
		Archived:       "Archived",
		AllChats:       "All conversations",
		RequestF:       "%s wants to send you messages",
		RequestNote:    "You share no group. Until you accept, they cannot call you and do not see when you are online or have read their messages.",
		Accept:         "Accept",
		Block:          "Block",
		Delete:         "Delete",
		More:           "More options",
		BlockUser:      "Block user",
		UnblockUser:    "Unblock user",
		BlockAskF:      "Block %s? They can no longer call you, start a chat with you or add you to groups, and what they write to you stops reaching you. They are not told.",
		BlockedMessage: "Message from a blocked user",
		Show:           "Show",
		Notifications:  "Notifications",
		NotifyAll:      "All",
		NotifyMentions: "Mentions only",
		NotifyOff:      "Off",
		For1h:          "For 1 hour",
		For8h:          "For 8 hours",
		UntilOn:        "Until I turn it back on",
		UntilF:         "until %s",
		Muted:          "Muted",
		Archive:        "Archive",
		Unarchive:      "Unarchive",
	},
	Chinese: {
		RequestsF:      "消息请求（%d）",
		Requests:       "消息请求",
		ArchivedF:      "已归档（%d）",
		Archived:       "已归档",
		AllChats:       "全部会话",
		RequestF:       "%s 想给你发消息",
		RequestNote:    "你们没有共同的群组。在你接受之前，对方不能给你打电话，也看不到你是否在线、是否已读。",
		Accept:         "接受",
		Block:          "屏蔽",
		Delete:         "删除",
		More:           "更多选项",
		BlockUser:      "屏蔽此用户",
		UnblockUser:    "取消屏蔽",
		BlockAskF:      "屏蔽 %s？对方将不能再给你打电话、和你发起聊天或把你拉进群组，发给你的消息也不会再送达。对方不会收到通知。",
		BlockedMessage: "来自已屏蔽用户的消息",
		Show:           "显示",
		Notifications:  "通知",
		NotifyAll:      "全部",
		NotifyMentions: "仅@我",
		NotifyOff:      "关闭",
		For1h:          "1 小时",
		For8h:          "8 小时",
		UntilOn:        "直到我重新开启",
		UntilF:         "至 %s",
		Muted:          "已静音",
		Archive:        "归档",
		Unarchive:      "取消归档",
	},
}

func (u *UI) rw() requestWords {
	if w, ok := requestCatalog[u.lang]; ok {
		return w
	}
	return requestCatalog[English]
}
