package ui_test

import (
	"fmt"
	"image"
	"slices"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// BenchmarkFrame measures one frame of the main screen with the open
// conversation holding 100,000 messages, of which the model's window (at
// most 1,000) is in the state: layout alone, and layout plus painting
// with gpu/headless (waiting for the GPU by reading back one pixel). The
// "call" cases are a group with file messages and an upload in progress,
// during a call: the frames a call's level meter and a transfer's
// progress redraw ten times a second. The "formatted" cases have every
// message in bold with inline code, a link and a mention of me.
func BenchmarkFrame(b *testing.B) {
	size := image.Pt(1280, 820)
	long := func(window int) func() state.State {
		return func() state.State { return uitest.Long(100_000, window) }
	}
	call := func() state.State { return uitest.WithCall(uitest.Files(), state.CallActive) }
	// Every message formatted: bold, code, a link and a mention of me.
	formatted := func() state.State {
		st := uitest.Long(100_000, 1000)
		o := *st.Open
		o.Messages = slices.Clone(o.Messages)
		for i := range o.Messages {
			m := &o.Messages[i]
			m.Text = fmt.Sprintf("**%s** `code` https://example.com/%d @%s", m.Text, m.Seq, st.Me.Name)
			m.Mentions = []proto.UserID{st.Me.ID}
		}
		st.Open = &o
		return st
	}
	for _, c := range []struct {
		name  string
		state func() state.State
		paint bool
	}{
		{"layout/window=1000", long(1000), false},
		{"layout+paint/window=1000", long(1000), true},
		{"layout+paint/window=100000", long(100_000), true},
		{"layout/window=1000,formatted", formatted, false},
		{"layout+paint/window=1000,formatted", formatted, true},
		{"layout/call+transfer", call, false},
		{"layout+paint/call+transfer", call, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			st := c.state()
			d := uitest.NewDriver(uitest.NewUI(b, ui.English, false), size)
			var r *uitest.Renderer
			if c.paint {
				var err error
				if r, err = uitest.NewRenderer(size); err != nil {
					b.Fatal(err)
				}
				defer r.Release()
			}
			pixel := image.NewRGBA(image.Rect(0, 0, 1, 1))
			frame := func() {
				d.Frame(st)
				if r != nil {
					if err := r.Draw(&d.Ops); err != nil {
						b.Fatal(err)
					}
					if err := r.Sync(pixel); err != nil {
						b.Fatal(err)
					}
				}
			}
			frame() // the first frame shapes the visible text
			b.ResetTimer()
			for range b.N {
				frame()
			}
		})
	}
}

// BenchmarkNewWindow measures the first frame of a new window's UI:
// building it, shaping every visible text, and painting.
func BenchmarkFirstFrame(b *testing.B) {
	size := image.Pt(1280, 820)
	faces := uitest.Fonts(b)
	r, err := uitest.NewRenderer(size)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Release()
	pixel := image.NewRGBA(image.Rect(0, 0, 1, 1))
	st := uitest.Long(100_000, 50)
	b.ResetTimer()
	for range b.N {
		u := ui.New(ui.Options{Shaper: ui.NewShaper(faces, false)})
		d := uitest.NewDriver(u, size)
		d.Frame(st)
		if err := r.Draw(&d.Ops); err != nil {
			b.Fatal(err)
		}
		if err := r.Sync(pixel); err != nil {
			b.Fatal(err)
		}
	}
}
