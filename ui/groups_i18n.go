package ui

import (
	"parley/app/state"
	"parley/net/proto"
)

// groupWords are the words of groups: their events in the history, the
// create form's join policies, the settings panel, join requests and
// invite links, in each language (kept beside them rather than in the
// main catalog; notices and error codes are merged into it below).
type groupWords struct {
	// Group events ("Li Hua removed Tom"): actor, then subject or value.
	EvApprovedF, EvRemovedF, EvBannedF, EvUnbannedF, EvRenamedF string
	EvDescribedF, EvUndescribedF, EvPolicyF, EvPermissionsF     string
	EvPromotedF, EvDemotedF, EvOwnerF                           string
	EvPictureF, EvUnpictureF                                    string
	// The group's picture in the panel.
	ChoosePicture, RemovePicture string
	// Join policies, with a line each that says what they mean.
	PolicyAsk, PolicyInvite, PolicyOpen             string
	PolicyAskHelp, PolicyInviteHelp, PolicyOpenHelp string
	// Who may invite and send.
	AllowMembers, AllowAdmins string
	// The settings panel.
	Settings, CloseSettings, Loading, NameLabel, Description, Save   string
	WhoCanJoin, WhoMayInvite, WhoMaySend, MembersTitle, Owner, Admin string
	MakeAdmin, RemoveAdmin, Remove, Ban, Banned, Unban, BannedByF    string
	MakeOwner, TransferAskF, DeleteGroup, DeleteAskF, Confirm, YouF  string
	// Join requests.
	Requests, RequestsF, Approve, Decline, NoRequests string
	// Invite links.
	Links, NewLink, Expiry, Never, Hour, Day, Week, MaxUses, Unlimited string
	UsesF, UsesOfF, ExpiresF, Expired, UsedUp, NeverExpires            string
	CopyLink, Copied, Revoke, ShowQR, QRCode, AppLinkF, NoLinks        string
	// Joining by link or ID.
	JoinHint, JoinF, AsksNote, RequestJoin, JoinThis, LookingUp, CloseLink string
}

