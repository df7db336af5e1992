package ui

import "parley/app/state"

// voiceWords are the words of voice messages: the recorder and the voice
// bubble, in each language (input problems are merged into the main
// catalog below).
type voiceWords struct {
	// The microphone button and the recording bar.
	Record, Recording, SlideToCancel, ClickToSend, Cancel, SendVoice, LimitReached string
	// The bubble.
	Play, Pause, Speed, Unplayed, VoiceMessage, Seek string
	// The conversation list's preview: "[Voice message] 0:06".
	PreviewF string
}

var voiceCatalog = map[Lang]voiceWords{
	English: {
		Record:        "Voice message: hold to record, or click to start and stop",
		Recording:     "Recording",
		SlideToCancel: "Slide left to cancel",
		ClickToSend:   "Click send when done",
		Cancel:        "Discard the recording",
		SendVoice:     "Send the voice message",
		LimitReached:  "15-minute limit reached",
		Play:          "Play",
		Pause:         "Pause",
		Speed:         "Playback speed",
		Unplayed:      "Not played yet",
		VoiceMessage:  "Voice message",
		Seek:          "Position in the voice message",
		PreviewF:      "[Voice message] %s",
	},
	Chinese: {
		Record:        "语音消息：按住录音，或点击开始、再点击结束",
		Recording:     "正在录音",
		SlideToCancel: "向左滑动取消",
		ClickToSend:   "录完请点击发送",
		Cancel:        "放弃这段录音",
		SendVoice:     "发送语音消息",
		LimitReached:  "已达 15 分钟上限",
		Play:          "播放",
		Pause:         "暂停",
		Speed:         "播放速度",
		Unplayed:      "尚未播放",
		VoiceMessage:  "语音消息",
		Seek:          "语音消息中的位置",
		PreviewF:      "[语音] %s",
	},
}

func (u *UI) vw() voiceWords {
	if w, ok := voiceCatalog[u.lang]; ok {
		return w
	}
	return voiceCatalog[English]
}

// The input problems of voice messages, merged into each catalog.
var voiceInputs = map[Lang]map[string]string{
	English: {
		state.InputNoMicrophone: "Cannot record here: %s",
		state.InputNotVoice:     "That message is not a voice message",
	},
	Chinese: {
		state.InputNoMicrophone: "这里无法录音：%s",
		state.InputNotVoice:     "这条消息不是语音消息",
	},
}

func init() {
	for lang, c := range catalogs {
		for k, v := range voiceInputs[lang] {
			c.Inputs[k] = v
		}
	}
}
