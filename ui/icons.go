package ui

import (
	"gioui.org/widget"
	"golang.org/x/exp/shiny/materialdesign/icons"
)

// icons used by the screens (Material Design, from x/exp/shiny).
type iconSet struct {
	send, search, logout, leave, add, groupAdd, personAdd, join, back, chat, close,
	copy, moon, sun, translate, people, info, errorIcon, down, done, schedule,
	call, callEnd, callMissed, dialpad, mic, micOff, devices, attach, file, upload, download,
	pause, play, retry, folder, openFile, offline, visible, hidden, settings,
	computer, phone, web *widget.Icon
}

func loadIcons() iconSet {
	must := func(data []byte) *widget.Icon {
		ic, err := widget.NewIcon(data)
		if err != nil {
			panic(err) // the icon data is compiled in
		}
		return ic
	}
	return iconSet{
		send:      must(icons.ContentSend),
		search:    must(icons.ActionSearch),
		logout:    must(icons.ActionPowerSettingsNew),
		leave:     must(icons.ActionExitToApp),
		add:       must(icons.ContentAdd),
		groupAdd:  must(icons.SocialGroupAdd),
		personAdd: must(icons.SocialPersonAdd),
		join:      must(icons.ActionInput),
		back:      must(icons.NavigationArrowBack),
		chat:      must(icons.CommunicationChatBubbleOutline),
		close:     must(icons.NavigationClose),
		copy:      must(icons.ContentContentCopy),
		moon:      must(icons.ImageBrightness2),
		sun:       must(icons.ImageWBSunny),
		translate: must(icons.ActionTranslate),
		people:    must(icons.SocialPeople),
		info:      must(icons.ActionInfoOutline),
		errorIcon: must(icons.AlertErrorOutline),
		down:      must(icons.NavigationArrowDownward),
		done:      must(icons.ActionDone),
		schedule:  must(icons.ActionSchedule),

		call:       must(icons.CommunicationCall),
		callEnd:    must(icons.CommunicationCallEnd),
		callMissed: must(icons.CommunicationCallMissed),
		dialpad:    must(icons.CommunicationDialpad),
		mic:        must(icons.AVMic),
		micOff:     must(icons.AVMicOff),
		devices:    must(icons.HardwareHeadsetMic),
		attach:     must(icons.EditorAttachFile),
		file:       must(icons.EditorInsertDriveFile),
		upload:     must(icons.FileFileUpload),
		download:   must(icons.FileFileDownload),
		pause:      must(icons.AVPause),
		play:       must(icons.AVPlayArrow),
		retry:      must(icons.NavigationRefresh),
		folder:     must(icons.FileFolderOpen),
		openFile:   must(icons.ActionOpenInNew),
		offline:    must(icons.NotificationSyncProblem),
		visible:    must(icons.ActionVisibility),
		hidden:     must(icons.ActionVisibilityOff),
		settings:   must(icons.ActionSettings),
		computer:   must(icons.HardwareComputer),
		phone:      must(icons.HardwareSmartphone),
		web:        must(icons.ActionLanguage),
	}
}