var groupCatalog = map[Lang]groupWords{
	English: {
		EvApprovedF:      "%s let %s in",
		EvRemovedF:       "%s removed %s",
		EvBannedF:        "%s banned %s",
		EvUnbannedF:      "%s lifted the ban on %s",
		EvRenamedF:       "%s renamed the group to %s",
		EvDescribedF:     "%s changed the description: %s",
		EvUndescribedF:   "%s cleared the description",
		EvPolicyF:        "%s set who can join: %s",
		EvPermissionsF:   "%s set who may invite: %s; who may send: %s",
		EvPromotedF:      "%s made %s an admin",
		EvDemotedF:       "%s removed %s as admin",
		EvOwnerF:         "%s made %s the owner",
		EvPictureF:       "%s changed the group's picture",
		EvUnpictureF:     "%s removed the group's picture",
		ChoosePicture:    "Choose picture…",
		RemovePicture:    "Remove picture",
		PolicyAsk:        "Ask to join",
		PolicyInvite:     "Invite or link only",
		PolicyOpen:       "Anyone with the ID",
		PolicyAskHelp:    "People with the ID ask; an admin lets them in",
		PolicyInviteHelp: "Only members' invitations and invite links let people in",
		PolicyOpenHelp:   "Anyone who knows the ID joins at once",
		AllowMembers:     "All members",
		AllowAdmins:      "Admins only",
		Settings:         "Group settings",
		CloseSettings:    "Close group settings",
		Loading:          "Loading…",
		NameLabel:        "Group name",
		Description:      "Description",
		Save:             "Save",
		WhoCanJoin:       "Who can join",
		WhoMayInvite:     "Who may invite",
		WhoMaySend:       "Who may send",
		MembersTitle:     "Members",
		Owner:            "Owner",
		Admin:            "Admin",
		MakeAdmin:        "Make admin",
		RemoveAdmin:      "Remove admin",
		Remove:           "Remove",
		Ban:              "Ban",
		Banned:           "Banned",
		Unban:            "Unban",
		BannedByF:        "banned by %s",
		MakeOwner:        "Make owner",
		TransferAskF:     "Make %s the owner? You stay an admin.",
		DeleteGroup:      "Delete group",
		DeleteAskF:       "Delete %s for everyone? Its history and files are removed.",
		Confirm:          "Yes",
		YouF:             "%s (you)",
		Requests:         "Requests to join",
		RequestsF:        "Requests to join: %d",
		Approve:          "Approve",
		Decline:          "Decline",
		NoRequests:       "No requests waiting",
		Links:            "Invite links",
		NewLink:          "Create link",
		Expiry:           "Expires after",
		Never:            "Never",
		Hour:             "1 hour",
		Day:              "1 day",
		Week:             "7 days",
		MaxUses:          "Max uses (empty: unlimited)",
		Unlimited:        "unlimited uses",
		UsesF:            "used %d times",
		UsesOfF:          "used %d of %d times",
		ExpiresF:         "expires %s",
		Expired:          "expired",
		UsedUp:           "used up",
		NeverExpires:     "never expires",
		CopyLink:         "Copy link",
		Copied:           "Copied",
		Revoke:           "Revoke",
		ShowQR:           "Show QR code",
		QRCode:           "QR code of the invite link",
		AppLinkF:         "In the app: %s",
		NoLinks:          "No invite links yet",
		JoinHint:         "Group ID or invite link",
		JoinF:            "Join %s?",
		AsksNote:         "Its admins let new members in: joining sends them a request",
		RequestJoin:      "Request to join",
		JoinThis:         "Join this group",
		LookingUp:        "Looking up the link…",
		CloseLink:        "Close",
	},
	Chinese: {
		EvApprovedF:      "%s 批准 %s 入群",
		EvRemovedF:       "%s 将 %s 移出了群聊",
		EvBannedF:        "%s 封禁了 %s",
		EvUnbannedF:      "%s 解除了对 %s 的封禁",
		EvRenamedF:       "%s 将群名改为“%s”",
		EvDescribedF:     "%s 修改了群简介：%s",
		EvUndescribedF:   "%s 清除了群简介",
		EvPolicyF:        "%s 将加入方式设为：%s",
		EvPermissionsF:   "%s 设置了邀请权限：%s；发言权限：%s",
		EvPromotedF:      "%s 将 %s 设为管理员",
		EvDemotedF:       "%s 取消了 %s 的管理员身份",
		EvOwnerF:         "%s 将群主转让给了 %s",
		EvPictureF:       "%s 更换了群头像",
		EvUnpictureF:     "%s 移除了群头像",
		ChoosePicture:    "选择群头像…",
		RemovePicture:    "移除群头像",
		PolicyAsk:        "申请加入",
		PolicyInvite:     "仅限邀请或链接",
		PolicyOpen:       "知道群号即可加入",
		PolicyAskHelp:    "知道群号的人提出申请，由管理员批准",
		PolicyInviteHelp: "只能通过成员邀请或邀请链接加入",
		PolicyOpenHelp:   "任何知道群号的人都可直接加入",
		AllowMembers:     "所有成员",
		AllowAdmins:      "仅管理员",
		Settings:         "群设置",
		CloseSettings:    "关闭群设置",
		Loading:          "加载中…",
		NameLabel:        "群名称",
		Description:      "群简介",
		Save:             "保存",
		WhoCanJoin:       "加入方式",
		WhoMayInvite:     "谁可以邀请",
		WhoMaySend:       "谁可以发言",
		MembersTitle:     "成员",
		Owner:            "群主",
		Admin:            "管理员",
		MakeAdmin:        "设为管理员",
		RemoveAdmin:      "取消管理员",
		Remove:           "移出",
		Ban:              "封禁",
		Banned:           "已封禁",
		Unban:            "解除封禁",
		BannedByF:        "由 %s 封禁",
		MakeOwner:        "转让群主",
		TransferAskF:     "将群主转让给 %s？你将成为管理员。",
		DeleteGroup:      "解散群聊",
		DeleteAskF:       "为所有人解散“%s”？聊天记录和文件都将被删除。",
		Confirm:          "确定",
		YouF:             "%s（你）",
		Requests:         "入群申请",
		RequestsF:        "入群申请：%d",
		Approve:          "批准",
		Decline:          "拒绝",
		NoRequests:       "没有待处理的申请",
		Links:            "邀请链接",
		NewLink:          "创建链接",
		Expiry:           "有效期",
		Never:            "永久",
		Hour:             "1 小时",
		Day:              "1 天",
		Week:             "7 天",
		MaxUses:          "使用次数上限（留空为不限）",
		Unlimited:        "不限次数",
		UsesF:            "已使用 %d 次",
		UsesOfF:          "已使用 %d/%d 次",
		ExpiresF:         "%s 过期",
		Expired:          "已过期",
		UsedUp:           "已用完",
		NeverExpires:     "永不过期",
		CopyLink:         "复制链接",
		Copied:           "已复制",
		Revoke:           "撤销",
		ShowQR:           "显示二维码",
		QRCode:           "邀请链接二维码",
		AppLinkF:         "在应用中打开：%s",
		NoLinks:          "还没有邀请链接",
		JoinHint:         "群号或邀请链接",
		JoinF:            "加入“%s”？",
		AsksNote:         "新成员需经管理员批准：加入将向他们发送申请",
		RequestJoin:      "申请加入",
		JoinThis:         "加入该群",
		LookingUp:        "正在查询链接…",
		CloseLink:        "关闭",
	},
}

