package ui

// pickerWords are the words of the emoji and mention pickers and of the
// who-reacted tip, in each language (kept beside the pickers rather than
// in the main catalog).
type pickerWords struct {
	// MoreReactions opens the emoji picker (the menu's "+").
	MoreReactions string
	// EmojiSearch names the picker's filter field; EmojiHint is its hint.
	EmojiSearch, EmojiHint string
	// NoEmojiF says that nothing matches what was typed.
	NoEmojiF string
	// Categories name the picker's groups, in emojiCategories' order.
	Categories [emojiCategoryCount]string
	// NamesSep joins the names of who reacted.
	NamesSep string
	// MentionMember heads the mention picker.
	MentionMember string
	// MentionedYouF is the title of a mention's notification: the sender.
	MentionedYouF string
}

var pickerCatalog = map[Lang]pickerWords{
	English: {
		MoreReactions: "More reactions",
		EmojiSearch:   "Search emoji",
		EmojiHint:     "Search: smile, heart, :+1:",
		NoEmojiF:      "No emoji for “%s”",
		Categories: [emojiCategoryCount]string{"Smileys & emotion", "People & body", "Animals & nature", "Food & drink",
			"Travel & places", "Activities", "Objects", "Symbols", "Flags"},
		NamesSep:      ", ",
		MentionMember: "Mention a member",
		MentionedYouF: "%s mentioned you",
	},
	Chinese: {
		MoreReactions: "更多表情回应",
		EmojiSearch:   "搜索表情",
		EmojiHint:     "搜索：smile、heart、:+1:",
		NoEmojiF:      "没有与“%s”匹配的表情",
		Categories:    [emojiCategoryCount]string{"笑脸与情感", "人物与身体", "动物与自然", "食物与饮料", "旅行与地点", "活动", "物品", "符号", "旗帜"},
		NamesSep:      "、",
		MentionMember: "提及成员",
		MentionedYouF: "%s 提到了你",
	},
}

func (u *UI) pw() pickerWords {
	if w, ok := pickerCatalog[u.lang]; ok {
		return w
	}
	return pickerCatalog[English]
}
