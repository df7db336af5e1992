package ui

// mediaWords are the words of a conversation's "Files and media" panel
// (mediapanel.go), in each language.
type mediaWords struct {
	// Title names the panel, in its header, the conversation's menu and
	// the header's button; Close closes it.
	Title, Close string
	// The tabs.
	Pictures, Files, Voice string
	// The empty tabs.
	NoPictures, NoFiles, NoVoice string
	// Local says the list is only this device's (offline, or the server
	// did not answer).
	Local string
	// Loading is shown while a page is asked for.
	Loading string
	// JumpTo shows the message in the conversation.
	JumpTo string
	// PictureF describes a picture of the grid: its sender and date.
	PictureF string
	// VoiceF is a voice message's line: its duration.
	VoiceF string
}

var mediaCatalog = map[Lang]mediaWords{
	English: {
		Title:      "Files and media",
		Close:      "Close files and media",
		Pictures:   "Pictures",
		Files:      "Files",
		Voice:      "Voice messages",
		NoPictures: "No pictures in this conversation yet",
		NoFiles:    "No files in this conversation yet",
		NoVoice:    "No voice messages in this conversation yet",
		Local:      "Only what this device has downloaded: older files may be on the server.",
		Loading:    "Loading…",
		JumpTo:     "Show in the conversation",
		PictureF:   "Picture from %s, %s",
		VoiceF:     "Voice message · %s",
	},
	Chinese: {
		Title:      "文件与媒体",
		Close:      "关闭文件与媒体",
		Pictures:   "图片",
		Files:      "文件",
		Voice:      "语音消息",
		NoPictures: "此会话中还没有图片",
		NoFiles:    "此会话中还没有文件",
		NoVoice:    "此会话中还没有语音消息",
		Local:      "仅显示此设备已下载的内容：更早的文件可能在服务器上。",
		Loading:    "正在加载…",
		JumpTo:     "在会话中查看",
		PictureF:   "%s 发送的图片，%s",
		VoiceF:     "语音消息 · %s",
	},
}

func (u *UI) mw() mediaWords {
	if w, ok := mediaCatalog[u.lang]; ok {
		return w
	}
	return mediaCatalog[English]
}