func (u *UI) gw() groupWords {
	if w, ok := groupCatalog[u.lang]; ok {
		return w
	}
	return groupCatalog[English]
}

// The notices and error codes of groups, merged into each catalog.
var (
	groupNotices = map[Lang]map[state.NoticeKind]string{
		English: {
			state.NoticeJoinRequested: "Request sent to the group's admins: %s (%s)",
			state.NoticeJoinApproved:  "Your request to join %s was approved",
			state.NoticeJoinDeclined:  "Your request to join %s was declined",
			state.NoticeJoinRequestIn: "%s (%s) asks to join %s",
			state.NoticeRemovedMe:     "%s removed you from %s",
			state.NoticeBannedMe:      "%s banned you from %s",
			state.NoticeGroupDeleted:  "The owner deleted %s",
			state.NoticeGroupSaved:    "Saved the settings of %s",
		},
		Chinese: {
			state.NoticeJoinRequested: "已向群管理员发送申请：%s（%s）",
			state.NoticeJoinApproved:  "你加入 %s 的申请已获批准",
			state.NoticeJoinDeclined:  "你加入 %s 的申请被拒绝了",
			state.NoticeJoinRequestIn: "%s（%s）申请加入 %s",
			state.NoticeRemovedMe:     "%s 将你移出了 %s",
			state.NoticeBannedMe:      "%s 已将你从 %s 封禁",
			state.NoticeGroupDeleted:  "群主解散了 %s",
			state.NoticeGroupSaved:    "已保存 %s 的设置",
		},
	}
	groupErrors = map[Lang]map[proto.Code]string{
		English: {
			proto.CodeNotAdmin:         "Only the group's admins can do that",
			proto.CodeNotOwner:         "Only the group's owner can do that",
			proto.CodeBanned:           "You are banned from this group",
			proto.CodeInviteOnly:       "This group is invite only: ask a member to invite you or to send you a link",
			proto.CodeAlreadyRequested: "Your request to join is waiting for the admins",
			proto.CodeNoSuchRequest:    "That request was answered already",
			proto.CodeNoSuchLink:       "This invite link does not exist or was revoked: ask for a new one",
			proto.CodeLinkExpired:      "This invite link has expired or was used up: ask for a new one",
		},
		Chinese: {
			proto.CodeNotAdmin:         "只有群管理员可以这样做",
			proto.CodeNotOwner:         "只有群主可以这样做",
			proto.CodeBanned:           "你已被此群封禁",
			proto.CodeInviteOnly:       "此群仅限邀请加入：请让成员邀请你或发给你邀请链接",
			proto.CodeAlreadyRequested: "你的入群申请正在等待管理员处理",
			proto.CodeNoSuchRequest:    "该申请已被处理",
			proto.CodeNoSuchLink:       "此邀请链接不存在或已被撤销，请索取新链接",
			proto.CodeLinkExpired:      "此邀请链接已过期或已用完，请索取新链接",
		},
	}
	groupInputs = map[Lang]map[string]string{
		English: {state.InputJoinLink: "%s is neither a group ID nor an invite link"},
		Chinese: {state.InputJoinLink: "“%s”既不是群号也不是邀请链接"},
	}
)

func init() {
	for lang, c := range catalogs {
		for k, v := range groupNotices[lang] {
			c.Notices[k] = v
		}
		for k, v := range groupErrors[lang] {
			c.Errors[k] = v
		}
		for k, v := range groupInputs[lang] {
			c.Inputs[k] = v
		}
	}
}
