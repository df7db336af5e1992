package ui

import (
	"maps"

	"parley/app/state"
	"parley/net/proto"
)

// settingsWords are the words of the Settings screen, of the revoked
// session on the login screen and of the registration code, in each
// language (kept beside them rather than in the main catalog).
type settingsWords struct {
	// Settings is the screen's title and the gear button's description;
	// Back closes it.
	Settings, Back string
	// The sections' headings.
	Profile, Appearance, Password, Devices, Blocked, DeleteAccount string
	// The profile: the about line's caption and hint, the picture's
	// buttons, Save.
	About, AboutHint, ChoosePicture, RemovePicture, Save, Saved, Saving string
	// The appearance: language, theme, read receipts, sound devices.
	Language, Theme, Light, Dark, ReadReceipts, ReadReceiptsHint, On, Off, SoundDevices, SoundDevicesHint string
	// The password form.
	CurrentPassword, NewPassword, ConfirmPassword, ChangePassword, PasswordChanged, PasswordHint string
	// The devices: this one, online now, last active, no name, Revoke and
	// its question.
	ThisDevice, OnlineNow, LastActiveF, UnnamedDevice, Revoke, RevokeAskF, RevokeYes, DevicesHint, Loading string
	// The blocked people: none, Unblock.
	NoneBlocked, Unblock, BlockedHint string
	// Deleting the account: what it does, the button, its question.
	DeleteHint, DeleteButton, DeleteAsk, DeleteYes string
	// The register form's optional code.
	RegCode, RegCodeHint string
	// RevokedWhy says, on the login screen, why the server ended this
	// device's session, by the close reason (proto.Reason*).
	RevokedWhy map[string]string
	// Errors and Inputs add to the catalog's (the codes of these screens).
	Errors map[proto.Code]string
	Inputs map[string]string
}

