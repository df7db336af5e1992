package ui_test

import (
	"image"
	"testing"
	"time"

	"gioui.org/io/semantic"

	"parley/app/state"
	"parley/ui"
	"parley/ui/uitest"
)

// iconButtons are the buttons on screen that have only a description:
// icons, with no words of their own.
func iconButtons(d *uitest.Driver) []uitest.Node {
	labelled := map[uint]bool{} // buttons with a label inside
	sc := d.Screen()
	byID := map[uint]uitest.Node{}
	for _, n := range sc {
		byID[uint(n.ID)] = n
	}
	for _, n := range sc {
		if n.Desc.Label != "" {
			for p, ok := byID[uint(n.ParentID)]; ok; p, ok = byID[uint(p.ParentID)] {
				if p.Desc.Class == semantic.Button {
					labelled[uint(p.ID)] = true
					break
				}
			}
		}
	}
	var out []uitest.Node
	for _, n := range sc {
		if n.Desc.Class == semantic.Button && n.Desc.Description != "" && !labelled[uint(n.ID)] && !n.Visible.Empty() {
			out = append(out, n)
		}
	}
	return out
}

func TestEveryIconButtonSaysWhatItDoesOnHover(t *testing.T) {
	noAudio := func() state.State {
		st := uitest.Direct()
		st.NoAudio = true
		return st
	}
	phone := image.Pt(400, 800)
	for _, c := range []struct {
		name string
		st   func() state.State
		size image.Point
	}{
		{"login", uitest.Login, desktop}, {"busy", uitest.Busy, desktop}, {"direct without audio", noAudio, desktop},
		{"files", uitest.Files, desktop}, {"narrow busy", uitest.Busy, phone}, {"narrow empty", uitest.Empty, phone},
	} {
		for _, lang := range []ui.Lang{ui.English, ui.Chinese} {
			d := newDriver(t, lang, c.size)
			st := c.st()
			d.Frame(st)
			d.Frame(st)
			buttons := iconButtons(d)
			if len(buttons) < 2 {
				t.Fatalf("%s: found %d icon buttons", c.name, len(buttons))
			}
			for _, b := range buttons {
				desc := b.Desc.Description
				d.Hover(center(b.Visible))
				d.Frame(st)
				if tip, ok := tooltip(d, b); ok {
					t.Errorf("%s %s: %q has its tooltip at once (%v), before the pointer rests", c.name, lang, desc, tip)
				}
				d.Now = d.Now.Add(time.Second)
				d.Frame(st)
				tip, ok := tooltip(d, b)
				if !ok {
					t.Errorf("%s %s: the icon button %q shows no tooltip on hover", c.name, lang, desc)
					continue
				}
				if !tip.In(image.Rectangle{Max: c.size}) {
					t.Errorf("%s %s: the tooltip of %q at %v leaves the window", c.name, lang, desc, tip)
				}
			}
			d.Hover(image.Pt(1, 1))
			d.Frame(st)
		}
	}
}

// tooltip finds the label next to an icon button that repeats its
// description.
func tooltip(d *uitest.Driver, b uitest.Node) (image.Rectangle, bool) {
	near := b.Desc.Bounds.Inset(-24)
	for _, n := range d.Screen() {
		if n.Desc.Label == b.Desc.Description && n.Desc.Class != semantic.Button && n.Desc.Bounds.Overlaps(near) {
			return n.Desc.Bounds, true
		}
	}
	return image.Rectangle{}, false
}

func TestTheHoverStateOfGoneButtonsIsForgotten(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy() // with two notices, each with a close button
	d.Frame(st)
	with := ui.HoverAreas(d.UI)
	st.Notices = nil
	d.Frame(st)
	if got := ui.HoverAreas(d.UI); got != with-2 {
		t.Fatalf("the UI keeps the hover state of %d icon buttons after two notices went, %d before", got, with)
	}
}
