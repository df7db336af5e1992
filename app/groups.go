package main

import (
	"context"
	"strconv"
	"strings"

	"parley/net/proto"
	"parley/ui"
)

// groupPictureTarget, followed by a group's ID, is the picker's target
// when it chooses that group's picture (settings.go's pickedPicture sets
// it).
const groupPictureTarget = "\x00group picture "

// groupPictureConv is the group whose picture target names; ok false if
// it names none.
func groupPictureConv(target string) (proto.ConvID, bool) {
	rest, ok := strings.CutPrefix(target, groupPictureTarget)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return proto.ConvID(id), err == nil && id > 0
}

// dispatchGroups performs the intents of groups (ui/groups.go); it
// reports whether ev was one.
func (win *window) dispatchGroups(ev ui.Event) bool {
	m := win.m
	do := func(f func(ctx context.Context) error) { win.perform("", "groups", f) }
	switch ev := ev.(type) {
	case ui.JoinByText:
		do(func(ctx context.Context) error { return m.JoinByText(ctx, ev.Text) })
	case ui.JoinLink:
		do(func(ctx context.Context) error { return m.JoinLink(ctx, ev.Token) })
	case ui.CloseLinkPreview:
		m.CloseLinkPreview()
	case ui.OpenGroupSettings:
		do(func(ctx context.Context) error { return m.OpenGroupSettings(ctx, ev.Conv) })
	case ui.CloseGroupSettings:
		m.CloseGroupSettings()
	case ui.SetGroup:
		do(func(ctx context.Context) error { return m.SetGroup(ctx, ev.Req) })
	case ui.MemberAction:
		do(func(ctx context.Context) error {
			switch ev.What {
			case ui.ActRemove:
				return m.RemoveMember(ctx, ev.Conv, ev.User)
			case ui.ActBan:
				return m.Ban(ctx, ev.Conv, ev.User)
			case ui.ActUnban:
				return m.Unban(ctx, ev.Conv, ev.User)
			case ui.ActMakeAdmin, ui.ActRemoveAdmin:
				return m.SetAdmin(ctx, ev.Conv, ev.User, ev.What == ui.ActMakeAdmin)
			case ui.ActMakeOwner:
				return m.TransferOwner(ctx, ev.Conv, ev.User)
			}
			return nil
		})
	case ui.AnswerJoin:
		do(func(ctx context.Context) error { return m.AnswerJoin(ctx, ev.Conv, ev.User, ev.Approve) })
	case ui.DeleteGroup:
		do(func(ctx context.Context) error { return m.DeleteGroup(ctx, ev.Conv) })
	case ui.CreateLink:
		do(func(ctx context.Context) error { return m.CreateLink(ctx, ev.Conv, ev.ExpiresInMs, ev.MaxUses) })
	case ui.RevokeLink:
		do(func(ctx context.Context) error { return m.RevokeLink(ctx, ev.Conv, ev.ID) })
	case ui.ShowLink:
		m.ShowLink(ev.ID)
	case ui.ChooseGroupPicture:
		win.pickFile(groupPictureTarget + strconv.FormatInt(int64(ev.Conv), 10))
	case ui.RemoveGroupPicture:
		do(func(ctx context.Context) error { return m.RemoveGroupPicture(ctx, ev.Conv) })
	default:
		return false
	}
	return true
}
