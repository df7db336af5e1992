package ui

// navWords are the words of the pin bar and of the search within a
// conversation, in each language (kept beside them rather than in the
// main catalog).
type navWords struct {
	// PinnedF heads the pin bar: the pinned message shown, of how many.
	PinnedF string
	// Pinned heads it when one message is pinned.
	Pinned string
	// NextPin is what clicking the bar does (its description).
	NextPin string
	// FindHint is the search field of the conversation; FindButton opens
	// it, CloseFind closes it.
	FindHint, FindButton, CloseFind string
	// Older and Newer step through the matches.
	Older, Newer string
	// MatchF is the match shown, of how many; NoMatches says none.
	MatchF, NoMatches string
	// Searching is shown while the first results are awaited.
	Searching string
	// ServerPending: the server's results are still coming;
	// ServerMissing: offline, so only this device's history was
	// searched.
	ServerPending, ServerMissing string
}

var navCatalog = map[Lang]navWords{
	English: {
		PinnedF:       "Pinned message %d of %d",
		Pinned:        "Pinned message",
		NextPin:       "Go to the pinned message",
		FindHint:      "Search in this conversation",
		FindButton:    "Search in this conversation",
		CloseFind:     "Close search",
		Older:         "Older match",
		Newer:         "Newer match",
		MatchF:        "%d of %d",
		NoMatches:     "No matches",
		Searching:     "Searching…",
		ServerPending: "searching the server…",
		ServerMissing: "offline: only this device's history was searched",
	},
	Chinese: {
		PinnedF:       "置顶消息 %d/%d",
		Pinned:        "置顶消息",
		NextPin:       "跳到置顶消息",
		FindHint:      "在此会话中搜索",
		FindButton:    "在此会话中搜索",
		CloseFind:     "关闭搜索",
		Older:         "上一个结果",
		Newer:         "下一个结果",
		MatchF:        "第 %d 个，共 %d 个",
		NoMatches:     "没有结果",
		Searching:     "正在搜索…",
		ServerPending: "正在搜索服务器…",
		ServerMissing: "离线：只搜索了本设备上的记录",
	},
}

func (u *UI) nw() navWords {
	if w, ok := navCatalog[u.lang]; ok {
		return w
	}
	return navCatalog[English]
}
