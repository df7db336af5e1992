package main

import (
	"context"
	"fmt"
	"io"

	"parley/ui"
)

// pictureTarget is the picker's target when it chooses my profile
// picture (not a file to send).
const pictureTarget = "\x00picture"

// settingsEvent performs the Settings screen's events (ui/settings.go)
// on the model; false if ev is not one of them.
func (win *window) settingsEvent(ev ui.Event) bool {
	m := win.m
	do := func(f func(ctx context.Context) error) { win.perform("settings", fmt.Sprintf("%T", ev), f) }
	switch ev := ev.(type) {
	case ui.OpenSettings:
		do(m.LoadSettings)
	case ui.SetProfile:
		do(func(ctx context.Context) error { return m.SetProfile(ctx, ev.Name, ev.About) })
	case ui.ChoosePicture:
		win.pickFile(pictureTarget)
	case ui.RemovePicture:
		do(m.RemovePicture)
	case ui.ChangePassword:
		do(func(ctx context.Context) error { return m.ChangePassword(ctx, ev.Current, ev.New, ev.Confirm) })
	case ui.RevokeDevice:
		do(func(ctx context.Context) error { return m.RevokeDevice(ctx, ev.ID) })
	case ui.Unblock:
		do(func(ctx context.Context) error { return m.Unblock(ctx, ev.User) })
	case ui.DeleteAccount:
		do(func(ctx context.Context) error { return m.DeleteAccount(ctx, ev.Password) })
	default:
		return false
	}
	return true
}

// pickedPicture sets what the picker chose as my profile picture, or as
// a group's (groups.go); false if r is not a pick for a picture.
func (win *window) pickedPicture(r pickResult) bool {
	m := win.m
	lane, what := "settings", "SetPicture"
	set, setFile := m.SetPicture, m.SetPictureFile
	if conv, ok := groupPictureConv(r.target); ok {
		lane, what = "", "SetGroupPicture"
		set = func(ctx context.Context, name string, rc io.ReadCloser) error {
			return m.SetGroupPicture(ctx, conv, name, rc)
		}
		setFile = func(ctx context.Context, path string) error { return m.SetGroupPictureFile(ctx, conv, path) }
	} else if r.target != pictureTarget {
		return false
	}
	for _, p := range r.more { // one picture
		if p.Stream != nil {
			p.Stream.Close()
		}
	}
	switch {
	case r.err != nil:
		win.log.Info("no file picker for the picture", "err", r.err)
	case r.stream != nil:
		s := *r.stream
		win.perform(lane, what, func(ctx context.Context) error { return set(ctx, s.Name, s) })
	default:
		path := r.path
		win.perform(lane, what, func(ctx context.Context) error { return setFile(ctx, path) })
	}
	return true
}