var settingsCatalog = map[Lang]settingsWords{
	English: {
		Settings: "Settings", Back: "Back",
		Profile: "Profile", Appearance: "Language and appearance", Password: "Password", Devices: "Devices",
		Blocked: "Blocked people", DeleteAccount: "Delete account",
		About: "About", AboutHint: "A line about you (optional)", ChoosePicture: "Choose picture…", RemovePicture: "Remove picture",
		Save: "Save", Saved: "Saved", Saving: "Saving…",
		Language: "Language", Theme: "Theme", Light: "Light", Dark: "Dark",
		ReadReceipts: "Read receipts", ReadReceiptsHint: "Let others see when you have read their messages. Off: you see nobody's either.",
		On: "On", Off: "Off", SoundDevices: "Sound devices…", SoundDevicesHint: "Microphone, speaker and echo cancelling for calls",
		CurrentPassword: "Current password", NewPassword: "New password", ConfirmPassword: "New password again",
		ChangePassword: "Change password", PasswordChanged: "Password changed. Your other devices were signed out.",
		PasswordHint: "Changing it signs out every other device.",
		ThisDevice:   "This device", OnlineNow: "online now", LastActiveF: "active %s", UnnamedDevice: "Unnamed device",
		Revoke: "Sign out", RevokeAskF: "Sign out %s? It will need the password to log in again.", RevokeYes: "Sign it out",
		DevicesHint: "Where your account is logged in.", Loading: "Loading…",
		NoneBlocked: "You have not blocked anyone.", Unblock: "Unblock",
		BlockedHint:  "They cannot message you, call you or add you to groups.",
		DeleteHint:   "Your name, picture and password are erased and every device is signed out. Your messages stay, shown as from \"Deleted account\". This cannot be undone.",
		DeleteButton: "Delete my account", DeleteAsk: "Delete this account for good?", DeleteYes: "Delete for good",
		RegCode: "Registration code", RegCodeHint: "If the server asks",
		RevokedWhy: map[string]string{
			proto.ReasonRevoked:         "This device was signed out from another device. Log in again to use it.",
			proto.ReasonPasswordChanged: "Your password was changed on another device. Log in with the new password.",
			proto.ReasonAccountDeleted:  "The account was deleted.",
			proto.ReasonDisabled:        "The account was disabled by the server's operator.",
			"":                          "The server signed this device out. Log in again.",
		},
		Errors: map[proto.Code]string{
			proto.CodeWrongPassword:      "The current password is wrong",
			proto.CodeNoSuchDevice:       "That device is already signed out",
			proto.CodeNotAnImage:         "That file is not a picture (PNG, JPEG, GIF or WebP)",
			proto.CodeImageTooLarge:      "That picture is too large (at most 10 MB and 25 megapixels)",
			proto.CodeAccountDeleted:     "This account was deleted: it takes no new messages",
			proto.CodeRegistrationClosed: "This server takes no new accounts. Ask its operator.",
			proto.CodeCodeRequired:       "This server needs a registration code. Ask its operator for one.",
			proto.CodeBadCode:            "There is no such registration code. Check it.",
			proto.CodeCodeUsedUp:         "That registration code has been used up. Ask for another.",
			proto.CodeCodeExpired:        "That registration code has expired. Ask for another.",
			proto.CodeAccountDisabled:    "The server's operator disabled this account.",
		},
		Inputs: map[string]string{
			state.InputAboutLong:      "The about line has at most %s characters",
			state.InputPasswordNew:    "Enter the new password",
			state.InputPictureTooBig:  "A picture has at most %s MB",
			state.InputPictureUnknown: "%s is not a picture (PNG, JPEG, GIF or WebP)",
		},
	},
	Chinese: {
		Settings: "设置", Back: "返回",
		Profile: "个人资料", Appearance: "语言和外观", Password: "密码", Devices: "设备",
		Blocked: "已屏蔽的人", DeleteAccount: "删除帐号",
		About: "简介", AboutHint: "一句话介绍自己（可选）", ChoosePicture: "选择头像…", RemovePicture: "移除头像",
		Save: "保存", Saved: "已保存", Saving: "正在保存…",
		Language: "语言", Theme: "主题", Light: "浅色", Dark: "深色",
		ReadReceipts: "已读回执", ReadReceiptsHint: "让别人知道你已读了他们的消息。关闭后，你也看不到别人的。",
		On: "开", Off: "关", SoundDevices: "声音设备…", SoundDevicesHint: "通话用的麦克风、扬声器和回声消除",
		CurrentPassword: "当前密码", NewPassword: "新密码", ConfirmPassword: "再次输入新密码",
		ChangePassword: "修改密码", PasswordChanged: "密码已修改，其他设备已退出登录。",
		PasswordHint: "修改后，其他所有设备都会退出登录。",
		ThisDevice:   "本设备", OnlineNow: "在线", LastActiveF: "%s 活跃", UnnamedDevice: "未命名设备",
		Revoke: "登出", RevokeAskF: "让 %s 登出？它需要密码才能再次登录。", RevokeYes: "确认登出",
		DevicesHint: "你的帐号登录在这些设备上。", Loading: "正在加载…",
		NoneBlocked: "你没有屏蔽任何人。", Unblock: "取消屏蔽",
		BlockedHint:  "他们不能给你发消息、打电话或把你加入群组。",
		DeleteHint:   "你的名字、头像和密码将被清除，所有设备都会退出登录。你的消息会保留，显示为“已删除的帐号”。此操作无法撤销。",
		DeleteButton: "删除我的帐号", DeleteAsk: "永久删除这个帐号？", DeleteYes: "永久删除",
		RegCode: "注册码", RegCodeHint: "服务器要求时填写",
		RevokedWhy: map[string]string{
			proto.ReasonRevoked:         "本设备已在另一台设备上被退出登录。请重新登录。",
			proto.ReasonPasswordChanged: "你的密码已在另一台设备上修改。请用新密码登录。",
			proto.ReasonAccountDeleted:  "帐号已被删除。",
			proto.ReasonDisabled:        "帐号已被服务器管理员停用。",
			"":                          "服务器让本设备退出了登录。请重新登录。",
		},
		Errors: map[proto.Code]string{
			proto.CodeWrongPassword:      "当前密码不正确",
			proto.CodeNoSuchDevice:       "该设备已经退出登录",
			proto.CodeNotAnImage:         "该文件不是图片（PNG、JPEG、GIF 或 WebP）",
			proto.CodeImageTooLarge:      "图片太大（最多 10 MB、2500 万像素）",
			proto.CodeAccountDeleted:     "该帐号已被删除，不能再接收新消息",
			proto.CodeRegistrationClosed: "此服务器不接受新帐号，请联系管理员。",
			proto.CodeCodeRequired:       "此服务器需要注册码，请向管理员索取。",
			proto.CodeBadCode:            "没有这个注册码，请检查。",
			proto.CodeCodeUsedUp:         "该注册码已用完，请索取新的。",
			proto.CodeCodeExpired:        "该注册码已过期，请索取新的。",
			proto.CodeAccountDisabled:    "服务器管理员已停用此帐号。",
		},
		Inputs: map[string]string{
			state.InputAboutLong:      "简介最多 %s 个字符",
			state.InputPasswordNew:    "请输入新密码",
			state.InputPictureTooBig:  "图片最多 %s MB",
			state.InputPictureUnknown: "%s 不是图片（PNG、JPEG、GIF 或 WebP）",
		},
	},
}

// The catalogs learn these screens' error codes and form problems, and a
// word for the revoked notice (the login screen words it by reason:
// revokedText).
func init() {
	for lang, w := range settingsCatalog {
		c := lang.cat()
		maps.Copy(c.Errors, w.Errors)
		maps.Copy(c.Inputs, w.Inputs)
		c.Notices[state.NoticeRevoked] = w.RevokedWhy[""]
	}
}

func (u *UI) sw() settingsWords {
	if w, ok := settingsCatalog[u.lang]; ok {
		return w
	}
	return settingsCatalog[English]
}

// revokedText says why the session ended, for a state.NoticeRevoked.
func (w settingsWords) revokedText(n state.Notice) string {
	if len(n.Args) == 1 {
		if s, ok := w.RevokedWhy[n.Args[0]]; ok {
			return s
		}
	}
	return w.RevokedWhy[""]
}

// loginNoticeText words a notice of the login screen: a revoked session
// by its reason.
func (u *UI) loginNoticeText(n state.Notice) string {
	if n.Kind == state.NoticeRevoked {
		return u.sw().revokedText(n)
	}
	return u.t().notice(n)
}
