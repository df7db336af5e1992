package main

import (
	"context"

	"parley/ui"
)

// dispatchMedia performs the intents of the files and media panel
// (ui/mediapanel.go); it reports whether ev was one. Its pages load in
// a lane of their own, in order (closing too), so a tab switched twice
// shows the last and a panel closed stays closed.
func (win *window) dispatchMedia(ev ui.Event) bool {
	m := win.m
	do := func(f func(ctx context.Context) error) { win.perform("media", "media", f) }
	switch ev := ev.(type) {
	case ui.OpenMedia:
		do(func(ctx context.Context) error { return m.OpenMedia(ctx, ev.Conv, ev.Kind) })
	case ui.MoreMedia:
		do(func(ctx context.Context) error { return m.MoreMedia(ctx) })
	case ui.MediaThumbs:
		win.perform("", "media", func(context.Context) error { m.WantMediaThumbs(ev.Conv, ev.IDs); return nil })
	case ui.CloseMedia:
		do(func(context.Context) error { m.CloseMedia(); return nil })
	default:
		return false
	}
	return true
}
